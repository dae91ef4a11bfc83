//! What one interaction costs the endpoint outside HTTP, stage by stage, on one thread:
//! the signature check, parsing the JSON into serenity's `Interaction` as the endpoint does
//! (`endpoint::parse`: its type peeked at, then the typed interaction), the handler
//! (cooldown, search, focus, reply, render) and encoding the response; for PING and for
//! the loadgen's command mix (the same 24 queries, each command from a new member).
//!
//!     cargo bench --bench reply           # 7 rounds of 4,800 commands
//!     cargo bench --bench reply -- 15     # 15 rounds
//!
//! Prints the median over rounds of each stage's mean time per interaction, in µs; then
//! what a `/sources` page click costs the handler at 100k sections (each page kept from
//! the first `/sources`), beside what making the pages afresh costs, as every click did;
//! then what the reply to a row of a table 50,000 rows long costs (a hostile note).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use notes_bot::bot::App;
use notes_bot::bot::endpoint;
use notes_bot::config::Config;
use shipped_queries::SHIPPED_QUERIES;

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/shipped_queries.rs"]
mod shipped_queries;
#[path = "../tests/common/signing.rs"]
mod signing;

/// Commands per round: each query 200 times, each from its own member.
const PER_ROUND: usize = 4_800;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Default, Clone, Copy)]
struct Stages {
    verify: Duration,
    parse: Duration,
    handle: Duration,
    encode: Duration,
}

impl Stages {
    fn total(&self) -> Duration {
        self.verify + self.parse + self.handle + self.encode
    }
}

/// Runs every body through the endpoint's stages; the mean time of each per body.
fn round(
    app: &App,
    verifier: &serenity::interactions_endpoint::Verifier,
    signed: &[(String, String)],
) -> Stages {
    let timestamp = "1700000000";
    let mut stages = Stages::default();
    let mut bytes = 0;
    for (body, signature) in signed {
        let started = Instant::now();
        let verified = verifier.verify(signature, timestamp, body.as_bytes()).is_ok();
        let verified_at = Instant::now();
        let interaction = endpoint::parse(body.as_bytes()).expect("an interaction");
        let parsed = Instant::now();
        let outcome = app.handle(&interaction);
        let handled = Instant::now();
        let encoded = endpoint::response_body(&outcome.response).expect("encodes");
        let done = Instant::now();
        assert!(verified, "signature");
        assert!(
            !encoded.windows(9).any(|w| w == b"Slow down"),
            "a member asked twice"
        );
        bytes += encoded.len();
        stages.verify += verified_at - started;
        stages.parse += parsed - verified_at;
        stages.handle += handled - parsed;
        stages.encode += done - handled;
    }
    std::hint::black_box(bytes);
    let n = signed.len().max(1) as u32;
    Stages {
        verify: stages.verify / n,
        parse: stages.parse / n,
        handle: stages.handle / n,
        encode: stages.encode / n,
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn main() {
    let rounds = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(7)
        .max(1);
    let config = Config {
        notes_dir: root().join("notes"),
        cooldown_seconds: 1,
        data_dir: std::env::temp_dir().join(format!("notes-bot-reply-bench-{}", std::process::id())),
        ..Config::default()
    };
    let (app, _) = App::load(config).expect("notes");
    let verifier = endpoint::verifier(&signing::public_hex()).expect("key");
    let sign = |body: String| {
        let signature = signing::signature("1700000000", body.as_bytes());
        (body, signature)
    };
    let fixture = |name: &str| {
        std::fs::read_to_string(root().join("tests/fixtures/interactions").join(name)).expect("fixture")
    };
    let ping: Vec<(String, String)> = (0..PER_ROUND).map(|_| sign(fixture("ping.json"))).collect();
    let command = fixture("command_chatgpt_rlhf.json");
    // A new member for every command of every round: none meets its cooldown.
    let mut member = 0usize;
    let mut commands = || -> Vec<(String, String)> {
        (0..PER_ROUND)
            .map(|i| {
                member += 1;
                let query = SHIPPED_QUERIES[i % SHIPPED_QUERIES.len()];
                sign(
                    command
                        .replace("1180000000000000500", &format!("{}", 1_000_000 + member))
                        .replace(
                            "\"value\": \"rlhf\"",
                            &format!("\"value\": {}", serde_json::Value::from(query)),
                        ),
                )
            })
            .collect()
    };
    let batches: Vec<Vec<(String, String)>> = (0..rounds + 1).map(|_| commands()).collect();
    // One round to warm up, then the measured ones, PING and commands alternating.
    round(&app, &verifier, &batches[0]);
    let (mut pings, mut asked) = (Vec::new(), Vec::new());
    for batch in &batches[1..] {
        pings.push(round(&app, &verifier, &ping));
        asked.push(round(&app, &verifier, batch));
    }
    let column =
        |all: &[Stages], stage: fn(&Stages) -> Duration| micros(median(all.iter().map(stage).collect()));
    println!("| interaction | verify µs | parse µs | handle µs | encode µs | total µs | rounds |");
    println!("|---|---|---|---|---|---|---|");
    for (name, all) in [("PING", &pings), ("/chatgpt query:… (24 queries)", &asked)] {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {rounds} |",
            column(all, |s| s.verify),
            column(all, |s| s.parse),
            column(all, |s| s.handle),
            column(all, |s| s.encode),
            column(all, Stages::total),
        );
    }
    source_page_clicks(rounds);
    long_table_reply(rounds);
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("notes-bot-reply-bench-{}", std::process::id())),
    );
}

