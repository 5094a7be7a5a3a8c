//! Generate, get, get by document, cancel (`02` #2–#5, `06` §1–§3).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use chrono::{Duration, NaiveDateTime, Timelike};
use irp_core::ack::{Ack, format_timestamp};
use irp_core::bind::{CancelRequest, InvoiceRequest, parse_cancel_request, parse_date};
use irp_core::codes::Code;
use irp_core::invoice::{DocType, Invoice};
use irp_core::irn::Irn;
use irp_core::json::ObjectWriter;
use irp_core::register::MemoryRegister;
use irp_core::validate::{Caller as Role, Context, authorise, check_business_rules};
use irp_store::{Cancellation, InvoiceRecord, InvoiceStatus, PackedSignedInvoice, Registration};

use crate::api::pipeline::{Generate, session_ended, unless_session_ended};
use crate::api::records::{active_ewb, owns, visible, visible_invoice};
use crate::api::{Caller, NicBody, NicCall, OrCode as _, QueryParams};
use crate::envelope::{ApiError, Envelope, Info};
use crate::settings::Compat;
use crate::state::AppState;

/// `POST /eicore/v1.03/Invoice`: the pipeline of `04` §1. The session may come from the node's
/// cache: the registration re-reads it in its own transaction, and an error is answered only
/// after the registry confirms the session still exists.
pub async fn generate(
    State(state): State<AppState>,
    request: NicBody<Generate>,
) -> Result<Envelope, ApiError> {
    let caller = request.caller();
    let answer = async {
        if request.body_len() > state.settings.limits.max_body_bytes
            && !allows_large_bodies(&state, &caller.gstin).await?
        {
            return Err(ApiError::code(Code::E5002));
        }
        let registered = register_invoice(&state, caller, &request.plaintext()?).await?;
        let data = invoice_data(&state, &registered.record, registered.ewb.as_ref());
        let mut envelope = request.call.encrypted(&data);
        envelope.info = registered.info;
        Ok(envelope)
    };
    match answer.await {
        Ok(envelope) => Ok(envelope),
        Err(error) => Err(unless_session_ended(&state, caller, error).await),
    }
}

/// A new registration: the record as stored, the e-way bill made with it, and the `InfoDtls`
/// of stage 6.
pub struct Registered {
    pub record: InvoiceRecord,
    pub ewb: Option<irp_store::EwbRecord>,
    pub info: Vec<Info>,
}

/// Stages 1–6 of `04` §1 for one decrypted invoice, by `caller`.
pub async fn register_invoice(
    state: &AppState,
    caller: &Caller,
    plaintext: &[u8],
) -> Result<Registered, ApiError> {
    // Stages 1–2: the register is fetched first, because the item limit depends on it.
    let request = InvoiceRequest::parse(plaintext);
    let register = register_for(state, &request.referenced_gstins()).await?;
    let rules = &state.settings.rules;
    // Shared with the signing thread without copying it.
    let invoice = Arc::new(request.bind(rules, &register)?);
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
        // `2146`: never issue an answer from a registry that could not be read (D-57).
        let existing = state.store.invoice(&irn).await.or_code(Code::E2146)?;
        if let Some(existing) = existing.filter(|e| e.status != InvoiceStatus::Rejected) {
            return Err(duplicate(state, &existing, role, caller));
        }
        return Err(ApiError::many(errors));
    }

    // Stage 5: register atomically, then answer with what was stored.
    let (record, packed) = sign_and_record(state, &invoice, irn, now, caller).await?;
    let (record, registration) = state
        .register(record, packed, caller)
        .await
        .or_code(Code::E2146)?;
    match registration {
        Registration::Inserted => {
            // Stage 6: the e-way bill asked for in `EwbDtls`; the IRN stands whatever happens.
            let (ewb, info) =
                crate::api::ewb::with_invoice(state, caller, &invoice, &record.irn).await;
            Ok(Registered { record, ewb, info })
        }
        Registration::Duplicate(winner) => Err(duplicate(state, &winner, role, caller)),
        Registration::SessionEnded => Err(session_ended(state, caller)),
    }
}

/// Whether header `Gstin` may send bodies up to `limits.max_body_bytes_large` (D-33).
async fn allows_large_bodies(state: &AppState, gstin: &str) -> Result<bool, ApiError> {
    let taxpayers = state.store.taxpayers(&[gstin]).await.or_code(Code::E5001)?;
    Ok(taxpayers
        .first()
        .and_then(|t| t.max_items)
        .is_some_and(|max| max > 1000))
}

