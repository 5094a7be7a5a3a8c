//! Scratch PostgreSQL databases: one per test, created through the admin URL in
//! `IRP_TEST_DATABASE_URL` and dropped when its guard is, however the test ends (issue 23).
//!
//! - No URL: the PostgreSQL tests skip with a notice, unless `CI` is set, where they fail, so CI
//!   cannot pass without PostgreSQL.
//! - Names are `<prefix><created unix seconds>_<pid>_<n>` with one of [`PREFIXES`], and each
//!   database carries a comment ([`marker`]) saying that the kit made it and when (PostgreSQL
//!   keeps no creation time), plus the run it belongs to (`IRP_TEST_RUN_ID`, set by
//!   `scripts/test.sh` to check afterwards that the run left nothing behind).
//! - Dropping the guard runs `DROP DATABASE … WITH (FORCE)` (PostgreSQL 13 and later) on a fresh
//!   connection, in a runtime of its own on a thread of its own: `Drop` cannot await, it may run
//!   inside the test's runtime or while a panic unwinds, and the portal under test may still hold
//!   pooled connections to the database.
//! - A test process killed outright cannot drop anything, so the first database a process makes
//!   first sweeps stale ones ([`sweep_stale`]): the kit's own, by prefix and marker, older than
//!   [`STALE_AFTER`], with nobody connected. A database the kit did not make is never touched.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, PgConnection};

/// The name prefixes of the suite's scratch databases: the store's conformance tests, the
/// portal's integration tests, the `irp` binary's CLI tests and the kit's own tests.
pub const PREFIXES: [&str; 4] = ["irp_test_", "irp_it_", "irp_cli_", "irp_kit_"];

/// Age after which an unused scratch database counts as left behind. No test runs this long,
/// and a concurrent run of another checkout on the same server is never that old.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

const MARKER_HEAD: &str = "irp-testkit scratch database; created_unix=";

/// The comment the kit puts on a database it creates: the kit made it, at `created_unix`, in run
/// `run` if the run has an identifier.
pub fn marker(created_unix: u64, run: Option<&str>) -> String {
    match run {
        Some(run) => format!("{MARKER_HEAD}{created_unix}; run={run}"),
        None => format!("{MARKER_HEAD}{created_unix}"),
    }
}

/// The creation time recorded in a comment written by [`marker`]; `None` for any other comment.
pub fn marked_created_unix(comment: &str) -> Option<u64> {
    let rest = comment.strip_prefix(MARKER_HEAD)?;
    let digits = rest.split(';').next()?;
    digits.parse().ok()
}

/// The run identifier of this process (`IRP_TEST_RUN_ID`), when it is a plain token: it goes into
/// SQL text.
pub fn run_id() -> Option<String> {
    let run = std::env::var("IRP_TEST_RUN_ID").ok()?;
    let plain = !run.is_empty()
        && run.len() <= 64
        && run
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    plain.then_some(run)
}

/// The admin URL, or `None` to skip: a missing `IRP_TEST_DATABASE_URL` skips only outside CI.
#[allow(clippy::print_stderr)] // the skip notice is meant for the person running the tests
pub fn admin_url() -> Option<String> {
    match std::env::var("IRP_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set but IRP_TEST_DATABASE_URL is not: the PostgreSQL tests must run in CI"
            )
        }
        _ => {
            eprintln!(
                "notice: PostgreSQL test skipped (set IRP_TEST_DATABASE_URL to an admin URL to run it)"
            );
            None
        }
    }
}

/// A fresh, empty PostgreSQL database, dropped with this guard.
///
/// Keep the guard alive for as long as anything uses the database, and declare it before the
/// servers or child processes that use it, so that they are dropped (stopped) first.
#[derive(Debug)]
pub struct ScratchDatabase {
    name: String,
    url: String,
    admin_url: String,
}

impl ScratchDatabase {
    /// A new database named with `prefix` (one of [`PREFIXES`]) on the server of
    /// `IRP_TEST_DATABASE_URL`; `None` when the PostgreSQL tests skip (see [`admin_url`]).
    pub async fn create(prefix: &str) -> Option<ScratchDatabase> {
        let admin_url = admin_url()?;
        Some(ScratchDatabase::create_on(&admin_url, prefix).await)
    }

