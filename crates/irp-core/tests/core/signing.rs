//! IRN, the signed invoice and QR payloads, and their JWS signatures (`05`).

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use irp_core::ack::{Ack, AckNo};
use irp_core::bind::parse_invoice;
use irp_core::invoice::Invoice;
use irp_core::irn::Irn;
use irp_core::jws::{JwsError, Verifier};
use irp_core::keys::SigningKey;
use irp_core::qr;
use irp_core::signed::{SigningOptions, main_hsn_code, qr_code_data, sign, signed_invoice_data};
use serde_json::json;

use crate::golden::{NIC_SAMPLE, sample_setup};
use crate::support::*;

pub static KEY: LazyLock<SigningKey> = LazyLock::new(|| {
    let from = NaiveDate::from_ymd_opt(2025, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let to = NaiveDate::from_ymd_opt(2035, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    SigningKey::generate("IRP-1 test signing key", from, to).unwrap()
});

fn sample_invoice() -> Invoice {
    let (rules, register) = sample_setup();
    parse_invoice(NIC_SAMPLE.as_bytes(), &rules, &register).unwrap()
}

fn noon_ack() -> Ack {
    let at = NaiveDate::from_ymd_opt(2020, 8, 18)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    Ack {
        ack_no: AckNo::new(1, 1, at, 1).unwrap(),
        ack_dt: at,
    }
}

#[test]
fn the_qr_payload_of_the_golden_invoice_is_byte_exact() {
    let invoice = sample_invoice();
    let data = qr_code_data(&invoice, &Irn::of(&invoice), &noon_ack());
    assert_eq!(
        data,
        r#"{"SellerGstin":"37ARZPT4384Q1MT","BuyerGstin":"29AWGPV7107B1Z1","DocNo":"DOC/001","DocTyp":"INV","DocDt":"18/08/2020","TotInvVal":12908.0,"ItemCnt":1,"MainHsnCode":"1001","Irn":"27fe30da6b5c920241e8c4f3017ec8076b971264ca5ba36c538dfafbc15840ee","IrnDt":"2020-08-18 12:00:00"}"#
    );
}

#[test]
fn the_signed_invoice_data_of_the_golden_invoice_is_byte_exact() {
    let invoice = sample_invoice();
    let data = signed_invoice_data(&invoice, &Irn::of(&invoice), &noon_ack(), false);
    let expected = concat!(
        r#"{"AckNo":112010000000001,"AckDt":"2020-08-18 12:00:00","Irn":"27fe30da6b5c920241e8c4f3017ec8076b971264ca5ba36c538dfafbc15840ee","Version":"1.1","#,
        r#""TranDtls":{"TaxSch":"GST","SupTyp":"B2B","RegRev":"Y","IgstOnIntra":"N"},"DocDtls":{"Typ":"INV","No":"DOC/001","Dt":"18/08/2020"},"#,
        r#""SellerDtls":{"Gstin":"37ARZPT4384Q1MT","LglNm":"NIC company pvt ltd","TrdNm":"NIC Industries","Addr1":"5th block, kuvempu layout","Addr2":"kuvempu layout","Loc":"GANDHINAGAR","Pin":518001,"Stcd":"37","Ph":"9000000000","Em":"abc@gmail.com"},"#,
        r#""BuyerDtls":{"Gstin":"29AWGPV7107B1Z1","LglNm":"XYZ company pvt ltd","TrdNm":"XYZ Industries","Pos":"12","Addr1":"7th block, kuvempu layout","Addr2":"kuvempu layout","Loc":"GANDHINAGAR","Pin":562160,"Stcd":"29","Ph":"91111111111","Em":"xyz@yahoo.com"},"#,
        r#""ItemList":[{"ItemNo":0,"SlNo":"1","IsServc":"N","PrdDesc":"Rice","HsnCd":"1001","Barcde":"123456","Qty":100.345,"FreeQty":10,"Unit":"BAG","UnitPrice":99.545,"TotAmt":9988.84,"Discount":10,"PreTaxVal":1,"AssAmt":9978.84,"GstRt":12,"IgstAmt":1197.46,"CgstAmt":0,"SgstAmt":0,"CesRt":5,"CesAmt":498.94,"CesNonAdvlAmt":10,"StateCesRt":12,"StateCesAmt":1197.46,"StateCesNonAdvlAmt":5,"OthChrg":10,"TotItemVal":12897.7}],"#,
        r#""ValDtls":{"AssVal":9978.84,"CgstVal":0,"SgstVal":0,"IgstVal":1197.46,"CesVal":508.94,"StCesVal":1202.46,"Discount":10,"OthChrg":20,"RndOffAmt":0.3,"TotInvVal":12908,"TotInvValFc":12897.7}}"#
    );
    assert_eq!(data, expected);
}

#[test]
fn default_disp_ship_copies_the_seller_and_buyer_only_when_switched_on() {
    let invoice = sample_invoice();
    let irn = Irn::of(&invoice);
    assert!(!signed_invoice_data(&invoice, &irn, &noon_ack(), false).contains("DispDtls"));
    let data = signed_invoice_data(&invoice, &irn, &noon_ack(), true);
    assert!(data.contains(r#""DispDtls":{"Nm":"NIC company pvt ltd","Addr1":"5th block, kuvempu layout","Addr2":"kuvempu layout","Loc":"GANDHINAGAR","Pin":518001,"Stcd":"37"}"#), "{data}");
    assert!(data.contains(r#""ShipDtls":{"Gstin":"29AWGPV7107B1Z1","LglNm":"XYZ company pvt ltd","TrdNm":"XYZ Industries","#));
}

#[test]
fn main_hsn_code_is_the_first_item_with_the_highest_assessable_amount() {
    let mut invoice = inter_state();
    invoice["ItemList"][1]["AssAmt"] = json!(1000);
    invoice["ItemList"][1]["TotAmt"] = json!(1000);
    invoice["ItemList"][1]["IgstAmt"] = json!(180);
    invoice["ItemList"][1]["TotItemVal"] = json!(1180);
    invoice["ValDtls"] = json!({"AssVal": 2000, "IgstVal": 360, "TotInvVal": 2360});
    let bound = validate(&invoice).unwrap();
    assert_eq!(
        main_hsn_code(&bound),
        "391520",
        "a tie goes to the first item"
    );
    invoice["ItemList"][1]["AssAmt"] = json!(1000.01);
    invoice["ItemList"][1]["TotAmt"] = json!(1000.01);
    invoice["ValDtls"]["AssVal"] = json!(2000.01);
    assert_eq!(main_hsn_code(&validate(&invoice).unwrap()), "998311");
}

fn decode_segment(segment: &str) -> String {
    String::from_utf8(URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

#[test]
fn both_tokens_have_the_exact_header_and_payload_and_verify() {
    let invoice = sample_invoice();
    let irn = Irn::of(&invoice);
    let ack = noon_ack();
    let options = SigningOptions {
        iss: "NIC Sandbox".to_owned(),
        default_disp_ship: false,
    };
    let signed = sign(&KEY, &options, &invoice, &irn, &ack);
    let kid = KEY.certificate().kid().to_owned();
    let x5t = KEY.certificate().x5t().to_owned();
    for (token, data) in [
        (
            &signed.signed_invoice,
            signed_invoice_data(&invoice, &irn, &ack, false),
        ),
        (&signed.signed_qr_code, qr_code_data(&invoice, &irn, &ack)),
    ] {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode_segment(parts[0]),
            format!(r#"{{"alg":"RS256","kid":"{kid}","typ":"JWT","x5t":"{x5t}"}}"#)
        );
        let payload = decode_segment(parts[1]);
        assert_eq!(payload, irp_core::jws::payload(&data, "NIC Sandbox"));
        let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(payload, json!({"data": data, "iss": "NIC Sandbox"}));
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 256);
        let verified = Verifier::new(vec![KEY.certificate().clone()])
            .verify(token)
            .unwrap();
        assert_eq!(verified.data, data);
        assert_eq!(verified.iss, "NIC Sandbox");
    }
}

/// `sign` writes each payload in its escaped form in one pass: the bytes must be exactly those
/// of escaping the data afterwards, whatever the invoice's text holds (the schema keeps `"` and
/// `\` out of text fields, but not control characters; the `iss` setting may hold anything).
#[test]
fn payloads_are_the_escaped_data_byte_for_byte_whatever_the_text_holds() {
    let mut invoice = intra_state();
    invoice["SellerDtls"]["Loc"] = json!("Bay 7/Vizag Ünïcode ₹\tend");
    invoice["ItemList"][0]["PrdDesc"] = json!("Wire 2.5 mm\r\n10 m\u{1}\u{1f}");
    let invoice = validate(&invoice).unwrap();
    let irn = Irn::of(&invoice);
    let ack = noon_ack();
    let options = SigningOptions {
        iss: "NIC \"Sandbox\"".to_owned(),
        default_disp_ship: true,
    };
    let signed = sign(&KEY, &options, &invoice, &irn, &ack);
    let data = signed_invoice_data(&invoice, &irn, &ack, true);
    assert!(data.contains(r#""Bay 7/Vizag Ünïcode ₹\tend""#), "{data}");
    assert!(
        data.contains(r#""Wire 2.5 mm\r\n10 m\u0001\u001f""#),
        "{data}"
    );
    for (token, data) in [
        (&signed.signed_invoice, data),
        (&signed.signed_qr_code, qr_code_data(&invoice, &irn, &ack)),
    ] {
        let payload = token.split('.').nth(1).unwrap();
        assert_eq!(
            decode_segment(payload),
            irp_core::jws::payload(&data, &options.iss)
        );
    }
}

#[test]
fn a_signature_from_another_key_is_refused() {
    let invoice = sample_invoice();
    let signed = sign(
        &KEY,
        &SigningOptions::default(),
        &invoice,
        &Irn::of(&invoice),
        &noon_ack(),
    );
    let from = NaiveDate::from_ymd_opt(2025, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let other = SigningKey::generate(
        "IRP-2 test signing key",
        from,
        from + chrono::Duration::days(365),
    )
    .unwrap();
    let verifier = Verifier::new(vec![other.certificate().clone()]);
    assert_eq!(
        verifier.verify(&signed.signed_invoice),
        Err(JwsError::UnknownKey)
    );
    let both = Verifier::new(vec![other.certificate().clone(), KEY.certificate().clone()]);
    assert_eq!(
        both.verify(&signed.signed_invoice)
            .unwrap()
            .certificate_index,
        1
    );
    // The index is into the certificates the verifier was given, in their order.
    assert_eq!(
        both.certificates(),
        [other.certificate().clone(), KEY.certificate().clone()]
    );
}

#[test]
fn the_qr_code_image_carries_the_signed_qr_code_token() {
    let invoice = sample_invoice();
    let signed = sign(
        &KEY,
        &SigningOptions::default(),
        &invoice,
        &Irn::of(&invoice),
        &noon_ack(),
    );
    let png = qr::render_png(&signed.signed_qr_code, qr::QrEcc::M, 4).unwrap();
    assert_eq!(
        qr::decode_png(&png).unwrap(),
        vec![signed.signed_qr_code.clone()]
    );
    let svg = qr::render_svg(&signed.signed_qr_code, qr::QrEcc::M).unwrap();
    assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
}

#[test]
fn nic_vectors_reproduce_end_to_end_with_the_uppercase_rule_off() {
    let mut invoice = intra_state();
    invoice["SellerDtls"]["Gstin"] = json!("01AMBPG7773M002");
    invoice["DocDtls"] = json!({"Typ": "crn", "No": "g2qxhY", "Dt": "01/06/2022"});
    let as_sent = irp_core::rules::Rules {
        uppercase_docno: false,
        ..Default::default()
    };
    let bound = parse_invoice(
        &serde_json::to_vec(&invoice).unwrap(),
        &as_sent,
        &register(),
    )
    .unwrap();
    assert_eq!(bound.doc_dtls.no, "g2qxhY");
    assert_eq!(
        Irn::of(&bound).as_str(),
        "1c96258af085e45da556494ea5e5a7b401a598ab80af4136309c2dac7b54d795"
    );
    let bound = parse_invoice(
        &serde_json::to_vec(&invoice).unwrap(),
        &Default::default(),
        &register(),
    )
    .unwrap();
    assert_eq!(bound.doc_dtls.no, "G2QXHY");
    assert_eq!(
        Irn::of(&bound).as_str(),
        "e33d3d9986df65c11b1e0c3661bf252a40ca7ea72998ce989d811380ab711d69"
    );
}

/// An export with every optional section of `03` §2, sent in another order and casing than the
/// canonical one, with numbers in several textual forms and codes in lower case.
const EXPORT_WITH_EVERY_SECTION: &str = r#"{
  "Version": "1.1",
  "EwbDtls": {"VehType": "r", "VehNo": "ka-12 er 1234", "TransDocDt": "01/07/2025", "TransDocNo": "LR/77",
              "Distance": 0, "TransMode": "1", "TransName": "Fast Movers", "TransId": "29AAGCB7383J1Z4"},
  "ExpDtls": {"ExpDuty": 12.30, "CntCode": "us", "ForCur": "usd", "RefClm": "n", "Port": "INMAA1",
              "ShipBDt": "02/07/2025", "ShipBNo": "SB-4711"},
  "AddlDocDtls": [{"Info": "Packing list", "Docs": "UExLIDEgb2YgMg==", "Url": "https://example.com/pl"}],
  "RefDtls": {"ContrDtls": [{"PORefDt": "15/05/2025", "PORefr": "PO/991", "ProjRefr": "PRJ-7", "ExtRefr": "EXT-3",
                             "ContrRefr": "CON-12", "TendRefr": "TND-5", "RecAdvDt": "20/05/2025", "RecAdvRefr": "ADV-1"}],
              "PrecDocDtls": [{"OthRefNo": "REF-22", "InvDt": "01/06/2025", "InvNo": "EXP/000"}],
              "DocPerdDtls": {"InvEndDt": "30/06/2025", "InvStDt": "01/06/2025"},
              "InvRm": "June shipment"},
  "PayDtls": {"PaymtDue": 0.0, "PaidAmt": 1050.00, "CrDay": 30, "DirDr": "DD-1", "CrTrn": "CT-1",
              "PayInstr": "Wire", "PayTerm": "Net 30", "FinInsBr": "SBIN0000813", "Mode": "Direct Transfer",
              "AccDet": "5697389713210", "Nm": "Large KA"},
  "shipdtls": {"Stcd": "33", "Pin": 600001, "Loc": "Chennai", "Addr2": "George Town", "Addr1": "Rajaji Salai",
               "TrdNm": "Chennai Port", "LglNm": "Chennai Port Authority", "Gstin": "URP"},
  "TranDtls": {"TaxSch": "GST", "SupTyp": "EXPWP"},
  "DocDtls": {"Typ": "INV", "No": "EXP/001", "Dt": "01/07/2025"},
  "SellerDtls": {"Gstin": "29LARGE1000C1ZK", "LglNm": "Large Karnataka Pvt Ltd", "Addr1": "1 MG Road",
                 "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29"},
  "BuyerDtls": {"Gstin": "URP", "LglNm": "Overseas Buyer Inc", "Pos": "96", "Addr1": "1 Main Street",
                "Loc": "New York", "Pin": 999999, "Stcd": "96"},
  "ItemList": [{"SlNo": "1", "IsServc": "N", "HsnCd": "61091000", "Qty": 100, "Unit": "PCS", "UnitPrice": 10,
                "TotAmt": 1000, "AssAmt": 1000, "GstRt": 5, "IgstAmt": 50, "TotItemVal": 1050}],
  "ValDtls": {"AssVal": 1000, "IgstVal": 50, "TotInvVal": 1050}
}"#;

/// `05` §4.3: `ShipDtls`, `PayDtls`, `RefDtls`, `AddlDocDtls`, `ExpDtls` and `EwbDtls` reach the
/// signed invoice byte for byte: canonical section order and casing, fields in the order of the
/// `03` tables, numbers echoed as sent, codes upper-cased, the vehicle number normalised.
#[test]
fn every_optional_section_reaches_the_signed_invoice_byte_for_byte() {
    let invoice = validate_bytes(
        EXPORT_WITH_EVERY_SECTION.as_bytes(),
        &irp_core::rules::Rules::default(),
        &register(),
    )
    .unwrap();
    let irn = Irn::of(&invoice);
    let data = signed_invoice_data(&invoice, &irn, &noon_ack(), false);
    let expected = [
        r#"{"AckNo":112010000000001,"AckDt":"2020-08-18 12:00:00","Irn":""#,
        irn.as_str(),
        r#"","Version":"1.1","TranDtls":{"TaxSch":"GST","SupTyp":"EXPWP"},"#,
        r#""DocDtls":{"Typ":"INV","No":"EXP/001","Dt":"01/07/2025"},"#,
        r#""SellerDtls":{"Gstin":"29LARGE1000C1ZK","LglNm":"Large Karnataka Pvt Ltd","Addr1":"1 MG Road","Loc":"Bengaluru","Pin":560001,"Stcd":"29"},"#,
        r#""BuyerDtls":{"Gstin":"URP","LglNm":"Overseas Buyer Inc","Pos":"96","Addr1":"1 Main Street","Loc":"New York","Pin":999999,"Stcd":"96"},"#,
        r#""ShipDtls":{"Gstin":"URP","LglNm":"Chennai Port Authority","TrdNm":"Chennai Port","Addr1":"Rajaji Salai","Addr2":"George Town","Loc":"Chennai","Pin":600001,"Stcd":"33"},"#,
        r#""ItemList":[{"ItemNo":0,"SlNo":"1","IsServc":"N","HsnCd":"61091000","Qty":100,"Unit":"PCS","UnitPrice":10,"TotAmt":1000,"AssAmt":1000,"GstRt":5,"IgstAmt":50,"TotItemVal":1050}],"#,
        r#""ValDtls":{"AssVal":1000,"IgstVal":50,"TotInvVal":1050},"#,
        r#""PayDtls":{"Nm":"Large KA","AccDet":"5697389713210","Mode":"Direct Transfer","FinInsBr":"SBIN0000813","PayTerm":"Net 30","PayInstr":"Wire","CrTrn":"CT-1","DirDr":"DD-1","CrDay":30,"PaidAmt":1050.00,"PaymtDue":0.0},"#,
        r#""RefDtls":{"InvRm":"June shipment","DocPerdDtls":{"InvStDt":"01/06/2025","InvEndDt":"30/06/2025"},"#,
        r#""PrecDocDtls":[{"InvNo":"EXP/000","InvDt":"01/06/2025","OthRefNo":"REF-22"}],"#,
        r#""ContrDtls":[{"RecAdvRefr":"ADV-1","RecAdvDt":"20/05/2025","TendRefr":"TND-5","ContrRefr":"CON-12","ExtRefr":"EXT-3","ProjRefr":"PRJ-7","PORefr":"PO/991","PORefDt":"15/05/2025"}]},"#,
        r#""AddlDocDtls":[{"Url":"https://example.com/pl","Docs":"UExLIDEgb2YgMg==","Info":"Packing list"}],"#,
        r#""ExpDtls":{"ShipBNo":"SB-4711","ShipBDt":"02/07/2025","Port":"INMAA1","RefClm":"N","ForCur":"USD","CntCode":"US","ExpDuty":12.30},"#,
        r#""EwbDtls":{"TransId":"29AAGCB7383J1Z4","TransName":"Fast Movers","TransMode":"1","Distance":0,"TransDocNo":"LR/77","TransDocDt":"01/07/2025","VehNo":"KA12ER1234","VehType":"R"}}"#,
    ]
    .concat();
    assert_eq!(data, expected);
    // The same writer gives the stored canonical form: the invoice alone, without the ack.
    let alone = irp_core::canonical::invoice_json(&invoice, false);
    assert_eq!(
        format!(
            r#"{{"AckNo":112010000000001,"AckDt":"2020-08-18 12:00:00","Irn":"{irn}",{}"#,
            &alone[1..]
        ),
        expected
    );
}

/// `05` §2: an AckNo has exactly 15 digits and its first digit is the origin portal.
#[test]
fn stored_ack_numbers_read_back_only_with_15_digits_and_name_their_portal() {
    for valid in [
        100_000_000_000_000,
        112_510_000_000_042,
        999_999_999_999_999,
    ] {
        assert_eq!(AckNo::from_u64(valid).map(AckNo::get), Some(valid));
    }
    for invalid in [0, 1, 99_999_999_999_999, 1_000_000_000_000_000, u64::MAX] {
        assert_eq!(AckNo::from_u64(invalid), None, "{invalid}");
    }
    let at = NaiveDate::from_ymd_opt(2025, 7, 1)
        .unwrap()
        .and_hms_opt(12, 34, 56)
        .unwrap();
    let irp1 = AckNo::new(1, 9, at, 999_999_999).unwrap();
    let irp2 = AckNo::new(2, 1, at, 1).unwrap();
    assert_eq!((irp1.portal(), irp2.portal()), (1, 2));
    assert_eq!(AckNo::from_u64(232_510_999_999_999).unwrap().portal(), 2);
    assert_eq!(irp2.to_string(), "212510000000001");
}

/// `05` §1: an IRN is written as its 64 lowercase hexadecimal characters.
#[test]
fn an_irn_displays_as_its_lowercase_hex() {
    let irn = Irn::of(&sample_invoice());
    assert_eq!(
        irn.to_string(),
        "27fe30da6b5c920241e8c4f3017ec8076b971264ca5ba36c538dfafbc15840ee"
    );
    assert_eq!(format!("{irn}"), irn.as_str());
}
