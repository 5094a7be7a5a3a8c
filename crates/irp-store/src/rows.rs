//! Raw rows as both backends return them, and their conversion to the record types.
//!
//! The column types are chosen so that one `FromRow` works for both databases: PostgreSQL decodes
//! strictly by width (`SMALLINT` ↔ `i16`, `INTEGER` ↔ `i32`, `BIGINT` ↔ `i64`), SQLite's
//! `INTEGER` decodes into any of them. Conversions to the domain's unsigned types are checked, so
//! a corrupt value is an error, never a silent wrap.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use irp_core::invoice::{DocType, Gstin};
use irp_core::irn::Irn;
use irp_core::register::{RegistrationStatus, TaxpayerType};

use crate::{
    Cancellation, EwbCancellation, EwbRecord, EwbStatus, InvoiceRecord, InvoiceStatus,
    InvoiceSummary, PackedSignedInvoice, PublishedCertificate, Session, SessionKey, StoreError,
    StoreResult, TaxpayerRecord, User,
};

/// A stored value the domain types cannot represent. Names the column, never the value.
pub(crate) fn corrupt(column: &str) -> StoreError {
    StoreError::Database(format!("invalid stored value in column {column}"))
}

/// Converts between the domain's integer types and the column types, checked both ways.
pub(crate) fn int<T, U>(value: T, column: &str) -> StoreResult<U>
where
    U: TryFrom<T>,
{
    U::try_from(value).map_err(|_| corrupt(column))
}

/// The folded form of a user name used as its key (see the `users` table).
pub(crate) fn user_key(user_name: &str) -> String {
    user_name.to_lowercase()
}

/// The columns of `taxpayers`, in table order.
macro_rules! taxpayer_columns {
    () => {
        "gstin, trade_name, legal_name, addr_bnm, addr_bno, \
    addr_flno, addr_st, addr_loc, state_code, addr_pncd, taxpayer_type, status, blk_status, \
    registered_on, deregistered_on, aato_inr, einvoice_enabled, max_items, test"
    };
}
pub(crate) use taxpayer_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct TaxpayerRow {
    gstin: String,
    trade_name: Option<String>,
    legal_name: String,
    addr_bnm: Option<String>,
    addr_bno: Option<String>,
    addr_flno: Option<String>,
    addr_st: Option<String>,
    addr_loc: Option<String>,
    state_code: i16,
    addr_pncd: Option<i32>,
    taxpayer_type: String,
    status: String,
    blk_status: Option<String>,
    registered_on: Option<NaiveDate>,
    deregistered_on: Option<NaiveDate>,
    aato_inr: Option<i64>,
    einvoice_enabled: bool,
    max_items: Option<i32>,
    test: bool,
}

impl TryFrom<TaxpayerRow> for TaxpayerRecord {
    type Error = StoreError;

    fn try_from(row: TaxpayerRow) -> StoreResult<TaxpayerRecord> {
        let blk_status = match row.blk_status.as_deref() {
            None => None,
            Some("U") => Some('U'),
            Some("B") => Some('B'),
            Some(_) => return Err(corrupt("taxpayers.blk_status")),
        };
        Ok(TaxpayerRecord {
            gstin: row.gstin,
            trade_name: row.trade_name,
            legal_name: row.legal_name,
            addr_bnm: row.addr_bnm,
            addr_bno: row.addr_bno,
            addr_flno: row.addr_flno,
            addr_st: row.addr_st,
            addr_loc: row.addr_loc,
            state_code: int(row.state_code, "taxpayers.state_code")?,
            addr_pncd: row
                .addr_pncd
                .map(|v| int(v, "taxpayers.addr_pncd"))
                .transpose()?,
            taxpayer_type: TaxpayerType::from_code(&row.taxpayer_type)
                .ok_or_else(|| corrupt("taxpayers.taxpayer_type"))?,
            status: RegistrationStatus::from_code(&row.status)
                .ok_or_else(|| corrupt("taxpayers.status"))?,
            blk_status,
            registered_on: row.registered_on,
            deregistered_on: row.deregistered_on,
            aato_inr: row
                .aato_inr
                .map(|v| int(v, "taxpayers.aato_inr"))
                .transpose()?,
            einvoice_enabled: row.einvoice_enabled,
            max_items: row
                .max_items
                .map(|v| int(v, "taxpayers.max_items"))
                .transpose()?,
            test: row.test,
        })
    }
}