    /// A new database on the server of `admin_url`. Panics if it cannot be created: a test
    /// that asked for PostgreSQL must not pass without it.
    pub async fn create_on(admin_url: &str, prefix: &str) -> ScratchDatabase {
        assert!(
            PREFIXES.contains(&prefix),
            "{prefix} is not one of the suite's prefixes {PREFIXES:?}"
        );
        sweep_once_per_process(admin_url).await;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let created = unix_now();
        let name = format!(
            "{prefix}{created}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|error| panic!("connect to IRP_TEST_DATABASE_URL: {error}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|error| panic!("CREATE DATABASE {name}: {error}"));
        // From here on the guard owns the database, so a failure below still drops it.
        let database = ScratchDatabase {
            url: database_url(admin_url, &name),
            name,
            admin_url: admin_url.to_owned(),
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "COMMENT ON DATABASE {} IS '{}'",
            database.name,
            marker(created, run_id().as_deref())
        )))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|error| panic!("COMMENT ON DATABASE {}: {error}", database.name));
        let _ = admin.close().await;
        database
    }

    /// The database's name (an identifier that needs no quoting).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of the database: the admin URL with its database replaced.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The admin URL the database was created through.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }
}

impl Drop for ScratchDatabase {
    #[allow(clippy::print_stderr)] // a second panic while unwinding would abort the test process
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let outcome = std::thread::spawn(move || drop_database_blocking(&admin_url, &name, true))
            .join()
            .unwrap_or_else(|_| Err("the drop thread panicked".to_owned()));
        if let Err(error) = outcome {
            if std::thread::panicking() {
                eprintln!("error: scratch database {} left behind: {error}", self.name);
            } else {
                panic!("scratch database {} left behind: {error}", self.name);
            }
        }
    }
}

/// Drops database `name` through `admin_url`, blocking, in a runtime of its own: `force` ends the
/// connections still open to it. Call it from outside any async context or from a thread of its
/// own. Retried a few times, since a connection can be mid-way through ending.
pub fn drop_database_blocking(admin_url: &str, name: &str, force: bool) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("runtime: {error}"))?;
    let statement = if force {
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    } else {
        format!("DROP DATABASE IF EXISTS {name}")
    };
    let mut last_error = String::new();
    for attempt in 0..5 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(200 * attempt));
        }
        let result: Result<(), sqlx::Error> = runtime.block_on(async {
            let mut admin = PgConnection::connect(admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                .execute(&mut admin)
                .await?;
            admin.close().await
        });
        match result {
            Ok(()) => return Ok(()),
            Err(error) => last_error = error.to_string(),
        }
    }
    Err(last_error)
}

/// The suite's databases on the server, by prefix: name, comment, and whether anyone is
/// connected.
async fn scratch_candidates(
    admin: &mut PgConnection,
    prefixes: &[&str],
) -> Result<Vec<(String, Option<String>, bool)>, sqlx::Error> {
    let rows: Vec<(String, Option<String>, bool)> = sqlx::query_as(
        "SELECT d.datname::text, shobj_description(d.oid, 'pg_database'), \
                EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname) \
         FROM pg_database d WHERE NOT d.datistemplate ORDER BY d.datname",
    )
    .fetch_all(&mut *admin)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(name, _, _)| prefixes.iter().any(|prefix| name.starts_with(prefix)))
        .collect())
}

/// The creation time of a database named by the portal's and the binary's tests before the kit
/// existed, `irp_it_<pid>_<n>_<unix microseconds>` or the same with `irp_cli_`: the databases
/// issue 23 found left behind. (The store's old names held no time, and it always dropped them.)
pub fn legacy_created_unix(name: &str) -> Option<u64> {
    let rest = name
        .strip_prefix("irp_it_")
        .or_else(|| name.strip_prefix("irp_cli_"))?;
    let parts: Vec<&str> = rest.split('_').collect();
    let [pid, n, micros] = parts[..] else {
        return None;
    };
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !(digits(pid) && digits(n) && digits(micros) && micros.len() == 16) {
        return None;
    }
    micros.parse::<u64>().ok().map(|micros| micros / 1_000_000)
}

