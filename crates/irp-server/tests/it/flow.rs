//! The whole flow over the encrypted API, on SQLite and on PostgreSQL: auth, generate, duplicate,
//! get by IRN, get by document, cancel, cancel again; signatures checked against the JWK Set.

use serde_json::Value;

use crate::helpers::*;

async fn full_flow(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let body = invoice(&app, "FLOW/0001");

    // Generate.
    let generated = client.generate(&body).await.unwrap();
    assert!(generated.is_success(), "{generated:?}");
    let data = generated.data.clone().unwrap();
    let irn = data["Irn"].as_str().unwrap().to_owned();
    let ack_no = data["AckNo"].as_u64().expect("AckNo is a JSON number");
    assert_eq!(ack_no.to_string().len(), 15);
    assert!(
        ack_no.to_string().starts_with("11"),
        "portal 1, node 1: {ack_no}"
    );
    assert_eq!(data["Status"], "ACT");
    assert_eq!(data["EwbNo"], Value::Null);
    assert_eq!(irn.len(), 64);

    // Both signatures verify through the published JWK Set, and carry what was registered.
    let verifier = app.jwks_verifier().await;
    let signed_invoice = verifier
        .verify(data["SignedInvoice"].as_str().unwrap())
        .unwrap();
    let signed: Value = serde_json::from_str(&signed_invoice.data).unwrap();
    assert_eq!(signed["Irn"], irn.as_str());
    assert_eq!(signed["AckNo"].as_u64(), Some(ack_no));
    assert_eq!(signed["AckDt"], data["AckDt"]);
    assert_eq!(signed["ItemList"][0]["ItemNo"], 0);
    assert_eq!(signed_invoice.iss, "NIC Sandbox");
    let qr = verifier
        .verify(data["SignedQRCode"].as_str().unwrap())
        .unwrap();
    let qr: Value = serde_json::from_str(&qr.data).unwrap();
    assert_eq!(qr["Irn"], irn.as_str());
    assert_eq!(qr["IrnDt"], data["AckDt"]);
    assert_eq!(qr["TotInvVal"].to_string(), "1050.0");

    // The same document again: 2150 with the original's AckNo, AckDt and IRN.
    let duplicate = client.generate(&body).await.unwrap();
    assert_eq!(duplicate.error_codes(), ["2150"]);
    let dup = duplicate.info("DUPIRN").expect("DUPIRN");
    assert_eq!(dup["AckNo"].as_u64(), Some(ack_no));
    assert_eq!(dup["Irn"], irn.as_str());
    assert_eq!(dup["AckDt"], data["AckDt"]);
    assert_eq!(duplicate.raw["InfoDtls"][0]["InfCd"], "DUPIRN");

    // Get by IRN returns the stored tokens byte for byte.
    let fetched = client.get_by_irn(&irn.to_uppercase(), None).await.unwrap();
    assert!(fetched.is_success(), "{fetched:?}");
    let fetched_data = fetched.data.unwrap();
    assert_eq!(fetched_data["SignedInvoice"], data["SignedInvoice"]);
    assert_eq!(fetched_data["SignedQRCode"], data["SignedQRCode"]);
    assert_eq!(fetched_data["AckNo"], data["AckNo"]);

    // Get by document details (the number in any case, upper-cased by default).
    let today = app.clock.now().date().format("%d/%m/%Y").to_string();
    let by_doc = client.get_by_doc("inv", "flow/0001", &today).await.unwrap();
    assert!(by_doc.is_success(), "{by_doc:?}");
    assert_eq!(by_doc.data.unwrap()["Irn"], irn.as_str());
    let wrong_date = client
        .get_by_doc("INV", "FLOW/0001", "01/01/2024")
        .await
        .unwrap();
    assert_eq!(wrong_date.error_codes(), ["2148"]);

    // Cancel, then cancel again.
    let cancelled = client
        .cancel(&irn, "2", Some("Data entry mistake"))
        .await
        .unwrap();
    assert!(cancelled.is_success(), "{cancelled:?}");
    let cancel_data = cancelled.data.unwrap();
    assert_eq!(cancel_data["Irn"], irn.as_str());
    assert_eq!(cancel_data["CancelDate"].as_str().unwrap().len(), 19);
    let again = client.cancel(&irn, "2", None).await.unwrap();
    assert_eq!(again.error_codes(), ["9999"]);
    assert_eq!(again.error_details[0].1, "Invoice is not active");

    // After cancellation: get shows CNL, generate says 2278.
    let after = client.get_by_irn(&irn, None).await.unwrap();
    assert_eq!(after.data.unwrap()["Status"], "CNL");
    let reuse = client.generate(&body).await.unwrap();
    assert_eq!(reuse.error_codes(), ["2278"]);
    assert!(reuse.info_dtls.is_none());
}

