//! Finding note files under the notes folder and reading them safely. Notes may come from a
//! repository that takes pull requests: a symlink is followed only when its target stays
//! inside the folder, only regular files are read, never past a size cap, and one
//! unreadable file or folder is reported and skipped instead of stopping the walk.

use std::collections::{HashMap, HashSet};
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use super::{FileError, Site};
use crate::error::permission_fix;

/// The default cap on one note's size (`max_note_bytes` in the config).
pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;
/// The default cap on all notes' size together (`max_folder_bytes` in the config): a
/// byte of notes costs about two of memory, and a folder set wrong (a home directory, a
/// pull request of many big files) must not take the host's.
pub const DEFAULT_MAX_FOLDER_BYTES: u64 = 256 * 1024 * 1024;

/// How much of the notes folder is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Bytes of one note.
    pub note: u64,
    /// Bytes of every note together; the notes past it, in path order, are skipped.
    pub folder: u64,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            note: DEFAULT_MAX_BYTES,
            folder: DEFAULT_MAX_FOLDER_BYTES,
        }
    }
}

/// Folders nested deeper than this are not read.
const MAX_DEPTH: usize = 16;

/// Most files [`rescan`] looks at again; past that (a checkout of many notes), a walk.
/// Each path moves the walk's list once or twice (a few milliseconds at 100,000 files):
/// at this many, about what a walk of that folder costs.
const MAX_RESCAN: usize = 256;

/// What tells one version of a file from another without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    /// Inode and change time: a chmod or a same-size rewrite within one mtime tick shows.
    inode: u64,
    changed: (i64, i64),
    device: u64,
}

impl Fingerprint {
    fn of(metadata: &Metadata) -> Fingerprint {
        use std::os::unix::fs::MetadataExt;
        Fingerprint {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            inode: metadata.ino(),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            device: metadata.dev(),
        }
    }

    /// Which file this is (device and inode); `None` where the system does not tell.
    fn file(&self) -> Option<(u64, u64)> {
        (self.inode != 0).then_some((self.device, self.inode))
    }
}

/// A note file that may be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The path under the notes folder: names the topic and appears in messages.
    pub path: PathBuf,
    /// The canonical target when `path` is a symlink (a second copy of every path
    /// otherwise, 8 MB at 100,000 notes, held twice during a reload).
    target: Option<PathBuf>,
    pub fingerprint: Fingerprint,
}

impl Found {
    /// What to open: the file, or the target of the symlink it is.
    pub fn target(&self) -> &Path {
        self.target.as_deref().unwrap_or(&self.path)
    }
}

/// What a walk of the notes folder found.
#[derive(Debug, Default, PartialEq)]
pub struct Scan {
    /// Note files, in path order.
    pub files: Vec<Found>,
    /// Files and folders that were skipped, and why, in path order.
    pub problems: Vec<FileError>,
}

fn problem(path: &Path, message: String) -> FileError {
    FileError {
        path: path.to_path_buf(),
        line: None,
        message,
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("md"))
}

