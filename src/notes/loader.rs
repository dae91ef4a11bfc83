//! Loading the notes folder again and again: a per-file cache (path → fingerprint → what
//! that version gave) makes a load with no file changed free, and decides what serves when
//! a file breaks: a note that fails keeps its last good version, a note that suddenly has
//! no sections (emptied or truncated mid-save) keeps it until it has stayed so for a while,
//! a deleted file goes at once. A note whose file did not change is the same `Arc` in the
//! next library, never a copy.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::folder::{self, Caps, Fingerprint, Found};
use super::{FileError, Labels, Library, Note, Site, topic};

pub struct Loader {
    root: PathBuf,
    labels: Labels,
    caps: Caps,
    /// The last walk's files passed [`Caps::folder`]: the next load walks the whole folder,
    /// since a change may let in files no path the watcher names.
    capped: bool,
    /// How long a note with no sections must stay so before it replaces its last good version.
    hold_empty: Duration,
    /// What was remembered of each file of the last walk, in its order.
    seen: Vec<Seen>,
    /// The last walk and its outcome, to answer "nothing changed" without reading a file.
    last_scan: Option<folder::Scan>,
    last_problems: Vec<FileError>,
    last_notices: Vec<FileError>,
    /// The notes the last load gave a name made distinct (usually none).
    renamed: HashSet<PathBuf>,
    site: Site,
}

struct Seen {
    fingerprint: Fingerprint,
    state: State,
    /// The file may hold a wikilink (`[[`), whose URL depends on which other files exist.
    wikilinks: bool,
}

enum State {
    /// This version is the note the library holds for its path (unless another file won
    /// its topic).
    Served,
    /// This version failed; the last good version, if any, keeps serving. Boxed: a state
    /// is kept for every file, and is seldom this one.
    Failed(Box<FileError>),
    /// This version has no sections; the last good version serves until `since + hold_empty`.
    Emptied { since: Instant },
}

/// A listed file, what was remembered of it, and the version serving now.
type Work<'a> = (&'a Found, Option<Seen>, Option<&'a Arc<Note>>);

/// What serves for one listed file, worked out on any thread.
struct Version<'a> {
    found: &'a Found,
    state: State,
    note: Option<Arc<Note>>,
    wikilinks: bool,
    problems: Vec<FileError>,
}

/// What one load gave.
#[derive(Debug)]
pub struct Load {
    /// The notes to serve; `None` when no file changed since the last load.
    pub library: Option<Library>,
    /// Every file or folder skipped or held back, as a person reads it.
    pub problems: Vec<FileError>,
    /// Those of `problems` the last load did not have.
    pub new_problems: Vec<FileError>,
    /// The last load's problems this one no longer has (fixed, or the file gone).
    pub cleared: Vec<FileError>,
    /// Worth a warning, not an error: notes left out on purpose (`publish: false`), topics
    /// renamed because another note has their name.
    pub notices: Vec<FileError>,
    /// Those of `notices` the last load did not have.
    pub new_notices: Vec<FileError>,
    /// Load again at this time: a held-back note is due then.
    pub again_at: Option<Instant>,
}

impl Loader {
    pub fn new(root: &Path, labels: Labels, caps: Caps, hold_empty: Duration) -> Loader {
        Loader {
            root: root.to_path_buf(),
            labels,
            caps,
            capped: false,
            hold_empty,
            seen: Vec::new(),
            last_scan: None,
            last_problems: Vec::new(),
            last_notices: Vec::new(),
            renamed: HashSet::new(),
            site: Site::default(),
        }
    }

    /// Publishing settings: source links, wikilink targets and ignore globs.
    pub fn with_site(mut self, site: Site) -> Loader {
        self.site = site;
        self
    }

    fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }

    /// The notices of the last load (see [`Load::notices`]).
    pub fn notices(&self) -> &[FileError] {
        &self.last_notices
    }

    /// Loads the folder; `current` is what serves now (the last good versions).
    pub fn load(&mut self, current: &Library, now: Instant) -> Load {
        let scan = folder::scan(&self.root, self.caps.note, &self.site);
        self.load_scan(scan, current, now)
    }

    /// [`Loader::load`] when only the files at `paths` (as the watcher names them) may
    /// have changed: those are looked at again and the last walk stands for the rest. The
    /// whole folder is walked when a path is not a note file in a folder already walked
    /// (a folder created, moved or removed), and for the first load.
    pub fn load_changed(&mut self, current: &Library, paths: &[PathBuf], now: Instant) -> Load {
        let rescan = (self.last_scan.as_ref().filter(|_| !self.capped))
            .and_then(|last| folder::rescan(last, &self.root, paths, self.caps.note, &self.site));
        match rescan {
            Some(scan) => self.load_scan(scan, current, now),
            None => self.load(current, now),
        }
    }

    fn load_scan(&mut self, mut scan: folder::Scan, current: &Library, now: Instant) -> Load {
        self.capped = folder::cap_folder(&mut scan, self.caps.folder);
        let due = self.again_at().is_some_and(|at| at <= now);
        if !due && self.last_scan.as_ref() == Some(&scan) {
            return self.load_as_last();
        }
        let remembered = self.remembered(&scan);
        // The note serving now for each file, by the same join (a library the loader made is
        // in path order).
        let serving: Vec<&Arc<Note>> = current.notes().iter().collect();
        let served = align(scan.files.iter().map(|f| f.path.as_path()), &serving, |n| &n.path);
        let mut listed = vec![false; serving.len()];
        let work: Vec<Work> = (scan.files.iter().zip(remembered).zip(served))
            .map(|((found, was), serves)| {
                let last_good = serves.map(|at| {
                    listed[at] = true;
                    serving[at]
                });
                (found, was, last_good)
            })
            .collect();
        let versions = self.versions(work, now);
        let mut problems = scan.problems.clone();
        let mut notices = Vec::new();
        let (mut notes, seen) = served_notes(versions, &mut problems, &mut notices);
        keep_refused(&mut notes, &serving, &listed, &scan.problems);
        let notes = one_note_per_topic(notes, &self.root, &mut self.renamed, &mut problems, &mut notices);
        self.remember(scan, seen, notes, problems, notices)
    }

    /// The last load's outcome again, when no file changed and no held-back note is due.
    fn load_as_last(&self) -> Load {
        Load {
            library: None,
            problems: self.last_problems.clone(),
            new_problems: Vec::new(),
            cleared: Vec::new(),
            notices: self.last_notices.clone(),
            new_notices: Vec::new(),
            again_at: self.again_at(),
        }
    }

    /// What was remembered of each file of `scan` at the last load, taken out of
    /// [`Loader::seen`]. When files came or went, wikilinks may now resolve differently: the
    /// notes holding one are forgotten (to be parsed again), and the site learns the files.
    fn remembered(&mut self, scan: &folder::Scan) -> Vec<Option<Seen>> {
        let last_files = self.last_scan.as_ref().map_or(&[][..], |last| &last.files[..]);
        // What was remembered of each file, by its place in the last walk.
        let mut before: Vec<Option<Seen>> = std::mem::take(&mut self.seen).into_iter().map(Some).collect();
        let remembered = align(scan.files.iter().map(|f| f.path.as_path()), last_files, |f| {
            &f.path
        });
        let same_paths = last_files.len() == scan.files.len() && remembered.iter().all(Option::is_some);
        if !same_paths {
            for seen in &mut before {
                if seen.as_ref().is_some_and(|s| s.wikilinks) {
                    *seen = None;
                }
            }
            let files: Vec<PathBuf> = scan
                .files
                .iter()
                .map(|f| self.relative(&f.path).to_path_buf())
                .collect();
            self.site.set_files(files);
        }
        (remembered.into_iter())
            .map(|was| was.and_then(|at| before.get_mut(at)?.take()))
            .collect()
    }

    /// What serves for each listed file, in path order. A note holding a wikilink is read
    /// again when the notes' permalinks changed.
    fn versions<'a>(&mut self, work: Vec<Work<'a>>, now: Instant) -> Vec<Version<'a>> {
        let inputs: Vec<(&Found, Option<&Arc<Note>>)> =
            work.iter().map(|(found, _, good)| (*found, *good)).collect();
        // Read and parse on every core; the results come back in path order. One file is
        // parsed on this thread: its parser's scratch memory is then reused by the index
        // built next, instead of staying with a worker thread's allocator. A file a task:
        // rayon's own split hands each core long runs of files, and a core done with its
        // runs waited for the other to end its last one (files differ in size).
        let this = &*self;
        let mut versions: Vec<Version> = if work.len() > 1 {
            (work.into_par_iter().with_max_len(1))
                .map(|w| this.versioned(w, now))
                .collect()
        } else {
            work.into_iter().map(|w| this.versioned(w, now)).collect()
        };
        // A wikilink to a note with a `permalink:` links the permalink, known once that note
        // is read: when the permalinks changed, the notes holding wikilinks are read again.
        let root = self.root.clone();
        let permalinks = (versions.iter())
            .filter_map(|version| version.note.as_ref())
            .filter_map(|note| {
                let file = note.path.strip_prefix(&root).unwrap_or(&note.path);
                Some((file, note.front.permalink.as_deref()?))
            });
        let permalinks_changed = self.site.set_permalinks(permalinks);
        if permalinks_changed {
            let this = &*self;
            let again: Vec<(usize, Version)> = (versions.iter().enumerate())
                .filter(|(_, version)| version.wikilinks)
                .map(|(at, _)| at)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|at| (at, this.versioned((inputs[at].0, None, inputs[at].1), now)))
                .collect();
            for (at, version) in again {
                versions[at] = version;
            }
        }
        versions
    }

    /// Remembers this load for the next (the walk, each file's state, the problems and
    /// notices), and tells what changed since the last.
    fn remember(
        &mut self,
        scan: folder::Scan,
        seen: Vec<Seen>,
        notes: Vec<Arc<Note>>,
        mut problems: Vec<FileError>,
        notices: Vec<FileError>,
    ) -> Load {
        problems.sort_by(|a, b| a.path.cmp(&b.path));
        self.seen = seen;
        self.last_scan = Some(scan);
        let before = std::mem::replace(&mut self.last_problems, problems.clone());
        let (new_problems, cleared) = compared(&before, &problems);
        let before = std::mem::replace(&mut self.last_notices, notices.clone());
        let (new_notices, _) = compared(&before, &notices);
        Load {
            library: Some(Library::new(notes)),
            problems,
            new_problems,
            cleared,
            notices,
            new_notices,
            again_at: self.again_at(),
        }
    }

    fn again_at(&self) -> Option<Instant> {
        self.seen
            .iter()
            .filter_map(|seen| match seen.state {
                State::Emptied { since } => Some(since + self.hold_empty),
                _ => None,
            })
            .min()
    }

    /// [`Loader::version`] with the problems it found.
    fn versioned<'a>(&self, (found, before, last_good): Work<'a>, now: Instant) -> Version<'a> {
        let mut problems = Vec::new();
        let mut wikilinks = before.as_ref().is_some_and(|b| b.wikilinks);
        let (state, note) = self.version(found, before, last_good, now, &mut wikilinks, &mut problems);
        Version {
            found,
            state,
            note,
            wikilinks,
            problems,
        }
    }

    /// What serves for one listed file, and the state to remember for this version;
    /// `wikilinks` is set to whether the file was read and may hold one.
    fn version(
        &self,
        found: &Found,
        before: Option<Seen>,
        last_good: Option<&Arc<Note>>,
        now: Instant,
        wikilinks: &mut bool,
        problems: &mut Vec<FileError>,
    ) -> (State, Option<Arc<Note>>) {
        let same = before.filter(|b| b.fingerprint == found.fingerprint);
        let mut held_since = None;
        match same.map(|s| s.state) {
            Some(State::Served) if last_good.is_some() => return (State::Served, last_good.cloned()),
            Some(State::Failed(error)) => {
                problems.push(keeping(&error, last_good));
                return (State::Failed(error), last_good.cloned());
            }
            Some(State::Emptied { since }) => held_since = Some(since),
            _ => {}
        }
        let mut holds_wikilinks = false;
        let parsed = folder::read_capped(found.target(), self.caps.note)
            .map_err(|e| FileError {
                path: found.path.clone(),
                ..e
            })
            .and_then(|bytes| {
                holds_wikilinks = memchr::memmem::find(&bytes, b"[[").is_some();
                let relative = self.relative(&found.path);
                // A bug the note's text finds in the parser fails that note alone: a panic
                // here stopped the bot at start-up, or ended the reloads for good.
                let parse = || super::parse_bytes_in(&found.path, relative, bytes, &self.labels, &self.site);
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).unwrap_or_else(|_| {
                    Err(FileError {
                        path: found.path.clone(),
                        line: None,
                        message: "could not be read: notes-bot failed on its text (a bug: please report it with this note)"
                            .into(),
                    })
                })
            });
        // A note that failed fails alike however wikilinks resolve: it stays failed, not read
        // again for every file added or removed.
        *wikilinks = holds_wikilinks && parsed.is_ok();
        match parsed {
            Err(error) => {
                problems.push(keeping(&error, last_good));
                (State::Failed(Box::new(error)), last_good.cloned())
            }
            Ok(note) => {
                let emptied = note.answerable().next().is_none()
                    && last_good.is_some_and(|good| good.answerable().next().is_some());
                let since = held_since.unwrap_or(now);
                if emptied && now < since + self.hold_empty {
                    problems.push(FileError {
                        path: found.path.clone(),
                        line: None,
                        message: format!(
                            "has no sections now; its last version serves until the file stays so for {} s",
                            self.hold_empty.as_secs_f32()
                        ),
                    });
                    (State::Emptied { since }, last_good.cloned())
                } else {
                    (State::Served, Some(Arc::new(note)))
                }
            }
        }
    }
}

