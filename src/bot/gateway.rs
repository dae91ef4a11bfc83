//! The gateway adapter: serenity's client receives interactions and sends the handler's
//! responses over Discord's HTTP API.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ClientBuilder, Context, EventHandler, GatewayIntents, GuildChannel, GuildId, Interaction, Message, Ready,
    ShardStageUpdateEvent,
};
use serenity::async_trait;
use serenity::gateway::ConnectionStage;

use super::shard_watch::Health;

use super::app::App;
use super::discord::{self, Discord, RunError};
use super::handler::{ForumReply, Then};
use super::token::Token;
use super::webhook::ANSWER_WINDOW;

/// Which shards this process runs: `START..END/TOTAL` (END exclusive), or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardRange {
    pub range: Range<u32>,
    pub total: u32,
}

/// `--shards` that is not a range of shards.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardRangeError {
    #[error("{0:?} is not START..END/TOTAL, e.g. 0..2/4 for shards 0 and 1 of 4")]
    Form(String),
    #[error("{0:?}: need START < END <= TOTAL")]
    Order(String),
}

impl std::str::FromStr for ShardRange {
    type Err = ShardRangeError;

    fn from_str(text: &str) -> Result<Self, ShardRangeError> {
        let usage = || ShardRangeError::Form(text.to_string());
        let (range, total) = text.split_once('/').ok_or_else(usage)?;
        let (start, end) = range.split_once("..").ok_or_else(usage)?;
        let (start, end, total): (u32, u32, u32) = (
            start.trim().parse().map_err(|_| usage())?,
            end.trim().parse().map_err(|_| usage())?,
            total.trim().parse().map_err(|_| usage())?,
        );
        if start >= end || end > total {
            return Err(ShardRangeError::Order(text.to_string()));
        }
        Ok(ShardRange {
            range: start..end,
            total,
        })
    }
}

pub struct Options {
    pub shards: Option<ShardRange>,
    /// Register the commands in these guilds only (at once), instead of globally.
    pub guilds: Vec<GuildId>,
    /// Touched while a shard is connected; `notes-bot health` reads it.
    pub heartbeat: PathBuf,
}

