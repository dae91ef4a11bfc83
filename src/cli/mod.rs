//! The command line adapter: what each `notes-bot` subcommand does and prints. `main` parses
//! the arguments, calls one of these, and alone turns an [`Error`] into an exit code.

mod check;
mod data_dir;
mod environment;
mod gaps_report;
mod logging;
mod output;

use std::io::{self, Write};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serenity::all::GuildId;

pub use self::check::check;
pub use self::environment::{Environment, GuildIdError};
pub use self::gaps_report::gaps;
pub use self::logging::{DEFAULT_LOG_FILTER, LogFormat, init_logging};
pub use self::output::Printable;
use crate::bot::app::NoNotes;
use crate::bot::discord::{self, RunError};
use crate::bot::endpoint::{self, PublicKeyError};
use crate::bot::gateway::{self, ShardRange};
use crate::bot::shared::{Shared, SharedError};
use crate::bot::token::TokenError;
use crate::bot::{App, commands, health};
use crate::config::{Config, DiscordUrlError};
use crate::error::FileError;
use crate::reply::{self, Answer};
use crate::search::Index;
/// Text for a terminal, every unprintable character escaped (a note's file name may hold any).
pub use crate::text::printable;

/// Why a subcommand failed, as one line for the person who ran it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] FileError),
    #[error(transparent)]
    NoNotes(#[from] NoNotes),
    #[error("{0} of the notes' files or folders could not be loaded (listed above)")]
    BrokenNotes(usize),
    #[error("{0} of the bot's settings in the environment cannot work (listed above)")]
    BrokenEnvironment(usize),
    #[error("no topic `{topic}`; topics are: {topics}")]
    UnknownTopic { topic: String, topics: String },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    PublicKey(#[from] PublicKeyError),
    /// Discord unreachable, the token rejected, the server stopped…
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    GuildId(#[from] GuildIdError),
    #[error(transparent)]
    DiscordUrl(#[from] DiscordUrlError),
    #[error("cannot read {what}: {source}")]
    Read { what: String, source: io::Error },
    #[error("not a Discord interaction: {0}")]
    NotAnInteraction(serde_json::Error),
    #[error(transparent)]
    StateFile(#[from] crate::json_file::JsonFileError),
    /// NOTES_BOT_REDIS_URL not usable.
    #[error("NOTES_BOT_REDIS_URL: {0}")]
    RedisUrl(crate::config::StateOptionsError),
    /// Redis (state.redis_url) misconfigured, or its thread would not start.
    #[error(transparent)]
    Redis(#[from] SharedError),
    /// Redis did not answer when the gaps were asked for; the reason is what /healthz shows.
    #[error("cannot read the gaps: {0}")]
    GapsUnreadable(String),
    #[error("unhealthy: {0}")]
    Unhealthy(#[from] health::Unhealthy),
    #[error("cannot start the async runtime: {0}")]
    Runtime(io::Error),
    /// Writing the output failed; a closed pipe (`| head`) is not worth a message.
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
}

impl From<serde_json::Error> for Error {
    /// Encoding our own types cannot fail; writing them can.
    fn from(error: serde_json::Error) -> Error {
        Error::Output(error.into())
    }
}

pub type Result<T = ()> = std::result::Result<T, Error>;

/// The config file when it exists (a missing default file means the built-in defaults).
pub const DEFAULT_CONFIG: &str = "config/notes-bot.yaml";

/// Where the config and the notes are, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Paths {
    pub config: Option<PathBuf>,
    pub notes: Option<PathBuf>,
}

impl Paths {
    /// The config (from `--config`, or the default file when present) with `--notes` and
    /// `NOTES_BOT_REDIS_URL` applied.
    pub fn config(&self, env: &Environment) -> Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path, true)?,
            None => Config::load(DEFAULT_CONFIG.as_ref(), false)?,
        };
        if let Some(notes) = &self.notes {
            config.notes_dir = notes.clone();
        }
        env.redis(config).map_err(Error::RedisUrl)
    }

    /// Which config file is read, for a person: a relative path with where it is, or where
    /// the default was looked for (a config not found is the built-in defaults, silently
    /// dropping every setting of a `notes-bot.yml` or of a bot started in another folder).
    pub fn config_source(&self) -> String {
        let shown = crate::error::located;
        let default = Path::new(DEFAULT_CONFIG);
        match &self.config {
            Some(path) => format!("config: {}", shown(path)),
            None if default.is_file() => format!("config: {}", shown(default)),
            None => {
                let yml = default.with_extension("yml");
                let also = if yml.exists() {
                    format!(
                        "; {} is there: name it notes-bot.yaml, or pass --config",
                        yml.display()
                    )
                } else {
                    String::new()
                };
                format!("config: none at {}, the built-in defaults{also}", shown(default))
            }
        }
    }
}

/// With `state.redis_url`, cooldowns and counts move to Redis, shared by every replica.
fn share_state(app: &mut App) -> Result {
    if app.config.state.redis_url.is_some() {
        let shared = Shared::start(&app.config.state, &health::host_name())?;
        app.handler.use_state(Arc::new(shared));
    }
    Ok(())
}

/// Loads the app; files skipped are warnings on stderr.
fn app_at_terminal(paths: &Paths, env: &Environment) -> Result<App> {
    let (app, problems) = App::load(paths.config(env)?)?;
    for problem in &problems {
        eprintln!("warning: {}", printable(&problem.to_string()));
    }
    Ok(app)
}

/// Loads the app for a bot; files skipped are logged.
fn app_for_bot(paths: &Paths, env: &Environment) -> Result<App> {
    let config = paths.config(env)?;
    tracing::info!("{}", printable(&paths.config_source()));
    let (app, problems) = App::load(config)?;
    for problem in problems.iter().chain(&app.warnings()) {
        tracing::warn!("{problem}");
    }
    let index = app.index();
    tracing::info!(
        notes = index.library().notes().len(),
        sections = index.library().section_count(),
        skipped = problems.len(),
        "notes loaded"
    );
    Ok(app)
}

fn check_topic(index: &Index, topic: Option<&str>) -> Result {
    match topic {
        Some(topic) if index.library().note(topic).is_none() => {
            let topics: Vec<&str> = index.library().notes().iter().map(|n| n.topic.as_str()).collect();
            Err(Error::UnknownTopic {
                topic: topic.to_string(),
                topics: topics.join(", "),
            })
        }
        _ => Ok(()),
    }
}

/// How `ask` prints.
#[derive(Debug, Clone, Copy, Default)]
pub struct AskOutput {
    /// One JSON object instead of text.
    pub json: bool,
    /// How the query reads too ([`Index::explain`]).
    pub explain: bool,
}

/// Sections `ask --explain` lists at least.
const EXPLAINED_SECTIONS: usize = 5;

/// `ask`: answers a query exactly as the bot would.
pub fn ask(
    out: &mut impl Write,
    paths: &Paths,
    env: &Environment,
    topic: Option<&str>,
    limit: usize,
    how: AskOutput,
    query: &str,
) -> Result {
    let query = crate::text::clean_query(query);
    let app = app_at_terminal(paths, env)?;
    let index = app.index();
    check_topic(&index, topic)?;
    let answer = Answer::find(&index, &query, topic, limit, &app.config.layout());
    let explanation = (how.explain)
        .then(|| index.explain(&query, topic, limit.max(EXPLAINED_SECTIONS)))
        .flatten();
    if how.json {
        let mut json = serde_json::to_value(&answer)?;
        if let (Some(explanation), Some(object)) = (&explanation, json.as_object_mut()) {
            object.insert("explanation".into(), serde_json::to_value(explanation)?);
        }
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    if let Some(explanation) = &explanation {
        output::print_explanation(out, explanation)?;
        writeln!(out, "\nThe answer:")?;
    }
    output::print_answer(out, &answer, &query, topic)?;
    Ok(())
}

/// `sources`: every source link, grouped by topic and category.
pub fn sources(
    out: &mut impl Write,
    paths: &Paths,
    env: &Environment,
    topic: Option<&str>,
    json: bool,
) -> Result {
    let app = app_at_terminal(paths, env)?;
    let index = app.index();
    check_topic(&index, topic)?;
    let sources = reply::sources(index.library(), topic);
    if json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "sources": sources }))?;
        writeln!(out)?;
        return Ok(());
    }
    output::print_sources(out, &sources)?;
    Ok(())
}

