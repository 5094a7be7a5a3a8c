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
    let qr_svg = irp_core::qr::render_svg(&record.signed_qr_code, state.settings.print.qr_ecc)
        .or_code(Code::E5001)?;
    let printed_on = format_timestamp(state.clock.now());
    let printed_from = portal_name(state.settings.portal.id);
    page(record, &invoice, qr_svg, printed_from, printed_on)
        .render()
        .or_code(Code::E5001)
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
    pub(crate) parties: Vec<Party>,
    pub(crate) items: Vec<PrintItem>,
    pub(crate) totals: Vec<(&'static str, String)>,
    pub(crate) generated_at: &'static str,
    pub(crate) printed_from: &'static str,
    pub(crate) printed_on: String,
}

pub(crate) struct Party {
    pub(crate) title: &'static str,
    pub(crate) gstin: Option<String>,
    pub(crate) legal_name: String,
    pub(crate) trade_name: Option<String>,
    pub(crate) address: String,
    pub(crate) state: String,
    pub(crate) pin: String,
}

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

fn text(number: &Option<Number>) -> String {
    number
        .as_ref()
        .map(|n| n.text().to_owned())
        .unwrap_or_default()
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
            trade_name: seller.trd_nm.clone(),
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
            trade_name: buyer.trd_nm.clone(),
            address: address(&[Some(&buyer.addr1), buyer.addr2.as_deref(), Some(&buyer.loc)]),
            state: state_label(buyer.stcd.number),
            pin: text(&buyer.pin),
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
            trade_name: ship.trd_nm.clone(),
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
            qty: text(&item.qty),
            unit: item.unit.clone().unwrap_or_default(),
            unit_price: item.unit_price.text().to_owned(),
            discount: text(&item.discount),
            taxable: item.ass_amt.text().to_owned(),
            rate: item.gst_rt.text().to_owned(),
            igst: text(&item.igst_amt),
            cgst: text(&item.cgst_amt),
            sgst: text(&item.sgst_amt),
            cess: text(&item.ces_amt),
            total: item.tot_item_val.text().to_owned(),
        })
        .collect();
    let val = &invoice.val_dtls;
    let totals = [
        ("Taxable value", Some(val.ass_val.text().to_owned())),
        ("CGST", val.cgst_val.as_ref().map(|n| n.text().to_owned())),
        ("SGST", val.sgst_val.as_ref().map(|n| n.text().to_owned())),
        ("IGST", val.igst_val.as_ref().map(|n| n.text().to_owned())),
        ("Cess", val.ces_val.as_ref().map(|n| n.text().to_owned())),
        (
            "State cess",
            val.st_ces_val.as_ref().map(|n| n.text().to_owned()),
        ),
        (
            "Discount",
            val.discount.as_ref().map(|n| n.text().to_owned()),
        ),
        (
            "Other charges",
            val.oth_chrg.as_ref().map(|n| n.text().to_owned()),
        ),
        (
            "Round off",
            val.rnd_off_amt.as_ref().map(|n| n.text().to_owned()),
        ),
        (
            "Total invoice value",
            Some(val.tot_inv_val.text().to_owned()),
        ),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|value| (label, value)))
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
        parties,
        items,
        totals,
        generated_at: portal_name(record.portal),
        printed_from,
        printed_on,
    }
}
