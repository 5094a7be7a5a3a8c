//! Limits before work (issue #15), over raw TCP: credentials before bodies, the body, head and
//! idle timeouts, the connection cap and the cap on requests in flight. SQLite only: nothing here
//! touches the registry beyond a login.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::*;

/// How long a test waits for an answer the server must give at once. Far below every timeout
/// the tests configure (60 s), so an answer within it cannot have come from a timeout.
const AT_ONCE: Duration = Duration::from_secs(10);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes or `within` passes; the text read, and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into(), true),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into(), false),
        }
    }
}

/// Reads one whole response (head and `Content-Length` body) or what came within `within`.
async fn read_response(stream: &mut TcpStream, within: Duration) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let text = String::from_utf8_lossy(&received).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|length| received.len() >= end + 4 + length) {
                return text;
            }
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => received.extend_from_slice(&buffer[..n]),
            _ => return text,
        }
    }
}

/// The head of a generate request declaring `length` bytes of body, with `headers`.
fn generate_head(length: usize, headers: &[(&str, &str)]) -> String {
    let mut head = format!(
        "POST /eicore/v1.03/Invoice HTTP/1.1\r\nhost: portal\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// The head of a generate request of the seller's live session, declaring `length` bytes.
async fn authenticated_generate_head(app: &TestApp, length: usize) -> String {
    let client = app.logged_in(SELLER).await;
    let credentials = app.credentials(SELLER);
    let token = client.session().unwrap().auth_token;
    let headers = [
        ("client_id", credentials.client_id.as_str()),
        ("client_secret", credentials.client_secret.as_str()),
        ("gstin", SELLER),
        ("user_name", credentials.user_name.as_str()),
        ("authtoken", token.as_str()),
    ];
    generate_head(length, &headers)
}

const SLOW: &str = "server.body_timeout_seconds = 60\nserver.header_read_timeout_seconds = 60";

/// A caller without credentials is answered before its body arrives: a half-sent 8 MiB body
/// costs the portal nothing but the head. A declared length over the limit is `5002` at once,
/// whatever the headers, as NIC answers.
#[tokio::test]
async fn credentials_are_checked_before_the_body_is_read() {
    let app = spawn_app_with(Backend::Sqlite, SLOW).await.unwrap();
    let mut stream = connect(&app).await;
    let head = generate_head(
        8 * 1024 * 1024 - 1,
        &[("client_id", "nobody"), ("client_secret", "x")],
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b'{'; 1024]).await.unwrap();
    let answer = read_response(&mut stream, AT_ONCE).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"ErrorCode\":\"1010\""), "{answer}");

    let mut stream = connect(&app).await;
    let head = generate_head(8 * 1024 * 1024 + 1, &[]);
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_response(&mut stream, AT_ONCE).await;
    assert!(answer.contains("\"ErrorCode\":\"5002\""), "{answer}");
}

/// An authenticated body that stops arriving gets `5002` when the body timeout runs out.
#[tokio::test]
async fn a_body_that_stops_arriving_is_refused_at_the_body_timeout() {
    let app = spawn_app_with(
        Backend::Sqlite,
        "server.body_timeout_seconds = 1\nserver.header_read_timeout_seconds = 60",
    )
    .await
    .unwrap();
    let head = authenticated_generate_head(&app, 1000).await;
    let mut stream = connect(&app).await;
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"Data\":\"").await.unwrap();
    let answer = read_response(&mut stream, AT_ONCE).await;
    assert!(answer.contains("\"ErrorCode\":\"5002\""), "{answer}");
}

/// A head that does not arrive in time, and an idle keep-alive connection, are closed after the
/// head timeout.
#[tokio::test]
async fn slow_heads_and_idle_connections_are_closed() {
    let app = spawn_app_with(Backend::Sqlite, "server.header_read_timeout_seconds = 1")
        .await
        .unwrap();
    let mut slowloris = connect(&app).await;
    slowloris
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: portal\r\nx-slow: ")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut slowloris, AT_ONCE).await;
    assert!(closed, "a half-sent head is cut off");

    let mut idle = connect(&app).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: portal\r\n\r\n")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut idle, AT_ONCE).await;
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"),
        "{answer}"
    );
    assert!(closed, "an idle keep-alive connection is closed");
}