/// `users` without its client mapping, which the store reads separately.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    user_name: String,
    password_hash: String,
    gstin: String,
    active: bool,
    failed_logins: i32,
    locked_until: Option<NaiveDateTime>,
}

impl UserRow {
    pub(crate) fn into_user(self, client_ids: Vec<String>) -> StoreResult<User> {
        Ok(User {
            user_name: self.user_name,
            password_hash: self.password_hash,
            gstin: self.gstin,
            client_ids,
            active: self.active,
            failed_logins: int(self.failed_logins, "users.failed_logins")?,
            locked_until: self.locked_until,
        })
    }
}

macro_rules! session_columns {
    () => {
        "client_id, user_key, gstin, token_hash, token_sealed, sek_sealed, created_at, expires_at"
    };
}
pub(crate) use session_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    client_id: String,
    user_key: String,
    gstin: String,
    token_hash: String,
    token_sealed: Vec<u8>,
    sek_sealed: Vec<u8>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Session {
        Session {
            key: SessionKey {
                client_id: row.client_id,
                user_name: row.user_key,
                gstin: row.gstin,
            },
            token_hash: row.token_hash,
            token_sealed: row.token_sealed,
            sek_sealed: row.sek_sealed,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }
    }
}

/// The columns of `invoices`, in table order.
macro_rules! invoice_columns {
    () => {
        "irn, seller_gstin, ecm_gstin, doc_type, doc_no, \
    doc_date, ack_no, ack_dt, status, portal, generated_by, signed_invoice, signed_qr_code, \
    cancelled_at, cancel_reason, cancel_remark, cancelled_by, cancel_portal, \
    signed_invoice_packed, buyer_gstin"
    };
}
pub(crate) use invoice_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct InvoiceRow {
    irn: String,
    seller_gstin: String,
    ecm_gstin: Option<String>,
    doc_type: String,
    doc_no: String,
    doc_date: NaiveDate,
    ack_no: i64,
    ack_dt: NaiveDateTime,
    status: String,
    portal: i16,
    generated_by: String,
    signed_invoice: String,
    signed_qr_code: String,
    cancelled_at: Option<NaiveDateTime>,
    cancel_reason: Option<i16>,
    cancel_remark: Option<String>,
    cancelled_by: Option<String>,
    cancel_portal: Option<i16>,
    signed_invoice_packed: Option<Vec<u8>>,
    buyer_gstin: Option<String>,
}

impl TryFrom<InvoiceRow> for InvoiceRecord {
    type Error = StoreError;

    fn try_from(row: InvoiceRow) -> StoreResult<InvoiceRecord> {
        let cancellation = match (
            row.cancelled_at,
            row.cancel_reason,
            row.cancelled_by,
            row.cancel_portal,
        ) {
            (None, None, None, None) => None,
            (Some(at), Some(reason), Some(by_gstin), Some(portal)) => Some(Cancellation {
                at,
                reason: int(reason, "invoices.cancel_reason")?,
                remark: row.cancel_remark,
                by_gstin,
                portal: int(portal, "invoices.cancel_portal")?,
            }),
            _ => return Err(corrupt("invoices.cancelled_at")),
        };
        let signed_invoice = match row.signed_invoice_packed {
            Some(packed) => crate::packed::unpack(&packed)
                .ok_or_else(|| corrupt("invoices.signed_invoice_packed"))?,
            None => row.signed_invoice,
        };
        Ok(InvoiceRecord {
            irn: Irn::parse(&row.irn).ok_or_else(|| corrupt("invoices.irn"))?,
            seller_gstin: Gstin::parse(&row.seller_gstin)
                .ok_or_else(|| corrupt("invoices.seller_gstin"))?,
            ecm_gstin: row
                .ecm_gstin
                .map(|gstin| Gstin::parse(&gstin).ok_or_else(|| corrupt("invoices.ecm_gstin")))
                .transpose()?,
            doc_type: DocType::from_code(&row.doc_type)
                .ok_or_else(|| corrupt("invoices.doc_type"))?,
            doc_no: row.doc_no,
            doc_date: row.doc_date,
            ack_no: int(row.ack_no, "invoices.ack_no")?,
            ack_dt: row.ack_dt,
            status: InvoiceStatus::from_code(&row.status)
                .ok_or_else(|| corrupt("invoices.status"))?,
            portal: int(row.portal, "invoices.portal")?,
            generated_by: row.generated_by,
            buyer_gstin: row.buyer_gstin,
            signed_invoice,
            signed_qr_code: row.signed_qr_code,
            cancellation,
        })
    }
}

