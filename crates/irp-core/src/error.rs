//! One validation finding: an NIC error code, its message, and the JSON path it concerns.

use std::fmt;

/// One entry of `ErrorDetails`, plus the canonical JSON path of the field it is about
/// (`ItemList[2].HsnCd`; empty when it concerns the whole request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    pub path: String,
}

impl ErrorDetail {
    /// An error whose message is the `error-codes.csv` text of `code`, with `{0}`, `{1}`, …
    /// replaced by `args`.
    pub fn coded(code: &'static str, path: impl Into<String>, args: &[&str]) -> ErrorDetail {
        let template = crate::masters::error_message(code).unwrap_or("");
        ErrorDetail {
            code,
            message: fill(template, args),
            path: path.into(),
        }
    }

    /// An error with code `code` and a message of its own (the schema templates of `04` §2.1).
    pub fn with_message(
        code: &'static str,
        path: impl Into<String>,
        message: String,
    ) -> ErrorDetail {
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
    fn placeholders_are_filled_from_the_table() {
        let error = ErrorDetail::coded("2172", "ItemList[0].IgstAmt", &["1001", "1"]);
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
