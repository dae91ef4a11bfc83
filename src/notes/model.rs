//! The notes as data: what the parser produces and everything downstream reads.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::lookup::Topics;

/// Every note that loaded, in path order. Notes are shared: a reload keeps the notes that
/// did not change (the same `Arc`), so the index can tell which changed by pointer.
#[derive(Debug, Clone, Default)]
pub struct Library {
    notes: Vec<Arc<Note>>,
    topics: Topics,
}

impl Library {
    /// The notes in this order; of two with one topic (the loader never makes them) the
    /// first is the topic's.
    pub fn new(notes: Vec<Arc<Note>>) -> Library {
        let topics = Topics::new(&notes);
        Library { notes, topics }
    }

    pub fn notes(&self) -> &[Arc<Note>] {
        &self.notes
    }

    /// Where the note of `topic` is in [`Library::notes`].
    pub fn position(&self, topic: &str) -> Option<usize> {
        self.topics.position(&self.notes, topic)
    }

    pub fn note(&self, topic: &str) -> Option<&Note> {
        self.notes.get(self.position(topic)?).map(|note| &**note)
    }

    /// The notes whose topic starts with `typed` (lowercase), then those whose title does,
    /// then those whose topic or title holds it; in note order within each, at most
    /// `limit`. The first notes when `typed` is empty.
    pub fn topics_matching(&self, typed: &str, limit: usize) -> Vec<&Note> {
        (self.topics.matching(&self.notes, typed, limit).into_iter())
            .filter_map(|at| self.notes.get(at).map(|note| &**note))
            .collect()
    }
}

impl From<Vec<Note>> for Library {
    fn from(notes: Vec<Note>) -> Library {
        Library::new(notes.into_iter().map(Arc::new).collect())
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
    /// The core points (what a reply shows first) and the background items (`背景`,
    /// `Background`, shown after them): read through [`Section::points`] and
    /// [`Section::context`].
    pub items: Items,
    /// Every inline link in the body, in order (the heading's own link excluded).
    pub links: Vec<Link>,
    /// What buttons and menus name the section by, given once the note is read (unique in
    /// the note; see `notes::assign_ids`); 0 until then.
    pub id: u64,
}

/// A list item or a paragraph with the items nested under it, as parsed: packed into
/// [`Items`] for keeping.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemTree {
    pub marker: Marker,
    pub text: Text,
    pub children: Vec<ItemTree>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A `-`, `*` or `+` item.
    Bullet,
    /// An item of an ordered list, with its number.
    Number(u64),
    /// A paragraph, quote or code block: no bullet.
    Plain,
    /// A table's header row, its cells joined by ` | `: the first row of its table.
    TableHeader,
    /// Another row of a table, its cells joined by ` | ` (`first`: the first row of a table
    /// without a header).
    TableRow { first: bool },
}

impl Marker {
    /// Whether the line is a row of a table, its header's or another.
    pub fn is_table_row(self) -> bool {
        matches!(self, Marker::TableHeader | Marker::TableRow { .. })
    }

    /// Whether the line is the first row of a table: where one table ends and the next
    /// begins when two stand a blank line apart.
    pub fn begins_table(self) -> bool {
        matches!(self, Marker::TableHeader | Marker::TableRow { first: true })
    }
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
        self.url.is_some() || !self.items.nodes.is_empty()
    }

    /// The core points: what a reply shows first.
    pub fn points(&self) -> ItemList<'_> {
        self.items.points()
    }

    /// Background items (`背景`, `Background`): shown after the core points.
    pub fn context(&self) -> ItemList<'_> {
        self.items.context()
    }

    /// The category path as one line: `原理解析/论文综述`.
    pub fn category_line(&self) -> String {
        self.category.join(" › ")
    }

    /// What tells this section from another of its title where no heading above does (a
    /// diary's day pasted twice): its path, else the text of its first point.
    pub fn told_apart_by(&self) -> String {
        match (self.category.is_empty(), self.points().first()) {
            (true, Some(first)) => first.plain().to_string(),
            _ => self.category_line(),
        }
    }
}

/// Gives each of a note's sections its [`Section::id`], one that survives reloads: a hash
/// of its title; for a title the note repeats (`## Summary` under each chapter), of its
/// headings too and, under the same headings, of its place among them. A title that
/// comes to be repeated changes its id: buttons posted before then no longer find it.
pub fn assign_ids(sections: &mut [Section]) {
    let mut titles: HashMap<&str, usize> = HashMap::default();
    for section in sections.iter() {
        *titles.entry(&section.title).or_default() += 1;
    }
    let mut twins: HashMap<(&str, &[String]), u32> = HashMap::default();
    let ids: Vec<u64> = (sections.iter())
        .map(|section| {
            if titles.get(section.title.as_str()) == Some(&1) {
                return fnv1a(&[section.title.as_bytes()]);
            }
            let twin = twins.entry((&section.title, &section.category)).or_default();
            *twin += 1;
            let path = section.category.join("\u{1f}");
            fnv1a(&[
                section.title.as_bytes(),
                b"\0",
                path.as_bytes(),
                b"\0",
                &twin.to_le_bytes(),
            ])
        })
        .collect();
    for (section, id) in sections.iter_mut().zip(ids) {
        section.id = id;
    }
}

