//! What stands between a login and its password check (issue #15): rate limits per API client and
//! per user name on this node, one check at a time per user name on this node, and a bounded
//! number of checks at once behind a bounded, timed queue. A password check takes about 19 MiB
//! and a core for some 20 ms, so a burst of logins must cost neither memory nor the latency of
//! the other taxpayers' calls.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use crate::settings::Server;

/// User names are spread over this many locks: two names rarely share one, and memory stays fixed.
const STRIPES: usize = 256;
/// Above this many remembered keys, the windows that have run out are forgotten.
const MAX_REMEMBERED: usize = 100_000;
const WINDOW: Duration = Duration::from_secs(60);
/// Refused logins written to the audit trail per minute on one node: enough for every refusal a
/// person or a misconfigured client causes, while a flood of them does not become a flood of
/// registry writes.
const AUDITED_REFUSALS_PER_MINUTE: u32 = 600;

/// Why a login was not let through to its password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many logins in the current minute; the next window opens after this many seconds.
    RateLimited { retry_after_seconds: u64 },
    /// Too many logins are waiting already, or this one waited too long.
    Busy,
}

/// A login's turn: while held, no other login of the same user name on this node is checked,
/// and one of the node's password-check slots is taken.
pub struct Turn {
    _user: OwnedMutexGuard<()>,
    _slot: OwnedSemaphorePermit,
}

pub struct LoginGate {
    slots: Arc<Semaphore>,
    stripes: Vec<Arc<tokio::sync::Mutex<()>>>,
    hasher: RandomState,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
    per_client: RateLimit,
    per_user: RateLimit,
    audited: RateLimit,
}

impl LoginGate {
    pub fn new(settings: &Server) -> LoginGate {
        let slots = match settings.max_concurrent_password_checks {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        };
        LoginGate {
            slots: Arc::new(Semaphore::new(slots)),
            stripes: (0..STRIPES)
                .map(|_| Arc::new(tokio::sync::Mutex::new(())))
                .collect(),
            hasher: RandomState::new(),
            waiting: AtomicUsize::new(0),
            max_waiting: settings.max_waiting_logins,
            wait: Duration::from_secs(settings.login_wait_seconds),
            per_client: RateLimit::new(settings.logins_per_minute_per_client),
            per_user: RateLimit::new(settings.logins_per_minute_per_user),
            audited: RateLimit::new(AUDITED_REFUSALS_PER_MINUTE),
        }
    }

    /// Whether one more refused login may be written to the audit trail this minute.
    pub fn audit_refusal(&self, now: Instant) -> bool {
        self.audited.count("", now).is_ok()
    }

    /// Counts a login through `client_id` against the client's budget for this minute.
    pub fn admit_client(&self, client_id: &str, now: Instant) -> Result<(), Refusal> {
        self.per_client.count(client_id, now)
    }

    /// Counts a login of `user_key` through `client_id` against that pair's budget. Keyed by the
    /// pair, so that one client cannot spend the budget of a user's logins through another.
    pub fn admit_user(&self, client_id: &str, user_key: &str, now: Instant) -> Result<(), Refusal> {
        self.per_user
            .count(&format!("{client_id}\u{0}{user_key}"), now)
    }

    /// Waits for a slot alone, for the other slow step of a login: decrypting its credentials
    /// (RSA), before the user name is known. Refused as [`LoginGate::turn`] is.
    pub async fn slot(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if waiting >= self.max_waiting {
            return Err(Refusal::Busy);
        }
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => Ok(slot),
            _ => Err(Refusal::Busy),
        }
    }

    /// Waits for the turn of `user_key`: its user-name lock, then a password-check slot; refused
    /// at once when too many logins wait already, or after the configured wait.
    pub async fn turn(&self, user_key: &str) -> Result<Turn, Refusal> {
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if waiting >= self.max_waiting {
            return Err(Refusal::Busy);
        }
        let stripe = self.stripes[(self.hasher.hash_one(user_key) as usize) % STRIPES].clone();
        let slots = self.slots.clone();
        let both = async move {
            let user = stripe.lock_owned().await;
            let slot = slots.acquire_owned().await.ok()?;
            Some(Turn {
                _user: user,
                _slot: slot,
            })
        };
        match tokio::time::timeout(self.wait, both).await {
            Ok(Some(turn)) => Ok(turn),
            _ => Err(Refusal::Busy),
        }
    }
}

