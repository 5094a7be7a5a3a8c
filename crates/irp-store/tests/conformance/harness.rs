//! Fresh stores for each case, and the clean-up after it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use irp_store::{AuditEntry, PostgresStore, SqliteStore, Store};
use sqlx::Connection;

/// What a case gets: the store under test and what it needs to look behind the trait.
pub struct Ctx {
    pub store: Arc<dyn Store>,
    /// The URL the store was opened on, to open further instances.
    pub url: String,
    concrete: Concrete,
}

#[derive(Clone)]
enum Concrete {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PostgresStore>),
}

impl Ctx {
    pub async fn audit_count(&self) -> u64 {
        match &self.concrete {
            Concrete::Sqlite(s) => s.audit_count().await,
            Concrete::Postgres(s) => s.audit_count().await,
        }
        .expect("audit count")
    }

    pub async fn audit_entries(&self) -> Vec<AuditEntry> {
        match &self.concrete {
            Concrete::Sqlite(s) => s.audit_entries().await,
            Concrete::Postgres(s) => s.audit_entries().await,
        }
        .expect("audit entries")
    }

    /// Another store instance on the same database, as a second portal or a restart opens it.
    pub async fn reopen(&self) -> Arc<dyn Store> {
        irp_store::open(&self.url).await.expect("reopen")
    }

    /// Deletes the session with `token_hash` in a transaction of its own, on a connection of
    /// its own, and leaves it open: as another node ending a session at the instant a batch
    /// commits. Dropping the result without [`OpenDeletion::commit`] rolls it back.
    pub async fn delete_session_uncommitted(&self, token_hash: &str) -> OpenDeletion {
        match &self.concrete {
            Concrete::Sqlite(_) => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect");
                // IMMEDIATE: the write lock is taken now, as the store's own writers take it.
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut conn)
                    .await
                    .expect("begin");
                sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
                    .bind(token_hash)
                    .execute(&mut conn)
                    .await
                    .expect("delete");
                OpenDeletion::Sqlite(conn)
            }
            Concrete::Postgres(_) => {
                let mut conn = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query("BEGIN")
                    .execute(&mut conn)
                    .await
                    .expect("begin");
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut conn)
                    .await
                    .expect("delete");
                OpenDeletion::Postgres(conn)
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        match &self.concrete {
            Concrete::Sqlite(_) => "sqlite",
            Concrete::Postgres(_) => "postgres",
        }
    }
}

/// A session deletion not yet committed (see [`Ctx::delete_session_uncommitted`]).
pub enum OpenDeletion {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl OpenDeletion {
    pub async fn commit(self) {
        match self {
            OpenDeletion::Sqlite(mut conn) => {
                sqlx::query("COMMIT")
                    .execute(&mut conn)
                    .await
                    .expect("commit");
            }
            OpenDeletion::Postgres(mut conn) => {
                sqlx::query("COMMIT")
                    .execute(&mut conn)
                    .await
                    .expect("commit");
            }
        }
    }
}

/// Runs `case` on a store in a new temporary SQLite file.
pub async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temp dir");
    // A missing parent directory: open must create it.
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry/irp.db").display()
    );
    let store = Arc::new(SqliteStore::open(&url).await.expect("open SQLite"));
    let concrete = Concrete::Sqlite(store.clone());
    let outcome = tokio::spawn(case(Ctx {
        store: store.clone(),
        url,
        concrete,
    }))
    .await;
    store.close().await;
    drop(dir);
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Runs `case` on a store in a new PostgreSQL database, dropped afterwards, pass or fail.
pub async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(admin_url) = admin_url() else { return };
    let name = database_name();
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to the admin URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create the test database");
    let url = database_url(&admin_url, &name);
    let outcome = match PostgresStore::open(&url).await {
        Ok(store) => {
            let store = Arc::new(store);
            let concrete = Concrete::Postgres(store.clone());
            let outcome = tokio::spawn(case(Ctx {
                store: store.clone(),
                url,
                concrete,
            }))
            .await;
            store.close().await;
            outcome.map_err(|e| e.into_panic())
        }
        Err(error) => {
            Err(Box::new(format!("open PostgreSQL: {error}")) as Box<dyn std::any::Any + Send>)
        }
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop the test database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The admin URL, or `None` to skip: a missing variable skips only outside CI.
#[allow(clippy::print_stderr)]
fn admin_url() -> Option<String> {
    match std::env::var("IRP_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set but IRP_TEST_DATABASE_URL is not: the PostgreSQL conformance tests must run in CI"
            )
        }
        _ => {
            eprintln!(
                "notice: PostgreSQL conformance test skipped (set IRP_TEST_DATABASE_URL to run it)"
            );
            None
        }
    }
}

/// `irp_test_<pid>_<nanos>_<n>`: unique across parallel tests and test processes.
fn database_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "irp_test_{}_{}_{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The admin URL with its database replaced by `name`, query parameters kept.
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}
