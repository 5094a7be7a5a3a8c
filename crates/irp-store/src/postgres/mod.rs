//! The shared registry: PostgreSQL, for several portal nodes (`07` §3).
//!
//! Every state change is one transaction at the default isolation (READ COMMITTED) whose
//! correctness rests on constraints and row locks, not on serialised callers:
//! - registration is `INSERT … ON CONFLICT (irn) DO NOTHING`: a concurrent insert of the same IRN
//!   waits for the first one's commit or rollback, so a loser reads the committed winner and never
//!   a registration that was rolled back;
//! - cancellation is an `UPDATE … WHERE status = 'ACT'`, re-checked after any row lock it waits
//!   for, so exactly one of concurrent cancels changes the record; an IRN's cancellation and the
//!   insert of its active e-way bill exclude each other through the invoice row's lock (see
//!   `ewbs`), and at most one e-way bill per IRN is active by a partial unique index;
//! - AckNo and EwbNo reservations are one upsert on the sequence row, which locks it, so
//!   concurrent callers on any node get disjoint ranges.
//!
//! `synchronous_commit` is forced on for the store's connections whatever the server default, so
//! a commit has reached the WAL on disk before a call returns.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};
use irp_core::register::Taxpayer;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

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

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Connections per store (per portal node process).
const MAX_CONNECTIONS: u32 = 10;
/// How long a call waits for a free connection before failing (`2146`/`5001` upstream).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The registry in a PostgreSQL database. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database `url` names (`postgres://…` or `postgresql://…`) and brings its
    /// schema up to date. Migrations take an advisory lock, so nodes may start together.
    pub async fn open(url: &str) -> StoreResult<PostgresStore> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| StoreError::Database("open: invalid PostgreSQL URL".into()))?
            .application_name("irp")
            .options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| db_error("open", e))?;
        MIGRATOR.run(&pool).await.map_err(migrate_error)?;
        Ok(PostgresStore { pool })
    }

    /// Starts a write transaction (READ COMMITTED; see the module docs).
    pub(crate) async fn write(
        &self,
        op: &'static str,
    ) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(|e| db_error(op, e))
    }

    /// Closes the pool, waiting for connections in use to be returned (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The number of audit rows (for tests and operators).
    pub async fn audit_count(&self) -> StoreResult<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM audit")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| db_error("audit_count", e))?;
        int(n, "audit")
    }

    /// The whole audit trail, oldest first.
    pub async fn audit_entries(&self) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<(NaiveDateTime, String, String, String)> =
            sqlx::query_as("SELECT at, event, subject, detail FROM audit ORDER BY id")
                .fetch_all(&self.pool)
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
    conn: &mut PgConnection,
    op: &'static str,
    event: &str,
    subject: &str,
    detail: &str,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO audit (at, event, subject, detail) VALUES ($1, $2, $3, $4)")
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
pub(crate) async fn commit(
    tx: Transaction<'static, Postgres>,
    op: &'static str,
) -> StoreResult<()> {
    tx.commit().await.map_err(|e| db_error(op, e))
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
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
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
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
            " FROM taxpayers WHERE gstin = $1"
        ))
        .bind(gstin.to_ascii_uppercase())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error("taxpayer_record", e))?;
        row.map(TaxpayerRecord::try_from).transpose()
    }

    async fn taxpayers(&self, gstins: &[&str]) -> StoreResult<Vec<Taxpayer>> {
        if gstins.is_empty() {
            return Ok(Vec::new());
        }
        let gstins: Vec<String> = gstins.iter().map(|g| g.to_ascii_uppercase()).collect();
        let rows: Vec<TaxpayerRow> = sqlx::query_as(concat!(
            "SELECT ",
            taxpayer_columns!(),
            " FROM taxpayers WHERE gstin = ANY($1)"
        ))
        .bind(&gstins)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error("taxpayers", e))?;
        rows.into_iter()
            .map(|row| TaxpayerRecord::try_from(row).map(|r| r.to_taxpayer()))
            .collect()
    }

    async fn create_client(&self, client: &crate::ApiClient) -> StoreResult<()> {
        const OP: &str = "create_client";
        let mut tx = self.write(OP).await?;
        sqlx::query("INSERT INTO api_clients (client_id, secret_hash, name, active) VALUES ($1, $2, $3, $4)")
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
            "SELECT client_id, secret_hash, name, active FROM api_clients WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&self.pool)
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
            .pool
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
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error("certificates", e))?;
        rows.into_iter()
            .map(PublishedCertificate::try_from)
            .collect()
    }
}
