//! Pure request building: URLs, headers and bodies (`01` §2–§4, `02` §1). No I/O.

use irp_core::protocol::{APP_KEY_LEN, SEK_LEN, encode_base64, encrypt_payload};
use reqwest::Url;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::{ClientError, Credentials};

/// Paths of the NIC-compatible endpoints (`02` §1).
pub mod paths {
    pub const AUTH: &str = "/eivital/v1.04/auth";
    pub const GENERATE: &str = "/eicore/v1.03/Invoice";
    pub const CANCEL: &str = "/eicore/v1.03/Invoice/Cancel";
    pub const GET_BY_IRN: &str = "/eicore/v1.03/Invoice/irn/";
    pub const GET_BY_DOC: &str = "/eicore/v1.03/Invoice/irnbydocdetails";
    pub const GSTIN: &str = "/eivital/v1.03/Master/gstin/";
    pub const SYNC_GSTIN: &str = "/eivital/v1.04/Master/syncgstin/";
    pub const REJECTED_IRNS: &str = "/eicore/v1.03/Invoice/rejectedirns";
    pub const HEARTBEAT: &str = "/eivital/v1.04/heartbeat/ping";
    pub const BULK_GENERATE: &str = "/eiext/v1.00/bulk/generate";
    pub const BULK_CANCEL: &str = "/eiext/v1.00/bulk/cancel";
    /// Followed by the task id (E7), then `/results` (E8).
    pub const BULK_TASK: &str = "/eiext/v1.00/bulk/";
}

/// `base` + `path`, with the query pairs form-urlencoded (`/` in a value becomes `%2F`).
pub fn build_url(base: &str, path: &str, query: &[(&str, &str)]) -> Result<Url, ClientError> {
    let joined = format!("{}{}", base.trim_end_matches('/'), path);
    let mut url = Url::parse(&joined).map_err(|_| ClientError::BadUrl(joined.clone()))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}

/// Percent-encodes one path segment: everything but `A-Za-z0-9-._~`.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The credentials JSON of the auth call (`01` §4.1), members in the documented order.
pub fn credentials_json(
    user_name: &str,
    password: &str,
    app_key: &[u8; APP_KEY_LEN],
    force_refresh: bool,
) -> Zeroizing<Vec<u8>> {
    let text = Zeroizing::new(format!(
        r#"{{"UserName":{},"Password":{},"AppKey":{},"ForceRefreshAccessToken":{}}}"#,
        Value::from(user_name),
        Zeroizing::new(Value::from(password).to_string()).as_str(),
        Value::from(encode_base64(app_key)),
        force_refresh
    ));
    Zeroizing::new(text.as_bytes().to_vec())
}

/// The headers of the auth call: `client_id`, `client_secret`, `Gstin` (`01` §4.1 step 4).
pub fn auth_headers(credentials: &Credentials) -> Vec<(String, String)> {
    vec![
        ("client_id".into(), credentials.client_id.clone()),
        ("client_secret".into(), credentials.client_secret.clone()),
        ("Gstin".into(), credentials.gstin.clone()),
    ]
}

/// The headers of every other call (`01` §2): `client_id`, `client_secret`, `Gstin`, `user_name`,
/// `AuthToken`, and `sup_gstin` when acting for a supplier.
pub fn standard_headers(
    credentials: &Credentials,
    auth_token: &str,
    sup_gstin: Option<&str>,
) -> Vec<(String, String)> {
    let mut headers = auth_headers(credentials);
    headers.push(("user_name".into(), credentials.user_name.clone()));
    headers.push(("AuthToken".into(), auth_token.to_owned()));
    if let Some(sup_gstin) = sup_gstin {
        headers.push(("sup_gstin".into(), sup_gstin.to_owned()));
    }
    headers
}

