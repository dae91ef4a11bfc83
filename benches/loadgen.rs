//! Load generator for the HTTP interactions endpoint: pre-signed interactions over loopback
//! with N keep-alive connections; reports requests/s and latency percentiles.
//!
//!     cargo bench --bench loadgen                 # 64 connections, 5 s per scenario
//!     cargo bench --bench loadgen -- 16 10        # 16 connections, 10 s
//!     NOTES_BOT_REDIS_URL=redis://127.0.0.1:6379 cargo bench --bench loadgen   # state in Redis
//!
//! Each command comes from a member not seen for longer than the cooldown (1 s), so each
//! claims its cooldown and is answered: in memory, or in Redis with `NOTES_BOT_REDIS_URL`,
//! as `serve` would.
//!
//! The server runs in this process on its own 1-thread runtime (the machine has 2 cores:
//! one for the server, one for the load), so figures are for a single server core.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use notes_bot::bot::App;
use notes_bot::bot::endpoint::{self, Endpoint};
use notes_bot::bot::shared::Shared;
use notes_bot::config::Config;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use shipped_queries::SHIPPED_QUERIES;

#[path = "common/shipped_queries.rs"]
mod shipped_queries;
#[path = "../tests/common/signing.rs"]
mod signing;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Commands signed, each from its own member: a member asks again only after this many
/// requests, longer than the cooldown below 20,000 requests/s.
const MEMBERS: usize = 20_000;

fn start_server(config: Config) -> SocketAddr {
    let public = signing::public_hex();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let (mut app, _) = App::load(config).expect("notes");
            if app.config.state.redis_url.is_some() {
                let shared = Shared::start(&app.config.state, "loadgen").expect("Redis state");
                app.handler.use_state(Arc::new(shared));
            }
            let app = Arc::new(app);
            let verifier = endpoint::verifier(&public).expect("key");
            let state = Arc::new(
                Endpoint::new(
                    app,
                    verifier,
                    300,
                    notes_bot::bot::webhook::Webhooks::new("http://127.0.0.1:1").expect("HTTP client"),
                )
                .expect("handler threads"),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let _ = sender.send(listener.local_addr().expect("address"));
            let _ = endpoint::serve(listener, state, std::future::pending()).await;
        });
    });
    receiver.recv().expect("server address")
}

/// Complete HTTP requests, signed once up front.
fn signed_requests(bodies: &[String]) -> Vec<Vec<u8>> {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .to_string();
    bodies
        .iter()
        .map(|body| {
            let signature = signing::signature(&timestamp, body.as_bytes());
            let mut request = format!(
                "POST /interactions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nX-Signature-Ed25519: {signature}\r\nX-Signature-Timestamp: {timestamp}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            request.extend_from_slice(body.as_bytes());
            request
        })
        .collect()
}

async fn connection(
    address: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    offset: usize,
    stride: usize,
    until: Instant,
) -> (Vec<Duration>, usize) {
    let mut times = Vec::new();
    let mut errors = 0;
    let Ok(stream) = TcpStream::connect(address).await else {
        return (times, 1);
    };
    let _ = stream.set_nodelay(true);
    let mut stream = BufReader::new(stream);
    let mut n = offset;
    let mut line = String::new();
    while Instant::now() < until {
        // Connections take turns through the requests: none is sent twice in a round.
        let request = &requests[n % requests.len()];
        n += stride;
        let started = Instant::now();
        if stream.get_mut().write_all(request).await.is_err() {
            errors += 1;
            break;
        }
        let mut length = 0;
        let mut ok = false;
        loop {
            line.clear();
            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                return (times, errors + 1);
            }
            if line.starts_with("HTTP/1.1 ") {
                ok = line.starts_with("HTTP/1.1 200");
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        if stream.read_exact(&mut body).await.is_err() {
            return (times, errors + 1);
        }
        times.push(started.elapsed());
        // A cooldown refusal would mean a member asked twice: not the load it claims to be.
        let refused = body.windows(9).any(|w| w == b"Slow down");
        errors += usize::from(!ok || refused);
    }
    (times, errors)
}

fn scenario(name: &str, address: SocketAddr, requests: Vec<Vec<u8>>, connections: usize, seconds: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let requests = Arc::new(requests);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|c| tokio::spawn(connection(address, requests.clone(), c, connections, until)))
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            if let Ok(result) = task.await {
                all.push(result);
            }
        }
        all
    });
    let elapsed = started.elapsed().as_secs_f64();
    let errors: usize = results.iter().map(|(_, e)| e).sum();
    let mut times: Vec<Duration> = results.into_iter().flat_map(|(t, _)| t).collect();
    times.sort_unstable();
    let pick = |p: f64| {
        times
            .get(((times.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "| {name} | {connections} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {errors} |",
        times.len(),
        times.len() as f64 / elapsed,
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.99).as_secs_f64() * 1e3,
        pick(0.999).as_secs_f64() * 1e3,
    );
}

fn main() {
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let connections = numbers.first().copied().unwrap_or(64) as usize;
    let seconds = numbers.get(1).copied().unwrap_or(5);
    let config = Config {
        notes_dir: root().join("notes"),
        cooldown_seconds: 1,
        ..Config::default()
    }
    .with_redis_url(&std::env::var("NOTES_BOT_REDIS_URL").unwrap_or_default())
    .expect("NOTES_BOT_REDIS_URL");
    match &config.state.redis_url {
        Some(url) => println!("state: Redis at {}", url.location()),
        None => println!("state: in process"),
    }
    let address = start_server(config);
    let fixture = |name: &str| {
        std::fs::read_to_string(root().join("tests/fixtures/interactions").join(name)).expect("fixture")
    };
    let ping = vec![fixture("ping.json")];
    let command = fixture("command_chatgpt_rlhf.json");
    let commands: Vec<String> = (0..MEMBERS)
        .map(|member| {
            let query = SHIPPED_QUERIES[member % SHIPPED_QUERIES.len()];
            command
                .replace("1180000000000000500", &format!("{}", 1_000_000 + member))
                .replace(
                    "\"value\": \"rlhf\"",
                    &format!("\"value\": {}", serde_json::Value::from(query)),
                )
        })
        .collect();
    let autocomplete = fixture("autocomplete_chatgpt_rl.json");
    let typing: Vec<String> = [
        "r", "rl", "rlh", "思", "思维", "gp", "trans", "成本", "open", "62",
    ]
    .iter()
    .map(|q| {
        autocomplete.replace(
            "\"value\": \"rl\"",
            &format!("\"value\": {}", serde_json::Value::from(*q)),
        )
    })
    .collect();
    println!("| scenario | connections | requests | requests/s | p50 ms | p99 ms | p99.9 ms | errors |");
    println!("|---|---|---|---|---|---|---|---|");
    scenario("PING", address, signed_requests(&ping), connections, seconds);
    scenario(
        "/chatgpt query:… (24 queries, a member each)",
        address,
        signed_requests(&commands),
        connections,
        seconds,
    );
    scenario(
        "autocomplete (10 prefixes)",
        address,
        signed_requests(&typing),
        connections,
        seconds,
    );
}
