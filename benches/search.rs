//! Load, index and query benchmarks at several sizes, side by side with a naive baseline
//! (strsim over every title plus a substring scan of every body) in the same run.
//!
//!     cargo bench --bench search              # all sizes
//!     cargo bench --bench search -- 1000      # only sizes whose label contains "1000"
//!
//! Reports medians and 99th percentiles of single-query times, load + index time, and the
//! resident memory the index adds, as a markdown table.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/measure.rs"]
mod measure;
#[path = "common/shipped_queries.rs"]
mod shipped_queries;

use measure::{percentile, resident_bytes};
use shipped_queries::SHIPPED_QUERIES;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notes_bot::config::Config;
use notes_bot::notes::{self, Library};
use notes_bot::search::{Found, Index, MatchReason};

fn time_each(
    queries: &[String],
    rounds: usize,
    mut run: impl FnMut(&str) -> usize,
) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(queries.len() * rounds);
    let mut found = 0;
    for query in queries {
        run(query); // warm up
    }
    for _ in 0..rounds {
        for query in queries {
            let started = Instant::now();
            let hits = run(query);
            times.push(started.elapsed());
            found += usize::from(hits > 0);
        }
    }
    times.sort_unstable();
    (percentile(&times, 0.5), percentile(&times, 0.99), found / rounds)
}

/// The baseline a first version would write: fuzzy-compare every title, scan every body.
struct Naive {
    sections: Vec<(String, String)>,
}

impl Naive {
    fn new(library: &Library) -> Naive {
        let mut sections = Vec::new();
        for note in library.notes() {
            for (_, section) in note.answerable() {
                let body: Vec<String> = section
                    .points()
                    .iter()
                    .flat_map(|p| p.walk())
                    .map(|(_, i)| i.plain().to_lowercase())
                    .collect();
                sections.push((section.title.to_lowercase(), body.join("\n")));
            }
        }
        Naive { sections }
    }

    fn search(&self, query: &str) -> usize {
        let query = query.to_lowercase();
        let mut best = (0.0f64, usize::MAX);
        for (i, (title, body)) in self.sections.iter().enumerate() {
            let mut score = strsim::normalized_levenshtein(&query, title);
            if body.contains(&query) || title.contains(&query) {
                score += 1.0;
            }
            if score > best.0 {
                best = (score, i);
            }
        }
        usize::from(best.0 > 0.6)
    }
}

/// Topics matched as typed the way the handler did before `Library::topics_matching`:
/// every title lowercased at each keystroke, every note ranked, then sorted.
fn topics_lowercasing_each_time(library: &Library, typed: &str) -> usize {
    let mut scored: Vec<(u8, &str)> = (library.notes().iter())
        .filter_map(|note| {
            let title = note.title().to_lowercase();
            let rank = if typed.is_empty() || note.topic.starts_with(typed) {
                0
            } else if title.starts_with(typed) {
                1
            } else if note.topic.contains(typed) || title.contains(typed) {
                2
            } else {
                return None;
            };
            Some((rank, note.topic.as_str()))
        })
        .collect();
    scored.sort_by_key(|(rank, _)| *rank);
    scored.into_iter().take(25).count()
}

/// A corpus to measure: label, folder, queries, autocomplete prefixes, baseline queries.
type Case = (String, PathBuf, Vec<String>, Vec<String>, usize);

struct Row {
    label: String,
    sections: usize,
    corpus_bytes: u64,
    load: Duration,
    memory: u64,
    search: (Duration, Duration, usize),
    /// The same queries, each within one note (`/topic query:…`, `/notes topic:…`), the
    /// notes taken in turn.
    in_topic: (Duration, Duration, usize),
    /// Topics matched as they are typed (`/notes topic:`), and so as the handler did before.
    topics: (Duration, Duration, usize),
    topics_before: (Duration, Duration, usize),
    suggest: (Duration, Duration, usize),
    naive: (Duration, Duration, usize),
    /// The queries with no confident hit, through `find` (analysed once), and as `find`
    /// did before: `ranked`, then `closest` analysing the query again.
    misses: (Duration, Duration, usize),
    misses_before: (Duration, Duration, usize),
    miss_queries: usize,
    queries: usize,
    /// Bytes of the posting lists, and postings.
    postings: (usize, usize),
}

