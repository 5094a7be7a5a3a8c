//! A taxpayer's documents: the dashboard, search, the e-invoice view, print, the signed JSON,
//! cancellation, and generation from an uploaded INV-01 file.

use askama::Template;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use irp_core::ack::format_timestamp;
use irp_core::bind::{parse_cancel_request, parse_date};
use irp_core::canonical::format_date;
use irp_core::error::ErrorDetail;
use irp_core::invoice::DocType;
use irp_core::irn::Irn;
use irp_core::json::ObjectWriter;
use irp_store::{
    ActivityCounts, EwbRecord, EwbStatus, InvoiceRecord, InvoiceSearch, InvoiceStatus,
    InvoiceSummary,
};

use crate::api::QueryParams;
use crate::api::invoice::{cancel_invoice, register_invoice};
use crate::api::print::{PrintPage, page as print_page, print_html};
use crate::api::records::{bind_stored, owns, signed_data};
use crate::state::AppState;
use crate::web::{Chrome, OrPage as _, WebError, WebUser, html, input, portal_name};

/// Documents per page of the list.
const PAGE_SIZE: u32 = 25;

/// The page for a failure the API's operations have logged already (`OrCode` logs the
/// portal's own failures where they happen), so it is not logged twice.
fn logged(_: crate::envelope::ApiError) -> WebError {
    WebError::Internal
}

/// One row of a document table.
struct Row {
    irn: String,
    doc_type: &'static str,
    doc_no: String,
    doc_date: String,
    buyer: String,
    ack_no: u64,
    ack_dt: String,
    status: &'static str,
    portal: &'static str,
}

impl From<&InvoiceSummary> for Row {
    fn from(s: &InvoiceSummary) -> Row {
        Row {
            irn: s.irn.to_string(),
            doc_type: s.doc_type.code(),
            doc_no: s.doc_no.clone(),
            doc_date: format_date(s.doc_date),
            buyer: s.buyer_gstin.clone().unwrap_or_default(),
            ack_no: s.ack_no,
            ack_dt: format_timestamp(s.ack_dt),
            status: status_label(s.status),
            portal: portal_name(s.portal),
        }
    }
}

fn status_label(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Active => "Active",
        InvoiceStatus::Cancelled => "Cancelled",
        InvoiceStatus::Rejected => "Rejected",
    }
}

#[derive(Template)]
#[template(path = "web/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    today: ActivityCounts,
    month: ActivityCounts,
    latest: Vec<Row>,
}

/// `GET /dashboard`: today's and this month's counts (IST) and the latest documents.
pub async fn dashboard(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    let now = state.clock.now();
    let today = now.date();
    let month_start = today.with_day(1).unwrap_or(today);
    let gstin = &user.caller.gstin;
    let store = &state.store;
    let today_counts = store
        .activity_since(gstin, today.and_time(NaiveTime::MIN))
        .await
        .or_page()?;
    let month_counts = store
        .activity_since(gstin, month_start.and_time(NaiveTime::MIN))
        .await
        .or_page()?;
    let latest = store
        .search_invoices(&InvoiceSearch {
            party: gstin.clone(),
            limit: 10,
            ..InvoiceSearch::default()
        })
        .await
        .or_page()?;
    Ok(html(&Dashboard {
        chrome: user.chrome(&state),
        today: today_counts,
        month: month_counts,
        latest: latest.iter().map(Row::from).collect(),
    }))
}

#[derive(Template)]
#[template(path = "web/list.html")]
struct ListPage {
    chrome: Chrome,
    criteria: Criteria,
    problems: Vec<String>,
    rows: Vec<Row>,
    page: u32,
    previous: Option<String>,
    next: Option<String>,
}

/// The search form as the user filled it in, echoed back.
#[derive(Default, Clone)]
struct Criteria {
    doc_no: String,
    irn: String,
    buyer: String,
    from: String,
    to: String,
    doc_type: String,
    status: String,
}

impl Criteria {
    fn query(&self, page: u32) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("doc_no", &self.doc_no),
            ("irn", &self.irn),
            ("buyer", &self.buyer),
            ("from", &self.from),
            ("to", &self.to),
            ("type", &self.doc_type),
            ("status", &self.status),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        query.append_pair("page", &page.to_string());
        format!("/invoices?{}", query.finish())
    }
}

