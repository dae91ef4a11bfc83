//! What the endpoint tells an admin about the requests it refuses: a wrong public key, a
//! clock that is off and a URL without `/interactions` each look, from Discord's portal,
//! like "the URL could not be verified", and were refused in silence (`/metrics` counted
//! them). Each is told at most once every [`TELL_EVERY`], so a scanner cannot fill the log.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Least time between two lines of one kind.
const TELL_EVERY: Duration = Duration::from_secs(600);

#[derive(Default)]
pub struct Refusals {
    /// A request's signature matched the public key since start.
    verified: AtomicBool,
    /// When each kind was last told: a bad signature, a stale timestamp, a wrong path.
    told: Mutex<[Option<Instant>; 3]>,
}

impl Refusals {
    /// A request's signature matched: the key is right, and bad signatures are others'.
    pub fn verified(&self) {
        self.verified.store(true, Ordering::Relaxed);
    }

    /// A request whose signature does not match the key.
    pub fn bad_signature(&self) {
        if !self.verified.load(Ordering::Relaxed) && self.due(0) {
            tracing::warn!(
                "refused a request whose signature does not match DISCORD_PUBLIC_KEY, and none has matched since start: if the developer portal cannot verify the Interactions Endpoint URL, DISCORD_PUBLIC_KEY is not this application's Public Key (General Information page); Discord also sends one bad signature on purpose when it checks the URL"
            );
        }
    }

    /// A signed request whose timestamp is `off` seconds from this machine's clock.
    pub fn stale(&self, off: u64, most: u64) {
        if self.due(1) {
            tracing::warn!(
                "refused a signed request whose timestamp is {off} s from this machine's clock (at most {most} s may be): check that the clock is set (NTP)"
            );
        }
    }

    /// A POST to a path that is not `/interactions`.
    pub fn wrong_path(&self, path: &str) {
        if self.due(2) {
            let path = crate::text::printable(path);
            tracing::info!(
                "a POST to {path} was answered 404: Discord's Interactions Endpoint URL must end in /interactions"
            );
        }
    }

    /// Whether kind `at` may be told now (and then it is, as of now).
    fn due(&self, at: usize) -> bool {
        let now = Instant::now();
        let mut told = crate::sync::lock(&self.told);
        let due = told[at].is_none_or(|last| now.duration_since(last) >= TELL_EVERY);
        if due {
            told[at] = Some(now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_told_once_in_a_while() {
        let refusals = Refusals::default();
        assert!(refusals.due(0));
        assert!(!refusals.due(0), "told again at once");
        assert!(refusals.due(1), "another kind waits for nothing");
    }
}
