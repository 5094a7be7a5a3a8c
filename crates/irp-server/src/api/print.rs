//! `GET /eiext/v1.00/print/{irn}?format=html|json` (E1, `02` §5.1, D-55): any IRN from either
//! portal, printed from the stored signed invoice, never from a fresh computation.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use irp_core::ack::format_timestamp;
use irp_core::canonical::format_date;
use irp_core::codes::Code;
use irp_core::invoice::{Invoice, Number};
use irp_core::irn::Irn;
use irp_core::json::ObjectWriter;
use irp_store::InvoiceRecord;

use crate::api::records::{bind_stored, owns, signed_data, visible_invoice};
use crate::api::{NicCall, OrCode as _, QueryParams};
use crate::envelope::{ApiError, Envelope};
use crate::figures;
use crate::state::AppState;

pub async fn print(
    State(state): State<AppState>,
    Path(irn): Path<String>,
    RawQuery(query): RawQuery,
    call: NicCall,
) -> Result<Envelope, ApiError> {
    let irp = call.irp()?;
    let format = QueryParams::parse(query.as_deref().unwrap_or(""))
        .get("format")
        .unwrap_or_else(|| "html".to_owned())
        .to_ascii_lowercase();
    let irn = Irn::parse(&irn).or_code(Code::E2145)?;
    let record = visible_invoice(&state, &irn, irp, Code::E2148).await?;
    if !owns(&call.caller, &record) {
        return Err(ApiError::code(Code::E2226));
    }
    let signed_data = signed_data(&record)?;
    let printed_on = format_timestamp(state.clock.now());
    let printed_from = portal_name(state.settings.portal.id);
    let (content_type, bytes) = match format.as_str() {
        "html" => (
            "text/html; charset=utf-8",
            print_html(&state, &record, &signed_data)?.into_bytes(),
        ),
        "pdf" => (
            "application/pdf",
            print_pdf(&state, &record, &signed_data).await?,
        ),
        "json" => (
            "application/json; charset=utf-8",
            print_model_json(&record, &signed_data, printed_from, &printed_on).into_bytes(),
        ),
        _ => return Err(ApiError::code(Code::E2142)),
    };
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 256);
    let mut object = ObjectWriter::open(&mut out);
    object.str("Irn", record.irn.as_str());
    object.str("Format", &format);
    object.str("ContentType", content_type);
    object.str("Content", &irp_core::protocol::encode_base64(&bytes));
    object.close();
    Ok(call.encrypted(&out))
}

use crate::web::portal_name;

/// The print of `record` as an A4 PDF, printed now by this portal (`crate::pdf`), made on a
/// blocking thread: a few milliseconds of a core.
pub async fn print_pdf(
    state: &AppState,
    record: &InvoiceRecord,
    signed_data: &str,
) -> Result<Vec<u8>, ApiError> {
    let record = record.clone();
    let signed_data = signed_data.to_owned();
    let printed_from = portal_name(state.settings.portal.id);
    let printed_on = format_timestamp(state.clock.now());
    let ecc = state.settings.print.qr_ecc;
    tokio::task::spawn_blocking(move || {
        render_pdf(&record, &signed_data, printed_from, printed_on, ecc)
    })
    .await
    .or_code(Code::E5001)?
    .or_code(Code::E5001)
}

