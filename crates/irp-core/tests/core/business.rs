//! Stages 3–4: authorisation and every business rule of `04` §3, each shown by one change that
//! turns a passing invoice into a failing one with the exact code and path.

use chrono::Duration;
use irp_core::bind::parse_invoice;
use irp_core::register::{RegistrationStatus, TaxpayerType};
use irp_core::rules::{Counting, ExportField, Rules};
use irp_core::validate::{Caller, Context, authorise, check_business_rules};
use serde_json::{Value, json};

use crate::support::*;

fn fails_with_register(
    base: Value,
    change: impl FnOnce(&mut irp_core::register::MemoryRegister),
    code: &str,
    path: &str,
) -> String {
    let mut register = register();
    change(&mut register);
    assert_only(
        validate_with(&base, &Rules::default(), &register),
        code,
        path,
    )
    .message
}

// ---- P-01: authorisation ----

#[test]
fn p01_only_the_supplier_or_its_named_operator_may_generate() {
    let mut invoice = intra_state();
    invoice["TranDtls"]["EcmGstin"] = json!(OPERATOR);
    let bound = validate(&invoice).unwrap();
    assert_eq!(authorise(&bound, SELLER, None), Ok(Caller::Supplier));
    assert_eq!(
        authorise(&bound, &SELLER.to_lowercase(), Some(SELLER)),
        Ok(Caller::Supplier)
    );
    assert_eq!(
        authorise(&bound, OPERATOR, None),
        Ok(Caller::EcommerceOperator)
    );
    assert_eq!(
        authorise(&bound, OPERATOR, Some(SELLER)),
        Ok(Caller::EcommerceOperator)
    );
    for (header, sup) in [
        (BUYER_KA, None),
        (OPERATOR, Some(BUYER_KA)),
        (SELLER, Some(BUYER_KA)),
    ] {
        let error = authorise(&bound, header, sup).unwrap_err();
        assert_eq!(error.code, "2169");
        assert_eq!(
            error.message,
            "Either supplier GSTIN or e-Commerce GSTIN can generate IRN."
        );
    }
}

// ---- §3.2 parties ----

#[test]
fn p02_einvoicing_must_be_enabled() {
    fails_with_register(
        intra_state(),
        |r| set_status(r, SELLER, |t| t.einvoice_enabled = false),
        "3026",
        "SellerDtls.Gstin",
    );
}

#[test]
fn p03_the_seller_must_be_in_the_register_and_gates_p02_p04_p05() {
    let message = fails_with_register(
        intra_state(),
        |r| {
            *r = irp_core::register::MemoryRegister::new()
                .with(irp_core::register::Taxpayer::active_regular(BUYER_KA, None))
        },
        "3028",
        "SellerDtls.Gstin",
    );
    assert_eq!(
        message,
        format!("GSTIN - {SELLER} is not present in invoice registration portal")
    );
}

#[test]
fn p04_seller_registration_status_against_the_document_date() {
    let reg = |s: &str| Some(date(s));
    type Case = (
        RegistrationStatus,
        Option<chrono::NaiveDate>,
        Option<chrono::NaiveDate>,
        Option<&'static str>,
    );
    let cases: [Case; 9] = [
        (
            RegistrationStatus::Act,
            reg("02/07/2025"),
            None,
            Some("3079"),
        ),
        (
            RegistrationStatus::Pro,
            reg("02/07/2025"),
            None,
            Some("3079"),
        ),
        (RegistrationStatus::Act, reg("01/07/2025"), None, None),
        (RegistrationStatus::Ina, None, None, Some("3076")),
        (
            RegistrationStatus::Cnl,
            None,
            reg("01/08/2025"),
            Some("3078"),
        ),
        (
            RegistrationStatus::Cnl,
            reg("02/07/2025"),
            reg("01/08/2025"),
            Some("3077"),
        ),
        (
            RegistrationStatus::Cnl,
            reg("01/01/2020"),
            None,
            Some("3075"),
        ),
        (
            RegistrationStatus::Cnl,
            reg("01/01/2020"),
            reg("30/06/2025"),
            Some("3074"),
        ),
        (
            RegistrationStatus::Cnl,
            reg("01/01/2020"),
            reg("01/07/2025"),
            None,
        ),
    ];
    for (status, registered, deregistered, expected) in cases {
        let mut register = register();
        set_status(&mut register, SELLER, |t| {
            t.status = status;
            t.registered_on = registered;
            t.deregistered_on = deregistered;
        });
        let result = validate_with(&intra_state(), &Rules::default(), &register);
        match expected {
            None => assert!(
                result.is_ok(),
                "{status:?} {registered:?} {deregistered:?}: {:?}",
                result.err()
            ),
            Some(code) => {
                let error = assert_only(result, code, "SellerDtls.Gstin");
                if code == "3074" {
                    assert_eq!(
                        error.message,
                        format!(
                            "GSTIN - {SELLER} is cancelled and document date - 01/07/2025 is later than de-registration date"
                        )
                    );
                }
            }
        }
    }
}

#[test]
fn p05_seller_taxpayer_type() {
    let message = fails_with_register(
        intra_state(),
        |r| set_status(r, SELLER, |t| t.taxpayer_type = TaxpayerType::Sez),
        "2231",
        "SellerDtls.Gstin",
    );
    assert_eq!(
        message,
        format!("Cannot generate e-Invoice as the supplier GSTIN - {SELLER} is SEZ")
    );
    fails_with_register(
        intra_state(),
        |r| set_status(r, SELLER, |t| t.taxpayer_type = TaxpayerType::Com),
        "2300",
        "SellerDtls.Gstin",
    );
    // An NRT supplier becomes allowed when configured.
    let mut register = register();
    set_status(&mut register, SELLER, |t| {
        t.taxpayer_type = TaxpayerType::Nrt
    });
    let rules = Rules {
        allowed_supplier_types: vec![TaxpayerType::Reg, TaxpayerType::Nrt],
        ..Rules::default()
    };
    assert!(validate_with(&intra_state(), &rules, &register).is_ok());
}

#[test]
fn p06_seller_gstin_state_must_match_its_state_code() {
    let mut invoice = inter_state();
    invoice["SellerDtls"]["Stcd"] = json!("27");
    invoice["SellerDtls"]["Pin"] = json!(400001);
    // Seller 27 now equals POS 27: intra-state, so the IGST item also breaks tax rules; use an
    // invoice where only the state changes in a way that keeps the regime.
    let mut intra = intra_state();
    intra["SellerDtls"]["Stcd"] = json!("27");
    intra["SellerDtls"]["Pin"] = json!(400001);
    intra["BuyerDtls"]["Pos"] = json!("27");
    intra["BuyerDtls"]["Stcd"] = json!("27");
    intra["BuyerDtls"]["Gstin"] = json!(BUYER_MH);
    intra["BuyerDtls"]["Pin"] = json!(400001);
    assert_only(validate(&intra), "2258", "SellerDtls.Stcd");
    drop(invoice);
}

