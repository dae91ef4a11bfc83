//! Soak: the real `notes-bot serve` answers signed interactions while its notes are edited
//! in place, renamed, read, broken, emptied and deleted. Every reply must name the section
//! that was asked for, a note with a good version must never vanish, no request may get a
//! 5xx, RSS must stay bounded, and an idle server must not reload. About 50 s, so ignored by
//! default; `.ci/run` runs it (`--include-ignored`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::serve::{Serve, get, post};
use common::{Answer, Random};

/// How long notes are changed under load, then how long the server is left idle.
const CHURN: Duration = Duration::from_secs(30);
const IDLE: Duration = Duration::from_secs(6);
/// Without any request, after the load.
const QUIET: Duration = Duration::from_secs(3);
/// The writer waits this long after each change: the debounce window (500 ms) and a reload.
const SETTLE: Duration = Duration::from_millis(1200);
/// Sections in every churned note; each is found by its own word.
const SECTIONS: usize = 5;

/// The notes, by topic: (topic, number used in its words).
const STABLE: (&str, usize) = ("stable", 0);
const EDITED: (&str, usize) = ("edited", 1);
const MOVED: (&str, usize) = ("moved", 2);
const BROKEN: (&str, usize) = ("broken", 3);
const GONE: (&str, usize) = ("gone", 4);
const TOPICS: [(&str, usize); 5] = [STABLE, EDITED, MOVED, BROKEN, GONE];

/// The one word that finds section `section` of note `note`: letters only, so the analyser
/// keeps it whole, and starting with `zq`, which no filler word does.
fn word(note: usize, section: usize) -> String {
    let letter = |n: usize| char::from(b'a' + (n % 26) as u8);
    format!("zq{}{}k", letter(note), letter(section))
}

/// A note whose every section holds its own word in the title and the points. `filler`
/// sections without such words make the index big enough for a leak to show in RSS.
fn note_text((topic, note): (&str, usize), version: usize, filler: usize) -> String {
    let mut text = format!("---\ntitle: {topic} notes\ncommand: {topic}\n---\n");
    for section in 0..SECTIONS {
        let word = word(note, section);
        text.push_str(&format!(
            "## Section {word} v{version}\n- {word} is the point of this part, version {version}\n  - a detail of {word}\n"
        ));
    }
    let mut random = Random(0x9e37_79b9_7f4a_7c15 ^ note as u64);
    for n in 0..filler {
        let words: Vec<String> = (0..40).map(|_| random.word(25)).collect();
        text.push_str(&format!(
            "## Filler {n} {}\n- {}\n  - {}\n",
            words[0],
            words[1..20].join(" "),
            words[20..].join(" ")
        ));
    }
    text
}