/// For each of `paths`, the place in `items` of the one with the same path, both in path
/// order: one pass, no map of paths (at 100,000 files, hashing `Path`s by their components
/// cost more than the rest of a reload), and paths ordered only where they differ (equal
/// paths compare as bytes; ordered, they compare component by component). An item out of
/// order is missed, never mismatched.
fn align<'p, T>(
    paths: impl Iterator<Item = &'p Path>,
    items: &[T],
    path: impl Fn(&T) -> &Path,
) -> Vec<Option<usize>> {
    let mut at = 0;
    paths
        .map(|wanted| {
            while let Some(item) = items.get(at) {
                let item = path(item);
                if item == wanted {
                    at += 1;
                    return Some(at - 1);
                }
                if item > wanted {
                    break;
                }
                at += 1;
            }
            None
        })
        .collect()
}

/// The notes that serve of `versions`, and what to remember of each file; their problems
/// go to `problems`, and a note left out by `publish: false` to `notices`.
fn served_notes(
    versions: Vec<Version>,
    problems: &mut Vec<FileError>,
    notices: &mut Vec<FileError>,
) -> (Vec<Arc<Note>>, Vec<Seen>) {
    let mut notes = Vec::with_capacity(versions.len());
    let mut seen = Vec::with_capacity(versions.len());
    for Version {
        found,
        state,
        note,
        wikilinks,
        problems: found_problems,
    } in versions
    {
        problems.extend(found_problems);
        match note {
            Some(note) if note.front.publish == Some(false) => notices.push(FileError {
                path: note.path.clone(),
                line: None,
                message: "`publish: false` in the front matter; skipped".into(),
            }),
            note => notes.extend(note),
        }
        seen.push(Seen {
            fingerprint: found.fingerprint,
            state,
            wikilinks,
        });
    }
    (notes, seen)
}

