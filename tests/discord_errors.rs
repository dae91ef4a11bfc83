//! What the bot does when Discord says no: a fake Discord REST API (axum) answers with a
//! rejected token, rate limits and server errors.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use notes_bot::bot::webhook::Webhooks;
use serenity::all::{CreateInteractionResponse, CreateInteractionResponseMessage, InteractionId};

const TOKEN: &str = "aW50ZXJhY3Rpb246c2VjcmV0LXRva2Vu";

/// What the fake Discord answers for the application (`GET /oauth2/applications/@me`).
const APPLICATION: &str = r#"{"id": "42", "name": "notes-bot", "icon": null, "description": "", "bot_public": true,
    "bot_require_code_grant": false, "verify_key": "00", "team": null, "flags": 0}"#;
/// A bot token serenity accepts as well-formed; no Discord ever sees it.
const BOT_TOKEN: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB";

/// One request the fake received: method, path, and when.
#[derive(Debug, Clone)]
struct Call {
    method: String,
    path: String,
    at: Instant,
    authorization: bool,
}

type Script = dyn Fn(usize, &Method, &str) -> (u16, String) + Send + Sync;

/// Serves `script(n, method, path)` → (status, JSON body) for the n-th request (from 0).
async fn fake_discord(
    script: impl Fn(usize, &Method, &str) -> (u16, String) + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Call>>>) {
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let script: Arc<Script> = Arc::new(script);
    let seen = calls.clone();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let (seen, script) = (seen.clone(), script.clone());
        async move {
            let n = {
                let mut calls = seen.lock().unwrap_or_else(|p| p.into_inner());
                calls.push(Call {
                    method: method.to_string(),
                    path: uri.path().to_string(),
                    at: Instant::now(),
                    authorization: headers.contains_key("authorization"),
                });
                calls.len() - 1
            };
            let (status, body) = script(n, &method, uri.path());
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let response: Response = (status, [("content-type", "application/json")], body).into_response();
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), calls)
}

fn calls(calls: &Mutex<Vec<Call>>) -> Vec<Call> {
    calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

fn response() -> CreateInteractionResponse {
    CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content("hello"))
}

fn rate_limited(seconds: f64) -> (u16, String) {
    (
        429,
        format!(r#"{{"message": "You are being rate limited.", "retry_after": {seconds}, "global": false}}"#),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_a_callback_is_retried_when_retry_after_fits_the_3_s_window() {
    let (discord, seen) = fake_discord(|n, _, _| {
        if n == 0 {
            rate_limited(0.3)
        } else {
            (204, String::new())
        }
    })
    .await;
    let webhooks = Webhooks::new(&discord).unwrap_or_else(|e| panic!("{e}"));
    let received = Instant::now();
    let sent = webhooks
        .callback(InteractionId::new(123), TOKEN, &response(), received)
        .await;
    assert!(sent.is_ok(), "{sent:?}");
    let seen = calls(&seen);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|c| c.method == "POST" && c.path == format!("/api/v10/interactions/123/{TOKEN}/callback"))
    );
    assert!(
        seen.iter().all(|c| !c.authorization),
        "interaction-token calls carry no bot token"
    );
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_millis(300), "retried after {waited:?}");
    assert!(received.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_whose_retry_after_misses_the_window_is_not_retried_and_says_why() {
    // Too long a wait from the start, and a short wait that comes too late.
    let arrived_long_ago = Instant::now()
        .checked_sub(Duration::from_millis(2_900))
        .unwrap_or_else(Instant::now);
    for (retry_after, received) in [(5.0, Instant::now()), (0.3, arrived_long_ago)] {
        let (discord, seen) = fake_discord(move |_, _, _| rate_limited(retry_after)).await;
        let webhooks = Webhooks::new(&discord).unwrap_or_else(|e| panic!("{e}"));
        let started = Instant::now();
        let error = webhooks
            .callback(InteractionId::new(123), TOKEN, &response(), received)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_else(|| panic!("a 429 past the window must be an error"));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "it waited: {:?}",
            started.elapsed()
        );
        assert_eq!(calls(&seen).len(), 1);
        assert!(
            error.starts_with("POST /api/v10/interactions/123/…/callback answered 429"),
            "{error}"
        );
        assert!(error.contains("3 s window"), "{error}");
        assert!(!error.contains(TOKEN), "{error}");
    }
}

