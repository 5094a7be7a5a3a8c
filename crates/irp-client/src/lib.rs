//! A client of the NIC-compatible e-invoice API, written from the spec (`01`, `02`).
//!
//! It authenticates with an AppKey and the portal's RSA auth public key, keeps the session
//! (`AuthToken`, SEK, expiry), encrypts request payloads and decrypts responses, and fails over
//! across the base URLs of the portals (`07` §4.5). The integration tests of the server, and later
//! `irp bulk` and `irp bench`, use it.
//!
//! Every method takes `&self`: one client may be shared (for example in an `Arc`) by concurrent
//! tasks. Answers with `Status` 0 are `Ok` envelopes; `Err` means that no envelope came back
//! (every portal unreachable, a response that is not an envelope, undecryptable `Data`, …).
//!
//! # Failover
//!
//! Requests go to the current base URL. On a connection error, a timeout (default 10 s, for the
//! whole request) or an HTTP 503 (`07` §4.5; except for the heartbeat, whose 503 is its answer),
//! the client moves to the next URL and sends the same request again, with the same token, which
//! every portal accepts (`01` §5). The URL that answered becomes the current one.
//! [`Envelope::base_url`] names it and [`Envelope::attempts`] says how many portals were tried.
//!
//! A retried generate may reach the second portal after the first one registered the invoice
//! but lost the answer; the retry then gets `2150` with `DUPIRN`.
//! [`NicClient::generate_resolving_duplicates`] resolves this case; [`NicClient::generate`] does
//! not.

mod envelope;
pub mod request;

use std::fmt;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use irp_core::protocol::{
    AuthKeyError, AuthPublicKey, CredentialsTooLong, PayloadError, SEK_LEN, encrypt_credentials,
    generate_app_key, unwrap_sek,
};
pub use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

pub use crate::envelope::{Envelope, parse_envelope};
use crate::request::{
    auth_headers, build_url, cancel_json, credentials_json, data_body, encode_segment,
    encrypted_body, merge_headers, paths, standard_headers,
};

/// Default time limit of one request to one portal.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much earlier than the start of a [`NicClient::generate_resolving_duplicates`] call the
/// `DUPIRN` `AckDt` may be and still count as "registered by this call's lost attempt". It
/// absorbs clock differences and `AckDt` truncated to the minute.
pub const DUPLICATE_RESOLUTION_WINDOW: TimeDelta = TimeDelta::minutes(10);

/// The API user's credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub user_name: String,
    pub password: String,
    pub gstin: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("user_name", &self.user_name)
            .field("gstin", &self.gstin)
            .finish_non_exhaustive()
    }
}

/// An authenticated session (`01` §5).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub auth_token: String,
    pub sek: [u8; SEK_LEN],
    /// `yyyy-MM-dd HH:mm:ss` IST, as the portal sent it.
    pub token_expiry: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token_expiry", &self.token_expiry)
            .finish_non_exhaustive()
    }
}

/// Why no envelope could be obtained. Messages never hold the password, secret, token or keys.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no portal answered: {0}")]
    Unreachable(String),
    #[error("the request could not be sent: {0}")]
    Request(String),
    #[error("not authenticated: call authenticate first")]
    NotAuthenticated,
    #[error("no base URL was given")]
    NoBaseUrl,
    #[error("invalid URL {0}")]
    BadUrl(String),
    #[error("the auth public key is unusable: {0}")]
    AuthKey(#[from] AuthKeyError),
    #[error(transparent)]
    CredentialsTooLong(#[from] CredentialsTooLong),
    #[error("HTTP {status} from {url} without an envelope: {body}")]
    NotAnEnvelope {
        status: u16,
        url: String,
        body: String,
    },
    #[error("malformed envelope: {0}")]
    BadEnvelope(String),
    #[error("the response Data does not decrypt under the session key: {0}")]
    Decrypt(#[from] PayloadError),
}

/// What came back from one portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    pub http_status: u16,
    pub body: Vec<u8>,
    /// The base URL that answered.
    pub base_url: String,
    /// How many portals were tried (1 when the first one answered).
    pub attempts: u32,
}

/// Whether an HTTP 503 moves the request to the next portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On503 {
    Failover,
    Answer,
}

/// A client of one or more portals that share a registry.
pub struct NicClient {
    base_urls: Vec<String>,
    credentials: Credentials,
    auth_key: AuthPublicKey,
    http: reqwest::Client,
    timeout: Duration,
    current: AtomicUsize,
    session: RwLock<Option<Session>>,
    sup_gstin: RwLock<Option<String>>,
}

