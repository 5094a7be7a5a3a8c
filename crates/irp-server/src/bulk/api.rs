//! E5–E8 (`09` §2): submit a task, watch it, read its results. Same headers, token and `Data`
//! encryption as every call; tasks are in the shared registry, so any node of either portal
//! answers for any task.

use axum::extract::{Path, RawQuery, State};
use chrono::{Duration, NaiveDateTime};
use irp_core::ack::format_timestamp;
use irp_core::codes::Code;
use irp_core::json::ObjectWriter;
use irp_store::{BulkKind, BulkTask};

use super::results::csv_header;
use super::split;
use super::task_id::{new_task_id, parse_task_id};
use crate::api::pipeline::BodyRules;
use crate::api::{Caller, NicBody, NicCall, OrCode as _, QueryParams};
use crate::envelope::{ApiError, Envelope};
use crate::settings::Settings;
use crate::state::AppState;

/// The bodies of `bulk/generate` and `bulk/cancel`: up to `bulk.max_body_bytes`.
pub struct BulkBody;

impl BodyRules for BulkBody {
    fn limit(settings: &Settings) -> usize {
        settings.bulk.max_body_bytes
    }
}

/// `POST /eiext/v1.00/bulk/generate` (E5).
pub async fn generate(
    State(state): State<AppState>,
    request: NicBody<BulkBody>,
) -> Result<Envelope, ApiError> {
    submit(&state, &request, BulkKind::Generate).await
}

/// `POST /eiext/v1.00/bulk/cancel` (E6).
pub async fn cancel(
    State(state): State<AppState>,
    request: NicBody<BulkBody>,
) -> Result<Envelope, ApiError> {
    submit(&state, &request, BulkKind::Cancel).await
}

async fn submit(
    state: &AppState,
    request: &NicBody<BulkBody>,
    kind: BulkKind,
) -> Result<Envelope, ApiError> {
    let irp = request.call.irp()?;
    // Megabytes of JSON: decrypted and split off the runtime, so that single calls go on.
    let plaintext = request.plaintext_off_runtime().await?;
    let (plaintext, ranges) = tokio::task::spawn_blocking(move || {
        let ranges = split::element_ranges(&plaintext, kind == BulkKind::Generate)?;
        Ok::<_, ApiError>((plaintext, ranges))
    })
    .await
    .or_code(Code::E5001)??;
    let elements: Vec<&[u8]> = ranges.into_iter().map(|range| &plaintext[range]).collect();
    let task = create_task(state, request.caller(), irp, kind, &elements).await?;
    let mut out = String::with_capacity(96);
    let mut object = ObjectWriter::open(&mut out);
    object.str("TaskId", &task.task_id);
    object.str("Kind", kind.code());
    object.raw("Count", &task.total.to_string());
    object.close();
    Ok(request.call.encrypted(&out))
}

/// Stores a new task of `elements` for `caller` and wakes this node's worker: the one way in,
/// for the API and the web upload page alike. `5002` above `bulk.max_documents`.
pub async fn create_task(
    state: &AppState,
    caller: &Caller,
    irp_header: Option<u8>,
    kind: BulkKind,
    elements: &[&[u8]],
) -> Result<BulkTask, ApiError> {
    if elements.len() > state.settings.bulk.max_documents {
        return Err(ApiError::code(Code::E5002));
    }
    let total = u32::try_from(elements.len()).or_code(Code::E5002)?;
    let now = state.clock.now();
    let task = BulkTask {
        task_id: new_task_id(epoch_millis(now)),
        kind,
        gstin: caller.gstin.clone(),
        sup_gstin: caller.sup_gstin.clone(),
        client_id: caller.client_id.clone(),
        user_name: caller.user_name.clone(),
        irp_header,
        portal: state.settings.portal.id,
        total,
        processed: 0,
        succeeded: 0,
        failed: 0,
        submitted_at: now,
        completed_at: None,
        expires_at: now + Duration::days(state.settings.bulk.retention_days),
        lease_owner: None,
        lease_until: None,
    };
    state
        .store
        .create_bulk_task(&task, elements)
        .await
        .or_code(Code::E5001)?;
    state.bulk_wakeup.notify_one();
    Ok(task)
}

fn epoch_millis(now: NaiveDateTime) -> u64 {
    u64::try_from(now.and_utc().timestamp_millis()).unwrap_or(0)
}

