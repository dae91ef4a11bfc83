//! The command line adapter: what each `notes-bot` subcommand does and prints. `main` parses
//! the arguments, calls one of these, and alone turns an [`Error`] into an exit code.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serenity::all::GuildId;

use crate::bot::app::NoNotes;
use crate::bot::discord::{self, RunError};
use crate::bot::endpoint::{self, PublicKeyError};
use crate::bot::gateway::{self, ShardRange};
use crate::bot::i18n::Lang;
use crate::bot::shared::{Shared, SharedError};
use crate::bot::state::State;
use crate::bot::token::{Token, TokenError};
use crate::bot::{App, commands, health};
use crate::config::Config;
use crate::error::FileError;
use crate::reply::{self, Answer, AnswerHit};
use crate::search::{Explanation, How, Index};
/// Text for a terminal, every unprintable character escaped (a note's file name may hold any).
pub use crate::text::printable;
use crate::{feedback, gaps};

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
    #[error("DISCORD_GUILD_ID: {id:?} is not a server id (a number above 0: right-click the server → Copy Server ID){}", if id.contains(char::is_whitespace) { "; separate several with commas" } else { "" })]
    GuildId { id: String },
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
    /// The config (from `--config`, or the default file when present) with `--notes` applied.
    pub fn config(&self) -> Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path, true)?,
            None => Config::load(DEFAULT_CONFIG.as_ref(), false)?,
        };
        if let Some(notes) = &self.notes {
            config.notes_dir = notes.clone();
        }
        let redis_url = std::env::var("NOTES_BOT_REDIS_URL").unwrap_or_default();
        config.with_redis_url(&redis_url).map_err(Error::RedisUrl)
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
fn app_at_terminal(paths: &Paths) -> Result<App> {
    let (app, problems) = App::load(paths.config()?)?;
    for problem in &problems {
        eprintln!("warning: {}", printable(&problem.to_string()));
    }
    Ok(app)
}

/// Loads the app for a bot; files skipped are logged.
fn app_for_bot(paths: &Paths) -> Result<App> {
    let config = paths.config()?;
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
    topic: Option<&str>,
    limit: usize,
    how: AskOutput,
    query: &str,
) -> Result {
    let query = crate::text::clean_query(query);
    let app = app_at_terminal(paths)?;
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
        print_explanation(out, explanation)?;
        writeln!(out, "\nThe answer:")?;
    }
    if let Some(name) = &answer.unmentioned {
        let place = topic.map_or_else(|| "the notes".to_string(), |topic| format!("/{topic}"));
        writeln!(out, "“{name}” is not in {place}.")?;
    }
    if answer.hits.is_empty() && !answer.closest.is_empty() {
        // The bot offers these privately, each with a button to post it.
        writeln!(out, "No section clearly matches “{query}”. The closest ones:")?;
        for section in &answer.closest {
            writeln!(out, "  /{} {}", section.topic, section.title)?;
        }
        return Ok(());
    }
    if answer.hits.is_empty() {
        // Not an error: the bot answers this too, just privately.
        writeln!(out, "No section matches “{query}”.")?;
        if !answer.suggestions.is_empty() {
            writeln!(out, "Did you mean:")?;
            for suggestion in &answer.suggestions {
                writeln!(out, "  /{} {}", suggestion.topic, suggestion.title)?;
            }
        }
        return Ok(());
    }
    for (n, hit) in answer.hits.iter().enumerate() {
        if n > 0 {
            writeln!(out, "\n{}", "─".repeat(40))?;
        }
        print_hit(out, hit)?;
    }
    Ok(())
}

