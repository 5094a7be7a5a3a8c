//! Stages 1–2: binding rules (`03` §1) and every schema-level code (`04` §2).

use irp_core::bind::{normalise_vehicle_number, parse_invoice};
use irp_core::canonical::invoice_json;
use irp_core::register::{MemoryRegister, Taxpayer};
use irp_core::rules::Rules;
use serde_json::{Value, json};

use crate::support::*;

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

fn schema_errors(raw: &[u8]) -> Vec<(&'static str, String)> {
    match parse_invoice(raw, &Rules::default(), &register()) {
        Ok(_) => Vec::new(),
        Err(errors) => codes(&errors),
    }
}

#[test]
fn v01_empty_payloads_get_2255() {
    for raw in ["", "   ", "null", "{}"] {
        assert_eq!(
            schema_errors(raw.as_bytes()),
            vec![("2255", String::new())],
            "{raw:?}"
        );
    }
}

#[test]
fn v02_json_syntax_errors_name_line_and_column() {
    let errors = parse_invoice(
        b"{\n\"Version\": \"1.1\",\n\"TranDtls\": }",
        &Rules::default(),
        &register(),
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "2140");
    assert_eq!(
        errors[0].message,
        "Invalid JSON: expected value at line 3, column 13."
    );
}

#[test]
fn a_json_value_that_is_not_an_object_is_refused() {
    assert_eq!(schema_errors(b"[1,2]"), vec![("2140", "$".to_owned())]);
}

#[test]
fn v03_irn_must_not_be_sent() {
    let error = assert_change_fails(intra_state(), |v| v["Irn"] = json!("abc"), "2140", "Irn");
    assert_eq!(error.message, "The field Irn must not be sent.");
    // An empty Irn is absent.
    let mut invoice = intra_state();
    invoice["Irn"] = json!("");
    assert!(validate(&invoice).is_ok());
}

#[test]
fn v04_version_must_be_1_1() {
    let error = assert_change_fails(
        intra_state(),
        |v| v["Version"] = json!("1.0"),
        "2140",
        "Version",
    );
    assert_eq!(error.message, "The field Version must be one of: 1.1.");
    let error = assert_change_fails(
        intra_state(),
        |v| {
            v.as_object_mut()
                .unwrap()
                .remove("Version")
                .map(drop)
                .unwrap()
        },
        "2140",
        "Version",
    );
    assert_eq!(error.message, "The Version field is required.");
}

#[test]
fn v05_v06_supplier_gstin_missing_or_urp() {
    assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Gstin"] = Value::Null,
        "2155",
        "SellerDtls.Gstin",
    );
    let error = assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Gstin"] = json!("urp"),
        "2213",
        "SellerDtls.Gstin",
    );
    assert_eq!(error.message, "The supplier GSTIN cannot be URP");
}

#[test]
fn v07_document_type() {
    assert_change_fails(
        intra_state(),
        |v| v["DocDtls"]["Typ"] = json!("BIL"),
        "2161",
        "DocDtls.Typ",
    );
}

#[test]
fn v08_document_date_format_calendar_and_year_range() {
    for bad in [
        "31/02/2025",
        "2025-07-01",
        "1/7/2025",
        "01/07/2009",
        "01/07/2100",
    ] {
        assert_change_fails(
            intra_state(),
            |v| v["DocDtls"]["Dt"] = json!(bad),
            "2144",
            "DocDtls.Dt",
        );
    }
}

#[test]
fn v09_v10_reverse_charge_and_igst_on_intra_flags() {
    assert_change_fails(
        intra_state(),
        |v| v["TranDtls"]["RegRev"] = json!("X"),
        "2159",
        "TranDtls.RegRev",
    );
    assert_change_fails(
        intra_state(),
        |v| v["TranDtls"]["IgstOnIntra"] = json!("YES"),
        "2263",
        "TranDtls.IgstOnIntra",
    );
}

