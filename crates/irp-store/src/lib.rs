//! The registry behind the portals: one [`Store`] trait, implemented for SQLite (embedded, the
//! laptop default) and PostgreSQL (several portal nodes). All SQL of the product lives in this
//! crate.
//!
//! Invariants every implementation keeps (the conformance tests check them on both backends):
//! - An IRN is registered at most once: [`Invoices::insert_invoice`] either stores the record or
//!   returns the committed winner; it never reports a registration that was rolled back.
//! - A state change (registration, cancellation, session, credentials) is committed, with its
//!   audit row, before the call returns.
//! - Secrets are stored only as hashes chosen by the caller (passwords, client secrets); tokens
//!   and SEKs belong to sessions, which expire.
//! - Times are IST wall-clock values (`NaiveDateTime`), as the spec writes them.
//!
//! Layout: [`Store`] is the sum of one trait per concern ([`TaxpayerRegistry`], [`Accounts`],
//! [`Invoices`], [`EwayBills`], [`Portal`], [`BulkTasks`]). [`sqlite`] and [`postgres`] each implement them in
//! modules of their own: `mod.rs` (opening, the audit and commit helpers, [`Store`] itself),
//! `taxpayers.rs`, `users.rs` (clients, users and sessions), `invoices.rs`, `ewbs.rs` (e-way
//! bills), `bulk.rs` (bulk tasks) and `portal.rs` (AckNo and EwbNo sequences, certificates, shared settings); `rows`
//! holds the row types both share, `group_commit` what both decide alike about a batch,
//! `packed` the at-rest form of signed invoices, `errors` the mapping of driver failures,
//! [`audit`] the audit trail's vocabulary. The schema is in `migrations/{sqlite,postgres}/`,
//! one logical model in two dialects.
//!
//! The conformance tests (`tests/conformance/`) run every case against both backends.

pub mod audit;
mod bulk;
mod errors;
mod group_commit;
mod packed;
pub mod postgres;
mod rows;
pub mod search;
pub mod sqlite;
pub mod types;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDateTime;
use irp_core::irn::Irn;
use irp_core::register::Taxpayer;

pub use audit::AuditEntry;
pub use packed::PackedSignedInvoice;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use types::*;

/// Opens (creating it if missing) the SQLite registry file at `path`, passed to SQLite as a path.
pub async fn open_sqlite_file(path: &std::path::Path) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(SqliteStore::open_file(path).await?))
}

/// Opens the registry `url` names and brings its schema up to date: `postgres://…` or
/// `postgresql://…` selects PostgreSQL; a `sqlite:` URL or a plain path selects SQLite, creating
/// the file and its directory if missing.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::open(url).await?))
    } else if url.starts_with("sqlite:") || !url.contains("://") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else {
        Err(StoreError::Database(
            "open: unsupported registry URL scheme".into(),
        ))
    }
}

