//! Finding a library's notes by topic: by the exact name a command carries, and by what a
//! member has typed of a name or title so far.

use std::sync::{Arc, OnceLock};

use memchr::memmem::Finder;
use rustc_hash::FxHashMap as HashMap;

use super::model::Note;

/// The lookups of one library's notes (a vault may hold 100,000 notes: a walk of them took
/// 0.6 ms a command, and lowercasing their titles at each keystroke 50).
#[derive(Debug, Clone, Default)]
pub struct Topics {
    /// Each topic's place among the notes, by the topic's hash (no string copied: copies
    /// of 100,000 cost every reload 16–24 ms); of two notes with one topic, the first's.
    by_name: HashMap<u64, usize>,
    /// Built when a topic is first typed, not at every reload (8–12 ms at 100,000 notes).
    typed: OnceLock<Typed>,
}

/// A line for each note, in order: `topic\ttitle\n`, the title in lowercase with its tabs
/// and line breaks made spaces. One text searched at once, not a string per note.
#[derive(Debug, Clone, Default)]
struct Typed {
    lines: String,
    /// Where each note's line starts in `lines`.
    starts: Vec<usize>,
}

impl Typed {
    fn new(notes: &[Arc<Note>]) -> Typed {
        let mut lines = String::new();
        let mut starts = Vec::with_capacity(notes.len());
        for note in notes {
            starts.push(lines.len());
            lines.push_str(&note.topic);
            lines.push('\t');
            // As a whole, as what is typed is lowercased: a final `Σ` is `ς`.
            for c in note.title().to_lowercase().chars() {
                lines.push(if matches!(c, '\t' | '\n') { ' ' } else { c });
            }
            lines.push('\n');
        }
        Typed { lines, starts }
    }
}

impl Topics {
    pub fn new(notes: &[Arc<Note>]) -> Topics {
        let mut by_name = HashMap::default();
        by_name.reserve(notes.len());
        for (at, note) in notes.iter().enumerate() {
            by_name.entry(hash(&note.topic)).or_insert(at);
        }
        Topics {
            by_name,
            typed: OnceLock::new(),
        }
    }

    pub fn position(&self, notes: &[Arc<Note>], topic: &str) -> Option<usize> {
        let at = self.by_name.get(&hash(topic)).copied()?;
        match notes.get(at) {
            Some(note) if note.topic == topic => Some(at),
            // Two topics of one hash (never seen, but possible): the note is looked for.
            _ => notes.iter().position(|note| note.topic == topic),
        }
    }

    /// The places of the notes whose topic starts with `typed` (lowercase), then of those
    /// whose title does, then of those whose topic or title holds it; in note order within
    /// each, at most `limit`. The first notes when `typed` is empty.
    pub fn matching(&self, notes: &[Arc<Note>], typed: &str, limit: usize) -> Vec<usize> {
        if typed.is_empty() {
            return (0..notes.len().min(limit)).collect();
        }
        if typed.contains(['\t', '\n']) {
            return Vec::new();
        }
        let Typed { lines, starts } = self.typed.get_or_init(|| Typed::new(notes));
        let mut ranked: [Vec<usize>; 3] = Default::default();
        // The best rank of the note matched last: a note may hold `typed` several times,
        // and its matches come together, in order.
        let mut last: Option<(usize, usize)> = None;
        let keep = |ranked: &mut [Vec<usize>; 3], (note, rank): (usize, usize)| {
            if let Some(found) = ranked.get_mut(rank) {
                found.push(note);
            }
        };
        for at in Finder::new(typed).find_iter(lines.as_bytes()) {
            let note = starts.partition_point(|&start| start <= at).saturating_sub(1);
            let start = starts.get(note).copied().unwrap_or(0);
            let rank = if at == start {
                0
            } else if lines.as_bytes().get(at - 1) == Some(&b'\t') {
                1
            } else {
                2
            };
            match last {
                Some((seen, best)) if seen == note => last = Some((note, best.min(rank))),
                _ => {
                    if let Some(done) = last.replace((note, rank)) {
                        keep(&mut ranked, done);
                    }
                    // Enough of the best: none found later comes before them.
                    if ranked[0].len() >= limit {
                        last = None;
                        break;
                    }
                }
            }
        }
        if let Some(done) = last {
            keep(&mut ranked, done);
        }
        ranked.into_iter().flatten().take(limit).collect()
    }
}