/// A callback that got no answer says why: "connection refused" here (it said only "error
/// sending request for url (…)", the same for a refusal and a 15 s timeout).
#[tokio::test]
async fn a_callback_without_an_answer_names_the_cause() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    drop(listener);
    let webhooks = Webhooks::new(&format!("http://{address}")).unwrap_or_else(|e| panic!("{e}"));
    let error = webhooks
        .callback(InteractionId::new(123), TOKEN, &response(), Instant::now())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("nothing listens there"));
    assert!(
        error.starts_with("POST /api/v10/interactions/123/…/callback: connection refused"),
        "{error}"
    );
    assert!(!error.contains(TOKEN), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_is_an_error_naming_the_route_never_the_token() {
    let (discord, seen) =
        fake_discord(|_, _, _| (502, format!(r#"{{"message": "upstream {TOKEN} down"}}"#))).await;
    let webhooks = Webhooks::new(&discord).unwrap_or_else(|e| panic!("{e}"));
    let error = webhooks
        .callback(InteractionId::new(123), TOKEN, &response(), Instant::now())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("a 502 must be an error"));
    assert!(
        error.starts_with("POST /api/v10/interactions/123/…/callback answered 502 Bad Gateway"),
        "{error}"
    );
    assert!(!error.contains(TOKEN), "{error}");
    let error = webhooks
        .delete_original(serenity::all::ApplicationId::new(7), TOKEN)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("a 502 must be an error"));
    assert!(
        error.starts_with("DELETE /api/v10/webhooks/7/…/messages/@original answered 502"),
        "{error}"
    );
    assert_eq!(calls(&seen).len(), 2, "a server error is not retried");
}

/// Runs the real binary with Discord's REST API at `discord`; returns (exit code, stderr).
async fn notes_bot(args: &[&str], discord: &str) -> (Option<i32>, String) {
    notes_bot_with(args, discord, "", &[]).await
}

/// As [`notes_bot`], with `DISCORD_GUILD_ID` set to `guild` (unset when empty).
async fn notes_bot_in_guild(args: &[&str], discord: &str, guild: &str) -> (Option<i32>, String) {
    notes_bot_with(args, discord, guild, &[]).await
}

/// As [`notes_bot_in_guild`], with more variables set.
async fn notes_bot_with(
    args: &[&str],
    discord: &str,
    guild: &str,
    vars: &[(&str, &str)],
) -> (Option<i32>, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_notes-bot"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DISCORD_TOKEN_FILE")
        .env_remove("DISCORD_GUILD_ID")
        .env_remove("DISCORD_GATEWAY_URL")
        .env_remove("NOTES_BOT_NOTES")
        .env_remove("NOTES_BOT_CONFIG")
        .env("DISCORD_TOKEN", BOT_TOKEN)
        .env("DISCORD_HTTP_PROXY", discord)
        // Only what the admin must read: the error line, no progress logs.
        .env("RUST_LOG", "off");
    if !guild.is_empty() {
        command.env("DISCORD_GUILD_ID", guild);
    }
    command.envs(vars.iter().copied());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("cannot run notes-bot: {e}"));
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_one_line_and_exit_2() {
    let (discord, _) =
        fake_discord(|_, _, _| (401, r#"{"message": "401: Unauthorized", "code": 0}"#.into())).await;
    for command in ["run", "register"] {
        let (code, err) = notes_bot(&[command], &discord).await;
        assert_eq!(code, Some(2), "{command}: {err}");
        assert_eq!(err.lines().count(), 1, "{command}: {err}");
        assert!(
            err.starts_with("error: Discord rejected the bot token"),
            "{command}: {err}"
        );
        assert!(!err.contains(BOT_TOKEN), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_while_registering_names_the_route_and_exits_1_without_a_panic() {
    let (discord, seen) = fake_discord(move |_, method, path| {
        if method == Method::GET && path == "/api/v10/oauth2/applications/@me" {
            (200, APPLICATION.to_string())
        } else {
            (503, r#"{"message": "upstream connect error", "code": 0}"#.into())
        }
    })
    .await;
    let (code, err) = notes_bot(&["register"], &discord).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let line = err.lines().last().unwrap_or_default();
    assert!(
        line.starts_with("error: PUT http://")
            && line.contains("/api/v10/applications/42/commands answered 503"),
        "{line}"
    );
    assert_eq!(calls(&seen).len(), 2, "one look-up and one PUT, no retry loop");
}

/// Registering in a server the app is not in is the first day's commonest mistake: Discord's
/// 403 "Missing Access" is told with the invite's scope and where server ids come from, and
/// both `register` and `run` exit 2, not 1 (a supervisor restarted `run` for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_in_a_server_the_app_is_not_in_says_how_to_invite_it_and_exits_2() {
    let (discord, _) = fake_discord(move |_, method, _| {
        if method == Method::PUT {
            (403, r#"{"message": "Missing Access", "code": 50001}"#.into())
        } else {
            (200, APPLICATION.to_string())
        }
    })
    .await;
    for args in [&["register", "--guild", "1180000000000000100"][..], &["run"]] {
        let (code, err) = notes_bot_in_guild(args, &discord, "1180000000000000100").await;
        assert_eq!(code, Some(2), "{args:?}: {err}");
        let line = err.lines().last().unwrap_or_default();
        assert!(
            line.starts_with("error: Discord refused the commands for server 1180000000000000100 (403 Forbidden Missing Access): the app is not in that server, or was invited without the applications.commands scope"),
            "{args:?}: {line}"
        );
        assert!(line.contains("DISCORD_GUILD_ID"), "{line}");
    }
}

/// A proxy's HTML error page is named as such, not as serenity's "Could not decode json".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_page_instead_of_discords_json_is_named() {
    let (discord, _) = fake_discord(|_, _, _| (502, "<html><body>Bad Gateway</body></html>".into())).await;
    let (code, err) = notes_bot(&["register"], &discord).await;
    assert_eq!(code, Some(1), "{err}");
    let line = err.lines().last().unwrap_or_default();
    assert!(
        line.ends_with("answered 502 Bad Gateway: not a JSON answer (an error page: is DISCORD_HTTP_PROXY a Discord REST proxy, and is it up?)"),
        "{line}"
    );
}

/// A gateway that refuses every connection: serenity retries every 5 s for ever, so `run`
/// ends itself after a minute with what to check, as it does when the REST API cannot be
/// reached, for its supervisor to start it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_never_reached_ends_run_after_a_minute_saying_what_to_check() {
    let gateway = r#"{"url": "ws://127.0.0.1:9", "shards": 1, "session_start_limit":
        {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}"#;
    let (discord, _) = fake_discord(move |_, method, path| match (method, path) {
        (&Method::PUT, _) => (200, "[]".into()),
        (_, "/api/v10/gateway/bot") => (200, gateway.to_string()),
        _ => (200, APPLICATION.to_string()),
    })
    .await;
    let started = Instant::now();
    let (code, err) = notes_bot_with(
        &["run"],
        &discord,
        "",
        &[("DISCORD_GATEWAY_URL", "ws://127.0.0.1:9")],
    )
    .await;
    let took = started.elapsed();
    assert_eq!(code, Some(1), "{err}");
    let line = err.lines().last().unwrap_or_default();
    assert_eq!(
        line,
        "error: gateway: no shard connected to ws://127.0.0.1:9 in 60 s; check this machine's outbound WebSocket connections (HTTPS, port 443), its firewall and DISCORD_GATEWAY_URL (serenity's lines above give the cause)"
    );
    assert!(
        took >= Duration::from_secs(60) && took < Duration::from_secs(80),
        "{took:?}"
    );
}

/// A fake Discord whose command registrations answer `status` for the first `failures`
/// PUTs, then 200; every other route answers the application.
async fn registrations_failing(failures: usize, status: u16) -> (String, Arc<Mutex<Vec<Call>>>) {
    let puts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    fake_discord(move |_, method, _| {
        if method != Method::PUT {
            return (200, APPLICATION.to_string());
        }
        if puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < failures {
            (status, format!(r#"{{"message": "status {status}", "code": 0}}"#))
        } else {
            (200, "[]".into())
        }
    })
    .await
}

/// `notes-bot serve` with a token, over a notes folder of one note, and Discord at `discord`.
/// The folder comes first, so that `let (_dir, serve, notes)` removes it after the server stops.
fn serve_registering(
    name: &str,
    discord: &str,
) -> (common::TempDir, common::serve::Serve, std::path::PathBuf) {
    let dir = common::TempDir::new(&format!("register-{name}"));
    let notes = dir.join("notes");
    std::fs::create_dir_all(&notes).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(notes.join("first.md"), "# One\n\n- a point\n").unwrap_or_else(|e| panic!("{e}"));
    let config = dir.join("config.yaml");
    let yaml = format!(
        "notes_dir: {:?}\ndata_dir: {:?}\nreload:\n  quiet_ms: 500\n",
        notes,
        dir.join("data")
    );
    std::fs::write(&config, yaml).unwrap_or_else(|e| panic!("{e}"));
    let serve = common::serve::Serve::start(
        Some(&config),
        &[("DISCORD_TOKEN", BOT_TOKEN), ("DISCORD_HTTP_PROXY", discord)],
    );
    (dir, serve, notes)
}

fn puts(seen: &Mutex<Vec<Call>>) -> Vec<Instant> {
    calls(seen)
        .iter()
        .filter(|c| c.method == "PUT")
        .map(|c| c.at)
        .collect()
}

/// `serve` with a token Discord refuses serves on, and says what the token was for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_a_refused_token_says_what_it_goes_without() {
    let (discord, _) =
        fake_discord(|_, _, _| (401, r#"{"message": "401: Unauthorized", "code": 0}"#.into())).await;
    let (_dir, serve, _notes) = serve_registering("refused-token", &discord);
    let wanted = "the bot token cannot be used: commands will not be re-registered on reload, and \"Answer from notes\" answers are sent as follow-ups, not as the bot's replies";
    let deadline = Instant::now() + Duration::from_secs(10);
    while !serve.logged().contains(wanted) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = serve.logged();
    assert!(log.contains(wanted), "{log}");
    assert!(log.contains("Discord rejected the bot token (401)"), "{log}");
}

/// A new topic while Discord fails: the registration is tried again after 1 s, then 2 s,
/// until it succeeds; then no more requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_registration_is_retried_with_a_growing_wait_until_it_succeeds_then_stops() {
    let (discord, seen) = registrations_failing(2, 503).await;
    let (_dir, serve, notes) = serve_registering("retry", &discord);
    std::fs::write(notes.join("second.md"), "# Two\n\n- another point\n").unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while puts(&seen).len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Watched for a while after the success: the retries have stopped.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let at = puts(&seen);
    let log = serve.logged();
    assert_eq!(at.len(), 3, "two failures, one success, then nothing:\n{log}");
    let waits: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        waits[0] >= Duration::from_millis(900) && waits[1] >= Duration::from_millis(1900),
        "{waits:?}"
    );
    assert!(waits[1] < Duration::from_secs(4), "{waits:?}");
    assert_eq!(
        log.matches("could not register the commands; trying again")
            .count(),
        2,
        "{log}"
    );
    assert_eq!(log.matches("registered global commands").count(), 1, "{log}");
    assert!(!log.contains(BOT_TOKEN), "{log}");
}

/// Discord refusing the command set (400) is not retried: waiting changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_registration_is_not_retried() {
    let (discord, seen) = registrations_failing(usize::MAX, 400).await;
    let (_dir, serve, notes) = serve_registering("refused", &discord);
    std::fs::write(notes.join("second.md"), "# Two\n\n- another point\n").unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while puts(&seen).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let log = serve.logged();
    assert_eq!(puts(&seen).len(), 1, "{log}");
    assert!(
        log.contains("they stay as registered before until the notes change again"),
        "{log}"
    );
}

/// Discord unreachable (503) when `serve` starts: it asks for the application again at the
/// first registration, and registers the new note's command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_started_while_discord_was_down_registers_once_it_answers() {
    let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (discord, seen) = fake_discord(move |_, method, _| match *method {
        Method::GET if lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 => {
            (503, r#"{"message": "upstream connect error", "code": 0}"#.into())
        }
        Method::GET => (200, APPLICATION.to_string()),
        _ => (200, "[]".into()),
    })
    .await;
    let (_dir, serve, notes) = serve_registering("down-at-start", &discord);
    std::fs::write(notes.join("second.md"), "# Two\n\n- another point\n").unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while puts(&seen).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = serve.logged();
    assert_eq!(puts(&seen).len(), 1, "{log}");
    let paths: Vec<String> = calls(&seen)
        .iter()
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /api/v10/oauth2/applications/@me",
            "GET /api/v10/oauth2/applications/@me",
            "PUT /api/v10/applications/42/commands"
        ],
        "{log}"
    );
    assert!(
        log.contains("cannot ask Discord for the application now"),
        "{log}"
    );
}
