//! One changed note, reloaded: `App::reload` (scan, parse the note, `Index::update`, swap),
//! and `App::reload_changed` as the watcher calls it (the edited file's path, no walk)
//! side by side with the full rebuild it replaced (the loader copying every note, then
//! `Index::build` of the whole library), at several sizes, in one run.
//!
//!     cargo bench --bench reload              # 1k, 10k and 100k sections
//!     cargo bench --bench reload -- 100000    # only sizes whose label contains "100000"
//!     cargo bench --bench reload -- 100000 per-note=1   # a file for each section
//!
//! Reports the median and worst of several reloads of one edited note, the peak resident
//! memory during a reload over the resident memory just before it (Linux: VmHWM, reset
//! through /proc/self/clear_refs), and search and autocomplete times on the updated index
//! beside a fully built one, as a markdown table.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/measure.rs"]
mod measure;

use measure::percentile;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notes_bot::bot::App;
use notes_bot::config::Config;
use notes_bot::notes::{Library, Loader};
use notes_bot::search::{FOLD_SHARE, Index};

const ROUNDS: usize = 7;

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// Resident bytes now.
fn resident() -> u64 {
    status_kib("VmRSS:") * 1024
}

/// Resident bytes at most since the last [`reset_peak`].
fn peak() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// Makes the peak the resident size now (Linux 4.0+).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A copy of the generated corpus of `sections` sections, `per_note` to a file, to edit.
fn folder(sections: usize, per_note: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notes-bot-reload-bench-{sections}-{per_note}"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    for (name, text) in corpus::notes(sections, per_note, sections as u64) {
        let _ = std::fs::write(dir.join(name), text);
    }
    dir
}

/// Edits the first note: a new point with a new word in its first section.
fn edit(dir: &Path, round: usize) {
    edit_note(dir, 0, round);
}