/// The register entries of the GSTINs the request names.
async fn register_for(state: &AppState, gstins: &[String]) -> Result<MemoryRegister, ApiError> {
    let names: Vec<&str> = gstins.iter().map(String::as_str).collect();
    let found = state.taxpayers(&names).await.or_code(Code::E2146)?;
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
    let ack_no = state.next_ack_no(now).await.or_code(Code::E2146)?;
    let ack = Ack {
        ack_no,
        ack_dt: now,
    };
    let signer = state.clone();
    let to_sign = Arc::clone(invoice);
    let irn_for_signing = irn.clone();
    let sign = move || {
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
    };
    // A bulk task's signature gives way to single calls' (`signing_pool`).
    let signed = match caller.bulk_element {
        Some(_) => state.signing_pool.run_background(sign).await,
        None => state.signing_pool.run(sign).await,
    };
    let (signed, packed) = signed
        .ok_or("the signing pool did not answer")
        .or_code(Code::E2147)?;
    let record = InvoiceRecord {
        irn,
        seller_gstin: invoice.seller_dtls.gstin.clone(),
        ecm_gstin: invoice.tran_dtls.ecm_gstin.clone(),
        doc_type: invoice.doc_dtls.typ,
        doc_no: invoice.doc_dtls.no.clone(),
        doc_date: invoice.doc_dtls.dt,
        ack_no: ack_no.get(),
        ack_dt: now,
        status: InvoiceStatus::Active,
        portal: state.settings.portal.id,
        generated_by: caller.gstin.clone(),
        buyer_gstin: Some(invoice.buyer_dtls.gstin.as_str().to_owned()),
        signed_invoice: signed.signed_invoice,
        signed_qr_code: signed.signed_qr_code,
        cancellation: None,
    };
    Ok((record, packed))
}

