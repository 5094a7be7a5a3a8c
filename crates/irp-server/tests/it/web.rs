//! The web mode's sessions and refusals over plain HTTP, on both backends, where the portal's
//! clock can be moved: the idle timeout and its sliding, the end of every session on a password
//! change, one web session per user, uploads that are not invoices, and another taxpayer's
//! document. The flows in a real browser are in `crates/irp/tests/web`.

use chrono::Duration;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use crate::helpers::*;

/// A browser without cookies of its own: every request names the session explicitly.
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn location(headers: &HeaderMap) -> &str {
    headers
        .get(LOCATION)
        .map_or("", |value| value.to_str().unwrap())
}

/// Logs the sandbox user of `gstin` in through `/login` (or with `password`) and returns the
/// session cookie.
pub(crate) async fn web_login(
    app: &TestApp,
    gstin: &str,
    password: Option<&str>,
) -> Option<String> {
    let credentials = app.credentials(gstin);
    let password = password.unwrap_or(&credentials.password);
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("user_name", &credentials.user_name)
        .append_pair("password", password)
        .finish();
    let answer = http()
        .post(format!("{}/login", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    if answer.status() != StatusCode::SEE_OTHER {
        return None;
    }
    assert_eq!(location(answer.headers()), "/dashboard");
    let cookie = answer.headers()[SET_COOKIE].to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    Some(cookie.split(';').next().unwrap().to_owned())
}

/// GET `path` with the session `cookie`: the status and, for a redirect, where to.
pub(crate) async fn page(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String, String) {
    let answer = http()
        .get(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let to = location(answer.headers()).to_owned();
    (status, to, answer.text().await.unwrap())
}

pub(crate) fn form_token(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a form token") + 19;
    page[start..start + 64].to_owned()
}

pub(crate) async fn post_form(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        body.append_pair(name, value);
    }
    http()
        .post(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.finish())
        .send()
        .await
        .unwrap()
}

async fn sessions_slide_and_expire_when_idle(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "web.idle_minutes = 30").await else {
        return;
    };
    let cookie = web_login(&app, SELLER, None).await.unwrap();
    // Each page moves the end of the session 30 minutes past it.
    for _ in 0..3 {
        app.advance_clock(Duration::minutes(25));
        assert_eq!(page(&app, &cookie, "/dashboard").await.0, StatusCode::OK);
    }
    // 30 minutes without a page: the session has ended, and the login page says so.
    app.advance_clock(Duration::minutes(30));
    let (status, to, _) = page(&app, &cookie, "/dashboard").await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/login?expired=1")
    );
    let (_, _, login) = page(&app, "", "/login?expired=1").await;
    assert!(login.contains("Your session has ended"));
    // Without a cookie at all: the login page, with nothing said.
    assert_eq!(page(&app, "", "/invoices").await.1, "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_slide_and_expire_when_idle_on_sqlite() {
    sessions_slide_and_expire_when_idle(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_slide_and_expire_when_idle_on_postgres() {
    sessions_slide_and_expire_when_idle(Backend::Postgres).await;
}

/// A password changed on the web ends the user's web session and API session at once; a second
/// web login ends the first web session, but not the API's.
async fn password_change_and_second_login_end_sessions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let api = app.logged_in(SELLER).await;
    let first = web_login(&app, SELLER, None).await.unwrap();
    let second = web_login(&app, SELLER, None).await.unwrap();
    assert_eq!(page(&app, &first, "/dashboard").await.1, "/login?expired=1");
    assert!(api.gstin_details(SELLER).await.unwrap().is_success());

    let (_, _, form) = page(&app, &second, "/password").await;
    let token = form_token(&form);
    let current = app.credentials(SELLER).password;
    // A wrong current password changes nothing.
    let answer = post_form(
        &app,
        &second,
        "/password",
        &[
            ("csrf", &token),
            ("current", "wrong-one"),
            ("new", "a-new-password-1"),
            ("confirm", "a-new-password-1"),
        ],
    )
    .await;
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("The current password is wrong.")
    );
    // Too short, and two different new passwords, are refused before any check.
    let answer = post_form(
        &app,
        &second,
        "/password",
        &[
            ("csrf", &token),
            ("current", &current),
            ("new", "short"),
            ("confirm", "short"),
        ],
    )
    .await;
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("at least 10 characters")
    );
    let answer = post_form(
        &app,
        &second,
        "/password",
        &[
            ("csrf", &token),
            ("current", &current),
            ("new", "a-new-password-1"),
            ("confirm", "a-new-password-2"),
        ],
    )
    .await;
    assert!(answer.text().await.unwrap().contains("differ"));

    let answer = post_form(
        &app,
        &second,
        "/password",
        &[
            ("csrf", &token),
            ("current", &current),
            ("new", "a-new-password-1"),
            ("confirm", "a-new-password-1"),
        ],
    )
    .await;
    assert_eq!(location(answer.headers()), "/login?changed=1");
    assert_eq!(
        page(&app, &second, "/dashboard").await.1,
        "/login?expired=1"
    );
    let after = api.gstin_details(SELLER).await.unwrap();
    assert_eq!(after.error_codes(), ["1005"], "the API session ended too");
    assert!(
        web_login(&app, SELLER, None).await.is_none(),
        "the old password"
    );
    assert!(
        web_login(&app, SELLER, Some("a-new-password-1"))
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_and_second_login_end_sessions_on_sqlite() {
    password_change_and_second_login_end_sessions(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_and_second_login_end_sessions_on_postgres() {
    password_change_and_second_login_end_sessions(Backend::Postgres).await;
}

/// A multipart body: the text `fields`, then one file; and its content type.
pub(crate) fn multipart(
    fields: &[(&str, &str)],
    file_name: &str,
    file_type: &str,
    content: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "----irp-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: {file_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    app: &TestApp,
    cookie: &str,
    token: &str,
    name: &str,
    content: &[u8],
) -> (StatusCode, String) {
    let (content_type, body) = multipart(&[("csrf", token)], name, "application/json", content);
    let answer = http()
        .post(format!("{}/invoices/upload", app.address))
        .header("cookie", cookie)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

/// Uploads that are not invoices get a clear answer and register nothing; another taxpayer's
/// document is "not found" everywhere.
async fn bad_uploads_and_other_taxpayers_documents(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cookie = web_login(&app, SELLER, None).await.unwrap();
    let (_, _, form) = page(&app, &cookie, "/invoices/new").await;
    let token = form_token(&form);

    let (status, text) = upload(&app, &cookie, &token, "invoice.pdf", b"%PDF-1.7 not json").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("The file is not JSON"), "{text}");
    let too_large = vec![b' '; 3 * 1024 * 1024];
    let (status, text) = upload(&app, &cookie, &token, "big.json", &too_large).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("larger than the portal accepts"), "{text}");
    let (status, _) = upload(&app, &cookie, "0".repeat(64).as_str(), "x.json", b"{}").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wrong form token");
    let (status, text) = upload(
        &app,
        &cookie,
        &token,
        "invoice.json",
        br#"{"Version":"1.1"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("2140") || text.contains("3028"), "{text}");
    assert!(!text.contains("sqlx") && !text.contains("panicked"));
    let (_, _, dashboard) = page(&app, &cookie, "/dashboard").await;
    assert!(
        dashboard.contains("No documents yet."),
        "nothing was registered"
    );

    // A document of SELLER, registered through the API, is OTHER's to see nowhere.
    let api = app.logged_in(SELLER).await;
    let generated = api.generate(&invoice(&app, "WEB/OWN/1")).await.unwrap();
    let irn = generated.data.unwrap()["Irn"].as_str().unwrap().to_owned();
    assert_eq!(
        page(&app, &cookie, &format!("/invoices/{irn}")).await.0,
        StatusCode::OK
    );
    let other = web_login(&app, OTHER, None).await.unwrap();
    for path in [
        format!("/invoices/{irn}"),
        format!("/invoices/{irn}/print"),
        format!("/invoices/{irn}/print.pdf"),
        format!("/invoices/{irn}/signed.json"),
        format!("/invoices/{irn}/cancel"),
        format!("/invoices/{irn}/ewb"),
    ] {
        let (status, _, text) = page(&app, &other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!text.contains("WEB/OWN/1"));
    }
    let (_, _, list) = page(&app, &other, &format!("/invoices?irn={irn}")).await;
    assert!(list.contains("No documents match."));
    // Unknown paths get the same styled page.
    let (status, _, text) = page(&app, "", "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("<h1>Not found</h1>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_and_other_taxpayers_documents_on_sqlite() {
    bad_uploads_and_other_taxpayers_documents(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_and_other_taxpayers_documents_on_postgres() {
    bad_uploads_and_other_taxpayers_documents(Backend::Postgres).await;
}

/// The public login page reads little from a stranger: at most 8 KiB of form, and a user name
/// of more than 100 characters is refused before any password check, with the one message
/// every refusal gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_page_reads_little_from_strangers() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let post = |body: String| {
        http()
            .post(format!("{}/login", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let answer = post(format!("user_name=a&password={}", "x".repeat(9000)))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let long_name = post(format!("user_name={}&password=x", "u".repeat(101)))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let unknown = post("user_name=nobody&password=x".to_owned())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refusal = |page: &str| {
        let start = page.find("role=\"alert\">").unwrap() + 13;
        page[start..start + page[start..].find('<').unwrap()].to_owned()
    };
    assert_eq!(refusal(&long_name), refusal(&unknown));
    // A known user with a wrong password reads the same.
    let credentials = app.credentials(SELLER);
    let wrong = post(format!(
        "user_name={}&password=wrong",
        credentials.user_name
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(refusal(&wrong), refusal(&unknown));
}

/// With `compat = "nic"` the API sees only its own portal's records without the `irp` header; the
/// web mode, which has no such header, acts on a record of the other portal all the same
/// (criss-cross cancellation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_cancels_the_other_portals_records_under_nic_compat() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "compat = \"nic\"").await else {
        return;
    };
    let api = app.logged_in(SELLER).await;
    let generated = api.generate(&invoice(&app, "WEB/NIC/1")).await.unwrap();
    let irn = generated.data.unwrap()["Irn"].as_str().unwrap().to_owned();
    // The same registration as IRP-2 would have stored it: another IRN, portal 2.
    let mut record = app
        .state
        .store
        .invoice(&irp_core::irn::Irn::parse(&irn).unwrap())
        .await
        .unwrap()
        .unwrap();
    record.irn = irp_core::irn::Irn::parse(&"e".repeat(64)).unwrap();
    record.doc_no = "WEB/NIC/2".to_owned();
    record.ack_no += 1;
    record.portal = 2;
    app.state.store.insert_invoice(&record).await.unwrap();

    let cookie = web_login(&app, SELLER, None).await.unwrap();
    let (_, _, dashboard) = page(&app, &cookie, "/dashboard").await;
    let token = form_token(&dashboard);
    let path = format!("/invoices/{}/cancel", record.irn);
    let answer = post_form(&app, &cookie, &path, &[("csrf", &token), ("reason", "2")]).await;
    assert_eq!(
        location(answer.headers()),
        format!("/invoices/{}", record.irn),
        "cancelled"
    );
    let stored = app.state.store.invoice(&record.irn).await.unwrap().unwrap();
    assert_eq!(stored.status, irp_store::InvoiceStatus::Cancelled);
    assert_eq!(stored.cancellation.unwrap().portal, 1);
}
