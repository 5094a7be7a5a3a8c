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

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDateTime;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::audit::{AuditEntry, ist_now};
use crate::errors::{db_error, migrate_error};
use crate::rows::int;
use crate::{Store, StoreError, StoreResult};

mod bulk;
mod ewbs;
mod invoices;
mod portal;
mod taxpayers;
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

/// Creates the directory of the registry file and the file itself, private (see [`private_file`]).
fn prepare_file(path: &Path) -> StoreResult<()> {
    let failed = |what: &str, error: std::io::Error| {
        StoreError::Database(format!("{what} {}: {error}", path.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| failed("cannot create the directory of the registry file", e))?;
    }
    private_file(path).map_err(|e| failed("cannot create the registry file", e))
}

/// Creates `path` readable and writable by its owner only, or narrows an existing file and its
/// WAL and shared-memory files to that. SQLite gives the files it creates beside the database
/// the database file's mode.
fn private_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => return Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            match std::fs::metadata(file) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
                }
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
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
        if location.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(location)
                .map_err(|_| StoreError::Database("open: invalid SQLite URL".into()))?;
            let path = options.get_filename().to_path_buf();
            prepare_file(&path)?;
            SqliteStore::open_with(options).await
        } else {
            SqliteStore::open_file(Path::new(location)).await
        }
    }

    /// Opens (creating it, readable by this user only, and its directory if missing) and
    /// migrates the database file at `path`. The path goes to SQLite as a path, never through a
    /// URL, so spaces, `%`, `?` and `#` in it are just characters.
    pub async fn open_file(path: &Path) -> StoreResult<SqliteStore> {
        prepare_file(path)?;
        SqliteStore::open_with(SqliteConnectOptions::new().filename(path))
            .await
            .map_err(|error| match error {
                StoreError::Database(message) => StoreError::Database(format!(
                    "cannot open the registry file {}: {message}; check that it and its \
                     directory are writable by this user",
                    path.display()
                )),
                other => other,
            })
    }

    async fn open_with(options: SqliteConnectOptions) -> StoreResult<SqliteStore> {
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
}
