//! Hit → Reply: what the bot posts, laid out in pages that fit Discord's limits.
//!
//! Discord-agnostic: adapters put `title`, `url` and a page's text into an embed.

use std::collections::{HashMap, HashSet};

use crate::notes::{Item, ItemTree, Items, Labels, Library, Link, Marker, Note, Section};
use crate::search::{Found, Hit, Index, ItemPath, MatchReason};

mod pieces;

use pieces::{Piece, fit, write_piece};

/// Discord's limits that shape a reply (characters, counted in UTF-16 units as Discord does).
pub mod limits {
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_FOOTER: usize = 2048;
    pub const EMBED_FIELD_NAME: usize = 256;
    pub const EMBED_FIELD_VALUE: usize = 1024;
    pub const EMBED_TOTAL: usize = 6000;
    pub const MESSAGE_CONTENT: usize = 2000;
}

/// What one page shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub lines: Vec<Line>,
}

impl Page {
    /// The page as Discord markdown: lines joined by newlines.
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self.lines.iter().map(|line| line.text.as_str()).collect();
        lines.join("\n")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Discord markdown, indented for its depth.
    pub text: String,
    /// Where the line comes from; `None` for lines that are not items (like `/sources` rows).
    pub path: Option<ItemPath>,
    /// False for a parent line repeated only to give context.
    pub content: bool,
}

/// One section, ready to post: laid out in pages, a page written only when asked for
/// (a response shows one page and counts the others).
#[derive(Debug, Clone)]
pub struct Reply<'a> {
    pub topic: String,
    /// Section title, cut to fit an embed title.
    pub title: String,
    pub url: Option<String>,
    /// Headings above the section: `原理解析/论文综述`.
    pub category: String,
    /// Survives reloads while the title does; buttons carry it.
    pub section_id: u64,
    pub reason: MatchReason,
    /// Links inside the section's body, other than the source; a page shows those it cuts
    /// with [`Reply::links_cut`].
    pub links: Vec<Link>,
    section: &'a Section,
    /// The item the background is shown under, after the points.
    label: Option<Items>,
    /// The section's lines in the order shown, not yet written.
    lines: Vec<LaidLine>,
    /// Never empty; a section with no points has one empty page.
    starts: Vec<PageStart>,
    /// Most characters on a page (`Layout::budget`).
    budget: usize,
    tables: Tables,
}

/// A line of a section's reply before it is written: where it comes from and its length.
#[derive(Debug, Clone)]
struct LaidLine {
    path: ItemPath,
    /// `discord_len` of the line as `write` writes it, plus its newline.
    len: usize,
    /// False for a parent line repeated only to give context.
    content: bool,
    /// For a line longer than a page, the piece of the line `render_item` writes that this
    /// laid line shows (see `pieces`); `None` for the whole line.
    piece: Option<Piece>,
}

impl LaidLine {
    fn of(item: Item, path: ItemPath, content: bool) -> LaidLine {
        let depth = path.len().saturating_sub(1);
        LaidLine {
            len: line_len(&item.marker(), item.markdown_len(), depth),
            path,
            content,
            piece: None,
        }
    }

    /// A line longer than a page in the pieces its pages show (see `pieces::fit`), pushed
    /// onto `lines`.
    fn fit_into(self, roots: &[Item], first: usize, budget: usize, lines: &mut Vec<LaidLine>) {
        let Some(item) = item_at(roots, &self.path) else {
            return;
        };
        let text = render_item(&item, self.path.len().saturating_sub(1));
        for piece in fit(&text, self.content, first, budget) {
            lines.push(LaidLine {
                len: discord_len(&write_piece(&text, &piece)) + 1,
                path: self.path.clone(),
                content: self.content,
                piece: Some(piece),
            });
        }
    }
}

/// Where a page starts: its first line, and whether the page repeats that line's context
/// lines (its parents, a table's header: `context_lines`).
#[derive(Debug, Clone, Copy)]
struct PageStart {
    line: usize,
    parents: bool,
}

/// Length as Discord counts it: UTF-16 units. Counted from the UTF-8 bytes, several times
/// quicker than encoding: each byte that starts a char is one unit, and the lead byte of a
/// four-byte char (above U+FFFF, two units) one more.
pub fn discord_len(text: &str) -> usize {
    crate::notes::utf16_len(text)
}

/// Cuts `text` to at most `max` (Discord) characters on a char boundary, ending in `…`.
pub fn truncate(text: &str, max: usize) -> String {
    if discord_len(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + c.len_utf16() + 1 > max {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

/// How replies are laid out.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Most characters on one page; capped at an embed description's limit.
    pub page_chars: usize,
    /// The heading shown above a section's background items.
    pub context_label: String,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            page_chars: 1500,
            context_label: Labels::default().context.first().cloned().unwrap_or_default(),
        }
    }
}

impl Layout {
    fn budget(&self) -> usize {
        self.page_chars.clamp(100, limits::EMBED_DESCRIPTION)
    }
}

impl<'a> Reply<'a> {
    /// The reply for a search hit: focused points first when the section is long.
    pub fn for_hit(library: &'a Library, hit: &Hit, layout: &Layout) -> Option<Reply<'a>> {
        let (note, section) = library.section(hit.section)?;
        Some(Reply::for_section(note, section, hit.reason, &hit.focus, layout))
    }

    /// The reply for a section, `focus` first when the section is long, unless its first page
    /// in order shows every point (and piece of a point longer than a page) that the first
    /// page with the focus first would: brought forward there, a point shows twice on one
    /// page, with its parents or its table's header above it again. One that fits a page
    /// keeps its order.
    pub fn for_section(
        note: &Note,
        section: &'a Section,
        reason: MatchReason,
        focus: &[ItemPath],
        layout: &Layout,
    ) -> Reply<'a> {
        if focus.is_empty() || !is_long(section, layout) {
            return Reply::in_order(note, section, reason, &[], layout);
        }
        let label = context_item(section, &layout.context_label);
        let roots = roots(section, label.as_ref());
        let tables = Tables::of(&roots);
        // Only the first pages are laid to compare them, then the whole reply once.
        let first_page = |first: &[ItemPath]| {
            let (lines, _) = lay_out(&roots, &tables, first, layout.budget(), 1);
            (lines.into_iter())
                .filter(|line| line.content)
                .map(|line| (line.path, line.piece))
                .collect::<HashSet<_>>()
        };
        let shown = first_page(&[]);
        let first = if first_page(focus).is_subset(&shown) {
            &[]
        } else {
            focus
        };
        Reply::in_order(note, section, reason, first, layout)
    }

    /// The reply for a section with the subtrees at `first` first, for a caller that has
    /// already asked `is_long` (`first` empty for a section that fits a page).
    pub fn in_order(
        note: &Note,
        section: &'a Section,
        reason: MatchReason,
        first: &[ItemPath],
        layout: &Layout,
    ) -> Reply<'a> {
        let label = context_item(section, &layout.context_label);
        let budget = layout.budget();
        let roots = roots(section, label.as_ref());
        let tables = Tables::of(&roots);
        let (lines, starts) = lay_out(&roots, &tables, first, budget, usize::MAX);
        Reply {
            topic: note.topic.clone(),
            title: truncate(&section.title, limits::EMBED_TITLE),
            url: section.url.clone(),
            category: section.category_line(),
            section_id: section.id,
            reason,
            links: section.links.clone(),
            section,
            label,
            lines,
            starts,
            budget,
            tables,
        }
    }

    /// How many pages the reply takes; at least one.
    pub fn page_count(&self) -> usize {
        self.starts.len()
    }

    /// Page `n` (0-based), clamped to the last page, written.
    pub fn page(&self, n: usize) -> Page {
        let roots = roots(self.section, self.label.as_ref());
        let (context, body) = self.laid_page(n, &roots);
        let lines = context
            .iter()
            .chain(body)
            .filter_map(|line| write(line, &roots))
            .collect();
        Page { lines }
    }

    /// The links of what page `n` shows that it does not show as links: those its lines
    /// cut (a context line longer than a page cut short above the page's first line, a
    /// piece of a link longer than a page), in order, once each. Every other link of the
    /// section is whole on its page.
    pub fn links_cut(&self, n: usize) -> Vec<Link> {
        let roots = roots(self.section, self.label.as_ref());
        let (context, body) = self.laid_page(n, &roots);
        let mut cut: Vec<&Link> = Vec::new();
        let mut whole: Vec<String> = Vec::new();
        for line in context.iter().chain(body) {
            let Some(item) = item_at(&roots, &line.path) else {
                continue;
            };
            let text = render_item(&item, line.path.len().saturating_sub(1));
            for (url, shown_whole) in pieces::links_shown(&text, line.piece.as_ref()) {
                if shown_whole {
                    whole.push(url.to_string());
                    continue;
                }
                let written = |link: &&Link| crate::notes::markdown::url_for_markdown(&link.url) == url;
                if let Some(link) = self.links.iter().find(written)
                    && !cut.contains(&link)
                {
                    cut.push(link);
                }
            }
        }
        let whole_on_page =
            |link: &&Link| whole.contains(&crate::notes::markdown::url_for_markdown(&link.url));
        cut.into_iter()
            .filter(|link| !whole_on_page(link))
            .cloned()
            .collect()
    }

    /// The laid lines of page `n`, clamped to the last page: the context it repeats above
    /// its first line, and its own.
    fn laid_page(&self, n: usize, roots: &[Item]) -> (Vec<LaidLine>, &[LaidLine]) {
        let n = n.min(self.starts.len().saturating_sub(1));
        let Some(start) = self.starts.get(n) else {
            return (Vec::new(), &[]);
        };
        let end = self.starts.get(n + 1).map_or(self.lines.len(), |next| next.line);
        let body = self.lines.get(start.line..end).unwrap_or_default();
        let context = match body.first() {
            Some(first) if start.parents => context_lines(first, roots, &self.tables, self.budget),
            _ => Vec::new(),
        };
        (context, body)
    }

    /// Every page, written in turn.
    pub fn pages(&self) -> impl Iterator<Item = Page> + '_ {
        (0..self.page_count()).map(|n| self.page(n))
    }
}

