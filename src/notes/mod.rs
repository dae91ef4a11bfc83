//! Notes: loading markdown files with front matter into a [`Library`].

mod conflict;
mod folder;
mod front_matter;
mod loader;
mod lookup;
pub mod markdown;
mod model;
mod site;
pub mod topic;

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

pub use crate::error::FileError;
pub use folder::{Caps, DEFAULT_MAX_BYTES, DEFAULT_MAX_FOLDER_BYTES, read_capped};
pub use loader::{Load, Loader};
pub use markdown::Labels;
pub(crate) use model::assign_ids;
pub use model::{
    FrontMatter, Item, ItemList, ItemTree, Items, Library, Link, Marker, Note, Section, SectionRef, Siblings,
    Text, Warning, utf16_len,
};
pub use site::Site;

/// What loading a folder gave: every note that loaded, and an error for each that did not.
#[derive(Debug, Default)]
pub struct Loaded {
    pub library: Library,
    pub errors: Vec<FileError>,
    /// Worth a warning (see [`Load::notices`]): notes left out on purpose, topics renamed.
    pub notices: Vec<FileError>,
}

/// What a note's topic is made from: `command:`, else the file stem.
fn raw_topic(command: Option<&str>, path: &Path) -> String {
    match command {
        Some(command) => command.to_string(),
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// The topic a note names for itself, before another note's claim to it made it distinct.
pub(crate) fn own_topic(note: &Note) -> Option<String> {
    topic::command_name(&raw_topic(note.front.command.as_deref(), &note.path))
}

/// Parses one note from its text. `path` is used for the topic name and messages.
pub fn parse_note(path: &Path, text: &str, labels: &Labels) -> Result<Note, FileError> {
    parse_in_site(path, path, text, labels, &Site::default())
}

/// [`parse_note`] for a note at `relative` under the notes folder of a published `site`:
/// sections and wikilinks get URLs.
pub fn parse_in_site(
    path: &Path,
    relative: &Path,
    text: &str,
    labels: &Labels,
    site: &Site,
) -> Result<Note, FileError> {
    let text = with_newline_ends(text);
    refuse_merge_conflict(path, &text)?;
    let split = front_matter::split(&text);
    let (mut front, ignored) = front_of(path, split.yaml)?;
    let topic = topic_of(path, &front)?;
    let renamed = renamed_warning(&front, &topic, split.yaml);
    let resolve = |target: &str| site.wikilink_url(relative, target);
    let body = markdown::parse(split.body, split.body_line, labels, &resolve);
    if front.title.is_none() {
        front.title = title_of(&body.sections, path);
    }
    add_inline_tags(&mut front.tags, body.tags);
    let mut warnings = front_warnings(split.unclosed, ignored, renamed);
    warnings.extend(body.warnings);
    let mut sections = body.sections;
    let has_preamble_section = add_preamble_section(
        &mut sections,
        &front,
        (&topic, path),
        body.preamble,
        split.body_line,
    );
    if let Some(page) = site.page_url(relative, front.permalink.as_deref()) {
        add_urls(&mut sections, &page, has_preamble_section);
    }
    if !sections.iter().any(Section::is_answerable) {
        warnings.push(Warning {
            line: split.body_line,
            message: "no section has content; nothing in this note can be an answer".into(),
        });
    }
    assign_ids(&mut sections);
    Ok(Note {
        path: path.to_path_buf(),
        topic,
        front,
        sections,
        warnings,
    })
}

/// `text` without a byte order mark and with `\n` line ends (`\r\n` and a lone `\r` become
/// `\n`). Copied only when line ends change: a copy of a note at the size cap is 8 MiB more.
fn with_newline_ends(text: &str) -> Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        text.into()
    }
}

/// An error at the first merge conflict git left in `text`, if it holds one.
fn refuse_merge_conflict(path: &Path, text: &str) -> Result<(), FileError> {
    match conflict::find(text) {
        None => Ok(()),
        Some((start, end)) => Err(FileError {
            path: path.to_path_buf(),
            line: Some(start),
            message: format!(
                "an unresolved merge conflict (`<<<<<<<` here to `>>>>>>>` at line {end}); resolve it and commit the note"
            ),
        }),
    }
}

