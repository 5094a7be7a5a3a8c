//! Fixtures: valid invoices, a register and a clock, and helpers that run the pipeline.

use chrono::NaiveDate;
use irp_core::bind::parse_invoice;
use irp_core::error::ErrorDetail;
use irp_core::invoice::Invoice;
use irp_core::register::{MemoryRegister, RegistrationStatus, Taxpayer, TaxpayerType};
use irp_core::rules::Rules;
use irp_core::validate::{Context, check_business_rules};
use serde_json::{Value, json};

/// Karnataka supplier above every turnover threshold.
pub const SELLER: &str = "29LARGE1000C1ZK";
/// Karnataka buyer.
pub const BUYER_KA: &str = "29AWGPV7107B1Z1";
/// Maharashtra buyer (passes the check character).
pub const BUYER_MH: &str = "27AAPFU0939F1ZV";
/// SEZ unit in Maharashtra.
pub const BUYER_SEZ: &str = "27AAACA7205Q1ZK";
/// An e-commerce operator.
pub const OPERATOR: &str = "29AAGCB7383J1Z4";

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%d/%m/%Y").unwrap()
}

/// "Today" in the tests: documents are dated 01/07/2025.
pub fn today() -> NaiveDate {
    date("10/07/2025")
}

pub fn register() -> MemoryRegister {
    let mut sez = Taxpayer::active_regular(BUYER_SEZ, Some(1));
    sez.taxpayer_type = TaxpayerType::Sez;
    let mut operator = Taxpayer::active_regular(OPERATOR, None);
    operator.taxpayer_type = TaxpayerType::Tcs;
    MemoryRegister::new()
        .with(Taxpayer::active_regular(SELLER, Some(1_500_000_000)))
        .with(Taxpayer::active_regular(BUYER_KA, Some(40_000_000)))
        .with(Taxpayer::active_regular(BUYER_MH, None))
        .with(sez)
        .with(operator)
}

pub fn set_status(register: &mut MemoryRegister, gstin: &str, change: impl FnOnce(&mut Taxpayer)) {
    let mut taxpayer = irp_core::register::TaxpayerRegister::taxpayer(register, gstin)
        .unwrap_or_else(|| Taxpayer::active_regular(gstin, None));
    change(&mut taxpayer);
    register.insert(taxpayer);
}

pub fn cancelled(taxpayer: &mut Taxpayer) {
    taxpayer.status = RegistrationStatus::Cnl;
}

fn seller() -> Value {
    json!({"Gstin": SELLER, "LglNm": "Large Karnataka Pvt Ltd", "TrdNm": "Large KA", "Addr1": "1 MG Road",
           "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29", "Ph": "9000000000", "Em": "seller@example.com"})
}

/// An intra-state B2B tax invoice: seller and place of supply in Karnataka, CGST + SGST.
pub fn intra_state() -> Value {
    json!({
        "Version": "1.1",
        "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B", "RegRev": "N", "IgstOnIntra": "N"},
        "DocDtls": {"Typ": "INV", "No": "INV/2025/001", "Dt": "01/07/2025"},
        "SellerDtls": seller(),
        "BuyerDtls": {"Gstin": BUYER_KA, "LglNm": "XYZ company pvt ltd", "Pos": "29", "Addr1": "7th block",
                      "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29"},
        "ItemList": [{
            "SlNo": "1", "IsServc": "N", "PrdDesc": "Cotton T-shirts", "HsnCd": "61091000",
            "Qty": 10, "Unit": "NOS", "UnitPrice": 100.0, "TotAmt": 1000, "Discount": 0, "AssAmt": 1000,
            "GstRt": 5, "CgstAmt": 25, "SgstAmt": 25, "IgstAmt": 0, "TotItemVal": 1050
        }],
        "ValDtls": {"AssVal": 1000, "CgstVal": 25, "SgstVal": 25, "IgstVal": 0, "TotInvVal": 1050}
    })
}