fn hash(topic: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(topic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notes::FrontMatter;

    fn note(topic: &str, title: &str) -> Arc<Note> {
        Arc::new(Note {
            path: format!("{topic}.md").into(),
            topic: topic.into(),
            front: FrontMatter {
                title: Some(title.into()),
                ..FrontMatter::default()
            },
            sections: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// What `matching` finds, as the handler once found it: every title lowercased (its
    /// tabs and line breaks spaces), every note ranked, a stable sort.
    fn ranked_one_by_one(notes: &[Arc<Note>], typed: &str, limit: usize) -> Vec<usize> {
        let mut ranked: Vec<(u8, usize)> = (notes.iter().enumerate())
            .filter_map(|(at, note)| {
                let title = note.title().to_lowercase().replace(['\t', '\n'], " ");
                let rank = if note.topic.starts_with(typed) {
                    0
                } else if title.starts_with(typed) {
                    1
                } else if note.topic.contains(typed) || title.contains(typed) {
                    2
                } else {
                    return None;
                };
                Some((rank, at))
            })
            .collect();
        ranked.sort_by_key(|&(rank, _)| rank);
        ranked.into_iter().take(limit).map(|(_, at)| at).collect()
    }

    proptest::proptest! {
        #[test]
        fn matching_finds_what_ranking_each_note_finds(
            names in proptest::collection::vec(("[a-c-]{1,6}", "[a-cA-C \t\n]{0,8}"), 0..30),
            typed in "[a-c -]{1,3}",
            limit in 1usize..8,
        ) {
            let notes: Vec<_> = names.iter().map(|(topic, title)| note(topic, title)).collect();
            let topics = Topics::new(&notes);
            proptest::prop_assert_eq!(
                topics.matching(&notes, &typed, limit),
                ranked_one_by_one(&notes, &typed, limit)
            );
        }
    }

    #[test]
    fn typed_topics_match_by_name_then_title_then_anywhere() {
        let notes = [
            note("sync-faq", "Can I Sync?"),
            note("canvas", "Canvas"),
            note("core", "Sync: the Core"),
            note("sync", "Obsidian Sync"),
        ];
        let topics = Topics::new(&notes);
        let matching = |typed, limit| topics.matching(&notes, typed, limit);
        assert_eq!(matching("sync", 25), [0, 3, 2]);
        assert_eq!(matching("can", 25), [1, 0]);
        assert_eq!(matching("the core", 25), [2]);
        assert_eq!(matching("", 2), [0, 1]);
        assert_eq!(matching("sync", 1), [0]);
        assert!(matching("zzz", 25).is_empty());
    }

    /// A topic is found by its hash, and checked: two topics of one hash (possible, never
    /// seen) find their own notes.
    #[test]
    fn a_topic_is_found_by_its_name_whatever_its_hash() {
        let notes = [note("a", "A"), note("b", "B"), note("b", "B again")];
        let mut topics = Topics::new(&notes);
        assert_eq!(
            ["a", "b", "c"].map(|t| topics.position(&notes, t)),
            [Some(0), Some(1), None]
        );
        // As if `b` hashed as `a` does.
        topics.by_name.insert(hash("b"), 0);
        assert_eq!(topics.position(&notes, "b"), Some(1));
        assert_eq!(topics.position(&notes, "a"), Some(0));
    }

    #[test]
    fn a_title_across_lines_matches_as_one_line() {
        let notes = [note("a", "Two\nLines"), note("b", "tab\there")];
        let topics = Topics::new(&notes);
        let matching = |typed, limit| topics.matching(&notes, typed, limit);
        assert_eq!(matching("two lines", 5), [0]);
        assert_eq!(matching("tab here", 5), [1]);
        assert!(matching("a\tt", 5).is_empty());
        assert_eq!(matching("", 1), [0]);
    }
}