#[test]
fn p07_ecommerce_operator_must_be_registered_and_tcs() {
    let mut invoice = intra_state();
    invoice["TranDtls"]["EcmGstin"] = json!(OPERATOR);
    assert!(validate(&invoice).is_ok());
    let mut unknown = invoice.clone();
    unknown["TranDtls"]["EcmGstin"] = json!("29AAAAA0000A1Z5");
    assert_only(validate(&unknown), "3028", "TranDtls.EcmGstin");
    let mut regular = invoice;
    regular["TranDtls"]["EcmGstin"] = json!(BUYER_KA);
    assert_only(validate(&regular), "2195", "TranDtls.EcmGstin");
}

#[test]
fn p08_seller_and_buyer_must_differ() {
    assert_change_fails(
        intra_state(),
        |v| v["BuyerDtls"]["Gstin"] = json!(SELLER),
        "2211",
        "BuyerDtls.Gstin",
    );
}

#[test]
fn p09_unregistered_buyers_against_the_supply_type() {
    let message = assert_change_fails(
        intra_state(),
        |v| v["BuyerDtls"]["Gstin"] = json!("URP"),
        "2212",
        "BuyerDtls.Gstin",
    )
    .message;
    assert_eq!(
        message,
        "The recipient GSTIN cannot be URP for supply type B2B"
    );
    assert_change_fails(
        intra_state(),
        |v| {
            v["TranDtls"]["SupTyp"] = json!("DEXP");
            v["BuyerDtls"]["Gstin"] = json!("URP");
        },
        "2171",
        "BuyerDtls.Gstin",
    );
    // A GSTIN can never match the export state 96, so P-12 fails along with P-09.
    let mut invoice = export();
    invoice["BuyerDtls"]["Gstin"] = json!(BUYER_MH);
    let errors = validate(&invoice).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![
            ("2248", "BuyerDtls.Gstin".to_owned()),
            ("2265", "BuyerDtls.Stcd".to_owned())
        ]
    );
}

#[test]
fn p10_registered_buyer_must_exist_and_be_live() {
    assert_change_fails(
        intra_state(),
        |v| v["BuyerDtls"]["Gstin"] = json!("29AAAAA0000A1Z5"),
        "3028",
        "BuyerDtls.Gstin",
    );
    let message = fails_with_register(
        intra_state(),
        |r| set_status(r, BUYER_KA, |t| t.status = RegistrationStatus::Ina),
        "3029",
        "BuyerDtls.Gstin",
    );
    assert_eq!(
        message,
        format!("GSTIN -{BUYER_KA} is inactive or cancelled")
    );
    fails_with_register(
        intra_state(),
        |r| set_status(r, BUYER_KA, cancelled),
        "3029",
        "BuyerDtls.Gstin",
    );
    fails_with_register(
        intra_state(),
        |r| {
            set_status(r, BUYER_KA, |t| {
                t.status = RegistrationStatus::Cnl;
                t.deregistered_on = Some(date("30/06/2025"));
            })
        },
        "3029",
        "BuyerDtls.Gstin",
    );
    // Cancelled after the document date: still a valid buyer for this document.
    let mut register = register();
    set_status(&mut register, BUYER_KA, |t| {
        t.status = RegistrationStatus::Cnl;
        t.deregistered_on = Some(date("01/07/2025"));
    });
    assert!(validate_with(&intra_state(), &Rules::default(), &register).is_ok());
}

#[test]
fn p11_buyer_type_against_the_supply_type() {
    assert_change_fails(
        inter_state(),
        |v| v["TranDtls"]["SupTyp"] = json!("SEZWP"),
        "2247",
        "BuyerDtls.Gstin",
    );
    let message = assert_change_fails(
        sez_supply(),
        |v| v["TranDtls"]["SupTyp"] = json!("B2B"),
        "2246",
        "BuyerDtls.Gstin",
    )
    .message;
    assert_eq!(message, "Recipient cannot be SEZ for - B2B transaction");
}

#[test]
fn p12_buyer_gstin_state_must_match_its_state_code() {
    assert_change_fails(
        inter_state(),
        |v| {
            v["BuyerDtls"]["Stcd"] = json!("24");
            v["BuyerDtls"]["Pin"] = json!(380001);
        },
        "2265",
        "BuyerDtls.Stcd",
    );
}

#[test]
fn p13_buyer_pin_is_required() {
    let message = assert_change_fails(
        intra_state(),
        |v| v["BuyerDtls"]["Pin"] = Value::Null,
        "2244",
        "BuyerDtls.Pin",
    )
    .message;
    assert_eq!(
        message,
        "Recipient PIN code is mandatory for transaction -B2B"
    );
}

#[test]
fn p14_pin_codes_must_belong_to_the_state() {
    let message = assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Pin"] = json!(110001),
        "2178",
        "SellerDtls.Pin",
    )
    .message;
    assert_eq!(message, "PIN code does not belong to the state - 29");
    assert_change_fails(
        intra_state(),
        |v| v["BuyerDtls"]["Pin"] = json!(400001),
        "2178",
        "BuyerDtls.Pin",
    );
    assert_change_fails(
        intra_state(),
        |v| v["DispDtls"] = json!({"Nm": "Warehouse", "Addr1": "Plot 1", "Loc": "Hosur", "Pin": 600001, "Stcd": "29"}),
        "2178",
        "DispDtls.Pin",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ShipDtls"] = json!({"LglNm": "Site", "Addr1": "Plot 1", "Loc": "Chennai", "Pin": 600001, "Stcd": "29"}),
        "2178",
        "ShipDtls.Pin",
    );
    // Border PINs pass for each of their states; the switch turns the check off.
    let mut invoice = intra_state();
    invoice["SellerDtls"]["Pin"] = json!(110001);
    let rules = Rules {
        pin_state_check: false,
        ..Rules::default()
    };
    assert!(validate_with(&invoice, &rules, &register()).is_ok());
}

#[test]
fn p15_p16_exports_need_state_and_pos_96() {
    let message = assert_change_fails(
        export(),
        |v| {
            v["BuyerDtls"]["Stcd"] = json!("27");
            v["BuyerDtls"]["Pin"] = json!(400001);
        },
        "2261",
        "BuyerDtls.Stcd",
    )
    .message;
    assert_eq!(
        message,
        "Recipient state code should be other country(code: 96 ) for EXPWP transaction"
    );
    assert_change_fails(
        export(),
        |v| v["BuyerDtls"]["Pos"] = json!("27"),
        "2229",
        "BuyerDtls.Pos",
    );
}

#[test]
fn p16_pos_96_only_for_exports_or_transport_services() {
    let message = assert_change_fails(
        inter_state(),
        |v| v["BuyerDtls"]["Pos"] = json!("96"),
        "2242",
        "BuyerDtls.Pos",
    )
    .message;
    assert_eq!(
        message,
        "Recipient POS should not be Other Country(code -96) incase of transaction type B2B"
    );
}

