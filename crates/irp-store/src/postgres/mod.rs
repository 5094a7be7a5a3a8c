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
use chrono::NaiveDateTime;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::audit::{AuditEntry, ist_now};
use crate::errors::{db_error, migrate_error};
use crate::rows::int;
use crate::{Store, StoreError, StoreResult};

mod ewbs;
mod invoices;
mod portal;
mod taxpayers;
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
}
