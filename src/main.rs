//! The `notes-bot` command line: thin adapters over the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use notes_bot::bot::gateway::{self, RunError, ShardRange};
use notes_bot::bot::shared::Shared;
use notes_bot::bot::state::{Counter, State};
use notes_bot::bot::token::Token;
use notes_bot::bot::{App, health};
use notes_bot::config::Config;
use notes_bot::reply::{self, Reply};
use notes_bot::search::Index;
use notes_bot::text::printable;

#[derive(Parser)]
#[command(
    name = "notes-bot",
    version,
    about = "A Discord bot that answers from markdown notes"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Folder of markdown notes [default: notes_dir from the config, `notes`]
    #[arg(long, global = true, env = "NOTES_BOT_NOTES", value_name = "DIR")]
    notes: Option<String>,
    /// Config file; a missing default file means the built-in defaults
    #[arg(long, global = true, env = "NOTES_BOT_CONFIG", value_name = "FILE")]
    config: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Answer a query from the command line, exactly as the bot would
    Ask {
        /// Search only this topic (a note's command name)
        #[arg(long)]
        topic: Option<String>,
        /// How many sections to show
        #[arg(long, default_value_t = 1)]
        limit: usize,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// What to look for
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
    /// List every source link, grouped by topic and category
    Sources {
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Load the config and every note, report what they hold and any problem
    Check,
    /// Run the bot on Discord's gateway (needs DISCORD_TOKEN)
    Run {
        /// Run only shards START..END of TOTAL (END exclusive), e.g. 0..2/4
        #[arg(long, value_name = "START..END/TOTAL")]
        shards: Option<ShardRange>,
        /// Log lines as text or JSON
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Serve Discord's HTTP interactions endpoint (needs DISCORD_PUBLIC_KEY)
    Serve {
        /// Address to listen on
        #[arg(long, default_value = "0.0.0.0:8080", env = "NOTES_BOT_LISTEN")]
        listen: String,
        /// Seconds a request's timestamp may be off before it is refused; 0 turns the check off
        #[arg(long, default_value_t = 300)]
        max_timestamp_skew: u64,
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Register the slash commands (replaces the app's command set)
    Register {
        /// Register in this guild only (repeatable; default: DISCORD_GUILD_ID, else global)
        #[arg(long = "guild", value_name = "ID")]
        guilds: Vec<u64>,
        /// Print the JSON body it would PUT, and send nothing (no token needed)
        #[arg(long)]
        dry_run: bool,
    },
    /// Answer one interaction JSON (from FILE or stdin) and print the response JSON
    Handle {
        /// A file holding the interaction as Discord sends it; `-` or nothing for stdin
        file: Option<PathBuf>,
    },
    /// Exit 0 when the running bot is healthy (for Docker's HEALTHCHECK)
    Health,
    /// The questions members asked most that the notes did not answer
    Gaps {
        #[arg(long)]
        topic: Option<String>,
        /// How many to show
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

const DEFAULT_CONFIG: &str = "config/notes-bot.yaml";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ask {
            topic,
            limit,
            json,
            query,
        } => ask(&cli.common, topic.as_deref(), limit, json, &query.join(" ")),
        Command::Sources { topic, json } => sources(&cli.common, topic.as_deref(), json),
        Command::Check => check(&cli.common),
        Command::Run { shards, log_format } => run(&cli.common, shards, log_format),
        Command::Serve {
            listen,
            max_timestamp_skew,
            log_format,
        } => serve(&cli.common, &listen, max_timestamp_skew, log_format),
        Command::Register { guilds, dry_run } => register(&cli.common, guilds, dry_run),
        Command::Handle { file } => handle(&cli.common, file),
        Command::Health => health_check(&cli.common),
        Command::Gaps { topic, limit, json } => gaps(&cli.common, topic.as_deref(), limit, json),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The config (from `--config`, or the default file when present) with `--notes` applied.
/// An empty value (`NOTES_BOT_CONFIG=` in an env file) means "not set".
fn given(value: &Option<String>) -> Option<PathBuf> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(PathBuf::from)
}

fn load_config(common: &Common) -> Result<Config, String> {
    let (path, required) = match given(&common.config) {
        Some(path) => (path, true),
        None => (PathBuf::from(DEFAULT_CONFIG), false),
    };
    let mut config = Config::load(&path, required).map_err(|e| e.to_string())?;
    if let Some(notes) = given(&common.notes) {
        config.notes_dir = notes;
    }
    config.with_redis_url(&std::env::var("NOTES_BOT_REDIS_URL").unwrap_or_default())
}

/// With `state.redis_url`, cooldowns and counts move to Redis, shared by every replica.
fn share_state(app: &mut App) -> Result<Option<std::sync::Arc<Shared>>, String> {
    if app.config.state.redis_url.is_none() {
        return Ok(None);
    }
    let shared = std::sync::Arc::new(Shared::start(&app.config.state, &health::host_name())?);
    app.handler.use_state(shared.clone());
    Ok(Some(shared))
}

fn load_notes(config: &Config) -> notes_bot::notes::Loaded {
    notes_bot::notes::load_site(
        &config.notes_dir,
        &config.labels(),
        config.max_note_bytes,
        config.site(),
    )
}

/// Loads the notes and builds the index; problems are printed and those files skipped.
fn load_index(config: &Config) -> Result<Index, String> {
    let loaded = load_notes(config);
    for error in &loaded.errors {
        eprintln!("warning: {error}");
    }
    if loaded.library.notes.is_empty() {
        return Err(format!(
            "no notes loaded from {}; put markdown files there or pass --notes DIR",
            config.notes_dir.display()
        ));
    }
    Ok(Index::build(loaded.library, &config.search_options()))
}

fn check_topic(index: &Index, topic: Option<&str>) -> Result<(), String> {
    match topic {
        Some(topic) if index.library().note(topic).is_none() => {
            let topics: Vec<&str> = index.library().notes.iter().map(|n| n.topic.as_str()).collect();
            Err(format!("no topic `{topic}`; topics are: {}", topics.join(", ")))
        }
        _ => Ok(()),
    }
}

fn ask(
    common: &Common,
    topic: Option<&str>,
    limit: usize,
    json: bool,
    query: &str,
) -> Result<ExitCode, String> {
    let query: &str = &notes_bot::text::clean_query(query);
    let config = load_config(common)?;
    let index = load_index(&config)?;
    check_topic(&index, topic)?;
    let library = index.library();
    let layout = config.layout();
    let hits = index.search(query, topic, limit.max(1));
    let replies: Vec<(f32, Reply)> = hits
        .iter()
        .filter_map(|hit| Some((hit.score, Reply::for_hit(library, hit, &layout)?)))
        .collect();
    let suggestions: Vec<(String, String)> = if replies.is_empty() {
        index
            .did_you_mean(query, topic, 5)
            .iter()
            .filter_map(|s| {
                let note = library.notes.get(s.section.note)?;
                Some((
                    note.topic.clone(),
                    note.sections.get(s.section.section)?.title.clone(),
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut out = std::io::stdout().lock();
    if json {
        let value = serde_json::json!({
            "query": query,
            "topic": topic,
            "hits": replies.iter().map(|(score, reply)| serde_json::json!({
                "topic": reply.topic,
                "title": reply.title,
                "url": reply.url,
                "category": reply.category,
                "score": score,
                "reason": reply.reason,
                "pages": reply.pages.len(),
                "text": reply.page(0).text(),
            })).collect::<Vec<_>>(),
            "suggestions": suggestions.iter().map(|(topic, title)| serde_json::json!({
                "topic": topic, "title": title,
            })).collect::<Vec<_>>(),
        });
        let _ = writeln!(out, "{value:#}");
        return Ok(ExitCode::SUCCESS);
    }
    if replies.is_empty() {
        let _ = writeln!(out, "No section matches “{query}”.");
        if !suggestions.is_empty() {
            let _ = writeln!(out, "Did you mean:");
            for (topic, title) in &suggestions {
                let _ = writeln!(out, "  /{topic} {title}");
            }
        }
        // Not an error: the bot answers this too, just privately.
        return Ok(ExitCode::SUCCESS);
    }
    for (n, (_, reply)) in replies.iter().enumerate() {
        if n > 0 {
            let _ = writeln!(out, "\n{}", "─".repeat(40));
        }
        print_reply(&mut out, reply);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_reply(out: &mut impl Write, reply: &Reply) {
    let _ = writeln!(out, "{}", reply.title);
    if let Some(url) = &reply.url {
        let _ = writeln!(out, "{url}");
    }
    let mut about = vec![format!("/{}", reply.topic)];
    if !reply.category.is_empty() {
        about.push(reply.category.clone());
    }
    about.push(format!("page 1/{}", reply.pages.len()));
    about.push(format!(
        "matched: {}",
        serde_json::to_value(reply.reason)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    ));
    let _ = writeln!(out, "{}\n", about.join(" · "));
    let _ = writeln!(out, "{}", reply.page(0).text());
    if !reply.links.is_empty() {
        let _ = writeln!(out, "\nLinks:");
        for link in &reply.links {
            let _ = writeln!(out, "  {} <{}>", link.text, link.url);
        }
    }
}

fn sources(common: &Common, topic: Option<&str>, json: bool) -> Result<ExitCode, String> {
    let config = load_config(common)?;
    let index = load_index(&config)?;
    check_topic(&index, topic)?;
    let sources = reply::sources(index.library(), topic);
    let mut out = std::io::stdout().lock();
    if json {
        let _ = writeln!(out, "{:#}", serde_json::json!({ "sources": sources }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut group = None;
    for source in &sources {
        let this = (&source.topic, &source.category);
        if group != Some(this) {
            let _ = writeln!(
                out,
                "{}/{} {}",
                if group.is_some() { "\n" } else { "" },
                source.topic,
                source.category
            );
            group = Some(this);
        }
        let _ = writeln!(out, "  {}\n    {}", source.title, source.url);
    }
    Ok(ExitCode::SUCCESS)
}

fn check(common: &Common) -> Result<ExitCode, String> {
    let config = match load_config(common) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let loaded = load_notes(&config);
    let mut out = std::io::stdout().lock();
    let (mut sections, mut sources, mut warnings) = (0, 0, 0);
    for note in &loaded.library.notes {
        let answerable = note.answerable().count();
        let linked = note.sections.iter().filter(|s| s.url.is_some()).count();
        sections += answerable;
        sources += linked;
        warnings += note.warnings.len();
        let _ = writeln!(
            out,
            "{}  /{}  “{}”: {} sections, {} sources",
            printable(&note.path.display().to_string()),
            printable(&note.topic),
            printable(note.title()),
            answerable,
            linked
        );
        for warning in &note.warnings {
            let _ = writeln!(
                out,
                "  {}:{}: warning: {}",
                printable(&note.path.display().to_string()),
                warning.line,
                printable(&warning.message)
            );
        }
    }
    for skipped in &loaded.skipped {
        warnings += 1;
        let _ = writeln!(out, "  warning: {}", printable(&skipped.to_string()));
    }
    let _ = out.flush();
    for error in &loaded.errors {
        eprintln!("{}", printable(&error.to_string()));
    }
    let _ = writeln!(
        out,
        "{} notes, {} sections, {} sources, {} warnings, {} errors",
        loaded.library.notes.len(),
        sections,
        sources,
        warnings,
        loaded.errors.len()
    );
    let failed = !loaded.errors.is_empty() || loaded.library.notes.is_empty();
    if loaded.library.notes.is_empty() && loaded.errors.is_empty() {
        eprintln!("{}: no notes found; add *.md files", config.notes_dir.display());
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Exit code for a missing or rejected token: a configuration problem, not a crash.
const EXIT_CONFIG: u8 = 2;

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,serenity=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Runs a bot until it stops, then leaves at once: a query still running on a blocking
/// thread past the shutdown deadline must not hold the exit.
fn block_on<T>(bot: impl std::future::Future<Output = T>) -> Result<T, String> {
    let runtime = runtime()?;
    let result = runtime.block_on(bot);
    runtime.shutdown_background();
    Ok(result)
}

/// Guild ids from DISCORD_GUILD_ID (comma-separated).
fn guilds_from_env() -> Result<Vec<u64>, String> {
    let Ok(value) = std::env::var("DISCORD_GUILD_ID") else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse()
                .map_err(|_| format!("DISCORD_GUILD_ID: {id:?} is not a guild id (a number)"))
        })
        .collect()
}

fn load_app(common: &Common) -> Result<App, String> {
    let config = load_config(common)?;
    let (app, problems) = App::load(config)?;
    for problem in &problems {
        tracing::warn!("{problem}");
    }
    let index = app.index();
    tracing::info!(
        notes = index.library().notes.len(),
        sections = index.library().section_count(),
        skipped = problems.len(),
        "notes loaded"
    );
    Ok(app)
}

fn run(common: &Common, shards: Option<ShardRange>, log_format: LogFormat) -> Result<ExitCode, String> {
    init_logging(log_format);
    let token = match Token::from_env() {
        Ok(token) => token,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let guilds = guilds_from_env()?;
    let mut app = load_app(common)?;
    if let Some(shared) = share_state(&mut app)? {
        shared.set_beat("gateway".into());
    }
    let app = std::sync::Arc::new(app);
    let options = gateway::Options {
        shards,
        guilds: guilds.into_iter().map(serenity::all::GuildId::new).collect(),
        heartbeat: health::heartbeat_path(&app.config.data_dir),
    };
    if let Err(e) = std::fs::create_dir_all(&app.config.data_dir) {
        tracing::warn!(error = %e, dir = %app.config.data_dir.display(), "cannot create the data folder");
    }
    match block_on(gateway::run(app, &token, options))? {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(RunError::TokenRejected) => {
            eprintln!(
                "error: Discord rejected the bot token (401); reset it in the developer portal and update DISCORD_TOKEN"
            );
            Ok(ExitCode::from(EXIT_CONFIG))
        }
        Err(RunError::Other(message)) => Err(message),
    }
}

fn serve(common: &Common, listen: &str, max_skew: u64, log_format: LogFormat) -> Result<ExitCode, String> {
    use notes_bot::bot::endpoint::{self, Endpoint};
    init_logging(log_format);
    let public_key = std::env::var("DISCORD_PUBLIC_KEY").unwrap_or_default();
    let verifier = match endpoint::verifier(&public_key) {
        Ok(verifier) => verifier,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    // A token is optional here: with one, commands are re-registered when topics change.
    let token = Token::from_env().ok();
    let mut app = load_app(common)?;
    let shared = share_state(&mut app)?;
    let app = std::sync::Arc::new(app);
    let heartbeat = health::heartbeat_path(&app.config.data_dir);
    let discord = gateway::Discord::from_config(&app.config.discord)?;
    let guilds: Vec<_> = guilds_from_env()?
        .into_iter()
        .map(serenity::all::GuildId::new)
        .collect();
    let webhooks = notes_bot::bot::webhook::Webhooks::new(discord.rest_base())?;
    let state = std::sync::Arc::new(Endpoint::new(app.clone(), verifier, max_skew, webhooks));
    block_on(async move {
        let shutdown = notes_bot::bot::shutdown::signal({
            let app = app.clone();
            move || notes_bot::bot::app::save_gaps(&app)
        });
        // Registering again needs the application id, which only the token can tell.
        let registrar = match &token {
            Some(token) => match gateway::application_http(token, &discord).await {
                Ok(http) => Some((http, guilds)),
                Err(gateway::RunError::TokenRejected) => {
                    tracing::warn!(
                        "Discord rejected DISCORD_TOKEN; commands will not be re-registered on reload"
                    );
                    None
                }
                Err(gateway::RunError::Other(error)) => {
                    tracing::warn!(%error, "commands will not be re-registered on reload");
                    None
                }
            },
            None => None,
        };
        let _watcher = notes_bot::bot::watch::spawn_reloading(app.clone(), registrar);
        let gap_saver = tokio::spawn(notes_bot::bot::app::save_gaps_periodically(app.clone()));
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        if let Some(address) = endpoint::local_address(&listener) {
            tracing::info!(%address, "serving interactions at POST /interactions");
            let _ = std::fs::create_dir_all(heartbeat.parent().unwrap_or(std::path::Path::new(".")));
            let _ = std::fs::write(&heartbeat, health::serve_beat(address));
            if let Some(shared) = &shared {
                shared.set_beat(health::serve_beat(address));
            }
        }
        let result = endpoint::serve(listener, state, shutdown).await;
        gap_saver.abort();
        notes_bot::bot::app::save_gaps(&app);
        let _ = std::fs::remove_file(&heartbeat);
        tracing::info!("stopped");
        result.map_err(|e| format!("server error: {e}"))
    })??;
    Ok(ExitCode::SUCCESS)
}

fn register(common: &Common, guilds: Vec<u64>, dry_run: bool) -> Result<ExitCode, String> {
    init_logging(LogFormat::Text);
    if dry_run {
        // serenity sends exactly this serialisation as the PUT body.
        let app = load_app(common)?;
        let commands = notes_bot::bot::commands::command_set(app.index().library(), &app.config.install);
        let body =
            serde_json::to_string(&commands).map_err(|e| format!("cannot encode the commands: {e}"))?;
        println!("{body}");
        return Ok(ExitCode::SUCCESS);
    }
    let token = match Token::from_env() {
        Ok(token) => token,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let guilds = if guilds.is_empty() {
        guilds_from_env()?
    } else {
        guilds
    };
    let app = load_app(common)?;
    let result = runtime()?.block_on(async {
        let discord = gateway::Discord::from_config(&app.config.discord).map_err(RunError::Other)?;
        let http = gateway::application_http(&token, &discord).await?;
        let guilds: Vec<_> = guilds.into_iter().map(serenity::all::GuildId::new).collect();
        gateway::register(&http, &app, &guilds).await
    });
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(RunError::TokenRejected) => {
            eprintln!(
                "error: Discord rejected the bot token; reset it in the developer portal and update DISCORD_TOKEN"
            );
            Ok(ExitCode::from(EXIT_CONFIG))
        }
        Err(RunError::Other(message)) => Err(message),
    }
}

fn handle(common: &Common, file: Option<PathBuf>) -> Result<ExitCode, String> {
    let text = match file.as_deref() {
        Some(path) if path != std::path::Path::new("-") => {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        }
        _ => std::io::read_to_string(std::io::stdin()).map_err(|e| format!("cannot read stdin: {e}"))?,
    };
    let interaction: serenity::all::Interaction =
        serde_json::from_str(&text).map_err(|e| format!("not a Discord interaction: {e}"))?;
    let app = load_app(common)?;
    let outcome = app.handle(&interaction);
    let body =
        serde_json::to_value(&outcome.response).map_err(|e| format!("cannot encode the response: {e}"))?;
    let _ = writeln!(std::io::stdout().lock(), "{body:#}");
    Ok(ExitCode::SUCCESS)
}

fn health_check(common: &Common) -> Result<ExitCode, String> {
    let config = load_config(common)?;
    match health::check(&health::heartbeat_path(&config.data_dir)) {
        Ok(status) => {
            println!("{status}");
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            eprintln!("unhealthy: {problem}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn gaps(common: &Common, topic: Option<&str>, limit: usize, json: bool) -> Result<ExitCode, String> {
    let config = load_config(common)?;
    let counts = if config.state.redis_url.is_some() {
        let shared = Shared::start(&config.state, &health::host_name())?;
        if let Some(problem) = shared.degraded() {
            return Err(format!("cannot read the gaps: {problem}"));
        }
        let mut counts = notes_bot::gaps::Counts::default();
        for (field, n) in shared.counts(Counter::Gaps) {
            counts.add_field(&field, n);
        }
        counts
    } else {
        notes_bot::gaps::load(&notes_bot::gaps::file_in(&config.data_dir))?
    };
    let top = counts.top(topic, limit);
    let mut out = std::io::stdout().lock();
    if json {
        let _ = writeln!(out, "{:#}", serde_json::json!({ "gaps": top }));
    } else if top.is_empty() {
        let place = match &config.state.redis_url {
            Some(url) => format!("Redis at {}", url.location()),
            None => config.data_dir.display().to_string(),
        };
        let _ = writeln!(out, "No unanswered questions recorded in {place}.");
    } else {
        let _ = writeln!(out, "{:>8} {:>6}  topic / query", "missed", "weak");
        for gap in top {
            let _ = writeln!(
                out,
                "{:>8} {:>6}  /{} “{}”",
                gap.missed,
                gap.weak,
                printable(&gap.topic),
                printable(&gap.query)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