#[test]
fn p16_pos_96_is_allowed_for_goods_transport_services() {
    let mut invoice = inter_state();
    invoice["BuyerDtls"]["Pos"] = json!("96");
    let service = invoice["ItemList"][1].clone();
    invoice["ItemList"] = json!([service]);
    invoice["ItemList"][0]["HsnCd"] = json!("996511");
    invoice["ValDtls"] = json!({"AssVal": 500, "IgstVal": 90, "TotInvVal": 590});
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
}

#[test]
fn p16_pos_outside_the_state_master_gets_2243() {
    assert_change_fails(
        inter_state(),
        |v| v["BuyerDtls"]["Pos"] = json!("99"),
        "2243",
        "BuyerDtls.Pos",
    );
}

#[test]
fn p17_ship_to_state_versus_pos_only_when_enabled() {
    let mut invoice = intra_state();
    invoice["ShipDtls"] =
        json!({"LglNm": "Site", "Addr1": "Plot 1", "Loc": "Mumbai", "Pin": 400001, "Stcd": "27"});
    assert!(validate(&invoice).is_ok());
    let rules = Rules {
        enforce_2245: true,
        ..Rules::default()
    };
    assert_only(
        validate_with(&invoice, &rules, &register()),
        "2245",
        "ShipDtls.Stcd",
    );
}

#[test]
fn p18_exports_need_export_details_with_the_configured_fields() {
    assert_change_fails(
        export(),
        |v| {
            v.as_object_mut()
                .unwrap()
                .remove("ExpDtls")
                .map(drop)
                .unwrap()
        },
        "2208",
        "ExpDtls",
    );
    assert_change_fails(
        export(),
        |v| v["ExpDtls"]["CntCode"] = Value::Null,
        "2208",
        "ExpDtls",
    );
    let mut invoice = export();
    invoice["ExpDtls"]["Port"] = Value::Null;
    let rules = Rules {
        export_required_fields: vec![ExportField::CntCode, ExportField::Port],
        ..Rules::default()
    };
    assert_only(
        validate_with(&invoice, &rules, &register()),
        "2208",
        "ExpDtls",
    );
}

// ---- §3.3 document ----

#[test]
fn dt02_no_future_documents() {
    let message = assert_change_fails(
        intra_state(),
        |v| v["DocDtls"]["Dt"] = json!("11/07/2025"),
        "2163",
        "DocDtls.Dt",
    )
    .message;
    assert_eq!(message, "The document date should not be future date .");
}

#[test]
fn dt03_the_document_date_floor() {
    let mut invoice = intra_state();
    invoice["DocDtls"]["Dt"] = json!("30/09/2020");
    let mut register = register();
    set_status(&mut register, SELLER, |t| t.aato_inr = Some(10));
    let rules = Rules::default();
    let error = assert_only(
        validate_with(&invoice, &rules, &register),
        "2140",
        "DocDtls.Dt",
    );
    assert_eq!(
        error.message,
        "IRN cannot be generated for a document dated before 01/10/2020."
    );
    invoice["DocDtls"]["Dt"] = json!("01/10/2020");
    assert!(validate_with(&invoice, &rules, &register).is_ok());
}

#[test]
fn dt04_thirty_day_window_counts_inclusively_for_large_suppliers() {
    // Today is 10/07/2025: a document of 11/06/2025 is day 30, one of 10/06/2025 is day 31.
    let mut invoice = intra_state();
    invoice["DocDtls"]["Dt"] = json!("11/06/2025");
    assert!(validate(&invoice).is_ok());
    invoice["DocDtls"]["Dt"] = json!("10/06/2025");
    let message = assert_only(validate(&invoice), "2305", "DocDtls.Dt").message;
    assert_eq!(
        message,
        "IRN cannot be generated with document date prior to 30 days from today for suppliers with turnover above 500 Cr."
    );
    let rules = Rules {
        reporting_counting: Counting::Exclusive,
        ..Rules::default()
    };
    assert!(validate_with(&invoice, &rules, &register()).is_ok());
    // Below the threshold in force (₹10 Cr from 01/04/2025) the window does not apply.
    let mut register = register();
    set_status(&mut register, SELLER, |t| t.aato_inr = Some(99_999_999));
    assert!(validate_with(&invoice, &Rules::default(), &register).is_ok());
    // An unknown AATO counts as above every threshold.
    set_status(&mut register, SELLER, |t| t.aato_inr = None);
    assert_only(
        validate_with(&invoice, &Rules::default(), &register),
        "2305",
        "DocDtls.Dt",
    );
}

#[test]
fn dt04_the_advisory_example() {
    // A document dated 01/11/2023 may be reported up to 30/11/2023 and not on 01/12/2023.
    let rules = Rules::default();
    let register = register();
    let mut invoice = intra_state();
    invoice["DocDtls"]["Dt"] = json!("01/11/2023");
    let bound = parse_invoice(&serde_json::to_vec(&invoice).unwrap(), &rules, &register).unwrap();
    let on = |today: &str| {
        check_business_rules(
            &bound,
            &Context {
                rules: &rules,
                register: &register,
                today: date(today),
            },
        )
    };
    assert!(on("30/11/2023").is_ok());
    assert_eq!(
        codes(&on("01/12/2023").unwrap_err()),
        vec![("2305", "DocDtls.Dt".to_owned())]
    );
    // Before the schedule started there was no limit.
    assert!(
        check_business_rules(
            &bound,
            &Context {
                rules: &rules,
                register: &register,
                today: date("01/11/2023") + Duration::days(-1)
            }
        )
        .is_err_and(|e| e[0].code == "2163")
    );
}

#[test]
fn dt05_reverse_charge_only_for_b2b_and_sez() {
    let message = assert_change_fails(
        export(),
        |v| v["TranDtls"]["RegRev"] = json!("Y"),
        "2162",
        "TranDtls.RegRev",
    )
    .message;
    assert_eq!(
        message,
        "Reverse Charge is applicable only for B2B invoices"
    );
    let mut sez = sez_supply();
    sez["TranDtls"]["RegRev"] = json!("Y");
    assert!(validate(&sez).is_ok());
}

#[test]
fn dt06_document_period_start_before_end() {
    let mut invoice = intra_state();
    invoice["RefDtls"] = json!({"InvRm": "Monthly", "DocPerdDtls": {"InvStDt": "01/06/2025", "InvEndDt": "30/06/2025"}});
    assert!(validate(&invoice).is_ok());
    assert_change_fails(
        invoice,
        |v| v["RefDtls"]["DocPerdDtls"]["InvStDt"] = json!("01/07/2025"),
        "2219",
        "RefDtls.DocPerdDtls.InvStDt",
    );
}

#[test]
fn dt07_invoice_discount_below_the_total() {
    assert_change_fails(
        intra_state(),
        |v| {
            v["ValDtls"]["Discount"] = json!(1050);
            v["ValDtls"]["RndOffAmt"] = json!(0);
            v["ValDtls"]["OthChrg"] = json!(1050);
        },
        "2220",
        "ValDtls.Discount",
    );
}

// ---- §3.4 tax treatment ----