/// Why a PDF print could not be made; the portal's own failure, never the caller's.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the stored signed invoice does not bind")]
    Unbound,
    #[error(transparent)]
    Qr(#[from] irp_core::qr::QrError),
    #[error(transparent)]
    Pdf(#[from] crate::pdf::PdfError),
}

/// The PDF of a registered document from its stored signed data, as printed from `printed_from`
/// at `printed_on`. Public for the benchmark (`benches/print_pdf.rs`).
pub fn render_pdf(
    record: &InvoiceRecord,
    signed_data: &str,
    printed_from: &'static str,
    printed_on: String,
    ecc: irp_core::qr::QrEcc,
) -> Result<Vec<u8>, PrintError> {
    let invoice = bind_stored(signed_data, &record.irn).ok_or(PrintError::Unbound)?;
    let qr = irp_core::qr::modules(&record.signed_qr_code, ecc)?;
    let page = page(record, &invoice, String::new(), printed_from, printed_on);
    Ok(crate::pdf::render(&page, &qr)?)
}

/// The print view of `record` as HTML, from its stored signed data (`signed_data`), printed
/// now by this portal: what the E1 API returns and what the web mode's print page shows.
pub fn print_html(
    state: &AppState,
    record: &InvoiceRecord,
    signed_data: &str,
) -> Result<String, ApiError> {
    let invoice = bind_stored(signed_data, &record.irn)
        .ok_or("the stored signed invoice does not bind")
        .or_code(Code::E5001)?;
    let ecc = state.settings.print.qr_ecc;
    let qr_svg = irp_core::qr::render_svg(&record.signed_qr_code, ecc).or_code(Code::E5001)?;
    let modules = irp_core::qr::modules(&record.signed_qr_code, ecc).or_code(Code::E5001)?;
    let printed_on = format_timestamp(state.clock.now());
    let printed_from = portal_name(state.settings.portal.id);
    let mut page = page(record, &invoice, qr_svg, printed_from, printed_on);
    page.qr_side = qr_side_css(modules.width);
    page.render().or_code(Code::E5001)
}

/// The side of the printed QR code with its quiet zone, as a CSS length: a whole number of
/// 300-dpi printer dots per module, so that every module prints equally wide at 300 and 600
/// dpi wherever the code lands on the page (uneven modules defeat scanners), at least four
/// dots and at least 3.5 cm in all. A CSS pixel is 1/96 inch, so a dot is 0.32 px.
fn qr_side_css(modules: usize) -> String {
    const MIN_SIDE_DOTS: usize = 414; // 3.5 cm at 300 dpi is 413.4 dots
    let total = modules + 8;
    let dots_per_module = MIN_SIDE_DOTS.div_ceil(total).max(4);
    let hundredths = dots_per_module * total * 32;
    format!("{}.{:02}px", hundredths / 100, hundredths % 100)
}

/// The print model (`format=json`): the registration facts and the signed invoice data as stored.
fn print_model_json(
    record: &InvoiceRecord,
    signed_data: &str,
    printed_from: &str,
    printed_on: &str,
) -> String {
    let mut out = String::with_capacity(signed_data.len() + record.signed_qr_code.len() + 512);
    let mut object = ObjectWriter::open(&mut out);
    object.str("Irn", record.irn.as_str());
    object.raw("AckNo", &record.ack_no.to_string());
    object.str("AckDt", &format_timestamp(record.ack_dt));
    object.str("Status", record.status.code());
    match &record.cancellation {
        Some(cancellation) => object.str("CancelDate", &format_timestamp(cancellation.at)),
        None => object.raw("CancelDate", "null"),
    }
    object.str("GeneratedAt", portal_name(record.portal));
    object.str("PrintedFrom", printed_from);
    object.str("PrintedOn", printed_on);
    object.str("SignedQRCode", &record.signed_qr_code);
    object.raw("Invoice", signed_data);
    object.close();
    out
}

#[derive(Template)]
#[template(path = "print.html")]
pub(crate) struct PrintPage {
    pub(crate) irn: String,
    pub(crate) ack_no: u64,
    pub(crate) ack_dt: String,
    pub(crate) cancel_date: Option<String>,
    pub(crate) doc_type: &'static str,
    pub(crate) doc_no: String,
    pub(crate) doc_date: String,
    pub(crate) supply_type: &'static str,
    pub(crate) reverse_charge: bool,
    pub(crate) pos: String,
    pub(crate) ewb: Option<String>,
    pub(crate) qr_svg: String,
    /// The QR code's printed side with its quiet zone, as a CSS length (the HTML print only).
    pub(crate) qr_side: String,
    pub(crate) parties: Vec<Party>,
    pub(crate) items: Vec<PrintItem>,
    /// Each present total with its label, formatted for people (`crate::figures`); the last is
    /// [`TOTAL_INVOICE_VALUE`].
    pub(crate) totals: Vec<(&'static str, String)>,
    pub(crate) generated_at: &'static str,
    pub(crate) printed_from: &'static str,
    pub(crate) printed_on: String,
}

impl PrintPage {
    /// Whether a line of the totals is the invoice value, printed in bold with the Rupee sign.
    pub(crate) fn is_grand_total(&self, label: &str) -> bool {
        label == TOTAL_INVOICE_VALUE
    }
}

/// The label of the last line of the totals, printed in bold with the Rupee sign.
pub(crate) const TOTAL_INVOICE_VALUE: &str = "Total invoice value";

pub(crate) struct Party {
    pub(crate) title: &'static str,
    pub(crate) gstin: Option<String>,
    pub(crate) legal_name: String,
    pub(crate) trade_name: Option<String>,
    pub(crate) address: String,
    pub(crate) state: String,
    pub(crate) pin: String,
}

/// One item line as printed: every figure already formatted for people (`crate::figures`), so
/// that the HTML print, the PDF and the web page show the same text.
pub(crate) struct PrintItem {
    pub(crate) sl_no: String,
    pub(crate) description: String,
    pub(crate) hsn: String,
    pub(crate) qty: String,
    pub(crate) unit: String,
    pub(crate) unit_price: String,
    pub(crate) discount: String,
    pub(crate) taxable: String,
    pub(crate) rate: String,
    pub(crate) igst: String,
    pub(crate) cgst: String,
    pub(crate) sgst: String,
    pub(crate) cess: String,
    pub(crate) total: String,
}

fn text(number: &Option<Number>) -> &str {
    number.as_ref().map(Number::text).unwrap_or_default()
}

/// The trade name worth printing: none when it only repeats the legal name.
fn distinct_trade_name(trade_name: &Option<String>, legal_name: &str) -> Option<String> {
    trade_name
        .as_deref()
        .map(str::trim)
        .filter(|trade| !trade.is_empty() && !trade.eq_ignore_ascii_case(legal_name.trim()))
        .map(str::to_owned)
}

fn state_label(code: u8) -> String {
    format!(
        "{} ({code:02})",
        irp_core::masters::state_name(code).unwrap_or("Unknown state")
    )
}

fn address(lines: &[Option<&str>]) -> String {
    lines
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn page(
    record: &InvoiceRecord,
    invoice: &Invoice,
    qr_svg: String,
    printed_from: &'static str,
    printed_on: String,
) -> PrintPage {
    let seller = &invoice.seller_dtls;
    let buyer = &invoice.buyer_dtls;
    let mut parties = vec![
        Party {
            title: "Supplier",
            gstin: Some(seller.gstin.as_str().to_owned()),
            legal_name: seller.lgl_nm.clone(),
            trade_name: distinct_trade_name(&seller.trd_nm, &seller.lgl_nm),
            address: address(&[
                Some(&seller.addr1),
                seller.addr2.as_deref(),
                Some(&seller.loc),
            ]),
            state: state_label(seller.stcd.number),
            pin: seller.pin.text().to_owned(),
        },
        Party {
            title: "Recipient",
            gstin: Some(buyer.gstin.as_str().to_owned()),
            legal_name: buyer.lgl_nm.clone(),
            trade_name: distinct_trade_name(&buyer.trd_nm, &buyer.lgl_nm),
            address: address(&[Some(&buyer.addr1), buyer.addr2.as_deref(), Some(&buyer.loc)]),
            state: state_label(buyer.stcd.number),
            pin: text(&buyer.pin).to_owned(),
        },
    ];
    if let Some(dispatch) = &invoice.disp_dtls {
        parties.push(Party {
            title: "Dispatch from",
            gstin: None,
            legal_name: dispatch.nm.clone(),
            trade_name: None,
            address: address(&[
                Some(&dispatch.addr1),
                dispatch.addr2.as_deref(),
                Some(&dispatch.loc),
            ]),
            state: state_label(dispatch.stcd.number),
            pin: dispatch.pin.text().to_owned(),
        });
    }
    if let Some(ship) = &invoice.ship_dtls {
        parties.push(Party {
            title: "Ship to",
            gstin: ship.gstin.as_ref().map(|g| g.as_str().to_owned()),
            legal_name: ship.lgl_nm.clone(),
            trade_name: distinct_trade_name(&ship.trd_nm, &ship.lgl_nm),
            address: address(&[Some(&ship.addr1), ship.addr2.as_deref(), Some(&ship.loc)]),
            state: state_label(ship.stcd.number),
            pin: ship.pin.text().to_owned(),
        });
    }
    let items = invoice
        .item_list
        .iter()
        .map(|item| PrintItem {
            sl_no: item.sl_no.clone(),
            description: item.prd_desc.clone().unwrap_or_default(),
            hsn: item.hsn_cd.clone(),
            qty: figures::quantity(text(&item.qty)),
            unit: item.unit.clone().unwrap_or_default(),
            unit_price: figures::price(item.unit_price.text()),
            discount: figures::optional_amount(text(&item.discount)),
            taxable: figures::amount(item.ass_amt.text()),
            rate: figures::rate(item.gst_rt.text()),
            igst: figures::optional_amount(text(&item.igst_amt)),
            cgst: figures::optional_amount(text(&item.cgst_amt)),
            sgst: figures::optional_amount(text(&item.sgst_amt)),
            cess: figures::optional_amount(text(&item.ces_amt)),
            total: figures::amount(item.tot_item_val.text()),
        })
        .collect();
    let val = &invoice.val_dtls;
    let totals = [
        ("Taxable value", Some(&val.ass_val)),
        ("CGST", val.cgst_val.as_ref()),
        ("SGST", val.sgst_val.as_ref()),
        ("IGST", val.igst_val.as_ref()),
        ("Cess", val.ces_val.as_ref()),
        ("State cess", val.st_ces_val.as_ref()),
        ("Discount", val.discount.as_ref()),
        ("Other charges", val.oth_chrg.as_ref()),
        ("Round off", val.rnd_off_amt.as_ref()),
        (TOTAL_INVOICE_VALUE, Some(&val.tot_inv_val)),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|value| (label, figures::amount(value.text()))))
    .collect();
    PrintPage {
        irn: record.irn.to_string(),
        ack_no: record.ack_no,
        ack_dt: format_timestamp(record.ack_dt),
        cancel_date: record.cancellation.as_ref().map(|c| format_timestamp(c.at)),
        doc_type: match invoice.doc_dtls.typ.code() {
            "CRN" => "Credit note",
            "DBN" => "Debit note",
            _ => "Tax invoice",
        },
        doc_no: invoice.doc_dtls.no.clone(),
        doc_date: format_date(invoice.doc_dtls.dt),
        supply_type: invoice.tran_dtls.sup_typ.code(),
        reverse_charge: invoice.reverse_charge(),
        pos: state_label(buyer.pos.number),
        ewb: None,
        qr_svg,
        qr_side: "45mm".to_owned(),
        parties,
        items,
        totals,
        generated_at: portal_name(record.portal),
        printed_from,
        printed_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_qr_code_has_whole_printer_dots_per_module_and_at_least_3_5_cm() {
        // Version 27 (125 modules), the size of a SignedQRCode: 4 dots a module, 45.04 mm.
        assert_eq!(qr_side_css(125), "170.24px");
        // A smaller symbol gets more dots a module, so that it stays at least 3.5 cm.
        assert_eq!(qr_side_css(57), "145.60px"); // 65 modules × 7 dots
        assert_eq!(qr_side_css(21), "139.20px"); // 29 modules × 15 dots
        for modules in (21..=177).step_by(4) {
            let side = qr_side_css(modules);
            let hundredths: usize = side
                .trim_end_matches("px")
                .replace('.', "")
                .parse()
                .unwrap();
            // 3.5 cm is 132.28 CSS pixels; a 300-dpi dot is 0.32 of one.
            assert!(hundredths >= 13_228, "{modules} modules: {side}");
            assert_eq!(hundredths % 32, 0, "{modules} modules: {side}");
            let dots = hundredths / 32;
            assert_eq!(dots % (modules + 8), 0, "{modules} modules: {side}");
            assert!(dots / (modules + 8) >= 4, "{modules} modules: {side}");
        }
    }

    #[test]
    fn a_trade_name_equal_to_the_legal_name_is_not_printed_again() {
        let legal = "Sandbox Large 29";
        assert_eq!(distinct_trade_name(&None, legal), None);
        assert_eq!(distinct_trade_name(&Some(legal.to_owned()), legal), None);
        assert_eq!(
            distinct_trade_name(&Some(" SANDBOX large 29 ".to_owned()), legal),
            None
        );
        assert_eq!(distinct_trade_name(&Some(String::new()), legal), None);
        assert_eq!(
            distinct_trade_name(&Some("Large Traders".to_owned()), legal).as_deref(),
            Some("Large Traders")
        );
    }
}
