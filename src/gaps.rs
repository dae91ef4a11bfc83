//! Gaps: what members asked that the notes did not answer (no hit, or only a fuzzy one).
//! Note authors read them with `/gaps` or `notes-bot gaps`.
//!
//! Counts live in `<data_dir>/gaps.json`. Each process adds only what it counted since its
//! last save to what the file holds, and replaces the file atomically, so replicas sharing
//! a data folder add up instead of overwriting each other.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::by_topic::{ByTopic, scoped};
use crate::json_file::{self, JsonFileError};

/// Longest query kept, in characters: enough to read, too short to store essays.
const MAX_QUERY: usize = 100;
/// Distinct queries kept per file, shared among servers ([`ByTopic::keep_top`]): each
/// server's rarest go first.
const MAX_ENTRIES: usize = 5_000;
const MISSED: &str = "missed";
const WEAK: &str = "weak";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// topic@place (see [`crate::by_topic::scoped`]) → normalised query → (no hit, weak hit).
    pub topics: ByTopic<Count>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub missed: u64,
    pub weak: u64,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub topic: String,
    /// Where it was asked: a server's id, `dm`; `None` when counted before places were.
    pub place: Option<String>,
    pub query: String,
    pub missed: u64,
    pub weak: u64,
}

/// How a question fell short of an answer: what its count is kept under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// Nothing found.
    Missed,
    /// Only a weak hit: the closest sections, or a fuzzy match.
    Weak,
}

impl Shortfall {
    /// Its name in a counter's field ([`Counts::fields`]).
    fn name(self) -> &'static str {
        match self {
            Shortfall::Missed => MISSED,
            Shortfall::Weak => WEAK,
        }
    }

    fn named(name: &str) -> Option<Shortfall> {
        match name {
            MISSED => Some(Shortfall::Missed),
            WEAK => Some(Shortfall::Weak),
            _ => None,
        }
    }
}

/// Cleaned, lowercase, single spaces, trimmed, cut: so `RLHF ` and `rlhf` count together.
pub fn normalise(query: &str) -> String {
    let lower = crate::text::clean_query(query).to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    words.join(" ").chars().take(MAX_QUERY).collect()
}

/// The counter a question asked in `place` that found nothing (or only a weak hit) adds
/// to, in the form of `Counts::fields`; `None` when nothing is left of the query.
pub fn field(place: &str, topic: &str, query: &str, shortfall: Shortfall) -> Option<String> {
    let query = normalise(query);
    if query.is_empty() {
        return None;
    }
    let topic = scoped(topic, place);
    Some(format!("{}\t{topic}\t{query}", shortfall.name()))
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    pub fn add(&mut self, other: &Counts) {
        self.topics.merge(&other.topics, |mine, theirs| {
            mine.missed = mine.missed.saturating_add(theirs.missed);
            mine.weak = mine.weak.saturating_add(theirs.weak);
        });
    }

    /// The most asked gaps first (misses count double a weak hit), for one topic or all,
    /// asked in one place or anywhere.
    pub fn top(&self, place: Option<&str>, topic: Option<&str>, limit: usize) -> Vec<Gap> {
        let mut gaps: Vec<Gap> = self
            .topics
            .in_place(place, topic)
            .map(|(topic, asked_in, query, count)| Gap {
                topic: topic.to_string(),
                place: asked_in.map(str::to_string),
                query: query.to_string(),
                missed: count.missed,
                weak: count.weak,
            })
            .collect();
        // Stable: equal ranks stay in (topic, query) order.
        gaps.sort_by_key(|gap| std::cmp::Reverse(rank(gap.missed, gap.weak)));
        gaps.truncate(limit);
        gaps
    }

    /// One counter per (kind, topic, query): `missed\ttopic\tquery` → n, the form a
    /// key–value store keeps them in. A normalised query has no tab; a topic has none either.
    pub fn fields(&self) -> impl Iterator<Item = (String, u64)> + '_ {
        self.topics.iter(None).flat_map(|(topic, query, count)| {
            [(Shortfall::Missed, count.missed), (Shortfall::Weak, count.weak)]
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(move |(shortfall, n)| (format!("{}\t{topic}\t{query}", shortfall.name()), n))
        })
    }

    /// Adds counters in the form `fields` gives; others are skipped.
    pub fn add_field(&mut self, field: &str, n: u64) {
        let mut parts = field.splitn(3, '\t');
        let (Some(kind), Some(topic), Some(query)) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        let Some(shortfall) = Shortfall::named(kind) else {
            return;
        };
        // Cleaned again: a store edited by hand (or by an older version) reaches /gaps.
        self.topics.slot(topic, &normalise(query)).add(shortfall, n);
    }

    fn trim(&mut self) {
        self.topics
            .keep_top(MAX_ENTRIES, |count| rank(count.missed, count.weak));
    }
}