/// FNV-1a: stable across Rust versions and processes, unlike `DefaultHasher`.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|part| part.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A section's points and background items, packed: their text in one string and the
/// tree in one array, in document order (an item, then the items under it). Two heap
/// blocks for a whole section instead of two to four for each item: 20 bytes an item
/// beside its text, where a tree of `ItemTree`s takes ~115.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items {
    /// Each item's plain text, then its Discord markdown when that differs.
    text: Box<str>,
    /// The points' items, then the background's.
    nodes: Box<[Node]>,
    /// Nodes of the points (the background's follow).
    point_nodes: u32,
    /// Top-level points and top-level background items.
    roots: [u32; 2],
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Node {
    /// End of the item's text in `Items::text`; it starts where the previous item's ends.
    end: u32,
    /// Bytes of the plain text, and [`EDITED`]: the markdown is the rest up to `end`, as
    /// written or as edits of the plain text; when there is no rest, the plain text.
    plain: u32,
    /// Items in its subtree, itself included: its next sibling is this many nodes on.
    size: u32,
    children: u32,
    marker: PackedMarker,
    /// The markdown's length in UTF-16 units: every reply measures each line of its
    /// section to lay out its pages.
    markdown_len: u32,
}

/// In `Node::plain`: the markdown is kept as edits of the plain text ([`edits_into`]).
const EDITED: u32 = 1 << 31;

/// A [`Marker`] in 4 bytes: bullet, plain, a table's row, or a number. CommonMark numbers
/// have at most nine digits, and a note holds far fewer items than would count past
/// `u32::MAX`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PackedMarker(u32);

impl PackedMarker {
    const BULLET: u32 = 0;
    const PLAIN: u32 = 1;
    const TABLE_HEADER: u32 = 2;
    const TABLE_ROW: u32 = 3;
    const FIRST_TABLE_ROW: u32 = 4;
    /// Numbers are kept past the other markers.
    const NUMBER: u32 = 5;

    fn new(marker: Marker) -> PackedMarker {
        PackedMarker(match marker {
            Marker::Bullet => Self::BULLET,
            Marker::Plain => Self::PLAIN,
            Marker::TableHeader => Self::TABLE_HEADER,
            Marker::TableRow { first: false } => Self::TABLE_ROW,
            Marker::TableRow { first: true } => Self::FIRST_TABLE_ROW,
            Marker::Number(n) => u32::try_from(n).unwrap_or(u32::MAX).saturating_add(Self::NUMBER),
        })
    }

    fn get(self) -> Marker {
        match self.0 {
            Self::BULLET => Marker::Bullet,
            Self::PLAIN => Marker::Plain,
            Self::TABLE_HEADER => Marker::TableHeader,
            Self::TABLE_ROW => Marker::TableRow { first: false },
            Self::FIRST_TABLE_ROW => Marker::TableRow { first: true },
            n => Marker::Number(u64::from(n - Self::NUMBER)),
        }
    }
}

impl Items {
    pub fn new(points: Vec<ItemTree>, context: Vec<ItemTree>) -> Items {
        let mut finished = FinishedItems::default();
        let points: Vec<usize> = points.iter().map(|tree| finished.push_tree(tree)).collect();
        let context: Vec<usize> = context.iter().map(|tree| finished.push_tree(tree)).collect();
        finished.pack(&points, &context)
    }

    /// The core points.
    pub fn points(&self) -> ItemList<'_> {
        ItemList {
            items: self,
            nodes: 0..self.point_nodes as usize,
            len: self.roots[0] as usize,
        }
    }

    /// The background items.
    pub fn context(&self) -> ItemList<'_> {
        ItemList {
            items: self,
            nodes: self.point_nodes as usize..self.nodes.len(),
            len: self.roots[1] as usize,
        }
    }

    fn node(&self, at: usize) -> Node {
        self.nodes.get(at).copied().unwrap_or_default()
    }
}

/// A section's items in the order a parser finishes them, each after the items under it,
/// their text in one string: packed into [`Items`] at the section's end. An item built
/// this way takes no heap block of its own (a tree of `ItemTree`s took two to four, then
/// copied into `Items` and freed).
#[derive(Debug, Default)]
pub struct FinishedItems {
    text: String,
    nodes: Vec<Finished>,
    /// [`Packer`]'s buffers, kept from one section to the next.
    stack: Vec<usize>,
    written: String,
}

#[derive(Debug, Clone, Copy)]
struct Finished {
    marker: Marker,
    /// Its text in `FinishedItems::text`: the plain text from where the item before it
    /// ends up to `plain_end`, then the markdown (when it differs) up to `end`.
    plain_end: usize,
    end: usize,
    /// Items in its subtree, itself included: the nodes just before it are the others.
    size: usize,
    children: usize,
}

