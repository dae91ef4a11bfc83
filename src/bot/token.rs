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
    #[error("DISCORD_TOKEN_FILE {path} is empty: put the bot token in it")]
    EmptyFile { path: String },
    #[error(
        "both DISCORD_TOKEN and DISCORD_TOKEN_FILE are set: keep one (with a secret file, leave DISCORD_TOKEN empty)"
    )]
    Both,
    #[error(
        "no bot token: set DISCORD_TOKEN, or DISCORD_TOKEN_FILE to a file holding it \
         (Discord developer portal → your application → Bot → Reset Token)"
    )]
    Missing,
    #[error(
        "the bot token in {from} is malformed: copy it again from the developer portal (Bot → Reset Token)"
    )]
    Malformed { from: String },
}

impl Token {
    /// Reads the token from `DISCORD_TOKEN` or the file `DISCORD_TOKEN_FILE` names.
    pub fn from_env() -> Result<Token, TokenError> {
        Token::from_sources(
            std::env::var("DISCORD_TOKEN").ok(),
            std::env::var("DISCORD_TOKEN_FILE").ok(),
        )
    }

    /// The token from the variable's value or the file at `file`; an empty value counts as
    /// unset (a Compose file leaves `DISCORD_TOKEN=` for a secret file).
    fn from_sources(token: Option<String>, file: Option<String>) -> Result<Token, TokenError> {
        let token = token.filter(|token| !token.trim().is_empty());
        let file = file
            .map(|path| path.trim().to_string())
            .filter(|path| !path.is_empty());
        let (token, from) = match (token, file) {
            (Some(_), Some(_)) => return Err(TokenError::Both),
            (Some(token), None) => (token, "DISCORD_TOKEN".to_string()),
            (None, Some(path)) => {
                let token = std::fs::read_to_string(&path).map_err(|source| TokenError::File {
                    path: path.clone(),
                    source,
                })?;
                if token.trim().is_empty() {
                    return Err(TokenError::EmptyFile { path });
                }
                (token, format!("DISCORD_TOKEN_FILE {path}"))
            }
            (None, None) => return Err(TokenError::Missing),
        };
        let token = unquoted(token.trim())
            .trim()
            .trim_start_matches("Bot ")
            .to_string();
        if serenity::utils::token::validate(&token).is_err() {
            return Err(TokenError::Malformed { from });
        }
        Ok(Token(token))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A token pasted with the quotes around it (`docker --env-file` keeps them).
fn unquoted(text: &str) -> &str {
    ['"', '\'']
        .iter()
        .find_map(|&quote| text.strip_prefix(quote)?.strip_suffix(quote))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token of the shape serenity checks (three dot-separated parts), no real one.
    const TOKEN: &str = "MTE4MDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789ABCD";

    fn read(token: Option<&str>, file: Option<&str>) -> Result<String, String> {
        Token::from_sources(token.map(String::from), file.map(String::from))
            .map(|token| token.expose().to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn pasted_tokens_are_cleaned_and_each_mistake_is_named() {
        for pasted in [
            TOKEN.to_string(),
            format!("\"{TOKEN}\""),
            format!("'{TOKEN}'\n"),
            format!(" Bot {TOKEN} "),
        ] {
            assert_eq!(read(Some(&pasted), None), Ok(TOKEN.to_string()), "{pasted}");
        }
        let dir = std::env::temp_dir().join(format!("notes-bot-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let (full, empty) = (dir.join("token"), dir.join("empty"));
        std::fs::write(&full, format!("{TOKEN}\n")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&empty, "\n").unwrap_or_else(|e| panic!("{e}"));
        let (full, empty) = (full.to_string_lossy(), empty.to_string_lossy());
        assert_eq!(read(Some(""), Some(&full)), Ok(TOKEN.to_string()));
        let both = read(Some(TOKEN), Some(&full));
        let empty_file = read(None, Some(&empty));
        let malformed = read(None, Some(&format!("{}", dir.join("missing").display())));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(both.is_err_and(|e| e.starts_with("both DISCORD_TOKEN and DISCORD_TOKEN_FILE")));
        assert!(empty_file.is_err_and(|e| e.contains("is empty")));
        assert!(malformed.is_err_and(|e| e.starts_with("cannot read DISCORD_TOKEN_FILE")));
        let malformed = read(Some("not-a-token"), None);
        assert!(malformed.is_err_and(|e| e.starts_with("the bot token in DISCORD_TOKEN is malformed")));
        assert!(read(Some(" "), Some("")).is_err_and(|e| e.starts_with("no bot token")));
    }
}