/// `handle`: answers one interaction JSON (from `file`, or stdin for `None` or `-`).
pub fn handle(out: &mut impl Write, paths: &Paths, env: &Environment, file: Option<PathBuf>) -> Result {
    let text = match file.filter(|path| path.as_os_str() != "-") {
        Some(path) => std::fs::read_to_string(&path).map_err(|source| Error::Read {
            what: path.display().to_string(),
            source,
        })?,
        None => io::read_to_string(io::stdin()).map_err(|source| Error::Read {
            what: "stdin".into(),
            source,
        })?,
    };
    let interaction: serenity::all::Interaction =
        serde_json::from_str(&text).map_err(Error::NotAnInteraction)?;
    let app = app_at_terminal(paths, env)?;
    let outcome = app.handle(&interaction);
    // The endpoint's own bytes (its PONG is `{"type":1}`), laid out for a reader.
    let body: serde_json::Value = serde_json::from_slice(&endpoint::response_body(&outcome.response)?)?;
    writeln!(out, "{body:#}")?;
    Ok(())
}

/// `health`: whether the running bot is healthy, from its heartbeat file.
pub fn health(out: &mut impl Write, paths: &Paths, env: &Environment) -> Result {
    let config = paths.config(env)?;
    let status = health::check(&health::heartbeat_path(&config.data_dir))?;
    writeln!(out, "{status}")?;
    Ok(())
}