/// A note whose file was refused by the walk (or sits in a folder that became unreadable)
/// keeps its last good version; one whose file is gone goes. `serving` are the notes
/// serving now, `listed` those of them the walk listed a file for.
fn keep_refused(notes: &mut Vec<Arc<Note>>, serving: &[&Arc<Note>], listed: &[bool], refused: &[FileError]) {
    let mut kept_refused = false;
    for (note, _) in serving.iter().zip(listed).filter(|(_, listed)| !**listed) {
        if refused.iter().any(|p| note.path.starts_with(&p.path)) {
            notes.push((*note).clone());
            kept_refused = true;
        }
    }
    if kept_refused {
        notes.sort_by(|a, b| a.path.cmp(&b.path));
    }
}

fn keeping(error: &FileError, last_good: Option<&Arc<Note>>) -> FileError {
    let mut error = error.clone();
    if last_good.is_some() {
        error.message.push_str("; its last good version keeps serving");
    } else {
        error.message.push_str("; skipped");
    }
    error
}

/// Two notes with one topic name: one whose `command:` sets it keeps it, else the first in
/// path order; the others get a name made distinct by their folders
/// (`publish-security-and-privacy`) and a notice; two equal `command:`s are an error and the
/// second note is skipped. The same rule at every load, whatever served before: what `check`
/// shows is what serves, now and after a restart.
fn one_note_per_topic(
    mut notes: Vec<Arc<Note>>,
    root: &Path,
    renamed: &mut HashSet<PathBuf>,
    problems: &mut Vec<FileError>,
    notices: &mut Vec<FileError>,
) -> Vec<Arc<Note>> {
    let restored = restored_names(&notes, renamed);
    // The name each note claims: its own.
    let claim = |at: usize| -> &str {
        match restored.is_empty() {
            true => &notes[at].topic,
            false => restored.get(&at).unwrap_or(&notes[at].topic),
        }
    };
    // Most loads change no name: one pass over the names then, and nothing to settle.
    if !any_clash(notes.len(), claim) {
        for (at, own) in restored {
            if let Some(note) = notes.get_mut(at).filter(|note| note.topic != own) {
                Arc::make_mut(note).topic = own;
            }
        }
        return notes;
    }
    let names = settled_names(&notes, claim, root, renamed, problems, notices);
    named(notes, names)
}

/// The own names of the notes the last load renamed (in `renamed`, which is emptied), by
/// their place in `notes`: a note kept from the last load holds the name it was given then.
/// The notes are in path order, so those few are found by halves.
fn restored_names(notes: &[Arc<Note>], renamed: &mut HashSet<PathBuf>) -> HashMap<usize, String> {
    (renamed.drain())
        .filter_map(|path| notes.binary_search_by(|note| note.path.cmp(&path)).ok())
        .filter_map(|at| Some((at, super::own_topic(&notes[at])?)))
        .collect()
}

