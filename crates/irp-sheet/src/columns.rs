//! The column table: the one list of columns that the reader, the template writer and the
//! documentation share.

/// How a column's cells are read and how the value is written in the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JSON string. A numeric cell is accepted and written as its number's text (`29` → `"29"`).
    Text,
    /// A JSON number. A numeric cell, or a text cell holding a plain decimal (`12.5`, `-0.3`).
    Number,
    /// A JSON number without a fraction (`Pin`, `CrDay`, `Distance`); `562160.0` is accepted.
    Integer,
    /// A JSON string `dd/mm/yyyy`. A text cell `dd/mm/yyyy` (`d/m/yyyy` is padded) or a date cell.
    Date,
}

impl Kind {
    /// The kind's name as the `Columns` sheet and the documentation show it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Integer => "integer",
            Kind::Date => "date dd/mm/yyyy",
        }
    }
}

/// Whether a column belongs to the document (repeated on each of its rows) or to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The same value on every row of a document.
    Document,
    /// One value per row: the row's item of `ItemList`.
    Item,
}

impl Level {
    /// The level's name as the `Columns` sheet shows it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Document => "document",
            Level::Item => "item",
        }
    }
}

/// One column of the `Invoices` sheet.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header, which is also the field's place in INV-01: `Section.Field`, or `Version`.
    pub header: &'static str,
    /// How the cells are read.
    pub kind: Kind,
    /// Document or item.
    pub level: Level,
    /// The header row must have this column.
    pub required: bool,
    /// A short description for the `Columns` sheet.
    pub description: &'static str,
}

impl Column {
    /// The INV-01 object the field belongs to (`ItemList`, `SellerDtls` …); `None` for `Version`.
    pub fn section(&self) -> Option<&'static str> {
        self.header.split_once('.').map(|(section, _)| section)
    }

    /// The field's name inside its object (`HsnCd`), or `Version`.
    pub fn field(&self) -> &'static str {
        self.header
            .split_once('.')
            .map_or(self.header, |(_, field)| field)
    }

    /// The field's JSON path in the invoice: `$.DocDtls.No`, `$.ItemList[*].HsnCd`.
    pub fn json_path(&self) -> String {
        match (self.section(), self.level) {
            (Some(section), Level::Item) => format!("$.{section}[*].{}", self.field()),
            _ => format!("$.{}", self.header),
        }
    }
}

const fn col(
    header: &'static str,
    kind: Kind,
    level: Level,
    required: bool,
    description: &'static str,
) -> Column {
    Column {
        header,
        kind,
        level,
        required,
        description,
    }
}

use Kind::{Date, Integer, Number, Text};
use Level::{Document as D, Item as I};

const REQ: bool = true;
const OPT: bool = false;

/// The INV-01 objects in the schema's output order; `ItemList` is the array of items.
pub const SECTIONS: &[&str] = &[
    "Version",
    "TranDtls",
    "DocDtls",
    "SellerDtls",
    "BuyerDtls",
    "DispDtls",
    "ShipDtls",
    "ItemList",
    "ValDtls",
    "PayDtls",
    "ExpDtls",
    "EwbDtls",
];

/// The objects every invoice has: written even when all their cells are empty (so that the
/// portal names the missing fields). The other objects are written only when a cell is filled.
pub const REQUIRED_SECTIONS: &[&str] =
    &["TranDtls", "DocDtls", "SellerDtls", "BuyerDtls", "ValDtls"];

