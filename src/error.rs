//! The error a person reads about a file: `notes/x.md:12: what is wrong, and the fix`.
//! Config and notes alike report with it.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub struct FileError {
    pub path: PathBuf,
    /// The line in the file (1-based), when the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// A path for a person: a relative one with where it is (`notes (/srv/bot/notes)`), as
/// the working directory may not be the one meant.
pub fn located(path: &std::path::Path) -> String {
    match std::path::absolute(path) {
        Ok(absolute) if path.is_relative() => format!("{} ({})", path.display(), absolute.display()),
        _ => path.display().to_string(),
    }
}

/// The fix for an I/O error a person reads, when the system refused a permission: who the
/// bot runs as (the image's uid 10001 is often not the owner of a bind-mounted folder).
/// Empty for any other error. `need` says what the bot needs to do: "read", "write to".
pub fn permission_fix(error: &std::io::Error, need: &str) -> String {
    if error.kind() != std::io::ErrorKind::PermissionDenied {
        return String::new();
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    format!("; the bot runs as uid {uid}: let it {need} this (chown or chmod it)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_permission_says_who_the_bot_runs_as() {
        let refused = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let fix = permission_fix(&refused, "read");
        assert!(fix.starts_with("; the bot runs as uid "), "{fix}");
        assert!(fix.ends_with(": let it read this (chown or chmod it)"), "{fix}");
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(permission_fix(&missing, "read"), "");
    }
}