/// `ask --explain`'s text: the words, what each matches, and the closest sections with
/// the words they lack.
fn print_explanation(out: &mut impl Write, explanation: &Explanation) -> io::Result<()> {
    writeln!(out, "Read as: {}", explanation.read_as)?;
    if explanation.words.is_empty() {
        writeln!(out, "It asks nothing the search reads (only filler words).")?;
        return Ok(());
    }
    writeln!(
        out,
        "Words, and what each matches in the notes (term: sections holding it):"
    )?;
    // Chinese characters take two columns in a terminal.
    let columns = |text: &str| -> usize {
        text.chars()
            .map(|c| if crate::search::is_cjk(c) { 2 } else { 1 })
            .sum()
    };
    let width = (explanation.words.iter())
        .map(|w| columns(&w.text))
        .max()
        .unwrap_or(0);
    for (at, word) in explanation.words.iter().enumerate() {
        // A lone Chinese character matches every bigram holding it: the first few say enough.
        const SHOWN_TERMS: usize = 8;
        let mut terms: Vec<String> = (word.terms.iter().take(SHOWN_TERMS))
            .map(|t| match t.how {
                How::Exact => format!("{}: {}", t.term, t.sections),
                how => format!("{}: {} ({})", t.term, t.sections, how.as_str()),
            })
            .collect();
        if word.terms.len() > SHOWN_TERMS {
            terms.push(format!("… {} more", word.terms.len() - SHOWN_TERMS));
        }
        let terms = if terms.is_empty() {
            "nothing in the notes".to_string()
        } else {
            terms.join(", ")
        };
        let mut notes = Vec::new();
        if word.context {
            notes.push("context, weighs half");
        }
        if explanation.subject == Some(at) {
            notes.push("the subject: an answer must hold it");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", notes.join("; "))
        };
        let text = &word.text;
        let pad = width.saturating_sub(columns(text));
        writeln!(out, "  {text}{}  {terms}{notes}", " ".repeat(pad))?;
    }
    if explanation.sections.is_empty() {
        writeln!(out, "No section holds any of them.")?;
        return Ok(());
    }
    writeln!(
        out,
        "Sections (share of the question matched; an answer needs over {:.0}%; [found]: the search returns it):",
        explanation.min_coverage * 100.0
    )?;
    for (n, section) in explanation.sections.iter().enumerate() {
        let lacks: Vec<&str> = (explanation.words.iter().zip(&section.holds))
            .filter(|(_, holds)| !**holds)
            .map(|(word, _)| word.text.as_str())
            .collect();
        let lacks = if lacks.is_empty() {
            String::new()
        } else {
            format!("  lacks: {}", lacks.join(", "))
        };
        let found = if section.found { "  [found]" } else { "" };
        writeln!(
            out,
            "  {}. /{} {}  {:.0}%{found}{lacks}",
            n + 1,
            section.topic,
            section.title,
            section.coverage * 100.0
        )?;
    }
    Ok(())
}

fn print_hit(out: &mut impl Write, hit: &AnswerHit) -> io::Result<()> {
    writeln!(out, "{}", hit.title)?;
    if let Some(url) = &hit.url {
        writeln!(out, "{url}")?;
    }
    let mut about = vec![format!("/{}", hit.topic)];
    if !hit.category.is_empty() {
        about.push(hit.category.clone());
    }
    about.push(format!("page 1/{}", hit.pages));
    about.push(format!("matched: {}", hit.reason.as_str()));
    writeln!(out, "{}\n", about.join(" · "))?;
    writeln!(out, "{}", hit.text)?;
    if !hit.links.is_empty() {
        writeln!(out, "\nLinks:")?;
        for link in &hit.links {
            writeln!(out, "  {} <{}>", link.text, link.url)?;
        }
    }
    Ok(())
}

/// `sources`: every source link, grouped by topic and category.
pub fn sources(out: &mut impl Write, paths: &Paths, topic: Option<&str>, json: bool) -> Result {
    let app = app_at_terminal(paths)?;
    let index = app.index();
    check_topic(&index, topic)?;
    let sources = reply::sources(index.library(), topic);
    if json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "sources": sources }))?;
        writeln!(out)?;
        return Ok(());
    }
    let mut group = None;
    for source in &sources {
        let this = (&source.topic, &source.category);
        if group != Some(this) {
            let gap = if group.is_some() { "\n" } else { "" };
            writeln!(out, "{gap}/{} {}", source.topic, source.category)?;
            group = Some(this);
        }
        writeln!(out, "  {}\n    {}", source.title, source.url)?;
    }
    Ok(())
}

