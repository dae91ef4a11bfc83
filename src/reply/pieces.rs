//! A line longer than a page, in pieces that each fit one: split where the text breaks
//! (a space, CJK punctuation), never inside markup unless one span alone is longer than a
//! page (then the markup is closed and opened again), with marks that say the line goes on.

use std::ops::Range;

use super::discord_len;
use crate::notes::markdown::{MAX_LANGUAGE, is_language_byte};

/// Starts a piece that continues a line, after the line's indent: says it goes on from the
/// page before, and keeps the piece's first characters from reading as markdown of their own
/// (a `- ` or `1. ` would start a list item there, a `# ` a heading).
pub(super) const CONTINUES: &str = "… ";

/// Ends a piece that the next page continues: one cut at a sentence's end would read finished.
pub(super) const CONTINUED: char = '…';

/// A code block's fence. One a piece ends inside is closed, and opened again on the next
/// piece with its language and a newline (so no code reads as the block's language).
pub(super) const FENCE: &str = "```";

/// The most marks a piece may spend closing the markup it ends inside (a code span or block,
/// emphasis), and the next opening it again: more, and the markup is left open (a code
/// block's opening line may take more: see [`wrap_room`]).
const MOST_WRAP: usize = 8;

/// Punctuation a line of CJK text, which has no spaces, may break after.
const CJK_BREAKS: [char; 7] = ['。', '，', '；', '！', '？', '、', '：'];

/// A line longer than a page (`budget`) in the pieces its pages show: a line of content in
/// `pieces`, the first in at most `first` (the room left on the page it starts on); a context
/// line (a parent repeated above the points it introduces) `cut` to a quarter of a page, so
/// those points start on the same page.
pub(super) fn fit(line: &str, content: bool, first: usize, budget: usize) -> Vec<Piece> {
    if content {
        pieces(line, first, budget)
    } else {
        vec![cut(line, budget / 4)]
    }
}

/// A piece of a line longer than a page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Piece {
    /// The bytes of the line it shows.
    bytes: Range<usize>,
    /// Starts inside markup the piece before closed: its marks, opened again.
    opens: String,
    /// Ends inside markup: its marks, closed.
    closes: String,
}

