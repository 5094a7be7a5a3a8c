//! What the invoice, e-way bill and print endpoints share about registered records: which a
//! request may see (`02` §3), who owns one (`02` §4), its active e-way bill, and the invoice
//! bound back from its signed form.

use irp_core::bind::parse_invoice;
use irp_core::codes::Code;
use irp_core::invoice::Invoice;
use irp_core::irn::Irn;
use irp_core::jws;
use irp_core::register::MemoryRegister;
use irp_core::rules::{MAX_ITEMS_CEILING, Rules};
use irp_store::{EwbRecord, EwbStatus, InvoiceRecord, InvoiceStatus};

use crate::api::{Caller, OrCode as _};
use crate::envelope::ApiError;
use crate::settings::Compat;
use crate::state::AppState;

/// Whether a record is visible to this request: always in `native`; in `nic`, only records of
/// the portal the `irp` header names, or of the serving portal without a header.
pub fn visible(state: &AppState, record: &InvoiceRecord, irp: Option<u8>) -> bool {
    match state.settings.compat {
        Compat::Native => true,
        Compat::Nic => record.portal == irp.unwrap_or(state.settings.portal.id),
    }
}

/// The record of `irn` if this request may see it (`02` §3), else the endpoint's "not found"
/// code. Imported `REJ` records are never served.
pub async fn visible_invoice(
    state: &AppState,
    irn: &Irn,
    irp: Option<u8>,
    not_found: Code,
) -> Result<InvoiceRecord, ApiError> {
    let record = state.store.invoice(irn).await.or_code(Code::E5001)?;
    record
        .filter(|r| r.status != InvoiceStatus::Rejected && visible(state, r, irp))
        .or_code(not_found)
}

/// Ownership (`02` §4): the supplier, or the operator named on the record (with a matching
/// `sup_gstin` if one is sent).
pub fn owns(caller: &Caller, record: &InvoiceRecord) -> bool {
    record.seller_gstin == *caller.gstin
        || (record
            .ecm_gstin
            .as_ref()
            .is_some_and(|ecm| *ecm == *caller.gstin)
            && caller
                .sup_gstin
                .as_deref()
                .is_none_or(|sup| record.seller_gstin == *sup))
}

/// The active e-way bill of an IRN, if any.
pub async fn active_ewb(state: &AppState, irn: &Irn) -> Result<Option<EwbRecord>, ApiError> {
    let latest = state.store.latest_ewb(irn).await.or_code(Code::E5001)?;
    Ok(latest.filter(|ewb| ewb.status == EwbStatus::Active))
}

/// The `data` string inside the stored `SignedInvoice` token: the invoice as signed.
pub fn signed_data(record: &InvoiceRecord) -> Result<String, ApiError> {
    jws::unverified_data(&record.signed_invoice)
        .ok_or("the stored signed invoice does not decode")
        .or_code(Code::E5001)
}

/// The registered invoice, bound back from its stored signed data.
pub fn stored_invoice(record: &InvoiceRecord) -> Result<Invoice, ApiError> {
    bind_stored(&signed_data(record)?, &record.irn)
        .ok_or("the stored signed invoice does not bind")
        .or_code(Code::E5001)
}

/// Binds the stored data back to an `Invoice`. The stored form passed the schema when it was
/// registered; rules that may have changed since are relaxed so old invoices always print.
pub fn bind_stored(signed_data: &str, irn: &Irn) -> Option<Invoice> {
    let rules = Rules {
        date_year_range: (1900, 9999),
        max_items: MAX_ITEMS_CEILING,
        max_errors: 1,
        ..Rules::default()
    };
    // The portal wrote `"Irn":"…",` after AckNo and AckDt; a request may not carry it (V-03).
    let without_irn = signed_data.replacen(&format!("\"Irn\":\"{irn}\","), "", 1);
    parse_invoice(without_irn.as_bytes(), &rules, &MemoryRegister::new()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_signed_data_binds_back() {
        let body = br#"{"Version":"1.1","TranDtls":{"TaxSch":"GST","SupTyp":"B2B"},"DocDtls":{"Typ":"INV","No":"A/1","Dt":"01/07/2025"},
"SellerDtls":{"Gstin":"29LARGE1000C1ZK","LglNm":"Seller Ltd","Addr1":"1 MG Road","Loc":"Bengaluru","Pin":560001,"Stcd":"29"},
"BuyerDtls":{"Gstin":"29AWGPV7107B1Z1","LglNm":"Buyer Ltd","Pos":"29","Addr1":"7th block","Loc":"Bengaluru","Pin":562160,"Stcd":"29"},
"ItemList":[{"SlNo":"1","IsServc":"N","HsnCd":"61091000","Qty":10,"Unit":"NOS","UnitPrice":100.0,"TotAmt":1000,"AssAmt":1000,"GstRt":5,"CgstAmt":25,"SgstAmt":25,"TotItemVal":1050}],
"ValDtls":{"AssVal":1000,"CgstVal":25,"SgstVal":25,"TotInvVal":1050}}"#;
        let invoice = parse_invoice(body, &Rules::default(), &MemoryRegister::new()).unwrap();
        let irn = Irn::of(&invoice);
        let at = chrono::NaiveDate::from_ymd_opt(2025, 7, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let ack = irp_core::ack::Ack {
            ack_no: irp_core::ack::AckNo::new(1, 1, at, 1).unwrap(),
            ack_dt: at,
        };
        let data = irp_core::signed::signed_invoice_data(&invoice, &irn, &ack, false);
        assert_eq!(bind_stored(&data, &irn), Some(invoice));
    }
}