#[test]
fn t01_igst_on_intra_needs_seller_state_equal_to_pos() {
    assert_change_fails(
        inter_state(),
        |v| v["TranDtls"]["IgstOnIntra"] = json!("Y"),
        "2262",
        "TranDtls.IgstOnIntra",
    );
    // On an intra-state supply it moves the items into the IGST regime.
    let mut invoice = intra_state();
    invoice["TranDtls"]["IgstOnIntra"] = json!("Y");
    invoice["ItemList"][0]["CgstAmt"] = json!(0);
    invoice["ItemList"][0]["SgstAmt"] = json!(0);
    invoice["ItemList"][0]["IgstAmt"] = json!(50);
    invoice["ValDtls"] = json!({"AssVal": 1000, "IgstVal": 50, "TotInvVal": 1050});
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
}

#[test]
fn t02_no_goods_and_services_mix_when_pos_is_the_supplier_state_but_the_buyer_is_elsewhere() {
    let mut invoice = intra_state();
    invoice["BuyerDtls"] = json!({"Gstin": BUYER_MH, "LglNm": "Maharashtra Buyer Ltd", "Pos": "29", "Addr1": "Nariman Point",
                                  "Loc": "Mumbai", "Pin": 400001, "Stcd": "27"});
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    let mut service = invoice["ItemList"][0].clone();
    service["SlNo"] = json!("2");
    service["IsServc"] = json!("Y");
    service["HsnCd"] = json!("998311");
    invoice["ItemList"].as_array_mut().unwrap().push(service);
    invoice["ValDtls"] = json!({"AssVal": 2000, "CgstVal": 50, "SgstVal": 50, "TotInvVal": 2100});
    assert_only(validate(&invoice), "2249", "ItemList");
}

#[test]
fn t03_no_igst_on_a_cgst_sgst_item() {
    let message = assert_change_fails(
        intra_state(),
        |v| {
            v["ItemList"][0]["IgstAmt"] = json!(50);
            v["ItemList"][0]["TotItemVal"] = json!(1100);
            v["ValDtls"]["IgstVal"] = json!(50);
            v["ValDtls"]["TotInvVal"] = json!(1100);
        },
        "2172",
        "ItemList[0].IgstAmt",
    )
    .message;
    assert_eq!(
        message,
        "For intra state transaction IGST amounts is not applicable for item - 61091000 and Sl. No 1 , only CGST and SGST amounts are applicable."
    );
}

#[test]
fn t04_cgst_and_sgst_required_on_a_taxable_intra_item() {
    let errors = {
        let mut invoice = intra_state();
        invoice["ItemList"][0]["CgstAmt"] = Value::Null;
        invoice["ItemList"][0]["SgstAmt"] = Value::Null;
        invoice["ItemList"][0]["TotItemVal"] = json!(1000);
        invoice["ValDtls"] = json!({"AssVal": 1000, "TotInvVal": 1000});
        validate(&invoice).unwrap_err()
    };
    // T-04, and A-03 because the given amounts (absent = 0) are not 2.5 % of 1000.
    assert_eq!(
        codes(&errors),
        vec![
            ("2241", "ItemList[0].CgstAmt".to_owned()),
            ("2234", "ItemList[0].CgstAmt".to_owned())
        ]
    );
    assert_eq!(
        errors[0].message,
        "CGST and SGST amounts with HSN61091000 are required for intra state transaction"
    );
}

#[test]
fn t05_cgst_equals_sgst_exactly() {
    assert_change_fails(
        intra_state(),
        |v| {
            v["ItemList"][0]["SgstAmt"] = json!(25.01);
            v["ItemList"][0]["TotItemVal"] = json!(1050.01);
            v["ValDtls"]["SgstVal"] = json!(25.01);
            v["ValDtls"]["TotInvVal"] = json!(1050.01);
        },
        "2227",
        "ItemList[0].SgstAmt",
    );
}

#[test]
fn t06_t07_t08_no_cgst_sgst_where_only_igst_applies() {
    let add_cgst = |v: &mut Value| {
        v["ItemList"][0]["CgstAmt"] = json!(0.5);
        v["ItemList"][0]["SgstAmt"] = json!(0.5);
        v["ValDtls"]["CgstVal"] = json!(0.5);
        v["ValDtls"]["SgstVal"] = json!(0.5);
    };
    assert_change_fails(inter_state(), add_cgst, "2174", "ItemList[0].CgstAmt");
    assert_change_fails(sez_supply(), add_cgst, "2237", "ItemList[0].CgstAmt");
    assert_change_fails(export(), add_cgst, "2180", "ItemList[0].CgstAmt");
}

#[test]
fn sez_developer_supplies_are_always_igst() {
    let mut invoice = intra_state();
    invoice["ItemList"][0]["CgstAmt"] = json!(0);
    invoice["ItemList"][0]["SgstAmt"] = json!(0);
    invoice["ItemList"][0]["IgstAmt"] = json!(50);
    invoice["ValDtls"] = json!({"AssVal": 1000, "IgstVal": 50, "TotInvVal": 1050});
    let mut register = register();
    set_status(&mut register, SELLER, |t| {
        t.taxpayer_type = TaxpayerType::Sed
    });
    assert!(validate_with(&invoice, &Rules::default(), &register).is_ok());
    let errors = validate_with(&intra_state(), &Rules::default(), &register).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![
            ("2174", "ItemList[0].CgstAmt".to_owned()),
            ("2235", "ItemList[0].IgstAmt".to_owned())
        ]
    );
}

#[test]
fn t09_gst_rate_must_be_in_the_master() {
    let message = assert_change_fails(
        inter_state(),
        |v| {
            v["ItemList"][1]["GstRt"] = json!(17);
            v["ItemList"][1]["IgstAmt"] = json!(85);
            v["ItemList"][1]["TotItemVal"] = json!(585);
            v["ValDtls"]["IgstVal"] = json!(265);
            v["ValDtls"]["TotInvVal"] = json!(1765);
        },
        "2240",
        "ItemList[1].GstRt",
    )
    .message;
    assert_eq!(message, "Invalid GST rate for HSN -998311");
    let mut forty = inter_state();
    forty["ItemList"][1]["GstRt"] = json!("40.000");
    forty["ItemList"][1]["IgstAmt"] = json!(200);
    forty["ItemList"][1]["TotItemVal"] = json!(700);
    forty["ValDtls"]["IgstVal"] = json!(380);
    forty["ValDtls"]["TotInvVal"] = json!(1880);
    assert!(validate(&forty).is_ok());
}

// ---- §3.5 items ----

#[test]
fn i01_serial_numbers_unique() {
    let message = assert_change_fails(
        inter_state(),
        |v| v["ItemList"][1]["SlNo"] = json!("1"),
        "2233",
        "ItemList[1].SlNo",
    )
    .message;
    assert_eq!(message, "Duplicate SI nos are not allowed in items");
}