/// A laid line written: its item's line, or the piece of it the laid line is.
fn write(line: &LaidLine, roots: &[Item]) -> Option<Line> {
    let item = item_at(roots, &line.path)?;
    let mut text = render_item(&item, line.path.len().saturating_sub(1));
    if let Some(piece) = &line.piece {
        text = write_piece(&text, piece);
    }
    Some(Line {
        text,
        path: Some(line.path.clone()),
        content: line.content,
    })
}

/// Whether a section's lines take more than one page: only then are its focused points
/// brought forward (and only then are there pages to turn). Counted as `render_item`
/// writes the lines, without writing them.
pub fn is_long(section: &Section, layout: &Layout) -> bool {
    let budget = layout.budget();
    let mut used = 0;
    let mut label = String::new();
    let mut stack: Vec<(Item, usize)> = section.points().iter().map(|item| (item, 0)).collect();
    if !section.context().is_empty() {
        crate::notes::markdown::escape_into(&mut label, &layout.context_label);
        used += line_len(&Marker::Bullet, discord_len(&label), 0);
        stack.extend(section.context().iter().map(|item| (item, 1)));
    }
    while let Some((item, depth)) = stack.pop() {
        used += line_len(&item.marker(), item.markdown_len(), depth);
        if used > budget {
            return true;
        }
        stack.extend(item.children().iter().map(|child| (child, depth + 1)));
    }
    used > budget
}

/// `discord_len` of the line `render_item` writes, plus its newline, from the
/// `discord_len` of the item's markdown.
fn line_len(marker: &Marker, markdown_len: usize, depth: usize) -> usize {
    let marker = match marker {
        Marker::Bullet => 2,
        Marker::Number(n) => n.checked_ilog10().map_or(1, |digits| digits as usize + 1) + 2,
        Marker::Plain | Marker::TableHeader | Marker::TableRow { .. } => 0,
    };
    2 * depth + marker + markdown_len + 1
}

/// The label item a section's background is shown under, after its points (the roots of
/// a reply's lines), as the one point of its own items; none without background.
fn context_item(section: &Section, context_label: &str) -> Option<Items> {
    if section.context().is_empty() {
        return None;
    }
    let mut markdown = String::new();
    crate::notes::markdown::escape_into(&mut markdown, context_label);
    let text = crate::notes::Text {
        plain: context_label.to_string(),
        markdown,
    };
    let label = ItemTree {
        marker: Marker::Bullet,
        text,
        children: section.context().iter().map(|item| item.to_tree()).collect(),
    };
    Some(Items::new(vec![label], Vec::new()))
}

/// The roots of a reply's lines: the section's points, then the background's label.
fn roots<'a>(section: &'a Section, label: Option<&'a Items>) -> Vec<Item<'a>> {
    section
        .points()
        .iter()
        .chain(label.into_iter().flat_map(Items::points))
        .collect()
}

fn item_at<'a>(roots: &[Item<'a>], path: &[usize]) -> Option<Item<'a>> {
    let (first, rest) = path.split_first()?;
    let mut item = *roots.get(*first)?;
    for &index in rest {
        item = item.children().get(index)?;
    }
    Some(item)
}

/// `- text`, `3. text` or `text`, indented two spaces a level.
fn render_item(item: &Item, depth: usize) -> String {
    let markdown = item.markdown();
    // Room for the indent, the longest marker (`18446744073709551615. `) and the text.
    let mut line = String::with_capacity(2 * depth + 22 + markdown.len());
    for _ in 0..depth {
        line.push_str("  ");
    }
    match item.marker() {
        Marker::Bullet => line.push_str("- "),
        Marker::Number(n) => {
            line.push_str(&n.to_string());
            line.push_str(". ");
        }
        Marker::Plain | Marker::TableHeader | Marker::TableRow { .. } => {}
    }
    line.push_str(&markdown);
    line
}

/// A section's items (`roots`) laid out in pages of at most `budget`, the subtrees at
/// `first` first: the lines as laid and where each page starts, laid no further than the
/// first `pages` pages (at least one).
fn lay_out(
    roots: &[Item],
    tables: &Tables,
    first: &[ItemPath],
    budget: usize,
    pages: usize,
) -> (Vec<LaidLine>, Vec<PageStart>) {
    // Each context line's length, laid once: a parent repeated above hundreds of pages is
    // rendered and cut once, not for each page (a 1 MB parent took 1.4 s a question).
    let mut context_len: HashMap<ItemPath, usize> = HashMap::new();
    let parents_len = |line: &LaidLine| -> Option<usize> {
        line.content.then(|| {
            context_paths(&line.path, tables)
                .map(|path| {
                    *context_len.entry(path).or_insert_with_key(|path| {
                        context_line(path, roots, budget)
                            .iter()
                            .map(|line| line.len)
                            .sum()
                    })
                })
                .sum()
        })
    };
    // A page shows at most `budget` lines (each takes a newline at least); one more starts
    // the page after the last asked for, and the one after it may fold a table's header
    // brought forward into that page (see `lines_in_order`).
    let most = pages.saturating_mul(budget).saturating_add(2);
    pack(
        lines_in_order(roots, tables, first, budget, most),
        budget,
        pages,
        |line| line.len,
        |line| line.content,
        parents_len,
        |line, first, rest, lines| line.fit_into(roots, first, rest, lines),
    )
}

/// Every item as a line: the focused subtrees first (each under its parent lines, repeated
/// for context), then everything else in document order. Each item is a content line once.
/// Subtrees under one top-level point come together, in document order, where the best of
/// them ranks: their parents are written once, not once for each. A parent all of whose
/// points were shown under it, and shown in full (not cut as a context line longer than a
/// quarter of a page of `budget` is), is not written again, childless, with the rest.
fn lines_in_order(
    roots: &[Item],
    tables: &Tables,
    focus: &[ItemPath],
    budget: usize,
    most: usize,
) -> Vec<LaidLine> {
    let mut lines = Vec::new();
    // A table too long to bring forward whole, its header matched: its first row comes, under
    // the header repeated for context; the header stays above the table where it is.
    let focus: Vec<ItemPath> = (focus.iter())
        .map(|path| tables.first_row_under(path).unwrap_or_else(|| path.clone()))
        .collect();
    let focus = whole_steps(roots, tables, &focus);
    let mut focused: Vec<&ItemPath> = Vec::new();
    for path in &focus {
        let valid = item_at(roots, path).is_some();
        let nested = focused.iter().any(|f| path.starts_with(f) || f.starts_with(path));
        if valid && !nested {
            focused.push(path);
        }
    }
    // Each focused subtree keyed by where its top-level point first ranks.
    let best_of_root = |path: &ItemPath| focused.iter().position(|f| f.first() == path.first());
    let mut grouped = focused.clone();
    grouped.sort_by_cached_key(|path| (best_of_root(path), *path));
    let whole = shown_whole(roots, &grouped, budget);
    let mut previous: Option<&ItemPath> = None;
    for &path in &grouped {
        for end in 1..path.len() {
            // Parents the previous focused subtree already showed are not repeated.
            if previous.is_some_and(|p| p.starts_with(&path[..end])) {
                continue;
            }
            if let Some(parent) = item_at(roots, &path[..end]) {
                let content = whole.iter().any(|w| w[..] == path[..end]);
                lines.push(LaidLine::of(parent, path[..end].to_vec(), content));
            }
        }
        // A row of a table too long to bring forward whole comes under its header, repeated
        // for context unless a row of the table was laid just before (the header is content
        // where the table is, above its first rows).
        if let Some(header) = tables.header(path)
            && !grouped.contains(&&header)
            && !lines
                .last()
                .is_some_and(|line| tables.same_table(&line.path, path))
            && let Some(item) = item_at(roots, &header)
        {
            lines.push(LaidLine::of(item, header, false));
        }
        if let Some(item) = item_at(roots, path) {
            push_subtree(item, path.clone(), &[], most, &mut lines);
        }
        previous = Some(path);
    }
    let skip: Vec<&ItemPath> = grouped.iter().copied().chain(whole.iter()).collect();
    let rest = lines.len();
    for (index, item) in roots.iter().enumerate() {
        if lines.len() >= most {
            break;
        }
        push_subtree(*item, vec![index], &skip, most, &mut lines);
    }
    // A long table's header brought forward over its first row, the rest of the table right
    // after them: the header once, as content (twice, it showed on the page one under the
    // other with a row between).
    if let Some(before) = rest.checked_sub(2)
        && let [header, row, next, ..] = &lines[before..]
        && header.path == next.path
        && tables.first_row_under(&header.path).as_ref() == Some(&row.path)
    {
        lines.remove(rest);
        lines[before].content = true;
    }
    lines
}

/// The parents of `focused` subtrees whose every point is one of them or such a parent,
/// and whose line is shown in full as context (at most a quarter of a page of `budget`,
/// past which a context line is cut): written whole above the rest, as content.
fn shown_whole(roots: &[Item], focused: &[&ItemPath], budget: usize) -> Vec<ItemPath> {
    let mut parents: Vec<&[usize]> = (focused.iter())
        .flat_map(|path| (1..path.len()).map(|end| &path[..end]))
        .collect();
    // The deepest first: a parent is whole once its children are.
    parents.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    parents.dedup();
    let mut whole: Vec<ItemPath> = Vec::new();
    for parent in parents {
        let Some(item) = item_at(roots, parent) else {
            continue;
        };
        let shown = |index: usize| {
            let child: ItemPath = parent.iter().copied().chain([index]).collect();
            focused.contains(&&child) || whole.contains(&child)
        };
        let in_full = LaidLine::of(item, parent.to_vec(), false).len <= budget / 4;
        if in_full && (0..item.children().len()).all(shown) {
            whole.push(parent.to_vec());
        }
    }
    whole
}

