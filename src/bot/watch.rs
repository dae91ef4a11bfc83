//! Live reload: the notes folder is watched and SIGHUP asks for a reload too.
//!
//! Plain `notify` with our own debounce rather than a debouncer crate: only content changes
//! may count (reading a note must never start a reload, or each reload's own reads start
//! the next), and notify-debouncer-mini drops the event kind. A reload waits until the
//! folder has been quiet for `reload.quiet_ms`, so a save written in pieces is read whole.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use super::app::{App, Reload, Reloaded};
use super::registrar::Registrar;

/// How often the watcher looks whether the notes folder is still the one it watches: a
/// folder deleted and made again, moved aside for a new one, or reached through a symlink
/// that was swapped (git-sync) is watched anew.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// A folder written to without a pause is reloaded anyway this many quiet periods after
/// its first change, so one file rewritten non-stop cannot hold back every other note.
const MOST_QUIET_PERIODS: u32 = 10;

/// While git holds its index lock (a checkout, pull or reset writing the folder) a reload
/// waits, up to this long after the first change: a checkout slower than the quiet periods
/// (git-lfs, a slow disk) was served half-done every 5 s, topics of both branches missing.
/// A lock left by a git that crashed holds reloads no longer than this.
const MOST_GIT_WAIT: Duration = Duration::from_secs(60);

