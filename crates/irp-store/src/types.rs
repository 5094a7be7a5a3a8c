//! The records the registry keeps.

use chrono::{NaiveDate, NaiveDateTime};
use irp_core::invoice::{DocType, Gstin};
use irp_core::irn::Irn;
use irp_core::register::{RegistrationStatus, Taxpayer, TaxpayerType};

/// One register record with everything GSTIN details shows (`02` §2.6, `08` §3).
#[derive(Debug, Clone, PartialEq)]
pub struct TaxpayerRecord {
    pub gstin: String,
    pub trade_name: Option<String>,
    pub legal_name: String,
    pub addr_bnm: Option<String>,
    pub addr_bno: Option<String>,
    pub addr_flno: Option<String>,
    pub addr_st: Option<String>,
    pub addr_loc: Option<String>,
    pub state_code: u8,
    pub addr_pncd: Option<u32>,
    pub taxpayer_type: TaxpayerType,
    pub status: RegistrationStatus,
    /// `BlkStatus`: `None`, `U` (unblocked) or `B` (blocked for e-way bills).
    pub blk_status: Option<char>,
    pub registered_on: Option<NaiveDate>,
    pub deregistered_on: Option<NaiveDate>,
    pub aato_inr: Option<u64>,
    pub einvoice_enabled: bool,
    pub max_items: Option<u32>,
    /// A sandbox or test identity.
    pub test: bool,
}

impl TaxpayerRecord {
    /// The view the validation rules take.
    pub fn to_taxpayer(&self) -> Taxpayer {
        Taxpayer {
            gstin: self.gstin.clone(),
            legal_name: self.legal_name.clone(),
            trade_name: self.trade_name.clone(),
            state_code: self.state_code,
            taxpayer_type: self.taxpayer_type,
            status: self.status,
            blocked: self.blk_status == Some('B'),
            registered_on: self.registered_on,
            deregistered_on: self.deregistered_on,
            aato_inr: self.aato_inr,
            einvoice_enabled: self.einvoice_enabled,
            max_items: self.max_items,
        }
    }
}

/// An integrator (taxpayer or GSP) allowed to call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub client_id: String,
    /// Argon2id PHC string of the client secret; the secret itself is never stored.
    pub secret_hash: String,
    pub name: String,
    pub active: bool,
}

/// An API user, linked to exactly one GSTIN and to the clients it may log in through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// As created; look-ups ignore letter case.
    pub user_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub gstin: String,
    pub client_ids: Vec<String>,
    pub active: bool,
    pub failed_logins: u32,
    pub locked_until: Option<NaiveDateTime>,
}

/// Who a session belongs to: (`client_id`, `user_name`, `Gstin`) (`01` §5, D-49).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    pub client_id: String,
    /// Lower-cased: user names compare case-insensitively.
    pub user_name: String,
    /// Upper-cased.
    pub gstin: String,
}

impl SessionKey {
    pub fn new(client_id: &str, user_name: &str, gstin: &str) -> SessionKey {
        SessionKey {
            client_id: client_id.to_owned(),
            user_name: user_name.to_lowercase(),
            gstin: gstin.to_ascii_uppercase(),
        }
    }
}

/// A session. The token and SEK are kept sealed (encrypted by the server under a key derived from
/// the shared auth key), so that a copy of the database alone does not yield usable sessions; the
/// token is found by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub key: SessionKey,
    /// Lower-case hex SHA-256 of the token.
    pub token_hash: String,
    pub token_sealed: Vec<u8>,
    pub sek_sealed: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// The state of an IRN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Active,
    Cancelled,
    /// Imported from NIC's de-duplication failures; the product never creates these.
    Rejected,
}

impl InvoiceStatus {
    pub fn code(self) -> &'static str {
        match self {
            InvoiceStatus::Active => "ACT",
            InvoiceStatus::Cancelled => "CNL",
            InvoiceStatus::Rejected => "REJ",
        }
    }

    pub fn from_code(code: &str) -> Option<InvoiceStatus> {
        match code {
            "ACT" => Some(InvoiceStatus::Active),
            "CNL" => Some(InvoiceStatus::Cancelled),
            "REJ" => Some(InvoiceStatus::Rejected),
            _ => None,
        }
    }
}