/// `GET /eiext/v1.00/bulk/{taskId}` (E7).
pub async fn status(
    State(state): State<AppState>,
    Path(task_id): Path<String>,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    let task = readable_task(&state, &call.caller, &task_id).await?;
    Ok(call.encrypted(&status_json(&task, state.clock.now())))
}

/// The task `task_id` names, if `caller` may read it: `2226` for anyone else and for an
/// unknown or expired id alike (`09` §2.1).
pub async fn readable_task(
    state: &AppState,
    caller: &Caller,
    task_id: &str,
) -> Result<BulkTask, ApiError> {
    let task_id = parse_task_id(task_id).or_code(Code::E2226)?;
    let now = state.clock.now();
    state
        .store
        .bulk_task(&task_id)
        .await
        .or_code(Code::E5001)?
        .filter(|task| task.gstin == caller.gstin && task.expires_at > now)
        .or_code(Code::E2226)
}

/// `QUEUED`, `RUNNING` or `DONE` (`09` §2.2).
pub fn task_status(task: &BulkTask, now: NaiveDateTime) -> &'static str {
    if task.completed_at.is_some() {
        "DONE"
    } else if task.processed > 0 || task.lease_until.is_some_and(|until| until > now) {
        "RUNNING"
    } else {
        "QUEUED"
    }
}

fn status_json(task: &BulkTask, now: NaiveDateTime) -> String {
    let mut out = String::with_capacity(256);
    let mut object = ObjectWriter::open(&mut out);
    object.str("TaskId", &task.task_id);
    object.str("Kind", task.kind.code());
    object.str("Status", task_status(task, now));
    object.raw("Total", &task.total.to_string());
    object.raw("Processed", &task.processed.to_string());
    object.raw("Succeeded", &task.succeeded.to_string());
    object.raw("Failed", &task.failed.to_string());
    object.str("SubmittedAt", &format_timestamp(task.submitted_at));
    match task.completed_at {
        Some(at) => object.str("CompletedAt", &format_timestamp(at)),
        None => object.raw("CompletedAt", "null"),
    }
    object.str("Irp", if task.portal == 2 { "NIC2" } else { "NIC1" });
    object.close();
    out
}

/// `GET /eiext/v1.00/bulk/{taskId}/results?format=json|csv` (E8): the results recorded so far,
/// in array order.
pub async fn results(
    State(state): State<AppState>,
    Path(task_id): Path<String>,
    RawQuery(query): RawQuery,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    let format = QueryParams::parse(query.as_deref().unwrap_or(""))
        .get("format")
        .unwrap_or_else(|| "json".to_owned())
        .to_ascii_lowercase();
    let csv = match format.as_str() {
        "json" => false,
        "csv" => true,
        _ => return Err(ApiError::code(Code::E2142)),
    };
    let task = readable_task(&state, &call.caller, &task_id).await?;
    let results = state
        .store
        .bulk_results(&task.task_id, 0, task.total)
        .await
        .or_code(Code::E5001)?;
    if csv {
        let text = results_csv(task.kind, &results);
        let mut out = String::with_capacity(text.len() * 4 / 3 + 96);
        let mut object = ObjectWriter::open(&mut out);
        object.str("ContentType", "text/csv; charset=utf-8");
        object.str(
            "Content",
            &irp_core::protocol::encode_base64(text.as_bytes()),
        );
        object.close();
        return Ok(call.encrypted(&out));
    }
    Ok(call.encrypted(&results_json(&results)))
}

/// The JSON array of a task's results (E8's `Data`).
pub fn results_json(results: &[irp_store::ElementResult]) -> String {
    let mut out =
        String::with_capacity(results.iter().map(|r| r.result.len() + 1).sum::<usize>() + 2);
    out.push('[');
    for (index, result) in results.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&result.result);
    }
    out.push(']');
    out
}

/// The CSV of a task's results, header first, lines ended by CRLF (RFC 4180).
pub fn results_csv(kind: BulkKind, results: &[irp_store::ElementResult]) -> String {
    let mut text =
        String::with_capacity(results.iter().map(|r| r.csv.len() + 2).sum::<usize>() + 160);
    text.push_str(&csv_header(kind));
    text.push_str("\r\n");
    for result in results {
        text.push_str(&result.csv);
        text.push_str("\r\n");
    }
    text
}
