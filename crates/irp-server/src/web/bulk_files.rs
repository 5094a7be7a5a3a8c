//! A bulk task's downloads: the results as E8 gives them (JSON, CSV), as a workbook, and the
//! error file of the failed elements alone; and the blank Excel template.

use axum::extract::{Path, State};
use axum::response::Response;
use irp_sheet::{CancelResult, GenerateResult, Results};
use irp_store::{BulkKind, BulkTask, ElementResult};
use serde_json::Value;

use crate::bulk::api::results_csv;
use crate::bulk::csv_row;
use crate::state::AppState;
use crate::web::bulk::own_task;
use crate::web::documents::file;
use crate::web::{OrPage as _, WebError, WebUser};

const CSV: &str = "text/csv; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One error of a failed element.
pub struct ElementError {
    pub code: String,
    pub message: String,
}

/// A failed element, as its E8 entry names it.
pub struct Failure {
    pub index: u32,
    pub doc_typ: String,
    pub doc_no: String,
    pub doc_dt: String,
    /// For a cancel task, in place of the document.
    pub irn: String,
    pub errors: Vec<ElementError>,
}

/// The text of member `name` (a string or a number), or empty.
fn text(value: &Value, name: &str) -> String {
    match value.get(name) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

/// Every `name` member of the objects of the array `array`.
fn list(value: &Value, array: &str, name: &str) -> Vec<String> {
    value
        .get(array)
        .and_then(Value::as_array)
        .map(|entries| entries.iter().map(|entry| text(entry, name)).collect())
        .unwrap_or_default()
}

fn parse(result: &ElementResult) -> Value {
    serde_json::from_str(&result.result).unwrap_or(Value::Null)
}

/// The failed elements among `results`, in array order.
pub fn failures(kind: BulkKind, results: &[ElementResult]) -> Vec<Failure> {
    results
        .iter()
        .filter(|result| !result.succeeded)
        .map(|result| {
            let entry = parse(result);
            let codes = list(&entry, "ErrorDetails", "ErrorCode");
            let messages = list(&entry, "ErrorDetails", "ErrorMessage");
            let cancel = kind == BulkKind::Cancel;
            Failure {
                index: result.index,
                doc_typ: if cancel {
                    String::new()
                } else {
                    text(&entry, "DocTyp")
                },
                doc_no: if cancel {
                    String::new()
                } else {
                    text(&entry, "DocNo")
                },
                doc_dt: if cancel {
                    String::new()
                } else {
                    text(&entry, "DocDt")
                },
                irn: if cancel {
                    text(&entry, "Irn")
                } else {
                    String::new()
                },
                errors: codes
                    .into_iter()
                    .zip(messages)
                    .map(|(code, message)| ElementError { code, message })
                    .collect(),
            }
        })
        .collect()
}

/// The fields of a CSV row (RFC 4180, as `bulk::results` writes them).
fn csv_fields(row: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A generate task's result row. The document fields of a success are not in its E8 JSON
/// entry (its `Result` is the single call's `Data`), so they come from its CSV row.
fn generate_row(result: &ElementResult) -> GenerateResult {
    let entry = parse(result);
    let index = u64::from(result.index);
    let info_codes = list(&entry, "InfoDtls", "InfCd");
    if result.succeeded {
        let data = entry.get("Result").cloned().unwrap_or(Value::Null);
        let csv = csv_fields(&result.csv);
        let column = |n: usize| csv.get(n).cloned().unwrap_or_default();
        GenerateResult {
            index,
            success: true,
            doc_typ: column(2),
            doc_no: column(3),
            doc_dt: column(4),
            irn: text(&data, "Irn"),
            ack_no: text(&data, "AckNo"),
            ack_dt: text(&data, "AckDt"),
            ewb_no: text(&data, "EwbNo"),
            ewb_dt: text(&data, "EwbDt"),
            ewb_valid_till: text(&data, "EwbValidTill"),
            info_codes,
            ..GenerateResult::default()
        }
    } else {
        GenerateResult {
            index,
            success: false,
            doc_typ: text(&entry, "DocTyp"),
            doc_no: text(&entry, "DocNo"),
            doc_dt: text(&entry, "DocDt"),
            error_codes: list(&entry, "ErrorDetails", "ErrorCode"),
            error_messages: list(&entry, "ErrorDetails", "ErrorMessage"),
            info_codes,
            ..GenerateResult::default()
        }
    }
}

fn cancel_row(result: &ElementResult) -> CancelResult {
    let entry = parse(result);
    let index = u64::from(result.index);
    if result.succeeded {
        let data = entry.get("Result").cloned().unwrap_or(Value::Null);
        CancelResult {
            index,
            success: true,
            irn: text(&data, "Irn"),
            cancel_date: text(&data, "CancelDate"),
            ..CancelResult::default()
        }
    } else {
        CancelResult {
            index,
            success: false,
            irn: text(&entry, "Irn"),
            error_codes: list(&entry, "ErrorDetails", "ErrorCode"),
            error_messages: list(&entry, "ErrorDetails", "ErrorMessage"),
            ..CancelResult::default()
        }
    }
}

/// The error file: one line per error of each failed element.
fn errors_csv(kind: BulkKind, results: &[ElementResult]) -> String {
    let mut out = String::from(match kind {
        BulkKind::Generate => "Index,DocTyp,DocNo,DocDt,ErrorCode,ErrorMessage\r\n",
        BulkKind::Cancel => "Index,Irn,ErrorCode,ErrorMessage\r\n",
    });
    for failure in failures(kind, results) {
        let index = failure.index.to_string();
        let none = [ElementError {
            code: String::new(),
            message: String::new(),
        }];
        let errors = if failure.errors.is_empty() {
            &none[..]
        } else {
            &failure.errors[..]
        };
        for error in errors {
            let line = match kind {
                BulkKind::Generate => csv_row(&[
                    &index,
                    &failure.doc_typ,
                    &failure.doc_no,
                    &failure.doc_dt,
                    &error.code,
                    &error.message,
                ]),
                BulkKind::Cancel => csv_row(&[&index, &failure.irn, &error.code, &error.message]),
            };
            out.push_str(&line);
            out.push_str("\r\n");
        }
    }
    out
}

/// The task and the results recorded so far, for `user` only.
async fn task_results(
    state: &AppState,
    user: &WebUser,
    task_id: &str,
) -> Result<(BulkTask, Vec<ElementResult>), WebError> {
    let task = own_task(state, user, task_id).await?;
    let results = state
        .store
        .bulk_results(&task.task_id, 0, task.total)
        .await
        .or_page()?;
    Ok((task, results))
}

fn attachment(task: &BulkTask, name: &str) -> String {
    format!("attachment; filename=\"bulk-{}-{name}\"", task.task_id)
}

/// `GET /bulk/template.xlsx`: the blank Excel template, its example invoice dated today (IST)
/// so that it can be uploaded as it is.
pub async fn template(State(state): State<AppState>, _user: WebUser) -> Response {
    let today = irp_core::canonical::format_date(state.clock.now().date());
    file(
        irp_sheet::template_dated(&today),
        XLSX,
        "attachment; filename=\"bulk-upload-template.xlsx\"",
    )
}

/// `GET /bulk/{task_id}/results.json`: the E8 JSON array.
pub async fn results_json(
    State(state): State<AppState>,
    user: WebUser,
    Path(task_id): Path<String>,
) -> Result<Response, WebError> {
    let (task, results) = task_results(&state, &user, &task_id).await?;
    let out = crate::bulk::api::results_json(&results);
    Ok(file(out, JSON, &attachment(&task, "results.json")))
}

/// `GET /bulk/{task_id}/results.csv`: the E8 CSV.
pub async fn results_csv_file(
    State(state): State<AppState>,
    user: WebUser,
    Path(task_id): Path<String>,
) -> Result<Response, WebError> {
    let (task, results) = task_results(&state, &user, &task_id).await?;
    let text = results_csv(task.kind, &results);
    Ok(file(text, CSV, &attachment(&task, "results.csv")))
}

/// `GET /bulk/{task_id}/results.xlsx`: the results as a workbook, the CSV's columns.
pub async fn results_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Path(task_id): Path<String>,
) -> Result<Response, WebError> {
    let (task, results) = task_results(&state, &user, &task_id).await?;
    let workbook = match task.kind {
        BulkKind::Generate => {
            let rows: Vec<GenerateResult> = results.iter().map(generate_row).collect();
            irp_sheet::results_workbook(Results::Generate(&rows))
        }
        BulkKind::Cancel => {
            let rows: Vec<CancelResult> = results.iter().map(cancel_row).collect();
            irp_sheet::results_workbook(Results::Cancel(&rows))
        }
    }
    .or_page()?;
    Ok(file(workbook, XLSX, &attachment(&task, "results.xlsx")))
}

/// `GET /bulk/{task_id}/errors.csv`: the failed elements only, one line per error.
pub async fn errors_file(
    State(state): State<AppState>,
    user: WebUser,
    Path(task_id): Path<String>,
) -> Result<Response, WebError> {
    let (task, results) = task_results(&state, &user, &task_id).await?;
    let text = errors_csv(task.kind, &results);
    Ok(file(text, CSV, &attachment(&task, "errors.csv")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_split_as_written() {
        let row = csv_row(&["1", "a,b", "say \"hi\"", "", "=x"]);
        assert_eq!(csv_fields(&row), ["1", "a,b", "say \"hi\"", "", "'=x"]);
    }

    #[test]
    fn the_error_file_has_a_line_per_error() {
        let failed = ElementResult {
            index: 2,
            succeeded: false,
            result: r#"{"Index":2,"Status":0,"DocTyp":"INV","DocNo":"A/1","DocDt":"01/12/2026","ErrorDetails":[{"ErrorCode":"2150","ErrorMessage":"Duplicate"},{"ErrorCode":"3028","ErrorMessage":"Bad, GSTIN"}],"InfoDtls":null}"#.to_owned(),
            csv: String::new(),
        };
        let ok = ElementResult {
            index: 0,
            succeeded: true,
            result: r#"{"Index":0,"Status":1,"Result":{"Irn":"ab","AckNo":112610000000001,"AckDt":"2026-12-01 10:00:00","EwbNo":null},"InfoDtls":null}"#.to_owned(),
            csv: "0,1,INV,B/2,01/12/2026,ab,112610000000001,2026-12-01 10:00:00,,,,,,".to_owned(),
        };
        let text = errors_csv(BulkKind::Generate, &[ok.clone(), failed.clone()]);
        assert_eq!(
            text,
            "Index,DocTyp,DocNo,DocDt,ErrorCode,ErrorMessage\r\n\
             2,INV,A/1,01/12/2026,2150,Duplicate\r\n\
             2,INV,A/1,01/12/2026,3028,\"Bad, GSTIN\"\r\n"
        );
        let row = generate_row(&ok);
        assert_eq!(
            (
                row.doc_no.as_str(),
                row.ack_no.as_str(),
                row.ewb_no.as_str()
            ),
            ("B/2", "112610000000001", "")
        );
        let row = generate_row(&failed);
        assert_eq!(row.error_codes, ["2150", "3028"]);
    }
}