/// How an IRN was cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub at: NaiveDateTime,
    /// `1`–`4` (`cancel-reasons.csv`, scope IRN).
    pub reason: u8,
    pub remark: Option<String>,
    /// Header `Gstin` of the cancelling call.
    pub by_gstin: String,
    /// The serving portal of the cancelling call.
    pub portal: u8,
}

/// The outcome of [`crate::Accounts::reserve_login_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginAttempt {
    /// The password may be checked; this is the attempt's place in the count of failures.
    Reserved { failures: u32 },
    /// The user is locked: the password must not be checked.
    Locked,
}

/// The record after a conditional cancellation, and whether this call's update applied: of
/// concurrent cancellations of one record exactly one is told `by_this_call`, so only that
/// request is answered with success, with the reason and time that were recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelOutcome<R> {
    pub record: R,
    pub by_this_call: bool,
}

/// One registered IRN with its signed documents, kept byte for byte as first issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    pub irn: Irn,
    pub seller_gstin: Gstin,
    pub ecm_gstin: Option<Gstin>,
    pub doc_type: DocType,
    /// The stored form of the document number.
    pub doc_no: String,
    pub doc_date: NaiveDate,
    pub ack_no: u64,
    pub ack_dt: NaiveDateTime,
    pub status: InvoiceStatus,
    /// The origin portal (`1` or `2`).
    pub portal: u8,
    /// Header `Gstin` of the generating call.
    pub generated_by: String,
    /// `BuyerDtls.Gstin` (`URP` for an unregistered buyer); `None` for records registered
    /// before the registry kept it, and for imported ones.
    pub buyer_gstin: Option<String>,
    pub signed_invoice: String,
    pub signed_qr_code: String,
    pub cancellation: Option<Cancellation>,
}

/// What the web mode's document list asks for (`Invoices::search_invoices`): the documents
/// `party` may see (as supplier or as e-commerce operator), narrowed by the criteria given,
/// newest registration first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceSearch {
    /// Upper-case GSTIN: documents it supplied or filed as e-commerce operator.
    pub party: String,
    /// The stored form of the document number, matched exactly.
    pub doc_no: Option<String>,
    pub irn: Option<Irn>,
    pub buyer_gstin: Option<String>,
    /// Document dates from and until, both included.
    pub doc_date_from: Option<NaiveDate>,
    pub doc_date_to: Option<NaiveDate>,
    pub doc_type: Option<DocType>,
    /// Active or cancelled; rejected (imported) records are never listed.
    pub status: Option<InvoiceStatus>,
    /// Rows skipped, then at most `limit` returned.
    pub offset: u32,
    pub limit: u32,
}

/// One row of the web mode's document list: the registration facts, without the signed
/// documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSummary {
    pub irn: Irn,
    pub seller_gstin: String,
    pub buyer_gstin: Option<String>,
    pub doc_type: DocType,
    pub doc_no: String,
    pub doc_date: NaiveDate,
    pub ack_no: u64,
    pub ack_dt: NaiveDateTime,
    pub status: InvoiceStatus,
    pub portal: u8,
}

/// What a taxpayer did since a moment (the web dashboard): IRNs registered and cancelled, and
/// e-way bills generated from its IRNs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivityCounts {
    pub generated: u64,
    pub cancelled: u64,
    pub ewbs: u64,
}

/// The outcome of [`crate::Invoices::insert_invoice`].
// Returned once per call and matched at once; boxing the record would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// This call registered the IRN.
    Inserted,
    /// The IRN was already registered; this is the committed record.
    Duplicate(InvoiceRecord),
    /// Nothing was written: the session named by the [`NewInvoice`] had ended (replaced, or its
    /// user deactivated) by the time the batch committed.
    SessionEnded,
}

/// A registration for [`crate::Invoices::insert_invoices`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub record: InvoiceRecord,
    /// The token hash of the API session that asked for the registration. When given, the
    /// record is written only if that session still exists in the same transaction, so a
    /// session ended on any node stops registrations at once even where a node trusted a
    /// cached copy of it.
    pub session_token_hash: Option<String>,
    /// `record.signed_invoice` already packed ([`crate::PackedSignedInvoice::of`]); when
    /// absent, the store packs it.
    pub packed_signed_invoice: Option<crate::PackedSignedInvoice>,
    /// The bulk task element this registration processes: when the record is inserted, the
    /// element is marked registered with its IRN in the same transaction.
    pub bulk_element: Option<BulkElementRef>,
}