fn measure(label: &str, dir: &Path, queries: &[String], prefixes: &[String], naive_queries: usize) -> Row {
    let config = Config::default();
    let corpus_bytes = dir_bytes(dir);
    let before = resident_bytes();
    let started = Instant::now();
    let loaded = notes::load_dir(dir, &config.labels());
    let index = Index::build(loaded.library, &config.search_options());
    let load = started.elapsed();
    let memory = resident_bytes().saturating_sub(before);
    let sections = index.library().section_count();
    let postings = index.posting_bytes();
    let search = time_each(queries, 5, |q| index.search(q, None, 5).len());
    let topics: Vec<&str> = index.library().notes().iter().map(|n| n.topic.as_str()).collect();
    let mut turn = 0;
    let in_topic = time_each(queries, 5, |q| {
        turn += 1;
        let topic = topics.get(turn * 7919 % topics.len().max(1)).copied();
        index.search(q, topic, 5).len()
    });
    let suggest = time_each(prefixes, 5, |q| index.suggest(q, None, 25).len());
    let library = index.library();
    let topics = time_each(prefixes, 5, |q| library.topics_matching(q, 25).len());
    let topics_before = time_each(prefixes, 5, |q| topics_lowercasing_each_time(library, q));
    let misses: Vec<String> = (queries.iter())
        .filter(|q| !matches!(index.find(q, None, 5, 3), Found::Confident(_)))
        .cloned()
        .collect();
    let found = |found: Found| match found {
        Found::Confident(ranked) | Found::Closest(ranked) => ranked.hits.len(),
        Found::Nothing { .. } => 0,
    };
    let miss_times = time_each(&misses, 5, |q| found(index.find(q, None, 5, 3)));
    let misses_before = time_each(&misses, 5, |q| {
        let ranked = index.ranked(q, None, 5);
        match ranked.hits.first() {
            Some(best) if best.is_confident() || best.reason == MatchReason::Fuzzy => ranked.hits.len(),
            _ => index.closest(q, None, 3).hits.len(),
        }
    });
    let naive_index = Naive::new(index.library());
    let naive = time_each(&queries[..naive_queries.min(queries.len())], 1, |q| {
        naive_index.search(q)
    });
    Row {
        label: label.to_string(),
        sections,
        corpus_bytes,
        load,
        memory,
        search,
        in_topic,
        topics,
        topics_before,
        suggest,
        naive,
        misses: miss_times,
        misses_before,
        miss_queries: misses.len(),
        queries: queries.len(),
        postings,
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            total += if path.is_dir() {
                dir_bytes(&path)
            } else {
                entry.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    total
}

fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let queries = corpus::queries(400, 42);
    let prefixes = corpus::prefixes(400, 43);
    let seed_queries: Vec<String> = SHIPPED_QUERIES.iter().map(|s| s.to_string()).collect();
    let seed_prefixes: Vec<String> = ["r", "rl", "rlh", "思", "思维", "gp", "gpt-3", "o", "op", "ope"]
        .iter()
        .map(|s| s.to_string())
        .collect();

    let mut cases: Vec<Case> = vec![(
        "seed note (notes/)".into(),
        root.join("notes"),
        seed_queries,
        seed_prefixes,
        400,
    )];
    // Corpora of ../shared, when present: the author's blog, and notes written in English
    // (where the Chinese queries are asked through English glosses).
    let shared = [
        ("yaozeyuan-blog corpus", "yaozeyuan-blog"),
        ("obsidian-help/en (English notes)", "obsidian-help/en"),
    ];
    for (label, dir) in shared {
        let dir = root.join("../shared/corpus").join(dir);
        if dir.is_dir() {
            cases.push((label.into(), dir, queries.clone(), prefixes.clone(), 400));
        } else {
            eprintln!("skipping {label}: {} is absent", dir.display());
        }
    }
    for (sections, naive_queries) in [(1_000, 400), (10_000, 100), (100_000, 20)] {
        cases.push((
            format!("generated {sections}"),
            corpus::generated_dir(sections),
            queries.clone(),
            prefixes.clone(),
            naive_queries,
        ));
    }
    // A note for each section: a vault of many short notes, asked one note at a time.
    cases.push((
        "generated 100000, a note each".into(),
        corpus::generated_per_note_dir(100_000, 1),
        queries.clone(),
        prefixes.clone(),
        20,
    ));

    println!(
        "| corpus | sections | corpus MB | load+index ms | index RSS MB | RSS/corpus | search p50 µs | search p99 µs | in a topic p50 µs | in a topic p99 µs | topics typed p50 µs | topics typed p99 µs | (before) p50 µs | (before) p99 µs | autocomplete p50 µs | autocomplete p99 µs | naive p50 µs | naive p99 µs | naive/search p50 | queries with hits | postings | bytes/posting | RSS bytes/section |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (label, dir, queries, prefixes, naive_queries) in cases {
        if filter.as_deref().is_some_and(|f| !label.contains(f)) {
            continue;
        }
        let row = measure(&label, &dir, &queries, &prefixes, naive_queries);
        let mb = |b: u64| b as f64 / 1_048_576.0;
        println!(
            "| {} | {} | {:.1} | {:.0} | {:.1} | {:.1}x | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0}x | {}/{} | {} | {:.2} | {:.0} |",
            row.label,
            row.sections,
            mb(row.corpus_bytes),
            row.load.as_secs_f64() * 1e3,
            mb(row.memory),
            row.memory as f64 / row.corpus_bytes.max(1) as f64,
            micros(row.search.0),
            micros(row.search.1),
            micros(row.in_topic.0),
            micros(row.in_topic.1),
            micros(row.topics.0),
            micros(row.topics.1),
            micros(row.topics_before.0),
            micros(row.topics_before.1),
            micros(row.suggest.0),
            micros(row.suggest.1),
            micros(row.naive.0),
            micros(row.naive.1),
            row.naive.0.as_secs_f64() / row.search.0.as_secs_f64().max(1e-9),
            row.search.2,
            row.queries,
            row.postings.1,
            row.postings.0 as f64 / row.postings.1.max(1) as f64,
            row.memory as f64 / row.sections.max(1) as f64,
        );
        rows.push(row);
    }
    println!();
    println!(
        "Queries with no confident hit (a miss, or one found only through typos), the same queries each way:"
    );
    println!();
    println!(
        "| corpus | misses | find p50 µs | find p99 µs | ranked + closest (before) p50 µs | (before) p99 µs | before/find p50 |"
    );
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {}/{} | {} | {} | {} | {} | {:.2}x |",
            row.label,
            row.miss_queries,
            row.queries,
            micros(row.misses.0),
            micros(row.misses.1),
            micros(row.misses_before.0),
            micros(row.misses_before.1),
            row.misses_before.0.as_secs_f64() / row.misses.0.as_secs_f64().max(1e-9),
        );
    }
}
