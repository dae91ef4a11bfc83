//! `Index::update` against full builds of the same library, after rounds of edits,
//! additions, deletions and renames of notes.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::notes::{Labels, Note};

/// A small vocabulary, so that the notes share many terms: the statistics an update must
/// keep right.
const ENGLISH: &str = "transformer attention embedding tokenizer gradient optimizer latency
    kubernetes docker rust tokio async runtime compiler cache index query postgres redis kafka raft
    sharding replica prompt alignment rlhf chain-of-thought gpt-3.5 llama pipeline scheduler tracing";
const CHINESE: &str = "模型 训练 数据 推理 能力 参数 知识 语言 对齐 微调 指令 代码 思维链 涌现 强化学习 人类反馈 预训练 上下文 缓存 延迟";

fn words(list: &str) -> Vec<&str> {
    list.split_whitespace().collect()
}

/// xorshift64*, as the benches' corpus.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }

    fn phrase(&mut self, count: usize) -> String {
        let mut out = String::new();
        let (english, chinese) = (words(ENGLISH), words(CHINESE));
        for _ in 0..count {
            if self.below(3) == 0 {
                out.push(' ');
                out.push_str(english[self.below(english.len())]);
                out.push(' ');
            } else {
                out.push_str(chinese[self.below(chinese.len())]);
            }
        }
        out.trim().replace("  ", " ")
    }
}

/// A note of four linked sections; `extra` is a word put in its first section's body.
fn note(file: &str, seed: u64, extra: &str) -> Arc<Note> {
    let mut rng = Rng(seed.max(1) * 7919);
    let mut text = format!("---\ntags: [t{}]\n---\n\n# {}\n\n", seed % 5, rng.phrase(2));
    for s in 0..4 {
        text.push_str(&format!(
            "## [{}](https://example.com/{seed}/{s})\n\n",
            rng.phrase(3)
        ));
        text.push_str(&format!(
            "- {} {}\n",
            rng.phrase(4),
            if s == 0 { extra } else { "" }
        ));
        for _ in 0..1 + rng.below(3) {
            text.push_str(&format!("  - {}\n", rng.phrase(5)));
        }
        text.push('\n');
    }
    let parsed = crate::notes::parse_note(Path::new(file), &text, &Labels::default());
    Arc::new(parsed.unwrap_or_else(|e| panic!("{e}")))
}

fn library(notes: &[Arc<Note>]) -> Library {
    let mut notes = notes.to_vec();
    notes.sort_by(|a, b| a.path.cmp(&b.path));
    Library::new(notes)
}

fn queries() -> Vec<String> {
    let mut queries: Vec<String> = words(ENGLISH)
        .into_iter()
        .chain(words(CHINESE))
        .map(String::from)
        .collect();
    queries.extend(
        [
            "transfomer",
            "kuberentes",
            "rust tokio",
            "模型 训练",
            "思维链是什么",
            "what is rlhf",
            "模",
            "缓",
            "quokka",
            "zebrafish",
            "numbat",
            "narwhal",
            "pizza recipe",
            "量子计算",
            "gpt3",
            "chain of thought",
            "t1",
            "注意力 attention",
        ]
        .map(String::from),
    );
    queries
}

fn prefixes() -> Vec<String> {
    [
        "tr", "ku", "quo", "zeb", "num", "nar", "思", "模型", "rl", "gp", "ca", "re", "",
    ]
    .map(String::from)
    .to_vec()
}

fn offered(suggestions: Vec<Suggestion>) -> Vec<(SectionRef, MatchReason)> {
    suggestions.iter().map(|s| (s.section, s.reason)).collect()
}

/// Every answer an index gives to the queries, compared exactly.
fn answers(index: &Index) -> Vec<String> {
    let topics: Vec<Option<String>> = std::iter::once(None)
        .chain(
            index
                .library()
                .notes()
                .iter()
                .step_by(7)
                .map(|n| Some(n.topic.clone())),
        )
        .collect();
    let mut out = Vec::new();
    for topic in &topics {
        let topic = topic.as_deref();
        for query in queries() {
            let hits: Vec<String> = index
                .search(&query, topic, 5)
                .iter()
                .map(|h| {
                    format!(
                        "{:?} {} {} {:?} {:?}",
                        h.section, h.score, h.coverage, h.reason, h.focus
                    )
                })
                .collect();
            out.push(format!("search {query} in {topic:?}: {hits:?}"));
            let missed = offered(index.did_you_mean(&query, topic, 5));
            out.push(format!("did you mean {query} in {topic:?}: {missed:?}"));
        }
        for prefix in prefixes() {
            let suggested = offered(index.suggest(&prefix, topic, 25));
            out.push(format!("suggest {prefix} in {topic:?}: {suggested:?}"));
        }
    }
    out
}