/// Walks `root` for `*.md` files; hidden files and folders (`.obsidian/`, `.trash/`) and
/// those `site` ignores are skipped. Never fails as a whole: anything that cannot be used
/// is a problem and the walk goes on.
pub fn scan(root: &Path, max_bytes: u64, site: &Site) -> Scan {
    let mut scan = Scan::default();
    let canonical_root = match std::fs::canonicalize(root) {
        Ok(path) if path.is_dir() => path,
        Ok(_) => {
            scan.problems.push(problem(
                root,
                "the notes folder is a file: set `notes_dir` in the config, or pass --notes DIR".into(),
            ));
            return scan;
        }
        Err(e) => {
            scan.problems
                .push(problem(root, format!("cannot read the notes folder: {e}")));
            return scan;
        }
    };
    // An explicit stack: the depth of the walk never depends on the stack of the thread.
    let mut visited = HashSet::from([canonical_root.clone()]);
    let mut folders = vec![(root.to_path_buf(), 0)];
    while let Some((folder, depth)) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if depth == 0 => {
                let fix = permission_fix(&e, "read");
                scan.problems.push(problem(
                    &folder,
                    format!("cannot read the notes folder ({e}){fix}"),
                ));
                continue;
            }
            Err(e) => {
                scan.problems.push(problem(
                    &folder,
                    format!("cannot read this folder ({e}); skipped: fix its permissions or rename it to start with a dot"),
                ));
                continue;
            }
        };
        let mut entries: Vec<_> = entries
            .filter_map(|entry| match entry {
                Ok(entry) => Some(entry),
                Err(e) => {
                    scan.problems
                        .push(problem(&folder, format!("cannot list this folder fully: {e}")));
                    None
                }
            })
            .collect();
        // Reversed, so the stack visits subfolders in name order (each name read once: it
        // is a new string each time it is asked for).
        entries.sort_by_cached_key(|entry| std::cmp::Reverse(entry.file_name()));
        // Each entry's metadata is read on every core (a folder of 100,000 notes was half a
        // second of `lstat` on one thread), then the entries are taken in order.
        let resolved: Vec<_> = entries
            .par_iter()
            .filter_map(|entry| {
                if entry.file_name().to_string_lossy().starts_with('.') {
                    return None;
                }
                let path = entry.path();
                if site.ignores_any() && site.ignores(path.strip_prefix(root).unwrap_or(&path)) {
                    return None;
                }
                let mut problems = Vec::new();
                // The entry's own metadata (a symlink's, not its target's), read from its
                // folder: no walk of the whole path for each file.
                let resolved = (entry.metadata().ok())
                    .and_then(|link| resolve(link, &path, &canonical_root, &mut problems));
                Some((path, resolved, problems))
            })
            .collect();
        for (path, resolved, problems) in resolved {
            scan.problems.extend(problems);
            let Some((target, metadata)) = resolved else {
                continue;
            };
            if metadata.is_dir() {
                if visited.contains(&target) {
                    // Walked already (a link back up, or to a folder seen).
                } else if depth >= MAX_DEPTH {
                    scan.problems.push(problem(
                        &path,
                        format!("folder nested deeper than {MAX_DEPTH} levels; skipped with what it holds"),
                    ));
                } else {
                    visited.insert(target);
                    folders.push((path, depth + 1));
                }
                continue;
            }
            if is_markdown(&path) {
                match note_file(path, target, &metadata, max_bytes) {
                    Ok(found) => scan.files.push(found),
                    Err(error) => scan.problems.push(error),
                }
            }
        }
    }
    scan.files.sort_by(|a, b| a.path.cmp(&b.path));
    one_note_per_file(&mut scan);
    scan.problems.sort_by(|a, b| a.path.cmp(&b.path));
    scan
}

/// One note per file: a file reached by two paths (a link to a note beside it, many links to
/// one) would be read, held and searched once for each (an 8 MiB note behind 100 links took
/// 4 GB). The path that is no link is kept, else the first in path order.
fn one_note_per_file(scan: &mut Scan) {
    let mut kept: HashMap<(u64, u64), usize> = HashMap::new();
    let mut dropped = vec![false; scan.files.len()];
    for (at, found) in scan.files.iter().enumerate() {
        let Some(file) = found.fingerprint.file() else {
            continue;
        };
        match kept.get_mut(&file) {
            None => {
                kept.insert(file, at);
            }
            Some(first) => {
                let first_is_link = scan.files.get(*first).is_some_and(|f| f.target.is_some());
                if first_is_link && found.target.is_none() {
                    dropped[*first] = true;
                    *first = at;
                } else {
                    dropped[at] = true;
                }
            }
        }
    }
    if !dropped.contains(&true) {
        return;
    }
    let kept_path = |found: &Found| {
        let at = found.fingerprint.file().and_then(|file| kept.get(&file).copied());
        at.and_then(|at| scan.files.get(at)).map(|f| f.path.clone())
    };
    let problems: Vec<FileError> = (scan.files.iter().zip(&dropped))
        .filter(|(_, dropped)| **dropped)
        .map(|(found, _)| {
            let kept = kept_path(found).unwrap_or_default();
            problem(
                &found.path,
                format!("the same file as {}; skipped (one note per file)", kept.display()),
            )
        })
        .collect();
    scan.problems.extend(problems);
    let mut dropped = dropped.into_iter();
    scan.files.retain(|_| !dropped.next().unwrap_or(false));
}