#[test]
fn i02_hsn_validity_lists_every_failing_code_once() {
    let message = assert_change_fails(
        inter_state(),
        |v| v["ItemList"][0]["HsnCd"] = json!("39152099"),
        "2176",
        "ItemList[0].HsnCd",
    )
    .message;
    assert_eq!(message, "HSN code(s)-39152099 is invalid");
    // Several failing codes: distinct, comma-separated, in order.
    let mut invoice = inter_state();
    let mut third = invoice["ItemList"][0].clone();
    third["SlNo"] = json!("3");
    invoice["ItemList"][0]["HsnCd"] = json!("39152099");
    third["HsnCd"] = json!("61091099");
    invoice["ItemList"]
        .as_array_mut()
        .unwrap()
        .push(third.clone());
    third["SlNo"] = json!("4");
    third["HsnCd"] = json!("39152099");
    invoice["ItemList"].as_array_mut().unwrap().push(third);
    invoice["ValDtls"] = json!({"AssVal": 3500, "IgstVal": 630, "TotInvVal": 4130});
    let errors = validate(&invoice).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![("2176", "ItemList[0].HsnCd".to_owned())]
    );
    assert_eq!(
        errors[0].message,
        "HSN code(s)-39152099,61091099 is invalid"
    );
}

#[test]
fn i02_minimum_digits_follow_the_suppliers_turnover() {
    let mut invoice = inter_state();
    invoice["ItemList"][0]["HsnCd"] = json!("3915");
    assert_only(validate(&invoice), "2176", "ItemList[0].HsnCd");
    let mut register = register();
    set_status(&mut register, SELLER, |t| t.aato_inr = Some(49_999_999));
    assert!(validate_with(&invoice, &Rules::default(), &register).is_ok());
    set_status(&mut register, SELLER, |t| t.aato_inr = None);
    assert_only(
        validate_with(&invoice, &Rules::default(), &register),
        "2176",
        "ItemList[0].HsnCd",
    );
}

#[test]
fn i02_services_start_with_99_and_goods_do_not() {
    assert_change_fails(
        inter_state(),
        |v| {
            v["ItemList"][1]["IsServc"] = json!("N");
            v["ItemList"][1]["Qty"] = json!(1);
            v["ItemList"][1]["Unit"] = json!("NOS");
        },
        "2176",
        "ItemList[1].HsnCd",
    );
    assert_change_fails(
        inter_state(),
        |v| v["ItemList"][0]["IsServc"] = json!("Y"),
        "2176",
        "ItemList[0].HsnCd",
    );
}

#[test]
fn i02_the_master_check_can_be_switched_off() {
    let mut invoice = inter_state();
    invoice["ItemList"][0]["HsnCd"] = json!("84713099");
    assert_only(validate(&invoice), "2176", "ItemList[0].HsnCd");
    let rules = Rules {
        hsn_master: irp_core::rules::HsnMasterSetting::Off,
        ..Rules::default()
    };
    assert!(validate_with(&invoice, &rules, &register()).is_ok());
    // An operator-supplied directory replaces the shipped one.
    let custom = irp_core::masters::HsnMaster::from_codes(["84713099", "998311"]);
    let rules = Rules {
        hsn_master: irp_core::rules::HsnMasterSetting::Custom(std::sync::Arc::new(custom)),
        ..Rules::default()
    };
    assert!(validate_with(&invoice, &rules, &register()).is_ok());
    assert_only(
        validate_with(&inter_state(), &rules, &register()),
        "2176",
        "ItemList[0].HsnCd",
    );
}

#[test]
fn i03_i04_goods_need_quantity_and_unit() {
    // Without Qty, A-01 is skipped (value-only notes), so only I-03 fails.
    let message = assert_change_fails(
        inter_state(),
        |v| v["ItemList"][0]["Qty"] = Value::Null,
        "2238",
        "ItemList[0].Qty",
    )
    .message;
    assert_eq!(message, "Quantity is required for HSN - 391520");
    let message = assert_change_fails(
        inter_state(),
        |v| v["ItemList"][0]["Unit"] = Value::Null,
        "2239",
        "ItemList[0].Unit",
    )
    .message;
    assert_eq!(message, "Unit is required for HSN - 391520");
}

#[test]
fn i05_units_must_be_uqc_codes() {
    let message = assert_change_fails(
        inter_state(),
        |v| {
            v["ItemList"][0]["Unit"] = json!("cbn");
            v["ItemList"][1]["Unit"] = json!("HRS");
        },
        "2177",
        "ItemList[0].Unit",
    )
    .message;
    assert_eq!(message, "Invalid item unit code(s)-CBN,HRS");
}

// ---- §3.6 arithmetic ----

#[test]
fn a01_gross_amount_with_a_tolerance_that_grows_with_quantity() {
    let message = assert_change_fails(
        inter_state(),
        |v| {
            v["ItemList"][0]["TotAmt"] = json!(1001.01);
            v["ItemList"][0]["AssAmt"] = json!(1001.01);
            v["ItemList"][0]["IgstAmt"] = json!(180.18);
            v["ItemList"][0]["TotItemVal"] = json!(1181.19);
            v["ValDtls"] = json!({"AssVal": 1501.01, "IgstVal": 270.18, "TotInvVal": 1771.19});
        },
        "2192",
        "ItemList[0].TotAmt",
    )
    .message;
    assert_eq!(
        message,
        "TotAmt value should be equal to (Qty * UnitPrice) for HSN 391520"
    );
    // The worked example of `04` §4.2: Qty 50000 at 12.346 against a total of 617280.00.
    let mut invoice = inter_state();
    invoice["ItemList"][0]["Qty"] = json!(50000);
    invoice["ItemList"][0]["UnitPrice"] = json!(12.346);
    invoice["ItemList"][0]["TotAmt"] = json!(617280.00);
    invoice["ItemList"][0]["AssAmt"] = json!(617280.00);
    invoice["ItemList"][0]["IgstAmt"] = json!(111110.40);
    invoice["ItemList"][0]["TotItemVal"] = json!(728390.40);
    invoice["ValDtls"] = json!({"AssVal": 617780, "IgstVal": 111200.40, "TotInvVal": 728980.40});
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    // Value-only credit notes: no quantity, no check.
    let mut note = inter_state();
    note["DocDtls"]["Typ"] = json!("CRN");
    note["ItemList"][0]["Qty"] = json!(0);
    assert!(validate(&note).is_ok());
}

#[test]
fn a02_assessable_amount_is_total_less_discount() {
    let message = assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["Discount"] = json!(10),
        "2193",
        "ItemList[0].AssAmt",
    )
    .message;
    assert_eq!(
        message,
        "For HSN - 61091000 and Sl. No - 1, AssAmt value should be equal to (TotAmt - Discount)"
    );
}

#[test]
fn a03_cgst_and_sgst_at_half_the_rate() {
    assert_change_fails(
        intra_state(),
        |v| {
            v["ItemList"][0]["CgstAmt"] = json!(30);
            v["ItemList"][0]["SgstAmt"] = json!(30);
            v["ItemList"][0]["TotItemVal"] = json!(1060);
            v["ValDtls"] = json!({"AssVal": 1000, "CgstVal": 30, "SgstVal": 30, "TotInvVal": 1060});
        },
        "2234",
        "ItemList[0].CgstAmt",
    );
}

