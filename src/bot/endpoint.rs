//! The HTTP interactions endpoint: Discord POSTs each interaction; the handler's response is
//! the reply body. Stateless, so any number of replicas can sit behind one URL.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serenity::all::{CreateInteractionResponse, Interaction};
use serenity::interactions_endpoint::Verifier;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower_http::timeout::{RequestBodyTimeout, TimeoutLayer};

use super::app::{self, App};
use super::discord::{self, Discord, RunError};
use super::handler::{Kind, Outcome, Then};
use super::health;
use super::metrics::{self, LibraryState, Metrics};
use super::registrar::{self, Registrar};
use super::shutdown;
use super::token::Token;
use super::webhook::Webhooks;
use super::workers::Workers;
use crate::sync::lock;

/// Discord's interactions are small; anything larger is not one.
pub const MAX_BODY: usize = 64 * 1024;

pub struct Endpoint {
    pub app: Arc<App>,
    verifier: Verifier,
    /// Seconds a request's timestamp may be off; 0 turns the check off.
    max_skew: u64,
    pub metrics: Metrics,
    /// What is told of refused requests.
    refusals: super::refusals::Refusals,
    /// Deletes replies after the response (with the interaction token; no bot token needed).
    webhooks: Arc<Webhooks>,
    /// With a bot token: posts answers as replies to members' messages.
    bot: Option<Arc<serenity::all::Http>>,
    /// Where interactions other than PING are parsed, answered and encoded, off the async
    /// workers.
    workers: Workers,
    answer: Answer,
    /// What is left to do once a response is sent (delete the clicked message, post an
    /// answer): tracked, so a shutdown finishes it instead of dropping it.
    after: Mutex<JoinSet<()>>,
}

/// How an interaction is answered: `App::handle`, or in tests a handler made slow.
pub type Answer = fn(&App, &Interaction) -> Outcome;

/// Where the developer portal shows the key, told with every way `DISCORD_PUBLIC_KEY` is wrong.
const WHERE_THE_KEY_IS: &str =
    "it must be the 64 hex digits shown as PUBLIC KEY on the developer portal's General Information page";

/// `DISCORD_PUBLIC_KEY` is not a key: what it is instead, when that can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PublicKeyError {
    #[error("DISCORD_PUBLIC_KEY is not set; {WHERE_THE_KEY_IS}")]
    NotSet,
    /// 17 to 20 digits: the application id, shown just above the key.
    #[error(
        "DISCORD_PUBLIC_KEY is a number like an APPLICATION ID, not the Public Key below it; {WHERE_THE_KEY_IS}"
    )]
    ApplicationId,
    /// Never printed: a bot token is a secret.
    #[error(
        "DISCORD_PUBLIC_KEY looks like the bot token (keep that in DISCORD_TOKEN, and reset it if it was shared); {WHERE_THE_KEY_IS}"
    )]
    BotToken,
    #[error("DISCORD_PUBLIC_KEY holds characters that are no hex digits; {WHERE_THE_KEY_IS}")]
    NotHex,
    #[error("DISCORD_PUBLIC_KEY has the wrong length; {WHERE_THE_KEY_IS}")]
    WrongLength,
    /// 64 hex digits that are no point of the curve.
    #[error("DISCORD_PUBLIC_KEY is no Ed25519 public key; {WHERE_THE_KEY_IS}")]
    NotEd25519,
}

