//! `POST /eivital/v1.04/auth` (`01` §4–§5).

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::time::Instant;

use chrono::Duration;
use irp_core::ack::format_timestamp;
use irp_core::codes::Code;
use irp_core::error::ErrorDetail;
use irp_core::json::{self, ObjectWriter, Value};
use irp_core::protocol;
use irp_store::{LoginAttempt, Session, SessionKey};

use crate::api::OrCode as _;
use crate::api::pipeline::{check_client, envelope_data, read_body};
use crate::envelope::{ApiError, Data, Envelope};
use crate::headers::Headers;
use crate::login_gate::Refusal;
use crate::secrets;
use crate::state::AppState;

/// Standard base64, padding optional, for the AppKey.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A login body is one RSA block in base64 inside `{"Data": …}`, well under 1 KiB; nothing more
/// is read from a caller who has shown no more than a client secret.
const MAX_LOGIN_BODY_BYTES: usize = 64 * 1024;

/// The credentials inside the RSA-encrypted `Data`.
struct Credentials {
    user_name: String,
    password: String,
    app_key: [u8; 32],
    force_refresh: bool,
}

pub async fn authenticate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Envelope, ApiError> {
    let headers = Headers::from_map(&headers);
    if let Err(error) = check_client(&state, &headers).await {
        let client = headers.get("client_id").unwrap_or_default();
        refused(&state, client, "client").await;
        return Err(error);
    }
    let client_id = headers.get("client_id").unwrap_or_default().to_owned();
    let gstin = headers
        .get("gstin")
        .or_code(Code::E1004)?
        .to_ascii_uppercase();
    // Before the body is read or decrypted: a flood through one client costs little.
    state
        .login_gate
        .admit_client(&client_id, Instant::now())
        .map_err(turned_away)?;
    let limit = state
        .settings
        .limits
        .max_body_bytes
        .min(MAX_LOGIN_BODY_BYTES);
    let body = read_body(&state, body, limit).await?;
    let data = envelope_data(&body)?;
    // D-50: every failure of this step is the same 1013, with no detail. RSA takes a core for a
    // millisecond or two: it runs off the request threads, in one of the login slots, so that a
    // burst of logins cannot hold up the other taxpayers' calls.
    let slot = state.login_gate.slot().await.map_err(turned_away)?;
    let keys = state.clone();
    let plaintext = tokio::task::spawn_blocking(move || {
        protocol::decrypt_credentials(&keys.auth_key, &data).ok()
    })
    .await
    .or_code(Code::E5001)?
    .or_code(Code::E1013)?;
    drop(slot);
    let credentials = parse_credentials(&plaintext)?;
    let user_key = credentials.user_name.to_lowercase();
    state
        .login_gate
        .admit_user(&client_id, &user_key, Instant::now())
        .map_err(turned_away)?;

    let user = check_password(
        &state,
        Some(&client_id),
        &credentials.user_name,
        &credentials.password,
    )
    .await?;
    if !user.gstin.eq_ignore_ascii_case(&gstin) {
        refused(&state, &user.user_name, "gstin").await;
        return Err(ApiError::code(Code::E1015));
    }

    let key = SessionKey::new(&client_id, &user.user_name, &gstin);
    let (token, sek, expires_at) = session_for(&state, &key, credentials.force_refresh).await?;
    let mut out = String::with_capacity(256);
    let mut object = ObjectWriter::open(&mut out);
    object.str("ClientId", &client_id);
    object.str("UserName", &credentials.user_name);
    object.str("AuthToken", &token);
    object.str("Sek", &protocol::wrap_sek(&credentials.app_key, &sek));
    object.str("TokenExpiry", &format_timestamp(expires_at));
    object.close();
    Ok(Envelope::success(Data::Plain(out)))
}

/// The user whose password `credentials` hold, or the login's refusal (D-50 as amended in
/// docs/DECISIONS.md, "Logins"). Every refusal that reaches this point costs one password check,
/// so the time of an answer does not tell an unknown user, a deactivated one or a client it may
/// not use from a wrong password. Only a user who may log in through this client has an attempt
/// counted, reserved before the check, so that parallel guesses count one by one and nobody can
/// lock a user out through a client that user may not use. `client_id` is `None` for the web
/// mode, which any active user may use.
pub(crate) async fn check_password(
    state: &AppState,
    client_id: Option<&str>,
    user_name: &str,
    password: &str,
) -> Result<irp_store::User, ApiError> {
    let turn = state
        .login_gate
        .turn(&user_name.to_lowercase())
        .await
        .map_err(turned_away)?;
    let user = state.store.user(user_name).await.or_code(Code::E5001)?;
    let refusal = match &user {
        None => Some((Code::E1017, "unknown_user")),
        Some(user) if !user.active => Some((Code::E1014, "inactive")),
        Some(user)
            if client_id.is_some_and(|client| !user.client_ids.iter().any(|c| c == client)) =>
        {
            Some((Code::E1018, "client_not_mapped"))
        }
        Some(_) => None,
    };
    let subject = user.as_ref().map_or(user_name, |u| u.user_name.as_str());
    let subject = truncated(subject).to_owned();
    if let Some((code, reason)) = refusal {
        verify(password, secrets::decoy_password_hash().to_owned()).await?;
        drop(turn);
        refused(state, &subject, reason).await;
        return Err(ApiError::code(code));
    }
    let user = user.expect("refused above when absent");
    let now = state.clock.now();
    let lock_until = now + Duration::minutes(state.settings.auth.lockout_minutes);
    let attempt = state
        .store
        .reserve_login_attempt(
            &user.user_name,
            state.settings.auth.max_failed_logins,
            now,
            lock_until,
        )
        .await
        .or_code(Code::E5001)?;
    if attempt == LoginAttempt::Locked {
        drop(turn);
        refused(state, &subject, "locked").await;
        return Err(ApiError::code(Code::E1014));
    }
    if !verify(password, user.password_hash.clone()).await? {
        drop(turn);
        refused(state, &subject, "password").await;
        tracing::warn!(user.name = %user.user_name, "failed login");
        return Err(ApiError::code(Code::E1019));
    }
    state
        .store
        .clear_login_failures(&user.user_name)
        .await
        .or_code(Code::E5001)?;
    Ok(user)
}