/// A line longer than a page in pieces: in order, together the whole line, each written by
/// `write_piece` (with its newline) in at most `budget`, the first in at most `first` when
/// that holds the line's marker and as much text again (else a page of its own). A line
/// indented so deep that its indent and marks would take half a page is `cut` instead:
/// continued, it would fill page after page a few characters at a time.
fn pieces(line: &str, first: usize, budget: usize) -> Vec<Piece> {
    let text_start = text_start(line);
    let indent = indent_of(line).len();
    let keep = spans_to_keep(line);
    let wrap_room = wrap_room(&keep, budget);
    let most_head = indent + discord_len(CONTINUES) + wrap_room;
    // `…`, the marks and the newline.
    let most_tail = 1 + wrap_room + 1;
    let first = if 2 * (text_start + most_tail) > first {
        budget
    } else {
        first.min(budget)
    };
    // Cut in the room the first piece has: cut to a whole page, it overflowed the page it
    // was to end.
    if 2 * (text_start.max(most_head) + most_tail) > budget {
        return vec![cut(line, first)];
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    // The marks the next piece opens again.
    let mut opens = String::new();
    // Counted as pieces are taken, not again from each piece's start: a line may be 400 KB.
    let mut left = discord_len(line);
    let mut read_to = None;
    loop {
        // The first piece carries the line's indent and marker, the others the indent, `… `
        // and the marks they open again (ASCII: their length is their `discord_len`).
        let (head, budget) = match start {
            0 => (0, first),
            _ => (indent + discord_len(CONTINUES) + opens.len(), budget),
        };
        // With its newline.
        if head + left < budget {
            pieces.push(Piece {
                bytes: start..line.len(),
                opens,
                closes: String::new(),
            });
            return pieces;
        }
        let room = budget.saturating_sub(head + most_tail);
        // The first piece ends after its marker, with some of the text.
        let end = piece_end(line, start, start.max(text_start), room, &keep);
        let wrap = (end.inside)
            .and_then(|from| open_at(line, from, end.at, &mut read_to, false))
            .filter(|wrap| wrap.opens.len().max(wrap.closes.len()) <= wrap_room)
            .unwrap_or_default();
        pieces.push(Piece {
            bytes: start..end.at,
            opens: std::mem::replace(&mut opens, wrap.opens),
            closes: wrap.closes,
        });
        left = left.saturating_sub(end.len);
        start = end.at;
    }
}

/// Where a piece ends.
#[derive(Debug, Clone, Copy)]
struct PieceEnd {
    /// The byte of the line it ends before.
    at: usize,
    /// `discord_len` of the piece's text.
    len: usize,
    /// Inside markup kept whole: where it starts.
    inside: Option<usize>,
}

/// Where a piece of `line` from byte `start` ends, after `min_end`, its text taking at most
/// `room` units. The last end that fits among, in turn: those outside `keep` after a space or
/// CJK punctuation; any char boundary outside `keep`; those inside after a line break (a
/// code block's); inside after a space or punctuation; any char boundary — the first of
/// these that fills half the room, else the furthest. At least one character, so each piece
/// takes some.
fn piece_end(line: &str, start: usize, min_end: usize, room: usize, keep: &[Kept]) -> PieceEnd {
    // The last end of each kind, from the least wanted.
    let mut last: [Option<PieceEnd>; 5] = [None; 5];
    let mut first = None;
    let mut len = 0;
    // The first span of `keep` that does not end before the end looked at (found by halves:
    // a long line has many pieces and spans).
    let mut span = keep.partition_point(|kept| kept.bytes.end <= start);
    // After an escape's backslash: no end there (the backslash would escape the `…`).
    let mut escaping = false;
    for (at, c) in line.get(start..).unwrap_or_default().char_indices() {
        len += c.len_utf16();
        let at = start + at + c.len_utf8();
        // A mark escaped is text.
        let escaped = escaping;
        escaping = c == '\\' && !escaping;
        if at <= min_end {
            continue;
        }
        while keep.get(span).is_some_and(|kept| kept.bytes.end <= at) {
            span += 1;
        }
        let inside = keep.get(span).filter(|kept| kept.bytes.start < at);
        let end = PieceEnd {
            at,
            len,
            inside: inside.map(|kept| kept.bytes.start),
        };
        first.get_or_insert(end);
        if len > room {
            break;
        }
        if escaping {
            continue;
        }
        let breaks = c.is_whitespace() || CJK_BREAKS.contains(&c);
        let kind = match inside {
            None if breaks => 4,
            None => 3,
            // Not in a block's opening fence or right after it: a piece with no code shows
            // an empty block.
            Some(kept)
                if kept
                    .block_opening
                    .is_some_and(|opening| at <= kept.bytes.start + opening) =>
            {
                continue;
            }
            // Not the break after a block's opening fence: a piece with no code shows nothing.
            Some(kept) if c == '\n' && at > kept.bytes.start + kept.block_opening.unwrap_or(0) => 2,
            // Not in a run of marks: closed after it, it would read as another run.
            Some(_) if !escaped && matches!(c, '*' | '~' | '`') => continue,
            Some(_) if breaks => 1,
            Some(_) => 0,
        };
        if let Some(last) = last.get_mut(kind) {
            *last = Some(end);
        }
    }
    // The most wanted end that fills half the room (a space early on would leave the page
    // nearly empty before an unbreakable run), else the furthest.
    let fills = |end: &&PieceEnd| 2 * end.len >= room;
    (last.iter().rev().flatten().find(fills))
        .or_else(|| last.iter().flatten().max_by_key(|end| end.at))
        .or(first.as_ref())
        .copied()
        // No character after `min_end`: the rest (lazily: counting it for each piece would
        // take time in the square of the line's length).
        .unwrap_or_else(|| PieceEnd {
            at: line.len(),
            len: discord_len(line.get(start..).unwrap_or_default()),
            inside: None,
        })
}

/// A line longer than a page cut to fit it, as it was before lines were continued: one piece,
/// then `…`. For a context line (a parent repeated above its children): its item is shown
/// whole where it is content, and continued it would push the lines it introduces pages down.
/// Emphasis or code the cut ends inside is closed: left open, its marks paired with marks on
/// the lines after it (a link, which cannot be closed, is cut as it is, the emphasis in its
/// text closed).
fn cut(line: &str, budget: usize) -> Piece {
    let keep = spans_to_keep(line);
    // The end of the longest start of the line in `room`: not in a run of marks inside
    // markup (closed after it, it would read as another run: `**b***…`), nor between an
    // escape's backslash and what it escapes (the backslash would escape the marks after it).
    let end_in = |room: usize| {
        let mut used = 0;
        let mut end = 0;
        for (at, c) in line.char_indices() {
            used += c.len_utf16();
            if used > room {
                break;
            }
            end = at + c.len_utf8();
        }
        if let Some(kept) = (keep.iter()).find(|kept| kept.bytes.start < end && end < kept.bytes.end) {
            let marks = line.get(kept.bytes.start..end).unwrap_or_default();
            end -= marks.len() - marks.trim_end_matches(['*', '~', '`']).len();
        }
        let before = line.get(..end).unwrap_or_default();
        let backslashes = before.len() - before.trim_end_matches('\\').len();
        end - backslashes % 2
    };
    // The marks that close what a cut at `end` ends inside, if it can be closed.
    let closes_at = |end: usize| {
        (keep.iter())
            .find(|kept| kept.bytes.start < end && end < kept.bytes.end && kept.block_opening.is_none())
            .and_then(|kept| open_at(line, kept.bytes.start, end, &mut None, true))
            .map(|wrap| wrap.closes)
            .filter(|closes| closes.len() <= MOST_WRAP)
    };
    let mut end = end_in(budget.saturating_sub(2));
    let mut closes = String::new();
    if closes_at(end).is_some() {
        // With room for the marks.
        end = end_in(budget.saturating_sub(2 + MOST_WRAP));
        closes = closes_at(end).unwrap_or_default();
    }
    Piece {
        bytes: 0..end,
        opens: String::new(),
        closes,
    }
}

/// A piece of `line` as its page shows it: after the first it starts with the line's indent
/// and `… ` (the marker is the item's, shown once); before the last it ends in `…`; markup
/// it ends inside (a code span or block, emphasis) is closed and opened again.
pub(super) fn write_piece(line: &str, piece: &Piece) -> String {
    let text = text_of(line, piece);
    let indent = indent_of(line);
    let mut out = String::with_capacity(indent.len() + text.len() + 16);
    if piece.bytes.start > 0 {
        out.push_str(indent);
        out.push_str(CONTINUES);
    }
    out.push_str(&piece.opens);
    out.push_str(text);
    out.push_str(&piece.closes);
    if piece.bytes.end < line.len() {
        out.push(CONTINUED);
    }
    out
}

/// The text of `line` a piece shows: its bytes, less the spaces between them and emphasis
/// the piece opens again or closes (`* an italic cut *` is no italic on Discord, whose marks
/// read as emphasis only against text).
fn text_of<'a>(line: &'a str, piece: &Piece) -> &'a str {
    let mut text = line.get(piece.bytes.clone()).unwrap_or_default();
    if piece.opens.ends_with(['*', '~', '_']) {
        text = text.trim_start();
    }
    if piece.closes.starts_with(['*', '~', '_']) {
        text = text.trim_end();
    }
    text
}

