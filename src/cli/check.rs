//! `notes-bot check`: the config, every note and the bot's settings in the environment,
//! looked at without starting a bot or asking Discord.

use std::io::{self, Write};

use super::{Environment, Error, Paths, Result, data_dir, printable};
use crate::bot::app::NoNotes;
use crate::bot::discord;
use crate::bot::endpoint::PublicKeyError;
use crate::bot::token::TokenError;
use crate::config::Config;

/// `check`: loads the config and every note and reports what they hold and any problem.
pub fn check(out: &mut impl Write, paths: &Paths, env: &Environment) -> Result {
    let config = paths.config(env)?;
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
    let (wrong, warned) = check_environment(out, &config, env)?;
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
fn check_environment(out: &mut impl Write, config: &Config, env: &Environment) -> Result<(usize, usize)> {
    let mut wrong = 0;
    let mut tell = |out: &mut dyn Write, what: &str, told: Result<String>| -> io::Result<()> {
        match told {
            Ok(fine) => writeln!(out, "{what}: {}", printable(&fine)),
            Err(error) => {
                wrong += 1;
                writeln!(out, "{what}: cannot work (below)")?;
                eprintln!("{}", printable(&error.to_string()));
                Ok(())
            }
        }
    };
    let token = match env.token() {
        Ok(_) => Ok("set and well-formed (Discord is not asked)".to_string()),
        Err(TokenError::Missing) => {
            Ok("not set (`run` needs it; `serve` uses it to register commands and post replies)".into())
        }
        Err(error) => Err(error.into()),
    };
    tell(out, "bot token", token)?;
    let key = match env.verifier() {
        Ok(_) => Ok("a valid key".to_string()),
        Err(PublicKeyError::NotSet) => Ok("not set (`serve` needs it)".into()),
        Err(error) => Err(error.into()),
    };
    tell(out, "DISCORD_PUBLIC_KEY", key)?;
    let guilds = (env.guilds())
        .map(|guilds| match guilds.len() {
            0 => "not set: commands are registered globally".to_string(),
            n => format!("{n} server(s): commands are registered there"),
        })
        .map_err(Error::from);
    tell(out, "DISCORD_GUILD_ID", guilds)?;
    let discord = (env.discord(&config.discord))
        .map(|options| discord::Discord::from_config(&options))
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
        .map_err(Error::from);
    tell(out, "Discord (DISCORD_HTTP_PROXY, DISCORD_GATEWAY_URL)", discord)?;
    // `run` and `serve` start without it (and warn): a warning here too.
    let warned = match data_dir::writable(&config.data_dir) {
        Ok(writable) => {
            writeln!(out, "data_dir: {}", printable(&writable.to_string()))?;
            0
        }
        Err(problem) => {
            writeln!(out, "  warning: {}", printable(&problem.to_string()))?;
            1
        }
    };
    Ok((wrong, warned))
}