/// Skips the files of `scan` past `max_bytes` in all, in path order, each as a problem:
/// whether any was. Those of them the bot serves keep their last good version, as a file
/// the walk refuses does.
pub fn cap_folder(scan: &mut Scan, max_bytes: u64) -> bool {
    let mut total = 0u64;
    let past = scan.files.iter().position(|found| {
        total = total.saturating_add(found.fingerprint.len);
        total > max_bytes
    });
    let Some(past) = past else {
        return false;
    };
    for found in scan.files.drain(past..) {
        scan.problems.push(problem(
            &found.path,
            format!(
                "past the cap of {max_bytes} bytes on all notes together, in path order (max_folder_bytes in the config); skipped"
            ),
        ));
    }
    scan.problems.sort_by(|a, b| a.path.cmp(&b.path));
    true
}

/// Whether the walk found a note file under `folder` (so it walked that folder). Files are in
/// path order: those under a folder come together, from where the folder would be.
fn holds_files(scan: &Scan, folder: &Path) -> bool {
    let first_under = scan.files.partition_point(|f| f.path.as_path() < folder);
    (scan.files.get(first_under)).is_some_and(|f| f.path.starts_with(folder))
}

/// A `.md` entry that is not a folder: a note file, or why it is skipped.
fn note_file(
    path: PathBuf,
    target: PathBuf,
    metadata: &Metadata,
    max_bytes: u64,
) -> Result<Found, FileError> {
    if !metadata.is_file() {
        Err(problem(
            &path,
            "not a regular file (a FIFO, device or socket); skipped".into(),
        ))
    } else if metadata.len() > max_bytes {
        Err(too_big(&path, metadata.len(), max_bytes))
    } else {
        Ok(Found {
            // Byte for byte: `Path`'s `==` compares component by component.
            target: (target.as_os_str() != path.as_os_str()).then_some(target),
            path,
            fingerprint: Fingerprint::of(metadata),
        })
    }
}

