//! The peer row of BENCHMARKS.md: tantivy with jieba (and lowercasing), indexing the
//! sections of the same generated corpora as `benches/search.rs` (title and body fields,
//! title boosted 3×) and answering the same 400 queries, top 5. Prints markdown rows.
//!
//!     cd benches/peer && cargo run --release             # 1000, 10000, 100000 sections
//!     cd benches/peer && cargo run --release -- 100000   # sizes whose label holds this
//!     benches/peer/run.sh 100000                         # ours, then this, in one run
//!
//! Sections are split from the markdown by their `## ` headings, which is all the
//! generated notes hold; our own load runs the full markdown parser.

#[path = "../../common/corpus.rs"]
mod corpus;
#[path = "../../common/measure.rs"]
mod measure;

use measure::{percentile, resident_bytes};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer, TokenStream};
use tantivy::{Index, IndexWriter, TantivyDocument, Term, doc};

/// (title, body) of each `## ` section of a generated note.
fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            // `## [title](url)`
            let title = heading
                .trim_start_matches('[')
                .split("](")
                .next()
                .unwrap_or(heading);
            out.push((title.to_string(), String::new()));
        } else if line.starts_with('#') {
            continue;
        } else if let Some((_, body)) = out.last_mut() {
            let item = line.trim_start().trim_start_matches("- ");
            if !item.is_empty() {
                body.push_str(item);
                body.push('\n');
            }
        }
    }
    out
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() -> tantivy::Result<()> {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    // `--misses`: list the queries without a hit on stderr, to compare with ours.
    let show_misses = std::env::args().any(|a| a == "--misses");
    let queries = corpus::queries(400, 42);
    println!(
        "| engine | sections | corpus MB | load+index ms | index RSS MB | RSS/corpus | search p50 µs | search p99 µs | queries with hits |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for size in [1_000usize, 10_000, 100_000] {
        let label = format!("generated {size}");
        if filter.as_deref().is_some_and(|f| !label.contains(f)) {
            continue;
        }
        let dir = corpus::generated_dir(size);
        let corpus_bytes = dir_bytes(&dir);

        let before = resident_bytes();
        let started = Instant::now();
        let mut schema = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer("jieba")
            .set_index_option(IndexRecordOption::WithFreqs);
        let text = TextOptions::default().set_indexing_options(indexing);
        let title = schema.add_text_field("title", text.clone() | STORED);
        let body = schema.add_text_field("body", text);
        let index = Index::create_in_ram(schema.build());
        let analyzer = TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
            .filter(LowerCaser)
            .build();
        let query_analyzer = analyzer.clone();
        index.tokenizers().register("jieba", analyzer);
        let mut writer: IndexWriter = index.writer(200_000_000)?;
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|e| e.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        paths.retain(|p| p.extension().is_some_and(|e| e == "md"));
        paths.sort();
        let mut count = 0;
        for path in &paths {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            for (t, b) in sections(&text) {
                writer.add_document(doc!(title => t, body => b))?;
                count += 1;
            }
        }
        writer.commit()?;
        drop(writer);
        let reader = index.reader()?;
        let searcher = reader.searcher();
        let load = started.elapsed();
        let memory = resident_bytes().saturating_sub(before);

        let collector = TopDocs::with_limit(5).order_by_score();
        // Any of the query's jieba words, in either field, the title weighing 3x. Not the
        // QueryParser: it turns a space-free CJK query such as `泛化是什么` into a phrase
        // of all its words, which misses every `…是什么` question.
        let mut words = query_analyzer.clone();
        let mut run = |q: &str| -> usize {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            let mut tokens = words.token_stream(q);
            while let Some(token) = tokens.next() {
                if !token.text.chars().any(char::is_alphanumeric) {
                    continue;
                }
                for (field, boost) in [(title, 3.0), (body, 1.0)] {
                    let term = Term::from_field_text(field, &token.text);
                    let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                    clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(query), boost))));
                }
            }
            let query = BooleanQuery::new(clauses);
            // Fetch each hit's stored title too: an answer needs more than a document id.
            let hits = searcher.search(&query, &collector).unwrap_or_default();
            hits.iter()
                .filter(|(_, at)| searcher.doc::<TantivyDocument>(*at).is_ok())
                .count()
        };
        for q in &queries {
            if run(q) == 0 && show_misses {
                eprintln!("no hit at {count}: {q}");
            }
        }
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..5 {
            for q in &queries {
                let t = Instant::now();
                let hits = run(q);
                times.push(t.elapsed());
                found += usize::from(hits > 0);
            }
        }
        times.sort_unstable();
        let mb = |b: u64| b as f64 / 1_048_576.0;
        let us = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e6);
        println!(
            "| tantivy 0.26 + jieba | {count} | {:.1} | {:.0} | {:.1} | {:.1}x | {} | {} | {}/{} |",
            mb(corpus_bytes),
            load.as_secs_f64() * 1e3,
            mb(memory),
            memory as f64 / corpus_bytes.max(1) as f64,
            us(percentile(&times, 0.5)),
            us(percentile(&times, 0.99)),
            found / 5,
            queries.len()
        );
    }
    Ok(())
}
