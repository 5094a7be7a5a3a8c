//! Fresh stores for each case, and the clean-up after it.

use std::future::Future;
use std::sync::Arc;

use irp_store::{AuditEntry, PostgresStore, SqliteStore, Store};
use irp_testkit::ScratchDatabase;
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

/// Runs `case` on a store in a new PostgreSQL database (the kit's scratch database), dropped
/// afterwards, pass or fail.
pub async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(database) = ScratchDatabase::create("irp_test_").await else {
        return;
    };
    let url = database.url().to_owned();
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
    drop(database);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
