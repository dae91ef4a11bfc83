//! Load and index at one size, timed apart: wall-clock and CPU time of `load_dir`, then of
//! `Index::build`, for several rounds (the first also makes the corpus, if absent).
//!
//!     cargo bench --bench load                 # 100k sections, 5 rounds
//!     cargo bench --bench load -- 10000 9      # 10k sections, 9 rounds
//!     cargo bench --bench load -- 100000 5 wide   # the corpus of a large vocabulary
//!     cargo bench --bench load -- 100000 3 per-note=1   # a file for each section
//!     cargo bench --bench load -- 5 ~/notes    # a folder of your own, 5 rounds
//!
//! Run two builds in turn (binaries copied aside) for a side-by-side comparison; the
//! machines are noisy, so compare medians of several rounds.

#[path = "common/corpus.rs"]
mod corpus;

use std::time::{Duration, Instant};

use notes_bot::config::Config;
use notes_bot::search::Index;

/// User plus system CPU time of this process, from /proc (zero elsewhere).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses: utime and stime are the
    // 12th and 13th of them, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e3)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let folder = args
        .iter()
        .find(|a| a.parse::<usize>().is_err() && !a.starts_with("per-note="));
    let sections = numbers.first().copied().unwrap_or(100_000);
    let per_note = args
        .iter()
        .find_map(|a| a.strip_prefix("per-note=").and_then(|n| n.parse::<usize>().ok()));
    let rounds = numbers.get(1).copied().unwrap_or(5);
    let (dir, rounds) = match (folder.map(String::as_str), per_note) {
        (Some("wide"), _) => (corpus::generated_wide_dir(sections), rounds),
        (Some(folder), _) => (folder.into(), numbers.first().copied().unwrap_or(5)),
        (None, Some(per_note)) => (corpus::generated_per_note_dir(sections, per_note), rounds),
        (None, None) => (corpus::generated_dir(sections), rounds),
    };
    let config = Config::default();
    println!("| round | sections | load ms | load CPU ms | index ms | index CPU ms | load + index ms |");
    println!("|---|---|---|---|---|---|---|");
    for round in 1..=rounds {
        let (started, cpu) = (Instant::now(), cpu_time());
        let loaded = notes_bot::notes::load_dir(&dir, &config.labels());
        let (loaded_at, load_cpu) = (Instant::now(), cpu_time());
        let index = Index::build(loaded.library, &config.search_options());
        let (built_at, index_cpu) = (Instant::now(), cpu_time());
        println!(
            "| {round} | {} | {} | {} | {} | {} | {} |",
            index.library().section_count(),
            ms(loaded_at - started),
            ms(load_cpu.saturating_sub(cpu)),
            ms(built_at - loaded_at),
            ms(index_cpu.saturating_sub(load_cpu)),
            ms(built_at - started),
        );
    }
}