/// `focus` with each step of a numbered list (or of a list nested in one) replaced by the
/// whole list, and each row of a table by the whole table, with the line before it that
/// introduces it (one ending in a colon): steps brought forward one by one would show step
/// 8 before steps 1 to 7, rows a table's row 8 above its header.
fn whole_steps(roots: &[Item], tables: &Tables, focus: &[ItemPath]) -> Vec<ItemPath> {
    let numbered =
        |path: &[usize]| item_at(roots, path).is_some_and(|item| matches!(item.marker(), Marker::Number(_)));
    // The first and last index among its siblings of the steps of the numbered list, or the
    // rows of the table, the item at `path` is one of (a list is read no further than needed
    // to find it longer than `MAX_STEPS`).
    let extent = |path: &[usize]| -> Option<(usize, usize)> {
        if let Some((_, _, rows)) = tables.rows_around(path) {
            return Some((rows.first, rows.last));
        }
        let (&at, parent) = path.split_last()?;
        if !numbered(path) {
            return None;
        }
        let sibling = |index: usize| -> ItemPath { parent.iter().copied().chain([index]).collect() };
        let mut first = at;
        while first > 0 && at - first <= MAX_STEPS && numbered(&sibling(first - 1)) {
            first -= 1;
        }
        let mut last = at;
        while last - first <= MAX_STEPS && numbered(&sibling(last + 1)) {
            last += 1;
        }
        Some((first, last))
    };
    let mut paths = Vec::with_capacity(focus.len());
    for path in focus {
        // The outermost numbered list or table the item is a step or row of.
        let step = (1..=path.len()).find_map(|depth| Some((depth, extent(&path[..depth])?)));
        let Some((depth, (mut first, last))) = step else {
            paths.push(path.clone());
            continue;
        };
        // A procedure or a short table, not a list of hundreds: a longer one keeps the step
        // alone (a row of a long table comes under its header: `lines_in_order`).
        if last - first >= MAX_STEPS {
            paths.push(path.clone());
            continue;
        }
        let parent = &path[..depth - 1];
        let sibling = |index: usize| -> ItemPath { parent.iter().copied().chain([index]).collect() };
        let introduces = |index: usize| {
            item_at(roots, &sibling(index)).is_some_and(|item| {
                item.marker() == Marker::Plain && item.plain().trim_end().ends_with([':', '：'])
            })
        };
        if first > 0 && introduces(first - 1) {
            first -= 1;
        }
        // Two steps of one list (rows of one table) bring it once.
        if !paths.contains(&sibling(first)) {
            paths.extend((first..=last).map(sibling));
        }
    }
    paths
}

/// The most steps a numbered list, or rows a table, brought forward whole may have.
const MAX_STEPS: usize = 20;

/// An item and everything below it, depth first, leaving out the subtrees at `skip`
/// (already shown), until `lines` holds `most`. An explicit stack: no recursion per level.
fn push_subtree(item: Item, path: ItemPath, skip: &[&ItemPath], most: usize, lines: &mut Vec<LaidLine>) {
    let mut stack = vec![(item, path)];
    while lines.len() < most
        && let Some((item, path)) = stack.pop()
    {
        if skip.contains(&&path) {
            continue;
        }
        // Children pushed in order, then turned round: they come off the stack in order.
        let first_child = stack.len();
        for (index, child) in item.children().iter().enumerate() {
            // Sized at once: a clone then a push would allocate twice.
            let mut child_path = Vec::with_capacity(path.len() + 1);
            child_path.extend_from_slice(&path);
            child_path.push(index);
            stack.push((child, child_path));
        }
        stack[first_child..].reverse();
        lines.push(LaidLine::of(item, path, true));
    }
}

/// Lines (each `len` long with its newline) packed into pages of at most `budget`
/// characters: a line longer than a page is `split` into pieces that fit the rooms
/// `Packer::piece_rooms` gives. The lines as laid, and where each page starts (never empty),
/// of the first `pages` pages (at least one).
fn pack<L>(
    lines: impl IntoIterator<Item = L>,
    budget: usize,
    pages: usize,
    len: impl Fn(&L) -> usize,
    content: impl Fn(&L) -> bool,
    mut parents_len: impl FnMut(&L) -> Option<usize>,
    mut split: impl FnMut(L, usize, usize, &mut Vec<L>),
) -> (Vec<L>, Vec<PageStart>) {
    let pages = pages.max(1);
    let lines = lines.into_iter();
    let mut laid = Vec::with_capacity(lines.size_hint().0);
    let mut packer = Packer::new(budget);
    for line in lines {
        let at = laid.len();
        if len(&line) > budget {
            let (first, rest) = packer.piece_rooms(parents_len(&line));
            split(line, first, rest, &mut laid);
        } else {
            laid.push(line);
        }
        for line in laid.get(at..).unwrap_or_default() {
            packer.place(len(line), content(line), || parents_len(line));
        }
        if packer.starts.len() > pages {
            break;
        }
    }
    let mut starts = packer.into_starts();
    // No line of the pages after the last asked for.
    if let Some(next) = starts.get(pages) {
        laid.truncate(next.line);
        starts.truncate(pages);
    }
    (laid, starts)
}

/// Where pages start as lines are packed into pages of at most `budget` characters. A page
/// that starts inside a list or a table repeats the line's parent lines (for a reply, its
/// table's header too: `context_lines`) when they fit.
struct Packer {
    budget: usize,
    starts: Vec<PageStart>,
    /// Lines placed so far.
    lines: usize,
    /// Characters on the page being filled.
    used: usize,
    /// Lines repeated for context (parents, a table's header) that end the page being
    /// filled, and their characters: a page break after them takes them to the next page,
    /// above the line they are there for.
    context_tail: (usize, usize),
}

impl Packer {
    fn new(budget: usize) -> Packer {
        Packer {
            budget,
            starts: vec![PageStart {
                line: 0,
                parents: false,
            }],
            lines: 0,
            used: 0,
            context_tail: (0, 0),
        }
    }

    /// The rooms for the pieces of a line longer than a page (see `pieces::fit`): the first
    /// takes what is left of the page being filled when that is a quarter of a page or more
    /// (else a page of its own); the rest leave room for the line's parents (`parents_len`,
    /// `None` for a line that repeats none), repeated above each, when those take at most
    /// half a page.
    fn piece_rooms(&self, parents_len: Option<usize>) -> (usize, usize) {
        let parents = parents_len.filter(|len| 2 * len <= self.budget).unwrap_or(0);
        let rest = self.budget - parents;
        let left = self.budget.saturating_sub(self.used);
        let on_this_page = self.lines > self.current().line && 4 * left >= self.budget;
        (if on_this_page { left } else { rest }, rest)
    }

    fn current(&self) -> PageStart {
        self.starts.last().copied().unwrap_or(PageStart {
            line: 0,
            parents: false,
        })
    }

    /// Places the next line, `len` long with its newline (at most a page), `content` or
    /// repeated for context; `parents_len` as in `piece_rooms`, asked only when the line
    /// starts a page.
    fn place(&mut self, len: usize, content: bool, parents_len: impl FnOnce() -> Option<usize>) {
        if self.used + len > self.budget && self.lines > self.current().line {
            let (tail, tail_len) = self.context_tail;
            let tail_start = self.lines - tail;
            if tail > 0 && tail_start > self.current().line && tail_len + len <= self.budget {
                // The context lines go along: a table's header ended a page with no row.
                self.used = tail_len;
                self.starts.push(PageStart {
                    line: tail_start,
                    parents: false,
                });
            } else {
                let parents = parents_len().filter(|parents| parents + len <= self.budget);
                self.used = parents.unwrap_or(0);
                self.starts.push(PageStart {
                    line: self.lines,
                    parents: parents.is_some(),
                });
            }
        }
        self.used += len;
        self.lines += 1;
        self.context_tail = match content {
            true => (0, 0),
            false => (self.context_tail.0 + 1, self.context_tail.1 + len),
        };
    }

    /// Where each page starts; never empty.
    fn into_starts(self) -> Vec<PageStart> {
        self.starts
    }
}

/// Packs lines into pages of at most `budget` characters. A line longer than a page goes on
/// over the next pages in pieces (a context line is cut: see `cut`). A page that starts
/// inside a list repeats the parent lines.
pub fn paginate(lines: Vec<Line>, budget: usize, parents_of: impl Fn(&Line) -> Vec<Line>) -> Vec<Page> {
    let text_len = |line: &Line| discord_len(&line.text) + 1;
    let parents_len =
        |line: &Line| -> Option<usize> { line.content.then(|| parents_of(line).iter().map(text_len).sum()) };
    let (lines, starts) = pack(
        lines,
        budget,
        usize::MAX,
        text_len,
        |line| line.content,
        parents_len,
        |line, first, rest, fitted| {
            for piece in fit(&line.text, line.content, first, rest) {
                fitted.push(Line {
                    text: write_piece(&line.text, &piece),
                    path: line.path.clone(),
                    content: line.content,
                });
            }
        },
    );
    let mut pages = Vec::with_capacity(starts.len());
    let mut rest = lines.into_iter().peekable();
    for (n, start) in starts.iter().enumerate() {
        let mut page = Page::default();
        if start.parents
            && let Some(first) = rest.peek()
        {
            page.lines = parents_of(first);
        }
        let end = starts.get(n + 1).map_or(usize::MAX, |next| next.line);
        page.lines
            .extend(rest.by_ref().take(end.saturating_sub(start.line)));
        pages.push(page);
    }
    pages
}