/// Beyond `server.max_connections` a connection gets HTTP 503 at once and is closed; a
/// connection freed lets the next one in.
#[tokio::test]
async fn connections_beyond_the_cap_are_refused_at_once() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &format!("server.max_connections = 3\n{SLOW}"),
    )
    .await
    .unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: portal\r\n\r\n")
            .await
            .unwrap();
        let mut buffer = [0u8; 256];
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
        held.push(stream);
    }
    let mut refused = connect(&app).await;
    let (answer, closed) = read_until_closed(&mut refused, AT_ONCE).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("\"ErrorCode\":\"5002\"") && closed,
        "{answer}"
    );
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut admitted = connect(&app).await;
    admitted
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: portal\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut admitted, AT_ONCE).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Beyond `server.max_requests_in_flight` a request gets HTTP 503 with `5002`; the health and
/// heartbeat endpoints are always answered.
#[tokio::test]
async fn requests_beyond_the_in_flight_cap_are_refused() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &format!("server.max_requests_in_flight = 1\n{SLOW}"),
    )
    .await
    .unwrap();
    let head = authenticated_generate_head(&app, 1000).await;
    // In flight: authenticated, its body still arriving.
    let mut in_flight = connect(&app).await;
    in_flight.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let busy = reqwest::get(format!("{}/eiext/v1.00/certs", app.address))
        .await
        .unwrap();
    assert_eq!(busy.status(), 503);
    assert_eq!(busy.headers()["retry-after"], "1");
    assert!(
        busy.text()
            .await
            .unwrap()
            .contains("\"ErrorCode\":\"5002\"")
    );
    for path in ["/healthz", "/readyz", "/eivital/v1.04/heartbeat/ping"] {
        let answer = reqwest::get(format!("{}{path}", app.address))
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
    drop(in_flight);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answer = reqwest::get(format!("{}/eiext/v1.00/certs", app.address))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

/// What strangers can make the portal read is bounded: a login body over 64 KiB is `5002`, and
/// the public verify endpoint reads eight bodies at once and turns the ninth away with `5002`.
#[tokio::test]
async fn bodies_of_strangers_are_bounded() {
    let app = spawn_app_with(Backend::Sqlite, SLOW).await.unwrap();
    let credentials = app.credentials(SELLER);
    let login = format!(
        "POST /eivital/v1.04/auth HTTP/1.1\r\nhost: portal\r\ncontent-type: application/json\r\n\
         client_id: {}\r\nclient_secret: {}\r\ngstin: {SELLER}\r\ncontent-length: {}\r\n\r\n",
        credentials.client_id,
        credentials.client_secret,
        64 * 1024 + 1
    );
    let mut stream = connect(&app).await;
    stream.write_all(login.as_bytes()).await.unwrap();
    stream.write_all(&vec![b' '; 64 * 1024 + 1]).await.unwrap();
    let answer = read_response(&mut stream, AT_ONCE).await;
    assert!(answer.contains("\"ErrorCode\":\"5002\""), "{answer}");

    let verify = "POST /eiext/v1.00/verify HTTP/1.1\r\nhost: portal\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"Jws\":";
    let mut readers = Vec::new();
    for _ in 0..8 {
        let mut stream = connect(&app).await;
        stream.write_all(verify.as_bytes()).await.unwrap();
        readers.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut ninth = connect(&app).await;
    ninth.write_all(verify.as_bytes()).await.unwrap();
    let answer = read_response(&mut ninth, AT_ONCE).await;
    assert!(answer.contains("\"ErrorCode\":\"5002\""), "{answer}");
    drop(readers);
}