/// The columns of an [`InvoiceSummary`], from `invoices`.
macro_rules! summary_columns {
    () => {
        "irn, seller_gstin, buyer_gstin, doc_type, doc_no, doc_date, ack_no, ack_dt, status, portal"
    };
}
pub(crate) use summary_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    irn: String,
    seller_gstin: String,
    buyer_gstin: Option<String>,
    doc_type: String,
    doc_no: String,
    doc_date: NaiveDate,
    ack_no: i64,
    ack_dt: NaiveDateTime,
    status: String,
    portal: i16,
}

impl TryFrom<SummaryRow> for InvoiceSummary {
    type Error = StoreError;

    fn try_from(row: SummaryRow) -> StoreResult<InvoiceSummary> {
        Ok(InvoiceSummary {
            irn: Irn::parse(&row.irn).ok_or_else(|| corrupt("invoices.irn"))?,
            seller_gstin: row.seller_gstin,
            buyer_gstin: row.buyer_gstin,
            doc_type: DocType::from_code(&row.doc_type)
                .ok_or_else(|| corrupt("invoices.doc_type"))?,
            doc_no: row.doc_no,
            doc_date: row.doc_date,
            ack_no: int(row.ack_no, "invoices.ack_no")?,
            ack_dt: row.ack_dt,
            status: InvoiceStatus::from_code(&row.status)
                .ok_or_else(|| corrupt("invoices.status"))?,
            portal: int(row.portal, "invoices.portal")?,
        })
    }
}

/// The columns of `ewbs`, in table order.
macro_rules! ewb_columns {
    () => {
        "ewb_no, irn, status, gen_gstin, ewb_dt, valid_till, distance_km, \
    trans_mode, trans_id, trans_name, trans_doc_no, trans_doc_dt, veh_no, veh_type, portal, \
    cancel_at, cancel_reason, cancel_remark, cancelled_by"
    };
}
pub(crate) use ewb_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct EwbRow {
    ewb_no: i64,
    irn: String,
    status: String,
    gen_gstin: String,
    ewb_dt: NaiveDateTime,
    valid_till: Option<NaiveDateTime>,
    distance_km: i32,
    trans_mode: Option<String>,
    trans_id: Option<String>,
    trans_name: Option<String>,
    trans_doc_no: Option<String>,
    trans_doc_dt: Option<NaiveDate>,
    veh_no: Option<String>,
    veh_type: Option<String>,
    portal: i16,
    cancel_at: Option<NaiveDateTime>,
    cancel_reason: Option<i16>,
    cancel_remark: Option<String>,
    cancelled_by: Option<String>,
}

impl TryFrom<EwbRow> for EwbRecord {
    type Error = StoreError;