/// `check`: loads the config and every note and reports what they hold and any problem.
pub fn check(out: &mut impl Write, paths: &Paths) -> Result {
    let config = paths.config()?;
    writeln!(out, "{}", printable(&paths.config_source()))?;
    let loaded = crate::notes::load_site(&config.notes_dir, &config.labels(), config.caps(), config.site());
    let (mut sections, mut sources, mut warnings) = (0, 0, 0);
    for note in loaded.library.notes() {
        let answerable = note.answerable().count();
        let linked = note.sections.iter().filter(|s| s.url.is_some()).count();
        sections += answerable;
        sources += linked;
        warnings += note.warnings.len();
        let path = note.path.display().to_string();
        writeln!(
            out,
            "{}  /{}  “{}”: {} sections, {} sources",
            printable(&path),
            printable(&note.topic),
            printable(note.title()),
            answerable,
            linked
        )?;
        for warning in &note.warnings {
            let message = printable(&warning.message);
            writeln!(out, "  {}:{}: warning: {message}", printable(&path), warning.line)?;
        }
    }
    for notice in &loaded.notices {
        warnings += 1;
        writeln!(out, "  warning: {}", printable(&notice.to_string()))?;
    }
    // A folder of `link_bases` that holds no note (names are case-sensitive: `En` is not
    // `en`) links nothing, without an error anywhere.
    for folder in config.link_bases.keys() {
        let base = config.notes_dir.join(folder.trim_matches('/'));
        if !loaded
            .library
            .notes()
            .iter()
            .any(|note| note.path.starts_with(&base))
        {
            warnings += 1;
            let message = format!(
                "config: link_bases names `{folder}`, but no note is in {} (folder names are case-sensitive)",
                base.display()
            );
            writeln!(out, "  warning: {}", printable(&message))?;
        }
    }
    out.flush()?;
    for error in &loaded.errors {
        eprintln!("{}", printable(&error.to_string()));
    }
    let (wrong, warned) = check_environment(out, &config)?;
    let (notes, errors) = (loaded.library.notes().len(), loaded.errors.len());
    writeln!(
        out,
        "{notes} notes, {sections} sections, {sources} sources, {} warnings, {} errors",
        warnings + warned,
        errors + wrong
    )?;
    if errors > 0 {
        Err(Error::BrokenNotes(errors))
    } else if wrong > 0 {
        Err(Error::BrokenEnvironment(wrong))
    } else if notes == 0 {
        Err(Error::NoNotes(NoNotes::new(
            config.notes_dir,
            Vec::new(),
            config.ignore,
        )))
    } else {
        Ok(())
    }
}

/// What `run` and `serve` will read from the environment and the data folder, looked at
/// without asking Discord: each on a line, an unusable one on stderr; how many are, and
/// how many warnings (the data folder: the bot starts without it).
fn check_environment(out: &mut impl Write, config: &Config) -> Result<(usize, usize)> {
    let mut wrong = 0;
    let mut tell =
        |out: &mut dyn Write, what: &str, told: std::result::Result<String, String>| -> io::Result<()> {
            match told {
                Ok(fine) => writeln!(out, "{what}: {}", printable(&fine)),
                Err(error) => {
                    wrong += 1;
                    writeln!(out, "{what}: cannot work (below)")?;
                    eprintln!("{}", printable(&error));
                    Ok(())
                }
            }
        };
    let set = |name: &str| std::env::var(name).is_ok_and(|value| !value.trim().is_empty());
    let token = if set("DISCORD_TOKEN") || set("DISCORD_TOKEN_FILE") {
        Token::from_env()
            .map(|_| "set and well-formed (Discord is not asked)".to_string())
            .map_err(|e| e.to_string())
    } else {
        Ok("not set (`run` needs it; `serve` uses it to register commands and post replies)".into())
    };
    tell(out, "bot token", token)?;
    let key = match std::env::var("DISCORD_PUBLIC_KEY") {
        Ok(key) if !key.trim().is_empty() => endpoint::verifier(&key)
            .map(|_| "a valid key".to_string())
            .map_err(|e| e.to_string()),
        _ => Ok("not set (`serve` needs it)".into()),
    };
    tell(out, "DISCORD_PUBLIC_KEY", key)?;
    let guilds = guilds_from_env()
        .map_err(|e| e.to_string())
        .map(|guilds| match guilds.len() {
            0 => "not set: commands are registered globally".to_string(),
            n => format!("{n} server(s): commands are registered there"),
        });
    tell(out, "DISCORD_GUILD_ID", guilds)?;
    let discord = discord::Discord::from_config(&config.discord)
        .map(|discord| match (&discord.http_proxy, &discord.gateway_url) {
            (None, None) => "discord.com directly".to_string(),
            (proxy, gateway) => format!(
                "REST through {}, gateway {}",
                proxy
                    .as_deref()
                    .map_or("discord.com".into(), crate::config::redacted),
                gateway
                    .as_deref()
                    .map_or("as Discord names it".into(), crate::config::redacted)
            ),
        })
        .map_err(|e| e.to_string());
    tell(out, "Discord (DISCORD_HTTP_PROXY, DISCORD_GATEWAY_URL)", discord)?;
    // `run` and `serve` start without it (and warn): a warning here too.
    let data = data_dir_writable(&config.data_dir);
    match &data {
        Ok(fine) => writeln!(out, "data_dir: {}", printable(fine))?,
        Err(problem) => writeln!(out, "  warning: {}", printable(problem))?,
    }
    Ok((wrong, usize::from(data.is_err())))
}