/// The links of a written `line` that `piece` shows (the whole line when `None`), in order:
/// each link's URL as written, and whether the piece shows all of the link (else it cuts
/// the link at its start or end).
pub(super) fn links_shown<'a>(line: &'a str, piece: Option<&Piece>) -> Vec<(&'a str, bool)> {
    let shown = piece.map_or(0..line.len(), |piece| piece.bytes.clone());
    let mut links = Vec::new();
    let mut markup = Markup::default();
    // Where the link open now starts (its `[`).
    let mut open = None;
    let mut at = 0;
    while at < line.len() && (at < shown.end || open.is_some()) {
        let opened = !markup.in_link;
        let token = markup.read(line, at);
        if opened && markup.in_link {
            open = Some(at);
        }
        if token.kind == Kind::LinkEnd
            && let Some(start) = open.take()
            && token.end > shown.start
        {
            // `](url)`: the URL from after `](` to before `)`.
            let url = line.get(at + 2..token.end - 1).unwrap_or_default();
            links.push((url, shown.start <= start && token.end <= shown.end));
        }
        at = token.end;
    }
    links
}

/// The spaces a written line is indented by (two a level).
fn indent_of(line: &str) -> &str {
    let text = line.trim_start_matches(' ');
    line.get(..line.len() - text.len()).unwrap_or_default()
}

/// Where a written line's text starts: after its indent and list marker (`- `, `12. `).
fn text_start(line: &str) -> usize {
    let indent = indent_of(line).len();
    let rest = line.get(indent..).unwrap_or_default();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let marker = if rest.starts_with("- ") {
        2
    } else if digits > 0 && rest.get(digits..).is_some_and(|after| after.starts_with(". ")) {
        digits + 2
    } else {
        0
    };
    indent + marker
}

