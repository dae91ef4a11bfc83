//! The notes as data: what the parser produces and everything downstream reads.

use std::path::PathBuf;
use std::sync::Arc;

/// Every note that loaded, in path order. Notes are shared: a reload keeps the notes that
/// did not change (the same `Arc`), so the index can tell which changed by pointer.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub notes: Vec<Arc<Note>>,
}

impl From<Vec<Note>> for Library {
    fn from(notes: Vec<Note>) -> Library {
        Library {
            notes: notes.into_iter().map(Arc::new).collect(),
        }
    }
}

/// Where a section lives: `library.notes[note].sections[section]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SectionRef {
    pub note: usize,
    pub section: usize,
}

/// One markdown file: a topic, and so one slash command.
#[derive(Debug, Clone)]
pub struct Note {
    /// Path as found under the notes folder, for messages (`notes/chatgpt.md`).
    pub path: PathBuf,
    /// Valid Discord command name: from `command:` or the file stem.
    pub topic: String,
    pub front: FrontMatter,
    /// Every heading of the note, in document order; the tree is kept by `parent`.
    pub sections: Vec<Section>,
    /// Problems that did not stop the note from loading (file:line in `line`).
    pub warnings: Vec<Warning>,
}

/// YAML front matter. Unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub date: Option<String>,
    pub command: Option<String>,
    /// The slash command's description (else the title).
    pub description: Option<String>,
    /// Extra words that should find this note's sections.
    pub aliases: Vec<String>,
    /// The published path instead of the file's (Obsidian Publish, Hexo, Hugo).
    pub permalink: Option<String>,
    /// `publish: false` keeps the note out.
    pub publish: Option<bool>,
}

/// One heading and what stands under it up to the next heading.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading level, 1 to 6.
    pub level: u8,
    /// Heading text with markup removed.
    pub title: String,
    /// The heading's link, when the heading is `## [Title](url)`.
    pub url: Option<String>,
    /// Titles of the headings above this one, outermost first.
    pub category: Vec<String>,
    /// Index of the enclosing heading in `Note::sections`.
    pub parent: Option<usize>,
    /// 1-based line of the heading in the file.
    pub line: usize,
    /// The core points: what a reply shows first.
    pub points: Vec<Item>,
    /// Background items (`背景`, `Background`): shown after the core points.
    pub context: Vec<Item>,
    /// Every inline link in the body, in order (the heading's own link excluded).
    pub links: Vec<Link>,
}

/// A list item or a paragraph, with the items nested under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub marker: Marker,
    pub text: Text,
    pub children: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A `-`, `*` or `+` item.
    Bullet,
    /// An item of an ordered list, with its number.
    Number(u64),
    /// A paragraph, quote, table row or code block: no bullet.
    Plain,
}

/// Inline text in two forms: plain for searching, Discord markdown for replies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text {
    /// Markup removed; link text kept, URLs dropped.
    pub plain: String,
    /// Discord markdown: emphasis, code and links kept, everything else escaped. Empty
    /// when it is the same as `plain`, as most text without markup is: read it through
    /// [`Text::markdown`].
    pub markdown: String,
}

impl Text {
    /// Discord markdown: emphasis, code and links kept, everything else escaped.
    pub fn markdown(&self) -> &str {
        if self.markdown.is_empty() {
            &self.plain
        } else {
            &self.markdown
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub text: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

impl Note {
    /// The title users see: front matter `title`, else the topic.
    pub fn title(&self) -> &str {
        self.front.title.as_deref().unwrap_or(&self.topic)
    }

    /// Sections a reply can be about: those with something to show.
    pub fn answerable(&self) -> impl Iterator<Item = (usize, &Section)> {
        self.sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_answerable())
    }
}

impl Section {
    /// A heading with neither points, context nor a source link is only a category.
    pub fn is_answerable(&self) -> bool {
        self.url.is_some() || !self.points.is_empty() || !self.context.is_empty()
    }

    /// The category path as one line: `原理解析/论文综述`.
    pub fn category_line(&self) -> String {
        self.category.join(" › ")
    }

    /// An id that survives reloads as long as the title does: buttons carry it.
    pub fn stable_id(&self) -> u64 {
        // FNV-1a: stable across Rust versions and processes, unlike DefaultHasher.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.title.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash
    }
}

impl Item {
    /// This item and every item below it, depth-first, with their depth (0 for self).
    pub fn walk(&self) -> Vec<(usize, &Item)> {
        let mut out = Vec::new();
        // An explicit stack, children pushed in reverse so they come out in order.
        let mut stack = vec![(0, self)];
        while let Some((depth, item)) = stack.pop() {
            out.push((depth, item));
            stack.extend(item.children.iter().rev().map(|child| (depth + 1, child)));
        }
        out
    }
}
