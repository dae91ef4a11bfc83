//! Inline content as it is collected: its plain text (searched) and its markdown (shown
//! on Discord), links, and the text helpers both sides use: escaping for Discord, web
//! addresses as Discord links them, whitespace collapsed as a renderer shows it.

use std::borrow::Cow;

use crate::notes::model::{Link, Text};

/// Inline content being collected: a paragraph, list item text, heading or table cell.
#[derive(Default)]
pub(super) struct Inline {
    pub(super) plain: String,
    pub(super) markdown: String,
    pub(super) links: Vec<Link>,
    /// Open links: (url, plain and markdown lengths at the start of their text).
    pub(super) open_links: Vec<(String, usize, usize)>,
    /// The plain text with its spaces collapsed, when they had to be.
    pub(super) collapsed: String,
    /// Where `markdown` holds a `*` the parser left unpaired, unescaped as yet.
    pub(super) stars: Vec<usize>,
    /// Whether the text so far ends inside a web address written out.
    pub(super) in_bare_url: bool,
    /// Where the last emphasis mark HTML wrote ends (see [`Inline::mark`]).
    pub(super) html_mark_end: usize,
}

impl Inline {
    pub(super) fn text(&mut self, text: &str) {
        // A character reference (`&#x202E;`, `&#7;`) is decoded after the note's source was
        // cleaned of controls: what it gives is cleaned here.
        let text = crate::text::note_text(text);
        // Runs of spaces show as one, as the note's renderer shows them: a table the parser
        // did not take for one spent a third of its page on padding.
        let text = &*one_space_apart(&text, self.plain.ends_with([' ', '\t']));
        if self.open_links.is_empty() {
            self.text_with_bare_urls(text);
        } else {
            // A link's text is shown as written: Discord links nothing inside it.
            escape_into(&mut self.markdown, text);
            self.in_bare_url = false;
        }
        self.plain.push_str(text);
    }

    /// Text in which Obsidian's highlights (`==text==`, within one piece of text) are bold:
    /// Discord has no highlight, and showed the marks.
    /// `bold`: the text is bold already, and a highlight (bold too) writes no marks of its
    /// own.
    pub(super) fn text_with_highlights(&mut self, text: &str, bold: bool) {
        let mut rest = text;
        while let Some(open) = rest.find("==") {
            let inner_start = open + 2;
            let Some(len) = rest[inner_start..].find("==") else {
                break;
            };
            let inner = &rest[inner_start..inner_start + len];
            let marks = |c: char| c.is_whitespace() || c == '=';
            // In a web address (`?a==b`), marks are the address's; looked for a little way
            // back only, so a long word of marks stays linear.
            let mut back = open.saturating_sub(256);
            while !rest.is_char_boundary(back) {
                back -= 1;
            }
            let word = rest[back..open]
                .rsplit(char::is_whitespace)
                .next()
                .unwrap_or_default();
            let in_address = word.contains("://") || (back == 0 && word.len() == open && self.in_bare_url);
            // `==push==>` is an arrow.
            let arrow =
                rest[..open].ends_with(['<', '=']) || rest[inner_start + len + 2..].starts_with(['>', '=']);
            if inner.is_empty() || inner.starts_with(marks) || inner.ends_with(marks) || in_address || arrow {
                // `a == b`: no highlight; the text goes on after the first mark.
                self.text(&rest[..inner_start]);
                rest = &rest[inner_start..];
                continue;
            }
            self.text(&rest[..open]);
            if !bold {
                self.mark("**");
            }
            self.text(inner);
            if !bold {
                self.mark("**");
            }
            rest = &rest[inner_start + len + 2..];
        }
        self.text(rest);
    }

    /// Text in which web addresses written out (`https://a.com/x_y`) are left unescaped:
    /// Discord links such an address up to the next space, backslashes included, and a
    /// `\_` in it led nowhere. pulldown-cmark may split an address around `_` or `*`: one
    /// the text before began goes on ([`Inline::in_bare_url`], kept as text comes rather
    /// than looked for again in all of it: 50,000 pieces of one word took 21 s).
    pub(super) fn text_with_bare_urls(&mut self, text: &str) {
        let ends = |c: char| c.is_whitespace() || c == '<';
        let mut rest = text;
        if self.in_bare_url {
            let end = rest.find(ends).unwrap_or(rest.len());
            self.markdown.push_str(&rest[..end]);
            rest = &rest[end..];
            self.in_bare_url = rest.is_empty();
        }
        while let Some(start) = bare_url_start(rest) {
            escape_into(&mut self.markdown, &rest[..start]);
            let end = rest[start..].find(ends).map_or(rest.len(), |end| start + end);
            self.markdown.push_str(&rest[start..end]);
            rest = &rest[end..];
            self.in_bare_url = rest.is_empty();
        }
        escape_into(&mut self.markdown, rest);
    }

