//! How `run`, `serve` and `register` log: text or JSON on stderr, filtered by `RUST_LOG`
//! once it has been read for the mistakes that would silence every line.

use std::io;

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

/// Logs to stderr from here on, as `format` says; a `RUST_LOG` that would hide every line
/// is set aside with a warning that says why.
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
        // Under the target the command line's other lines have (`notes_bot::cli`).
        tracing::warn!(target: "notes_bot::cli", "RUST_LOG {why}; logging with {DEFAULT_LOG_FILTER}");
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
}
