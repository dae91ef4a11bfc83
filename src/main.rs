//! The `notes-bot` command line: thin adapters over the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use notes_bot::config::Config;
use notes_bot::reply::{self, Layout, Reply};
use notes_bot::search::Index;

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
    notes: Option<PathBuf>,
    /// Config file; a missing default file means the built-in defaults
    #[arg(long, global = true, env = "NOTES_BOT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
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
fn load_config(common: &Common) -> Result<Config, String> {
    let (path, required) = match &common.config {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from(DEFAULT_CONFIG), false),
    };
    let mut config = Config::load(&path, required).map_err(|e| e.to_string())?;
    if let Some(notes) = &common.notes {
        config.notes_dir.clone_from(notes);
    }
    Ok(config)
}

/// Loads the notes and builds the index; note errors are printed, not fatal.
fn load_index(config: &Config) -> Result<Index, String> {
    let loaded = notes_bot::notes::load_dir(&config.notes_dir, &config.labels());
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

fn layout(config: &Config) -> Layout {
    Layout {
        page_chars: config.reply.page_chars,
        context_label: config.labels.context.first().cloned().unwrap_or_default(),
    }
}

fn ask(
    common: &Common,
    topic: Option<&str>,
    limit: usize,
    json: bool,
    query: &str,
) -> Result<ExitCode, String> {
    let config = load_config(common)?;
    let index = load_index(&config)?;
    check_topic(&index, topic)?;
    let library = index.library();
    let layout = layout(&config);
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
    let loaded = notes_bot::notes::load_dir(&config.notes_dir, &config.labels());
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
            note.path.display(),
            note.topic,
            note.title(),
            answerable,
            linked
        );
        for warning in &note.warnings {
            let _ = writeln!(
                out,
                "  {}:{}: warning: {}",
                note.path.display(),
                warning.line,
                warning.message
            );
        }
    }
    let _ = out.flush();
    for error in &loaded.errors {
        eprintln!("{error}");
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