    /// A `*` of the source the parser left unpaired, written as is for now (see
    /// [`Inline::settle_stars`]).
    pub(super) fn unpaired_star(&mut self) {
        self.plain.push('*');
        self.stars.push(self.markdown.len());
        self.markdown.push('*');
    }

    /// Two unpaired `*` side by side stay `**`: bold that CommonMark does not pair around
    /// CJK punctuation and links (`打开**[[设置]] → 快捷键**。`), which Obsidian and
    /// Discord show bold, read `**` escaped. Any other is escaped.
    pub(super) fn settle_stars(&mut self) {
        let stars = std::mem::take(&mut self.stars);
        let mut lone = Vec::new();
        let mut at = 0;
        while let Some(&star) = stars.get(at) {
            let next = |n: usize| stars.get(at + n) == Some(&(star + n));
            if next(1) && !next(2) {
                at += 2;
                continue;
            }
            // A run of three or more, and the rest of it.
            let mut run = 1;
            while next(run) {
                run += 1;
            }
            lone.extend((0..run).map(|n| star + n));
            at += run;
        }
        if lone.is_empty() {
            return;
        }
        // Made again once: an insert for each moved the rest of the text each time.
        let mut escaped = String::with_capacity(self.markdown.len() + lone.len());
        let mut from = 0;
        for star in lone {
            if self.markdown.as_bytes().get(star) == Some(&b'*') && star >= from {
                escaped.push_str(&self.markdown[from..star]);
                escaped.push('\\');
                from = star;
            }
        }
        escaped.push_str(&self.markdown[from..]);
        self.markdown = escaped;
    }

    pub(super) fn code(&mut self, code: &str) {
        self.plain.push_str(code);
        // Discord's code spans take one or two backticks around them, and three begin a
        // block: backticks inside are held apart (```` ``` ```` in the vault's table of
        // syntax), and a span holding any is fenced by two, padded so they do not touch it.
        let code = backticks_apart(code, 2);
        let (fence, pad) = if code.contains('`') {
            ("``", " ")
        } else {
            ("`", "")
        };
        self.markdown.push_str(&format!("{fence}{pad}{code}{pad}{fence}"));
    }

    pub(super) fn space(&mut self) {
        self.in_bare_url = false;
        if !self.plain.ends_with(' ') && !self.plain.is_empty() {
            self.plain.push(' ');
            self.markdown.push(' ');
        }
    }

    pub(super) fn open_link(&mut self, url: &str) {
        // As browsers read an address: without tabs and line breaks (an HTML `href` may
        // hold them), and without the controls a reference may give.
        let url = crate::text::note_text(url).replace(['\t', '\n', '\r'], "");
        let url = url.as_str();
        if is_web_url(url) {
            self.markdown.push('[');
        }
        (self.open_links).push((url.to_string(), self.plain.len(), self.markdown.len()));
    }

    pub(super) fn close_link(&mut self) {
        let Some((url, start, markdown_start)) = self.open_links.pop() else {
            return;
        };
        if !is_web_url(&url) {
            return;
        }
        let mut text = self.plain.get(start..).unwrap_or_default().trim().to_string();
        // Emphasis that ended in a link of no text (one HTML opened, closed at the line's
        // end) ends after the link: its mark, cut with the text, left the other unpaired.
        let mut marks = String::new();
        if let Some(address) = address_instead(&text, &url) {
            if text.is_empty() {
                text.clone_from(&url);
                // The address is the link's text (`![](…/brain-model.png)`): a paragraph of
                // only such a link is not empty.
                self.plain.push_str(&address);
                let written = self.markdown.get(markdown_start..).unwrap_or_default();
                marks = written.chars().filter(|c| matches!(c, '*' | '~')).collect();
            }
            if self.markdown.is_char_boundary(markdown_start) {
                self.markdown.truncate(markdown_start);
            }
            escape_into(&mut self.markdown, &address);
        }
        self.markdown.push_str("](");
        self.markdown.push_str(&url_for_markdown(&url));
        self.markdown.push(')');
        self.markdown.push_str(&marks);
        self.links.push(Link { text, url });
    }

