//! Markdown body → section tree, with pulldown-cmark.

mod footnotes;
mod html;
mod inline;
mod source;

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use rustc_hash::FxHashSet;

use super::model::{FinishedItems, Items, Link, Marker, Section, Warning};
use html::Html;
use inline::{Inline, backticks_apart, collapse_spaces, unescape_markdown};
pub use inline::{address_instead, escape_into, url_for_markdown};
use source::{blank_comments, escape_table_wikilinks, pieces};

/// Labels that mark the core points and the background of a section; `labels:` in the
/// config.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Labels {
    pub core: Vec<String>,
    pub context: Vec<String>,
}

impl Default for Labels {
    fn default() -> Self {
        Labels {
            core: ["核心观点", "Core points", "Key points"]
                .map(String::from)
                .to_vec(),
            context: ["背景", "Background"].map(String::from).to_vec(),
        }
    }
}

/// Lists and quotes nest at most this deep; items below are flattened to this depth, so
/// nothing downstream (index, focus, render, drop) ever walks a deeper tree.
pub const MAX_NESTING: usize = 32;

pub struct Body {
    pub sections: Vec<Section>,
    /// Content before the first heading that is not a quote, as points.
    pub preamble: Items,
    pub warnings: Vec<Warning>,
    /// Inline `#tags`, without the `#`, in order of first use.
    pub tags: Vec<String>,
}

/// Resolves a wikilink target (`Note#Heading`) to a URL, when the note is published.
pub type Resolve<'a> = &'a dyn Fn(&str) -> Option<String>;

const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_WIKILINKS);

/// Bodies longer than this are parsed in pieces cut at headings: pulldown-cmark holds a
/// tree of all the text it parses (~6x its size), which made parsing the peak of loading a
/// note at the size cap.
const PIECE: usize = 256 * 1024;

/// Headings without text warned of one by one; the rest are counted in one warning (three
/// million `#` lines gave as many warnings: 1.3 GB, and 360 MB of log at each reload).
const MOST_UNTITLED_WARNINGS: usize = 10;

/// Sections one note may hold; a note is read up to the heading past them. A section takes a
/// few hundred bytes however little it holds: an 8 MiB note of `#` lines made four million
/// (1.4 GB), and a few such notes would end the process. Real notes hold tens.
const MAX_SECTIONS: usize = 10_000;

/// Parses a markdown body; `first_line` is the file line where `body` starts.
pub fn parse(body: &str, first_line: usize, labels: &Labels, resolve: Resolve<'_>) -> Body {
    parse_in_pieces(body, first_line, labels, resolve, PIECE)
}

fn parse_in_pieces(
    body: &str,
    first_line: usize,
    labels: &Labels,
    resolve: Resolve<'_>,
    piece: usize,
) -> Body {
    let body = crate::text::note_text(body);
    let body = blank_comments(&body, piece);
    let body = footnotes::inline_footnotes(&body, piece);
    let body = escape_table_wikilinks(&body);
    let spares = Spares::take();
    let mut builder = Builder {
        labels: LabelsRef(labels),
        finished: spares.finished,
        spare_paragraph: spares.paragraph,
        spare_items: spares.items,
        ..Builder::default()
    };
    let (cuts, definitions) = pieces(&body, piece);
    let mut line = first_line;
    let last = cuts.len().saturating_sub(1);
    for (n, range) in cuts.into_iter().enumerate() {
        let Some(text) = body.get(range) else {
            continue;
        };
        // Link reference definitions hold for the whole note: each piece gets them all.
        let text: Cow<str> = match &definitions {
            Some(definitions) => format!("{text}\n\n{definitions}").into(),
            None => text.into(),
        };
        parse_piece(&text, line, &mut builder, resolve);
        // Counted only for a piece after it (most notes are one piece).
        if n < last {
            line += body_lines(&text, definitions.as_deref());
        }
    }
    builder.flush_paragraph();
    builder.finish()
}

/// Lines of a piece, without the definitions appended to it.
fn body_lines(text: &str, definitions: Option<&str>) -> usize {
    let own = match definitions {
        Some(definitions) => text.len().saturating_sub(definitions.len() + 2),
        None => text.len(),
    };
    text.as_bytes()[..own.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn parse_piece(body: &str, first_line: usize, builder: &mut Builder<'_>, resolve: Resolve<'_>) {
    let lines = LineIndex::new(body, first_line);
    // Source before this is a callout's `[!type]±` marker (or its whole line), not text.
    let mut skip_to = 0;
    for (mut event, range) in Parser::new_ext(body, OPTIONS).into_offset_iter() {
        let at = At {
            lines: &lines,
            offset: range.start,
            source: body.get(range.clone()).unwrap_or_default(),
            escaped: (body.as_bytes()[..range.start.min(body.len())].iter().rev())
                .take_while(|&&b| b == b'\\')
                .count()
                % 2
                == 1,
        };
        if range.start < skip_to && !matches!(event, Event::Start(_) | Event::End(_)) {
            match (&event, body.get(skip_to..range.end)) {
                (Event::Text(_), Some(rest)) if range.end > skip_to => event = Event::Text(rest.into()),
                _ => continue,
            }
        }
        if matches!(event, Event::Start(Tag::Paragraph)) && builder.quote_opened {
            builder.quote_opened = false;
            if let Some(callout) = callout(body, &range) {
                builder.flush_paragraph();
                if let Some(is_callout) = builder.quotes.last_mut() {
                    *is_callout = true;
                }
                match callout {
                    Callout::Untitled { kind, line_end } => {
                        // The kind is the title (`**Note**`), the body going on after it.
                        builder.event(event, at, resolve);
                        builder.callout_title = true;
                        let inline = builder.inline();
                        inline.plain.push_str(&kind);
                        inline.markdown.push_str("**");
                        escape_into(&mut inline.markdown, &kind);
                        skip_to = line_end;
                        continue;
                    }
                    Callout::Titled { marker_end } => {
                        // The rest of the line is the title, inline markup and all.
                        builder.event(event, at, resolve);
                        builder.callout_title = true;
                        builder.inline().markdown.push_str("**");
                        skip_to = marker_end;
                        continue;
                    }
                }
            }
        }
        builder.event(event, at, resolve);
    }
}

enum Callout {
    /// `[!tip]` alone: the type is the title; the line ends at `line_end`.
    Untitled { kind: String, line_end: usize },
    /// `[!info]- Title`: the title starts at `marker_end`.
    Titled { marker_end: usize },
}

/// A callout's first line, `[!type]± Title`, at the start of a quote's first paragraph.
fn callout(body: &str, range: &Range<usize>) -> Option<Callout> {
    let text = body.get(range.clone())?;
    let line = text.split('\n').next()?;
    let rest = line.trim_start().strip_prefix("[!")?;
    let (kind, title) = rest.split_once(']')?;
    if kind.is_empty() || !kind.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        return None;
    }
    let title = title.trim_start_matches(['+', '-']).trim_start();
    if title.trim().is_empty() {
        let mut chars = kind.chars();
        let kind = chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        return Some(Callout::Untitled {
            kind,
            line_end: range.start + line.len(),
        });
    }
    Some(Callout::Titled {
        marker_end: range.start + line.len() - title.len(),
    })
}

/// How a heading written inside a list item or a quote is read ([`Builder::heading_as_text`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum HeadingAsText {
    ItemText,
    Bold,
}

/// Maps byte offsets to 1-based file lines.
struct LineIndex {
    starts: Vec<usize>,
    first_line: usize,
}

impl LineIndex {
    fn new(text: &str, first_line: usize) -> Self {
        // memchr's vector search: `match_indices` went a word at a time, per note.
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1))
            .collect();
        LineIndex { starts, first_line }
    }

    fn line(&self, offset: usize) -> usize {
        let index = self.starts.partition_point(|&start| start <= offset);
        self.first_line + index.saturating_sub(1)
    }
}

/// Where an event starts: its line is looked up only for the few events that keep it
/// (a binary search for each event was ~1% of a load).
#[derive(Clone, Copy)]
struct At<'a> {
    lines: &'a LineIndex,
    offset: usize,
    /// The event's source text.
    source: &'a str,
    /// Whether a backslash escapes the event's first character.
    escaped: bool,
}

impl At<'_> {
    fn line(self) -> usize {
        self.lines.line(self.offset)
    }
}

/// A list item not ended yet.
struct OpenItem {
    marker: Marker,
    plain: String,
    markdown: String,
    /// Items finished under it so far.
    children: usize,
    /// Where the items under it start in the section's finished items.
    first: usize,
}

impl OpenItem {
    fn capacity_bytes(&self) -> usize {
        self.plain.capacity() + self.markdown.capacity() + std::mem::size_of::<OpenItem>()
    }
}

#[derive(Default)]
struct Heading {
    level: u8,
    line: usize,
    inline: Inline,
}

#[derive(Default)]
struct Draft {
    level: u8,
    title: String,
    url: Option<String>,
    line: usize,
    /// Packed when the next heading starts (or the note ends).
    items: Items,
    links: Vec<Link>,
}

/// The labels a note is parsed with, borrowed (a note's parse copied them, a few
/// allocations each, noticeable over many small notes).
#[derive(Clone, Copy)]
struct LabelsRef<'l>(&'l Labels);

impl Default for LabelsRef<'_> {
    fn default() -> Self {
        static NONE: Labels = Labels {
            core: Vec::new(),
            context: Vec::new(),
        };
        LabelsRef(&NONE)
    }
}

/// A parse's buffers, left on its thread for the next note's: most notes are small, and
/// growing them anew for each was a tenth of loading a folder of one-section notes.
#[derive(Default)]
struct Spares {
    /// Empty (packed into the last section).
    finished: FinishedItems,
    paragraph: Inline,
    items: Vec<OpenItem>,
}

/// Spares of more bytes than this (one huge note's) are dropped, not kept for good.
const KEPT_SPARES: usize = 1 << 16;

thread_local! {
    static SPARES: std::cell::RefCell<Spares> = std::cell::RefCell::default();
}

