//! The `notes-bot` command line: thin adapters over the library.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::unimplemented
)]

use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use notes_bot::bot::discord::RunError;
use notes_bot::bot::gateway::ShardRange;
use notes_bot::cli::{self, Error, LogFormat, Paths};

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
    #[arg(long, global = true, env = "NOTES_BOT_NOTES", value_name = "DIR", value_parser = trimmed)]
    notes: Option<String>,
    /// Config file; a missing default file means the built-in defaults
    #[arg(long, global = true, env = "NOTES_BOT_CONFIG", value_name = "FILE", value_parser = trimmed)]
    config: Option<String>,
}

/// A topic as typed: command names are lowercase (`Canvas` is `/canvas`), and the slash
/// is not part of the name.
fn topic_name(typed: &str) -> Result<String, std::convert::Infallible> {
    Ok(typed.trim().trim_start_matches('/').to_lowercase())
}

/// A count of one or more.
fn at_least_one(value: &str) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("write a whole number, at least 1".into()),
    }
}

/// A value without the blanks around it (an env file written on Windows ends each in `\r`).
fn trimmed(value: &str) -> Result<String, std::convert::Infallible> {
    Ok(value.trim().to_string())
}

/// An address to listen on; `:8080` (as Go tools and Caddy write it) is every interface.
fn listen_address(value: &str) -> Result<String, std::convert::Infallible> {
    let value = value.trim();
    Ok(match value.strip_prefix(':') {
        // Not `:::8080` or `::1:8080`: IPv6.
        Some(port) if port.parse::<u16>().is_ok() => format!("0.0.0.0:{port}"),
        _ => value.to_string(),
    })
}

