//! Bulk upload (issue 17): the offline tool's JSON file or the product's Excel template,
//! submitted as one bulk task (`bulk::api::create_task`, as E5/E6 do), and the task's progress
//! page. The downloads are in `bulk_files`.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use irp_core::ack::format_timestamp;
use irp_core::codes::Code;
use irp_core::error::ErrorDetail;
use irp_store::{BulkKind, BulkTask};

use crate::bulk::api::{create_task, readable_task, task_status};
use crate::bulk::split;
use crate::envelope::ApiError;
use crate::state::AppState;
use crate::web::bulk_files::{Failure, failures};
use crate::web::{Chrome, OrPage as _, WebError, WebUser, html, input};

/// Failed elements listed on the task page; the error file has them all.
const FAILURES_SHOWN: usize = 100;

/// One reason a file was refused, with its place: a sheet cell, or a JSON path.
pub struct Refusal {
    pub code: String,
    pub place: String,
    pub message: String,
}

impl From<ErrorDetail> for Refusal {
    fn from(error: ErrorDetail) -> Refusal {
        Refusal {
            code: error.code.as_str().to_owned(),
            place: error.path,
            message: error.message,
        }
    }
}

#[derive(Template)]
#[template(path = "web/bulk.html")]
struct UploadPage {
    chrome: Chrome,
    max_kib: usize,
    max_documents: usize,
    cancel: bool,
    file_name: String,
    refusals: Vec<Refusal>,
    more: bool,
}

fn upload_page(state: &AppState, user: &WebUser, cancel: bool) -> UploadPage {
    UploadPage {
        chrome: user.chrome(state),
        max_kib: state.settings.bulk.max_body_bytes / 1024,
        max_documents: state.settings.bulk.max_documents,
        cancel,
        file_name: String::new(),
        refusals: Vec::new(),
        more: false,
    }
}

/// `GET /bulk`: the upload form.
pub async fn page(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    Ok(html(&upload_page(&state, &user, false)))
}

/// `POST /bulk`: one file, JSON or `.xlsx`, made into a task; its page, or the file's
/// problems (and no task).
pub async fn submit(
    State(state): State<AppState>,
    user: WebUser,
    request: Request,
) -> Result<Response, WebError> {
    let max_bytes = state.settings.bulk.max_body_bytes;
    // The form's other fields and the multipart framing come on top of the file.
    let parts = input::multipart(&state, request, max_bytes + 64 * 1024).await?;
    user.check_form(input::text(&parts, "csrf"))?;
    let cancel = input::text(&parts, "kind").is_some_and(|k| k.eq_ignore_ascii_case("cancel"));
    let kind = if cancel {
        BulkKind::Cancel
    } else {
        BulkKind::Generate
    };
    let Some(file) = input::file(&parts, "file") else {
        return Err(WebError::BadRequest(
            "Choose a JSON file or an Excel workbook to upload.".to_owned(),
        ));
    };
    let mut page = upload_page(&state, &user, cancel);
    page.file_name = file.file_name.clone().unwrap_or_default();
    if file.bytes.len() > max_bytes {
        let message = format!(
            "The file is {} KiB; a bulk upload takes at most {} KiB. Split it into smaller files.",
            file.bytes.len().div_ceil(1024),
            max_bytes / 1024
        );
        let refusal = Refusal {
            code: Code::E5002.as_str().to_owned(),
            place: "file".to_owned(),
            message,
        };
        return Ok(refuse(page, StatusCode::PAYLOAD_TOO_LARGE, vec![refusal]));
    }
    let xlsx = file.bytes.starts_with(b"PK\x03\x04")
        || page.file_name.to_ascii_lowercase().ends_with(".xlsx");
    if xlsx && cancel {
        let refusal = Refusal {
            code: String::new(),
            place: "file".to_owned(),
            message: "The Excel template holds invoices to generate; a cancellation task is \
                      a JSON array of {Irn, CnlRsn, CnlRem}."
                .to_owned(),
        };
        return Ok(refuse(
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![refusal],
        ));
    }
    let limits = irp_sheet::Limits {
        max_bytes,
        max_rows: u32::try_from(state.settings.bulk.max_documents * 1000 + 1).unwrap_or(u32::MAX),
    };
    // Megabytes of JSON or a workbook: read off the runtime, so that single calls go on.
    let bytes = file.bytes.clone();
    let read = tokio::task::spawn_blocking(move || read_file(&bytes, xlsx, kind, &limits))
        .await
        .or_page()?;
    let elements = match read {
        Ok(elements) => elements,
        Err(Unreadable::Sheet(error)) => {
            page.more = error.more;
            let refusals = error
                .problems
                .into_iter()
                .map(|problem| Refusal {
                    code: String::new(),
                    place: problem.place,
                    message: problem.message,
                })
                .collect();
            return Ok(refuse(page, StatusCode::UNPROCESSABLE_ENTITY, refusals));
        }
        Err(Unreadable::Json(error)) => return Ok(refused(page, error)),
    };
    let elements: Vec<&[u8]> = elements.iter().map(Vec::as_slice).collect();
    let max_documents = state.settings.bulk.max_documents;
    if elements.len() > max_documents {
        let refusal = Refusal {
            code: Code::E5002.as_str().to_owned(),
            place: "file".to_owned(),
            message: format!(
                "The file holds {} documents; a bulk upload takes at most {max_documents}. \
                 Split it into smaller files.",
                elements.len()
            ),
        };
        return Ok(refuse(page, StatusCode::PAYLOAD_TOO_LARGE, vec![refusal]));
    }
    match create_task(&state, &user.caller, None, kind, &elements).await {
        Ok(task) => Ok(Redirect::to(&format!("/bulk/{}", task.task_id)).into_response()),
        Err(error) => Ok(refused(page, error)),
    }
}

