//! Endpoints without authentication: heartbeat (#12), certificates (E2), the auth public key
//! (E3), the JWK Set, signature verification (E4), and the operator's health checks.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use irp_core::ack::format_timestamp;
use irp_core::codes::Code;
use irp_core::json::{self, ObjectWriter, Value};
use irp_core::keys::jwks_json;

use crate::api::OrCode as _;
use crate::api::pipeline::read_body;
use crate::envelope::{ApiError, Data, Envelope, json_string};
use crate::state::AppState;

/// `GET /eivital/v1.04/heartbeat/ping` (D-08): HTTP 503 when the registry is down.
pub async fn heartbeat(State(state): State<AppState>) -> Envelope {
    let registry_up = state.store.ping().await.is_ok();
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    object.str("Irp", state.settings.irp_name());
    object.str("ServerTime", &format_timestamp(state.clock.now()));
    object.str("Registry", if registry_up { "UP" } else { "DOWN" });
    object.close();
    let mut envelope = Envelope::success(Data::Plain(out));
    if !registry_up {
        envelope.http_status = StatusCode::SERVICE_UNAVAILABLE;
        envelope
            .errors
            .push(irp_core::error::ErrorDetail::coded(Code::E5001, "", &[]));
    }
    envelope
}

/// `GET /eiext/v1.00/certs` (`02` §5.2): every signing certificate either portal has used.
pub async fn certificates(State(state): State<AppState>) -> Envelope {
    let mut entries = Vec::new();
    for (portal, certificate, current) in state.certificates().await {
        let mut out = String::new();
        let mut object = ObjectWriter::open(&mut out);
        object.str("Irp", if portal == 2 { "NIC2" } else { "NIC1" });
        object.str("Kid", certificate.kid());
        object.str("X5t", certificate.x5t());
        object.str("NotBefore", &format_timestamp(certificate.not_before()));
        object.str("NotAfter", &format_timestamp(certificate.not_after()));
        object.raw("Current", if current { "true" } else { "false" });
        object.str("Pem", &certificate.pem());
        object.close();
        entries.push(out);
    }
    Envelope::success(Data::Plain(format!("[{}]", entries.join(","))))
}

/// `GET /.well-known/jwks.json`: the same certificates as a standard JWK Set.
pub async fn jwks(State(state): State<AppState>) -> Response {
    let certificates: Vec<_> = state
        .certificates()
        .await
        .into_iter()
        .map(|(_, certificate, _)| certificate)
        .collect();
    let mut response = jwks_json(&certificates).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// `GET /eiext/v1.00/keys/auth` (E3): the auth public key both portals share.
pub async fn auth_public_key(State(state): State<AppState>) -> Envelope {
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    object.str("Pem", &state.auth_key.public_key().pem());
    object.close();
    Envelope::success(Data::Plain(out))
}

/// `POST /eiext/v1.00/verify` (E4): `{"Jws": "…"}` in plain JSON.
pub async fn verify(State(state): State<AppState>, body: Body) -> Result<Envelope, ApiError> {
    // Anyone may call this: a few bodies are read at once, the others are told to come back.
    let Ok(_reading) = state.public_reads.try_acquire() else {
        return Err(ApiError::code(Code::E5002));
    };
    let body = read_body(&state, body, state.settings.limits.max_body_bytes).await?;
    let document = json::parse(&body).ok().or_code(Code::E2142)?;
    let jws = document
        .get_ignore_case("jws")
        .and_then(Value::as_str)
        .or_code(Code::E2142)?;
    let (portal, verified) = state.verify_token(jws).await.or_code(Code::E2256)?;
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    object.raw("Valid", "true");
    object.str("Irp", if portal == 2 { "NIC2" } else { "NIC1" });
    object.str("Kid", &verified.kid);
    object.str("Iss", &verified.iss);
    // The signed data is JSON the portal wrote; anything else is shown as a string.
    if json::parse(verified.data.as_bytes()).is_ok() {
        object.raw("Data", &verified.data);
    } else {
        object.raw("Data", &json_string(&verified.data));
    }
    object.close();
    Ok(Envelope::success(Data::Plain(out)))
}

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the registry answers; 503 otherwise, for load balancers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(%error, "registry not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "registry unavailable").into_response()
        }
    }
}