#[test]
fn a04_igst_at_the_rate_except_without_payment() {
    let message = assert_change_fails(
        inter_state(),
        |v| {
            v["ItemList"][0]["IgstAmt"] = json!(182);
            v["ItemList"][0]["TotItemVal"] = json!(1182);
            v["ValDtls"]["IgstVal"] = json!(272);
            v["ValDtls"]["TotInvVal"] = json!(1772);
        },
        "2235",
        "ItemList[0].IgstAmt",
    )
    .message;
    assert_eq!(message, "IGST amount given with HSN -391520 is Invalid");
    // Within ₹1 passes.
    let mut close = inter_state();
    close["ItemList"][0]["IgstAmt"] = json!(181);
    close["ItemList"][0]["TotItemVal"] = json!(1181);
    close["ValDtls"]["IgstVal"] = json!(271);
    close["ValDtls"]["TotInvVal"] = json!(1771);
    assert!(validate(&close).is_ok());
    // EXPWOP: IGST 0 is accepted.
    let mut lut = export();
    lut["TranDtls"]["SupTyp"] = json!("EXPWOP");
    lut["ItemList"][0]["IgstAmt"] = json!(0);
    lut["ItemList"][0]["TotItemVal"] = json!(1000);
    lut["ValDtls"] = json!({"AssVal": 1000, "IgstVal": 0, "TotInvVal": 1000});
    assert!(validate(&lut).is_ok(), "{:?}", validate(&lut).err());
}

#[test]
fn a05_a06_cess_at_the_rate() {
    assert_change_fails(
        inter_state(),
        |v| {
            v["ItemList"][0]["CesRt"] = json!(5);
            v["ItemList"][0]["CesAmt"] = json!(40);
            v["ItemList"][0]["TotItemVal"] = json!(1220);
            v["ValDtls"]["CesVal"] = json!(40);
            v["ValDtls"]["TotInvVal"] = json!(1810);
        },
        "2266",
        "ItemList[0].CesAmt",
    );
    assert_change_fails(
        inter_state(),
        |v| {
            v["ItemList"][0]["StateCesRt"] = json!(1);
            v["ItemList"][0]["StateCesAmt"] = json!(20);
            v["ItemList"][0]["TotItemVal"] = json!(1200);
            v["ValDtls"]["StCesVal"] = json!(20);
            v["ValDtls"]["TotInvVal"] = json!(1790);
        },
        "2267",
        "ItemList[0].StateCesAmt",
    );
}

#[test]
fn a07_item_total_and_the_reverse_charge_alternative() {
    let message = assert_change_fails(
        inter_state(),
        |v| {
            v["ItemList"][0]["TotItemVal"] = json!(1190);
            v["ValDtls"]["TotInvVal"] = json!(1780);
        },
        "2194",
        "ItemList[0].TotItemVal",
    )
    .message;
    assert_eq!(message, "Invalid total item value for HSN - 391520");
    let mut invoice = inter_state();
    invoice["TranDtls"]["RegRev"] = json!("Y");
    invoice["ItemList"][0]["TotItemVal"] = json!(1000);
    invoice["ValDtls"]["TotInvVal"] = json!(1590);
    assert!(validate(&invoice).is_ok());
}

#[test]
fn a08_to_a13_totals_are_sums_of_items() {
    let cases = [
        ("AssVal", json!(1502.01), "2182"),
        ("IgstVal", json!(272), "2185"),
        ("CesVal", json!(2), "2186"),
        ("StCesVal", json!(2), "2187"),
    ];
    for (field, value, code) in cases {
        let message = assert_change_fails(
            inter_state(),
            |v| v["ValDtls"][field] = value,
            code,
            &format!("ValDtls.{field}"),
        )
        .message;
        assert!(!message.is_empty());
    }
    for (field, code) in [("SgstVal", "2183"), ("CgstVal", "2184")] {
        assert_change_fails(
            intra_state(),
            |v| v["ValDtls"][field] = json!(27),
            code,
            &format!("ValDtls.{field}"),
        );
    }
}

#[test]
fn a14_invoice_total_within_one_rupee() {
    let message = assert_change_fails(
        inter_state(),
        |v| v["ValDtls"]["TotInvVal"] = json!(1771.01),
        "2189",
        "ValDtls.TotInvVal",
    )
    .message;
    assert_eq!(message, "Invalid total Invoice Value");
    let mut edge = inter_state();
    edge["ValDtls"]["TotInvVal"] = json!(1771.00);
    assert!(validate(&edge).is_ok(), "the boundary is inside");
}

#[test]
fn a15_item_other_charges_only_when_enabled() {
    let mut invoice = inter_state();
    invoice["ValDtls"]["OthChrg"] = json!(20);
    invoice["ValDtls"]["TotInvVal"] = json!(1790);
    assert!(validate(&invoice).is_ok());
    let rules = Rules {
        enforce_2264: true,
        ..Rules::default()
    };
    assert_only(
        validate_with(&invoice, &rules, &register()),
        "2264",
        "ValDtls.OthChrg",
    );
}

#[test]
fn business_errors_come_in_rule_order_then_item_order() {
    let mut invoice = inter_state();
    invoice["ItemList"][1]["GstRt"] = json!(17);
    invoice["ItemList"][0]["GstRt"] = json!(13);
    invoice["DocDtls"]["Dt"] = json!("11/07/2025");
    invoice["BuyerDtls"]["Gstin"] = json!(SELLER);
    let errors = validate(&invoice).unwrap_err();
    let found: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
    let position = |code| found.iter().position(|c| *c == code).unwrap();
    assert!(position("2211") < position("2163"), "{found:?}");
    assert!(position("2163") < position("2240"));
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.code == "2240")
            .map(|e| e.path.as_str())
            .collect::<Vec<_>>(),
        ["ItemList[0].GstRt", "ItemList[1].GstRt"]
    );
}

#[test]
fn a15_is_an_equality_not_an_approximation() {
    let rules = Rules {
        enforce_2264: true,
        ..Rules::default()
    };
    let mut invoice = inter_state();
    invoice["ItemList"][0]["OthChrg"] = json!(20);
    invoice["ItemList"][0]["TotItemVal"] = json!(1200);
    invoice["ValDtls"]["OthChrg"] = json!(20);
    invoice["ValDtls"]["TotInvVal"] = json!(1810);
    assert!(
        validate_with(&invoice, &rules, &register()).is_ok(),
        "{:?}",
        validate_with(&invoice, &rules, &register()).err()
    );
    invoice["ValDtls"]["OthChrg"] = json!(20.01);
    invoice["ValDtls"]["TotInvVal"] = json!(1810.01);
    assert_only(
        validate_with(&invoice, &rules, &register()),
        "2264",
        "ValDtls.OthChrg",
    );
}