/// Parses `DISCORD_PUBLIC_KEY` (64 hex digits) into a verifier, without panicking. Quotes
/// around it (`docker --env-file` keeps them) and a `0x` are taken off.
pub fn verifier(public_key_hex: &str) -> Result<Verifier, PublicKeyError> {
    let hex = public_key_hex.trim();
    let hex = crate::text::unquoted(hex).trim();
    let hex = hex.strip_prefix("0x").unwrap_or(hex);
    if hex.is_empty() {
        return Err(PublicKeyError::NotSet);
    }
    if hex.len() >= 17 && hex.len() <= 20 && hex.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PublicKeyError::ApplicationId);
    }
    if hex.split('.').count() == 3 && hex.len() > 50 {
        return Err(PublicKeyError::BotToken);
    }
    let digits: Vec<u8> = (hex.bytes())
        .map(hex_digit)
        .collect::<Option<_>>()
        .ok_or(PublicKeyError::NotHex)?;
    let digits: [u8; 64] = digits.try_into().map_err(|_| PublicKeyError::WrongLength)?;
    let mut key = [0u8; 32];
    for (byte, pair) in key.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = pair.iter().fold(0, |byte, digit| byte << 4 | digit);
    }
    Verifier::try_new(key).map_err(|_| PublicKeyError::NotEd25519)
}

/// The value of one hex digit, either case.
fn hex_digit(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl Endpoint {
    pub fn new(
        app: Arc<App>,
        verifier: Verifier,
        max_skew: u64,
        webhooks: Webhooks,
    ) -> Result<Endpoint, RunError> {
        Ok(Endpoint {
            app,
            verifier,
            max_skew,
            metrics: Metrics::default(),
            refusals: Default::default(),
            webhooks: Arc::new(webhooks),
            bot: None,
            workers: Workers::per_core()?,
            answer: App::handle,
            after: Mutex::default(),
        })
    }

    /// Runs `work` once Discord has our response (a follow-up or a deletion needs it
    /// first: 200 ms, as it arrives within a round trip; the calls try again while
    /// Discord does not know the interaction yet).
    fn after_response(&self, work: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = lock(&self.after);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            work.await;
        });
    }

    /// Waits for the work left after responses.
    async fn finish_after_responses(&self) {
        let mut tasks = std::mem::take(&mut *lock(&self.after));
        while tasks.join_next().await.is_some() {}
    }

    /// Posts replies with this bot client (one with the token and the application id).
    pub fn with_bot(mut self, http: Arc<serenity::all::Http>) -> Endpoint {
        self.bot = Some(http);
        self
    }

    /// Answers with `answer` on at most `workers` threads at once (for tests).
    pub fn answering_with(mut self, answer: Answer, workers: usize) -> Result<Endpoint, RunError> {
        self.answer = answer;
        self.workers = Workers::new(workers)?;
        Ok(self)
    }
}

/// What `notes-bot serve` runs with, beside the app and the public key.
pub struct Options {
    /// Address to listen on.
    pub listen: String,
    /// Seconds a request's timestamp may be off; 0 turns the check off.
    pub max_skew: u64,
    /// Optional here: with a token, commands are registered again when topics change.
    pub token: Option<Token>,
    /// Where to register them: these guilds, or globally.
    pub guilds: Vec<serenity::all::GuildId>,
}

