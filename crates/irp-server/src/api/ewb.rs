//! E-way bills from e-invoices (`06` §5–§6): inside generate (path a), Generate EWB by IRN
//! (path b, `02` #8) and Get EWB by IRN (#9). Cancel EWB, with the E-Way Bill API conventions,
//! is in `api::ewb_cancel`.

use axum::extract::{Path, State};
use irp_core::ack::format_timestamp;
use irp_core::bind::{EwbRequest, parse_ewb_request};
use irp_core::codes::Code;
use irp_core::error::ErrorDetail;
use irp_core::ewb::{EwbFacts, EwbPlan, EwbSettings, Place, Transport, check, places, valid_till};
use irp_core::invoice::Invoice;
use irp_core::irn::Irn;
use irp_core::json::ObjectWriter;
use irp_core::register::{RegistrationStatus, TaxpayerRegister};
use irp_store::{EwbInsert, EwbRecord, EwbStatus, InvoiceStatus};

use crate::api::records::{active_ewb, owns, stored_invoice, visible_invoice};
use crate::api::{Caller, NicBody, NicCall, OrCode as _};
use crate::envelope::{ApiError, Envelope, Info};
use crate::state::AppState;

impl AppState {
    fn ewb_settings(&self) -> EwbSettings {
        EwbSettings {
            distance_check: self.settings.ewb.distance_check,
            road_factor: self.settings.ewb.road_factor,
            max_distance_factor: self.settings.ewb.max_distance_factor,
        }
    }
}

/// The facts the rules need that come from the registry: blocked parties (E-05) and the
/// transporter's status (E-12).
async fn register_facts(
    state: &AppState,
    invoice: &Invoice,
    transport: &Transport,
) -> Result<(Vec<String>, bool), ApiError> {
    let seller = invoice.seller_dtls.gstin.as_str().to_owned();
    let buyer = invoice
        .buyer_dtls
        .gstin
        .registered()
        .map(|g| g.as_str().to_owned());
    let mut names: Vec<&str> = vec![seller.as_str()];
    names.extend(buyer.as_deref());
    names.extend(transport.trans_id.as_deref());
    let found = state.store.taxpayers(&names).await.or_code(Code::E5001)?;
    let mut register = irp_core::register::MemoryRegister::new();
    for taxpayer in found {
        register.insert(taxpayer);
    }
    let blocked = [Some(seller), buyer]
        .into_iter()
        .flatten()
        .filter(|gstin| register.taxpayer(gstin).is_some_and(|t| t.blocked))
        .collect();
    let transporter_inactive = transport
        .trans_id
        .as_deref()
        .and_then(|id| register.taxpayer(id))
        .is_some_and(|t| matches!(t.status, RegistrationStatus::Cnl | RegistrationStatus::Ina));
    Ok((blocked, transporter_inactive))
}

/// Runs the rules; on success allocates the number and stores the e-way bill.
async fn create(
    state: &AppState,
    caller: &Caller,
    invoice: &Invoice,
    irn: &Irn,
    transport: &Transport,
    places: (Place, Option<Place>),
) -> Result<(EwbRecord, EwbPlan), Vec<ErrorDetail>> {
    let (blocked_gstins, transporter_inactive) = register_facts(state, invoice, transport)
        .await
        .map_err(|error| error.errors)?;
    let now = state.clock.now();
    let facts = EwbFacts {
        invoice,
        transport,
        dispatch: places.0,
        ship_to: places.1,
        blocked_gstins,
        transporter_inactive,
        today: now.date(),
    };
    let plan = check(&facts, &state.ewb_settings())?;
    let ewb_no = state
        .next_ewb_no()
        .await
        .or_code(Code::E5001)
        .map_err(|e| e.errors)?;
    let record = EwbRecord {
        ewb_no,
        irn: irn.clone(),
        status: EwbStatus::Active,
        gen_gstin: caller.gstin.clone(),
        ewb_dt: now,
        valid_till: (!transport.part_a_only())
            .then(|| valid_till(now, plan.distance_km, transport.over_dimensional())),
        distance_km: plan.distance_km,
        trans_mode: transport.trans_mode.clone(),
        trans_id: transport.trans_id.clone(),
        trans_name: transport.trans_name.clone(),
        trans_doc_no: transport.trans_doc_no.clone(),
        trans_doc_dt: transport.trans_doc_dt,
        veh_no: transport.veh_no.clone(),
        veh_type: transport.veh_type.clone(),
        portal: state.settings.portal.id,
        cancellation: None,
    };
    match state
        .store
        .insert_ewb(&record)
        .await
        .or_code(Code::E5001)
        .map_err(|e| e.errors)?
    {
        EwbInsert::Inserted => Ok((record, plan)),
        EwbInsert::ActiveExists(_) => Err(vec![ErrorDetail::coded(Code::E4002, "", &[])]),
    }
}