/// The lines a page repeats for context above a laid line it starts with: the line's
/// parents, from the top, then the header row of the table the line is a later row of;
/// one longer than a page cut (see `pieces::fit`).
fn context_lines(line: &LaidLine, roots: &[Item], tables: &Tables, budget: usize) -> Vec<LaidLine> {
    (context_paths(&line.path, tables))
        .flat_map(|path| context_line(&path, roots, budget))
        .collect()
}

/// The items a page repeats above a line at `path` it starts with (see `context_lines`).
fn context_paths(path: &[usize], tables: &Tables) -> impl Iterator<Item = ItemPath> {
    (1..path.len())
        .map(|end| path[..end].to_vec())
        .chain(tables.header(path))
}

/// The item at `path` laid as a context line: one, cut when longer than a page.
fn context_line(path: &[usize], roots: &[Item], budget: usize) -> Vec<LaidLine> {
    let mut lines = Vec::new();
    if let Some(item) = item_at(roots, path) {
        let context = LaidLine::of(item, path.to_vec(), false);
        if context.len > budget {
            context.fit_into(roots, budget, budget, &mut lines);
        } else {
            lines.push(context);
        }
    }
    lines
}

/// The tables among a section's items: for each list of siblings that holds one, where its
/// runs of rows side by side begin and end. Found in one pass as a reply is laid out, for
/// the pages that repeat a table's header: walking back over the rows from each page's
/// first line made a table of 50,000 rows cost most of a second a question.
#[derive(Debug, Clone, Default)]
struct Tables {
    /// Parent path (empty for the top level) → the rows of each table among its children,
    /// in order.
    runs: HashMap<ItemPath, Vec<Rows>>,
}

/// A table's rows among their siblings: the first's and last's index, and whether the first
/// is the table's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rows {
    first: usize,
    last: usize,
    header: bool,
}

impl Tables {
    fn of(roots: &[Item]) -> Tables {
        let mut tables = Tables::default();
        tables.add(Vec::new(), roots.iter().copied());
        // The items with children, and their paths.
        fn push_parents<'a>(
            parents: &mut Vec<(ItemPath, Item<'a>)>,
            path: &[usize],
            items: impl Iterator<Item = Item<'a>>,
        ) {
            for (index, item) in items.enumerate() {
                if !item.children().is_empty() {
                    parents.push((path.iter().copied().chain([index]).collect(), item));
                }
            }
        }
        let mut parents = Vec::new();
        push_parents(&mut parents, &[], roots.iter().copied());
        while let Some((path, item)) = parents.pop() {
            let children = item.children();
            push_parents(&mut parents, &path, children.iter());
            tables.add(path, children.iter());
        }
        tables
    }

    /// Notes the tables among `siblings`, the children of `parent`: rows side by side, a new
    /// table from each row the parser marked as a table's first.
    fn add<'a>(&mut self, parent: ItemPath, siblings: impl Iterator<Item = Item<'a>>) {
        let mut runs: Vec<Rows> = Vec::new();
        for (index, item) in siblings.enumerate() {
            let marker = item.marker();
            if !marker.is_table_row() {
                continue;
            }
            match runs.last_mut() {
                Some(rows) if rows.last + 1 == index && !marker.begins_table() => rows.last = index,
                _ => runs.push(Rows {
                    first: index,
                    last: index,
                    header: marker == Marker::TableHeader,
                }),
            }
        }
        if !runs.is_empty() {
            self.runs.insert(parent, runs);
        }
    }

    /// For the header row of a table too long to bring forward whole, its first row.
    fn first_row_under(&self, path: &[usize]) -> Option<ItemPath> {
        let (parent, at, rows) = self.rows_around(path)?;
        let long = rows.last - rows.first >= MAX_STEPS;
        (rows.header && rows.first == at && long).then(|| parent.iter().copied().chain([at + 1]).collect())
    }

    /// The header row of the table whose later row is at `path`. None for an item that is no
    /// table row, a table's first, or a row of a table without a header.
    fn header(&self, path: &[usize]) -> Option<ItemPath> {
        let (parent, at, rows) = self.rows_around(path)?;
        (rows.header && rows.first < at).then(|| parent.iter().copied().chain([rows.first]).collect())
    }

    /// Whether the items at `a` and `b` are rows of one table.
    fn same_table(&self, a: &[usize], b: &[usize]) -> bool {
        match (self.rows_around(a), self.rows_around(b)) {
            (Some((parent_a, _, rows_a)), Some((parent_b, _, rows_b))) => {
                parent_a == parent_b && rows_a == rows_b
            }
            _ => false,
        }
    }

    /// The parent of the item at `path`, its index, and the rows of the table it is a row of.
    fn rows_around<'p>(&self, path: &'p [usize]) -> Option<(&'p [usize], usize, Rows)> {
        let (&at, parent) = path.split_last()?;
        let runs = self.runs.get(parent)?;
        let &rows = runs.get(runs.partition_point(|rows| rows.last < at))?;
        (rows.first <= at).then_some((parent, at, rows))
    }
}

/// A section offered as "did you mean" when a query found nothing.
/// (Fields in alphabetical order, the order `ask --json` has always printed.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    pub title: String,
    pub topic: String,
}

/// "Did you mean": at most `limit` sections near `query`, for when it found nothing.
pub fn suggestions(index: &Index, query: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
    index
        .did_you_mean(query, topic, limit)
        .iter()
        .filter_map(|s| {
            let (note, section) = index.library().section(s.section)?;
            Some(Suggestion {
                title: section.title.clone(),
                topic: note.topic.clone(),
            })
        })
        .collect()
}

/// A section offered to post when no hit is confident, and how it matched (`translated`:
/// a Chinese question's words found it through their English glosses).
/// (Fields in alphabetical order, as the rest of `ask --json`.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Offered {
    pub reason: MatchReason,
    pub title: String,
    pub topic: String,
}

/// What `ask` found: the confident hits as replies, or else the closest sections, or else
/// suggestions. `ask --json` prints it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Answer {
    /// No confident hit: the sections the bot offers to post (at most [`CLOSEST`]).
    pub closest: Vec<Offered>,
    pub hits: Vec<AnswerHit>,
    pub query: String,
    pub suggestions: Vec<Suggestion>,
    pub topic: Option<String>,
    /// No hit because the question asks about this name, which the notes never mention
    /// (`Todoist`), as written.
    pub unmentioned: Option<String>,
}

/// One hit of an [`Answer`]: the reply's first page and what it is about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AnswerHit {
    pub category: String,
    pub pages: usize,
    pub reason: MatchReason,
    pub score: f32,
    pub text: String,
    pub title: String,
    pub topic: String,
    pub url: Option<String>,
    /// Links in the section's body, for the text output.
    #[serde(skip)]
    pub links: Vec<Link>,
}

/// Closest sections offered after a miss, at most: a short list to choose from, one
/// button each in Discord.
pub const CLOSEST: usize = 3;

impl Answer {
    /// Searches as the bot does: up to `limit` confident replies; when none, the closest
    /// sections; when none either, suggestions.
    pub fn find(index: &Index, query: &str, topic: Option<&str>, limit: usize, layout: &Layout) -> Answer {
        let (hits, closest, unmentioned) = match index.find(query, topic, limit.max(1), CLOSEST) {
            // The best hit focused, as the bot shows it.
            Found::Confident(ranked) => (ranked.into_focused(), Vec::new(), None),
            Found::Closest(ranked) => (Vec::new(), ranked.hits, ranked.unmentioned),
            Found::Nothing { unmentioned } => (Vec::new(), Vec::new(), unmentioned),
        };
        let closest: Vec<Offered> = closest
            .iter()
            .filter_map(|hit| {
                let (note, section) = index.library().section(hit.section)?;
                Some(Offered {
                    reason: hit.reason,
                    title: section.title.clone(),
                    topic: note.topic.clone(),
                })
            })
            .collect();
        let hits: Vec<AnswerHit> = hits
            .into_iter()
            .filter_map(|hit| {
                let reply = Reply::for_hit(index.library(), &hit, layout)?;
                Some(AnswerHit {
                    pages: reply.page_count(),
                    reason: reply.reason,
                    score: hit.score,
                    text: reply.page(0).text(),
                    category: reply.category,
                    title: reply.title,
                    topic: reply.topic,
                    url: reply.url,
                    links: reply.links,
                })
            })
            .collect();
        let suggestions = if hits.is_empty() && closest.is_empty() {
            suggestions(index, query, topic, 5)
        } else {
            Vec::new()
        };
        Answer {
            closest,
            hits,
            query: query.to_string(),
            suggestions,
            topic: topic.map(String::from),
            unmentioned,
        }
    }
}

/// One source link, for `/sources`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    pub topic: String,
    pub category: String,
    pub title: String,
    pub url: String,
}

/// Every section's source link, in note order; `topic` restricts to one note.
pub fn sources(library: &Library, topic: Option<&str>) -> Vec<Source> {
    let notes = match topic.map(|topic| library.position(topic)) {
        Some(Some(at)) => &library.notes()[at..=at],
        Some(None) => &[],
        None => library.notes(),
    };
    notes
        .iter()
        .flat_map(|note| {
            note.sections.iter().filter_map(|section| {
                Some(Source {
                    topic: note.topic.clone(),
                    category: section.category_line(),
                    title: section.title.clone(),
                    url: section.url.clone()?,
                })
            })
        })
        .collect()
}