    fn try_from(row: EwbRow) -> StoreResult<EwbRecord> {
        let status = match row.status.as_str() {
            "ACT" => EwbStatus::Active,
            "CNL" => EwbStatus::Cancelled,
            _ => return Err(corrupt("ewbs.status")),
        };
        let cancellation = match (status, row.cancel_at, row.cancel_reason, row.cancelled_by) {
            (EwbStatus::Active, None, None, None) if row.cancel_remark.is_none() => None,
            (EwbStatus::Cancelled, Some(at), Some(reason), Some(by_gstin)) => {
                Some(EwbCancellation {
                    at,
                    reason: int(reason, "ewbs.cancel_reason")?,
                    remark: row.cancel_remark,
                    by_gstin,
                })
            }
            _ => return Err(corrupt("ewbs.cancel_at")),
        };
        Ok(EwbRecord {
            ewb_no: int(row.ewb_no, "ewbs.ewb_no")?,
            irn: Irn::parse(&row.irn).ok_or_else(|| corrupt("ewbs.irn"))?,
            status,
            gen_gstin: row.gen_gstin,
            ewb_dt: row.ewb_dt,
            valid_till: row.valid_till,
            distance_km: int(row.distance_km, "ewbs.distance_km")?,
            trans_mode: row.trans_mode,
            trans_id: row.trans_id,
            trans_name: row.trans_name,
            trans_doc_no: row.trans_doc_no,
            trans_doc_dt: row.trans_doc_dt,
            veh_no: row.veh_no,
            veh_type: row.veh_type,
            portal: int(row.portal, "ewbs.portal")?,
            cancellation,
        })
    }
}

macro_rules! certificate_columns {
    () => {
        "kid, portal, der, not_before, not_after, current"
    };
}
pub(crate) use certificate_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct CertificateRow {
    kid: String,
    portal: i16,
    der: Vec<u8>,
    not_before: NaiveDateTime,
    not_after: NaiveDateTime,
    current: bool,
}

impl TryFrom<CertificateRow> for PublishedCertificate {
    type Error = StoreError;

    fn try_from(row: CertificateRow) -> StoreResult<PublishedCertificate> {
        Ok(PublishedCertificate {
            portal: int(row.portal, "certificates.portal")?,
            kid: row.kid,
            der: row.der,
            not_before: row.not_before,
            not_after: row.not_after,
            current: row.current,
        })
    }
}

/// A taxpayer record converted to column values, ready to bind.
pub(crate) struct TaxpayerParams<'a> {
    pub gstin: String,
    pub record: &'a TaxpayerRecord,
    pub state_code: i16,
    pub addr_pncd: Option<i32>,
    pub blk_status: Option<String>,
    pub aato_inr: Option<i64>,
    pub max_items: Option<i32>,
}

impl<'a> TaxpayerParams<'a> {
    pub(crate) fn new(record: &'a TaxpayerRecord) -> StoreResult<TaxpayerParams<'a>> {
        let blk_status = match record.blk_status {
            None => None,
            Some(c @ ('U' | 'B')) => Some(c.to_string()),
            Some(_) => {
                return Err(StoreError::Database(
                    "upsert_taxpayer: BlkStatus must be U or B".into(),
                ));
            }
        };
        Ok(TaxpayerParams {
            gstin: record.gstin.to_ascii_uppercase(),
            record,
            state_code: int(record.state_code, "taxpayers.state_code")?,
            addr_pncd: record
                .addr_pncd
                .map(|v| int(v, "taxpayers.addr_pncd"))
                .transpose()?,
            blk_status,
            aato_inr: record
                .aato_inr
                .map(|v| int(v, "taxpayers.aato_inr"))
                .transpose()?,
            max_items: record
                .max_items
                .map(|v| int(v, "taxpayers.max_items"))
                .transpose()?,
        })
    }

    /// The audit detail: what the rules look at, no names or addresses.
    pub(crate) fn audit_detail(&self) -> String {
        let r = self.record;
        format!(
            "type={} status={} einvoice={} blk={}",
            r.taxpayer_type.code(),
            r.status.code(),
            r.einvoice_enabled,
            r.blk_status.map_or_else(|| "-".to_owned(), String::from),
        )
    }
}

/// An invoice record converted to column values, ready to bind.
pub(crate) struct InvoiceParams<'a> {
    pub record: &'a InvoiceRecord,
    pub ack_no: i64,
    pub portal: i16,
    pub cancel_reason: Option<i16>,
    pub cancel_portal: Option<i16>,
    /// `signed_invoice` packed ([`crate::packed`]), when it packs.
    pub signed_invoice_packed: Option<Cow<'a, [u8]>>,
}