/// The front matter of a note whose YAML block is `yaml` (none: the defaults), and the keys
/// it ignores for their kind of value.
fn front_of(path: &Path, yaml: Option<&str>) -> Result<(FrontMatter, Vec<front_matter::Ignored>), FileError> {
    let Some(yaml) = yaml else {
        return Ok((FrontMatter::default(), Vec::new()));
    };
    front_matter::parse(yaml).map_err(|e| FileError {
        path: path.to_path_buf(),
        line: Some(front_matter::note_line(e.line)),
        message: format!(
            "front matter is not valid YAML: {}; fix the YAML between the `---` lines",
            e.message
        ),
    })
}

/// The command name of the note at `path`: from `command:`, else its file name. An error
/// when no name can be made of it, or the name is a built-in command's.
fn topic_of(path: &Path, front: &FrontMatter) -> Result<String, FileError> {
    let error = |message: String| FileError {
        path: path.to_path_buf(),
        line: None,
        message,
    };
    let raw_name = raw_topic(front.command.as_deref(), path);
    let topic = topic::command_name(&raw_name).ok_or_else(|| {
        let fix = match front.command {
            Some(_) => "write `command:` with letters or digits",
            None => "set `command:` in the front matter",
        };
        error(format!("cannot make a command name from {raw_name:?}; {fix}"))
    })?;
    if topic::RESERVED.contains(&topic.as_str()) {
        let why = if topic == topic::NOTES || topic == topic::NOTES_ZH {
            " (`/notes topic:` serves every topic once there are over 90)"
        } else {
            ""
        };
        return Err(error(format!(
            "topic name `{topic}` is a built-in command{why}; set another `command:` in the front matter"
        )));
    }
    Ok(topic)
}

/// A name the admin wrote that Discord could not take as written is told how it is taken.
/// Case alone is no news: command names are lowercase.
fn renamed_warning(front: &FrontMatter, topic: &str, yaml: Option<&str>) -> Option<Warning> {
    let command = (front.command.as_deref())
        .map(str::trim)
        .filter(|command| command.to_lowercase() != topic)?;
    Some(Warning {
        line: front_matter::note_line(crate::yaml::line_of(yaml.unwrap_or_default(), "command")),
        message: format!(
            "`command: {}` is registered as /{topic} (command names are lowercase letters, digits, `-` and `_`, at most {} characters)",
            crate::text::printable(command),
            topic::MAX_LEN
        ),
    })
}

/// The title of a note whose front matter names none: its first `#` heading, else its
/// file stem; `None` when that is blank.
fn title_of(sections: &[Section], path: &Path) -> Option<String> {
    let h1 = sections.iter().find(|s| s.level == 1).map(|s| s.title.clone());
    let stem = (path.file_stem()).map(|s| crate::text::note_text(&s.to_string_lossy()).into_owned());
    h1.or(stem).filter(|t| !t.trim().is_empty())
}

/// Adds the inline `#tags` of a note's body to its front matter's, each once whatever its case.
fn add_inline_tags(tags: &mut Vec<String>, inline: Vec<String>) {
    // By a set: 200,000 distinct tags merged by a walk of those before took 40 s.
    if inline.is_empty() {
        return;
    }
    let mut seen: HashSet<String> = tags.iter().map(|tag| tag.to_ascii_lowercase()).collect();
    for tag in inline {
        if seen.insert(tag.to_ascii_lowercase()) {
            tags.push(tag);
        }
    }
}

/// The warnings about a note's front matter, which come before its body's: never closed,
/// keys ignored (lines in the note), the command name renamed.
fn front_warnings(
    unclosed: bool,
    ignored: Vec<front_matter::Ignored>,
    renamed: Option<Warning>,
) -> Vec<Warning> {
    // Served as body text (as Obsidian shows it), but the author surely meant a header.
    let unclosed = unclosed.then(|| Warning {
        line: 1,
        message: "front matter is never closed; add a line `---` after its last key".into(),
    });
    let ignored = ignored.into_iter().map(|key| Warning {
        line: front_matter::note_line(key.line),
        message: format!("front matter: {}", key.message),
    });
    unclosed.into_iter().chain(ignored).chain(renamed).collect()
}

