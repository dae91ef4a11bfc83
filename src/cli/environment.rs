//! The bot's settings in the process environment (the token, the public key, the servers,
//! where Discord and Redis are), read once: `run`, `serve`, `register` and `check` read each
//! through the same method, so `check` tells what the commands will do. Not here: clap's
//! fallbacks for arguments (`NOTES_BOT_CONFIG`, `NOTES_BOT_NOTES`, `NOTES_BOT_LISTEN`), the
//! log's `RUST_LOG` and `NO_COLOR`, the heartbeat's `HOSTNAME`.

use std::num::NonZeroU64;

use serenity::all::GuildId;
use serenity::interactions_endpoint::Verifier;

use crate::bot::endpoint::{self, PublicKeyError};
use crate::bot::token::{Token, TokenError};
use crate::config::{Config, DiscordOptions, DiscordUrlError, StateOptionsError};

/// The variables' values; an empty (or blank) value is unset, as a Compose file leaves
/// `DISCORD_TOKEN=` for a secret file. Each is read for what it is only when a command asks,
/// so that a command fails only on a setting it uses. No `Debug`: it holds the token.
pub struct Environment {
    token: Option<String>,
    token_file: Option<String>,
    public_key: Option<String>,
    guild_ids: Option<String>,
    http_proxy: Option<String>,
    gateway_url: Option<String>,
    redis_url: Option<String>,
}

/// A `DISCORD_GUILD_ID` entry that is no server id.
#[derive(Debug, thiserror::Error)]
#[error("DISCORD_GUILD_ID: {id:?} is not a server id (a number above 0: right-click the server → Copy Server ID){}", if id.contains(char::is_whitespace) { "; separate several with commas" } else { "" })]
pub struct GuildIdError {
    id: String,
}

impl Environment {
    /// This process's environment (a value that is no UTF-8 counts as unset).
    pub fn of_process() -> Environment {
        Environment::read(|name| std::env::var(name).ok())
    }

    /// The variables as `var` gives them.
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Environment {
        let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        Environment {
            token: var("DISCORD_TOKEN"),
            token_file: var("DISCORD_TOKEN_FILE"),
            public_key: var("DISCORD_PUBLIC_KEY"),
            guild_ids: var("DISCORD_GUILD_ID"),
            http_proxy: var("DISCORD_HTTP_PROXY"),
            gateway_url: var("DISCORD_GATEWAY_URL"),
            redis_url: var("NOTES_BOT_REDIS_URL"),
        }
    }

    /// The bot token, from `DISCORD_TOKEN` or the file `DISCORD_TOKEN_FILE` names.
    pub fn token(&self) -> Result<Token, TokenError> {
        Token::from_sources(self.token.as_deref(), self.token_file.as_deref())
    }

    /// The verifier of `DISCORD_PUBLIC_KEY`.
    pub fn verifier(&self) -> Result<Verifier, PublicKeyError> {
        endpoint::verifier(self.public_key.as_deref().unwrap_or_default())
    }

    /// The servers of `DISCORD_GUILD_ID` (comma-separated), none when it is unset.
    pub fn guilds(&self) -> Result<Vec<GuildId>, GuildIdError> {
        let ids = self.guild_ids.as_deref().unwrap_or_default();
        ids.split(',')
            // Quotes around the value or each id, as JSON and env files write them.
            .map(|id| id.trim().trim_matches(['"', '\'']).trim())
            .filter(|id| !id.is_empty())
            .map(|id| {
                id.parse::<NonZeroU64>()
                    .map(GuildId::from)
                    .map_err(|_| GuildIdError { id: id.to_string() })
            })
            .collect()
    }

    /// The config's `discord:` with `DISCORD_HTTP_PROXY` and `DISCORD_GATEWAY_URL` over it.
    pub fn discord(&self, config: &DiscordOptions) -> Result<DiscordOptions, DiscordUrlError> {
        config.overridden(self.http_proxy.as_deref(), self.gateway_url.as_deref())
    }

