//! E-way bills from an e-invoice: the Part B form (with the PIN-to-PIN distance the portal
//! computes), the e-way bill's page, which prints, and its cancellation. The request is the
//! Generate EWB by IRN API's, bound by its parser and made by `create_for_irn`; cancelling
//! calls the E-Way Bill API's `cancel_ewb`.

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use irp_core::ack::format_timestamp;
use irp_core::bind::parse_ewb_request;
use irp_core::error::ErrorDetail;
use irp_core::ewb::{estimate_distance, places};
use irp_core::json::ObjectWriter;
use irp_store::{EwbCancellation, EwbRecord, EwbStatus};

use crate::api::ewb::create_for_irn;
use crate::api::ewb_cancel::cancel_ewb;
use crate::api::records::{owns, stored_invoice};
use crate::state::AppState;
use crate::web::documents::own_record;
use crate::web::input::Fields;
use crate::web::{Chrome, OrPage as _, WebError, WebUser, html, input};

/// The Part B form as typed.
#[derive(Default)]
struct PartB {
    distance: String,
    mode: String,
    transporter_id: String,
    transporter_name: String,
    doc_no: String,
    doc_date: String,
    vehicle: String,
    vehicle_type: String,
}

impl PartB {
    fn from_fields(fields: &Fields) -> PartB {
        let text = |name: &str| fields.get(name).unwrap_or_default().to_owned();
        PartB {
            distance: text("distance"),
            mode: text("mode"),
            transporter_id: text("transporter_id").to_ascii_uppercase(),
            transporter_name: text("transporter_name"),
            doc_no: text("doc_no"),
            doc_date: text("doc_date"),
            vehicle: text("vehicle").to_ascii_uppercase(),
            vehicle_type: text("vehicle_type"),
        }
    }

    fn is_mode(&self, mode: &str) -> bool {
        self.mode == mode
    }

    /// The Generate EWB by IRN request (`06` §5.2) for `irn`: blank fields are left out.
    fn request(&self, irn: &str) -> String {
        let mut out = String::new();
        let mut object = ObjectWriter::open(&mut out);
        object.str("Irn", irn);
        match self.distance.parse::<u32>() {
            Ok(km) => object.raw("Distance", &km.to_string()),
            Err(_) if self.distance.is_empty() => object.raw("Distance", "0"),
            Err(_) => object.str("Distance", &self.distance),
        }
        for (name, value) in [
            ("TransMode", &self.mode),
            ("TransId", &self.transporter_id),
            ("TransName", &self.transporter_name),
            ("TransDocNo", &self.doc_no),
            ("TransDocDt", &self.doc_date),
            ("VehNo", &self.vehicle),
            ("VehType", &self.vehicle_type),
        ] {
            object.opt_str(name, Some(value.as_str()).filter(|v| !v.is_empty()));
        }
        object.close();
        out
    }
}

#[derive(Template)]
#[template(path = "web/ewb_form.html")]
struct FormPage {
    chrome: Chrome,
    irn: String,
    doc: String,
    route: String,
    estimate: Option<u32>,
    input: PartB,
    errors: Vec<ErrorDetail>,
}

/// The route of the e-invoice's goods and the portal's distance estimate for it.
fn route_and_estimate(
    state: &AppState,
    record: &irp_store::InvoiceRecord,
) -> (String, Option<u32>) {
    let Ok(invoice) = stored_invoice(record) else {
        return (String::new(), None);
    };
    let (from, to) = places(&invoice, None, None);
    let route = match to {
        Some(to) => format!("PIN {} to PIN {}", from.pin, to.pin),
        None => format!("from PIN {}", from.pin),
    };
    let estimate = to.and_then(|to| {
        estimate_distance(from.pin, to.pin, state.settings.ewb.road_factor).map(|e| e.road_km)
    });
    (route, estimate)
}

fn form_page(
    state: &AppState,
    user: &WebUser,
    record: &irp_store::InvoiceRecord,
    input: PartB,
    errors: Vec<ErrorDetail>,
) -> Response {
    let (route, estimate) = route_and_estimate(state, record);
    html(&FormPage {
        chrome: user.chrome(state),
        irn: record.irn.to_string(),
        doc: format!("{} {}", record.doc_type.code(), record.doc_no),
        route,
        estimate,
        input,
        errors,
    })
}

/// `GET /invoices/{irn}/ewb`: the Part B form.
pub async fn form(
    State(state): State<AppState>,
    user: WebUser,
    Path(irn): Path<String>,
) -> Result<Response, WebError> {
    let record = own_record(&state, &user, &irn).await?;
    let input = PartB {
        mode: "1".to_owned(),
        vehicle_type: "R".to_owned(),
        ..PartB::default()
    };
    Ok(form_page(&state, &user, &record, input, Vec::new()))
}