/// Whether the bot can keep its votes, gaps and heartbeat in `dir`, looked at without
/// writing anything (a folder not there yet: whether it can be made).
fn data_dir_writable(dir: &Path) -> std::result::Result<String, String> {
    let shown = crate::error::located(dir);
    if dir.is_file() {
        return Err(format!(
            "data_dir {shown} is a file, not a folder: set data_dir to a folder"
        ));
    }
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let Some(existing) = absolute.ancestors().find(|path| path.is_dir()) else {
        return Err(format!("data_dir {shown}: no folder above it exists"));
    };
    let made = if existing == absolute {
        ""
    } else {
        ", made when the bot starts"
    };
    match writable(existing) {
        Ok(()) => Ok(format!("{shown}: writable{made}")),
        Err(e) => Err(format!(
            "data_dir {shown}: {} cannot be written to ({e}{}); votes, gaps and the health check need it",
            existing.display(),
            crate::error::permission_fix(&e, "write to")
        )),
    }
}

/// Whether this process may write in the folder `dir` (access(2), nothing written).
fn writable(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(io::Error::other)?;
        // SAFETY: `path` is a NUL-terminated string; access only reads it.
        if unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// A gap and its words the notes never use (None: unknown).
#[derive(serde::Serialize)]
struct GapWords<'a> {
    #[serde(flatten)]
    gap: &'a gaps::Gap,
    lacking: Option<Vec<String>>,
}

/// `gaps`: the questions asked most that the notes did not answer.
pub fn gaps(out: &mut impl Write, paths: &Paths, topic: Option<&str>, limit: usize, json: bool) -> Result {
    let config = paths.config()?;
    let (counts, ratings) = match &config.state.redis_url {
        Some(_) => {
            let shared = Shared::start(&config.state, &health::host_name())?;
            if let Some(problem) = shared.degraded() {
                return Err(Error::GapsUnreadable(problem));
            }
            let mut counts = gaps::Counts::default();
            for (field, n) in shared.gaps() {
                counts.add_field(&field, n);
            }
            (counts, shared.ratings())
        }
        None => (
            gaps::load(&gaps::file_in(&config.data_dir))?,
            feedback::load(&feedback::file_in(&config.data_dir))?,
        ),
    };
    // The host's report: every place, each row with its own.
    let top = counts.top(None, topic, limit);
    let worst = ratings.worst(None, topic, limit);
    // Each gap's words the notes never use, as /gaps shows them; unknown (null in JSON)
    // when the notes cannot be loaded or the gap's topic is gone: the counts stand alone.
    let index = if top.is_empty() {
        None
    } else {
        match App::load(config.clone()) {
            Ok((app, _)) => Some(app.index()),
            Err(e) => {
                let e = printable(&e.to_string()).into_owned();
                eprintln!("warning: the words the notes lack are not shown: {e}");
                None
            }
        }
    };
    let gaps: Vec<GapWords> = (top.iter())
        .map(|gap| GapWords {
            gap,
            lacking: (index.as_ref()).and_then(|index| index.lacking(&gap.query, Some(&gap.topic))),
        })
        .collect();
    if json {
        let value = serde_json::json!({ "gaps": gaps, "worst_rated": worst });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
        return Ok(());
    }
    let recorded = |topic: Option<&str>| counts.topics.in_place(None, topic).next().is_some();
    if !recorded(topic) {
        let place = match &config.state.redis_url {
            Some(url) => format!("Redis at {}", url.location()),
            None => config.data_dir.display().to_string(),
        };
        match topic {
            // A misspelt topic is told apart from a well-answered one.
            Some(topic) if recorded(None) => {
                const NAMED: usize = 10;
                let others: BTreeSet<&str> = (counts.topics.in_place(None, None))
                    .map(|(topic, ..)| topic)
                    .collect();
                let mut named: Vec<String> = others
                    .iter()
                    .take(NAMED)
                    .map(|t| format!("/{}", printable(t)))
                    .collect();
                if others.len() > NAMED {
                    named.push("…".to_string());
                }
                writeln!(
                    out,
                    "No unanswered questions recorded for /{} in {place}; they are for {}.",
                    printable(topic),
                    named.join(", ")
                )?;
            }
            _ => writeln!(out, "No unanswered questions recorded in {place}.")?,
        }
    } else {
        writeln!(out, "{:>8} {:>6}  topic / query (where asked)", "missed", "weak")?;
        for GapWords { gap, lacking } in &gaps {
            let (topic, query) = (printable(&gap.topic), printable(&gap.query));
            let lacking = match lacking {
                Some(words) if !words.is_empty() => Lang::En.gap_lacking(&printable(&words.join(", "))),
                _ => String::new(),
            };
            let place = asked_in(gap.place.as_deref());
            writeln!(
                out,
                "{:>8} {:>6}  /{topic} “{query}”{place}{lacking}",
                gap.missed, gap.weak
            )?;
        }
    }
    if worst.is_empty() {
        writeln!(out, "No 👎 recorded.")?;
        return Ok(());
    }
    writeln!(out, "\nWorst-rated answers:")?;
    writeln!(
        out,
        "{:>6} {:>6}  topic / section ← queries that drew a 👎",
        "👎", "👍"
    )?;
    for rated in worst {
        let asked: Vec<String> = rated
            .queries
            .iter()
            .map(|(query, n)| format!("“{}” ×{n}", printable(query)))
            .collect();
        let (topic, title) = (printable(&rated.topic), printable(&rated.title));
        let drew = if asked.is_empty() {
            String::new()
        } else {
            format!(" ← {}", asked.join(", "))
        };
        let place = asked_in(rated.place.as_deref());
        writeln!(
            out,
            "{:>6} {:>6}  /{topic} {title}{place}{drew}",
            rated.down, rated.up
        )?;
    }
    Ok(())
}

