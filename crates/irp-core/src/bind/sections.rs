//! One binding function per INV-01 section, fields in the canonical order of `03`.
//!
//! Each field is bound once with its spec; a required field that is missing is reported and
//! filled with a default that is never observed, because any error makes binding fail.

use crate::bind::fields::{
    DateSpec, ITEM_AMOUNT, NumSpec, PIN, QUANTITY, RATE, ROUND_OFF, TOTAL_AMOUNT, TextSpec,
    UNIT_PRICE,
};
use crate::bind::patterns as p;
use crate::bind::{Binder, Field, Object};
use crate::codes::Code;
use crate::invoice::*;
use crate::json::Value;
use crate::masters;
use crate::rules::MAX_ITEMS_CEILING;

const GSTIN: TextSpec = TextSpec::pattern(15, 15, &p::GSTIN).upper();
const PARTY_GSTIN: TextSpec = TextSpec::pattern(3, 15, &p::GSTIN_OR_URP).upper();
const NAME: TextSpec = TextSpec::free(3, 100);
const ADDR1: TextSpec = TextSpec::free(1, 100);
const ADDR2: TextSpec = TextSpec::free(3, 100);
const LOC: TextSpec = TextSpec::free(3, 100);
const PHONE: TextSpec = TextSpec::pattern(6, 12, &p::PHONE);
const EMAIL: TextSpec = TextSpec::pattern(6, 100, &p::EMAIL);
const STATE: TextSpec = TextSpec::pattern(1, 2, &p::STATE_CODE);
const REF_20: TextSpec = TextSpec::free(1, 20);
const PAY_100: TextSpec = TextSpec::free(1, 100);

impl<'r> Binder<'r> {
    pub(crate) fn required<T: Default>(
        &mut self,
        field: Field<T>,
        name: &'static str,
        code: Option<Code>,
    ) -> T {
        match field {
            Field::Valid(value) => value,
            Field::Absent => {
                self.missing(name, code);
                T::default()
            }
            Field::Invalid => T::default(),
        }
    }

    fn document_date(&self) -> DateSpec {
        DateSpec {
            years: self.rules().date_year_range,
            code: None,
        }
    }

    fn date_field(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
    ) -> Option<chrono::NaiveDate> {
        let spec = self.document_date();
        self.date(object, name, &spec).ok()
    }

    fn optional_text(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &TextSpec,
    ) -> Option<String> {
        self.text(object, name, spec).ok()
    }

    fn required_text(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &TextSpec,
    ) -> String {
        let field = self.text(object, name, spec);
        self.required(field, name, None)
    }

    fn optional_number(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &NumSpec,
    ) -> Option<Number> {
        self.number(object, name, spec).ok()
    }

    fn required_number(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &NumSpec,
    ) -> Number {
        let field = self.number(object, name, spec);
        self.required(field, name, None)
    }

    /// A state code field: pattern, and the state master when `master_code` is given
    /// (`04` V-11–V-13). `2200` carries the value sent.
    fn state_code(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        master_code: Option<Code>,
    ) -> Field<StateCode> {
        let spec = match master_code {
            Some(code) => STATE.code(code),
            None => STATE,
        };
        let text = match self.text(object, name, &spec) {
            Field::Valid(text) => text,
            Field::Absent => return Field::Absent,
            Field::Invalid => return Field::Invalid,
        };
        let number: u8 = text.parse().unwrap_or(0);
        if let Some(code) = master_code
            && !masters::is_state_master_code(number)
        {
            self.coded_error(Some(name), code, &[&text]);
            return Field::Invalid;
        }
        Field::Valid(StateCode { number, text })
    }

    fn gstin(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &TextSpec,
    ) -> Field<Gstin> {
        self.text(object, name, spec).map(Gstin)
    }

    fn party_gstin(&mut self, object: Object<'_, '_>, name: &'static str) -> Field<PartyGstin> {
        self.text(object, name, &PARTY_GSTIN).map(|text| {
            if text == "URP" {
                PartyGstin::Unregistered
            } else {
                PartyGstin::Registered(Gstin(text))
            }
        })
    }
}