/// Watches the notes folder while it lives.
pub struct Watcher {
    stop: Arc<AtomicBool>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The notes folder cannot be watched (live reload is then off; SIGHUP still reloads).
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {}: {cause}", .dir.display())]
pub struct WatchError {
    pub dir: std::path::PathBuf,
    pub cause: String,
}

/// Starts watching the notes folder. Each reload that swapped the index is sent on `sender`
/// (so the adapter can register commands again); problems are logged and the last good
/// version of a broken note keeps serving. Reloads stop when the returned watcher is dropped.
pub fn watch(app: Arc<App>, sender: mpsc::UnboundedSender<Reloaded>) -> Result<Watcher, WatchError> {
    let dir = app.config.notes_dir.clone();
    let cannot = |e: &dyn std::fmt::Display| WatchError {
        dir: dir.clone(),
        cause: e.to_string(),
    };
    let (events, received) = std::sync::mpsc::channel();
    // Symlinks inside the folder are not followed: the loader follows only those whose
    // target is in the folder, which the watch already covers under its own path. Followed,
    // a link to `/sys` was walked without end (`serve` never listened) and a graph of links
    // path by path (2^n for n levels of two links each), on the thread that also reloads.
    let config = notify::Config::default().with_follow_symlinks(false);
    let mut watcher = RecommendedWatcher::new(
        move |event| {
            let _ = events.send(event);
        },
        config,
    )
    .map_err(|e| cannot(&e))?;
    watcher
        .watch(&dir, RecursiveMode::Recursive)
        .map_err(|e| cannot(&e))?;
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("notes-watcher".into())
        .spawn(move || debounce(watcher, &received, &app, &sender, &stopped))
        .map_err(|e| cannot(&e))?;
    Ok(Watcher { stop })
}

/// Reloads once the folder has been quiet for the debounce window after a content change
/// (or has changed for [`MOST_QUIET_PERIODS`] without a pause), and again when a held-back
/// note is due; watches the folder anew when it was replaced. Ends when the watcher is
/// dropped.
fn debounce(
    mut watcher: RecommendedWatcher,
    events: &Receiver<notify::Result<Event>>,
    app: &App,
    sender: &mpsc::UnboundedSender<Reloaded>,
    stop: &AtomicBool,
) {
    let quiet = app.config.reload.quiet();
    // As notify names the paths of events: a relative folder made absolute.
    let notes_dir = &app.config.notes_dir;
    let root = &std::path::absolute(notes_dir).unwrap_or_else(|_| notes_dir.clone());
    let mut watched = folder_identity(root);
    let mut git_lock = git_index_lock(root);
    let mut next_check = Instant::now() + CHECK_EVERY;
    let mut due: Option<Instant> = None;
    // When the first change not yet reloaded came.
    let mut first: Option<Instant> = None;
    // A reload is waiting for git (told once, and again if git's lock outlasts the wait).
    let mut waiting_for_git = false;
    let mut changed = Changed::default();
    while !stop.load(Ordering::Relaxed) {
        let wake = due.map_or(next_check, |at| at.min(next_check));
        let next = events.recv_timeout(wake.saturating_duration_since(Instant::now()));
        let now = Instant::now();
        match next {
            Ok(Ok(event)) => {
                if changes_notes(&event, root) {
                    changed.add(&event);
                    let first = *first.get_or_insert(now);
                    due = Some((now + quiet).min(first + quiet * MOST_QUIET_PERIODS));
                }
            }
            Ok(Err(error)) => {
                // Events may have been lost: look at the folder once it is quiet.
                tracing::warn!(%error, "watching the notes folder failed");
                changed.walk = true;
                due = Some(now + quiet);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let git_busy = || git_lock.as_deref().is_some_and(Path::exists);
        if due.is_some_and(|at| at <= now)
            && first.is_some_and(|first| now < first + MOST_GIT_WAIT)
            && git_busy()
        {
            // Looked at again each quiet period: git ends without a change to a note.
            due = Some(now + quiet);
            if !waiting_for_git {
                waiting_for_git = true;
                tracing::info!(lock = %git_lock.as_deref().unwrap_or(root).display(), "git is writing the notes; reloading once it is done");
            }
        }
        // Both on time even while events that change nothing (reads) keep arriving.
        if due.is_some_and(|at| at <= now) {
            if std::mem::take(&mut waiting_for_git) && git_busy() {
                tracing::warn!(
                    lock = %git_lock.as_deref().unwrap_or(root).display(),
                    "git's index lock is still there after a minute: reloading anyway; remove it if no git command is running"
                );
            }
            let reload = reload_now(app, std::mem::take(&mut changed).into_paths());
            (due, first) = (reload.again_at, None);
            if let Some(reloaded) = reload.reloaded {
                let _ = sender.send(reloaded);
            }
        }
        if now >= next_check {
            next_check = now + CHECK_EVERY;
            let now_there = folder_identity(root);
            if now_there != watched {
                // The watch followed the old folder (or died with it).
                let _ = watcher.unwatch(root);
                watched = match (now_there, watcher.watch(root, RecursiveMode::Recursive)) {
                    (Some(identity), Ok(())) => {
                        tracing::info!(folder = %root.display(), "the notes folder was replaced; watching the new one");
                        git_lock = git_index_lock(root);
                        changed.walk = true;
                        due = Some(now + quiet);
                        Some(identity)
                    }
                    // Not there (yet): looked for again at the next check.
                    _ => None,
                };
            }
        }
    }
}

/// Where git locks the index of the repository `root` is in (`.git/index.lock`, the
/// `gitdir:` of a worktree or submodule); `None` outside a repository.
fn git_index_lock(root: &Path) -> Option<PathBuf> {
    let root = std::fs::canonicalize(root).ok()?;
    root.ancestors().find_map(|dir| {
        let dot_git = dir.join(".git");
        if dot_git.is_dir() {
            return Some(dot_git.join("index.lock"));
        }
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let git_dir = text.strip_prefix("gitdir:")?.trim();
        Some(dir.join(git_dir).join("index.lock"))
    })
}

/// Which folder `root` is now (device and inode, through symlinks); `None` when there is
/// none.
fn folder_identity(root: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(root).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(root).ok().map(|path| {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            path.hash(&mut hasher);
            (0, hasher.finish())
        })
    }
}

/// The paths events named since the last reload; a reload looks at those files only,
/// unless it must walk the folder (events were lost, or the backend could not say which).
#[derive(Default)]
struct Changed {
    paths: std::collections::BTreeSet<PathBuf>,
    walk: bool,
}

impl Changed {
    fn add(&mut self, event: &Event) {
        self.walk |= event.need_rescan()
            || matches!(event.kind, EventKind::Any | EventKind::Other)
            || event.paths.iter().any(|path| is_swapped_link(path));
        self.paths.extend(event.paths.iter().cloned());
    }

    /// What to look at again: `None` for the whole folder.
    fn into_paths(self) -> Option<Vec<PathBuf>> {
        (!self.walk).then(|| self.paths.into_iter().collect())
    }
}

/// A change to what the notes hold: a file created, written, renamed or removed, or its
/// permissions changed. Opening, reading and closing without writing are not.
pub fn changes_notes(event: &Event, root: &Path) -> bool {
    let content = match event.kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(kind)) => kind != MetadataKind::AccessTime,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        // Backends that cannot tell: look (the loader skips when nothing changed).
        EventKind::Any | EventKind::Other => true,
    };
    content
        && (event.need_rescan()
            || (event.paths.iter()).any(|path| is_note(path, root) || is_swapped_link(path)))
}

