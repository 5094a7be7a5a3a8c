//! Authentication and its error codes (`01` §4–§5), and tenants kept apart.

use chrono::Duration;
use irp_client::NicClient;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

fn auth_body(app: &TestApp, credentials_json: &[u8]) -> Vec<u8> {
    let key = irp_core::protocol::AuthPublicKey::from_pem(&app.auth_public_key_pem).unwrap();
    let data = irp_core::protocol::encrypt_credentials(&key, credentials_json).unwrap();
    serde_json::to_vec(&json!({"Data": data})).unwrap()
}

async fn raw_auth(app: &TestApp, headers: &[(&str, &str)], body: Vec<u8>) -> irp_client::Envelope {
    let client = app.client(SELLER);
    let response = client
        .raw_request(
            Method::POST,
            "/eivital/v1.04/auth",
            &[],
            headers,
            Some(body),
        )
        .await
        .unwrap();
    envelope(&response)
}

fn envelope(response: &irp_client::RawResponse) -> irp_client::Envelope {
    irp_client::parse_envelope(
        response.http_status,
        &response.body,
        None,
        &response.base_url,
    )
    .unwrap()
}

fn app_key() -> String {
    irp_core::protocol::encode_base64(&irp_core::protocol::generate_app_key())
}

async fn each_auth_error_code(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let credentials = app.credentials(SELLER);
    let headers = [
        ("client_id", credentials.client_id.as_str()),
        ("client_secret", credentials.client_secret.as_str()),
        ("Gstin", SELLER),
    ];
    let login = |user: &str, password: &str| {
        serde_json::to_vec(&json!({"UserName": user, "Password": password, "AppKey": app_key(), "ForceRefreshAccessToken": false})).unwrap()
    };
    let user = credentials.user_name.as_str();
    let password = credentials.password.as_str();

    let codes = |envelope: irp_client::Envelope| {
        envelope
            .error_codes()
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        codes(raw_auth(&app, &headers[1..], auth_body(&app, &login(user, password))).await),
        ["1011"]
    );
    assert_eq!(
        codes(
            raw_auth(
                &app,
                &[headers[0], ("client_secret", "wrong"), headers[2]],
                auth_body(&app, &login(user, password))
            )
            .await
        ),
        ["1010"]
    );
    assert_eq!(
        codes(raw_auth(&app, &headers[..2], auth_body(&app, &login(user, password))).await),
        ["1004"]
    );
    assert_eq!(
        codes(raw_auth(&app, &headers, b"{}".to_vec()).await),
        ["5003"]
    );
    // A tampered ciphertext and garbage both give 1013, uniformly.
    let mut tampered: serde_json::Value =
        serde_json::from_slice(&auth_body(&app, &login(user, password))).unwrap();
    let data = tampered["Data"].as_str().unwrap().to_owned();
    tampered["Data"] = json!(format!("{}A{}", &data[..10], &data[11..]));
    assert_eq!(
        codes(raw_auth(&app, &headers, serde_json::to_vec(&tampered).unwrap()).await),
        ["1013"]
    );
    assert_eq!(
        codes(
            raw_auth(
                &app,
                &headers,
                serde_json::to_vec(&json!({"Data": "bm90IHJzYQ=="})).unwrap()
            )
            .await
        ),
        ["1013"]
    );
    let missing_user =
        serde_json::to_vec(&json!({"Password": password, "AppKey": app_key()})).unwrap();
    assert_eq!(
        codes(raw_auth(&app, &headers, auth_body(&app, &missing_user)).await),
        ["1006"]
    );
    let missing_password =
        serde_json::to_vec(&json!({"UserName": user, "AppKey": app_key()})).unwrap();
    assert_eq!(
        codes(raw_auth(&app, &headers, auth_body(&app, &missing_password)).await),
        ["1008"]
    );
    let short_key =
        serde_json::to_vec(&json!({"UserName": user, "Password": password, "AppKey": "c2hvcnQ="}))
            .unwrap();
    assert_eq!(
        codes(raw_auth(&app, &headers, auth_body(&app, &short_key)).await),
        ["1016"]
    );
    assert_eq!(
        codes(raw_auth(&app, &headers, auth_body(&app, &login("nobody", password))).await),
        ["1017"]
    );
    assert_eq!(
        codes(
            raw_auth(
                &app,
                &headers,
                auth_body(&app, &login(user, "wrong-password"))
            )
            .await
        ),
        ["1019"]
    );
    let other_gstin = [headers[0], headers[1], ("Gstin", OTHER)];
    assert_eq!(
        codes(raw_auth(&app, &other_gstin, auth_body(&app, &login(user, password))).await),
        ["1015"]
    );
    // User names are case-insensitive.
    assert!(
        raw_auth(
            &app,
            &headers,
            auth_body(&app, &login(&user.to_uppercase(), password))
        )
        .await
        .is_success()
    );
}