/// One element of a bulk task: the task and the element's 0-based position in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkElementRef {
    pub task_id: String,
    pub index: u32,
}

/// What a bulk task does with each element (`09` §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkKind {
    Generate,
    Cancel,
}

impl BulkKind {
    pub fn code(self) -> &'static str {
        match self {
            BulkKind::Generate => "GENERATE",
            BulkKind::Cancel => "CANCEL",
        }
    }

    pub fn parse(code: &str) -> Option<BulkKind> {
        match code {
            "GENERATE" => Some(BulkKind::Generate),
            "CANCEL" => Some(BulkKind::Cancel),
            _ => None,
        }
    }
}

/// A bulk task as the registry keeps it (`09` §2): who submitted it, where, and its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkTask {
    pub task_id: String,
    pub kind: BulkKind,
    /// Header `Gstin` of the submitting call, upper case: the one party that may read the task.
    pub gstin: String,
    pub sup_gstin: Option<String>,
    pub client_id: String,
    pub user_name: String,
    /// The submitting call's `irp` header (`1`, `2`), which each element's call carries too.
    pub irp_header: Option<u8>,
    /// The portal that accepted the task.
    pub portal: u8,
    pub total: u32,
    pub processed: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub submitted_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub expires_at: NaiveDateTime,
    /// The node processing the task, while its lease runs.
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
}

/// An element of a bulk task still without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingElement {
    pub index: u32,
    /// The element's bytes as submitted.
    pub request: Vec<u8>,
    /// The IRN this task registered (or cancelled) for the element, when that committed before
    /// the element's result was recorded (a node stopped in between).
    pub applied_irn: Option<String>,
}

/// The result of one element (`09` §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementResult {
    pub index: u32,
    pub succeeded: bool,
    /// The E8 JSON entry of the element.
    pub result: String,
    /// The element's row of the E8 CSV, without its line end.
    pub csv: String,
}

/// A portal signing certificate as published to verifiers (`02` §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCertificate {
    pub portal: u8,
    /// 40 upper-case hex characters.
    pub kid: String,
    pub der: Vec<u8>,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    /// The certificate the portal signs with now.
    pub current: bool,
}

/// The state of an e-way bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EwbStatus {
    Active,
    Cancelled,
}

impl EwbStatus {
    pub fn code(self) -> &'static str {
        match self {
            EwbStatus::Active => "ACT",
            EwbStatus::Cancelled => "CNL",
        }
    }
}

/// How an e-way bill was cancelled (`06` §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EwbCancellation {
    pub at: NaiveDateTime,
    /// `1`–`4` (`cancel-reasons.csv`, scope EWB).
    pub reason: u8,
    pub remark: Option<String>,
    /// Header `gstin` of the cancelling call.
    pub by_gstin: String,
}

/// One e-way bill generated from an IRN (`06` §5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EwbRecord {
    /// 12 digits: the generating portal's digit and an 11-digit sequence.
    pub ewb_no: u64,
    pub irn: Irn,
    pub status: EwbStatus,
    /// Header `Gstin` of the generating call.
    pub gen_gstin: String,
    pub ewb_dt: NaiveDateTime,
    /// `None` for a Part-A-only e-way bill.
    pub valid_till: Option<NaiveDateTime>,
    /// The distance used, in km.
    pub distance_km: u32,
    pub trans_mode: Option<String>,
    pub trans_id: Option<String>,
    pub trans_name: Option<String>,
    pub trans_doc_no: Option<String>,
    pub trans_doc_dt: Option<NaiveDate>,
    pub veh_no: Option<String>,
    pub veh_type: Option<String>,
    /// The generating portal (`1` or `2`).
    pub portal: u8,
    pub cancellation: Option<EwbCancellation>,
}

/// The outcome of [`crate::EwayBills::insert_ewb`].
// Returned once per call and matched at once; boxing the record would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EwbInsert {
    Inserted,
    /// The IRN already has an active e-way bill (`4002`); this is it.
    ActiveExists(EwbRecord),
}