/// Path (a): the e-way bill asked for in `EwbDtls`, after the IRN is registered. The IRN
/// succeeds either way; a failure is the first EWB error in `EWBERR` (D-68).
pub(crate) async fn with_invoice(
    state: &AppState,
    caller: &Caller,
    invoice: &Invoice,
    irn: &Irn,
) -> (Option<EwbRecord>, Vec<Info>) {
    let Some(ewb) = &invoice.ewb_dtls else {
        return (None, Vec::new());
    };
    let transport = Transport::from_ewb_dtls(ewb);
    match create(
        state,
        caller,
        invoice,
        irn,
        &transport,
        places(invoice, None, None),
    )
    .await
    {
        Ok((record, plan)) => (
            Some(record),
            plan.remark().map(Info::PinDistance).into_iter().collect(),
        ),
        Err(errors) => {
            let first = errors.into_iter().next().map(|e| Info::EwbError {
                code: e.code.as_str().to_owned(),
                message: e.message,
            });
            (None, first.into_iter().collect())
        }
    }
}

/// Writes `EwbNo`, `EwbDt`, `EwbValidTill` of an e-way bill (or `null`s).
pub(crate) fn write_ewb_fields(object: &mut ObjectWriter<'_>, ewb: Option<&EwbRecord>) {
    match ewb {
        Some(ewb) => {
            object.raw("EwbNo", &ewb.ewb_no.to_string());
            object.str("EwbDt", &format_timestamp(ewb.ewb_dt));
            match ewb.valid_till {
                Some(till) => object.str("EwbValidTill", &format_timestamp(till)),
                None => object.raw("EwbValidTill", "null"),
            }
        }
        None => {
            object.raw("EwbNo", "null");
            object.raw("EwbDt", "null");
            object.raw("EwbValidTill", "null");
        }
    }
}

/// `POST /eiewb/v1.03/ewaybill` (path b).
pub async fn generate_by_irn(
    State(state): State<AppState>,
    request: NicBody,
) -> Result<Envelope, ApiError> {
    let irp = request.call.irp()?;
    let ewb_request = parse_ewb_request(&request.plaintext()?, &state.settings.rules)?;
    let (ewb, plan) = create_for_irn(&state, request.caller(), irp, &ewb_request).await?;
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    write_ewb_fields(&mut object, Some(&ewb));
    match plan.remark() {
        Some(remark) => object.str("Remarks", &remark),
        None => object.raw("Remarks", "null"),
    }
    object.close();
    Ok(request.call.encrypted(&out))
}

/// Path (b) for `caller`: E-01 and E-02 end processing, then the rules of `create`.
pub async fn create_for_irn(
    state: &AppState,
    caller: &Caller,
    irp: Option<u8>,
    request: &EwbRequest,
) -> Result<(EwbRecord, EwbPlan), ApiError> {
    let irn = Irn::parse(&request.irn).or_code(Code::E4003)?;
    let record = visible_invoice(state, &irn, irp, Code::E4003).await?;
    if !owns(caller, &record) {
        return Err(ApiError::code(Code::E2143));
    }
    if record.status != InvoiceStatus::Active {
        return Err(ApiError::code(Code::E4000));
    }
    if active_ewb(state, &irn).await?.is_some() {
        return Err(ApiError::code(Code::E4002));
    }
    let invoice = stored_invoice(&record)?;
    let place = |pin: &irp_core::invoice::Number, state: &irp_core::invoice::StateCode| Place {
        pin: pin.as_u32().unwrap_or(0),
        state: state.number,
    };
    let dispatch = request.dispatch.as_ref().map(|d| place(&d.pin, &d.stcd));
    let export_ship = request
        .export_ship
        .as_ref()
        .map(|(pin, stcd)| place(pin, stcd));
    let transport = Transport::from_ewb_dtls(&request.transport);
    create(
        state,
        caller,
        &invoice,
        &irn,
        &transport,
        places(&invoice, dispatch, export_ship),
    )
    .await
    .map_err(ApiError::many)
}

/// `GET /eiewb/v1.03/ewaybill/irn/{irn}` (#9): the most recent e-way bill, active or cancelled.
pub async fn get_by_irn(
    State(state): State<AppState>,
    Path(irn): Path<String>,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    let irp = call.irp()?;
    let irn = Irn::parse(&irn).or_code(Code::E4003)?;
    let record = visible_invoice(&state, &irn, irp, Code::E4003).await?;
    if !owns(&call.caller, &record) {
        return Err(ApiError::code(Code::E4037));
    }
    let ewb = state.store.latest_ewb(&irn).await.or_code(Code::E5001)?;
    let ewb = ewb.or_code(Code::E4005)?;
    let mut out = String::new();
    let mut object = ObjectWriter::open(&mut out);
    object.raw("EwbNo", &ewb.ewb_no.to_string());
    object.str("Status", ewb.status.code());
    object.str("GenGstin", &ewb.gen_gstin);
    object.str("EwbDt", &format_timestamp(ewb.ewb_dt));
    match ewb.valid_till {
        Some(till) => object.str("EwbValidTill", &format_timestamp(till)),
        None => object.raw("EwbValidTill", "null"),
    }
    object.close();
    Ok(call.encrypted(&out))
}