impl Spares {
    /// The thread's spares (fresh ones when there are none).
    fn take() -> Spares {
        SPARES
            .try_with(|spares| {
                spares
                    .try_borrow_mut()
                    .map(|mut spares| std::mem::take(&mut *spares))
            })
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// Leaves these for the next parse on the thread, unless they grew too big.
    fn keep(mut self) {
        self.finished.truncate(0);
        self.paragraph.clear();
        self.items.truncate(MAX_NESTING);
        let bytes = self.finished.capacity_bytes()
            + self.paragraph.capacity_bytes()
            + self.items.iter().map(OpenItem::capacity_bytes).sum::<usize>();
        if bytes <= KEPT_SPARES {
            let _ = SPARES.try_with(|spares| {
                if let Ok(mut spares) = spares.try_borrow_mut() {
                    *spares = self;
                }
            });
        }
    }
}

#[derive(Default)]
struct Builder<'l> {
    labels: LabelsRef<'l>,
    drafts: Vec<Draft>,
    preamble: Items,
    preamble_links: Vec<Link>,
    warnings: Vec<Warning>,
    heading: Option<Heading>,
    paragraph: Option<Inline>,
    /// The last paragraph's buffers, for the next.
    spare_paragraph: Inline,
    /// The items finished in the current section (or before the first heading).
    finished: FinishedItems,
    /// Open list items, innermost last; never more than `MAX_NESTING`.
    items: Vec<OpenItem>,
    /// Ended items' buffers, for the next ones.
    spare_items: Vec<OpenItem>,
    /// Items opened below `MAX_NESTING` whose end has not come yet.
    flattened: usize,
    warned_nesting: bool,
    /// Next number of each open list (None for bullets).
    lists: Vec<Option<u64>>,
    /// Inside a heading written in a list item or a quote, read as text: an item's, or a
    /// line of the quote in bold.
    heading_as_text: Option<HeadingAsText>,
    table_row: Option<Vec<String>>,
    /// The next row read begins a table (a table's header row may be empty, and left out).
    table_begins: bool,
    /// HTML tables open, the outermost and those nested in its cells (`<table>` read, its
    /// `</table>` not yet): a blank line ends an HTML block, not the table it is in, and a
    /// table nested in a cell is that cell's text.
    html_tables: usize,
    code_block: Option<String>,
    /// The open code block's language (`rust` of ```` ```rust ````), for Discord's highlighting.
    code_language: String,
    /// The source of the HTML block being read, and the line it begins on.
    html_block: Option<String>,
    html_line: usize,
    /// Links and emphasis opened by HTML (`<a href>`, `<b>`) in the inline being collected,
    /// unclosed, innermost last.
    html_open: Vec<HtmlOpen>,
    /// Inside `<script>`, `<style>`… written in a paragraph (its tags come one by one): the
    /// element whose closing tag, or the end of the paragraph or cell, shows text again.
    html_hidden: Option<&'static str>,
    /// Markdown's inline elements open (emphasis, links), innermost last.
    inlines: Vec<InlineOpen>,
    /// For each open quote, innermost last: whether it is a callout (a plain quote's lines
    /// are shown quoted, `> `; a callout's are its title's body).
    quotes: Vec<bool>,
    /// A quote just opened: its first paragraph may be a callout's title.
    quote_opened: bool,
    /// A callout's title is being written, in bold, up to the end of its line.
    callout_title: bool,
    /// For each open link or image: (whether its text is hidden — an embed, or a wikilink
    /// whose text was written from its target; whether it opened a link in the inline).
    open: Vec<(bool, bool)>,
    hidden: usize,
    tags: Vec<String>,
    /// `tags`, ASCII-lowercased: a tag is added once, looked up here rather than in the
    /// list (100,000 distinct tags in a note took 47 s by the list).
    tags_seen: FxHashSet<String>,
    /// The line of the heading past [`MAX_SECTIONS`], where the note stops being read.
    cut_at: Option<usize>,
    /// Headings without text, and the line of the first not warned of by itself.
    untitled: usize,
    first_unlisted: usize,
}

/// One of markdown's inline elements open (emphasis, a link).
#[derive(Debug, Clone, Copy)]
struct InlineOpen {
    kind: TagEnd,
    /// Left out, opened inside hidden HTML.
    hidden: bool,
    /// Inside the same emphasis already (`<b>**x**</b>`, bold in a callout's bold title):
    /// its marks are not written again.
    unmarked: bool,
}

/// The mark markdown writes for an emphasis.
fn mark_of(kind: TagEnd) -> Option<&'static str> {
    match kind {
        TagEnd::Emphasis => Some("*"),
        TagEnd::Strong => Some("**"),
        TagEnd::Strikethrough => Some("~~"),
        _ => None,
    }
}

/// Elements HTML may hold open in an inline at once.
const MAX_HTML_OPEN: usize = 16;

/// An element HTML opened in an inline, not yet closed, and how many of markdown's inline
/// elements were open then: it ends before any of those does (`[x <b>y](u) z</b>` is
/// `[x **y**](u) z`), and its end inside another is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HtmlOpen {
    Link {
        depth: usize,
    },
    /// Emphasis: its markdown mark (`**`), written at `at` of the inline's markdown (`None`:
    /// not written, inside the same emphasis).
    Mark {
        mark: &'static str,
        at: Option<usize>,
        depth: usize,
    },
}

impl HtmlOpen {
    fn depth(self) -> usize {
        match self {
            HtmlOpen::Link { depth } | HtmlOpen::Mark { depth, .. } => depth,
        }
    }
}