/// Runs until SIGINT or SIGTERM, then closes the shards; or ends with an error when
/// serenity gives up or a shard is stuck (connected, no heartbeat acknowledged).
pub async fn run(app: Arc<App>, token: &Token, options: Options) -> Result<(), RunError> {
    let discord = Discord::from_config(&app.config.discord);
    let http = discord::application_http(token, &discord).await?;
    let application_id = http.application_id().ok_or(RunError::NoApplicationId)?;
    // Discord keeps the commands registered before: a passing failure here is retried in
    // the background while the shards serve them.
    let register_later = match discord::register(&http, &app, &options.guilds).await {
        Ok(()) => false,
        Err(error) if super::registrar::is_transient(&error) => {
            tracing::warn!(%error, "could not register the commands; trying again in the background");
            true
        }
        Err(error) => return Err(error),
    };
    let registrar = super::registrar::Registrar {
        http: http.clone(),
        guilds: options.guilds.clone(),
    };
    let _watcher = super::watch::spawn_reloading(app.clone(), Some(registrar), register_later);
    let gap_saver = tokio::spawn(super::app::save_counts_periodically(app.clone()));

    let webhooks = super::webhook::Webhooks::new(discord.rest_base()).map_err(RunError::Client)?;
    let handler = Events {
        app: app.clone(),
        webhooks,
        workers: super::workers::Workers::per_core()?,
        connected: std::sync::Mutex::default(),
    };
    // Interactions need no intent. Forum posts need thread creates (GUILDS), messages
    // (GUILD_MESSAGES) and their text (MESSAGE_CONTENT, privileged: refused with 4014
    // unless enabled in the developer portal).
    let intents = if app.config.forums.is_empty() {
        GatewayIntents::empty()
    } else {
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT
    };
    let mut client = ClientBuilder::new_with_http(discord.http(token)?, intents)
        .event_handler(handler)
        .application_id(application_id)
        .await
        .map_err(discord::classify)?;
    if let Some(url) = &discord.gateway_url {
        *client.ws_url.lock().await = url.clone();
    }
    let gateway = crate::config::redacted(&client.ws_url.lock().await).to_string();
    tracing::info!("connecting to Discord's gateway at {gateway}");
    let shard_manager = client.shard_manager.clone();

    let shutdown = super::shutdown::signal({
        let app = app.clone();
        move || super::app::save_counts(&app)
    });
    let guard = super::shutdown::guard(Duration::from_secs(app.config.shutdown_seconds + 2), {
        let app = app.clone();
        move || super::app::save_counts(&app)
    });
    let result = tokio::select! {
        result = async {
            match &options.shards {
                // serenity's range is inclusive at both ends.
                Some(shards) => client.start_shard_range(shards.range.start..shards.range.end - 1, shards.total).await,
                None => client.start_autosharded().await,
            }
        } => result.map_err(discord::classify),
        stuck = watch_shards(shard_manager.clone(), options.heartbeat.clone(), gateway) => Err(stuck),
        () = shutdown => {
            let deadline = Duration::from_secs(app.config.shutdown_seconds);
            super::shutdown::within(deadline, "closing the shards", shard_manager.shutdown_all()).await;
            Ok(())
        }
    };
    gap_saver.abort();
    guard.stopping();
    super::app::save_counts(&app);
    let _ = std::fs::remove_file(&options.heartbeat);
    result
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
            let mut connected = crate::sync::lock(&self.connected);
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

    async fn thread_create(&self, ctx: Context, thread: GuildChannel) {
        let app = self.app.clone();
        let reply = self.workers.run(move || app.thread_created(&thread)).await;
        self.post_forum_reply(&ctx, reply).await;
    }

    async fn message(&self, ctx: Context, message: Message) {
        if !super::forum::may_start_post(&message) {
            return;
        }
        let app = self.app.clone();
        let reply = self.workers.run(move || app.message_created(&message)).await;
        self.post_forum_reply(&ctx, reply).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let started = std::time::Instant::now();
        let app = self.app.clone();
        let answered = self.workers.run(move || {
            let outcome = app.handle(&interaction);
            (interaction, outcome)
        });
        // Past Discord's window an answer is refused ("Unknown interaction"): under a flood,
        // interactions still in line are dropped rather than worked off one dead call after
        // another while fresh ones wait behind them.
        let answered = match tokio::time::timeout(ANSWER_WINDOW, answered).await {
            Ok(answered) => answered,
            Err(_) => {
                tracing::warn!(
                    waited_ms = started.elapsed().as_millis() as u64,
                    "an interaction waited for a handler thread past Discord's 3 s window; dropped (the bot is overloaded)"
                );
                return;
            }
        };
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

impl Events {
    /// Posts what the handler decided for a forum post (`None` from the workers: it panicked).
    async fn post_forum_reply(&self, ctx: &Context, decided: Option<Option<ForumReply>>) {
        let Some(decided) = decided else {
            tracing::error!("the handler panicked");
            return;
        };
        let Some(reply) = decided else {
            return;
        };
        let thread = reply.thread.get();
        match reply.thread.send_message(&ctx.http, reply.message).await {
            Ok(_) => tracing::debug!(thread, "answered a forum post"),
            Err(error) => tracing::warn!(%error, thread, "could not answer a forum post"),
        }
    }
}

/// How long `run` waits for its first shard to connect before it exits 1, as it does when
/// Discord's REST API cannot be reached at start (for the supervisor to start it again).
const FIRST_CONNECTION: Duration = Duration::from_secs(60);

/// Looks at the shards every second and touches the heartbeat file every 10 s while one is
/// live; returns when none connected in [`FIRST_CONNECTION`], or when one is stuck (see
/// `shard_watch`): serenity reports it connected while
/// Discord no longer acknowledges it, and nothing in serenity would ever end the wait.
/// Starting the shard again in-process would leave the stuck runner behind, holding its
/// queued shutdown (serenity 0.12 can spin on it once its connection ends); the process
/// ends instead, for Docker or Kubernetes to start it again.
async fn watch_shards(
    shards: Arc<serenity::gateway::ShardManager>,
    path: PathBuf,
    gateway: String,
) -> RunError {
    const BEAT: Duration = Duration::from_secs(10);
    let started = tokio::time::Instant::now();
    // No shard live yet: serenity retries a refused connection every 5 s for ever.
    let mut ever_live = false;
    let mut watch = super::shard_watch::ShardWatch::default();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut beaten: Option<tokio::time::Instant> = None;
    let mut heartbeat = super::health::Heartbeat::new(path);
    loop {
        tick.tick().await;
        let now = tokio::time::Instant::now();
        let looks: Vec<(u32, ConnectionStage, Option<Duration>)> = (shards.runners.lock().await.iter())
            .map(|(id, runner)| (id.0, runner.stage, runner.latency))
            .collect();
        let present: Vec<u32> = looks.iter().map(|(id, ..)| *id).collect();
        watch.keep_only(&present);
        let mut live = false;
        for (shard, stage, latency) in looks {
            match watch.look(shard, stage, latency, now.into_std()) {
                Health::Live => live = true,
                Health::Down => {}
                Health::Stuck(silent) => {
                    return RunError::GatewayStuck {
                        shard,
                        seconds: silent.as_secs(),
                    };
                }
            }
        }
        ever_live |= live;
        if !ever_live && now.duration_since(started) >= FIRST_CONNECTION {
            return RunError::GatewayUnreachable {
                gateway,
                seconds: FIRST_CONNECTION.as_secs(),
            };
        }
        let due = beaten.is_none_or(|at| now.duration_since(at) >= BEAT);
        if live && due {
            beaten = Some(now);
            heartbeat.write(&super::health::gateway_beat()).await;
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