/// A `/sources` page click at 100k sections, against making every page afresh.
fn source_page_clicks(rounds: usize) {
    const CLICKS: usize = 20;
    let config = Config {
        notes_dir: corpus::generated_dir(100_000),
        data_dir: std::env::temp_dir().join(format!("notes-bot-reply-bench-{}", std::process::id())),
        ..Config::default()
    };
    let (app, _) = App::load(config).expect("notes");
    let fixture = |name: &str| {
        std::fs::read_to_string(root().join("tests/fixtures/interactions").join(name)).expect("fixture")
    };
    let listed =
        app.handle(&endpoint::parse(fixture("command_sources.json").as_bytes()).expect("an interaction"));
    let listed = serde_json::to_value(&listed.response).expect("encodes");
    let next = listed["data"]["components"][0]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|button| button["label"] == "▶")
        .and_then(|button| button["custom_id"].as_str())
        .expect("a ▶ button")
        .to_string();
    let click = fixture("component_button_next.json").replace("PLACEHOLDER_BUTTON", &next);
    let click = endpoint::parse(click.as_bytes()).expect("an interaction");
    let index = app.index();
    let page_chars = Config::default().layout().page_chars;
    let (mut kept, mut afresh) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..CLICKS {
            std::hint::black_box(app.handle(&click));
        }
        kept.push(started.elapsed() / CLICKS as u32);
        let started = Instant::now();
        for _ in 0..CLICKS {
            let sources = notes_bot::reply::sources(index.library(), None);
            std::hint::black_box(notes_bot::reply::source_pages(&sources, page_chars));
        }
        afresh.push(started.elapsed() / CLICKS as u32);
    }
    let (kept, afresh) = (median(kept), median(afresh));
    println!();
    println!(
        "| /sources page click, {} sections | µs | rounds |",
        index.library().section_count()
    );
    println!("|---|---|---|");
    println!("| the handler, pages kept | {} | {rounds} |", micros(kept));
    println!(
        "| every page made afresh (each click before) | {} | {rounds} |",
        micros(afresh)
    );
    println!(
        "| ratio | {:.1}× | |",
        afresh.as_secs_f64() / kept.as_secs_f64().max(1e-9)
    );
}

/// The reply to a row of a table 50,000 rows long (1 MB, under the note size cap): laid out
/// in its hundreds of pages, each of which repeats the table's header, and its first and
/// last pages written.
fn long_table_reply(rounds: usize) {
    use notes_bot::notes::{self, Labels};
    use notes_bot::reply::{Layout, Reply};
    use notes_bot::search::Index;
    let rows: String = (0..50_000).map(|n| format!("| r{n} | v{n} |\n")).collect();
    let markdown = format!("# Big\n\n| name | value |\n|---|---|\n{rows}");
    let note =
        notes::parse_note(std::path::Path::new("big.md"), &markdown, &Labels::default()).expect("a note");
    let index = Index::build(notes::Library::from(vec![note]), &Default::default());
    let hit = index.search("r5000", None, 1).into_iter().next().expect("a hit");
    let layout = Layout::default();
    let mut took = Vec::new();
    let mut pages = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let reply = Reply::for_hit(index.library(), &hit, &layout).expect("a reply");
        std::hint::black_box((reply.page(0), reply.page(usize::MAX)));
        took.push(started.elapsed());
        pages = reply.page_count();
    }
    println!();
    println!("| reply to a row of a 50,000-row table | µs | pages | rounds |");
    println!("|---|---|---|---|");
    println!(
        "| laid out, first and last page written | {} | {pages} | {rounds} |",
        micros(median(took))
    );
}