/// Why an uploaded file gives no documents.
enum Unreadable {
    Sheet(irp_sheet::SheetError),
    Json(ApiError),
}

/// The documents of an uploaded file: the workbook's invoices, or the JSON array's elements.
fn read_file(
    bytes: &[u8],
    xlsx: bool,
    kind: BulkKind,
    limits: &irp_sheet::Limits,
) -> Result<Vec<Vec<u8>>, Unreadable> {
    if xlsx {
        let documents = irp_sheet::read_invoices(bytes, limits).map_err(Unreadable::Sheet)?;
        return Ok(documents.into_iter().map(|d| d.json.into_bytes()).collect());
    }
    let elements = split::elements(bytes, kind == BulkKind::Generate).map_err(Unreadable::Json)?;
    Ok(elements.into_iter().map(<[u8]>::to_vec).collect())
}

/// The upload page listing why the file was refused; no task was created.
fn refuse(mut page: UploadPage, status: StatusCode, refusals: Vec<Refusal>) -> Response {
    page.refusals = refusals;
    let mut response = html(&page);
    *response.status_mut() = status;
    response
}

/// The upload page listing the portal's answer (spec codes) to a file.
fn refused(page: UploadPage, error: ApiError) -> Response {
    let refusals = error.errors.into_iter().map(Refusal::from).collect();
    refuse(page, StatusCode::UNPROCESSABLE_ENTITY, refusals)
}

/// The task `task_id` names if it is `user`'s; "not found" otherwise, as for a document.
pub(crate) async fn own_task(
    state: &AppState,
    user: &WebUser,
    task_id: &str,
) -> Result<BulkTask, WebError> {
    readable_task(state, &user.caller, task_id)
        .await
        .map_err(|error| {
            if error.errors.iter().any(|e| e.code == Code::E2226) {
                WebError::NotFound
            } else {
                WebError::Internal
            }
        })
}

#[derive(Template)]
#[template(path = "web/bulk_task.html")]
struct TaskPage {
    chrome: Chrome,
    task_id: String,
    cancel: bool,
    status: &'static str,
    total: u32,
    processed: u32,
    succeeded: u32,
    failed: u32,
    submitted_at: String,
    completed_at: String,
    failures: Vec<Failure>,
    /// Failed elements beyond those listed.
    more_failures: usize,
}

impl TaskPage {
    fn done(&self) -> bool {
        self.status == "DONE"
    }
}

/// `GET /bulk/{task_id}`: progress, counts, the failures so far and the downloads; the page
/// reloads itself every 2 seconds until the task is done.
pub async fn task(
    State(state): State<AppState>,
    user: WebUser,
    Path(task_id): Path<String>,
) -> Result<Response, WebError> {
    let task = own_task(&state, &user, &task_id).await?;
    let results = state
        .store
        .bulk_results(&task.task_id, 0, task.total)
        .await
        .or_page()?;
    let mut failed = failures(task.kind, &results);
    let more_failures = failed.len().saturating_sub(FAILURES_SHOWN);
    failed.truncate(FAILURES_SHOWN);
    Ok(html(&TaskPage {
        chrome: user.chrome(&state),
        status: task_status(&task, state.clock.now()),
        cancel: task.kind == BulkKind::Cancel,
        total: task.total,
        processed: task.processed,
        succeeded: task.succeeded,
        failed: task.failed,
        submitted_at: format_timestamp(task.submitted_at),
        completed_at: task.completed_at.map(format_timestamp).unwrap_or_default(),
        task_id: task.task_id,
        failures: failed,
        more_failures,
    }))
}
