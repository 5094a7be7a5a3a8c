//! The response envelope of the NIC API (`01` §7) and its parsing.

use irp_core::protocol::{SEK_LEN, decrypt_payload};
use serde_json::Value;

use crate::ClientError;

/// One answer of the API, as the client saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The HTTP status (200 for every business error, `01` §7).
    pub http_status: u16,
    /// `Status`: 1 success, 0 failure.
    pub status: i64,
    /// `ErrorDetails` as (`ErrorCode`, `ErrorMessage`) pairs, in order; empty when `null`.
    pub error_details: Vec<(String, String)>,
    /// `Data`: decrypted with the session key and parsed when it is a base64 string, as sent when
    /// it is a plain object (auth, heartbeat); `None` when `null` or absent.
    pub data: Option<Value>,
    /// `InfoDtls` as sent; `None` when `null` or absent.
    pub info_dtls: Option<Value>,
    /// The whole response body as parsed, `Data` still encrypted.
    pub raw: Value,
    /// The base URL of the portal that answered.
    pub base_url: String,
    /// How many portals were tried for this request (1 when the first one answered).
    pub attempts: u32,
    /// Set by [`crate::NicClient::generate_resolving_duplicates`] when this is the get-by-IRN
    /// answer that stands in for a generate whose first attempt registered the invoice but whose
    /// answer was lost.
    pub resolved_duplicate: bool,
}

impl Envelope {
    /// `Status` is 1.
    pub fn is_success(&self) -> bool {
        self.status == 1
    }

    /// The error codes in order.
    pub fn error_codes(&self) -> Vec<&str> {
        self.error_details
            .iter()
            .map(|(code, _)| code.as_str())
            .collect()
    }

    /// Whether `ErrorDetails` holds `code`.
    pub fn has_error(&self, code: &str) -> bool {
        self.error_details.iter().any(|(c, _)| c == code)
    }

    /// The `Desc` of the first `InfoDtls` entry whose `InfCd` is `code` (`DUPIRN`, `EWBPPD`,
    /// `EWBERR`).
    pub fn info(&self, code: &str) -> Option<&Value> {
        self.info_dtls
            .as_ref()?
            .as_array()?
            .iter()
            .find(|entry| entry.get("InfCd").and_then(Value::as_str) == Some(code))
            .and_then(|entry| entry.get("Desc"))
    }

    /// A member of the decrypted `Data` object.
    pub fn data_field(&self, name: &str) -> Option<&Value> {
        self.data.as_ref()?.get(name)
    }
}

/// Parses a response body into an [`Envelope`] (`01` §7). A string `Data` is decrypted with
/// `sek`; without a session key, it is an error. `Status` must be a JSON integer. `ErrorCode`s
/// are read as strings (numbers are tolerated and converted; [`Envelope::raw`] keeps the original).
///
/// A body that is not a JSON object with a `Status` member is [`ClientError::NotAnEnvelope`].
pub fn parse_envelope(
    http_status: u16,
    body: &[u8],
    sek: Option<&[u8; SEK_LEN]>,
    base_url: &str,
) -> Result<Envelope, ClientError> {
    let not_an_envelope = || ClientError::NotAnEnvelope {
        status: http_status,
        url: base_url.to_owned(),
        body: excerpt(body),
    };
    let raw: Value = serde_json::from_slice(body).map_err(|_| not_an_envelope())?;
    let object = raw.as_object().ok_or_else(not_an_envelope)?;
    let status = match object.get("Status") {
        Some(Value::Number(number)) => number.as_i64().ok_or_else(|| {
            ClientError::BadEnvelope(format!("Status is not an integer: {number}"))
        })?,
        Some(other) => {
            return Err(ClientError::BadEnvelope(format!(
                "Status is not an integer: {other}"
            )));
        }
        None => return Err(not_an_envelope()),
    };
    let error_details = match object.get("ErrorDetails") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let text = |name: &str| match item.get(name) {
                    Some(Value::String(text)) => Some(text.clone()),
                    Some(Value::Number(number)) => Some(number.to_string()),
                    _ => None,
                };
                match (text("ErrorCode"), text("ErrorMessage")) {
                    (Some(code), message) => Ok((code, message.unwrap_or_default())),
                    (None, _) => Err(ClientError::BadEnvelope(format!(
                        "ErrorDetails entry without ErrorCode: {item}"
                    ))),
                }
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(ClientError::BadEnvelope(format!(
                "ErrorDetails is not an array: {other}"
            )));
        }
    };
    let data = match object.get("Data") {
        None | Some(Value::Null) => None,
        Some(Value::String(ciphertext)) => {
            let sek = sek.ok_or(ClientError::NotAuthenticated)?;
            let plaintext = decrypt_payload(sek, ciphertext).map_err(ClientError::Decrypt)?;
            let value = serde_json::from_slice(&plaintext).map_err(|error| {
                ClientError::BadEnvelope(format!("decrypted Data is not JSON: {error}"))
            })?;
            Some(value)
        }
        Some(plain) => Some(plain.clone()),
    };
    let info_dtls = match object.get("InfoDtls") {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.clone()),
    };
    Ok(Envelope {
        http_status,
        status,
        error_details,
        data,
        info_dtls,
        raw,
        base_url: base_url.to_owned(),
        attempts: 1,
        resolved_duplicate: false,
    })
}