/// `GET /invoices`: the user's documents, by any of document number, IRN, buyer GSTIN, document
/// date range, type and status, newest first, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let query = QueryParams::parse(query.as_deref().unwrap_or(""));
    let field = |name: &str| {
        query
            .get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let criteria = Criteria {
        doc_no: field("doc_no"),
        irn: field("irn"),
        buyer: field("buyer").to_ascii_uppercase(),
        from: field("from"),
        to: field("to"),
        doc_type: field("type").to_ascii_uppercase(),
        status: field("status").to_ascii_uppercase(),
    };
    let page = field("page").parse::<u32>().unwrap_or(1).clamp(1, 10_000);
    let mut problems = Vec::new();
    let date = |text: &str, label: &str, problems: &mut Vec<String>| -> Option<NaiveDate> {
        if text.is_empty() {
            return None;
        }
        let parsed = parse_date(text, (1900, 9999))
            .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
        if parsed.is_none() {
            problems.push(format!("{label}: “{text}” is not a date (dd/mm/yyyy)."));
        }
        parsed
    };
    let doc_date_from = date(&criteria.from, "From", &mut problems);
    let doc_date_to = date(&criteria.to, "To", &mut problems);
    let irn = if criteria.irn.is_empty() {
        None
    } else {
        let parsed = Irn::parse(&criteria.irn.to_ascii_lowercase());
        if parsed.is_none() {
            problems.push("IRN: 64 hexadecimal characters.".to_owned());
        }
        parsed
    };
    let doc_type = match criteria.doc_type.as_str() {
        "" => None,
        code => DocType::from_code(code),
    };
    let status = match criteria.status.as_str() {
        "ACT" => Some(InvoiceStatus::Active),
        "CNL" => Some(InvoiceStatus::Cancelled),
        _ => None,
    };
    let doc_no = (!criteria.doc_no.is_empty()).then(|| {
        if state.settings.rules.uppercase_docno {
            criteria.doc_no.to_ascii_uppercase()
        } else {
            criteria.doc_no.clone()
        }
    });
    let mut rows = Vec::new();
    let mut more = false;
    if problems.is_empty() {
        let found = state
            .store
            .search_invoices(&InvoiceSearch {
                party: user.caller.gstin.clone(),
                doc_no,
                irn,
                buyer_gstin: (!criteria.buyer.is_empty()).then(|| criteria.buyer.clone()),
                doc_date_from,
                doc_date_to,
                doc_type,
                status,
                offset: (page - 1) * PAGE_SIZE,
                // One more than shown says whether there is a next page.
                limit: PAGE_SIZE + 1,
            })
            .await
            .or_page()?;
        more = found.len() > PAGE_SIZE as usize;
        rows = found
            .iter()
            .take(PAGE_SIZE as usize)
            .map(Row::from)
            .collect();
    }
    Ok(html(&ListPage {
        chrome: user.chrome(&state),
        previous: (page > 1).then(|| criteria.query(page - 1)),
        next: more.then(|| criteria.query(page + 1)),
        criteria,
        problems,
        rows,
        page,
    }))
}

/// The record of `irn` if `user` may see it (as supplier or operator), registered at either
/// portal; otherwise "not found", never "not yours".
pub(crate) async fn own_record(
    state: &AppState,
    user: &WebUser,
    irn: &str,
) -> Result<InvoiceRecord, WebError> {
    let irn = Irn::parse(&irn.to_ascii_lowercase()).ok_or(WebError::NotFound)?;
    let record = state.store.invoice(&irn).await.or_page()?;
    record
        .filter(|r| r.status != InvoiceStatus::Rejected && owns(&user.caller, r))
        .ok_or(WebError::NotFound)
}

#[derive(Template)]
#[template(path = "web/view.html")]
struct ViewPage {
    chrome: Chrome,
    print: PrintPage,
    status: &'static str,
    cancellable: bool,
    /// Active and without an active e-way bill.
    ewb_possible: bool,
    ewb: Option<EwbView>,
    just_generated: bool,
}

struct EwbView {
    number: u64,
    date: String,
    valid_till: String,
    status: &'static str,
}