    /// `config` with `NOTES_BOT_REDIS_URL` for its `state.redis_url`, when set.
    pub fn redis(&self, config: Config) -> Result<Config, StateOptionsError> {
        match &self.redis_url {
            Some(url) => config.with_redis_url(url),
            None => Ok(config),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// The environment holding just `vars`.
    fn with(vars: &[(&str, &str)]) -> Environment {
        let vars: HashMap<String, String> = (vars.iter())
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Environment::read(|name| vars.get(name).cloned())
    }

    /// A token of the shape serenity checks (three dot-separated parts), no real one.
    const TOKEN: &str = "MTE4MDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789ABCD";

    /// A valid Ed25519 public key, in hex.
    const PUBLIC_KEY: &str = "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c";

    fn token(vars: &[(&str, &str)]) -> Result<String, String> {
        (with(vars).token())
            .map(|token| token.expose().to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_token_is_read_from_its_variable_or_its_file() {
        for unset in [&[][..], &[("DISCORD_TOKEN", "")], &[("DISCORD_TOKEN", " \r")]] {
            assert!(matches!(with(unset).token(), Err(TokenError::Missing)));
        }
        assert_eq!(token(&[("DISCORD_TOKEN", TOKEN)]), Ok(TOKEN.to_string()));
        let bad = token(&[("DISCORD_TOKEN", "not-a-token")]);
        assert!(bad.is_err_and(|e| e.starts_with("the bot token in DISCORD_TOKEN is malformed")));
        // A file in place of the variable, which may be left empty.
        let file = std::env::temp_dir().join(format!("notes-bot-environment-{}", std::process::id()));
        std::fs::write(&file, format!("{TOKEN}\n")).unwrap_or_else(|e| panic!("{e}"));
        let path = file.to_string_lossy().into_owned();
        let from_file = token(&[("DISCORD_TOKEN", ""), ("DISCORD_TOKEN_FILE", &path)]);
        let both = token(&[("DISCORD_TOKEN", TOKEN), ("DISCORD_TOKEN_FILE", &path)]);
        let _ = std::fs::remove_file(&file);
        assert_eq!(from_file, Ok(TOKEN.to_string()));
        assert!(both.is_err_and(|e| e.starts_with("both DISCORD_TOKEN and DISCORD_TOKEN_FILE")));
        let missing = token(&[("DISCORD_TOKEN_FILE", &path)]);
        assert!(missing.is_err_and(|e| e.starts_with(&format!("cannot read DISCORD_TOKEN_FILE {path}"))));
    }

    #[test]
    fn the_public_key_is_read_for_what_it_is() {
        for unset in [
            &[][..],
            &[("DISCORD_PUBLIC_KEY", "")],
            &[("DISCORD_PUBLIC_KEY", "  ")],
        ] {
            assert_eq!(with(unset).verifier().err(), Some(PublicKeyError::NotSet));
        }
        let id = with(&[("DISCORD_PUBLIC_KEY", "1180000000000000001")]);
        assert_eq!(id.verifier().err(), Some(PublicKeyError::ApplicationId));
        let short = with(&[("DISCORD_PUBLIC_KEY", "abc")]);
        assert_eq!(short.verifier().err(), Some(PublicKeyError::WrongLength));
        let quoted = format!("\"{PUBLIC_KEY}\"\r");
        assert!(with(&[("DISCORD_PUBLIC_KEY", &quoted)]).verifier().is_ok());
    }

    #[test]
    fn guild_ids_are_a_list_with_or_without_quotes() {
        let guilds = |value: &str| {
            (with(&[("DISCORD_GUILD_ID", value)]).guilds())
                .map(|guilds| guilds.into_iter().map(GuildId::get).collect::<Vec<_>>())
                .map_err(|e| e.to_string())
        };
        assert!(with(&[]).guilds().is_ok_and(|guilds| guilds.is_empty()));
        for unset in ["", " ", ",", "\"\""] {
            assert_eq!(guilds(unset), Ok(Vec::new()), "{unset:?}");
        }
        assert_eq!(guilds("1190000000000000001"), Ok(vec![1_190_000_000_000_000_001]));
        assert_eq!(
            guilds("\"1190000000000000001\", '1190000000000000002'\r"),
            Ok(vec![1_190_000_000_000_000_001, 1_190_000_000_000_000_002])
        );
        assert_eq!(
            guilds("1190000000000000001, 0"),
            Err(
                "DISCORD_GUILD_ID: \"0\" is not a server id (a number above 0: right-click the server → Copy Server ID)"
                    .into()
            )
        );
        let spaced = guilds("1190000000000000002 1190000000000000003");
        assert!(spaced.is_err_and(|e| e.ends_with("; separate several with commas")));
    }

    #[test]
    fn discord_urls_stand_for_the_configs_when_set() {
        let file = DiscordOptions {
            http_proxy: Some("http://proxy.internal:3000".into()),
            gateway_url: None,
        };
        for unset in [
            &[][..],
            &[("DISCORD_HTTP_PROXY", ""), ("DISCORD_GATEWAY_URL", " ")],
        ] {
            assert_eq!(with(unset).discord(&file).ok(), Some(file.clone()));
        }
        let set = with(&[
            ("DISCORD_HTTP_PROXY", "http://127.0.0.1:3000"),
            ("DISCORD_GATEWAY_URL", "ws://127.0.0.1:9"),
        ]);
        let options = set.discord(&file).ok();
        assert_eq!(
            options.as_ref().and_then(|o| o.http_proxy.as_deref()),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(
            options.as_ref().and_then(|o| o.gateway_url.as_deref()),
            Some("ws://127.0.0.1:9")
        );
        let proxy = with(&[("DISCORD_HTTP_PROXY", "localhost:3000")]).discord(&file);
        assert!(matches!(proxy, Err(DiscordUrlError::HttpProxy(url)) if url == "localhost:3000"));
        let gateway = with(&[("DISCORD_GATEWAY_URL", "https://gateway.discord.gg")]).discord(&file);
        assert!(matches!(gateway, Err(DiscordUrlError::GatewayUrl(_))));
    }

    #[test]
    fn a_redis_url_stands_for_the_configs_when_set() {
        let redis = |vars: &[(&str, &str)]| {
            let config = with(vars).redis(Config::default());
            config.map(|config| config.state.redis_url.map(|url| url.secret().to_string()))
        };
        assert_eq!(redis(&[]), Ok(None));
        assert_eq!(redis(&[("NOTES_BOT_REDIS_URL", " ")]), Ok(None));
        let url = "redis://:pw@redis:6379/2";
        assert_eq!(redis(&[("NOTES_BOT_REDIS_URL", url)]), Ok(Some(url.into())));
        let bad = redis(&[("NOTES_BOT_REDIS_URL", "redis:6379")]);
        assert_eq!(bad, Err(StateOptionsError::NotARedisUrl));
    }
}