/// `notes-bot serve`: serves until SIGINT or SIGTERM, reloading the notes as they change,
/// saving gaps, and keeping the heartbeat file `notes-bot health` reads.
pub async fn run(app: Arc<App>, verifier: Verifier, options: Options) -> Result<(), RunError> {
    let heartbeat = health::heartbeat_path(&app.config.data_dir);
    let discord = Discord::from_config(&app.config.discord);
    let webhooks = Webhooks::new(discord.rest_base()).map_err(RunError::Client)?;
    let endpoint = Endpoint::new(app.clone(), verifier, options.max_skew, webhooks)?;
    let shutdown = shutdown::signal({
        let app = app.clone();
        move || app::save_counts(&app)
    });
    let guard = shutdown::guard(Duration::from_secs(app.config.shutdown_seconds + 2), {
        let app = app.clone();
        move || app::save_counts(&app)
    });
    // Registering again needs the application id, which only the token can tell; when
    // Discord cannot say it now, the registrar asks again at its first registration.
    let registrar = match &options.token {
        Some(token) => match discord.http(token) {
            Ok(http) => {
                tracing::info!(
                    "connecting to Discord at {}",
                    crate::config::redacted(discord.rest_base())
                );
                let http = Arc::new(http);
                match discord::learn_application_id(&http).await {
                    Err(error) if !registrar::is_transient(&error) => {
                        token_unusable(&error);
                        None
                    }
                    known => {
                        if let Err(error) = known {
                            tracing::warn!(%error, "cannot ask Discord for the application now; commands are registered again once it answers");
                        }
                        Some(Registrar {
                            http,
                            guilds: options.guilds,
                        })
                    }
                }
            }
            Err(error) => {
                token_unusable(&error);
                None
            }
        },
        None => None,
    };
    // With the token, "Answer from notes" answers are posted as replies by the bot.
    let endpoint = Arc::new(match &registrar {
        Some(registrar) => endpoint.with_bot(registrar.http.clone()),
        None => endpoint,
    });
    let _watcher = super::watch::spawn_reloading(app.clone(), registrar, false);
    let gap_saver = tokio::spawn(app::save_counts_periodically(app.clone()));
    let backlog = app.config.http.max_connections;
    let listener = listen(&options.listen, backlog)
        .await
        .map_err(|source| RunError::Listen {
            address: options.listen.clone(),
            source,
        })?;
    let beat = listener.local_addr().ok().map(health::serve_beat);
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "serving interactions at POST /interactions");
    }
    let beating = beat.clone().map(|beat| {
        app.handler.state().beat(beat.clone());
        tokio::spawn(keep_heartbeat(heartbeat.clone(), beat))
    });
    let result = serve(listener, endpoint, shutdown).await;
    gap_saver.abort();
    if let Some(beating) = beating {
        beating.abort();
    }
    guard.stopping();
    app::save_counts(&app);
    // Another `serve` of this host, sharing the folder, may have written its own since.
    if beat.is_some_and(|beat| std::fs::read_to_string(&heartbeat).is_ok_and(|held| held == beat)) {
        let _ = std::fs::remove_file(&heartbeat);
    }
    tracing::info!("stopped");
    result.map_err(RunError::Server)
}

/// What `serve` does without the token it was given (Discord refused it, or it is no URL
/// serenity takes).
fn token_unusable(error: &RunError) {
    tracing::warn!(
        %error,
        "the bot token cannot be used: commands will not be re-registered on reload, and \"Answer from notes\" answers are sent as follow-ups, not as the bot's replies"
    );
}

/// How often the heartbeat file is looked at (as the gateway touches its own).
const BEAT_EVERY: Duration = Duration::from_secs(10);

/// Keeps the heartbeat file holding `beat` while serving: the data folder may be deleted,
/// or become writable, while the bot runs. Written at once and whenever it holds something
/// else; a failure is logged once, until it is written again.
async fn keep_heartbeat(path: PathBuf, beat: String) {
    let mut tick = tokio::time::interval(BEAT_EVERY);
    let mut heartbeat = super::health::Heartbeat::new(path);
    loop {
        tick.tick().await;
        if !heartbeat.holds(&beat).await {
            heartbeat.write(&beat).await;
        }
    }
}

/// Listens on `address` with an accept queue of `backlog` connections, at least 1,024
/// (the kernel caps it at `net.core.somaxconn`). Connections past `http.max_connections`
/// wait there; tokio's own queue of 128 drops the handshakes of a bigger burst, which
/// clients then retry with backoff for seconds. Each address `address` resolves to is
/// tried in turn, as `TcpListener::bind` does.
pub async fn listen(address: &str, backlog: usize) -> std::io::Result<tokio::net::TcpListener> {
    let backlog = u32::try_from(backlog.max(1024)).unwrap_or(u32::MAX);
    let bind = |address: std::net::SocketAddr| {
        let socket = match address {
            std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        // As `TcpListener::bind` does on Unix: a restart may bind while old connections
        // linger. (On Windows it would let another process take the port.)
        #[cfg(not(windows))]
        socket.set_reuseaddr(true)?;
        socket.bind(address)?;
        socket.listen(backlog)
    };
    let mut failed = None;
    for address in tokio::net::lookup_host(address).await? {
        match bind(address) {
            Ok(listener) => return Ok(listener),
            Err(error) => failed = Some(error),
        }
    }
    Err(failed.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the address resolves to nothing",
        )
    }))
}

