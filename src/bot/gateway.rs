//! The gateway adapter: serenity's client receives interactions and sends the handler's
//! responses over Discord's HTTP API.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ClientBuilder, Command, Context, EventHandler, GatewayIntents, GuildId, Http, HttpBuilder, Interaction,
    Ready, ShardStageUpdateEvent,
};
use serenity::async_trait;
use serenity::gateway::ConnectionStage;

use super::app::App;
use super::commands::command_set;
use super::handler::Then;
use super::token::Token;
use crate::config::DiscordOptions;

/// Which shards this process runs: `START..END/TOTAL` (END exclusive), or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardRange {
    pub range: Range<u32>,
    pub total: u32,
}

impl std::str::FromStr for ShardRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || format!("{text:?} is not START..END/TOTAL, e.g. 0..2/4 for shards 0 and 1 of 4");
        let (range, total) = text.split_once('/').ok_or_else(usage)?;
        let (start, end) = range.split_once("..").ok_or_else(usage)?;
        let (start, end, total): (u32, u32, u32) = (
            start.trim().parse().map_err(|_| usage())?,
            end.trim().parse().map_err(|_| usage())?,
            total.trim().parse().map_err(|_| usage())?,
        );
        if start >= end || end > total {
            return Err(format!("{text:?}: need START < END <= TOTAL"));
        }
        Ok(ShardRange {
            range: start..end,
            total,
        })
    }
}

/// Why the bot stopped, for the exit code.
#[derive(Debug)]
pub enum RunError {
    /// Discord refused the token: exit 2, no retry.
    TokenRejected,
    Other(String),
}

pub struct Options {
    pub shards: Option<ShardRange>,
    /// Register the commands in these guilds only (at once), instead of globally.
    pub guilds: Vec<GuildId>,
    /// Touched while a shard is connected; `notes-bot health` reads it.
    pub heartbeat: PathBuf,
}

/// Runs until SIGINT or SIGTERM, then closes the shards.
pub async fn run(app: Arc<App>, token: &Token, options: Options) -> Result<(), RunError> {
    let discord = Discord::from_config(&app.config.discord).map_err(RunError::Other)?;
    let http = application_http(token, &discord).await?;
    let application_id = http
        .application_id()
        .ok_or_else(|| RunError::Other("no application id".into()))?;
    register(&http, &app, &options.guilds).await?;
    let _watcher = super::watch::spawn_reloading(app.clone(), Some((http.clone(), options.guilds.clone())));
    let gap_saver = tokio::spawn(super::app::save_gaps_periodically(app.clone()));

    let webhooks = super::webhook::Webhooks::new(discord.rest_base()).map_err(RunError::Other)?;
    let handler = Events {
        app: app.clone(),
        webhooks,
        workers: super::workers::Workers::per_core(),
        connected: std::sync::Mutex::default(),
    };
    let mut client = ClientBuilder::new_with_http(
        discord.http(token).map_err(RunError::Other)?,
        GatewayIntents::empty(),
    )
    .event_handler(handler)
    .application_id(application_id)
    .await
    .map_err(classify)?;
    if let Some(url) = &discord.gateway_url {
        *client.ws_url.lock().await = url.clone();
    }
    tracing::info!(
        "connecting to Discord's gateway at {}",
        client.ws_url.lock().await
    );
    let shard_manager = client.shard_manager.clone();
    let heartbeat = tokio::spawn(write_heartbeat(shard_manager.clone(), options.heartbeat.clone()));

    let shutdown = super::shutdown::signal({
        let app = app.clone();
        move || super::app::save_gaps(&app)
    });
    let result = tokio::select! {
        result = async {
            match &options.shards {
                // serenity's range is inclusive at both ends.
                Some(shards) => client.start_shard_range(shards.range.start..shards.range.end - 1, shards.total).await,
                None => client.start_autosharded().await,
            }
        } => result.map_err(classify),
        () = shutdown => {
            let deadline = Duration::from_secs(app.config.shutdown_seconds);
            super::shutdown::within(deadline, "closing the shards", shard_manager.shutdown_all()).await;
            Ok(())
        }
    };
    heartbeat.abort();
    gap_saver.abort();
    super::app::save_gaps(&app);
    let _ = std::fs::remove_file(&options.heartbeat);
    result
}

/// Where this process reaches Discord: the REST base URL and the gateway URL.
#[derive(Debug, Clone)]
pub struct Discord {
    /// A rate-limiting proxy in place of `https://discord.com`.
    pub http_proxy: Option<String>,
    /// The gateway URL in place of the one `GET /gateway` names.
    pub gateway_url: Option<String>,
}