/// Why a store call failed. Handlers map these to the NIC envelope (`2146`, `2141`, `5001`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record to change does not exist.
    #[error("not found")]
    NotFound,
    /// A unique key is taken (user name, client id).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or failed; details are for the log only.
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The registry: every concern below, behind one `Arc<dyn Store>` (on which every concern's
/// methods can be called without importing its trait). Implementations are cheap to clone
/// behind an `Arc` and safe to share between tasks. Each backend implements each concern in
/// the module of the same name (`sqlite::invoices` implements [`Invoices`], …).
#[async_trait]
pub trait Store:
    TaxpayerRegistry + Accounts + Invoices + EwayBills + Portal + BulkTasks + 'static
{
    /// Which backend this is (`"sqlite"` or `"postgres"`), for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
}

/// The taxpayer register (`08` §3).
#[async_trait]
pub trait TaxpayerRegistry: Send + Sync {
    /// Inserts or replaces a register record.
    async fn upsert_taxpayer(&self, record: &TaxpayerRecord) -> StoreResult<()>;

    /// The full record of one GSTIN (upper case), for GSTIN details.
    async fn taxpayer_record(&self, gstin: &str) -> StoreResult<Option<TaxpayerRecord>>;

    /// The rule-relevant view of several GSTINs at once (the seller, buyer and operator of one
    /// invoice), in no particular order; unknown GSTINs are left out.
    async fn taxpayers(&self, gstins: &[&str]) -> StoreResult<Vec<Taxpayer>>;
}

/// API clients, users and their sessions (`01` §4–§5).
#[async_trait]
pub trait Accounts: Send + Sync {
    async fn create_client(&self, client: &ApiClient) -> StoreResult<()>;
    async fn client(&self, client_id: &str) -> StoreResult<Option<ApiClient>>;

    /// Creates a user; user names are unique ignoring letter case.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// The user with this name, matched case-insensitively.
    async fn user(&self, user_name: &str) -> StoreResult<Option<User>>;
    /// Replaces the password hash, clears the lockout, and ends all of the user's sessions.
    async fn set_password(
        &self,
        user_name: &str,
        password_hash: &str,
        at: NaiveDateTime,
    ) -> StoreResult<()>;
    /// Activates or deactivates a user; deactivation ends all of its sessions.
    async fn set_user_active(
        &self,
        user_name: &str,
        active: bool,
        at: NaiveDateTime,
    ) -> StoreResult<()>;
    /// Reserves one password check of `user_name` at `now`, atomically: refused while the user
    /// is locked (`locked_until` after `now`); otherwise the attempt is counted as a failure
    /// before the password is checked, so that N parallel guesses count as N, and when the
    /// count reaches `lock_after` the user is locked until `lock_until`. A check that then
    /// succeeds clears the count and the lock ([`Accounts::clear_login_failures`]).
    async fn reserve_login_attempt(
        &self,
        user_name: &str,
        lock_after: u32,
        now: NaiveDateTime,
        lock_until: NaiveDateTime,
    ) -> StoreResult<LoginAttempt>;
    /// Clears the failure count after a successful login.
    async fn clear_login_failures(&self, user_name: &str) -> StoreResult<()>;
    /// Records a refused login in the audit trail: `subject` is the user name or client id
    /// given, `reason` says why (no secret).
    async fn record_login_refusal(&self, subject: &str, reason: &str) -> StoreResult<()>;

    /// The live session of (client, user, GSTIN) at `now`, if any.
    async fn live_session(
        &self,
        key: &SessionKey,
        now: NaiveDateTime,
    ) -> StoreResult<Option<Session>>;
    /// Starts a session, ending any other session of the same key (force refresh, expiry).
    async fn start_session(&self, session: &Session) -> StoreResult<()>;
    /// Starts `session` unless its key has a session still live at `session.created_at`, in one
    /// statement, and returns the session in force afterwards: of concurrent logins of one key,
    /// on any nodes, the first starts the session and the others are given it, so none ends
    /// another's a moment after it began.
    async fn start_session_unless_live(&self, session: &Session) -> StoreResult<Session>;
    /// The session a token names, live or not (the caller checks expiry and the key). The token
    /// is given as its hash ([`Session::token_hash`]: lower-case hex SHA-256), the only form the
    /// store keeps.
    async fn session_by_token(&self, token_hash: &str) -> StoreResult<Option<Session>>;
    /// Moves the expiry of the session `token_hash` names to `expires_at` while it is live at
    /// `now` (a web session's idle timeout); whether it was.
    async fn extend_session(
        &self,
        token_hash: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> StoreResult<bool>;
    /// Ends the session `token_hash` names (log out); whether there was one.
    async fn end_session(&self, token_hash: &str) -> StoreResult<bool>;
}

/// Registered invoices (`06` §1–§2).
#[async_trait]
pub trait Invoices: Send + Sync {
    /// The record of an IRN, active or cancelled.
    async fn invoice(&self, irn: &Irn) -> StoreResult<Option<InvoiceRecord>>;
    /// Registers an IRN atomically. If the IRN is already registered (by anyone, on any portal,
    /// concurrently or before), nothing is written and the committed record is returned instead.
    /// A batch of one through [`Invoices::insert_invoices`], naming no session.
    async fn insert_invoice(&self, record: &InvoiceRecord) -> StoreResult<Registration> {
        let batch = [NewInvoice {
            record: record.clone(),
            session_token_hash: None,
            packed_signed_invoice: None,
            bulk_element: None,
        }];
        self.insert_invoices(&batch).await?.pop().ok_or_else(|| {
            StoreError::Database("insert_invoice: the batch of one gave no result".to_owned())
        })
    }
    /// Registers several IRNs in one transaction (group commit: one fsync for the batch); the
    /// result for each is what [`Invoices::insert_invoice`] would return, or
    /// [`Registration::SessionEnded`] when the session it names no longer exists. If the
    /// transaction fails, none is registered.
    async fn insert_invoices(&self, batch: &[NewInvoice]) -> StoreResult<Vec<Registration>>;

    /// Cancels an active IRN that has no active e-way bill (both checked in the same
    /// transaction). Returns the record after the call and whether this call's update applied;
    /// `Err(NotFound)` if the IRN does not exist. Of concurrent calls at most one applies; the
    /// others get the record as it is (the caller answers `9999`, or `2230` when an active
    /// e-way bill exists).
    async fn cancel_invoice(
        &self,
        irn: &Irn,
        cancellation: &Cancellation,
    ) -> StoreResult<CancelOutcome<InvoiceRecord>> {
        self.cancel_invoice_for(irn, cancellation, None).await
    }
    /// [`Invoices::cancel_invoice`] for bulk element `element`: when this call cancels, the
    /// element is marked done with the IRN in the same transaction.
    async fn cancel_invoice_for(
        &self,
        irn: &Irn,
        cancellation: &Cancellation,
        element: Option<&BulkElementRef>,
    ) -> StoreResult<CancelOutcome<InvoiceRecord>>;
    /// IRNs of `supplier` marked rejected (`REJ`) on `date` (`02` §2.11); with `operator`, only
    /// those whose e-commerce operator (`EcmGstin`) it is, the ones it may act on (`02` §4).
    async fn rejected_irns(
        &self,
        supplier: &str,
        operator: Option<&str>,
        date: chrono::NaiveDate,
    ) -> StoreResult<Vec<Irn>>;
    /// The documents `search.party` may see that match `search`, newest registration first
    /// (ties by IRN), one page of them.
    async fn search_invoices(&self, search: &InvoiceSearch) -> StoreResult<Vec<InvoiceSummary>>;
    /// What `party` did from `since` on: IRNs it registered (as supplier or e-commerce
    /// operator), those of them cancelled, and e-way bills generated from them.
    async fn activity_since(
        &self,
        party: &str,
        since: NaiveDateTime,
    ) -> StoreResult<ActivityCounts>;
}

/// E-way bills (`06` §5–§6).
#[async_trait]
pub trait EwayBills: Send + Sync {
    /// Stores an e-way bill unless its IRN already has an active one; at most one e-way bill per
    /// IRN is active at any time, across portals and under concurrency. `Err(NotFound)` if the IRN
    /// does not exist; `Err(Conflict)` if the EwbNo is taken, or if the IRN is not active (it was
    /// cancelled since the caller checked), so an active e-way bill never hangs off a cancelled
    /// IRN.
    async fn insert_ewb(&self, record: &EwbRecord) -> StoreResult<EwbInsert>;
    /// The most recent e-way bill of an IRN, active or cancelled (D-46).
    async fn latest_ewb(&self, irn: &Irn) -> StoreResult<Option<EwbRecord>>;
    /// The e-way bill with this number.
    async fn ewb(&self, ewb_no: u64) -> StoreResult<Option<EwbRecord>>;
    /// Cancels an active e-way bill; returns the record after the call (unchanged when it was not
    /// active) and whether this call's update applied (at most one of concurrent calls);
    /// `Err(NotFound)` when there is no such number.
    async fn cancel_ewb(
        &self,
        ewb_no: u64,
        cancellation: &EwbCancellation,
    ) -> StoreResult<CancelOutcome<EwbRecord>>;
}

/// What the portals share about themselves: number sequences, signing certificates and the
/// settings every node must agree on.
#[async_trait]
pub trait Portal: Send + Sync {
    /// Reserves `count` consecutive values of the portal's 11-digit EwbNo sequence and returns
    /// the first. Sequences start at 1.
    async fn reserve_ewb_sequence(&self, portal: u8, count: u32) -> StoreResult<u64>;

    /// Reserves `count` consecutive values of the AckNo sequence of (portal, node, year) and
    /// returns the first. Sequences start at 1.
    async fn reserve_ack_sequence(
        &self,
        portal: u8,
        node: u8,
        year: i32,
        count: u32,
    ) -> StoreResult<u64>;

    /// Records a portal signing certificate (DER) so every node can publish every portal's keys.
    async fn publish_certificate(&self, certificate: &PublishedCertificate) -> StoreResult<()>;
    /// The settings every portal node must share (`10` §2): records `value` under `name` if the
    /// registry holds none (or replaces it when `replace` is set) and returns the value the
    /// registry holds afterwards, so a node can refuse to start when it disagrees.
    async fn agree_setting(
        &self,
        name: &str,
        value: &str,
        at: NaiveDateTime,
        replace: bool,
    ) -> StoreResult<String>;

    /// Every certificate any portal has published, current and retired.
    async fn certificates(&self) -> StoreResult<Vec<PublishedCertificate>>;
}

/// Bulk tasks (`09` §2): created whole, processed by whichever node holds the task's lease,
/// results recorded in array order and read back by the submitter on any node.
#[async_trait]
pub trait BulkTasks: Send + Sync {
    /// Stores a new task and its elements (each as submitted) in one transaction.
    async fn create_bulk_task(&self, task: &BulkTask, elements: &[&[u8]]) -> StoreResult<()>;
    async fn bulk_task(&self, task_id: &str) -> StoreResult<Option<BulkTask>>;
    /// Takes the lease of the oldest unfinished task whose lease is free or ran out before
    /// `now`, for `owner` until `until`; `None` when no task waits.
    async fn claim_bulk_task(
        &self,
        owner: &str,
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> StoreResult<Option<BulkTask>>;
    /// The elements of `task_id` without a result, from position `from` on, at most `limit`,
    /// in order.
    async fn pending_bulk_elements(
        &self,
        task_id: &str,
        from: u32,
        limit: u32,
    ) -> StoreResult<Vec<PendingElement>>;
    /// The IRN this task registered (or cancelled) for element `index`, if it did.
    async fn bulk_applied_irn(&self, task_id: &str, index: u32) -> StoreResult<Option<String>>;
    /// Records `results` and extends the lease to `until`, provided `owner` still holds the
    /// lease; an element that has a result already keeps it. The task is complete, at `now`,
    /// when its last element has a result. `false` when the lease was lost (nothing written).
    async fn record_bulk_results(
        &self,
        task_id: &str,
        owner: &str,
        results: &[ElementResult],
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> StoreResult<bool>;
    /// The recorded results of `task_id` from position `from` on, at most `limit`, in order.
    async fn bulk_results(
        &self,
        task_id: &str,
        from: u32,
        limit: u32,
    ) -> StoreResult<Vec<ElementResult>>;
    /// Deletes the tasks (with their elements) that expired before `now`; how many.
    async fn purge_bulk_tasks(&self, now: NaiveDateTime) -> StoreResult<u64>;
}
