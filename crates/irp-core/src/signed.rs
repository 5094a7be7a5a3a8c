//! The two signed documents of a registration: `SignedInvoice` and `SignedQRCode` (`05` §4–5).

use rust_decimal::Decimal;

use crate::ack::{Ack, format_timestamp};
use crate::canonical::{format_date, write_invoice_fields};
use crate::invoice::Invoice;
use crate::irn::Irn;
use crate::json::ObjectWriter;
use crate::jws;
use crate::keys::SigningKey;

/// What registration produces: the IRN, its acknowledgement and both JWS tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDocuments {
    pub signed_invoice: String,
    pub signed_qr_code: String,
    /// The JWS payload `signed_invoice` signs, kept so the store can pack the token without
    /// decoding it again.
    pub invoice_payload: String,
}

/// Signing options that come from the portal's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningOptions {
    /// `portal.jws_iss`: `NIC` in production, `NIC Sandbox` in the sandbox (D-41).
    pub iss: String,
    /// `signing.default_disp_ship` (D-40).
    pub default_disp_ship: bool,
}

impl Default for SigningOptions {
    fn default() -> SigningOptions {
        SigningOptions {
            iss: "NIC".to_owned(),
            default_disp_ship: false,
        }
    }
}

/// Signs both documents of a registered invoice with the serving portal's key. Each payload is
/// written in its final, escaped form in one pass; it is the payload of [`jws::payload`] over
/// [`signed_invoice_data`] and [`qr_code_data`] byte for byte.
pub fn sign(
    key: &SigningKey,
    options: &SigningOptions,
    invoice: &Invoice,
    irn: &Irn,
    ack: &Ack,
) -> SignedDocuments {
    let invoice_payload = jws::payload_of(&options.iss, invoice_capacity(invoice) * 9 / 8, |o| {
        write_signed_invoice_data(o, invoice, irn, ack, options.default_disp_ship);
    });
    let qr_payload = jws::payload_of(&options.iss, 640, |o| {
        write_qr_code_data(o, invoice, irn, ack);
    });
    SignedDocuments {
        signed_invoice: key.sign_compact(invoice_payload.as_bytes()),
        signed_qr_code: key.sign_compact(qr_payload.as_bytes()),
        invoice_payload,
    }
}

/// The `SignedInvoice` data: `AckNo`, `AckDt`, `Irn`, then the invoice in canonical form.
pub fn signed_invoice_data(
    invoice: &Invoice,
    irn: &Irn,
    ack: &Ack,
    default_disp_ship: bool,
) -> String {
    let mut out = String::with_capacity(invoice_capacity(invoice));
    let mut object = ObjectWriter::open(&mut out);
    write_signed_invoice_data(&mut object, invoice, irn, ack, default_disp_ship);
    object.close();
    out
}

/// A guess at the length of an invoice's signed data.
fn invoice_capacity(invoice: &Invoice) -> usize {
    2048 + 512 * invoice.item_list.len()
}

fn write_signed_invoice_data(
    object: &mut ObjectWriter<'_>,
    invoice: &Invoice,
    irn: &Irn,
    ack: &Ack,
    default_disp_ship: bool,
) {
    object.raw("AckNo", &ack.ack_no.to_string());
    object.str("AckDt", &format_timestamp(ack.ack_dt));
    object.str("Irn", irn.as_str());
    write_invoice_fields(object, invoice, default_disp_ship);
}

/// The `SignedQRCode` data: exactly ten keys in the order of `05` §5.
pub fn qr_code_data(invoice: &Invoice, irn: &Irn, ack: &Ack) -> String {
    let mut out = String::with_capacity(512);
    let mut object = ObjectWriter::open(&mut out);
    write_qr_code_data(&mut object, invoice, irn, ack);
    object.close();
    out
}

fn write_qr_code_data(object: &mut ObjectWriter<'_>, invoice: &Invoice, irn: &Irn, ack: &Ack) {
    object.str("SellerGstin", invoice.seller_dtls.gstin.as_str());
    object.str("BuyerGstin", invoice.buyer_dtls.gstin.as_str());
    object.str("DocNo", &invoice.doc_dtls.no);
    object.str("DocTyp", invoice.doc_dtls.typ.code());
    object.str("DocDt", &format_date(invoice.doc_dtls.dt));
    object.raw(
        "TotInvVal",
        &qr_decimal(invoice.val_dtls.tot_inv_val.value()),
    );
    object.raw("ItemCnt", &invoice.item_list.len().to_string());
    object.str("MainHsnCode", main_hsn_code(invoice));
    object.str("Irn", irn.as_str());
    object.str("IrnDt", &format_timestamp(ack.ack_dt));
}

/// The HSN of the item with the highest `AssAmt`, the first one on a tie (D-28).
pub fn main_hsn_code(invoice: &Invoice) -> &str {
    let mut best: Option<&crate::invoice::Item> = None;
    for item in &invoice.item_list {
        if best.is_none_or(|current| item.ass_amt.value() > current.ass_amt.value()) {
            best = Some(item);
        }
    }
    best.map_or("", |item| item.hsn_cd.as_str())
}

/// A decimal with trailing fractional zeros removed but at least one fractional digit, and no
/// exponent: `105` → `105.0`, `12897.70` → `12897.7` (`05` §5).
pub fn qr_decimal(value: Decimal) -> String {
    let text = value.normalize().to_string();
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_decimals_keep_one_fractional_digit() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(qr_decimal(d("105")), "105.0");
        assert_eq!(qr_decimal(d("12908")), "12908.0");
        assert_eq!(qr_decimal(d("12897.70")), "12897.7");
        assert_eq!(qr_decimal(d("0.05")), "0.05");
        assert_eq!(qr_decimal(d("1000.000")), "1000.0");
        assert_eq!(qr_decimal(d("99999999999999.99")), "99999999999999.99");
    }
}
