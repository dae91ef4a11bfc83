//! Live reload: the notes folder is watched and SIGHUP asks for a reload too.
//!
//! Plain `notify` with our own debounce rather than a debouncer crate: only content changes
//! may count (reading a note must never start a reload, or each reload's own reads start
//! the next), and notify-debouncer-mini drops the event kind. A reload waits until the
//! folder has been quiet for `reload.quiet_ms`, so a save written in pieces is read whole.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use super::app::{App, Reload, Reloaded};
use super::registrar::Registrar;

/// Watches the notes folder while it lives.
pub struct Watcher {
    _watcher: RecommendedWatcher,
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
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = events.send(event);
    })
    .map_err(|e| cannot(&e))?;
    watcher
        .watch(&dir, RecursiveMode::Recursive)
        .map_err(|e| cannot(&e))?;
    std::thread::Builder::new()
        .name("notes-watcher".into())
        .spawn(move || debounce(&received, &app, &sender))
        .map_err(|e| cannot(&e))?;
    Ok(Watcher { _watcher: watcher })
}

/// Reloads once the folder has been quiet for the debounce window after a content change,
/// and again when a held-back note is due. Ends when the watcher is dropped.
fn debounce(events: &Receiver<notify::Result<Event>>, app: &App, sender: &mpsc::UnboundedSender<Reloaded>) {
    let quiet = app.config.reload.quiet();
    let root = app.config.notes_dir.as_path();
    let mut due: Option<Instant> = None;
    let mut changed = Changed::default();
    loop {
        let next = match due {
            None => events.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(at) => events.recv_timeout(at.saturating_duration_since(Instant::now())),
        };
        match next {
            Ok(Ok(event)) => {
                if changes_notes(&event, root) {
                    changed.add(&event);
                    due = Some(Instant::now() + quiet);
                }
            }
            Ok(Err(error)) => {
                // Events may have been lost: look at the folder once it is quiet.
                tracing::warn!(%error, "watching the notes folder failed");
                changed.walk = true;
                due = Some(Instant::now() + quiet);
            }
            Err(RecvTimeoutError::Timeout) => {
                let reload = reload_now(app, std::mem::take(&mut changed).into_paths());
                due = reload.again_at;
                if let Some(reloaded) = reload.reloaded {
                    let _ = sender.send(reloaded);
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
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
        self.walk |= event.need_rescan() || matches!(event.kind, EventKind::Any | EventKind::Other);
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
    content && (event.need_rescan() || event.paths.iter().any(|path| is_note(path, root)))
}

/// A path that may hold notes: a `.md` file or a folder (a deleted folder has no extension),
/// not hidden (editors' swap files, `.git`).
fn is_note(path: &Path, root: &Path) -> bool {
    let inside = path.strip_prefix(root).unwrap_or(path);
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
        for problem in &reload.problems {
            tracing::warn!("{problem}");
        }
    } else {
        for problem in &reload.problems {
            tracing::error!("{problem}");
        }
    }
    reload
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
                    if reloaded.topics_changed {
                        tracing::warn!(
                            "topics changed: run `notes-bot register` to update the slash commands"
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
    }
}
