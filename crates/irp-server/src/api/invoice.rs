//! Generate, get, get by document, cancel (`02` #2–#5, `06` §1–§3).

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Timelike};
use irp_core::ack::{Ack, format_timestamp};
use irp_core::bind::{InvoiceRequest, parse_date};
use irp_core::error::ErrorDetail;
use irp_core::invoice::{DocType, Invoice};
use irp_core::irn::Irn;
use irp_core::json::{self, ObjectWriter, Value};
use irp_core::register::MemoryRegister;
use irp_core::validate::{Caller as Role, Context, authorise, check_business_rules};
use irp_store::{Cancellation, InvoiceRecord, InvoiceStatus, PackedSignedInvoice, Registration};

use crate::api::{
    Caller, QueryParams, SessionSource, authenticate, envelope_data, internal, read_body,
    session_ended, unless_session_ended,
};
use crate::envelope::{ApiError, Envelope, Info};
use crate::headers::Headers;
use crate::settings::Compat;
use crate::state::AppState;

/// `POST /eicore/v1.03/Invoice`: the pipeline of `04` §1. The session may come from the node's
/// cache: the registration re-reads it in its own transaction, and an error is answered only
/// after the registry confirms the session still exists.
pub async fn generate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Envelope, ApiError> {
    let headers = Headers::from_map(&headers);
    let body = read_body(body, state.settings.limits.max_body_bytes_large).await?;
    let caller = authenticate(&state, &headers, SessionSource::Cache).await?;
    match register_invoice(&state, &caller, &body).await {
        Ok(envelope) => Ok(envelope),
        Err(error) => Err(unless_session_ended(&state, &caller, error).await),
    }
}

async fn register_invoice(
    state: &AppState,
    caller: &Caller,
    body: &[u8],
) -> Result<Envelope, ApiError> {
    if body.len() > state.settings.limits.max_body_bytes
        && !allows_large_bodies(state, &caller.gstin).await?
    {
        return Err(ApiError::code("5002"));
    }
    let plaintext = caller.decrypt(&envelope_data(body)?)?;

    // Stages 1–2: the register is fetched first, because the item limit depends on it.
    let request = InvoiceRequest::parse(&plaintext);
    let register = register_for(state, &request.referenced_gstins()).await?;
    let rules = &state.settings.rules;
    // Shared with the signing thread without copying it.
    let invoice = Arc::new(request.bind(rules, &register).map_err(ApiError::many)?);
    // The JSON tree is not needed past binding: free it before the signing and commit waits.
    drop(request);

    // Stage 3: authorisation, then duplicates.
    let role = authorise(&invoice, &caller.gstin, caller.sup_gstin.as_deref())?;
    let irn = Irn::of(&invoice);

    // Stage 4: business rules. The duplicate check of stage 3 must win over them, but almost
    // every request is new: the registry is asked only when the rules fail, and otherwise the
    // registration itself (stage 5) detects a duplicate under the IRN's unique key.
    let now = state.clock.now();
    let verdict = {
        let context = Context {
            rules,
            register: &register,
            today: now.date(),
        };
        check_business_rules(&invoice, &context)
    };
    if let Err(errors) = verdict {
        let existing = state
            .store
            .invoice(irn.as_str())
            .await
            .map_err(|error| registry_down(&error))?;
        if let Some(existing) = existing.filter(|e| e.status != InvoiceStatus::Rejected) {
            return Err(duplicate(state, &existing, role, caller));
        }
        return Err(ApiError::many(errors));
    }

    // Stage 5: register atomically, then answer with what was stored.
    let (record, packed) = sign_and_record(state, &invoice, irn, now, caller).await?;
    let (record, registration) = state
        .register(record, packed, &caller.token_hash)
        .await
        .map_err(|error| registry_down(&error))?;
    match registration {
        Registration::Inserted => {
            // Stage 6: the e-way bill asked for in `EwbDtls`; the IRN stands whatever happens.
            let (ewb, info) =
                crate::api::ewb::with_invoice(state, caller, &invoice, &record.irn).await;
            let mut envelope = caller.encrypted(&invoice_data(state, &record, ewb.as_ref()));
            envelope.info = info;
            Ok(envelope)
        }
        Registration::Duplicate(winner) => Err(duplicate(state, &winner, role, caller)),
        Registration::SessionEnded => Err(session_ended(state, caller)),
    }
}

