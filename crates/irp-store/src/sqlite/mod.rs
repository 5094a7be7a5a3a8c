//! The embedded registry: one SQLite file.
//!
//! **Write serialisation.** SQLite allows one writer at a time. The store keeps two pools on the
//! file: a *writer* pool of exactly one connection, through which every state change goes, and a
//! *reader* pool (`query_only`) for look-ups, which WAL lets run alongside the writer. Within one
//! process the single writer connection queues writes, so check-then-write sequences (the
//! duplicate IRN check, the conditional cancel, the active e-way bill check, the sequence upsert)
//! cannot interleave. Every write transaction also starts with `BEGIN IMMEDIATE`, which takes the
//! file's write lock up front: another process or store instance on the same file (a second
//! portal, the admin tool) then waits for the lock (busy timeout) instead of failing half-way
//! with `SQLITE_BUSY` when a read transaction tries to upgrade. A commit returns only after the
//! WAL is synced (`synchronous=FULL`), and readers see it from their next statement.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};
use irp_core::register::Taxpayer;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::audit::{AuditEntry, event, ist_now};
use crate::errors::{conflict_or, db_error, migrate_error};
use crate::rows::{
    CertificateRow, TaxpayerParams, TaxpayerRow, certificate_columns, int, taxpayer_columns,
};
use crate::{
    Cancellation, EwbCancellation, EwbInsert, EwbRecord, InvoiceRecord, NewInvoice,
    PublishedCertificate, Registration, Session, SessionKey, Store, StoreError, StoreResult,
    TaxpayerRecord, User,
};

mod ewbs;
mod invoices;
mod portal;
mod users;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent readers; WAL lets them all run beside the writer.
const READERS: u32 = 4;

/// The registry in a SQLite file. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating the file and its directory if missing) and migrates the database at
    /// `location`: a `sqlite:` URL (`sqlite://PATH?mode=rwc`) or a plain path.
    pub async fn open(location: &str) -> StoreResult<SqliteStore> {
        if location.contains(":memory:") || location.contains("mode=memory") {
            // Two pools on one in-memory database would see two different databases.
            return Err(StoreError::Database(
                "open: in-memory SQLite is not supported; use a file".into(),
            ));
        }
        let options = if location.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(location)
                .map_err(|_| StoreError::Database("open: invalid SQLite URL".into()))?
        } else {
            SqliteConnectOptions::new().filename(location)
        };
        if let Some(dir) = options
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Database(format!(
                    "open: cannot create the database directory ({:?})",
                    e.kind()
                ))
            })?;
        }
        let options = options
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(
                options
                    .clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal),
            )
            .await
            .map_err(|e| db_error("open", e))?;
        // Every open migrates. SQLite has no migration lock: two processes creating the same new
        // file at the same instant may race here (one fails and can simply be restarted).
        MIGRATOR.run(&writer).await.map_err(migrate_error)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options.pragma("query_only", "ON"))
            .await
            .map_err(|e| db_error("open", e))?;
        Ok(SqliteStore { writer, reader })
    }

    /// Starts a write transaction holding the file's write lock (see the module docs).
    pub(crate) async fn write(
        &self,
        op: &'static str,
    ) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| db_error(op, e))
    }

    /// Closes both pools, waiting for connections in use to be returned (graceful shutdown).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// The number of audit rows (for tests and operators).
    pub async fn audit_count(&self) -> StoreResult<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM audit")
            .fetch_one(&self.reader)
            .await
            .map_err(|e| db_error("audit_count", e))?;
        int(n, "audit")
    }

    /// The whole audit trail, oldest first.
    pub async fn audit_entries(&self) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<(NaiveDateTime, String, String, String)> =
            sqlx::query_as("SELECT at, event, subject, detail FROM audit ORDER BY id")
                .fetch_all(&self.reader)
                .await
                .map_err(|e| db_error("audit_entries", e))?;
        Ok(rows
            .into_iter()
            .map(|(at, event, subject, detail)| AuditEntry {
                at,
                event,
                subject,
                detail,
            })
            .collect())
    }
}

/// Writes one audit row on the connection of the change's transaction.
pub(crate) async fn audit(
    conn: &mut SqliteConnection,
    op: &'static str,
    event: &str,
    subject: &str,
    detail: &str,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO audit (at, event, subject, detail) VALUES (?, ?, ?, ?)")
        .bind(ist_now())
        .bind(event)
        .bind(subject)
        .bind(detail)
        .execute(conn)
        .await
        .map_err(|e| db_error(op, e))?;
    Ok(())
}