#[tokio::test]
async fn each_auth_error_code_on_sqlite() {
    each_auth_error_code(Backend::Sqlite).await;
}

#[tokio::test]
async fn each_auth_error_code_on_postgres() {
    each_auth_error_code(Backend::Postgres).await;
}

async fn tokens_are_reused_expire_and_refresh_only_at_the_end(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let first = app.logged_in(SELLER).await;
    let second = app.logged_in(SELLER).await;
    let (a, b) = (first.session().unwrap(), second.session().unwrap());
    assert_eq!(
        a.auth_token, b.auth_token,
        "the same token while the session lives"
    );
    assert_eq!(
        a.sek, b.sek,
        "and the same SEK, re-wrapped under the new AppKey"
    );
    assert_eq!(a.token_expiry, b.token_expiry);
    assert_eq!(a.auth_token.len(), 25);
    // ForceRefresh is ignored before the last 10 minutes.
    second.authenticate(true).await.unwrap();
    assert_eq!(second.session().unwrap().auth_token, a.auth_token);
    // In the last 10 minutes it issues a new token (sandbox tokens live 60 minutes).
    app.advance_clock(Duration::minutes(55));
    second.authenticate(true).await.unwrap();
    let refreshed = second.session().unwrap();
    assert_ne!(refreshed.auth_token, a.auth_token);
    assert_eq!(
        first.gstin_details(BUYER).await.unwrap().error_codes(),
        ["1005"],
        "the old token ended"
    );
    assert!(second.gstin_details(BUYER).await.unwrap().is_success());
    // After expiry the token is refused with 1005.
    app.advance_clock(Duration::minutes(61));
    assert_eq!(
        second.gstin_details(BUYER).await.unwrap().error_codes(),
        ["1005"]
    );
}

#[tokio::test]
async fn tokens_are_reused_expire_and_refresh_only_at_the_end_on_sqlite() {
    tokens_are_reused_expire_and_refresh_only_at_the_end(Backend::Sqlite).await;
}

#[tokio::test]
async fn tokens_are_reused_expire_and_refresh_only_at_the_end_on_postgres() {
    tokens_are_reused_expire_and_refresh_only_at_the_end(Backend::Postgres).await;
}