/// An inter-state B2B invoice to Maharashtra, IGST, with a goods item and a service item.
pub fn inter_state() -> Value {
    json!({
        "Version": "1.1",
        "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B"},
        "DocDtls": {"Typ": "INV", "No": "INV/2025/002", "Dt": "01/07/2025"},
        "SellerDtls": seller(),
        "BuyerDtls": {"Gstin": BUYER_MH, "LglNm": "Maharashtra Buyer Ltd", "Pos": "27", "Addr1": "Nariman Point",
                      "Loc": "Mumbai", "Pin": 400001, "Stcd": "27"},
        "ItemList": [
            {"SlNo": "1", "IsServc": "N", "HsnCd": "391520", "Qty": 2.5, "Unit": "KGS", "UnitPrice": 400,
             "TotAmt": 1000, "AssAmt": 1000, "GstRt": 18, "IgstAmt": 180, "TotItemVal": 1180},
            {"SlNo": "2", "IsServc": "Y", "HsnCd": "998311", "UnitPrice": 500, "TotAmt": 500, "AssAmt": 500,
             "GstRt": 18, "IgstAmt": 90, "TotItemVal": 590}
        ],
        "ValDtls": {"AssVal": 1500, "IgstVal": 270, "TotInvVal": 1770}
    })
}

/// An export with payment of IGST to an overseas buyer.
pub fn export() -> Value {
    json!({
        "Version": "1.1",
        "TranDtls": {"TaxSch": "GST", "SupTyp": "EXPWP"},
        "DocDtls": {"Typ": "INV", "No": "EXP/001", "Dt": "01/07/2025"},
        "SellerDtls": seller(),
        "BuyerDtls": {"Gstin": "URP", "LglNm": "Overseas Buyer Inc", "Pos": "96", "Addr1": "1 Main Street",
                      "Loc": "New York", "Pin": 999999, "Stcd": "96"},
        "ItemList": [
            {"SlNo": "1", "IsServc": "N", "HsnCd": "61091000", "Qty": 100, "Unit": "PCS", "UnitPrice": 10,
             "TotAmt": 1000, "AssAmt": 1000, "GstRt": 5, "IgstAmt": 50, "TotItemVal": 1050}
        ],
        "ValDtls": {"AssVal": 1000, "IgstVal": 50, "TotInvVal": 1050},
        "ExpDtls": {"ShipBNo": "1234567", "ShipBDt": "01/07/2025", "Port": "INBLR4", "RefClm": "N",
                    "ForCur": "USD", "CntCode": "US"}
    })
}

/// A supply to an SEZ unit with payment of IGST.
pub fn sez_supply() -> Value {
    let mut invoice = inter_state();
    invoice["TranDtls"]["SupTyp"] = json!("SEZWP");
    invoice["BuyerDtls"]["Gstin"] = json!(BUYER_SEZ);
    invoice
}

/// Runs stages 1–4 (binding, schema, business rules) with the default rules.
pub fn validate(invoice: &Value) -> Result<Invoice, Vec<ErrorDetail>> {
    validate_with(invoice, &Rules::default(), &register())
}

pub fn validate_with(
    invoice: &Value,
    rules: &Rules,
    register: &MemoryRegister,
) -> Result<Invoice, Vec<ErrorDetail>> {
    let bytes = serde_json::to_vec(invoice).unwrap();
    validate_bytes(&bytes, rules, register)
}

pub fn validate_bytes(
    bytes: &[u8],
    rules: &Rules,
    register: &MemoryRegister,
) -> Result<Invoice, Vec<ErrorDetail>> {
    let invoice = parse_invoice(bytes, rules, register)?;
    let context = Context {
        rules,
        register,
        today: today(),
    };
    check_business_rules(&invoice, &context)?;
    Ok(invoice)
}

/// The errors as `(code, path)` pairs.
pub fn codes(errors: &[ErrorDetail]) -> Vec<(&'static str, String)> {
    errors
        .iter()
        .map(|e| (e.code.as_str(), e.path.clone()))
        .collect()
}

/// Asserts that the invoice is rejected with exactly this one error.
#[track_caller]
pub fn assert_only(
    result: Result<Invoice, Vec<ErrorDetail>>,
    code: &str,
    path: &str,
) -> ErrorDetail {
    let errors = match result {
        Ok(_) => panic!("expected {code} at {path}, but the invoice passed"),
        Err(errors) => errors,
    };
    assert_eq!(
        codes(&errors),
        vec![(code_static(code), path.to_owned())],
        "errors: {errors:#?}"
    );
    errors.into_iter().next().unwrap()
}

fn code_static(code: &str) -> &'static str {
    Box::leak(code.to_owned().into_boxed_str())
}

/// Applies `change` to a copy of `base` and asserts exactly one error.
#[track_caller]
pub fn assert_change_fails(
    base: Value,
    change: impl FnOnce(&mut Value),
    code: &str,
    path: &str,
) -> ErrorDetail {
    assert!(
        validate(&base).is_ok(),
        "the base invoice must pass: {:?}",
        validate(&base).err()
    );
    let mut invoice = base;
    change(&mut invoice);
    assert_only(validate(&invoice), code, path)
}