/// The longest wait to open a connection (TCP and TLS) to Discord or the proxy.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest wait for one whole REST call, so that no call hangs the bot.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

impl Discord {
    /// The config's `discord:` section with `DISCORD_HTTP_PROXY` and `DISCORD_GATEWAY_URL` over it.
    pub fn from_config(options: &DiscordOptions) -> Result<Discord, String> {
        let options = options.with_env()?;
        Ok(Discord {
            http_proxy: options
                .http_proxy
                .map(|url| url.trim().trim_end_matches('/').to_string()),
            gateway_url: options.gateway_url.map(|url| url.trim().to_string()),
        })
    }

    /// Where REST calls go.
    pub fn rest_base(&self) -> &str {
        self.http_proxy.as_deref().unwrap_or("https://discord.com")
    }

    /// The one place a serenity HTTP client is made: timeouts on every call, and with a proxy,
    /// serenity's own rate limiter off (serenity ignores the proxy otherwise; the proxy limits).
    pub fn http(&self, token: &Token) -> Result<Http, String> {
        let client = reqwest::Client::builder()
            .use_native_tls()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let builder = HttpBuilder::new(token.expose()).client(client);
        Ok(match &self.http_proxy {
            Some(proxy) => builder.proxy(proxy.as_str()).ratelimiter_disabled(true).build(),
            None => builder.build(),
        })
    }
}

/// An HTTP client for the bot's application: the first call checks the token and the network.
pub async fn application_http(token: &Token, discord: &Discord) -> Result<Arc<Http>, RunError> {
    tracing::info!("connecting to Discord at {}", discord.rest_base());
    let http = Arc::new(discord.http(token).map_err(RunError::Other)?);
    let info = http.get_current_application_info().await.map_err(classify)?;
    http.set_application_id(info.id);
    Ok(http)
}

/// Replaces the app's command set (globally, or in the given guilds).
pub async fn register(http: &Http, app: &App, guilds: &[GuildId]) -> Result<(), RunError> {
    let commands = command_set(app.index().library(), &app.config.install);
    let count = commands.len();
    let ids = |registered: Vec<Command>| {
        registered
            .into_iter()
            .map(|command| (command.name, command.id.get()))
            .collect::<Vec<_>>()
    };
    if guilds.is_empty() {
        let registered = Command::set_global_commands(http, commands)
            .await
            .map_err(classify)?;
        app.handler.remember_command_ids(None, ids(registered));
        tracing::info!(
            count,
            "registered global commands (Discord may take up to an hour to show changes)"
        );
    } else {
        for guild in guilds {
            let registered = guild
                .set_commands(http, commands.clone())
                .await
                .map_err(classify)?;
            app.handler
                .remember_command_ids(Some(guild.get()), ids(registered));
            tracing::info!(count, guild = guild.get(), "registered guild commands");
        }
    }
    Ok(())
}

fn classify(error: serenity::Error) -> RunError {
    use serenity::all::HttpError;
    use serenity::gateway::GatewayError;
    match &error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response))
            if response.status_code.as_u16() == 401 =>
        {
            RunError::TokenRejected
        }
        serenity::Error::Gateway(GatewayError::InvalidAuthentication) => RunError::TokenRejected,
        serenity::Error::Http(HttpError::Request(error)) => RunError::Other(unreachable(error)),
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => RunError::Other(format!(
            "{} {} answered {}: {}",
            response.method.as_str(),
            route_of(&response.url),
            response.status_code,
            response.error.message
        )),
        _ => RunError::Other(error.to_string()),
    }
}

/// One line for a REST call that got no answer: the host, the cause and what to check.
fn unreachable(error: &reqwest::Error) -> String {
    let host = error.url().map(host_of).unwrap_or_else(|| "Discord".into());
    let via_proxy = error
        .url()
        .is_some_and(|url| url.host_str() != Some("discord.com"));
    let check = if via_proxy {
        "check DISCORD_HTTP_PROXY (discord.http_proxy) and that the proxy is running"
    } else {
        "check this machine's DNS, firewall and outbound HTTPS (port 443)"
    };
    let causes: Vec<String> =
        std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |e| e.source())
            .map(|e| e.to_string())
            .collect();
    let refused = std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |e| e.source())
        .any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        });
    let detail = causes.last().cloned().unwrap_or_default();
    let cause = if error.is_timeout() && error.is_connect() {
        format!("timed out: no connection within {} s", CONNECT_TIMEOUT.as_secs())
    } else if error.is_timeout() {
        format!("timed out: no answer within {} s", REQUEST_TIMEOUT.as_secs())
    } else if causes.iter().any(|c| c.contains("dns error")) {
        format!("DNS lookup failed ({detail})")
    } else if refused {
        "connection refused (nothing listens there)".into()
    } else if error.is_connect() && error.url().is_some_and(|url| url.scheme() == "https") {
        format!("TLS handshake failed ({detail}: an http:// server, or a proxy intercepting HTTPS?)")
    } else {
        detail
    };
    format!("cannot reach {host}: {cause}; {check}")
}

