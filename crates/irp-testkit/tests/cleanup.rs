//! Issue 23: a test's scratch database is gone when its guard is, however the test ended and
//! whoever still holds a connection; the sweep drops the suite's stale databases and nothing
//! else. Each test checks `pg_database` itself.

use std::time::Duration;

use irp_testkit::postgres::{
    PREFIXES, ScratchDatabase, admin_url, drop_database_blocking, marker, sweep_stale,
};
use sqlx::{Connection, PgConnection};

async fn exists(admin_url: &str, name: &str) -> bool {
    let mut admin = PgConnection::connect(admin_url).await.unwrap();
    let found: Option<(String,)> =
        sqlx::query_as("SELECT datname::text FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut admin)
            .await
            .unwrap();
    admin.close().await.unwrap();
    found.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_drops_its_database_even_with_connections_open() {
    let Some(admin) = admin_url() else { return };
    let database = ScratchDatabase::create_on(&admin, "irp_kit_").await;
    let name = database.name().to_owned();
    assert!(exists(&admin, &name).await, "created");
    // As a portal under test would: a pool with live connections, still open at the drop.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .min_connections(2)
        .connect(database.url())
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (x int)")
        .execute(&pool)
        .await
        .unwrap();
    drop(database);
    assert!(!exists(&admin, &name).await, "{name} is still there");
    drop(pool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_test_still_drops_its_database() {
    let Some(admin) = admin_url() else { return };
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let url = admin.clone();
    let test = tokio::spawn(async move {
        let database = ScratchDatabase::create_on(&url, "irp_kit_").await;
        let _connection = PgConnection::connect(database.url()).await.unwrap();
        sender.send(database.name().to_owned()).unwrap();
        panic!("the test under the guard fails");
    });
    let outcome = test.await;
    assert!(outcome.unwrap_err().is_panic());
    let name = receiver.await.unwrap();
    assert!(!exists(&admin, &name).await, "{name} is still there");
}

/// Databases the sweep test made itself, dropped at the end whatever happens.
struct Made {
    admin: String,
    names: Vec<String>,
}

impl Drop for Made {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let names = std::mem::take(&mut self.names);
        std::thread::spawn(move || {
            for name in names {
                let _ = drop_database_blocking(&admin, &name, true);
            }
        })
        .join()
        .unwrap();
    }
}

/// Only `irp_kitsweep_`, a prefix no real run uses, so that the sweeps of concurrent runs on the
/// same server leave this test's databases alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_drops_only_stale_unused_databases_of_the_suite() {
    const PREFIX: &str = "irp_kitsweep_";
    assert!(!PREFIXES.contains(&PREFIX));
    let Some(admin) = admin_url() else { return };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let two_hours_ago = now - 7200;
    let tag = format!("{}_{}", std::process::id(), now);
    let old = format!("{PREFIX}old_{tag}");
    let young = format!("{PREFIX}young_{tag}");
    let busy = format!("{PREFIX}busy_{tag}");
    let unmarked = format!("{PREFIX}unmarked_{tag}");
    let foreign = format!("irpkitforeign_{tag}");
    let mut made = Made {
        admin: admin.clone(),
        names: Vec::new(),
    };
    let mut connection = PgConnection::connect(&admin).await.unwrap();
    for (name, comment) in [
        (&old, Some(marker(two_hours_ago, None))),
        (&young, Some(marker(now, None))),
        (&busy, Some(marker(two_hours_ago, None))),
        (&unmarked, None),
        (&foreign, Some(marker(two_hours_ago, None))),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut connection)
            .await
            .unwrap();
        made.names.push(name.clone());
        if let Some(comment) = comment {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "COMMENT ON DATABASE {name} IS '{comment}'"
            )))
            .execute(&mut connection)
            .await
            .unwrap();
        }
    }
    let busy_url = irp_testkit::postgres::database_url(&admin, &busy);
    let holder = PgConnection::connect(&busy_url).await.unwrap();

    let dropped = sweep_stale(&admin, &[PREFIX], Duration::from_secs(3600))
        .await
        .unwrap();

    // The sweep of a concurrent run of this test may drop `old` first, or this sweep its `old`:
    // what is stale goes, whoever drops it, and nothing else does.
    assert!(!exists(&admin, &old).await, "the stale database is gone");
    assert!(
        dropped.iter().all(|name| name.starts_with(PREFIX)),
        "{dropped:?}"
    );
    for kept in [&young, &busy, &unmarked, &foreign] {
        assert!(!dropped.contains(kept), "{kept} dropped");
        assert!(exists(&admin, kept).await, "{kept} must be kept");
    }
    holder.close().await.unwrap();
    drop(made);
    for name in [&young, &busy, &unmarked, &foreign] {
        assert!(!exists(&admin, name).await, "{name} cleaned up");
    }
}