impl From<&EwbRecord> for EwbView {
    fn from(ewb: &EwbRecord) -> EwbView {
        EwbView {
            number: ewb.ewb_no,
            date: format_timestamp(ewb.ewb_dt),
            valid_till: ewb
                .valid_till
                .map(format_timestamp)
                .unwrap_or_else(|| "Part A only: no validity until Part B is given".to_owned()),
            status: if ewb.status == EwbStatus::Active {
                "Active"
            } else {
                "Cancelled"
            },
        }
    }
}

/// `GET /invoices/{irn}`: every field of the e-invoice as signed, the QR code, and its e-way bill.
pub async fn view(
    State(state): State<AppState>,
    user: WebUser,
    Path(irn): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let record = own_record(&state, &user, &irn).await?;
    let data = signed_data(&record).map_err(logged)?;
    let invoice = bind_stored(&data, &record.irn)
        .ok_or("the stored signed invoice does not bind")
        .or_page()?;
    let qr_svg =
        irp_core::qr::render_svg(&record.signed_qr_code, state.settings.print.qr_ecc).or_page()?;
    let ewb = state.store.latest_ewb(&record.irn).await.or_page()?;
    let active = record.status == InvoiceStatus::Active;
    let in_window =
        state.clock.now() - record.ack_dt <= Duration::hours(state.settings.cancel.window_hours);
    let print = print_page(
        &record,
        &invoice,
        qr_svg,
        portal_name(state.settings.portal.id),
        format_timestamp(state.clock.now()),
    );
    Ok(html(&ViewPage {
        chrome: user.chrome(&state),
        print,
        status: status_label(record.status),
        cancellable: active && in_window,
        ewb_possible: active && ewb.as_ref().is_none_or(|e| e.status != EwbStatus::Active),
        ewb: ewb.as_ref().map(EwbView::from),
        just_generated: query.as_deref().is_some_and(|q| q.contains("new=1")),
    }))
}

/// `GET /invoices/{irn}/print`: the print view, a page of its own for the browser to print.
pub async fn print(
    State(state): State<AppState>,
    user: WebUser,
    Path(irn): Path<String>,
) -> Result<Response, WebError> {
    let record = own_record(&state, &user, &irn).await?;
    let data = signed_data(&record).map_err(logged)?;
    let page = print_html(&state, &record, &data).map_err(logged)?;
    let mut response = page.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The print view carries its own style sheet, inline, so it prints the same when saved.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        ),
    );
    Ok(response)
}

/// `GET /invoices/{irn}/print.pdf`: the A4 PDF (`crate::pdf`), to download or print.
pub async fn print_pdf(
    State(state): State<AppState>,
    user: WebUser,
    Path(irn): Path<String>,
) -> Result<Response, WebError> {
    let record = own_record(&state, &user, &irn).await?;
    let data = signed_data(&record).map_err(logged)?;
    let pdf = crate::api::print::print_pdf(&state, &record, &data)
        .await
        .map_err(logged)?;
    let name = format!("inline; filename=\"e-invoice-{}.pdf\"", record.irn);
    Ok(file(pdf, "application/pdf", &name))
}

/// `GET /invoices/{irn}/signed.json`: the registration as generate returns it, to keep.
pub async fn signed_json(
    State(state): State<AppState>,
    user: WebUser,
    Path(irn): Path<String>,
) -> Result<Response, WebError> {
    let record = own_record(&state, &user, &irn).await?;
    let mut json = String::new();
    let mut object = ObjectWriter::open(&mut json);
    object.raw("AckNo", &record.ack_no.to_string());
    object.str("AckDt", &format_timestamp(record.ack_dt));
    object.str("Irn", record.irn.as_str());
    object.str("SignedInvoice", &record.signed_invoice);
    object.str("SignedQRCode", &record.signed_qr_code);
    object.str("Status", record.status.code());
    object.close();
    let name = format!("attachment; filename=\"{}.json\"", record.irn);
    Ok(file(json, "application/json; charset=utf-8", &name))
}