/// Kubernetes updates a mounted ConfigMap by swapping one hidden link, `..data`, that every
/// file's link goes through: no event names the notes themselves.
fn is_swapped_link(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == "..data")
}

/// A path that may hold notes: a `.md` file or a folder (a deleted folder has no extension)
/// in the notes folder, not hidden (editors' swap files, `.git`).
fn is_note(path: &Path, root: &Path) -> bool {
    // A folder moved out of the notes folder may still be watched.
    let Ok(inside) = path.strip_prefix(root) else {
        return false;
    };
    let hidden = inside
        .components()
        .any(|c| matches!(c, Component::Normal(name) if name.to_string_lossy().starts_with('.')));
    !hidden && path.extension().is_none_or(|ext| ext.eq_ignore_ascii_case("md"))
}

/// Reloads and logs the result: one line, plus one per problem (file:line). `paths`: the
/// files that changed, when known ([`App::reload_changed`]).
pub fn reload_now(app: &App, paths: Option<Vec<PathBuf>>) -> Reload {
    let reload = app.reload_changed(paths.as_deref());
    if !reload.changed {
        tracing::debug!("no note changed; nothing to reload");
    } else if let Some(reloaded) = &reload.reloaded {
        tracing::info!(
            notes = reloaded.notes,
            sections = reloaded.sections,
            skipped = reload.problems.len(),
            "notes reloaded"
        );
        for problem in reload.problems.iter().chain(&reload.warnings) {
            tracing::warn!("{problem}");
        }
    } else {
        // Nothing new serves: what changed failed, or a broken file was fixed or removed.
        // Problems told before (a link skipped for good) are not told again at each edit.
        for problem in &reload.new_problems {
            tracing::error!("{problem}");
        }
    }
    // Told whichever way: an error fixed along with other changes was never said fixed.
    for problem in &reload.cleared {
        tracing::info!(file = %problem.path.display(), "no longer skipped: fixed or gone");
    }
    if reload.reloaded.is_some() {
        give_back_freed_memory();
    }
    reload
}

/// Returns to the system the memory freed with the index a reload swapped out: glibc keeps
/// it in its arenas, and after a big branch was served a small one kept the big one's size
/// (the git soak: 50 MB, then 146 MB for good).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let started = Instant::now();
        // SAFETY: malloc_trim only walks glibc's own arenas, each under its lock; it frees
        // nothing in use.
        unsafe {
            libc::malloc_trim(0);
        }
        tracing::debug!(took = ?started.elapsed(), "freed memory given back");
    }
}

