//! Markdown body → section tree, with pulldown-cmark.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::model::{Item, Link, Marker, Section, Text, Warning};

/// Labels that mark the core points and the background of a section.
#[derive(Debug, Clone)]
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
    /// Content before the first heading that is not a quote.
    pub preamble: Vec<Item>,
    pub warnings: Vec<Warning>,
}

/// Parses a markdown body; `first_line` is the file line where `body` starts.
pub fn parse(body: &str, first_line: usize, labels: &Labels) -> Body {
    let lines = LineIndex::new(body, first_line);
    let mut builder = Builder::default();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        builder.event(event, lines.line(range.start));
    }
    builder.flush_paragraph();
    builder.finish(labels)
}

/// Maps byte offsets to 1-based file lines.
struct LineIndex {
    starts: Vec<usize>,
    first_line: usize,
}

impl LineIndex {
    fn new(text: &str, first_line: usize) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        LineIndex { starts, first_line }
    }

    fn line(&self, offset: usize) -> usize {
        let index = self.starts.partition_point(|&start| start <= offset);
        self.first_line + index.saturating_sub(1)
    }
}

/// Inline content being collected: a paragraph, list item text, heading or table cell.
#[derive(Default)]
struct Inline {
    plain: String,
    markdown: String,
    links: Vec<Link>,
    /// Open links: (url, plain length at start).
    open_links: Vec<(String, usize)>,
}

impl Inline {
    fn text(&mut self, text: &str) {
        self.plain.push_str(text);
        escape_into(&mut self.markdown, text);
    }

    fn code(&mut self, code: &str) {
        self.plain.push_str(code);
        let fence = if code.contains('`') { "``" } else { "`" };
        self.markdown.push_str(fence);
        self.markdown.push_str(code);
        self.markdown.push_str(fence);
    }

    fn space(&mut self) {
        if !self.plain.ends_with(' ') && !self.plain.is_empty() {
            self.plain.push(' ');
            self.markdown.push(' ');
        }
    }

    fn open_link(&mut self, url: &str) {
        if is_web_url(url) {
            self.markdown.push('[');
        }
        self.open_links.push((url.to_string(), self.plain.len()));
    }

    fn close_link(&mut self) {
        let Some((url, start)) = self.open_links.pop() else {
            return;
        };
        if !is_web_url(&url) {
            return;
        }
        let mut text = self.plain.get(start..).unwrap_or_default().trim().to_string();
        if text.is_empty() {
            text.clone_from(&url);
            escape_into(&mut self.markdown, &url);
        }
        self.markdown.push_str("](");
        self.markdown.push_str(&url_for_markdown(&url));
        self.markdown.push(')');
        self.links.push(Link { text, url });
    }

    fn is_empty(&self) -> bool {
        self.plain.trim().is_empty()
    }

