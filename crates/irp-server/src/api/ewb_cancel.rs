//! Cancel e-way bill (`02` #10, `06` §6) with the E-Way Bill API conventions (`01` §9): a
//! lower-case envelope, `status` as a string, and errors as base64 of `{"errorCodes":"…"}`.

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDateTime};
use irp_core::codes::Code;
use irp_core::json::{self, ObjectWriter, Value};
use irp_core::protocol;
use irp_store::{EwbCancellation, EwbStatus};

use crate::api::OrCode as _;
use crate::api::pipeline::read_body;
use crate::envelope::ApiError;
use crate::headers::Headers;
use crate::state::AppState;

/// An answer in the E-Way Bill convention.
pub struct EwbApiResponse(Result<String, Vec<Code>>);

impl EwbApiResponse {
    fn error(code: Code) -> EwbApiResponse {
        EwbApiResponse(Err(vec![code]))
    }
}

/// The same failures as the NIC convention reports them, with this convention's codes.
impl From<ApiError> for EwbApiResponse {
    fn from(error: ApiError) -> EwbApiResponse {
        EwbApiResponse(Err(error.errors.iter().map(|e| e.code).collect()))
    }
}

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
                let codes: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
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

/// An authenticated call in the E-Way Bill API convention (`01` §9): the headers and the token
/// are checked before the body is read, then the envelope `{"action":…,"data":…}`.
pub struct EwbCall {
    /// Header `Gstin`, upper-cased.
    pub gstin: String,
    /// When the token was checked; the call's effects are dated by it.
    pub now: NaiveDateTime,
    sek: [u8; 32],
    action: String,
    data: String,
}

impl EwbCall {
    /// The decrypted `data` of a request for `action`: `239` for another action, `109` when it
    /// cannot be decrypted.
    pub fn request(&self, action: &str) -> Result<Vec<u8>, EwbApiResponse> {
        if self.action != action {
            return Err(EwbApiResponse::error(Code::E239));
        }
        protocol::decrypt_payload(&self.sek, &self.data)
            .map_err(|_| EwbApiResponse::error(Code::E109))
    }

    /// A success answer: `data` encrypted under the session's SEK.
    pub fn encrypted(&self, json: &str) -> EwbApiResponse {
        EwbApiResponse(Ok(protocol::encrypt_payload(&self.sek, json.as_bytes())))
    }
}

impl FromRequest<AppState> for EwbCall {
    type Rejection = EwbApiResponse;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, EwbApiResponse> {
        let (parts, body) = request.into_parts();
        let headers = Headers::from_map(&parts.headers);
        let (gstin, sek, now) = check_token(state, &headers).await?;
        let body = read_body(state, body, state.settings.limits.max_body_bytes)
            .await
            .map_err(|_| EwbApiResponse::error(Code::E100))?;
        let document = json::parse(&body).map_err(|_| EwbApiResponse::error(Code::E100))?;
        let action = document
            .get_ignore_case("action")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        let data = match document.get_ignore_case("data") {
            Some(Value::String(text)) if !text.trim().is_empty() => text.to_string(),
            _ => return Err(EwbApiResponse::error(Code::E115)),
        };
        Ok(EwbCall {
            gstin,
            now,
            sek,
            action,
            data,
        })
    }
}

/// The headers and the token (`01` §9), each failure with its one code.
async fn check_token(
    state: &AppState,
    headers: &Headers,
) -> Result<(String, [u8; 32], NaiveDateTime), ApiError> {
    let gstin = headers
        .get("gstin")
        .map(str::to_ascii_uppercase)
        .or_code(Code::E393)?;
    let gstin_shape_ok = gstin.len() == 15
        && gstin
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if !gstin_shape_ok {
        return Err(ApiError::code(Code::E393));
    }
    let (Some(client_id), Some(secret)) = (headers.get("client_id"), headers.get("client_secret"))
    else {
        return Err(ApiError::code(Code::E110));
    };
    let client = state.client(client_id).await.or_code(Code::E317)?;
    if !client
        .is_some_and(|c| c.active && crate::secrets::verify_client_secret(secret, &c.secret_hash))
    {
        return Err(ApiError::code(Code::E110));
    }
    let token = headers.get("authtoken").or_code(Code::E238)?;
    let session = state
        .store
        .session_by_token(&crate::secrets::token_hash(token))
        .await
        .or_code(Code::E317)?
        .or_code(Code::E238)?;
    if session.key.gstin != gstin {
        return Err(ApiError::code(Code::E238));
    }
    if session.key.client_id != client_id {
        return Err(ApiError::code(Code::E116));
    }
    let now = state.clock.now();
    if session.expires_at <= now {
        return Err(ApiError::code(Code::E106));
    }
    let sek: [u8; 32] = state
        .sealer
        .unseal(&session.sek_sealed)
        .and_then(|b| b.try_into().ok())
        .or_code(Code::E238)?;
    Ok((gstin, sek, now))
}

