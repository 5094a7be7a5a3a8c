//! The request pipeline of the NIC API convention (`01` §2, §6): read the body within its
//! limit, check the headers and the session in NIC's order, and decrypt `Data` with the
//! session's SEK. Handlers take a [`NicCall`] (no body) or a [`NicBody`] and start from what
//! is specific to them; what they do for a taxpayer takes the [`Caller`] alone, so another
//! convention (the E-Way Bill API's, a web session) can do the same for it.

use std::marker::PhantomData;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use irp_core::codes::Code;
use irp_core::json::{self, Value};
use irp_core::protocol;
use irp_store::SessionKey;

use crate::api::OrCode as _;
use crate::envelope::{ApiError, Data, Envelope};
use crate::headers::Headers;
use crate::settings::Settings;
use crate::state::AppState;

/// Who is calling, once authenticated: what the operations need to know of a request's
/// sender, whichever convention it came in by.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client_id: String,
    pub user_name: String,
    /// Header `Gstin`, upper-cased: the taxpayer the session belongs to.
    pub gstin: String,
    /// Header `sup_gstin`, upper-cased: the supplier an e-commerce operator acts for.
    pub sup_gstin: Option<String>,
    /// The hash of the session's token, the form the registry keys sessions by.
    pub token_hash: String,
    /// Whether the session came from the node's cache rather than the registry.
    pub session_cached: bool,
    /// Work done for an element of a bulk task: authorised by the task, which the session that
    /// submitted it need not outlive, and marked on the element when it registers (`crate::bulk`).
    pub bulk_element: Option<irp_store::BulkElementRef>,
}

impl Caller {
    /// The supplier this call acts for: `sup_gstin` when given, else the caller's own GSTIN.
    pub fn supplier(&self) -> &str {
        self.sup_gstin.as_deref().unwrap_or(&self.gstin)
    }
}

/// Where the pipeline reads a call's session from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SessionSource {
    /// The registry, on every call: ending a session takes effect at once (`07` §4.1).
    Registry,
    /// The node's cache when it holds the token, else the registry. Only for a call whose one
    /// effect is a registration guarded by the session in its own transaction (generate), and
    /// which re-reads the registry before answering an error, so an ended session still gets
    /// `1005` and never an IRN.
    Cache,
}

/// An authenticated call without a body (the GET endpoints).
pub struct NicCall {
    pub caller: Caller,
    pub headers: Headers,
    sek: [u8; 32],
}

impl NicCall {
    /// A success envelope whose `Data` is `json` encrypted under the session's SEK.
    pub fn encrypted(&self, json: &str) -> Envelope {
        Envelope::success(Data::Encrypted(protocol::encrypt_payload(
            &self.sek,
            json.as_bytes(),
        )))
    }

    /// The `irp` header (`02` §3): `None` when absent, the origin portal it names, or `3098`.
    pub fn irp(&self) -> Result<Option<u8>, ApiError> {
        match self.headers.get("irp") {
            None => Ok(None),
            Some(value) if value.eq_ignore_ascii_case("NIC1") => Ok(Some(1)),
            Some(value) if value.eq_ignore_ascii_case("NIC2") => Ok(Some(2)),
            Some(_) => Err(ApiError::code(Code::E3098)),
        }
    }
}

impl FromRequestParts<AppState> for NicCall {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let headers = Headers::from_map(&parts.headers);
        authenticate(state, headers, SessionSource::Registry).await
    }
}

/// What differs between the POST endpoints' pipelines: the body limit and where the session
/// is read from.
pub trait BodyRules: Send + Sync + 'static {
    /// The most bytes read; a larger body is `5002` (D-33).
    fn limit(settings: &Settings) -> usize;
    const SESSION: SessionSource = SessionSource::Registry;
}

/// The POST endpoints other than generate.
pub struct Standard;

impl BodyRules for Standard {
    fn limit(settings: &Settings) -> usize {
        settings.limits.max_body_bytes
    }
}

/// Generate: bodies up to the large limit, checked against the taxpayer's own limit once the
/// caller is known; the session may come from the node's cache.
pub struct Generate;

impl BodyRules for Generate {
    fn limit(settings: &Settings) -> usize {
        settings.limits.max_body_bytes_large
    }
    const SESSION: SessionSource = SessionSource::Cache;
}

/// An authenticated call with its body. The credentials are checked before the body is read, so
/// that a caller without them costs no memory (issue #15); a body whose `Content-Length` is over
/// the limit is still `5002` whatever the headers say, as NIC answers, and is never read.
pub struct NicBody<R: BodyRules = Standard> {
    pub call: NicCall,
    body: Bytes,
    rules: PhantomData<R>,
}

impl<R: BodyRules> NicBody<R> {
    pub fn caller(&self) -> &Caller {
        &self.call.caller
    }

    pub fn body_len(&self) -> usize {
        self.body.len()
    }

    /// The decrypted request (`01` §6): `5003` when the envelope has no `Data`, `5002` when
    /// it cannot be decrypted.
    pub fn plaintext(&self) -> Result<Vec<u8>, ApiError> {
        decrypt_body(&self.body, &self.call.sek)
    }

    /// [`NicBody::plaintext`] on a blocking thread: for bodies large enough (a bulk task's
    /// megabytes) that decrypting them would hold up the runtime's other requests.
    pub async fn plaintext_off_runtime(&self) -> Result<Vec<u8>, ApiError> {
        let (body, sek) = (self.body.clone(), self.call.sek);
        tokio::task::spawn_blocking(move || decrypt_body(&body, &sek))
            .await
            .or_code(Code::E5001)?
    }
}

