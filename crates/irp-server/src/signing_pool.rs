//! RSA signing off the async runtime, on a fixed pool of one thread per core: signing is pure
//! CPU, so more threads than cores only add context switches (`docs/PERFORMANCE.md`).
//!
//! Two classes of work share the pool. A single call's signature comes first; bulk tasks'
//! signatures (`crate::bulk`) run only when no single call's waits, and, while single calls
//! come in (one in the last 200 ms), on all threads but one, so that a large task cannot make
//! the API wait for a thread; with no single call about, a task has the whole pool (issue 17).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// What waits for a thread: a single call's jobs, background jobs, and how many threads run
/// background jobs now.
#[derive(Default)]
struct Queues {
    calls: VecDeque<Job>,
    background: VecDeque<Job>,
    background_running: usize,
    /// When the last single call's job came.
    last_call: Option<Instant>,
    closed: bool,
}

/// How long after a single call's job background work keeps a thread free for the next.
const CALLS_ABOUT: Duration = Duration::from_millis(200);

struct Shared {
    queues: Mutex<Queues>,
    ready: Condvar,
    threads: usize,
    /// How long after a single call's job background work keeps a thread free.
    calls_about: Duration,
}

impl Queues {
    /// The most threads that may run background jobs now.
    fn background_limit(&self, threads: usize, calls_about: Duration) -> usize {
        match self.last_call {
            Some(at) if at.elapsed() < calls_about => threads.saturating_sub(1).max(1),
            _ => threads,
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queues> {
        // A job never runs under the lock, so a poisoned lock holds consistent queues.
        self.queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The pool; dropping it lets the threads end once the queues are empty.
pub struct SigningPool {
    shared: Arc<Shared>,
}

impl Drop for SigningPool {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
    }
}

impl SigningPool {
    /// A pool of `threads` threads (at least one).
    pub fn new(threads: usize) -> SigningPool {
        SigningPool::with_window(threads, CALLS_ABOUT)
    }

    /// A pool whose background work keeps a thread free for `calls_about` after a call.
    fn with_window(threads: usize, calls_about: Duration) -> SigningPool {
        let threads = threads.max(1);
        let shared = Arc::new(Shared {
            queues: Mutex::new(Queues::default()),
            ready: Condvar::new(),
            threads,
            calls_about,
        });
        for index in 0..threads {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("irp-sign-{index}"))
                .spawn(move || work(&shared))
                .expect("a signing thread starts");
        }
        SigningPool { shared }
    }

    /// One thread per available core.
    pub fn per_core() -> SigningPool {
        SigningPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `work` for a single call on the pool and waits for its result without blocking the
    /// runtime.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        self.submit(work, false).await
    }

    /// Whether single calls are coming: one came in the last 200 ms.
    pub fn calls_coming(&self) -> bool {
        let queues = self.shared.lock();
        queues
            .last_call
            .is_some_and(|at| at.elapsed() < self.shared.calls_about)
    }

    /// Runs background `work` (a bulk task's) when no single call's work waits.
    pub async fn run_background<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        self.submit(work, true).await
    }

    async fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
        background: bool,
    ) -> Option<T> {
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(work());
        });
        {
            let mut queues = self.shared.lock();
            if background {
                queues.background.push_back(job);
            } else {
                queues.calls.push_back(job);
                queues.last_call = Some(Instant::now());
            }
        }
        self.shared.ready.notify_one();
        result.await.ok()
    }
}

