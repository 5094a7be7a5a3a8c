//! Registry URLs with several hosts (PostgreSQL only): the store opens on the first host that
//! answers and is of the kind the URL asks for, and moves on when its host dies.
//!
//! The machine has one PostgreSQL server, so the other "hosts" are a closed port and a TCP
//! proxy in front of that server that the test can kill. The PostgreSQL cases need
//! `IRP_TEST_DATABASE_URL` with a TCP host (`…@127.0.0.1:5432/…`); like every PostgreSQL test
//! they skip without it, and fail without it when `CI` is set.

use std::time::{Duration, Instant};

use irp_store::{Invoices as _, PostgresStore, Store, TaxpayerRegistry as _};
use irp_testkit::ScratchDatabase;
use sqlx::Connection as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::fixtures::{invoice, irn, taxpayer};

/// A port nothing listens on: connections to it are refused.
const CLOSED: &str = "127.0.0.1:1";

/// The URL's host list (as written), e.g. `127.0.0.1:5432`.
fn hosts_of(url: &str) -> &str {
    let rest = &url[url.find("://").expect("a URL") + 3..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    assert!(
        !hosts.is_empty(),
        "these tests need IRP_TEST_DATABASE_URL to name a TCP host, e.g. postgres://postgres@127.0.0.1:5432/postgres"
    );
    hosts
}

/// `url` with `before` put in front of its host, and `param` added to its query.
fn with_hosts(url: &str, before: &str, param: Option<&str>) -> String {
    let hosts = hosts_of(url);
    let at = url.find(hosts).expect("the hosts are in the URL");
    let mut out = format!("{}{before},{}", &url[..at], &url[at..]);
    if let Some(param) = param {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(param);
    }
    out
}

/// The label the store gives the scratch database's own host (`host:port`).
fn real_host(url: &str) -> String {
    let hosts = hosts_of(url);
    if hosts.contains(':') {
        hosts.to_owned()
    } else {
        format!("{hosts}:5432")
    }
}

/// Work that needs the registry: a taxpayer and an invoice written, then read back.
async fn works(store: &dyn Store, n: u64) {
    let gstin = format!("29AAAAA{n:04}A1Z5");
    store
        .upsert_taxpayer(&taxpayer(&gstin))
        .await
        .expect("upsert");
    assert!(
        store
            .taxpayer_record(&gstin)
            .await
            .expect("read back")
            .is_some()
    );
    store
        .insert_invoice(&invoice(n, 100_000_000_000_000 + n))
        .await
        .expect("register");
    assert!(store.invoice(&irn(n)).await.expect("get").is_some());
    store.ping().await.expect("ping");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_multi_host_url_skips_a_closed_port_for_every_target() {
    let Some(database) = ScratchDatabase::create("irp_test_").await else {
        return;
    };
    for (n, target) in [None, Some("any"), Some("read-write"), Some("primary")]
        .into_iter()
        .enumerate()
    {
        let param = target.map(|t| format!("target_session_attrs={t}"));
        let url = with_hosts(database.url(), CLOSED, param.as_deref());
        let started = Instant::now();
        let store = PostgresStore::open(&url)
            .await
            .unwrap_or_else(|e| panic!("open {target:?}: {e}"));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a refused host is passed over at once, not waited for"
        );
        assert_eq!(store.current_host(), Some(&real_host(database.url())[..]));
        works(&store, n as u64 + 1).await;
        // And through the backend-choosing entry point.
        let store2 = irp_store::open(&url).await.expect("irp_store::open");
        assert_eq!(store2.backend(), "postgres");
        assert!(store2.invoice(&irn(n as u64 + 1)).await.unwrap().is_some());
        store.close().await;
    }
}

#[tokio::test]
async fn no_acceptable_host_fails_naming_every_host_tried_and_no_password() {
    let url = "postgres://irp:s3cret%21@127.0.0.1:1,127.0.0.1:2/irp?connect_timeout=1";
    let error = PostgresStore::open(url)
        .await
        .expect_err("nothing listens there")
        .to_string();
    assert!(error.contains("127.0.0.1:1 ("), "{error}");
    assert!(error.contains("127.0.0.1:2 ("), "{error}");
    assert!(error.contains("accepted a connection"), "{error}");
    assert!(!error.contains("s3cret"), "{error}");

    let error = irp_store::open("postgres://irp:s3cret@h1,,h2/irp")
        .await
        .err()
        .expect("a bad URL")
        .to_string();
    assert!(
        error.contains("host 2 of the host list is empty"),
        "{error}"
    );
    assert!(!error.contains("s3cret"), "{error}");

    // One host: no host list, but the host is named all the same.
    let error = PostgresStore::open("postgres://irp:s3cret@127.0.0.1:1/irp")
        .await
        .expect_err("refused")
        .to_string();
    assert!(error.contains("127.0.0.1:1"), "{error}");
    assert!(error.contains("Connection refused"), "{error}");
    assert!(
        !error.contains("timed out"),
        "the cause, not the pool's wait: {error}"
    );
    assert!(!error.contains("s3cret"), "{error}");
}

/// What the server says when it refuses a node (no such database, no such role) reaches the
/// operator, with the host.
#[tokio::test]
async fn a_refusing_server_is_quoted() {
    let Some(admin) = irp_testkit::postgres::admin_url() else {
        return;
    };
    let missing = irp_testkit::postgres::database_url(&admin, "irp_test_no_such_database");
    let error = PostgresStore::open(&missing)
        .await
        .expect_err("no such database")
        .to_string();
    assert!(
        error.contains("database \"irp_test_no_such_database\" does not exist (SQLSTATE 3D000)"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_read_only_server_is_refused_for_read_write_sessions() {
    let Some(database) = ScratchDatabase::create("irp_test_").await else {
        return;
    };
    PostgresStore::open(database.url())
        .await
        .expect("migrate")
        .close()
        .await;
    // Sessions of this database now start read-only, as on a standby.
    let mut admin = sqlx::PgConnection::connect(database.admin_url())
        .await
        .expect("admin");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {} SET default_transaction_read_only = on",
        database.name()
    )))
    .execute(&mut admin)
    .await
    .expect("alter database");
    let _ = admin.close().await;

    let url = with_hosts(
        database.url(),
        CLOSED,
        Some("target_session_attrs=read-write&connect_timeout=1"),
    );
    let error = PostgresStore::open(&url)
        .await
        .expect_err("read-only")
        .to_string();
    let real = real_host(database.url());
    assert!(
        error.contains(&format!("{real} (read-only")),
        "names the host and why: {error}"
    );
    assert!(error.contains(&format!("{CLOSED} (")), "{error}");
    assert!(error.contains("target_session_attrs=read-write"), "{error}");
}

/// A TCP proxy to `target` that can be killed: its listener closes (new connections are
/// refused) and every connection through it is cut, as when a server dies.
struct Proxy {
    address: String,
    task: JoinHandle<()>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let task = tokio::spawn(async move {
            // Dropped with this task, which aborts every connection's copy and closes it.
            let mut connections = JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let target = target.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Proxy { address, task }
    }

    async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[allow(clippy::print_stderr)] // the gap is worth seeing in the test's output
async fn when_the_current_host_dies_the_store_moves_to_the_next_without_reopening() {
    let Some(database) = ScratchDatabase::create("irp_test_").await else {
        return;
    };
    let real = real_host(database.url());
    let proxy = Proxy::start(real.clone()).await;
    let url = with_hosts(
        database.url(),
        &proxy.address,
        Some("target_session_attrs=read-write&connect_timeout=2"),
    );
    let store = PostgresStore::open(&url).await.expect("open");
    assert_eq!(store.current_host(), Some(&proxy.address[..]));
    works(&store, 1).await;
    // Several connections in the pool, all through the proxy.
    let mut concurrent = JoinSet::new();
    for _ in 0..4 {
        let store = store.clone();
        concurrent.spawn(async move { store.ping().await.expect("ping") });
    }
    concurrent.join_all().await;

    proxy.kill().await;
    let killed = Instant::now();
    let mut failures = 0;
    loop {
        match store.taxpayer_record("29AAAAA0001A1Z5").await {
            Ok(found) => {
                assert!(found.is_some(), "written before the host died");
                break;
            }
            Err(error) => {
                failures += 1;
                let message = error.to_string();
                assert!(!message.contains("password"), "{message}");
                assert!(
                    killed.elapsed() < Duration::from_secs(30),
                    "the store did not recover: {message}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let gap = killed.elapsed();
    eprintln!("recovered {gap:?} after the host died, {failures} calls failed in between");
    assert_eq!(store.current_host(), Some(&real[..]));
    works(&store, 2).await;
    assert!(store.invoice(&irn(1)).await.unwrap().is_some());
    store.close().await;
}