impl Builder<'_> {
    fn event(&mut self, event: Event<'_>, at: At<'_>, resolve: Resolve<'_>) {
        if self.cut_at.is_some() {
            return;
        }
        if self.hidden > 0 && !matches!(event, Event::Start(_) | Event::End(_)) {
            return;
        }
        match &event {
            Event::Text(_) | Event::Code(_) | Event::InlineMath(_) | Event::DisplayMath(_)
                if self.html_hidden.is_some() =>
            {
                return;
            }
            Event::Start(tag) if is_inline(tag.to_end()) => {
                let kind = tag.to_end();
                let hidden = self.html_hidden.is_some();
                // Bold in a callout's title (`> [!tip] **Further reading**: …`) would be
                // bold in bold, which Discord shows as `****`.
                let unmarked =
                    mark_of(kind).is_some_and(|mark| self.html_marked(mark) || (mark == "**" && self.bold()));
                self.inlines.push(InlineOpen {
                    kind,
                    hidden,
                    unmarked,
                });
                if hidden || unmarked {
                    return;
                }
            }
            Event::End(tag) if is_inline(*tag) => {
                let open = self.inlines.pop();
                if open.is_some_and(|open| open.hidden) {
                    return;
                }
                let depth = self.inlines.len();
                if let Some(inside) = self.html_open.iter().position(|open| open.depth() > depth) {
                    self.close_html_from(inside);
                }
                if open.is_some_and(|open| open.unmarked) {
                    return;
                }
            }
            // An unclosed `<script>` hides no more than its paragraph, item or cell.
            Event::Start(_) | Event::End(_) => self.html_hidden = None,
            _ => {}
        }
        if self.callout_title
            && matches!(
                event,
                Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph)
            )
        {
            self.callout_title = false;
            self.close_html();
            let inline = self.inline();
            inline.markdown.truncate(inline.markdown.trim_end().len());
            inline.mark("**");
            if matches!(event, Event::End(_)) {
                self.flush_paragraph();
            } else {
                // The body's first lines go on in the title's point: moved to the top of
                // an answer, they take their title along (`**Important** — CloudFlare is…`).
                inline.markdown.push_str(" —");
                inline.plain.push_str(" —");
            }
        }
        match event {
            Event::Start(tag) => self.start(tag, at, resolve),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some(code) = self.code_block.as_mut() {
                    code.push_str(&text);
                } else {
                    // A block id ends a line after a space; a text that starts with `^` right
                    // after other text (`[^1]`, a footnote's reference, comes as `[`, `^1`,
                    // `]`) is no id, and shows as written.
                    let glued = text.starts_with('^')
                        && (self.inline().markdown.chars().next_back()).is_some_and(|c| !c.is_whitespace());
                    let text = if glued { &text } else { strip_block_id(&text) };
                    collect_tags(text, &mut self.tags, &mut self.tags_seen);
                    if text == "*" && at.source == "*" && !at.escaped {
                        self.inline().unpaired_star();
                    } else {
                        // Only a highlight (`==x==`) asks: it is written bold unless in bold.
                        let bold = text.contains("==") && self.bold();
                        self.inline().text_with_highlights(text, bold);
                    }
                }
            }
            Event::Code(code) => self.inline().code(&code),
            Event::InlineMath(math) | Event::DisplayMath(math) => self.inline().code(&math),
            Event::SoftBreak | Event::HardBreak => self.inline().space(),
            Event::TaskListMarker(done) => self.inline().text(if done { "☑ " } else { "☐ " }),
            Event::Html(html) => {
                if let Some(block) = self.html_block.as_mut() {
                    block.push_str(&html);
                }
            }
            Event::InlineHtml(html) => self.inline_html(&html),
            Event::FootnoteReference(_) | Event::Rule => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, at: At<'_>, resolve: Resolve<'_>) {
        match tag {
            // A heading in a list item (`- # text`) is that item's text, as Obsidian shows
            // it: taken for a section, it ended the list and took the items after it.
            Tag::Heading { .. } if !self.items.is_empty() => {
                self.flush_paragraph();
                self.heading_as_text = Some(HeadingAsText::ItemText);
            }
            // A heading in a quote (`> # 外部环境`, a questionnaire quoted in a diary entry)
            // is a line of the quote: taken for a section, it cut the entry short and made
            // sections of the quote's parts.
            Tag::Heading { .. } if !self.quotes.is_empty() => {
                self.flush_paragraph();
                self.inline().markdown.push_str("**");
                self.heading_as_text = Some(HeadingAsText::Bold);
            }
            Tag::Heading { level, .. } => {
                self.close_blocks();
                self.heading = Some(Heading {
                    level: heading_level(level),
                    line: at.line(),
                    inline: Inline::default(),
                });
            }
            Tag::Paragraph => self.flush_paragraph(),
            Tag::List(start) => {
                self.flush_paragraph();
                self.lists.push(start);
            }
            Tag::Item => self.open_item(at.line()),
            Tag::Link {
                link_type: LinkType::WikiLink { has_pothole },
                dest_url,
                ..
            } => {
                let url = resolve(&dest_url).unwrap_or_default();
                self.inline().open_link(&url);
                if !has_pothole {
                    self.inline().text(&wikilink_text(&dest_url));
                }
                self.open(!has_pothole, true);
            }
            Tag::Image {
                link_type: LinkType::WikiLink { .. },
                dest_url,
                ..
            } => {
                // An embed: an image shows nothing; a note, a heading or a file shows its
                // name, linked as `[[…]]` is (Discord cannot show it in place).
                let file = dest_url.split('#').next().unwrap_or_default();
                if is_image(file) {
                    self.open(true, false);
                } else {
                    let url = resolve(&dest_url).unwrap_or_default();
                    self.inline().open_link(&url);
                    self.inline().text(&wikilink_text(&dest_url));
                    self.open(true, true);
                }
            }
            Tag::Link { dest_url, .. } => {
                self.inline().open_link(&dest_url);
                self.open(false, true);
            }
            // An image inside a link (a badge) is that link's text: Discord nests no links.
            Tag::Image { .. } if !self.inline().open_links.is_empty() => self.open(false, false),
            Tag::Image { dest_url, .. } => {
                self.inline().open_link(&dest_url);
                self.open(false, true);
            }
            Tag::Emphasis => self.inline().mark("*"),
            Tag::Strong => self.inline().mark("**"),
            Tag::Strikethrough => self.inline().mark("~~"),
            Tag::CodeBlock(kind) => {
                self.flush_paragraph();
                self.code_block = Some(String::new());
                self.code_language.clear();
                if let CodeBlockKind::Fenced(info) = kind {
                    self.code_language.push_str(code_language(&info));
                }
            }
            Tag::BlockQuote(_) => {
                self.flush_paragraph();
                self.quotes.push(false);
                self.quote_opened = true;
            }
            Tag::Table(_) => self.table_begins = true,
            Tag::TableRow | Tag::TableHead => {
                self.flush_paragraph();
                self.table_row = Some(Vec::new());
            }
            Tag::TableCell => self.paragraph = Some(Inline::default()),
            Tag::HtmlBlock => {
                self.flush_paragraph();
                self.html_block = Some(String::new());
                self.html_line = at.line();
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) if self.heading_as_text.is_some() => {
                if self.heading_as_text.take() == Some(HeadingAsText::Bold) {
                    self.close_html();
                    let inline = self.inline();
                    inline.markdown.truncate(inline.markdown.trim_end().len());
                    if inline.markdown.ends_with("**") && inline.plain.trim().is_empty() {
                        inline.markdown.truncate(inline.markdown.len() - 2);
                    } else {
                        inline.mark("**");
                    }
                }
                self.flush_paragraph();
            }
            TagEnd::Heading(_) => self.close_heading(),
            TagEnd::Paragraph => self.flush_paragraph(),
            TagEnd::List(_) => {
                self.flush_paragraph();
                self.lists.pop();
            }
            TagEnd::Item => {
                self.flush_paragraph();
                if self.flattened > 0 {
                    // The end of an item already closed; the open one takes what follows.
                    self.flattened -= 1;
                } else if let Some(item) = self.items.pop() {
                    self.finish_item(item);
                }
            }
            TagEnd::Link | TagEnd::Image => {
                let (hides, linked) = self.open.pop().unwrap_or((false, false));
                if hides {
                    self.hidden = self.hidden.saturating_sub(1);
                }
                if linked {
                    self.inline().close_link();
                }
            }
            TagEnd::Emphasis => self.inline().mark("*"),
            TagEnd::Strong => self.inline().mark("**"),
            TagEnd::Strikethrough => self.inline().mark("~~"),
            TagEnd::CodeBlock => {
                if let Some(code) = self.code_block.take() {
                    let language = std::mem::take(&mut self.code_language);
                    self.push_code(&code, &language);
                    self.code_language = language;
                }
            }
            // Rows after it (an HTML block's) are another table's.
            TagEnd::Table => self.table_begins = true,
            TagEnd::BlockQuote(_) => {
                self.flush_paragraph();
                self.quotes.pop();
            }
            TagEnd::TableCell => {
                self.close_html();
                // An empty cell has no paragraph, and still holds its column's place.
                let mut cell = self.paragraph.take();
                if let Some(cell) = cell.as_mut() {
                    cell.settle_stars();
                }
                if let Some(row) = self.table_row.as_mut() {
                    row.push(
                        cell.as_ref()
                            .map_or_else(String::new, |c| c.markdown.trim().to_string()),
                    );
                }
                if let Some(cell) = cell {
                    self.section_links().extend(cell.links);
                }
            }
            TagEnd::HtmlBlock => {
                if let Some(source) = self.html_block.take() {
                    self.html(&source);
                }
            }
            TagEnd::TableRow | TagEnd::TableHead => {
                if let Some(mut row) = self.table_row.take() {
                    // Empty cells after the last value hold nothing's place.
                    while row.last().is_some_and(String::is_empty) {
                        row.pop();
                    }
                    if !row.is_empty() {
                        let cells: Vec<&str> = (row.iter())
                            .map(|cell| if cell.is_empty() { "—" } else { cell.as_str() })
                            .collect();
                        let plain = unescape_markdown(&cells.join(" | "));
                        // The header row in bold, as the note's renderer shows it (a cell
                        // with emphasis of its own as it is: `**` would pair with its marks).
                        let (marker, markdown) = if tag == TagEnd::TableHead {
                            let bold = |cell: &&str| match has_emphasis(cell) || *cell == "—" {
                                true => cell.to_string(),
                                false => format!("**{cell}**"),
                            };
                            let markdown = cells.iter().map(bold).collect::<Vec<_>>().join(" | ");
                            (Marker::TableHeader, markdown)
                        } else {
                            let first = self.table_begins;
                            (Marker::TableRow { first }, cells.join(" | "))
                        };
                        self.table_begins = false;
                        self.push_line(marker, &plain, &markdown);
                    }
                }
            }
            _ => {}
        }
    }

    /// A code block: its text as written, fenced with its language.
    fn push_code(&mut self, code: &str, language: &str) {
        let code = code.trim_end();
        if !code.trim().is_empty() {
            let markdown = format!("```{language}\n{}\n```", without_fences(code));
            self.push_plain(&collapse_spaces(code.to_string()), &markdown);
        }
    }

    /// A list item begins (`line`: where, for a warning).
    fn open_item(&mut self, line: usize) {
        self.flush_paragraph();
        let marker = match self.lists.last_mut() {
            Some(Some(number)) => {
                let marker = Marker::Number(*number);
                *number = number.saturating_add(1);
                marker
            }
            _ => Marker::Bullet,
        };
        if self.items.len() >= MAX_NESTING {
            // Too deep: the new item becomes the next sibling of the deepest one.
            if let Some(item) = self.items.pop() {
                self.finish_item(item);
            }
            if !self.warned_nesting {
                self.warned_nesting = true;
                self.warnings.push(Warning {
                    line,
                    message: format!(
                        "lists nested deeper than {MAX_NESTING} levels; deeper items are shown at level {MAX_NESTING}"
                    ),
                });
            }
            self.flattened += 1;
        }
        let first = self.finished.next();
        let item = match self.spare_items.pop() {
            Some(spare) => OpenItem {
                marker,
                first,
                ..spare
            },
            None => OpenItem {
                marker,
                plain: String::new(),
                markdown: String::new(),
                children: 0,
                first,
            },
        };
        self.items.push(item);
    }

    /// An HTML block's text, table rows and links, as the note shows them ([`html`]).
    fn html(&mut self, source: &str) {
        let mut cell = false;
        // Whether every cell of the open row is a header's (`<th>`): the row is the header.
        let mut headers = true;
        // In a `<pre>`: its language and its text so far.
        let mut pre: Option<(String, String)> = None;
        // The block's open lists, innermost last: whether an item of each is open. Only
        // what the block opened is closed: it may stand in a markdown list item.
        let mut lists: Vec<bool> = Vec::new();
        for piece in html::read(source) {
            if let Some((language, code)) = pre.as_mut() {
                match piece {
                    Html::Text(text) => code.push_str(&text),
                    Html::Break | Html::TableStart | Html::TableEnd => code.push('\n'),
                    Html::Language(name) => *language = code_language(name).to_string(),
                    Html::PreEnd => {
                        // As in a browser, a line break right after `<pre>` is not shown.
                        let (language, code) = pre.take().unwrap_or_default();
                        let code = code
                            .strip_prefix("\r\n")
                            .or(code.strip_prefix('\n'))
                            .unwrap_or(&code);
                        self.push_code(code, &language);
                    }
                    _ => {}
                }
                continue;
            }
            let in_row = self.table_row.is_some();
            // Only the outermost table's edges end one table and begin the next; a table
            // nested in its cell is the cell's text, its edges, rows and cells spaces.
            let piece = match piece {
                Html::RowStart | Html::RowEnd | Html::CellStart { .. } | Html::CellEnd
                    if self.html_tables > 1 =>
                {
                    Html::Break
                }
                // Nested only in a cell: one outside a cell begins a table (the one before
                // it left unclosed).
                Html::TableStart if cell && self.html_tables > 0 => {
                    self.html_tables = self.html_tables.saturating_add(1);
                    Html::Break
                }
                Html::TableStart => {
                    self.html_tables = 1;
                    piece
                }
                Html::TableEnd => {
                    let outermost = self.html_tables <= 1;
                    self.html_tables = self.html_tables.saturating_sub(1);
                    if outermost { piece } else { Html::Break }
                }
                piece => piece,
            };
            match piece {
                Html::PreStart if !in_row => {
                    self.flush_paragraph();
                    pre = Some(Default::default());
                }
                Html::PreStart | Html::PreEnd | Html::Language(_) => {}
                // A `<pre>` in a cell is the cell's text, on one line.
                Html::Text(text) if (!in_row || cell) && text.contains('\n') => {
                    self.inline().text(&collapse_spaces(text.into_owned()));
                }
                // Text in a row is a cell's; between cells it is only the source's layout.
                Html::Text(text) if !in_row || cell => self.inline().text(&text),
                Html::Text(_) => {}
                Html::Break if cell => self.inline().space(),
                // Flushed, a paragraph closes what HTML opened in it.
                Html::Break => self.flush_paragraph(),
                // Lists in a cell are the cell's text, on one line.
                Html::ListStart { .. } | Html::ListEnd | Html::ItemStart | Html::ItemEnd if in_row => {
                    if cell {
                        self.inline().space();
                    }
                }
                Html::ListStart { ordered } => {
                    self.flush_paragraph();
                    self.lists.push(ordered.then_some(1));
                    lists.push(false);
                }
                Html::ItemStart => {
                    self.close_html();
                    match lists.last_mut() {
                        Some(open) => {
                            // A new item ends the one open, as in a browser.
                            if std::mem::replace(open, true) {
                                self.end(TagEnd::Item);
                            }
                            self.open_item(self.html_line);
                        }
                        // A stray `<li>` begins a line.
                        None => self.flush_paragraph(),
                    }
                }
                Html::ItemEnd | Html::ListEnd => {
                    self.close_html();
                    match lists.last_mut() {
                        Some(open) if *open => {
                            *open = false;
                            self.end(TagEnd::Item);
                        }
                        _ => self.flush_paragraph(),
                    }
                    if piece == Html::ListEnd && lists.pop().is_some() {
                        self.end(TagEnd::List(false));
                    }
                }
                Html::RowStart | Html::RowEnd | Html::TableStart | Html::TableEnd => {
                    self.close_html();
                    if std::mem::take(&mut cell) {
                        self.end(TagEnd::TableCell);
                    }
                    if in_row {
                        self.end(if headers {
                            TagEnd::TableHead
                        } else {
                            TagEnd::TableRow
                        });
                    }
                    match piece {
                        Html::RowStart => {
                            self.flush_paragraph();
                            self.table_row = Some(Vec::new());
                            headers = true;
                        }
                        Html::TableStart | Html::TableEnd => {
                            self.flush_paragraph();
                            self.table_begins = true;
                        }
                        _ => {}
                    }
                }
                Html::CellStart { .. } | Html::CellEnd if in_row => {
                    self.close_html();
                    if std::mem::take(&mut cell) {
                        self.end(TagEnd::TableCell);
                    }
                    if let Html::CellStart { header } = piece {
                        self.paragraph = Some(Inline::default());
                        cell = true;
                        headers &= header;
                    }
                }
                Html::CellStart { .. } | Html::CellEnd => {}
                Html::Link(url) if !in_row || cell => self.open_html_link(&url),
                Html::LinkEnd => self.close_html_link(),
                Html::Embed { url, text } if !in_row || cell => self.embed(&url, &text),
                Html::Mark { mark, closing: false } if !in_row || cell => self.open_html_mark(mark),
                Html::Mark { mark, closing: true } => self.close_html_mark(mark),
                Html::Link(_) | Html::Embed { .. } | Html::Mark { .. } => {}
            }
        }
        self.close_html();
        if cell {
            self.end(TagEnd::TableCell);
        }
        for open in lists.into_iter().rev() {
            if open {
                self.end(TagEnd::Item);
            }
            self.end(TagEnd::List(false));
        }
        if self.table_row.is_some() {
            self.end(if headers {
                TagEnd::TableHead
            } else {
                TagEnd::TableRow
            });
        }
        self.flush_paragraph();
    }

    /// A tag in a paragraph: a line break (as table cells hold them: `…vault.<p/>Example:`)
    /// is a space, a link or an image is linked; any other is left out, its text kept.
    fn inline_html(&mut self, tag: &str) {
        if let Some((element, opens)) = html::hides(tag) {
            match self.html_hidden {
                None if opens => self.html_hidden = Some(element),
                Some(hidden) if !opens && hidden == element => self.html_hidden = None,
                _ => {}
            }
            return;
        }
        if self.html_hidden.is_some() {
            return;
        }
        for piece in html::read(tag) {
            match piece {
                Html::Break | Html::TableStart | Html::TableEnd => self.inline().space(),
                Html::Embed { url, text } => self.embed(&url, &text),
                Html::Link(url) => self.open_html_link(&url),
                Html::LinkEnd => self.close_html_link(),
                Html::Mark { mark, closing: false } => self.open_html_mark(mark),
                Html::Mark { mark, closing: true } => self.close_html_mark(mark),
                Html::ListStart { .. } | Html::ListEnd | Html::ItemStart | Html::ItemEnd => {
                    self.inline().space()
                }
                _ => {}
            }
        }
    }

    /// `<a href>`: an `<a>` inside another ends it, as in a browser.
    fn open_html_link(&mut self, url: &str) {
        self.close_html_link();
        self.inline().open_link(url);
        let depth = self.inlines.len();
        self.html_open.push(HtmlOpen::Link { depth });
    }

    /// `</a>`: the open link ends, and emphasis opened inside it.
    fn close_html_link(&mut self) {
        let depth = self.inlines.len();
        let link = |open: &HtmlOpen| matches!(open, HtmlOpen::Link { .. });
        if let Some(link) = self.html_open.iter().rposition(link)
            && self.html_open[link].depth() == depth
        {
            self.close_html_from(link);
        }
    }

    /// `<b>`, `<em>`…: emphasis as markdown writes it; past [`MAX_HTML_OPEN`] open, left out
    /// (each end looks for its start among them). Inside the same emphasis (`<b><b>`,
    /// `**<b>`, a callout's bold title) it writes no marks: Discord has no bold in bold, and
    /// read `****x****` as other marks.
    fn open_html_mark(&mut self, mark: &'static str) {
        if self.html_open.len() >= MAX_HTML_OPEN {
            return;
        }
        let inside_same = self.html_marked(mark)
            || (self.inlines.iter()).any(|open| !open.unmarked && mark_of(open.kind) == Some(mark))
            || (mark == "**" && self.bold());
        let at = match inside_same {
            true => None,
            false => Some(self.inline().open_mark(mark)),
        };
        let depth = self.inlines.len();
        self.html_open.push(HtmlOpen::Mark { mark, at, depth });
    }

    /// Whether HTML has written `mark` and not closed it.
    fn html_marked(&self, mark: &str) -> bool {
        (self.html_open.iter())
            .any(|open| matches!(open, HtmlOpen::Mark { mark: m, at: Some(_), .. } if *m == mark))
    }

    /// Whether the text written now is bold already: in a callout's title, a heading in a
    /// quote, or bold HTML or markdown opened.
    fn bold(&self) -> bool {
        self.callout_title
            || self.heading_as_text == Some(HeadingAsText::Bold)
            || self.html_marked("**")
            || (self.inlines.iter()).any(|open| open.kind == TagEnd::Strong && !open.unmarked)
    }

    /// `</b>`: the innermost open `<b>` inside the open link, if any, ends, and what was
    /// opened inside it; one opened outside markdown's emphasis or link this end is in, or
    /// none, is left out.
    fn close_html_mark(&mut self, mark: &'static str) {
        let depth = self.inlines.len();
        let opened = (self.html_open.iter().enumerate().rev())
            .take_while(|(_, open)| !matches!(open, HtmlOpen::Link { .. }) && open.depth() == depth)
            .find(|(_, open)| matches!(open, HtmlOpen::Mark { mark: m, .. } if *m == mark));
        if let Some((n, _)) = opened {
            self.close_html_from(n);
        }
    }

    /// Links and emphasis HTML opened and did not close, closed before their inline is
    /// finished: markdown of the line after them stays as written.
    fn close_html(&mut self) {
        self.close_html_from(0);
    }

    /// What HTML opened from the `from`th open element on, closed, innermost first.
    fn close_html_from(&mut self, from: usize) {
        while self.html_open.len() > from {
            match self.html_open.pop() {
                Some(HtmlOpen::Link { .. }) => self.inline().close_link(),
                Some(HtmlOpen::Mark { mark, at, .. }) => {
                    if let Some(at) = at {
                        self.inline().close_mark(mark, at);
                    }
                }
                None => break,
            }
        }
    }

    /// An image or frame written in HTML: linked by its address, as markdown's images are;
    /// inside a link, that link's text.
    fn embed(&mut self, url: &str, text: &str) {
        let inline = self.inline();
        if inline.open_links.is_empty() {
            inline.open_link(url);
            inline.text(text);
            inline.close_link();
        } else {
            inline.text(text);
        }
    }

    /// Where inline content goes now: the heading, or the open paragraph (opened lazily,
    /// since tight list items carry text without a paragraph).
    fn open(&mut self, hides: bool, linked: bool) {
        self.open.push((hides, linked));
        if hides {
            self.hidden += 1;
        }
    }

    fn inline(&mut self) -> &mut Inline {
        if let Some(heading) = self.heading.as_mut() {
            return &mut heading.inline;
        }
        let spare = &mut self.spare_paragraph;
        self.paragraph.get_or_insert_with(|| std::mem::take(spare))
    }

    fn flush_paragraph(&mut self) {
        if self.table_row.is_some() {
            return;
        }
        if self.paragraph.is_some() {
            self.close_html();
        }
        let Some(mut paragraph) = self.paragraph.take() else {
            return;
        };
        if !paragraph.is_empty() {
            let links = std::mem::take(&mut paragraph.links);
            self.section_links().extend(links);
            let (plain, markdown) = paragraph.finished_text();
            match self.items.last_mut() {
                Some(item) if item.plain.is_empty() && item.children == 0 => {
                    item.plain.push_str(plain);
                    item.markdown.clear();
                    item.markdown.push_str(markdown);
                }
                Some(item) if item.children == 0 => {
                    item.plain.push(' ');
                    item.plain.push_str(plain);
                    item.markdown.push(' ');
                    item.markdown.push_str(markdown);
                }
                _ => self.push_plain(plain, markdown),
            }
        }
        paragraph.clear();
        self.spare_paragraph = paragraph;
    }

    fn push_plain(&mut self, plain: &str, markdown: &str) {
        self.push_line(Marker::Plain, plain, markdown);
    }

    /// A line with no list marker of its own: a paragraph, a code block or a table's row.
    fn push_line(&mut self, marker: Marker, plain: &str, markdown: &str) {
        let first = self.finished.next();
        // A quote's line, quoted as the note does: not in a list, where `> ` would not
        // start the line Discord reads, nor a code block, whose fences show it apart (and
        // which a page may split, opening its fence again).
        let quoted;
        let quotes = self.quotes.last() == Some(&false) && self.items.is_empty();
        let markdown = if quotes && !markdown.contains('\n') {
            quoted = format!("> {markdown}");
            &quoted
        } else {
            markdown
        };
        self.finished.push(marker, plain, markdown, 0, first);
        self.attach(1);
    }

    /// Adds an ended item to the section's finished items, its buffers kept for the next.
    fn finish_item(&mut self, mut item: OpenItem) {
        if item.marker == Marker::Bullet && item.children > 0 && item.plain.trim().is_empty() {
            // A bullet with nothing of its own before what it holds (`- ` over a code
            // block) showed as an empty `- ` line: what it holds takes its place.
            self.attach(item.children);
        } else {
            self.finished.push(
                item.marker,
                &item.plain,
                &item.markdown,
                item.children,
                item.first,
            );
            self.attach(1);
        }
        item.plain.clear();
        item.markdown.clear();
        item.children = 0;
        self.spare_items.push(item);
    }

    /// Attaches the `count` items just finished side by side (their items start at
    /// `first`) to their parent item, else to their section or the preamble.
    fn attach(&mut self, count: usize) {
        if let Some(parent) = self.items.last_mut() {
            parent.children += count;
        }
    }

    /// Packs the finished items into the current section (or the preamble).
    fn seal(&mut self) {
        match self.drafts.last_mut() {
            Some(draft) => {
                let (points, context) = classify(&self.finished, self.labels.0);
                draft.items = self.finished.pack(&points, &context);
            }
            None => {
                let roots = self.finished.roots();
                self.preamble = self.finished.pack(&roots, &[]);
            }
        }
    }

    fn section_links(&mut self) -> &mut Vec<Link> {
        match self.drafts.last_mut() {
            Some(draft) => &mut draft.links,
            None => &mut self.preamble_links,
        }
    }

    fn close_blocks(&mut self) {
        self.flush_paragraph();
        while let Some(item) = self.items.pop() {
            self.finish_item(item);
        }
        self.flattened = 0;
        self.lists.clear();
    }

    fn close_heading(&mut self) {
        if self.heading.is_some() {
            self.close_html();
        }
        let Some(heading) = self.heading.take() else {
            return;
        };
        if self.drafts.len() >= MAX_SECTIONS {
            self.cut_at = Some(heading.line);
            return;
        }
        let url = heading.inline.links.first().map(|link| link.url.clone());
        let (text, _) = heading.inline.into_text();
        let title = if text.plain.is_empty() {
            self.untitled += 1;
            if self.untitled <= MOST_UNTITLED_WARNINGS {
                self.warnings.push(Warning {
                    line: heading.line,
                    message: "heading has no text; named \"Untitled\"".into(),
                });
            } else if self.untitled == MOST_UNTITLED_WARNINGS + 1 {
                self.first_unlisted = heading.line;
            }
            "Untitled".to_string()
        } else {
            text.plain
        };
        self.seal();
        self.drafts.push(Draft {
            level: heading.level,
            title,
            url,
            line: heading.line,
            ..Draft::default()
        });
    }

    fn finish(mut self) -> Body {
        self.close_blocks();
        self.seal();
        if let Some(line) = self.cut_at {
            self.warnings.push(Warning {
                line,
                message: format!(
                    "more than {MAX_SECTIONS} sections; the note is read up to this heading (split it into several notes)"
                ),
            });
        }
        if let Some(more) = self
            .untitled
            .checked_sub(MOST_UNTITLED_WARNINGS)
            .filter(|&n| n > 0)
        {
            self.warnings.push(Warning {
                line: self.first_unlisted,
                message: format!("{more} more headings have no text from here on; each named \"Untitled\""),
            });
        }
        Spares {
            finished: std::mem::take(&mut self.finished),
            paragraph: std::mem::take(&mut self.spare_paragraph),
            items: std::mem::take(&mut self.spare_items),
        }
        .keep();
        let mut sections: Vec<Section> = Vec::with_capacity(self.drafts.len());
        // Open headings above the current one: (level, index).
        let mut open: Vec<(u8, usize)> = Vec::new();
        for draft in self.drafts {
            while open.last().is_some_and(|&(level, _)| level >= draft.level) {
                open.pop();
            }
            let parent = open.last().map(|&(_, index)| index);
            let category = open
                .iter()
                .map(|&(_, index)| sections[index].title.clone())
                .collect();
            open.push((draft.level, sections.len()));
            sections.push(Section {
                level: draft.level,
                title: draft.title,
                url: draft.url,
                category,
                parent,
                line: draft.line,
                items: draft.items,
                links: draft.links,
                id: 0,
            });
        }
        Body {
            sections,
            preamble: self.preamble,
            warnings: self.warnings,
            tags: self.tags,
        }
    }
}