#[test]
fn v11_v12_v13_state_codes_against_the_master() {
    assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Stcd"] = json!("99"),
        "2259",
        "SellerDtls.Stcd",
    );
    assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Stcd"] = json!("0"),
        "2259",
        "SellerDtls.Stcd",
    );
    assert_change_fails(
        intra_state(),
        |v| v["BuyerDtls"]["Stcd"] = json!("40"),
        "2260",
        "BuyerDtls.Stcd",
    );
    let error = assert_change_fails(
        intra_state(),
        |v| v["DispDtls"] = json!({"Nm": "Warehouse", "Addr1": "Plot 1", "Loc": "Hosur", "Pin": 560001, "Stcd": "55"}),
        "2200",
        "DispDtls.Stcd",
    );
    assert_eq!(
        error.message,
        "Invalid state code 55 in dispatch details or ship details"
    );
    assert_change_fails(
        intra_state(),
        |v| v["ShipDtls"] = json!({"LglNm": "Site", "Addr1": "Plot 1", "Loc": "Hosur", "Pin": 560001, "Stcd": "00"}),
        "2200",
        "ShipDtls.Stcd",
    );
}

#[test]
fn state_codes_compare_numerically_and_echo_as_sent() {
    let mut invoice = intra_state();
    invoice["BuyerDtls"]["Pos"] = json!(29);
    let bound = validate(&invoice).unwrap();
    assert_eq!(bound.buyer_dtls.pos.text, "29");
    let mut delhi = intra_state();
    delhi["SellerDtls"]["Stcd"] = json!("7");
    // The seller's GSTIN says 29, so only P-06 and P-14 fail: the code itself binds.
    let errors = validate(&delhi).unwrap_err();
    assert!(
        codes(&errors).contains(&("2258", "SellerDtls.Stcd".to_owned())),
        "{errors:?}"
    );
}

#[test]
fn v14_item_list_missing_or_empty() {
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"] = json!([]),
        "2228",
        "ItemList",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"] = Value::Null,
        "2228",
        "ItemList",
    );
}

#[test]
fn v15_item_limit_and_its_per_gstin_override() {
    let mut invoice = intra_state();
    let item = invoice["ItemList"][0].clone();
    invoice["ItemList"] = Value::Array(
        (1..=1001)
            .map(|n| {
                let mut item = item.clone();
                item["SlNo"] = json!(n.to_string());
                item
            })
            .collect(),
    );
    assert!(schema_errors(&bytes(&invoice)).contains(&("2173", "ItemList".to_owned())));

    let mut register = register();
    let mut seller = Taxpayer::active_regular(SELLER, Some(1_500_000_000));
    seller.max_items = Some(2000);
    register.insert(seller.clone());
    assert!(parse_invoice(&bytes(&invoice), &Rules::default(), &register).is_ok());

    seller.max_items = Some(1);
    register.insert(seller);
    let mut two = intra_state();
    let mut second = two["ItemList"][0].clone();
    second["SlNo"] = json!("2");
    two["ItemList"].as_array_mut().unwrap().push(second);
    let errors = parse_invoice(&bytes(&two), &Rules::default(), &register).unwrap_err();
    assert_eq!(codes(&errors), vec![("2173", "ItemList".to_owned())]);
}

#[test]
fn v16_v17_v18_export_port_country_currency() {
    assert_change_fails(
        export(),
        |v| v["ExpDtls"]["Port"] = json!("IN BLR"),
        "2201",
        "ExpDtls.Port",
    );
    assert_change_fails(
        export(),
        |v| v["ExpDtls"]["CntCode"] = json!("XX"),
        "2202",
        "ExpDtls.CntCode",
    );
    assert_change_fails(
        export(),
        |v| v["ExpDtls"]["CntCode"] = json!("USA"),
        "2202",
        "ExpDtls.CntCode",
    );
    assert_change_fails(
        export(),
        |v| v["ExpDtls"]["ForCur"] = json!("ABC"),
        "2203",
        "ExpDtls.ForCur",
    );
    assert_change_fails(
        export(),
        |v| v["ExpDtls"]["ForCur"] = json!("US1"),
        "2203",
        "ExpDtls.ForCur",
    );
    // Codes are compared case-insensitively and stored in upper case.
    let mut lower = export();
    lower["ExpDtls"]["CntCode"] = json!("us");
    lower["ExpDtls"]["ForCur"] = json!("usd");
    let bound = validate(&lower).unwrap();
    assert_eq!(bound.exp_dtls.unwrap().cnt_code.as_deref(), Some("US"));
}