/// The room each piece of a line leaves to close the markup it ends inside and open it
/// again: some when the line holds a code block, or markup that may be longer than a piece;
/// with a block, at least its opening line (` ```typescript\n `).
fn wrap_room(keep: &[Kept], budget: usize) -> usize {
    let may_wrap = (keep.iter()).any(|kept| kept.block_opening.is_some() || 4 * kept.bytes.len() >= budget);
    let openings = keep.iter().filter_map(|kept| kept.block_opening).max();
    if may_wrap {
        MOST_WRAP.max(openings.unwrap_or(0))
    } else {
        0
    }
}

/// Markup a piece should not end inside.
#[derive(Debug, Clone, PartialEq)]
struct Kept {
    bytes: Range<usize>,
    /// For a code block (` ```rust\n…\n``` `), the bytes of its opening line with its break:
    /// a piece that must end inside closes the block, and the next opens it again so.
    block_opening: Option<usize>,
}

/// The markup of a written line that a piece should not end inside, outermost only, in
/// order: links, code spans and blocks, emphasis (`**`, `*`, `~~`) and escapes. Read as the
/// notes' markdown is written, with every literal backslash, `*`, `_`, `~`, backtick, `[` and
/// `]` escaped; markup left open at the line's end keeps nothing.
fn spans_to_keep(line: &str) -> Vec<Kept> {
    let mut spans = Vec::new();
    let mut markup = Markup::default();
    // Where the outermost markup open now began.
    let mut open_at = None;
    let mut at = 0;
    while at < line.len() {
        let start = at;
        let token = markup.read(line, at);
        at = token.end;
        let open = markup.is_open();
        if open_at.is_none() && (open || token.kind.is_atom()) {
            open_at = Some(start);
        }
        if !open && let Some(from) = open_at.take() {
            spans.push(Kept {
                // Only a block on its own, not one inside other markup, is closed and opened.
                block_opening: match token.kind {
                    Kind::Code {
                        fence,
                        block: Some(language),
                    } if from == start => Some(fence + language + 1),
                    _ => None,
                },
                bytes: from..at,
            });
        }
    }
    spans
}

/// The marks that close the markup open at byte `at` of a kept span starting at `from`, and
/// open it again: a code span's or block's backticks, emphasis. `None` inside a link (its
/// URL cannot be split) unless `in_link` (a cut the line does not go on after: the emphasis
/// opened in the link's text), in a run of marks, or with nothing open.
fn open_at(line: &str, from: usize, at: usize, read_to: &mut Option<ReadTo>, in_link: bool) -> Option<Wrap> {
    // On from where the piece before stopped in the same span: read from the span's start for
    // each piece, a line of 1 MB in one emphasis took its square (1.5 s a question).
    let (mut start, mut markup) = match read_to.take() {
        Some(read) if read.from == from && read.start <= at => (read.start, read.markup),
        _ => (from, Markup::default()),
    };
    while start < at {
        // A token that opens or closes markup is read again from before it, not from after.
        let changes = matches!(line.as_bytes().get(start), Some(b'[' | b']' | b'*' | b'~'));
        let token = markup.read(line, start);
        if token.end > at {
            let wrap = match token.kind {
                // A block inside emphasis is left open, as it was kept.
                Kind::Code { fence, block }
                    if !markup.in_link && (block.is_none() || markup.emphasis.is_empty()) =>
                {
                    let language = block.map(|language| line.get(start + fence..start + fence + language));
                    Some(markup.wrap(Some((fence, language.map(Option::unwrap_or_default)))))
                }
                _ => None,
            };
            if !changes {
                *read_to = Some(ReadTo { from, start, markup });
            }
            return wrap;
        }
        start = token.end;
    }
    let wrap = ((in_link || !markup.in_link) && !markup.emphasis.is_empty()).then(|| markup.wrap(None));
    *read_to = Some(ReadTo { from, start, markup });
    wrap
}

/// How far [`open_at`] read a kept span (from its start, `from`), and the markup open there.
struct ReadTo {
    from: usize,
    start: usize,
    markup: Markup,
}

/// Marks around a piece that ends inside markup, and around the next that goes on inside it.
#[derive(Debug, Clone, Default, PartialEq)]
struct Wrap {
    /// Opens the markup again, outermost first (after the piece's `… `).
    opens: String,
    /// Closes it, innermost first (before the piece's `…`).
    closes: String,
}

