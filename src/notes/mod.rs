//! Notes: loading markdown files with front matter into a [`Library`].

mod front_matter;
pub mod markdown;
mod model;
pub mod topic;

use std::fmt;
use std::path::{Path, PathBuf};

pub use markdown::Labels;
pub use model::{FrontMatter, Item, Library, Link, Marker, Note, Section, Text, Warning};

/// A problem that keeps a note (or the folder) from loading, as a person reads it:
/// `notes/x.md:12: front matter is not valid YAML: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for NoteError {}

/// What loading a folder gave: every note that loaded, and an error for each that did not.
#[derive(Debug, Default)]
pub struct Loaded {
    pub library: Library,
    pub errors: Vec<NoteError>,
}

/// Parses one note from its text. `path` is used for the topic name and messages.
pub fn parse_note(path: &Path, text: &str, labels: &Labels) -> Result<Note, NoteError> {
    let error = |line: Option<usize>, message: String| NoteError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    };
    let split = front_matter::split(&text);
    let front = match split.yaml {
        None => FrontMatter::default(),
        Some(yaml) => front_matter::parse(yaml).map_err(|e| {
            // The YAML starts on line 2, after the opening `---`.
            error(
                Some(e.line.map_or(1, |line| line + 1)),
                format!(
                    "front matter is not valid YAML: {}; fix the YAML between the `---` lines",
                    e.message
                ),
            )
        })?,
    };
    let raw_name = match &front.command {
        Some(command) => command.clone(),
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let topic = topic::command_name(&raw_name).ok_or_else(|| {
        error(
            None,
            format!("cannot make a command name from {raw_name:?}; set `command:` in the front matter"),
        )
    })?;
    if topic::RESERVED.contains(&topic.as_str()) {
        return Err(error(
            None,
            format!("topic name `{topic}` is a built-in command; set another `command:` in the front matter"),
        ));
    }
    let body = markdown::parse(split.body, split.body_line, labels);
    let mut sections = body.sections;
    let mut warnings = body.warnings;
    if !body.preamble.is_empty() && !sections.iter().any(Section::is_answerable) {
        // A note without headings is one section named after the note.
        sections.insert(
            0,
            preamble_section(&front, &topic, body.preamble, split.body_line),
        );
        for section in sections.iter_mut().skip(1) {
            section.parent = section.parent.map(|p| p + 1);
        }
    }
    if !sections.iter().any(Section::is_answerable) {
        warnings.push(Warning {
            line: split.body_line,
            message: "no section has content; nothing in this note can be an answer".into(),
        });
    }
    Ok(Note {
        path: path.to_path_buf(),
        topic,
        front,
        sections,
        warnings,
    })
}

fn preamble_section(front: &FrontMatter, topic: &str, points: Vec<Item>, line: usize) -> Section {
    Section {
        level: 1,
        title: front.title.clone().unwrap_or_else(|| topic.to_string()),
        url: None,
        category: Vec::new(),
        parent: None,
        line,
        points,
        context: Vec::new(),
        links: Vec::new(),
    }
}

/// Reads and parses one file: UTF-8 with or without BOM, LF or CRLF.
pub fn load_file(path: &Path, labels: &Labels) -> Result<Note, NoteError> {
    let bytes = std::fs::read(path).map_err(|e| NoteError {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
        NoteError {
            path: path.to_path_buf(),
            line: Some(line),
            message: "not valid UTF-8; save the file as UTF-8".into(),
        }
    })?;
    parse_note(path, &text, labels)
}

/// Loads every `*.md` under `dir`, recursively, in path order. Hidden files and folders
/// are skipped. Two notes with one topic name: the first is kept, the second is an error.
pub fn load_dir(dir: &Path, labels: &Labels) -> Loaded {
    let mut loaded = Loaded::default();
    let mut paths = Vec::new();
    if let Err(e) = collect_markdown(dir, 0, &mut paths) {
        loaded.errors.push(e);
        return loaded;
    }
    paths.sort();
    for path in paths {
        match load_file(&path, labels) {
            Ok(note) => {
                let taken = loaded.library.notes.iter().find(|n| n.topic == note.topic);
                if let Some(first) = taken {
                    loaded.errors.push(NoteError {
                        path: path.clone(),
                        line: None,
                        message: format!(
                            "topic `{}` is already the name of {}; set a different `command:` in the front matter of one of them",
                            note.topic,
                            first.path.display()
                        ),
                    });
                } else {
                    loaded.library.notes.push(note);
                }
            }
            Err(e) => loaded.errors.push(e),
        }
    }
    loaded
}

/// Folders nested deeper than this are not read (and symlink loops end here).
const MAX_DEPTH: usize = 16;

fn collect_markdown(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), NoteError> {
    let entries = std::fs::read_dir(dir).map_err(|e| NoteError {
        path: dir.to_path_buf(),
        line: None,
        message: format!("cannot read the notes folder: {e}"),
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if path.is_dir() {
            if depth < MAX_DEPTH {
                collect_markdown(&path, depth + 1, out)?;
            }
        } else if path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("md")) {
            out.push(path);
        }
    }
    Ok(())
}

impl Library {
    pub fn note(&self, topic: &str) -> Option<&Note> {
        self.notes.iter().find(|note| note.topic == topic)
    }

    pub fn section_count(&self) -> usize {
        self.notes.iter().map(|n| n.answerable().count()).sum()
    }
}
