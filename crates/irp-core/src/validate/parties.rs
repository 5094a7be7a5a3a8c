//! Party rules P-02 to P-18 (`04` §3.2).

use crate::canonical::format_date;
use crate::codes::Code;
use crate::invoice::{Number, PartyGstin, StateCode, SupplyType};
use crate::masters;
use crate::register::{RegistrationStatus, Taxpayer, TaxpayerType};
use crate::rules::ExportField;
use crate::validate::Checker;

pub(super) fn check(c: &mut Checker<'_>) {
    seller_in_register(c);
    seller_state_matches_gstin(c);
    ecommerce_operator(c);
    seller_is_not_buyer(c);
    unregistered_buyer(c);
    registered_buyer(c);
    buyer_state_matches_gstin(c);
    buyer_pin_present(c);
    pin_state_consistency(c);
    export_buyer_state(c);
    place_of_supply(c);
    ship_to_state_is_pos(c);
    export_details(c);
}

/// P-02 to P-05. P-03 gates the others, so a seller missing from the register gets `3028` only.
fn seller_in_register(c: &mut Checker<'_>) {
    let gstin = c.invoice.seller_dtls.gstin.as_str();
    let Some(seller) = c.seller.clone() else {
        c.error(Code::E3028, "SellerDtls.Gstin", &[gstin]);
        return;
    };
    if !seller.einvoice_enabled {
        c.error(Code::E3026, "SellerDtls.Gstin", &[]);
    }
    let doc_date = c.invoice.doc_dtls.dt;
    let doc_date_text = format_date(doc_date);
    let status_code = match seller.status {
        RegistrationStatus::Act | RegistrationStatus::Pro => seller
            .registered_on
            .is_some_and(|registered| doc_date < registered)
            .then_some(Code::E3079),
        RegistrationStatus::Ina => Some(Code::E3076),
        RegistrationStatus::Cnl => match (seller.registered_on, seller.deregistered_on) {
            (None, _) => Some(Code::E3078),
            (Some(registered), _) if doc_date < registered => Some(Code::E3077),
            (_, None) => Some(Code::E3075),
            (_, Some(deregistered)) if doc_date > deregistered => Some(Code::E3074),
            _ => None,
        },
    };
    if let Some(code) = status_code {
        c.error(code, "SellerDtls.Gstin", &[gstin, &doc_date_text]);
    }
    if seller.taxpayer_type == TaxpayerType::Sez {
        c.error(Code::E2231, "SellerDtls.Gstin", &[gstin]);
    } else if !c
        .rules
        .allowed_supplier_types
        .contains(&seller.taxpayer_type)
    {
        c.error(Code::E2300, "SellerDtls.Gstin", &[gstin]);
    }
}

/// P-06.
fn seller_state_matches_gstin(c: &mut Checker<'_>) {
    let seller = &c.invoice.seller_dtls;
    if seller.gstin.state_number() != seller.stcd.number {
        c.error(Code::E2258, "SellerDtls.Stcd", &[]);
    }
}

/// P-07.
fn ecommerce_operator(c: &mut Checker<'_>) {
    let Some(ecm) = &c.invoice.tran_dtls.ecm_gstin else {
        return;
    };
    match c.register.taxpayer(ecm.as_str()) {
        None => c.error(Code::E3028, "TranDtls.EcmGstin", &[ecm.as_str()]),
        Some(operator) if operator.taxpayer_type != TaxpayerType::Tcs => {
            c.error(Code::E2195, "TranDtls.EcmGstin", &[])
        }
        Some(_) => {}
    }
}

/// P-08.
fn seller_is_not_buyer(c: &mut Checker<'_>) {
    if c.invoice.seller_dtls.gstin.as_str() == c.invoice.buyer_dtls.gstin.as_str() {
        c.error(Code::E2211, "BuyerDtls.Gstin", &[]);
    }
}

/// P-09: an unregistered (`URP`) buyer against the supply type.
fn unregistered_buyer(c: &mut Checker<'_>) {
    let supply = c.invoice.tran_dtls.sup_typ;
    let urp = c.invoice.buyer_dtls.gstin == PartyGstin::Unregistered;
    let code = match supply {
        SupplyType::B2b | SupplyType::SezWithPayment | SupplyType::SezWithoutPayment if urp => {
            Some(Code::E2212)
        }
        SupplyType::DeemedExport if urp => Some(Code::E2171),
        SupplyType::ExportWithPayment | SupplyType::ExportWithoutPayment if !urp => {
            Some(Code::E2248)
        }
        _ => None,
    };
    if let Some(code) = code {
        c.error(code, "BuyerDtls.Gstin", &[supply.code()]);
    }
}

/// P-10 (gating) and P-11: a registered buyer must be known and live, and of the right type.
fn registered_buyer(c: &mut Checker<'_>) {
    let Some(gstin) = c.invoice.buyer_dtls.gstin.registered() else {
        return;
    };
    let Some(buyer) = c.register.taxpayer(gstin.as_str()) else {
        c.error(Code::E3028, "BuyerDtls.Gstin", &[gstin.as_str()]);
        return;
    };
    if is_inactive_or_cancelled(&buyer, c.invoice.doc_dtls.dt) {
        c.error(Code::E3029, "BuyerDtls.Gstin", &[gstin.as_str()]);
        return;
    }
    let supply = c.invoice.tran_dtls.sup_typ;
    let buyer_is_sez = matches!(buyer.taxpayer_type, TaxpayerType::Sez | TaxpayerType::Sed);
    if supply.is_sez() && !buyer_is_sez {
        c.error(Code::E2247, "BuyerDtls.Gstin", &[supply.code()]);
    }
    if matches!(supply, SupplyType::B2b | SupplyType::DeemedExport) && buyer_is_sez {
        c.error(Code::E2246, "BuyerDtls.Gstin", &[supply.code()]);
    }
}