pub(crate) fn invoice(b: &mut Binder<'_>, root: Object<'_, '_>) -> Invoice {
    let version = match b.text(root, "Version", &TextSpec::free(1, 10)) {
        Field::Valid(version) if version == "1.1" => version,
        Field::Valid(_) => {
            b.template_error(Some("Version"), "The field {path} must be one of: 1.1.");
            String::new()
        }
        other => b.required(other, "Version", None),
    };
    if b.raw(root, "Irn").is_some() {
        b.template_error(Some("Irn"), "The field {path} must not be sent.");
    }
    let tran_dtls = b.object(root, "TranDtls", tran_dtls);
    let tran_dtls = b.required(tran_dtls, "TranDtls", None);
    let doc_dtls = b.object(root, "DocDtls", doc_dtls);
    let doc_dtls = b.required(doc_dtls, "DocDtls", None);
    let seller_dtls = b.object(root, "SellerDtls", seller_dtls);
    let seller_dtls = b.required(seller_dtls, "SellerDtls", None);
    let buyer_dtls = b.object(root, "BuyerDtls", buyer_dtls);
    let buyer_dtls = b.required(buyer_dtls, "BuyerDtls", None);
    let disp_dtls = b.object(root, "DispDtls", disp_dtls).ok();
    let ship_dtls = b.object(root, "ShipDtls", ship_dtls).ok();
    let item_list = item_list(b, root, &seller_dtls);
    let val_dtls = b.object(root, "ValDtls", val_dtls);
    let val_dtls = b.required(val_dtls, "ValDtls", None);
    let pay_dtls = b.object(root, "PayDtls", pay_dtls).ok();
    let ref_dtls = b.object(root, "RefDtls", ref_dtls).ok();
    let addl_doc_dtls = b
        .array(root, "AddlDocDtls", usize::MAX, addl_doc_dtls)
        .ok()
        .and_then(Result::ok);
    let exp_dtls = b.object(root, "ExpDtls", exp_dtls).ok();
    let ewb_dtls = b.object(root, "EwbDtls", ewb_dtls).ok();
    Invoice {
        version,
        tran_dtls,
        doc_dtls,
        seller_dtls,
        buyer_dtls,
        disp_dtls,
        ship_dtls,
        item_list,
        val_dtls,
        pay_dtls,
        ref_dtls,
        addl_doc_dtls,
        exp_dtls,
        ewb_dtls,
    }
}

/// `ItemList`: 1 to the supplier's limit (V-14, V-15). The limit is the seller's own `max_items`
/// from the register (at most 5000) or `limits.max_items`; arrays beyond 5000 are not bound.
fn item_list(b: &mut Binder<'_>, root: Object<'_, '_>, seller: &SellerDtls) -> Vec<Item> {
    let limit = b
        .register()
        .taxpayer(seller.gstin.as_str())
        .and_then(|taxpayer| taxpayer.max_items)
        .map_or(b.rules().max_items, |own| {
            (own as usize).min(MAX_ITEMS_CEILING)
        });
    let sent = match b.raw(root, "ItemList") {
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    };
    // Reported before the items' own errors, which could otherwise crowd it out.
    if sent > limit {
        b.coded_error(Some("ItemList"), Code::E2173, &[]);
    }
    match b.array(root, "ItemList", MAX_ITEMS_CEILING, item) {
        Field::Valid(Ok(items)) if sent > 0 => items,
        Field::Valid(Ok(_)) | Field::Absent => {
            b.coded_error(Some("ItemList"), Code::E2228, &[]);
            Vec::new()
        }
        Field::Valid(Err(_)) | Field::Invalid => Vec::new(),
    }
}

const SUPPLY_TYPES: [(&str, SupplyType); 6] = [
    ("B2B", SupplyType::B2b),
    ("SEZWP", SupplyType::SezWithPayment),
    ("SEZWOP", SupplyType::SezWithoutPayment),
    ("EXPWP", SupplyType::ExportWithPayment),
    ("EXPWOP", SupplyType::ExportWithoutPayment),
    ("DEXP", SupplyType::DeemedExport),
];