/// Header names as the server compares them: lower case, `-` as `_` (`01` §2.1).
pub fn normalise_header_name(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// `headers` with every header named in `overrides` (after normalisation) replaced by the
/// override, so a caller can change or add any header. An override with an empty name is ignored.
pub fn merge_headers(
    mut headers: Vec<(String, String)>,
    overrides: &[(&str, &str)],
) -> Vec<(String, String)> {
    for (name, _) in overrides {
        let normalised = normalise_header_name(name);
        headers.retain(|(existing, _)| normalise_header_name(existing) != normalised);
    }
    headers.extend(
        overrides
            .iter()
            .filter(|(name, _)| !name.is_empty())
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    headers
}

/// The body of an encrypted POST: `{"Data":"<base64 AES(SEK) ciphertext>"}` (`01` §3).
pub fn encrypted_body(sek: &[u8; SEK_LEN], plaintext_json: &[u8]) -> Vec<u8> {
    data_body(&encrypt_payload(sek, plaintext_json))
}

/// `{"Data": data}`.
pub fn data_body(data: &str) -> Vec<u8> {
    format!(r#"{{"Data":{}}}"#, Value::from(data)).into_bytes()
}

/// The plaintext of a cancel request (`02` §2.3): `{"Irn","CnlRsn","CnlRem"}`, `CnlRem` omitted
/// when `None`.
pub fn cancel_json(irn: &str, reason: &str, remark: Option<&str>) -> Vec<u8> {
    let mut text = format!(
        r#"{{"Irn":{},"CnlRsn":{}"#,
        Value::from(irn),
        Value::from(reason)
    );
    if let Some(remark) = remark {
        text.push_str(&format!(r#","CnlRem":{}"#, Value::from(remark)));
    }
    text.push('}');
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use irp_core::protocol::decrypt_payload;

    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            client_id: "CID".into(),
            client_secret: "secret".into(),
            user_name: "api_user".into(),
            password: "p\"w".into(),
            gstin: "29AWGPV7107B1Z1".into(),
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            build_url("http://127.0.0.1:8080/", paths::GENERATE, &[])
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/eicore/v1.03/Invoice"
        );
        assert_eq!(
            build_url(
                "https://api.irp1.example/prefix",
                paths::GET_BY_DOC,
                &[
                    ("doctype", "INV"),
                    ("docnum", "A/1 B"),
                    ("docdate", "01/07/2025")
                ]
            )
            .unwrap()
            .as_str(),
            "https://api.irp1.example/prefix/eicore/v1.03/Invoice/irnbydocdetails?doctype=INV&docnum=A%2F1+B&docdate=01%2F07%2F2025"
        );
        assert!(matches!(
            build_url("not a url", "/x", &[]),
            Err(ClientError::BadUrl(_))
        ));
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("abcDEF019-._~"), "abcDEF019-._~");
        assert_eq!(encode_segment("a/b c?#%"), "a%2Fb%20c%3F%23%25");
        assert_eq!(encode_segment("é"), "%C3%A9");
    }

    #[test]
    fn credentials_json_has_the_documented_shape() {
        let json = credentials_json("api_user", "p\"w", &[0; 32], true);
        assert_eq!(
            std::str::from_utf8(&json).unwrap(),
            r#"{"UserName":"api_user","Password":"p\"w","AppKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","ForceRefreshAccessToken":true}"#
        );
        let parsed: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(parsed["Password"], "p\"w");
    }

    #[test]
    fn headers() {
        let credentials = credentials();
        assert_eq!(
            auth_headers(&credentials),
            [
                ("client_id".to_owned(), "CID".to_owned()),
                ("client_secret".to_owned(), "secret".to_owned()),
                ("Gstin".to_owned(), "29AWGPV7107B1Z1".to_owned()),
            ]
        );
        let headers = standard_headers(&credentials, "TOKEN", Some("27AAAAA0000A1Z5"));
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "client_id",
                "client_secret",
                "Gstin",
                "user_name",
                "AuthToken",
                "sup_gstin"
            ]
        );
        assert_eq!(headers[4].1, "TOKEN");
    }

    #[test]
    fn overrides_replace_headers_by_normalised_name() {
        let headers = standard_headers(&credentials(), "TOKEN", None);
        let merged = merge_headers(
            headers,
            &[("GSTIN", "X"), ("Client-Id", "Y"), ("irp", "NIC2")],
        );
        let pairs: Vec<(&str, &str)> = merged
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("client_secret", "secret"),
                ("user_name", "api_user"),
                ("AuthToken", "TOKEN"),
                ("GSTIN", "X"),
                ("Client-Id", "Y"),
                ("irp", "NIC2"),
            ]
        );
        // An empty name removes nothing and adds nothing.
        assert_eq!(merge_headers(vec![], &[("", "x")]), vec![]);
    }

    #[test]
    fn bodies() {
        let sek = [5; 32];
        let body = encrypted_body(&sek, br#"{"a":1}"#);
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        let data = parsed["Data"].as_str().unwrap();
        assert_eq!(decrypt_payload(&sek, data).unwrap(), br#"{"a":1}"#);
        assert_eq!(
            cancel_json("ab", "1", Some("Wrong \"entry\"")),
            br#"{"Irn":"ab","CnlRsn":"1","CnlRem":"Wrong \"entry\""}"#
        );
        assert_eq!(
            cancel_json("ab", "2", None),
            br#"{"Irn":"ab","CnlRsn":"2"}"#
        );
    }
}