/// Every column, in the schema's field order, which is also the template's column order and the
/// order of the fields in the JSON.
#[rustfmt::skip]
pub static COLUMNS: &[Column] = &[
    col("Version", Text, D, OPT, "Schema version; empty or absent means 1.1"),
    // TranDtls
    col("TranDtls.TaxSch", Text, D, OPT, "Tax scheme; empty or absent means GST"),
    col("TranDtls.SupTyp", Text, D, REQ, "Supply type: B2B, SEZWP, SEZWOP, EXPWP, EXPWOP, DEXP"),
    col("TranDtls.RegRev", Text, D, OPT, "Reverse charge: Y or N (empty means N)"),
    col("TranDtls.EcmGstin", Text, D, OPT, "GSTIN of the e-commerce operator"),
    col("TranDtls.IgstOnIntra", Text, D, OPT, "IGST on an intra-state supply: Y or N"),
    // DocDtls
    col("DocDtls.Typ", Text, D, REQ, "Document type: INV, CRN or DBN"),
    col("DocDtls.No", Text, D, REQ, "Document number, up to 16 letters, digits, / and -"),
    col("DocDtls.Dt", Date, D, REQ, "Document date"),
    // SellerDtls
    col("SellerDtls.Gstin", Text, D, REQ, "Supplier's GSTIN"),
    col("SellerDtls.LglNm", Text, D, REQ, "Supplier's legal name"),
    col("SellerDtls.TrdNm", Text, D, OPT, "Supplier's trade name"),
    col("SellerDtls.Addr1", Text, D, REQ, "Supplier's address, line 1"),
    col("SellerDtls.Addr2", Text, D, OPT, "Supplier's address, line 2"),
    col("SellerDtls.Loc", Text, D, REQ, "Supplier's location (city)"),
    col("SellerDtls.Pin", Integer, D, REQ, "Supplier's PIN code"),
    col("SellerDtls.Stcd", Text, D, REQ, "Supplier's state code"),
    col("SellerDtls.Ph", Text, D, OPT, "Supplier's phone, 6 to 12 digits"),
    col("SellerDtls.Em", Text, D, OPT, "Supplier's e-mail"),
    // BuyerDtls
    col("BuyerDtls.Gstin", Text, D, REQ, "Buyer's GSTIN, or URP for an unregistered buyer"),
    col("BuyerDtls.LglNm", Text, D, REQ, "Buyer's legal name"),
    col("BuyerDtls.TrdNm", Text, D, OPT, "Buyer's trade name"),
    col("BuyerDtls.Pos", Text, D, REQ, "Place of supply (state code; 96 = outside India)"),
    col("BuyerDtls.Addr1", Text, D, REQ, "Buyer's address, line 1"),
    col("BuyerDtls.Addr2", Text, D, OPT, "Buyer's address, line 2"),
    col("BuyerDtls.Loc", Text, D, REQ, "Buyer's location (city)"),
    col("BuyerDtls.Pin", Integer, D, OPT, "Buyer's PIN code (999999 for exports)"),
    col("BuyerDtls.Stcd", Text, D, REQ, "Buyer's state code"),
    col("BuyerDtls.Ph", Text, D, OPT, "Buyer's phone, 6 to 12 digits"),
    col("BuyerDtls.Em", Text, D, OPT, "Buyer's e-mail"),
    // DispDtls
    col("DispDtls.Nm", Text, D, OPT, "Dispatch-from: name"),
    col("DispDtls.Addr1", Text, D, OPT, "Dispatch-from: address, line 1"),
    col("DispDtls.Addr2", Text, D, OPT, "Dispatch-from: address, line 2"),
    col("DispDtls.Loc", Text, D, OPT, "Dispatch-from: location"),
    col("DispDtls.Pin", Integer, D, OPT, "Dispatch-from: PIN code"),
    col("DispDtls.Stcd", Text, D, OPT, "Dispatch-from: state code"),
    // ShipDtls
    col("ShipDtls.Gstin", Text, D, OPT, "Ship-to: GSTIN or URP"),
    col("ShipDtls.LglNm", Text, D, OPT, "Ship-to: legal name"),
    col("ShipDtls.TrdNm", Text, D, OPT, "Ship-to: trade name"),
    col("ShipDtls.Addr1", Text, D, OPT, "Ship-to: address, line 1"),
    col("ShipDtls.Addr2", Text, D, OPT, "Ship-to: address, line 2"),
    col("ShipDtls.Loc", Text, D, OPT, "Ship-to: location"),
    col("ShipDtls.Pin", Integer, D, OPT, "Ship-to: PIN code"),
    col("ShipDtls.Stcd", Text, D, OPT, "Ship-to: state code"),
    // ItemList
    col("ItemList.SlNo", Text, I, REQ, "Item serial number, unique in the document"),
    col("ItemList.IsServc", Text, I, REQ, "Y for a service, N for goods"),
    col("ItemList.PrdDesc", Text, I, OPT, "Product description"),
    col("ItemList.HsnCd", Text, I, REQ, "HSN or SAC code (4, 6 or 8 digits; keep leading zeros as text)"),
    col("ItemList.Barcde", Text, I, OPT, "Barcode"),
    col("ItemList.Qty", Number, I, OPT, "Quantity (needed for goods)"),
    col("ItemList.FreeQty", Number, I, OPT, "Free quantity"),
    col("ItemList.Unit", Text, I, OPT, "Unit quantity code (needed for goods), e.g. NOS, KGS"),
    col("ItemList.UnitPrice", Number, I, REQ, "Price of one unit"),
    col("ItemList.TotAmt", Number, I, REQ, "Gross amount: Qty x UnitPrice"),
    col("ItemList.Discount", Number, I, OPT, "Item discount"),
    col("ItemList.PreTaxVal", Number, I, OPT, "Pre-tax value"),
    col("ItemList.AssAmt", Number, I, REQ, "Taxable value: TotAmt - Discount"),
    col("ItemList.GstRt", Number, I, REQ, "GST rate in percent (IGST, or CGST + SGST)"),
    col("ItemList.IgstAmt", Number, I, OPT, "IGST amount"),
    col("ItemList.CgstAmt", Number, I, OPT, "CGST amount"),
    col("ItemList.SgstAmt", Number, I, OPT, "SGST/UTGST amount"),
    col("ItemList.CesRt", Number, I, OPT, "Cess rate in percent"),
    col("ItemList.CesAmt", Number, I, OPT, "Ad valorem cess amount"),
    col("ItemList.CesNonAdvlAmt", Number, I, OPT, "Non-ad valorem cess amount"),
    col("ItemList.StateCesRt", Number, I, OPT, "State cess rate in percent"),
    col("ItemList.StateCesAmt", Number, I, OPT, "State cess amount"),
    col("ItemList.StateCesNonAdvlAmt", Number, I, OPT, "State non-ad valorem cess amount"),
    col("ItemList.OthChrg", Number, I, OPT, "Other charges of the item"),
    col("ItemList.TotItemVal", Number, I, REQ, "Item total: AssAmt + taxes + cesses + OthChrg"),
    col("ItemList.OrdLineRef", Text, I, OPT, "Order line reference"),
    col("ItemList.OrgCntry", Text, I, OPT, "Country of origin (2 letters)"),
    col("ItemList.PrdSlNo", Text, I, OPT, "Product serial number"),
    // ValDtls
    col("ValDtls.AssVal", Number, D, REQ, "Total taxable value: sum of AssAmt"),
    col("ValDtls.CgstVal", Number, D, OPT, "Total CGST: sum of CgstAmt"),
    col("ValDtls.SgstVal", Number, D, OPT, "Total SGST: sum of SgstAmt"),
    col("ValDtls.IgstVal", Number, D, OPT, "Total IGST: sum of IgstAmt"),
    col("ValDtls.CesVal", Number, D, OPT, "Total cess: sum of CesAmt + CesNonAdvlAmt"),
    col("ValDtls.StCesVal", Number, D, OPT, "Total state cess: sum of StateCesAmt + StateCesNonAdvlAmt"),
    col("ValDtls.Discount", Number, D, OPT, "Invoice-level discount (not the sum of item discounts)"),
    col("ValDtls.OthChrg", Number, D, OPT, "Invoice-level other charges (not the sum of item charges)"),
    col("ValDtls.RndOffAmt", Number, D, OPT, "Round-off, -99.99 to 99.99"),
    col("ValDtls.TotInvVal", Number, D, REQ, "Invoice total: sum of TotItemVal + OthChrg - Discount + RndOffAmt"),
    col("ValDtls.TotInvValFc", Number, D, OPT, "Invoice total in the foreign currency"),
    // PayDtls
    col("PayDtls.Nm", Text, D, OPT, "Payee name"),
    col("PayDtls.AccDet", Text, D, OPT, "Payee account number"),
    col("PayDtls.Mode", Text, D, OPT, "Payment mode"),
    col("PayDtls.FinInsBr", Text, D, OPT, "Branch or IFSC code"),
    col("PayDtls.PayTerm", Text, D, OPT, "Payment terms"),
    col("PayDtls.PayInstr", Text, D, OPT, "Payment instruction"),
    col("PayDtls.CrTrn", Text, D, OPT, "Credit transfer"),
    col("PayDtls.DirDr", Text, D, OPT, "Direct debit"),
    col("PayDtls.CrDay", Integer, D, OPT, "Credit days"),
    col("PayDtls.PaidAmt", Number, D, OPT, "Amount paid in advance"),
    col("PayDtls.PaymtDue", Number, D, OPT, "Amount due"),
    // ExpDtls
    col("ExpDtls.ShipBNo", Text, D, OPT, "Shipping bill number"),
    col("ExpDtls.ShipBDt", Date, D, OPT, "Shipping bill date"),
    col("ExpDtls.Port", Text, D, OPT, "Port code, e.g. INABG1"),
    col("ExpDtls.RefClm", Text, D, OPT, "Refund claimed: Y or N"),
    col("ExpDtls.ForCur", Text, D, OPT, "Foreign currency code, e.g. USD"),
    col("ExpDtls.CntCode", Text, D, OPT, "Country code (2 letters), e.g. US"),
    col("ExpDtls.ExpDuty", Number, D, OPT, "Export duty"),
    // EwbDtls
    col("EwbDtls.TransId", Text, D, OPT, "E-way bill: transporter's GSTIN"),
    col("EwbDtls.TransName", Text, D, OPT, "E-way bill: transporter's name"),
    col("EwbDtls.TransMode", Text, D, OPT, "E-way bill: 1 road, 2 rail, 3 air, 4 ship"),
    col("EwbDtls.Distance", Integer, D, OPT, "E-way bill: distance in km (0 = from the PIN codes); needed when any EwbDtls cell is filled"),
    col("EwbDtls.TransDocNo", Text, D, OPT, "E-way bill: transport document number"),
    col("EwbDtls.TransDocDt", Date, D, OPT, "E-way bill: transport document date"),
    col("EwbDtls.VehNo", Text, D, OPT, "E-way bill: vehicle number"),
    col("EwbDtls.VehType", Text, D, OPT, "E-way bill: R regular, O over-dimensional cargo"),
];

