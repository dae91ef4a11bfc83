//! What replicas may share: claims that expire (cooldowns), counters (gaps) and votes. The
//! handler sees only the `State` interface; `Local` keeps everything in this process, the
//! counts saved under the data folder, and `super::shared::Shared` keeps it in Redis.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::json_file::JsonFileError;
use crate::sync::lock;
use crate::{feedback, gaps};

/// Why counts or votes could not be read or saved; what was not saved is kept for the
/// next try unless the message says it is lost.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// `gaps.json` or `feedback.json` in the data folder.
    #[error(transparent)]
    File(#[from] JsonFileError),
    /// Redis cannot be reached; the reason is what `/healthz` shows.
    #[error("{0}")]
    Unreachable(String),
    /// Redis cannot be reached and the counts could not be handed on at shutdown.
    #[error("{reason}; {kept} counts or more are lost")]
    Lost { reason: String, kept: usize },
}

/// Counters by name: `missed\tchatgpt\tpizza recipe` → 2.
pub type Fields = BTreeMap<String, u64>;

pub trait State: Send + Sync {
    /// Claims `key` for `period`: `None` when this call got it, else the time left until it
    /// is free again.
    fn claim(&self, key: &str, period: Duration, now: Instant) -> Option<Duration>;
    /// Counts a question the notes did not answer (a field of `gaps::field`).
    fn add_gap(&self, field: String);
    /// Every gap counted: saved, shared by other replicas, and not yet saved here.
    fn gaps(&self) -> Fields;
    /// Counts a 👍 / 👎 unless its member already voted on that answer.
    fn vote(&self, vote: feedback::Vote, now: Instant) -> feedback::Recorded;
    /// Every vote counted: saved, shared by other replicas, and not yet saved here.
    fn ratings(&self) -> feedback::Ratings;
    /// Saves what was counted since the last save.
    fn save(&self) -> Result<(), StateError>;
    /// What is wrong when the state works in a degraded way (for /healthz); `None` if nothing.
    fn degraded(&self) -> Option<String> {
        None
    }
    /// What this replica is (`serve 0.0.0.0:8080`), for a heartbeat others can see.
    fn beat(&self, _what: String) {}
}

/// Most claims held in this process (about 100 bytes each).
const MAX_CLAIMS: usize = 100_000;

/// Claims held in this process.
#[derive(Default)]
pub struct Claims {
    held: Mutex<Held>,
}

/// Key → until when, and the size at which expired claims are next swept out.
#[derive(Default)]
struct Held {
    until: HashMap<String, Instant>,
    sweep_at: usize,
}

impl Held {
    /// Drops expired claims once the map has grown to twice what the last sweep left (at
    /// least 10,000): a sweep per claim would cost the whole map each time once more
    /// claims than that are live.
    fn sweep(&mut self, now: Instant) {
        if self.until.len() <= self.sweep_at.max(10_000) {
            return;
        }
        self.until.retain(|_, until| *until > now);
        if self.until.len() > MAX_CLAIMS {
            // Bounded memory over perfect recall: a flood of long claims is forgotten.
            self.until.clear();
        }
        self.sweep_at = (2 * self.until.len()).min(MAX_CLAIMS);
    }
}

impl Claims {
    pub fn claim(&self, key: &str, period: Duration, now: Instant) -> Option<Duration> {
        let mut held = lock(&self.held);
        if let Some(&until) = held.until.get(key)
            && until > now
        {
            return Some(until - now);
        }
        held.sweep(now);
        held.until.insert(key.to_string(), now + period);
        None
    }

    /// Records a claim decided elsewhere (by Redis), for when Redis is gone.
    pub fn hold(&self, key: &str, until: Instant) {
        let mut held = lock(&self.held);
        held.sweep(Instant::now());
        held.until.insert(key.to_string(), until);
    }
}

/// Distinct counters of one kind held between saves (gaps.json keeps 5,000): while they
/// cannot be saved (Redis away, the data folder unwritable), memory stays bounded.
pub const MAX_PENDING_FIELDS: usize = 20_000;

/// Adds `n` to `field` in `fields`; false (and nothing added) when `fields` already holds
/// [`MAX_PENDING_FIELDS`] others.
pub fn add_to(fields: &mut Fields, field: String, n: u64) -> bool {
    if fields.len() >= MAX_PENDING_FIELDS && !fields.contains_key(&field) {
        return false;
    }
    let count = fields.entry(field).or_default();
    *count = count.saturating_add(n);
    true
}

/// The default: claims in memory, gaps and votes in files under the data folder. Replicas
/// that share the folder add up their counts (see `gaps::save`) but not their claims.
pub struct Local {
    claims: Claims,
    /// Gaps counted since the last save.
    pending: Mutex<Fields>,
    data_dir: PathBuf,
    /// 👍 / 👎 counted since the last save to `feedback.json`, and the voters known: read
    /// when votes are first asked for (most commands, `ask` and `/sources` say, never are).
    votes: OnceLock<Mutex<feedback::Pending>>,
}

impl Local {
    pub fn new(data_dir: &Path) -> Local {
        Local {
            claims: Claims::default(),
            pending: Mutex::new(Fields::new()),
            data_dir: data_dir.to_path_buf(),
            votes: OnceLock::new(),
        }
    }

    fn votes(&self) -> &Mutex<feedback::Pending> {
        self.votes.get_or_init(|| {
            let saved = feedback::load(&feedback::file_in(&self.data_dir)).unwrap_or_else(|error| {
                tracing::warn!("{error}; votes start afresh");
                feedback::Ratings::default()
            });
            Mutex::new(feedback::Pending::knowing(&saved))
        })
    }

