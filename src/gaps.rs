//! Gaps: what members asked that the notes did not answer (no hit, or only a fuzzy one).
//! Note authors read them with `/gaps` or `notes-bot gaps`.
//!
//! Counts live in `<data_dir>/gaps.json`. Each process adds only what it counted since its
//! last save to what the file holds, and replaces the file atomically, so replicas sharing
//! a data folder add up instead of overwriting each other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::json_file::{self, JsonFileError};

/// Longest query kept, in characters: enough to read, too short to store essays.
const MAX_QUERY: usize = 100;
/// Distinct queries kept per file; the rarest go first.
const MAX_ENTRIES: usize = 5_000;
const MISSED: &str = "missed";
const WEAK: &str = "weak";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// topic → normalised query → (no hit, weak hit).
    pub topics: BTreeMap<String, BTreeMap<String, Count>>,
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
    pub query: String,
    pub missed: u64,
    pub weak: u64,
}

/// Cleaned, lowercase, single spaces, trimmed, cut: so `RLHF ` and `rlhf` count together.
pub fn normalise(query: &str) -> String {
    let lower = crate::text::clean_query(query).to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    words.join(" ").chars().take(MAX_QUERY).collect()
}

/// The counter a question that found nothing (or only a weak hit) adds to, in the form of
/// `Counts::fields`; `None` when nothing is left of the query.
pub fn field(topic: &str, query: &str, weak: bool) -> Option<String> {
    let query = normalise(query);
    if query.is_empty() {
        return None;
    }
    Some(format!("{}\t{topic}\t{query}", if weak { WEAK } else { MISSED }))
}

impl Counts {
    pub fn record(&mut self, topic: &str, query: &str, weak: bool) {
        let query = normalise(query);
        if query.is_empty() {
            return;
        }
        let count = self
            .topics
            .entry(topic.to_string())
            .or_default()
            .entry(query)
            .or_default();
        if weak {
            count.weak += 1;
        } else {
            count.missed += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.topics.values().all(BTreeMap::is_empty)
    }

    pub fn add(&mut self, other: &Counts) {
        for (topic, queries) in &other.topics {
            let mine = self.topics.entry(topic.clone()).or_default();
            for (query, count) in queries {
                let entry = mine.entry(query.clone()).or_default();
                entry.missed += count.missed;
                entry.weak += count.weak;
            }
        }
    }

    /// The most asked gaps first (misses count double a weak hit), for one topic or all.
    pub fn top(&self, topic: Option<&str>, limit: usize) -> Vec<Gap> {
        let mut gaps: Vec<Gap> = self
            .topics
            .iter()
            .filter(|(t, _)| topic.is_none_or(|want| want == t.as_str()))
            .flat_map(|(topic, queries)| {
                queries.iter().map(|(query, count)| Gap {
                    topic: topic.clone(),
                    query: query.clone(),
                    missed: count.missed,
                    weak: count.weak,
                })
            })
            .collect();
        gaps.sort_by(|a, b| {
            (2 * b.missed + b.weak)
                .cmp(&(2 * a.missed + a.weak))
                .then_with(|| (&a.topic, &a.query).cmp(&(&b.topic, &b.query)))
        });
        gaps.truncate(limit);
        gaps
    }

    /// One counter per (kind, topic, query): `missed\ttopic\tquery` → n, the form a
    /// key–value store keeps them in. A normalised query has no tab; a topic has none either.
    pub fn fields(&self) -> impl Iterator<Item = (String, u64)> + '_ {
        self.topics.iter().flat_map(|(topic, queries)| {
            queries.iter().flat_map(move |(query, count)| {
                [(MISSED, count.missed), (WEAK, count.weak)]
                    .into_iter()
                    .filter(|(_, n)| *n > 0)
                    .map(move |(kind, n)| (format!("{kind}\t{topic}\t{query}"), n))
            })
        })
    }

    /// Adds counters in the form `fields` gives; others are skipped.
    pub fn add_field(&mut self, field: &str, n: u64) {
        let mut parts = field.splitn(3, '\t');
        let (Some(kind), Some(topic), Some(query)) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        let missed = match kind {
            MISSED => true,
            WEAK => false,
            _ => return,
        };
        let count = self
            .topics
            .entry(topic.to_string())
            .or_default()
            .entry(query.to_string())
            .or_default();
        if missed {
            count.missed += n;
        } else {
            count.weak += n;
        }
    }

    fn trim(&mut self) {
        let total: usize = self.topics.values().map(BTreeMap::len).sum();
        if total <= MAX_ENTRIES {
            return;
        }
        let keep: Vec<Gap> = self.top(None, MAX_ENTRIES);
        let mut trimmed = Counts::default();
        for gap in keep {
            trimmed.topics.entry(gap.topic).or_default().insert(
                gap.query,
                Count {
                    missed: gap.missed,
                    weak: gap.weak,
                },
            );
        }
        *self = trimmed;
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
    let mut counts = load(path).unwrap_or_else(|error| {
        tracing::warn!("{error}; starting a new gaps file");
        Counts::default()
    });
    counts.add(pending);
    counts.trim();
    json_file::write(path, &counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_normalised_and_ranks_misses_first() {
        let mut counts = Counts::default();
        counts.record("chatgpt", "  Pizza   Recipe ", false);
        counts.record("chatgpt", "pizza recipe", false);
        counts.record("chatgpt", "transfomers", true);
        counts.record("chatgpt", "transfomers", true);
        counts.record("chatgpt", "transfomers", true);
        counts.record("other", "x", false);
        counts.record("chatgpt", "   ", false);
        let top = counts.top(Some("chatgpt"), 10);
        assert_eq!(top.len(), 2);
        assert_eq!((top[0].query.as_str(), top[0].missed), ("pizza recipe", 2));
        assert_eq!((top[1].query.as_str(), top[1].weak), ("transfomers", 3));
        assert_eq!(counts.top(None, 10).len(), 3);
    }

    #[test]
    fn fields_give_back_the_same_counts() {
        let mut counts = Counts::default();
        counts.record("chatgpt", "pizza recipe", false);
        counts.record("chatgpt", "pizza recipe", true);
        counts.record("other", "x y", true);
        let mut again = Counts::default();
        for (field, n) in counts.fields() {
            again.add_field(&field, n);
        }
        again.add_field("no tabs here", 5);
        again.add_field("votes\tt\tq", 5);
        assert_eq!(
            again.topics["chatgpt"]["pizza recipe"],
            Count { missed: 1, weak: 1 }
        );
        assert_eq!(again.topics["other"]["x y"], Count { missed: 0, weak: 1 });
        assert!(!again.topics.contains_key("t"));
        assert_eq!(counts.fields().count(), 3);
    }

    #[test]
    fn saves_add_up_across_processes() {
        let dir = std::env::temp_dir().join(format!("notes-bot-gaps-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = file_in(&dir);
        let mut a = Counts::default();
        a.record("t", "q", false);
        let mut b = Counts::default();
        b.record("t", "q", false);
        b.record("t", "r", true);
        assert!(save(&path, &a).is_ok());
        assert!(save(&path, &b).is_ok());
        let saved = load(&path).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(saved.topics["t"]["q"].missed, 2);
        assert_eq!(saved.topics["t"]["r"].weak, 1);
    }
}