/// Splits a section's top-level items into core points and context.
///
/// A core label's children are core points (a childless label just disappears, so the
/// items after it are the points); a context label's children are context.
/// Whether markdown holds a `*` of emphasis (not one escaped, `\*`): bold around it could
/// pair with it.
fn has_emphasis(markdown: &str) -> bool {
    let mut escaped = false;
    markdown.chars().any(|c| {
        let star = c == '*' && !escaped;
        escaped = c == '\\' && !escaped;
        star
    })
}

fn classify(items: &FinishedItems, labels: &Labels) -> (Vec<usize>, Vec<usize>) {
    let mut points = Vec::new();
    let mut context = Vec::new();
    for item in items.roots() {
        let label = label_of(items.plain(item));
        if matches_label(label, &labels.core) {
            points.extend(items.children(item));
        } else if matches_label(label, &labels.context) {
            let children = items.children(item);
            if children.is_empty() {
                context.push(item);
            } else {
                context.extend(children);
            }
        } else {
            points.push(item);
        }
    }
    (points, context)
}

fn label_of(text: &str) -> &str {
    text.trim().trim_end_matches([':', '：']).trim_end()
}

fn matches_label(label: &str, labels: &[String]) -> bool {
    labels.iter().any(|l| l.eq_ignore_ascii_case(label))
}

