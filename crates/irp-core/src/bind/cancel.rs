//! The Cancel IRN request (`02` §2.3, C-01 and C-02 of `06` §1), bound with the same binder
//! rules and schema messages as an invoice.

use crate::bind::fields::TextSpec;
use crate::bind::{Binder, Object, invalid_json};
use crate::codes::Code;
use crate::error::ErrorDetail;
use crate::irn::Irn;
use crate::json::{self, Value};
use crate::register::MemoryRegister;
use crate::rules::Rules;

/// A bound cancel request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    pub irn: Irn,
    /// `CnlRsn`, 1 to 4 (`cancel-reasons.csv`, scope `IRN`).
    pub reason: u8,
    /// `CnlRem`, trimmed; `None` when absent or empty.
    pub remark: Option<String>,
}

const REASONS: [(&str, u8); 4] = [("1", 1), ("2", 2), ("3", 3), ("4", 4)];
/// D-10: optional, 1–100 characters of free text.
const REMARK: TextSpec = TextSpec::free(1, 100);

/// Binds a decrypted cancel request. The IRN ends processing on its own (`2142` when missing,
/// `2145` when malformed); the other fields' schema errors (`2140`) come together.
pub fn parse_cancel_request(input: &[u8]) -> Result<CancelRequest, Vec<ErrorDetail>> {
    let document = json::parse(input).map_err(|error| vec![invalid_json(&error)])?;
    let Value::Object(members) = &document else {
        return Err(vec![ErrorDetail::coded(Code::E2142, "", &[])]);
    };
    let root = Object(members);
    let irn = match root.get("Irn") {
        Some(Value::String(text)) if !text.trim().is_empty() => text.trim(),
        _ => return Err(vec![ErrorDetail::coded(Code::E2142, "", &[])]),
    };
    let irn = Irn::parse(irn).ok_or_else(|| vec![ErrorDetail::coded(Code::E2145, "", &[])])?;
    // Only the binder's field rules apply; none of them depends on a setting or the register.
    let rules = Rules::default();
    let register = MemoryRegister::new();
    let mut binder = Binder {
        rules: &rules,
        register: &register,
        errors: Vec::new(),
        path: Vec::new(),
    };
    let reason = binder.choice(root, "CnlRsn", &REASONS, None);
    let reason = binder.required(reason, "CnlRsn", None);
    let remark = binder.text(root, "CnlRem", &REMARK).ok();
    if binder.errors.is_empty() {
        Ok(CancelRequest {
            irn,
            reason,
            remark,
        })
    } else {
        Err(binder.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IRN: &str = "3a2f1c0e9b8d7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7";

    fn errors(body: &str) -> Vec<(&'static str, String, String)> {
        parse_cancel_request(body.as_bytes())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.code.as_str(), e.path, e.message))
            .collect()
    }

    #[test]
    fn a_valid_request_binds_with_keys_in_any_case() {
        let body = format!(r#"{{"irn":"{IRN}","CNLRSN":2,"cnlRem":"  Wrong entry  "}}"#);
        let request = parse_cancel_request(body.as_bytes()).unwrap();
        assert_eq!(request.irn.as_str(), IRN);
        assert_eq!(request.reason, 2);
        assert_eq!(request.remark.as_deref(), Some("Wrong entry"));
        let body = format!(r#"{{"Irn":"{IRN}","CnlRsn":"4","CnlRem":""}}"#);
        let request = parse_cancel_request(body.as_bytes()).unwrap();
        assert_eq!((request.reason, request.remark), (4, None));
    }

    #[test]
    fn the_irn_ends_processing_alone() {
        assert_eq!(errors(r#"{"CnlRsn":"9"}"#)[0].0, "2142");
        assert_eq!(errors(r#"{"Irn":"  ","CnlRsn":"1"}"#)[0].0, "2142");
        assert_eq!(errors(r#"[1]"#)[0].0, "2142");
        let malformed = errors(r#"{"Irn":"abc","CnlRsn":"9"}"#);
        assert_eq!(malformed.len(), 1);
        assert_eq!(malformed[0].0, "2145");
        let not_json = errors("{");
        assert_eq!(not_json[0].0, "2140");
        assert!(not_json[0].2.starts_with("Invalid JSON: "));
    }

    #[test]
    fn reason_and_remark_errors_use_the_schema_templates_together() {
        let long = "x".repeat(101);
        let found = errors(&format!(
            r#"{{"Irn":"{IRN}","CnlRsn":"5","CnlRem":"{long}"}}"#
        ));
        assert_eq!(
            found,
            vec![
                (
                    "2140",
                    "CnlRsn".to_owned(),
                    "The field CnlRsn must be one of: 1, 2, 3, 4.".to_owned()
                ),
                (
                    "2140",
                    "CnlRem".to_owned(),
                    "The field CnlRem must be a string with a minimum length of 1 and a maximum length of 100.".to_owned()
                ),
            ]
        );
        let found = errors(&format!(r#"{{"Irn":"{IRN}","CnlRem":"say \"no\""}}"#));
        assert_eq!(
            found,
            vec![
                (
                    "2140",
                    "CnlRsn".to_owned(),
                    "The CnlRsn field is required.".to_owned()
                ),
                (
                    "2140",
                    "CnlRem".to_owned(),
                    "The field CnlRem must match the regular expression '^([^\\\"])*$'.".to_owned()
                ),
            ]
        );
        let found = errors(&format!(r#"{{"Irn":"{IRN}","CnlRsn":"01"}}"#));
        assert_eq!(found[0].2, "The field CnlRsn must be one of: 1, 2, 3, 4.");
        let found = errors(&format!(r#"{{"Irn":"{IRN}","CnlRsn":""}}"#));
        assert_eq!(found[0].2, "The CnlRsn field is required.");
        let exactly_100 = "y".repeat(100);
        let body = format!(r#"{{"Irn":"{IRN}","CnlRsn":"1","CnlRem":"{exactly_100}"}}"#);
        assert!(parse_cancel_request(body.as_bytes()).is_ok());
    }
}