impl fmt::Debug for NicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NicClient")
            .field("base_urls", &self.base_urls)
            .field("current", &self.current_base_url())
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl NicClient {
    /// A client for the portals at `base_urls` (tried in this order), the given credentials, and
    /// the portals' auth public key (SPKI PEM, or its bare base64).
    pub fn new(
        base_urls: Vec<String>,
        credentials: Credentials,
        auth_public_key_pem: &str,
    ) -> Result<NicClient, ClientError> {
        if base_urls.is_empty() {
            return Err(ClientError::NoBaseUrl);
        }
        for base in &base_urls {
            build_url(base, "/", &[])?;
        }
        let auth_key = AuthPublicKey::from_pem(auth_public_key_pem)?;
        Ok(NicClient {
            base_urls,
            credentials,
            auth_key,
            http: http_client(DEFAULT_TIMEOUT)?,
            timeout: DEFAULT_TIMEOUT,
            current: AtomicUsize::new(0),
            session: RwLock::new(None),
            sup_gstin: RwLock::new(None),
        })
    }

    /// The same client with another time limit per request and portal.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<NicClient, ClientError> {
        self.http = http_client(timeout)?;
        self.timeout = timeout;
        Ok(self)
    }

    /// The base URLs in failover order.
    pub fn base_urls(&self) -> &[String] {
        &self.base_urls
    }

    /// The base URL that the next request goes to first: the last one that answered.
    pub fn current_base_url(&self) -> &str {
        &self.base_urls[self.current.load(Ordering::Relaxed) % self.base_urls.len()]
    }

    /// Makes the URL at `index` (in [`NicClient::base_urls`]) the current one.
    pub fn set_current_base_url(&self, index: usize) {
        self.current
            .store(index % self.base_urls.len(), Ordering::Relaxed);
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The current session, if authenticated.
    pub fn session(&self) -> Option<Session> {
        self.session
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Uses a session obtained elsewhere (another client of the same user), or forgets it.
    pub fn set_session(&self, session: Option<Session>) {
        *self
            .session
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = session;
    }

    /// Sends `sup_gstin` with every call after auth (an e-commerce operator acting for a
    /// supplier, `02` §4), or stops sending it.
    pub fn set_sup_gstin(&self, sup_gstin: Option<String>) {
        *self
            .sup_gstin
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = sup_gstin;
    }

    fn sup_gstin(&self) -> Option<String> {
        self.sup_gstin
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Authenticates (`01` §4.1): a fresh AppKey, the credentials JSON encrypted with the auth
    /// public key, `POST /eivital/v1.04/auth` with `client_id`, `client_secret` and `Gstin`. On
    /// `Status` 1 the session (token, SEK unwrapped with the AppKey, expiry) is stored; on
    /// `Status` 0 the envelope is returned and the session is left as it was.
    pub async fn authenticate(&self, force_refresh: bool) -> Result<Envelope, ClientError> {
        let app_key = zeroize::Zeroizing::new(generate_app_key());
        let json = credentials_json(
            &self.credentials.user_name,
            &self.credentials.password,
            &app_key,
            force_refresh,
        );
        let data = encrypt_credentials(&self.auth_key, &json)?;
        let body = data_body(&data);
        let headers = auth_headers(&self.credentials);
        let response = self
            .send(
                Method::POST,
                paths::AUTH,
                &[],
                &headers,
                Some(body),
                On503::Failover,
            )
            .await?;
        let envelope = envelope_of(&response, None)?;
        if envelope.is_success() {
            let text = |name: &str| {
                envelope
                    .data_field(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| ClientError::BadEnvelope(format!("auth Data without {name}")))
            };
            let wrapped = text("Sek")?;
            let session = Session {
                auth_token: text("AuthToken")?,
                sek: unwrap_sek(&app_key, &wrapped)?,
                token_expiry: text("TokenExpiry")?,
            };
            self.set_session(Some(session));
        }
        Ok(envelope)
    }

    /// One authenticated call: the standard headers (`client_id`, `client_secret`, `Gstin`,
    /// `user_name`, `AuthToken`, and `sup_gstin` if set), then `extra_headers`, which replace
    /// standard headers of the same normalised name (`01` §2.1). A body is encrypted with the
    /// SEK and sent as `{"Data": …}`. `path` is used as given (encode path segments with
    /// [`request::encode_segment`]); `query` is form-urlencoded.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        plaintext_json_body: Option<&[u8]>,
        extra_headers: &[(&str, &str)],
    ) -> Result<Envelope, ClientError> {
        let session = self.session().ok_or(ClientError::NotAuthenticated)?;
        let headers = merge_headers(
            standard_headers(
                &self.credentials,
                &session.auth_token,
                self.sup_gstin().as_deref(),
            ),
            extra_headers,
        );
        let body = plaintext_json_body.map(|json| encrypted_body(&session.sek, json));
        let response = self
            .send(method, path, query, &headers, body, On503::Failover)
            .await?;
        envelope_of(&response, Some(&session.sek))
    }

    /// A request exactly as given (no standard headers, no encryption), with failover; for tests
    /// of malformed requests. Decode the answer with [`parse_envelope`] if it is one.
    pub async fn raw_request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, ClientError> {
        let headers = merge_headers(Vec::new(), headers);
        self.send(method, path, query, &headers, body, On503::Answer)
            .await
    }

    /// Generate IRN (`02` #2): `POST /eicore/v1.03/Invoice` with the invoice JSON.
    pub async fn generate(&self, invoice_json: &[u8]) -> Result<Envelope, ClientError> {
        self.call(Method::POST, paths::GENERATE, &[], Some(invoice_json), &[])
            .await
    }

    /// [`NicClient::generate`], resolving the duplicate that its own failover can cause.
    ///
    /// When the request had to be sent to more than one portal (a connection error, timeout or
    /// 503 on the first), an earlier attempt may have registered the invoice without its answer
    /// arriving. If the answer is then `2150` with `DUPIRN`, and the `DUPIRN` `AckDt` is not
    /// older than the start of this call minus [`DUPLICATE_RESOLUTION_WINDOW`], the original is
    /// fetched by IRN (`02` #4, with the `irp` header naming the portal from the AckNo's first
    /// digit, so that it also works in `compat = nic`) and that answer is returned as the
    /// success, with [`Envelope::resolved_duplicate`] set. Its `Data` has the shape of a
    /// generate answer (`02` §2.4).
    ///
    /// Every other answer is returned unchanged, in particular a `2150` when the first portal
    /// answered (a genuine duplicate) or when the existing IRN is older (registered before this
    /// call). A retry made by the caller after this call returned an error is not covered: the
    /// caller sees that `2150` and decides.
    pub async fn generate_resolving_duplicates(
        &self,
        invoice_json: &[u8],
    ) -> Result<Envelope, ClientError> {
        let started = ist_now();
        let answer = self.generate(invoice_json).await?;
        let Some((irn, portal)) = lost_registration(&answer, started) else {
            return Ok(answer);
        };
        let fetched = self.get_by_irn(&irn, portal.as_deref()).await?;
        if !fetched.is_success() {
            return Ok(answer);
        }
        Ok(Envelope {
            resolved_duplicate: true,
            attempts: answer.attempts + fetched.attempts,
            ..fetched
        })
    }

    /// Get e-invoice by IRN (`02` #4), with the optional `irp` header (`NIC1`/`NIC2`, `02` §3).
    pub async fn get_by_irn(
        &self,
        irn: &str,
        irp_header: Option<&str>,
    ) -> Result<Envelope, ClientError> {
        let path = format!("{}{}", paths::GET_BY_IRN, encode_segment(irn));
        let headers: Vec<(&str, &str)> = irp_header.map(|irp| ("irp", irp)).into_iter().collect();
        self.call(Method::GET, &path, &[], None, &headers).await
    }

    /// Get IRN by document details (`02` #5); the parameters go in the query string.
    pub async fn get_by_doc(
        &self,
        doctype: &str,
        docnum: &str,
        docdate: &str,
    ) -> Result<Envelope, ClientError> {
        let query = [
            ("doctype", doctype),
            ("docnum", docnum),
            ("docdate", docdate),
        ];
        self.call(Method::GET, paths::GET_BY_DOC, &query, None, &[])
            .await
    }

    /// Cancel IRN (`02` #3): `{"Irn","CnlRsn","CnlRem"}`, `CnlRem` left out when `None`.
    pub async fn cancel(
        &self,
        irn: &str,
        reason: &str,
        remark: Option<&str>,
    ) -> Result<Envelope, ClientError> {
        let body = cancel_json(irn, reason, remark);
        self.call(Method::POST, paths::CANCEL, &[], Some(&body), &[])
            .await
    }

    /// Get GSTIN details (`02` #6).
    pub async fn gstin_details(&self, gstin: &str) -> Result<Envelope, ClientError> {
        let path = format!("{}{}", paths::GSTIN, encode_segment(gstin));
        self.call(Method::GET, &path, &[], None, &[]).await
    }

    /// Sync GSTIN details (`02` #7).
    pub async fn sync_gstin(&self, gstin: &str) -> Result<Envelope, ClientError> {
        let path = format!("{}{}", paths::SYNC_GSTIN, encode_segment(gstin));
        self.call(Method::GET, &path, &[], None, &[]).await
    }

    /// Get rejected IRNs of a day (`02` #11), `date` as `dd/mm/yyyy`.
    pub async fn rejected_irns(&self, date: &str) -> Result<Envelope, ClientError> {
        self.call(
            Method::GET,
            paths::REJECTED_IRNS,
            &[("date", date)],
            None,
            &[],
        )
        .await
    }

    /// Submit a bulk generate task (E5, `09` §2): `invoices_json` is a JSON array of INV-01
    /// invoices (or `{"Invoices":[…]}`).
    pub async fn bulk_generate(&self, invoices_json: &[u8]) -> Result<Envelope, ClientError> {
        self.call(
            Method::POST,
            paths::BULK_GENERATE,
            &[],
            Some(invoices_json),
            &[],
        )
        .await
    }

    /// Submit a bulk cancel task (E6): a JSON array of `{"Irn","CnlRsn","CnlRem"}`.
    pub async fn bulk_cancel(&self, cancels_json: &[u8]) -> Result<Envelope, ClientError> {
        self.call(
            Method::POST,
            paths::BULK_CANCEL,
            &[],
            Some(cancels_json),
            &[],
        )
        .await
    }

    /// A bulk task's status (E7).
    pub async fn bulk_status(&self, task_id: &str) -> Result<Envelope, ClientError> {
        let path = format!("{}{}", paths::BULK_TASK, encode_segment(task_id));
        self.call(Method::GET, &path, &[], None, &[]).await
    }

    /// A bulk task's results so far (E8), `format` `json` or `csv`.
    pub async fn bulk_results(&self, task_id: &str, format: &str) -> Result<Envelope, ClientError> {
        let path = format!("{}{}/results", paths::BULK_TASK, encode_segment(task_id));
        self.call(Method::GET, &path, &[("format", format)], None, &[])
            .await
    }

    /// Heartbeat (`02` #12) of the current portal: no authentication. An HTTP 503 (registry down)
    /// is returned as the envelope it carries, not failed over; connection errors and timeouts
    /// are.
    pub async fn heartbeat(&self) -> Result<Envelope, ClientError> {
        let response = self
            .send(Method::GET, paths::HEARTBEAT, &[], &[], None, On503::Answer)
            .await?;
        envelope_of(&response, None)
    }

    /// Sends one request, starting at the current URL and moving on after transport failures.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
        on_503: On503,
    ) -> Result<RawResponse, ClientError> {
        let count = self.base_urls.len();
        let start = self.current.load(Ordering::Relaxed) % count;
        let mut failures = Vec::new();
        for step in 0..count {
            let index = (start + step) % count;
            let base = &self.base_urls[index];
            let url = build_url(base, path, query)?;
            let mut request = self.http.request(method.clone(), url);
            for (name, value) in headers {
                request = request.header(name.as_str(), value.as_str());
            }
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    response.bytes().await.map(|bytes| (status, bytes.to_vec()))
                }
                Err(error) => Err(error),
            };
            let attempts = u32::try_from(step + 1).unwrap_or(u32::MAX);
            match outcome {
                Ok((503, _)) if on_503 == On503::Failover && step + 1 < count => {
                    failures.push(format!("{base}: HTTP 503"));
                }
                Ok((http_status, body)) => {
                    self.current.store(index, Ordering::Relaxed);
                    return Ok(RawResponse {
                        http_status,
                        body,
                        base_url: base.clone(),
                        attempts,
                    });
                }
                Err(error) if is_transport_failure(&error) => {
                    failures.push(format!("{base}: {}", describe(error)));
                }
                Err(error) => return Err(ClientError::Request(describe(error))),
            }
        }
        Err(ClientError::Unreachable(failures.join("; ")))
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|error| ClientError::Request(describe(error)))
}