#[tokio::test]
async fn full_flow_on_sqlite() {
    full_flow(Backend::Sqlite).await;
}

#[tokio::test]
async fn full_flow_on_postgres() {
    full_flow(Backend::Postgres).await;
}

async fn business_errors_come_back_together(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let mut invoice: Value = serde_json::from_slice(&invoice(&app, "FLOW/0002")).unwrap();
    invoice["ItemList"][0]["HsnCd"] = "1001".into();
    invoice["ValDtls"]["TotInvVal"] = 2000.into();
    let answer = client
        .generate(&serde_json::to_vec(&invoice).unwrap())
        .await
        .unwrap();
    assert_eq!(answer.status, 0);
    assert_eq!(answer.error_codes(), ["2176", "2189"]);
    assert_eq!(answer.raw["Data"], Value::Null);
    // Schema errors name their field.
    invoice["SellerDtls"]["LglNm"] = "A".into();
    let answer = client
        .generate(&serde_json::to_vec(&invoice).unwrap())
        .await
        .unwrap();
    assert_eq!(answer.error_codes(), ["2140"]);
    assert!(answer.error_details[0].1.contains("SellerDtls.LglNm"));
}

#[tokio::test]
async fn business_errors_come_back_together_on_sqlite() {
    business_errors_come_back_together(Backend::Sqlite).await;
}

#[tokio::test]
async fn business_errors_come_back_together_on_postgres() {
    business_errors_come_back_together(Backend::Postgres).await;
}

async fn gstin_details_and_heartbeat(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let details = client.gstin_details(&BUYER.to_lowercase()).await.unwrap();
    assert!(details.is_success(), "{details:?}");
    let data = details.data.unwrap();
    assert_eq!(data["Gstin"], BUYER);
    assert_eq!(data["StateCode"], 29);
    assert_eq!(data["TxpType"], "REG");
    assert_eq!(data["Status"], "ACT");
    let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 15);
    assert_eq!(
        client
            .gstin_details("29AWGPV7107B1Z")
            .await
            .unwrap()
            .error_codes(),
        ["3030"]
    );
    assert_eq!(
        client
            .gstin_details("29AAAAA0000A1Z5")
            .await
            .unwrap()
            .error_codes(),
        ["3001"]
    );
    assert!(client.sync_gstin(BUYER).await.unwrap().is_success());
    let rejected = client.rejected_irns("01/07/2025").await.unwrap();
    assert!(rejected.is_success());
    assert_eq!(rejected.data.unwrap(), serde_json::json!([]));
    assert_eq!(
        client
            .rejected_irns("2025-07-01")
            .await
            .unwrap()
            .error_codes(),
        ["2156"]
    );
    let heartbeat = client.heartbeat().await.unwrap();
    assert_eq!(heartbeat.data.unwrap()["Registry"], "UP");
}

#[tokio::test]
async fn gstin_details_and_heartbeat_on_sqlite() {
    gstin_details_and_heartbeat(Backend::Sqlite).await;
}

#[tokio::test]
async fn gstin_details_and_heartbeat_on_postgres() {
    gstin_details_and_heartbeat(Backend::Postgres).await;
}

