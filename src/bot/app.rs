//! What every adapter shares: the current index (swapped whole on reload) and the handler.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use serenity::all::{GuildChannel, Interaction, Message};

use super::clock::unix_now;
use super::commands::{note_description, uses_notes_command};
use super::handler::{ForumReply, Handler, Outcome};
use crate::config::Config;
use crate::notes::{FileError, Library, Loader, Note};
use crate::search::Index;

pub struct App {
    pub config: Config,
    pub handler: Handler,
    index: ArcSwap<Index>,
    /// Unix time the current index was built.
    loaded_at: AtomicU64,
    /// Reads the notes again; the lock also keeps two reloads from overlapping.
    loader: Mutex<Loader>,
    /// Reloads asked for (by the watcher, SIGHUP or a caller) since start-up.
    checks: AtomicU64,
    /// Indexes swapped in since start-up.
    reloads: AtomicU64,
    /// Files and folders skipped or held back at the last load (read without the loader's
    /// lock, which a reload holds).
    skipped: AtomicU64,
}

/// No note loaded at start-up: the folder, why each file in it was skipped, and the
/// config's `ignore:` patterns (`ignore: ["*"]` leaves every note out).
#[derive(Debug)]
pub struct NoNotes {
    pub dir: PathBuf,
    pub problems: Vec<FileError>,
    pub ignore: Vec<String>,
    /// Files at the folder's top that are not `*.md` (a few): `notes.txt`, `a.markdown`.
    pub not_markdown: Vec<String>,
}

impl NoNotes {
    /// No note in `dir`: the folder's top is looked at for files named otherwise.
    pub fn new(dir: PathBuf, problems: Vec<FileError>, ignore: Vec<String>) -> NoNotes {
        const LOOKED_AT: usize = 1_000;
        let names: Vec<String> = (std::fs::read_dir(&dir).into_iter().flatten().flatten())
            .take(LOOKED_AT)
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.'))
            .collect();
        // Told only of a folder with no `.md` file at all: notes left out (`ignore:`,
        // `publish: false`) beside a config file are another story.
        let markdown = names
            .iter()
            .any(|name| name.to_ascii_lowercase().ends_with(".md"));
        let mut not_markdown = if markdown { Vec::new() } else { names };
        not_markdown.sort();
        not_markdown.truncate(4);
        NoNotes {
            dir,
            problems,
            ignore,
            not_markdown,
        }
    }
}

impl fmt::Display for NoNotes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = crate::error::located(&self.dir);
        if self.problems.is_empty() && !self.not_markdown.is_empty() {
            // Windows hides `.txt`: `notes.md.txt` looks like a note.
            let names: Vec<String> = (self.not_markdown.iter().take(3))
                .map(|name| crate::text::printable(name).into_owned())
                .collect();
            let more = if self.not_markdown.len() > 3 { ", …" } else { "" };
            write!(
                f,
                "no notes loaded from {dir}: its files ({}{more}) are not named *.md, which notes must be",
                names.join(", ")
            )?;
        } else if self.problems.is_empty() {
            write!(
                f,
                "no notes loaded from {dir}; put markdown files (*.md) there or pass --notes DIR"
            )?;
        } else {
            write!(f, "no notes loaded from {dir}")?;
        }
        // Whether they left every note out is for the admin to see: a folder may hold none.
        if !self.ignore.is_empty() {
            let patterns: Vec<String> = self.ignore.iter().map(|p| format!("`{p}`")).collect();
            write!(
                f,
                ", and check the config's `ignore:`, which leaves out what matches {}",
                patterns.join(", ")
            )?;
        }
        match self.problems.as_slice() {
            [] => {}
            // The folder itself: nothing was there to load.
            [only] if only.path == self.dir => write!(f, "; pass --notes DIR or set notes_dir:")?,
            _ => write!(f, "; what was there could not be loaded:")?,
        }
        // One line each, whatever a file's name holds: the reader splits at line breaks.
        for problem in &self.problems {
            write!(f, "\n  {}", crate::text::printable(&problem.to_string()))?;
        }
        Ok(())
    }
}