/// The updated index answers as a full build of the same library would with the same
/// length normalisation (the base's), exactly; and as a fresh full build does, but for
/// the order of near-ties.
fn assert_like_full_builds(updated: &Index) {
    // Chinese sections are counted as live, dead and delta ones told apart.
    let live = &updated.live;
    for range in [0..live.ids(), 100..live.ids(), 3..150] {
        let each = live.docs_in(&range).filter(|&doc| live.is_chinese(doc)).count();
        assert_eq!(live.chinese_in(&range), each, "{range:?}");
    }
    let library = updated.library().clone();
    let averages = updated.live.base().postings.averages();
    let frozen = Index::build_with(library.clone(), updated.analyzer.clone(), Some(averages));
    let (got, want) = (answers(updated), answers(&frozen));
    assert_eq!(got.len(), want.len());
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got, want);
    }
    let fresh = Index::build(library, &SearchOptions::default());
    for query in queries() {
        let got = updated.search(&query, None, 5);
        let want = fresh.search(&query, None, 5);
        assert_eq!(got.len(), want.len(), "{query}");
        let last = want.last().map_or(0.0, |h| h.score);
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.score - w.score).abs() <= 0.01 * w.score,
                "{query}: {g:?} {w:?}"
            );
            let found = want.iter().any(|h| h.section == g.section);
            assert!(
                found || (g.score - last).abs() <= 0.01 * last,
                "{query}: {g:?} not in {want:?}"
            );
        }
    }
}

/// The index's documents: in its base, in its delta, and dead in the base.
fn documents(index: &Index) -> (usize, usize, usize) {
    let Segments { base, delta, dead } = index.segments();
    (base, delta, dead)
}

/// Puts `new` in place of the note at `file`'s path.
fn replace(notes: &mut [Arc<Note>], file: &str, new: Arc<Note>) {
    let i = notes_named(notes, file);
    notes[i] = new;
}

fn notes_named(notes: &[Arc<Note>], file: &str) -> usize {
    let at = notes.iter().position(|n| n.path == Path::new(file));
    at.unwrap_or_else(|| panic!("no {file}"))
}

#[test]
fn updates_answer_as_full_builds_after_edits_additions_deletions_and_renames() {
    let mut notes: Vec<Arc<Note>> = (0..100)
        .map(|n| {
            note(
                &format!("note-{n:03}.md"),
                n,
                if n == 40 { "zebrafish" } else { "" },
            )
        })
        .collect();
    let mut index = Index::build(library(&notes), &SearchOptions::default());
    assert_eq!(documents(&index), (400, 0, 0));

    // Round 1: an edit, an addition, a deletion (the only note with `zebrafish`).
    replace(&mut notes, "note-003.md", note("note-003.md", 1003, "numbat"));
    notes.push(note("note-100.md", 100, "quokka"));
    notes.remove(notes_named(&notes, "note-040.md"));
    index = index.update(library(&notes));
    assert_eq!(documents(&index), (400, 8, 8));
    assert!(index.search("zebrafish", None, 5).is_empty());
    // Nor do prefix and typo look-ups offer its word.
    assert!(index.live.with_prefix("zeb", 30).is_empty());
    assert!(index.live.similar("zebrafsh", 1).is_empty());
    assert_eq!(index.live.with_prefix("quo", 30), vec!["quokka"]);
    assert!(!index.search("quokka", None, 5).is_empty());
    assert!(!index.search("numbat", Some("note-003"), 5).is_empty());
    assert_like_full_builds(&index);

    // Round 2: a rename (same text, another file and topic) and a second edit.
    replace(&mut notes, "note-017.md", note("renamed-017.md", 17, ""));
    replace(&mut notes, "note-060.md", note("note-060.md", 1060, "narwhal"));
    index = index.update(library(&notes));
    assert_eq!(documents(&index), (400, 16, 16));
    assert!(index.search("rust", Some("note-017"), 5).is_empty());
    assert_like_full_builds(&index);

    // Round 3: the note edited in round 1 edited again (its old word gone), the added
    // note deleted, another added.
    replace(&mut notes, "note-003.md", note("note-003.md", 2003, ""));
    notes.remove(notes_named(&notes, "note-100.md"));
    notes.push(note("note-101.md", 101, "narwhal"));
    index = index.update(library(&notes));
    assert_eq!(documents(&index), (400, 16, 16));
    assert!(index.search("numbat", None, 5).is_empty());
    assert!(index.search("quokka", None, 5).is_empty());
    assert_eq!(index.search("narwhal", None, 5).len(), 2);
    assert_like_full_builds(&index);

    // Nothing changed: the same answers from a new delta of the same notes.
    let before = answers(&index);
    index = index.update(library(&notes));
    assert_eq!(answers(&index), before);

    // Round 4: many edits at once: past the fold share, a full build.
    for n in 0..40 {
        let file = format!("note-{:03}.md", 41 + n);
        replace(&mut notes, &file, note(&file, 3000 + n, ""));
    }
    index = index.update(library(&notes));
    assert_eq!(index.segments().delta, 0);
    assert_eq!(index.segments().dead, 0);
    assert_like_full_builds(&index);
}
