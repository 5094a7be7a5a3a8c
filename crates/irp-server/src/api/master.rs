//! GSTIN details and sync (`02` #6–#7) and rejected IRNs (#11).

use axum::extract::{Path, RawQuery, State};
use irp_core::bind::parse_date;
use irp_core::codes::Code;
use irp_core::invoice::Gstin;
use irp_core::json::ObjectWriter;
use irp_store::TaxpayerRecord;

use crate::api::{NicCall, OrCode as _, QueryParams};
use crate::envelope::{ApiError, Envelope, json_string};
use crate::state::AppState;

/// `GET /eivital/v1.03/Master/gstin/{gstin}`. Any authenticated user may look up any GSTIN.
pub async fn gstin_details(
    State(state): State<AppState>,
    Path(gstin): Path<String>,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    details(&state, &gstin, &call).await
}

/// `GET /eivital/v1.04/Master/syncgstin/{gstin}`. Without an external feed the register is its
/// own source of truth, so sync answers like details (`02` §2.6).
pub async fn sync_gstin(
    State(state): State<AppState>,
    Path(gstin): Path<String>,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    details(&state, &gstin, &call).await
}

async fn details(state: &AppState, gstin: &str, call: &NicCall) -> Result<Envelope, ApiError> {
    let gstin = Gstin::parse(gstin.trim()).or_code(Code::E3030)?;
    let record = state
        .store
        .taxpayer_record(gstin.as_str())
        .await
        .or_code(Code::E5001)?;
    let record = record.or_code(Code::E3001)?;
    Ok(call.encrypted(&details_json(&record)))
}

/// The GSTIN record in the order of `02` §2.6.
pub fn details_json(record: &TaxpayerRecord) -> String {
    let mut out = String::with_capacity(512);
    let mut object = ObjectWriter::open(&mut out);
    object.str("Gstin", &record.gstin);
    optional(&mut object, "TradeName", record.trade_name.as_deref());
    object.str("LegalName", &record.legal_name);
    optional(&mut object, "AddrBnm", record.addr_bnm.as_deref());
    optional(&mut object, "AddrBno", record.addr_bno.as_deref());
    optional(&mut object, "AddrFlno", record.addr_flno.as_deref());
    optional(&mut object, "AddrSt", record.addr_st.as_deref());
    optional(&mut object, "AddrLoc", record.addr_loc.as_deref());
    object.raw("StateCode", &record.state_code.to_string());
    match record.addr_pncd {
        Some(pin) => object.raw("AddrPncd", &pin.to_string()),
        None => object.raw("AddrPncd", "null"),
    }
    object.str("TxpType", record.taxpayer_type.code());
    object.str("Status", record.status.code());
    match record.blk_status {
        Some(status) => object.str("BlkStatus", &status.to_string()),
        None => object.raw("BlkStatus", "null"),
    }
    let date = |d: Option<chrono::NaiveDate>| {
        d.map(|d| json_string(&d.format("%Y-%m-%d").to_string()))
            .unwrap_or_else(|| "null".to_owned())
    };
    object.raw("DtReg", &date(record.registered_on));
    object.raw("DtDReg", &date(record.deregistered_on));
    object.close();
    out
}

fn optional(object: &mut ObjectWriter<'_>, name: &str, value: Option<&str>) {
    match value {
        Some(text) => object.str(name, text),
        None => object.raw(name, "null"),
    }
}

/// `GET /eicore/v1.03/Invoice/rejectedirns?date=dd/mm/yyyy` (`02` §2.11).
pub async fn rejected_irns(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    let query = QueryParams::parse(query.as_deref().unwrap_or(""));
    let date = query.get("date").or_code(Code::E2142)?;
    let date = parse_date(date.trim(), (1900, 9999)).or_code(Code::E2156)?;
    // `sup_gstin` names another supplier only for the e-commerce operator of its IRNs (`02` §4):
    // the caller sees that supplier's IRNs it is the operator of, never the rest.
    let caller = &call.caller;
    let operator = (caller.supplier() != caller.gstin).then_some(caller.gstin.as_str());
    let irns = state
        .store
        .rejected_irns(caller.supplier(), operator, date)
        .await
        .or_code(Code::E5001)?;
    let list: Vec<String> = irns.iter().map(|irn| json_string(irn.as_str())).collect();
    Ok(call.encrypted(&format!("[{}]", list.join(","))))
}