#[derive(Subcommand)]
enum Command {
    /// Answer a query from the command line, exactly as the bot would
    Ask {
        /// Search only this topic (a note's command name)
        #[arg(long, value_parser = topic_name)]
        topic: Option<String>,
        /// How many sections to show
        #[arg(long, default_value_t = 1, value_parser = at_least_one)]
        limit: u64,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Also show how the query reads: what each word matches in the notes, the
        /// question's subject and the sections that come closest
        #[arg(long)]
        explain: bool,
        /// What to look for
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
    /// List every source link, grouped by topic and category
    Sources {
        /// Only this topic's sources
        #[arg(long, value_parser = topic_name)]
        topic: Option<String>,
        /// Print JSON instead of text
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
        /// Address to listen on, HOST:PORT
        #[arg(
            long,
            default_value = "0.0.0.0:8080",
            env = "NOTES_BOT_LISTEN",
            value_name = "HOST:PORT",
            value_parser = listen_address
        )]
        listen: String,
        /// Seconds a request's timestamp may be off before it is refused; 0 turns the check off
        #[arg(long, default_value_t = 300)]
        max_timestamp_skew: u64,
        /// Log lines as text or JSON
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Register the slash commands (replaces the app's command set)
    Register {
        /// Register in this guild only (repeatable; default: DISCORD_GUILD_ID, else global)
        #[arg(long = "guild", value_name = "ID")]
        guilds: Vec<std::num::NonZeroU64>,
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
        /// Only this topic's questions
        #[arg(long, value_parser = topic_name)]
        topic: Option<String>,
        /// How many to show
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

impl Common {
    /// An empty value (`NOTES_BOT_CONFIG=` in an env file) means "not set".
    fn paths(&self) -> Paths {
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
        };
        Paths {
            config: given(&self.config),
            notes: given(&self.notes),
        }
    }
}

fn main() -> ExitCode {
    one_malloc_arena_per_core();
    let cli = Cli::parse();
    let paths = cli.common.paths();
    let env = cli::Environment::of_process();
    // Text through the filter of what a terminal would act on; JSON as it is.
    let json = match &cli.command {
        Command::Ask { json, .. } | Command::Sources { json, .. } | Command::Gaps { json, .. } => *json,
        Command::Register { dry_run, .. } => *dry_run,
        Command::Handle { .. } => true,
        _ => false,
    };
    let stdout = std::io::stdout().lock();
    let mut out: Box<dyn std::io::Write> = if json {
        Box::new(stdout)
    } else {
        Box::new(cli::Printable::new(stdout))
    };
    let out = &mut out;
    let result = match cli.command {
        Command::Ask {
            topic,
            limit,
            json,
            explain,
            query,
        } => {
            let how = cli::AskOutput { json, explain };
            cli::ask(
                out,
                &paths,
                &env,
                topic.as_deref(),
                usize::try_from(limit).unwrap_or(usize::MAX),
                how,
                &query.join(" "),
            )
        }
        Command::Sources { topic, json } => cli::sources(out, &paths, &env, topic.as_deref(), json),
        Command::Check => cli::check(out, &paths, &env),
        Command::Run { shards, log_format } => {
            cli::init_logging(log_format);
            cli::run(&paths, &env, shards)
        }
        Command::Serve {
            listen,
            max_timestamp_skew,
            log_format,
        } => {
            cli::init_logging(log_format);
            cli::serve(&paths, &env, listen, max_timestamp_skew)
        }
        Command::Register { guilds, dry_run } => {
            cli::init_logging(LogFormat::Text);
            cli::register(out, &paths, &env, guilds, dry_run)
        }
        Command::Handle { file } => cli::handle(out, &paths, &env, file),
        Command::Health => cli::health(out, &paths, &env),
        Command::Gaps { topic, limit, json } => cli::gaps(out, &paths, &env, topic.as_deref(), limit, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): nothing left to say.
        Err(Error::Output(error)) if error.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            // Line by line: an error may list problems below its first line.
            let text = error.to_string();
            let mut lines = text.split('\n');
            eprintln!("error: {}", cli::printable(lines.next().unwrap_or_default()));
            for line in lines {
                eprintln!("{}", cli::printable(line));
            }
            ExitCode::from(exit_code(&error))
        }
    }
}

/// 2 for a setting an admin must fix (the config file, the token, the public key, a
/// server id, a Discord or Redis address), which a restart cannot mend (systemd:
/// `RestartPreventExitStatus=2`); 1 for everything else.
fn exit_code(error: &Error) -> u8 {
    match error {
        Error::Config(_)
        | Error::Token(_)
        | Error::PublicKey(_)
        | Error::GuildId(_)
        | Error::DiscordUrl(_)
        | Error::RedisUrl(_)
        | Error::Run(RunError::TokenRejected | RunError::IntentRefused | RunError::NotInServer { .. }) => 2,
        _ => 1,
    }
}

/// glibc gives each thread that allocates an arena of its own, up to 8 per core: the index
/// build's threads then leave memory scattered over many arenas, and the peak resident size
/// of a load grew by a tenth (tests/memory.rs). One arena per core keeps it where it was.
fn one_malloc_arena_per_core() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: called first thing in main, before any other thread exists; mallopt only
        // sets a limit for arenas created later.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn arguments_are_read_as_typed_in_a_shell_or_an_env_file() {
        assert_eq!(super::topic_name(" /Canvas "), Ok("canvas".to_string()));
        assert_eq!(super::trimmed("tok\r"), Ok("tok".to_string()));
        assert_eq!(super::at_least_one(" 3 "), Ok(3));
        for refused in ["0", "-1", "two", ""] {
            assert!(super::at_least_one(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn a_port_alone_is_every_interface_and_ipv6_is_left_as_written() {
        let listen = |value: &str| super::listen_address(value).unwrap_or_default();
        assert_eq!(listen(":8080"), "0.0.0.0:8080");
        assert_eq!(listen(" 127.0.0.1:8080\r"), "127.0.0.1:8080");
        for ipv6 in [":::8080", "::1:8080", "[::]:8080"] {
            assert_eq!(listen(ipv6), ipv6);
        }
    }
}
