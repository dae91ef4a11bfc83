//! Finding a library's notes by topic: by the exact name a command carries, and by what a
//! member has typed of a name or title so far.

use std::sync::Arc;

use memchr::memmem::Finder;
use rustc_hash::FxHashMap as HashMap;

use super::model::Note;

/// The lookups of one library's notes, built with it (a vault may hold 100,000 notes: a
/// walk of them took 0.6 ms a command, and lowercasing their titles at each keystroke 50).
#[derive(Debug, Clone, Default)]
pub struct Topics {
    /// Each topic's place among the notes; of two notes with one topic, the first's.
    by_name: HashMap<Box<str>, usize>,
    /// A line for each note, in order: `topic\ttitle\n`, the title in lowercase with its
    /// tabs and line breaks made spaces. One text searched at once, not a string per note.
    lines: String,
    /// Where each note's line starts in `lines`.
    starts: Vec<usize>,
}

impl Topics {
    pub fn new(notes: &[Arc<Note>]) -> Topics {
        let mut by_name = HashMap::default();
        by_name.reserve(notes.len());
        let mut lines = String::new();
        let mut starts = Vec::with_capacity(notes.len());
        for (at, note) in notes.iter().enumerate() {
            by_name.entry(note.topic.as_str().into()).or_insert(at);
            starts.push(lines.len());
            lines.push_str(&note.topic);
            lines.push('\t');
            // As a whole, as what is typed is lowercased: a final `Σ` is `ς`.
            for c in note.title().to_lowercase().chars() {
                lines.push(if matches!(c, '\t' | '\n') { ' ' } else { c });
            }
            lines.push('\n');
        }
        Topics {
            by_name,
            lines,
            starts,
        }
    }

    pub fn position(&self, topic: &str) -> Option<usize> {
        self.by_name.get(topic).copied()
    }

    /// The places of the notes whose topic starts with `typed` (lowercase), then of those
    /// whose title does, then of those whose topic or title holds it; in note order within
    /// each, at most `limit`. The first notes when `typed` is empty.
    pub fn matching(&self, typed: &str, limit: usize) -> Vec<usize> {
        if typed.is_empty() {
            return (0..self.starts.len().min(limit)).collect();
        }
        if typed.contains(['\t', '\n']) {
            return Vec::new();
        }
        let mut ranked: [Vec<usize>; 3] = Default::default();
        // The best rank of the note matched last: a note may hold `typed` several times,
        // and its matches come together, in order.
        let mut last: Option<(usize, usize)> = None;
        let keep = |ranked: &mut [Vec<usize>; 3], (note, rank): (usize, usize)| {
            if let Some(found) = ranked.get_mut(rank) {
                found.push(note);
            }
        };
        for at in Finder::new(typed).find_iter(self.lines.as_bytes()) {
            let note = self
                .starts
                .partition_point(|&start| start <= at)
                .saturating_sub(1);
            let start = self.starts.get(note).copied().unwrap_or(0);
            let rank = if at == start {
                0
            } else if self.lines.as_bytes().get(at - 1) == Some(&b'\t') {
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
                topics.matching(&typed, limit),
                ranked_one_by_one(&notes, &typed, limit)
            );
        }
    }

    #[test]
    fn typed_topics_match_by_name_then_title_then_anywhere() {
        let topics = Topics::new(&[
            note("sync-faq", "Can I Sync?"),
            note("canvas", "Canvas"),
            note("core", "Sync: the Core"),
            note("sync", "Obsidian Sync"),
        ]);
        assert_eq!(topics.matching("sync", 25), [0, 3, 2]);
        assert_eq!(topics.matching("can", 25), [1, 0]);
        assert_eq!(topics.matching("the core", 25), [2]);
        assert_eq!(topics.matching("", 2), [0, 1]);
        assert_eq!(topics.matching("sync", 1), [0]);
        assert!(topics.matching("zzz", 25).is_empty());
    }

    #[test]
    fn a_title_across_lines_matches_as_one_line() {
        let topics = Topics::new(&[note("a", "Two\nLines"), note("b", "tab\there")]);
        assert_eq!(topics.matching("two lines", 5), [0]);
        assert_eq!(topics.matching("tab here", 5), [1]);
        assert!(topics.matching("a\tt", 5).is_empty());
        assert_eq!(topics.matching("", 1), [0]);
    }
}