impl<'a> InvoiceParams<'a> {
    /// The parameters of `record`, its signed invoice packed here unless `packed` holds it.
    /// Packed bytes of any other token than the record's are not trusted: the record's own
    /// token is packed instead, so what is stored always rebuilds the token the client was
    /// given.
    pub(crate) fn new(
        record: &'a InvoiceRecord,
        packed: Option<&'a PackedSignedInvoice>,
    ) -> StoreResult<InvoiceParams<'a>> {
        let c = record.cancellation.as_ref();
        Ok(InvoiceParams {
            record,
            signed_invoice_packed: match packed {
                Some(packed) if packed.packs(&record.signed_invoice) => {
                    Some(Cow::Borrowed(packed.bytes()))
                }
                _ => crate::packed::pack(&record.signed_invoice).map(Cow::Owned),
            },
            ack_no: int(record.ack_no, "invoices.ack_no")?,
            portal: int(record.portal, "invoices.portal")?,
            cancel_reason: c
                .map(|c| int(c.reason, "invoices.cancel_reason"))
                .transpose()?,
            cancel_portal: c
                .map(|c| int(c.portal, "invoices.cancel_portal"))
                .transpose()?,
        })
    }

    /// What goes in the `signed_invoice` text column: nothing when the token is packed.
    pub(crate) fn signed_invoice_text(&self) -> &'a str {
        match self.signed_invoice_packed {
            Some(_) => "",
            None => &self.record.signed_invoice,
        }
    }

    pub(crate) fn audit_detail(&self) -> String {
        let r = self.record;
        format!(
            "status={} ack_no={} ack_dt={} portal={} by={}",
            r.status.code(),
            r.ack_no,
            r.ack_dt,
            r.portal,
            r.generated_by
        )
    }
}

/// An e-way bill record converted to column values, ready to bind.
pub(crate) struct EwbParams<'a> {
    pub record: &'a EwbRecord,
    pub ewb_no: i64,
    pub distance_km: i32,
    pub portal: i16,
    pub cancel_reason: Option<i16>,
}

impl<'a> EwbParams<'a> {
    pub(crate) fn new(record: &'a EwbRecord) -> StoreResult<EwbParams<'a>> {
        // The table's CHECK says the same; refusing here gives a clear message.
        let consistent = matches!(
            (record.status, &record.cancellation),
            (EwbStatus::Active, None) | (EwbStatus::Cancelled, Some(_))
        );
        if !consistent {
            return Err(StoreError::Database(
                "insert_ewb: the status and the cancellation disagree".into(),
            ));
        }
        Ok(EwbParams {
            record,
            ewb_no: int(record.ewb_no, "ewbs.ewb_no")?,
            distance_km: int(record.distance_km, "ewbs.distance_km")?,
            portal: int(record.portal, "ewbs.portal")?,
            cancel_reason: record
                .cancellation
                .as_ref()
                .map(|c| int(c.reason, "ewbs.cancel_reason"))
                .transpose()?,
        })
    }

    /// The audit subject: the e-way bill number.
    pub(crate) fn subject(&self) -> String {
        self.record.ewb_no.to_string()
    }

    pub(crate) fn audit_detail(&self) -> String {
        let r = self.record;
        format!(
            "irn={} status={} ewb_dt={} distance={} portal={} by={}",
            r.irn,
            r.status.code(),
            r.ewb_dt,
            r.distance_km,
            r.portal,
            r.gen_gstin
        )
    }
}

/// The audit detail of an e-way bill cancellation.
pub(crate) fn ewb_cancel_detail(irn: &str, cancellation: &EwbCancellation) -> String {
    format!(
        "irn={} reason={} by={}",
        irn, cancellation.reason, cancellation.by_gstin
    )
}

/// The audit subject of a session: its key, never its token.
pub(crate) fn session_subject(key: &SessionKey) -> String {
    format!("{}/{}/{}", key.client_id, key.user_name, key.gstin)
}

/// A session key in the stored form (user name folded, GSTIN upper case), whoever built it.
pub(crate) fn normal_key(key: &SessionKey) -> SessionKey {
    SessionKey::new(&key.client_id, &key.user_name, &key.gstin)
}
