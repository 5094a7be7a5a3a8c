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
//!
//! The URL may list several hosts, as libpq's do (`postgres://irp@db1:5432,db2:5432/irp?
//! target_session_attrs=read-write`): new connections then go to the first acceptable host, and
//! move to another when it fails (`url`, `failover`), so that a promoted standby is reached
//! without restarting the portal. Broken connections are dropped from the pool before they are
//! handed out, with one host or several.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDateTime;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection as _, Postgres, Transaction};

use crate::audit::{AuditEntry, ist_now};
use crate::errors::{db_error, describe, describe_connect, migrate_error};
use crate::rows::int;
use crate::{Store, StoreError, StoreResult};

mod bulk;
mod ewbs;
mod failover;
mod invoices;
mod portal;
mod taxpayers;
pub mod url;
mod users;

use failover::Failover;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Connections per store (per portal node process).
const MAX_CONNECTIONS: u32 = 10;
/// How long a call waits for a free connection before failing (`2146`/`5001` upstream).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The registry in a PostgreSQL database. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
    /// With a URL of several hosts (or a `target_session_attrs`): where connections go.
    failover: Option<Arc<Failover>>,
}

/// The pool's settings, whatever the URL.
fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
}

/// What every connection of the store is opened with, on top of the URL's options.
fn store_options(options: PgConnectOptions) -> PgConnectOptions {
    options
        .application_name("irp")
        .options([("synchronous_commit", "on")])
}

/// `host:port` (or the socket directory) of a single-host URL's options, for messages.
fn label(options: &PgConnectOptions) -> String {
    match options.get_socket() {
        Some(socket) => socket.display().to_string(),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    }
}

impl PostgresStore {
    /// Connects to the database `url` names (`postgres://…` or `postgresql://…`) and brings its
    /// schema up to date. Migrations take an advisory lock, so nodes may start together.
    ///
    /// The URL may list several hosts, `postgres://user@host1:5432,host2:5432/db`, with libpq's
    /// `target_session_attrs` (`any`, `read-write`, `primary`) and `connect_timeout` (seconds
    /// per host): the store then connects to the first host, in the URL's order, that answers
    /// and is of the kind asked for, and moves to another when that one fails (see [`url`]).
    /// Errors name the hosts tried, never the password.
    pub async fn open(url: &str) -> StoreResult<PostgresStore> {
        if url::is_failover(url) {
            return PostgresStore::open_failover(url).await;
        }
        let options = store_options(
            PgConnectOptions::from_str(url)
                .map_err(|_| StoreError::Database("open: invalid PostgreSQL URL".into()))?,
        );
        let host = label(&options);
        // One connection first, so that a refused or misconfigured server is reported as such
        // rather than as the pool's "timed out waiting for a connection".
        let probe = tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                StoreError::Database(format!(
                    "open: {host}: no answer within {} s",
                    ACQUIRE_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|e| StoreError::Database(format!("open: {host}: {}", describe_connect(&e))))?;
        let _ = probe.close().await;
        let pool = pool_options()
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Database(format!("open: {host}: {}", describe(&e))))?;
        MIGRATOR.run(&pool).await.map_err(migrate_error)?;
        Ok(PostgresStore {
            pool,
            failover: None,
        })
    }

    async fn open_failover(url: &str) -> StoreResult<PostgresStore> {
        let mut parsed = url::parse(url)
            .map_err(|e| StoreError::Database(format!("open: invalid PostgreSQL URL: {e}")))?;
        for host in &mut parsed.hosts {
            host.options = store_options(host.options.clone());
        }
        let failover = Failover::new(parsed);
        let host = failover
            .choose_first(ACQUIRE_TIMEOUT)
            .await
            .map_err(|message| StoreError::Database(format!("open: {message}")))?;
        let pool = failover
            .pool_options(pool_options())
            .connect_with(host.options.clone())
            .await
            .map_err(|e| {
                StoreError::Database(format!(
                    "open: {}: {}",
                    failover.current_host().label,
                    describe(&e)
                ))
            })?;
        failover.attach(pool.clone());
        MIGRATOR.run(&pool).await.map_err(migrate_error)?;
        Ok(PostgresStore {
            pool,
            failover: Some(failover),
        })
    }

    /// Maps a failure to get or use a pooled connection, starting a search for another host
    /// when the failure says the current one may be gone (with a URL of several hosts).
    pub(crate) fn pool_error(&self, op: &'static str, error: sqlx::Error) -> StoreError {
        match &self.failover {
            Some(failover) if failover::is_connection_failure(&error) => {
                failover.suspect();
                StoreError::Database(format!(
                    "{op}: {} (registry host {})",
                    describe(&error),
                    failover.current_host().label
                ))
            }
            _ => db_error(op, error),
        }
    }

    /// The host new connections go to (`host:port`), with a URL of several hosts.
    pub fn current_host(&self) -> Option<&str> {
        self.failover
            .as_ref()
            .map(|failover| failover.current_host().label.as_str())
    }

    /// Starts a write transaction (READ COMMITTED; see the module docs).
    pub(crate) async fn write(
        &self,
        op: &'static str,
    ) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(|e| self.pool_error(op, e))
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
            .map_err(|e| self.pool_error("audit_count", e))?;
        int(n, "audit")
    }

    /// The whole audit trail, oldest first.
    pub async fn audit_entries(&self) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<(NaiveDateTime, String, String, String)> =
            sqlx::query_as("SELECT at, event, subject, detail FROM audit ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.pool_error("audit_entries", e))?;
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
            .map_err(|e| self.pool_error("ping", e))?;
        Ok(())
    }
}