/// `/sources` as pages: a bold line per topic and category, then `- [title](url)` lines.
pub fn source_pages(sources: &[Source], budget: usize) -> Vec<Page> {
    let mut lines = Vec::new();
    let mut headings: Vec<Line> = Vec::new();
    let mut last_group: Option<(&str, &str)> = None;
    for source in sources {
        let group = (source.topic.as_str(), source.category.as_str());
        if last_group != Some(group) {
            let mut heading = String::from("**");
            crate::notes::markdown::escape_into(&mut heading, &source.topic);
            if !source.category.is_empty() {
                heading.push_str(" › ");
                crate::notes::markdown::escape_into(&mut heading, &source.category);
            }
            heading.push_str("**");
            let heading = Line {
                text: heading,
                path: Some(vec![headings.len()]),
                content: false,
            };
            lines.push(heading.clone());
            headings.push(heading);
            last_group = Some(group);
        }
        lines.push(Line {
            text: markdown_link(&source.title, &source.url),
            path: Some(vec![headings.len().saturating_sub(1), lines.len()]),
            content: true,
        });
    }
    let heading_of = |line: &Line| match line.path.as_deref() {
        Some([group, _]) => headings.get(*group).cloned().into_iter().collect(),
        _ => Vec::new(),
    };
    let mut pages = paginate(lines, budget.clamp(100, limits::EMBED_DESCRIPTION), heading_of);
    // A page does not end on a heading whose first link is on the next page, which
    // repeats it above that link.
    for at in 1..pages.len() {
        let (before, after) = pages.split_at_mut(at);
        let (Some(page), Some(next)) = (before.last_mut(), after.first()) else {
            continue;
        };
        let bare = page.lines.last().filter(|line| !line.content);
        if page.lines.len() > 1
            && bare.is_some_and(|bare| next.lines.first().is_some_and(|l| l.text == bare.text))
        {
            page.lines.pop();
        }
    }
    pages
}

/// Most characters of a URL a listed link shows: longer, it would be split across pages
/// as text, no page holding a working link.
const MOST_LINK_URL: usize = 1000;

/// `- [title](url)`, with the title escaped and cut so the line stays readable; the title
/// alone when the URL is too long to link. A title holding an address shows where the link
/// leads instead: Discord shows such a link as its raw markdown (a text naming one address
/// could lead to another), and a bare link in a note (`<https://…>`) is one.
pub fn markdown_link(title: &str, url: &str) -> String {
    use crate::notes::markdown::{address_instead, escape_into, url_for_markdown};
    let mut title_text = String::new();
    let title = address_instead(title, url).unwrap_or_else(|| truncate(title, 200));
    escape_into(&mut title_text, &title);
    let url = url_for_markdown(url);
    if discord_len(&url) > MOST_LINK_URL {
        return format!("- {title_text}");
    }
    format!("- [{title_text}]({url})")
}

#[cfg(test)]
mod tests {
    use super::pieces::{CONTINUED, CONTINUES, FENCE};
    use super::*;

    /// A URL too long to link is left out of a listing: split across pages as text, no
    /// page held a working link.
    #[test]
    fn a_link_too_long_to_show_lists_its_title() {
        assert_eq!(
            markdown_link("A (b)", "https://e.x/a b"),
            "- [A (b)](https://e.x/a%20b)"
        );
        let url = format!("https://e.x/{}", "a".repeat(5000));
        assert_eq!(markdown_link("Title", &url), "- Title");
    }

    /// Discord shows a masked link whose text holds an address as raw markdown.
    #[test]
    fn a_link_whose_text_is_an_address_lists_the_address_it_leads_to() {
        let bare = "https://arxiv.org/abs/2203.02155";
        assert_eq!(
            markdown_link(bare, bare),
            format!("- [arxiv.org/abs/2203.02155]({bare})")
        );
        assert_eq!(
            markdown_link("see https://good.example", "https://evil.example/a_(b)"),
            "- [evil.example/a\\_(b)](https://evil.example/a_%28b%29)"
        );
        assert_eq!(
            markdown_link("RLHF paper", bare),
            format!("- [RLHF paper]({bare})")
        );
    }

    #[test]
    fn discord_len_counts_utf16_units() {
        for text in [
            "",
            "ascii",
            "é ü",
            "中文 思维链",
            "👍🗑️ emoji",
            "\u{10FFFF}\u{FFFF}\u{80}\u{7FF}\u{800}",
            "a\u{0}b",
        ] {
            assert_eq!(discord_len(text), text.encode_utf16().count(), "{text:?}");
        }
    }

    /// A page written alone is the page `paginate` packs from every line written: with
    /// and without focus, parents repeated, lines longer than a page (words, CJK, links, code
    /// and bold; one a focused item's parent), background.
    #[test]
    fn pages_written_alone_are_those_of_all_lines_packed() {
        let long = "word ".repeat(60);
        let long_zh = "中文句子没有空格，模型逐字读取；".repeat(30);
        let marked: Vec<String> = (0..12)
            .map(|n| format!("see [page {n}](https://e.x/{n}) and `code {n}` then **bold {n}**"))
            .collect();
        let marked = marked.join(" ");
        let text = format!(
            "---\ntitle: T\n---\n## A\n\n- one `code` **bold**\n  - 子项 中文 子项 中文\n    1. x\n    \
             2. y\n  - {long}\n    - under the long one\n- two\n  - a\n  - b\n    - c\n  - {marked}\n\
             10. ten\n11. eleven\n- 背景\n  - why 1\n    - deeper\n  - {long_zh}\n"
        );
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let mut checked = 0;
        for section in &note.sections {
            let focus: Vec<ItemPath> = vec![vec![0, 1, 0], vec![1, 1, 0], vec![3]];
            for page_chars in [100, 120, 160, 250, 1000] {
                for first in [&[][..], &focus[..1], &focus[..]] {
                    let layout = Layout {
                        page_chars,
                        context_label: "背景".to_string(),
                    };
                    let reply = Reply::in_order(&note, section, MatchReason::Text, first, &layout);
                    let roots = roots(section, reply.label.as_ref());
                    let written = |line: &LaidLine| write(line, &roots);
                    let tables = Tables::of(&roots);
                    let all: Vec<Line> = lines_in_order(&roots, &tables, first, layout.budget(), usize::MAX)
                        .iter()
                        .filter_map(written)
                        .collect();
                    let parents_of = |line: &Line| {
                        let laid = LaidLine {
                            path: line.path.clone().unwrap_or_default(),
                            len: 0,
                            content: line.content,
                            piece: None,
                        };
                        context_lines(&laid, &roots, &tables, layout.budget())
                            .iter()
                            .filter_map(written)
                            .collect()
                    };
                    let packed = paginate(all, layout.budget(), parents_of);
                    let alone: Vec<Page> = reply.pages().collect();
                    assert_eq!(alone, packed, "{} at {page_chars}", section.title);
                    assert_eq!(reply.page(usize::MAX), packed[packed.len() - 1]);
                    checked += packed.len();
                }
            }
        }
        assert!(checked > 30, "{checked} pages");
    }

    /// A page that goes on with a table starts with the table's header row again, as
    /// context (after the list parents, for a table in a list item); the first page shows
    /// it once, as content. Text whose `|` is escaped or in code, a second table after a
    /// paragraph, a third a blank line after it, a fourth with an empty header (no header)
    /// and an HTML table with no `<th>` (no header) are told apart.
    #[test]
    fn a_page_that_goes_on_with_a_table_repeats_its_header() {
        let rows: String = (0..30)
            .map(|n| format!("| row {n} | value {n} | `a \\| b` |\n"))
            .collect();
        let table = format!("| Name | Value | Code |\n|---|---|---|\n{rows}");
        let nested: String = table.lines().map(|line| format!("  {line}\n")).collect();
        let second = "| Other | Head |\n|---|---|\n| x | y |\n| z | w |\n\n| Third | Head |\n|---|---|\n| t | u |\n\n| | |\n|---|---|\n| no | header |\n| still | none |\n\n<table><tr><td>html</td><td>row</td></tr><tr><td>html</td><td>two</td></tr></table>\n";
        let text = format!(
            "---\ntitle: T\n---\n## A\n\n{table}\nA \\| pipe and `a | b` code.\n\n{second}\n## B\n\n- In a list:\n\n{nested}"
        );
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let layout = Layout {
            page_chars: 200,
            ..Layout::default()
        };
        let header = "**Name** | **Value** | **Code**";
        for (section, above) in [
            (&note.sections[0], vec![header]),
            (&note.sections[1], vec!["- In a list:", header]),
        ] {
            let reply = Reply::in_order(&note, section, MatchReason::Text, &[], &layout);
            let mut repeated = 0;
            for (n, page) in reply.pages().enumerate() {
                let texts: Vec<&str> = page.lines.iter().map(|line| line.text.trim_start()).collect();
                let Some(at) = texts.iter().position(|text| text.starts_with("row ")) else {
                    continue;
                };
                let context = page.lines[..at].iter().all(|line| !line.content);
                if n > 0 {
                    assert_eq!((&texts[..at], context), (&above[..], true), "page {n}");
                    repeated += 1;
                } else {
                    assert_eq!(texts[at - 1], header);
                }
            }
            assert!(
                repeated > 2,
                "{}: {repeated} pages go on with the table",
                section.title
            );
        }
        // The second table's rows are its own; the paragraph with pipes is no row.
        let roots = roots(&note.sections[0], None);
        let at = |text: &str| (0..roots.len()).find(|&n| roots[n].markdown().starts_with(text));
        let lines = [
            "A \\| pipe",
            "**Other**",
            "z | w",
            "**Third**",
            "t | u",
            "still | none",
            "html | two",
        ];
        let [
            Some(paragraph),
            Some(other),
            Some(z),
            Some(third),
            Some(t),
            Some(still),
            Some(html),
        ] = lines.map(at)
        else {
            panic!("lines missing");
        };
        let tables = Tables::of(&roots);
        assert_eq!(tables.header(&[paragraph]), None);
        assert_eq!(tables.header(&[other]), None);
        assert_eq!(tables.header(&[z]), Some(vec![other]));
        assert_eq!(tables.header(&[paragraph - 1]), Some(vec![0]));
        assert_eq!(tables.header(&[0]), None);
        assert_eq!(tables.header(&[third]), None);
        assert_eq!(tables.header(&[t]), Some(vec![third]));
        assert_eq!(tables.header(&[still]), None);
        assert_eq!(tables.header(&[html]), None);
        // Each table is brought forward whole, and alone, for a row of it.
        assert_eq!(whole_steps(&roots, &tables, &[vec![t]]), [vec![third], vec![t]]);
        assert_eq!(
            whole_steps(&roots, &tables, &[vec![still]]),
            [vec![still - 1], vec![still]]
        );
        assert_eq!(
            whole_steps(&roots, &tables, &[vec![html]]),
            [vec![html - 1], vec![html]]
        );
    }

