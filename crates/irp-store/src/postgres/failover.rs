//! Failover across the hosts of a registry URL (`url`): which host new connections go to, and
//! moving to another when that host dies or stops accepting the sessions the URL asks for.
//!
//! sqlx's pool opens connections with one `PgConnectOptions` and cannot be given a list of
//! hosts, so the pool is pointed at one host at a time (`Pool::set_connect_options`) and
//! [`Failover`] chooses it the way libpq chooses: the hosts in the URL's order, skipping one that
//! refuses, does not answer within the connect timeout, or (for `read-write` and `primary`)
//! answers as a read-only server or a standby. The choice is made when the store opens and made
//! again, in the background, whenever something suggests the host is gone:
//!
//! - an idle connection fails its ping before being handed out (the pool's `before_acquire`,
//!   which replaces `test_before_acquire` so that the ping has a timeout);
//! - a new connection reaches a server of the wrong kind (`after_connect`);
//! - a call of the store fails to get a connection at all ([`Failover::suspect`] from
//!   `PostgresStore::pool_error`).
//!
//! While a search runs, the pool goes on retrying a refused host every so often; once the
//! search moves the pool to another host, those retries and every later connection reach it,
//! and idle connections opened before the move are closed instead of handed out. Calls made in
//! the gap fail as registry failures (the portal answers `2146`/`5001`), never worse.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};

use super::url::{Host, RegistryUrl, TargetSessionAttrs};
use crate::errors::{describe, describe_connect};

/// How long one search goes on while no host is acceptable; the next failure starts another.
const SEARCH_FOR: Duration = Duration::from_secs(30);
/// The pause after the first round of a search that found no host; it doubles up to
/// [`LONGEST_PAUSE`]. A round costs a connection attempt per host, so looking four times a
/// second while the registry has no acceptable host is cheap, and a promoted standby is found
/// within a quarter of a second.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_millis(250);

/// The hosts of one store's registry URL and the one its pool now connects to. Its `Debug`
/// shows host labels only (`url::Host`).
#[derive(Debug)]
pub(crate) struct Failover {
    url: RegistryUrl,
    /// Index in `url.hosts` of the host the pool opens connections to.
    current: AtomicUsize,
    /// Whether a search runs (at most one at a time).
    searching: AtomicBool,
    /// When the pool last moved to another host: idle connections older than this are closed.
    moved_at: Mutex<Option<Instant>>,
    /// The store's pool, once it exists. The pool's hooks hold only a `Weak` of this, so the
    /// pool and its `Failover` are dropped with the last store.
    pool: OnceLock<PgPool>,
}

impl Failover {
    pub(crate) fn new(url: RegistryUrl) -> Arc<Failover> {
        Arc::new(Failover {
            url,
            current: AtomicUsize::new(0),
            searching: AtomicBool::new(false),
            moved_at: Mutex::new(None),
            pool: OnceLock::new(),
        })
    }

    pub(crate) fn current_host(&self) -> &Host {
        &self.url.hosts[self.current.load(Ordering::Acquire)]
    }