    fn into_text(self) -> (Text, Vec<Link>) {
        let text = Text {
            plain: collapse_spaces(&self.plain),
            markdown: self.markdown.trim().to_string(),
        };
        (text, self.links)
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
    items: Vec<Item>,
    links: Vec<Link>,
}

#[derive(Default)]
struct Builder {
    drafts: Vec<Draft>,
    preamble: Vec<Item>,
    preamble_links: Vec<Link>,
    warnings: Vec<Warning>,
    heading: Option<Heading>,
    paragraph: Option<Inline>,
    /// Open list items, innermost last; never more than `MAX_NESTING`.
    items: Vec<Item>,
    /// Items opened below `MAX_NESTING` whose end has not come yet.
    flattened: usize,
    warned_nesting: bool,
    /// Next number of each open list (None for bullets).
    lists: Vec<Option<u64>>,
    table_row: Option<Vec<String>>,
    code_block: Option<String>,
    quote_depth: usize,
    image_depth: usize,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, line: usize) {
        match event {
            Event::Start(tag) => self.start(tag, line),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some(code) = self.code_block.as_mut() {
                    code.push_str(&text);
                } else {
                    self.inline().text(&text);
                }
            }
            Event::Code(code) => self.inline().code(&code),
            Event::InlineMath(math) | Event::DisplayMath(math) => self.inline().code(&math),
            Event::SoftBreak | Event::HardBreak => self.inline().space(),
            Event::TaskListMarker(done) => self.inline().text(if done { "☑ " } else { "☐ " }),
            Event::Html(_) | Event::InlineHtml(_) | Event::FootnoteReference(_) | Event::Rule => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, line: usize) {
        match tag {
            Tag::Heading { level, .. } => {
                self.close_blocks();
                self.heading = Some(Heading {
                    level: heading_level(level),
                    line,
                    inline: Inline::default(),
                });
            }
            Tag::Paragraph => self.flush_paragraph(),
            Tag::List(start) => {
                self.flush_paragraph();
                self.lists.push(start);
            }
            Tag::Item => {
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
                        self.push_item(item);
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
                self.items.push(Item {
                    marker,
                    text: Text::default(),
                    children: Vec::new(),
                });
            }
            Tag::Link { dest_url, .. } => self.inline().open_link(&dest_url),
            Tag::Image { dest_url, .. } => {
                self.image_depth += 1;
                self.inline().open_link(&dest_url);
            }
            Tag::Emphasis => self.inline().markdown.push('*'),
            Tag::Strong => self.inline().markdown.push_str("**"),
            Tag::Strikethrough => self.inline().markdown.push_str("~~"),
            Tag::CodeBlock(_) => {
                self.flush_paragraph();
                self.code_block = Some(String::new());
            }
            Tag::BlockQuote(_) => {
                self.flush_paragraph();
                self.quote_depth += 1;
            }
            Tag::TableRow | Tag::TableHead => {
                self.flush_paragraph();
                self.table_row = Some(Vec::new());
            }
            Tag::TableCell => self.paragraph = Some(Inline::default()),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
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
                    self.push_item(item);
                }
            }
            TagEnd::Link => self.inline().close_link(),
            TagEnd::Image => {
                self.image_depth = self.image_depth.saturating_sub(1);
                self.inline().close_link();
            }
            TagEnd::Emphasis => self.inline().markdown.push('*'),
            TagEnd::Strong => self.inline().markdown.push_str("**"),
            TagEnd::Strikethrough => self.inline().markdown.push_str("~~"),
            TagEnd::CodeBlock => {
                if let Some(code) = self.code_block.take() {
                    let code = code.trim_end().to_string();
                    if !code.trim().is_empty() {
                        let markdown = format!("```\n{}\n```", code.replace("```", "'''"));
                        self.push_plain(Text {
                            plain: collapse_spaces(&code),
                            markdown,
                        });
                    }
                }
            }
            TagEnd::BlockQuote(_) => {
                self.flush_paragraph();
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            TagEnd::TableCell => {
                if let (Some(cell), Some(row)) = (self.paragraph.take(), self.table_row.as_mut()) {
                    row.push(cell.markdown.trim().to_string());
                    let (_, links) = cell.into_text();
                    self.section_links().extend(links);
                }
            }
            TagEnd::TableRow | TagEnd::TableHead => {
                if let Some(row) = self.table_row.take() {
                    let cells: Vec<&str> = row.iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
                    if !cells.is_empty() {
                        let markdown = cells.join(" | ");
                        self.push_plain(Text {
                            plain: unescape_markdown(&markdown),
                            markdown,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// Where inline content goes now: the heading, or the open paragraph (opened lazily,
    /// since tight list items carry text without a paragraph).
    fn inline(&mut self) -> &mut Inline {
        if let Some(heading) = self.heading.as_mut() {
            return &mut heading.inline;
        }
        self.paragraph.get_or_insert_with(Inline::default)
    }

    fn flush_paragraph(&mut self) {
        if self.table_row.is_some() {
            return;
        }
        let Some(paragraph) = self.paragraph.take() else {
            return;
        };
        if paragraph.is_empty() {
            return;
        }
        let (text, links) = paragraph.into_text();
        self.section_links().extend(links);
        match self.items.last_mut() {
            Some(item) if item.text.plain.is_empty() && item.children.is_empty() => item.text = text,
            Some(item) if item.children.is_empty() => {
                item.text.plain.push(' ');
                item.text.plain.push_str(&text.plain);
                item.text.markdown.push(' ');
                item.text.markdown.push_str(&text.markdown);
            }
            _ => self.push_plain(text),
        }
    }

    fn push_plain(&mut self, text: Text) {
        self.push_item(Item {
            marker: Marker::Plain,
            text,
            children: Vec::new(),
        });
    }

    /// Attaches a finished item to its parent item, its section, or the preamble.
    fn push_item(&mut self, mut item: Item) {
        // A Vec grows to four items at its first push: one child kept that way costs 350
        // bytes, most of a huge note's library. Finished items keep what they hold.
        item.children.shrink_to_fit();
        item.text.plain.shrink_to_fit();
        if item.text.markdown == item.text.plain {
            // Most text has no markup: keep it once (see `Text::markdown`).
            item.text.markdown = String::new();
        }
        item.text.markdown.shrink_to_fit();
        if let Some(parent) = self.items.last_mut() {
            parent.children.push(item);
        } else if let Some(draft) = self.drafts.last_mut() {
            draft.items.push(item);
        } else if self.quote_depth == 0 {
            self.preamble.push(item);
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
            self.push_item(item);
        }
        self.flattened = 0;
        self.lists.clear();
    }

    fn close_heading(&mut self) {
        let Some(heading) = self.heading.take() else {
            return;
        };
        let url = heading.inline.links.first().map(|link| link.url.clone());
        let (text, _) = heading.inline.into_text();
        let title = if text.plain.is_empty() {
            self.warnings.push(Warning {
                line: heading.line,
                message: "heading has no text; named \"Untitled\"".into(),
            });
            "Untitled".to_string()
        } else {
            text.plain
        };
        self.drafts.push(Draft {
            level: heading.level,
            title,
            url,
            line: heading.line,
            ..Draft::default()
        });
    }

    fn finish(mut self, labels: &Labels) -> Body {
        self.close_blocks();
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
            let (mut points, mut context) = classify(draft.items, labels);
            points.shrink_to_fit();
            context.shrink_to_fit();
            open.push((draft.level, sections.len()));
            sections.push(Section {
                level: draft.level,
                title: draft.title,
                url: draft.url,
                category,
                parent,
                line: draft.line,
                points,
                context,
                links: draft.links,
            });
        }
        Body {
            sections,
            preamble: self.preamble,
            warnings: self.warnings,
        }
    }
}

/// Splits a section's top-level items into core points and context.
///
/// A core label's children are core points (a childless label just disappears, so the
/// items after it are the points); a context label's children are context.
fn classify(items: Vec<Item>, labels: &Labels) -> (Vec<Item>, Vec<Item>) {
    let mut points = Vec::new();
    let mut context = Vec::new();
    for item in items {
        let label = label_of(&item.text.plain);
        if matches_label(label, &labels.core) {
            points.extend(item.children);
        } else if matches_label(label, &labels.context) {
            if item.children.is_empty() {
                context.push(item);
            } else {
                context.extend(item.children);
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

fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Discord ends a markdown link at the first `)` or space.
fn url_for_markdown(url: &str) -> String {
    url.replace(' ', "%20").replace('(', "%28").replace(')', "%29")
}

/// Escapes what Discord markdown would otherwise interpret.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' | '<' | '>' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

fn unescape_markdown(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut chars = markdown.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '*' | '`' | '~' => {}
            _ => out.push(c),
        }
    }
    out
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
