//! The bot's small state files (`gaps.json`, `feedback.json`): read whole, written
//! atomically (a temporary file, then a rename), so a crash never leaves half a file.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A state file that cannot be read or written: the file, and why.
#[derive(Debug, thiserror::Error)]
pub enum JsonFileError {
    #[error("{}: not a {what} file: {source}", .path.display())]
    Invalid {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JsonFileError + '_ {
    move |source| JsonFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the file holds; a missing file is the default (empty), an unreadable one an error.
/// `what` names the kind of file in the error (`gaps`).
pub fn read<T: DeserializeOwned + Default>(path: &Path, what: &'static str) -> Result<T, JsonFileError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| JsonFileError::Invalid {
            path: path.to_path_buf(),
            what,
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(io(path)(e)),
    }
}

/// Writes `value` as pretty JSON to `path`, creating its folder, atomically.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), JsonFileError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let temporary = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| io(path)(e.into()))?;
    std::fs::write(&temporary, bytes).map_err(io(&temporary))?;
    std::fs::rename(&temporary, path).map_err(io(path))
}