/// Whether header `Gstin` may send bodies up to `limits.max_body_bytes_large` (D-33).
async fn allows_large_bodies(state: &AppState, gstin: &str) -> Result<bool, ApiError> {
    let taxpayers = state
        .store
        .taxpayers(&[gstin])
        .await
        .map_err(|error| internal("register look-up", &error))?;
    Ok(taxpayers
        .first()
        .and_then(|t| t.max_items)
        .is_some_and(|max| max > 1000))
}

/// The register entries of the GSTINs the request names.
async fn register_for(state: &AppState, gstins: &[String]) -> Result<MemoryRegister, ApiError> {
    let names: Vec<&str> = gstins.iter().map(String::as_str).collect();
    let found = state
        .taxpayers(&names)
        .await
        .map_err(|error| registry_down(&error))?;
    let mut register = MemoryRegister::new();
    for taxpayer in found {
        register.insert(taxpayer);
    }
    Ok(register)
}

/// Allocates the AckNo, signs both documents off the async runtime (packing the signed invoice
/// for storage there too, from the payload at hand), and builds the record.
async fn sign_and_record(
    state: &AppState,
    invoice: &Arc<Invoice>,
    irn: Irn,
    now: NaiveDateTime,
    caller: &Caller,
) -> Result<(InvoiceRecord, Option<PackedSignedInvoice>), ApiError> {
    let ack_no = state
        .next_ack_no(now)
        .await
        .map_err(|error| registry_down(&error))?;
    let ack = Ack {
        ack_no,
        ack_dt: now,
    };
    let signer = state.clone();
    let to_sign = Arc::clone(invoice);
    let irn_for_signing = irn.clone();
    let (signed, packed) = state
        .signing_pool
        .run(move || {
            let signed = irp_core::signed::sign(
                &signer.signing_key,
                &signer.signing_options,
                &to_sign,
                &irn_for_signing,
                &ack,
            );
            let packed =
                PackedSignedInvoice::of(&signed.signed_invoice, signed.invoice_payload.as_bytes());
            (signed, packed)
        })
        .await
        .ok_or_else(|| {
            tracing::error!("the signing pool did not answer");
            ApiError::code("2147")
        })?;
    let record = InvoiceRecord {
        irn: irn.as_str().to_owned(),
        seller_gstin: invoice.seller_dtls.gstin.as_str().to_owned(),
        ecm_gstin: invoice
            .tran_dtls
            .ecm_gstin
            .as_ref()
            .map(|g| g.as_str().to_owned()),
        doc_type: invoice.doc_dtls.typ.code().to_owned(),
        doc_no: invoice.doc_dtls.no.clone(),
        doc_date: invoice.doc_dtls.dt,
        ack_no: ack_no.get(),
        ack_dt: now,
        status: InvoiceStatus::Active,
        portal: state.settings.portal.id,
        generated_by: caller.gstin.clone(),
        signed_invoice: signed.signed_invoice,
        signed_qr_code: signed.signed_qr_code,
        cancellation: None,
    };
    Ok((record, packed))
}

/// `2146`: the registry could not be reached; never issue an IRN that is not registered (D-57).
fn registry_down(error: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(%error, "registry unavailable during generation");
    ApiError::code("2146")
}