/// A request URL for a log line, with long path segments (interaction tokens) left out.
fn route_of(url: &str) -> String {
    url.split('/')
        .map(|segment| if segment.len() > 60 { "…" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// `host:port` of a URL, for messages.
fn host_of(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => url.to_string(),
    }
}

struct Events {
    app: Arc<App>,
    /// Answers and deletes with the interaction token (see `webhook`).
    webhooks: super::webhook::Webhooks,
    /// The handler runs there, off the async workers the shards need.
    workers: super::workers::Workers,
    /// Shards that have had a Ready: another Ready is a reconnect with a new session.
    connected: std::sync::Mutex<Vec<u32>>,
}

#[async_trait]
impl EventHandler for Events {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let shard = ready.shard.map_or(0, |info| info.id.0);
        let again = {
            let mut connected = self.connected.lock().unwrap_or_else(|p| p.into_inner());
            let again = connected.contains(&shard);
            if !again {
                connected.push(shard);
            }
            again
        };
        if again {
            tracing::warn!(shard, "gateway: reconnected with a new session");
        } else {
            tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), shard, "connected");
        }
    }

    /// Discord resumed the session after a reconnect: no event was lost.
    async fn resume(&self, _ctx: Context, _event: serenity::all::ResumedEvent) {
        tracing::info!("gateway: session resumed");
    }

    /// Reconnects and resumes, so an operator sees a flapping connection in the log.
    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        let (old, new, shard) = (event.old, event.new, event.shard_id.0);
        match new {
            ConnectionStage::Disconnected => tracing::warn!(shard, "gateway disconnected"),
            ConnectionStage::Resuming => tracing::info!(shard, "gateway: resuming the session"),
            ConnectionStage::Connecting if old != ConnectionStage::Disconnected => {
                tracing::info!(shard, from = ?old, "gateway: reconnecting")
            }
            _ => tracing::debug!(shard, from = ?old, to = ?new, "gateway stage"),
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let started = std::time::Instant::now();
        let app = self.app.clone();
        let answered = self
            .workers
            .run(move || {
                let outcome = app.handle(&interaction);
                (interaction, outcome)
            })
            .await;
        let Some((interaction, outcome)) = answered else {
            tracing::error!("the handler panicked");
            return;
        };
        let token = interaction.token();
        let sent = self
            .webhooks
            .callback(interaction.id(), token, &outcome.response, started)
            .await;
        if let Err(error) = sent {
            tracing::warn!(%error, kind = outcome.kind.as_str(), "could not answer an interaction");
            return;
        }
        let application = interaction.application_id();
        match &outcome.then {
            Then::Nothing => {}
            Then::DeleteMessage => {
                if let Err(error) = self.webhooks.delete_original(application, token).await {
                    tracing::warn!(%error, "could not delete a reply");
                }
            }
            Then::Reply(reply) => {
                let posted = self
                    .webhooks
                    .post_reply(Some(&ctx.http), application, token, reply)
                    .await;
                if let Err(error) = posted {
                    tracing::warn!(%error, "could not post an answer");
                }
            }
        }
        tracing::debug!(
            kind = outcome.kind.as_str(),
            micros = started.elapsed().as_micros() as u64,
            "answered"
        );
    }
}

/// Touches the heartbeat file every 10 s while at least one shard is connected.
async fn write_heartbeat(shards: Arc<serenity::gateway::ShardManager>, path: PathBuf) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tick.tick().await;
        let connected = shards
            .runners
            .lock()
            .await
            .values()
            .any(|runner| runner.stage == ConnectionStage::Connected);
        if connected && let Err(error) = std::fs::write(&path, super::health::gateway_beat()) {
            tracing::warn!(%error, path = %path.display(), "cannot write the heartbeat file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ranges_parse_and_refuse_nonsense() {
        let range: Result<ShardRange, _> = "0..2/4".parse();
        assert_eq!(
            range,
            Ok(ShardRange {
                range: 0..2,
                total: 4
            })
        );
        for bad in ["", "0..2", "2..2/4", "3..1/4", "0..5/4", "a..b/c", "0-2/4"] {
            assert!(bad.parse::<ShardRange>().is_err(), "{bad}");
        }
    }
}
