//! The bot token: from `DISCORD_TOKEN` or the file named by `DISCORD_TOKEN_FILE`; never shown.

use std::fmt;

pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// Reads the token; the error is one line for the admin, without the token in it.
    pub fn from_env() -> Result<Token, String> {
        let token = match (
            std::env::var("DISCORD_TOKEN"),
            std::env::var("DISCORD_TOKEN_FILE"),
        ) {
            (Ok(token), _) if !token.trim().is_empty() => token,
            (_, Ok(path)) if !path.trim().is_empty() => std::fs::read_to_string(path.trim())
                .map_err(|e| format!("cannot read DISCORD_TOKEN_FILE {}: {e}", path.trim()))?,
            _ => {
                return Err(
                    "no bot token: set DISCORD_TOKEN, or DISCORD_TOKEN_FILE to a file holding it \
                            (Discord developer portal → your application → Bot → Reset Token)"
                        .into(),
                );
            }
        };
        let token = token.trim().trim_start_matches("Bot ").to_string();
        if serenity::utils::token::validate(&token).is_err() {
            return Err(
                "the bot token is malformed: copy it again from the developer portal (Bot → Reset Token)"
                    .into(),
            );
        }
        Ok(Token(token))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}