#[test]
fn expected_values_are_rounded_to_two_decimals_before_the_tolerance() {
    // 100.004 − 0 rounds to 100.00, exactly ₹1 from 99.00: inside the inclusive tolerance.
    let mut invoice = inter_state();
    invoice["ItemList"][1]["TotAmt"] = json!(500.004);
    invoice["ItemList"][1]["AssAmt"] = json!(499);
    invoice["ItemList"][1]["IgstAmt"] = json!(89.82);
    invoice["ItemList"][1]["TotItemVal"] = json!(588.82);
    invoice["ValDtls"] = json!({"AssVal": 1499, "IgstVal": 269.82, "TotInvVal": 1768.82});
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    invoice["ItemList"][1]["TotAmt"] = json!(500.006);
    assert_only(validate(&invoice), "2193", "ItemList[1].AssAmt");
}

// ---- boundaries of the rules (issue 22: what mutation testing showed untested) ----

/// A free supply: one goods item at a positive rate whose price, and so assessable value, is 0.
fn free_supply() -> Value {
    let mut invoice = intra_state();
    invoice["ItemList"][0]["UnitPrice"] = json!(0);
    invoice["ItemList"][0]["TotAmt"] = json!(0);
    invoice["ItemList"][0]["AssAmt"] = json!(0);
    invoice["ItemList"][0]["CgstAmt"] = json!(0);
    invoice["ItemList"][0]["SgstAmt"] = json!(0);
    invoice["ItemList"][0]["TotItemVal"] = json!(0);
    invoice["ValDtls"] = json!({"AssVal": 0, "CgstVal": 0, "SgstVal": 0, "IgstVal": 0, "Discount": 0, "TotInvVal": 0});
    invoice
}

#[test]
fn p09_a_registered_buyer_of_a_deemed_export_is_allowed() {
    let mut invoice = inter_state();
    invoice["TranDtls"]["SupTyp"] = json!("DEXP");
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
}

#[test]
fn p16_pos_96_needs_every_item_to_be_a_transport_service() {
    // One service, but not a transport one (9983): 2242.
    let mut invoice = inter_state();
    invoice["BuyerDtls"]["Pos"] = json!("96");
    invoice["ItemList"] = json!([invoice["ItemList"][1].clone()]);
    invoice["ValDtls"] = json!({"AssVal": 500, "IgstVal": 90, "TotInvVal": 590});
    assert_only(validate(&invoice), "2242", "BuyerDtls.Pos");
    // A courier service (9968) passes like a goods transport service (9965).
    invoice["ItemList"][0]["HsnCd"] = json!("996812");
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    // A transport service next to a service of another kind: 2242.
    let mut other = invoice["ItemList"][0].clone();
    other["SlNo"] = json!("3");
    other["HsnCd"] = json!("998311");
    invoice["ItemList"].as_array_mut().unwrap().push(other);
    invoice["ValDtls"] = json!({"AssVal": 1000, "IgstVal": 180, "TotInvVal": 1180});
    assert_only(validate(&invoice), "2242", "BuyerDtls.Pos");
}

#[test]
fn dt06_a_period_of_one_day_is_allowed() {
    let mut invoice = intra_state();
    invoice["RefDtls"] =
        json!({"DocPerdDtls": {"InvStDt": "30/06/2025", "InvEndDt": "30/06/2025"}});
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    invoice["RefDtls"]["DocPerdDtls"]["InvStDt"] = json!("01/07/2025");
    assert_only(validate(&invoice), "2219", "RefDtls.DocPerdDtls.InvStDt");
}

#[test]
fn dt07_a_zero_discount_is_not_checked_even_on_a_zero_invoice() {
    // Discount 0 is not > 0, so it need not be below a total of 0.
    assert!(
        validate(&free_supply()).is_ok(),
        "{:?}",
        validate(&free_supply()).err()
    );
    // A positive discount equal to the total is refused, one just below it is not.
    let mut invoice = intra_state();
    invoice["ValDtls"]["Discount"] = json!(1049.99);
    invoice["ValDtls"]["OthChrg"] = json!(1049.99);
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    invoice["ValDtls"]["Discount"] = json!(1050);
    invoice["ValDtls"]["OthChrg"] = json!(1050);
    assert_only(validate(&invoice), "2220", "ValDtls.Discount");
}

#[test]
fn t02_services_alone_or_goods_alone_are_no_mix() {
    // POS is the supplier's state, the buyer is in Maharashtra.
    let mut invoice = intra_state();
    invoice["BuyerDtls"] = json!({"Gstin": BUYER_MH, "LglNm": "Maharashtra Buyer Ltd", "Pos": "29", "Addr1": "Nariman Point",
                                  "Loc": "Mumbai", "Pin": 400001, "Stcd": "27"});
    assert!(
        validate(&invoice).is_ok(),
        "goods only: {:?}",
        validate(&invoice).err()
    );
    let service = &mut invoice["ItemList"][0];
    service["IsServc"] = json!("Y");
    service["HsnCd"] = json!("998311");
    service["Qty"] = Value::Null;
    service["Unit"] = Value::Null;
    assert!(
        validate(&invoice).is_ok(),
        "services only: {:?}",
        validate(&invoice).err()
    );
    let mut second = invoice["ItemList"][0].clone();
    second["SlNo"] = json!("2");
    invoice["ItemList"].as_array_mut().unwrap().push(second);
    invoice["ValDtls"] = json!({"AssVal": 2000, "CgstVal": 50, "SgstVal": 50, "TotInvVal": 2100});
    assert!(
        validate(&invoice).is_ok(),
        "two services: {:?}",
        validate(&invoice).err()
    );
}

#[test]
fn t04_only_items_with_a_positive_rate_and_a_positive_value_need_cgst_and_sgst() {
    // A positive rate on a zero assessable value: nothing to tax.
    assert!(validate(&free_supply()).is_ok());
    // A nil-rated item with a value: no CGST or SGST either.
    let mut nil = intra_state();
    nil["ItemList"][0]["GstRt"] = json!(0);
    nil["ItemList"][0]["CgstAmt"] = json!(0);
    nil["ItemList"][0]["SgstAmt"] = json!(0);
    nil["ItemList"][0]["TotItemVal"] = json!(1000);
    nil["ValDtls"] = json!({"AssVal": 1000, "CgstVal": 0, "SgstVal": 0, "TotInvVal": 1000});
    assert!(validate(&nil).is_ok(), "{:?}", validate(&nil).err());
    // Both given as 0 on a taxable item are not "> 0": T-04, and A-03 for the wrong amounts.
    let mut zero = intra_state();
    zero["ItemList"][0]["CgstAmt"] = json!(0);
    zero["ItemList"][0]["SgstAmt"] = json!(0);
    zero["ItemList"][0]["TotItemVal"] = json!(1000);
    zero["ValDtls"] = json!({"AssVal": 1000, "CgstVal": 0, "SgstVal": 0, "TotInvVal": 1000});
    assert_eq!(
        codes(&validate(&zero).unwrap_err()),
        vec![
            ("2241", "ItemList[0].CgstAmt".to_owned()),
            ("2234", "ItemList[0].CgstAmt".to_owned())
        ]
    );
}