fn with_ewb(ewb: Value) -> Value {
    let mut invoice = intra_state();
    invoice["EwbDtls"] = ewb;
    invoice
}

#[test]
fn v19_to_v23_e_way_bill_schema_codes() {
    let base = with_ewb(
        json!({"TransId": "29AAGCB7383J1Z4", "TransMode": "1", "Distance": 100,
                               "TransDocNo": "LR/1", "TransDocDt": "01/07/2025", "VehNo": "KA12ER1234", "VehType": "R"}),
    );
    assert_change_fails(
        base.clone(),
        |v| v["EwbDtls"]["TransId"] = json!("29AAGCB7383J1Z"),
        "4018",
        "EwbDtls.TransId",
    );
    assert_change_fails(
        base.clone(),
        |v| v["EwbDtls"]["TransDocDt"] = json!("32/01/2025"),
        "4017",
        "EwbDtls.TransDocDt",
    );
    assert_change_fails(
        base.clone(),
        |v| v["EwbDtls"]["VehNo"] = json!("K-A"),
        "4014",
        "EwbDtls.VehNo",
    );
    assert_change_fails(
        base.clone(),
        |v| v["EwbDtls"]["VehNo"] = json!("KA12#1234"),
        "4014",
        "EwbDtls.VehNo",
    );
    assert_change_fails(
        base.clone(),
        |v| v["EwbDtls"]["VehType"] = json!("X"),
        "4020",
        "EwbDtls.VehType",
    );
    assert_change_fails(
        base.clone(),
        |v| v["EwbDtls"]["Distance"] = json!(4001),
        "4038",
        "EwbDtls.Distance",
    );
    assert_change_fails(
        base.clone(),
        |v| v["EwbDtls"]["Distance"] = json!(-1),
        "2140",
        "EwbDtls.Distance",
    );
    assert_change_fails(
        base.clone(),
        |v| {
            v["EwbDtls"]
                .as_object_mut()
                .unwrap()
                .remove("Distance")
                .map(drop)
                .unwrap()
        },
        "2140",
        "EwbDtls.Distance",
    );
    assert_change_fails(
        base,
        |v| v["EwbDtls"]["TransMode"] = json!("5"),
        "2140",
        "EwbDtls.TransMode",
    );
}

#[test]
fn vehicle_numbers_are_normalised_before_any_check() {
    assert_eq!(normalise_vehicle_number("ka-12 er 1234"), "KA12ER1234");
    let invoice =
        with_ewb(json!({"Distance": 10, "TransMode": 1, "VehNo": "ka-12 er 1234", "VehType": "r"}));
    let ewb = validate(&invoice).unwrap().ewb_dtls.unwrap();
    assert_eq!(ewb.veh_no.as_deref(), Some("KA12ER1234"));
    assert_eq!(ewb.veh_type.as_deref(), Some("R"));
    assert_eq!(ewb.trans_mode.as_deref(), Some("1"));
}