/// Whether a tag's end closes inline content (emphasis, a link), not a block.
fn is_inline(tag: TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// What a wikilink without its own text shows: `Note`, `Note › Heading`, `Heading`; block
/// references (`#^id`) and folders are left out.
fn wikilink_text(target: &str) -> String {
    // In a table the `|` before a wikilink's text is escaped: `[[Note\\|text]]`.
    let target = target.trim_end_matches('\\');
    let (note, heading) = target.split_once('#').unwrap_or((target, ""));
    let note = note.rsplit('/').next().unwrap_or(note).trim();
    let heading = heading
        .split('#')
        .rfind(|h| !h.trim().is_empty() && !h.starts_with('^'));
    match heading {
        Some(heading) if note.is_empty() => heading.trim().to_string(),
        Some(heading) => format!("{note} › {}", heading.trim()),
        None => note.to_string(),
    }
}

fn is_image(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "bmp" | "avif" | "tif" | "tiff" | "ico")
    )
}

/// Drops an Obsidian block id (`text ^b15695`) from the end of a line.
fn strip_block_id(text: &str) -> &str {
    let trimmed = text.trim_end();
    // memchr's vector search: every text of every note is looked through (std's `rfind`
    // went a word at a time).
    let Some(at) = memchr::memrchr(b'^', trimmed.as_bytes()) else {
        return text;
    };
    let id = &trimmed[at + 1..];
    let before = &trimmed[..at];
    if !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && (before.is_empty() || before.ends_with(char::is_whitespace))
    {
        before.trim_end()
    } else {
        text
    }
}

/// Adds the `#tags` in `text` (Obsidian's rule: after a space or at the start; letters,
/// digits, `_`, `-`, `/`; not only digits).
fn collect_tags(text: &str, tags: &mut Vec<String>, seen: &mut FxHashSet<String>) {
    let mut rest = text;
    while let Some(at) = memchr::memchr(b'#', rest.as_bytes()) {
        let starts_word = rest[..at].chars().next_back().is_none_or(char::is_whitespace);
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '/')))
            .unwrap_or(after.len());
        let tag = after[..len].trim_end_matches('/');
        if starts_word
            && !tag.is_empty()
            && !tag.chars().all(|c| c.is_ascii_digit())
            && seen.insert(tag.to_ascii_lowercase())
        {
            tags.push(tag.to_string());
        }
        rest = &after[len..];
    }
}

/// The language a fenced block names (` ```rust title="x" `), when Discord can take it as
/// one: a word of letters, digits and `+#.-_` (anything else would show as the block's
/// first line). An info string that names none, or too long a word, gives none.
fn code_language(info: &str) -> &str {
    // `rust,ignore` (rustdoc) and `{.python}` (pandoc) name theirs too.
    let info = info.trim_start().trim_start_matches(['{', '.']);
    let word = (info.split([' ', '\t', ',', '}'])).next().unwrap_or_default();
    let fits = word.len() <= MAX_LANGUAGE && word.bytes().all(is_language_byte);
    if fits { word } else { "" }
}

/// Longer info strings are no language Discord highlights.
pub const MAX_LANGUAGE: usize = 20;

/// Whether a byte may be part of a code block's language (`c++`, `objective-c`, `c#`).
pub fn is_language_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"+#.-_".contains(&byte)
}