/// `previous` (a walk of `root`) with the files at `paths` looked at again: each one
/// changed, created or gone, as [`scan`] would find it. `None` when that is not enough and
/// the folder must be walked: a path that is not a `.md` name (a folder created, moved or
/// removed), or a file in a folder the walk did not list a note in (a new folder, or one
/// reached through a symlink). Paths the walk skips (hidden, ignored, outside the folder)
/// change nothing.
pub fn rescan(previous: &Scan, root: &Path, paths: &[PathBuf], max_bytes: u64, site: &Site) -> Option<Scan> {
    if paths.len() > MAX_RESCAN {
        return None;
    }
    let canonical_root = std::fs::canonicalize(root).ok()?;
    let mut scan = Scan {
        files: previous.files.clone(),
        problems: previous.problems.clone(),
    };
    // The watcher may name paths from the root as given, as an absolute path, or resolved.
    let absolute_root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let roots = [root, absolute_root.as_path(), canonical_root.as_path()];
    for named in paths {
        // A path under none of them: the walk tells.
        let relative = roots.iter().find_map(|r| named.strip_prefix(r).ok())?;
        // The path as the walk names it.
        let path = &root.join(relative);
        let hidden = (relative.iter()).any(|name| name.to_string_lossy().starts_with('.'));
        let ignored = (relative.ancestors())
            .filter(|folder| !folder.as_os_str().is_empty())
            .any(|folder| site.ignores(folder));
        if hidden || ignored {
            continue;
        }
        if relative.iter().count() > MAX_DEPTH + 1 {
            continue;
        }
        if !is_markdown(path) {
            match std::fs::symlink_metadata(path) {
                // A folder came (or a link that may lead to one), or one that held notes went.
                Ok(found) if found.is_dir() || found.file_type().is_symlink() => return None,
                Err(_) if holds_files(previous, path) => return None,
                // Another file (an editor's temporary one), or a folder of no notes.
                _ => continue,
            }
        }
        if !path.parent().is_some_and(|folder| holds_files(previous, folder)) {
            return None;
        }
        // What the walk found at this path goes; what is there now comes in its place.
        if let Ok(at) = scan.files.binary_search_by(|f| f.path.as_path().cmp(path)) {
            scan.files.remove(at);
        }
        scan.problems.retain(|p| p.path != *path);
        let mut problems = Vec::new();
        let resolved = (std::fs::symlink_metadata(path).ok())
            .and_then(|link| resolve(link, path, &canonical_root, &mut problems));
        scan.problems.extend(problems);
        if let Some((target, metadata)) = resolved {
            // A folder, or a link (to a note the walk may also find: one note a file).
            if metadata.is_dir() || target.as_os_str() != path.as_os_str() {
                return None;
            }
            match note_file(path.clone(), target, &metadata, max_bytes) {
                Ok(found) => {
                    let at = (scan.files)
                        .binary_search_by(|f| f.path.as_path().cmp(path))
                        .unwrap_or_else(|at| at);
                    scan.files.insert(at, found);
                }
                Err(error) => scan.problems.push(error),
            }
        }
    }
    scan.problems.sort_by(|a, b| a.path.cmp(&b.path));
    Some(scan)
}

/// The canonical path and metadata of an entry, given its own metadata (`link`: a
/// symlink's, not its target's), following a symlink only inside the root. `None` when the
/// entry is to be skipped (problems are reported for note files and folders).
fn resolve(
    link: Metadata,
    path: &Path,
    root: &Path,
    problems: &mut Vec<FileError>,
) -> Option<(PathBuf, Metadata)> {
    // A plain name or a `.md` name may be a note or a folder of notes; others are not ours.
    let ours = is_markdown(path) || path.extension().is_none();
    if !link.file_type().is_symlink() {
        let target = if link.is_dir() {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        } else {
            path.to_path_buf()
        };
        return Some((target, link));
    }
    let target = match std::fs::canonicalize(path) {
        Ok(target) => target,
        Err(e) => {
            if ours {
                problems.push(problem(
                    path,
                    format!("cannot follow this symlink ({e}); skipped"),
                ));
            }
            return None;
        }
    };
    if !target.starts_with(root) {
        if ours {
            problems.push(problem(
                path,
                format!(
                    "symlink to {}, outside the notes folder; skipped (only links within the folder are followed)",
                    target.display()
                ),
            ));
        }
        return None;
    }
    match std::fs::metadata(&target) {
        Ok(metadata) => Some((target, metadata)),
        Err(e) => {
            if ours {
                let fix = permission_fix(&e, "read");
                problems.push(problem(path, format!("cannot read: {e}{fix}; skipped")));
            }
            None
        }
    }
}

fn too_big(path: &Path, len: u64, max_bytes: u64) -> FileError {
    problem(
        path,
        format!(
            "{} is over the size cap of {max_bytes} bytes (max_note_bytes in the config); skipped",
            if len > max_bytes {
                format!("{len} bytes")
            } else {
                "the file".to_string()
            }
        ),
    )
}