fn edit_note(dir: &Path, note: usize, round: usize) {
    let path = dir.join(format!("note-{note:05}.md"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let marker = "- 核心观点\n";
    let edited = text.replacen(marker, &format!("{marker}  - edited{round} 第{round}次修改\n"), 1);
    let _ = std::fs::write(&path, edited);
}

/// (median, worst) time and the worst peak/before memory ratio of `ROUNDS` reloads.
struct Reloads {
    median: Duration,
    worst: Duration,
    peak_ratio: f64,
    before: u64,
}

fn measure_reloads(dir: &Path, mut reload: impl FnMut(usize)) -> Reloads {
    measure(Some(dir), &mut reload)
}

/// As [`measure_reloads`], without an edit before each round (`dir` `None`).
fn measure(dir: Option<&Path>, reload: &mut impl FnMut(usize)) -> Reloads {
    let mut times = Vec::new();
    let mut peak_ratio: f64 = 0.0;
    let mut before = 0;
    for round in 0..ROUNDS {
        if let Some(dir) = dir {
            edit(dir, round);
        }
        before = resident();
        reset_peak();
        let started = Instant::now();
        reload(round);
        times.push(started.elapsed());
        peak_ratio = peak_ratio.max(peak() as f64 / before.max(1) as f64);
    }
    times.sort_unstable();
    Reloads {
        median: times[times.len() / 2],
        worst: times[times.len() - 1],
        peak_ratio,
        before,
    }
}

/// p50 and p99 of search, then of autocomplete.
fn query_times(index: &Index) -> [Duration; 4] {
    let queries = corpus::queries(400, 42);
    let prefixes = corpus::prefixes(400, 43);
    let time = |run: &dyn Fn(&str)| {
        let mut times = Vec::new();
        for query in queries.iter().chain(&prefixes) {
            run(query);
        }
        for _ in 0..3 {
            for query in &queries {
                let started = Instant::now();
                run(query);
                times.push(started.elapsed());
            }
        }
        times.sort_unstable();
        (percentile(&times, 0.5), percentile(&times, 0.99))
    };
    let search = time(&|q| drop(index.search(q, None, 5)));
    let suggest = time(&|q| drop(index.suggest(q, None, 25)));
    [search.0, search.1, suggest.0, suggest.1]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e6)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let per_note = args
        .iter()
        .find_map(|a| a.strip_prefix("per-note=")?.parse::<usize>().ok())
        .unwrap_or(50)
        .max(1);
    let filter: Option<&String> = args
        .iter()
        .find(|a| !a.starts_with('-') && !a.starts_with("per-note="));
    println!(
        "| sections | reload | median ms | worst ms | peak RSS / RSS before | RSS before MB | segments after (base/delta/dead) | search p50 µs | search p99 µs | autocomplete p50 µs | autocomplete p99 µs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for sections in [1_000, 10_000, 100_000] {
        if filter.is_some_and(|f| !sections.to_string().contains(f)) {
            continue;
        }
        let dir = folder(sections, per_note);
        let config = Config {
            notes_dir: dir.clone(),
            ..Config::default()
        };
        let Ok((app, _)) = App::load(config.clone()) else {
            eprintln!("no notes in {}", dir.display());
            continue;
        };
        let full_times = query_times(&app.index());

        // This code: App::reload of the edited note.
        let incremental = measure_reloads(&dir, |_| {
            let reload = app.reload();
            assert!(reload.reloaded.is_some(), "{:?}", reload.problems);
        });
        let updated = app.index();
        let s = updated.segments();
        let updated_times = query_times(&updated);
        drop(updated);

        // What the watcher does: App::reload_changed of the path its events named.
        let edited = [dir.join("note-00000.md")];
        let watched = measure_reloads(&dir, |_| {
            let reload = app.reload_changed(Some(&edited));
            assert!(reload.reloaded.is_some(), "{:?}", reload.problems);
        });
        let w = app.index().segments();

        // What a poll costs (`reload.poll_seconds`): a walk that finds no file changed.
        let polled = measure(None, &mut |_| {
            let reload = app.reload();
            assert!(!reload.changed, "{:?}", reload.problems);
        });

        // The same reloads in two parts: reading the folder, updating the index.
        let mut loader = Loader::new(
            &config.notes_dir,
            config.labels(),
            config.caps(),
            config.reload.hold_empty(),
        )
        .with_site(config.site());
        let mut current: Arc<Index> = app.index();
        let _ = loader.load(current.library(), Instant::now());
        let (mut loads, mut updates) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            edit(&dir, ROUNDS + round);
            let started = Instant::now();
            let load = loader.load(current.library(), Instant::now());
            loads.push(started.elapsed());
            let Some(library) = load.library else {
                panic!("no change seen: {:?}", load.problems);
            };
            let started = Instant::now();
            current = Arc::new(current.update(library));
            updates.push(started.elapsed());
        }
        loads.sort_unstable();
        updates.sort_unstable();

        // The same with as many other notes changed since the base as can be before a
        // full build (each counts its old documents and its new ones).
        let others = ((FOLD_SHARE * sections as f64 / 100.0) as usize).saturating_sub(1);
        let crowded = (others > 0).then(|| {
            for note in 1..=others {
                edit_note(&dir, note, 0);
            }
            app.reload();
            let reloads = measure_reloads(&dir, |_| {
                let reload = app.reload();
                assert!(reload.reloaded.is_some(), "{:?}", reload.problems);
            });
            let index = app.index();
            (reloads, index.segments(), query_times(&index))
        });

        drop(app);

        // Baseline: what reload did before, the loader copying every note that serves
        // and a full build of the index.
        let full = measure_reloads(&dir, |_| {
            let load = loader.load(current.library(), Instant::now());
            let Some(library) = load.library else {
                panic!("no change seen: {:?}", load.problems);
            };
            let copied = Library::new(library.notes().iter().map(|n| Arc::new((**n).clone())).collect());
            drop(library);
            current = Arc::new(Index::build(copied, &config.search_options()));
        });
        let f = current.segments();

        let mb = |b: u64| format!("{:.0}", b as f64 / 1_048_576.0);
        let crowded_label = format!("App::reload, {others} other notes changed since the base");
        let mut rows = vec![
            ("App::reload (Index::update)", &incremental, s, updated_times),
            (
                "App::reload_changed (the watcher's: the edited path)",
                &watched,
                w,
                updated_times,
            ),
            ("App::reload, no file changed (a poll)", &polled, w, updated_times),
        ];
        if let Some((reloads, seg, times)) = &crowded {
            rows.push((crowded_label.as_str(), reloads, *seg, *times));
        }
        rows.push(("before: copy + Index::build", &full, f, full_times));
        for (label, r, seg, times) in rows {
            println!(
                "| {sections} | {label} | {} | {} | {:.2}x | {} | {}/{}/{} | {} | {} | {} | {} |",
                ms(r.median),
                ms(r.worst),
                r.peak_ratio,
                mb(r.before),
                seg.base,
                seg.delta,
                seg.dead,
                us(times[0]),
                us(times[1]),
                us(times[2]),
                us(times[3]),
            );
        }
        println!(
            "| {sections} | of which Loader::load / Index::update | {} / {} | {} / {} | | | | | | | |",
            ms(loads[ROUNDS / 2]),
            ms(updates[ROUNDS / 2]),
            ms(loads[ROUNDS - 1]),
            ms(updates[ROUNDS - 1]),
        );
        println!(
            "| {sections} | ratio before/this | {:.1}x | | | | | | | | |",
            full.median.as_secs_f64() / incremental.median.as_secs_f64().max(1e-9)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