/// Checks `password` against `hash` on a blocking thread.
async fn verify(password: &str, hash: String) -> Result<bool, ApiError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .or_code(Code::E5001)
}

/// Records a refused login in the audit trail, up to the node's budget per minute; beyond it the
/// refusal is logged instead. A failure to record is logged, not answered: the caller gets the
/// refusal it was due.
pub(crate) async fn refused(state: &AppState, subject: &str, reason: &str) {
    if !state.login_gate.audit_refusal(Instant::now()) {
        tracing::warn!(reason, "refused login not audited: too many this minute");
        return;
    }
    if let Err(error) = state
        .store
        .record_login_refusal(truncated(subject), reason)
        .await
    {
        tracing::error!(%error, reason, "could not record a refused login");
    }
}

/// At most 100 characters of what a caller sent as a name, for the audit trail.
fn truncated(name: &str) -> &str {
    name.char_indices()
        .nth(100)
        .map_or(name, |(end, _)| &name[..end])
}

/// `1007` with what to do: a login turned away before its password was checked.
pub(crate) fn turned_away(refusal: Refusal) -> ApiError {
    let message = match refusal {
        Refusal::RateLimited {
            retry_after_seconds,
        } => format!(
            "Too many logins; try again in {retry_after_seconds} seconds. Reuse the AuthToken \
             of a live session rather than logging in for every call."
        ),
        Refusal::Busy => "Too many logins at once; try again in a few seconds.".to_owned(),
    };
    ApiError::from(ErrorDetail::with_message(Code::E1007, "", message))
}

/// Reuses the live session of `key` (same token, expiry and SEK, D-05), or starts a new one
/// when there is none or a forced refresh falls in the last minutes of its life (D-06).
async fn session_for(
    state: &AppState,
    key: &SessionKey,
    force_refresh: bool,
) -> Result<(String, [u8; 32], chrono::NaiveDateTime), ApiError> {
    let now = state.clock.now();
    let live = state
        .store
        .live_session(key, now)
        .await
        .or_code(Code::E5001)?;
    // Replace a live session only on a forced refresh in its last minutes, or when it cannot
    // be read back; otherwise a new one is started only if none is live by then.
    let mut replace = false;
    if let Some(session) = live {
        let refresh_window = Duration::minutes(state.settings.auth.force_refresh_window_minutes);
        let refresh = force_refresh && session.expires_at - now <= refresh_window;
        match (refresh, unsealed(state, &session)) {
            (false, Some((token, sek))) => return Ok((token, sek, session.expires_at)),
            _ => replace = true,
        }
    }
    let token = protocol::generate_auth_token();
    let sek = protocol::generate_sek();
    let expires_at = now + Duration::minutes(state.settings.auth.token_minutes);
    let session = Session {
        key: key.clone(),
        token_hash: secrets::token_hash(&token),
        token_sealed: state.sealer.seal(token.as_bytes()),
        sek_sealed: state.sealer.seal(&sek),
        created_at: now,
        expires_at,
    };
    if replace {
        state
            .store
            .start_session(&session)
            .await
            .or_code(Code::E5001)?;
        return Ok((token, sek, expires_at));
    }
    let in_force = state
        .store
        .start_session_unless_live(&session)
        .await
        .or_code(Code::E5001)?;
    if in_force.token_hash == session.token_hash {
        return Ok((token, sek, expires_at));
    }
    // Another login of the same key, on this node or another, started one a moment ago.
    let (token, sek) = unsealed(state, &in_force).or_code(Code::E5001)?;
    Ok((token, sek, in_force.expires_at))
}

/// The token and SEK of a stored session, unsealed.
fn unsealed(state: &AppState, session: &Session) -> Option<(String, [u8; 32])> {
    let token = state
        .sealer
        .unseal(&session.token_sealed)
        .and_then(|bytes| String::from_utf8(bytes).ok())?;
    let sek = state
        .sealer
        .unseal(&session.sek_sealed)
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())?;
    Some((token, sek))
}

/// Reads the credentials JSON (keys case-insensitive): 1006, 1008, 1016 (D-50).
fn parse_credentials(plaintext: &[u8]) -> Result<Credentials, ApiError> {
    let document = match json::parse(plaintext) {
        Ok(document @ Value::Object(_)) => document,
        _ => return Err(ApiError::code(Code::E1013)),
    };
    let member = |name: &str| document.get_ignore_case(name);
    let text = |name: &str| match member(name) {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        _ => None,
    };
    let user_name = text("UserName").or_code(Code::E1006)?;
    let password = match member("Password") {
        Some(Value::String(text)) if !text.is_empty() => text.to_string(),
        _ => return Err(ApiError::code(Code::E1008)),
    };
    let app_key = text("AppKey")
        .and_then(|key| BASE64.decode(key).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .or_code(Code::E1016)?;
    let force_refresh = match member("ForceRefreshAccessToken") {
        Some(Value::Bool(value)) => *value,
        Some(Value::String(text)) => text.trim().eq_ignore_ascii_case("true"),
        _ => false,
    };
    Ok(Credentials {
        user_name,
        password,
        app_key,
        force_refresh,
    })
}