/// A signing thread: a single call's job first; a background job only when none waits and
/// fewer than the limit of threads run one. A thread held back by the limit looks again once
/// single calls have stopped coming.
fn work(shared: &Shared) {
    let mut queues = shared.lock();
    loop {
        if let Some(job) = queues.calls.pop_front() {
            drop(queues);
            job();
            queues = shared.lock();
            continue;
        }
        if queues.background_running < queues.background_limit(shared.threads, shared.calls_about)
            && let Some(job) = queues.background.pop_front()
        {
            queues.background_running += 1;
            drop(queues);
            job();
            queues = shared.lock();
            queues.background_running -= 1;
            // A thread held back by the limit may take the next background job now.
            shared.ready.notify_one();
            continue;
        }
        if queues.closed {
            return;
        }
        queues = if queues.background.is_empty() {
            shared
                .ready
                .wait(queues)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        } else {
            shared
                .ready
                .wait_timeout(queues, shared.calls_about)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0
        };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[tokio::test]
    async fn jobs_run_and_return_their_results() {
        let pool = SigningPool::new(2);
        let results: Vec<u64> = futures_join(&pool).await;
        assert_eq!(results, (0..8).map(|n| n * n).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_busy_thread_does_not_hold_up_jobs_another_thread_can_take() {
        let pool = Arc::new(SigningPool::new(2));
        let (release, blocked) = mpsc::channel::<()>();
        let (started, running) = mpsc::channel::<()>();
        let slow_pool = Arc::clone(&pool);
        let slow = tokio::spawn(async move {
            slow_pool
                .run(move || {
                    started.send(()).unwrap();
                    blocked.recv().unwrap();
                    "slow"
                })
                .await
        });
        tokio::task::spawn_blocking(move || running.recv().unwrap())
            .await
            .unwrap();
        // With one thread occupied, every later job runs on the other one.
        for n in 0..4u64 {
            let answer =
                tokio::time::timeout(std::time::Duration::from_secs(10), pool.run(move || n + 1))
                    .await
                    .expect("a free thread takes the job");
            assert_eq!(answer, Some(n + 1));
        }
        release.send(()).unwrap();
        assert_eq!(slow.await.unwrap(), Some("slow"));
    }

    #[tokio::test]
    async fn background_work_leaves_a_thread_free_while_calls_come() {
        let pool = Arc::new(SigningPool::with_window(2, Duration::from_secs(2)));
        // A single call has just come: for 2 s one thread stays free of background work.
        assert_eq!(pool.run(|| 1).await, Some(1));
        let (release, blocked) = mpsc::channel::<()>();
        let blocked = Arc::new(Mutex::new(blocked));
        let (started, running) = mpsc::channel::<u32>();
        let mut background = Vec::new();
        for n in 0..2 {
            let (pool, blocked, started) = (pool.clone(), blocked.clone(), started.clone());
            background.push(tokio::spawn(async move {
                pool.run_background(move || {
                    started.send(n).unwrap();
                    blocked.lock().unwrap().recv().unwrap();
                    n
                })
                .await
            }));
        }
        let (second_started, running) = tokio::task::spawn_blocking(move || {
            running.recv().unwrap();
            let second = running.recv_timeout(Duration::from_millis(300));
            (second.is_ok(), running)
        })
        .await
        .unwrap();
        assert!(
            !second_started,
            "a second background job took the thread kept free"
        );
        // The free thread answers a call at once.
        let answer = tokio::time::timeout(Duration::from_secs(10), pool.run(|| 42))
            .await
            .expect("the free thread answers a call");
        assert_eq!(answer, Some(42));
        // Once calls stop coming, the held-back job gets the thread.
        let second =
            tokio::task::spawn_blocking(move || running.recv_timeout(Duration::from_secs(10)))
                .await
                .unwrap();
        assert!(
            second.is_ok(),
            "the whole pool serves background work when calls stop"
        );
        release.send(()).unwrap();
        release.send(()).unwrap();
        let mut done = Vec::new();
        for job in background {
            done.push(job.await.unwrap().unwrap());
        }
        done.sort_unstable();
        assert_eq!(done, [0, 1]);
    }

    #[tokio::test]
    async fn a_waiting_call_goes_before_waiting_background_work() {
        let pool = Arc::new(SigningPool::new(1));
        let (release, blocked) = mpsc::channel::<()>();
        let (started, running) = mpsc::channel::<()>();
        let order = Arc::new(Mutex::new(Vec::new()));
        // The one thread is busy; then background work, then a call, are queued.
        let busy = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    started.send(()).unwrap();
                    blocked.recv().unwrap();
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || running.recv().unwrap())
            .await
            .unwrap();
        let background = {
            let (pool, order) = (pool.clone(), order.clone());
            tokio::spawn(async move {
                pool.run_background(move || order.lock().unwrap().push("background"))
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let call = {
            let (pool, order) = (pool.clone(), order.clone());
            tokio::spawn(async move { pool.run(move || order.lock().unwrap().push("call")).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        call.await.unwrap().unwrap();
        background.await.unwrap().unwrap();
        assert_eq!(*order.lock().unwrap(), ["call", "background"]);
    }

    async fn futures_join(pool: &SigningPool) -> Vec<u64> {
        let mut out = Vec::new();
        for n in 0..8u64 {
            out.push(pool.run(move || n * n).await.unwrap());
        }
        out
    }
}