impl FinishedItems {
    /// Where the items under the next item to open will start: what [`FinishedItems::push`]
    /// takes when it finishes.
    pub fn next(&self) -> usize {
        self.nodes.len()
    }

    /// Adds a finished item, the items pushed since `first` being those under it (its
    /// `children` subtrees). `markdown` is the same as `plain` when empty.
    pub fn push(&mut self, marker: Marker, plain: &str, markdown: &str, children: usize, first: usize) {
        self.text.push_str(plain);
        let plain_end = self.text.len();
        if markdown != plain {
            self.text.push_str(markdown);
        }
        self.nodes.push(Finished {
            marker,
            plain_end,
            end: self.text.len(),
            size: self.nodes.len() + 1 - first.min(self.nodes.len()),
            children,
        });
    }

    /// The bytes its buffers hold, in use or not.
    pub fn capacity_bytes(&self) -> usize {
        self.text.capacity()
            + self.written.capacity()
            + self.nodes.capacity() * std::mem::size_of::<Finished>()
            + self.stack.capacity() * std::mem::size_of::<usize>()
    }

    /// Drops the items from `first` on: an item with nowhere to go, and those under it.
    pub fn truncate(&mut self, first: usize) {
        self.nodes.truncate(first);
        self.text.truncate(self.nodes.last().map_or(0, |node| node.end));
    }

    /// The items under no other, in order.
    pub fn roots(&self) -> Vec<usize> {
        self.subtrees(0, self.nodes.len())
    }

    /// The items directly under `item`, in order.
    pub fn children(&self, item: usize) -> Vec<usize> {
        let size = self.nodes.get(item).map_or(1, |node| node.size.max(1));
        self.subtrees((item + 1).saturating_sub(size), item)
    }

    /// The roots of the subtrees that fill nodes `first..end`, in order: each root is the
    /// last node of its subtree, and its size tells where the subtree before it ends.
    fn subtrees(&self, first: usize, end: usize) -> Vec<usize> {
        let mut roots = Vec::new();
        let mut at = end.min(self.nodes.len());
        while at > first {
            roots.push(at - 1);
            at = at.saturating_sub(self.nodes[at - 1].size.max(1));
        }
        roots.reverse();
        roots
    }

    /// Where `item`'s text starts.
    fn start(&self, item: usize) -> usize {
        match item.checked_sub(1).and_then(|before| self.nodes.get(before)) {
            Some(before) => before.end,
            None => 0,
        }
    }

    /// The plain text of `item`.
    pub fn plain(&self, item: usize) -> &str {
        let Some(node) = self.nodes.get(item) else {
            return "";
        };
        self.text.get(self.start(item)..node.plain_end).unwrap_or("")
    }

    /// The markdown of `item`, empty when it is the plain text.
    fn markdown(&self, item: usize) -> &str {
        let Some(node) = self.nodes.get(item) else {
            return "";
        };
        self.text.get(node.plain_end..node.end).unwrap_or("")
    }

    /// Adds `tree` as finished items, each after those under it; returns its root.
    fn push_tree(&mut self, tree: &ItemTree) -> usize {
        // An explicit stack, no recursion per level: (tree, where its items start, the
        // next child to push).
        let mut open: Vec<(&ItemTree, usize, usize)> = vec![(tree, self.next(), 0)];
        while let Some((tree, first, child)) = open.pop() {
            if let Some(next) = tree.children.get(child) {
                open.push((tree, first, child + 1));
                open.push((next, self.next(), 0));
            } else {
                let text = &tree.text;
                self.push(
                    tree.marker,
                    &text.plain,
                    text.markdown(),
                    tree.children.len(),
                    first,
                );
            }
        }
        self.nodes.len().saturating_sub(1)
    }

    /// Packs the items `points` and `context`, each with the items under it, into
    /// [`Items`] in document order, and empties the list for the next section.
    pub fn pack(&mut self, points: &[usize], context: &[usize]) -> Items {
        // Sized once: every packed item's text as kept here, and one node each.
        let (mut bytes, mut nodes) = (0, 0);
        for &root in points.iter().chain(context) {
            if let Some(node) = self.nodes.get(root) {
                let first = (root + 1).saturating_sub(node.size.max(1));
                bytes += node.end - self.start(first);
                nodes += root + 1 - first;
            }
        }
        let mut packed = Packer {
            text: String::with_capacity(bytes),
            nodes: Vec::with_capacity(nodes),
            stack: std::mem::take(&mut self.stack),
            written: std::mem::take(&mut self.written),
        };
        let roots = [points.len(), context.len()].map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        for &root in points {
            packed.push(self, root);
        }
        let point_nodes = packed.nodes.len() as u32;
        for &root in context {
            packed.push(self, root);
        }
        self.text.clear();
        self.nodes.clear();
        self.stack = packed.stack;
        self.written = packed.written;
        Items {
            text: packed.text.into_boxed_str(),
            nodes: packed.nodes.into_boxed_slice(),
            point_nodes,
            roots,
        }
    }
}