    /// A mark of markdown's own emphasis (`*`, `**`, `~~`). One right after a mark HTML
    /// wrote is kept apart from it, as [`Inline::html_mark`] does.
    pub(super) fn mark(&mut self, mark: &str) {
        if self.markdown.len() == self.html_mark_end && ends_with_mark(&self.markdown) {
            self.markdown.push(MARKS_APART);
        }
        self.markdown.push_str(mark);
    }

    /// A mark of emphasis HTML wrote, kept apart from a mark right before it by a
    /// zero-width space: Discord reads `**A****B**` (`<b>A</b><b>B</b>`) or `**a**` (`<i>*a*</i>`)
    /// as other marks than they are.
    fn html_mark(&mut self, mark: &str) {
        if ends_with_mark(&self.markdown) {
            self.markdown.push(MARKS_APART);
        }
        self.markdown.push_str(mark);
        self.html_mark_end = self.markdown.len();
    }

    /// Emphasis HTML opened (`<b>`: `**`); returns where its mark is, for `close_mark`.
    pub(super) fn open_mark(&mut self, mark: &str) -> usize {
        self.html_mark(mark);
        self.markdown.len() - mark.len()
    }

    /// Emphasis opened at `at` ends. Discord reads `**a**` and not `** a **`: spaces just
    /// inside go outside; emphasis of nothing is no emphasis.
    pub(super) fn close_mark(&mut self, mark: &str, at: usize) {
        let inside = at + mark.len();
        let opened = self.markdown.get(at..inside) == Some(mark);
        let Some(inner) = self.markdown.get(inside..).filter(|_| opened) else {
            return;
        };
        if inner.chars().all(|c| c.is_whitespace() || c == MARKS_APART) {
            // No emphasis: the mark goes, with what kept it apart, and the space stays.
            let space: String = inner.chars().filter(|&c| c != MARKS_APART).collect();
            let apart = self.markdown[..at].ends_with(MARKS_APART);
            self.markdown
                .truncate(at - if apart { MARKS_APART.len_utf8() } else { 0 });
            self.markdown.push_str(&space);
            return;
        }
        if inner.starts_with(' ') {
            // The same length: what was recorded of the text after it holds.
            self.markdown.replace_range(at..=inside, &format!(" {mark}"));
        }
        let space = self.markdown.ends_with(' ');
        if space {
            self.markdown.pop();
        }
        self.html_mark(mark);
        if space {
            self.markdown.push(' ');
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.plain.trim().is_empty()
    }

    pub(super) fn into_text(mut self) -> (Text, Vec<Link>) {
        self.settle_stars();
        let text = Text {
            plain: collapse_spaces(self.plain),
            markdown: trimmed(self.markdown),
        };
        (text, self.links)
    }

    /// The text as [`Inline::into_text`] gives it, borrowed: the plain text with its
    /// spaces collapsed, the markdown trimmed.
    pub(super) fn finished_text(&mut self) -> (&str, &str) {
        self.settle_stars();
        let Inline {
            plain,
            markdown,
            collapsed,
            ..
        } = self;
        let plain = match collapsed_up_to(plain) {
            None => plain.as_str(),
            Some(cut) => {
                collapsed.clear();
                collapse_into(collapsed, plain, cut);
                collapsed.as_str()
            }
        };
        (plain, markdown.trim())
    }

    pub(super) fn capacity_bytes(&self) -> usize {
        self.plain.capacity()
            + self.markdown.capacity()
            + self.collapsed.capacity()
            + self.links.capacity() * std::mem::size_of::<Link>()
            + self.open_links.capacity() * std::mem::size_of::<(String, usize, usize)>()
    }

    /// Empty, its buffers kept for the next paragraph.
    pub(super) fn clear(&mut self) {
        self.plain.clear();
        self.markdown.clear();
        self.links.clear();
        self.open_links.clear();
        self.collapsed.clear();
        self.stars.clear();
        self.in_bare_url = false;
        self.html_mark_end = 0;
    }
}

/// Keeps two emphasis marks apart (see [`Inline::html_mark`]).
const MARKS_APART: char = '\u{200B}';

fn ends_with_mark(markdown: &str) -> bool {
    markdown.ends_with(['*', '~'])
}

pub(super) fn is_web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Most characters of an address a link's text shows.
pub(super) const SHOWN_ADDRESS: usize = 80;

/// What a link to `url` shows instead of `text`, when it must: Discord shows a link whose
/// text holds an address as its raw markdown (a text naming one address could lead to
/// another), and a link needs a text. Then the address it leads to, as [`shown_address`].
pub fn address_instead(text: &str, url: &str) -> Option<String> {
    (text.trim().is_empty() || text.contains("://")).then(|| shown_address(url))
}

/// A web address as a link's text shows it: without its scheme (a text holding `://` is
/// not shown as a link), cut to [`SHOWN_ADDRESS`] characters.
pub(super) fn shown_address(url: &str) -> String {
    let address = url.split_once("://").map_or(url, |(_, rest)| rest);
    match address.char_indices().nth(SHOWN_ADDRESS) {
        Some((cut, _)) => format!("{}…", address.get(..cut).unwrap_or(address)),
        None => address.to_string(),
    }
}

/// Discord ends a markdown link at the first `)` or space.
pub fn url_for_markdown(url: &str) -> String {
    url.replace(' ', "%20").replace('(', "%28").replace(')', "%29")
}

/// Where the first web address written out in `text` starts (`http://` or `https://` and
/// more), as Discord finds one: anywhere, after letters too (`见https://…`).
pub(super) fn bare_url_start(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find("http") {
        let start = from + at;
        let after = &text[start + 4..];
        let scheme = after.strip_prefix("s://").or_else(|| after.strip_prefix("://"));
        if scheme.is_some_and(|rest| rest.starts_with(|c: char| !c.is_whitespace() && c != '<')) {
            return Some(start);
        }
        from = start + 4;
    }
    None
}

/// Escapes what Discord markdown would otherwise interpret.
/// A `#` is escaped only before a space or another `#` (a Discord heading); `#tag` stays.
pub fn escape_into(out: &mut String, text: &str) {
    // Every character escaped is ASCII: a byte scan finds them, runs between are copied.
    let mut run = 0;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        if !MAY_ESCAPE[usize::from(byte)] {
            continue;
        }
        let escaped = byte != b'#'
            || text[at + 1..]
                .chars()
                .next()
                .is_none_or(|next| next.is_whitespace() || next == '#');
        if escaped {
            out.push_str(&text[run..at]);
            out.push('\\');
            run = at;
        }
    }
    out.push_str(&text[run..]);
}

