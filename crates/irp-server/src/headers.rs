//! Request headers as the protocol names them (`01` §2.1): lower-cased, `-` read as `_`, with
//! the documented aliases, values trimmed.

use std::collections::HashMap;

use axum::http::HeaderMap;

/// The normalised request headers.
#[derive(Debug, Clone, Default)]
pub struct Headers(HashMap<String, String>);

impl Headers {
    pub fn from_map(map: &HeaderMap) -> Headers {
        let mut headers = HashMap::with_capacity(map.len());
        for (name, value) in map {
            let Ok(value) = value.to_str() else { continue };
            let normalised = name.as_str().to_ascii_lowercase().replace('-', "_");
            let canonical = match normalised.as_str() {
                "clientid" => "client_id",
                "clientsecret" => "client_secret",
                "username" => "user_name",
                "auth_token" => "authtoken",
                "supgstin" => "sup_gstin",
                other => other,
            };
            headers.insert(canonical.to_owned(), value.trim().to_owned());
        }
        Headers(headers)
    }

    /// The header's value, `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn names_are_normalised_with_aliases() {
        let mut map = HeaderMap::new();
        map.insert("Client-Id", HeaderValue::from_static(" abc "));
        map.insert("CLIENTSECRET", HeaderValue::from_static("s"));
        map.insert("username", HeaderValue::from_static("u"));
        map.insert("auth-token", HeaderValue::from_static("t"));
        map.insert("gstin", HeaderValue::from_static(""));
        let headers = Headers::from_map(&map);
        assert_eq!(headers.get("client_id"), Some("abc"));
        assert_eq!(headers.get("client_secret"), Some("s"));
        assert_eq!(headers.get("user_name"), Some("u"));
        assert_eq!(headers.get("authtoken"), Some("t"));
        assert_eq!(headers.get("gstin"), None);
    }
}