/// Where a gap was asked or a vote given, for the host's report: ` (server 1180…)`,
/// ` (DMs)`, nothing for counts older than places.
fn asked_in(place: Option<&str>) -> String {
    match place {
        Some(crate::by_topic::DIRECT) => " (DMs)".into(),
        Some(server) => format!(" (server {})", printable(server)),
        None => String::new(),
    }
}

/// `handle`: answers one interaction JSON (from `file`, or stdin for `None` or `-`).
pub fn handle(out: &mut impl Write, paths: &Paths, file: Option<PathBuf>) -> Result {
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
    let app = app_at_terminal(paths)?;
    let outcome = app.handle(&interaction);
    // The endpoint's own bytes (its PONG is `{"type":1}`), laid out for a reader.
    let body: serde_json::Value = serde_json::from_slice(&endpoint::response_body(&outcome.response)?)?;
    writeln!(out, "{body:#}")?;
    Ok(())
}

/// `health`: whether the running bot is healthy, from its heartbeat file.
pub fn health(out: &mut impl Write, paths: &Paths) -> Result {
    let config = paths.config()?;
    let status = health::check(&health::heartbeat_path(&config.data_dir))?;
    writeln!(out, "{status}")?;
    Ok(())
}

/// How log lines look on stderr.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The log filter without `RUST_LOG`: the file watcher's info lines are left out, one
/// "unable to remove watch descriptor … Invalid argument" for each folder deleted (every
/// `git gc` made 256), which is expected and reads like an error.
pub const DEFAULT_LOG_FILTER: &str = "info,serenity=warn,notify=warn";

pub fn init_logging(format: LogFormat) {
    let asked = std::env::var("RUST_LOG").ok();
    let (filter, refused) = log_filter(asked.as_deref());
    // Colours only for a person at a terminal: a file, a pipe or journald got escape codes.
    use std::io::IsTerminal as _;
    let colour = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    if let Some(why) = refused {
        tracing::warn!("RUST_LOG {why}; logging with {DEFAULT_LOG_FILTER}");
    }
}

