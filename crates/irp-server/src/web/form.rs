//! Generate by form: the fields a small business fills in, turned into the INV-01 JSON the API
//! takes and registered by the same `register_invoice`. Amounts are computed here (tax per
//! item, totals) so that the form needs no arithmetic from the user; the core still checks
//! every figure. The form works without JavaScript: adding or removing an item and looking up
//! the buyer post the form back with what was typed.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use irp_core::error::ErrorDetail;
use irp_core::json::ObjectWriter;
use irp_core::register::TaxpayerType;
use irp_store::TaxpayerRecord;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::api::invoice::register_invoice;
use crate::figures;
use crate::state::AppState;
use crate::web::input::Fields;
use crate::web::{Chrome, OrPage as _, WebError, WebUser, html, input};

/// Items one form takes; beyond it, upload the JSON file.
const MAX_FORM_ITEMS: usize = 100;

/// One item row as typed.
#[derive(Debug, Default, Clone)]
pub struct ItemInput {
    pub description: String,
    pub hsn: String,
    pub service: bool,
    pub qty: String,
    pub unit: String,
    pub price: String,
    pub rate: String,
    /// Computed for display: taxable value, tax and item total, when the figures parse.
    pub taxable: String,
    pub tax: String,
    pub total: String,
}

/// The form as typed.
#[derive(Debug, Default, Clone)]
pub struct InvoiceInput {
    pub doc_type: String,
    pub doc_no: String,
    pub doc_date: String,
    pub sup_type: String,
    pub reverse_charge: bool,
    pub buyer_gstin: String,
    pub buyer_name: String,
    pub buyer_addr1: String,
    pub buyer_loc: String,
    pub buyer_pin: String,
    pub buyer_state: String,
    pub buyer_pos: String,
    pub items: Vec<ItemInput>,
}

impl InvoiceInput {
    fn from_fields(fields: &Fields) -> InvoiceInput {
        let text = |name: &str| fields.get(name).unwrap_or_default().to_owned();
        let column = |name: &str| fields.all(name);
        let descriptions = column("item_desc");
        let hsns = column("item_hsn");
        let services = column("item_service");
        let qtys = column("item_qty");
        let units = column("item_unit");
        let prices = column("item_price");
        let rates = column("item_rate");
        let at = |values: &[&str], i: usize| values.get(i).copied().unwrap_or_default().to_owned();
        let count = descriptions.len().min(MAX_FORM_ITEMS);
        let items = (0..count)
            .map(|i| ItemInput {
                description: at(&descriptions, i),
                hsn: at(&hsns, i),
                service: at(&services, i) == "Y",
                qty: at(&qtys, i),
                unit: at(&units, i).to_ascii_uppercase(),
                price: at(&prices, i),
                rate: at(&rates, i),
                ..ItemInput::default()
            })
            .collect();
        InvoiceInput {
            doc_type: text("doc_type"),
            doc_no: text("doc_no"),
            doc_date: text("doc_date"),
            sup_type: text("sup_type"),
            reverse_charge: fields.get("reverse_charge") == Some("Y"),
            buyer_gstin: text("buyer_gstin").to_ascii_uppercase(),
            buyer_name: text("buyer_name"),
            buyer_addr1: text("buyer_addr1"),
            buyer_loc: text("buyer_loc"),
            buyer_pin: text("buyer_pin"),
            buyer_state: text("buyer_state"),
            buyer_pos: text("buyer_pos"),
            items,
        }
    }

    fn sup_type_is(&self, code: &str) -> bool {
        self.sup_type == code
    }

    fn blank(today: &str) -> InvoiceInput {
        InvoiceInput {
            doc_type: "INV".to_owned(),
            doc_date: today.to_owned(),
            sup_type: "B2B".to_owned(),
            items: vec![ItemInput {
                unit: "NOS".to_owned(),
                ..ItemInput::default()
            }],
            ..InvoiceInput::default()
        }
    }

