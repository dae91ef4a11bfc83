//! What one huge note costs: the peak RSS of `notes-bot ask` (load, parse and index, then
//! one search) and `check` on a note just under the size cap, beside the same on a tiny
//! note, over the note's size. Slow in a debug build, so ignored by default; `.ci/run`
//! runs them (`--include-ignored`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;
use common::Random;

/// A note of at most `bytes` bytes shaped like the corpus: linked headings, nested bullets,
/// Latin words from a 20,000-word vocabulary and Chinese text.
fn huge_note(bytes: usize) -> String {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let vocabulary: Vec<String> = (0..20_000).map(|_| random.word(26)).collect();
    let pick = |random: &mut Random, n: usize| -> String {
        (0..n)
            .map(|_| vocabulary[random.below(vocabulary.len() as u64) as usize].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut text = String::from("---\ntitle: Huge\n---\n");
    for n in 1.. {
        let mut section = format!(
            "## Section {n} {} [link](https://example.org/{n})\n",
            pick(&mut random, 1)
        );
        for _ in 0..8 {
            let line = format!(
                "- {} {}\n  - {}\n",
                pick(&mut random, 8),
                random.cjk(12),
                pick(&mut random, 6)
            );
            section.push_str(&line);
        }
        if text.len() + section.len() > bytes {
            break;
        }
        text.push_str(&section);
    }
    text
}

/// Runs `notes-bot <args>` on `notes` and returns its peak RSS in bytes (getrusage of
/// exactly this child, through wait4).
#[allow(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also gives its rusage"
)]
fn peak_rss(notes: &Path, args: &[&str]) -> u64 {
    let child = Command::new(env!("CARGO_BIN_EXE_notes-bot"))
        .args(args)
        .arg("--notes")
        .arg(notes)
        .env_remove("NOTES_BOT_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run notes-bot: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet waited for; the pointers outlive the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "notes-bot {args:?} failed: {status}"
    );
    // Linux reports ru_maxrss in KiB.
    usage.ru_maxrss as u64 * 1024
}

fn folder(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notes-bot-memory-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join(format!("{name}.md")), text).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// Peak RSS of `notes-bot <args>` on the note minus the same on a tiny note, over the
/// note's size; printed.
fn ratio(name: &str, text: &str, args: &[&str]) -> f64 {
    let size = text.len() as u64;
    let note = folder(name, text);
    let tiny = folder("tiny", "## Tiny\n- one point\n");
    let base = peak_rss(&tiny, args);
    let peak = peak_rss(&note, args);
    let _ = std::fs::remove_dir_all(&note);
    let _ = std::fs::remove_dir_all(&tiny);
    let ratio = peak.saturating_sub(base) as f64 / size as f64;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "notes-bot {} on {name}: note {:.1} MiB, peak RSS {:.1} MiB ({:.1} MiB on a tiny note): {ratio:.1}x the note",
        args.join(" "),
        mib(size),
        mib(peak),
        mib(base)
    );
    ratio
}

/// The corpus's notes one after another, again and again (headings made distinct), up to
/// `bytes`: real text in real proportions of markup, Latin and Chinese.
fn corpus_note(bytes: usize) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut files = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(dir) = folders.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 50, "too few notes in {}", root.display());
    let mut text = String::from("---\ntitle: Corpus\n---\n");
    for round in 1.. {
        for file in &files {
            let note = std::fs::read_to_string(file).unwrap_or_default();
            for line in note.lines() {
                let line = if line.starts_with('#') {
                    format!("{line} r{round}\n")
                } else {
                    format!("{line}\n")
                };
                if text.len() + line.len() > bytes {
                    return text;
                }
                text.push_str(&line);
            }
        }
    }
    text
}

const CAP: usize = notes_bot::notes::DEFAULT_MAX_BYTES as usize - 4096;

#[test]
#[ignore = "needs ../shared; slow: ~40 s in a debug build"]
fn indexing_a_note_of_real_text_at_the_size_cap_costs_at_most_ten_times_its_size() {
    let ratio = ratio("corpus", &corpus_note(CAP), &["ask", "hello"]);
    assert!(ratio <= 10.0, "`notes-bot ask` took {ratio:.1}x the note's size");
}

/// Random Chinese makes nearly every bigram a new term (~600k for 8 MiB), the worst case
/// for the index. Measured (debug build): `check` 3.5x, `ask` 8.4x; the corpus note 6.6x.
#[test]
#[ignore = "slow: ~1 min in a debug build; run by .ci/run"]
fn indexing_a_note_of_random_text_at_the_size_cap_costs_at_most_ten_times_its_size() {
    let text = huge_note(CAP);
    let check = ratio("random", &text, &["check"]);
    let ask = ratio("random", &text, &["ask", "hello"]);
    assert!(
        check <= 10.0,
        "`notes-bot check` took {check:.1}x the note's size"
    );
    assert!(ask <= 10.0, "`notes-bot ask` took {ask:.1}x the note's size");
}
