//! Each element's result (`09` §2.3): its E8 JSON entry and its E8 CSV row, made once when
//! the element is processed.

use irp_core::json::{ObjectWriter, Value};
use irp_store::{BulkKind, ElementResult};

use crate::envelope::{ApiError, Info, write_error_details, write_info_details};

/// The CSV header of a task's results: the columns of `09` §2.3, as the result workbooks have
/// them (`irp_sheet`).
pub fn csv_header(kind: BulkKind) -> String {
    match kind {
        BulkKind::Generate => irp_sheet::GENERATE_COLUMNS,
        BulkKind::Cancel => irp_sheet::CANCEL_COLUMNS,
    }
    .join(",")
}

/// A registered element: `data` is the single call's `Data`.
pub fn generated(index: u32, request: &[u8], data: &str, info: &[Info]) -> ElementResult {
    let mut result = String::with_capacity(data.len() + 128);
    let mut object = ObjectWriter::open(&mut result);
    object.raw("Index", &index.to_string());
    object.raw("Status", "1");
    object.raw("Result", data);
    write_info_details(object.key("InfoDtls"), info);
    object.close();
    let document = Document::read(request);
    let fields = DataFields::read(data);
    let csv = row(&[
        &index.to_string(),
        "1",
        &document.typ,
        &document.no,
        &document.dt,
        &fields.irn,
        &fields.ack_no,
        &fields.ack_dt,
        &fields.ewb_no,
        &fields.ewb_dt,
        &fields.ewb_valid_till,
        "",
        "",
        &info_codes(info),
    ]);
    ElementResult {
        index,
        succeeded: true,
        result,
        csv,
    }
}

/// A cancelled element.
pub fn cancelled(index: u32, irn: &str, cancel_date: &str) -> ElementResult {
    let mut result = String::with_capacity(160);
    let mut object = ObjectWriter::open(&mut result);
    object.raw("Index", &index.to_string());
    object.raw("Status", "1");
    object.object("Result", |inner| {
        inner.str("Irn", irn);
        inner.str("CancelDate", cancel_date);
    });
    object.raw("InfoDtls", "null");
    object.close();
    let csv = row(&[&index.to_string(), "1", irn, cancel_date, "", ""]);
    ElementResult {
        index,
        succeeded: true,
        result,
        csv,
    }
}

/// An element refused with `error`, naming the document (or the IRN) as far as the request
/// could be read.
pub fn failed(kind: BulkKind, index: u32, request: &[u8], error: &ApiError) -> ElementResult {
    let codes: Vec<&str> = error.errors.iter().map(|e| e.code.as_str()).collect();
    let messages: Vec<&str> = error.errors.iter().map(|e| e.message.as_str()).collect();
    let mut result = String::with_capacity(256);
    let mut object = ObjectWriter::open(&mut result);
    object.raw("Index", &index.to_string());
    object.raw("Status", "0");
    let csv = match kind {
        BulkKind::Generate => {
            let document = Document::read(request);
            for (name, value) in [
                ("DocTyp", &document.typ),
                ("DocNo", &document.no),
                ("DocDt", &document.dt),
            ] {
                if value.is_empty() {
                    object.raw(name, "null");
                } else {
                    object.str(name, value);
                }
            }
            row(&[
                &index.to_string(),
                "0",
                &document.typ,
                &document.no,
                &document.dt,
                "",
                "",
                "",
                "",
                "",
                "",
                &codes.join("|"),
                &messages.join("|"),
                &info_codes(&error.info),
            ])
        }
        BulkKind::Cancel => {
            let irn = members(request, &[&["Irn"]]).swap_remove(0);
            if irn.is_empty() {
                object.raw("Irn", "null");
            } else {
                object.str("Irn", &irn);
            }
            row(&[
                &index.to_string(),
                "0",
                &irn,
                "",
                &codes.join("|"),
                &messages.join("|"),
            ])
        }
    };
    write_error_details(object.key("ErrorDetails"), &error.errors);
    write_info_details(object.key("InfoDtls"), &error.info);
    object.close();
    ElementResult {
        index,
        succeeded: false,
        result,
        csv,
    }
}

/// `DocDtls` of a generate request, as sent, where it could be read.
struct Document {
    typ: String,
    no: String,
    dt: String,
}

impl Document {
    fn read(request: &[u8]) -> Document {
        let [typ, no, dt]: [String; 3] = members(
            request,
            &[&["DocDtls", "Typ"], &["DocDtls", "No"], &["DocDtls", "Dt"]],
        )
        .try_into()
        .unwrap_or_default();
        Document { typ, no, dt }
    }
}

/// The texts at `paths` in a JSON object (member names in any case), each empty where absent;
/// the JSON is parsed once.
pub(super) fn members(json: &[u8], paths: &[&[&str]]) -> Vec<String> {
    let Ok(root) = irp_core::json::parse(json) else {
        return vec![String::new(); paths.len()];
    };
    paths
        .iter()
        .map(|path| {
            let mut value = &root;
            for name in *path {
                match value.get_ignore_case(name) {
                    Some(inner) => value = inner,
                    None => return String::new(),
                }
            }
            match value {
                Value::String(text) => text.to_string(),
                Value::Number(text) => text.to_string(),
                _ => String::new(),
            }
        })
        .collect()
}

