//! Replicas sharing state in Redis: the real binary twice (`serve`), a real `redis-server`
//! on a free port (Debian's package; `.ci/run` installs it), signed requests over loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::serve::{self, Serve};

/// The counter a miss of "pizza recipe" in /chatgpt adds to, in the fixtures' server.
const PIZZA: &str = "missed\tchatgpt@1180000000000000100\tpizza recipe";
const ADA: &str = "1180000000000000500";

/// One test at a time: each runs a Redis and up to two replicas, and on a busy two-core
/// machine four such sets at once make Redis answers late enough to count as outages.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notes-bot-redis-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A `redis-server` of its own, append-only with fsync on every write, so a kill loses
/// nothing it acknowledged.
struct Redis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Redis {
    fn start(name: &str) -> Redis {
        let mut redis = Redis {
            port: free_port(),
            dir: scratch(&format!("{name}-server")),
            child: None,
        };
        redis.restart();
        redis
    }

    fn restart(&mut self) {
        let log = self.dir.join("redis.log");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server ({e}); apt-get install redis-server"));
        self.child = Some(child);
        let started = Instant::now();
        while self.command(&["PING"]).as_deref() != Some("+PONG") {
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || started.elapsed() > Duration::from_secs(30) {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!(
                    "redis-server did not start on port {} ({exited:?}):\n{log}",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no goodbye to the clients.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// One command in RESP; the first line of the reply (and the next, for a bulk string).
    fn command(&self, args: &[&str]) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).ok()?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end().to_string();
        if line.starts_with('$') && line != "$-1" {
            let mut value = String::new();
            reader.read_line(&mut value).ok()?;
            return Some(value.trim_end().to_string());
        }
        Some(line)
    }

    /// A counter of the shared gap counts (0 when absent).
    fn gap_count(&self, field: &str) -> u64 {
        self.command(&["HGET", "notes-bot:count:gaps", field])
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One `notes-bot serve`, named by its HOSTNAME.
struct Replica(Serve);

impl Replica {
    /// With `timeout_ms` for Redis (the default 250 ms is tight on a busy CI machine, where
    /// a late answer would count as an outage; a killed Redis fails at once anyway).
    fn start(
        host: &str,
        data_dir: &Path,
        redis_url: &str,
        cooldown_seconds: u64,
        timeout_ms: u64,
    ) -> Replica {
        let config = data_dir.parent().unwrap_or(data_dir).join(format!("{host}.yaml"));
        let text = format!(
            "notes_dir: {:?}\ndata_dir: {:?}\ncooldown_seconds: {cooldown_seconds}\nstate:\n  timeout_ms: {timeout_ms}\n",
            root().join("notes"),
            data_dir
        );
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
        let env = [("NOTES_BOT_REDIS_URL", redis_url), ("HOSTNAME", host)];
        let replica = Replica(Serve::start(Some(&config), &env));
        // Connected to Redis before the test goes on (a busy machine can take seconds).
        if !eventually(Duration::from_secs(30), || replica.healthz().1 == "ok\n") {
            panic!("{host} never reached Redis:\n{}", replica.logged());
        }
        replica
    }

    fn logged(&self) -> String {
        self.0.logged()
    }

    /// A signed interaction; the status and the body.
    fn post(&self, body: &str) -> (u16, String) {
        let answer = serve::post(self.0.address, body.as_bytes());
        (answer.status, answer.body)
    }

    fn healthz(&self) -> (u16, String) {
        let answer = serve::get(self.0.address, "/healthz");
        (answer.status, answer.body)
    }
}

fn fixture(name: &str) -> String {
    let path = root().join("tests/fixtures/interactions").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An interaction from member `user` (the fixtures are all from Ada).
fn from(user: &str, name: &str) -> String {
    fixture(name).replace(ADA, user)
}

/// The content of a message response (type 4), or what the body was.
fn content(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    match value["data"]["content"].as_str() {
        Some(text) => text.to_string(),
        None => format!("(no content) {body}"),
    }
}

fn refused_for_cooldown(body: &str) -> bool {
    content(body).contains("Slow down")
}

/// Polls `check` for up to `limit`.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
#[ignore = "needs redis-server"]
fn two_replicas_share_a_members_cooldown_and_the_gaps() {
    let _serial = one_at_a_time();
    let redis = Redis::start("share");
    let dir = scratch("share");
    // One data folder for both, as on a shared volume.
    let data = dir.join("data");
    let a = Replica::start("replica-a", &data, &redis.url(), 30, 3000);
    let b = Replica::start("replica-b", &data, &redis.url(), 30, 3000);

    let (status, first) = a.post(&from("1000000000000000001", "command_chatgpt_rlhf.json"));
    assert_eq!(status, 200, "{first}");
    assert!(
        !refused_for_cooldown(&first),
        "the first ask is answered: {first}"
    );
    let (status, again) = b.post(&from("1000000000000000001", "command_chatgpt_rlhf.json"));
    assert_eq!(status, 200, "{again}");
    assert!(
        refused_for_cooldown(&again),
        "replica B knows the member asked on A: {}",
        content(&again)
    );
    println!("B to the same member: {}", content(&again));
    let (_, other) = b.post(&from("1000000000000000002", "command_chatgpt_rlhf.json"));
    assert!(!refused_for_cooldown(&other), "another member is not held back");

    let (status, missed) = a.post(&from("1000000000000000003", "command_chatgpt_nomatch.json"));
    assert_eq!(status, 200, "{missed}");
    let (mut gaps, mut asker) = (String::new(), 1000000000000000100u64);
    let shown = eventually(Duration::from_secs(20), || {
        // Another admin each time: /gaps has a cooldown too.
        asker += 1;
        gaps = content(&b.post(&from(&asker.to_string(), "command_gaps.json")).1);
        gaps.contains("pizza recipe")
    });
    assert!(
        shown,
        "/gaps on B shows the miss asked on A: {gaps}\nA: {}\nB: {}\nRedis: {}",
        a.logged(),
        b.logged(),
        redis.gap_count(PIZZA)
    );
    assert!(gaps.contains("1 unanswered"), "{gaps}");
    println!("/gaps on B: {gaps:?}");
    assert_eq!(redis.gap_count(PIZZA), 1);
    // The command line reads the same counts.
    let cli = Command::new(env!("CARGO_BIN_EXE_notes-bot"))
        .args(["gaps", "--json", "--config"])
        .arg(dir.join("replica-b.yaml"))
        .env("NOTES_BOT_REDIS_URL", redis.url())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let printed = String::from_utf8_lossy(&cli.stdout);
    assert!(
        cli.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let printed: serde_json::Value = serde_json::from_str(&printed).unwrap_or_default();
    assert_eq!(printed["gaps"][0]["query"], "pizza recipe", "{printed}");
    assert_eq!(printed["gaps"][0]["missed"], 1, "{printed}");

    // Each replica beats under its own name, in the shared folder and in Redis.
    for host in ["replica-a", "replica-b"] {
        assert!(
            data.join(format!("heartbeat.{host}")).exists(),
            "heartbeat.{host}"
        );
        let beat = eventually(Duration::from_secs(10), || {
            redis
                .command(&["GET", &format!("notes-bot:heartbeat:{host}")])
                .is_some_and(|v| v.starts_with("serve 127.0.0.1:"))
        });
        assert!(beat, "{host}'s heartbeat key");
    }
    let (status, health) = a.healthz();
    assert_eq!((status, health.as_str()), (200, "ok\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs redis-server"]
fn redis_killed_mid_run_answers_go_on_and_counts_resume_once() {
    let _serial = one_at_a_time();
    let mut redis = Redis::start("outage");
    let dir = scratch("outage");
    let a = Replica::start("replica-a", &dir.join("data"), &redis.url(), 30, 3000);
    // Each by another member: the cooldown holds one member back.
    let ask_pizza = |replica: &Replica, members: std::ops::Range<u32>| {
        for i in members {
            let user = format!("20000000000000{i:05}");
            let started = Instant::now();
            let (status, body) = replica.post(&from(&user, "command_chatgpt_nomatch.json"));
            assert_eq!(status, 200, "{body}");
            assert!(content(&body).contains("pizza recipe"), "{body}");
            let took = started.elapsed();
            // Discord waits 3 s; a debug build on a busy CI machine gets some slack.
            assert!(took < Duration::from_secs(5), "answered late: {took:?}");
        }
    };
    ask_pizza(&a, 0..3);
    assert!(eventually(Duration::from_secs(20), || redis.gap_count(PIZZA) == 3));

    redis.kill();
    ask_pizza(&a, 3..7);
    // The cooldown falls back to this replica's memory.
    let (_, first) = a.post(&from("1000000000000000009", "command_chatgpt_rlhf.json"));
    let (_, again) = a.post(&from("1000000000000000009", "command_chatgpt_rlhf.json"));
    assert!(
        !refused_for_cooldown(&first) && refused_for_cooldown(&again),
        "{again}"
    );
    let (status, health) = a.healthz();
    assert_eq!(status, 200, "{health}");
    assert!(health.starts_with("degraded: Redis at 127.0.0.1:"), "{health}");
    println!("/healthz during the outage: {health:?}");
    // Docker's HEALTHCHECK: the heartbeat file of this host, still healthy, says degraded.
    let check = Command::new(env!("CARGO_BIN_EXE_notes-bot"))
        .args(["health", "--config"])
        .arg(dir.join("replica-a.yaml"))
        .env("HOSTNAME", "replica-a")
        .env_remove("NOTES_BOT_REDIS_URL")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(said.contains("degraded: Redis at 127.0.0.1:"), "{said}");
    println!("notes-bot health: {}", said.trim());
    let (_, gaps) = a.post(&from("1000000000000000004", "command_gaps.json"));
    assert!(
        content(&gaps).contains("4 unanswered"),
        "counted here meanwhile: {}",
        content(&gaps)
    );

    redis.restart();
    let resumed = eventually(Duration::from_secs(20), || redis.gap_count(PIZZA) == 7);
    assert!(resumed, "counts after the restart: {}", redis.gap_count(PIZZA));
    // Flushes go on for a while: still 7, nothing counted twice.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(redis.gap_count(PIZZA), 7);
    assert!(eventually(Duration::from_secs(20), || a.healthz().1 == "ok\n"));
    let log = a.logged();
    let warnings = log.matches("Redis is unreachable or slow").count();
    assert_eq!(warnings, 1, "one warning per outage:\n{log}");
    assert!(log.contains("Redis is reachable again"), "{log}");
    assert!(!log.contains("redis://"), "the URL is never logged:\n{log}");
    println!(
        "{}",
        log.lines()
            .filter(|l| l.contains("Redis"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs redis-server"]
fn counts_whose_reply_came_too_late_are_not_counted_twice() {
    let _serial = one_at_a_time();
    let redis = Redis::start("late");
    let dir = scratch("late");
    let a = Replica::start("replica-a", &dir.join("data"), &redis.url(), 30, 250);
    let ask = |user: &str| {
        let (status, body) = a.post(&from(user, "command_chatgpt_nomatch.json"));
        assert_eq!(status, 200, "{body}");
        assert!(content(&body).contains("pizza recipe"), "{body}");
    };
    ask("3000000000000000001");
    assert!(eventually(Duration::from_secs(20), || redis.gap_count(PIZZA) == 1));
    // Writes wait 1.5 s: the replica gives up on its batch after 250 ms and sends it again
    // later, while Redis still runs the first one when the pause ends.
    assert_eq!(
        redis.command(&["CLIENT", "PAUSE", "1500", "WRITE"]).as_deref(),
        Some("+OK")
    );
    ask("3000000000000000002");
    ask("3000000000000000003");
    std::thread::sleep(Duration::from_secs(4));
    assert!(eventually(Duration::from_secs(20), || redis.gap_count(PIZZA) == 3));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(redis.gap_count(PIZZA), 3, "each miss counted once");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The custom_id of the button showing `emoji` (or labelled so) in a message response.
fn button_id(answer: &serde_json::Value, shown: &str) -> String {
    let rows = answer["data"]["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|c| c["emoji"]["name"] == shown || c["label"] == shown)
        .and_then(|c| c["custom_id"].as_str().map(str::to_string))
        .unwrap_or_default()
}

#[test]
#[ignore = "needs redis-server"]
fn a_members_vote_counts_once_whichever_replica_gets_it() {
    let _serial = one_at_a_time();
    let redis = Redis::start("votes");
    let dir = scratch("votes");
    let data = dir.join("data");
    let a = Replica::start("replica-a", &data, &redis.url(), 30, 3000);
    let b = Replica::start("replica-b", &data, &redis.url(), 30, 3000);
    let (_, answer) = a.post(&fixture("command_chatgpt_rlhf.json"));
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    let (up, down, next) = (
        button_id(&answer, "👍"),
        button_id(&answer, "👎"),
        button_id(&answer, "▶"),
    );
    assert!(!down.is_empty(), "{answer}");
    let click = |member: &str| {
        fixture("component_vote.json")
            .replace("PLACEHOLDER_CLICKED", &down)
            .replace("PLACEHOLDER_BUTTON", &next)
            .replace("PLACEHOLDER_UP", &up)
            .replace("PLACEHOLDER_DOWN", &down)
            .replace(
                "\"id\": \"1180000000000000500\",\n      \"public_flags\"",
                &format!("\"id\": \"{member}\",\n      \"public_flags\""),
            )
    };
    let first = content(&a.post(&click("4000000000000000001")).1);
    assert!(first.contains("👎 counted"), "{first}");
    let again = content(&b.post(&click("4000000000000000001")).1);
    assert_eq!(again, "Your vote on this answer is already counted.");
    let other = content(&b.post(&click("4000000000000000002")).1);
    assert!(other.contains("👎 counted"), "{other}");
    let (mut gaps, mut asker) = (String::new(), 4000000000000000100u64);
    let shown = eventually(Duration::from_secs(20), || {
        asker += 1;
        gaps = content(&a.post(&from(&asker.to_string(), "command_gaps.json")).1);
        gaps.contains("👎 2 · 👍 0 · /chatgpt")
    });
    assert!(shown, "/gaps on A counts both replicas' votes once each: {gaps}");
    println!("/gaps on A: {gaps:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A flood of distinct questions cannot grow the shared gap counts without bound: past
/// 20,000 counters the rarest go until 15,000 are left, the most asked stay, and a flood
/// in one server does not push out what was asked in another; a counter that is no number
/// (set by hand) is trimmed as 0, not an outage.
#[test]
#[ignore = "needs redis-server"]
fn the_shared_gap_counts_are_trimmed_to_the_most_asked() {
    let _serial = one_at_a_time();
    let redis = Redis::start("trim");
    let dir = scratch("trim");
    // 20,000 rare counters and one asked often, as a long flood would leave them; and
    // one question asked once in a quiet server, rarer than every one of the flood.
    let mut args: Vec<String> = vec!["HSET".into(), "notes-bot:count:gaps".into()];
    for n in 0..20_000 {
        args.push(format!("missed\tchatgpt@1180000000000000100\tjunk {n}"));
        args.push("2".into());
    }
    args.push(PIZZA.into());
    args.push("50".into());
    let quiet = "missed\tchatgpt@1180000000000000200\tquiet question";
    args.push(quiet.into());
    args.push("1".into());
    // And one a hand set to no number: the trim counts it as 0.
    args.push("missed\tchatgpt@1180000000000000100\tby hand".into());
    args.push("many".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(redis.command(&args).as_deref(), Some(":20003"));
    let replica = Replica::start("replica-trim", &dir.join("data"), &redis.url(), 0, 3000);
    let (status, _) = replica.post(&from("1000000000000000003", "command_chatgpt_nomatch.json"));
    assert_eq!(status, 200);
    let length = || {
        (redis.command(&["HLEN", "notes-bot:count:gaps"]))
            .and_then(|v| v.trim_start_matches(':').parse::<usize>().ok())
            .unwrap_or(0)
    };
    let trimmed = eventually(Duration::from_secs(20), || length() == 15_000);
    assert!(trimmed, "{} counters\n{}", length(), replica.logged());
    assert_eq!(
        redis.gap_count(PIZZA),
        51,
        "the most asked stays, with the new miss"
    );
    assert_eq!(redis.gap_count(quiet), 1, "the quiet server's question stays");
    // Logged after Redis answered the trim, which the test may have seen first.
    let logged = eventually(Duration::from_secs(5), || {
        replica.logged().contains("the rarest counters left Redis")
    });
    assert!(logged, "{}", replica.logged());
    let _ = std::fs::remove_dir_all(&dir);
}
