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
    #[error("cannot read DISCORD_TOKEN_FILE {path}: {source}{}", crate::error::permission_fix(.source, "read"))]
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
    #[error(
        "the bot token in {from} holds {what} at character {at}, which no token holds: keep only the token, on one line (copy it again from the developer portal if in doubt)"
    )]
    Stray { from: String, what: String, at: usize },
}

impl Token {
    /// The token from `DISCORD_TOKEN`'s value (`token`) or the file at `DISCORD_TOKEN_FILE`'s
    /// (`file`); an empty value counts as unset (a Compose file leaves `DISCORD_TOKEN=` for a
    /// secret file).
    pub fn from_sources(token: Option<&str>, file: Option<&str>) -> Result<Token, TokenError> {
        let token = token.filter(|token| !token.trim().is_empty());
        let file = file.map(str::trim).filter(|path| !path.is_empty());
        let (token, from) = match (token, file) {
            (Some(_), Some(_)) => return Err(TokenError::Both),
            (Some(token), None) => (token.to_string(), "DISCORD_TOKEN".to_string()),
            (None, Some(path)) => {
                let token = std::fs::read_to_string(path).map_err(|source| TokenError::File {
                    path: path.to_string(),
                    source,
                })?;
                if token.trim().is_empty() {
                    return Err(TokenError::EmptyFile {
                        path: path.to_string(),
                    });
                }
                (token, format!("DISCORD_TOKEN_FILE {path}"))
            }
            (None, None) => return Err(TokenError::Missing),
        };
        let token = cleaned(&token);
        // Only these make a token: anything else was pasted with it (a byte-order mark, a
        // curly quote, a zero-width space, a line break in a wrapped token), and Discord's
        // 401 for it read as "reset the token", which cannot help.
        let stray = token
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')));
        if let Some((at, c)) = stray {
            let what = match c {
                '\n' | '\r' => "a line break".to_string(),
                ' ' | '\t' => "a space".to_string(),
                '“' | '”' | '‘' | '’' | '"' | '\'' => format!("a quote ({c})"),
                c if c.is_ascii() => format!("`{c}`"),
                c => format!("the character U+{:04X}", u32::from(c)),
            };
            return Err(TokenError::Stray {
                from,
                what,
                at: at + 1,
            });
        }
        if serenity::utils::token::validate(&token).is_err() {
            return Err(TokenError::Malformed { from });
        }
        Ok(Token(token))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The token as pasted, without what is often pasted with it: surrounding blanks and
/// quotes (`docker --env-file` keeps them), a byte-order mark (Notepad's "UTF-8 with BOM"),
/// the variable's name (an env file's line in a secret file) and a `Bot ` prefix.
fn cleaned(pasted: &str) -> String {
    let mut token = pasted.trim().trim_start_matches('\u{feff}').trim();
    token = token.strip_prefix("DISCORD_TOKEN=").unwrap_or(token).trim();
    token = crate::text::unquoted(token).trim();
    if token.get(..4).is_some_and(|bot| bot.eq_ignore_ascii_case("bot ")) {
        token = token[4..].trim_start();
    }
    crate::text::unquoted(token).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token of the shape serenity checks (three dot-separated parts), no real one.
    const TOKEN: &str = "MTE4MDAwMDAwMDAwMDAwMDAwMQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789ABCD";

    fn read(token: Option<&str>, file: Option<&str>) -> Result<String, String> {
        Token::from_sources(token, file)
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
            format!("\u{feff}{TOKEN}\r\n"),
            format!("DISCORD_TOKEN={TOKEN}\n"),
            format!("DISCORD_TOKEN=\"{TOKEN}\""),
            format!("bot {TOKEN}"),
            format!("Bot \"{TOKEN}\""),
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
        // What cannot be part of a token is named with its place, the token never shown.
        let (head, tail) = TOKEN.split_at(26);
        for (pasted, what, at) in [
            (format!("“{TOKEN}”"), "a quote (“)", 1),
            (
                format!("{TOKEN}\u{200b}"),
                "the character U+200B",
                TOKEN.len() + 1,
            ),
            (format!("{head}\n{tail}"), "a line break", 27),
            (format!("<{TOKEN}>"), "`<`", 1),
        ] {
            let refused = read(Some(&pasted), None).unwrap_err();
            assert_eq!(
                refused,
                format!(
                    "the bot token in DISCORD_TOKEN holds {what} at character {at}, which no token holds: keep only the token, on one line (copy it again from the developer portal if in doubt)"
                )
            );
            assert!(!refused.contains(tail), "{refused}");
        }
    }
}