/// The start of a body for an error message.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use irp_core::protocol::{PayloadError, encrypt_payload};
    use serde_json::json;

    use super::*;

    const SEK: [u8; 32] = [9; 32];

    fn parse(body: &str) -> Result<Envelope, ClientError> {
        parse_envelope(200, body.as_bytes(), Some(&SEK), "http://a")
    }

    #[test]
    fn success_with_encrypted_data() {
        let data = encrypt_payload(&SEK, br#"{"Irn":"ab","AckNo":112510000000042}"#);
        let body = format!(r#"{{"Status":1,"ErrorDetails":null,"Data":"{data}","InfoDtls":null}}"#);
        let envelope = parse(&body).unwrap();
        assert!(envelope.is_success());
        assert!(envelope.error_details.is_empty());
        assert_eq!(
            envelope.data,
            Some(json!({"Irn":"ab","AckNo":112510000000042_u64}))
        );
        assert_eq!(envelope.data_field("Irn"), Some(&json!("ab")));
        assert_eq!(envelope.info_dtls, None);
        assert_eq!(envelope.raw["Data"], json!(data));
        assert_eq!(envelope.base_url, "http://a");
    }

    #[test]
    fn encrypted_array_data() {
        let data = encrypt_payload(&SEK, b"[]");
        let body = format!(r#"{{"Status":1,"ErrorDetails":null,"Data":"{data}","InfoDtls":null}}"#);
        assert_eq!(parse(&body).unwrap().data, Some(json!([])));
    }

    #[test]
    fn plain_object_data_is_kept() {
        let body = r#"{"Status":1,"ErrorDetails":null,"Data":{"Irp":"NIC1","Registry":"UP"},"InfoDtls":null}"#;
        let envelope = parse_envelope(503, body.as_bytes(), None, "http://b").unwrap();
        assert_eq!(envelope.http_status, 503);
        assert_eq!(envelope.data_field("Irp"), Some(&json!("NIC1")));
    }

    #[test]
    fn failure_with_dupirn() {
        let body = r#"{"Status":0,"ErrorDetails":[{"ErrorCode":"2150","ErrorMessage":"Duplicate IRN"}],"Data":null,"InfoDtls":[{"InfCd":"DUPIRN","Desc":{"AckNo":112510000000042,"AckDt":"2025-07-01 12:34:56","Irn":"ff"}},{"InfCd":"EWBERR","Desc":[]}]}"#;
        let envelope = parse(body).unwrap();
        assert!(!envelope.is_success());
        assert_eq!(envelope.error_codes(), ["2150"]);
        assert!(envelope.has_error("2150"));
        assert!(!envelope.has_error("2148"));
        assert_eq!(envelope.error_details[0].1, "Duplicate IRN");
        assert_eq!(envelope.data, None);
        assert_eq!(envelope.info("DUPIRN").unwrap()["Irn"], json!("ff"));
        assert_eq!(envelope.info("EWBERR"), Some(&json!([])));
        assert_eq!(envelope.info("EWBPPD"), None);
    }

    #[test]
    fn several_errors_and_numeric_codes() {
        let body = r#"{"Status":0,"ErrorDetails":[{"ErrorCode":"2172","ErrorMessage":"a"},{"ErrorCode":2189,"ErrorMessage":"b"}],"Data":null}"#;
        let envelope = parse(body).unwrap();
        assert_eq!(envelope.error_codes(), ["2172", "2189"]);
        assert_eq!(envelope.raw["ErrorDetails"][1]["ErrorCode"], json!(2189));
    }

    #[test]
    fn status_must_be_an_integer() {
        assert!(matches!(
            parse(r#"{"Status":"1","Data":null}"#),
            Err(ClientError::BadEnvelope(_))
        ));
        assert!(matches!(
            parse(r#"{"Status":1.5,"Data":null}"#),
            Err(ClientError::BadEnvelope(_))
        ));
    }

    #[test]
    fn bodies_that_are_not_envelopes() {
        for body in ["", "not json", "[]", r#"{"status":"1","data":"x"}"#] {
            match parse(body) {
                Err(ClientError::NotAnEnvelope {
                    status, body: got, ..
                }) => {
                    assert_eq!(status, 200);
                    assert_eq!(got, body);
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn undecryptable_data() {
        let data = encrypt_payload(&[1; 32], b"{}");
        let body = format!(r#"{{"Status":1,"ErrorDetails":null,"Data":"{data}"}}"#);
        assert!(matches!(
            parse(&body),
            Err(ClientError::Decrypt(PayloadError::Padding))
        ));
        let body = format!(r#"{{"Status":1,"Data":"{data}"}}"#);
        assert!(matches!(
            parse_envelope(200, body.as_bytes(), None, "http://a"),
            Err(ClientError::NotAuthenticated)
        ));
        let not_json = encrypt_payload(&SEK, b"plain text");
        let body = format!(r#"{{"Status":1,"Data":"{not_json}"}}"#);
        assert!(matches!(parse(&body), Err(ClientError::BadEnvelope(_))));
    }

    #[test]
    fn malformed_error_details() {
        assert!(matches!(
            parse(r#"{"Status":0,"ErrorDetails":"eyJ4Ijox"}"#),
            Err(ClientError::BadEnvelope(_))
        ));
        assert!(matches!(
            parse(r#"{"Status":0,"ErrorDetails":[{"ErrorMessage":"x"}]}"#),
            Err(ClientError::BadEnvelope(_))
        ));
    }
}