/// Misses count double a weak hit.
fn rank(missed: u64, weak: u64) -> u64 {
    missed.saturating_mul(2).saturating_add(weak)
}

impl Count {
    fn add(&mut self, shortfall: Shortfall, n: u64) {
        let count = match shortfall {
            Shortfall::Missed => &mut self.missed,
            Shortfall::Weak => &mut self.weak,
        };
        *count = count.saturating_add(n);
    }
}

pub fn file_in(data_dir: &Path) -> PathBuf {
    data_dir.join("gaps.json")
}

/// What the file holds; a missing file is empty, an unreadable one is an error.
pub fn load(path: &Path) -> Result<Counts, JsonFileError> {
    json_file::read(path, "gaps")
}

/// Adds `pending` to the file, written atomically (temporary file, then rename).
pub fn save(path: &Path, pending: &Counts) -> Result<(), JsonFileError> {
    json_file::update(path, "gaps", |counts: &mut Counts| {
        counts.add(pending);
        counts.trim();
    })
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::Shortfall::{Missed, Weak};
    use super::*;

    /// Counts of these (topic, query, shortfall) questions, recorded in order as the bot does.
    fn recorded(questions: &[(&str, &str, Shortfall)]) -> Counts {
        let mut counts = Counts::default();
        for &(topic, query, shortfall) in questions {
            if let Some(field) = field("1190000000000000001", topic, query, shortfall) {
                counts.add_field(&field, 1);
            }
        }
        counts
    }

    /// A query asked in two spellings, missed and then weakly answered; one only weakly
    /// answered, three times; another topic's; a blank one.
    fn sample() -> Counts {
        recorded(&[
            ("chatgpt", "  Pizza   Recipe ", Missed),
            ("chatgpt", "pizza recipe", Missed),
            ("chatgpt", "pizza recipe", Weak),
            ("chatgpt", "transfomers", Weak),
            ("chatgpt", "transfomers", Weak),
            ("chatgpt", "transfomers", Weak),
            ("other", "x y", Weak),
            ("chatgpt", "   ", Missed),
        ])
    }

    #[test]
    fn records_normalised_and_ranks_misses_first() {
        let counts = sample();
        let top = counts.top(None, Some("chatgpt"), 10);
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].query.as_str(), top[0].missed), ("pizza recipe", 2));
        assert_eq!((top[1].query.as_str(), top[1].weak), ("transfomers", 3));
        assert_eq!(counts.top(None, None, 10).len(), 3);
    }

    /// A store edited by hand (or a flood) holds the largest counts: they stay the largest.
    #[test]
    fn counts_stop_at_the_largest_instead_of_wrapping() {
        let mut counts = Counts::default();
        let field = field("1190000000000000001", "chatgpt", "pizza", Missed).unwrap_or_default();
        counts.add_field(&field, u64::MAX);
        counts.add_field(&field, 3);
        counts.add(&recorded(&[("chatgpt", "pizza", Weak)]));
        let mut more = Counts::default();
        more.add_field(&field, u64::MAX);
        counts.add(&more);
        counts.trim();
        let top = counts.top(None, None, 5);
        assert_eq!((top[0].missed, top[0].weak), (u64::MAX, 1));
    }

    #[test]
    fn fields_give_back_the_same_counts() {
        let counts = sample();
        let mut again = Counts::default();
        for (field, n) in counts.fields() {
            again.add_field(&field, n);
        }
        // Not fields of gaps: skipped.
        again.add_field("no tabs here", 5);
        again.add_field("votes\tt\tq", 5);
        assert_eq!(again, counts);
        assert_eq!(counts.fields().count(), 4);
    }

    #[test]
    fn saves_add_up_across_processes() {
        let dir = std::env::temp_dir().join(format!("notes-bot-gaps-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = file_in(&dir);
        let a = recorded(&[("t", "q", Missed)]);
        let b = recorded(&[("t", "q", Missed), ("t", "r", Weak)]);
        assert!(save(&path, &a).is_ok());
        assert!(save(&path, &b).is_ok());
        let saved = load(&path).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            saved.topics.get("t@1190000000000000001", "q").map(|c| c.missed),
            Some(2)
        );
        assert_eq!(
            saved.topics.get("t@1190000000000000001", "r").map(|c| c.weak),
            Some(1)
        );
    }
}