    /// Fills the buyer from the register, keeping what the user typed where the register has
    /// nothing.
    fn fill_buyer(&mut self, record: &TaxpayerRecord) {
        self.buyer_name = record.legal_name.clone();
        let address = register_address(record);
        if !address.is_empty() {
            self.buyer_addr1 = address;
        }
        if let Some(loc) = &record.addr_loc {
            self.buyer_loc = loc.clone();
        }
        if let Some(pin) = record.addr_pncd {
            self.buyer_pin = pin.to_string();
        }
        self.buyer_state = format!("{:02}", record.state_code);
        if self.buyer_pos.is_empty() {
            self.buyer_pos = self.buyer_state.clone();
        }
    }
}

/// The first address line of a register record: building number, building and street.
fn register_address(record: &TaxpayerRecord) -> String {
    [&record.addr_bno, &record.addr_bnm, &record.addr_st]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

/// A figure as typed, when it is a number.
fn number(text: &str) -> Option<Decimal> {
    text.trim().parse::<Decimal>().ok()
}

/// An amount with exactly two decimals, as invoices show money.
fn paise(value: Decimal) -> String {
    format!("{value:.2}")
}

fn money(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The amounts of one item: taxable value and its tax split, as the form computes them.
struct Amounts {
    taxable: Decimal,
    igst: Decimal,
    cgst: Decimal,
    sgst: Decimal,
}

impl Amounts {
    fn total(&self) -> Decimal {
        self.taxable + self.igst + self.cgst + self.sgst
    }
}

/// How an invoice's items are taxed, as the core's rules decide it (`validate`, the regime of
/// T-02/T-03): CGST and SGST within the supplier's state, IGST for exports, SEZ supplies, a
/// SEZ developer's supplies and across states, and no tax on supplies "without payment".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Regime {
    Split,
    Igst,
    NoTax,
}

fn regime(seller: &TaxpayerRecord, input: &InvoiceInput) -> Regime {
    let supply = input.sup_type.as_str();
    if matches!(supply, "EXPWOP" | "SEZWOP") {
        return Regime::NoTax;
    }
    let intra = input.buyer_pos.parse::<u8>().ok() == Some(seller.state_code);
    let export_or_sez = matches!(supply, "EXPWP" | "SEZWP");
    if intra && !export_or_sez && seller.taxpayer_type != TaxpayerType::Sed {
        Regime::Split
    } else {
        Regime::Igst
    }
}

fn amounts(item: &ItemInput, regime: Regime) -> Option<Amounts> {
    // Figures too large for a decimal are "not a number" here; the core reports the field.
    let taxable = money(number(&item.qty)?.checked_mul(number(&item.price)?)?);
    let rate = number(&item.rate)?;
    let tax = taxable.checked_mul(rate)? / Decimal::ONE_HUNDRED;
    let zero = Decimal::ZERO;
    let amounts = match regime {
        Regime::Split => {
            let half = money(tax / Decimal::TWO);
            Amounts {
                taxable,
                igst: zero,
                cgst: half,
                sgst: half,
            }
        }
        Regime::Igst => Amounts {
            taxable,
            igst: money(tax),
            cgst: zero,
            sgst: zero,
        },
        Regime::NoTax => Amounts {
            taxable,
            igst: zero,
            cgst: zero,
            sgst: zero,
        },
    };
    // The item total must fit too.
    amounts
        .taxable
        .checked_add(amounts.igst + amounts.cgst + amounts.sgst)?;
    Some(amounts)
}

/// The sum of `values`, or `None` when it does not fit a decimal.
fn checked_sum(mut values: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    values.try_fold(Decimal::ZERO, Decimal::checked_add)
}

/// A figure for the JSON: the number when it parses, else the text as typed, so that the core
/// reports the field with its path rather than the form guessing.
fn figure(object: &mut ObjectWriter<'_>, name: &str, text: &str) {
    match number(text) {
        Some(value) => object.raw(name, &value.to_string()),
        None if text.is_empty() => {}
        None => object.str(name, text),
    }
}

/// The INV-01 JSON of the form, for `seller`.
fn invoice_json(input: &InvoiceInput, seller: &TaxpayerRecord) -> String {
    let regime = regime(seller, input);
    let computed: Vec<Option<Amounts>> = input.items.iter().map(|i| amounts(i, regime)).collect();
    let mut out = String::with_capacity(2048);
    let mut root = ObjectWriter::open(&mut out);
    root.str("Version", "1.1");
    root.object("TranDtls", |t| {
        t.str("TaxSch", "GST");
        t.str("SupTyp", &input.sup_type);
        t.str("RegRev", if input.reverse_charge { "Y" } else { "N" });
    });
    root.object("DocDtls", |d| {
        d.str("Typ", &input.doc_type);
        d.str("No", &input.doc_no);
        d.str("Dt", &input.doc_date);
    });
    root.object("SellerDtls", |s| {
        s.str("Gstin", &seller.gstin);
        s.str("LglNm", &seller.legal_name);
        s.opt_str("TrdNm", seller.trade_name.as_deref());
        s.str("Addr1", &register_address(seller));
        s.str("Loc", seller.addr_loc.as_deref().unwrap_or_default());
        if let Some(pin) = seller.addr_pncd {
            s.raw("Pin", &pin.to_string());
        }
        s.str("Stcd", &format!("{:02}", seller.state_code));
    });
    root.object("BuyerDtls", |b| {
        b.str("Gstin", &input.buyer_gstin);
        b.str("LglNm", &input.buyer_name);
        b.str("Pos", &input.buyer_pos);
        b.str("Addr1", &input.buyer_addr1);
        b.str("Loc", &input.buyer_loc);
        figure(b, "Pin", &input.buyer_pin);
        b.str("Stcd", &input.buyer_state);
    });
    let rows: Vec<(usize, &ItemInput)> = input.items.iter().enumerate().collect();
    root.array("ItemList", &rows, |o, (index, item)| {
        o.str("SlNo", &(index + 1).to_string());
        o.opt_str(
            "PrdDesc",
            Some(item.description.as_str()).filter(|d| !d.is_empty()),
        );
        o.str("IsServc", if item.service { "Y" } else { "N" });
        o.str("HsnCd", &item.hsn);
        figure(o, "Qty", &item.qty);
        o.opt_str("Unit", Some(item.unit.as_str()).filter(|u| !u.is_empty()));
        figure(o, "UnitPrice", &item.price);
        figure(o, "GstRt", &item.rate);
        if let Some(a) = &computed[*index] {
            o.raw("TotAmt", &paise(a.taxable));
            o.raw("AssAmt", &paise(a.taxable));
            o.raw("IgstAmt", &paise(a.igst));
            o.raw("CgstAmt", &paise(a.cgst));
            o.raw("SgstAmt", &paise(a.sgst));
            o.raw("TotItemVal", &paise(a.total()));
        }
    });
    let sum = |pick: fn(&Amounts) -> Decimal| checked_sum(computed.iter().flatten().map(pick));
    root.object("ValDtls", |v| {
        // A sum too large for a decimal is left out, and the core reports the field.
        for (name, total) in [
            ("AssVal", sum(|a| a.taxable)),
            ("IgstVal", sum(|a| a.igst)),
            ("CgstVal", sum(|a| a.cgst)),
            ("SgstVal", sum(|a| a.sgst)),
            ("TotInvVal", sum(Amounts::total)),
        ] {
            if let Some(total) = total {
                v.raw(name, &paise(total));
            }
        }
    });
    root.close();
    out
}

/// Fills in the computed columns and returns the totals shown under the items.
fn compute(input: &mut InvoiceInput, seller: &TaxpayerRecord) -> Totals {
    let regime = regime(seller, input);
    let mut computed = Vec::with_capacity(input.items.len());
    for item in &mut input.items {
        if let Some(a) = amounts(item, regime) {
            item.taxable = figures::money(a.taxable);
            item.tax = figures::money(a.igst + a.cgst + a.sgst);
            item.total = figures::money(a.total());
            computed.push(a);
        }
    }
    let sum = |pick: fn(&Amounts) -> Decimal| checked_sum(computed.iter().map(pick));
    Totals([
        sum(|a| a.taxable),
        sum(|a| a.igst),
        sum(|a| a.cgst),
        sum(|a| a.sgst),
        sum(Amounts::total),
    ])
}

/// Taxable value, IGST, CGST, SGST and invoice value; `None` where a sum does not fit.
struct Totals([Option<Decimal>; 5]);

impl Totals {
    fn shown(&self) -> [String; 5] {
        self.0
            .map(|total| total.map(figures::money).unwrap_or_default())
    }
}

#[derive(Template)]
#[template(path = "web/generate.html")]
struct GeneratePage {
    chrome: Chrome,
    seller: String,
    /// Two digits, and whether the supplier is a SEZ developer: the script's choice of regime.
    seller_state: String,
    seller_sez: bool,
    input: InvoiceInput,
    /// Taxable value, IGST, CGST, SGST and invoice value, as shown.
    totals: [String; 5],
    errors: Vec<ErrorDetail>,
    /// Messages by form field (`buyer_gstin`, `item_hsn_0`…), from the errors' paths.
    by_field: BTreeMap<String, Vec<String>>,
    max_upload_kib: usize,
}

impl GeneratePage {
    fn field_errors(&self, field: &str) -> Vec<String> {
        self.by_field.get(field).cloned().unwrap_or_default()
    }

    // Askama hands loop indices by reference.
    fn item_errors(&self, column: &str, index: &usize) -> Vec<String> {
        self.field_errors(&format!("{column}_{index}"))
    }
}

/// The form field an error's path points at, when there is one.
fn field_of(path: &str) -> Option<String> {
    let (section, rest) = path.split_once('.').unwrap_or((path, ""));
    if let Some(index) = section
        .strip_prefix("ItemList[")
        .and_then(|s| s.strip_suffix(']'))
        .and_then(|s| s.parse::<usize>().ok())
    {
        let column = match rest {
            "PrdDesc" => "item_desc",
            "HsnCd" => "item_hsn",
            "IsServc" => "item_service",
            "Qty" => "item_qty",
            "Unit" => "item_unit",
            "UnitPrice" => "item_price",
            "GstRt" => "item_rate",
            _ => return None,
        };
        return Some(format!("{column}_{index}"));
    }
    let field = match (section, rest) {
        ("DocDtls", "Typ") => "doc_type",
        ("DocDtls", "No") => "doc_no",
        ("DocDtls", "Dt") => "doc_date",
        ("TranDtls", "SupTyp") => "sup_type",
        ("TranDtls", "RegRev") => "reverse_charge",
        ("BuyerDtls", "Gstin") => "buyer_gstin",
        ("BuyerDtls", "LglNm") => "buyer_name",
        ("BuyerDtls", "Addr1") => "buyer_addr1",
        ("BuyerDtls", "Loc") => "buyer_loc",
        ("BuyerDtls", "Pin") => "buyer_pin",
        ("BuyerDtls", "Stcd") => "buyer_state",
        ("BuyerDtls", "Pos") => "buyer_pos",
        _ => return None,
    };
    Some(field.to_owned())
}

async fn seller_of(state: &AppState, user: &WebUser) -> Result<TaxpayerRecord, WebError> {
    state
        .store
        .taxpayer_record(&user.caller.gstin)
        .await
        .or_page()?
        .ok_or_else(|| {
            WebError::BadRequest(
                "Your GSTIN is not in the taxpayer register of this portal.".to_owned(),
            )
        })
}

fn render(
    state: &AppState,
    user: &WebUser,
    seller: &TaxpayerRecord,
    mut input: InvoiceInput,
    errors: Vec<ErrorDetail>,
) -> Response {
    let totals = compute(&mut input, seller);
    let mut by_field: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for error in &errors {
        if let Some(field) = field_of(&error.path) {
            by_field.entry(field).or_default().push(format!(
                "{} {}",
                error.code.as_str(),
                error.message
            ));
        }
    }
    html(&GeneratePage {
        chrome: user.chrome(state),
        seller: format!("{} · {}", seller.gstin, seller.legal_name),
        seller_state: format!("{:02}", seller.state_code),
        seller_sez: seller.taxpayer_type == TaxpayerType::Sed,
        input,
        totals: totals.shown(),
        errors,
        by_field,
        max_upload_kib: state.settings.limits.max_body_bytes / 1024,
    })
}

/// `GET /invoices/new`.
pub async fn blank(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    let seller = seller_of(&state, &user).await?;
    let today = irp_core::canonical::format_date(state.clock.now().date());
    Ok(render(
        &state,
        &user,
        &seller,
        InvoiceInput::blank(&today),
        Vec::new(),
    ))
}

/// `POST /invoices/new`: add or remove an item, look up the buyer, or generate.
pub async fn submit(
    State(state): State<AppState>,
    user: WebUser,
    body: Body,
) -> Result<Response, WebError> {
    let fields = input::form(&state, body).await?;
    user.check_form(fields.get("csrf"))?;
    let seller = seller_of(&state, &user).await?;
    let mut input = InvoiceInput::from_fields(&fields);
    let action = fields.get("action").unwrap_or("generate");
    if action == "add" {
        if input.items.len() < MAX_FORM_ITEMS {
            input.items.push(ItemInput {
                unit: "NOS".to_owned(),
                ..ItemInput::default()
            });
        }
        return Ok(render(&state, &user, &seller, input, Vec::new()));
    }
    if let Some(index) = action
        .strip_prefix("remove-")
        .and_then(|i| i.parse::<usize>().ok())
    {
        if index < input.items.len() && input.items.len() > 1 {
            input.items.remove(index);
        }
        return Ok(render(&state, &user, &seller, input, Vec::new()));
    }
    if action == "lookup" {
        let found = state
            .store
            .taxpayer_record(&input.buyer_gstin)
            .await
            .or_page()?;
        let errors = match found {
            Some(record) => {
                input.fill_buyer(&record);
                Vec::new()
            }
            None => vec![ErrorDetail::with_message(
                irp_core::codes::Code::E3028,
                "BuyerDtls.Gstin",
                "This GSTIN is not in the register: type the buyer's details.".to_owned(),
            )],
        };
        return Ok(render(&state, &user, &seller, input, errors));
    }
    let json = invoice_json(&input, &seller);
    match register_invoice(&state, &user.caller, json.as_bytes()).await {
        Ok(registered) => {
            Ok(Redirect::to(&format!("/invoices/{}?new=1", registered.record.irn)).into_response())
        }
        Err(error) => {
            let mut response = render(&state, &user, &seller, input, error.errors);
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

/// `GET /invoices/lookup/{gstin}`: the register's name and address of a GSTIN, for the form's
/// script; `{}` when unknown.
pub async fn lookup(
    State(state): State<AppState>,
    _user: WebUser,
    Path(gstin): Path<String>,
) -> Result<Response, WebError> {
    let found = state
        .store
        .taxpayer_record(&gstin.to_ascii_uppercase())
        .await
        .or_page()?;
    let mut input = InvoiceInput::default();
    let Some(record) = found else {
        return Ok(Json(serde_json::json!({})).into_response());
    };
    input.fill_buyer(&record);
    Ok(Json(serde_json::json!({
        "name": input.buyer_name,
        "addr1": input.buyer_addr1,
        "loc": input.buyer_loc,
        "pin": input.buyer_pin,
        "state": input.buyer_state,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(qty: &str, price: &str, rate: &str) -> ItemInput {
        ItemInput {
            qty: qty.into(),
            price: price.into(),
            rate: rate.into(),
            ..ItemInput::default()
        }
    }

    #[test]
    fn intra_state_tax_is_split_and_rounded_half_away_from_zero() {
        let a = amounts(&item("3", "33.335", "5"), Regime::Split).unwrap();
        // 3 × 33.335 = 100.005 → 100.01; 5 % = 5.0005 → 2.50025 each → 2.50.
        assert_eq!(a.taxable.to_string(), "100.01");
        assert_eq!(
            (a.cgst, a.sgst, a.igst),
            (Decimal::new(250, 2), Decimal::new(250, 2), Decimal::ZERO)
        );
        let a = amounts(&item("1", "1000", "18"), Regime::Igst).unwrap();
        assert_eq!(paise(a.igst), "180.00");
        assert_eq!(paise(a.total()), "1180.00");
        let a = amounts(&item("1", "1000", "18"), Regime::NoTax).unwrap();
        assert_eq!(paise(a.total()), "1000.00");
        assert!(amounts(&item("x", "1", "5"), Regime::Split).is_none());
    }

    #[test]
    fn figures_too_large_for_a_decimal_are_not_numbers_and_never_panic() {
        let huge = "79228162514264337593543950335";
        assert!(amounts(&item(huge, "2", "5"), Regime::Igst).is_none());
        assert!(amounts(&item("1", huge, "18"), Regime::Split).is_none());
        assert!(checked_sum([Decimal::MAX, Decimal::ONE].into_iter()).is_none());
        assert_eq!(
            checked_sum([Decimal::ONE, Decimal::TWO].into_iter()),
            Some(Decimal::new(3, 0))
        );
    }

    fn seller(state_code: u8, taxpayer_type: TaxpayerType) -> TaxpayerRecord {
        TaxpayerRecord {
            gstin: "29AAAAA0000A1Z5".to_owned(),
            trade_name: None,
            legal_name: "Seller".to_owned(),
            addr_bnm: None,
            addr_bno: None,
            addr_flno: None,
            addr_st: None,
            addr_loc: None,
            state_code,
            addr_pncd: None,
            taxpayer_type,
            status: irp_core::register::RegistrationStatus::Act,
            blk_status: None,
            registered_on: None,
            deregistered_on: None,
            aato_inr: None,
            einvoice_enabled: true,
            max_items: None,
            test: true,
        }
    }

    #[test]
    fn the_regime_is_the_cores() {
        let input = |supply: &str, pos: &str| InvoiceInput {
            sup_type: supply.to_owned(),
            buyer_pos: pos.to_owned(),
            ..InvoiceInput::default()
        };
        let regular = seller(29, TaxpayerType::Reg);
        assert_eq!(regime(&regular, &input("B2B", "29")), Regime::Split);
        assert_eq!(regime(&regular, &input("B2B", "27")), Regime::Igst);
        // A deemed export within the state is taxed as an intra-state supply.
        assert_eq!(regime(&regular, &input("DEXP", "29")), Regime::Split);
        assert_eq!(regime(&regular, &input("EXPWP", "29")), Regime::Igst);
        assert_eq!(regime(&regular, &input("SEZWP", "29")), Regime::Igst);
        assert_eq!(regime(&regular, &input("EXPWOP", "96")), Regime::NoTax);
        assert_eq!(regime(&regular, &input("SEZWOP", "29")), Regime::NoTax);
        let developer = seller(29, TaxpayerType::Sed);
        assert_eq!(regime(&developer, &input("B2B", "29")), Regime::Igst);
    }

    #[test]
    fn error_paths_point_at_form_fields() {
        assert_eq!(field_of("ItemList[1].HsnCd").as_deref(), Some("item_hsn_1"));
        assert_eq!(field_of("BuyerDtls.Gstin").as_deref(), Some("buyer_gstin"));
        assert_eq!(field_of("DocDtls.Dt").as_deref(), Some("doc_date"));
        assert_eq!(field_of("ValDtls.TotInvVal"), None);
        assert_eq!(field_of(""), None);
    }
}
