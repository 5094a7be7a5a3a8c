//! Web sessions: a cookie naming a session in the registry, so any node of either portal
//! accepts it (no sticky sessions); an idle timeout that slides as pages are asked for; a token
//! per session that every state-changing form must carry (cross-site request forgery), and a
//! refusal of any form posted from another origin.

use aws_lc_rs::digest::{SHA256, digest};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use chrono::{Duration, NaiveDateTime};
use irp_core::protocol;
use irp_store::{Session, SessionKey};

use crate::api::Caller;
use crate::secrets;
use crate::state::AppState;
use crate::web::{Chrome, OrPage as _, SignedIn, WebError, portal_name};

/// The reserved API client web sessions are keyed by (migration `0005_web_mode`): inactive, so
/// no API login goes through it.
pub const WEB_CLIENT: &str = "@web";
/// The session cookie.
const COOKIE: &str = "irp_session";
/// A session's expiry is written back at most once a minute of activity.
const EXTEND_STEP_MINUTES: i64 = 1;

/// A logged-in web user, from the session cookie: what the operations need ([`Caller`]) and the
/// form token.
pub struct WebUser {
    pub caller: Caller,
    csrf: String,
}

impl WebUser {
    /// The chrome of a page this user sees.
    pub fn chrome(&self, state: &AppState) -> Chrome {
        Chrome {
            portal: portal_name(state.settings.portal.id),
            user: Some(SignedIn {
                user_name: self.caller.user_name.clone(),
                gstin: self.caller.gstin.clone(),
                csrf: self.csrf.clone(),
            }),
        }
    }

    /// Refuses a form that does not carry this session's token.
    pub fn check_form(&self, token: Option<&str>) -> Result<(), WebError> {
        let sent = token.unwrap_or_default().as_bytes();
        if aws_lc_rs::constant_time::verify_slices_are_equal(sent, self.csrf.as_bytes()).is_ok() {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let token = cookie(&parts.headers, COOKIE).ok_or(WebError::LoggedOut)?;
        if parts.method != axum::http::Method::GET && !same_origin(&parts.headers) {
            return Err(WebError::Forbidden);
        }
        let token_hash = secrets::token_hash(token);
        let session = state
            .store
            .session_by_token(&token_hash)
            .await
            .or_page()?
            .filter(|s| s.key.client_id == WEB_CLIENT)
            .ok_or(WebError::Expired)?;
        let now = state.clock.now();
        if session.expires_at <= now {
            return Err(WebError::Expired);
        }
        let idle = idle(state);
        if session.expires_at - now < idle - Duration::minutes(EXTEND_STEP_MINUTES)
            && !state
                .store
                .extend_session(&token_hash, now, now + idle)
                .await
                .or_page()?
        {
            return Err(WebError::Expired);
        }
        let sek = state
            .sealer
            .unseal(&session.sek_sealed)
            .ok_or(WebError::Expired)?;
        Ok(WebUser {
            caller: Caller {
                client_id: WEB_CLIENT.to_owned(),
                user_name: session.key.user_name,
                gstin: session.key.gstin,
                sup_gstin: None,
                token_hash,
                session_cached: false,
                bulk_element: None,
            },
            csrf: form_token(&sek),
        })
    }
}

fn idle(state: &AppState) -> Duration {
    Duration::minutes(state.settings.web.idle_minutes.max(1))
}

/// The form token of a session: a digest of its sealed-away random key, so it is never stored
/// and cannot be guessed from the cookie.
fn form_token(key: &[u8]) -> String {
    let mut input = b"irp web form token\0".to_vec();
    input.extend_from_slice(key);
    secrets::hex(digest(&SHA256, &input).as_ref())
}

/// Starts a web session for `user_name` of `gstin` at `now` and returns its cookie token. A user
/// has one web session per GSTIN: logging in again ends the earlier one, on every node.
pub async fn start(
    state: &AppState,
    user_name: &str,
    gstin: &str,
    now: NaiveDateTime,
) -> Result<String, WebError> {
    let token = protocol::generate_auth_token();
    let key = protocol::generate_sek();
    let session = Session {
        key: SessionKey::new(WEB_CLIENT, user_name, gstin),
        token_hash: secrets::token_hash(&token),
        token_sealed: state.sealer.seal(token.as_bytes()),
        sek_sealed: state.sealer.seal(&key),
        created_at: now,
        expires_at: now + idle(state),
    };
    state.store.start_session(&session).await.or_page()?;
    Ok(token)
}

/// Ends the session the request's cookie names, if any.
pub async fn end(state: &AppState, headers: &HeaderMap) -> Result<(), WebError> {
    if let Some(token) = cookie(headers, COOKIE) {
        state
            .store
            .end_session(&secrets::token_hash(token))
            .await
            .or_page()?;
    }
    Ok(())
}

/// `Set-Cookie` for `token`, or one that clears the cookie. `Secure` when the settings say the
/// node is reached over TLS only, or the request came through a TLS proxy.
pub fn set_cookie(state: &AppState, headers: &HeaderMap, token: Option<&str>) -> HeaderValue {
    let tls = state.settings.web.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let secure = if tls { "; Secure" } else { "" };
    let value = match token {
        Some(token) => format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of cookie `name`.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// Whether a form was posted from this portal's own pages: `Origin` (or, without it, `Referer`)
/// names the host the request was sent to. A browser sends one of them with every form post; a
/// request with neither is not from a browser page and carries no ambient cookie risk.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    match origin {
        None => true,
        Some(origin) => {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .unwrap_or("");
            let origin_host = rest.split('/').next().unwrap_or("");
            origin_host.eq_ignore_ascii_case(host)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn cookies_are_found_among_others() {
        let map = headers(&[("cookie", "a=1; irp_session=tok; b=2")]);
        assert_eq!(cookie(&map, COOKIE), Some("tok"));
        let map = headers(&[("cookie", "a=1"), ("cookie", "irp_session=x")]);
        assert_eq!(cookie(&map, COOKIE), Some("x"));
        assert_eq!(
            cookie(&headers(&[("cookie", "irp_session=")]), COOKIE),
            None
        );
        assert_eq!(cookie(&headers(&[]), COOKIE), None);
    }

    #[test]
    fn forms_from_other_origins_are_refused() {
        let host = ("host", "portal.example:8080");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://portal.example:8080")
        ])));
        assert!(same_origin(&headers(&[
            host,
            ("referer", "https://portal.example:8080/invoices/new")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!same_origin(&headers(&[
            host,
            ("referer", "https://portal.example:8080.evil.example/")
        ])));
        assert!(!same_origin(&headers(&[(
            "origin",
            "http://portal.example:8080"
        )])));
    }

    #[test]
    fn form_tokens_differ_per_session_key() {
        assert_eq!(form_token(b"k1"), form_token(b"k1"));
        assert_ne!(form_token(b"k1"), form_token(b"k2"));
        assert_eq!(form_token(b"k1").len(), 64);
    }
}