/// The log filter `RUST_LOG` asks for, or the default and why not: a word that is no level
/// (`verbose`, `information`) reads as a module's name, and a filter of one unknown module
/// logs nothing at all, errors included.
fn log_filter(asked: Option<&str>) -> (tracing_subscriber::EnvFilter, Option<String>) {
    let default = || tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER);
    let asked = asked.map(str::trim).filter(|a| !a.is_empty());
    let Some(asked) = asked else {
        return (default(), None);
    };
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    // Words people write for a level, which EnvFilter would read as a module's name.
    const LEVELISH: [&str; 16] = [
        "verbose",
        "information",
        "informational",
        "warning",
        "warnings",
        "errors",
        "critical",
        "fatal",
        "all",
        "none",
        "quiet",
        "silent",
        "default",
        "notice",
        "debugging",
        "on",
    ];
    // Levels by name or number (`notes_bot=5`).
    let level = |word: &str| {
        LEVELS.iter().any(|l| l.eq_ignore_ascii_case(word))
            || matches!(word, "0" | "1" | "2" | "3" | "4" | "5")
    };
    let levelish = |word: &str| {
        let word = word.to_ascii_lowercase();
        LEVELISH.contains(&word.as_str())
            || (LEVELS.iter()).any(|l| l.len() >= 4 && strsim::levenshtein(l, &word) <= 2)
    };
    // Span filters (`[span{field=value}]`) are EnvFilter's own to read.
    let directives = asked
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty() && !d.contains('['));
    for directive in directives {
        let (target, at) = directive.rsplit_once('=').unwrap_or((directive, ""));
        let unknown = if directive.contains('=') {
            // A module path never holds `-` (the crate is `notes_bot`).
            (!level(at))
                .then(|| format!("{at:?} is no level ({})", LEVELS.join(", ")))
                .or_else(|| {
                    target
                        .contains('-')
                        .then(|| format!("{target:?} is no module (write `_` for `-`: `notes_bot`)"))
                })
        } else {
            (!level(directive) && levelish(directive)).then(|| {
                format!(
                    "{directive:?} is no level ({}): as a module's name it would hide every other line",
                    LEVELS.join(", ")
                )
            })
        };
        if let Some(why) = unknown {
            return (default(), Some(format!("{asked:?}: {why}")));
        }
    }
    match tracing_subscriber::EnvFilter::try_new(asked) {
        Ok(filter) => (filter, None),
        Err(error) => (default(), Some(format!("{asked:?}: {error}"))),
    }
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

/// Guild ids from DISCORD_GUILD_ID (comma-separated).
fn guilds_from_env() -> Result<Vec<GuildId>> {
    let Ok(value) = std::env::var("DISCORD_GUILD_ID") else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        // Quotes around the value or each id, as JSON and env files write them.
        .map(|id| id.trim().trim_matches(['"', '\'']).trim())
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse::<NonZeroU64>()
                .map(GuildId::from)
                .map_err(|_| Error::GuildId { id: id.to_string() })
        })
        .collect()
}

/// `run`: the bot on Discord's gateway until SIGINT or SIGTERM.
pub fn run(paths: &Paths, shards: Option<ShardRange>) -> Result {
    let token = Token::from_env()?;
    let guilds = guilds_from_env()?;
    let mut app = app_for_bot(paths)?;
    share_state(&mut app)?;
    app.handler.state().beat("gateway".into());
    let app = Arc::new(app);
    let options = gateway::Options {
        shards,
        guilds,
        heartbeat: health::heartbeat_path(&app.config.data_dir),
    };
    if let Err(e) = std::fs::create_dir_all(&app.config.data_dir) {
        // As `check` says it: a file in its place, or who may not write where.
        let why = data_dir_writable(&app.config.data_dir)
            .err()
            .unwrap_or_else(|| format!("cannot create the data folder: {e}"));
        tracing::warn!("{why}");
    }
    Ok(block_on(gateway::run(app, &token, options))??)
}

/// `serve`: Discord's HTTP interactions endpoint until SIGINT or SIGTERM.
pub fn serve(paths: &Paths, listen: String, max_skew: u64) -> Result {
    let public_key = std::env::var("DISCORD_PUBLIC_KEY").unwrap_or_default();
    let verifier = endpoint::verifier(&public_key)?;
    // Optional here (it adds the bot's own replies and re-registration); a token given but
    // unusable is an error, as for `run`.
    let token = match Token::from_env() {
        Ok(token) => Some(token),
        Err(TokenError::Missing) => None,
        Err(error) => return Err(error.into()),
    };
    let mut app = app_for_bot(paths)?;
    share_state(&mut app)?;
    let app = Arc::new(app);
    let options = endpoint::Options {
        listen,
        max_skew,
        token,
        guilds: guilds_from_env()?,
    };
    Ok(block_on(endpoint::run(app, verifier, options))??)
}