impl std::error::Error for NoNotes {}

/// What a reload swapped in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    pub notes: usize,
    pub sections: usize,
    /// The command set differs: it must be registered again.
    pub commands_changed: bool,
}

/// What one reload did.
#[derive(Debug)]
pub struct Reload {
    /// Some file changed since the last reload (else nothing was read again).
    pub changed: bool,
    /// The new index, or `None`: no note changed (a file that changed failed and keeps its
    /// last good version, or the folder cannot be read), or no note was left; the last good
    /// notes keep serving.
    pub reloaded: Option<Reloaded>,
    /// Every file or folder skipped or held back, as a person reads it (file:line).
    pub problems: Vec<FileError>,
    /// Those of `problems` the last load did not have.
    pub new_problems: Vec<FileError>,
    /// The last load's problems this one no longer has (fixed, or the file gone).
    pub cleared: Vec<FileError>,
    /// Worth a warning: notes left out on purpose and topics renamed since the last load,
    /// and the warnings of the notes read again (file:line).
    pub warnings: Vec<FileError>,
    /// Reload again at this time: a held-back note is due then.
    pub again_at: Option<Instant>,
}

impl App {
    pub fn new(config: Config, index: Index) -> App {
        App {
            handler: Handler::new(&config),
            loader: Mutex::new(loader(&config)),
            config,
            index: ArcSwap::from_pointee(index),
            loaded_at: AtomicU64::new(unix_now()),
            checks: AtomicU64::new(0),
            reloads: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// Config → notes → index → app, the one way every adapter, test and bench starts.
    /// Bad files are returned with the app, skipped; only "no note at all" is an error.
    pub fn load(config: Config) -> Result<(App, Vec<FileError>), NoNotes> {
        let mut loader = loader(&config);
        let load = loader.load(&Library::default(), Instant::now());
        let library = load.library.unwrap_or_default();
        if library.notes().is_empty() {
            return Err(NoNotes::new(config.notes_dir, load.problems, config.ignore));
        }
        let index = Index::build(library, &config.search_options());
        let app = App::new(config, index);
        app.skipped.store(load.problems.len() as u64, Ordering::Relaxed);
        *crate::sync::lock(&app.loader) = loader;
        Ok((app, load.problems))
    }

    /// Worth a warning at start-up: the notices of the load (notes left out on purpose,
    /// topics renamed) and every note's warnings (file:line).
    pub fn warnings(&self) -> Vec<FileError> {
        let mut warnings = crate::sync::lock(&self.loader).notices().to_vec();
        warnings.extend(new_warnings(&Library::default(), self.index().library()));
        warnings
    }

    /// The index now; a reload never changes what a caller already holds.
    pub fn index(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Unix time the index now serving was built.
    pub fn loaded_at(&self) -> u64 {
        self.loaded_at.load(Ordering::Relaxed)
    }

    /// Reloads that read the notes since start-up, whether or not a file had changed.
    pub fn reload_checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// Indexes swapped in by reloads since start-up.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// Files and folders skipped or held back at the last load.
    pub fn notes_skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// See `Handler::thread_created`.
    pub fn thread_created(&self, thread: &GuildChannel) -> Option<ForumReply> {
        self.handler.thread_created(&self.index.load(), thread)
    }

    /// See `Handler::message_created`.
    pub fn message_created(&self, message: &Message) -> Option<ForumReply> {
        self.handler.message_created(&self.index.load(), message)
    }

    pub fn handle(&self, interaction: &Interaction) -> Outcome {
        self.handler
            .handle(&self.index.load(), interaction, Instant::now())
    }

    /// Reads the notes again (only the files that changed), indexes the notes that changed
    /// (`Index::update`: the rest of the index is shared with the one serving) and swaps
    /// the new index in. A note that fails keeps its last good version; when no file
    /// changed, or no note is left, nothing is swapped.
    pub fn reload(&self) -> Reload {
        self.reload_changed(None)
    }

    /// [`App::reload`] when only the files at `paths` may have changed (as the watcher
    /// reports them): those are looked at again instead of walking the whole folder
    /// (`Loader::load_changed`, which walks it when that is not enough). `None`: walk.
    pub fn reload_changed(&self, paths: Option<&[PathBuf]>) -> Reload {
        let mut loader = crate::sync::lock(&self.loader);
        let old = self.index.load_full();
        let now = Instant::now();
        let load = match paths {
            Some(paths) => loader.load_changed(old.library(), paths, now),
            None => loader.load(old.library(), now),
        };
        self.skipped.store(load.problems.len() as u64, Ordering::Relaxed);
        // Counted once the notes are read: a count seen to rise has its skipped notes.
        self.checks.fetch_add(1, Ordering::Relaxed);
        let mut reload = Reload {
            changed: load.library.is_some(),
            reloaded: None,
            new_problems: load.new_problems,
            cleared: load.cleared,
            problems: load.problems,
            // Told once: a topic renamed for good was told again at every reload.
            warnings: load.new_notices,
            again_at: load.again_at,
        };
        let Some(library) = load.library else {
            return reload;
        };
        if library.notes().is_empty() {
            let gone = FileError {
                path: self.config.notes_dir.clone(),
                line: None,
                message: "no notes left; the last good ones keep serving".into(),
            };
            // Told: nothing swaps, and only new problems are logged then.
            reload.new_problems.push(gone.clone());
            reload.problems.push(gone);
            return reload;
        }
        // Every note the one serving (a bad edit keeps its last good version; an unreadable
        // folder keeps them all): nothing to swap, and no "reloaded" to tell.
        let unchanged = (library.notes().len() == old.library().notes().len())
            && (library.notes().iter().zip(old.library().notes())).all(|(a, b)| Arc::ptr_eq(a, b));
        if unchanged {
            return reload;
        }
        reload.warnings.extend(new_warnings(old.library(), &library));
        reload
            .warnings
            .extend(moved_topics(old.library(), &library, &self.config.notes_dir));
        let index = old.update(library);
        // What the command set holds of each note: its name and description, unless one
        // `/notes` command serves them all. Compared in place, a note shared by both
        // libraries by its pointer: at 100,000 notes, copies of both lists cost more than
        // the update.
        let same_commands = match (
            uses_notes_command(old.library()),
            uses_notes_command(index.library()),
        ) {
            (true, true) => true,
            (false, false) => {
                let (before, after) = (old.library().notes(), index.library().notes());
                before.len() == after.len()
                    && before.iter().zip(after).all(|(a, b)| {
                        Arc::ptr_eq(a, b)
                            || (a.topic == b.topic && note_description(a) == note_description(b))
                    })
            }
            _ => false,
        };
        reload.reloaded = Some(Reloaded {
            notes: index.library().notes().len(),
            sections: index.library().section_count(),
            commands_changed: !same_commands,
        });
        self.index.store(Arc::new(index));
        self.loaded_at.store(unix_now(), Ordering::Relaxed);
        self.reloads.fetch_add(1, Ordering::Relaxed);
        reload
    }
}

/// The warnings of the notes of `new` that are not notes of `old` (read again), as a person
/// reads them. By pointer: few notes have warnings, and comparing 100,000 paths would cost
/// more than the rest of a reload.
fn new_warnings(old: &Library, new: &Library) -> Vec<FileError> {
    let before: std::collections::HashSet<*const Note> = (old.notes().iter())
        .filter(|note| !note.warnings.is_empty())
        .map(Arc::as_ptr)
        .collect();
    let read_again =
        (new.notes().iter()).filter(|note| !note.warnings.is_empty() && !before.contains(&Arc::as_ptr(note)));
    read_again
        .flat_map(|note| {
            note.warnings.iter().map(|warning| FileError {
                path: note.path.clone(),
                line: Some(warning.line),
                message: warning.message.clone(),
            })
        })
        .collect()
}

/// Topics another note took this reload while the note that had them stays, as warnings
/// (at most [`MOST_MOVES_TOLD`], then a count): a note added or moved whose path sorts
/// first takes the name (a pull request adding `copies/home.md` made `/home` the copy, and
/// the note `/home-2`), which nothing else tells. A note moved with its folder keeps its
/// topic and is not told.
fn moved_topics(old: &Library, new: &Library, folder: &std::path::Path) -> Vec<FileError> {
    // A library the loader made is in path order.
    let stays =
        |path: &std::path::Path| (new.notes().binary_search_by(|n| n.path.as_path().cmp(path))).is_ok();
    let moved: Vec<(&Note, &Note)> = (new.notes().iter())
        .filter_map(|note| {
            let before = old.note(&note.topic)?;
            (!std::ptr::eq(before, &**note) && before.path != note.path && stays(&before.path))
                .then_some((before, &**note))
        })
        .collect();
    let mut told: Vec<FileError> = (moved.iter().take(MOST_MOVES_TOLD))
        .map(|(before, after)| FileError {
            path: after.path.clone(),
            line: None,
            message: format!(
                "/{} now answers from this note; it answered from {} before this reload (set `command:` in the front matter to choose)",
                after.topic,
                before.path.display()
            ),
        })
        .collect();
    if moved.len() > MOST_MOVES_TOLD {
        told.push(FileError {
            path: folder.to_path_buf(),
            line: None,
            message: format!(
                "and {} more topics answer from another note",
                moved.len() - MOST_MOVES_TOLD
            ),
        });
    }
    told
}

/// Topics moved to another note named one by one at a reload.
const MOST_MOVES_TOLD: usize = 10;

fn loader(config: &Config) -> Loader {
    Loader::new(
        &config.notes_dir,
        config.labels(),
        config.caps(),
        config.reload.hold_empty(),
    )
    .with_site(config.site())
}

/// Saves the counted gaps (and votes) every minute; call `save_counts` once more at shutdown.
pub async fn save_counts_periodically(app: Arc<App>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.tick().await;
    loop {
        tick.tick().await;
        // Files or Redis: blocking work, kept off the async workers.
        let app = app.clone();
        let _ = tokio::task::spawn_blocking(move || save_counts(&app)).await;
    }
}

pub fn save_counts(app: &App) {
    if let Err(error) = app.handler.save_counts() {
        tracing::warn!("cannot save gaps and votes: {error}");
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::notes::{Labels, parse_note};

    fn library(folder: &str, count: usize) -> Library {
        library_of(&[folder], count)
    }

    /// Notes `t0` … in each folder, in path order; a name taken goes to the first folder's.
    fn library_of(folders: &[&str], count: usize) -> Library {
        let mut notes = Vec::new();
        for (at, folder) in folders.iter().enumerate() {
            for n in 0..count {
                let path = format!("{folder}/t{n}.md");
                if let Ok(mut note) = parse_note(Path::new(&path), "## A\n- a\n", &Labels::default()) {
                    if at > 0 {
                        note.topic = format!("{}-{at}", note.topic);
                    }
                    notes.push(note);
                }
            }
        }
        notes.sort_by(|a, b| a.path.cmp(&b.path));
        Library::from(notes)
    }

    #[test]
    fn topics_moved_to_another_note_are_told_ten_then_counted() {
        // `a/` still there, under other names: `b/`'s notes took them.
        let (old, new) = (library("b", 12), library_of(&["a", "b"], 12));
        let told: Vec<String> = (moved_topics(&old, &new, Path::new("notes")).iter())
            .map(|w| w.to_string())
            .collect();
        assert_eq!(told.len(), 11, "{told:?}");
        assert!(
            told[0].starts_with("a/t0.md: /t0 now answers from this note; it answered from b/t0.md"),
            "{told:?}"
        );
        assert_eq!(told[10], "notes: and 2 more topics answer from another note");
        // A folder renamed: each note keeps its topic, moved with it.
        assert!(moved_topics(&library("b", 12), &library("c", 12), Path::new("notes")).is_empty());
        // The same notes, or their files read again: nothing moved.
        assert!(moved_topics(&old, &old, Path::new("notes")).is_empty());
        assert!(moved_topics(&old, &library("a", 12), Path::new("notes")).is_empty());
    }
}