/// Drops the stale scratch databases on the server of `admin_url`: named with one of
/// `prefixes`, created more than `older_than` ago by the kit's mark ([`marker`]) or by a name of
/// the suite from before the kit ([`legacy_created_unix`]), and with no connection. The drop is not forced, so a connection that appears meanwhile keeps the
/// database. Returns the names dropped.
pub async fn sweep_stale(
    admin_url: &str,
    prefixes: &[&str],
    older_than: Duration,
) -> Result<Vec<String>, sqlx::Error> {
    let mut admin = PgConnection::connect(admin_url).await?;
    let now = unix_now();
    let mut dropped = Vec::new();
    for (name, comment, busy) in scratch_candidates(&mut admin, prefixes).await? {
        let created = match &comment {
            Some(comment) => marked_created_unix(comment),
            None => legacy_created_unix(&name),
        };
        let Some(created) = created else {
            continue;
        };
        if busy || now.saturating_sub(created) < older_than.as_secs() {
            continue;
        }
        // Another sweep may have dropped it, or someone may have connected since: both are fine.
        let statement = format!("DROP DATABASE IF EXISTS {name}");
        if sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .is_ok()
        {
            dropped.push(name);
        }
    }
    admin.close().await?;
    Ok(dropped)
}

/// The scratch databases that run `run` (its `IRP_TEST_RUN_ID`) left on the server.
pub async fn left_by_run(admin_url: &str, run: &str) -> Result<Vec<String>, sqlx::Error> {
    let mut admin = PgConnection::connect(admin_url).await?;
    let suffix = format!("; run={run}");
    let left = scratch_candidates(&mut admin, &PREFIXES)
        .await?
        .into_iter()
        .filter(|(_, comment, _)| {
            comment.as_deref().is_some_and(|comment| {
                marked_created_unix(comment).is_some() && comment.ends_with(&suffix)
            })
        })
        .map(|(name, _, _)| name)
        .collect();
    admin.close().await?;
    Ok(left)
}

/// The first scratch database of a process sweeps the stale ones of earlier runs; a failure only
/// warns, since the tests themselves do not depend on it.
#[allow(clippy::print_stderr)]
async fn sweep_once_per_process(admin_url: &str) {
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if SWEPT.swap(true, Ordering::Relaxed) {
        return;
    }
    if let Err(error) = sweep_stale(admin_url, &PREFIXES, STALE_AFTER).await {
        eprintln!("warning: sweeping stale scratch databases failed: {error}");
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The admin URL with its database replaced by `name`, query parameters kept.
pub fn database_url(admin_url: &str, name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_records_the_creation_time_and_nothing_else_passes_for_it() {
        assert_eq!(
            marked_created_unix(&marker(1_767_000_000, None)),
            Some(1_767_000_000)
        );
        assert_eq!(
            marked_created_unix(&marker(42, Some("run-7"))),
            Some(42),
            "{}",
            marker(42, Some("run-7"))
        );
        assert_eq!(marked_created_unix("a database of someone else"), None);
        assert_eq!(
            marked_created_unix("irp-testkit scratch database; created_unix=x"),
            None
        );
    }

    #[test]
    fn names_of_before_the_kit_give_their_creation_time_and_nothing_else_does() {
        assert_eq!(
            legacy_created_unix("irp_it_28318_0_1796653830200533"),
            Some(1_796_653_830)
        );
        assert_eq!(
            legacy_created_unix("irp_cli_1522_5_1796654510583595"),
            Some(1_796_654_510)
        );
        for other in [
            "irp_test_4242_123456789_0",
            "irp_it_1796653830_4242_0",
            "irp_it_28318_0_179665383020053",
            "irp_it_28318_0_1796653830200533_1",
            "irp_it_x_0_1796653830200533",
            "irp_cli__0_1796653830200533",
            "production_28318_0_1796653830200533",
        ] {
            assert_eq!(legacy_created_unix(other), None, "{other}");
        }
    }

    #[test]
    fn the_database_url_replaces_only_the_database() {
        assert_eq!(
            database_url("postgres://u:p@h:5432/postgres", "irp_kit_1"),
            "postgres://u:p@h:5432/irp_kit_1"
        );
        assert_eq!(
            database_url("postgres://h/postgres?sslmode=disable", "d"),
            "postgres://h/d?sslmode=disable"
        );
        assert_eq!(database_url("postgres://h", "d"), "postgres://h/d");
    }
}