/// Inactive = `INA`; cancelled = `CNL` and (no de-registration date, or the document is later).
fn is_inactive_or_cancelled(taxpayer: &Taxpayer, doc_date: chrono::NaiveDate) -> bool {
    match taxpayer.status {
        RegistrationStatus::Ina => true,
        RegistrationStatus::Cnl => taxpayer
            .deregistered_on
            .is_none_or(|deregistered| doc_date > deregistered),
        RegistrationStatus::Act | RegistrationStatus::Pro => false,
    }
}

/// P-12.
fn buyer_state_matches_gstin(c: &mut Checker<'_>) {
    let buyer = &c.invoice.buyer_dtls;
    if let Some(gstin) = buyer.gstin.registered()
        && gstin.state_number() != buyer.stcd.number
    {
        c.error(Code::E2265, "BuyerDtls.Stcd", &[]);
    }
}

/// P-13.
fn buyer_pin_present(c: &mut Checker<'_>) {
    if c.invoice.buyer_dtls.pin.is_none() {
        c.error(
            Code::E2244,
            "BuyerDtls.Pin",
            &[c.invoice.tran_dtls.sup_typ.code()],
        );
    }
}

/// P-14: one algorithm for every address block (`08` §4.1, D-30).
fn pin_state_consistency(c: &mut Checker<'_>) {
    if !c.rules.pin_state_check {
        return;
    }
    let invoice = c.invoice;
    let mut blocks: Vec<(&str, &Number, &StateCode)> = vec![(
        "SellerDtls",
        &invoice.seller_dtls.pin,
        &invoice.seller_dtls.stcd,
    )];
    if let Some(pin) = &invoice.buyer_dtls.pin {
        blocks.push(("BuyerDtls", pin, &invoice.buyer_dtls.stcd));
    }
    if let Some(disp) = &invoice.disp_dtls {
        blocks.push(("DispDtls", &disp.pin, &disp.stcd));
    }
    if let Some(ship) = &invoice.ship_dtls {
        blocks.push(("ShipDtls", &ship.pin, &ship.stcd));
    }
    for (section, pin, state) in blocks {
        let pin_value = pin.as_u32().unwrap_or(0);
        if !masters::pin_matches_state(pin_value, state.number) {
            c.error(Code::E2178, format!("{section}.Pin"), &[&state.text]);
        }
    }
}

/// P-15.
fn export_buyer_state(c: &mut Checker<'_>) {
    let supply = c.invoice.tran_dtls.sup_typ;
    if supply.is_export() && c.invoice.buyer_dtls.stcd.number != 96 {
        c.error(Code::E2261, "BuyerDtls.Stcd", &[supply.code()]);
    }
}

/// P-16: place of supply against the supply type (D-59).
fn place_of_supply(c: &mut Checker<'_>) {
    let supply = c.invoice.tran_dtls.sup_typ;
    let pos = c.invoice.buyer_dtls.pos.number;
    if supply.is_export() {
        if pos != 96 {
            c.error(Code::E2229, "BuyerDtls.Pos", &[supply.code()]);
        }
        return;
    }
    if pos == 96 {
        let transport_services_only = c.invoice.item_list.iter().all(|item| {
            item.is_servc && (item.hsn_cd.starts_with("9965") || item.hsn_cd.starts_with("9968"))
        });
        if !transport_services_only {
            c.error(Code::E2242, "BuyerDtls.Pos", &[supply.code()]);
        }
    } else if !masters::is_state_master_code(pos) {
        c.error(Code::E2243, "BuyerDtls.Pos", &[supply.code()]);
    }
}

/// P-17, off by default (D-64).
fn ship_to_state_is_pos(c: &mut Checker<'_>) {
    if !c.rules.enforce_2245 || c.invoice.tran_dtls.sup_typ != SupplyType::B2b {
        return;
    }
    if let Some(ship) = &c.invoice.ship_dtls
        && ship.stcd.number != c.invoice.buyer_dtls.pos.number
    {
        c.error(Code::E2245, "ShipDtls.Stcd", &[]);
    }
}

/// P-18: exports carry `ExpDtls` with the configured fields (D-45).
fn export_details(c: &mut Checker<'_>) {
    if !c.invoice.tran_dtls.sup_typ.is_export() {
        return;
    }
    let complete = c.invoice.exp_dtls.as_ref().is_some_and(|exp| {
        c.rules
            .export_required_fields
            .iter()
            .all(|field| match field {
                ExportField::ShipBNo => exp.ship_b_no.is_some(),
                ExportField::ShipBDt => exp.ship_b_dt.is_some(),
                ExportField::Port => exp.port.is_some(),
                ExportField::RefClm => exp.ref_clm.is_some(),
                ExportField::ForCur => exp.for_cur.is_some(),
                ExportField::CntCode => exp.cnt_code.is_some(),
                ExportField::ExpDuty => exp.exp_duty.is_some(),
            })
    });
    if !complete {
        c.error(Code::E2208, "ExpDtls", &[]);
    }
}
