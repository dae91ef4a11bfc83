//! Which shards are live. serenity reports a shard `Connected` from its last stage change
//! and its latency from the last heartbeat Discord acknowledged; a shard stuck where serenity
//! waits without a timeout (a resume whose WebSocket handshake never completes) keeps both
//! forever while nothing reaches the bot. A live shard's latency changes with every
//! acknowledgement, so one that keeps it for three heartbeat intervals (and a minute at
//! least) is stuck.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serenity::gateway::ConnectionStage;

/// How long a connected shard may keep its latency before any heartbeat interval has been
/// seen: three of Discord's (41.25 s), and some.
const FIRST_LIMIT: Duration = Duration::from_secs(150);

/// The least wait before a shard is stuck, whatever interval was seen: Discord may ask for a
/// heartbeat at once after connecting, and the two acknowledgements close together must not
/// pass for the interval (the next regular one comes up to 41.25 s later).
const LEAST_LIMIT: Duration = Duration::from_secs(60);

/// How many heartbeat intervals without an acknowledgement make a shard stuck.
const INTERVALS: u32 = 3;

/// What a shard is, as the last look found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Connected, and Discord acknowledges its heartbeats.
    Live,
    /// Connecting, resuming or waiting to be started again: serenity is at work.
    Down,
    /// Connected by serenity's account, with no acknowledgement for this long (three
    /// intervals or more).
    Stuck(Duration),
}

#[derive(Debug, Default)]
pub struct ShardWatch {
    shards: HashMap<u32, Seen>,
}

#[derive(Debug)]
struct Seen {
    stage: ConnectionStage,
    latency: Option<Duration>,
    /// When the stage or the latency last changed.
    since: Instant,
    /// The longest wait seen between two acknowledgements: the heartbeat interval.
    interval: Option<Duration>,
}

impl ShardWatch {
    /// Takes a look at one shard (`latency`: serenity's last measure) at `now`.
    pub fn look(
        &mut self,
        shard: u32,
        stage: ConnectionStage,
        latency: Option<Duration>,
        now: Instant,
    ) -> Health {
        let seen = self.shards.entry(shard).or_insert(Seen {
            stage,
            latency,
            since: now,
            interval: None,
        });
        if seen.stage != stage || seen.latency != latency {
            // A new latency on a shard that stayed connected: an acknowledgement.
            if seen.stage == stage && stage == ConnectionStage::Connected && latency.is_some() {
                let waited = now.saturating_duration_since(seen.since);
                seen.interval = Some(seen.interval.map_or(waited, |interval| interval.max(waited)));
            }
            (seen.stage, seen.latency, seen.since) = (stage, latency, now);
        }
        if stage != ConnectionStage::Connected {
            return Health::Down;
        }
        let limit = (seen.interval).map_or(FIRST_LIMIT, |interval| (interval * INTERVALS).max(LEAST_LIMIT));
        let silent = now.saturating_duration_since(seen.since);
        if silent > limit {
            Health::Stuck(silent)
        } else {
            Health::Live
        }
    }

    /// Forgets the shards not in `present`.
    pub fn keep_only(&mut self, present: &[u32]) {
        self.shards.retain(|shard, _| present.contains(shard));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONNECTED: ConnectionStage = ConnectionStage::Connected;

    /// Acknowledgements every 41 s: live; then none, the stage unchanged (serenity stuck in a
    /// handshake): stuck after three intervals, not before.
    #[test]
    fn a_connected_shard_without_acknowledgements_for_three_intervals_is_stuck() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let mut watch = ShardWatch::default();
        assert_eq!(
            watch.look(0, ConnectionStage::Handshake, None, at(0)),
            Health::Down
        );
        assert_eq!(watch.look(0, CONNECTED, None, at(1)), Health::Live);
        for n in 1..5u64 {
            let latency = Some(Duration::from_millis(40 + n));
            assert_eq!(watch.look(0, CONNECTED, latency, at(1 + 41 * n)), Health::Live);
        }
        let last = Some(Duration::from_millis(44));
        assert_eq!(watch.look(0, CONNECTED, last, at(165 + 123)), Health::Live);
        let stuck = watch.look(0, CONNECTED, last, at(165 + 124));
        assert_eq!(stuck, Health::Stuck(Duration::from_secs(124)));
        // Reconnecting: serenity's to retry.
        assert_eq!(
            watch.look(0, ConnectionStage::Connecting, None, at(300)),
            Health::Down
        );
    }

    /// Two acknowledgements close together (Discord asked for a heartbeat at once) do not
    /// make a short interval: the next regular one may come 41.25 s later.
    #[test]
    fn a_heartbeat_asked_for_at_once_does_not_shorten_the_limit() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let mut watch = ShardWatch::default();
        assert_eq!(watch.look(0, CONNECTED, None, at(0)), Health::Live);
        let early = Some(Duration::from_millis(30));
        assert_eq!(watch.look(0, CONNECTED, early, at(1)), Health::Live);
        assert_eq!(watch.look(0, CONNECTED, early, at(1 + 60)), Health::Live);
        assert!(matches!(
            watch.look(0, CONNECTED, early, at(1 + 61)),
            Health::Stuck(_)
        ));
    }

    /// Before the first acknowledgement the interval is unknown: Discord's, with room.
    #[test]
    fn a_shard_never_acknowledged_is_stuck_after_the_first_limit() {
        let start = Instant::now();
        let mut watch = ShardWatch::default();
        assert_eq!(watch.look(3, CONNECTED, None, start), Health::Live);
        let later = start + FIRST_LIMIT;
        assert_eq!(watch.look(3, CONNECTED, None, later), Health::Live);
        let stuck = watch.look(3, CONNECTED, None, later + Duration::from_secs(1));
        assert!(matches!(stuck, Health::Stuck(_)));
        // A shard that is reconnecting is serenity's to retry, however long it takes.
        let mut watch = ShardWatch::default();
        let resuming = ConnectionStage::Resuming;
        assert_eq!(watch.look(1, resuming, None, start), Health::Down);
        assert_eq!(watch.look(1, resuming, None, later + FIRST_LIMIT), Health::Down);
        watch.keep_only(&[]);
        assert!(watch.shards.is_empty());
    }
}