/// Commits `tx`, mapping a failure to the operation's error.
pub(crate) async fn commit(tx: Transaction<'static, Sqlite>, op: &'static str) -> StoreResult<()> {
    tx.commit().await.map_err(|e| db_error(op, e))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(|e| db_error("ping", e))?;
        Ok(())
    }

    async fn upsert_taxpayer(&self, record: &TaxpayerRecord) -> StoreResult<()> {
        const OP: &str = "upsert_taxpayer";
        let p = TaxpayerParams::new(record)?;
        let r = p.record;
        let mut tx = self.write(OP).await?;
        sqlx::query(concat!(
            "INSERT INTO taxpayers (",
            taxpayer_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (gstin) DO UPDATE SET
                trade_name = excluded.trade_name, legal_name = excluded.legal_name,
                addr_bnm = excluded.addr_bnm, addr_bno = excluded.addr_bno,
                addr_flno = excluded.addr_flno, addr_st = excluded.addr_st,
                addr_loc = excluded.addr_loc, state_code = excluded.state_code,
                addr_pncd = excluded.addr_pncd, taxpayer_type = excluded.taxpayer_type,
                status = excluded.status, blk_status = excluded.blk_status,
                registered_on = excluded.registered_on, deregistered_on = excluded.deregistered_on,
                aato_inr = excluded.aato_inr, einvoice_enabled = excluded.einvoice_enabled,
                max_items = excluded.max_items, test = excluded.test"
        ))
        .bind(&p.gstin)
        .bind(&r.trade_name)
        .bind(&r.legal_name)
        .bind(&r.addr_bnm)
        .bind(&r.addr_bno)
        .bind(&r.addr_flno)
        .bind(&r.addr_st)
        .bind(&r.addr_loc)
        .bind(p.state_code)
        .bind(p.addr_pncd)
        .bind(r.taxpayer_type.code())
        .bind(r.status.code())
        .bind(&p.blk_status)
        .bind(r.registered_on)
        .bind(r.deregistered_on)
        .bind(p.aato_inr)
        .bind(r.einvoice_enabled)
        .bind(p.max_items)
        .bind(r.test)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        audit(
            &mut tx,
            OP,
            event::TAXPAYER_UPSERT,
            &p.gstin,
            &p.audit_detail(),
        )
        .await?;
        commit(tx, OP).await
    }

    async fn taxpayer_record(&self, gstin: &str) -> StoreResult<Option<TaxpayerRecord>> {
        let row: Option<TaxpayerRow> = sqlx::query_as(concat!(
            "SELECT ",
            taxpayer_columns!(),
            " FROM taxpayers WHERE gstin = ?"
        ))
        .bind(gstin.to_ascii_uppercase())
        .fetch_optional(&self.reader)
        .await
        .map_err(|e| db_error("taxpayer_record", e))?;
        row.map(TaxpayerRecord::try_from).transpose()
    }

    async fn taxpayers(&self, gstins: &[&str]) -> StoreResult<Vec<Taxpayer>> {
        if gstins.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are generated; every value is bound.
        let placeholders = vec!["?"; gstins.len()].join(", ");
        let sql = format!(
            concat!(
                "SELECT ",
                taxpayer_columns!(),
                " FROM taxpayers WHERE gstin IN ({})"
            ),
            placeholders
        );
        let mut query = sqlx::query_as::<_, TaxpayerRow>(sqlx::AssertSqlSafe(sql));
        for gstin in gstins {
            query = query.bind(gstin.to_ascii_uppercase());
        }
        let rows = query
            .fetch_all(&self.reader)
            .await
            .map_err(|e| db_error("taxpayers", e))?;
        rows.into_iter()
            .map(|row| TaxpayerRecord::try_from(row).map(|r| r.to_taxpayer()))
            .collect()
    }

    async fn create_client(&self, client: &crate::ApiClient) -> StoreResult<()> {
        const OP: &str = "create_client";
        let mut tx = self.write(OP).await?;
        sqlx::query(
            "INSERT INTO api_clients (client_id, secret_hash, name, active) VALUES (?, ?, ?, ?)",
        )
        .bind(&client.client_id)
        .bind(&client.secret_hash)
        .bind(&client.name)
        .bind(client.active)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(OP, "client id is taken", e))?;
        let detail = format!("active={}", client.active);
        audit(
            &mut tx,
            OP,
            event::CLIENT_CREATE,
            &client.client_id,
            &detail,
        )
        .await?;
        commit(tx, OP).await
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<crate::ApiClient>> {
        let row: Option<(String, String, String, bool)> = sqlx::query_as(
            "SELECT client_id, secret_hash, name, active FROM api_clients WHERE client_id = ?",
        )
        .bind(client_id)
        .fetch_optional(&self.reader)
        .await
        .map_err(|e| db_error("client", e))?;
        Ok(
            row.map(|(client_id, secret_hash, name, active)| crate::ApiClient {
                client_id,
                secret_hash,
                name,
                active,
            }),
        )
    }

    async fn create_user(&self, user: &User) -> StoreResult<()> {
        users::create_user(self, user).await
    }

    async fn user(&self, user_name: &str) -> StoreResult<Option<User>> {
        users::user(self, user_name).await
    }

    async fn set_password(
        &self,
        user_name: &str,
        password_hash: &str,
        at: NaiveDateTime,
    ) -> StoreResult<()> {
        users::set_password(self, user_name, password_hash, at).await
    }

    async fn set_user_active(
        &self,
        user_name: &str,
        active: bool,
        at: NaiveDateTime,
    ) -> StoreResult<()> {
        users::set_user_active(self, user_name, active, at).await
    }

    async fn record_login_failure(
        &self,
        user_name: &str,
        lock_after: u32,
        lock_until: NaiveDateTime,
    ) -> StoreResult<u32> {
        users::record_login_failure(self, user_name, lock_after, lock_until).await
    }

    async fn clear_login_failures(&self, user_name: &str) -> StoreResult<()> {
        users::clear_login_failures(self, user_name).await
    }

    async fn live_session(
        &self,
        key: &SessionKey,
        now: NaiveDateTime,
    ) -> StoreResult<Option<Session>> {
        users::live_session(self, key, now).await
    }

    async fn start_session(&self, session: &Session) -> StoreResult<()> {
        users::start_session(self, session).await
    }

    async fn session_by_token(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        users::session_by_token(self, token_hash).await
    }

    async fn invoice(&self, irn: &str) -> StoreResult<Option<InvoiceRecord>> {
        let mut conn = self
            .reader
            .acquire()
            .await
            .map_err(|e| db_error("invoice", e))?;
        invoices::invoice_in(&mut conn, "invoice", irn).await
    }

    async fn insert_invoices(&self, batch: &[NewInvoice]) -> StoreResult<Vec<Registration>> {
        invoices::insert_invoices(self, batch).await
    }

    async fn cancel_invoice(
        &self,
        irn: &str,
        cancellation: &Cancellation,
    ) -> StoreResult<InvoiceRecord> {
        invoices::cancel_invoice(self, irn, cancellation).await
    }

    async fn rejected_irns(&self, supplier: &str, date: NaiveDate) -> StoreResult<Vec<String>> {
        invoices::rejected_irns(self, supplier, date).await
    }

    async fn insert_ewb(&self, record: &EwbRecord) -> StoreResult<EwbInsert> {
        ewbs::insert_ewb(self, record).await
    }

    async fn latest_ewb(&self, irn: &str) -> StoreResult<Option<EwbRecord>> {
        ewbs::latest_ewb(self, irn).await
    }

    async fn ewb(&self, ewb_no: u64) -> StoreResult<Option<EwbRecord>> {
        ewbs::ewb(self, ewb_no).await
    }

    async fn cancel_ewb(
        &self,
        ewb_no: u64,
        cancellation: &EwbCancellation,
    ) -> StoreResult<EwbRecord> {
        ewbs::cancel_ewb(self, ewb_no, cancellation).await
    }

    async fn reserve_ewb_sequence(&self, portal: u8, count: u32) -> StoreResult<u64> {
        portal::reserve_ewb_sequence(self, portal, count).await
    }

    async fn reserve_ack_sequence(
        &self,
        portal: u8,
        node: u8,
        year: i32,
        count: u32,
    ) -> StoreResult<u64> {
        portal::reserve_ack_sequence(self, portal, node, year, count).await
    }

    async fn publish_certificate(&self, certificate: &PublishedCertificate) -> StoreResult<()> {
        portal::publish_certificate(self, certificate).await
    }

    async fn agree_setting(
        &self,
        name: &str,
        value: &str,
        at: NaiveDateTime,
        replace: bool,
    ) -> StoreResult<String> {
        portal::agree_setting(self, name, value, at, replace).await
    }

    async fn certificates(&self) -> StoreResult<Vec<PublishedCertificate>> {
        let rows: Vec<CertificateRow> = sqlx::query_as(concat!(
            "SELECT ",
            certificate_columns!(),
            " FROM certificates ORDER BY portal, not_before, kid"
        ))
        .fetch_all(&self.reader)
        .await
        .map_err(|e| db_error("certificates", e))?;
        rows.into_iter()
            .map(PublishedCertificate::try_from)
            .collect()
    }
}