/// The bytes [`escape_into`] may escape (`#` only before a space, another `#` or the end).
pub(super) const MAY_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut at = 0;
    let bytes = b"\\*_~`|[]<>#";
    while at < bytes.len() {
        table[bytes[at] as usize] = true;
        at += 1;
    }
    table
};

pub(super) fn unescape_markdown(markdown: &str) -> String {
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

/// `text` without whitespace at its ends, in place.
pub(super) fn trimmed(mut text: String) -> String {
    text.truncate(text.trim_end().len());
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
}

/// `code` with every run of at least `shortest` backticks held apart by zero-width spaces.
pub(super) fn backticks_apart(code: &str, shortest: usize) -> std::borrow::Cow<'_, str> {
    // Asked of every code span: no run that long, no copy (and no string made to look for one).
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest < shortest {
        return code.into();
    }
    let mut out = String::with_capacity(code.len() + 16);
    let mut rest = code;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].len() - rest[start..].trim_start_matches('`').len();
        if run >= shortest {
            out.push('`');
            for _ in 1..run {
                out.push_str("\u{200b}`");
            }
        } else {
            out.push_str(&rest[start..start + run]);
        }
        rest = &rest[start + run..];
    }
    out.push_str(rest);
    out.into()
}

/// Runs of whitespace as one space, none at the ends (as `split_whitespace` and `join`).
/// Most texts have nothing to collapse: they are checked, and kept as they are.
pub(super) fn collapse_spaces(text: String) -> String {
    match collapsed_up_to(&text) {
        None => text,
        Some(cut) => collapsed(&text, cut),
    }
}