    /// Finds the first acceptable host, trying again for up to `wait` while there is none (as
    /// the pool itself retries a refused host when it opens). The error names every host tried
    /// and why it was passed over.
    pub(crate) async fn choose_first(&self, wait: Duration) -> Result<&Host, String> {
        let started = Instant::now();
        let mut pause = FIRST_PAUSE;
        loop {
            match self.find().await {
                Ok(index) => {
                    self.current.store(index, Ordering::Release);
                    return Ok(&self.url.hosts[index]);
                }
                Err(refusals) if started.elapsed() + pause >= wait => {
                    return Err(format!(
                        "no registry host {}: {refusals}",
                        self.what_is_wanted()
                    ));
                }
                Err(_) => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(LONGEST_PAUSE);
                }
            }
        }
    }

    /// Gives the failover the store's pool, pointed at the current host (a search that ran
    /// while the pool was being opened may have moved it).
    pub(crate) fn attach(&self, pool: PgPool) {
        pool.set_connect_options(self.current_host().options.clone());
        let _ = self.pool.set(pool);
    }

    /// `base` with the hooks that check connections and start searches.
    pub(crate) fn pool_options(self: &Arc<Self>, base: PgPoolOptions) -> PgPoolOptions {
        let before = Arc::downgrade(self);
        let after = Arc::downgrade(self);
        base.test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                let failover = before.clone();
                Box::pin(async move {
                    let Some(failover) = failover.upgrade() else {
                        return Ok(true);
                    };
                    if failover.moved_within(meta.age) {
                        return Ok(false);
                    }
                    match tokio::time::timeout(failover.url.connect_timeout, conn.ping()).await {
                        Ok(Ok(())) => Ok(true),
                        Ok(Err(error)) => {
                            failover.suspect();
                            Err(error)
                        }
                        Err(_) => {
                            failover.suspect();
                            Err(sqlx::Error::Io(std::io::Error::new(
                                std::io::ErrorKind::TimedOut,
                                "no answer to a ping",
                            )))
                        }
                    }
                })
            })
            .after_connect(move |conn, _meta| {
                let failover = after.clone();
                Box::pin(async move {
                    let Some(failover) = failover.upgrade() else {
                        return Ok(());
                    };
                    let target = failover.url.target;
                    if target == TargetSessionAttrs::Any {
                        return Ok(());
                    }
                    let verdict =
                        tokio::time::timeout(failover.url.connect_timeout, check(conn, target))
                            .await
                            .unwrap_or_else(|_| Err("no answer to the session check".to_owned()));
                    verdict.map_err(|refusal| {
                        failover.suspect();
                        sqlx::Error::Configuration(
                            format!(
                                "registry host {} refused for target_session_attrs={target}: {refusal}",
                                failover.current_host().label
                            )
                            .into(),
                        )
                    })
                })
            })
    }

    /// Starts a search for the first acceptable host in the background, unless one runs.
    pub(crate) fn suspect(self: &Arc<Self>) {
        if self.searching.swap(true, Ordering::AcqRel) {
            return;
        }
        tokio::spawn(search(Arc::downgrade(self)));
    }

    /// Whether the pool moved to another host less than `age` ago (a connection of that age
    /// was opened to the host before).
    fn moved_within(&self, age: Duration) -> bool {
        self.moved_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|moved| moved.elapsed() < age)
    }

    /// Points the pool's new connections at host `index`.
    fn move_to(&self, index: usize) {
        let previous = self.current.swap(index, Ordering::AcqRel);
        let host = &self.url.hosts[index];
        if previous == index {
            tracing::debug!(host = %host.label, "registry: the current host is still acceptable");
            return;
        }
        if let Some(pool) = self.pool.get() {
            pool.set_connect_options(host.options.clone());
        }
        *self.moved_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        tracing::warn!(
            from = %self.url.hosts[previous].label,
            to = %host.label,
            target_session_attrs = %self.url.target,
            "registry failover: new connections go to {}",
            host.label
        );
    }

    /// The index of the first acceptable host, or why each was passed over.
    async fn find(&self) -> Result<usize, String> {
        let mut refusals = Vec::new();
        for (index, host) in self.url.hosts.iter().enumerate() {
            match self.probe(host).await {
                Ok(()) => return Ok(index),
                Err(reason) => {
                    tracing::debug!(host = %host.label, reason, "registry host passed over");
                    refusals.push(format!("{} ({reason})", host.label));
                }
            }
        }
        Err(refusals.join(", "))
    }

    /// Connects to `host` on a connection of its own and checks that it is acceptable.
    async fn probe(&self, host: &Host) -> Result<(), String> {
        let timeout = self.url.connect_timeout;
        let mut conn = match tokio::time::timeout(timeout, host.options.connect()).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(error)) => return Err(describe_connect(&error)),
            Err(_) => return Err(format!("no answer within {} s", timeout.as_secs())),
        };
        let verdict = tokio::time::timeout(timeout, check(&mut conn, self.url.target))
            .await
            .unwrap_or_else(|_| Err("no answer to the session check".to_owned()));
        let _ = tokio::time::timeout(timeout, conn.close()).await;
        verdict
    }

    fn what_is_wanted(&self) -> String {
        match self.url.target {
            TargetSessionAttrs::Any => "accepted a connection".to_owned(),
            target => format!("accepted a session for target_session_attrs={target}"),
        }
    }
}

/// Whether the server behind `conn` is one `target` accepts (libpq's checks).
async fn check(conn: &mut PgConnection, target: TargetSessionAttrs) -> Result<(), String> {
    match target {
        TargetSessionAttrs::Any => Ok(()),
        TargetSessionAttrs::ReadWrite => {
            // `SHOW transaction_read_only`, as a query: on for a standby, and for a primary
            // whose sessions default to read-only.
            let (read_only,): (String,) =
                sqlx::query_as("SELECT current_setting('transaction_read_only')")
                    .fetch_one(conn)
                    .await
                    .map_err(|e| describe(&e))?;
            if read_only == "off" {
                Ok(())
            } else {
                Err("read-only: transaction_read_only is on".to_owned())
            }
        }
        TargetSessionAttrs::Primary => {
            let (in_recovery,): (bool,) = sqlx::query_as("SELECT pg_is_in_recovery()")
                .fetch_one(conn)
                .await
                .map_err(|e| describe(&e))?;
            if in_recovery {
                Err("a standby: pg_is_in_recovery() is true".to_owned())
            } else {
                Ok(())
            }
        }
    }
}

/// Searches until a host is acceptable (then moves the pool to it), for at most
/// [`SEARCH_FOR`], and stops early if the store is gone or its pool closed.
async fn search(failover: Weak<Failover>) {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut reported = false;
    loop {
        let Some(strong) = failover.upgrade() else {
            return;
        };
        if strong.pool.get().is_some_and(PgPool::is_closed) {
            strong.searching.store(false, Ordering::Release);
            return;
        }
        match strong.find().await {
            Ok(index) => {
                strong.move_to(index);
                strong.searching.store(false, Ordering::Release);
                return;
            }
            Err(refusals) if started.elapsed() >= SEARCH_FOR => {
                tracing::error!(
                    "registry: no host {} for {} s, stopped looking until the next failure: {refusals}",
                    strong.what_is_wanted(),
                    SEARCH_FOR.as_secs()
                );
                strong.searching.store(false, Ordering::Release);
                return;
            }
            Err(refusals) if !reported => {
                reported = true;
                tracing::warn!(
                    "registry: no host {} yet, still looking: {refusals}",
                    strong.what_is_wanted()
                );
            }
            Err(_) => {}
        }
        drop(strong);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Whether `error` says the connection or the server is gone (or is the wrong kind of server)
/// rather than that a statement failed.
pub(crate) fn is_connection_failure(error: &sqlx::Error) -> bool {
    use sqlx::Error as E;
    match error {
        E::Io(_) | E::PoolTimedOut | E::Tls(_) | E::Protocol(_) | E::WorkerCrashed => true,
        // Class 08: connection exception; 57P01–57P03: shut down or starting up; 25006: a
        // write on a read-only server (a standby, or a demoted primary).
        E::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "25006"
        }),
        _ => false,
    }
}