/// Whether two of `count` notes claim one name.
fn any_clash<'n>(count: usize, claim: impl Fn(usize) -> &'n str) -> bool {
    let mut seen: HashSet<&str> = HashSet::with_capacity(count);
    !(0..count).all(|at| seen.insert(claim(at)))
}

/// The name each note gets (`None`: skipped, with a problem), a renamed one with a notice
/// and its path in `renamed`.
fn settled_names<'n>(
    notes: &'n [Arc<Note>],
    claim: impl Fn(usize) -> &'n str,
    root: &Path,
    renamed: &mut HashSet<PathBuf>,
    problems: &mut Vec<FileError>,
    notices: &mut Vec<FileError>,
) -> Vec<Option<String>> {
    // Each name taken, and the note that took it.
    let mut taken: HashMap<String, usize> = HashMap::with_capacity(notes.len());
    let mut names: Vec<Option<String>> = (0..notes.len()).map(|at| Some(claim(at).to_string())).collect();
    // The notes whose `command:` sets their name, then the rest, each in path order.
    let commanded = |at: &usize| notes[*at].front.command.is_some();
    let rest = |at: &usize| notes[*at].front.command.is_none();
    let order = ((0..notes.len()).filter(commanded)).chain((0..notes.len()).filter(rest));
    for at in order {
        let claimed = claim(at);
        let Some(&first) = taken.get(claimed) else {
            taken.insert(claimed.to_string(), at);
            continue;
        };
        let note = &notes[at];
        let first = notes[first].path.display();
        let distinct = if note.front.command.is_some() {
            None
        } else {
            // Folders under the notes folder only: not where it is mounted.
            let under_root = note.path.strip_prefix(root).unwrap_or(&note.path);
            distinct_name(under_root, |name| taken.contains_key(name))
        };
        match distinct {
            Some(name) => {
                notices.push(FileError {
                    path: note.path.clone(),
                    line: None,
                    message: format!(
                        "topic `{claimed}` is already the name of {first}; this note is `/{name}` (set `command:` in the front matter to choose)"
                    ),
                });
                renamed.insert(note.path.clone());
                taken.insert(name.clone(), at);
                names[at] = Some(name);
            }
            None => {
                problems.push(FileError {
                    path: note.path.clone(),
                    line: None,
                    message: format!(
                        "topic `{claimed}` is already the name of {first}; set a different `command:` in the front matter of one of them"
                    ),
                });
                names[at] = None;
            }
        }
    }
    names
}

/// `notes` under their settled `names`, less those skipped. A note changes only when its
/// name does: a copy then, when it is shared with the library serving now; one renamed
/// alike at every load stays the same note.
fn named(notes: Vec<Arc<Note>>, names: Vec<Option<String>>) -> Vec<Arc<Note>> {
    let mut kept = Vec::with_capacity(notes.len());
    for (mut note, name) in notes.into_iter().zip(names) {
        let Some(name) = name else { continue };
        if note.topic != name {
            Arc::make_mut(&mut note).topic = name;
        }
        kept.push(note);
    }
    kept
}

