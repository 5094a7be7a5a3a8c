//! One validation finding: an NIC error code, its message, and the JSON path it concerns.

use std::fmt;

pub use crate::codes::Code;

/// One entry of `ErrorDetails`, plus the canonical JSON path of the field it is about
/// (`ItemList[2].HsnCd`; empty when it concerns the whole request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    pub code: Code,
    pub message: String,
    pub path: String,
}

impl ErrorDetail {
    /// An error whose message is the `error-codes.csv` text of `code`, with `{0}`, `{1}`, …
    /// replaced by `args`.
    pub fn coded(code: Code, path: impl Into<String>, args: &[&str]) -> ErrorDetail {
        ErrorDetail {
            code,
            message: fill(code.message(), args),
            path: path.into(),
        }
    }

    /// An error with code `code` and a message of its own (the schema templates of `04` §2.1).
    pub fn with_message(code: Code, path: impl Into<String>, message: String) -> ErrorDetail {
        ErrorDetail {
            code,
            message,
            path: path.into(),
        }
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.code, self.message)
        } else {
            write!(f, "{} at {}: {}", self.code, self.path, self.message)
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code compares equal to its text, so tests and clients can write `"2150"`.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl std::str::FromStr for Code {
    type Err = UnknownCode;

    /// The code whose text is `text`; only codes of the catalogue parse.
    fn from_str(text: &str) -> Result<Code, UnknownCode> {
        Code::ALL
            .into_iter()
            .find(|code| code.as_str() == text)
            .ok_or(UnknownCode)
    }
}

/// A code that is not in the error catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a code of the error catalogue")]
pub struct UnknownCode;

/// Replaces `{0}`, `{1}`, … in `template`.
fn fill(template: &str, args: &[&str]) -> String {
    let mut message = template.to_owned();
    for (index, arg) in args.iter().enumerate() {
        message = message.replace(&format!("{{{index}}}"), arg);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_embedded_catalogue_row_for_row() {
        let rows: Vec<Vec<String>> = crate::masters::csv::table(
            "error-codes.csv",
            include_str!("../data/error-codes.csv"),
            &["code", "category", "message"],
        );
        assert_eq!(rows.len(), Code::ALL.len(), "regenerate codes.rs");
        for (row, code) in rows.iter().zip(Code::ALL) {
            assert_eq!(
                (row[0].as_str(), row[1].as_str(), row[2].as_str()),
                (code.as_str(), code.category(), code.message()),
                "codes.rs is out of date: run scripts/gen-masters.py"
            );
            assert_eq!(row[0].parse::<Code>(), Ok(code));
        }
        assert_eq!("9".parse::<Code>(), Err(UnknownCode));
        assert!(Code::ALL.iter().all(|code| !code.message().is_empty()));
    }

    #[test]
    fn placeholders_are_filled_from_the_table() {
        let error = ErrorDetail::coded(Code::E2172, "ItemList[0].IgstAmt", &["1001", "1"]);
        assert_eq!(
            error.message,
            "For intra state transaction IGST amounts is not applicable for item - 1001 and Sl. No 1 , only CGST and SGST amounts are applicable."
        );
        assert_eq!(
            error.to_string(),
            format!("2172 at ItemList[0].IgstAmt: {}", error.message)
        );
    }
}
