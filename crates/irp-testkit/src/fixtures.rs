//! Fixtures that more than one crate's tests use: the sandbox taxpayers every seeded portal has,
//! a valid invoice of the sandbox seller, India's date, and the portal's published keys.

use chrono::{NaiveDate, NaiveDateTime};
use irp_core::jws::Verifier;
use irp_core::keys::Certificate;
use serde_json::{Value, json};

/// The sandbox's large Karnataka taxpayer, the seller of [`invoice`].
pub const SELLER: &str = "29LARGE1000C1ZK";
/// A Karnataka buyer in the sandbox register.
pub const BUYER: &str = "29AWGPV7107B1Z1";
/// Another sandbox taxpayer (Maharashtra), for cross-tenant tests.
pub const OTHER: &str = "27LARGE1000C1ZO";

/// The time in India (IST, UTC+05:30), which dates documents and acknowledgements.
pub fn ist_now() -> NaiveDateTime {
    (chrono::Utc::now() + chrono::TimeDelta::minutes(330)).naive_utc()
}

/// Today's date in India.
pub fn ist_today() -> NaiveDate {
    ist_now().date()
}

/// A date as INV-01 writes it (`dd/mm/yyyy`).
pub fn doc_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// The request body of a valid intra-state B2B invoice of [`SELLER`] to [`BUYER`], with document
/// number `number`, dated `date`: one item, 5 % GST.
pub fn invoice(number: &str, date: NaiveDate) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "Version": "1.1",
        "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B"},
        "DocDtls": {"Typ": "INV", "No": number, "Dt": doc_date(date)},
        "SellerDtls": {"Gstin": SELLER, "LglNm": "Sandbox Large 29", "Addr1": "1 MG Road", "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29"},
        "BuyerDtls": {"Gstin": BUYER, "LglNm": "XYZ company pvt ltd", "Pos": "29", "Addr1": "7th block", "Loc": "Bengaluru", "Pin": 562160, "Stcd": "29"},
        "ItemList": [{"SlNo": "1", "IsServc": "N", "HsnCd": "61091000", "Qty": 10, "Unit": "NOS", "UnitPrice": 100.0,
                      "TotAmt": 1000, "AssAmt": 1000, "GstRt": 5, "CgstAmt": 25, "SgstAmt": 25, "TotItemVal": 1050}],
        "ValDtls": {"AssVal": 1000, "CgstVal": 25, "SgstVal": 25, "TotInvVal": 1050}
    }))
    .expect("a JSON value serialises")
}

/// Like [`invoice`], with `items` items of 10 × ₹100.50 less ₹5 at 5 % GST, each with a
/// description long enough to wrap in a printed table.
pub fn invoice_with_items(number: &str, date: NaiveDate, items: usize) -> Vec<u8> {
    let list: Vec<Value> = (1..=items)
        .map(|n| {
            json!({"SlNo": n.to_string(), "IsServc": "N",
                   "PrdDesc": format!("Cotton T-shirt, crew neck, size {n}, pack of ten, blue and white stripes"),
                   "HsnCd": "61091000", "Qty": 10, "Unit": "NOS", "UnitPrice": 100.50, "TotAmt": 1005,
                   "Discount": 5, "AssAmt": 1000, "GstRt": 5, "CgstAmt": 25, "SgstAmt": 25, "TotItemVal": 1050})
        })
        .collect();
    let count = items as u64;
    serde_json::to_vec(&json!({
        "Version": "1.1",
        "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B"},
        "DocDtls": {"Typ": "INV", "No": number, "Dt": doc_date(date)},
        "SellerDtls": {"Gstin": SELLER, "LglNm": "Sandbox Large 29", "Addr1": "1 MG Road", "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29"},
        "BuyerDtls": {"Gstin": BUYER, "LglNm": "XYZ company pvt ltd", "Pos": "29", "Addr1": "7th block", "Loc": "Bengaluru", "Pin": 562160, "Stcd": "29"},
        "ItemList": list,
        "ValDtls": {"AssVal": 1000 * count, "CgstVal": 25 * count, "SgstVal": 25 * count, "TotInvVal": 1050 * count}
    }))
    .expect("a JSON value serialises")
}

/// A plain GET, its body as text.
pub async fn http_get(url: &str) -> String {
    reqwest::get(url)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body")
}

/// A verifier built from the JWK Set that the portal at `base_url` publishes, as a third party
/// would build it.
pub async fn jwks_verifier(base_url: &str) -> Verifier {
    let body: Value =
        serde_json::from_str(&http_get(&format!("{base_url}/.well-known/jwks.json")).await)
            .expect("the JWK Set is JSON");
    let certificates = body["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|key| {
            let x5c = key["x5c"][0].as_str().expect("x5c");
            let der = irp_core::protocol::decode_base64(x5c.as_bytes()).expect("base64 DER");
            Certificate::from_der(&der).expect("a certificate")
        })
        .collect();
    Verifier::new(certificates)
}