/// Failures after which the same request may go to another portal.
fn is_transport_failure(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request() || error.is_body()
}

/// A reqwest error with its causes, without the URL (which the caller adds).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn envelope_of(
    response: &RawResponse,
    sek: Option<&[u8; SEK_LEN]>,
) -> Result<Envelope, ClientError> {
    let mut envelope = parse_envelope(
        response.http_status,
        &response.body,
        sek,
        &response.base_url,
    )?;
    envelope.attempts = response.attempts;
    Ok(envelope)
}

/// Now in IST, as the portal writes its timestamps.
fn ist_now() -> NaiveDateTime {
    Utc::now().naive_utc() + TimeDelta::minutes(330)
}

/// For a generate answer: the IRN and origin portal (`NIC1`/`NIC2`) of a registration that this
/// call's own lost attempt probably made (see [`NicClient::generate_resolving_duplicates`]).
fn lost_registration(
    answer: &Envelope,
    started: NaiveDateTime,
) -> Option<(String, Option<String>)> {
    if answer.attempts <= 1 || answer.is_success() || !answer.has_error("2150") {
        return None;
    }
    let duplicate = answer.info("DUPIRN")?;
    let irn = duplicate.get("Irn")?.as_str()?;
    let ack_dt = duplicate.get("AckDt")?.as_str()?;
    let ack_dt = NaiveDateTime::parse_from_str(ack_dt, "%Y-%m-%d %H:%M:%S").ok()?;
    if ack_dt < started - DUPLICATE_RESOLUTION_WINDOW {
        return None;
    }
    let portal = match duplicate.get("AckNo").map(Value::to_string) {
        Some(ack_no) if ack_no.starts_with('1') => Some("NIC1".to_owned()),
        Some(ack_no) if ack_no.starts_with('2') => Some("NIC2".to_owned()),
        _ => None,
    };
    Some((irn.to_owned(), portal))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn duplicate(attempts: u32, ack_dt: &str, ack_no: Value) -> Envelope {
        let raw = json!({"Status":0,"ErrorDetails":[{"ErrorCode":"2150","ErrorMessage":"Duplicate IRN"}],"Data":null,
            "InfoDtls":[{"InfCd":"DUPIRN","Desc":{"AckNo":ack_no,"AckDt":ack_dt,"Irn":"ab"}}]});
        let mut envelope =
            parse_envelope(200, raw.to_string().as_bytes(), None, "http://b").unwrap();
        envelope.attempts = attempts;
        envelope
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn lost_registrations_are_recognised() {
        let started = at("2025-07-01 12:30:00");
        assert_eq!(
            lost_registration(
                &duplicate(2, "2025-07-01 12:30:05", json!(112510000000042_u64)),
                started
            ),
            Some(("ab".to_owned(), Some("NIC1".to_owned())))
        );
        assert_eq!(
            lost_registration(
                &duplicate(2, "2025-07-01 12:21:00", json!(212510000000042_u64)),
                started
            ),
            Some(("ab".to_owned(), Some("NIC2".to_owned())))
        );
    }

    #[test]
    fn genuine_duplicates_are_not_resolved() {
        let started = at("2025-07-01 12:30:00");
        // The first portal answered: the caller sent a document that was registered before.
        assert_eq!(
            lost_registration(&duplicate(1, "2025-07-01 12:30:05", json!(1)), started),
            None
        );
        // Registered long before this call.
        assert_eq!(
            lost_registration(&duplicate(2, "2025-06-30 09:00:00", json!(1)), started),
            None
        );
        // Unreadable AckDt.
        assert_eq!(
            lost_registration(&duplicate(2, "01/07/2025", json!(1)), started),
            None
        );
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let credentials = Credentials {
            client_id: "CID".into(),
            client_secret: "very-secret".into(),
            user_name: "user".into(),
            password: "hunter2".into(),
            gstin: "29AWGPV7107B1Z1".into(),
        };
        let debug = format!("{credentials:?}");
        assert!(
            !debug.contains("very-secret") && !debug.contains("hunter2"),
            "{debug}"
        );
        let session = Session {
            auth_token: "TOKENTOKENTOKENTOKENTOKEN".into(),
            sek: [0xAB; 32],
            token_expiry: "2025-07-01 18:42:00".into(),
        };
        let debug = format!("{session:?}");
        assert!(
            !debug.contains("TOKEN") && !debug.contains("171"),
            "{debug}"
        );
    }
}