const DOC_TYPES: [(&str, DocType); 3] = [
    ("INV", DocType::Invoice),
    ("CRN", DocType::CreditNote),
    ("DBN", DocType::DebitNote),
];

const TRANS_MODES: [(&str, &str); 4] = [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")];

fn tran_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> TranDtls {
    let tax_sch = b.pattern_choice(
        o,
        "TaxSch",
        &TextSpec::pattern(3, 10, &p::TAX_SCH),
        &[("GST", ())],
    );
    let tax_sch = tax_sch.map(|()| "GST".to_owned());
    let sup_typ = b.pattern_choice(
        o,
        "SupTyp",
        &TextSpec::pattern(3, 10, &p::SUP_TYP),
        &SUPPLY_TYPES,
    );
    TranDtls {
        tax_sch: b.required(tax_sch, "TaxSch", None),
        sup_typ: b.required(sup_typ, "SupTyp", None),
        reg_rev: b.flag(o, "RegRev", Some(Code::E2159)).ok(),
        ecm_gstin: b.gstin(o, "EcmGstin", &GSTIN).ok(),
        igst_on_intra: b.flag(o, "IgstOnIntra", Some(Code::E2263)).ok(),
    }
}

fn doc_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> DocDtls {
    let typ = b.choice(o, "Typ", &DOC_TYPES, Some(Code::E2161));
    let typ = b.required(typ, "Typ", None);
    let no_spec = TextSpec::pattern(1, 16, &p::DOC_NO);
    let no_spec = if b.rules().uppercase_docno {
        no_spec.upper()
    } else {
        no_spec
    };
    let no = b.required_text(o, "No", &no_spec);
    let date_spec = DateSpec {
        years: b.rules().date_year_range,
        code: Some(Code::E2144),
    };
    let dt = b.date(o, "Dt", &date_spec);
    DocDtls {
        typ,
        no,
        dt: b.required(dt, "Dt", None),
    }
}

fn seller_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> SellerDtls {
    let gstin = match b.raw(o, "Gstin").and_then(|value| value.as_str()) {
        Some(text) if text.trim().eq_ignore_ascii_case("URP") => {
            b.coded_error(Some("Gstin"), Code::E2213, &[]);
            Field::Invalid
        }
        _ => b.gstin(o, "Gstin", &GSTIN),
    };
    let gstin = b.required(gstin, "Gstin", Some(Code::E2155));
    let lgl_nm = b.required_text(o, "LglNm", &NAME);
    let trd_nm = b.optional_text(o, "TrdNm", &NAME);
    let addr1 = b.required_text(o, "Addr1", &ADDR1);
    let addr2 = b.optional_text(o, "Addr2", &ADDR2);
    let loc = b.required_text(o, "Loc", &TextSpec::free(3, 50));
    let pin = b.required_number(o, "Pin", &PIN);
    let stcd = b.state_code(o, "Stcd", Some(Code::E2259));
    let stcd = b.required(stcd, "Stcd", None);
    SellerDtls {
        gstin,
        lgl_nm,
        trd_nm,
        addr1,
        addr2,
        loc,
        pin,
        stcd,
        ph: b.optional_text(o, "Ph", &PHONE),
        em: b.optional_text(o, "Em", &EMAIL),
    }
}

fn buyer_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> BuyerDtls {
    let gstin = b.party_gstin(o, "Gstin");
    let gstin = b.required(gstin, "Gstin", None);
    let lgl_nm = b.required_text(o, "LglNm", &NAME);
    let trd_nm = b.optional_text(o, "TrdNm", &NAME);
    let pos = b.state_code(o, "Pos", None);
    let pos = b.required(pos, "Pos", None);
    let addr1 = b.required_text(o, "Addr1", &ADDR1);
    let addr2 = b.optional_text(o, "Addr2", &ADDR2);
    let loc = b.required_text(o, "Loc", &LOC);
    let pin = b.optional_number(o, "Pin", &PIN);
    let stcd = b.state_code(o, "Stcd", Some(Code::E2260));
    let stcd = b.required(stcd, "Stcd", None);
    BuyerDtls {
        gstin,
        lgl_nm,
        trd_nm,
        pos,
        addr1,
        addr2,
        loc,
        pin,
        stcd,
        ph: b.optional_text(o, "Ph", &PHONE),
        em: b.optional_text(o, "Em", &EMAIL),
    }
}

pub(crate) fn disp_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> DispDtls {
    let nm = b.required_text(o, "Nm", &NAME);
    let addr1 = b.required_text(o, "Addr1", &ADDR1);
    let addr2 = b.optional_text(o, "Addr2", &ADDR2);
    let loc = b.required_text(o, "Loc", &LOC);
    let pin = b.required_number(o, "Pin", &PIN);
    let stcd = b.state_code(o, "Stcd", Some(Code::E2200));
    DispDtls {
        nm,
        addr1,
        addr2,
        loc,
        pin,
        stcd: b.required(stcd, "Stcd", None),
    }
}

fn ship_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> ShipDtls {
    let gstin = b.party_gstin(o, "Gstin").ok();
    // D-60: optionally, a ship-to GSTIN outside the register must pass the check character.
    if let Some(PartyGstin::Registered(registered)) = &gstin
        && b.rules().strict_gstin_checksum
        && !crate::gstin::check_character_is_valid(registered.as_str())
        && b.register().taxpayer(registered.as_str()).is_none()
    {
        b.template_error(Some("Gstin"), "The field {path} has an invalid value.");
    }
    let lgl_nm = b.required_text(o, "LglNm", &NAME);
    let trd_nm = b.optional_text(o, "TrdNm", &NAME);
    let addr1 = b.required_text(o, "Addr1", &ADDR1);
    let addr2 = b.optional_text(o, "Addr2", &ADDR2);
    let loc = b.required_text(o, "Loc", &LOC);
    let pin = b.required_number(o, "Pin", &PIN);
    let stcd = b.state_code(o, "Stcd", Some(Code::E2200));
    ShipDtls {
        gstin,
        lgl_nm,
        trd_nm,
        addr1,
        addr2,
        loc,
        pin,
        stcd: b.required(stcd, "Stcd", None),
    }
}

fn item(b: &mut Binder<'_>, o: Object<'_, '_>) -> Item {
    let sl_no = b.required_text(o, "SlNo", &TextSpec::pattern(1, 6, &p::SL_NO));
    let is_servc = b.flag(o, "IsServc", None);
    let is_servc = b.required(is_servc, "IsServc", None);
    let prd_desc = b.optional_text(o, "PrdDesc", &TextSpec::free(3, 300));
    let hsn_cd = b.required_text(o, "HsnCd", &TextSpec::pattern(4, 8, &p::HSN));
    let barcde = b.optional_text(o, "Barcde", &TextSpec::free(3, 30));
    let qty = b.optional_number(o, "Qty", &QUANTITY);
    let free_qty = b.optional_number(o, "FreeQty", &QUANTITY);
    let unit = b.optional_text(o, "Unit", &TextSpec::pattern(3, 8, &p::UNIT).upper());
    let unit_price = b.required_number(o, "UnitPrice", &UNIT_PRICE);
    let tot_amt = b.required_number(o, "TotAmt", &ITEM_AMOUNT);
    let discount = b.optional_number(o, "Discount", &ITEM_AMOUNT);
    let pre_tax_val = b.optional_number(o, "PreTaxVal", &ITEM_AMOUNT);
    let ass_amt = b.required_number(o, "AssAmt", &ITEM_AMOUNT);
    let gst_rt = b.required_number(o, "GstRt", &RATE);
    let igst_amt = b.optional_number(o, "IgstAmt", &ITEM_AMOUNT);
    let cgst_amt = b.optional_number(o, "CgstAmt", &ITEM_AMOUNT);
    let sgst_amt = b.optional_number(o, "SgstAmt", &ITEM_AMOUNT);
    let ces_rt = b.optional_number(o, "CesRt", &RATE);
    let ces_amt = b.optional_number(o, "CesAmt", &ITEM_AMOUNT);
    let ces_non_advl_amt = b.optional_number(o, "CesNonAdvlAmt", &ITEM_AMOUNT);
    let state_ces_rt = b.optional_number(o, "StateCesRt", &RATE);
    let state_ces_amt = b.optional_number(o, "StateCesAmt", &ITEM_AMOUNT);
    let state_ces_non_advl_amt = b.optional_number(o, "StateCesNonAdvlAmt", &ITEM_AMOUNT);
    let oth_chrg = b.optional_number(o, "OthChrg", &ITEM_AMOUNT);
    let tot_item_val = b.required_number(o, "TotItemVal", &ITEM_AMOUNT);
    let ord_line_ref = b.optional_text(o, "OrdLineRef", &TextSpec::free(1, 50));
    let org_cntry = b.optional_text(
        o,
        "OrgCntry",
        &TextSpec::pattern(2, 2, &p::ORG_CNTRY).upper(),
    );
    let prd_sl_no = b.optional_text(o, "PrdSlNo", &REF_20);
    let bch_dtls = b.object(o, "BchDtls", bch_dtls).ok();
    let attrib_dtls = b
        .array(o, "AttribDtls", usize::MAX, attrib_dtls)
        .ok()
        .and_then(Result::ok);
    Item {
        sl_no,
        is_servc,
        prd_desc,
        hsn_cd,
        barcde,
        qty,
        free_qty,
        unit,
        unit_price,
        tot_amt,
        discount,
        pre_tax_val,
        ass_amt,
        gst_rt,
        igst_amt,
        cgst_amt,
        sgst_amt,
        ces_rt,
        ces_amt,
        ces_non_advl_amt,
        state_ces_rt,
        state_ces_amt,
        state_ces_non_advl_amt,
        oth_chrg,
        tot_item_val,
        ord_line_ref,
        org_cntry,
        prd_sl_no,
        bch_dtls,
        attrib_dtls,
    }
}

/// Batch dates accept years 1980–2099 whatever the document-date range (`03` §1 rule 13).
const BATCH_DATE: DateSpec = DateSpec {
    years: (1980, 2099),
    code: None,
};

fn bch_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> BchDtls {
    let nm = b.required_text(o, "Nm", &TextSpec::free(3, 20));
    BchDtls {
        nm,
        exp_dt: b.date(o, "ExpDt", &BATCH_DATE).ok(),
        wr_dt: b.date(o, "WrDt", &BATCH_DATE).ok(),
    }
}

fn attrib_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> AttribDtls {
    AttribDtls {
        nm: b.optional_text(o, "Nm", &PAY_100),
        val: b.optional_text(o, "Val", &PAY_100),
    }
}

fn val_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> ValDtls {
    ValDtls {
        ass_val: b.required_number(o, "AssVal", &TOTAL_AMOUNT),
        cgst_val: b.optional_number(o, "CgstVal", &TOTAL_AMOUNT),
        sgst_val: b.optional_number(o, "SgstVal", &TOTAL_AMOUNT),
        igst_val: b.optional_number(o, "IgstVal", &TOTAL_AMOUNT),
        ces_val: b.optional_number(o, "CesVal", &TOTAL_AMOUNT),
        st_ces_val: b.optional_number(o, "StCesVal", &TOTAL_AMOUNT),
        discount: b.optional_number(o, "Discount", &TOTAL_AMOUNT),
        oth_chrg: b.optional_number(o, "OthChrg", &TOTAL_AMOUNT),
        rnd_off_amt: b.optional_number(o, "RndOffAmt", &ROUND_OFF),
        tot_inv_val: b.required_number(o, "TotInvVal", &TOTAL_AMOUNT),
        tot_inv_val_fc: b.optional_number(o, "TotInvValFc", &TOTAL_AMOUNT),
    }
}

fn pay_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> PayDtls {
    PayDtls {
        nm: b.optional_text(o, "Nm", &PAY_100),
        acc_det: b.optional_text(o, "AccDet", &TextSpec::free(1, 18)),
        mode: b.optional_text(o, "Mode", &TextSpec::free(1, 18)),
        fin_ins_br: b.optional_text(o, "FinInsBr", &TextSpec::free(1, 11)),
        pay_term: b.optional_text(o, "PayTerm", &PAY_100),
        pay_instr: b.optional_text(o, "PayInstr", &PAY_100),
        cr_trn: b.optional_text(o, "CrTrn", &PAY_100),
        dir_dr: b.optional_text(o, "DirDr", &PAY_100),
        cr_day: b.optional_number(o, "CrDay", &NumSpec::integer(0, 9999)),
        paid_amt: b.optional_number(o, "PaidAmt", &TOTAL_AMOUNT),
        paymt_due: b.optional_number(o, "PaymtDue", &TOTAL_AMOUNT),
    }
}

fn ref_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> RefDtls {
    RefDtls {
        inv_rm: b.optional_text(o, "InvRm", &NAME),
        doc_perd_dtls: b.object(o, "DocPerdDtls", doc_perd_dtls).ok(),
        prec_doc_dtls: b
            .array(o, "PrecDocDtls", usize::MAX, prec_doc_dtls)
            .ok()
            .and_then(Result::ok),
        contr_dtls: b
            .array(o, "ContrDtls", usize::MAX, contr_dtls)
            .ok()
            .and_then(Result::ok),
    }
}

fn doc_perd_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> DocPerdDtls {
    let spec = b.document_date();
    let start = b.date(o, "InvStDt", &spec);
    let end = b.date(o, "InvEndDt", &spec);
    DocPerdDtls {
        inv_st_dt: b.required(start, "InvStDt", None),
        inv_end_dt: b.required(end, "InvEndDt", None),
    }
}

fn prec_doc_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> PrecDocDtls {
    let inv_no = b.required_text(o, "InvNo", &TextSpec::pattern(1, 16, &p::PREC_INV_NO));
    let spec = b.document_date();
    let inv_dt = b.date(o, "InvDt", &spec);
    let inv_dt = b.required(inv_dt, "InvDt", None);
    PrecDocDtls {
        inv_no,
        inv_dt,
        oth_ref_no: b.optional_text(o, "OthRefNo", &REF_20),
    }
}

fn contr_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> ContrDtls {
    ContrDtls {
        rec_adv_refr: b.optional_text(o, "RecAdvRefr", &REF_20),
        rec_adv_dt: b.date_field(o, "RecAdvDt"),
        tend_refr: b.optional_text(o, "TendRefr", &REF_20),
        contr_refr: b.optional_text(o, "ContrRefr", &REF_20),
        ext_refr: b.optional_text(o, "ExtRefr", &REF_20),
        proj_refr: b.optional_text(o, "ProjRefr", &REF_20),
        po_refr: b.optional_text(o, "PORefr", &TextSpec::free(1, 16)),
        po_ref_dt: b.date_field(o, "PORefDt"),
    }
}

fn addl_doc_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> AddlDocDtls {
    AddlDocDtls {
        url: b.optional_text(o, "Url", &TextSpec::free(3, 100)),
        docs: b.optional_text(o, "Docs", &TextSpec::free(3, 1000)),
        info: b.optional_text(o, "Info", &TextSpec::free(3, 1000)),
    }
}

fn exp_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> ExpDtls {
    let ship_b_no = b.optional_text(o, "ShipBNo", &REF_20);
    let ship_b_dt = b.date_field(o, "ShipBDt");
    let port = b.optional_text(
        o,
        "Port",
        &TextSpec::pattern(2, 10, &p::PORT).upper().code(Code::E2201),
    );
    let port = port.filter(|code| {
        let known = b
            .rules()
            .ports
            .as_ref()
            .is_none_or(|ports| ports.contains(code));
        if !known {
            b.coded_error(Some("Port"), Code::E2201, &[]);
        }
        known
    });
    let ref_clm = b.flag(o, "RefClm", None).ok();
    let for_cur = b.optional_text(
        o,
        "ForCur",
        &TextSpec::pattern(3, 16, &p::FOR_CUR)
            .upper()
            .code(Code::E2203),
    );
    let for_cur = for_cur.filter(|code| {
        let known = masters::is_currency_code(code);
        if !known {
            b.coded_error(Some("ForCur"), Code::E2203, &[]);
        }
        known
    });
    let cnt_code = b.optional_text(
        o,
        "CntCode",
        &TextSpec::pattern(2, 2, &p::CNT_CODE)
            .upper()
            .code(Code::E2202),
    );
    let cnt_code = cnt_code.filter(|code| {
        let known = masters::is_country_code(code);
        if !known {
            b.coded_error(Some("CntCode"), Code::E2202, &[]);
        }
        known
    });
    ExpDtls {
        ship_b_no,
        ship_b_dt,
        port,
        ref_clm,
        for_cur,
        cnt_code,
        exp_duty: b.optional_number(o, "ExpDuty", &ITEM_AMOUNT),
    }
}

pub(crate) fn ewb_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> EwbDtls {
    let trans_id = b.gstin(o, "TransId", &GSTIN.code(Code::E4018)).ok();
    let trans_name = b.optional_text(o, "TransName", &NAME);
    let trans_mode = b
        .pattern_choice(
            o,
            "TransMode",
            &TextSpec::pattern(1, 1, &p::TRANS_MODE),
            &TRANS_MODES,
        )
        .ok()
        .map(str::to_owned);
    let distance = b.number(
        o,
        "Distance",
        &NumSpec::integer(0, 4000).above_max_code(Code::E4038),
    );
    let distance = b.required(distance, "Distance", None);
    let trans_doc_no =
        b.optional_text(o, "TransDocNo", &TextSpec::pattern(1, 15, &p::TRANS_DOC_NO));
    let trans_doc_dt = b
        .date(
            o,
            "TransDocDt",
            &DateSpec {
                years: b.rules().date_year_range,
                code: Some(Code::E4017),
            },
        )
        .ok();
    let veh_no = vehicle_number(b, o);
    let veh_type = b
        .choice(o, "VehType", &[("R", "R"), ("O", "O")], Some(Code::E4020))
        .ok()
        .map(str::to_owned);
    EwbDtls {
        trans_id,
        trans_name,
        trans_mode,
        distance,
        trans_doc_no,
        trans_doc_dt,
        veh_no,
        veh_type,
    }
}

/// `VehNo` is normalised before any check: upper-cased, spaces and hyphens removed (`03` §15).
fn vehicle_number(b: &mut Binder<'_>, o: Object<'_, '_>) -> Option<String> {
    let spec = TextSpec::pattern(4, 20, &p::VEH_NO).code(Code::E4014);
    let raw = b
        .text(o, "VehNo", &TextSpec::free(0, usize::MAX).code(Code::E4014))
        .ok()?;
    let normalised = normalise_vehicle_number(&raw);
    b.check_text("VehNo", &normalised, &spec)
        .then_some(normalised)
}

/// Upper-cases a vehicle number and removes spaces and hyphens (`ka-12 er 1234` → `KA12ER1234`).
pub fn normalise_vehicle_number(raw: &str) -> String {
    raw.chars()
        .filter(|c| *c != ' ' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `ExpShipDtls` of Generate EWB by IRN (`02` §2.8): the port or place of export.
pub(crate) fn exp_ship_dtls(b: &mut Binder<'_>, o: Object<'_, '_>) -> (Number, StateCode) {
    let _addr1 = b.required_text(o, "Addr1", &ADDR1);
    let _addr2 = b.optional_text(o, "Addr2", &ADDR2);
    let _loc = b.required_text(o, "Loc", &LOC);
    let pin = b.required_number(o, "Pin", &PIN);
    let stcd = b.state_code(o, "Stcd", Some(Code::E2200));
    (pin, b.required(stcd, "Stcd", None))
}