/// The CSV columns taken from a single call's `Data`.
struct DataFields {
    irn: String,
    ack_no: String,
    ack_dt: String,
    ewb_no: String,
    ewb_dt: String,
    ewb_valid_till: String,
}

impl DataFields {
    fn read(data: &str) -> DataFields {
        let [irn, ack_no, ack_dt, ewb_no, ewb_dt, ewb_valid_till]: [String; 6] = members(
            data.as_bytes(),
            &[
                &["Irn"],
                &["AckNo"],
                &["AckDt"],
                &["EwbNo"],
                &["EwbDt"],
                &["EwbValidTill"],
            ],
        )
        .try_into()
        .unwrap_or_default();
        DataFields {
            irn,
            ack_no,
            ack_dt,
            ewb_no,
            ewb_dt,
            ewb_valid_till,
        }
    }
}

fn info_codes(info: &[Info]) -> String {
    info.iter()
        .map(|entry| match entry {
            Info::DuplicateIrn { .. } => "DUPIRN",
            Info::PinDistance(_) => "EWBPPD",
            Info::EwbError { .. } => "EWBERR",
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// One CSV row (RFC 4180): a field with a comma, quote or line end is quoted. A field a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading apostrophe.
pub fn row(fields: &[&str]) -> String {
    let mut out = String::with_capacity(fields.iter().map(|f| f.len() + 3).sum());
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let guarded;
        let field = if field.starts_with(['=', '+', '-', '@']) {
            guarded = format!("'{field}");
            guarded.as_str()
        } else {
            field
        };
        if field.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use irp_core::codes::Code;

    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(
            row(&["a", "b,c", "say \"hi\"", ""]),
            r#"a,"b,c","say ""hi""","#
        );
        assert_eq!(row(&["=SUM(A1)", "-1", "@x", "ok"]), "'=SUM(A1),'-1,'@x,ok");
        assert_eq!(row(&["line\nbreak"]), "\"line\nbreak\"");
    }

    #[test]
    fn a_failure_names_the_document_as_sent() {
        let request = br#"{"DocDtls":{"Typ":"INV","No":"A,1","Dt":"01/12/2026"}}"#;
        let error = ApiError::many(vec![
            irp_core::error::ErrorDetail::coded(Code::E2150, "", &[]),
            irp_core::error::ErrorDetail::coded(Code::E2255, "", &[]),
        ]);
        let result = failed(BulkKind::Generate, 3, request, &error);
        assert!(!result.succeeded);
        let json: serde_json::Value = serde_json::from_str(&result.result).unwrap();
        assert_eq!(json["Index"], 3);
        assert_eq!(json["Status"], 0);
        assert_eq!(json["DocTyp"], "INV");
        assert_eq!(json["DocNo"], "A,1");
        assert_eq!(json["DocDt"], "01/12/2026");
        assert_eq!(json["ErrorDetails"][0]["ErrorCode"], "2150");
        assert_eq!(json["InfoDtls"], serde_json::Value::Null);
        assert!(
            result
                .csv
                .starts_with("3,0,INV,\"A,1\",01/12/2026,,,,,,,2150|2255,"),
            "{}",
            result.csv
        );
        // Unreadable requests leave the document fields null.
        let result = failed(BulkKind::Generate, 0, b"[1]", &error);
        let json: serde_json::Value = serde_json::from_str(&result.result).unwrap();
        assert_eq!(json["DocNo"], serde_json::Value::Null);
        let result = failed(BulkKind::Cancel, 1, br#"{"irn":"ABC"}"#, &error);
        let json: serde_json::Value = serde_json::from_str(&result.result).unwrap();
        assert_eq!(json["Irn"], "ABC");
        assert!(
            result.csv.starts_with("1,0,ABC,,2150|2255,"),
            "{}",
            result.csv
        );
    }

    #[test]
    fn a_success_carries_the_single_calls_data() {
        let data = r#"{"AckNo":112610000000001,"AckDt":"2026-12-08 10:00:00","Irn":"ab","SignedInvoice":"x","SignedQRCode":"y","Status":"ACT","EwbNo":null,"EwbDt":null,"EwbValidTill":null,"Remarks":null}"#;
        let request = br#"{"DocDtls":{"Typ":"INV","No":"B/2","Dt":"08/12/2026"}}"#;
        let result = generated(5, request, data, &[]);
        let json: serde_json::Value = serde_json::from_str(&result.result).unwrap();
        assert_eq!(json["Status"], 1);
        assert_eq!(json["Result"]["AckNo"], 112_610_000_000_001_u64);
        assert_eq!(
            result.csv,
            "5,1,INV,B/2,08/12/2026,ab,112610000000001,2026-12-08 10:00:00,,,,,,"
        );
        let result = cancelled(2, "cd", "2026-12-08 11:00:00");
        let json: serde_json::Value = serde_json::from_str(&result.result).unwrap();
        assert_eq!(json["Result"]["CancelDate"], "2026-12-08 11:00:00");
        assert_eq!(result.csv, "2,1,cd,2026-12-08 11:00:00,,");
    }
}
