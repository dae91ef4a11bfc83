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
use crate::config::ReloadOptions;

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

/// The notes folder cannot be watched.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch {}: {cause}", .dir.display())]
pub struct WatchError {
    pub dir: std::path::PathBuf,
    pub cause: String,
    /// The host ran out of inotify watches or instances (a sysctl raises them).
    pub out_of_watches: bool,
}

impl WatchError {
    fn new(dir: &Path, error: &notify::Error) -> WatchError {
        WatchError {
            dir: dir.to_path_buf(),
            out_of_watches: match &error.kind {
                notify::ErrorKind::MaxFilesWatch => true,
                notify::ErrorKind::Io(io) => {
                    io.raw_os_error() == Some(libc::EMFILE) || io.raw_os_error() == Some(libc::ENOSPC)
                }
                _ => false,
            },
            cause: error.to_string(),
        }
    }

    /// What is done instead of watching, and what lets the folder be watched.
    fn polling_instead(&self) -> String {
        format!(
            "looking for changes every {} s instead{}",
            ReloadOptions::UNREPORTED_POLL_SECONDS,
            if self.out_of_watches {
                " (raise the host's fs.inotify.max_user_watches and max_user_instances to watch it)"
            } else {
                ""
            }
        )
    }
}

/// Starts watching the notes folder. Each reload that swapped the index is sent on `sender`
/// (so the adapter can register commands again); problems are logged and the last good
/// version of a broken note keeps serving. Where the file system does not report changes
/// (or cannot: the host is out of inotify watches), the folder is looked at every few
/// seconds instead ([`ReloadOptions::poll_seconds`]). Reloads stop when the returned
/// watcher is dropped.
pub fn watch(app: Arc<App>, sender: mpsc::UnboundedSender<Reloaded>) -> Result<Watcher, WatchError> {
    let dir = app.config.notes_dir.clone();
    let (events, received) = std::sync::mpsc::channel();
    let watcher = notify_watcher(&dir, events.clone());
    let unreported = Duration::from_secs(ReloadOptions::UNREPORTED_POLL_SECONDS);
    let poll = match (&watcher, app.config.reload.poll_seconds) {
        (_, Some(seconds)) => Some(Duration::from_secs(seconds)),
        (Err(error), None) => {
            tracing::warn!("{error}; {}", error.polling_instead());
            Some(unreported)
        }
        (Ok(_), None) => unreported_file_system(&dir).map(|name| {
            tracing::info!(
                folder = %dir.display(),
                "the notes folder is on {name}, which may not report changes made elsewhere: looking for changes every {} s too",
                unreported.as_secs()
            );
            unreported
        }),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let watching = Watching {
        watcher: watcher
            .ok()
            .map(|w| Box::new(w) as Box<dyn notify::Watcher + Send>),
        // Kept so the events never end while the folder is only polled.
        _events: events,
        poll,
    };
    std::thread::Builder::new()
        .name("notes-watcher".into())
        .spawn(move || debounce(watching, &received, &app, &sender, &stopped))
        .map_err(|e| WatchError {
            dir: dir.clone(),
            cause: e.to_string(),
            out_of_watches: false,
        })?;
    Ok(Watcher { stop })
}

/// A notify watcher on `dir` and every folder in it, sending its events on `events`.
fn notify_watcher(
    dir: &Path,
    events: std::sync::mpsc::Sender<notify::Result<Event>>,
) -> Result<RecommendedWatcher, WatchError> {
    let cannot = |e: notify::Error| WatchError::new(dir, &e);
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
    .map_err(cannot)?;
    watcher.watch(dir, RecursiveMode::Recursive).map_err(cannot)?;
    Ok(watcher)
}

/// How the folder's changes are heard of: notify's events (`None` when it could not
/// watch), and a look at the whole folder every `poll`.
struct Watching {
    watcher: Option<Box<dyn notify::Watcher + Send>>,
    _events: std::sync::mpsc::Sender<notify::Result<Event>>,
    poll: Option<Duration>,
}

impl Watching {
    /// Watches `root` anew after it was replaced: the watch followed the old folder (or
    /// died with it). A folder that cannot be watched is polled from then on, as at start.
    /// Whether polling began.
    fn rewatch(&mut self, root: &Path) -> bool {
        let Some(watcher) = self.watcher.as_mut() else {
            tracing::info!(folder = %root.display(), "the notes folder was replaced; reading the new one");
            return false;
        };
        let _ = watcher.unwatch(root);
        match watcher.watch(root, RecursiveMode::Recursive) {
            Ok(()) => {
                tracing::info!(folder = %root.display(), "the notes folder was replaced; watching the new one");
                false
            }
            Err(error) => {
                let error = WatchError::new(root, &error);
                tracing::warn!(
                    "the notes folder was replaced and {error}; {}",
                    error.polling_instead()
                );
                self.watcher = None;
                let unreported = Duration::from_secs(ReloadOptions::UNREPORTED_POLL_SECONDS);
                self.poll = Some(self.poll.map_or(unreported, |every| every.min(unreported)));
                true
            }
        }
    }
}

/// Reloads once the folder has been quiet for the debounce window after a content change
/// (or has changed for [`MOST_QUIET_PERIODS`] without a pause), and again when a held-back
/// note is due, or a poll is; watches the folder anew when it was replaced. Ends when the
/// watcher is dropped.
fn debounce(
    mut watching: Watching,
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
    let mut next_poll = watching.poll.map(|every| Instant::now() + every);
    let mut due: Option<Instant> = None;
    // When the first change not yet reloaded came.
    let mut first: Option<Instant> = None;
    // A reload is waiting for git (told once, and again if git's lock outlasts the wait).
    let mut waiting_for_git = false;
    let mut changed = Changed::default();
    while !stop.load(Ordering::Relaxed) {
        let wake = [due, next_poll]
            .into_iter()
            .flatten()
            .fold(next_check, Instant::min);
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
        if let (Some(at), Some(every)) = (next_poll, watching.poll)
            && at <= now
        {
            // The whole folder is walked; a load that finds no file changed costs the walk.
            // A reload already waiting for quiet keeps waiting, and walks.
            next_poll = Some(now + every);
            changed.walk = true;
            first.get_or_insert(now);
            due.get_or_insert(now);
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
            let paths = std::mem::take(&mut changed).into_paths();
            // A bug a reload runs into is told, and the watch goes on: a panic here ended
            // the reloads for good, the bot serving on as if all were well.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reload_now(app, paths))) {
                Ok(reload) => {
                    (due, first) = (reload.again_at, None);
                    if let Some(reloaded) = reload.reloaded {
                        let _ = sender.send(reloaded);
                    }
                }
                Err(_) => {
                    (due, first) = (None, None);
                    tracing::error!(
                        "reloading the notes failed (a bug in notes-bot: please report it); the last good notes keep serving, and the next change is read again"
                    );
                }
            }
        }
        if now >= next_check {
            next_check = now + CHECK_EVERY;
            let now_there = folder_identity(root);
            // Not there (yet): looked for again at the next check.
            if now_there != watched && now_there.is_some() {
                watched = now_there;
                if watching.rewatch(root) {
                    next_poll = watching.poll.map(|every| now + every);
                }
                git_lock = git_index_lock(root);
                changed.walk = true;
                due = Some(now + quiet);
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

/// The kind of file system `dir` is on when it may not report changes made elsewhere
/// (another machine, the host of a VM or of Docker Desktop): inotify hears only the
/// writes of this kernel.
fn unreported_file_system(dir: &Path) -> Option<&'static str> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        let mut stat = std::mem::MaybeUninit::<libc::statfs>::uninit();
        // SAFETY: `path` is a NUL-terminated string and `stat` a buffer statfs fills.
        if unsafe { libc::statfs(path.as_ptr(), stat.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: statfs returned 0, so it filled `stat`.
        let kind = unsafe { stat.assume_init() }.f_type;
        // The magic is 32 bits wide; f_type's width and sign vary by target.
        file_system_named(kind as u32)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        None
    }
}

/// The name of a file system, by its statfs magic (`linux/magic.h`), among those whose
/// files may change without an inotify event.
fn file_system_named(magic: u32) -> Option<&'static str> {
    Some(match magic {
        0x6969 => "NFS",
        0x517b | 0xff53_4d42 | 0xfe53_4d42 => "SMB",
        // WSL's Windows drives, Docker Desktop's shared Windows folders.
        0x0102_1997 => "9p",
        // sshfs, rclone, s3fs, gcsfuse; Docker Desktop's shares on macOS.
        0x6573_5546 => "FUSE",
        0x00c3_6400 => "CephFS",
        0x5346_414f | 0x6b41_4653 => "AFS",
        0x0bd0_0bd0 => "Lustre",
        _ => return None,
    })
}

/// Which folder `root` is now (device and inode, through symlinks); `None` when there is
/// none.
fn folder_identity(root: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(root).ok().map(|m| (m.dev(), m.ino()))
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
    let started = Instant::now();
    crate::search::release_freed_memory();
    tracing::debug!(took = ?started.elapsed(), "freed memory given back");
}

/// Reloads on every SIGHUP, forwarding swaps like the watcher.
pub async fn reload_on_hangup(app: Arc<App>, sender: mpsc::UnboundedSender<Reloaded>) {
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
    fn file_systems_that_may_not_report_changes_are_named() {
        for (magic, name) in [
            (0x6969, "NFS"),
            (0xff53_4d42, "SMB"),
            (0x0102_1997, "9p"),
            (0x6573_5546, "FUSE"),
        ] {
            assert_eq!(file_system_named(magic), Some(name), "{magic:#x}");
        }
        // ext4, tmpfs, overlayfs (a container's own files), btrfs, xfs.
        for magic in [0xef53, 0x0102_1994, 0x794c_7630, 0x9123_683e, 0x5846_5342] {
            assert_eq!(file_system_named(magic), None, "{magic:#x}");
        }
        assert_eq!(unreported_file_system(Path::new("/no/such/folder")), None);
    }

    /// Every section title `app` serves.
    fn titles(app: &App) -> Vec<String> {
        let index = app.index();
        let notes = index.library().notes();
        (notes.iter())
            .flat_map(|n| n.sections.iter().map(|s| s.title.clone()))
            .collect()
    }

    #[test]
    fn a_folder_whose_changes_go_unreported_is_polled_and_polls_find_nothing_more() {
        let dir = std::env::temp_dir().join(format!("notes-bot-poll-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let note = dir.join("a.md");
        std::fs::write(&note, "# One\n\n- a point\n").unwrap_or_else(|e| panic!("{e}"));
        let config = crate::config::Config {
            notes_dir: dir.clone(),
            ..Default::default()
        };
        let (app, _) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
        let app = Arc::new(app);
        // No notify watcher: nothing but the poll can see a change.
        let (events, received) = std::sync::mpsc::channel();
        let watching = Watching {
            watcher: None,
            _events: events,
            poll: Some(Duration::from_millis(700)),
        };
        let (sender, mut reloads) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (app, stop) = (app.clone(), stop.clone());
            std::thread::spawn(move || debounce(watching, &received, &app, &sender, &stop))
        };
        std::fs::write(&note, "# Two words\n\n- a point\n").unwrap_or_else(|e| panic!("{e}"));
        let written = Instant::now();
        while reloads.try_recv().is_err() {
            assert!(
                written.elapsed() < Duration::from_secs(5),
                "the change was never found"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(titles(&app), ["Two words"]);
        // Polls go on, finding nothing: no reload swaps, nothing is sent.
        let (checks, swaps) = (app.reload_checks(), app.reloads());
        let polling = Instant::now();
        while app.reload_checks() < checks + 2 {
            assert!(
                polling.elapsed() < Duration::from_secs(10),
                "{} polls",
                app.reload_checks() - checks
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(app.reloads(), swaps);
        assert!(reloads.try_recv().is_err());
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap_or_else(|_| panic!("the watcher panicked"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A watcher for a host out of inotify watches: every watch is refused.
    struct OutOfWatches(Arc<std::sync::atomic::AtomicUsize>);

    impl notify::Watcher for OutOfWatches {
        fn new<F: notify::EventHandler>(_: F, _: notify::Config) -> notify::Result<Self> {
            Ok(OutOfWatches(Arc::default()))
        }
        fn watch(&mut self, _: &Path, _: RecursiveMode) -> notify::Result<()> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Err(notify::Error::io(std::io::Error::from_raw_os_error(libc::ENOSPC)))
        }
        fn unwatch(&mut self, _: &Path) -> notify::Result<()> {
            Ok(())
        }
        fn kind() -> notify::WatcherKind {
            notify::WatcherKind::NullWatcher
        }
    }

    #[test]
    fn a_replaced_folder_that_cannot_be_watched_is_read_then_polled_and_not_watched_again() {
        let base = std::env::temp_dir().join(format!("notes-bot-rewatch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        for (folder, title) in [("one", "Old"), ("two", "New")] {
            std::fs::create_dir_all(base.join(folder)).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(
                base.join(folder).join("a.md"),
                format!("# {title}\n\n- a point\n"),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let link = base.join("notes");
        std::os::unix::fs::symlink("one", &link).unwrap_or_else(|e| panic!("{e}"));
        let config = crate::config::Config {
            notes_dir: link.clone(),
            ..Default::default()
        };
        let (app, _) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
        let app = Arc::new(app);
        let watches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (events, received) = std::sync::mpsc::channel();
        let watching = Watching {
            watcher: Some(Box::new(OutOfWatches(watches.clone()))),
            _events: events,
            poll: None,
        };
        let (sender, _reloads) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (app, stop) = (app.clone(), stop.clone());
            std::thread::spawn(move || debounce(watching, &received, &app, &sender, &stop))
        };
        // The watcher notes which folder it watches as it starts.
        std::thread::sleep(Duration::from_millis(300));
        // A git-sync style swap: the link now leads to another folder.
        let swapped = base.join("swapped");
        std::os::unix::fs::symlink("two", &swapped).unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(&swapped, &link).unwrap_or_else(|e| panic!("{e}"));
        let at = Instant::now();
        while titles(&app) != ["New"] {
            assert!(
                at.elapsed() < Duration::from_secs(6),
                "the new folder was never read"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Polled from then on: an edit no event reports is read within a poll.
        std::fs::write(base.join("two/a.md"), "# Edited\n\n- a point\n").unwrap_or_else(|e| panic!("{e}"));
        let edited = Instant::now();
        while titles(&app) != ["Edited"] {
            let limit = ReloadOptions::UNREPORTED_POLL_SECONDS + 3;
            assert!(
                edited.elapsed() < Duration::from_secs(limit),
                "the edit was never read"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // One watch was tried, not one at every check since.
        assert_eq!(watches.load(Ordering::Relaxed), 1);
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap_or_else(|_| panic!("the watcher panicked"));
        let _ = std::fs::remove_dir_all(&base);
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