    /// Adds the votes counted since the last call to the feedback file.
    fn save_votes(&self) -> Result<(), StateError> {
        // None counted yet.
        let Some(votes) = self.votes.get() else {
            return Ok(());
        };
        let taken = {
            let mut pending = lock(votes);
            if pending.is_empty() {
                return Ok(());
            }
            pending.take()
        };
        match feedback::save(&feedback::file_in(&self.data_dir), &taken) {
            Ok(saved) => {
                lock(votes).refresh(&saved);
                Ok(())
            }
            Err(error) => {
                lock(votes).restore(taken);
                Err(error.into())
            }
        }
    }
}

impl State for Local {
    fn claim(&self, key: &str, period: Duration, now: Instant) -> Option<Duration> {
        self.claims.claim(key, period, now)
    }

    fn add_gap(&self, field: String) {
        if !add_to(&mut lock(&self.pending), field, 1) {
            tracing::debug!("too many gaps waiting to be saved; one dropped");
        }
    }

    fn gaps(&self) -> Fields {
        let saved = gaps::load(&gaps::file_in(&self.data_dir)).unwrap_or_default();
        let mut counts: Fields = saved.fields().collect();
        for (field, n) in lock(&self.pending).iter() {
            let count = counts.entry(field.clone()).or_default();
            *count = count.saturating_add(*n);
        }
        counts
    }

    fn vote(&self, vote: feedback::Vote, _now: Instant) -> feedback::Recorded {
        lock(self.votes()).record(vote)
    }

    fn ratings(&self) -> feedback::Ratings {
        let mut ratings = feedback::load(&feedback::file_in(&self.data_dir)).unwrap_or_default();
        ratings.add(&lock(self.votes()).ratings());
        ratings
    }

    fn save(&self) -> Result<(), StateError> {
        let pending = std::mem::take(&mut *lock(&self.pending));
        let votes = self.save_votes();
        if pending.is_empty() {
            return votes;
        }
        let mut counts = gaps::Counts::default();
        for (field, n) in &pending {
            counts.add_field(field, *n);
        }
        if let Err(error) = gaps::save(&gaps::file_in(&self.data_dir), &counts) {
            // Kept for the next try.
            let mut again = lock(&self.pending);
            for (field, n) in pending {
                let _ = add_to(&mut again, field, n);
            }
            return Err(error.into());
        }
        votes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaps::Shortfall;

    #[test]
    fn a_claim_holds_for_its_period_then_frees() {
        let claims = Claims::default();
        let start = Instant::now();
        let period = Duration::from_secs(3);
        assert_eq!(claims.claim("a", period, start), None);
        assert_eq!(
            claims.claim("a", period, start + Duration::from_secs(1)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(claims.claim("b", period, start), None);
        assert_eq!(claims.claim("a", period, start + period), None);
    }

    #[test]
    fn many_live_claims_hold_and_expired_ones_are_swept_out() {
        let claims = Claims::default();
        let start = Instant::now();
        let period = Duration::from_secs(1);
        let later = start + Duration::from_secs(2);
        for user in 0..30_000 {
            assert_eq!(claims.claim(&format!("a{user}"), period, start), None);
        }
        for user in 0..30_000 {
            assert_eq!(claims.claim(&format!("a{user}"), period, start), Some(period));
        }
        for user in 0..30_000 {
            assert_eq!(claims.claim(&format!("b{user}"), period, later), None);
        }
        assert_eq!(claims.claim("a1", period, later), None);
        assert_eq!(claims.claim("b1", period, later), Some(period));
        // The first 30,000 expired and were swept while the next were claimed.
        assert!(lock(&claims.held).until.len() < 50_000);
    }

    #[test]
    fn local_counts_add_pending_to_the_file_and_save_clears_pending() {
        let dir = std::env::temp_dir().join(format!("notes-bot-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let state = Local::new(&dir);
        let field = gaps::field(
            "1190000000000000001",
            "chatgpt",
            "Pizza  recipe",
            Shortfall::Missed,
        )
        .unwrap_or_default();
        state.add_gap(field.clone());
        assert_eq!(state.gaps().get(&field), Some(&1));
        assert!(state.save().is_ok());
        state.add_gap(field.clone());
        state.add_gap(field.clone());
        assert_eq!(state.gaps().get(&field), Some(&3));
        assert!(state.save().is_ok());
        assert_eq!(Local::new(&dir).gaps().get(&field), Some(&3));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A data folder that cannot be written: the counts wait for the next save, at most
    /// `MAX_PENDING_FIELDS` distinct ones (a flood grew memory without bound before), and
    /// those already waiting still count.
    #[test]
    fn unsaved_counts_are_bounded() {
        let file = std::env::temp_dir().join(format!("notes-bot-state-file-{}", std::process::id()));
        std::fs::write(&file, "not a folder").unwrap_or_else(|e| panic!("{e}"));
        let state = Local::new(&file.join("data"));
        let field = |n: usize| {
            gaps::field("1", "chatgpt", &format!("question {n}"), Shortfall::Missed).unwrap_or_default()
        };
        for n in 0..MAX_PENDING_FIELDS + 50 {
            state.add_gap(field(n));
        }
        assert!(state.save().is_err());
        state.add_gap(field(0));
        let pending = lock(&state.pending).clone();
        let _ = std::fs::remove_file(&file);
        assert_eq!(pending.len(), MAX_PENDING_FIELDS);
        assert_eq!(pending.get(&field(0)), Some(&2));
    }
}
