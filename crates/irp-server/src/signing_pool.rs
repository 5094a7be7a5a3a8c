//! RSA signing off the async runtime, on a fixed pool of one thread per core: signing is pure
//! CPU, so more threads than cores only add context switches (`docs/PERFORMANCE.md`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub struct SigningPool {
    queues: Vec<Mutex<mpsc::Sender<Job>>>,
    next: AtomicUsize,
}

impl SigningPool {
    /// A pool of `threads` threads (at least one).
    pub fn new(threads: usize) -> SigningPool {
        let queues = (0..threads.max(1))
            .map(|index| {
                let (sender, receiver) = mpsc::channel::<Job>();
                std::thread::Builder::new()
                    .name(format!("irp-sign-{index}"))
                    .spawn(move || {
                        while let Ok(job) = receiver.recv() {
                            job();
                        }
                    })
                    .expect("a signing thread starts");
                Mutex::new(sender)
            })
            .collect();
        SigningPool {
            queues,
            next: AtomicUsize::new(0),
        }
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
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.queues.len();
        let sent = self.queues[index]
            .lock()
            .map(|queue| queue.send(job).is_ok())
            .unwrap_or(false);
        if !sent {
            return None;
        }
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

    async fn futures_join(pool: &SigningPool) -> Vec<u64> {
        let mut out = Vec::new();
        for n in 0..8u64 {
            out.push(pool.run(move || n * n).await.unwrap());
        }
        out
    }
}
