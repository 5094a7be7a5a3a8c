//! A submitted body split into its elements, each kept as the exact bytes sent (`09` §2.1).

use irp_core::codes::Code;
use irp_core::error::ErrorDetail;
use serde_json::value::RawValue;

use crate::envelope::ApiError;

/// The elements of a bulk body: a JSON array, or for generate an object whose `Invoices`
/// member (any case) is one. `2255` for none, `2140` on `$` for anything else.
pub fn elements(body: &[u8], allow_wrapper: bool) -> Result<Vec<&[u8]>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::code(Code::E2255));
    }
    let root: &RawValue = serde_json::from_slice(body).map_err(|error| {
        ApiError::from(ErrorDetail::with_message(
            Code::E2140,
            "$",
            format!(
                "Invalid JSON: {} at line {}, column {}.",
                describe(&error),
                error.line(),
                error.column()
            ),
        ))
    })?;
    let array = match root.get().trim_start().as_bytes().first() {
        Some(b'[') => root,
        Some(b'{') if allow_wrapper => {
            let object: std::collections::BTreeMap<String, &RawValue> =
                serde_json::from_str(root.get()).map_err(|_| not_an_array())?;
            object
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("Invoices"))
                .map(|(_, value)| value)
                .filter(|value| value.get().trim_start().starts_with('['))
                .ok_or_else(not_an_array)?
        }
        _ => return Err(not_an_array()),
    };
    let items: Vec<&RawValue> = serde_json::from_str(array.get()).map_err(|_| not_an_array())?;
    if items.is_empty() {
        return Err(ApiError::code(Code::E2255));
    }
    Ok(items
        .into_iter()
        .map(|item| item.get().as_bytes())
        .collect())
}

/// [`elements`] as byte ranges of `body`, which can be sent across threads with it.
pub fn element_ranges(
    body: &[u8],
    allow_wrapper: bool,
) -> Result<Vec<std::ops::Range<usize>>, ApiError> {
    let start = body.as_ptr() as usize;
    Ok(elements(body, allow_wrapper)?
        .into_iter()
        .map(|element| {
            let offset = element.as_ptr() as usize - start;
            offset..offset + element.len()
        })
        .collect())
}

fn not_an_array() -> ApiError {
    ApiError::from(ErrorDetail::with_message(
        Code::E2140,
        "$",
        "The field $ has an invalid value: a JSON array of documents is expected.".to_owned(),
    ))
}

/// The parser's complaint without its position, which the message gives once.
fn describe(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.find(" at line ") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(result: Result<Vec<&[u8]>, ApiError>) -> Vec<&'static str> {
        result
            .unwrap_err()
            .errors
            .iter()
            .map(|e| e.code.as_str())
            .collect()
    }

    #[test]
    fn an_array_is_split_into_the_bytes_sent() {
        let body = br#" [ {"A": 1.50, "B": "x"} , 7, "text", {"C":[1,2]} ] "#;
        let found = elements(body, false).unwrap();
        assert_eq!(
            found,
            vec![
                &br#"{"A": 1.50, "B": "x"}"#[..],
                b"7",
                br#""text""#,
                br#"{"C":[1,2]}"#
            ]
        );
    }

    #[test]
    fn ranges_name_the_same_bytes() {
        let body = br#"{"Invoices": [ {"A":1}, [2] ]}"#;
        let ranges = element_ranges(body, true).unwrap();
        let found: Vec<&[u8]> = ranges.into_iter().map(|r| &body[r]).collect();
        assert_eq!(found, elements(body, true).unwrap());
    }

    #[test]
    fn generate_takes_an_invoices_wrapper_in_any_case() {
        let body = br#"{"invoices": [{"A":1}], "Other": 2}"#;
        assert_eq!(elements(body, true).unwrap(), vec![&br#"{"A":1}"#[..]]);
        assert_eq!(codes(elements(body, false)), ["2140"]);
        assert_eq!(codes(elements(br#"{"Documents": []}"#, true)), ["2140"]);
        assert_eq!(codes(elements(br#"{"Invoices": {}}"#, true)), ["2140"]);
        assert_eq!(codes(elements(br#"{"Invoices": []}"#, true)), ["2255"]);
    }

    #[test]
    fn bad_bodies_get_the_spec_codes() {
        assert_eq!(codes(elements(b"[]", false)), ["2255"]);
        assert_eq!(codes(elements(b"  ", false)), ["2255"]);
        assert_eq!(codes(elements(b"{}", false)), ["2140"]);
        assert_eq!(codes(elements(b"42", true)), ["2140"]);
        let error = elements(b"[{\"A\":}]", false).unwrap_err();
        assert_eq!(error.errors[0].code.as_str(), "2140");
        assert_eq!(error.errors[0].path, "$");
        assert!(
            error.errors[0].message.contains("line 1, column 7"),
            "{}",
            error.errors[0].message
        );
    }
}