#[test]
fn v24_length_pattern_range_enum_and_type_templates() {
    let error = assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["LglNm"] = json!("AB"),
        "2140",
        "SellerDtls.LglNm",
    );
    assert_eq!(
        error.message,
        "The field SellerDtls.LglNm must be a string with a minimum length of 3 and a maximum length of 100."
    );
    let error = assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Ph"] = json!("12ab56"),
        "2140",
        "SellerDtls.Ph",
    );
    assert_eq!(
        error.message,
        "The field SellerDtls.Ph must match the regular expression '^([0-9]{6,12})$'."
    );
    let error = assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["Qty"] = json!(-1),
        "2140",
        "ItemList[0].Qty",
    );
    assert_eq!(
        error.message,
        "The field ItemList[0].Qty must be between 0 and 9999999999.999."
    );
    let error = assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["IsServc"] = json!("X"),
        "2140",
        "ItemList[0].IsServc",
    );
    assert_eq!(
        error.message,
        "The field ItemList[0].IsServc must be one of: Y, N."
    );
    let error = assert_change_fails(
        intra_state(),
        |v| v["BuyerDtls"]["LglNm"] = json!(true),
        "2140",
        "BuyerDtls.LglNm",
    );
    assert_eq!(
        error.message,
        "The field BuyerDtls.LglNm has an invalid value."
    );
    assert_change_fails(
        intra_state(),
        |v| v["TranDtls"] = json!("B2B"),
        "2140",
        "TranDtls",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["TotAmt"] = json!("1,000"),
        "2140",
        "ItemList[0].TotAmt",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["TotAmt"] = json!([1000]),
        "2140",
        "ItemList[0].TotAmt",
    );
    assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Pin"] = json!(56000),
        "2140",
        "SellerDtls.Pin",
    );
    assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Pin"] = json!(560001.5),
        "2140",
        "SellerDtls.Pin",
    );
    assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Em"] = json!("seller@"),
        "2140",
        "SellerDtls.Em",
    );
    assert_change_fails(
        intra_state(),
        |v| v["DocDtls"]["No"] = json!("0INV"),
        "2140",
        "DocDtls.No",
    );
    assert_change_fails(
        intra_state(),
        |v| v["DocDtls"]["No"] = json!("INV/2025/00000001"),
        "2140",
        "DocDtls.No",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["HsnCd"] = json!("6109100"),
        "2140",
        "ItemList[0].HsnCd",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["HsnCd"] = json!("0000"),
        "2140",
        "ItemList[0].HsnCd",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["SlNo"] = json!("1234567"),
        "2140",
        "ItemList[0].SlNo",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ValDtls"]["RndOffAmt"] = json!(100),
        "2140",
        "ValDtls.RndOffAmt",
    );
    assert_change_fails(
        intra_state(),
        |v| v["TranDtls"]["SupTyp"] = json!("B2C"),
        "2140",
        "TranDtls.SupTyp",
    );
    assert_change_fails(
        intra_state(),
        |v| v["TranDtls"]["TaxSch"] = json!("VAT"),
        "2140",
        "TranDtls.TaxSch",
    );
    assert_change_fails(
        intra_state(),
        |v| v["TranDtls"]["EcmGstin"] = json!("29AAGCB7383J1Z"),
        "2140",
        "TranDtls.EcmGstin",
    );
    assert_change_fails(
        intra_state(),
        |v| v["BuyerDtls"]["Pos"] = json!("100"),
        "2140",
        "BuyerDtls.Pos",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["Unit"] = json!("NO"),
        "2140",
        "ItemList[0].Unit",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["OrgCntry"] = json!("IND"),
        "2140",
        "ItemList[0].OrgCntry",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["BchDtls"] = json!({"ExpDt": "01/01/2030"}),
        "2140",
        "ItemList[0].BchDtls.Nm",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["BchDtls"] = json!({"Nm": "BATCH1", "ExpDt": "01/01/1979"}),
        "2140",
        "ItemList[0].BchDtls.ExpDt",
    );
    assert_change_fails(
        intra_state(),
        |v| v["RefDtls"] = json!({"PrecDocDtls": [{"InvNo": "INV/1", "InvDt": "1/1/2025"}]}),
        "2140",
        "RefDtls.PrecDocDtls[0].InvDt",
    );
    assert_change_fails(
        intra_state(),
        |v| v["PayDtls"] = json!({"CrDay": 10000}),
        "2140",
        "PayDtls.CrDay",
    );
    assert_change_fails(
        intra_state(),
        |v| v["AddlDocDtls"] = json!([{"Url": "ab"}]),
        "2140",
        "AddlDocDtls[0].Url",
    );
    assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0] = json!("item"),
        "2140",
        "ItemList[0]",
    );
}

#[test]
fn free_text_refuses_quotes_and_backslashes() {
    let error = assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Addr1"] = json!("1 \"MG\" Road"),
        "2140",
        "SellerDtls.Addr1",
    );
    assert_eq!(
        error.message,
        "The field SellerDtls.Addr1 must match the regular expression '^([^\\\"])*$'."
    );
    assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Addr1"] = json!("1 MG\\Road"),
        "2140",
        "SellerDtls.Addr1",
    );
}

