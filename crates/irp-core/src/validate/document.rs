//! Document rules DT-02 to DT-07 (`04` §3.3).

use rust_decimal::Decimal;

use crate::canonical::format_date;
use crate::codes::Code;
use crate::invoice::SupplyType;
use crate::rules::Counting;
use crate::validate::Checker;

pub(super) fn check(c: &mut Checker<'_>) {
    let doc_date = c.invoice.doc_dtls.dt;
    // DT-02
    if doc_date > c.today {
        c.error(Code::E2163, "DocDtls.Dt", &[]);
    }
    // DT-03
    if let Some(floor) = c.rules.doc_date_floor
        && doc_date < floor
    {
        let message = format!(
            "IRN cannot be generated for a document dated before {}.",
            format_date(floor)
        );
        c.push(crate::error::ErrorDetail::with_message(
            Code::E2140,
            "DocDtls.Dt",
            message,
        ));
    }
    // DT-04: the 30-day reporting limit (`06` §4).
    if let Some(threshold) = c.rules.reporting_threshold_on(c.today)
        && c.seller_aato_at_least(threshold)
    {
        let age_days = (c.today - doc_date).num_days();
        let allowed = match c.rules.reporting_counting {
            Counting::Inclusive => c.rules.reporting_window_days - 1,
            Counting::Exclusive => c.rules.reporting_window_days,
        };
        if age_days > allowed {
            c.error(Code::E2305, "DocDtls.Dt", &[]);
        }
    }
    // DT-05
    let supply = c.invoice.tran_dtls.sup_typ;
    let reverse_charge_allowed = matches!(
        supply,
        SupplyType::B2b | SupplyType::SezWithPayment | SupplyType::SezWithoutPayment
    );
    if c.invoice.reverse_charge() && !reverse_charge_allowed {
        c.error(Code::E2162, "TranDtls.RegRev", &[]);
    }
    // DT-06
    let period = c
        .invoice
        .ref_dtls
        .as_ref()
        .and_then(|refs| refs.doc_perd_dtls.as_ref());
    if let Some(period) = period
        && period.inv_st_dt > period.inv_end_dt
    {
        c.error(Code::E2219, "RefDtls.DocPerdDtls.InvStDt", &[]);
    }
    // DT-07
    let val = &c.invoice.val_dtls;
    if let Some(discount) = &val.discount
        && discount.value() > Decimal::ZERO
        && discount.value() >= val.tot_inv_val.value()
    {
        c.error(Code::E2220, "ValDtls.Discount", &[]);
    }
}
