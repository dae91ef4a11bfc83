//! Where the handler runs: on a few threads of its own, as many as the machine has cores.
//! A slow query then never holds an async worker, so PING, /healthz and accepting
//! connections stay quick; and a flood of slow queries waits in line instead of starting a
//! thread each.
//!
//! The threads are a rayon pool rather than tokio's blocking threads: a blocking thread
//! is woken for each call (and another started when none is idle at that instant), while
//! an idle pool thread looks for work a moment before it sleeps, so under load the next
//! call starts without a wake-up. On the endpoint benchmark this took commands from 0.61
//! to 0.95 of PING's throughput (medians of nine runs, BENCHMARKS.md); idle, the threads
//! sleep.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

#[derive(Clone)]
pub struct Workers {
    pool: Arc<rayon::ThreadPool>,
}

impl Workers {
    /// At most `limit` calls at once (at least one). Threads the system refuses are an
    /// error: sharing rayon's global pool, the indexing's, would put reloads and answers in
    /// one line again.
    pub fn new(limit: usize) -> Result<Workers, rayon::ThreadPoolBuildError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(limit.max(1))
            .thread_name(|i| format!("handler-{i}"))
            .build()?;
        Ok(Workers { pool: Arc::new(pool) })
    }

    /// As many at once as the machine has cores: searching is CPU work.
    pub fn per_core() -> Result<Workers, rayon::ThreadPoolBuildError> {
        Workers::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `work` on a handler thread once one is free; `None` if it panicked.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job = move || {
            // A call whose caller stopped waiting (the client went away while it was in
            // line) is not worth a thread's time.
            if done.is_closed() {
                return;
            }
            let _ = done.send(std::panic::catch_unwind(AssertUnwindSafe(work)).ok());
        };
        self.pool.spawn(job);
        result.await.ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn never_more_than_the_limit_at_once_and_the_async_worker_stays_free() {
        let workers = Workers::new(2).unwrap_or_else(|e| panic!("{e}"));
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
        // A panic costs its call only: the threads go on answering.
        assert_eq!(workers.run(|| 7).await, Some(7));
    }

    #[tokio::test]
    async fn a_call_nobody_waits_for_any_more_is_not_run() {
        let workers = Workers::new(1).unwrap_or_else(|e| panic!("{e}"));
        // The one thread is held until the dropped call is in line behind it (a release,
        // not a sleep: a slow machine cannot let the slow call end first).
        let (release, held) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let workers = workers.clone();
            async move { workers.run(move || held.recv().is_ok()).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let ran = Arc::new(AtomicUsize::new(0));
        let waited = tokio::time::timeout(Duration::from_millis(20), {
            let ran = ran.clone();
            workers.run(move || ran.fetch_add(1, Ordering::SeqCst))
        })
        .await;
        let _ = release.send(());
        assert!(waited.is_err(), "the call was in line behind the slow one");
        assert_eq!(busy.await.ok(), Some(Some(true)));
        // Anything queued after the dropped call runs after it would have.
        assert_eq!(workers.run(|| ()).await, Some(()));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }
}
