//! The client against a tiny HTTP/1.1 stub on 127.0.0.1: request construction, session
//! handling, failover and duplicate resolution. The end-to-end tests against the real server live
//! with the server.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use irp_client::{ClientError, Credentials, Method, NicClient, Session, parse_envelope};
use irp_core::protocol::{
    AuthPrivateKey, decode_base64, decrypt_credentials, decrypt_payload, encrypt_payload, wrap_sek,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

static AUTH_KEY: LazyLock<AuthPrivateKey> =
    LazyLock::new(|| AuthPrivateKey::generate(2048).unwrap());

const SEK: [u8; 32] = [0x5e; 32];
const TOKEN: &str = "AbCdEfGhIjKlMnOpQrStUvWxY";
const IRN: &str = "8f3c8a5e3b1f0e4c9a7d2b6e1f0a9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b";

// --- the stub --------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Request {
    method: String,
    target: String,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The decrypted `Data` of an encrypted POST body.
    fn plaintext(&self) -> Vec<u8> {
        let body: Value = serde_json::from_slice(&self.body).unwrap();
        decrypt_payload(&SEK, body["Data"].as_str().unwrap()).unwrap()
    }
}

enum Reply {
    Json(u16, String),
    /// Accept the request and never answer.
    Hang,
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

struct Stub {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Stub {
    async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let recorded = requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, handler.clone(), recorded.clone()));
            }
        });
        Stub { url, requests }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, handler: Handler, requests: Arc<Mutex<Vec<Request>>>) {
    let mut buffer = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap().split(' ');
    let method = request_line.next().unwrap().to_owned();
    let target = request_line.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let request = Request {
        method,
        target,
        headers,
        body,
    };
    requests.lock().unwrap().push(request.clone());
    match handler(&request) {
        Reply::Json(status, body) => {
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    }
}

/// A URL on which nothing listens: connections are refused.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

// --- helpers -------------------------------------------------------------------------------------

fn credentials() -> Credentials {
    Credentials {
        client_id: "AAACI29TXIP123".into(),
        client_secret: "s3cr3t".into(),
        user_name: "api_user".into(),
        password: "P@ssw0rd!".into(),
        gstin: "29AWGPV7107B1Z1".into(),
    }
}

fn client(urls: Vec<String>) -> NicClient {
    NicClient::new(urls, credentials(), &AUTH_KEY.public_key().pem()).unwrap()
}

fn session() -> Session {
    Session {
        auth_token: TOKEN.into(),
        sek: SEK,
        token_expiry: "2025-07-01 18:42:00".into(),
    }
}

fn success(data: &Value) -> Reply {
    let data = encrypt_payload(&SEK, data.to_string().as_bytes());
    Reply::Json(
        200,
        format!(r#"{{"Status":1,"ErrorDetails":null,"Data":"{data}","InfoDtls":null}}"#),
    )
}

fn failure(code: &str, message: &str) -> Reply {
    Reply::Json(
        200,
        json!({"Status":0,"ErrorDetails":[{"ErrorCode":code,"ErrorMessage":message}],"Data":null,"InfoDtls":null})
            .to_string(),
    )
}

fn ist_now() -> String {
    (chrono::Utc::now() + chrono::TimeDelta::minutes(330))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn duplicate(ack_dt: &str) -> Reply {
    Reply::Json(
        200,
        json!({"Status":0,"ErrorDetails":[{"ErrorCode":"2150","ErrorMessage":"Duplicate IRN"}],"Data":null,
            "InfoDtls":[{"InfCd":"DUPIRN","Desc":{"AckNo":112510000000042_u64,"AckDt":ack_dt,"Irn":IRN}}]})
        .to_string(),
    )
}

fn registration() -> Value {
    json!({"AckNo":112510000000042_u64,"AckDt":"2025-07-01 12:34:56","Irn":IRN,"SignedInvoice":"a.b.c",
        "SignedQRCode":"d.e.f","Status":"ACT","EwbNo":null,"EwbDt":null,"EwbValidTill":null,"Remarks":null})
}

const INVOICE: &[u8] =
    br#"{"Version":"1.1","DocDtls":{"Typ":"INV","No":"DOC/001","Dt":"01/07/2025"}}"#;

// --- auth ----------------------------------------------------------------------------------------

#[tokio::test]
async fn authenticate_sends_encrypted_credentials_and_keeps_the_session() {
    let stub = Stub::start(|request| {
        if request.target == "/eivital/v1.04/auth" {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let json = decrypt_credentials(&AUTH_KEY, body["Data"].as_str().unwrap()).unwrap();
            let json: Value = serde_json::from_slice(&json).unwrap();
            let app_key: [u8; 32] = decode_base64(json["AppKey"].as_str().unwrap().as_bytes())
                .unwrap()
                .try_into()
                .unwrap();
            let data = json!({"ClientId":"AAACI29TXIP123","UserName":"api_user","AuthToken":TOKEN,
                "Sek":wrap_sek(&app_key, &SEK),"TokenExpiry":"2025-07-01 18:42:00"});
            Reply::Json(
                200,
                json!({"Status":1,"ErrorDetails":null,"Data":data,"InfoDtls":null}).to_string(),
            )
        } else {
            success(&registration())
        }
    })
    .await;
    let client = client(vec![stub.url.clone()]);
    assert_eq!(client.session(), None);
    let envelope = client.authenticate(true).await.unwrap();
    assert!(envelope.is_success());
    assert_eq!(envelope.data_field("AuthToken"), Some(&json!(TOKEN)));
    assert_eq!(client.session(), Some(session()));

    let auth = &stub.requests()[0];
    assert_eq!(auth.method, "POST");
    assert_eq!(auth.header("client_id"), Some("AAACI29TXIP123"));
    assert_eq!(auth.header("client_secret"), Some("s3cr3t"));
    assert_eq!(auth.header("gstin"), Some("29AWGPV7107B1Z1"));
    assert_eq!(auth.header("authtoken"), None);
    assert_eq!(auth.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&auth.body).unwrap();
    let json = decrypt_credentials(&AUTH_KEY, body["Data"].as_str().unwrap()).unwrap();
    let json: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["UserName"], "api_user");
    assert_eq!(json["Password"], "P@ssw0rd!");
    assert_eq!(json["ForceRefreshAccessToken"], true);
    assert_eq!(json["AppKey"].as_str().unwrap().len(), 44);

    // The session is used by the next call.
    let generated = client.generate(INVOICE).await.unwrap();
    assert!(generated.is_success());
    assert_eq!(generated.data_field("Irn"), Some(&json!(IRN)));
    let generate = &stub.requests()[1];
    assert_eq!(generate.target, "/eicore/v1.03/Invoice");
    assert_eq!(generate.header("user_name"), Some("api_user"));
    assert_eq!(generate.header("authtoken"), Some(TOKEN));
    assert_eq!(generate.plaintext(), INVOICE);
}

#[tokio::test]
async fn a_rejected_auth_is_an_envelope_and_keeps_no_session() {
    let stub = Stub::start(|_| failure("1013", "Decryption of password failed")).await;
    let client = client(vec![stub.url.clone()]);
    let envelope = client.authenticate(false).await.unwrap();
    assert_eq!(envelope.status, 0);
    assert_eq!(envelope.error_codes(), ["1013"]);
    assert_eq!(client.session(), None);
}

#[tokio::test]
async fn calls_need_a_session() {
    let client = client(vec![dead_url()]);
    assert!(matches!(
        client.gstin_details("29AWGPV7107B1Z1").await,
        Err(ClientError::NotAuthenticated)
    ));
}

// --- request construction --------------------------------------------------------------------------

#[tokio::test]
async fn typed_helpers_build_the_documented_requests() {
    let stub = Stub::start(|request| {
        if request.target.contains("rejectedirns") {
            success(&json!([]))
        } else {
            success(&json!({"ok":true}))
        }
    })
    .await;
    let client = client(vec![stub.url.clone()]);
    client.set_session(Some(session()));
    client.get_by_irn(IRN, Some("NIC2")).await.unwrap();
    client
        .get_by_doc("INV", "DOC/001", "01/07/2025")
        .await
        .unwrap();
    client.cancel(IRN, "1", Some("Duplicate")).await.unwrap();
    client.gstin_details("29AWGPV7107B1Z1").await.unwrap();
    client.sync_gstin("29AWGPV7107B1Z1").await.unwrap();
    let rejected = client.rejected_irns("01/07/2025").await.unwrap();
    assert_eq!(rejected.data, Some(json!([])));

    let requests = stub.requests();
    let targets: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        targets,
        [
            ("GET", format!("/eicore/v1.03/Invoice/irn/{IRN}").as_str()),
            (
                "GET",
                "/eicore/v1.03/Invoice/irnbydocdetails?doctype=INV&docnum=DOC%2F001&docdate=01%2F07%2F2025"
            ),
            ("POST", "/eicore/v1.03/Invoice/Cancel"),
            ("GET", "/eivital/v1.03/Master/gstin/29AWGPV7107B1Z1"),
            ("GET", "/eivital/v1.04/Master/syncgstin/29AWGPV7107B1Z1"),
            (
                "GET",
                "/eicore/v1.03/Invoice/rejectedirns?date=01%2F07%2F2025"
            ),
        ]
    );
    assert_eq!(requests[0].header("irp"), Some("NIC2"));
    assert_eq!(requests[1].header("irp"), None);
    assert_eq!(
        requests[2].plaintext(),
        format!(r#"{{"Irn":"{IRN}","CnlRsn":"1","CnlRem":"Duplicate"}}"#).as_bytes()
    );
    for request in &requests {
        assert_eq!(request.header("client_id"), Some("AAACI29TXIP123"));
        assert_eq!(request.header("client_secret"), Some("s3cr3t"));
        assert_eq!(request.header("gstin"), Some("29AWGPV7107B1Z1"));
        assert_eq!(request.header("user_name"), Some("api_user"));
        assert_eq!(request.header("authtoken"), Some(TOKEN));
        assert_eq!(request.header("sup_gstin"), None);
    }
    // GETs carry no body.
    assert!(requests[0].body.is_empty());
}

#[tokio::test]
async fn extra_headers_and_sup_gstin() {
    let stub = Stub::start(|_| success(&json!({}))).await;
    let client = client(vec![stub.url.clone()]);
    client.set_session(Some(session()));
    client.set_sup_gstin(Some("27AAAPI3182M002".into()));
    client
        .call(
            Method::GET,
            "/eivital/v1.03/Master/gstin/X",
            &[],
            None,
            &[("GSTIN", "07AAAAA0000A1Z5"), ("AuthToken", "")],
        )
        .await
        .unwrap();
    let request = &stub.requests()[0];
    assert_eq!(request.header("gstin"), Some("07AAAAA0000A1Z5"));
    assert_eq!(request.header("authtoken"), Some(""));
    assert_eq!(request.header("sup_gstin"), Some("27AAAPI3182M002"));
    assert_eq!(
        request.headers.iter().filter(|(n, _)| n == "gstin").count(),
        1
    );
}

#[tokio::test]
async fn raw_requests_and_answers_that_are_not_envelopes() {
    let stub = Stub::start(|request| {
        if request.target == "/nowhere" {
            Reply::Json(404, String::new())
        } else {
            Reply::Json(200, r#"{"Status":0,"ErrorDetails":[{"ErrorCode":"5003","ErrorMessage":"Data cannot be null or empty"}],"Data":null,"InfoDtls":null}"#.into())
        }
    })
    .await;
    let client = client(vec![stub.url.clone()]);
    client.set_session(Some(session()));
    match client.call(Method::GET, "/nowhere", &[], None, &[]).await {
        Err(ClientError::NotAnEnvelope {
            status: 404, url, ..
        }) => assert_eq!(url, stub.url),
        other => panic!("{other:?}"),
    }
    let raw = client
        .raw_request(
            Method::POST,
            "/eicore/v1.03/Invoice",
            &[],
            &[("client_id", "x")],
            Some(br#"{"Data":""}"#.to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(raw.http_status, 200);
    let envelope = parse_envelope(raw.http_status, &raw.body, None, &raw.base_url).unwrap();
    assert_eq!(envelope.error_codes(), ["5003"]);
    let sent = &stub.requests()[1];
    assert_eq!(sent.body, br#"{"Data":""}"#);
    assert_eq!(sent.header("client_id"), Some("x"));
    assert_eq!(sent.header("authtoken"), None);
}

// --- failover ------------------------------------------------------------------------------------

#[tokio::test]
async fn a_refused_connection_moves_to_the_next_portal_and_stays_there() {
    let stub = Stub::start(|_| success(&json!({"Gstin":"29AWGPV7107B1Z1"}))).await;
    let dead = dead_url();
    let client = client(vec![dead.clone(), stub.url.clone()]);
    client.set_session(Some(session()));
    assert_eq!(client.current_base_url(), dead);
    let first = client.gstin_details("29AWGPV7107B1Z1").await.unwrap();
    assert!(first.is_success());
    assert_eq!(first.base_url, stub.url);
    assert_eq!(first.attempts, 2);
    assert_eq!(client.current_base_url(), stub.url);
    let second = client.gstin_details("29AWGPV7107B1Z1").await.unwrap();
    assert_eq!(second.attempts, 1);
    // The same token went to the second portal.
    assert_eq!(stub.requests()[0].header("authtoken"), Some(TOKEN));
}

#[tokio::test]
async fn a_timeout_moves_to_the_next_portal() {
    let hanging = Stub::start(|_| Reply::Hang).await;
    let good = Stub::start(|_| success(&json!({}))).await;
    let client = client(vec![hanging.url.clone(), good.url.clone()])
        .with_timeout(Duration::from_millis(300))
        .unwrap();
    client.set_session(Some(session()));
    let envelope = client.sync_gstin("29AWGPV7107B1Z1").await.unwrap();
    assert_eq!(envelope.base_url, good.url);
    assert_eq!(hanging.requests().len(), 1);
}

#[tokio::test]
async fn http_503_fails_over_except_for_the_heartbeat() {
    let down = Stub::start(|_| {
        Reply::Json(
            503,
            r#"{"Status":0,"ErrorDetails":[{"ErrorCode":"5001","ErrorMessage":"Application Error, Please Contact the help desk"}],"Data":{"Irp":"NIC1","ServerTime":"2025-07-01 12:00:00","Registry":"DOWN"},"InfoDtls":null}"#.into(),
        )
    })
    .await;
    let up = Stub::start(|_| success(&json!({}))).await;
    let client = client(vec![down.url.clone(), up.url.clone()]);
    let heartbeat = client.heartbeat().await.unwrap();
    assert_eq!(heartbeat.http_status, 503);
    assert_eq!(heartbeat.data_field("Registry"), Some(&json!("DOWN")));
    assert_eq!(heartbeat.base_url, down.url);
    client.set_session(Some(session()));
    let envelope = client.gstin_details("29AWGPV7107B1Z1").await.unwrap();
    assert_eq!(envelope.base_url, up.url);
    assert_eq!(envelope.attempts, 2);
}

#[tokio::test]
async fn every_portal_down_is_an_error() {
    let client = client(vec![dead_url(), dead_url()]);
    client.set_session(Some(session()));
    match client.generate(INVOICE).await {
        Err(ClientError::Unreachable(message)) => {
            assert_eq!(message.matches("127.0.0.1").count(), 2, "{message}");
            assert!(!message.contains(TOKEN) && !message.contains("s3cr3t"));
        }
        other => panic!("{other:?}"),
    }
    assert!(client.heartbeat().await.is_err());
}

// --- duplicates after failover -------------------------------------------------------------------

#[tokio::test]
async fn a_lost_registration_is_resolved_by_irn() {
    // IRP-1 registers the invoice but its answer never arrives; IRP-2 then says 2150 + DUPIRN.
    let lost = Stub::start(|_| Reply::Hang).await;
    let second = Stub::start(|request| {
        if request.target == "/eicore/v1.03/Invoice" {
            duplicate(&ist_now())
        } else {
            success(&registration())
        }
    })
    .await;
    let client = client(vec![lost.url.clone(), second.url.clone()])
        .with_timeout(Duration::from_millis(300))
        .unwrap();
    client.set_session(Some(session()));
    let envelope = client.generate_resolving_duplicates(INVOICE).await.unwrap();
    assert!(envelope.is_success());
    assert!(envelope.resolved_duplicate);
    assert_eq!(envelope.data, Some(registration()));
    assert_eq!(envelope.base_url, second.url);
    let requests = second.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].target,
        format!("/eicore/v1.03/Invoice/irn/{IRN}")
    );
    // The AckNo starts with 1: the IRN was generated at IRP-1.
    assert_eq!(requests[1].header("irp"), Some("NIC1"));
}

#[tokio::test]
async fn a_plain_generate_reports_the_duplicate() {
    let lost = Stub::start(|_| Reply::Hang).await;
    let second = Stub::start(|_| duplicate(&ist_now())).await;
    let client = client(vec![lost.url.clone(), second.url.clone()])
        .with_timeout(Duration::from_millis(300))
        .unwrap();
    client.set_session(Some(session()));
    let envelope = client.generate(INVOICE).await.unwrap();
    assert_eq!(envelope.error_codes(), ["2150"]);
    assert_eq!(envelope.attempts, 2);
    assert!(!envelope.resolved_duplicate);
}

#[tokio::test]
async fn a_genuine_duplicate_is_not_resolved() {
    // The first portal answered: the document was registered before, by someone.
    let stub = Stub::start(|_| duplicate(&ist_now())).await;
    let client = client(vec![stub.url.clone()]);
    client.set_session(Some(session()));
    let envelope = client.generate_resolving_duplicates(INVOICE).await.unwrap();
    assert_eq!(envelope.error_codes(), ["2150"]);
    assert!(!envelope.resolved_duplicate);
    assert_eq!(stub.requests().len(), 1);

    // After failover, but the existing IRN is days old: also genuine.
    let second = Stub::start(|_| duplicate("2025-01-01 10:00:00")).await;
    let client = self::client(vec![dead_url(), second.url.clone()]);
    client.set_session(Some(session()));
    let envelope = client.generate_resolving_duplicates(INVOICE).await.unwrap();
    assert_eq!(envelope.error_codes(), ["2150"]);
    assert_eq!(envelope.attempts, 2);
    assert!(!envelope.resolved_duplicate);
    assert_eq!(second.requests().len(), 1);
}
