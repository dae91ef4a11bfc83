//! Feedback: 👍 / 👎 on answers. A 👎 keeps the query that drew it, so note authors see
//! which sections fail which questions (`/gaps`, `notes-bot gaps`).
//!
//! Once per member: a vote carries a key hashed from the message, the section shown and the
//! member (no ids are stored). The file keeps the last `MAX_VOTERS` keys and each process the
//! keys it has seen, so a second click on the same answer is acknowledged but not counted.
//! A vote older than the last `MAX_VOTERS` could count again: bounded memory over perfect
//! recall.
//!
//! Stored in `<data_dir>/feedback.json`, beside `gaps.json` and with its pattern: each
//! process adds what it counted since its last save, skipping keys another process saved
//! first, and replaces the file atomically.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::by_topic::{ByTopic, scoped};
use crate::json_file::{self, JsonFileError};

/// Voter keys kept in the file, newest last.
pub const MAX_VOTERS: usize = 50_000;
/// Rated sections kept per file, shared among servers; each server's least disliked go first.
const MAX_SECTIONS: usize = 5_000;
/// Queries kept per section that drew a 👎; the rarest go first.
const MAX_QUERIES: usize = 10;
/// Votes held between saves, so a flood cannot grow memory.
const MAX_PENDING: usize = 10_000;

/// One click, as counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// [`voter_key`] of the answer and member.
    pub key: u64,
    /// Where the answer was voted on: a server's id, `dm` (see [`crate::by_topic::place`]).
    pub place: String,
    pub topic: String,
    pub section: u64,
    pub title: String,
    /// Normalised like a gap's query (see [`crate::gaps::normalise`]); empty when the member
    /// picked the section by name.
    pub query: String,
    pub up: bool,
}

/// What became of a click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Counted,
    /// That member's vote on that answer is already counted.
    Already,
    /// Too many votes since the last save; not counted.
    Full,
}

/// What one process counted since its last save.
#[derive(Debug, Default)]
pub struct Pending {
    votes: Vec<Vote>,
    /// Keys saved by any process (as of the last save) or counted here.
    seen: HashSet<u64>,
}

impl Pending {
    /// Starts from the keys already in the file.
    pub fn knowing(saved: &Ratings) -> Pending {
        Pending {
            votes: Vec::new(),
            seen: saved.voters.iter().copied().collect(),
        }
    }

    /// Counts the vote unless its member already voted on that answer (or memory is full).
    pub fn record(&mut self, vote: Vote) -> Recorded {
        if self.seen.contains(&vote.key) {
            return Recorded::Already;
        }
        if self.votes.len() >= MAX_PENDING {
            return Recorded::Full;
        }
        self.seen.insert(vote.key);
        self.votes.push(vote);
        Recorded::Counted
    }

    pub fn is_empty(&self) -> bool {
        self.votes.is_empty()
    }

    /// Hands over the votes to save; the keys stay known.
    pub fn take(&mut self) -> Vec<Vote> {
        std::mem::take(&mut self.votes)
    }

    /// Puts back votes whose save failed.
    pub fn restore(&mut self, votes: Vec<Vote>) {
        self.votes.extend(votes);
    }

    /// After a save: the keys are what the file holds now plus what is still pending.
    pub fn refresh(&mut self, saved: &Ratings) {
        self.seen = saved.voters.iter().copied().collect();
        self.seen.extend(self.votes.iter().map(|vote| vote.key));
    }

    /// The pending votes as ratings, for a report before the next save.
    pub fn ratings(&self) -> Ratings {
        let mut ratings = Ratings::default();
        for vote in &self.votes {
            ratings.count(vote);
        }
        ratings
    }
}