/// Markup open while a line is read a token at a time.
#[derive(Debug, Default)]
struct Markup {
    /// Emphasis open now, innermost last: its delimiter and how many of them are unclosed.
    emphasis: Vec<(u8, usize)>,
    in_link: bool,
}

/// A token of a written line: its kind, and the byte it ends before.
struct Token {
    kind: Kind,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A backslash and the character it escapes.
    Escape,
    /// A code span, or a block (a fence of three, a language and a line break), closed;
    /// for a block, the bytes of its language.
    Code { fence: usize, block: Option<usize> },
    /// `](url)`, ending a link.
    LinkEnd,
    /// Anything else: text, a run of emphasis marks, a link's `[`.
    Other,
}

impl Kind {
    /// Kept whole even with no markup open.
    fn is_atom(self) -> bool {
        !matches!(self, Kind::Other)
    }
}

impl Markup {
    fn is_open(&self) -> bool {
        self.in_link || !self.emphasis.is_empty()
    }

    /// Reads the token at byte `at` of `line`.
    fn read(&mut self, line: &str, at: usize) -> Token {
        let bytes = line.as_bytes();
        let other = |end| Token {
            kind: Kind::Other,
            end,
        };
        match bytes.get(at).copied().unwrap_or_default() {
            b'\\' => {
                let escaped = line.get(at + 1..).and_then(|rest| rest.chars().next());
                Token {
                    kind: Kind::Escape,
                    end: at + 1 + escaped.map_or(0, char::len_utf8),
                }
            }
            b'`' => {
                let fence = run_len(bytes, at);
                let language = (bytes.get(at + fence..).unwrap_or_default().iter())
                    .take_while(|&&b| is_language_byte(b))
                    .count();
                let block = fence == FENCE.len()
                    && language <= MAX_LANGUAGE
                    && bytes.get(at + fence + language) == Some(&b'\n');
                match closing_fence(bytes, at + fence, fence) {
                    Some(end) => Token {
                        kind: Kind::Code {
                            fence,
                            block: block.then_some(language),
                        },
                        end,
                    },
                    None => other(at + fence),
                }
            }
            b'[' if !self.in_link => {
                self.in_link = true;
                other(at + 1)
            }
            b']' if self.in_link && bytes.get(at + 1) == Some(&b'(') => {
                // The URL ends at the first `)`: the notes write those in a URL as `%29`.
                let url = bytes.get(at + 2..).unwrap_or_default();
                match url.iter().position(|&b| b == b')') {
                    Some(end) => {
                        self.in_link = false;
                        Token {
                            kind: Kind::LinkEnd,
                            end: at + 2 + end + 1,
                        }
                    }
                    None => other(bytes.len()),
                }
            }
            byte @ (b'*' | b'~') => {
                // Opens when text follows it, closes when text comes before it; between two
                // words it closes what it matches, else opens.
                let run = run_len(bytes, at);
                let before = line.get(..at).and_then(|text| text.chars().next_back());
                let after = line.get(at + run..).and_then(|text| text.chars().next());
                let opens = after.is_some_and(|c| !c.is_whitespace());
                let closes = before.is_some_and(|c| !c.is_whitespace());
                let last = self.emphasis.last();
                if closes && (!opens || last.is_some_and(|&(open, _)| open == byte)) {
                    close_emphasis(&mut self.emphasis, byte, run);
                } else if opens {
                    self.emphasis.push((byte, run));
                }
                other(at + run)
            }
            _ => other(at + 1),
        }
    }

    /// The marks around a piece ending with this emphasis open and, innermost, `code` (its
    /// fence and, for a block, its language).
    fn wrap(&self, code: Option<(usize, Option<&str>)>) -> Wrap {
        let mut wrap = Wrap::default();
        for &(delimiter, count) in &self.emphasis {
            let marks = char::from(delimiter).to_string().repeat(count);
            wrap.opens.push_str(&marks);
            wrap.closes.insert_str(0, &marks);
        }
        if let Some((fence, block)) = code {
            let ticks = "`".repeat(fence);
            wrap.opens.push_str(&ticks);
            if let Some(language) = block {
                wrap.opens.push_str(language);
                wrap.opens.push('\n');
            }
            wrap.closes.insert_str(0, &ticks);
        }
        wrap
    }
}