/// Packs finished items in document order.
struct Packer {
    text: String,
    nodes: Vec<Node>,
    /// Items to pack, the next last (kept from one subtree to the next).
    stack: Vec<usize>,
    /// The run [`edits_into`] is writing (kept from one item to the next).
    written: String,
}

impl Packer {
    /// Appends `root` of `finished` and the items under it, an item before those under
    /// it; an explicit stack, no recursion per level.
    fn push(&mut self, finished: &FinishedItems, root: usize) {
        self.stack.clear();
        self.stack.push(root);
        while let Some(at) = self.stack.pop() {
            let Some(&item) = finished.nodes.get(at) else {
                continue;
            };
            let (plain, markdown) = (finished.plain(at), finished.markdown(at));
            self.text.push_str(plain);
            let mut plain_len = u32::try_from(plain.len()).unwrap_or(u32::MAX) & !EDITED;
            let shown = if markdown.is_empty() { plain } else { markdown };
            let markdown_len = u32::try_from(utf16_len(shown)).unwrap_or(u32::MAX);
            if !markdown.is_empty() && markdown != plain {
                if edits_into(plain, markdown, &mut self.text, &mut self.written) {
                    plain_len |= EDITED;
                } else {
                    self.text.push_str(markdown);
                }
            }
            self.nodes.push(Node {
                end: u32::try_from(self.text.len()).unwrap_or(u32::MAX),
                plain: plain_len,
                size: u32::try_from(item.size).unwrap_or(u32::MAX),
                children: u32::try_from(item.children).unwrap_or(u32::MAX),
                marker: PackedMarker::new(item.marker),
                markdown_len,
            });
            // The children, the last first: the first comes off the stack next.
            let first = (at + 1).saturating_sub(item.size.max(1));
            let mut child = at;
            while child > first {
                self.stack.push(child - 1);
                child = child.saturating_sub(finished.nodes.get(child - 1).map_or(1, |n| n.size.max(1)));
            }
        }
    }
}

/// A list item or a paragraph of a section, with the items nested under it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    items: &'a Items,
    at: usize,
}

impl<'a> Item<'a> {
    pub fn marker(&self) -> Marker {
        self.node().marker.get()
    }

    /// Markup removed; link text kept, URLs dropped.
    pub fn plain(&self) -> &'a str {
        let (start, node) = self.bounds();
        let end = start
            .saturating_add((node.plain & !EDITED) as usize)
            .min(node.end as usize);
        self.items.text.get(start..end).unwrap_or("")
    }

    /// Discord markdown: emphasis, code and links kept, everything else escaped.
    pub fn markdown(&self) -> Cow<'a, str> {
        let (start, node) = self.bounds();
        let from = start.saturating_add((node.plain & !EDITED) as usize);
        match self.items.text.get(from..node.end as usize) {
            Some("") | None => Cow::Borrowed(self.plain()),
            Some(edits) if node.plain & EDITED != 0 => Cow::Owned(apply_edits(self.plain(), edits)),
            Some(markdown) => Cow::Borrowed(markdown),
        }
    }

    /// The length of [`Item::markdown`] in UTF-16 units (as Discord counts), kept.
    pub fn markdown_len(&self) -> usize {
        self.node().markdown_len as usize
    }

    /// The items nested directly under this one.
    pub fn children(&self) -> ItemList<'a> {
        let node = self.node();
        ItemList {
            items: self.items,
            nodes: self.at + 1..self.at + node.size.max(1) as usize,
            len: node.children as usize,
        }
    }

    /// This item and every item below it, depth-first, with their depth (0 for self).
    pub fn walk(&self) -> Vec<(usize, Item<'a>)> {
        let end = self.at + self.node().size.max(1) as usize;
        // The items are stored in this order: the depth of each is how many of the
        // subtrees opened before it it is still inside.
        let mut open: Vec<usize> = Vec::new();
        (self.at..end.min(self.items.nodes.len()))
            .map(|at| {
                while open.last().is_some_and(|&end| end <= at) {
                    open.pop();
                }
                let depth = open.len();
                open.push(at + self.items.node(at).size.max(1) as usize);
                (
                    depth,
                    Item {
                        items: self.items,
                        at,
                    },
                )
            })
            .collect()
    }

    /// The item and those under it as a tree of their own.
    pub fn to_tree(&self) -> ItemTree {
        ItemTree {
            marker: self.marker(),
            text: Text {
                plain: self.plain().to_string(),
                markdown: self.markdown().into_owned(),
            },
            children: self.children().iter().map(|child| child.to_tree()).collect(),
        }
    }

    fn node(&self) -> Node {
        self.items.node(self.at)
    }

    /// Where the item's text starts, and its node.
    fn bounds(&self) -> (usize, Node) {
        let start = match self.at.checked_sub(1) {
            Some(before) => self.items.node(before).end as usize,
            None => 0,
        };
        (start, self.node())
    }
}