async fn cancellation_window_and_irp_header(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let irn = client
        .generate(&invoice(&app, "WINDOW/1"))
        .await
        .unwrap()
        .data
        .unwrap()["Irn"]
        .as_str()
        .unwrap()
        .to_owned();
    // The `irp` header is validated: NIC1/NIC2 in any case, anything else 3098.
    assert!(
        client
            .get_by_irn(&irn, Some("nic1"))
            .await
            .unwrap()
            .is_success()
    );
    assert!(
        client
            .get_by_irn(&irn, Some("NIC2"))
            .await
            .unwrap()
            .is_success(),
        "native: the shared data is served"
    );
    assert_eq!(
        client
            .get_by_irn(&irn, Some("1"))
            .await
            .unwrap()
            .error_codes(),
        ["3098"]
    );
    assert_eq!(
        client
            .get_by_irn("not-an-irn", None)
            .await
            .unwrap()
            .error_codes(),
        ["2145"]
    );
    assert_eq!(
        client
            .get_by_irn(&"0".repeat(64), None)
            .await
            .unwrap()
            .error_codes(),
        ["2148"]
    );
    assert_eq!(
        client
            .cancel(&"0".repeat(64), "1", None)
            .await
            .unwrap()
            .error_codes(),
        ["2154"]
    );
    assert_eq!(
        client.cancel(&irn, "5", None).await.unwrap().error_codes(),
        ["2140"]
    );
    // A minute past the 24-hour window, cancellation is refused.
    app.advance_clock(chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    let client = app.logged_in(SELLER).await;
    let late = client.cancel(&irn, "1", None).await.unwrap();
    assert_eq!(late.error_codes(), ["2270"]);
    assert_eq!(
        late.error_details[0].1,
        "The allowed cancellation time limit is crossed, you cannot cancel the IRN"
    );
}

#[tokio::test]
async fn cancellation_window_and_irp_header_on_sqlite() {
    cancellation_window_and_irp_header(Backend::Sqlite).await;
}

#[tokio::test]
async fn cancellation_window_and_irp_header_on_postgres() {
    cancellation_window_and_irp_header(Backend::Postgres).await;
}

#[tokio::test]
async fn nic_compat_limits_get_by_irn_to_two_days_and_to_the_portals_own_data() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "compat = \"nic\"\n").await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let irn = client
        .generate(&invoice(&app, "NIC/1"))
        .await
        .unwrap()
        .data
        .unwrap()["Irn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(client.get_by_irn(&irn, None).await.unwrap().is_success());
    assert_eq!(
        client
            .get_by_irn(&irn, Some("NIC2"))
            .await
            .unwrap()
            .error_codes(),
        ["2148"],
        "not generated at IRP-2"
    );
    app.advance_clock(chrono::Duration::hours(49));
    let client = app.logged_in(SELLER).await;
    assert_eq!(
        client.get_by_irn(&irn, None).await.unwrap().error_codes(),
        ["2283"]
    );
}