/// The file: ratings per section and the recent voter keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratings {
    /// topic@place (see [`crate::by_topic::scoped`]) → section id (hex) → rating.
    pub topics: ByTopic<Rating>,
    /// Keys of counted votes, oldest first.
    #[serde(default)]
    pub voters: Vec<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// The section's title at its latest vote.
    pub title: String,
    pub up: u64,
    pub down: u64,
    /// Query → 👎 count.
    #[serde(default)]
    pub queries: BTreeMap<String, u64>,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rated {
    pub topic: String,
    /// Where the votes were given: a server's id, `dm`; `None` when counted before places were.
    pub place: Option<String>,
    pub section: String,
    pub title: String,
    pub up: u64,
    pub down: u64,
    /// The queries that drew a 👎, most frequent first.
    pub queries: Vec<(String, u64)>,
}

/// The key of one member's vote on one answer: FNV-1a over the three ids, stable across
/// builds (std's hasher is not promised to be).
pub fn voter_key(message: u64, section: u64, member: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in [message, section, member].iter().flat_map(|n| n.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

impl Ratings {
    fn count(&mut self, vote: &Vote) {
        let rating = (self.topics).slot(&scoped(&vote.topic, &vote.place), &format!("{:x}", vote.section));
        rating.title.clone_from(&vote.title);
        if vote.up {
            rating.up = rating.up.saturating_add(1);
        } else {
            rating.down = rating.down.saturating_add(1);
            if !vote.query.is_empty() {
                add(rating.queries.entry(vote.query.clone()).or_default(), 1);
            }
        }
    }

    /// Adds what another process counted (its voter keys too).
    pub fn add(&mut self, other: &Ratings) {
        self.topics.merge(&other.topics, |mine, theirs| {
            mine.title.clone_from(&theirs.title);
            mine.up = mine.up.saturating_add(theirs.up);
            mine.down = mine.down.saturating_add(theirs.down);
            for (query, n) in &theirs.queries {
                add(mine.queries.entry(query.clone()).or_default(), *n);
            }
        });
        self.voters.extend(&other.voters);
    }

    /// Sections with at least one 👎, the most disliked first (👎 minus 👍, then 👎), for
    /// one topic or all, voted on in one place or anywhere.
    pub fn worst(&self, place: Option<&str>, topic: Option<&str>, limit: usize) -> Vec<Rated> {
        let mut rows: Vec<Rated> = self
            .topics
            .in_place(place, topic)
            .filter(|(_, _, _, rating)| rating.down > 0)
            .map(|(topic, voted_in, section, rating)| {
                let mut queries: Vec<(String, u64)> =
                    rating.queries.iter().map(|(q, n)| (q.clone(), *n)).collect();
                queries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                Rated {
                    topic: topic.to_string(),
                    place: voted_in.map(str::to_string),
                    section: section.to_string(),
                    title: rating.title.clone(),
                    up: rating.up,
                    down: rating.down,
                    queries,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            score(b)
                .cmp(&score(a))
                .then_with(|| b.down.cmp(&a.down))
                .then_with(|| (&a.topic, &a.title).cmp(&(&b.topic, &b.title)))
        });
        rows.truncate(limit);
        rows
    }

    fn trim(&mut self) {
        if self.voters.len() > MAX_VOTERS {
            self.voters.drain(..self.voters.len() - MAX_VOTERS);
        }
        for rating in self.topics.values_mut() {
            if rating.queries.len() > MAX_QUERIES {
                let mut queries: Vec<(String, u64)> =
                    std::mem::take(&mut rating.queries).into_iter().collect();
                queries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                queries.truncate(MAX_QUERIES);
                rating.queries = queries.into_iter().collect();
            }
        }
        // Keep the most disliked, then the most voted.
        self.topics.keep_top(MAX_SECTIONS, |r| {
            (dislike(r.down, r.up), r.down.saturating_add(r.up))
        });
    }
}

/// The counters one vote adds to, in a key–value store's form (see
/// `crate::gaps::Counts::fields`): `up|down\ttopic@place\tsection\ttitle`, and for a 👎
/// with a query `query\ttopic@place\tsection\tquery`. A title's tabs become spaces.
pub fn fields(vote: &Vote) -> Vec<String> {
    let at = format!("{}\t{:x}", scoped(&vote.topic, &vote.place), vote.section);
    let title = vote.title.replace('\t', " ");
    let mut fields = vec![format!("{}\t{at}\t{title}", if vote.up { "up" } else { "down" })];
    if !vote.up && !vote.query.is_empty() {
        fields.push(format!("query\t{at}\t{}", vote.query));
    }
    fields
}

impl Ratings {
    /// Adds counters in the form `fields` gives; others are skipped. Of several titles of a
    /// section, the last in order is kept.
    pub fn add_field(&mut self, field: &str, n: u64) {
        let mut parts = field.splitn(4, '\t');
        let (Some(kind), Some(topic), Some(section), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        if !matches!(kind, "up" | "down" | "query") {
            return;
        }
        let rating = self.topics.slot(topic, section);
        match kind {
            "up" => add(&mut rating.up, n),
            "down" => add(&mut rating.down, n),
            _ => add(rating.queries.entry(rest.to_string()).or_default(), n),
        }
        if kind != "query" {
            rating.title = rest.to_string();
        }
    }
}

fn score(rated: &Rated) -> i128 {
    dislike(rated.down, rated.up)
}

/// 👎 minus 👍, wide enough for any two counts.
fn dislike(down: u64, up: u64) -> i128 {
    i128::from(down) - i128::from(up)
}

pub fn file_in(data_dir: &Path) -> PathBuf {
    data_dir.join("feedback.json")
}

/// What the file holds; a missing file is empty, an unreadable one is an error.
pub fn load(path: &Path) -> Result<Ratings, JsonFileError> {
    json_file::read(path, "feedback")
}

/// Adds `votes` to the file, skipping any whose key the file already holds (another
/// process counted that member's vote first); written atomically. Returns what the file
/// now holds.
pub fn save(path: &Path, votes: &[Vote]) -> Result<Ratings, JsonFileError> {
    json_file::update(path, "feedback", |ratings: &mut Ratings| {
        let mut known: HashSet<u64> = ratings.voters.iter().copied().collect();
        for vote in votes {
            if known.insert(vote.key) {
                ratings.count(vote);
                ratings.voters.push(vote.key);
            }
        }
        ratings.trim();
    })
}

/// Adds to a count, stopping at the largest (a hand-edited file may hold it).
fn add(count: &mut u64, n: u64) {
    *count = count.saturating_add(n);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(member: u64, section: u64, query: &str, up: bool) -> Vote {
        Vote {
            key: voter_key(1, section, member),
            place: "1190000000000000001".into(),
            topic: "t".into(),
            section,
            title: format!("S{section}"),
            query: query.into(),
            up,
        }
    }

    /// The largest counts (saturated) still rank the most disliked first, without overflow.
    #[test]
    fn the_largest_counts_rank_without_overflow() {
        let mut ratings = Ratings::default();
        ratings.add_field("down\tt@1\t1\tA", u64::MAX);
        ratings.add_field("up\tt@1\t1\tA", 1);
        ratings.add_field("down\tt@1\t2\tB", 9_223_372_036_854_775_808);
        ratings.trim();
        let worst: Vec<String> = ratings
            .worst(None, None, 5)
            .into_iter()
            .map(|r| r.title)
            .collect();
        assert_eq!(worst, ["A", "B"]);
    }

    #[test]
    fn a_member_counts_once_per_answer() {
        let mut pending = Pending::default();
        assert_eq!(pending.record(vote(7, 1, "q", false)), Recorded::Counted);
        assert_eq!(pending.record(vote(7, 1, "q", true)), Recorded::Already);
        assert_eq!(pending.record(vote(8, 1, "q", false)), Recorded::Counted);
        // Another section shown on the same message is another answer.
        assert_eq!(pending.record(vote(7, 2, "", true)), Recorded::Counted);
        let worst = pending.ratings().worst(None, None, 10);
        assert_eq!(worst.len(), 1);
        assert_eq!((worst[0].down, worst[0].up), (2, 0));
        assert_eq!(worst[0].queries, vec![("q".to_string(), 2)]);
    }

    #[test]
    fn fields_give_the_same_ratings_as_counting() {
        let votes = [
            vote(7, 1, "q", false),
            vote(8, 1, "q", false),
            vote(9, 1, "", true),
            vote(7, 2, "r", true),
        ];
        let mut counted = Ratings::default();
        let mut from_fields = Ratings::default();
        for vote in &votes {
            counted.count(vote);
            for field in fields(vote) {
                from_fields.add_field(&field, 1);
            }
        }
        from_fields.add_field("missed\tt\t1\tq", 1);
        assert_eq!(from_fields, counted);
    }

    #[test]
    fn a_flood_between_saves_is_refused_not_stored() {
        let mut pending = Pending::default();
        for member in 0..MAX_PENDING as u64 {
            assert_eq!(pending.record(vote(member, 1, "q", false)), Recorded::Counted);
        }
        let last = vote(u64::MAX, 1, "q", false);
        assert_eq!(pending.record(last.clone()), Recorded::Full);
        assert_eq!(pending.take().len(), MAX_PENDING);
        // Room again after a save, and the refused vote was not remembered as counted.
        assert_eq!(pending.record(last), Recorded::Counted);
    }

    #[test]
    fn most_disliked_first() {
        let mut ratings = Ratings::default();
        for (member, section, up) in [
            (1, 1, false),
            (2, 1, true),
            (1, 2, false),
            (2, 2, false),
            (3, 3, true),
        ] {
            ratings.count(&vote(member, section, "q", up));
        }
        let worst = ratings.worst(None, None, 10);
        let titles: Vec<&str> = worst.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["S2", "S1"]);
        assert!(ratings.worst(None, Some("other"), 10).is_empty());
    }

    #[test]
    fn saves_add_up_and_skip_votes_another_process_saved() {
        let dir = std::env::temp_dir().join(format!("notes-bot-feedback-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = file_in(&dir);
        let a = [vote(7, 1, "q", false)];
        let b = [vote(7, 1, "q", false), vote(8, 1, "r", false)];
        let first = save(&path, &a);
        let second = save(&path, &b);
        let saved = load(&path).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(first.is_ok() && second.is_ok());
        let rating = saved
            .topics
            .get("t@1190000000000000001", "1")
            .cloned()
            .unwrap_or_default();
        assert_eq!(rating.down, 2);
        assert_eq!(rating.queries.len(), 2);
        assert_eq!(saved.voters.len(), 2);
        let mut pending = Pending::knowing(&saved);
        assert_eq!(pending.record(vote(8, 1, "r", true)), Recorded::Already);
    }

    #[test]
    fn voter_keys_are_bounded_and_queries_trimmed() {
        let mut ratings = Ratings::default();
        for member in 0..(MAX_VOTERS as u64 + 5) {
            ratings.voters.push(member);
        }
        for n in 0..(MAX_QUERIES + 3) {
            ratings.count(&vote(n as u64, 1, &format!("q{n}"), false));
        }
        ratings.trim();
        assert_eq!(ratings.voters.len(), MAX_VOTERS);
        assert_eq!(ratings.voters[0], 5);
        assert_eq!(
            ratings
                .topics
                .get("t@1190000000000000001", "1")
                .map(|r| r.queries.len()),
            Some(MAX_QUERIES)
        );
    }

    #[test]
    fn keys_differ_by_each_id() {
        let key = voter_key(1, 2, 3);
        assert_ne!(key, voter_key(2, 2, 3));
        assert_ne!(key, voter_key(1, 3, 3));
        assert_ne!(key, voter_key(1, 2, 4));
        assert_eq!(key, voter_key(1, 2, 3));
    }
}