#[test]
fn batch_dates_accept_1980_and_dates_after_2029() {
    let mut invoice = intra_state();
    invoice["ItemList"][0]["BchDtls"] =
        json!({"Nm": "BATCH1", "ExpDt": "01/01/2035", "WrDt": "01/01/1980"});
    assert!(validate(&invoice).is_ok());
    invoice["ItemList"][0]["BchDtls"]["WrDt"] = json!("01/01/1979");
    assert_only(validate(&invoice), "2140", "ItemList[0].BchDtls.WrDt");
}

#[test]
fn every_schema_error_is_reported_at_once_in_canonical_order() {
    let mut invoice = intra_state();
    invoice["ValDtls"]["AssVal"] = json!("x");
    invoice["ItemList"][0]["HsnCd"] = json!("12");
    invoice["SellerDtls"]["LglNm"] = json!("A");
    invoice["DocDtls"]["Typ"] = json!("XXX");
    let errors = parse_invoice(&bytes(&invoice), &Rules::default(), &register()).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![
            ("2161", "DocDtls.Typ".to_owned()),
            ("2140", "SellerDtls.LglNm".to_owned()),
            ("2140", "ItemList[0].HsnCd".to_owned()),
            ("2140", "ValDtls.AssVal".to_owned()),
        ]
    );
}

#[test]
fn at_most_max_errors_are_returned() {
    let mut invoice = intra_state();
    let item = json!({"SlNo": "x"});
    invoice["ItemList"] = Value::Array(vec![item; 200]);
    let errors = parse_invoice(&bytes(&invoice), &Rules::default(), &register()).unwrap_err();
    assert_eq!(errors.len(), 100);
}

#[test]
fn keys_bind_case_insensitively_and_the_last_duplicate_wins() {
    let raw = serde_json::to_string(&intra_state())
        .unwrap()
        .replace("\"SellerDtls\"", "\"sellerdtls\"")
        .replace(
            "\"Gstin\":\"29LARGE1000C1ZK\"",
            "\"GSTIN\":\"29large1000c1zk\"",
        )
        .replace("\"Pos\"", "\"POS\"")
        .replace(
            "\"Version\":\"1.1\"",
            "\"Version\":\"9.9\",\"version\":\"1.1\"",
        );
    let invoice = validate_bytes(raw.as_bytes(), &Rules::default(), &register()).unwrap();
    assert_eq!(invoice.seller_dtls.gstin.as_str(), SELLER);
    let canonical = invoice_json(&invoice, false);
    assert!(
        canonical.contains("\"SellerDtls\":{\"Gstin\":\"29LARGE1000C1ZK\""),
        "{canonical}"
    );
    assert!(canonical.contains("\"Pos\":\"29\""));
}

#[test]
fn unknown_keys_are_ignored_and_not_echoed() {
    let mut invoice = intra_state();
    invoice["Extra"] = json!({"anything": [1, 2]});
    invoice["ItemList"][0]["Colour"] = json!("blue");
    let bound = validate(&invoice).unwrap();
    let canonical = invoice_json(&bound, false);
    assert!(!canonical.contains("Extra") && !canonical.contains("Colour"));
}

#[test]
fn null_and_empty_strings_are_absent_in_every_field_type() {
    let mut invoice = intra_state();
    invoice["ItemList"][0]["Discount"] = json!("");
    invoice["ItemList"][0]["PrdDesc"] = json!("  ");
    invoice["ItemList"][0]["IgstAmt"] = Value::Null;
    invoice["BuyerDtls"]["TrdNm"] = json!("");
    let bound = validate(&invoice).unwrap();
    assert_eq!(bound.item_list[0].discount, None);
    assert_eq!(bound.item_list[0].prd_desc, None);
    // A required field sent empty is missing.
    assert_change_fails(
        intra_state(),
        |v| v["SellerDtls"]["Loc"] = json!(""),
        "2140",
        "SellerDtls.Loc",
    );
    // With the switch off, an empty number is a type error.
    let rules = Rules {
        empty_string_as_absent: false,
        ..Rules::default()
    };
    let errors = validate_with(&invoice, &rules, &register()).unwrap_err();
    assert!(
        codes(&errors).contains(&("2140", "ItemList[0].Discount".to_owned())),
        "{errors:?}"
    );
}

