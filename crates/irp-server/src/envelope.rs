//! The NIC response envelope (`01` §7) and the one error type of the API boundary.
//!
//! `{"Status":…,"ErrorDetails":…,"Data":…,"InfoDtls":…}` in exactly that order, always HTTP 200
//! except where the spec says otherwise. The JSON is written by hand, though serde would keep
//! this key order too: `Data` is JSON the `ObjectWriter` has already written (with the client's
//! number literals), which serde could embed only by re-parsing it, and the error types come from
//! the serde-free core (`docs/DECISIONS.md`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use irp_core::codes::Code;
use irp_core::error::ErrorDetail;
use irp_core::json::{ObjectWriter, write_str};

/// One `InfoDtls` entry (`01` §7), in the order D-03 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info {
    /// The existing registration of a duplicate document.
    DuplicateIrn {
        ack_no: u64,
        ack_dt: String,
        irn: String,
    },
    /// `EWBPPD`: the distance computed from PIN codes.
    PinDistance(String),
    /// `EWBERR`: the first e-way bill error.
    EwbError { code: String, message: String },
}

/// The `Data` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Null,
    /// Base64 AES ciphertext (every endpoint except auth and heartbeat).
    Encrypted(String),
    /// A plain JSON value, already serialised.
    Plain(String),
}

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub http_status: StatusCode,
    pub errors: Vec<ErrorDetail>,
    pub data: Data,
    pub info: Vec<Info>,
}

impl Envelope {
    pub fn success(data: Data) -> Envelope {
        Envelope {
            http_status: StatusCode::OK,
            errors: Vec::new(),
            data,
            info: Vec::new(),
        }
    }

    /// The failure envelope of `error`, HTTP 200 as every NIC refusal.
    pub fn failure(error: ApiError) -> Envelope {
        Envelope {
            http_status: StatusCode::OK,
            errors: error.errors,
            data: Data::Null,
            info: error.info,
        }
    }

    /// The serialised envelope.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        let mut object = ObjectWriter::open(&mut out);
        object.raw("Status", if self.errors.is_empty() { "1" } else { "0" });
        write_error_details(object.key("ErrorDetails"), &self.errors);
        match &self.data {
            Data::Null => object.raw("Data", "null"),
            Data::Encrypted(text) => object.str("Data", text),
            Data::Plain(json) => object.raw("Data", json),
        }
        write_info_details(object.key("InfoDtls"), &self.info);
        object.close();
        out
    }
}

/// The value of `ErrorDetails`: `null` when there are none.
pub(crate) fn write_error_details(out: &mut String, errors: &[ErrorDetail]) {
    if errors.is_empty() {
        out.push_str("null");
        return;
    }
    out.push('[');
    for (index, error) in errors.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let mut entry = ObjectWriter::open(out);
        entry.str("ErrorCode", error.code.as_str());
        entry.str("ErrorMessage", &error.message);
        entry.close();
    }
    out.push(']');
}

/// The value of `InfoDtls`: `null` when there are none.
pub(crate) fn write_info_details(out: &mut String, info: &[Info]) {
    if info.is_empty() {
        out.push_str("null");
        return;
    }
    out.push('[');
    for (index, entry) in info.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_info(out, entry);
    }
    out.push(']');
}

fn write_info(out: &mut String, entry: &Info) {
    let mut object = ObjectWriter::open(out);
    match entry {
        Info::DuplicateIrn {
            ack_no,
            ack_dt,
            irn,
        } => {
            object.str("InfCd", "DUPIRN");
            let desc = object.key("Desc");
            let mut inner = ObjectWriter::open(desc);
            inner.raw("AckNo", &ack_no.to_string());
            inner.str("AckDt", ack_dt);
            inner.str("Irn", irn);
            inner.close();
        }
        Info::PinDistance(text) => {
            object.str("InfCd", "EWBPPD");
            object.str("Desc", text);
        }
        Info::EwbError { code, message } => {
            object.str("InfCd", "EWBERR");
            let desc = object.key("Desc");
            desc.push('[');
            let mut inner = ObjectWriter::open(desc);
            inner.str("ErrorCode", code);
            inner.str("ErrorMessage", message);
            inner.close();
            desc.push(']');
        }
    }
    object.close();
}

impl IntoResponse for Envelope {
    fn into_response(self) -> Response {
        let mut response = (self.http_status, self.to_json()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

/// Why a request failed, as the client will see it. Internal causes are logged where they
/// happen and never put into the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub errors: Vec<ErrorDetail>,
    pub info: Vec<Info>,
}

impl ApiError {
    /// An error with the table message of `code`.
    pub fn code(code: Code) -> ApiError {
        ApiError::from(ErrorDetail::coded(code, "", &[]))
    }

    pub fn with_args(code: Code, args: &[&str]) -> ApiError {
        ApiError::from(ErrorDetail::coded(code, "", args))
    }

    pub fn many(errors: Vec<ErrorDetail>) -> ApiError {
        ApiError {
            errors,
            info: Vec::new(),
        }
    }
}

impl From<ErrorDetail> for ApiError {
    fn from(error: ErrorDetail) -> ApiError {
        ApiError {
            errors: vec![error],
            info: Vec::new(),
        }
    }
}

impl From<Vec<ErrorDetail>> for ApiError {
    fn from(errors: Vec<ErrorDetail>) -> ApiError {
        ApiError::many(errors)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Envelope::failure(self).into_response()
    }
}

/// A JSON string literal, for plain `Data` built by hand.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    write_str(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_have_the_documented_key_order_and_types() {
        let ok = Envelope::success(Data::Encrypted("abc=".to_owned()));
        assert_eq!(
            ok.to_json(),
            r#"{"Status":1,"ErrorDetails":null,"Data":"abc=","InfoDtls":null}"#
        );
        let duplicate = Envelope {
            http_status: StatusCode::OK,
            errors: vec![ErrorDetail::coded(Code::E2150, "", &[])],
            data: Data::Null,
            info: vec![Info::DuplicateIrn {
                ack_no: 112510000000042,
                ack_dt: "2025-07-01 12:34:56".to_owned(),
                irn: "ab".to_owned(),
            }],
        };
        assert_eq!(
            duplicate.to_json(),
            r#"{"Status":0,"ErrorDetails":[{"ErrorCode":"2150","ErrorMessage":"Duplicate IRN"}],"Data":null,"InfoDtls":[{"InfCd":"DUPIRN","Desc":{"AckNo":112510000000042,"AckDt":"2025-07-01 12:34:56","Irn":"ab"}}]}"#
        );
    }
}
