//! RSA signing off the async runtime, on a fixed pool of one thread per core: signing is pure
//! CPU, so more threads than cores only add context switches (`docs/PERFORMANCE.md`).

use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// One queue for all threads, so a job waits only while every thread is busy.
pub struct SigningPool {
    queue: mpsc::Sender<Job>,
}

impl SigningPool {
    /// A pool of `threads` threads (at least one).
    pub fn new(threads: usize) -> SigningPool {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for index in 0..threads.max(1) {
            let jobs = Arc::clone(&jobs);
            std::thread::Builder::new()
                .name(format!("irp-sign-{index}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job, never while
                        // signing; a poisoned lock cannot hold a broken receiver.
                        let next = match jobs.lock() {
                            Ok(jobs) => jobs.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        match next {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                })
                .expect("a signing thread starts");
        }
        SigningPool { queue }
    }

    /// One thread per available core.
    pub fn per_core() -> SigningPool {
        SigningPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `work` on the pool and waits for its result without blocking the runtime.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(work());
        });
        self.queue.send(job).ok()?;
        result.await.ok()
    }
}

#[cfg(test)]
mod tests {
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

    async fn futures_join(pool: &SigningPool) -> Vec<u64> {
        let mut out = Vec::new();
        for n in 0..8u64 {
            out.push(pool.run(move || n * n).await.unwrap());
        }
        out
    }
}