async fn printing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let data = client
        .generate(&invoice(&app, "PRINT/1"))
        .await
        .unwrap()
        .data
        .unwrap();
    let irn = data["Irn"].as_str().unwrap();
    let print = |format: &'static str, irp: Option<&'static str>| {
        let client = &client;
        let path = format!("/eiext/v1.00/print/{irn}");
        async move {
            let headers: Vec<(&str, &str)> = irp.map(|value| ("irp", value)).into_iter().collect();
            client
                .call(
                    reqwest::Method::GET,
                    &path,
                    &[("format", format)],
                    None,
                    &headers,
                )
                .await
                .unwrap()
        }
    };
    let answer = print("html", None).await;
    assert!(answer.is_success(), "{answer:?}");
    let printed = answer.data.unwrap();
    assert_eq!(printed["Format"], "html");
    assert_eq!(printed["ContentType"], "text/html; charset=utf-8");
    let html = String::from_utf8(
        irp_core::protocol::decode_base64(printed["Content"].as_str().unwrap().as_bytes()).unwrap(),
    )
    .unwrap();
    for expected in [
        "e-Invoice",
        irn,
        &data["AckNo"].to_string(),
        data["AckDt"].as_str().unwrap(),
        "PRINT/1",
        "B2B",
        "61091000",
        "₹ 1,050.00",
        "Generated at IRP-1",
        "Printed from IRP-1",
    ] {
        assert!(html.contains(expected), "the print shows {expected}");
    }
    // The QR code is the SignedQRCode token itself, as inline SVG.
    let svg = irp_core::qr::render_svg(
        data["SignedQRCode"].as_str().unwrap(),
        irp_core::qr::QrEcc::M,
    )
    .unwrap();
    assert!(html.contains(&svg));
    assert!(!html.contains("CANCELLED"));
    // The JSON print model carries the signed data as stored.
    let model = print("json", Some("NIC1")).await.data.unwrap();
    let model: serde_json::Value = serde_json::from_slice(
        &irp_core::protocol::decode_base64(model["Content"].as_str().unwrap().as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(model["Invoice"]["Irn"], irn);
    assert_eq!(model["GeneratedAt"], "IRP-1");
    // The PDF (`format=pdf`): an A4 document made in-process (rendered and scanned in
    // crates/irp/tests/web).
    let pdf = print("pdf", None).await.data.unwrap();
    assert_eq!(pdf["ContentType"], "application/pdf");
    let bytes =
        irp_core::protocol::decode_base64(pdf["Content"].as_str().unwrap().as_bytes()).unwrap();
    assert!(bytes.starts_with(b"%PDF-") && bytes.ends_with(b"%%EOF"));
    assert_eq!(print("docx", None).await.error_codes(), ["2142"]);
    assert_eq!(print("html", Some("X")).await.error_codes(), ["3098"]);
    // Cancelled invoices print with a visible mark and the date.
    client.cancel(irn, "3", None).await.unwrap();
    let printed = print("html", None).await.data.unwrap();
    let html = String::from_utf8(
        irp_core::protocol::decode_base64(printed["Content"].as_str().unwrap().as_bytes()).unwrap(),
    )
    .unwrap();
    assert!(html.contains("CANCELLED") && html.contains("Cancelled on"));
    let other = app.logged_in(OTHER).await;
    let path = format!("/eiext/v1.00/print/{irn}");
    assert_eq!(
        other
            .call(reqwest::Method::GET, &path, &[], None, &[])
            .await
            .unwrap()
            .error_codes(),
        ["2226"]
    );
}

#[tokio::test]
async fn printing_on_sqlite() {
    printing(Backend::Sqlite).await;
}

#[tokio::test]
async fn printing_on_postgres() {
    printing(Backend::Postgres).await;
}

/// `sup_gstin` on Get rejected IRNs (`02` §2.11, §4): a caller naming another supplier sees only
/// that supplier's IRNs it is the e-commerce operator of; the supplier sees all of its own.
async fn rejected_irns_only_for_an_entitled_caller(backend: Backend) {
    use irp_core::invoice::Gstin;
    use irp_core::irn::Irn;
    use irp_store::InvoiceStatus;

    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let seller = app.logged_in(SELLER).await;
    let generated = seller.generate(&invoice(&app, "REJ/0001")).await.unwrap();
    let irn = Irn::parse(generated.data.unwrap()["Irn"].as_str().unwrap()).unwrap();
    let template = app.state.store.invoice(&irn).await.unwrap().unwrap();
    let rejected = |n: u8, ecm: Option<&str>| {
        let mut record = template.clone();
        record.irn = Irn::parse(&format!("{n:064x}")).unwrap();
        record.doc_no = format!("REJ/OTHER/{n}");
        record.ack_no = template.ack_no + 1000 + u64::from(n);
        record.seller_gstin = Gstin::parse(OTHER).unwrap();
        record.ecm_gstin = ecm.map(|g| Gstin::parse(g).unwrap());
        record.status = InvoiceStatus::Rejected;
        record
    };
    let (plain, operated) = (rejected(1, None), rejected(2, Some(SELLER)));
    for record in [&plain, &operated] {
        app.state.store.insert_invoice(record).await.unwrap();
    }
    let date = template.ack_dt.format("%d/%m/%Y").to_string();
    let as_operator = seller
        .call(
            reqwest::Method::GET,
            "/eicore/v1.03/Invoice/rejectedirns",
            &[("date", &date)],
            None,
            &[("sup_gstin", OTHER)],
        )
        .await
        .unwrap();
    assert_eq!(
        as_operator.data.unwrap(),
        serde_json::json!([operated.irn.as_str()]),
        "only the IRNs it is the operator of"
    );
    let supplier = app.logged_in(OTHER).await;
    assert_eq!(
        supplier.rejected_irns(&date).await.unwrap().data.unwrap(),
        serde_json::json!([plain.irn.as_str(), operated.irn.as_str()])
    );
}

#[tokio::test]
async fn rejected_irns_only_for_an_entitled_caller_on_sqlite() {
    rejected_irns_only_for_an_entitled_caller(Backend::Sqlite).await;
}

#[tokio::test]
async fn rejected_irns_only_for_an_entitled_caller_on_postgres() {
    rejected_irns_only_for_an_entitled_caller(Backend::Postgres).await;
}
