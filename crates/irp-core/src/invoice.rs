//! The INV-01 v1.1 invoice as the portal holds it after binding (`03`).
//!
//! Values here are already bound: codes are upper-cased, free text is trimmed, numbers carry
//! both their exact decimal value and the literal text the client sent. Required fields are
//! plain values and optional fields are `Option`s, so code past the binder never re-checks
//! presence. Field names follow the spec's JSON names in snake case.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A number from the request: its exact value and the JSON text it arrived with, which the
/// signed invoice echoes byte for byte (`05` §4.3, D-15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    value: Decimal,
    text: Box<str>,
}

impl Number {
    /// Pairs a value with its JSON text. The text must be a valid JSON number.
    pub(crate) fn new(value: Decimal, text: impl Into<Box<str>>) -> Number {
        Number {
            value,
            text: text.into(),
        }
    }

    /// A number the portal itself writes, as a plain integer or decimal.
    pub fn from_decimal(value: Decimal) -> Number {
        Number {
            value,
            text: value.to_string().into(),
        }
    }

    pub fn value(&self) -> Decimal {
        self.value
    }

    /// The value as a whole number, for integer fields such as `Pin` and `Distance`.
    pub fn as_u32(&self) -> Option<u32> {
        use rust_decimal::prelude::ToPrimitive;
        self.value.to_u32()
    }

    /// The JSON text to echo.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl Default for Number {
    fn default() -> Number {
        Number::new(Decimal::ZERO, "0")
    }
}

/// The value of an optional number, absent counting as zero (`03` §9).
pub fn value_or_zero(number: &Option<Number>) -> Decimal {
    number.as_ref().map_or(Decimal::ZERO, Number::value)
}

/// A state code as sent (`"7"` or `"07"`); compared by its number, echoed as its text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateCode {
    pub number: u8,
    pub text: String,
}

/// A GSTIN of the right shape, upper-cased (`^([0-9]{2}[0-9A-Z]{13})$`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Gstin(pub(crate) String);

impl Gstin {
    /// A GSTIN of the schema's shape, in any case, kept upper-cased; the check character is
    /// not verified here (`gstin::check_character_is_valid` does that where a rule asks for it).
    pub fn parse(text: &str) -> Option<Gstin> {
        let upper = text.to_ascii_uppercase();
        (crate::bind::patterns::GSTIN.test)(&upper).then_some(Gstin(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit state prefix.
    pub fn state_number(&self) -> u8 {
        let bytes = self.0.as_bytes();
        (bytes[0] - b'0') * 10 + (bytes[1] - b'0')
    }
}

impl std::fmt::Display for Gstin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GSTIN compares with text exactly: the text must already be upper case.
impl PartialEq<str> for Gstin {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// A recipient or ship-to GSTIN: a registered GSTIN or the literal `URP`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PartyGstin {
    Registered(Gstin),
    #[default]
    Unregistered,
}

impl PartyGstin {
    pub fn as_str(&self) -> &str {
        match self {
            PartyGstin::Registered(gstin) => gstin.as_str(),
            PartyGstin::Unregistered => "URP",
        }
    }

    pub fn registered(&self) -> Option<&Gstin> {
        match self {
            PartyGstin::Registered(gstin) => Some(gstin),
            PartyGstin::Unregistered => None,
        }
    }
}

/// `TranDtls.SupTyp` (`supply-types.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SupplyType {
    #[default]
    B2b,
    SezWithPayment,
    SezWithoutPayment,
    ExportWithPayment,
    ExportWithoutPayment,
    DeemedExport,
}

impl SupplyType {
    pub const ALL: [SupplyType; 6] = [
        SupplyType::B2b,
        SupplyType::SezWithPayment,
        SupplyType::SezWithoutPayment,
        SupplyType::ExportWithPayment,
        SupplyType::ExportWithoutPayment,
        SupplyType::DeemedExport,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SupplyType::B2b => "B2B",
            SupplyType::SezWithPayment => "SEZWP",
            SupplyType::SezWithoutPayment => "SEZWOP",
            SupplyType::ExportWithPayment => "EXPWP",
            SupplyType::ExportWithoutPayment => "EXPWOP",
            SupplyType::DeemedExport => "DEXP",
        }
    }

    pub fn is_export(self) -> bool {
        matches!(
            self,
            SupplyType::ExportWithPayment | SupplyType::ExportWithoutPayment
        )
    }

    pub fn is_sez(self) -> bool {
        matches!(
            self,
            SupplyType::SezWithPayment | SupplyType::SezWithoutPayment
        )
    }

    /// Supplies under bond or LUT, where no tax is paid (`04` A-04, D-44).
    pub fn is_without_payment(self) -> bool {
        matches!(
            self,
            SupplyType::SezWithoutPayment | SupplyType::ExportWithoutPayment
        )
    }
}

/// `DocDtls.Typ` (`doc-types.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DocType {
    #[default]
    Invoice,
    CreditNote,
    DebitNote,
}