/// The answer to a duplicate document: `2278` when it was cancelled, otherwise `2150` with the
/// original's details, which an e-commerce operator sees only for its own records (D-72).
fn duplicate(state: &AppState, existing: &InvoiceRecord, role: Role, caller: &Caller) -> ApiError {
    if existing.status == InvoiceStatus::Cancelled {
        return ApiError::code(Code::E2278);
    }
    let mut error = ApiError::code(Code::E2150);
    let entitled = role == Role::Supplier
        || existing
            .ecm_gstin
            .as_ref()
            .is_some_and(|ecm| *ecm == *caller.gstin);
    if entitled {
        error.info.push(Info::DuplicateIrn {
            ack_no: existing.ack_no,
            ack_dt: envelope_ack_dt(state, existing.ack_dt),
            irn: existing.irn.to_string(),
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
pub(crate) fn invoice_data(
    state: &AppState,
    record: &InvoiceRecord,
    ewb: Option<&irp_store::EwbRecord>,
) -> String {
    let mut out =
        String::with_capacity(record.signed_invoice.len() + record.signed_qr_code.len() + 256);
    let mut object = ObjectWriter::open(&mut out);
    object.raw("AckNo", &record.ack_no.to_string());
    object.str("AckDt", &envelope_ack_dt(state, record.ack_dt));
    object.str("Irn", record.irn.as_str());
    object.str("SignedInvoice", &record.signed_invoice);
    object.str("SignedQRCode", &record.signed_qr_code);
    object.str("Status", record.status.code());
    crate::api::ewb::write_ewb_fields(&mut object, ewb);
    object.raw("Remarks", "null");
    object.close();
    out
}

/// `GET /eicore/v1.03/Invoice/irn/{irn}` (`02` §2.4).
pub async fn get_by_irn(
    State(state): State<AppState>,
    Path(irn): Path<String>,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    let irp = call.irp()?;
    let irn = Irn::parse(&irn).or_code(Code::E2145)?;
    let record = visible_invoice(&state, &irn, irp, Code::E2148).await?;
    if !owns(&call.caller, &record) {
        return Err(ApiError::code(Code::E2226));
    }
    if state.settings.compat == Compat::Nic
        && state.clock.now() - record.ack_dt
            > Duration::hours(state.settings.retrieval.irn_window_hours)
    {
        return Err(ApiError::code(Code::E2283));
    }
    let ewb = active_ewb(&state, &record.irn).await?;
    Ok(call.encrypted(&invoice_data(&state, &record, ewb.as_ref())))
}

/// `GET /eicore/v1.03/Invoice/irnbydocdetails` (`02` §2.5).
pub async fn get_by_document(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    let irp = call.irp()?;
    let query = QueryParams::parse(query.as_deref().unwrap_or(""));
    let param = |name: &str| {
        query
            .get(name)
            .or_else(|| call.headers.get(name).map(str::to_owned))
    };
    let (Some(doc_type), Some(doc_no), Some(doc_date)) =
        (param("doctype"), param("docnum"), param("docdate"))
    else {
        return Err(ApiError::code(Code::E2142));
    };
    let doc_type = DocType::ALL
        .into_iter()
        .find(|t| t.code().eq_ignore_ascii_case(doc_type.trim()))
        .or_code(Code::E2161)?;
    let doc_date = parse_date(doc_date.trim(), (1900, 9999)).or_code(Code::E2144)?;
    let doc_no = doc_no.trim();
    let doc_no = if state.settings.rules.uppercase_docno {
        doc_no.to_ascii_uppercase()
    } else {
        doc_no.to_owned()
    };
    let irn = Irn::compute(call.caller.supplier(), doc_date, doc_type, &doc_no);
    let record = state.store.invoice(&irn).await.or_code(Code::E5001)?;
    let record = record
        .filter(|r| {
            r.status != InvoiceStatus::Rejected && r.doc_date == doc_date && visible(&state, r, irp)
        })
        .or_code(Code::E2148)?;
    if !owns(&call.caller, &record) {
        return Err(ApiError::code(Code::E2226));
    }
    if state.settings.compat == Compat::Nic
        && state.clock.now() - record.ack_dt
            > Duration::hours(state.settings.retrieval.doc_window_hours)
    {
        return Err(ApiError::code(Code::E2148));
    }
    let ewb = active_ewb(&state, &record.irn).await?;
    Ok(call.encrypted(&invoice_data(&state, &record, ewb.as_ref())))
}

/// `POST /eicore/v1.03/Invoice/Cancel` (`06` §1).
pub async fn cancel(State(state): State<AppState>, request: NicBody) -> Result<Envelope, ApiError> {
    let irp = request.call.irp()?;
    let cancel = parse_cancel_request(&request.plaintext()?)?;
    let cancelled_at = cancel_invoice(&state, request.caller(), irp, &cancel).await?;
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    object.str("Irn", cancel.irn.as_str());
    object.str("CancelDate", &format_timestamp(cancelled_at));
    object.close();
    Ok(request.call.encrypted(&out))
}

/// Cancels a registered IRN for `caller` (C-01–C-07) and says when.
pub async fn cancel_invoice(
    state: &AppState,
    caller: &Caller,
    irp: Option<u8>,
    request: &CancelRequest,
) -> Result<NaiveDateTime, ApiError> {
    let record = visible_invoice(state, &request.irn, irp, Code::E2154).await?;
    if !owns(caller, &record) {
        return Err(ApiError::code(Code::E2143));
    }
    if record.status != InvoiceStatus::Active {
        return Err(ApiError::code(Code::E9999));
    }
    let now = state.clock.now();
    if now - record.ack_dt > Duration::hours(state.settings.cancel.window_hours) {
        return Err(ApiError::code(Code::E2270));
    }
    // C-07: cancel the e-way bill first.
    if active_ewb(state, &record.irn).await?.is_some() {
        return Err(ApiError::code(Code::E2230));
    }
    let cancellation = Cancellation {
        at: now,
        reason: request.reason,
        remark: request.remark.clone(),
        by_gstin: caller.gstin.clone(),
        portal: state.settings.portal.id,
    };
    let outcome = state
        .store
        .cancel_invoice_for(&request.irn, &cancellation, caller.bulk_element.as_ref())
        .await
        .or_code(Code::E2141)?;
    if outcome.by_this_call {
        return Ok(now);
    }
    // Another request cancelled it, or an e-way bill was generated, between the read and the write.
    if outcome.record.status == InvoiceStatus::Active {
        return Err(ApiError::code(Code::E2230));
    }
    Err(ApiError::code(Code::E9999))
}
