//! One element's result as `irp bulk` writes it: the shape of the portal's bulk results
//! (`09` §2.3), a JSON entry and a CSV row with the same columns as E8's CSV.

use std::path::Path;

use anyhow::Context as _;
use irp_client::Envelope;
use serde_json::Value;

use super::Kind;

/// An element's result: a success or the failure the portal answered.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub index: u64,
    pub success: bool,
    pub json: String,
    pub csv: String,
}

/// A JSON string member value.
fn string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned())
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

/// A member of a JSON object read in any case.
fn member<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    value
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// `DocDtls.Typ`, `No`, `Dt` of a request, as sent, where it can be read.
fn document(request: &[u8]) -> [String; 3] {
    let parsed: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let details = member(&parsed, "DocDtls").cloned().unwrap_or(Value::Null);
    ["Typ", "No", "Dt"].map(|name| text(member(&details, name)))
}

fn info_codes(info: Option<&Value>) -> String {
    info.and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|entry| text(entry.get("InfCd")))
                .collect::<Vec<_>>()
                .join("|")
        })
        .unwrap_or_default()
}

impl Outcome {
    /// A registered element: `data` is the generate answer's `Data`.
    pub fn generated(index: u64, request: &[u8], data: &Value, info: Option<&Value>) -> Outcome {
        let [typ, no, dt] = document(request);
        let field = |name: &str| text(data.get(name));
        let json = format!(
            "{{\"Index\":{index},\"Status\":1,\"Result\":{},\"InfoDtls\":{}}}",
            data,
            info.map_or_else(|| "null".to_owned(), Value::to_string)
        );
        let csv = csv_row(&[
            &index.to_string(),
            "1",
            &typ,
            &no,
            &dt,
            &field("Irn"),
            &field("AckNo"),
            &field("AckDt"),
            &field("EwbNo"),
            &field("EwbDt"),
            &field("EwbValidTill"),
            "",
            "",
            &info_codes(info),
        ]);
        Outcome {
            index,
            success: true,
            json,
            csv,
        }
    }

    /// A cancelled IRN; `cancel_date` is empty when the cancellation was found done already.
    pub fn cancelled(index: u64, irn: &str, cancel_date: &str) -> Outcome {
        let json = format!(
            "{{\"Index\":{index},\"Status\":1,\"Result\":{{\"Irn\":{},\"CancelDate\":{}}},\"InfoDtls\":null}}",
            string(irn),
            if cancel_date.is_empty() {
                "null".to_owned()
            } else {
                string(cancel_date)
            }
        );
        let csv = csv_row(&[&index.to_string(), "1", irn, cancel_date, "", ""]);
        Outcome {
            index,
            success: true,
            json,
            csv,
        }
    }

    /// An element the portal refused, or that could not be sent as it is.
    pub fn failed(kind: Kind, index: u64, request: &[u8], answer: &Envelope) -> Outcome {
        let codes: Vec<&str> = answer
            .error_details
            .iter()
            .map(|(c, _)| c.as_str())
            .collect();
        let messages: Vec<&str> = answer
            .error_details
            .iter()
            .map(|(_, m)| m.as_str())
            .collect();
        let details = answer
            .raw
            .get("ErrorDetails")
            .cloned()
            .unwrap_or(Value::Null);
        let info = answer.info_dtls.as_ref();
        let info_json = info.map_or_else(|| "null".to_owned(), Value::to_string);
        let (json, csv) = match kind {
            Kind::Generate => {
                let [typ, no, dt] = document(request);
                let or_null = |text: &str| {
                    if text.is_empty() {
                        "null".to_owned()
                    } else {
                        string(text)
                    }
                };
                (
                    format!(
                        "{{\"Index\":{index},\"Status\":0,\"DocTyp\":{},\"DocNo\":{},\"DocDt\":{},\"ErrorDetails\":{details},\"InfoDtls\":{info_json}}}",
                        or_null(&typ),
                        or_null(&no),
                        or_null(&dt)
                    ),
                    csv_row(&[
                        &index.to_string(),
                        "0",
                        &typ,
                        &no,
                        &dt,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        &codes.join("|"),
                        &messages.join("|"),
                        &info_codes(info),
                    ]),
                )
            }
            Kind::Cancel => {
                let parsed: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
                let irn = text(member(&parsed, "Irn"));
                (
                    format!(
                        "{{\"Index\":{index},\"Status\":0,\"Irn\":{},\"ErrorDetails\":{details},\"InfoDtls\":{info_json}}}",
                        if irn.is_empty() {
                            "null".to_owned()
                        } else {
                            string(&irn)
                        }
                    ),
                    csv_row(&[
                        &index.to_string(),
                        "0",
                        &irn,
                        "",
                        &codes.join("|"),
                        &messages.join("|"),
                    ]),
                )
            }
        };
        Outcome {
            index,
            success: false,
            json,
            csv,
        }
    }
}

/// One CSV row (RFC 4180); a field a spreadsheet would run as a formula gets a leading
/// apostrophe, as the portal's own CSV does.
fn csv_row(fields: &[&str]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let guarded: Vec<String> = fields
        .iter()
        .map(|field| {
            if field.starts_with(['=', '+', '-', '@']) {
                format!("'{field}")
            } else {
                (*field).to_owned()
            }
        })
        .collect();
    let _ = writer.write_record(&guarded);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_owned()
}

/// The workbook of the results CSV at `path`.
pub fn workbook_from_csv(kind: Kind, path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let split = |text: &str| -> Vec<String> {
        if text.is_empty() {
            Vec::new()
        } else {
            text.split('|').map(str::to_owned).collect()
        }
    };
    let mut generated = Vec::new();
    let mut cancelled = Vec::new();
    for record in reader.records() {
        let record = record?;
        let field = |n: usize| record.get(n).unwrap_or("").to_owned();
        let index: u64 = field(0).parse().unwrap_or(0);
        let success = field(1) == "1";
        match kind {
            Kind::Generate => generated.push(irp_sheet::GenerateResult {
                index,
                success,
                doc_typ: field(2),
                doc_no: field(3),
                doc_dt: field(4),
                irn: field(5),
                ack_no: field(6),
                ack_dt: field(7),
                ewb_no: field(8),
                ewb_dt: field(9),
                ewb_valid_till: field(10),
                error_codes: split(&field(11)),
                error_messages: split(&field(12)),
                info_codes: split(&field(13)),
            }),
            Kind::Cancel => cancelled.push(irp_sheet::CancelResult {
                index,
                success,
                irn: field(2),
                cancel_date: field(3),
                error_codes: split(&field(4)),
                error_messages: split(&field(5)),
            }),
        }
    }
    let results = match kind {
        Kind::Generate => irp_sheet::Results::Generate(&generated),
        Kind::Cancel => irp_sheet::Results::Cancel(&cancelled),
    };
    irp_sheet::results_workbook(results).map_err(|error| anyhow::anyhow!("{error}"))
}
