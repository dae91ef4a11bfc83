//! Where the handler runs: on tokio's blocking threads, a few at a time. A slow query then
//! never holds an async worker, so PING, /healthz and accepting connections stay quick; and a
//! flood of slow queries waits for a permit instead of starting a thread each.

use std::sync::Arc;

use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Workers {
    permits: Arc<Semaphore>,
}

impl Workers {
    /// At most `limit` calls at once (at least one).
    pub fn new(limit: usize) -> Workers {
        Workers {
            permits: Arc::new(Semaphore::new(limit.max(1))),
        }
    }

    /// As many at once as the machine has cores: searching is CPU work.
    pub fn per_core() -> Workers {
        Workers::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `work` on a blocking thread once a permit is free; `None` if it panicked.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            // Held until the work ends, even if the caller stopped waiting.
            let _permit = permit;
            work()
        })
        .await
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn never_more_than_the_limit_at_once_and_the_async_worker_stays_free() {
        let workers = Workers::new(2);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let calls: Vec<_> = (0..6)
            .map(|_| {
                let (workers, running, most) = (workers.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    workers
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(100));
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        // The one async worker is free while the slow calls run.
        let started = std::time::Instant::now();
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(started.elapsed() < Duration::from_millis(80));
        for call in calls {
            assert_eq!(call.await.ok(), Some(Some(())));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(workers.run(|| panic!("a bug")).await, None::<()>);
    }
}
