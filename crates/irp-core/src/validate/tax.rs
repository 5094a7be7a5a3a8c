//! Tax treatment rules T-01 to T-09 (`04` §3.4, §4.1).

use rust_decimal::Decimal;

use crate::codes::Code;
use crate::invoice::{SupplyType, value_or_zero};
use crate::validate::{Checker, item_path};

pub(super) fn check(c: &mut Checker<'_>) {
    let invoice = c.invoice;
    let supply = invoice.tran_dtls.sup_typ;
    let regime = c.regime;
    // T-01
    if invoice.tran_dtls.igst_on_intra == Some(true) && !regime.intra {
        c.error(Code::E2262, "TranDtls.IgstOnIntra", &[]);
    }
    // T-02
    if matches!(supply, SupplyType::B2b | SupplyType::DeemedExport)
        && regime.intra
        && invoice.buyer_dtls.stcd.number != invoice.seller_dtls.stcd.number
    {
        let has_goods = invoice.item_list.iter().any(|item| !item.is_servc);
        let has_services = invoice.item_list.iter().any(|item| item.is_servc);
        if has_goods && has_services {
            c.error(Code::E2249, "ItemList", &[]);
        }
    }
    if regime.cgst_sgst() {
        // T-03
        for (index, item) in c.items() {
            if value_or_zero(&item.igst_amt) != Decimal::ZERO {
                c.error(
                    Code::E2172,
                    item_path(index, "IgstAmt"),
                    &[&item.hsn_cd, &item.sl_no],
                );
            }
        }
        // T-04
        for (index, item) in c.items() {
            let taxable =
                item.gst_rt.value() > Decimal::ZERO && item.ass_amt.value() > Decimal::ZERO;
            let positive = |amount: &Option<crate::invoice::Number>| {
                amount.as_ref().is_some_and(|a| a.value() > Decimal::ZERO)
            };
            if taxable && !(positive(&item.cgst_amt) && positive(&item.sgst_amt)) {
                c.error(Code::E2241, item_path(index, "CgstAmt"), &[&item.hsn_cd]);
            }
        }
        // T-05
        for (index, item) in c.items() {
            if value_or_zero(&item.cgst_amt) != value_or_zero(&item.sgst_amt) {
                c.error(Code::E2227, item_path(index, "SgstAmt"), &[&item.hsn_cd]);
            }
        }
    }
    // T-06, T-07, T-08: CGST and SGST where only IGST may be charged.
    let prohibition = if supply.is_sez() {
        Some(Code::E2237)
    } else if supply.is_export() {
        Some(Code::E2180)
    } else if regime.igst {
        Some(Code::E2174)
    } else {
        None
    };
    if let Some(code) = prohibition {
        for (index, item) in c.items() {
            let charged = value_or_zero(&item.cgst_amt) != Decimal::ZERO
                || value_or_zero(&item.sgst_amt) != Decimal::ZERO;
            if charged {
                c.error(code, item_path(index, "CgstAmt"), &[&item.hsn_cd]);
            }
        }
    }
    // T-09
    for (index, item) in c.items() {
        if !c.rules.gst_rates.contains(&item.gst_rt.value()) {
            c.error(Code::E2240, item_path(index, "GstRt"), &[&item.hsn_cd]);
        }
    }
}