/// What a note says before its first heading (all of a note without headings) is a section
/// named after the note, put first: most often what the note is and how to begin. Named
/// after the file when a heading has the note's title (a note titled by its first `# H1`):
/// two sections of one name were two like choices in a menu. Whether there was such a
/// section.
fn add_preamble_section(
    sections: &mut Vec<Section>,
    front: &FrontMatter,
    (topic, path): (&str, &Path),
    preamble: Items,
    line: usize,
) -> bool {
    if preamble.points().is_empty() {
        return false;
    }
    let mut lead = preamble_section(front, topic, preamble, line);
    if sections.iter().any(|section| section.title == lead.title)
        && let Some(file) = title_of(&[], path)
    {
        lead.title = file;
    }
    if sections.iter().any(Section::is_answerable) {
        lead.level = 0;
    }
    sections.insert(0, lead);
    for section in sections.iter_mut().skip(1) {
        section.parent = section.parent.map(|p| p + 1);
    }
    true
}

/// Gives each answerable section without a URL one on the note's `page`: the page itself
/// for the preamble's section, else the heading's anchor.
fn add_urls(sections: &mut [Section], page: &str, has_preamble_section: bool) {
    for (index, section) in sections.iter_mut().enumerate() {
        if !section.is_answerable() || section.url.is_some() {
            continue;
        }
        section.url = Some(if index == 0 && has_preamble_section {
            page.to_string()
        } else {
            format!("{page}#{}", site::encode(&section.title, false))
        });
    }
}

fn preamble_section(front: &FrontMatter, topic: &str, points: Items, line: usize) -> Section {
    Section {
        level: 1,
        title: front.title.clone().unwrap_or_else(|| topic.to_string()),
        url: None,
        category: Vec::new(),
        parent: None,
        line,
        items: points,
        links: Vec::new(),
        id: 0,
    }
}

/// Reads and parses one file: UTF-8 with or without BOM, LF or CRLF; regular files of at
/// most [`DEFAULT_MAX_BYTES`] only.
pub fn load_file(path: &Path, labels: &Labels) -> Result<Note, FileError> {
    let bytes = folder::read_capped(path, DEFAULT_MAX_BYTES)?;
    parse_bytes(path, bytes, labels)
}

fn parse_bytes(path: &Path, bytes: Vec<u8>, labels: &Labels) -> Result<Note, FileError> {
    parse_bytes_in(path, path, bytes, labels, &Site::default())
}

fn parse_bytes_in(
    path: &Path,
    relative: &Path,
    bytes: Vec<u8>,
    labels: &Labels,
    site: &Site,
) -> Result<Note, FileError> {
    let text = into_string(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
        FileError {
            path: path.to_path_buf(),
            line: Some(line),
            message: "not valid UTF-8; save the file as UTF-8".into(),
        }
    })?;
    parse_in_site(path, relative, &text, labels, site)
}

/// `bytes` as a string, checked by simdutf8: std's check goes a byte at a time through
/// Chinese text, and every byte of every note is checked at each load. Invalid bytes go
/// through std's check too, whose error says where they are.
fn into_string(bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: simdutf8 has just found `bytes` to be UTF-8.
        return Ok(unsafe { String::from_utf8_unchecked(bytes) });
    }
    String::from_utf8(bytes)
}

/// Loads every `*.md` under `dir` once (see [`Loader`] for loading again), in path order.
/// Hidden files and folders are skipped; a file or folder that cannot be used is an error
/// and the rest load. Two notes with one topic name: the second gets a name made distinct
/// by its folder, with a warning.
pub fn load_dir(dir: &Path, labels: &Labels) -> Loaded {
    load_site(dir, labels, Caps::default(), Site::default())
}

/// [`load_dir`] with a cap on each note's size in bytes.
pub fn load_dir_capped(dir: &Path, labels: &Labels, max_bytes: u64) -> Loaded {
    let caps = Caps {
        note: max_bytes,
        ..Caps::default()
    };
    load_site(dir, labels, caps, Site::default())
}