/// Sibling items: a section's top-level points or background items, or an item's
/// children.
#[derive(Debug, Clone)]
pub struct ItemList<'a> {
    items: &'a Items,
    /// The nodes of the siblings and of everything under them.
    nodes: std::ops::Range<usize>,
    /// Siblings.
    len: usize,
}

impl<'a> ItemList<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `index`th sibling.
    pub fn get(&self, index: usize) -> Option<Item<'a>> {
        self.iter().nth(index)
    }

    pub fn first(&self) -> Option<Item<'a>> {
        self.get(0)
    }

    /// The item at `path`: `[2, 0]` is the first child of the third sibling.
    pub fn at(&self, path: &[usize]) -> Option<Item<'a>> {
        let (first, rest) = path.split_first()?;
        let mut item = self.get(*first)?;
        for &index in rest {
            item = item.children().get(index)?;
        }
        Some(item)
    }

    /// The siblings, in order.
    pub fn iter(&self) -> Siblings<'a> {
        Siblings {
            items: self.items,
            next: self.nodes.start,
            left: self.len,
        }
    }

    /// Every item, depth first: an item, then the items under it.
    pub fn depth_first(&self) -> impl DoubleEndedIterator<Item = Item<'a>> + use<'a> {
        let items = self.items;
        self.nodes.clone().map(move |at| Item { items, at })
    }
}

impl<'a> IntoIterator for &ItemList<'a> {
    type Item = Item<'a>;
    type IntoIter = Siblings<'a>;

    fn into_iter(self) -> Siblings<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for ItemList<'a> {
    type Item = Item<'a>;
    type IntoIter = Siblings<'a>;

    fn into_iter(self) -> Siblings<'a> {
        self.iter()
    }
}

/// The items of an [`ItemList`], in order.
#[derive(Debug, Clone)]
pub struct Siblings<'a> {
    items: &'a Items,
    next: usize,
    left: usize,
}

impl<'a> Iterator for Siblings<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if self.left == 0 {
            return None;
        }
        let item = Item {
            items: self.items,
            at: self.next,
        };
        self.left -= 1;
        self.next += self.items.node(self.next).size.max(1) as usize;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Siblings<'_> {}

/// Longest run of an edit, in bytes: its length is written as one `char`, below the
/// surrogates.
const MAX_RUN: usize = 0xD7FF;

/// `markdown` as edits of `plain`, when that is shorter: runs copied from `plain`, in
/// order, each followed by a run written out; each run's length in bytes as one `char`.
/// Most markdown is its plain text with a few marks, escapes, spaces or URLs added.
#[cfg(test)]
fn edits(plain: &str, markdown: &str) -> Option<String> {
    let mut out = String::new();
    edits_into(plain, markdown, &mut out, &mut String::new()).then_some(out)
}

/// `markdown`'s edits of `plain` appended to `out`, when shorter than `markdown`: whether
/// they were (else `out` is left as it was). `written` is scratch: an item's edits
/// allocate nothing once the buffers have grown.
fn edits_into(plain: &str, markdown: &str, out: &mut String, written: &mut String) -> bool {
    let start = out.len();
    let (mut rest, mut left) = (plain, markdown);
    let mut copied = 0;
    written.clear();
    let flush = |out: &mut String, copied: &mut usize, written: &mut String| {
        out.extend([*copied, written.len()].map(|n| char::from_u32(n as u32).unwrap_or('\0')));
        out.push_str(written);
        *copied = 0;
        written.clear();
    };
    // Greedy, a run at a time: what `markdown` and `plain` begin with alike is copied
    // (in runs of at most MAX_RUN bytes), the next character of `markdown` written.
    while !left.is_empty() {
        let common = common_prefix(rest, left);
        if common > 0 {
            if !written.is_empty() {
                flush(out, &mut copied, written);
            }
            let mut take = common.min(MAX_RUN - copied);
            while !left.is_char_boundary(take) {
                take -= 1;
            }
            if take == 0 {
                flush(out, &mut copied, written);
                continue;
            }
            copied += take;
            rest = &rest[take..];
            left = &left[take..];
        } else if let Some(c) = left.chars().next() {
            if written.len() + c.len_utf8() > MAX_RUN {
                flush(out, &mut copied, written);
            }
            written.push(c);
            left = &left[c.len_utf8()..];
        }
        if out.len() - start + written.len() >= markdown.len() {
            out.truncate(start);
            return false;
        }
    }
    flush(out, &mut copied, written);
    if out.len() - start < markdown.len() {
        return true;
    }
    out.truncate(start);
    false
}

/// The length in bytes of the longest common prefix of `a` and `b` that ends between
/// characters (compared eight bytes at a time).
fn common_prefix(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut at = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let word = |chunk: &[u8]| u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let differ = word(x) ^ word(y);
        if differ != 0 {
            at += differ.trailing_zeros() as usize / 8;
            return char_start(b, at);
        }
        at += 8;
    }
    at += a[at..]
        .iter()
        .zip(&b[at..])
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()) - at);
    char_start(b, at)
}

