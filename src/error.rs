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