/// The column whose header is `header` (case-insensitive, surrounding spaces ignored).
pub fn column_index(header: &str) -> Option<usize> {
    let header = header.trim();
    COLUMNS
        .iter()
        .position(|column| column.header.eq_ignore_ascii_case(header))
}

/// The index in [`COLUMNS`] of the column named exactly `header` (a constant of this crate).
pub(crate) fn index_of(header: &str) -> usize {
    COLUMNS
        .iter()
        .position(|column| column.header == header)
        .unwrap_or_else(|| unreachable!("{header} is in the column table"))
}

/// A 0-based column number as Excel names it: 0 → `A`, 26 → `AA`.
pub fn column_letter(mut index: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(51), "AZ");
        assert_eq!(column_letter(52), "BA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn table_is_consistent() {
        let mut last_section = 0;
        for (i, column) in COLUMNS.iter().enumerate() {
            let section = column.section().unwrap_or(column.header);
            let at = SECTIONS
                .iter()
                .position(|s| *s == section)
                .unwrap_or_else(|| panic!("{} has a known section", column.header));
            assert!(at >= last_section, "{} is in schema order", column.header);
            last_section = at;
            assert_eq!(
                column.level == Level::Item,
                section == "ItemList",
                "{}'s level",
                column.header
            );
            assert_eq!(
                column_index(column.header),
                Some(i),
                "{} is unique",
                column.header
            );
        }
        assert_eq!(
            COLUMNS[index_of("ItemList.HsnCd")].json_path(),
            "$.ItemList[*].HsnCd"
        );
        assert_eq!(COLUMNS[index_of("DocDtls.No")].json_path(), "$.DocDtls.No");
        assert_eq!(
            column_index("  itemlist.hsncd "),
            Some(index_of("ItemList.HsnCd"))
        );
    }
}