/// The file stem with more and more of its folders in front (innermost first), then a
/// number: the first such command name not taken.
fn distinct_name(path: &Path, taken: impl Fn(&str) -> bool) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy();
    let folders: Vec<String> = path
        .parent()
        .map(|p| p.iter().map(|part| part.to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    let free = |name: &str| !taken(name) && !topic::RESERVED.contains(&name);
    let mut raw = stem.to_string();
    for folder in folders.iter().rev() {
        raw = format!("{folder}-{raw}");
        if let Some(name) = topic::command_name(&raw).filter(|name| free(name)) {
            return Some(name);
        }
    }
    let base = topic::command_name(&stem)?;
    (2..1000).find_map(|n| {
        let suffix = format!("-{n}");
        let cut: String = base.chars().take(topic::MAX_LEN - suffix.len()).collect();
        Some(format!("{cut}{suffix}")).filter(|name| free(name))
    })
}

/// The problems (or notices) of `now` that `before` lacks, and those of `before` that `now` lacks. By
/// sets: a folder of thousands of broken files is compared in one pass each way.
fn compared(before: &[FileError], now: &[FileError]) -> (Vec<FileError>, Vec<FileError>) {
    let lacking = |these: &[FileError], those: &[FileError]| {
        let those: HashSet<&FileError> = those.iter().collect();
        (these.iter()).filter(|p| !those.contains(p)).cloned().collect()
    };
    (lacking(now, before), lacking(before, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Folder(PathBuf);

    /// Caps of a megabyte a note: the tests' notes are small.
    const SMALL: Caps = Caps {
        note: 1 << 20,
        folder: crate::notes::DEFAULT_MAX_FOLDER_BYTES,
    };

    impl Folder {
        fn new(name: &str) -> Folder {
            let dir = std::env::temp_dir().join(format!("notes-bot-loader-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
            Folder(dir)
        }

        fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn by_topic<'a>(library: &'a Library, topic: &str) -> &'a Arc<Note> {
        let found = library.notes().iter().find(|n| n.topic == topic);
        found.unwrap_or_else(|| panic!("no note {topic}"))
    }

    /// A wikilink to a note with a `permalink:` links the permalink (its own sections do), and
    /// follows it when it changes; a note the permalink is not about is not read again.
    #[test]
    fn wikilinks_follow_the_target_notes_permalink() {
        let folder = Folder::new("permalinks");
        folder.write("a.md", "---\npermalink: /posts/alpha/\n---\n## A\n- alpha\n");
        folder.write("b.md", "## B\n- see [[a]] and [[c#C]]\n");
        folder.write("c.md", "## C\n- gamma\n");
        let site = Site::new(Some("https://e.x/"), &[], &[]);
        let mut loader = Loader::new(&folder.0, Labels::default(), SMALL, Duration::ZERO).with_site(site);
        let links = |library: &Library| -> Vec<String> {
            let (_, section) = (library.notes().iter())
                .find(|n| n.topic == "b")
                .map(|n| (n, &n.sections[0]))
                .unwrap_or_else(|| panic!("no b"));
            section.links.iter().map(|link| link.url.clone()).collect()
        };
        let first = loader
            .load(&Library::default(), Instant::now())
            .library
            .unwrap_or_default();
        assert_eq!(links(&first), ["https://e.x/posts/alpha", "https://e.x/c#C"]);
        folder.write("a.md", "---\npermalink: posts/a-new-name\n---\n## A\n- alpha\n");
        let second = loader.load(&first, Instant::now()).library.unwrap_or_default();
        assert_eq!(
            links(&second),
            ["https://e.x/posts/a-new-name", "https://e.x/c#C"]
        );
        assert!(Arc::ptr_eq(by_topic(&first, "c"), by_topic(&second, "c")));
    }

    /// A note renamed for a clash that stays is the same note at the next load (not a copy
    /// to index again); it gets its own name back when the clash goes.
    #[test]
    fn a_note_renamed_alike_at_every_load_is_shared_and_its_name_comes_back() {
        let folder = Folder::new("renamed");
        std::fs::create_dir_all(folder.0.join("a")).unwrap_or_else(|e| panic!("{e}"));
        folder.write("a/x.md", "## A\n- first\n");
        folder.write("x.md", "## X\n- second\n");
        folder.write("b.md", "## B\n- beta\n");
        let mut loader = Loader::new(&folder.0, Labels::default(), SMALL, Duration::ZERO);
        let first = loader.load(&Library::default(), Instant::now());
        assert_eq!(first.notices.len(), 1, "{:?}", first.notices);
        let first = first.library.unwrap_or_default();
        folder.write("b.md", "## B\n- beta, edited\n");
        let second = loader.load(&first, Instant::now());
        assert_eq!(second.notices.len(), 1, "{:?}", second.notices);
        let second = second.library.unwrap_or_default();
        assert!(Arc::ptr_eq(by_topic(&first, "x-2"), by_topic(&second, "x-2")));
        assert!(Arc::ptr_eq(by_topic(&first, "x"), by_topic(&second, "x")));
        std::fs::remove_file(folder.0.join("a/x.md")).unwrap_or_else(|e| panic!("{e}"));
        let third = loader.load(&second, Instant::now());
        assert!(third.notices.is_empty(), "{:?}", third.notices);
        let third = third.library.unwrap_or_default();
        assert!(by_topic(&third, "x").path.ends_with("x.md"));
        assert!(third.notes().iter().all(|note| note.topic != "x-2"));
    }

    #[test]
    fn unchanged_notes_are_shared_and_only_notes_with_wikilinks_are_parsed_again() {
        let folder = Folder::new("shared");
        folder.write("a.md", "## A\n- alpha\n");
        folder.write("b.md", "## B\n- beta\n");
        folder.write("c.md", "## C\n- see [[d]]\n");
        let mut loader = Loader::new(&folder.0, Labels::default(), SMALL, Duration::ZERO);
        let first = loader
            .load(&Library::default(), Instant::now())
            .library
            .unwrap_or_default();
        // A new length: the fingerprint differs whatever the clock's resolution.
        folder.write("b.md", "## B\n- beta, edited\n");
        let second = loader.load(&first, Instant::now()).library.unwrap_or_default();
        assert!(Arc::ptr_eq(by_topic(&first, "a"), by_topic(&second, "a")));
        assert!(!Arc::ptr_eq(by_topic(&first, "b"), by_topic(&second, "b")));
        assert!(Arc::ptr_eq(by_topic(&first, "c"), by_topic(&second, "c")));
        // A new file: wikilinks may now resolve to it, so only `c` is read again.
        folder.write("d.md", "## D\n- delta\n");
        let third = loader.load(&second, Instant::now()).library.unwrap_or_default();
        assert_eq!(third.notes().len(), 4);
        assert!(Arc::ptr_eq(by_topic(&second, "a"), by_topic(&third, "a")));
        assert!(Arc::ptr_eq(by_topic(&second, "b"), by_topic(&third, "b")));
        assert!(!Arc::ptr_eq(by_topic(&second, "c"), by_topic(&third, "c")));
        // A note that failed stays failed, whatever files come: not read again for them
        // (a front matter that takes minutes to refuse was refused anew for every file).
        folder.write("bad.md", "---\ntitle: [[x\n---\n## Bad\n- see [[d]]\n");
        let fourth = loader.load(&third, Instant::now());
        assert_eq!(fourth.problems.len(), 1, "{:?}", fourth.problems);
        let bad = |loader: &Loader| {
            loader
                .seen
                .iter()
                .filter(|seen| matches!(seen.state, State::Failed(_)))
                .count()
        };
        assert_eq!(bad(&loader), 1);
        assert!(
            loader
                .seen
                .iter()
                .all(|seen| !matches!(seen.state, State::Failed(_)) || !seen.wikilinks)
        );
    }

    /// Notes past the folder's cap are skipped in path order, the ones serving keep their
    /// last good version, and room made again lets them in, at a reload of the paths the
    /// watcher names too.
    #[test]
    fn notes_past_the_folders_cap_are_skipped_and_come_back_when_room_is_made() {
        let folder = Folder::new("folder-cap");
        let note = |title: &str| format!("## {title}\n- {}\n", "x".repeat(90));
        folder.write("b.md", &note("B"));
        folder.write("c.md", &note("C"));
        let caps = Caps {
            note: 1 << 20,
            folder: 250,
        };
        let mut loader = Loader::new(&folder.0, Labels::default(), caps, Duration::ZERO);
        let first = loader.load(&Library::default(), Instant::now());
        assert!(first.problems.is_empty(), "{:?}", first.problems);
        let first = first.library.unwrap_or_default();
        // A big note that sorts first pushes `c` past the cap: `c` is named, and serves as
        // it was.
        folder.write("a.md", &note("A"));
        let second = loader.load_changed(&first, &[folder.0.join("a.md")], Instant::now());
        let skipped: Vec<_> = second.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(
            skipped[0].contains("c.md") && skipped[0].contains("max_folder_bytes"),
            "{skipped:?}"
        );
        let second = second.library.unwrap_or_default();
        assert_eq!(topics_of(&second), ["a", "b", "c"]);
        assert!(Arc::ptr_eq(by_topic(&first, "c"), by_topic(&second, "c")));
        // A note that was never served stays out.
        folder.write("d.md", &note("D"));
        let third = loader.load_changed(&second, &[folder.0.join("d.md")], Instant::now());
        assert_eq!(third.problems.len(), 2, "{:?}", third.problems);
        let third = third.library.unwrap_or_default();
        assert_eq!(topics_of(&third), ["a", "b", "c"]);
        // Room made by one file's removal lets the next in, though the watcher names only
        // the removed file.
        std::fs::remove_file(folder.0.join("a.md")).unwrap_or_else(|e| panic!("{e}"));
        let fourth = loader.load_changed(&third, &[folder.0.join("a.md")], Instant::now());
        assert_eq!(fourth.problems.len(), 1, "{:?}", fourth.problems);
        let fourth = fourth.library.unwrap_or_default();
        assert_eq!(topics_of(&fourth), ["b", "c"]);
        std::fs::write(folder.0.join("b.md"), "## B\n- short\n").unwrap_or_else(|e| panic!("{e}"));
        let fifth = loader.load_changed(&fourth, &[folder.0.join("b.md")], Instant::now());
        assert!(fifth.problems.is_empty(), "{:?}", fifth.problems);
        assert_eq!(topics_of(&fifth.library.unwrap_or_default()), ["b", "c", "d"]);
    }

    fn topics_of(library: &Library) -> Vec<&str> {
        library.notes().iter().map(|n| n.topic.as_str()).collect()
    }

    fn outline(library: &Library) -> Vec<(PathBuf, String, Vec<String>, usize)> {
        (library.notes().iter())
            .map(|n| {
                let titles = n.sections.iter().map(|s| s.title.clone()).collect();
                (n.path.clone(), n.topic.clone(), titles, n.warnings.len())
            })
            .collect()
    }

    /// A reload of the paths the watcher names serves what a reload that walks the folder
    /// serves, step after step: edits, new and deleted files, a topic two files want, a
    /// wikilink to a note that comes later, a broken note, a new folder.
    #[test]
    fn loading_the_changed_paths_serves_what_loading_the_folder_serves() {
        let folder = Folder::new("changed");
        std::fs::create_dir_all(folder.0.join("a")).unwrap_or_else(|e| panic!("{e}"));
        folder.write("one.md", "## One\n- first\n");
        folder.write("a/two.md", "## Two\n- second, see [[three]]\n");
        let new = || Loader::new(&folder.0, Labels::default(), SMALL, Duration::ZERO);
        let (mut walking, mut looking) = (new(), new());
        let first = walking.load(&Library::default(), Instant::now());
        let mut walked = first.library.unwrap_or_default();
        let mut looked = looking
            .load(&Library::default(), Instant::now())
            .library
            .unwrap_or_default();
        let steps: &[(&str, Option<&str>)] = &[
            ("one.md", Some("## One\n- first, edited\n")),
            ("three.md", Some("## Three\n- third\n")),
            ("a/one.md", Some("## Another one\n- same topic\n")),
            ("one.md", None),
            ("a/two.md", Some("---\ntitle: [broken\n---\n## Two\n")),
            ("a/two.md", Some("## Two again\n- fixed\n")),
            ("b/four.md", Some("## Four\n- in a new folder\n")),
            ("three.md", None),
        ];
        for (step, &(name, text)) in steps.iter().enumerate() {
            let path = folder.0.join(name);
            match text {
                Some(text) => {
                    std::fs::create_dir_all(path.parent().unwrap_or(&folder.0))
                        .unwrap_or_else(|e| panic!("{e}"));
                    folder.write(name, text);
                }
                None => std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}")),
            }
            let now = Instant::now();
            let by_walk = walking.load(&walked, now);
            let by_paths = looking.load_changed(&looked, &[path], now);
            assert_eq!(by_walk.problems, by_paths.problems, "step {step}: {name}");
            walked = by_walk.library.unwrap_or(walked);
            looked = by_paths.library.unwrap_or(looked);
            assert_eq!(outline(&walked), outline(&looked), "step {step}: {name}");
        }
        assert_eq!(looked.notes().len(), 3);
        // Only the paths named are looked at: a change no event named waits for a walk.
        folder.write("a/two.md", "## Two, unnamed\n- edited\n");
        assert!(
            looking
                .load_changed(&looked, &[], Instant::now())
                .library
                .is_none()
        );
        assert!(looking.load(&looked, Instant::now()).library.is_some());
    }

    #[test]
    fn aligning_finds_each_path_in_one_pass_and_never_a_wrong_one() {
        let items: Vec<PathBuf> = ["a.md", "b/c.md", "b/d.md", "e.md"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let wanted: Vec<PathBuf> = ["a.md", "b/d.md", "c.md", "e.md", "f.md"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let found = align(wanted.iter().map(PathBuf::as_path), &items, |p| p.as_path());
        assert_eq!(found, [Some(0), Some(2), None, Some(3), None]);
        // `b/c.md` orders before `b-c.md` component by component, though `/` > `-` as bytes.
        let items: Vec<PathBuf> = ["b/c.md", "b-c.md"].iter().map(PathBuf::from).collect();
        let found = align(items.iter().map(PathBuf::as_path), &items, |p| p.as_path());
        assert_eq!(found, [Some(0), Some(1)]);
        // Out of order: missed, not matched to another.
        let shuffled: Vec<PathBuf> = ["e.md", "a.md"].iter().map(PathBuf::from).collect();
        let found = align(wanted.iter().map(PathBuf::as_path), &shuffled, |p| p.as_path());
        assert!(
            found
                .iter()
                .zip(&wanted)
                .all(|(at, path)| at.is_none_or(|at| shuffled[at] == *path))
        );
        assert_eq!(
            align(wanted.iter().map(PathBuf::as_path), &[] as &[PathBuf], |p| p
                .as_path()),
            [None; 5]
        );
    }
}