/// Reloads on every SIGHUP, forwarding swaps like the watcher.
pub async fn reload_on_hangup(app: Arc<App>, sender: mpsc::UnboundedSender<Reloaded>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            return;
        };
        while hangups.recv().await.is_some() {
            let app = app.clone();
            if let Ok(Reload {
                reloaded: Some(reloaded),
                ..
            }) = tokio::task::spawn_blocking(move || reload_now(&app, None)).await
            {
                let _ = sender.send(reloaded);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (app, sender);
}

/// Watches the notes and listens for SIGHUP; when the topics change, registers the
/// commands again through `registrar` (or says how to), and soon when `registering_failed`.
/// Keep the result alive.
pub fn spawn_reloading(
    app: Arc<App>,
    registrar: Option<Registrar>,
    registering_failed: bool,
) -> Option<Watcher> {
    let (sender, mut reloads) = mpsc::unbounded_channel();
    let watcher = match watch(app.clone(), sender.clone()) {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            tracing::warn!("{error}; live reload is off (SIGHUP still reloads)");
            None
        }
    };
    tokio::spawn(reload_on_hangup(app.clone(), sender));
    match registrar {
        Some(registrar) => {
            tokio::spawn(registrar.keep_registered(app, reloads, registering_failed));
        }
        None => {
            tokio::spawn(async move {
                while let Some(reloaded) = reloads.recv().await {
                    if reloaded.commands_changed {
                        tracing::warn!(
                            "the commands changed (a topic came, went or was renamed): run `notes-bot register` to update them"
                        );
                    }
                }
            });
        }
    }
    watcher
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind, RenameMode};
    use std::path::PathBuf;

    fn event(kind: EventKind, path: &str) -> Event {
        Event::new(kind).add_path(PathBuf::from(path))
    }

    #[test]
    fn gits_lock_is_found_above_the_folder_and_through_a_worktree() {
        let top = std::env::temp_dir().join(format!("notes-bot-git-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        let (repository, worktree) = (top.join("repo"), top.join("tree"));
        for dir in [
            repository.join(".git/worktrees/tree"),
            repository.join("docs/a"),
            worktree.join("docs"),
        ] {
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(worktree.join(".git"), "gitdir: ../repo/.git/worktrees/tree\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let canonical = |path: PathBuf| std::fs::canonicalize(path).ok();
        let found = git_index_lock(&repository.join("docs/a"));
        assert_eq!(
            found.and_then(|l| canonical(l.parent()?.into())),
            canonical(repository.join(".git"))
        );
        let found = git_index_lock(&worktree.join("docs"));
        assert_eq!(
            found.and_then(|l| canonical(l.parent()?.into())),
            canonical(repository.join(".git/worktrees/tree"))
        );
        let _ = std::fs::remove_dir_all(&top);
    }

    #[test]
    fn reading_never_counts_writing_does() {
        let root = Path::new("/notes");
        let reads = [
            EventKind::Access(AccessKind::Open(AccessMode::Read)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Any),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
        ];
        for kind in reads {
            assert!(!changes_notes(&event(kind, "/notes/a.md"), root), "{kind:?}");
        }
        let writes = [
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::Permissions)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Remove(RemoveKind::File),
            EventKind::Remove(RemoveKind::Folder),
        ];
        for kind in writes {
            assert!(changes_notes(&event(kind, "/notes/sub/a.md"), root), "{kind:?}");
        }
        let data = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        assert!(changes_notes(&event(data, "/notes/sub"), root));
        assert!(!changes_notes(&event(data, "/notes/.a.md.swp"), root));
        assert!(!changes_notes(&event(data, "/notes/.git/index.md"), root));
        assert!(!changes_notes(&event(data, "/notes/a.md~"), root));
        assert!(!changes_notes(&event(data, "/notes/a.txt"), root));
        // A ConfigMap's update: its `..data` link renamed over.
        let swapped = event(
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            "/notes/..data",
        );
        assert!(changes_notes(&swapped, root));
        let mut changed = Changed::default();
        changed.add(&swapped);
        assert_eq!(changed.into_paths(), None, "the whole folder is looked at");
    }
}
