//! The NIC-compatible endpoints. Handlers are thin: read the request, call the core and the
//! registry, write the envelope.

pub mod auth;
pub mod ewb;
pub mod ewb_cancel;
pub mod invoice;
pub mod master;
pub mod print;
pub mod public;

use axum::body::{Body, Bytes};
use irp_core::json::{self, Value};
use irp_core::protocol;
use irp_store::SessionKey;

use crate::envelope::{ApiError, Data, Envelope};
use crate::headers::Headers;
use crate::state::AppState;

/// An authenticated API call (`01` §2.2).
pub struct Caller {
    pub client_id: String,
    pub user_name: String,
    /// Header `Gstin`, upper-cased.
    pub gstin: String,
    pub sup_gstin: Option<String>,
    /// The hash of the session's token, the form the registry keys sessions by.
    pub token_hash: String,
    /// Whether the session came from the node's cache rather than the registry.
    pub session_cached: bool,
    sek: [u8; 32],
}

impl Caller {
    /// A success envelope whose `Data` is `json` encrypted under the session's SEK.
    pub fn encrypted(&self, json: &str) -> Envelope {
        Envelope::success(Data::Encrypted(protocol::encrypt_payload(
            &self.sek,
            json.as_bytes(),
        )))
    }

    /// Decrypts a request's `Data` (`01` §6): `5002` when it cannot be decrypted.
    pub fn decrypt(&self, data: &str) -> Result<Vec<u8>, ApiError> {
        protocol::decrypt_payload(&self.sek, data)
            .map(strip_bom)
            .map_err(|_| ApiError::code("5002"))
    }
}

fn strip_bom(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    bytes
}

/// Where [`authenticate`] reads the session from.
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

/// Checks the headers of every non-auth call, in the order of `01` §2.2.
pub async fn authenticate(
    state: &AppState,
    headers: &Headers,
    source: SessionSource,
) -> Result<Caller, ApiError> {
    check_client(state, headers).await?;
    let client_id = headers.get("client_id").unwrap_or_default();
    let gstin = headers
        .get("gstin")
        .ok_or_else(|| ApiError::code("1004"))?
        .to_ascii_uppercase();
    let user_name = headers
        .get("user_name")
        .ok_or_else(|| ApiError::code("1006"))?;
    let token = headers
        .get("authtoken")
        .ok_or_else(|| ApiError::code("1005"))?;
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
                .ok_or_else(|| ApiError::code("1005"))?;
            state.sessions.put(token_hash.clone(), session.clone());
            session
        }
    };
    let expected = SessionKey::new(client_id, user_name, &gstin);
    if session.key != expected || session.expires_at <= state.clock.now() {
        return Err(ApiError::code("1005"));
    }
    let sek: [u8; 32] = state
        .sealer
        .unseal(&session.sek_sealed)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| ApiError::code("1005"))?;
    Ok(Caller {
        client_id: client_id.to_owned(),
        user_name: user_name.to_owned(),
        gstin,
        sup_gstin: headers.get("sup_gstin").map(str::to_ascii_uppercase),
        token_hash,
        session_cached,
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
        .map_err(|error| internal("session look-up", &error))
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
    ApiError::code("1005")
}

/// `client_id` (1011), `client_secret` (1012), and that they match (1010).
pub async fn check_client(state: &AppState, headers: &Headers) -> Result<(), ApiError> {
    let client_id = headers
        .get("client_id")
        .ok_or_else(|| ApiError::code("1011"))?;
    let secret = headers
        .get("client_secret")
        .ok_or_else(|| ApiError::code("1012"))?;
    let client = state
        .client(client_id)
        .await
        .map_err(|error| internal("client look-up", &error))?;
    match client {
        Some(client)
            if client.active
                && crate::secrets::verify_client_secret(secret, &client.secret_hash) =>
        {
            Ok(())
        }
        _ => Err(ApiError::code("1010")),
    }
}

/// Reads a raw body up to `limit` bytes; a larger body is `5002` (D-33).
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::code("5002"))
}

/// The `Data` member of a request envelope (matched case-insensitively); `5003` when missing,
/// null or empty.
pub fn envelope_data(body: &[u8]) -> Result<String, ApiError> {
    let body = body.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(body);
    let Ok(document) = json::parse(body) else {
        return Err(ApiError::code("5003"));
    };
    match document.get_ignore_case("data") {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.to_string()),
        _ => Err(ApiError::code("5003")),
    }
}

/// Logs an internal failure once, here at the boundary, and answers `5001`.
pub fn internal(what: &str, error: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(%error, "{what} failed");
    ApiError::code("5001")
}

/// Query parameters with case-insensitive names (D-36) and percent-decoded values.
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(query: &str) -> QueryParams {
        let pairs = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (
                    percent_decode(name).to_ascii_lowercase(),
                    percent_decode(value),
                )
            })
            .collect();
        QueryParams(pairs)
    }

    /// The value of `name`; empty values count as absent.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .rev()
            .find(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.clone())
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 3 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        index += 3;
                    }
                    None => {
                        out.push(b'%');
                        index += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
