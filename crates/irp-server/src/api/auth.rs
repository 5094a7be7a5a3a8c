//! `POST /eivital/v1.04/auth` (`01` §4–§5).

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::Duration;
use irp_core::ack::format_timestamp;
use irp_core::codes::Code;
use irp_core::json::{self, ObjectWriter, Value};
use irp_core::protocol;
use irp_store::{Session, SessionKey};

use crate::api::OrCode as _;
use crate::api::pipeline::{check_client, envelope_data, read_body};
use crate::envelope::{ApiError, Data, Envelope};
use crate::headers::Headers;
use crate::secrets;
use crate::state::AppState;

/// Standard base64, padding optional, for the AppKey.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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
    check_client(&state, &headers).await?;
    let client_id = headers.get("client_id").unwrap_or_default().to_owned();
    let gstin = headers
        .get("gstin")
        .or_code(Code::E1004)?
        .to_ascii_uppercase();
    let body = read_body(body, state.settings.limits.max_body_bytes).await?;
    let data = envelope_data(&body)?;
    // D-50: every failure of this step is the same 1013, with no detail.
    let plaintext = protocol::decrypt_credentials(&state.auth_key, &data)
        .ok()
        .or_code(Code::E1013)?;
    let credentials = parse_credentials(&plaintext)?;

    let now = state.clock.now();
    let user = state
        .store
        .user(&credentials.user_name)
        .await
        .or_code(Code::E5001)?;
    let user = user.or_code(Code::E1017)?;
    // A locked-out user is refused before the password is even checked, so guessing stops.
    if user.locked_until.is_some_and(|until| until > now) {
        return Err(ApiError::code(Code::E1014));
    }
    let password_ok = {
        let password = credentials.password.clone();
        let hash = user.password_hash.clone();
        tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
            .await
            .or_code(Code::E5001)?
    };
    if !password_ok {
        let lock_until = now + Duration::minutes(state.settings.auth.lockout_minutes);
        state
            .store
            .record_login_failure(
                &user.user_name,
                state.settings.auth.max_failed_logins,
                lock_until,
            )
            .await
            .or_code(Code::E5001)?;
        tracing::warn!(user.name = %user.user_name, "failed login");
        return Err(ApiError::code(Code::E1019));
    }
    if !user.active {
        return Err(ApiError::code(Code::E1014));
    }
    if !user.client_ids.contains(&client_id) {
        return Err(ApiError::code(Code::E1018));
    }
    if !user.gstin.eq_ignore_ascii_case(&gstin) {
        return Err(ApiError::code(Code::E1015));
    }
    if user.failed_logins > 0 {
        state
            .store
            .clear_login_failures(&user.user_name)
            .await
            .or_code(Code::E5001)?;
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
    if let Some(session) = live {
        let refresh_window = Duration::minutes(state.settings.auth.force_refresh_window_minutes);
        let refresh = force_refresh && session.expires_at - now <= refresh_window;
        let token = state
            .sealer
            .unseal(&session.token_sealed)
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let sek = state
            .sealer
            .unseal(&session.sek_sealed)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
        if let (false, Some(token), Some(sek)) = (refresh, token, sek) {
            return Ok((token, sek, session.expires_at));
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
    state
        .store
        .start_session(&session)
        .await
        .or_code(Code::E5001)?;
    Ok((token, sek, expires_at))
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