async fn header_checks_on_every_call(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let session = client.session().unwrap();
    let credentials = app.credentials(SELLER);
    let call = |headers: Vec<(&'static str, String)>| {
        let app_client = app.client(SELLER);
        async move {
            let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = app_client
                .raw_request(
                    Method::GET,
                    &format!("/eivital/v1.03/Master/gstin/{BUYER}"),
                    &[],
                    &pairs,
                    None,
                )
                .await
                .unwrap();
            envelope(&response)
                .error_codes()
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
        }
    };
    let full = vec![
        ("client_id", credentials.client_id.clone()),
        ("client_secret", credentials.client_secret.clone()),
        ("Gstin", SELLER.to_owned()),
        ("user_name", credentials.user_name.clone()),
        ("AuthToken", session.auth_token.clone()),
    ];
    let without = |name: &str| {
        full.iter()
            .filter(|(k, _)| *k != name)
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(call(without("client_id")).await, ["1011"]);
    assert_eq!(call(without("client_secret")).await, ["1012"]);
    assert_eq!(call(without("Gstin")).await, ["1004"]);
    assert_eq!(call(without("user_name")).await, ["1006"]);
    assert_eq!(call(without("AuthToken")).await, ["1005"]);
    let mut wrong_gstin = full.clone();
    wrong_gstin[2].1 = OTHER.to_owned();
    assert_eq!(
        call(wrong_gstin).await,
        ["1005"],
        "a token belongs to its (client, user, GSTIN)"
    );
    let mut bad_token = full.clone();
    bad_token[4].1 = "A".repeat(25);
    assert_eq!(call(bad_token).await, ["1005"]);
    // An oversized body is refused with the envelope, not a bare HTTP error.
    let huge = serde_json::to_vec(&json!({"Data": "A".repeat(3 * 1024 * 1024)})).unwrap();
    let pairs: Vec<(&str, &str)> = full.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = client
        .raw_request(
            Method::POST,
            "/eicore/v1.03/Invoice",
            &[],
            &pairs,
            Some(huge),
        )
        .await
        .unwrap();
    assert_eq!(response.http_status, 200);
    assert_eq!(envelope(&response).error_codes(), ["5002"]);
}

#[tokio::test]
async fn header_checks_on_every_call_on_sqlite() {
    header_checks_on_every_call(Backend::Sqlite).await;
}

#[tokio::test]
async fn header_checks_on_every_call_on_postgres() {
    header_checks_on_every_call(Backend::Postgres).await;
}

async fn tenants_cannot_reach_each_others_invoices(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let seller = app.logged_in(SELLER).await;
    let irn = seller
        .generate(&invoice(&app, "TENANT/1"))
        .await
        .unwrap()
        .data
        .unwrap()["Irn"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.logged_in(OTHER).await;
    assert_eq!(
        other.get_by_irn(&irn, None).await.unwrap().error_codes(),
        ["2226"]
    );
    assert_eq!(
        other.cancel(&irn, "1", None).await.unwrap().error_codes(),
        ["2143"]
    );
    // Generating for someone else's GSTIN is refused before any duplicate detail leaks.
    assert_eq!(
        other
            .generate(&invoice(&app, "TENANT/1"))
            .await
            .unwrap()
            .error_codes(),
        ["2169"]
    );
    assert!(
        other
            .generate(&invoice(&app, "TENANT/1"))
            .await
            .unwrap()
            .info_dtls
            .is_none()
    );
}

#[tokio::test]
async fn tenants_cannot_reach_each_others_invoices_on_sqlite() {
    tenants_cannot_reach_each_others_invoices(Backend::Sqlite).await;
}

#[tokio::test]
async fn tenants_cannot_reach_each_others_invoices_on_postgres() {
    tenants_cannot_reach_each_others_invoices(Backend::Postgres).await;
}

async fn repeated_failed_logins_lock_the_user(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut credentials = app.credentials(SELLER);
    let right = credentials.password.clone();
    credentials.password = "not-the-password".to_owned();
    let wrong = NicClient::new(
        vec![app.address.clone()],
        credentials.clone(),
        &app.auth_public_key_pem,
    )
    .unwrap();
    for _ in 0..5 {
        assert_eq!(
            wrong.authenticate(false).await.unwrap().error_codes(),
            ["1019"]
        );
    }
    credentials.password = right;
    let right_client = NicClient::new(
        vec![app.address.clone()],
        credentials,
        &app.auth_public_key_pem,
    )
    .unwrap();
    assert_eq!(
        right_client
            .authenticate(false)
            .await
            .unwrap()
            .error_codes(),
        ["1014"],
        "locked out"
    );
    app.advance_clock(Duration::minutes(16));
    assert!(
        right_client.authenticate(false).await.unwrap().is_success(),
        "the lockout ends"
    );
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_user_on_sqlite() {
    repeated_failed_logins_lock_the_user(Backend::Sqlite).await;
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_user_on_postgres() {
    repeated_failed_logins_lock_the_user(Backend::Postgres).await;
}

/// Generate trusts the node's cached copy of a session, but ending the session (a replacement
/// by ForceRefresh, or the user deactivated from another process, as `irp admin` would) still
/// takes effect at once: the registration re-reads the session in its own transaction, and an
/// error is answered only after the registry has been asked. Nothing is registered under an
/// ended session.
async fn generate_stops_at_once_when_the_session_ends(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let first = app.logged_in(SELLER).await;
    let warm = first.generate(&invoice(&app, "ENDED/1")).await.unwrap();
    assert!(warm.is_success(), "{warm:?}");

    // Replaced: another client of the same user refreshes in the last 10 minutes.
    let second = app.logged_in(SELLER).await;
    app.advance_clock(Duration::minutes(55));
    second.authenticate(true).await.unwrap();
    let stale = first.generate(&invoice(&app, "ENDED/2")).await.unwrap();
    assert_eq!(stale.error_codes(), ["1005"], "{stale:?}");
    let registered = second.generate(&invoice(&app, "ENDED/2")).await.unwrap();
    assert!(
        registered.is_success(),
        "ENDED/2 was not registered under the ended session: {registered:?}"
    );

    // Deactivated from outside this node's cache, then reactivated.
    let warm = second.generate(&invoice(&app, "ENDED/3")).await.unwrap();
    assert!(warm.is_success(), "{warm:?}");
    let user = app.credentials(SELLER).user_name;
    let now = app.clock.now();
    app.state
        .store
        .set_user_active(&user, false, now)
        .await
        .unwrap();
    let after = second.generate(&invoice(&app, "ENDED/4")).await.unwrap();
    assert_eq!(after.error_codes(), ["1005"], "{after:?}");
    let invalid = second.generate(b"{}").await.unwrap();
    assert_eq!(
        invalid.error_codes(),
        ["1005"],
        "an ended session gets 1005, not the invoice's errors: {invalid:?}"
    );
    app.state
        .store
        .set_user_active(&user, true, now)
        .await
        .unwrap();
    let again = app.logged_in(SELLER).await;
    let registered = again.generate(&invoice(&app, "ENDED/4")).await.unwrap();
    assert!(registered.is_success(), "{registered:?}");
}

#[tokio::test]
async fn generate_stops_at_once_when_the_session_ends_on_sqlite() {
    generate_stops_at_once_when_the_session_ends(Backend::Sqlite).await;
}

#[tokio::test]
async fn generate_stops_at_once_when_the_session_ends_on_postgres() {
    generate_stops_at_once_when_the_session_ends(Backend::Postgres).await;
}
