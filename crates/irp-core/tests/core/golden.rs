//! NIC's sandbox sample invoice (`03` §16) is a passing test of the arithmetic.

use irp_core::bind::parse_invoice;
use irp_core::irn::Irn;
use irp_core::register::{MemoryRegister, Taxpayer};
use irp_core::rules::Rules;
use irp_core::validate::{Context, check_business_rules};

use crate::support::date;

pub const NIC_SAMPLE: &str = r#"{
  "Version": "1.1",
  "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B", "RegRev": "Y", "EcmGstin": null, "IgstOnIntra": "N"},
  "DocDtls": {"Typ": "INV", "No": "DOC/001", "Dt": "18/08/2020"},
  "SellerDtls": {"Gstin": "37ARZPT4384Q1MT", "LglNm": "NIC company pvt ltd", "TrdNm": "NIC Industries",
                 "Addr1": "5th block, kuvempu layout", "Addr2": "kuvempu layout", "Loc": "GANDHINAGAR",
                 "Pin": 518001, "Stcd": "37", "Ph": "9000000000", "Em": "abc@gmail.com"},
  "BuyerDtls": {"Gstin": "29AWGPV7107B1Z1", "LglNm": "XYZ company pvt ltd", "TrdNm": "XYZ Industries", "Pos": "12",
                "Addr1": "7th block, kuvempu layout", "Addr2": "kuvempu layout", "Loc": "GANDHINAGAR",
                "Pin": 562160, "Stcd": "29", "Ph": "91111111111", "Em": "xyz@yahoo.com"},
  "ItemList": [{
    "SlNo": "1", "PrdDesc": "Rice", "IsServc": "N", "HsnCd": "1001", "Barcde": "123456",
    "Qty": 100.345, "FreeQty": 10, "Unit": "BAG", "UnitPrice": 99.545, "TotAmt": 9988.84,
    "Discount": 10, "PreTaxVal": 1, "AssAmt": 9978.84, "GstRt": 12,
    "IgstAmt": 1197.46, "CgstAmt": 0, "SgstAmt": 0,
    "CesRt": 5, "CesAmt": 498.94, "CesNonAdvlAmt": 10,
    "StateCesRt": 12, "StateCesAmt": 1197.46, "StateCesNonAdvlAmt": 5,
    "OthChrg": 10, "TotItemVal": 12897.7
  }],
  "ValDtls": {"AssVal": 9978.84, "CgstVal": 0, "SgstVal": 0, "IgstVal": 1197.46, "CesVal": 508.94,
              "StCesVal": 1202.46, "Discount": 10, "OthChrg": 20, "RndOffAmt": 0.3,
              "TotInvVal": 12908, "TotInvValFc": 12897.7}
}"#;

/// The set-up of `03` §16: the sample predates the date floor, its GSTINs are sandbox ones with
/// an AATO below ₹5 Cr, and the clock stands on the document date.
pub fn sample_setup() -> (Rules, MemoryRegister) {
    let rules = Rules {
        doc_date_floor: None,
        ..Rules::default()
    };
    let register = MemoryRegister::new()
        .with(Taxpayer::active_regular(
            "37ARZPT4384Q1MT",
            Some(40_000_000),
        ))
        .with(Taxpayer::active_regular(
            "29AWGPV7107B1Z1",
            Some(40_000_000),
        ));
    (rules, register)
}

#[test]
fn the_nic_sample_invoice_passes_every_rule() {
    let (rules, register) = sample_setup();
    let invoice = parse_invoice(NIC_SAMPLE.as_bytes(), &rules, &register).expect("schema");
    let context = Context {
        rules: &rules,
        register: &register,
        today: date("18/08/2020"),
    };
    check_business_rules(&invoice, &context).expect("business rules");
    assert_eq!(
        Irn::of(&invoice).as_str(),
        "27fe30da6b5c920241e8c4f3017ec8076b971264ca5ba36c538dfafbc15840ee"
    );
}

#[test]
fn the_nic_sample_fails_when_its_total_is_the_wrong_formula() {
    // "AssVal + taxes + OthChrg − Discount + RndOff" gives 12898.00, which `03` §16 calls wrong.
    let (rules, register) = sample_setup();
    let changed = NIC_SAMPLE.replace("\"TotInvVal\": 12908", "\"TotInvVal\": 12898.00");
    let invoice = parse_invoice(changed.as_bytes(), &rules, &register).expect("schema");
    let context = Context {
        rules: &rules,
        register: &register,
        today: date("18/08/2020"),
    };
    let errors = check_business_rules(&invoice, &context).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].code.as_str(), errors[0].path.as_str()),
        ("2189", "ValDtls.TotInvVal")
    );
}

#[test]
fn the_nic_sample_with_the_default_date_floor_is_refused_with_dt03() {
    let (_, register) = sample_setup();
    let rules = Rules::default();
    let invoice = parse_invoice(NIC_SAMPLE.as_bytes(), &rules, &register).expect("schema");
    let context = Context {
        rules: &rules,
        register: &register,
        today: date("18/08/2020"),
    };
    let errors = check_business_rules(&invoice, &context).unwrap_err();
    assert_eq!(errors[0].code, "2140");
    assert_eq!(
        errors[0].message,
        "IRN cannot be generated for a document dated before 01/10/2020."
    );
}