    /// Context lines that would end a page (a table's header above a matched row that does
    /// not fit) go to the next page with the line they are there for; a page is never only
    /// context, and a content line at a page's end stays.
    #[test]
    fn context_lines_never_end_a_page() {
        let starts = |lines: &[(usize, bool)]| -> Vec<(usize, bool)> {
            let mut packer = Packer::new(100);
            for &(len, content) in lines {
                packer.place(len, content, || Some(0));
            }
            (packer.into_starts().iter())
                .map(|start| (start.line, start.parents))
                .collect()
        };
        // Text, a header and its parent (context), a row: the row and its context go on.
        assert_eq!(
            starts(&[(50, true), (10, false), (20, false), (40, true)]),
            [(0, false), (1, false)]
        );
        // Context alone on a page stays there; so does a content line ending one.
        assert_eq!(
            starts(&[(30, false), (30, false), (60, true)]),
            [(0, false), (2, true)]
        );
        assert_eq!(starts(&[(70, true), (40, true)]), [(0, false), (1, true)]);
        // Context and its line too long for a page together: the line starts the page.
        assert_eq!(
            starts(&[(30, true), (70, false), (40, true)]),
            [(0, false), (2, true)]
        );
    }

    /// Laid no further than its first pages, a section's first pages are those of the whole
    /// reply: over every section of the shipped note, at four page sizes, in order and with
    /// each top-level point first.
    #[test]
    fn the_first_pages_alone_are_laid_as_in_the_whole_reply() {
        let text = include_str!("../notes/chatgpt.md");
        let note = crate::notes::parse_note(std::path::Path::new("chatgpt.md"), text, &Default::default())
            .expect("a note");
        let key = |lines: &[LaidLine]| -> Vec<(ItemPath, Option<Piece>, bool, usize)> {
            (lines.iter())
                .map(|line| (line.path.clone(), line.piece.clone(), line.content, line.len))
                .collect()
        };
        let mut compared = 0;
        for section in &note.sections {
            let roots = roots(section, None);
            let tables = Tables::of(&roots);
            let focuses = std::iter::once(vec![]).chain((0..roots.len()).map(|n| vec![vec![n]]));
            for focus in focuses {
                for budget in [100, 200, 400, 1500] {
                    let (all, starts) = lay_out(&roots, &tables, &focus, budget, usize::MAX);
                    for pages in [1, 2] {
                        let (some, some_starts) = lay_out(&roots, &tables, &focus, budget, pages);
                        let end = starts.get(pages).map_or(all.len(), |start| start.line);
                        assert_eq!(key(&some), key(&all[..end]), "{} {budget} {pages}", section.title);
                        let at = |starts: &[PageStart]| -> Vec<(usize, bool)> {
                            starts.iter().map(|start| (start.line, start.parents)).collect()
                        };
                        assert_eq!(at(&some_starts), at(&starts[..starts.len().min(pages)]));
                        compared += usize::from(starts.len() > pages);
                    }
                }
            }
        }
        assert!(compared > 100, "{compared}");
    }

    /// A long section keeps its order when its first page shows the focus anyway (brought
    /// forward, a table's header showed twice on that page, and a parent with its points
    /// again); a focus further down comes first, under its header.
    #[test]
    fn focus_comes_first_only_from_past_the_first_page() {
        let rows: String = (1..=40).map(|n| format!("| r{n} | value {n} |\n")).collect();
        let text = format!("---\ntitle: T\n---\n## A\n\nThe values:\n\n| Name | Value |\n|---|---|\n{rows}");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let layout = Layout {
            page_chars: 200,
            context_label: String::new(),
        };
        let section = &note.sections[0];
        let first_page = |focus: &[ItemPath]| -> Vec<String> {
            let reply = Reply::for_section(&note, section, MatchReason::Text, focus, &layout);
            assert!(reply.page_count() > 1);
            reply.page(0).lines.into_iter().map(|line| line.text).collect()
        };
        // The roots: the lead-in, the header, rows 1 to 40.
        let in_order = first_page(&[]);
        assert_eq!(first_page(&[vec![2]]), in_order);
        assert_eq!(
            in_order[..3],
            ["The values:", "**Name** | **Value**", "r1 | value 1"]
        );
        let row_30 = first_page(&[vec![31]]);
        assert_eq!(
            row_30[..2],
            ["**Name** | **Value**", "r30 | value 30"],
            "{row_30:#?}"
        );
        assert_eq!(row_30[2], "The values:");

        // A table brought forward whole, its last row on the second page in order.
        let rows: String = (1..=6).map(|n| format!("| r{n} | value {n} |\n")).collect();
        let intro = "word ".repeat(24);
        let text =
            format!("---\ntitle: T\n---\n## A\n\n{intro}\n\n| Name | Value |\n|---|---|\n{rows}\n- after\n");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let section = &note.sections[0];
        let reply = Reply::for_section(&note, section, MatchReason::Text, &[vec![3]], &layout);
        let first: Vec<String> = reply.page(0).lines.into_iter().map(|line| line.text).collect();
        assert_eq!(
            first.first().map(String::as_str),
            Some("**Name** | **Value**"),
            "{first:#?}"
        );
        assert_eq!(
            first.last().map(String::as_str),
            Some("r6 | value 6"),
            "{first:#?}"
        );
    }

    /// A focused point whose parent is longer than a page starts on the first page, under
    /// its parent cut short (the parent cut to a whole page pushed it to the second).
    #[test]
    fn a_focused_point_under_a_long_parent_is_on_the_first_page() {
        let parent = "context ".repeat(150);
        let text = format!("---\ntitle: T\n---\n## A\n\n- first\n- {parent}\n  - the point asked for\n");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let layout = Layout {
            page_chars: 200,
            context_label: String::new(),
        };
        for section in &note.sections {
            let reply = Reply::in_order(&note, section, MatchReason::Text, &[vec![1, 0]], &layout);
            let first = reply.page(0).text();
            assert!(first.contains("the point asked for"), "{first}");
            assert!(first.starts_with("- context context"), "{first}");
        }
    }

    /// A parent longer than a page over thousands of pages is rendered and cut once, not once
    /// for each page that repeats it (a 1 MB parent took 1.4 s a question, optimised).
    #[test]
    fn a_long_parent_is_laid_once_for_all_its_pages() {
        let parent = "**".to_string() + &"word ".repeat(200_000) + "**";
        let children: String = (0..6_000).map(|n| format!("  - point {n}\n")).collect();
        let text = format!("---\ntitle: T\n---\n## A\n\n- {parent}\n{children}");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let layout = Layout {
            page_chars: 200,
            context_label: String::new(),
        };
        let started = std::time::Instant::now();
        let reply = Reply::in_order(&note, &note.sections[0], MatchReason::Text, &[], &layout);
        let took = started.elapsed();
        // The parent's pieces, then its points under it cut short, several a page.
        let last = reply.page(reply.page_count() - 1).text();
        assert!(
            last.starts_with("- **word word") && last.contains("point 5999"),
            "{last}"
        );
        assert!(reply.page_count() > 5_000, "{}", reply.page_count());
        // Once, unoptimised, it takes under a second; once for each page it took 25 s.
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    }