/// `POST /invoices/{irn}/ewb`: the e-way bill's page, or the form with the errors.
pub async fn generate(
    State(state): State<AppState>,
    user: WebUser,
    Path(irn): Path<String>,
    body: Body,
) -> Result<Response, WebError> {
    let fields = input::form(&state, body).await?;
    user.check_form(fields.get("csrf"))?;
    let record = own_record(&state, &user, &irn).await?;
    let input = PartB::from_fields(&fields);
    let request = input.request(record.irn.as_str());
    let outcome = match parse_ewb_request(request.as_bytes(), &state.settings.rules) {
        // The record's own portal: the web mode acts across portals whatever `compat` says.
        Ok(parsed) => create_for_irn(&state, &user.caller, Some(record.portal), &parsed)
            .await
            .map_err(|error| error.errors),
        Err(errors) => Err(errors),
    };
    match outcome {
        Ok((ewb, _)) => Ok(Redirect::to(&format!("/ewb/{}", ewb.ewb_no)).into_response()),
        Err(errors) => {
            let mut response = form_page(&state, &user, &record, input, errors);
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[derive(Template)]
#[template(path = "web/ewb.html")]
struct EwbPage {
    chrome: Chrome,
    number: u64,
    irn: String,
    doc: String,
    date: String,
    valid_till: String,
    distance: u32,
    mode: String,
    vehicle: String,
    transporter: String,
    active: bool,
    cancelled: String,
    qr_svg: String,
    errors: Vec<String>,
}

/// The e-way bill `number` if the user may see it: the supplier or operator of its e-invoice,
/// or the taxpayer who generated it.
async fn own_ewb(
    state: &AppState,
    user: &WebUser,
    number: &str,
) -> Result<(EwbRecord, irp_store::InvoiceRecord), WebError> {
    let number: u64 = number.parse().map_err(|_| WebError::NotFound)?;
    let ewb = state
        .store
        .ewb(number)
        .await
        .or_page()?
        .ok_or(WebError::NotFound)?;
    let invoice = state
        .store
        .invoice(&ewb.irn)
        .await
        .or_page()?
        .ok_or(WebError::NotFound)?;
    if ewb.gen_gstin != user.caller.gstin && !owns(&user.caller, &invoice) {
        return Err(WebError::NotFound);
    }
    Ok((ewb, invoice))
}

fn ewb_page(
    state: &AppState,
    user: &WebUser,
    ewb: &EwbRecord,
    invoice: &irp_store::InvoiceRecord,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let qr_svg =
        irp_core::qr::render_svg(&ewb.ewb_no.to_string(), irp_core::qr::QrEcc::M).or_page()?;
    let mode = match ewb.trans_mode.as_deref() {
        Some("1") => "Road",
        Some("2") => "Rail",
        Some("3") => "Air",
        Some("4") => "Ship",
        _ => "—",
    };
    Ok(html(&EwbPage {
        chrome: user.chrome(state),
        number: ewb.ewb_no,
        irn: ewb.irn.to_string(),
        doc: format!("{} {}", invoice.doc_type.code(), invoice.doc_no),
        date: format_timestamp(ewb.ewb_dt),
        valid_till: ewb.valid_till.map(format_timestamp).unwrap_or_else(|| {
            "Part A only: not valid for movement until Part B is given".to_owned()
        }),
        distance: ewb.distance_km,
        mode: mode.to_owned(),
        vehicle: ewb.veh_no.clone().unwrap_or_default(),
        transporter: [ewb.trans_id.clone(), ewb.trans_name.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
        active: ewb.status == EwbStatus::Active,
        cancelled: ewb
            .cancellation
            .as_ref()
            .map(|c| format_timestamp(c.at))
            .unwrap_or_default(),
        qr_svg,
        errors,
    }))
}

/// `GET /ewb/{number}`: the e-way bill, printable, with its cancellation form while active.
pub async fn view(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    let (ewb, invoice) = own_ewb(&state, &user, &number).await?;
    ewb_page(&state, &user, &ewb, &invoice, Vec::new())
}

/// `POST /ewb/{number}/cancel`: the reason, a remark, and the confirmation box.
pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(number): Path<String>,
    body: Body,
) -> Result<Response, WebError> {
    let fields = input::form(&state, body).await?;
    user.check_form(fields.get("csrf"))?;
    let (ewb, invoice) = own_ewb(&state, &user, &number).await?;
    let again = |message: String| ewb_page(&state, &user, &ewb, &invoice, vec![message]);
    if fields.get("confirm") != Some("yes") {
        return again("Tick the box to confirm the cancellation.".to_owned());
    }
    let Some(reason) = fields
        .get("reason")
        .and_then(|r| r.parse::<u8>().ok())
        .filter(|r| (1..=4).contains(r))
    else {
        return again("Choose the reason for the cancellation.".to_owned());
    };
    let remark = fields.get("remark").map(str::to_owned);
    if remark.as_ref().is_some_and(|r| r.chars().count() > 50) {
        return again("The remark may have 50 characters at most.".to_owned());
    }
    let cancellation = EwbCancellation {
        at: state.clock.now(),
        reason,
        remark,
        by_gstin: user.caller.gstin.clone(),
    };
    match cancel_ewb(&state, ewb.ewb_no, &cancellation).await {
        Ok(()) => Ok(Redirect::to(&format!("/ewb/{}", ewb.ewb_no)).into_response()),
        Err(error) => again(
            error
                .errors
                .iter()
                .map(|e| format!("{} {}", e.code.as_str(), e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}