/// Reads a regular file, at most `max_bytes` of it. The size the metadata reports is not
/// trusted (files under /proc say 0), and a FIFO swapped in after the walk neither blocks
/// the open (non-blocking) nor gets read.
pub fn read_capped(path: &Path, max_bytes: u64) -> Result<Vec<u8>, FileError> {
    let cannot = |e: std::io::Error| problem(path, format!("cannot read: {e}{}", permission_fix(&e, "read")));
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file: File = options.open(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    if !metadata.is_file() {
        return Err(problem(
            path,
            "not a regular file (a FIFO, device or socket); skipped".into(),
        ));
    }
    // Room for what the file says it holds, up to a bound: a sparse file may claim
    // terabytes it does not have.
    const MOST_RESERVED: u64 = 64 << 20;
    let mut bytes = Vec::with_capacity(metadata.len().min(max_bytes).min(MOST_RESERVED) as usize);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(path, metadata.len(), max_bytes));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notes::{Labels, Loaded, load_dir_capped};
    use std::os::unix::fs::symlink;
    use std::time::Duration;

    const GOOD: &str = "## Reset the router\n- hold the button\n";

    struct Folder(PathBuf);

    impl Folder {
        fn new(name: &str) -> Folder {
            let dir = std::env::temp_dir().join(format!("notes-bot-folder-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            ok(std::fs::create_dir_all(dir.join("notes")));
            ok(std::fs::write(dir.join("notes/good.md"), GOOD));
            Folder(dir)
        }

        fn notes(&self) -> PathBuf {
            self.0.join("notes")
        }

        /// A symlink at `link` in the notes folder to `target`.
        fn symlink(&self, target: impl AsRef<Path>, link: &str) {
            ok(symlink(target, self.notes().join(link)));
        }

        fn mkdir(&self, dir: &str) {
            ok(std::fs::create_dir(self.notes().join(dir)));
        }

        /// Loads on another thread, so a load that hangs fails the test instead.
        fn load(&self, max_bytes: u64) -> Loaded {
            let dir = self.notes();
            let (sender, receiver) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = sender.send(load_dir_capped(&dir, &Labels::default(), max_bytes));
            });
            receiver
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("loading hung"))
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn ok<T>(result: std::io::Result<T>) -> T {
        result.unwrap_or_else(|e| panic!("{e}"))
    }

    fn topics(loaded: &Loaded) -> Vec<&str> {
        loaded.library.notes().iter().map(|n| n.topic.as_str()).collect()
    }

    /// The good note loads; exactly one problem, naming `name`, says `why`.
    fn only_good_loads(loaded: &Loaded, name: &str, why: &str) {
        assert_eq!(topics(loaded), vec!["good"], "{:?}", loaded.errors);
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        let message = loaded.errors[0].to_string();
        assert!(message.contains(name) && message.contains(why), "{message}");
    }

    #[test]
    fn a_symlink_to_a_special_file_outside_is_not_followed() {
        for (target, link) in [("/proc/self/environ", "env.md"), ("/dev/zero", "zero.md")] {
            let folder = Folder::new(link);
            folder.symlink(target, link);
            only_good_loads(&folder.load(DEFAULT_MAX_BYTES), link, "outside the notes folder");
        }
    }

    #[test]
    fn a_symlink_to_a_file_outside_is_not_followed_one_inside_is() {
        let folder = Folder::new("outside");
        ok(std::fs::write(
            folder.0.join("secret.md"),
            "## Secret\n- s3cr3t\n",
        ));
        folder.symlink(folder.0.join("secret.md"), "secret.md");
        // A relative link that climbs out is outside too.
        folder.symlink("../secret.md", "climb.md");
        let loaded = folder.load(DEFAULT_MAX_BYTES);
        assert_eq!(topics(&loaded), vec!["good"]);
        assert_eq!(loaded.errors.len(), 2, "{:?}", loaded.errors);
        // Inside: followed, under the link's name (a hidden folder is not walked, but may
        // hold what links lead to, as a ConfigMap's `..data`).
        folder.mkdir("sub");
        folder.mkdir(".kept");
        ok(std::fs::write(
            folder.notes().join(".kept/inside.md"),
            "## Inside\n- i\n",
        ));
        folder.symlink("../.kept/inside.md", "sub/alias.md");
        assert_eq!(topics(&folder.load(DEFAULT_MAX_BYTES)), vec!["good", "alias"]);
        // A link to a note the walk also finds: one note per file, the one that is no link.
        folder.symlink("../good.md", "sub/again.md");
        folder.symlink("../good.md", "sub/and-again.md");
        let loaded = folder.load(DEFAULT_MAX_BYTES);
        assert_eq!(topics(&loaded), vec!["good", "alias"]);
        let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        let same: Vec<&String> = errors.iter().filter(|e| e.contains("the same file as")).collect();
        assert_eq!(same.len(), 2, "{:?}", loaded.errors);
        assert!(
            same.iter()
                .all(|e| e.contains("good.md; skipped (one note per file)")),
            "{same:?}"
        );
    }

    #[test]
    fn a_fifo_does_not_hang_the_load() {
        let folder = Folder::new("fifo");
        let fifo = folder.notes().join("pipe.md");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
        only_good_loads(&folder.load(DEFAULT_MAX_BYTES), "pipe.md", "not a regular file");
        // Even opened directly, it neither blocks nor is read.
        let error = read_capped(&fifo, 1024).err().map(|e| e.to_string());
        assert!(error.unwrap_or_default().contains("not a regular file"));
    }

    #[test]
    fn symlink_loops_end() {
        let folder = Folder::new("loop");
        folder.symlink("b.md", "a.md");
        folder.symlink("a.md", "b.md");
        folder.mkdir("sub");
        folder.symlink("..", "sub/up");
        folder.symlink(".", "sub/here");
        let loaded = folder.load(DEFAULT_MAX_BYTES);
        assert_eq!(topics(&loaded), vec!["good"], "{:?}", loaded.errors);
        let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors.iter().all(|e| e.contains("cannot follow this symlink")),
            "{errors:?}"
        );
    }

    /// A folder too deep to walk is named, not left out in silence.
    #[test]
    fn a_folder_too_deep_is_named() {
        let folder = Folder::new("deep");
        let deep: PathBuf = (0..=MAX_DEPTH).map(|n| format!("d{n}")).collect();
        ok(std::fs::create_dir_all(folder.notes().join(&deep)));
        ok(std::fs::write(folder.notes().join(&deep).join("x.md"), GOOD));
        let loaded = folder.load(DEFAULT_MAX_BYTES);
        assert_eq!(topics(&loaded), vec!["good"]);
        let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("d16: folder nested deeper than 16 levels"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_oversized_note_is_refused() {
        let folder = Folder::new("big");
        let big = format!("## Big\n{}", "- a point\n".repeat(200));
        ok(std::fs::write(folder.notes().join("big.md"), big));
        only_good_loads(&folder.load(1024), "big.md", "over the size cap of 1024 bytes");
    }

    #[test]
    fn a_proc_file_that_reports_size_0_is_still_capped() {
        let path = Path::new("/proc/self/maps");
        let reported = std::fs::metadata(path).map(|m| m.len()).unwrap_or(1);
        assert_eq!(reported, 0, "the premise: /proc reports 0 bytes");
        let error = read_capped(path, 16).err().map(|e| e.to_string());
        let error = error.unwrap_or_default();
        assert!(error.contains("over the size cap of 16 bytes"), "{error}");
    }

    #[test]
    fn devices_are_not_read() {
        let error = read_capped(Path::new("/dev/zero"), 1024)
            .err()
            .map(|e| e.to_string());
        assert!(error.unwrap_or_default().contains("not a regular file"));
    }

    /// After each change, looking again at the paths named finds what a walk finds, or
    /// asks for the walk.
    #[test]
    fn a_rescan_of_the_changed_paths_finds_what_a_walk_finds() {
        const CAP: u64 = 64;
        let folder = Folder::new("rescan");
        let root = folder.notes();
        let site = Site::default();
        folder.mkdir("sub");
        ok(std::fs::write(root.join("sub/a.md"), GOOD));
        let mut last = scan(&root, CAP, &site);
        let mut step = |change: &dyn Fn(), paths: &[&str], walks: bool| {
            change();
            let paths: Vec<PathBuf> = paths.iter().map(|p| root.join(p)).collect();
            let walked = scan(&root, CAP, &site);
            match rescan(&last, &root, &paths, CAP, &site) {
                Some(found) => {
                    assert!(!walks, "{paths:?}: looked again where only a walk can tell");
                    assert_eq!(found, walked, "{paths:?}");
                }
                None => assert!(walks, "{paths:?}: walked"),
            }
            last = walked;
        };
        let at = root.clone();
        let write = |name: &'static str, text: &'static str| {
            let file = at.join(name);
            move || ok(std::fs::write(&file, text))
        };
        step(&write("good.md", "## Edited\n- more\n"), &["good.md"], false);
        step(&write("new.md", GOOD), &["new.md"], false);
        step(&write("sub/b.md", GOOD), &["sub/b.md"], false);
        step(
            &|| ok(std::fs::remove_file(at.join("new.md"))),
            &["new.md"],
            false,
        );
        step(
            &|| ok(std::fs::rename(at.join("sub/b.md"), at.join("sub/c.md"))),
            &["sub/b.md", "sub/c.md"],
            false,
        );
        // Over the size cap now: a problem in its place, then a note again.
        let big = "## Big\n- 0123456789 0123456789 0123456789 0123456789 0123456789\n";
        step(&write("good.md", big), &["good.md"], false);
        step(&write("good.md", GOOD), &["good.md"], false);
        // Files the walk skips change nothing; an editor's temporary file neither.
        step(&write(".hidden.md", GOOD), &[".hidden.md"], false);
        step(&write("4913", "x"), &["4913"], false);
        // A new folder, a file in a folder the walk found no note in, a folder gone: a walk.
        step(&|| folder.mkdir("fresh"), &["fresh"], true);
        step(&write("fresh/x.md", GOOD), &["fresh/x.md"], true);
        step(&|| ok(std::fs::remove_dir_all(at.join("sub"))), &["sub"], true);
        // A symlink: a walk, which decides whether to follow it (and keeps one note a file).
        folder.symlink(at.join("good.md"), "link.md");
        step(&|| (), &["link.md"], true);
        step(
            &|| folder.symlink(root.join("fresh"), "dirlink"),
            &["dirlink"],
            true,
        );
    }

    /// The watcher names paths its own way (a relative root's as absolute ones, say): a
    /// path under the root as given, made absolute or resolved is found; one under none
    /// asks for the walk.
    #[test]
    fn a_rescan_finds_paths_named_from_the_root_resolved() {
        let folder = Folder::new("rescan-roots");
        let site = Site::default();
        let resolved = folder.notes();
        // Another spelling of the same folder, as a configuration may give it.
        let root = resolved.join("..").join("notes");
        let last = scan(&root, 1 << 20, &site);
        ok(std::fs::write(resolved.join("new.md"), GOOD));
        let walked = scan(&root, 1 << 20, &site);
        assert_eq!(walked.files.len(), 2);
        let again = rescan(&last, &root, &[resolved.join("new.md")], 1 << 20, &site);
        assert_eq!(again.as_ref(), Some(&walked));
        let elsewhere = rescan(
            &last,
            &root,
            &[PathBuf::from("/elsewhere/new.md")],
            1 << 20,
            &site,
        );
        assert_eq!(elsewhere, None);
    }
}
