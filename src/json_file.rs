//! The bot's small state files (`gaps.json`, `feedback.json`): read whole, changed under
//! a lock that processes sharing the data folder take in turn, and written atomically (a
//! temporary file, synced, then a rename), so a crash never leaves half a file.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Largest state file read: the bot writes a few megabytes at most (5,000 gaps, 50,000
/// voter keys); one made bigger by hand would be read whole by every `/gaps` and save.
const MAX_BYTES: u64 = 32 << 20;

/// A state file that cannot be read or written: the file, and why.
#[derive(Debug, thiserror::Error)]
pub enum JsonFileError {
    #[error("{}: not a {what} file: {source}", .path.display())]
    Invalid {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("{}: {bytes} bytes, larger than a {what} file the bot writes (at most {MAX_BYTES})", .path.display())]
    TooLarge {
        path: PathBuf,
        what: &'static str,
        bytes: u64,
    },
    #[error("{}: {source}{}", .path.display(), crate::error::permission_fix(.source, "read and write"))]
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
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.len() > MAX_BYTES
    {
        return Err(JsonFileError::TooLarge {
            path: path.to_path_buf(),
            what,
            bytes: metadata.len(),
        });
    }
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

/// Reads the file (a missing one is the default), lets `change` change it, and writes it
/// back, holding an exclusive lock on `<file>.lock` meanwhile: replicas sharing the data
/// folder add to what the others wrote instead of overwriting it. A file that is not
/// JSON of its kind (or larger than the bot ever writes one) is moved aside
/// (`gaps.json.unreadable-<seconds>`), not lost, and a new one started. Returns what was
/// written.
pub fn update<T>(path: &Path, what: &'static str, change: impl FnOnce(&mut T)) -> Result<T, JsonFileError>
where
    T: Serialize + DeserializeOwned + Default,
{
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let lock_path = path.with_extension("json.lock");
    // Read-only when it exists: a lock file another user made still locks.
    let lock = File::open(&lock_path)
        .or_else(|_| {
            File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
        })
        .map_err(io(&lock_path))?;
    match lock.lock() {
        // A file system without locks (some network ones): one writer is all it can have.
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {}
        locked => {
            locked.map_err(io(&lock_path))?;
            // Under the lock no other writer is writing one: these are a crash's.
            remove_temporaries(path);
        }
    }
    let mut value = match read(path, what) {
        Ok(value) => value,
        Err(error @ (JsonFileError::Invalid { .. } | JsonFileError::TooLarge { .. })) => {
            let aside = path.with_extension(format!("json.unreadable-{}", seconds_now()));
            std::fs::rename(path, &aside).map_err(io(path))?;
            tracing::warn!("{error}; kept as {} and starting a new one", aside.display());
            T::default()
        }
        Err(error) => return Err(error),
    };
    change(&mut value);
    write(path, &value)?;
    Ok(value)
}

/// Writes `value` as pretty JSON to `path` atomically: to a temporary file of its own
/// (process and time in its name), synced, then renamed over `path`.
fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), JsonFileError> {
    let temporary = path.with_extension(format!(
        "json.{}.{}.tmp",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| io(path)(e.into()))?;
    let written = File::create(&temporary)
        .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(io(path)(error));
    }
    // The rename itself lasts once the folder is synced; a folder that cannot be opened
    // (Windows) loses nothing but that.
    if let Some(dir) = path.parent().and_then(|dir| File::open(dir).ok()) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Removes the temporary files of `path` that writers which stopped mid-save left (`write`
/// names them `<file>.<process>.<time>.tmp`).
fn remove_temporaries(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    // A bare file name's folder is the working one.
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        if file_name.starts_with(&prefix) && file_name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn seconds_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("notes-bot-json-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Eight writers at once, as replicas sharing a data folder: every addition stays.
    #[test]
    fn writers_at_once_add_up() {
        let dir = dir("together");
        let path = dir.join("count.json");
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..25 {
                        let added = update(&path, "count", |n: &mut u64| *n += 1);
                        assert!(added.is_ok(), "{added:?}");
                    }
                });
            }
        });
        let total: Result<u64, _> = read(&path, "count");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(total.ok(), Some(200));
    }

    /// A writer killed between writing its temporary file and the rename left it; the
    /// next save removes it (and nothing else).
    #[test]
    fn a_crashed_writers_temporary_file_is_removed() {
        let dir = dir("leftover");
        let path = dir.join("gaps.json");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        for name in [
            "gaps.json.1.1764000000000000000.tmp",
            "gaps.json.unreadable-1",
            "other.json.1.1.tmp",
        ] {
            std::fs::write(dir.join(name), "{}").unwrap_or_else(|e| panic!("{e}"));
        }
        let updated = update(&path, "count", |n: &mut u64| *n += 1);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                (entries.flatten())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        left.sort();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(updated.is_ok(), "{updated:?}");
        assert_eq!(
            left,
            [
                "gaps.json",
                "gaps.json.lock",
                "gaps.json.unreadable-1",
                "other.json.1.1.tmp"
            ]
        );
    }

    /// A file larger than the bot writes is not read (it would be read whole by each
    /// `/gaps`), and the next save moves it aside.
    #[test]
    fn a_file_too_large_is_not_read_and_moved_aside() {
        let dir = dir("large");
        let path = dir.join("gaps.json");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = File::create(&path).unwrap_or_else(|e| panic!("{e}"));
        file.set_len(MAX_BYTES + 1).unwrap_or_else(|e| panic!("{e}"));
        let before: Result<u64, _> = read(&path, "count");
        let updated = update(&path, "count", |n: &mut u64| *n += 1);
        let now: Result<u64, _> = read(&path, "count");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            matches!(before, Err(JsonFileError::TooLarge { .. })),
            "{before:?}"
        );
        assert!(updated.is_ok(), "{updated:?}");
        assert_eq!(now.ok(), Some(1));
    }

    #[test]
    fn an_unreadable_file_is_kept_aside_not_lost() {
        let dir = dir("aside");
        let path = dir.join("gaps.json");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, "{ half a file").unwrap_or_else(|e| panic!("{e}"));
        let updated = update(&path, "count", |n: &mut u64| *n += 1);
        let kept: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let aside = kept
            .iter()
            .find(|name| name.starts_with("gaps.json.unreadable-"))
            .cloned();
        let old = aside
            .as_ref()
            .and_then(|name| std::fs::read_to_string(dir.join(name)).ok());
        let now: Result<u64, _> = read(&path, "count");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(updated.is_ok(), "{updated:?}");
        assert_eq!(old.as_deref(), Some("{ half a file"), "{kept:?}");
        assert_eq!(now.ok(), Some(1));
        assert!(!kept.iter().any(|name| name.ends_with(".tmp")), "{kept:?}");
    }
}