/// The answer to a duplicate document: `2278` when it was cancelled, otherwise `2150` with the
/// original's details, which an e-commerce operator sees only for its own records (D-72).
fn duplicate(state: &AppState, existing: &InvoiceRecord, role: Role, caller: &Caller) -> ApiError {
    if existing.status == InvoiceStatus::Cancelled {
        return ApiError::code("2278");
    }
    let mut error = ApiError::code("2150");
    let entitled =
        role == Role::Supplier || existing.ecm_gstin.as_deref() == Some(caller.gstin.as_str());
    if entitled {
        error.info.push(Info::DuplicateIrn {
            ack_no: existing.ack_no,
            ack_dt: envelope_ack_dt(state, existing.ack_dt),
            irn: existing.irn.clone(),
        });
    }
    error
}

/// The envelope's AckDt: equal to the signed one unless `ack.envelope_minute_rounding` (D-09).
fn envelope_ack_dt(state: &AppState, ack_dt: NaiveDateTime) -> String {
    let shown = if state.settings.ack.envelope_minute_rounding {
        ack_dt.with_second(0).unwrap_or(ack_dt)
    } else {
        ack_dt
    };
    format_timestamp(shown)
}

/// The `Data` of generate and the get endpoints (`02` §2.2).
fn invoice_data(
    state: &AppState,
    record: &InvoiceRecord,
    ewb: Option<&irp_store::EwbRecord>,
) -> String {
    let mut out =
        String::with_capacity(record.signed_invoice.len() + record.signed_qr_code.len() + 256);
    let mut object = ObjectWriter::open(&mut out);
    object.raw("AckNo", &record.ack_no.to_string());
    object.str("AckDt", &envelope_ack_dt(state, record.ack_dt));
    object.str("Irn", &record.irn);
    object.str("SignedInvoice", &record.signed_invoice);
    object.str("SignedQRCode", &record.signed_qr_code);
    object.str("Status", record.status.code());
    crate::api::ewb::write_ewb_fields(&mut object, ewb);
    object.raw("Remarks", "null");
    object.close();
    out
}

/// The `irp` header (`02` §3): `None` when absent, the origin portal it names, or `3098`.
pub(super) fn irp_header(headers: &Headers) -> Result<Option<u8>, ApiError> {
    match headers.get("irp") {
        None => Ok(None),
        Some(value) if value.eq_ignore_ascii_case("NIC1") => Ok(Some(1)),
        Some(value) if value.eq_ignore_ascii_case("NIC2") => Ok(Some(2)),
        Some(_) => Err(ApiError::code("3098")),
    }
}

/// Whether a record is visible to this request: always in `native`; in `nic`, only records of
/// the portal the header names, or of the serving portal without a header.
fn visible(state: &AppState, record: &InvoiceRecord, irp: Option<u8>) -> bool {
    match state.settings.compat {
        Compat::Native => true,
        Compat::Nic => record.portal == irp.unwrap_or(state.settings.portal.id),
    }
}

/// The record of `irn` if this request may see it (`02` §3), else the endpoint's "not found"
/// code. Imported `REJ` records are never served.
pub(super) async fn visible_invoice(
    state: &AppState,
    irn: &str,
    irp: Option<u8>,
    not_found: &'static str,
) -> Result<InvoiceRecord, ApiError> {
    let record = state
        .store
        .invoice(irn)
        .await
        .map_err(|error| internal("invoice look-up", &error))?;
    record
        .filter(|r| r.status != InvoiceStatus::Rejected && visible(state, r, irp))
        .ok_or_else(|| ApiError::code(not_found))
}

/// Ownership (`02` §4): the supplier, or the operator named on the record (with a matching
/// `sup_gstin` if one is sent).
pub(super) fn owns(caller: &Caller, record: &InvoiceRecord) -> bool {
    record.seller_gstin == caller.gstin
        || (record.ecm_gstin.as_deref() == Some(caller.gstin.as_str())
            && caller
                .sup_gstin
                .as_deref()
                .is_none_or(|sup| sup == record.seller_gstin))
}