/// How many of `bytes[at]` come in a row from `at`.
fn run_len(bytes: &[u8], at: usize) -> usize {
    let rest = bytes.get(at..).unwrap_or_default();
    rest.iter()
        .take_while(|&&byte| Some(&byte) == rest.first())
        .count()
}

/// The end of the first run of exactly `fence` backticks from `at`: a code span's end.
fn closing_fence(bytes: &[u8], mut at: usize, fence: usize) -> Option<usize> {
    while let Some(&byte) = bytes.get(at) {
        if byte != b'`' {
            at += 1;
            continue;
        }
        let run = run_len(bytes, at);
        if run == fence {
            return Some(at + run);
        }
        at += run;
    }
    None
}

/// Closes `run` emphasis delimiters against those open, innermost first, while they match.
fn close_emphasis(open: &mut Vec<(u8, usize)>, delimiter: u8, mut run: usize) {
    while run > 0
        && let Some((kind, unclosed)) = open.last_mut()
        && *kind == delimiter
    {
        let closed = run.min(*unclosed);
        *unclosed -= closed;
        run -= closed;
        if *unclosed == 0 {
            open.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The markup a piece must not end inside, as the notes write it; markup left open keeps
    /// nothing.
    #[test]
    fn spans_to_keep_are_the_links_code_emphasis_and_escapes() {
        let kept = |line: &str| -> Vec<String> {
            let spans = spans_to_keep(line);
            spans
                .iter()
                .map(|kept| {
                    let text = line.get(kept.bytes.clone()).unwrap_or("?");
                    let block = if kept.block_opening.is_some() {
                        " (block)"
                    } else {
                        ""
                    };
                    format!("{text}{block}")
                })
                .collect()
        };
        assert_eq!(kept("- a **b c** d"), ["**b c**"]);
        assert_eq!(
            kept("[a `](x` *b*](https://e.x/a_(b%29) `` a`b `` \\* 中\\#"),
            ["[a `](x` *b*](https://e.x/a_(b%29)", "`` a`b ``", "\\*", "\\#"]
        );
        assert_eq!(
            kept("***a* b** and ~~gone~~ x**y**z"),
            ["***a* b**", "~~gone~~", "**y**"]
        );
        assert_eq!(kept("2 * 3 and 4 ** 5"), Vec::<String>::new());
        assert_eq!(kept("**open [and](https://e.x) `c`"), Vec::<String>::new());
        assert_eq!(kept("[open `c` \\\\"), Vec::<String>::new());
        assert_eq!(
            kept("```\nlet a = *b;\n``` ```x```"),
            ["```\nlet a = *b;\n``` (block)", "```x```"]
        );
    }

    /// A piece shows the links it holds whole, and those it cuts; a link's `[` or `](` in
    /// code, or escaped, is none.
    #[test]
    fn links_shown_are_those_a_piece_holds_or_cuts() {
        let line = "- [a](https://a.x) `[b](c)` \\[d\\](e) [`f`](https://f.x/%29) [g **h**](https://g.x)";
        let all = links_shown(line, None);
        assert_eq!(
            all,
            [
                ("https://a.x", true),
                ("https://f.x/%29", true),
                ("https://g.x", true)
            ]
        );
        let at = |text: &str| line.find(text).unwrap_or_default();
        let piece = |bytes: Range<usize>| Piece {
            bytes,
            opens: String::new(),
            closes: String::new(),
        };
        // Cut inside the second link: the first whole, the second cut.
        let first = piece(0..at("f`]"));
        assert_eq!(
            links_shown(line, Some(&first)),
            [("https://a.x", true), ("https://f.x/%29", false)]
        );
        // From inside the second link to the end.
        let rest = piece(at("f`]")..line.len());
        assert_eq!(
            links_shown(line, Some(&rest)),
            [("https://f.x/%29", false), ("https://g.x", true)]
        );
    }

    /// Inside markup longer than a page (where a piece may end at any char boundary) a piece
    /// never ends between an escape's backslash and its character: the backslash would
    /// escape the `…` and leave the character bare on the next page.
    #[test]
    fn a_piece_never_ends_inside_an_escape() {
        let line = format!("- zebra **{}** tail", "\\*".repeat(1500));
        for budget in 200..260 {
            for piece in pieces(&line, budget, budget) {
                let text = line.get(piece.bytes.clone()).unwrap_or_default();
                let backslashes = text.len() - text.trim_end_matches('\\').len();
                assert_eq!(backslashes % 2, 0, "at {budget}: {text:?}");
            }
        }
    }

    /// A break early in a page does not leave it nearly empty before a run with no break
    /// of its own (Chinese without punctuation, a long bold run): the page is filled.
    #[test]
    fn an_early_space_does_not_leave_a_page_empty() {
        for run in ["长".repeat(1000), format!("**{}**", "b".repeat(1000))] {
            let line = format!("- zebra {run}");
            for budget in [200, 257, 1500] {
                let first = pieces(&line, budget, budget)
                    .first()
                    .map(|piece| write_piece(&line, piece));
                let first = first.unwrap_or_default();
                assert!(2 * discord_len(&first) >= budget - 10, "at {budget}: {first:?}");
            }
        }
    }

    /// A code block whose first line of code is longer than a page is not broken right after
    /// its opening fence: that piece would show an empty code block.
    #[test]
    fn a_piece_holds_some_code() {
        let line = format!("```\n{}\nshort\n```", "x".repeat(1000));
        for budget in [200, 201, 333] {
            let first = pieces(&line, budget, budget)
                .first()
                .map(|piece| write_piece(&line, piece));
            let first = first.unwrap_or_default();
            assert!(first.starts_with("```\nxx"), "at {budget}: {first:?}");
        }
    }

    /// Markup longer than a page — a code span, bold, bold around code, struck text — is
    /// closed at the end of each piece and opened again on the next, so every page shows it
    /// as the note does; a link, whose URL cannot be split, is left open.
    #[test]
    fn markup_longer_than_a_page_is_closed_and_opened_again() {
        let words = format!("{}end", "word ".repeat(400));
        let cases = [
            (format!("- see `{words}` then"), "`", "`"),
            (format!("- see ``{words}`` then"), "``", "``"),
            (format!("- see **{words}** then"), "**", "**"),
            (format!("- see **a `{words}` b** then"), "**`", "`**"),
            (format!("- see ~~*{words}*~~ then"), "~~*", "*~~"),
        ];
        for (line, opens, closes) in &cases {
            for budget in [200, 333, 1500] {
                let pieces = pieces(line, budget, budget);
                assert!(pieces.len() > 1, "{line:.20} at {budget}");
                for (n, piece) in pieces.iter().enumerate() {
                    let written = write_piece(line, piece);
                    assert!(discord_len(&written) < budget, "{written:?}");
                    if n + 1 < pieces.len() {
                        let text = written.strip_suffix(CONTINUED).unwrap_or_default();
                        assert!(text.ends_with(closes), "piece {n} at {budget}: {written:?}");
                    }
                    if n > 0 {
                        let text = written.strip_prefix(CONTINUES).unwrap_or_default();
                        assert!(text.starts_with(opens), "piece {n} at {budget}: {written:?}");
                    }
                }
            }
        }
        let link = format!("- see [{words} `{words}`](https://e.x/) then");
        for piece in pieces(&link, 200, 200) {
            assert_eq!((piece.opens.as_str(), piece.closes.as_str()), ("", ""));
        }
    }

    /// A context line cut to a quarter of a page closes the emphasis or code it ends inside:
    /// left open, its marks paired with the next line's on Discord. A link is cut as it is;
    /// an escape is not cut between its backslash and what it escapes.
    #[test]
    fn a_cut_line_closes_its_markup() {
        let words = format!("{}end", "word ".repeat(400));
        let escapes = "\\*".repeat(400);
        let cases = [
            (format!("- see **{words}** then"), "**"),
            (format!("- see *{words}* then"), "*"),
            (format!("- see ~~**{words}**~~ then"), "**~~"),
            (format!("- see `{words}` then"), "`"),
            (format!("- see **{escapes}** then"), "**"),
            (format!("- see [{words}](https://e.x/) then"), ""),
            (format!("- see [**{words}**](https://e.x/) then"), "**"),
            (format!("- see {words} then"), ""),
        ];
        // Cut at every place among short bold runs: never inside a run of marks.
        let runs: String = (0..80).map(|n| format!("**b{n}** ")).collect();
        let line = format!("- xxxxx {runs}");
        for budget in 100..240 {
            let [piece] = &fit(&line, false, budget, budget)[..] else {
                panic!("one piece");
            };
            let written = write_piece(&line, piece);
            assert_eq!(written.matches('*').count() % 4, 0, "{written:?} at {budget}");
            assert!(!written.contains("***"), "{written:?} at {budget}");
        }
        for (line, closes) in &cases {
            for budget in [200, 201, 333, 1001, 1002] {
                let [piece] = &fit(line, false, budget, budget)[..] else {
                    panic!("one piece");
                };
                let written = write_piece(line, piece);
                assert!(discord_len(&written) < budget / 4, "{written:?} at {budget}");
                let text = written.strip_suffix(CONTINUED).unwrap_or_default();
                let text = text.strip_suffix(closes).unwrap_or_default();
                let backslashes = text.len() - text.trim_end_matches('\\').len();
                assert_eq!(backslashes % 2, 0, "{written:?} at {budget}");
                if !closes.is_empty() {
                    assert!(
                        text.ends_with(|c: char| !c.is_whitespace()),
                        "{written:?} at {budget}"
                    );
                }
            }
        }
    }

    /// Emphasis cut at a space is closed and opened again against text: Discord reads no
    /// `*` beside a space as a mark (`*word *`, `* word*`), so the italic showed its stars.
    #[test]
    fn emphasis_cut_at_a_space_is_closed_against_text() {
        let line = format!("- see *{}end* then", "word ".repeat(400));
        for budget in [200, 333, 1500] {
            let pieces = pieces(&line, budget, budget);
            assert!(pieces.len() > 1, "at {budget}");
            for (n, piece) in pieces.iter().enumerate() {
                let written = write_piece(&line, piece);
                let text = written.strip_suffix(CONTINUED).unwrap_or(&written);
                let text = text.strip_prefix(CONTINUES).unwrap_or(text);
                if n + 1 < pieces.len() {
                    assert!(text.ends_with("d*"), "piece {n} at {budget}: {written:?}");
                }
                if n > 0 {
                    assert!(text.starts_with("*w"), "piece {n} at {budget}: {written:?}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Any line, at any budget: pieces within the budget that together are the line, each
        /// written with its marks, unless indented so deep that it is cut.
        #[test]
        fn pieces_fit_and_rejoin_to_the_line(
            indent in 0usize..60,
            marker in "(- |12\\. |)",
            text in r"[a 长，。\u{1F600}*`~\\\[\]()_é\n]{1,900}",
            budget in 100usize..400,
            first in 0usize..400,
        ) {
            let line = format!("{}{marker}{text}", " ".repeat(indent));
            let pieces = pieces(&line, first, budget);
            let mut joined = String::new();
            for (n, piece) in pieces.iter().enumerate() {
                let written = write_piece(&line, piece);
                proptest::prop_assert!(discord_len(&written) < budget, "{written:?} at {budget}");
                // The first in the room given, unless that is too small for its marker and
                // as much text (with `…`, marks closing markup and the newline after it).
                let wrap_room = wrap_room(&spans_to_keep(&line), budget);
                let small = 2 * (text_start(&line) + wrap_room + 2) > first;
                proptest::prop_assert!(n > 0 || discord_len(&written) < first || small, "{written:?} in {first}");
                let mut text = written.as_str();
                if piece.bytes.start > 0 {
                    // The text may start with spaces of its own.
                    text = text.strip_prefix(indent_of(&line)).and_then(|text| text.strip_prefix(CONTINUES)).unwrap_or_default();
                }
                text = text.strip_prefix(piece.opens.as_str()).unwrap_or_default();
                if piece.bytes.end < line.len() {
                    text = text.strip_suffix(CONTINUED).unwrap_or_default();
                }
                text = text.strip_suffix(piece.closes.as_str()).unwrap_or_default();
                // Its bytes, but for spaces beside emphasis it opens again or closes.
                let bytes = line.get(piece.bytes.clone()).unwrap_or_default();
                proptest::prop_assert_eq!(text, text_of(&line, piece));
                proptest::prop_assert!(bytes.contains(text) && bytes.trim() == text.trim(), "{text:?} of {bytes:?}");
                proptest::prop_assert_eq!(piece.bytes.start, joined.len());
                joined.push_str(bytes);
            }
            // Cut only when the indent and marks would take half a page (counting the room
            // for marks closing markup, which the line may not need).
            if joined.len() < line.len() {
                proptest::prop_assert_eq!(pieces.len(), 1);
                let wrap_room = wrap_room(&spans_to_keep(&line), budget);
                let overhead = text_start(&line).max(indent_of(&line).len() + 2 + wrap_room) + wrap_room + 2;
                proptest::prop_assert!(2 * overhead > budget);
            } else {
                proptest::prop_assert_eq!(joined, line);
            }
        }
    }
}