/// `POST /ewaybillapi/v1.03/ewayapi` (alias `/ewayapi`), action `CANEWB`.
pub async fn cancel(State(state): State<AppState>, call: EwbCall) -> EwbApiResponse {
    match cancel_inner(&state, &call).await {
        Ok(data) => call.encrypted(&data),
        Err(response) => response,
    }
}

async fn cancel_inner(state: &AppState, call: &EwbCall) -> Result<String, EwbApiResponse> {
    let plaintext = call.request("CANEWB")?;
    let request = json::parse(&plaintext).map_err(|_| EwbApiResponse::error(Code::E100))?;

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
        errors.push(Code::E301);
    }
    let reason = number_text(request.get_ignore_case("cancelRsnCode"))
        .and_then(|text| text.parse::<u8>().ok())
        .filter(|code| (1..=4).contains(code));
    if reason.is_none() {
        errors.push(Code::E307);
    }
    let remark = match request.get_ignore_case("cancelRmrk") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.chars().count() <= 50 => {
            Some(text.trim().to_owned()).filter(|t| !t.is_empty())
        }
        Some(_) => {
            errors.push(Code::E308);
            None
        }
    };
    let (Some(ewb_no), Some(reason)) = (ewb_no, reason) else {
        return Err(EwbApiResponse(Err(errors)));
    };
    if !errors.is_empty() {
        return Err(EwbApiResponse(Err(errors)));
    }
    let cancellation = EwbCancellation {
        at: call.now,
        reason,
        remark,
        by_gstin: call.gstin.clone(),
    };
    cancel_ewb(state, ewb_no, &cancellation).await?;
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    object.raw("ewayBillNo", &ewb_no.to_string());
    object.str("cancelDate", &ewb_api_date(call.now));
    object.close();
    Ok(out)
}

/// Cancels e-way bill `ewb_no` for the taxpayer of `cancellation.by_gstin`: it must exist, be
/// active and belong to them (`02` §4), within the window (`06` §6).
pub async fn cancel_ewb(
    state: &AppState,
    ewb_no: u64,
    cancellation: &EwbCancellation,
) -> Result<(), ApiError> {
    let gstin = cancellation.by_gstin.as_str();
    let ewb = state.store.ewb(ewb_no).await.or_code(Code::E317)?;
    let ewb = ewb.or_code(Code::E312)?;
    let invoice = state.store.invoice(&ewb.irn).await.or_code(Code::E317)?;
    let owns_irn = invoice.as_ref().is_some_and(|record| {
        record.seller_gstin == *gstin || record.ecm_gstin.as_ref().is_some_and(|ecm| *ecm == *gstin)
    });
    if ewb.status != EwbStatus::Active || !(ewb.gen_gstin == gstin || owns_irn) {
        return Err(ApiError::code(Code::E312));
    }
    if cancellation.at - ewb.ewb_dt > Duration::hours(state.settings.ewb.cancel_window_hours) {
        return Err(ApiError::code(Code::E315));
    }
    let outcome = state
        .store
        .cancel_ewb(ewb_no, cancellation)
        .await
        .or_code(Code::E317)?;
    // Of concurrent cancellations only the one whose update applied is answered with success.
    if !outcome.by_this_call {
        return Err(ApiError::code(Code::E312));
    }
    Ok(())
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
