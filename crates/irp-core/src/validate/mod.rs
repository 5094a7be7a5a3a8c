//! Stages 3 and 4 of validation (`04` §1, §3): who may act for the supplier, and the business
//! rules over a bound invoice.
//!
//! Every rule of a stage runs and all violations are returned together, in the order the rules
//! are listed in `04` §3 and, within a rule, by item index (D-71). Gating rules (⛔) skip the
//! rules that depend on them. Each arithmetic rule checks the submitted values, never values
//! recomputed by another rule, so one wrong field is reported once (D-62).

mod arithmetic;
mod document;
mod items;
mod parties;
mod tax;

use chrono::NaiveDate;

use crate::codes::Code;
use crate::error::ErrorDetail;
use crate::invoice::{Invoice, Item};
use crate::register::{Taxpayer, TaxpayerRegister, TaxpayerType};
use crate::rules::Rules;

/// What the rules need from outside: the settings, the register and today's IST date.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub rules: &'a Rules,
    pub register: &'a dyn TaxpayerRegister,
    /// The current IST calendar date.
    pub today: NaiveDate,
}

/// In what capacity the caller acts for the supplier (`04` P-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Header `Gstin` is the supplier itself.
    Supplier,
    /// Header `Gstin` is the e-commerce operator named in `TranDtls.EcmGstin`.
    EcommerceOperator,
}

/// P-01: may the caller (header `Gstin`, optional `sup_gstin`) act for this supplier? Runs before
/// the duplicate check, so duplicate details only reach entitled callers (D-69).
pub fn authorise(
    invoice: &Invoice,
    header_gstin: &str,
    sup_gstin: Option<&str>,
) -> Result<Caller, ErrorDetail> {
    let seller = invoice.seller_dtls.gstin.as_str();
    let sup_gstin_matches = sup_gstin.is_none_or(|sup| sup.trim().eq_ignore_ascii_case(seller));
    let header = header_gstin.trim();
    let caller = if header.eq_ignore_ascii_case(seller) {
        Some(Caller::Supplier)
    } else if invoice
        .tran_dtls
        .ecm_gstin
        .as_ref()
        .is_some_and(|ecm| header.eq_ignore_ascii_case(ecm.as_str()))
    {
        Some(Caller::EcommerceOperator)
    } else {
        None
    };
    match caller {
        Some(caller) if sup_gstin_matches => Ok(caller),
        _ => Err(ErrorDetail::coded(Code::E2169, "", &[])),
    }
}

/// Stage 4: every business rule of `04` §3.2–§3.6.
pub fn check_business_rules(
    invoice: &Invoice,
    context: &Context<'_>,
) -> Result<(), Vec<ErrorDetail>> {
    let mut checker = Checker::new(invoice, context);
    parties::check(&mut checker);
    document::check(&mut checker);
    tax::check(&mut checker);
    items::check(&mut checker);
    arithmetic::check(&mut checker);
    if checker.errors.is_empty() {
        Ok(())
    } else {
        Err(checker.errors)
    }
}

/// How one item is taxed (`04` §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Regime {
    /// Supplier state equals the place of supply.
    intra: bool,
    /// Taxed as IGST (inter-state, export, SEZ, SEZ developer, or `IgstOnIntra = Y`).
    igst: bool,
}

impl Regime {
    /// Taxed as CGST + SGST: the only items T-03, T-04, T-05 and A-03 apply to.
    fn cgst_sgst(self) -> bool {
        self.intra && !self.igst
    }
}

/// State shared by the rule modules while one invoice is checked.
struct Checker<'a> {
    invoice: &'a Invoice,
    rules: &'a Rules,
    today: NaiveDate,
    register: &'a dyn TaxpayerRegister,
    seller: Option<Taxpayer>,
    /// One regime for every item; the invoice decides it, not the item.
    regime: Regime,
    errors: Vec<ErrorDetail>,
}

impl<'a> Checker<'a> {
    fn new(invoice: &'a Invoice, context: &Context<'a>) -> Checker<'a> {
        let seller = context
            .register
            .taxpayer(invoice.seller_dtls.gstin.as_str());
        let intra = invoice.seller_dtls.stcd.number == invoice.buyer_dtls.pos.number;
        let supply = invoice.tran_dtls.sup_typ;
        let seller_is_sez_developer = seller
            .as_ref()
            .is_some_and(|s| s.taxpayer_type == TaxpayerType::Sed);
        let igst = !intra
            || supply.is_export()
            || supply.is_sez()
            || seller_is_sez_developer
            || invoice.tran_dtls.igst_on_intra == Some(true);
        Checker {
            invoice,
            rules: context.rules,
            today: context.today,
            register: context.register,
            seller,
            regime: Regime { intra, igst },
            errors: Vec::new(),
        }
    }

    fn push(&mut self, error: ErrorDetail) {
        if self.errors.len() < self.rules.max_errors {
            self.errors.push(error);
        }
    }

    fn error(&mut self, code: Code, path: impl Into<String>, args: &[&str]) {
        self.push(ErrorDetail::coded(code, path, args));
    }

    /// The supplier's AATO threshold test: unknown AATO counts as above every threshold (D-54).
    fn seller_aato_at_least(&self, threshold: u64) -> bool {
        self.seller
            .as_ref()
            .and_then(|s| s.aato_inr)
            .is_none_or(|aato| aato >= threshold)
    }

    /// Items with their index, for per-item rules.
    fn items(&self) -> impl Iterator<Item = (usize, &'a Item)> + use<'a> {
        self.invoice.item_list.iter().enumerate()
    }
}

/// The canonical path of field `field` of item `index`.
fn item_path(index: usize, field: &str) -> String {
    format!("ItemList[{index}].{field}")
}
