//! Cancel e-way bill (`02` #10, `06` §6) with the E-Way Bill API conventions (`01` §9): a
//! lower-case envelope, `status` as a string, and errors as base64 of `{"errorCodes":"…"}`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDateTime};
use irp_core::json::{self, ObjectWriter, Value};
use irp_core::protocol;
use irp_store::{EwbCancellation, EwbStatus};

use crate::api::read_body;
use crate::headers::Headers;
use crate::state::AppState;

/// An answer in the E-Way Bill convention.
pub struct EwbApiResponse(Result<String, Vec<&'static str>>);

impl IntoResponse for EwbApiResponse {
    fn into_response(self) -> Response {
        let mut out = String::new();
        let mut object = ObjectWriter::open(&mut out);
        match self.0 {
            Ok(data) => {
                object.str("status", "1");
                object.str("data", &data);
            }
            Err(codes) => {
                object.str("status", "0");
                let inner = format!("{{\"errorCodes\":\"{}\"}}", codes.join(","));
                object.str("error", &protocol::encode_base64(inner.as_bytes()));
                object.raw("info", "null");
            }
        }
        object.close();
        let mut response = out.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

/// `POST /ewaybillapi/v1.03/ewayapi` (alias `/ewayapi`), action `CANEWB`.
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> EwbApiResponse {
    match cancel_inner(&state, &Headers::from_map(&headers), body).await {
        Ok(data) => EwbApiResponse(Ok(data)),
        Err(codes) => EwbApiResponse(Err(codes)),
    }
}

async fn cancel_inner(
    state: &AppState,
    headers: &Headers,
    body: Body,
) -> Result<String, Vec<&'static str>> {
    let one = |code: &'static str| vec![code];
    // Headers and token (`01` §9).
    let gstin = headers
        .get("gstin")
        .map(str::to_ascii_uppercase)
        .ok_or_else(|| one("393"))?;
    let gstin_shape_ok = gstin.len() == 15
        && gstin
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if !gstin_shape_ok {
        return Err(one("393"));
    }
    let (Some(client_id), Some(secret)) = (headers.get("client_id"), headers.get("client_secret"))
    else {
        return Err(one("110"));
    };
    let client = state.client(client_id).await.map_err(|_| one("317"))?;
    if !client
        .is_some_and(|c| c.active && crate::secrets::verify_client_secret(secret, &c.secret_hash))
    {
        return Err(one("110"));
    }
    let token = headers.get("authtoken").ok_or_else(|| one("238"))?;
    let session = state
        .store
        .session_by_token(&crate::secrets::token_hash(token))
        .await
        .map_err(|_| one("317"))?
        .ok_or_else(|| one("238"))?;
    if session.key.gstin != gstin {
        return Err(one("238"));
    }
    if session.key.client_id != client_id {
        return Err(one("116"));
    }
    let now = state.clock.now();
    if session.expires_at <= now {
        return Err(one("106"));
    }
    let sek: [u8; 32] = state
        .sealer
        .unseal(&session.sek_sealed)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| one("238"))?;

    // Envelope `{"action":"CANEWB","data":"…"}`.
    let body = read_body(body, state.settings.limits.max_body_bytes)
        .await
        .map_err(|_| one("100"))?;
    let document = json::parse(&body).map_err(|_| one("100"))?;
    let action = document
        .get_ignore_case("action")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_ascii_uppercase();
    let data = match document.get_ignore_case("data") {
        Some(Value::String(text)) if !text.trim().is_empty() => text.to_string(),
        _ => return Err(one("115")),
    };
    if action != "CANEWB" {
        return Err(one("239"));
    }
    let plaintext = protocol::decrypt_payload(&sek, &data).map_err(|_| one("109"))?;
    let request = json::parse(&plaintext).map_err(|_| one("100"))?;

    // Field checks (`06` §6.1), all together.
    let mut errors = Vec::new();
    let number_text = |value: Option<&Value<'_>>| match value {
        Some(Value::Number(text)) => Some(text.to_string()),
        Some(Value::String(text)) => Some(text.trim().to_owned()),
        _ => None,
    };
    let ewb_no = number_text(request.get_ignore_case("ewbNo"))
        .filter(|text| text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|text| text.parse::<u64>().ok());
    if ewb_no.is_none() {
        errors.push("301");
    }
    let reason = number_text(request.get_ignore_case("cancelRsnCode"))
        .and_then(|text| text.parse::<u8>().ok())
        .filter(|code| (1..=4).contains(code));
    if reason.is_none() {
        errors.push("307");
    }
    let remark = match request.get_ignore_case("cancelRmrk") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.chars().count() <= 50 => {
            Some(text.trim().to_owned()).filter(|t| !t.is_empty())
        }
        Some(_) => {
            errors.push("308");
            None
        }
    };
    let (Some(ewb_no), Some(reason)) = (ewb_no, reason) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }

    // The e-way bill exists, is active, and belongs to the caller (`02` §4).
    let ewb = state
        .store
        .ewb(ewb_no)
        .await
        .map_err(|_| one("317"))?
        .ok_or_else(|| one("312"))?;
    let invoice = state
        .store
        .invoice(&ewb.irn)
        .await
        .map_err(|_| one("317"))?;
    let owns_irn = invoice.as_ref().is_some_and(|record| {
        record.seller_gstin == gstin || record.ecm_gstin.as_deref() == Some(gstin.as_str())
    });
    if ewb.status != EwbStatus::Active || !(ewb.gen_gstin == gstin || owns_irn) {
        return Err(one("312"));
    }
    if now - ewb.ewb_dt > Duration::hours(state.settings.ewb.cancel_window_hours) {
        return Err(one("315"));
    }
    let cancellation = EwbCancellation {
        at: now,
        reason,
        remark,
        by_gstin: gstin.clone(),
    };
    let after = state
        .store
        .cancel_ewb(ewb_no, &cancellation)
        .await
        .map_err(|error| {
            tracing::error!(%error, "registry failure while cancelling an e-way bill");
            one("317")
        })?;
    if after
        .cancellation
        .as_ref()
        .is_none_or(|c| c.at != now || c.by_gstin != gstin)
    {
        return Err(one("312"));
    }
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    object.raw("ewayBillNo", &ewb_no.to_string());
    object.str("cancelDate", &ewb_api_date(now));
    object.close();
    Ok(protocol::encrypt_payload(&sek, out.as_bytes()))
}

/// `dd/MM/yyyy hh:mm:ss tt` (`01` §8): `15/12/2017 11:35:00 AM`.
pub fn ewb_api_date(time: NaiveDateTime) -> String {
    time.format("%d/%m/%Y %I:%M:%S %p").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_e_way_bill_date_format() {
        let time = chrono::NaiveDate::from_ymd_opt(2017, 12, 15)
            .unwrap()
            .and_hms_opt(11, 35, 0)
            .unwrap();
        assert_eq!(ewb_api_date(time), "15/12/2017 11:35:00 AM");
        let evening = chrono::NaiveDate::from_ymd_opt(2017, 12, 15)
            .unwrap()
            .and_hms_opt(23, 5, 9)
            .unwrap();
        assert_eq!(ewb_api_date(evening), "15/12/2017 11:05:09 PM");
    }
}