fn decrypt_body(body: &[u8], sek: &[u8; 32]) -> Result<Vec<u8>, ApiError> {
    let data = envelope_data(body)?;
    protocol::decrypt_payload(sek, &data)
        .map(strip_bom)
        .ok()
        .or_code(Code::E5002)
}

impl<R: BodyRules> FromRequest<AppState> for NicBody<R> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let limit = R::limit(&state.settings);
        if declared_length(&parts.headers).is_some_and(|length| length > limit) {
            return Err(ApiError::code(Code::E5002));
        }
        let headers = Headers::from_map(&parts.headers);
        let call = authenticate(state, headers, R::SESSION).await?;
        let body = read_body(state, body, limit).await?;
        Ok(NicBody {
            call,
            body,
            rules: PhantomData,
        })
    }
}

/// Checks the headers of every non-auth call and the session, in the order of `01` §2.2.
async fn authenticate(
    state: &AppState,
    headers: Headers,
    source: SessionSource,
) -> Result<NicCall, ApiError> {
    check_client(state, &headers).await?;
    let client_id = headers.get("client_id").unwrap_or_default();
    let gstin = headers
        .get("gstin")
        .or_code(Code::E1004)?
        .to_ascii_uppercase();
    let user_name = headers.get("user_name").or_code(Code::E1006)?;
    let token = headers.get("authtoken").or_code(Code::E1005)?;
    let token_hash = crate::secrets::token_hash(token);
    let cached = match source {
        SessionSource::Cache => state.sessions.get(&token_hash),
        SessionSource::Registry => None,
    };
    let session_cached = cached.is_some();
    let session = match cached {
        Some(session) => session,
        None => {
            let session = registry_session(state, &token_hash)
                .await?
                .or_code(Code::E1005)?;
            state.sessions.put(token_hash.clone(), session.clone());
            session
        }
    };
    let expected = SessionKey::new(client_id, user_name, &gstin);
    if session.key != expected || session.expires_at <= state.clock.now() {
        return Err(ApiError::code(Code::E1005));
    }
    let sek: [u8; 32] = state
        .sealer
        .unseal(&session.sek_sealed)
        .and_then(|bytes| bytes.try_into().ok())
        .or_code(Code::E1005)?;
    let caller = Caller {
        client_id: client_id.to_owned(),
        user_name: user_name.to_owned(),
        gstin,
        sup_gstin: headers.get("sup_gstin").map(str::to_ascii_uppercase),
        token_hash,
        bulk_element: None,
        session_cached,
    };
    Ok(NicCall {
        caller,
        headers,
        sek,
    })
}

/// The session a token hash names, read from the registry.
async fn registry_session(
    state: &AppState,
    token_hash: &str,
) -> Result<Option<irp_store::Session>, ApiError> {
    state
        .store
        .session_by_token(token_hash)
        .await
        .or_code(Code::E5001)
}

/// `error`, unless the caller's cached session has ended in the meantime: then `1005`, as an
/// uncached call would have answered, and the cache forgets the token.
pub async fn unless_session_ended(state: &AppState, caller: &Caller, error: ApiError) -> ApiError {
    if !caller.session_cached {
        return error;
    }
    match registry_session(state, &caller.token_hash).await {
        // A token names one session for its whole life: if the row is there, it is the same.
        Ok(Some(_)) => error,
        Ok(None) => session_ended(state, caller),
        // The registry is down: the error already says what the caller can do (`2146`).
        Err(_) => error,
    }
}

/// `1005` for a caller whose session has ended; the cache forgets it.
pub fn session_ended(state: &AppState, caller: &Caller) -> ApiError {
    state.sessions.remove(&caller.token_hash);
    ApiError::code(Code::E1005)
}

/// `client_id` (1011), `client_secret` (1012), and that they match (1010).
pub async fn check_client(state: &AppState, headers: &Headers) -> Result<(), ApiError> {
    let client_id = headers.get("client_id").or_code(Code::E1011)?;
    let secret = headers.get("client_secret").or_code(Code::E1012)?;
    let client = state.client(client_id).await.or_code(Code::E5001)?;
    match client {
        Some(client)
            if client.active
                && crate::secrets::verify_client_secret(secret, &client.secret_hash) =>
        {
            Ok(())
        }
        _ => Err(ApiError::code(Code::E1010)),
    }
}

/// Reads a raw body up to `limit` bytes within `server.body_timeout_seconds`; a larger body
/// (D-33) or one that does not arrive in time is `5002`. Reading stops at the limit.
pub async fn read_body(state: &AppState, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let timeout = std::time::Duration::from_secs(state.settings.server.body_timeout_seconds);
    tokio::time::timeout(timeout, axum::body::to_bytes(body, limit))
        .await
        .ok()
        .and_then(Result::ok)
        .or_code(Code::E5002)
}

/// The body length a request declares in `Content-Length`, when it declares one.
fn declared_length(headers: &axum::http::HeaderMap) -> Option<usize> {
    headers
        .get(axum::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The `Data` member of a request envelope (matched case-insensitively); `5003` when missing,
/// null or empty.
pub fn envelope_data(body: &[u8]) -> Result<String, ApiError> {
    let body = body.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(body);
    let Ok(document) = json::parse(body) else {
        return Err(ApiError::code(Code::E5003));
    };
    match document.get_ignore_case("data") {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.to_string()),
        _ => Err(ApiError::code(Code::E5003)),
    }
}

fn strip_bom(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    bytes
}
