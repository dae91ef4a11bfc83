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

/// How long the runtime may give no tick before it is stalled.
const STALL: Duration = Duration::from_secs(5);

/// The stop that does not wait on the async runtime. serenity 0.12 can keep a worker in a
/// loop that never yields (after a gateway close without a code, or 4003, 4010, 4011) until
/// the shard's next heartbeat, up to 41 s, and the runtime's signals and timers wait
/// meanwhile: a SIGTERM was acted on 35 s late, past `docker stop`'s 10 s, with nothing
/// logged. A thread of its own hears SIGTERM and SIGINT and watches a tick the runtime gives
/// every second: it logs a stall, and ends the process (after `last_words`: saving the gap
/// counts) when a signal came and the runtime is stalled, or has not stopped within `grace`.
/// Call it inside the runtime, with [`signal`]; call [`Guard::stopping`] when the stop is
/// under way outside it (a final save may block the runtime's last worker).
pub fn guard(grace: Duration, last_words: impl Fn() + Send + 'static) -> Guard {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
    // POSIX's numbers, the same on every unix.
    const SIGNALS: [(i32, &str); 2] = [(15, "SIGTERM"), (2, "SIGINT")];
    static RECEIVED: AtomicI32 = AtomicI32::new(0);
    for (number, name) in SIGNALS {
        // SAFETY: the action only stores to an atomic, which is async-signal-safe.
        let registered = unsafe {
            signal_hook_registry::register(number, move || RECEIVED.store(number, Ordering::SeqCst))
        };
        if let Err(error) = registered {
            tracing::warn!(%error, signal = name, "cannot watch for the signal outside the runtime");
        }
    }
    let guard = Guard::default();
    let stopping = guard.stopping.clone();
    let start = std::time::Instant::now();
    let millis = move |at: std::time::Instant| at.duration_since(start).as_millis() as u64;
    let ticked = Arc::new(AtomicU64::new(0));
    let tick = ticked.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            tick.store(millis(std::time::Instant::now()), Ordering::Relaxed);
        }
    });
    let watch = move || {
        let mut signalled: Option<std::time::Instant> = None;
        let mut stalled = false;
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let now = std::time::Instant::now();
            let since_tick =
                Duration::from_millis(millis(now).saturating_sub(ticked.load(Ordering::Relaxed)));
            let number = RECEIVED.load(Ordering::SeqCst);
            if number != 0 {
                signalled.get_or_insert(now);
            }
            let since_signal = signalled.map(|at| now.duration_since(at));
            // Stopping on its own: ticks end with the runtime, and only the deadline counts.
            let since_tick = if stopping.load(Ordering::SeqCst) {
                Duration::ZERO
            } else {
                since_tick
            };
            match verdict(since_tick, since_signal, grace) {
                Verdict::Exit => {
                    let name = SIGNALS
                        .iter()
                        .find(|(n, _)| *n == number)
                        .map_or("a signal", |(_, name)| name);
                    tracing::error!(
                        stalled_s = since_tick.as_secs(),
                        "not stopped after {name}: the async runtime is stalled or the stop took too long; exiting now"
                    );
                    last_words();
                    std::process::exit(128 + number);
                }
                Verdict::Stalled if !stalled => {
                    stalled = true;
                    tracing::error!(
                        "the async runtime has given no tick for {} s (serenity can loop so after some gateway closes, until the shard's next heartbeat); answers and timers wait",
                        STALL.as_secs()
                    );
                }
                Verdict::Fine if stalled => {
                    stalled = false;
                    tracing::warn!("the async runtime runs again");
                }
                _ => {}
            }
        }
    };
    if let Err(error) = std::thread::Builder::new().name("stop-guard".into()).spawn(watch) {
        tracing::warn!(%error, "cannot start the thread that guards the stop");
    }
    guard
}

/// What [`guard`] is told by the process it guards.
#[derive(Default)]
pub struct Guard {
    stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Guard {
    /// The stop is under way and the runtime may give no more ticks: from now on only the
    /// deadline after a signal ends the process.
    pub fn stopping(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Fine,
    Stalled,
    Exit,
}

/// What the guard does, `since_tick` after the runtime's last tick and `since_signal` after
/// a stop was asked for (if it was).
fn verdict(since_tick: Duration, since_signal: Option<Duration>, grace: Duration) -> Verdict {
    let stalled = since_tick > STALL;
    match since_signal {
        Some(waited) if stalled || waited > grace => Verdict::Exit,
        _ if stalled => Verdict::Stalled,
        _ => Verdict::Fine,
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

struct Signals {
    terminate: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A stop asked for while the runtime is stalled ends the process at once; one the
    /// runtime is carrying out has `grace`; a stall alone is only told.
    #[test]
    fn the_guard_exits_on_a_signal_the_runtime_cannot_act_on() {
        let s = Duration::from_secs;
        assert_eq!(verdict(s(1), None, s(12)), Verdict::Fine);
        assert_eq!(verdict(s(6), None, s(12)), Verdict::Stalled);
        assert_eq!(verdict(s(6), Some(s(0)), s(12)), Verdict::Exit);
        assert_eq!(verdict(s(1), Some(s(11)), s(12)), Verdict::Fine);
        assert_eq!(verdict(s(1), Some(s(13)), s(12)), Verdict::Exit);
    }

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