/// Item 0 of `inter_state` with `Qty` × 1 and the given `TotAmt`, every dependent value
/// (assessable amount, IGST at 18 %, totals) consistent with it.
fn goods_total(qty: u32, tot_amt: &str) -> Value {
    use rust_decimal::Decimal;
    let total: Decimal = tot_amt.parse().unwrap();
    let igst = (total * Decimal::new(18, 2)).round_dp(2);
    let item_value = total + igst;
    let number = |d: Decimal| serde_json::from_str::<Value>(&d.to_string()).unwrap();
    let mut invoice = inter_state();
    let item = &mut invoice["ItemList"][0];
    item["Qty"] = json!(qty);
    item["UnitPrice"] = json!(1);
    item["TotAmt"] = number(total);
    item["AssAmt"] = number(total);
    item["IgstAmt"] = number(igst);
    item["TotItemVal"] = number(item_value);
    invoice["ValDtls"] = json!({
        "AssVal": number(total + Decimal::from(500)),
        "IgstVal": number(igst + Decimal::from(90)),
        "TotInvVal": number(item_value + Decimal::from(590)),
    });
    invoice
}

#[test]
fn a01_the_widened_tolerance_is_inclusive_at_its_edge() {
    // Qty 3990: max(₹1, 0.0005 × 3990 + 0.005) = ₹2.00 around 3990.00.
    for inside in ["3992.00", "3988.00"] {
        let invoice = goods_total(3990, inside);
        assert!(
            validate(&invoice).is_ok(),
            "{inside}: {:?}",
            validate(&invoice).err()
        );
    }
    for outside in ["3992.01", "3987.99"] {
        assert_only(
            validate(&goods_total(3990, outside)),
            "2192",
            "ItemList[0].TotAmt",
        );
    }
    // The worked example's tolerance, 0.0005 × 50000 + 0.005 = ₹25.005 around 50000.00.
    assert!(validate(&goods_total(50000, "50025.00")).is_ok());
    assert_only(
        validate(&goods_total(50000, "50025.01")),
        "2192",
        "ItemList[0].TotAmt",
    );
    // Below Qty 1990 the floor of ₹1 applies.
    assert!(validate(&goods_total(1000, "1001.00")).is_ok());
    assert_only(
        validate(&goods_total(1000, "1001.01")),
        "2192",
        "ItemList[0].TotAmt",
    );
}

#[test]
fn a07_the_total_without_taxes_is_accepted_only_under_reverse_charge() {
    // Item 0: AssAmt 1000 + OthChrg 10, IGST 180: 1190 with the tax, 1010 without.
    let mut invoice = inter_state();
    invoice["ItemList"][0]["OthChrg"] = json!(10);
    invoice["ItemList"][0]["TotItemVal"] = json!(1010);
    invoice["ValDtls"]["TotInvVal"] = json!(1600);
    assert_only(validate(&invoice), "2194", "ItemList[0].TotItemVal");
    invoice["TranDtls"]["RegRev"] = json!("Y");
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    // Within the tolerance of the total without taxes, inclusive.
    invoice["ItemList"][0]["TotItemVal"] = json!(1011);
    invoice["ValDtls"]["TotInvVal"] = json!(1601);
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    invoice["ItemList"][0]["TotItemVal"] = json!(1011.01);
    invoice["ValDtls"]["TotInvVal"] = json!(1601.01);
    assert_only(validate(&invoice), "2194", "ItemList[0].TotItemVal");
    // The total with the taxes stays accepted under reverse charge.
    invoice["ItemList"][0]["TotItemVal"] = json!(1190);
    invoice["ValDtls"]["TotInvVal"] = json!(1780);
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
}

#[test]
fn p04_a_cancelled_seller_may_invoice_from_its_registration_day_to_its_deregistration_day() {
    // `DtReg` ≤ `DocDtls.Dt` ≤ `DtDReg` is allowed, both ends included.
    for (registered, deregistered) in [("01/07/2025", "01/08/2025"), ("01/01/2020", "01/07/2025")] {
        let mut register = register();
        set_status(&mut register, SELLER, |t| {
            t.status = RegistrationStatus::Cnl;
            t.registered_on = Some(date(registered));
            t.deregistered_on = Some(date(deregistered));
        });
        let result = validate_with(&intra_state(), &Rules::default(), &register);
        assert!(
            result.is_ok(),
            "{registered}–{deregistered}: {:?}",
            result.err()
        );
    }
}

#[test]
fn t04_both_cgst_and_sgst_must_be_present() {
    // SGST missing on a taxable intra item: T-04, T-05 (25 ≠ 0) and A-03 (0 ≠ 25).
    let mut invoice = intra_state();
    invoice["ItemList"][0]["SgstAmt"] = Value::Null;
    invoice["ItemList"][0]["TotItemVal"] = json!(1025);
    invoice["ValDtls"] = json!({"AssVal": 1000, "CgstVal": 25, "TotInvVal": 1025});
    assert_eq!(
        codes(&validate(&invoice).unwrap_err()),
        vec![
            ("2241", "ItemList[0].CgstAmt".to_owned()),
            ("2227", "ItemList[0].SgstAmt".to_owned()),
            ("2234", "ItemList[0].CgstAmt".to_owned())
        ]
    );
}

#[test]
fn t06_cgst_alone_or_sgst_alone_is_refused_in_the_igst_regime() {
    for field in ["CgstAmt", "SgstAmt"] {
        assert_change_fails(
            inter_state(),
            |v| v["ItemList"][0][field] = json!(0.5),
            "2174",
            "ItemList[0].CgstAmt",
        );
    }
}

#[test]
fn a03_cgst_and_sgst_are_each_checked() {
    // CGST right, SGST ₹2 off: T-05 and A-03.
    let mut invoice = intra_state();
    invoice["ItemList"][0]["SgstAmt"] = json!(27);
    invoice["ItemList"][0]["TotItemVal"] = json!(1052);
    invoice["ValDtls"] = json!({"AssVal": 1000, "CgstVal": 25, "SgstVal": 27, "TotInvVal": 1052});
    assert_eq!(
        codes(&validate(&invoice).unwrap_err()),
        vec![
            ("2227", "ItemList[0].SgstAmt".to_owned()),
            ("2234", "ItemList[0].CgstAmt".to_owned())
        ]
    );
}

#[test]
fn business_errors_stop_at_max_errors() {
    // Two rates outside the master, and IGST amounts that do not match them: four errors.
    let mut invoice = inter_state();
    invoice["ItemList"][0]["GstRt"] = json!(13);
    invoice["ItemList"][1]["GstRt"] = json!(17);
    let all = validate(&invoice).unwrap_err();
    assert_eq!(
        codes(&all),
        vec![
            ("2240", "ItemList[0].GstRt".to_owned()),
            ("2240", "ItemList[1].GstRt".to_owned()),
            ("2235", "ItemList[0].IgstAmt".to_owned()),
            ("2235", "ItemList[1].IgstAmt".to_owned())
        ]
    );
    for max_errors in 1..=4 {
        let rules = Rules {
            max_errors,
            ..Rules::default()
        };
        let errors = validate_with(&invoice, &rules, &register()).unwrap_err();
        assert_eq!(codes(&errors), codes(&all[..max_errors]), "{max_errors}");
    }
}
