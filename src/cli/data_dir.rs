//! The data folder, where the bot keeps its votes, gaps and heartbeat: whether it can
//! write there, looked at without writing anything, and making it when a bot starts.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{located, permission_fix};

/// A data folder the bot can write in.
#[derive(Debug)]
pub(super) struct Writable {
    dir: PathBuf,
    /// Not there yet: the bot makes it when it starts.
    made_at_start: bool,
}

impl fmt::Display for Writable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let made = if self.made_at_start {
            ", made when the bot starts"
        } else {
            ""
        };
        write!(f, "{}: writable{made}", located(&self.dir))
    }
}

/// Why the bot cannot keep its votes, gaps and heartbeat in the data folder.
#[derive(Debug, thiserror::Error)]
pub(super) enum DataDirError {
    #[error("data_dir {} is a file, not a folder: set data_dir to a folder", located(.0))]
    IsAFile(PathBuf),
    #[error("data_dir {}: no folder above it exists", located(.0))]
    NoFolderAbove(PathBuf),
    /// `existing`: the folder itself, or the nearest one above it that is there.
    #[error(
        "data_dir {}: {} cannot be written to ({error}{}); votes, gaps and the health check need it",
        located(.dir),
        .existing.display(),
        permission_fix(.error, "write to")
    )]
    NotWritable {
        dir: PathBuf,
        existing: PathBuf,
        error: io::Error,
    },
    /// Making it failed though it looked writable.
    #[error("cannot create the data folder: {0}")]
    NotMade(io::Error),
}

/// Makes the data folder when it is not there, as `run` and `serve` start; a warning when
/// it cannot be, since the bot starts without it (a vote or a gap is then not kept).
pub(super) fn make(dir: &Path) {
    if let Err(error) = std::fs::create_dir_all(dir) {
        // As `check` says it: a file in its place, or who may not write where.
        let why = writable(dir).err().unwrap_or(DataDirError::NotMade(error));
        tracing::warn!(target: "notes_bot::cli", "{why}");
    }
}

/// Whether the bot can keep its votes, gaps and heartbeat in `dir`, looked at without
/// writing anything (a folder not there yet: whether it can be made).
pub(super) fn writable(dir: &Path) -> Result<Writable, DataDirError> {
    if dir.is_file() {
        return Err(DataDirError::IsAFile(dir.to_path_buf()));
    }
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let Some(existing) = absolute.ancestors().find(|path| path.is_dir()) else {
        return Err(DataDirError::NoFolderAbove(dir.to_path_buf()));
    };
    match may_write(existing) {
        Ok(()) => Ok(Writable {
            dir: dir.to_path_buf(),
            made_at_start: existing != absolute,
        }),
        Err(error) => Err(DataDirError::NotWritable {
            dir: dir.to_path_buf(),
            existing: existing.to_path_buf(),
            error,
        }),
    }
}

/// Whether this process may write in the folder `dir` (access(2), nothing written).
fn may_write(dir: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: `path` is a NUL-terminated string; access only reads it.
    if unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