/// Runs a bot until it stops, then leaves at once: a query still running on a blocking
/// thread past the shutdown deadline must not hold the exit.
fn block_on<T>(bot: impl std::future::Future<Output = T>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let result = runtime.block_on(bot);
    runtime.shutdown_background();
    Ok(result)
}

/// `run`: the bot on Discord's gateway until SIGINT or SIGTERM.
pub fn run(paths: &Paths, env: &Environment, shards: Option<ShardRange>) -> Result {
    let token = env.token()?;
    let guilds = env.guilds()?;
    let mut app = app_for_bot(paths, env)?;
    share_state(&mut app)?;
    data_dir::make(&app.config.data_dir);
    app.handler.state().beat("gateway".into());
    // The bot reaches Discord where the config says, the environment's URLs over the file's.
    app.config.discord = env.discord(&app.config.discord)?;
    let app = Arc::new(app);
    let options = gateway::Options {
        shards,
        guilds,
        heartbeat: health::heartbeat_path(&app.config.data_dir),
    };
    Ok(block_on(gateway::run(app, &token, options))??)
}

/// `serve`: Discord's HTTP interactions endpoint until SIGINT or SIGTERM.
pub fn serve(paths: &Paths, env: &Environment, listen: String, max_skew: u64) -> Result {
    let verifier = env.verifier()?;
    // Optional here (it adds the bot's own replies and re-registration); a token given but
    // unusable is an error, as for `run`.
    let token = match env.token() {
        Ok(token) => Some(token),
        Err(TokenError::Missing) => None,
        Err(error) => return Err(error.into()),
    };
    let mut app = app_for_bot(paths, env)?;
    share_state(&mut app)?;
    data_dir::make(&app.config.data_dir);
    let guilds = env.guilds()?;
    // The bot reaches Discord where the config says, the environment's URLs over the file's.
    app.config.discord = env.discord(&app.config.discord)?;
    let app = Arc::new(app);
    let options = endpoint::Options {
        listen,
        max_skew,
        token,
        guilds,
    };
    Ok(block_on(endpoint::run(app, verifier, options))??)
}

/// `register`: replaces the app's command set, globally or in `guilds` (else
/// DISCORD_GUILD_ID's). With `dry_run`, prints the body it would send instead.
pub fn register(
    out: &mut impl Write,
    paths: &Paths,
    env: &Environment,
    guilds: Vec<NonZeroU64>,
    dry_run: bool,
) -> Result {
    if dry_run {
        // serenity sends exactly this serialisation as the PUT body.
        let app = app_for_bot(paths, env)?;
        let commands = commands::command_set(app.index().library(), &app.config.install);
        serde_json::to_writer(&mut *out, &commands)?;
        writeln!(out)?;
        return Ok(());
    }
    let token = env.token()?;
    let guilds = if guilds.is_empty() {
        env.guilds()?
    } else {
        guilds.into_iter().map(GuildId::from).collect()
    };
    let app = app_for_bot(paths, env)?;
    let discord = discord::Discord::from_config(&env.discord(&app.config.discord)?);
    let registered = block_on(async {
        let http = discord::application_http(&token, &discord).await?;
        discord::register(&http, &app, &guilds).await
    })?;
    Ok(registered?)
}