/// `notes-bot serve` on a loopback port with its own notes folder.
struct Server {
    serve: Serve,
    dir: PathBuf,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let config = dir.join("config.yaml");
        std::fs::write(
            &config,
            format!(
                "notes_dir: {:?}\ndata_dir: {:?}\ncooldown_seconds: 0\n",
                dir.join("notes"),
                dir.join("data")
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Server {
            serve: Serve::start(Some(&config), &[]),
            dir: dir.to_path_buf(),
        }
    }

    /// Lines logged so far that hold `text`.
    fn count(&self, text: &str) -> usize {
        self.serve
            .logged()
            .lines()
            .filter(|line| line.contains(text))
            .count()
    }

    /// CPU time used so far, user and system.
    fn cpu(&self) -> Duration {
        common::cpu_time(self.serve.child.id())
    }

    /// Resident memory now, in KiB (VmRSS in /proc/<pid>/status).
    fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.serve.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    fn reloads(&self) -> u64 {
        let metrics = get(self.serve.address, "/metrics");
        assert_eq!(metrics.status, 200, "{}", metrics.body);
        metrics
            .body
            .lines()
            .find_map(|line| line.strip_prefix("notes_bot_reloads_total "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no notes_bot_reloads_total in {}", metrics.body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Stopped before its folder goes.
        let _ = self.serve.child.kill();
        let _ = self.serve.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `/<topic> query:<query>` as Discord sends it, signed with the test key.
fn ask(address: SocketAddr, topic: &str, query: &str) -> Answer {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interactions/command_chatgpt_rlhf.json");
    let body = std::fs::read_to_string(&fixture)
        .unwrap_or_else(|e| panic!("{}: {e}", fixture.display()))
        .replace("\"name\": \"chatgpt\"", &format!("\"name\": \"{topic}\""))
        .replace("\"value\": \"rlhf\"", &format!("\"value\": \"{query}\""));
    post(address, body.as_bytes())
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    answered: usize,
    /// A reply naming another section than the one asked for.
    wrong: Vec<String>,
    /// No section for a note that had a good version all along.
    vanished: Vec<String>,
    /// 5xx, another unexpected status, or no response at all.
    failed: Vec<String>,
    /// `gone` while deleted: allowed to find nothing.
    missing_while_deleted: usize,
}

impl Tally {
    /// Asks for one section and files the reply.
    fn check(&mut self, address: SocketAddr, (topic, note): (&str, usize), section: usize) {
        let word = word(note, section);
        let answer = ask(address, topic, &word);
        let what = format!("/{topic} {word}");
        if answer.status != 200 {
            self.failed
                .push(format!("{what}: status {} {}", answer.status, answer.body));
            return;
        }
        let Ok(body) = serde_json::from_str::<Value>(&answer.body) else {
            self.failed.push(format!("{what}: not JSON: {}", answer.body));
            return;
        };
        self.answered += 1;
        match body["data"]["embeds"][0]["title"].as_str() {
            Some(title) if title.contains(&word) => {}
            Some(title) => self.wrong.push(format!("{what}: answered “{title}”")),
            None if topic == GONE.0 => self.missing_while_deleted += 1,
            None => self.vanished.push(format!("{what}: {}", body["data"]["content"])),
        }
    }

    fn merge(&mut self, other: Tally) {
        self.answered += other.answered;
        self.wrong.extend(other.wrong);
        self.vanished.extend(other.vanished);
        self.failed.extend(other.failed);
        self.missing_while_deleted += other.missing_while_deleted;
    }
}

/// The changes the writer makes, one after another, each followed by [`SETTLE`].
struct Writer {
    notes: PathBuf,
    version: usize,
    step: usize,
    moved_to_b: bool,
}

impl Writer {
    fn write(&self, name: &str, text: &[u8]) {
        std::fs::write(self.notes.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    /// Truncates the file, then writes it in three pieces 60 ms apart, as an editor
    /// saving in place or a sync tool does.
    fn write_in_place(&self, name: &str, text: &str) {
        let mut file = std::fs::File::create(self.notes.join(name)).unwrap_or_else(|e| panic!("{e}"));
        // Cut after a line, so each piece is whole UTF-8.
        let cut = |at: usize| text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
        let cuts = [0, cut(text.len() / 3), cut(2 * text.len() / 3), text.len()];
        for piece in cuts.windows(2) {
            std::thread::sleep(Duration::from_millis(60));
            file.write_all(&text.as_bytes()[piece[0]..piece[1]])
                .unwrap_or_else(|e| panic!("{e}"));
            file.flush().unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// One change; returns what it was, for the log of the test.
    fn step(&mut self, gone_exists: &AtomicBool) -> &'static str {
        self.version += 1;
        let version = self.version;
        let step = self.step;
        self.step += 1;
        match step % 9 {
            0 => {
                self.write_in_place("edited.md", &note_text(EDITED, version, 10));
                "edited in place"
            }
            1 => {
                let (from, to) = if self.moved_to_b {
                    ("moved-b.md", "moved-a.md")
                } else {
                    ("moved-a.md", "moved-b.md")
                };
                std::fs::rename(self.notes.join(from), self.notes.join(to)).unwrap_or_else(|e| panic!("{e}"));
                self.moved_to_b = !self.moved_to_b;
                "renamed"
            }
            2 => {
                let good = note_text(BROKEN, version, 10);
                self.write(
                    "broken.md",
                    good.replace("title: broken", "title: [broken").as_bytes(),
                );
                "broken (YAML)"
            }
            3 => {
                self.write("broken.md", note_text(BROKEN, version, 10).as_bytes());
                "fixed"
            }
            4 => {
                gone_exists.store(false, Ordering::SeqCst);
                std::fs::remove_file(self.notes.join("gone.md")).unwrap_or_else(|e| panic!("{e}"));
                "deleted"
            }
            5 => {
                self.write("gone.md", note_text(GONE, version, 10).as_bytes());
                gone_exists.store(true, Ordering::SeqCst);
                "created again"
            }
            6 => {
                let mut bytes = note_text(BROKEN, version, 10).into_bytes();
                bytes.extend_from_slice(b"## Caf\xe9\n- not UTF-8\n");
                self.write("broken.md", &bytes);
                "broken (not UTF-8)"
            }
            7 => {
                // Emptied for less than the hold (3 s): the last version keeps serving.
                self.write("edited.md", b"");
                "emptied"
            }
            _ => {
                self.write("broken.md", note_text(BROKEN, version, 10).as_bytes());
                self.write_in_place("edited.md", &note_text(EDITED, version, 10));
                "fixed and refilled"
            }
        }
    }
}

#[test]
#[ignore = "soak, ~50 s: run by .ci/run"]
fn serve_answers_right_while_notes_change_and_stays_idle_after() {
    let dir = std::env::temp_dir().join(format!("notes-bot-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let notes = dir.join("notes");
    std::fs::create_dir_all(&notes).unwrap_or_else(|e| panic!("{e}"));
    // The stable note is the biggest (~100 KB) so that every reload builds a sizeable index.
    std::fs::write(notes.join("stable.md"), note_text(STABLE, 0, 300)).unwrap_or_else(|e| panic!("{e}"));
    for (name, topic) in [
        ("edited.md", EDITED),
        ("moved-a.md", MOVED),
        ("broken.md", BROKEN),
        ("gone.md", GONE),
    ] {
        std::fs::write(notes.join(name), note_text(topic, 0, 10)).unwrap_or_else(|e| panic!("{e}"));
    }
    let server = Server::start(&dir);
    let address = server.serve.address;
    let started_rss = server.rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let gone_exists = Arc::new(AtomicBool::new(true));
    // Two clients asking for every section of every note in turn.
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                let mut n = client;
                while !stop.load(Ordering::SeqCst) {
                    let topic = TOPICS[n % TOPICS.len()];
                    tally.check(address, topic, (n / TOPICS.len()) % SECTIONS);
                    n += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                tally
            })
        })
        .collect();
    // A reader, as `cat`, a backup job or `notes-bot check` would be.
    let reader = {
        let (stop, notes) = (stop.clone(), notes.clone());
        std::thread::spawn(move || {
            let mut reads = 0usize;
            while !stop.load(Ordering::SeqCst) {
                for entry in std::fs::read_dir(&notes).into_iter().flatten().flatten() {
                    if std::fs::read(entry.path()).is_ok() {
                        reads += 1;
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            reads
        })
    };
    // RSS every 200 ms.
    let samples = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let (stop, samples) = (stop.clone(), samples.clone());
        let pid = server.serve.child.id();
        std::thread::spawn(move || {
            let start = Instant::now();
            while !stop.load(Ordering::SeqCst) {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                let rss: u64 = status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
                    .unwrap_or(0);
                samples
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((start.elapsed(), rss));
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };

    // Churn: one change, then time to reload, again and again.
    let mut writer = Writer {
        notes: notes.clone(),
        version: 0,
        step: 0,
        moved_to_b: false,
    };
    let churn_started = Instant::now();
    let mut changes = Vec::new();
    while churn_started.elapsed() < CHURN {
        changes.push(writer.step(&gone_exists));
        std::thread::sleep(SETTLE);
    }
    // Leave every note good, then let the last reload and any held note settle.
    writer.write("broken.md", note_text(BROKEN, writer.version + 1, 10).as_bytes());
    writer.write_in_place("edited.md", &note_text(EDITED, writer.version + 1, 10));
    if !gone_exists.load(Ordering::SeqCst) {
        writer.write("gone.md", note_text(GONE, writer.version + 1, 10).as_bytes());
    }
    std::thread::sleep(Duration::from_millis(3500));
    let churn_reloads = server.reloads();
    let churn_rss = server.rss_kib();

    // Every section of every note answers right now.
    let mut settled = Tally::default();
    for topic in TOPICS {
        for section in 0..SECTIONS {
            settled.check(address, topic, section);
        }
    }

    // Idle: requests and reads go on, no note changes; nothing may reload.
    std::thread::sleep(IDLE);
    let idle_reloads = server.reloads();
    let reload_lines = server.count("notes reloaded");

    stop.store(true, Ordering::SeqCst);
    let mut tally = Tally::default();
    for client in clients {
        tally.merge(client.join().unwrap_or_else(|_| panic!("a client panicked")));
    }
    let reads = reader.join().unwrap_or_else(|_| panic!("the reader panicked"));
    let _ = sampler.join();
    // The load over, the handler threads sleep: no CPU goes on waiting for work.
    let before = server.cpu();
    std::thread::sleep(QUIET);
    let quiet_cpu = server.cpu().saturating_sub(before);
    let samples = samples.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mib = |kib: u64| kib as f64 / 1024.0;
    // Warm: the most RSS in the first quarter of the churn, after several reloads.
    let warm = samples
        .iter()
        .filter(|(at, _)| *at < CHURN / 4)
        .map(|&(_, rss)| rss)
        .max()
        .unwrap_or(0);
    let peak = samples.iter().map(|&(_, rss)| rss).max().unwrap_or(0);
    let end = samples.last().map_or(0, |&(_, rss)| rss);
    println!(
        "{} changes ({}), {churn_reloads} reloads, {reads} file reads; {} requests answered, \
         {} wrong, {} vanished, {} failed, {} misses while `gone` was deleted; \
         RSS MiB: start {:.1}, warm {:.1}, after churn {:.1}, peak {:.1}, end {:.1}; \
         CPU in {QUIET:?} after the load: {quiet_cpu:?}",
        changes.len(),
        changes.join(", "),
        tally.answered,
        tally.wrong.len(),
        tally.vanished.len(),
        tally.failed.len(),
        tally.missing_while_deleted,
        mib(started_rss),
        mib(warm),
        mib(churn_rss),
        mib(peak),
        mib(end),
    );

    assert!(
        settled.wrong.is_empty() && settled.vanished.is_empty() && settled.failed.is_empty(),
        "after the churn: wrong {:?}, vanished {:?}, failed {:?}",
        settled.wrong,
        settled.vanished,
        settled.failed
    );
    assert!(tally.wrong.is_empty(), "wrong answers: {:?}", tally.wrong);
    assert!(tally.vanished.is_empty(), "notes vanished: {:?}", tally.vanished);
    assert!(tally.failed.is_empty(), "failed requests: {:?}", tally.failed);
    assert!(tally.answered >= 300, "only {} requests answered", tally.answered);
    // Breaking or emptying a note swaps nothing, and the debounce may merge changes, but
    // most changes must have been loaded, or this test proved nothing.
    assert!(
        churn_reloads as usize >= changes.len() / 3,
        "{churn_reloads} reloads for {} changes",
        changes.len()
    );
    assert_eq!(idle_reloads, churn_reloads, "reloaded while idle");
    assert!(
        quiet_cpu <= Duration::from_millis(100),
        "{quiet_cpu:?} of CPU in {QUIET:?} without requests"
    );
    assert_eq!(reload_lines as u64, idle_reloads, "log and metrics disagree");
    assert!(
        peak <= warm + 16 * 1024,
        "RSS grew from {:.1} MiB to {:.1} MiB",
        mib(warm),
        mib(peak)
    );
    assert!(
        end <= warm + 12 * 1024,
        "RSS ended at {:.1} MiB, {:.1} MiB when warm",
        mib(end),
        mib(warm)
    );
}