pub fn router(endpoint: Arc<Endpoint>) -> Router {
    let request_timeout = Duration::from_secs(endpoint.app.config.http.request_seconds);
    Router::new()
        .route("/interactions", post(interactions))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            endpoint.clone(),
            declared_length,
        ))
        // The whole request, a trickled body included: 408 and the connection closes.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .with_state(endpoint)
}

/// Serves until `shutdown` resolves, then lets the requests in flight finish, for at most
/// the config's `shutdown_seconds`.
///
/// hyper's own connection builder rather than `axum::serve`, for its header read timeout
/// (which also ends idle keep-alive connections); tower-http cuts off slow bodies and slow
/// requests; a semaphore caps the connections: beyond it they wait in the listen backlog.
pub async fn serve(
    listener: tokio::net::TcpListener,
    endpoint: Arc<Endpoint>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let options = endpoint.app.config.http.clone();
    let deadline = Duration::from_secs(endpoint.app.config.shutdown_seconds);
    let after = endpoint.clone();
    let service = TowerToHyperService::new(RequestBodyTimeout::new(
        router(endpoint),
        Duration::from_secs(options.body_read_seconds),
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(options.header_read_seconds));
    let connections = Arc::new(Semaphore::new(
        options.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service.clone()));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    // One deadline for both: the connections, then what their responses left to do.
    let until = Instant::now() + deadline;
    shutdown::within(deadline, "finishing open connections", graceful.shutdown()).await;
    let left = until.saturating_duration_since(Instant::now());
    let replies = after.finish_after_responses();
    shutdown::within(left, "posting and deleting replies", replies).await;
    Ok(())
}

/// A body declared longer than [`MAX_BODY`] is refused at once (413): the limit alone
/// would wait for the bytes until the body read timeout and answer 400.
async fn declared_length(
    State(endpoint): State<Arc<Endpoint>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = (request.headers().get(header::CONTENT_LENGTH))
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return reject(&endpoint, StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    }
    next.run(request).await
}

/// Any other path: 404, and a POST told (Discord's portal given a URL without
/// `/interactions`).
async fn not_found(
    State(endpoint): State<Arc<Endpoint>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    if method == axum::http::Method::POST {
        endpoint.refusals.wrong_path(uri.path());
    }
    reject(&endpoint, StatusCode::NOT_FOUND, "not found")
}

fn reject(endpoint: &Endpoint, status: StatusCode, why: &'static str) -> Response {
    endpoint.metrics.rejected(status.as_u16());
    tracing::debug!(status = status.as_u16(), why, "request refused");
    (status, why).into_response()
}

async fn interactions(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            endpoint.metrics.rejected(status.as_u16());
            return (status, rejection.body_text()).into_response();
        }
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(signature), Some(timestamp)) = (header("x-signature-ed25519"), header("x-signature-timestamp"))
    else {
        return reject(&endpoint, StatusCode::UNAUTHORIZED, "missing signature headers");
    };
    if endpoint.verifier.verify(signature, timestamp, &body).is_err() {
        endpoint.refusals.bad_signature();
        return reject(&endpoint, StatusCode::UNAUTHORIZED, "invalid request signature");
    }
    endpoint.refusals.verified();
    if endpoint.max_skew > 0 {
        let off = (timestamp.parse::<i64>().ok()).map(|ts| ts.abs_diff(super::clock::unix_now() as i64));
        if off.is_none_or(|off| off > endpoint.max_skew) {
            // Signed, so Discord's: this machine's clock is off (or it is a replay).
            if let Some(off) = off {
                endpoint.refusals.stale(off, endpoint.max_skew);
            }
            return reject(&endpoint, StatusCode::UNAUTHORIZED, "stale or invalid timestamp");
        }
    }
    let json = header("content-type").is_some_and(|ct| {
        ct.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    if !json {
        return reject(
            &endpoint,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/json",
        );
    }
    let started = Instant::now();
    // Discord's health check needs no index: answered here, never queued behind a query.
    // Everything else is parsed, answered and encoded on a worker, which leaves this async
    // thread only HTTP and the signature check.
    let kind = interaction_type(&body);
    let answered = if kind == Some(1) {
        answer_body(&endpoint.app, endpoint.answer, kind, &body)
    } else {
        let (app, answer) = (endpoint.app.clone(), endpoint.answer);
        match endpoint
            .workers
            .run(move || answer_body(&app, answer, kind, &body))
            .await
        {
            Some(answered) => answered,
            None => {
                tracing::error!("the handler panicked");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    };
    let Some(answered) = answered else {
        return reject(&endpoint, StatusCode::BAD_REQUEST, "not a Discord interaction");
    };
    endpoint
        .metrics
        .interaction(answered.type_name, answered.kind.as_str(), started.elapsed());
    match answered.then {
        Some((Then::DeleteMessage, interaction)) => delete_later(&endpoint, &interaction),
        Some((Then::Reply(reply), interaction)) => reply_later(&endpoint, &interaction, reply),
        Some((Then::Nothing, _)) | None => {}
    }
    match answered.body {
        Ok(bytes) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot encode a response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// An interaction answered, ready to send back.
struct Answered {
    type_name: &'static str,
    kind: Kind,
    /// What to do after responding, with the interaction it needs (kept only then).
    then: Option<(Then, Interaction)>,
    body: serde_json::Result<Vec<u8>>,
}

/// The interaction's `type`, read without building the interaction: found by a scan for
/// the key in the top-level object, else (an escaped key, a value that is not a plain
/// 0–255) as serde reads it. serde alone parses every value of the body to get there,
/// which costs half of what parsing the interaction does.
fn interaction_type(body: &[u8]) -> Option<u8> {
    #[derive(serde::Deserialize)]
    struct Typed {
        #[serde(rename = "type")]
        kind: u8,
    }
    scan_type(body).or_else(|| serde_json::from_slice::<Typed>(body).ok().map(|typed| typed.kind))
}

/// The value of the first `"type":` key at depth 1 when it is a plain number that fits a
/// `u8`. Only strings and brackets are followed: a malformed body is left to the parser.
fn scan_type(body: &[u8]) -> Option<u8> {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = body.get(at) {
        at += 1;
        match byte {
            b'"' => {
                let start = at;
                // The closing quote: the next one not escaped.
                loop {
                    at += memchr::memchr2(b'"', b'\\', body.get(at..)?)?;
                    if body[at] == b'"' {
                        break;
                    }
                    at += 2;
                }
                let string = &body[start..at];
                at += 1;
                if depth == 1 && string == b"type" {
                    let rest = body.get(at..)?.trim_ascii_start();
                    if let Some(value) = rest.strip_prefix(b":") {
                        return plain_u8(value.trim_ascii_start());
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            _ => {}
        }
    }
    None
}

/// The number at the start of `text`, when it is 0–255 written plainly (no sign, fraction,
/// exponent or leading zero) and ends where a JSON value may.
fn plain_u8(text: &[u8]) -> Option<u8> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let ends = matches!(text.get(digits), Some(b',' | b'}' | b' ' | b'\n' | b'\r' | b'\t'));
    if digits == 0 || digits > 3 || (digits > 1 && text[0] == b'0') || !ends {
        return None;
    }
    std::str::from_utf8(&text[..digits]).ok()?.parse().ok()
}

/// The interaction in a body; `None` when it is not one. serenity's `Interaction` reads
/// the whole body into a `serde_json::Value` first to see its type, then the typed
/// interaction from that: peeking at `type` and reading the typed interaction straight
/// from the bytes gives the same interaction in half the time.
pub fn parse(body: &[u8]) -> Option<Interaction> {
    parse_typed(interaction_type(body), body)
}

/// `parse`, the type already peeked at.
fn parse_typed(kind: Option<u8>, body: &[u8]) -> Option<Interaction> {
    match kind? {
        2 => serde_json::from_slice(body).ok().map(Interaction::Command),
        3 => serde_json::from_slice(body).ok().map(Interaction::Component),
        4 => serde_json::from_slice(body).ok().map(Interaction::Autocomplete),
        // PING, modals and types serenity does not know: its own way.
        _ => serde_json::from_slice(body).ok(),
    }
}

/// Parses, answers and encodes one interaction of type `kind`; `None` when the body is
/// not one.
fn answer_body(app: &App, answer: Answer, kind: Option<u8>, body: &[u8]) -> Option<Answered> {
    let interaction = parse_typed(kind, body)?;
    let outcome = answer(app, &interaction);
    let type_name = type_name(&interaction);
    let then = match outcome.then {
        Then::Nothing => None,
        then => Some((then, interaction)),
    };
    Some(Answered {
        type_name,
        kind: outcome.kind,
        then,
        body: response_body(&outcome.response),
    })
}

/// The exact bytes returned for a response (the spec tests validate these).
pub fn response_body(response: &CreateInteractionResponse) -> serde_json::Result<Vec<u8>> {
    match response {
        // Discord's PONG is `{"type":1}`; serenity would add `"data":null`.
        CreateInteractionResponse::Pong => Ok(br#"{"type":1}"#.to_vec()),
        response => {
            // A section answer is a few KB: room for it at once rather than doubling up to it.
            let mut bytes = Vec::with_capacity(4096);
            serde_json::to_writer(&mut bytes, response)?;
            Ok(bytes)
        }
    }
}

fn type_name(interaction: &Interaction) -> &'static str {
    match interaction {
        Interaction::Ping(_) => "ping",
        Interaction::Command(_) => "command",
        Interaction::Autocomplete(_) => "autocomplete",
        Interaction::Component(_) => "component",
        Interaction::Modal(_) => "modal",
        _ => "other",
    }
}

/// Deletes the clicked message once Discord has our response.
fn delete_later(endpoint: &Endpoint, interaction: &Interaction) {
    let Interaction::Component(component) = interaction else {
        return;
    };
    let webhooks = endpoint.webhooks.clone();
    let (application, token) = (component.application_id, component.token.clone());
    endpoint.after_response(async move {
        if let Err(error) = webhooks.delete_original(application, &token).await {
            tracing::warn!(%error, "could not delete a reply");
        }
    });
}

/// Posts an answer as a reply once Discord has our response (a follow-up needs it first).
fn reply_later(endpoint: &Endpoint, interaction: &Interaction, reply: Box<super::handler::PostReply>) {
    let Interaction::Component(component) = interaction else {
        return;
    };
    let (webhooks, bot) = (endpoint.webhooks.clone(), endpoint.bot.clone());
    let (application, token) = (component.application_id, component.token.clone());
    endpoint.after_response(async move {
        if let Err(error) = webhooks
            .post_reply(bot.as_deref(), application, &token, &reply)
            .await
        {
            tracing::warn!(%error, "could not post an answer");
        }
    });
}

async fn healthz(State(endpoint): State<Arc<Endpoint>>) -> Response {
    if endpoint.app.index().library().notes().is_empty() {
        (StatusCode::SERVICE_UNAVAILABLE, "no notes loaded\n").into_response()
    } else if let Some(problem) = endpoint.app.handler.state().degraded() {
        // 200 still: every replica shares the outage, and failing them all would stop the
        // answers, which go on from local state.
        (StatusCode::OK, format!("degraded: {problem}\n")).into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

async fn metrics(State(endpoint): State<Arc<Endpoint>>) -> Response {
    let index = endpoint.app.index();
    let library = LibraryState {
        notes: index.library().notes().len() as u64,
        sections: index.library().section_count() as u64,
        loaded_at: endpoint.app.loaded_at(),
        reloads: endpoint.app.reloads(),
        skipped: endpoint.app.notes_skipped(),
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(metrics::CONTENT_TYPE),
        )],
        endpoint.metrics.render(library),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_pasted_wrong_is_told_what_it_is() {
        let key = format!("58{}", "66".repeat(31));
        for pasted in [
            key.clone(),
            format!("\"{key}\""),
            format!("0x{key}"),
            key.to_uppercase(),
        ] {
            assert!(verifier(&pasted).is_ok(), "{pasted}");
        }
        let token = "MTE4MDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789ABCD";
        for (pasted, what) in [
            ("", "is not set"),
            ("1180000000000000001", "is a number like an APPLICATION ID"),
            (token, "looks like the bot token"),
            (&key[..60], "has the wrong length"),
            (
                &format!("zz{}", &key[2..]),
                "holds characters that are no hex digits",
            ),
        ] {
            let told = verifier(pasted).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                told.starts_with(&format!("DISCORD_PUBLIC_KEY {what}")),
                "{pasted}: {told}"
            );
            assert!(!told.contains(token), "{told}");
        }
    }

    /// What serde reads as the top-level `type`, for comparison.
    fn serde_type(body: &[u8]) -> Option<u8> {
        #[derive(serde::Deserialize)]
        struct Typed {
            #[serde(rename = "type")]
            kind: u8,
        }
        serde_json::from_slice::<Typed>(body).ok().map(|typed| typed.kind)
    }

    /// Every fixture, read as the endpoint reads it and as serenity's `Interaction` does.
    #[test]
    fn parse_reads_the_interaction_serenity_reads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interactions");
        let mut fixtures = 0;
        for entry in std::fs::read_dir(dir).expect("fixtures") {
            let path = entry.expect("a fixture").path();
            let body = std::fs::read(&path).expect("a fixture");
            let serenity: Interaction = serde_json::from_slice(&body).expect("an interaction");
            let parsed = parse(&body).expect("an interaction");
            let value = |interaction: &Interaction| serde_json::to_value(interaction).expect("serialises");
            assert_eq!(value(&parsed), value(&serenity), "{}", path.display());
            assert_eq!(type_name(&parsed), type_name(&serenity));
            fixtures += 1;
        }
        assert!(fixtures > 10);
        assert!(parse(b"{\"type\": 2}").is_none());
        assert!(parse(b"{\"type\": 99, \"id\": \"1\"}").is_none());
        assert!(parse(b"not json").is_none());
    }

    #[test]
    fn the_scanned_type_is_the_one_serde_reads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interactions");
        let mut fixtures = 0;
        for entry in std::fs::read_dir(dir).expect("fixtures") {
            let body = std::fs::read(entry.expect("a fixture").path()).expect("a fixture");
            assert!(scan_type(&body).is_some());
            assert_eq!(scan_type(&body), serde_type(&body));
            fixtures += 1;
        }
        assert!(fixtures > 10);
        let bodies: &[&[u8]] = &[
            // Nested `type` keys come first; strings hold quotes, brackets and `"type":`.
            br#"{"data": {"type": 1, "options": [{"type": 3}]}, "s": "\"type\": 9 {[", "type": 2}"#,
            br#"{"a": "\\", "type":4}"#,
            br#"{"type" : 	255 }"#,
            br#"{"type": "2"}"#,
            br#"{"type": 256}"#,
            br#"{"type": 2.0}"#,
            br#"{"type": -1}"#,
            br#"{"type": 02}"#,
            br#"{"typ\u0065": 3}"#,
            br#"{"note": "type", "type": 5}"#,
            br#"["type", 1]"#,
            br#"{"type": 3"#,
            br#"{"unterminated: 1, "type": 2}"#,
            br#"}}{"type": 2}"#,
            b"",
            b"\"",
            b"\"\\",
        ];
        for body in bodies {
            assert_eq!(
                interaction_type(body),
                serde_type(body),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
