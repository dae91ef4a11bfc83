//! The bot token: from `DISCORD_TOKEN` or the file named by `DISCORD_TOKEN_FILE`; never shown.

use std::fmt;

pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// Why there is no usable token: one line for the admin, without the token in it.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read DISCORD_TOKEN_FILE {path}: {source}")]
    File { path: String, source: std::io::Error },
    #[error(
        "no bot token: set DISCORD_TOKEN, or DISCORD_TOKEN_FILE to a file holding it \
         (Discord developer portal → your application → Bot → Reset Token)"
    )]
    Missing,
    #[error("the bot token is malformed: copy it again from the developer portal (Bot → Reset Token)")]
    Malformed,
}

impl Token {
    /// Reads the token from `DISCORD_TOKEN`, else the file `DISCORD_TOKEN_FILE` names.
    pub fn from_env() -> Result<Token, TokenError> {
        let token = match (
            std::env::var("DISCORD_TOKEN"),
            std::env::var("DISCORD_TOKEN_FILE"),
        ) {
            (Ok(token), _) if !token.trim().is_empty() => token,
            (_, Ok(path)) if !path.trim().is_empty() => {
                std::fs::read_to_string(path.trim()).map_err(|source| TokenError::File {
                    path: path.trim().to_string(),
                    source,
                })?
            }
            _ => return Err(TokenError::Missing),
        };
        let token = token.trim().trim_start_matches("Bot ").to_string();
        if serenity::utils::token::validate(&token).is_err() {
            return Err(TokenError::Malformed);
        }
        Ok(Token(token))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}