    /// A step of a numbered list that matched brings the whole list forward, in order, with
    /// the line that introduces it, and a step of a list nested in steps brings the outer
    /// list: the member follows the steps as shown.
    #[test]
    fn focused_steps_keep_their_order() {
        let steps: String = (1..=9).map(|n| format!("{n}. step {n} of the setup\n")).collect();
        let text = format!(
            "---\ntitle: T\n---\n## A\n\nAn intro.\n\nMore about it.\n\nTo set it up:\n\n{steps}\n- {}\n",
            "other words ".repeat(40)
        );
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let layout = Layout {
            page_chars: 300,
            context_label: String::new(),
        };
        let section = &note.sections[0];
        assert!(is_long(section, &layout));
        let shown = |focus: &[ItemPath]| -> Vec<String> {
            let reply = Reply::in_order(&note, section, MatchReason::Text, focus, &layout);
            let lines = reply.pages().flat_map(|page| page.lines);
            lines.map(|line| line.text).collect()
        };
        // Step 8 (the roots: intro, more, lead-in, steps 1 to 9, the bullet).
        let lines = shown(&[vec![1], vec![10]]);
        let want: Vec<String> = ["More about it.", "To set it up:"]
            .into_iter()
            .map(String::from)
            .chain((1..=9).map(|n| format!("{n}. step {n} of the setup")))
            .collect();
        assert_eq!(lines[..11], want[..], "{lines:#?}");
        assert_eq!(lines[11], "An intro.");

        // A step of a list nested in a step.
        let text =
            "---\ntitle: T\n---\n## A\n\n- first\n\n1. one\n2. two\n   1. two a\n   2. two b\n3. three\n";
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), text, &Default::default())
            .expect("a note");
        let roots = roots(&note.sections[0], None);
        let lines: Vec<String> = lines_in_order(&roots, &Tables::of(&roots), &[vec![2, 1]], 4000, usize::MAX)
            .iter()
            .filter_map(|line| write(line, &roots))
            .map(|line| line.text)
            .collect();
        assert_eq!(
            lines,
            [
                "1. one",
                "2. two",
                "  1. two a",
                "  2. two b",
                "3. three",
                "- first"
            ]
        );

        // A list of many more steps than a procedure has: the step alone, as any point.
        let steps: String = (1..=500).map(|n| format!("{n}. step {n}\n")).collect();
        let text = format!("---\ntitle: T\n---\n## A\n\n- first\n\n{steps}");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let items = super::roots(&note.sections[0], None);
        let focus = [vec![300], vec![301]];
        let tables = Tables::of(&items);
        assert_eq!(whole_steps(&items, &tables, &focus), focus);
        let lines = lines_in_order(&items, &tables, &focus, 4000, usize::MAX);
        let roots = items;
        assert_eq!(
            write(&lines[0], &roots).map(|line| line.text).as_deref(),
            Some("300. step 300")
        );
    }

    /// A matched row of a table brings the table forward whole, header first, with the
    /// line that introduces it, as a step of a numbered list brings its list; a row of a
    /// table too long for that comes alone, as a step of a long list does.
    #[test]
    fn a_matched_row_brings_its_table_forward() {
        let table = |rows: usize| -> String {
            let rows: String = (1..=rows).map(|n| format!("| r{n} | v{n} |\n")).collect();
            format!("| Name | Value |\n|---|---|\n{rows}")
        };
        let text = format!(
            "---\ntitle: T\n---\n## A\n\n- first\n\nAs the table says:\n\n{}\n## B\n\n- first\n\n{}\n## C\n\n{}\n## D\n\n{}\n| Smell | Kind |\n|---|---|\n| s1 | k1 |\n| s2 | k2 |\n",
            table(3),
            table(40),
            table(40),
            table(30)
        );
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let shown = |section: &Section, focus: &[ItemPath]| -> Vec<String> {
            let roots = roots(section, None);
            (lines_in_order(&roots, &Tables::of(&roots), focus, 4000, usize::MAX).iter())
                .filter_map(|line| write(line, &roots))
                .map(|line| line.text)
                .collect()
        };
        // r2 (the roots: first, the lead-in, the header, r1 to r3).
        assert_eq!(
            shown(&note.sections[0], &[vec![4]]),
            [
                "As the table says:",
                "**Name** | **Value**",
                "r1 | v1",
                "r2 | v2",
                "r3 | v3",
                "- first"
            ]
        );
        // r30 of a table too long to bring forward: alone, under its header repeated for
        // context; the header is content again above r1, where the table is (the roots:
        // first, the header, r1 to r40).
        let lines = shown(&note.sections[1], &[vec![31]]);
        assert_eq!(
            lines[..5],
            [
                "**Name** | **Value**",
                "r30 | v30",
                "- first",
                "**Name** | **Value**",
                "r1 | v1"
            ]
        );
        let roots = roots(&note.sections[1], None);
        let laid = lines_in_order(&roots, &Tables::of(&roots), &[vec![31]], 4000, usize::MAX);
        let content: Vec<bool> = laid[..5].iter().map(|line| line.content).collect();
        assert_eq!(content, [false, true, true, true, true]);
        // The header matched too (the blog's `沧海 词频` came above its header): the header
        // above, then the row, then the table's first row; the header in place again.
        let lines = shown(&note.sections[1], &[vec![31], vec![1]]);
        assert_eq!(
            lines[..6],
            [
                "**Name** | **Value**",
                "r30 | v30",
                "r1 | v1",
                "- first",
                "**Name** | **Value**",
                "r2 | v2"
            ]
        );
        // A section that is only the table, its header matched: the header once, as content
        // (it came as context over r1, then again in place over r2).
        let lines = shown(&note.sections[2], &[vec![0]]);
        assert_eq!(lines[..3], ["**Name** | **Value**", "r1 | v1", "r2 | v2"]);
        assert_eq!(
            lines.iter().filter(|line| line.starts_with("**Name**")).count(),
            1
        );
        let roots = super::roots(&note.sections[2], None);
        let laid = lines_in_order(&roots, &Tables::of(&roots), &[vec![0]], 4000, usize::MAX);
        assert!(laid.iter().all(|line| line.content));
        // Rows of a long table matched on either side of a short table's (the blog's 22 code
        // smells): the long table's header again over its row after the short table (the
        // roots: the header, r1 to r30, the short table's header, s1, s2).
        let lines = shown(&note.sections[3], &[vec![5], vec![32], vec![8], vec![9]]);
        assert_eq!(
            lines[..9],
            [
                "**Name** | **Value**",
                "r5 | v5",
                "**Smell** | **Kind**",
                "s1 | k1",
                "s2 | k2",
                "**Name** | **Value**",
                "r8 | v8",
                "r9 | v9",
                "**Name** | **Value**"
            ]
        );
    }

    /// Matched points under one parent come together under it, in document order, where
    /// the best of them ranks; a parent all of whose points came first is not written again,
    /// childless, with the rest (`chatGPT 能力发展过程` was written three times, once with
    /// nothing under it).
    #[test]
    fn matched_points_of_one_parent_come_under_it_once() {
        let text = "---\ntitle: T\n---\n## A\n\n- parent\n  - a\n  - b\n- other\n- second\n  - c\n  - d\n";
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), text, &Default::default())
            .expect("a note");
        let roots = roots(&note.sections[0], None);
        let shown = |focus: &[ItemPath]| -> Vec<String> {
            (lines_in_order(&roots, &Tables::of(&roots), focus, 4000, usize::MAX).iter())
                .filter_map(|line| write(line, &roots))
                .map(|line| line.text)
                .collect()
        };
        assert_eq!(
            shown(&[vec![0, 1], vec![1], vec![0, 0], vec![2, 1]]),
            [
                "- parent", "  - a", "  - b", "- other", "- second", "  - d", "- second", "  - c"
            ]
        );
    }

    /// `is_long` and a laid line's length count what `write` writes: bullets, numbers past
    /// 9, plain paragraphs, nesting, CJK and the background label, at budgets around each
    /// total.
    #[test]
    fn is_long_agrees_with_the_rendered_lines() {
        let text = "---\ntitle: T\n---\n## A\n\n- one `code` **bold**\n  - 子项 中文\n    1. x\n    2. y\n\
                    \n10. ten\n11. eleven\n\nA plain paragraph with [a link](https://e.x).\n\n\
                    ## B\n\n- only\n\n## C\n\n- point\n- 背景\n  - why 1\n    - deeper\n";
        let long = format!(
            "\n## D\n\n- {}\n  - {}\n",
            "a **few** words ".repeat(30),
            "中文，".repeat(100)
        );
        let text = &format!("{text}{long}");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), text, &Default::default())
            .expect("a note");
        assert!(
            note.sections.iter().any(|s| !s.context().is_empty()),
            "no background"
        );
        let mut checked = 0;
        for section in &note.sections {
            for label in ["背景", "*context*", ""] {
                let layout = Layout {
                    page_chars: 100,
                    context_label: label.to_string(),
                };
                let context = context_item(section, label);
                let roots = roots(section, context.as_ref());
                let total: usize =
                    lines_in_order(&roots, &Tables::of(&roots), &[], layout.budget(), usize::MAX)
                        .iter()
                        .map(|line| {
                            let written = write(line, &roots).expect("a line's item");
                            let len = discord_len(&written.text) + 1;
                            assert_eq!(line.len, len, "{:?}", written.text);
                            len
                        })
                        .sum();
                for page_chars in total.saturating_sub(2)..total + 2 {
                    let layout = Layout {
                        page_chars,
                        ..layout.clone()
                    };
                    assert_eq!(
                        is_long(section, &layout),
                        total > layout.budget(),
                        "{} at {page_chars}",
                        section.title
                    );
                    checked += 1;
                }
                // Around the long lines' lengths too: a line longer than a page is written in
                // pieces, each laid at its written length.
                for page_chars in [100, 150, 250, 300, 500, 1000] {
                    let layout = Layout {
                        page_chars,
                        ..layout.clone()
                    };
                    let reply = Reply::in_order(&note, section, MatchReason::Text, &[], &layout);
                    assert_eq!(
                        is_long(section, &layout),
                        reply.page_count() > 1,
                        "at {page_chars}"
                    );
                    for line in &reply.lines {
                        let written = write(line, &roots).expect("a line's item");
                        assert_eq!(line.len, discord_len(&written.text) + 1, "{:?}", written.text);
                        assert!(line.len <= page_chars, "{:?} at {page_chars}", written.text);
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 0);
    }

    /// The pieces an item is shown in, marks taken off and joined: the item's whole line
    /// when nothing is lost.
    fn item_shown(pages: &[Page], path: &ItemPath, indent: &str) -> String {
        let pieces: Vec<&str> = pages
            .iter()
            .flat_map(|page| &page.lines)
            .filter(|line| line.content && line.path.as_ref() == Some(path))
            .map(|line| line.text.as_str())
            .collect();
        rejoined(&pieces, indent)
    }

    /// Pieces of one line, marks taken off and joined. Checks each continuation keeps the
    /// line's indent and shows no marker.
    fn rejoined<'a>(pieces: &[&'a str], indent: &str) -> String {
        let last = pieces.len().saturating_sub(1);
        let head = format!("{indent}{CONTINUES}");
        let mut texts = Vec::new();
        for (n, piece) in pieces.iter().enumerate() {
            let mut piece = *piece;
            if n > 0 {
                piece = piece
                    .strip_prefix(&head)
                    .unwrap_or_else(|| panic!("{piece:.40} lacks {head:?}"));
            }
            if n < last {
                piece = piece
                    .strip_suffix(CONTINUED)
                    .unwrap_or_else(|| panic!("{piece:.40} lacks …"));
            }
            texts.push(piece);
        }
        // A code block closed at the end of a piece and opened again on the next, with its
        // language.
        let reopened = |text: &'a str| -> Option<&'a str> {
            let (language, code) = text.strip_prefix(FENCE)?.split_once('\n')?;
            language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
                .then_some(code)
        };
        for n in 1..texts.len() {
            if let (Some(before), Some(after)) = (texts[n - 1].strip_suffix(FENCE), reopened(texts[n])) {
                (texts[n - 1], texts[n]) = (before, after);
            }
        }
        texts.concat()
    }

    /// A section's pages at `page_chars`, in order, each checked to fit.
    fn fitting_pages(note: &Note, section: &Section, page_chars: usize) -> Vec<Page> {
        let layout = Layout {
            page_chars,
            ..Layout::default()
        };
        let reply = Reply::in_order(note, section, MatchReason::Text, &[], &layout);
        let pages: Vec<Page> = reply.pages().collect();
        for page in &pages {
            let len = discord_len(&page.text());
            assert!(len <= page_chars, "a page of {len} at {page_chars}");
        }
        pages
    }

    /// An item of about 5,000 characters (English words with links, code and bold; Chinese
    /// without spaces, one run without punctuation) is continued page after page: every
    /// character in order, each page within the budget, no link, code span or bold run cut.
    #[test]
    fn an_item_longer_than_a_page_continues_on_the_next_pages() {
        let mut english = String::new();
        let mut atoms = Vec::new();
        for n in 0..90 {
            english.push_str(&format!(
                "Sentence {n} says what the model reads and then writes. "
            ));
            let atom = match n % 3 {
                0 => format!("[link {n} to a page](https://example.com/{n}/a_b)"),
                1 => format!("`code {n} with spaces`"),
                _ => format!("**bold {n} words here**"),
            };
            english.push_str(&atom);
            english.push(' ');
            atoms.push(atom);
        }
        let mut chinese = String::new();
        for n in 0..150 {
            chinese.push_str(&format!("第{n}句说明模型读取什么，然后写出什么；这里没有空格。"));
        }
        chinese.push_str(&"长".repeat(400));
        chinese.push_str("完。");
        let text = format!("---\ntitle: T\n---\n## Long\n\n- short\n- {english}\n  - {chinese}\n- after\n");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let section = &note.sections[0];
        let roots = roots(section, None);
        for page_chars in [200, 1500] {
            let pages = fitting_pages(&note, section, page_chars);
            for (path, indent) in [(vec![1], ""), (vec![1, 0], "  ")] {
                let item = item_at(&roots, &path).expect("the long item");
                let whole = render_item(&item, path.len() - 1);
                assert!(discord_len(&whole) > 4_000, "{} chars", discord_len(&whole));
                assert_eq!(
                    item_shown(&pages, &path, indent),
                    whole,
                    "{path:?} at {page_chars}"
                );
            }
            let lines: Vec<&Line> = pages.iter().flat_map(|page| &page.lines).collect();
            for atom in &atoms {
                assert!(
                    lines.iter().any(|line| line.text.contains(atom.as_str())),
                    "{atom} cut"
                );
            }
            assert!(
                pages.len() > 5_000 * 2 / page_chars,
                "{} pages at {page_chars}",
                pages.len()
            );
            assert_eq!(lines.first().map(|line| line.text.as_str()), Some("- short"));
            assert_eq!(lines.last().map(|line| line.text.as_str()), Some("- after"));
            // No page is left half empty: the long item starts on the first page, after
            // `- short`, and each piece takes the room a page has.
            let first_page = pages.first().map(|page| &page.lines[..]).unwrap_or_default();
            assert!(
                first_page.iter().any(|line| line.path == Some(vec![1])),
                "at {page_chars}: {first_page:?}"
            );
            for page in pages.iter().rev().skip(1) {
                let len = discord_len(&page.text());
                assert!(2 * len >= page_chars, "a page of {len} at {page_chars}");
            }
            // Each page of the nested item's pieces shows its parent above them: the end of
            // its own pieces, or repeated for context.
            for page in &pages {
                let Some(at) = (page.lines.iter()).position(|line| line.path == Some(vec![1, 0])) else {
                    continue;
                };
                assert!(
                    page.lines[..at].iter().any(|line| line.path == Some(vec![1])),
                    "at {page_chars}: {:?}",
                    page.lines.first()
                );
            }
        }
    }

    /// A code block longer than a page is closed at the end of each piece and opened again
    /// on the next, broken between its lines: every page shows code as code.
    #[test]
    fn a_code_block_longer_than_a_page_is_closed_and_opened_again() {
        let code: String = (0..120)
            .map(|n| format!("    rule_{n}: value * {n}; // [note] `{n}`\n"))
            .collect();
        let text = format!("---\ntitle: T\n---\n## Code\n\n- before\n\n```css\n{code}```\n");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .expect("a note");
        let section = &note.sections[0];
        let roots = roots(section, None);
        let whole = render_item(&item_at(&roots, &[1]).expect("the code block"), 0);
        assert!(
            whole.starts_with("```css\n    rule_0") && discord_len(&whole) > 4_000,
            "{whole:.40}"
        );
        for page_chars in [200, 1500] {
            let pages = fitting_pages(&note, section, page_chars);
            for page in &pages {
                let text = page.text();
                assert_eq!(text.matches(FENCE).count() % 2, 0, "{text}");
                // Each page opens the block with its language: Discord highlights it.
                assert_eq!(
                    text.matches("```css\n").count(),
                    text.matches(FENCE).count() / 2,
                    "{text}"
                );
                // Broken after a line of code.
                if let Some((code, _)) = text.rsplit_once(&format!("{FENCE}{CONTINUED}")) {
                    assert!(code.ends_with('\n'), "{text}");
                }
            }
            assert!(pages.len() > 4_000 / page_chars, "{} pages", pages.len());
            assert_eq!(item_shown(&pages, &vec![1], ""), whole, "at {page_chars}");
        }
        // A first line of code longer than a page is broken inside, not before it.
        let line = format!("```\n{}\nshort\n```", "word ".repeat(100));
        let first = pieces::fit(&line, true, 200, 200)
            .first()
            .map(|piece| write_piece(&line, piece));
        let first = first.unwrap_or_default();
        assert!(
            first.starts_with("```\nword") && first.ends_with("word ```…"),
            "{first}"
        );
    }

    /// `paginate` (`/sources`, listings) continues a long line as replies do: a listing line
    /// and a `/sources` link longer than a page (one unbreakable: split where it must be,
    /// nothing lost); a context line is cut to one page as before.
    #[test]
    fn paginate_continues_a_line_longer_than_a_page() {
        let listing = format!("- </notes:1> **Notes** — {}", "长文本，".repeat(300));
        let url = format!("https://example.com/{}", "a".repeat(300));
        let source = Source {
            topic: "t".to_string(),
            category: String::new(),
            title: "Title".to_string(),
            url: url.clone(),
        };
        for budget in [100, 200, 1500] {
            let line = |text: &str, content| Line {
                text: text.to_string(),
                path: None,
                content,
            };
            let context = "x".repeat(2 * budget);
            let lines = vec![line(&listing, true), line(&context, false), line("- last", true)];
            let pages = paginate(lines, budget, |_| Vec::new());
            let mut texts: Vec<&str> = Vec::new();
            for page in &pages {
                assert!(discord_len(&page.text()) <= budget, "{:?}", page.text());
                texts.extend(page.lines.iter().map(|line| line.text.as_str()));
            }
            let cut_at = texts
                .iter()
                .position(|text| text.starts_with('x'))
                .expect("the context line");
            assert_eq!(rejoined(&texts[..cut_at], ""), listing, "at {budget}");
            // A context line is cut to a quarter of a page.
            assert_eq!(texts[cut_at], truncate(&context, budget / 4 - 1));
            assert_eq!(&texts[cut_at + 1..], ["- last"]);

            let pages = source_pages(std::slice::from_ref(&source), budget);
            let mut texts: Vec<&str> = Vec::new();
            for page in &pages {
                assert!(discord_len(&page.text()) <= budget, "{:?}", page.text());
                texts.extend(
                    page.lines
                        .iter()
                        .filter(|line| line.content)
                        .map(|line| line.text.as_str()),
                );
            }
            assert_eq!(rejoined(&texts, ""), markdown_link("Title", &url), "at {budget}");
        }
    }

    /// `/sources` pages never end on a group's heading: its links start the next page,
    /// under the heading repeated.
    #[test]
    fn source_pages_never_end_on_a_heading() {
        let sources: Vec<Source> = (0..60)
            .flat_map(|group| {
                (0..(1 + group % 3)).map(move |n| Source {
                    topic: format!("topic{}", group / 4),
                    category: format!("category {group}"),
                    title: format!("A link title of some length {group}.{n}"),
                    url: format!("https://example.com/{group}/{n}"),
                })
            })
            .collect();
        for budget in [150, 230, 400, 1000] {
            let pages = source_pages(&sources, budget);
            let mut links = 0;
            for (n, page) in pages.iter().enumerate() {
                assert!(discord_len(&page.text()) <= budget);
                let last = page.lines.last().map(|line| line.content);
                assert!(
                    n + 1 == pages.len() || last == Some(true),
                    "page {n} at {budget}: {:?}",
                    page.text()
                );
                links += page.lines.iter().filter(|line| line.content).count();
            }
            assert_eq!(links, sources.len(), "at {budget}");
        }
    }
}