/// Takes one login off the waiting count when dropped, however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Fixed one-minute windows per key. Good enough to stop a flood; not a precise meter.
struct RateLimit {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimit {
    fn new(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn count(&self, key: &str, now: Instant) -> Result<(), Refusal> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_REMEMBERED && !windows.contains_key(key) {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(Refusal::RateLimited {
                retry_after_seconds: left.as_secs().max(1),
            });
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(per_client: u32, per_user: u32) -> Server {
        Server {
            logins_per_minute_per_client: per_client,
            logins_per_minute_per_user: per_user,
            max_concurrent_password_checks: 1,
            max_waiting_logins: 2,
            login_wait_seconds: 1,
            ..Server::default()
        }
    }

    #[test]
    fn a_client_gets_its_budget_per_minute_then_waits_for_the_next() {
        let gate = LoginGate::new(&settings(3, 0));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(gate.admit_client("C1", start), Ok(()));
        }
        assert_eq!(
            gate.admit_client("C1", start + Duration::from_secs(15)),
            Err(Refusal::RateLimited {
                retry_after_seconds: 45
            })
        );
        assert_eq!(gate.admit_client("C2", start), Ok(()), "another client");
        assert_eq!(gate.admit_client("C1", start + WINDOW), Ok(()));
    }

    #[test]
    fn a_users_budget_is_per_client() {
        let gate = LoginGate::new(&settings(0, 1));
        let now = Instant::now();
        assert_eq!(gate.admit_user("C1", "alice", now), Ok(()));
        assert!(gate.admit_user("C1", "alice", now).is_err());
        assert_eq!(gate.admit_user("C2", "alice", now), Ok(()));
        assert_eq!(gate.admit_user("C1", "bob", now), Ok(()));
        for _ in 0..1000 {
            assert_eq!(gate.admit_client("C1", now), Ok(()), "0 means no limit");
        }
    }

    #[test]
    fn refusals_are_audited_up_to_a_budget_per_minute() {
        let gate = LoginGate::new(&settings(0, 0));
        let now = Instant::now();
        for _ in 0..AUDITED_REFUSALS_PER_MINUTE {
            assert!(gate.audit_refusal(now));
        }
        assert!(!gate.audit_refusal(now));
        assert!(gate.audit_refusal(now + WINDOW));
    }

    #[tokio::test]
    async fn turns_are_one_per_user_and_the_queue_is_bounded() {
        let gate = Arc::new(LoginGate::new(&settings(0, 0)));
        let first = gate.turn("alice").await.expect("first turn");
        // One slot, taken: two may wait, the third is refused at once.
        let (a, b) = (gate.clone(), gate.clone());
        let waiter_a = tokio::spawn(async move { a.turn("bob").await.is_ok() });
        let waiter_b = tokio::spawn(async move { b.turn("carol").await.is_ok() });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(gate.turn("dave").await.err(), Some(Refusal::Busy));
        drop(first);
        assert!(waiter_a.await.unwrap());
        assert!(waiter_b.await.unwrap());
    }

    #[tokio::test]
    async fn a_login_that_waits_too_long_is_refused() {
        let gate = LoginGate::new(&settings(0, 0));
        let _held = gate.turn("alice").await.expect("turn");
        let started = Instant::now();
        assert_eq!(gate.turn("alice").await.err(), Some(Refusal::Busy));
        assert!(started.elapsed() >= Duration::from_secs(1));
    }
}