/// `at`, or the start of the character of `text` that byte `at` is inside.
fn char_start(text: &[u8], mut at: usize) -> usize {
    // A UTF-8 continuation byte is 0b10xx_xxxx.
    while at > 0 && text.get(at).is_some_and(|&byte| byte & 0xC0 == 0x80) {
        at -= 1;
    }
    at
}

/// The markdown that [`edits_into`] made `edits` of.
fn apply_edits(plain: &str, edits: &str) -> String {
    let mut out = String::new();
    let (mut from, mut at) = (0, 0);
    let mut lengths = edits.chars();
    while let (Some(copied), Some(written)) = (lengths.next(), lengths.next()) {
        let copied = copied as usize;
        out.push_str(plain.get(from..from + copied).unwrap_or(""));
        from += copied;
        at += edits
            .get(at..)
            .map_or(0, |rest| rest.chars().take(2).map(char::len_utf8).sum::<usize>());
        let end = at + written as usize;
        out.push_str(edits.get(at..end).unwrap_or(""));
        at = end;
        lengths = edits.get(at..).unwrap_or("").chars();
    }
    out
}

/// Length in UTF-16 units, from the UTF-8 bytes: each byte that starts a character is one
/// unit, and the lead byte of a four-byte character (above U+FFFF, two units) one more.
pub fn utf16_len(text: &str) -> usize {
    // Counted into a byte for every 255 bytes, which the compiler turns into vector adds:
    // ~1.3 instructions a byte, where a `usize` sum took ~9 (every item is measured).
    text.as_bytes()
        .chunks(255)
        .map(|chunk| {
            let starts = chunk.iter().fold(0u8, |n, &b| n + u8::from((b as i8) >= -0x40));
            let wide = chunk.iter().fold(0u8, |n, &b| n + u8::from(b >= 0xF0));
            usize::from(starts) + usize::from(wide)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headed(title: &str, category: &[&str]) -> Section {
        Section {
            level: 2,
            title: title.into(),
            url: None,
            category: category.iter().map(|c| c.to_string()).collect(),
            parent: None,
            line: 1,
            items: Items::default(),
            links: Vec::new(),
            id: 0,
        }
    }

    #[test]
    fn ids_are_the_titles_hash_and_repeated_titles_are_told_apart_by_their_headings() {
        let mut sections = vec![
            headed("RLHF", &[]),
            headed("Summary", &["Cats"]),
            headed("Summary", &["Dogs"]),
            headed("Summary", &["Dogs"]),
        ];
        assign_ids(&mut sections);
        // A title the note holds once keeps the id buttons already posted carry.
        assert_eq!(sections[0].id, 0xd933d32c894647bd, "FNV-1a of the title");
        let ids: Vec<u64> = sections.iter().map(|s| s.id).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 4, "{ids:x?}");
        // A chapter added before them moves no other chapter's summary.
        let mut more = vec![headed("Summary", &["Birds"])];
        more.extend(sections.iter().cloned());
        assign_ids(&mut more);
        assert_eq!(more[2].id, sections[1].id);
        assert_eq!(more[3].id, sections[2].id);
    }

    #[test]
    fn a_topic_finds_its_note_and_the_first_of_two_keeps_it() {
        let note = |path: &str, topic: &str| Note {
            path: path.into(),
            topic: topic.into(),
            front: FrontMatter::default(),
            sections: Vec::new(),
            warnings: Vec::new(),
        };
        let library = Library::from(vec![
            note("a.md", "a"),
            note("b.md", "b"),
            note("c/b.md", "b"),
            note("d.md", "d"),
        ]);
        let found = |topic| library.position(topic);
        assert_eq!(
            ["a", "b", "d", "c", ""].map(found),
            [Some(0), Some(1), Some(3), None, None]
        );
        assert_eq!(library.note("d").map(|n| n.path.clone()), Some("d.md".into()));
        assert!(Library::default().note("a").is_none());
    }

    fn tree(plain: &str, markdown: &str, children: Vec<ItemTree>) -> ItemTree {
        ItemTree {
            marker: Marker::Bullet,
            text: Text {
                plain: plain.to_string(),
                markdown: markdown.to_string(),
            },
            children,
        }
    }

    #[test]
    fn markdown_len_is_the_utf16_length_of_the_markdown() {
        let long = "长".repeat(3_000);
        let cases = [
            ("a b".to_string(), "a  b".to_string()),
            ("prompt => 提示".to_string(), "prompt =\\> 提示".to_string()),
            ("plain".to_string(), String::new()),
            ("x 👍 y".to_string(), "**x** 👍 `y`".to_string()),
            (long.clone(), "x".to_string()),
            // Kept as edits: long runs copied from the plain text, a few characters written.
            (format!("{long} a b 👍"), format!("{long} a  b 👍")),
            (format!("{long} x 👍 {long}"), format!("**{long}** x 👍 `{long}`")),
        ];
        let trees: Vec<ItemTree> = cases
            .iter()
            .map(|(plain, markdown)| tree(plain, markdown, Vec::new()))
            .collect();
        let items = Items::new(trees, Vec::new());
        let edited = items.nodes.iter().filter(|node| node.plain & EDITED != 0).count();
        assert!(edited >= 2, "the last two cases, at least, are kept as edits");
        for item in items.points().iter() {
            assert_eq!(
                item.markdown_len(),
                item.markdown().encode_utf16().count(),
                "{:?}",
                item.markdown()
            );
        }
    }

    #[test]
    fn markdown_round_trips_through_edits() {
        let long = "长".repeat(30_000);
        let cases = [
            ("a b", "a  b"),
            ("prompt => 提示", "prompt =\\> 提示"),
            (
                "知识密集型 结论",
                "知识密集型 [结论](https://crfm.stanford.edu/helm/v1.0/?group=knowledge)",
            ),
            ("bold and code", "**bold** and `code`"),
            ("", "[](u)"),
            ("abc", "xyz"),
            (long.as_str(), &format!("**{long}** \\*")),
            ("x", &"y".repeat(70_000)),
        ];
        for (plain, markdown) in cases {
            if let Some(edits) = edits(plain, markdown) {
                assert!(edits.len() < markdown.len());
                assert_eq!(apply_edits(plain, &edits), markdown, "{plain:?}");
            }
            let items = Items::new(vec![tree(plain, markdown, Vec::new())], Vec::new());
            let item = items.points().first().expect("an item");
            assert_eq!((item.plain(), item.markdown().as_ref()), (plain, markdown));
        }
        assert!(edits("metrics 链路 rust prompt", "metrics 链路 rust  prompt").is_some());
        assert!(edits("abc", "xyz").is_none());
    }

    /// The edits as first written, a character at a time: what [`edits`] must give.
    fn edits_by_char(plain: &str, markdown: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = plain;
        let mut copied = 0;
        let mut written = String::new();
        let flush = |out: &mut String, copied: &mut usize, written: &mut String| {
            out.extend([*copied, written.len()].map(|n| char::from_u32(n as u32).unwrap_or('\0')));
            out.push_str(written);
            *copied = 0;
            written.clear();
        };
        for c in markdown.chars() {
            if let Some(after) = rest.strip_prefix(c) {
                if !written.is_empty() || copied + c.len_utf8() > MAX_RUN {
                    flush(&mut out, &mut copied, &mut written);
                }
                copied += c.len_utf8();
                rest = after;
            } else {
                if written.len() + c.len_utf8() > MAX_RUN {
                    flush(&mut out, &mut copied, &mut written);
                }
                written.push(c);
            }
        }
        flush(&mut out, &mut copied, &mut written);
        (out.len() < markdown.len()).then_some(out)
    }

    proptest::proptest! {
        #[test]
        fn edits_in_runs_are_the_edits_by_character(
            plain in r"[a b*长链\\é\u{1F600}]{0,40}",
            marks in proptest::collection::vec((0usize..48, r"[*`\\ 长é\u{1F600}\[\]()]{1,3}"), 0..6),
        ) {
            let mut markdown = plain.clone();
            for (at, mark) in marks {
                let mut at = at.min(markdown.len());
                while !markdown.is_char_boundary(at) {
                    at -= 1;
                }
                markdown.insert_str(at, &mark);
            }
            proptest::prop_assert_eq!(edits(&plain, &markdown), edits_by_char(&plain, &markdown));
        }
    }

    #[test]
    fn runs_longer_than_max_run_give_the_edits_by_character() {
        let long = "长".repeat(30_000);
        for (plain, markdown) in [
            (long.clone(), format!("**{long}** \\*")),
            (format!("a{long}"), format!("a*{long}")),
            (
                "x".repeat(MAX_RUN + 7),
                format!("{}!{}", "x".repeat(MAX_RUN + 1), "x".repeat(6)),
            ),
        ] {
            assert_eq!(edits(&plain, &markdown), edits_by_char(&plain, &markdown));
        }
    }

    fn trees(list: ItemList) -> Vec<ItemTree> {
        list.iter().map(|item| item.to_tree()).collect()
    }

    /// As read back: an empty markdown is the plain text.
    fn shown(tree: ItemTree) -> ItemTree {
        let markdown = if tree.text.markdown.is_empty() {
            tree.text.plain.clone()
        } else {
            tree.text.markdown
        };
        ItemTree {
            marker: tree.marker,
            text: Text {
                plain: tree.text.plain,
                markdown,
            },
            children: tree.children.into_iter().map(shown).collect(),
        }
    }

    /// Trees of any shape: each (depth, text, marked) item goes under the last item
    /// `depth` levels down (as deep as there are), its markdown emphasised when marked.
    fn trees_of(items: &[(usize, String, bool)]) -> Vec<ItemTree> {
        let mut roots: Vec<ItemTree> = Vec::new();
        for (depth, text, marked) in items {
            let mut list = &mut roots;
            for _ in 0..*depth {
                if list.is_empty() {
                    break;
                }
                let last = list.len() - 1;
                list = &mut list[last].children;
            }
            let markdown = if *marked {
                format!("*{text}*")
            } else {
                String::new()
            };
            list.push(tree(text, &markdown, Vec::new()));
        }
        roots
    }

    proptest::proptest! {
        #[test]
        fn utf16_len_counts_as_encode_utf16_does(text in r"(.|[a长é\u{1F600}]{1,300}){0,8}") {
            proptest::prop_assert_eq!(utf16_len(&text), text.encode_utf16().count());
        }

        #[test]
        fn packed_trees_of_any_shape_read_back_as_they_were(
            points in proptest::collection::vec((0usize..5, r"[a 长\\*]{0,6}", proptest::bool::ANY), 0..24),
            context in proptest::collection::vec((0usize..5, r"[a 长]{0,6}", proptest::bool::ANY), 0..8),
        ) {
            let (points, context) = (trees_of(&points), trees_of(&context));
            let items = Items::new(points.clone(), context.clone());
            proptest::prop_assert_eq!(trees(items.points()), points.into_iter().map(shown).collect::<Vec<_>>());
            proptest::prop_assert_eq!(trees(items.context()), context.into_iter().map(shown).collect::<Vec<_>>());
        }
    }

    #[test]
    fn finished_items_pack_the_roots_given_with_what_is_under_them() {
        let mut finished = FinishedItems::default();
        let a = finished.next();
        finished.push(Marker::Bullet, "a.1", "", 0, finished.next());
        finished.push(Marker::Bullet, "a", "**a**", 1, a);
        // An item with nowhere to go is dropped with what is under it.
        let b = finished.next();
        finished.push(Marker::Plain, "b.1", "", 0, b);
        finished.push(Marker::Bullet, "b", "", 1, b);
        finished.truncate(b);
        let c = finished.next();
        finished.push(Marker::Number(3), "c", "c", 0, c);
        assert_eq!(finished.roots(), [1, 2]);
        assert_eq!((finished.children(1), finished.children(2)), (vec![0], vec![]));
        assert_eq!((finished.plain(1), finished.markdown(1)), ("a", "**a**"));
        assert_eq!((finished.plain(2), finished.markdown(2)), ("c", ""));
        let items = finished.pack(&[2, 1], &[0]);
        assert_eq!(finished.next(), 0, "emptied for the next section");
        assert_eq!(
            trees(items.points()),
            vec![
                ItemTree {
                    marker: Marker::Number(3),
                    ..tree("c", "c", Vec::new())
                },
                tree("a", "**a**", vec![tree("a.1", "a.1", Vec::new())]),
            ]
        );
        assert_eq!(trees(items.context()), vec![tree("a.1", "a.1", Vec::new())]);
    }

    #[test]
    fn packed_markers_read_back_as_written() {
        let markers = [
            Marker::Bullet,
            Marker::Plain,
            Marker::TableHeader,
            Marker::TableRow { first: false },
            Marker::TableRow { first: true },
            Marker::Number(0),
            Marker::Number(1),
            Marker::Number(999_999_999),
        ];
        for marker in markers {
            assert_eq!(PackedMarker::new(marker).get(), marker);
        }
    }

    #[test]
    fn packed_items_keep_their_tree_order_and_text() {
        let points = vec![
            tree(
                "one",
                "",
                vec![
                    tree("one.a", "*one.a*", vec![tree("deep", "", Vec::new())]),
                    tree("one.b", "", Vec::new()),
                ],
            ),
            ItemTree {
                marker: Marker::Number(12),
                ..tree("two", "two", Vec::new())
            },
        ];
        let context = vec![tree("why", "", vec![tree("because", "", Vec::new())])];
        let items = Items::new(points.clone(), context.clone());
        assert_eq!(
            trees(items.points()),
            points.into_iter().map(shown).collect::<Vec<_>>()
        );
        assert_eq!(
            trees(items.context()),
            context.into_iter().map(shown).collect::<Vec<_>>()
        );
        let one = items.points().first().expect("a point");
        let walked: Vec<(usize, &str)> = one.walk().iter().map(|(d, i)| (*d, i.plain())).collect();
        assert_eq!(walked, vec![(0, "one"), (1, "one.a"), (2, "deep"), (1, "one.b")]);
        assert_eq!(
            items.points().at(&[0, 0]).map(|i| i.markdown().into_owned()),
            Some("*one.a*".into())
        );
        assert_eq!(
            items.points().at(&[1]).map(|i| i.marker()),
            Some(Marker::Number(12))
        );
        assert_eq!(items.points().at(&[0, 2]).map(|i| i.plain()), None);
        let all: Vec<&str> = items
            .points()
            .depth_first()
            .chain(items.context().depth_first())
            .map(|i| i.plain())
            .collect();
        assert_eq!(
            all,
            vec!["one", "one.a", "deep", "one.b", "two", "why", "because"]
        );
    }
}