#[test]
fn numbers_may_arrive_as_strings_and_strings_as_numbers() {
    let mut invoice = intra_state();
    invoice["ItemList"][0]["UnitPrice"] = json!("100.000");
    invoice["ItemList"][0]["Qty"] = json!("010");
    invoice["SellerDtls"]["Pin"] = json!("560001");
    invoice["ItemList"][0]["SlNo"] = json!(1);
    invoice["SellerDtls"]["Stcd"] = json!(29);
    let bound = validate(&invoice).unwrap();
    assert_eq!(bound.item_list[0].sl_no, "1");
    let canonical = invoice_json(&bound, false);
    assert!(canonical.contains("\"Qty\":10,"), "{canonical}");
    assert!(canonical.contains("\"UnitPrice\":100.000,"), "{canonical}");
    assert!(canonical.contains("\"Pin\":560001,"), "{canonical}");
    assert!(canonical.contains("\"SlNo\":\"1\""), "{canonical}");
}

#[test]
fn integer_fields_accept_a_zero_fraction_and_echo_it() {
    let raw = serde_json::to_string(&intra_state())
        .unwrap()
        .replace("560001", "560001.0");
    let bound = validate_bytes(raw.as_bytes(), &Rules::default(), &register()).unwrap();
    assert_eq!(
        invoice_json(&bound, false)
            .matches("\"Pin\":560001.0,")
            .count(),
        2
    );
}

#[test]
fn extra_decimals_are_kept_unless_strict() {
    let mut invoice = intra_state();
    invoice["ItemList"][0]["Discount"] = json!("0.001");
    let bound = validate(&invoice).unwrap();
    assert!(invoice_json(&bound, false).contains("\"Discount\":0.001"));
    let rules = Rules {
        strict_decimals: true,
        ..Rules::default()
    };
    let errors = validate_with(&invoice, &rules, &register()).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![("2140", "ItemList[0].Discount".to_owned())]
    );
}

#[test]
fn document_numbers_are_upper_cased_unless_switched_off() {
    let mut invoice = intra_state();
    invoice["DocDtls"]["No"] = json!("inv/2025/a1");
    assert_eq!(validate(&invoice).unwrap().doc_dtls.no, "INV/2025/A1");
    let rules = Rules {
        uppercase_docno: false,
        ..Rules::default()
    };
    assert_eq!(
        validate_with(&invoice, &rules, &register())
            .unwrap()
            .doc_dtls
            .no,
        "inv/2025/a1"
    );
}

#[test]
fn strict_gstin_checksum_refuses_unregistered_ship_to_gstins_that_fail_it() {
    let mut invoice = intra_state();
    invoice["ShipDtls"] = json!({"Gstin": "29AKLPM8755F1Z2", "LglNm": "Site", "Addr1": "Plot 1", "Loc": "Hosur", "Pin": 560001, "Stcd": "29"});
    let rules = Rules {
        strict_gstin_checksum: true,
        ..Rules::default()
    };
    assert_only(
        validate_with(&invoice, &rules, &register()),
        "2140",
        "ShipDtls.Gstin",
    );
    assert!(validate(&invoice).is_ok(), "off by default");
    let register = MemoryRegister::new().with(Taxpayer::active_regular("29AKLPM8755F1Z2", None));
    let mut full = register.clone();
    for gstin in [SELLER, BUYER_KA] {
        full.insert(Taxpayer::active_regular(gstin, Some(1_500_000_000)));
    }
    assert!(
        validate_with(&invoice, &rules, &full).is_ok(),
        "registered GSTINs are never refused by the check"
    );
}