/// `text` with each run of spaces and tabs one space, and none at its start when the text
/// before ends with one.
pub(super) fn one_space_apart(text: &str, after_space: bool) -> Cow<'_, str> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let bytes = text.as_bytes();
    let leads = after_space && bytes.first().is_some_and(blank);
    // Asked of every text of every note: two vectorised scans, and most texts pass.
    if !leads && memchr::memchr(b'\t', bytes).is_none() && memchr::memmem::find(bytes, b"  ").is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut blank_before = after_space;
    for c in text.chars() {
        if c == ' ' || c == '\t' {
            if !blank_before {
                out.push(' ');
            }
            blank_before = true;
        } else {
            out.push(c);
            blank_before = false;
        }
    }
    Cow::Owned(out)
}

/// Whether `text` is all single spaces between words.
#[cfg(test)]
pub(super) fn is_collapsed(text: &str) -> bool {
    collapsed_up_to(text).is_none()
}

/// `None` when `text` is all single spaces between words, else where the last word before
/// the first whitespace to change ends: the text up to there is already collapsed.
pub(super) fn collapsed_up_to(text: &str) -> Option<usize> {
    // True at the start: a space there would lead.
    let mut after_space = true;
    let mut word_end = 0;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        if !may_start_whitespace(byte) {
            after_space = false;
            word_end = at + 1;
        } else if byte == b' ' {
            if after_space {
                return Some(word_end);
            }
            after_space = true;
        } else if whitespace_at(text, at).is_some() {
            return Some(word_end);
        } else {
            after_space = false;
            word_end = at + 1;
        }
    }
    (after_space && !text.is_empty()).then_some(word_end)
}

/// [`collapse_spaces`] in one pass over the bytes, copying the words between; the text
/// up to `cut` (a word's end, or 0) is copied as it is.
pub(super) fn collapsed(text: &str, cut: usize) -> String {
    let mut out = String::with_capacity(text.len());
    collapse_into(&mut out, text, cut);
    out
}

/// [`collapsed`] appended to `out`.
pub(super) fn collapse_into(out: &mut String, text: &str, cut: usize) {
    let bytes = text.as_bytes();
    let before = text.get(..cut).unwrap_or("");
    out.push_str(before);
    let (mut at, mut words) = (before.len(), !before.is_empty());
    loop {
        while let Some(space) = whitespace_at(text, at) {
            at += space;
        }
        if at >= bytes.len() {
            return;
        }
        let start = at;
        loop {
            while bytes.get(at).is_some_and(|&byte| !may_start_whitespace(byte)) {
                at += 1;
            }
            match bytes.get(at) {
                Some(_) if whitespace_at(text, at).is_none() => at += 1,
                _ => break,
            }
        }
        if words {
            out.push(' ');
        }
        words = true;
        out.push_str(&text[start..at]);
    }
}

/// Whether a character starting with `byte` may be whitespace: ASCII controls and space,
/// and the lead bytes of the other Unicode whitespace (U+0085, U+00A0, U+1680,
/// U+2000–U+205F, U+3000). A table: this is asked of every byte of every item.
pub(super) fn may_start_whitespace(byte: u8) -> bool {
    MAY_START_WHITESPACE[usize::from(byte)]
}

pub(super) const MAY_START_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = byte <= b' ' as usize || byte == 0xc2 || (byte >= 0xe1 && byte <= 0xe3);
        byte += 1;
    }
    table
};

/// The length of the whitespace character at byte `at` of `text`, if there is one.
pub(super) fn whitespace_at(text: &str, at: usize) -> Option<usize> {
    match text.as_bytes().get(at) {
        Some(b' ' | 0x09..=0x0d) => Some(1),
        Some(&byte) if may_start_whitespace(byte) && byte > b' ' => text
            .get(at..)?
            .chars()
            .next()
            .filter(|c| c.is_whitespace())
            .map(char::len_utf8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_collapse_as_split_whitespace_does() {
        let pieces = [
            "a", "中文", " ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{3000}", "\u{2003}", "\u{85}",
            "\u{1680}", "\u{205f}", "\u{2028}", "\u{1c}", "ã", "ぁ", "\u{2010}", "é",
        ];
        // Every string of up to four pieces.
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|text| pieces.iter().map(move |piece| format!("{text}{piece}")))
                .collect();
            texts.extend(longer);
        }
        for text in texts {
            let plainly = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(is_collapsed(&text), plainly == text, "{text:?}");
            assert_eq!(collapse_spaces(text.clone()), plainly, "{text:?}");
            assert_eq!(trimmed(text.clone()), text.trim(), "{text:?}");
        }
    }
}
