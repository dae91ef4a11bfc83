//! Keeps Discord's slash commands in step with the notes' topics.
//!
//! A registration that fails for a passing reason (Discord unreachable, a 5xx, a 429 that
//! outlasted serenity's own wait) is tried again with a doubling wait, until it succeeds or
//! a newer reload asks again; one Discord refuses for good (a rejected token, a 400 on the
//! command set) waits for the next change of the notes. Meanwhile the commands registered
//! before keep working: Discord holds them, not this process.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{GuildId, Http};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::app::{App, Reloaded};
use super::discord::{self, RunError};

/// The wait before the first retry; each failure doubles it, up to [`LAST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(300);

/// Where the commands are registered: these guilds, or globally when there are none.
pub struct Registrar {
    pub http: Arc<Http>,
    pub guilds: Vec<GuildId>,
}

/// When to try a failed registration again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_RETRY }
    }
}

impl Backoff {
    /// The wait before the next try; the one after is twice as long, up to `LAST_RETRY`.
    pub fn wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(LAST_RETRY);
        wait
    }
}

/// Whether trying the same request later may succeed: no answer, a server error, or a rate
/// limit. A rejected token or a refused command set will not change by waiting.
pub fn is_transient(error: &RunError) -> bool {
    match error {
        RunError::Unreachable { .. } | RunError::GatewayUnreachable { .. } | RunError::Serenity(_) => true,
        RunError::Refused { status, .. } => status.as_u16() == 429 || status.as_u16() >= 500,
        _ => false,
    }
}

impl Registrar {
    /// Registers the commands whenever a reload changed the topics (and after the first
    /// wait when `failed`: the caller's own try just failed), retrying passing failures;
    /// ends when `reloads` closes.
    pub async fn keep_registered(
        self,
        app: Arc<App>,
        mut reloads: mpsc::UnboundedReceiver<Reloaded>,
        failed: bool,
    ) {
        let mut backoff = Backoff::default();
        let mut retry_at = failed.then(|| Instant::now() + backoff.wait());
        loop {
            let retry = async {
                match retry_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                reloaded = reloads.recv() => match reloaded {
                    None => return,
                    // A newer command set: ask at once, with a fresh backoff.
                    Some(reloaded) if reloaded.commands_changed => backoff = Backoff::default(),
                    Some(_) => continue,
                },
                () = retry => {}
            }
            retry_at = None;
            let registered = async {
                // Unknown when Discord could not be reached at the start (`serve`).
                discord::learn_application_id(&self.http).await?;
                discord::register(&self.http, &app, &self.guilds).await
            };
            match registered.await {
                Ok(()) => backoff = Backoff::default(),
                Err(error) if is_transient(&error) => {
                    let wait = backoff.wait();
                    tracing::warn!(
                        %error,
                        retry_in_s = wait.as_secs(),
                        "could not register the commands; trying again (the ones registered before keep working)"
                    );
                    retry_at = Some(Instant::now() + wait);
                }
                Err(error) => tracing::error!(
                    %error,
                    "could not register the commands; they stay as registered before until the notes change again"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_five_minutes() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..12).map(|_| backoff.wait().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }

    #[test]
    fn only_passing_failures_are_retried() {
        let refused = |status| RunError::Refused {
            method: reqwest::Method::PUT,
            route: String::new(),
            status: reqwest::StatusCode::from_u16(status).unwrap_or_default(),
            said: String::new(),
            fields: Vec::new(),
        };
        assert!(is_transient(&RunError::Unreachable {
            host: "discord.com".into(),
            cause: "timed out".into(),
            via_proxy: false,
        }));
        assert!(is_transient(&refused(503)));
        assert!(is_transient(&refused(429)));
        assert!(!is_transient(&refused(400)));
        assert!(!is_transient(&refused(403)));
        assert!(!is_transient(&RunError::TokenRejected));
    }
}
