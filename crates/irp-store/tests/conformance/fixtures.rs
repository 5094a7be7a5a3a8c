//! Records for the cases: complete, with every optional field set unless a case says otherwise.

use chrono::{NaiveDate, NaiveDateTime};
use irp_core::invoice::{DocType, Gstin};
use irp_core::irn::Irn;
use irp_core::register::{RegistrationStatus, TaxpayerType};
use irp_store::{
    ApiClient, EwbRecord, EwbStatus, InvoiceRecord, InvoiceStatus, PublishedCertificate, Session,
    SessionKey, Store, TaxpayerRecord, User,
};

pub fn dt(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("date-time literal")
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date literal")
}

pub fn taxpayer(gstin: &str) -> TaxpayerRecord {
    TaxpayerRecord {
        gstin: gstin.to_owned(),
        trade_name: Some(format!("Trade {gstin}")),
        legal_name: format!("Legal {gstin}"),
        addr_bnm: Some("Tower A".into()),
        addr_bno: Some("12".into()),
        addr_flno: Some("3".into()),
        addr_st: Some("MG Road".into()),
        addr_loc: Some("Bengaluru".into()),
        state_code: gstin[..2].parse().expect("state digits"),
        addr_pncd: Some(560001),
        taxpayer_type: TaxpayerType::Reg,
        status: RegistrationStatus::Act,
        blk_status: Some('U'),
        registered_on: Some(date("2017-07-01")),
        deregistered_on: None,
        aato_inr: Some(1_500_000_000),
        einvoice_enabled: true,
        max_items: Some(5000),
        test: true,
    }
}

/// The same GSTIN with every optional field absent.
pub fn bare_taxpayer(gstin: &str) -> TaxpayerRecord {
    TaxpayerRecord {
        trade_name: None,
        addr_bnm: None,
        addr_bno: None,
        addr_flno: None,
        addr_st: None,
        addr_loc: None,
        addr_pncd: None,
        blk_status: None,
        registered_on: None,
        deregistered_on: None,
        aato_inr: None,
        max_items: None,
        ..taxpayer(gstin)
    }
}

pub fn client(client_id: &str) -> ApiClient {
    ApiClient {
        client_id: client_id.to_owned(),
        secret_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$client-salt-{client_id}$client-hash"),
        name: format!("Integrator {client_id}"),
        active: true,
    }
}

pub fn user(user_name: &str, gstin: &str, client_ids: &[&str]) -> User {
    User {
        user_name: user_name.to_owned(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$user-salt-{user_name}$user-hash"),
        gstin: gstin.to_owned(),
        client_ids: client_ids.iter().map(|c| (*c).to_owned()).collect(),
        active: true,
        failed_logins: 0,
        locked_until: None,
    }
}

pub const GSTIN: &str = "29AWGPV7107B1Z1";
/// The buyer of [`invoice`]'s documents.
pub const BUYER: &str = "29AAACB1234C1Z5";

/// Creates client `C1` and user `ApiUser` (GSTIN [`GSTIN`]) mapped to it; returns the user.
pub async fn account(store: &dyn Store) -> User {
    store
        .create_client(&client("C1"))
        .await
        .expect("create client");
    let user = user("ApiUser", GSTIN, &["C1"]);
    store.create_user(&user).await.expect("create user");
    user
}

pub fn session(key: &SessionKey, token: &str, created_at: &str, minutes: i64) -> Session {
    let created_at = dt(created_at);
    Session {
        key: key.clone(),
        token_hash: format!("{token:0>64}"),
        token_sealed: format!("sealed-token-{token}").into_bytes(),
        sek_sealed: format!("sealed-sek-{token}").into_bytes(),
        created_at,
        expires_at: created_at + chrono::TimeDelta::minutes(minutes),
    }
}

/// A 64-hex IRN made from `n`.
pub fn irn(n: u64) -> Irn {
    Irn::parse(&format!("{n:064x}")).expect("64 hexadecimal digits")
}

/// A GSTIN of the right shape.
pub fn gstin(text: &str) -> Gstin {
    Gstin::parse(text).expect("a GSTIN of the right shape")
}

pub fn invoice(n: u64, ack_no: u64) -> InvoiceRecord {
    InvoiceRecord {
        irn: irn(n),
        seller_gstin: gstin(GSTIN),
        ecm_gstin: None,
        doc_type: DocType::Invoice,
        doc_no: format!("DOC/{n}"),
        doc_date: date("2025-07-01"),
        ack_no,
        ack_dt: dt("2025-07-01 12:34:56"),
        status: InvoiceStatus::Active,
        portal: 1,
        generated_by: GSTIN.to_owned(),
        buyer_gstin: Some(BUYER.to_owned()),
        signed_invoice: signed_invoice(n),
        signed_qr_code: format!("eyJhbGciOiJSUzI1NiJ9.qr-{n}.sig"),
        cancellation: None,
    }
}

/// A compact JWS shaped like a real `SignedInvoice` (the store keeps such tokens packed).
pub fn signed_invoice(n: u64) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let items: Vec<String> = (1..=n % 7 + 1)
        .map(|i| {
            format!(
                r#"{{"SlNo":"{i}","HsnCd":"1001","Qty":{i},"AssAmt":{}.50}}"#,
                i * 100
            )
        })
        .collect();
    let payload = format!(
        r#"{{"Irn":"{}","DocDtls":{{"No":"DOC/{n}"}},"ItemList":[{}]}}"#,
        irn(n),
        items.join(",")
    );
    format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode([n as u8; 256])
    )
}

pub fn certificate(portal: u8, kid_digit: char, current: bool) -> PublishedCertificate {
    PublishedCertificate {
        portal,
        kid: kid_digit.to_string().repeat(40),
        der: vec![0x30, 0x82, portal, kid_digit as u8, 0x00, 0xff],
        not_before: dt("2025-01-01 00:00:00"),
        not_after: dt("2027-01-01 00:00:00"),
        current,
    }
}

/// An active e-way bill `ewb_no` of the IRN made from `irn_n`, generated at `ewb_dt`, with Part B.
pub fn ewb(ewb_no: u64, irn_n: u64, ewb_dt: &str) -> EwbRecord {
    let ewb_dt = dt(ewb_dt);
    EwbRecord {
        ewb_no,
        irn: irn(irn_n),
        status: EwbStatus::Active,
        gen_gstin: GSTIN.to_owned(),
        ewb_dt,
        valid_till: Some(
            ewb_dt
                .date()
                .succ_opt()
                .expect("next day")
                .and_hms_opt(23, 59, 0)
                .expect("time"),
        ),
        distance_km: 100,
        trans_mode: Some("1".into()),
        trans_id: Some("12AWGPV7107B1Z1".into()),
        trans_name: Some("Trans Co".into()),
        trans_doc_no: Some("DOC/1001".into()),
        trans_doc_dt: Some(date("2025-07-01")),
        veh_no: Some("KA12AB1234".into()),
        veh_type: Some("R".into()),
        portal: 1,
        cancellation: None,
    }
}

/// The same e-way bill with Part A only: no validity and no transport fields.
pub fn part_a_ewb(ewb_no: u64, irn_n: u64, ewb_dt: &str) -> EwbRecord {
    EwbRecord {
        valid_till: None,
        trans_mode: None,
        trans_id: None,
        trans_name: None,
        trans_doc_no: None,
        trans_doc_dt: None,
        veh_no: None,
        veh_type: None,
        ..ewb(ewb_no, irn_n, ewb_dt)
    }
}