/// `code` with every run of three or more backticks held apart by zero-width spaces:
/// Discord ends a code block at the first ```` ``` ```` and has no escape inside one, so a
/// fence shown as code (`` ````md ``, a mermaid example) would close the block. The runs
/// still read as backticks.
fn without_fences(code: &str) -> std::borrow::Cow<'_, str> {
    backticks_apart(code, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A footnote's reference (footnotes are not read) shows as written: its `^1` was taken
    /// for a block id, leaving `[]` in the point.
    #[test]
    fn a_bullet_with_nothing_before_what_it_holds_gives_it_its_place() {
        let points = first_points(
            "## A\n\n- \n  ```sh\n  npm i\n  ```\n- next\n-\n  - lifted\n1. \n   ```\n   kept\n   ```\n",
        );
        assert_eq!(points[..3], ["```sh\nnpm i\n```", "next", "lifted"]);
        // A step keeps its number, however empty.
        let body = parse(
            "## A\n\n1. \n   ```\n   kept\n   ```\n",
            1,
            &Labels::default(),
            &|_: &str| None,
        );
        let steps: Vec<(String, usize)> = (body.sections[0].points().iter())
            .map(|step| (step.markdown().to_string(), step.children().len()))
            .collect();
        assert_eq!(steps, [(String::new(), 1)]);
    }

    #[test]
    fn obsidian_highlights_are_bold() {
        let points = first_points(
            "## A\n\n- it means ==you have not hit the limit== yet\n- a == b == c, ==\n- see https://a.com/?x==1&y==2 now\n- MarkupView ==push==> ActiveRecord\n",
        );
        assert_eq!(
            points,
            [
                "it means **you have not hit the limit** yet",
                "a == b == c, ==",
                "see https://a.com/?x==1&y==2 now",
                r"MarkupView ==push==\> ActiveRecord",
            ]
        );
    }

    /// Each section's title and its items' markdown, in order.
    fn sections_of(text: &str) -> Vec<(String, Vec<String>)> {
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), text, &Default::default())
            .expect("a note");
        (note.sections.iter())
            .map(|section| {
                let items = (section.points().iter())
                    .flat_map(|item| item.walk())
                    .map(|(_, item)| item.markdown().to_string());
                (section.title.clone(), items.collect())
            })
            .collect()
    }

    #[test]
    fn quotes_are_kept_quoted_and_a_heading_in_one_is_a_line_of_it() {
        let text = "---\ntitle: T\n---\n> tl;dr: use the tool\n\nIntro.\n\n# Entry\n\nA plan:\n> # Review\n> - what went well\n>\n> # Next\n> - what to change\n\n> [!note] Callout\n> said plainly\n\n![](https://cdn.example.org/brain-model.png)\n";
        assert_eq!(
            sections_of(text),
            [
                (
                    "T".to_string(),
                    vec!["> tl;dr: use the tool".to_string(), "Intro.".to_string()]
                ),
                (
                    "Entry".to_string(),
                    [
                        "A plan:",
                        "> **Review**",
                        "what went well",
                        "> **Next**",
                        "what to change",
                        "**Callout** — said plainly",
                        "[cdn.example.org/brain-model.png](https://cdn.example.org/brain-model.png)"
                    ]
                    .map(String::from)
                    .to_vec()
                ),
            ]
        );
        // A note without headings keeps its quotes too.
        let sections = sections_of("---\ntitle: T\n---\nUpdated:\n\n> moved to win11\n\nSteps.\n");
        assert_eq!(sections[0].1, ["Updated:", "> moved to win11", "Steps."]);
    }

    #[test]
    fn a_footnote_reference_is_no_block_id() {
        let text = "---\ntitle: T\n---\n## A\n\n- a note[^one] here ^abc\n- cell [^二]\n";
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), text, &Default::default())
            .expect("a note");
        let points: Vec<&str> = note.sections[0]
            .points()
            .iter()
            .map(|item| item.plain())
            .collect();
        assert_eq!(points, ["a note[^one] here", "cell [^二]"]);
    }

    #[test]
    fn block_ids_and_tags_are_found_among_chinese_text() {
        assert_eq!(strip_block_id("核心观点 ^b15695  "), "核心观点");
        assert_eq!(strip_block_id("^abc"), "");
        // Not a block id: glued to a word, empty, or holding other characters.
        for text in ["x^2", "指数^", "note ^a_b", "no caret"] {
            assert_eq!(strip_block_id(text), text);
        }
        let (mut tags, mut seen) = (Vec::new(), FxHashSet::default());
        collect_tags(
            "#rlhf 是 #对齐/模型/ 的一部分，a#b 与 #123 不是",
            &mut tags,
            &mut seen,
        );
        collect_tags("#RLHF again, #", &mut tags, &mut seen);
        assert_eq!(tags, ["rlhf", "对齐/模型"]);
        // Many distinct tags cost each one look-up, not a walk of those before (a note of
        // 100,000 took 47 s).
        let many: String = (0..100_000).map(|n| format!(" #t{n}")).collect();
        let started = std::time::Instant::now();
        let body = parse(
            &format!("## S\n- point{many}\n"),
            1,
            &Labels::default(),
            &|_: &str| None,
        );
        assert_eq!(body.tags.len(), 100_000);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    /// A note is read up to the heading past its ten thousandth section, with a warning: four
    /// million empty headings took 1.4 GB.
    #[test]
    fn a_note_of_too_many_sections_is_read_up_to_the_cap() {
        let text = format!("{}# last\n- gone\n", "# s\n- p\n".repeat(MAX_SECTIONS));
        let body = parse(&text, 1, &Labels::default(), &|_: &str| None);
        assert_eq!(body.sections.len(), MAX_SECTIONS);
        assert!(body.sections.iter().all(|s| s.title == "s"));
        let warnings: Vec<String> = body
            .warnings
            .iter()
            .map(|w| format!("{}: {}", w.line, w.message))
            .collect();
        assert_eq!(
            warnings,
            [format!(
                "{}: more than 10000 sections; the note is read up to this heading (split it into several notes)",
                2 * MAX_SECTIONS + 1
            )]
        );
    }

    /// A heading written in a list item is the item's text: it neither starts a section
    /// nor ends the list (the items after it moved to a section of its own).
    #[test]
    fn a_heading_in_a_list_item_is_its_text() {
        let body = parse(
            "## Steps\n- # first\n- second\n  - ## nested\n",
            1,
            &Labels::default(),
            &|_: &str| None,
        );
        let titles: Vec<&str> = body.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Steps"]);
        let section = &body.sections[0];
        let points: Vec<String> = section.points().iter().map(|p| p.plain().to_string()).collect();
        assert_eq!(points, ["first", "second"]);
        let nested: Vec<String> = (section.points().iter())
            .flat_map(|p| p.children())
            .map(|c| c.plain().to_string())
            .collect();
        assert_eq!(nested, ["nested"]);
    }

    /// Headings without text are warned of one by one up to ten, the rest in one line: a
    /// note of millions made as many warnings, held in memory and logged at every reload.
    #[test]
    fn headings_without_text_are_warned_of_ten_then_counted() {
        let body = parse(&"#\n".repeat(1000), 5, &Labels::default(), &|_: &str| None);
        let warnings: Vec<(usize, &str)> = (body.warnings.iter())
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(warnings.len(), 11, "{warnings:?}");
        assert_eq!(warnings[9], (14, "heading has no text; named \"Untitled\""));
        assert_eq!(
            warnings[10],
            (
                15,
                "990 more headings have no text from here on; each named \"Untitled\""
            )
        );
        let few = parse("#\n## A\n- a\n", 1, &Labels::default(), &|_: &str| None);
        assert_eq!(few.warnings.len(), 1);
    }

    #[test]
    fn line_index_gives_the_file_line_of_each_byte() {
        let lines = LineIndex::new("a\nb\r\n\nc", 5);
        assert_eq!(
            (0..8).map(|at| lines.line(at)).collect::<Vec<_>>(),
            [5, 5, 6, 6, 6, 7, 8, 8]
        );
    }

    fn parsed(body: &str, piece: usize) -> String {
        let resolve = |target: &str| Some(format!("https://example.org/{target}"));
        let body = parse_in_pieces(body, 3, &Labels::default(), &resolve, piece);
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}",
            body.sections, body.preamble, body.warnings, body.tags
        )
    }

    /// The markdown of the first section's points of `text`, with no wikilink resolved.
    fn first_points(text: &str) -> Vec<String> {
        let body = parse(text, 1, &Labels::default(), &|_: &str| None);
        (body.sections[0].points().iter())
            .map(|p| p.markdown().to_string())
            .collect()
    }

    #[test]
    fn fences_shown_as_code_cannot_close_the_block() {
        let text = "# Nesting\n\n`````md\n````js\nlet a = 1;\n````\n`````\n\n# Inline\n\n```\nuse `x` and ``y``\n```\n";
        let body = parse(text, 1, &Labels::default(), &|_: &str| None);
        let block = |title: &str| -> String {
            let section = (body.sections.iter())
                .find(|s| s.title == title)
                .unwrap_or_else(|| panic!("no {title} in {:?}", body.sections));
            section
                .points()
                .iter()
                .map(|p| p.markdown().to_string())
                .collect()
        };
        let nesting = block("Nesting");
        let inner = (nesting.strip_prefix("```md\n")).and_then(|b| b.strip_suffix("\n```"));
        let inner = inner.unwrap_or_else(|| panic!("{nesting:?}"));
        assert!(!inner.contains("```"), "{inner:?}");
        assert_eq!(inner.replace('\u{200b}', ""), "````js\nlet a = 1;\n````");
        // Shorter runs are left as written.
        assert_eq!(block("Inline"), "```\nuse `x` and ``y``\n```");
        // A code span is fenced by at most two backticks: three would open a block.
        let spans = first_points("# Spans\n\n- fence with ```` ``` ````, quote `` a`b ``, plain `c`\n");
        assert_eq!(
            spans,
            ["fence with `` `\u{200b}`\u{200b}` ``, quote `` a`b ``, plain `c`"]
        );
    }

    #[test]
    fn web_addresses_written_out_are_not_escaped() {
        let text = "# Links\n\n- apply at https://app.mokahr.com/campus_apply/smzdm/3001 now_here\n- 见https://x.org/a_b*c*d_e，然后 a_b\n- [https://x.org/a_b](https://x.org/a_b)\n- http:// alone_\n";
        let points = first_points(text);
        assert_eq!(
            points,
            [
                "apply at https://app.mokahr.com/campus_apply/smzdm/3001 now\\_here",
                "见https://x.org/a_b*c*d_e，然后 a\\_b",
                "[x.org/a\\_b](https://x.org/a_b)",
                "http:// alone\\_",
            ]
        );
    }

    #[test]
    fn table_cells_keep_their_columns_and_html_breaks_part_words() {
        let text = "# Table\n\n| a | b | c |\n|---|---|---|\n| | two | three |\n| one | | |\n| in the vault.<p/>Example: x | y<br>z | |\n";
        let points = first_points(text);
        assert_eq!(
            points,
            [
                "**a** | **b** | **c**",
                "— | two | three",
                "one",
                "in the vault. Example: x | y z",
            ]
        );
    }

    #[test]
    fn html_blocks_show_their_text_rows_and_images() {
        let text = "# Names\n\n- variables\n\n<table>\n<tr><th>kind</th><th>example</th></tr>\n<tr>\n  <td>constant</td>\n  <td>BOLTZMANN, <a href=\"https://a.org/x\">MAX_HEIGHT</a></td>\n</tr>\n</table>\n\n<p>line five</p>\n<p>line <b>six</b> &amp; more</p>\n<img src=\"https://a.org/i.png\" alt=\"architecture\" style=\"max-height:300px\">\n\nText with <img src=\"https://a.org/j.png\"> inline and <br> a break.\n";
        assert_eq!(
            first_points(text),
            [
                "variables",
                "**kind** | **example**",
                "constant | BOLTZMANN, [MAX\\_HEIGHT](https://a.org/x)",
                "line five",
                "line **six** & more",
                "[architecture](https://a.org/i.png)",
                "Text with [a.org/j.png](https://a.org/j.png) inline and a break.",
            ]
        );
    }

    #[test]
    fn a_code_block_keeps_a_language_discord_can_read() {
        let text = "# Code\n\n```rust title=\"main.rs\"\nfn main() {}\n```\n\n```rust,ignore\na\n```\n\n```{.python}\nb\n```\n\n```{r} echo=F\nx\n```\n\n~~~c++\ny\n~~~\n\n    indented\n\n```averyveryverylonglanguage\nz\n```\n";
        assert_eq!(
            first_points(text),
            [
                "```rust\nfn main() {}\n```",
                "```rust\na\n```",
                "```python\nb\n```",
                "```r\nx\n```",
                "```c++\ny\n```",
                "```\nindented\n```",
                "```\nz\n```"
            ]
        );
    }

    #[test]
    fn a_header_cell_is_bold_unless_its_own_stars_would_pair() {
        let text = "# T\n\n| c \\* d | *it* | plain |\n|---|---|---|\n| 1 | 2 | 3 |\n";
        assert_eq!(first_points(text)[0], "**c \\* d** | *it* | **plain**");
    }

    #[test]
    fn html_pre_is_a_code_block_as_written() {
        let text = "# T\n\n<pre><code class=\"hljs language-rust\">fn main() {\n    println!(\"a &amp; b\");\n}\n</code></pre>\n\n<pre>\nline one\n  indented <b>two</b>\n</pre>\n\n<table><tr><td><pre>a\n b</pre></td><td>c</td></tr></table>\n";
        assert_eq!(
            first_points(text),
            [
                "```rust\nfn main() {\n    println!(\"a & b\");\n}\n```",
                "```\nline one\n  indented two\n```",
                "a b | c",
            ]
        );
    }

    /// `<script>`, `<style>`… written in a paragraph (markdown gives their tags one by one)
    /// show nothing, as in an HTML block; one left open hides no more than its paragraph.
    #[test]
    fn inline_script_and_style_show_nothing() {
        let text = "# T\n\n- before <script>alert(\"x\") `code` *em* [l](u) <b>b</b></script> after *a <script>b</script> c*\n- styled <STYLE>.a{color:red}</style> text\n- a <template>hidden</template> b, <script/> c\n- kept <b>bold</b>\n\nOpen <script>var a = 1;\n\nNext paragraph </style> shown.\n\n| a | b <style>x</style> |\n|---|---|\n| <script>y | z |\n";
        assert_eq!(
            first_points(text),
            [
                "before after *a c*",
                "styled text",
                "a b, c",
                "kept **bold**",
                "Open",
                "Next paragraph shown.",
                "**a** | **b**",
                "— | z",
            ]
        );
    }

    /// `<b>`, `<em>`, `<s>` show as markdown's emphasis (`<u>` as its text), closed where HTML leaves
    /// them open (the line's own markdown stays as written), spaces just inside moved out,
    /// emphasis of nothing left out, a stray end ignored.
    #[test]
    fn html_emphasis_is_markdown_emphasis() {
        let text = "# T\n\n- a <b> bold </b> and <em>it</em>, <s>old</s> <u>under</u> <strong><i>both</i></strong>\n- <b>never closed\n- stray </b> end, empty <b> </b>x, <b>crossed <i>one</b> two</i>\n- <a href=\"https://a.org/\">in <b>link</a> out</b> done\n- x*y<a href=\"https://a.org/\"><script>x*y\n\n<p>block <b>bold</b> <i>open</p>\n\n| <b>head</b> | b |\n|---|---|\n| <i>cell | 2 |\n";
        assert_eq!(
            first_points(text),
            [
                // Marks side by side are kept apart by a zero-width space.
                "a **bold** and *it*, ~~old~~ under **\u{200B}*both*\u{200B}**",
                "**never closed**",
                "stray end, empty x, **crossed *one*\u{200B}** two",
                "[in **link**](https://a.org/) out done",
                // Emphasis ending in an empty link: the mark comes after the link.
                "x*y[a.org/](https://a.org/)*",
                "block **bold** *open*",
                "**head** | **b**",
                "*cell* | 2",
            ]
        );
    }

    /// Emphasis and list tags by the ten thousand, opened and never closed, closed and never
    /// opened, in a paragraph or an HTML block, are read in one pass (each end looks for its
    /// start among at most [`MAX_HTML_OPEN`] open elements), lists no deeper than the cap.
    #[test]
    fn hostile_html_tags_are_read_in_one_pass() {
        let runs = [
            "<ul><li>x".repeat(30_000),
            "</li></ul>".repeat(50_000),
            format!("{}{}", "<ol><li>y".repeat(30_000), "</ol>".repeat(30_000)),
            format!("{}{}", "<i>".repeat(50_000), "</b>".repeat(50_000)),
            "<b> x</b>".repeat(50_000),
            "<a href=\"https://a.org/\"><b>".repeat(25_000),
            format!("{}x{}", "<b><i>".repeat(25_000), "</i></b>".repeat(25_000)),
        ];
        for run in runs {
            for text in [
                format!("# T\n\ntext {run}\n"),
                format!("# T\n\n<div>\n{run}\n</div>\n"),
            ] {
                let started = std::time::Instant::now();
                let body = parse(&text, 1, &Labels::default(), &|_: &str| None);
                let took = started.elapsed();
                let depth = (body.sections.iter())
                    .flat_map(|section| section.points().iter().flat_map(|item| item.walk()))
                    .map(|(depth, _)| depth)
                    .max()
                    .unwrap_or(0);
                assert!(depth < MAX_NESTING, "{:.30}…: {depth}", run);
                // Linear is well under a second unoptimised; the square of these runs took
                // over 100 s. A loaded machine (CI beside other builds) took 3.1 s.
                assert!(
                    took < std::time::Duration::from_secs(10),
                    "{:.30}…: {took:?}",
                    run
                );
            }
        }
    }

    /// Each table's rows are marked as such, its header apart and its first row where it has
    /// none (an empty header row, HTML with no `<th>`): two tables a blank line apart, or an
    /// HTML table after a markdown one, stand side by side among the items. An HTML table
    /// goes on over a blank line (which ends an HTML block); one nested in a cell is its text;
    /// in a `<pre>`, a table's tags are line breaks.
    #[test]
    fn tables_mark_their_header_and_their_first_row() {
        let text = "# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n| c | d |\n|---|---|\n| 3 | 4 |\n\n| | |\n|---|---|\n| 5 | 6 |\n| 7 | 8 |\n\n<table><tr><td>9</td><td>10</td></tr><tr><th>e</th><th>f</th></tr><tr><td>11</td></tr></table>\n<table><tr><td>12</td></tr></table>\n\nA | paragraph\n\n<table><thead><tr><th>g</th><th>h</th></tr></thead>\n\n<tr><td>13</td><td>14</td></tr>\n<tr><td>x<table><tr><td>in</td></tr></table></td><td>y</td></tr><tr><td>15</td></tr>\n</table>\n\n<pre>one<table>two</table>three</pre>\n\n<table><tr><th>i</th></tr><tr><td>16</td></tr>\n\nText\n\n<table><tr><th>j</th></tr><tr><td>17</td></tr></table>\n";
        let body = parse(text, 1, &Labels::default(), &|_: &str| None);
        let shown: Vec<(Marker, String)> = (body.sections[0].points().iter())
            .map(|item| (item.marker(), item.plain().to_string()))
            .collect();
        let (header, row, first) = (
            Marker::TableHeader,
            Marker::TableRow { first: false },
            Marker::TableRow { first: true },
        );
        assert_eq!(
            shown,
            [
                (header, "a | b"),
                (row, "1 | 2"),
                (header, "c | d"),
                (row, "3 | 4"),
                (first, "5 | 6"),
                (row, "7 | 8"),
                (first, "9 | 10"),
                (header, "e | f"),
                (row, "11"),
                (first, "12"),
                (Marker::Plain, "A | paragraph"),
                // A blank line ends an HTML block, not its table; a nested table is text.
                (header, "g | h"),
                (row, "13 | 14"),
                (row, "x in | y"),
                (row, "15"),
                (Marker::Plain, "one two three"),
                // A table left unclosed ends where another begins outside a cell.
                (header, "i"),
                (row, "16"),
                (Marker::Plain, "Text"),
                (header, "j"),
                (row, "17"),
            ]
            .map(|(marker, plain)| (marker, plain.to_string()))
        );
        let pre = body.sections[0]
            .points()
            .iter()
            .find(|item| item.plain() == "one two three")
            .map(|item| item.markdown().into_owned());
        assert_eq!(pre.as_deref(), Some("```\none\ntwo\nthree\n```"));
    }

    /// `<ul>`, `<ol>` and `<li>` are list items as markdown's are, nested, numbered; a list
    /// in an HTML block inside a markdown item nests under it and closes only what it
    /// opened; an item left open ends at the next or at the block's end; a stray `<li>` or
    /// `</ul>` begins a line; a list in a cell is the cell's text.
    #[test]
    fn html_lists_are_list_items() {
        let text = "# T\n\n<ul>\n  <li>one</li>\n  <li>two\n    <ol><li>first<li>second</ol>\n  </li>\n  <li><b>three</b>\n</ul>\n\n- markdown item\n\n  <ul><li>inside</li></ul></ul></li>\n\n  still the item's\n- next\n\n<div>stray <li>line</li> and </ul> after</div>\n\n<ol><li>left open\n\n| <ul><li>a</li><li>b</li></ul> | c |\n|---|---|\n| 1 | 2 |\n";
        let body = parse(text, 1, &Labels::default(), &|_: &str| None);
        let shown: Vec<String> = (body.sections[0].points().iter())
            .flat_map(|item| item.walk())
            .map(|(depth, item)| {
                let marker = match item.marker() {
                    Marker::Bullet => "- ".to_string(),
                    Marker::Number(n) => format!("{n}. "),
                    _ => String::new(),
                };
                format!("{}{marker}{}", "  ".repeat(depth), item.markdown())
            })
            .collect();
        assert_eq!(
            shown,
            [
                "- one",
                "- two",
                "  1. first",
                "  2. second",
                "- **three**",
                "- markdown item",
                "  - inside",
                "  still the item's",
                "- next",
                "stray",
                "line",
                "and",
                "after",
                "1. left open",
                "**a b** | **c**",
                "1 | 2",
            ]
        );
    }

    /// h13's cases: HTML emphasis beside markdown's marks, crossing its emphasis and links,
    /// inside a link whose text is replaced by its address (which panicked), after hidden
    /// HTML, in a callout's title; `<head>` in prose; an unclosed `<script>` in a list item.
    #[test]
    fn html_emphasis_stays_apart_from_and_inside_markdown_marks() {
        let cases = [
            "<b>A</b><b>B</b>",
            "<strong>Note:</strong><em>x</em>",
            "<i>*a*</i>",
            "**a**<b>b</b>",
            "*a <b>b* c</b>",
            "[x <b>y](https://u.org) z</b>",
            "<b>a [link</b>](https://x.org) y",
            "[项目说明请访问：<b>https://github.com/a/b](https://github.com/a/b) 中文 说明</b>",
            "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa<s>https://z](https://中.org/文)",
            "[<b>https://github.com/x](https://github.com/x)</b> 项目",
            "a <script>*x </script>[b](https://u.org)* tail",
            "Put scripts in the <head> of the page, not the body.",
            "<a href=\"https://x.org/\"><b><i class=\"fa fa-github\"></i></b></a>",
            "<b>==hl==</b> and <b><b>x</b> y</b> and <b>**z**</b>",
            "**<b>x</b>** and <i>a *b*</i>",
        ];
        let text = format!(
            "# T\n\n{}\n\n> [!note] <b>Callout</b> title <i>open\n> body line\n\n> # <i>quoted</i> head <b>open\n\n> [!tip] **Further reading**: a, b\n",
            cases.join("\n\n")
        );
        assert_eq!(
            first_points(&text),
            [
                "**A**\u{200B}**B**",
                "**Note:**\u{200B}*x*",
                "*a*",
                "**a**\u{200B}**b**",
                "*a **b**\u{200B}* c",
                "[x **y**](https://u.org) z",
                "**a [link](https://x.org) y**",
                "[github.com/a/b](https://github.com/a/b) 中文 说明",
                "[中.org/文](https://中.org/文)",
                "[github.com/x](https://github.com/x) 项目",
                "a [b](https://u.org) tail",
                "Put scripts in the of the page, not the body.",
                // Emphasis of nothing (an icon font's), however nested, leaves no marks.
                "[x.org/](https://x.org/)",
                // Emphasis inside the same: its marks once (Discord has no bold in bold).
                "**hl** and **x y** and **z**",
                "**x** and *a b*",
                "**Callout title *open*\u{200B}** — body line",
                "> **\u{200B}*quoted* head open**",
                // Markdown's bold in a callout's title, bold already (the vault's showed `****`).
                "**Further reading: a, b**",
            ]
        );
        // An unclosed `<script>` in a tight list item hides no more than that item's text.
        let items = |text: &str| -> Vec<String> {
            let body = parse(text, 1, &Labels::default(), &|_: &str| None);
            (body.sections[0].points().iter())
                .flat_map(|item| item.walk())
                .map(|(depth, item)| format!("{depth} {}", item.markdown()))
                .collect()
        };
        assert_eq!(
            items("# T\n\n- a <script> b\n  - child text\n- next\n"),
            ["0 a", "1 child text", "0 next"]
        );
    }

    /// Pieces of HTML for [`any_html_keeps_its_marks_paired`]: emphasis, links, lists and
    /// table tags, opened and closed in any order, with text between.
    const HTML_TOKENS: &[&str] = &[
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<em>",
        "</strong>",
        "<s>",
        "</s>",
        "<u>",
        "</u>",
        "<ul>",
        "</ul>",
        "<ol>",
        "</ol>",
        "<li>",
        "</li>",
        "<a href=\"https://a.org/\">",
        "</a>",
        "<tr>",
        "<td>",
        "</td>",
        "<p>",
        "<br>",
        "<script>",
        "</script>",
        "word",
        " ",
        "\n",
        "中文",
        "a_b",
        "x*y",
        "*",
        "**",
        "[",
        "](u)",
        "~~",
        "é",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]
        /// HTML however broken, as a block, in a paragraph or in a markdown list item: every
        /// line shows its emphasis marks paired (an unpaired `*` or `~~` would run Discord's
        /// formatting on), its lists no deeper than the cap.
        #[test]
        fn any_html_keeps_its_marks_paired(
            tokens in proptest::collection::vec(proptest::sample::select(HTML_TOKENS), 0..40),
        ) {
            let html = tokens.concat();
            let indented = html.replace('\n', "\n  ");
            for text in [
                format!("# T\n\n<div>\n{html}\n</div>\n"),
                format!("# T\n\ntext {html}\n"),
                format!("# T\n\n- item\n\n  <div>\n  {indented}\n  </div>\n- next\n"),
            ] {
                let body = parse(&text, 1, &Labels::default(), &|_: &str| None);
                for (depth, item) in (body.sections.iter())
                    .flat_map(|section| section.points().iter().flat_map(|item| item.walk()))
                {
                    proptest::prop_assert!(depth < MAX_NESTING);
                    let markdown = item.markdown();
                    if markdown.starts_with("```") {
                        continue;
                    }
                    // Web addresses aside, a link's and one written out (Discord links
                    // it, `*` and all).
                    let mut outside_links = String::new();
                    let mut rest = &*markdown;
                    while let Some(at) = rest.find("](") {
                        if rest[..at].ends_with('\\') {
                            outside_links.push_str(&rest[..at + 2]);
                            rest = &rest[at + 2..];
                            continue;
                        }
                        outside_links.push_str(&rest[..at]);
                        rest = rest[at..].find(')').map_or("", |end| &rest[at + end + 1..]);
                    }
                    outside_links.push_str(rest);
                    let words = (outside_links.split_whitespace())
                        .map(|word| word.split("https://").next().unwrap_or_default());
                    let outside_addresses: String = words.collect::<Vec<_>>().join(" ");
                    let unescaped = |mark: char| {
                        let mut count = 0;
                        let mut escaped = false;
                        for c in outside_addresses.chars() {
                            count += usize::from(c == mark && !escaped);
                            escaped = c == '\\' && !escaped;
                        }
                        count
                    };
                    proptest::prop_assert!(unescaped('*') % 2 == 0, "{markdown:?} of {text:?}");
                    proptest::prop_assert!(unescaped('~') % 4 == 0, "{markdown:?} of {text:?}");
                }
            }
        }
    }

    #[test]
    fn a_badge_is_one_link_to_its_page() {
        let text = "# T\n\nSee <a href=\"https://a.org/page\"><img src=\"https://a.org/b.svg\" alt=\"build\"></a> here, \
                    [![md](https://a.org/m.svg)](https://a.org/md) and <a href=\"https://a.org/x\">open <a href=\"https://a.org/y\">two</a> <a href=\"https://a.org/z\">never closed\n";
        assert_eq!(
            first_points(text),
            [
                "See [build](https://a.org/page) here, [md](https://a.org/md) and [open ](https://a.org/x)[two](https://a.org/y) [never closed](https://a.org/z)"
            ]
        );
    }

    #[test]
    fn character_references_give_no_controls() {
        let text = "# T\n\n- evil &#x202E;fdp.exe, &#7;bell, [link](https://a.org/&#x202E;x)\n\n<p>html &#x2066;isolate &#27;[31m</p>\n\n<a href=\"https://b.org/\n\tpage\">split</a>\n";
        let body = parse(text, 1, &Labels::default(), &|_: &str| None);
        let section = &body.sections[0];
        for point in section.points().iter() {
            let (plain, markdown) = (point.plain(), point.markdown());
            for c in ['\u{202E}', '\u{7}', '\u{2066}', '\u{1b}'] {
                assert!(
                    !plain.contains(c) && !markdown.contains(c),
                    "{c:?} in {markdown:?}"
                );
            }
        }
        let links: Vec<&str> = section.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(links, ["https://a.org/x", "https://b.org/page"]);
    }

    #[test]
    fn padding_spaces_of_prose_show_as_one() {
        // A table right after a list line is no table for CommonMark: its padding stays text.
        let text = "# T\n\n- 如下表\n| 状态码 | 含义        |\n| :----- | :---- |\n\nTwo\t\tspaces  *here*   `in  code`\n";
        assert_eq!(
            first_points(text),
            [
                "如下表 \\| 状态码 \\| 含义 \\| \\| :----- \\| :---- \\|",
                "Two spaces *here* `in  code`",
            ]
        );
    }

    #[test]
    fn bold_commonmark_leaves_unpaired_beside_cjk_stays_bold() {
        let text = "# Bold\n\n- 打开**[[设置]] → 快捷键**。\n- **进阶:**当映射\n- \\*\\*not bold\\*\\*\n- 5 * 3 and a*b\n- ***x\n- | a**b | c |\n";
        let points = first_points(text);
        assert_eq!(
            points,
            [
                "打开**设置 → 快捷键**。",
                "**进阶:**当映射",
                "\\*\\*not bold\\*\\*",
                "5 \\* 3 and a\\*b",
                "\\*\\*\\*x",
                "\\| a**b \\| c \\|",
            ]
        );
    }

    #[test]
    fn an_embedded_note_is_linked_as_a_wikilink_is() {
        let text = "# Sync\n\n- Conflicts: ![[Troubleshoot#Conflict resolution|Conflicts]]\n- ![[diagram.png]] a picture\n";
        let resolve = |target: &str| Some(format!("https://example.org/{}", target.replace(' ', "%20")));
        let linked = parse(text, 1, &Labels::default(), &resolve);
        let plain = parse(text, 1, &Labels::default(), &|_: &str| None);
        let points = |body: &Body| -> Vec<String> {
            (body.sections[0].points().iter())
                .map(|p| p.markdown().to_string())
                .collect()
        };
        assert_eq!(
            points(&linked),
            [
                "Conflicts: [Troubleshoot › Conflict resolution](https://example.org/Troubleshoot#Conflict%20resolution)",
                "a picture",
            ]
        );
        assert_eq!(
            points(&plain),
            ["Conflicts: Troubleshoot › Conflict resolution", "a picture"]
        );
    }

    /// Everything a cut could get wrong: fences and HTML blocks holding `#` lines, a heading
    /// right under text, reference links defined far from their use, comments, callouts.
    const TRICKY: &str = "intro [ref] and [[Other note]] #tag\n\n# One\n\n- a\n  - b %%hidden\n\n# not a heading, in a comment%%\n\n```\n\n# in code\n```\n\n~~~~md\n\n## in code too\n~~~\n\n~~~~\n\n<!--\n\n# in an HTML comment\n-->\n\n<pre>\n\n# in pre\n</pre>\n\n## Two [link][ref]\nstraight under\n# Three\n\n> [!tip]\n> a callout\n\n| a | b |\n|---|---|\n| [[x\\|y]] | 2 |\n\n### Four\n\n1. one\n2. two\n\n[ref]: https://example.org/ref\n\n#### Five\n\n    # indented code\n\ntext `# code span`\n- list\n# Six\n> quote\n# Seven\n<div>\n# in a div\n</div>\n\n\t# tab-indented code\n# Eight\n";

    #[test]
    fn parsing_in_pieces_gives_what_parsing_whole_does() {
        let seed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/notes/chatgpt.md"))
            .unwrap_or_default();
        assert!(seed.len() > 1000, "the seed note is missing");
        let (cuts, definitions) = pieces(TRICKY, 1);
        // Before each real heading, and the commented-out one (harmless); not in code,
        // comments, `<pre>`, `<div>` or tab-indented code.
        assert_eq!(cuts.len(), 10, "{cuts:?}");
        assert_eq!(definitions.as_deref(), Some("[ref]: https://example.org/ref\n"));
        for text in [TRICKY, &seed, &TRICKY.repeat(3)] {
            assert_eq!(parsed(text, 1), parsed(text, usize::MAX));
            assert_eq!(parsed(text, 300), parsed(text, usize::MAX));
        }
    }

    #[test]
    fn a_parse_reads_the_same_after_others_on_its_thread() {
        let seed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/notes/chatgpt.md"))
            .unwrap_or_default();
        assert!(seed.len() > 1000, "the seed note is missing");
        // Deep lists ended by a heading, an unclosed one, a huge item, a quote: buffers
        // left in any state a parse can leave them.
        let deep =
            (0..40).map(|d| format!("{}- level {d} [link](https://example.org/{d})\n", "  ".repeat(d)));
        let deep: String = deep.collect();
        let huge = format!("# Huge\n\n- {}\n", "word ".repeat(20_000));
        let notes = [
            seed.as_str(),
            TRICKY,
            &format!("# Deep\n\n{deep}\n# After\n\n- one\n"),
            &deep,
            &huge,
            "> quoted before any heading\n\n# A\n\npara [x](https://example.org)\n",
            "",
        ];
        let fresh: Vec<String> = notes
            .iter()
            .map(|note| {
                let note = note.to_string();
                std::thread::spawn(move || parsed(&note, usize::MAX))
                    .join()
                    .unwrap_or_default()
            })
            .collect();
        for round in 0..2 {
            for (note, fresh) in notes.iter().zip(&fresh) {
                assert_eq!(&parsed(note, usize::MAX), fresh, "round {round}: {note:.60?}");
            }
        }
        // The huge note's buffers were not kept for good.
        let kept = SPARES.with(|spares| {
            let spares = spares.borrow();
            spares.finished.capacity_bytes() + spares.paragraph.capacity_bytes()
        });
        assert!(kept <= KEPT_SPARES, "{kept} bytes kept");
    }

    #[test]
    fn only_definitions_are_carried_over() {
        let text =
            "# A\n\n[^1]: a footnote, not a definition\n\n[a]: https://example.org\n\n# B\n\n[a] [^1]\n";
        let (cuts, definitions) = pieces(text, 1);
        assert_eq!(cuts.len(), 2);
        assert_eq!(definitions.as_deref(), Some("[a]: https://example.org\n"));
        assert_eq!(parsed(text, 1), parsed(text, usize::MAX));
        let unclosed = "# A\n\n[ref]: https://example.org\n\n# B\n\n```\nopen\n";
        assert_eq!(pieces(unclosed, 1).0.len(), 1);
        assert_eq!(parsed(unclosed, 1), parsed(unclosed, usize::MAX));
    }
}