/// A document to download (`disposition` names its file), never cached.
pub(crate) fn file(
    body: impl IntoResponse,
    content_type: &'static str,
    disposition: &str,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[derive(Template)]
#[template(path = "web/cancel.html")]
struct CancelPage {
    chrome: Chrome,
    irn: String,
    doc: String,
    reason: String,
    remark: String,
    errors: Vec<ErrorDetail>,
}

/// `GET /invoices/{irn}/cancel`: the confirmation step, with reason and remark.
pub async fn cancel_page(
    State(state): State<AppState>,
    user: WebUser,
    Path(irn): Path<String>,
) -> Result<Response, WebError> {
    let record = own_record(&state, &user, &irn).await?;
    Ok(html(&CancelPage {
        chrome: user.chrome(&state),
        irn: record.irn.to_string(),
        doc: format!(
            "{} {} of {}",
            record.doc_type.code(),
            record.doc_no,
            format_date(record.doc_date)
        ),
        reason: String::new(),
        remark: String::new(),
        errors: Vec::new(),
    }))
}

/// `POST /invoices/{irn}/cancel`: the cancel API's request, checked by the same parser (C-01 to
/// C-07), by this user; the document's page on success, the form with the errors otherwise.
pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(irn): Path<String>,
    body: axum::body::Body,
) -> Result<Response, WebError> {
    let fields = input::form(&state, body).await?;
    user.check_form(fields.get("csrf"))?;
    let record = own_record(&state, &user, &irn).await?;
    let reason = fields.get("reason").unwrap_or_default().to_owned();
    let remark = fields.get("remark").unwrap_or_default().to_owned();
    let mut request = String::new();
    let mut object = ObjectWriter::open(&mut request);
    object.str("Irn", record.irn.as_str());
    object.str("CnlRsn", &reason);
    object.str("CnlRem", &remark);
    object.close();
    let outcome = match parse_cancel_request(request.as_bytes()) {
        // The record's own portal: the web mode acts across portals whatever `compat` says.
        Ok(parsed) => cancel_invoice(&state, &user.caller, Some(record.portal), &parsed).await,
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/invoices/{}", record.irn)).into_response()),
        Err(error) => Ok(html(&CancelPage {
            chrome: user.chrome(&state),
            irn: record.irn.to_string(),
            doc: format!("{} {}", record.doc_type.code(), record.doc_no),
            reason,
            remark,
            errors: error.errors,
        })),
    }
}

#[derive(Template)]
#[template(path = "web/report.html")]
pub(crate) struct ReportPage {
    pub chrome: Chrome,
    pub title: &'static str,
    pub errors: Vec<ErrorDetail>,
    pub file_name: String,
}

/// `POST /invoices/upload`: one INV-01 JSON file, generated as the API would generate it; the
/// new document's page, or the validation report.
pub async fn upload(
    State(state): State<AppState>,
    user: WebUser,
    request: Request,
) -> Result<Response, WebError> {
    let limit = state.settings.limits.max_body_bytes + 64 * 1024;
    let parts = input::multipart(&state, request, limit).await?;
    user.check_form(input::text(&parts, "csrf"))?;
    let Some(file) = input::file(&parts, "file") else {
        return Err(WebError::BadRequest(
            "Choose an INV-01 JSON file to upload.".to_owned(),
        ));
    };
    let file_name = file.file_name.clone().unwrap_or_default();
    if irp_core::json::parse(&file.bytes).is_err() {
        return Ok(report(
            &state,
            &user,
            file_name,
            vec![ErrorDetail::with_message(
                irp_core::codes::Code::E2142,
                "",
                "The file is not JSON: upload the invoice as an INV-01 JSON file, as the API takes it.".to_owned(),
            )],
        ));
    }
    match register_invoice(&state, &user.caller, &file.bytes).await {
        Ok(registered) => {
            Ok(Redirect::to(&format!("/invoices/{}?new=1", registered.record.irn)).into_response())
        }
        Err(error) => Ok(report(&state, &user, file_name, error.errors)),
    }
}

fn report(
    state: &AppState,
    user: &WebUser,
    file_name: String,
    errors: Vec<ErrorDetail>,
) -> Response {
    let mut response = html(&ReportPage {
        chrome: user.chrome(state),
        title: "The invoice was not registered",
        errors,
        file_name,
    });
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    response
}