/// [`load_dir`] within `caps`, for a published `site`: source links, wikilinks and ignore
/// globs.
pub fn load_site(dir: &Path, labels: &Labels, caps: Caps, site: Site) -> Loaded {
    let mut loader = Loader::new(dir, labels.clone(), caps, Duration::ZERO).with_site(site);
    let load = loader.load(&Library::default(), Instant::now());
    Loaded {
        library: load.library.unwrap_or_default(),
        errors: load.problems,
        notices: load.notices,
    }
}

impl Library {
    /// The note and section at `at`, if the library still has them.
    pub fn section(&self, at: SectionRef) -> Option<(&Note, &Section)> {
        let note = self.notes().get(at.note)?;
        Some((note, note.sections.get(at.section)?))
    }

    pub fn section_count(&self) -> usize {
        self.notes().iter().map(|n| n.answerable().count()).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Labels, parse_bytes};

    #[test]
    fn a_note_is_read_as_utf8_and_bad_bytes_are_located_by_line() {
        let text =
            "---\ntitle: 笔记\n---\n\n## [RLHF 是什么](https://example.com)\n\n- 人类反馈 — feedback\n";
        let note = parse_bytes(Path::new("n.md"), text.as_bytes().to_vec(), &Labels::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            note.sections.last().map(|s| s.title.as_str()),
            Some("RLHF 是什么")
        );
        // A Latin-1 é on line 3, after Chinese text: refused, with its line.
        let mut bytes = "## 标题\n\n- caf".as_bytes().to_vec();
        bytes.extend([0xE9, b'\n']);
        let error = parse_bytes(Path::new("n.md"), bytes, &Labels::default()).err();
        let error = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("n.md:3: not valid UTF-8"), "{error}");
        // A character cut off at the end of the file.
        let cut = &"- 中".as_bytes()[..4];
        assert!(parse_bytes(Path::new("n.md"), cut.to_vec(), &Labels::default()).is_err());
    }

    /// What a note says before its first heading is a section named after the note,
    /// answerable by its own words; the note's title is not also counted as that
    /// section's heading (it heads every section of the note).
    #[test]
    fn a_notes_lead_is_a_section_named_after_it() {
        let text = "# Callouts\n\nUse callouts to include additional content. To create one, add [!info] to a blockquote.\n\n## Customize callouts\n\n- Define a custom callout in CSS.\n";
        let note = parse_bytes(
            Path::new("Callouts.md"),
            text.as_bytes().to_vec(),
            &Labels::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let titles: Vec<(&str, u8)> = (note.sections.iter())
            .map(|s| (s.title.as_str(), s.level))
            .collect();
        assert_eq!(titles, [("Callouts", 1), ("Customize callouts", 2)]);
        let lead = "Use callouts to say more.\n\n# First\n\n- a point\n";
        let note = parse_bytes(
            Path::new("Callouts.md"),
            lead.as_bytes().to_vec(),
            &Labels::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let titles: Vec<(&str, u8)> = (note.sections.iter())
            .map(|s| (s.title.as_str(), s.level))
            .collect();
        assert_eq!(
            titles,
            [("Callouts", 0), ("First", 1)],
            "the note is titled by its first # heading, and its lead after its file, \
             not like that heading (two choices `First` in a menu)"
        );
        assert_eq!(note.title(), "First");
        let options = crate::search::SearchOptions::default();
        let library = super::Library::new(vec![std::sync::Arc::new(note)]);
        let index = crate::search::Index::build(library, &options);
        let hits = index.search("say more", None, 1);
        let section = hits.first().map(|hit| (hit.section.note, hit.section.section));
        assert_eq!(section, Some((0, 0)), "the lead answers for its own words");
    }

    /// Controls and bidi overrides in a note reach no reply: a title cannot be reordered to
    /// read otherwise (`\u{202E}`), nor a NUL sent to Discord; right-to-left marks stay.
    #[test]
    fn a_notes_controls_and_bidi_overrides_are_dropped() {
        let text = "---\ntitle: \"a\\u202Eb\\0c\"\n---\n## \u{202e}evil\u{2066} \u{7}heading\n- point\u{0} \u{1b}[31mred\tcell \u{200f}rtl\n\n  ```\n  x\ty\n  z\n  ```\n";
        let note = parse_bytes(
            Path::new("\u{202e}n.md"),
            text.as_bytes().to_vec(),
            &Labels::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(note.title(), "abc");
        let section = note.sections.last().unwrap_or_else(|| panic!("a section"));
        assert_eq!(section.title, "evil heading");
        let points: Vec<String> = section.points().iter().map(|p| p.plain().to_string()).collect();
        assert_eq!(points[0], "point [31mred cell \u{200f}rtl");
        let untitled = parse_bytes(Path::new("x\u{202e}y.md"), b"- a\n".to_vec(), &Labels::default());
        assert_eq!(
            untitled.map(|n| n.title().to_string()).ok().as_deref(),
            Some("xy")
        );
    }

    /// A note's inline tags join its front matter's once each, whatever their case, and
    /// quickly: 200,000 distinct tags took 40 s to load.
    #[test]
    fn inline_tags_join_the_front_matters_once_and_quickly() {
        let many: String = (0..200_000).map(|n| format!(" #t{n}")).collect();
        let text = format!("---\ntags: [T1, x]\n---\n## S\n- point #X{many}\n");
        let started = std::time::Instant::now();
        let note = parse_bytes(Path::new("n.md"), text.into_bytes(), &Labels::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(note.front.tags.len(), 200_001);
        assert_eq!(note.front.tags[..3], ["T1", "x", "t0"]);
    }

    #[test]
    fn a_name_that_cannot_be_made_says_what_to_fix() {
        let error = |path: &str, text: &str| {
            parse_bytes(Path::new(path), text.as_bytes().to_vec(), &Labels::default())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let set = error("ok.md", "---\ncommand: \"!!!\"\n---\n## A\n- x\n");
        assert!(set.ends_with("write `command:` with letters or digits"), "{set}");
        let unset = error("!!!.md", "## A\n- x\n");
        assert!(unset.ends_with("set `command:` in the front matter"), "{unset}");
        // The built-in commands' names, in English and as Chinese members see them: Discord
        // would refuse the whole command set for a second `/来源`.
        for (path, text) in [
            ("sources.md", "## A\n- x\n"),
            ("来源.md", "## A\n- x\n"),
            ("a.md", "---\ncommand: 笔记\n---\n## A\n- x\n"),
        ] {
            let taken = error(path, text);
            assert!(taken.contains("is a built-in command"), "{path}: {taken}");
        }
        assert!(
            error("notes.md", "## A\n- x\n")
                .contains("(`/notes topic:` serves every topic once there are over 90)")
        );
    }

    #[test]
    fn a_command_name_written_otherwise_than_registered_is_told() {
        let warnings = |text: &str| -> Vec<(usize, String)> {
            let note = parse_bytes(Path::new("n.md"), text.as_bytes().to_vec(), &Labels::default())
                .unwrap_or_else(|e| panic!("{e}"));
            note.warnings.into_iter().map(|w| (w.line, w.message)).collect()
        };
        let long = "this-command-name-is-way-too-long-for-discord";
        for (command, registered) in [("My Command", "my-command"), (long, &long[..32])] {
            let told = warnings(&format!("---\ntitle: t\ncommand: {command}\n---\n## A\n- x\n"));
            assert_eq!(
                told,
                [(
                    3,
                    format!(
                        "`command: {command}` is registered as /{registered} (command names are lowercase letters, digits, `-` and `_`, at most 32 characters)"
                    )
                )]
            );
        }
        // The top-level key's line, not an indented `command:` above it.
        let told = warnings("---\nextra:\n  command: other\ncommand: My Command\n---\n## A\n- x\n");
        assert_eq!(told.first().map(|(line, _)| *line), Some(4), "{told:?}");
        assert!(warnings("---\ncommand: routers\n---\n## A\n- x\n").is_empty());
        assert!(warnings("---\ncommand: ChatGPT\n---\n## A\n- x\n").is_empty());
    }
}