#[test]
fn code_fields_with_a_pattern_use_the_pattern_and_length_templates() {
    let error = assert_change_fails(
        intra_state(),
        |v| v["TranDtls"]["SupTyp"] = json!("B2C"),
        "2140",
        "TranDtls.SupTyp",
    );
    assert_eq!(
        error.message,
        "The field TranDtls.SupTyp must match the regular expression '(?i)^((B2B)|(SEZWP)|(SEZWOP)|(EXPWP)|(EXPWOP)|(DEXP))$'."
    );
    let error = assert_change_fails(
        intra_state(),
        |v| v["TranDtls"]["TaxSch"] = json!("GSTGSTGSTGST"),
        "2140",
        "TranDtls.TaxSch",
    );
    assert_eq!(
        error.message,
        "The field TranDtls.TaxSch must be a string with a minimum length of 3 and a maximum length of 10."
    );
    let mut padded = intra_state();
    padded["TranDtls"]["SupTyp"] = json!(" b2b ");
    assert_eq!(
        validate(&padded).unwrap().tran_dtls.sup_typ,
        irp_core::invoice::SupplyType::B2b
    );
}

#[test]
fn a_wrong_json_type_in_an_enumeration_is_an_invalid_value() {
    let error = assert_change_fails(
        intra_state(),
        |v| v["ItemList"][0]["IsServc"] = json!(true),
        "2140",
        "ItemList[0].IsServc",
    );
    assert_eq!(
        error.message,
        "The field ItemList[0].IsServc has an invalid value."
    );
    assert_change_fails(
        intra_state(),
        |v| v["TranDtls"]["RegRev"] = json!(["Y"]),
        "2159",
        "TranDtls.RegRev",
    );
}

#[test]
fn the_item_limit_error_stands_at_item_list_even_when_items_have_errors() {
    let mut invoice = intra_state();
    invoice["ItemList"] = Value::Array((0..1001).map(|_| json!({"SlNo": "x"})).collect());
    let errors = parse_invoice(&bytes(&invoice), &Rules::default(), &register()).unwrap_err();
    assert_eq!(errors.len(), 100);
    assert_eq!(
        codes(&errors[..1]),
        vec![("2173", "ItemList".to_owned())],
        "2173 comes first and is never crowded out"
    );
    assert!(errors[1..].iter().all(|e| e.path.starts_with("ItemList[")));
}

#[test]
fn a_port_master_is_consulted_when_loaded() {
    let ports: std::collections::BTreeSet<String> = ["INBOM1".to_owned()].into();
    let rules = Rules {
        ports: Some(std::sync::Arc::new(ports)),
        ..Rules::default()
    };
    let invoice = export();
    assert_only(
        validate_with(&invoice, &rules, &register()),
        "2201",
        "ExpDtls.Port",
    );
    let mut bombay = export();
    bombay["ExpDtls"]["Port"] = json!("inbom1");
    assert!(validate_with(&bombay, &rules, &register()).is_ok());
}

#[test]
fn dates_after_2029_are_accepted_and_the_year_range_applies_everywhere() {
    let mut invoice = export();
    invoice["ExpDtls"]["ShipBDt"] = json!("01/01/2035");
    invoice["RefDtls"] = json!({"PrecDocDtls": [{"InvNo": "INV/1", "InvDt": "31/12/2099"}]});
    assert!(validate(&invoice).is_ok(), "{:?}", validate(&invoice).err());
    assert_change_fails(
        export(),
        |v| v["ExpDtls"]["ShipBDt"] = json!("01/01/2100"),
        "2140",
        "ExpDtls.ShipBDt",
    );
    let ewb = with_ewb(json!({"Distance": 10, "TransDocDt": "01/01/2100"}));
    assert_only(validate(&ewb), "4017", "EwbDtls.TransDocDt");
}

#[test]
fn referenced_gstins_are_found_case_insensitively_for_prefetching() {
    let mut invoice = intra_state();
    invoice["TranDtls"]["EcmGstin"] = json!(OPERATOR.to_lowercase());
    let raw = serde_json::to_string(&invoice)
        .unwrap()
        .replace("\"SellerDtls\"", "\"sellerDTLS\"");
    let request = irp_core::bind::InvoiceRequest::parse(raw.as_bytes());
    let found = request.referenced_gstins();
    assert_eq!(
        found,
        vec![SELLER.to_owned(), BUYER_KA.to_owned(), OPERATOR.to_owned()]
    );
    // The same parsed request then binds, without a second parse.
    assert!(request.bind(&Rules::default(), &register()).is_ok());
    assert!(
        irp_core::bind::InvoiceRequest::parse(b"not json")
            .referenced_gstins()
            .is_empty()
    );
}
