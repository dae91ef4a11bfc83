//! Stopping: the first SIGINT or SIGTERM asks for a graceful stop, which has a deadline; a
//! second one ends the process at once. Shared by `run` and `serve`.

use std::future::Future;
use std::time::Duration;

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM (docker stop); from then on, the next
/// one runs `last_words` (quick: saving the gap counts) and exits the process at once
/// (status 128 + the signal's number). The handlers are installed when this is called, not
/// when first polled, so a signal right after start-up is not lost. Call it inside the
/// runtime.
pub fn signal(last_words: impl FnOnce() + Send + 'static) -> impl Future<Output = ()> + Send + 'static {
    let mut signals = Signals::install();
    async move {
        let first = signals.next().await;
        tracing::info!(
            signal = first.name,
            "stopping; send the signal again to stop at once"
        );
        tokio::spawn(async move {
            let second = signals.next().await;
            tracing::warn!(signal = second.name, "second signal: exiting now");
            last_words();
            std::process::exit(second.exit_code);
        });
    }
}

/// Runs `work` for at most `deadline`; `None` (and a warning naming `what`) when it took longer.
pub async fn within<T>(deadline: Duration, what: &str, work: impl Future<Output = T>) -> Option<T> {
    match tokio::time::timeout(deadline, work).await {
        Ok(done) => Some(done),
        Err(_) => {
            tracing::warn!(
                seconds = deadline.as_secs(),
                "{what}: not done by the shutdown deadline; stopping anyway"
            );
            None
        }
    }
}

struct Received {
    name: &'static str,
    exit_code: i32,
}

#[cfg(unix)]
struct Signals {
    terminate: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            terminate: signal(SignalKind::terminate()).ok(),
            interrupt: signal(SignalKind::interrupt()).ok(),
        }
    }

    async fn next(&mut self) -> Received {
        async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = recv(&mut self.terminate) => Received { name: "SIGTERM", exit_code: 128 + 15 },
            () = recv(&mut self.interrupt) => Received { name: "SIGINT", exit_code: 128 + 2 },
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Signals {
        Signals
    }

    async fn next(&mut self) -> Received {
        let _ = tokio::signal::ctrl_c().await;
        Received {
            name: "Ctrl-C",
            exit_code: 130,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_past_the_deadline_is_abandoned_and_work_within_it_finishes() {
        let started = std::time::Instant::now();
        let stuck = within(Duration::from_millis(50), "stuck", std::future::pending::<()>()).await;
        assert_eq!(stuck, None);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(
            within(Duration::from_secs(5), "quick", async { 7 }).await,
            Some(7)
        );
    }
}
