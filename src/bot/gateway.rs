//! The gateway adapter: serenity's client receives interactions and sends the handler's
//! responses over Discord's HTTP API.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    Client, Command, Context, EventHandler, GatewayIntents, GuildId, Http, Interaction, Ready,
};
use serenity::async_trait;
use serenity::gateway::ConnectionStage;

use super::app::App;
use super::commands::command_set;
use super::handler::Then;
use super::token::Token;

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
    let http = application_http(token).await?;
    let application_id = http
        .application_id()
        .ok_or_else(|| RunError::Other("no application id".into()))?;
    register(&http, &app, &options.guilds).await?;
    let _watcher = super::watch::spawn_reloading(app.clone(), Some((http.clone(), options.guilds.clone())));
    let gap_saver = tokio::spawn(super::app::save_gaps_periodically(app.clone()));

    let handler = Events { app: app.clone() };
    let mut client = Client::builder(token.expose(), GatewayIntents::empty())
        .event_handler(handler)
        .application_id(application_id)
        .await
        .map_err(classify)?;
    let shard_manager = client.shard_manager.clone();
    let heartbeat = tokio::spawn(write_heartbeat(shard_manager.clone(), options.heartbeat.clone()));

    let shutdown = shutdown_signal();
    let result = tokio::select! {
        result = async {
            match &options.shards {
                // serenity's range is inclusive at both ends.
                Some(shards) => client.start_shard_range(shards.range.start..shards.range.end - 1, shards.total).await,
                None => client.start_autosharded().await,
            }
        } => result.map_err(classify),
        () = shutdown => {
            tracing::info!("shutting down");
            shard_manager.shutdown_all().await;
            Ok(())
        }
    };
    heartbeat.abort();
    gap_saver.abort();
    super::app::save_gaps(&app);
    let _ = std::fs::remove_file(&options.heartbeat);
    result
}

/// An HTTP client for the bot's application: the first call checks the token.
pub async fn application_http(token: &Token) -> Result<Arc<Http>, RunError> {
    let http = Arc::new(Http::new(token.expose()));
    let info = http.get_current_application_info().await.map_err(classify)?;
    http.set_application_id(info.id);
    Ok(http)
}

/// Replaces the app's command set (globally, or in the given guilds).
pub async fn register(http: &Http, app: &App, guilds: &[GuildId]) -> Result<(), RunError> {
    let commands = command_set(app.index().library());
    let count = commands.len();
    if guilds.is_empty() {
        Command::set_global_commands(http, commands)
            .await
            .map_err(classify)?;
        tracing::info!(
            count,
            "registered global commands (Discord may take up to an hour to show changes)"
        );
    } else {
        for guild in guilds {
            guild
                .set_commands(http, commands.clone())
                .await
                .map_err(classify)?;
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
        _ => RunError::Other(error.to_string()),
    }
}

struct Events {
    app: Arc<App>,
}

#[async_trait]
impl EventHandler for Events {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), shard = ?ready.shard, "connected");
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let started = std::time::Instant::now();
        let outcome = self.app.handle(&interaction);
        let sent = ctx
            .http
            .create_interaction_response(
                interaction.id(),
                interaction.token(),
                &outcome.response,
                Vec::new(),
            )
            .await;
        if let Err(error) = sent {
            tracing::warn!(%error, kind = outcome.kind.as_str(), "could not answer an interaction");
            return;
        }
        if outcome.then == Then::DeleteMessage
            && let Err(error) = ctx
                .http
                .delete_original_interaction_response(interaction.token())
                .await
        {
            tracing::warn!(%error, "could not delete a reply");
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
        if connected {
            if let Err(error) = std::fs::write(&path, super::health::gateway_beat()) {
                tracing::warn!(%error, path = %path.display(), "cannot write the heartbeat file");
            }
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (docker stop). The handlers are installed when
/// this is called, not when first polled, so a signal right after start-up is not lost.
/// Call it inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let interrupt = tokio::spawn(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    async move {
        #[cfg(unix)]
        let terminate = async move {
            match terminate {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = interrupt => {}
            () = terminate => {}
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