/// `register`: replaces the app's command set, globally or in `guilds` (else
/// DISCORD_GUILD_ID's). With `dry_run`, prints the body it would send instead.
pub fn register(out: &mut impl Write, paths: &Paths, guilds: Vec<NonZeroU64>, dry_run: bool) -> Result {
    if dry_run {
        // serenity sends exactly this serialisation as the PUT body.
        let app = app_for_bot(paths)?;
        let commands = commands::command_set(app.index().library(), &app.config.install);
        serde_json::to_writer(&mut *out, &commands)?;
        writeln!(out)?;
        return Ok(());
    }
    let token = Token::from_env()?;
    let guilds = if guilds.is_empty() {
        guilds_from_env()?
    } else {
        guilds.into_iter().map(GuildId::from).collect()
    };
    let app = app_for_bot(paths)?;
    let registered = block_on(async {
        let discord = discord::Discord::from_config(&app.config.discord)?;
        let http = discord::application_http(&token, &discord).await?;
        discord::register(&http, &app, &guilds).await
    })?;
    Ok(registered?)
}

/// Text output without what a terminal would act on rather than show (newline and tab
/// aside): C0 and C1 controls, DEL and bidi controls (see `text::is_unprintable`), so a
/// note cannot retitle the window, clear the screen or reorder a line. Written a line at
/// a time, so each character is whole when it is looked at. JSON output goes around it:
/// serde_json escapes the C0 controls, and the rest are data.
pub struct Printable<W: Write> {
    inner: W,
    /// What was written since the last newline.
    line: Vec<u8>,
}

impl<W: Write> Printable<W> {
    pub fn new(inner: W) -> Printable<W> {
        Printable {
            inner,
            line: Vec::new(),
        }
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(bytes);
        let kept: String = (text.chars())
            .filter(|&c| matches!(c, '\n' | '\t') || !crate::text::is_unprintable(c))
            .collect();
        self.inner.write_all(kept.as_bytes())
    }
}

impl<W: Write> Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        if let Some(end) = self.line.iter().rposition(|&b| b == b'\n') {
            let rest = self.line.split_off(end + 1);
            let lines = std::mem::replace(&mut self.line, rest);
            self.emit(&lines)?;
        }
        Ok(buf.len())
    }

    /// Writes what is held but an unfinished character at the end.
    fn flush(&mut self) -> io::Result<()> {
        let whole = match std::str::from_utf8(&self.line) {
            Ok(_) => self.line.len(),
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            Err(_) => self.line.len(),
        };
        let rest = self.line.split_off(whole);
        let held = std::mem::replace(&mut self.line, rest);
        self.emit(&held)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Printable<W> {
    fn drop(&mut self) {
        let held = std::mem::take(&mut self.line);
        let _ = self.emit(&held);
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_log_filter_that_would_hide_everything_is_refused_and_said_why() {
        for asked in [
            "verbose",
            "information",
            "infoo",
            "Warnings",
            "notes-bot=debug",
            "info,notes_bot=loud",
            "notes_bot=debug,[",
        ] {
            let (_, refused) = super::log_filter(Some(asked));
            assert!(
                refused.is_some_and(|why| why.starts_with(&format!("{asked:?}: "))),
                "{asked}"
            );
        }
        for asked in [
            "info\r",
            "INFO",
            "Debug",
            "info,",
            "notes_bot=debug,serenity=info",
            "serenity::gateway=trace",
            "notes_bot",
            "off",
        ] {
            assert_eq!(super::log_filter(Some(asked)).1, None, "{asked}");
        }
        assert_eq!(super::log_filter(Some(" ")).1, None);
        assert_eq!(super::log_filter(None).1, None);
    }

    use std::io::Write;

    use super::Printable;

    /// A character split between writes is looked at whole; what is held is written at
    /// the end.
    #[test]
    fn printable_drops_controls_whole_characters_across_writes() {
        let mut bytes = Vec::new();
        {
            let mut out = Printable::new(&mut bytes);
            let text = "a\u{85}b \u{202e}c\u{1b}[2J\td\nü end".as_bytes();
            for chunk in text.chunks(1) {
                assert!(out.write_all(chunk).is_ok());
            }
        }
        assert_eq!(String::from_utf8_lossy(&bytes), "ab c[2J\td\nü end");
    }
}