impl DocType {
    pub const ALL: [DocType; 3] = [DocType::Invoice, DocType::CreditNote, DocType::DebitNote];

    /// The type whose code is `code` (upper case, as stored).
    pub fn from_code(code: &str) -> Option<DocType> {
        DocType::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            DocType::Invoice => "INV",
            DocType::CreditNote => "CRN",
            DocType::DebitNote => "DBN",
        }
    }
}

/// The root of INV-01, sections in canonical order (`03` §2).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Invoice {
    pub version: String,
    pub tran_dtls: TranDtls,
    pub doc_dtls: DocDtls,
    pub seller_dtls: SellerDtls,
    pub buyer_dtls: BuyerDtls,
    pub disp_dtls: Option<DispDtls>,
    pub ship_dtls: Option<ShipDtls>,
    pub item_list: Vec<Item>,
    pub val_dtls: ValDtls,
    pub pay_dtls: Option<PayDtls>,
    pub ref_dtls: Option<RefDtls>,
    pub addl_doc_dtls: Option<Vec<AddlDocDtls>>,
    pub exp_dtls: Option<ExpDtls>,
    pub ewb_dtls: Option<EwbDtls>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TranDtls {
    pub tax_sch: String,
    pub sup_typ: SupplyType,
    /// Reverse charge; `None` when not sent (counts as `N`).
    pub reg_rev: Option<bool>,
    pub ecm_gstin: Option<Gstin>,
    pub igst_on_intra: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DocDtls {
    pub typ: DocType,
    /// The stored form: upper-cased unless `irn.uppercase_docno` is off.
    pub no: String,
    pub dt: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SellerDtls {
    pub gstin: Gstin,
    pub lgl_nm: String,
    pub trd_nm: Option<String>,
    pub addr1: String,
    pub addr2: Option<String>,
    pub loc: String,
    pub pin: Number,
    pub stcd: StateCode,
    pub ph: Option<String>,
    pub em: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BuyerDtls {
    pub gstin: PartyGstin,
    pub lgl_nm: String,
    pub trd_nm: Option<String>,
    pub pos: StateCode,
    pub addr1: String,
    pub addr2: Option<String>,
    pub loc: String,
    pub pin: Option<Number>,
    pub stcd: StateCode,
    pub ph: Option<String>,
    pub em: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DispDtls {
    pub nm: String,
    pub addr1: String,
    pub addr2: Option<String>,
    pub loc: String,
    pub pin: Number,
    pub stcd: StateCode,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShipDtls {
    pub gstin: Option<PartyGstin>,
    pub lgl_nm: String,
    pub trd_nm: Option<String>,
    pub addr1: String,
    pub addr2: Option<String>,
    pub loc: String,
    pub pin: Number,
    pub stcd: StateCode,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    pub sl_no: String,
    pub is_servc: bool,
    pub prd_desc: Option<String>,
    pub hsn_cd: String,
    pub barcde: Option<String>,
    pub qty: Option<Number>,
    pub free_qty: Option<Number>,
    pub unit: Option<String>,
    pub unit_price: Number,
    pub tot_amt: Number,
    pub discount: Option<Number>,
    pub pre_tax_val: Option<Number>,
    pub ass_amt: Number,
    pub gst_rt: Number,
    pub igst_amt: Option<Number>,
    pub cgst_amt: Option<Number>,
    pub sgst_amt: Option<Number>,
    pub ces_rt: Option<Number>,
    pub ces_amt: Option<Number>,
    pub ces_non_advl_amt: Option<Number>,
    pub state_ces_rt: Option<Number>,
    pub state_ces_amt: Option<Number>,
    pub state_ces_non_advl_amt: Option<Number>,
    pub oth_chrg: Option<Number>,
    pub tot_item_val: Number,
    pub ord_line_ref: Option<String>,
    pub org_cntry: Option<String>,
    pub prd_sl_no: Option<String>,
    pub bch_dtls: Option<BchDtls>,
    pub attrib_dtls: Option<Vec<AttribDtls>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BchDtls {
    pub nm: String,
    pub exp_dt: Option<NaiveDate>,
    pub wr_dt: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttribDtls {
    pub nm: Option<String>,
    pub val: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValDtls {
    pub ass_val: Number,
    pub cgst_val: Option<Number>,
    pub sgst_val: Option<Number>,
    pub igst_val: Option<Number>,
    pub ces_val: Option<Number>,
    pub st_ces_val: Option<Number>,
    pub discount: Option<Number>,
    pub oth_chrg: Option<Number>,
    pub rnd_off_amt: Option<Number>,
    pub tot_inv_val: Number,
    pub tot_inv_val_fc: Option<Number>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PayDtls {
    pub nm: Option<String>,
    pub acc_det: Option<String>,
    pub mode: Option<String>,
    pub fin_ins_br: Option<String>,
    pub pay_term: Option<String>,
    pub pay_instr: Option<String>,
    pub cr_trn: Option<String>,
    pub dir_dr: Option<String>,
    pub cr_day: Option<Number>,
    pub paid_amt: Option<Number>,
    pub paymt_due: Option<Number>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RefDtls {
    pub inv_rm: Option<String>,
    pub doc_perd_dtls: Option<DocPerdDtls>,
    pub prec_doc_dtls: Option<Vec<PrecDocDtls>>,
    pub contr_dtls: Option<Vec<ContrDtls>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DocPerdDtls {
    pub inv_st_dt: NaiveDate,
    pub inv_end_dt: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PrecDocDtls {
    pub inv_no: String,
    pub inv_dt: NaiveDate,
    pub oth_ref_no: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContrDtls {
    pub rec_adv_refr: Option<String>,
    pub rec_adv_dt: Option<NaiveDate>,
    pub tend_refr: Option<String>,
    pub contr_refr: Option<String>,
    pub ext_refr: Option<String>,
    pub proj_refr: Option<String>,
    pub po_refr: Option<String>,
    pub po_ref_dt: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AddlDocDtls {
    pub url: Option<String>,
    pub docs: Option<String>,
    pub info: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpDtls {
    pub ship_b_no: Option<String>,
    pub ship_b_dt: Option<NaiveDate>,
    pub port: Option<String>,
    pub ref_clm: Option<bool>,
    pub for_cur: Option<String>,
    pub cnt_code: Option<String>,
    pub exp_duty: Option<Number>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EwbDtls {
    pub trans_id: Option<Gstin>,
    pub trans_name: Option<String>,
    /// `1` road, `2` rail, `3` air, `4` ship.
    pub trans_mode: Option<String>,
    pub distance: Number,
    pub trans_doc_no: Option<String>,
    pub trans_doc_dt: Option<NaiveDate>,
    /// Normalised: upper-cased, spaces and hyphens removed (`03` §15).
    pub veh_no: Option<String>,
    /// `R` regular or `O` over-dimensional cargo.
    pub veh_type: Option<String>,
}

impl Invoice {
    /// True when every item is a service (`IsServc = Y`).
    pub fn all_services(&self) -> bool {
        self.item_list.iter().all(|item| item.is_servc)
    }

    /// Reverse charge applies (`RegRev = Y`).
    pub fn reverse_charge(&self) -> bool {
        self.tran_dtls.reg_rev == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gstins_parse_by_shape_and_are_kept_upper_case() {
        let gstin = Gstin::parse("29aawpv7107b1z1").unwrap();
        assert_eq!(gstin.as_str(), "29AAWPV7107B1Z1");
        assert_eq!(gstin.state_number(), 29);
        for bad in [
            "",
            "29AAWPV7107B1Z",
            "29AAWPV7107B1Z1X",
            "X9AAWPV7107B1Z1",
            "29AAWPV7107B1Z-",
        ] {
            assert_eq!(Gstin::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_gstin_prints_and_compares_as_its_upper_case_text() {
        let gstin = Gstin::parse("29aawpv7107b1z1").unwrap();
        assert_eq!(gstin.to_string(), "29AAWPV7107B1Z1");
        assert!(gstin == *"29AAWPV7107B1Z1");
        assert!(
            gstin != *"29aawpv7107b1z1",
            "text must already be upper case"
        );
        assert!(gstin != *"27AAWPV7107B1Z1");
    }

    #[test]
    fn a_number_the_portal_writes_keeps_its_value_and_plain_text() {
        let number = Number::from_decimal(Decimal::new(10050, 2));
        assert_eq!(number.value(), Decimal::new(10050, 2));
        assert_eq!(number.text(), "100.50");
    }

    #[test]
    fn doc_types_round_trip_through_their_codes() {
        for doc_type in DocType::ALL {
            assert_eq!(DocType::from_code(doc_type.code()), Some(doc_type));
        }
        assert_eq!(DocType::from_code("inv"), None);
        assert_eq!(DocType::from_code("BIL"), None);
    }
}