/// `GET /eicore/v1.03/Invoice/irn/{irn}` (`02` §2.4).
pub async fn get_by_irn(
    State(state): State<AppState>,
    Path(irn): Path<String>,
    headers: HeaderMap,
) -> Result<Envelope, ApiError> {
    let headers = Headers::from_map(&headers);
    let caller = authenticate(&state, &headers, SessionSource::Registry).await?;
    let irp = irp_header(&headers)?;
    let irn = Irn::parse(&irn).ok_or_else(|| ApiError::code("2145"))?;
    let record = visible_invoice(&state, irn.as_str(), irp, "2148").await?;
    if !owns(&caller, &record) {
        return Err(ApiError::code("2226"));
    }
    if state.settings.compat == Compat::Nic
        && state.clock.now() - record.ack_dt
            > Duration::hours(state.settings.retrieval.irn_window_hours)
    {
        return Err(ApiError::code("2283"));
    }
    let ewb = crate::api::ewb::active_ewb(&state, &record.irn).await?;
    Ok(caller.encrypted(&invoice_data(&state, &record, ewb.as_ref())))
}

/// `GET /eicore/v1.03/Invoice/irnbydocdetails` (`02` §2.5).
pub async fn get_by_document(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Envelope, ApiError> {
    let headers = Headers::from_map(&headers);
    let caller = authenticate(&state, &headers, SessionSource::Registry).await?;
    let irp = irp_header(&headers)?;
    let query = QueryParams::parse(query.as_deref().unwrap_or(""));
    let param = |name: &str| {
        query
            .get(name)
            .or_else(|| headers.get(name).map(str::to_owned))
    };
    let (Some(doc_type), Some(doc_no), Some(doc_date)) =
        (param("doctype"), param("docnum"), param("docdate"))
    else {
        return Err(ApiError::code("2142"));
    };
    let doc_type = DocType::ALL
        .into_iter()
        .find(|t| t.code().eq_ignore_ascii_case(doc_type.trim()))
        .ok_or_else(|| ApiError::code("2161"))?;
    let doc_date =
        parse_date(doc_date.trim(), (1900, 9999)).ok_or_else(|| ApiError::code("2144"))?;
    let doc_no = doc_no.trim();
    let doc_no = if state.settings.rules.uppercase_docno {
        doc_no.to_ascii_uppercase()
    } else {
        doc_no.to_owned()
    };
    let supplier = caller
        .sup_gstin
        .clone()
        .unwrap_or_else(|| caller.gstin.clone());
    let irn = Irn::compute(&supplier, doc_date, doc_type, &doc_no);
    let record = state
        .store
        .invoice(irn.as_str())
        .await
        .map_err(|error| internal("invoice look-up", &error))?;
    let record = record
        .filter(|r| {
            r.status != InvoiceStatus::Rejected && r.doc_date == doc_date && visible(&state, r, irp)
        })
        .ok_or_else(|| ApiError::code("2148"))?;
    if !owns(&caller, &record) {
        return Err(ApiError::code("2226"));
    }
    if state.settings.compat == Compat::Nic
        && state.clock.now() - record.ack_dt
            > Duration::hours(state.settings.retrieval.doc_window_hours)
    {
        return Err(ApiError::code("2148"));
    }
    let ewb = crate::api::ewb::active_ewb(&state, &record.irn).await?;
    Ok(caller.encrypted(&invoice_data(&state, &record, ewb.as_ref())))
}

/// `POST /eicore/v1.03/Invoice/Cancel` (`06` §1).
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Envelope, ApiError> {
    let headers = Headers::from_map(&headers);
    let body = read_body(body, state.settings.limits.max_body_bytes).await?;
    let caller = authenticate(&state, &headers, SessionSource::Registry).await?;
    let irp = irp_header(&headers)?;
    let plaintext = caller.decrypt(&envelope_data(&body)?)?;
    let request = CancelRequest::parse(&plaintext)?;
    let record = visible_invoice(&state, request.irn.as_str(), irp, "2154").await?;
    if !owns(&caller, &record) {
        return Err(ApiError::code("2143"));
    }
    if record.status != InvoiceStatus::Active {
        return Err(ApiError::code("9999"));
    }
    let now = state.clock.now();
    if now - record.ack_dt > Duration::hours(state.settings.cancel.window_hours) {
        return Err(ApiError::code("2270"));
    }
    // C-07: cancel the e-way bill first.
    if crate::api::ewb::active_ewb(&state, &record.irn)
        .await?
        .is_some()
    {
        return Err(ApiError::code("2230"));
    }
    let cancellation = Cancellation {
        at: now,
        reason: request.reason,
        remark: request.remark,
        by_gstin: caller.gstin.clone(),
        portal: state.settings.portal.id,
    };
    let after = state
        .store
        .cancel_invoice(request.irn.as_str(), &cancellation)
        .await
        .map_err(|error| {
            tracing::error!(%error, "registry failure while cancelling");
            ApiError::code("2141")
        })?;
    // Another request cancelled it between the read and the write.
    if after
        .cancellation
        .as_ref()
        .is_none_or(|c| c.at != now || c.by_gstin != caller.gstin)
    {
        return Err(ApiError::code("9999"));
    }
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    object.str("Irn", &after.irn);
    object.str("CancelDate", &format_timestamp(now));
    object.close();
    Ok(caller.encrypted(&out))
}

/// The decrypted cancel request (`02` §2.3).
struct CancelRequest {
    irn: Irn,
    reason: u8,
    remark: Option<String>,
}

impl CancelRequest {
    fn parse(plaintext: &[u8]) -> Result<CancelRequest, ApiError> {
        let document = json::parse(plaintext).map_err(|error| {
            let message = format!(
                "Invalid JSON: {} at line {}, column {}.",
                error.message, error.line, error.column
            );
            ApiError::from(ErrorDetail::with_message("2140", "", message))
        })?;
        if !matches!(document, Value::Object(_)) {
            return Err(ApiError::code("2142"));
        }
        let member = |name: &str| document.get_ignore_case(name);
        let irn_text = match member("Irn") {
            Some(Value::String(text)) if !text.trim().is_empty() => text.trim().to_owned(),
            _ => return Err(ApiError::code("2142")),
        };
        let irn = Irn::parse(&irn_text).ok_or_else(|| ApiError::code("2145"))?;
        let mut errors = Vec::new();
        let reason = match member("CnlRsn") {
            Some(Value::String(text)) => text.trim().parse::<u8>().ok(),
            Some(Value::Number(text)) => text.parse::<u8>().ok(),
            _ => {
                errors.push(ErrorDetail::with_message(
                    "2140",
                    "CnlRsn",
                    "The CnlRsn field is required.".to_owned(),
                ));
                Some(1)
            }
        };
        let reason = match reason {
            Some(code @ 1..=4) => code,
            _ => {
                errors.push(ErrorDetail::with_message(
                    "2140",
                    "CnlRsn",
                    "The field CnlRsn must be one of: 1, 2, 3, 4.".to_owned(),
                ));
                0
            }
        };
        let remark = match member("CnlRem") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            Some(Value::String(text)) => {
                let text = text.trim();
                if text.chars().count() > 100 {
                    errors.push(ErrorDetail::with_message(
                        "2140",
                        "CnlRem",
                        "The field CnlRem must be a string with a minimum length of 1 and a maximum length of 100.".to_owned(),
                    ));
                } else if text.contains(['"', '\\']) {
                    errors.push(ErrorDetail::with_message(
                        "2140",
                        "CnlRem",
                        "The field CnlRem must match the regular expression '^([^\\\"])*$'."
                            .to_owned(),
                    ));
                }
                Some(text.to_owned())
            }
            Some(_) => {
                errors.push(ErrorDetail::with_message(
                    "2140",
                    "CnlRem",
                    "The field CnlRem has an invalid value.".to_owned(),
                ));
                None
            }
        };
        if errors.is_empty() {
            Ok(CancelRequest {
                irn,
                reason,
                remark,
            })
        } else {
            Err(ApiError::many(errors))
        }
    }
}
