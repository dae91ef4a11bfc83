//! Passes over a body's source before it is parsed: where it may be cut into pieces parsed
//! one by one, `%%comments%%` blanked, `|` of wikilinks in tables escaped, and where its
//! code is (which those passes leave as written).

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::{OPTIONS, PIECE};

/// Where `body` can be cut so that parsing the pieces one by one gives the events of the
/// whole: before an ATX heading at column 0 (which ends any list, quote, paragraph or
/// table above it), outside fenced code and HTML blocks. Pieces are at least `min`
/// bytes. With more than one piece, also the note's link reference definitions (each
/// piece needs them), or one piece when they cannot be carried over safely.
pub(super) fn pieces(body: &str, min: usize) -> (Vec<Range<usize>>, Option<String>) {
    let all = 0..body.len();
    let whole = (vec![all], None);
    if body.len() <= min {
        return whole;
    }
    let mut cuts = vec![0];
    let mut definitions = String::new();
    // The fence (character, length) or the end of an HTML block being inside.
    let mut fence: Option<(u8, usize)> = None;
    let mut html_end: Option<&str> = None;
    // Inside an HTML block that a blank line ends (CommonMark's kinds 6 and 7).
    let mut html_until_blank = false;
    let mut blank_before = true;
    let mut definition_before = false;
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start_matches(' ').len();
        let trimmed = content.trim_start();
        let blank = trimmed.is_empty();
        if let Some(end) = html_end {
            if content.to_ascii_lowercase().contains(end) {
                html_end = None;
            }
            blank_before = blank;
            continue;
        }
        if html_until_blank {
            html_until_blank = !blank;
            blank_before = blank;
            continue;
        }
        let marker = trimmed
            .as_bytes()
            .first()
            .copied()
            .filter(|c| *c == b'`' || *c == b'~');
        let run = marker.map_or(0, |c| trimmed.bytes().take_while(|&b| b == c).count());
        match (fence, marker) {
            (Some((c, length)), Some(m)) if m == c && run >= length && trimmed[run..].trim().is_empty() => {
                fence = None;
            }
            (Some(_), _) => {}
            (None, Some(_)) if run >= 3 => fence = marker.map(|c| (c, run)),
            (None, _) => {
                if indent <= 3
                    && let Some(end) = html_block_end(trimmed)
                {
                    if !content.to_ascii_lowercase()[indent..]
                        .get(1..)
                        .is_some_and(|rest| rest.contains(end))
                    {
                        html_end = Some(end);
                    }
                } else if indent <= 3 && trimmed.starts_with('<') {
                    html_until_blank = true;
                } else if content.starts_with('#') && is_atx_heading(content) {
                    if start - cuts.last().copied().unwrap_or(0) >= min {
                        cuts.push(start);
                    }
                } else if indent <= 3
                    && (blank_before || definition_before)
                    && trimmed.starts_with('[')
                    && trimmed.contains("]:")
                {
                    // Only a line that is a definition by itself is carried over: one
                    // that is text (`[^1]: a footnote`, when footnotes are off) stays.
                    if Parser::new_ext(trimmed, OPTIONS).next().is_none() {
                        definitions.push_str(trimmed);
                        definitions.push('\n');
                    }
                    definition_before = true;
                    blank_before = false;
                    continue;
                }
            }
        }
        definition_before = false;
        blank_before = blank;
    }
    if cuts.len() == 1 {
        return whole;
    }
    let definitions = if definitions.is_empty() {
        None
    } else if fence.is_none()
        && html_end.is_none()
        && definitions.len() <= PIECE / 4
        && Parser::new_ext(&definitions, OPTIONS).next().is_none()
    {
        Some(definitions)
    } else {
        // An unclosed block at the end would swallow them, or so many that each piece
        // would mostly be definitions: parse whole.
        return whole;
    };
    let mut ranges: Vec<Range<usize>> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
    ranges.push(cuts.last().copied().unwrap_or(0)..body.len());
    (ranges, definitions)
}

/// `# Title` (one to six `#`, then a space, a tab or the end of the line).
pub(super) fn is_atx_heading(line: &str) -> bool {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes)
        && line[hashes..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t')
}

/// For an HTML block that a blank line does not end (CommonMark's kinds 1 to 5): the text
/// that ends it.
pub(super) fn html_block_end(line: &str) -> Option<&'static str> {
    let lower = line.get(..line.len().min(10))?.to_ascii_lowercase();
    for (start, end) in [
        ("<!--", "-->"),
        ("<![cdata[", "]]>"),
        ("<?", "?>"),
        ("<script", "</script>"),
        ("<pre", "</pre>"),
        ("<style", "</style>"),
        ("<textarea", "</textarea>"),
    ] {
        if lower.starts_with(start) {
            return Some(end);
        }
    }
    (lower.starts_with("<!") && lower.as_bytes().get(2).is_some_and(u8::is_ascii_alphabetic)).then_some(">")
}

/// In a table row, `[[Note|text]]` would be split into two cells at its `|`; Obsidian
/// reads it as one wikilink, and so do we once the `|` is escaped (`[[Note\\|text]]`).
pub(super) fn escape_table_wikilinks(body: &str) -> Cow<'_, str> {
    let is_row = |line: &str| line.trim_start_matches(['>', ' ', '\t']).starts_with('|');
    if !body.contains("[[") || !body.lines().any(|line| is_row(line) && line.contains("[[")) {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len() + 16);
    for line in body.split_inclusive('\n') {
        if !is_row(line) {
            out.push_str(line);
            continue;
        }
        let mut depth = 0usize;
        let mut prev = '\0';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '[' if chars.peek() == Some(&'[') => depth += 1,
                ']' if chars.peek() == Some(&']') => depth = depth.saturating_sub(1),
                '|' if depth > 0 && prev != '\\' => out.push('\\'),
                _ => {}
            }
            out.push(c);
            prev = c;
        }
    }
    Cow::Owned(out)
}

/// Obsidian `%%comments%%` (inline or over many lines) become spaces, outside code; line
/// breaks stay so line numbers hold. An unclosed `%%` hides the rest, as in Obsidian.
pub(super) fn blank_comments(body: &str, piece: usize) -> Cow<'_, str> {
    if !body.contains("%%") {
        return Cow::Borrowed(body);
    }
    let mut code = Code::default();
    for cut in pieces(body, piece).0 {
        let Some(text) = body.get(cut.clone()) else {
            continue;
        };
        for (event, range) in Parser::new_ext(text, OPTIONS).into_offset_iter() {
            code.see(&event, range, cut.start);
        }
    }
    let marks: Vec<usize> = body
        .match_indices("%%")
        .map(|(at, _)| at)
        .filter(|&at| !code.holds(at))
        .collect();
    let mut bytes = body.as_bytes().to_vec();
    let mut marks = marks.into_iter();
    let mut last_end = 0;
    while let Some(open) = marks.next() {
        if open < last_end {
            continue;
        }
        let end = loop {
            match marks.next() {
                Some(close) if close >= open + 2 => break close + 2,
                Some(_) => continue,
                None => break bytes.len(),
            }
        };
        for byte in &mut bytes[open..end] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
        last_end = end;
    }
    // Whole characters were replaced by ASCII spaces, so the text is still UTF-8.
    Cow::Owned(
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Where a body's code is (blocks and spans, in document order), as a parse of its pieces
/// tells: what a pass before the parse leaves as written there.
#[derive(Default)]
pub(super) struct Code {
    ranges: Vec<Range<usize>>,
    block_start: Option<usize>,
}

impl Code {
    /// Takes in an event of the piece starting at byte `piece_start` of the body.
    pub(super) fn see(&mut self, event: &Event, range: Range<usize>, piece_start: usize) {
        let code = match event {
            Event::Start(Tag::CodeBlock(_)) => {
                self.block_start = Some(range.start);
                return;
            }
            Event::End(TagEnd::CodeBlock) => self.block_start.take().unwrap_or(range.start)..range.end,
            Event::Code(_) => range,
            _ => return,
        };
        self.ranges.push(code.start + piece_start..code.end + piece_start);
    }

    /// Whether byte `at` of the body is in code.
    pub(super) fn holds(&self, at: usize) -> bool {
        // In document order, not overlapping: a binary search finds the one that could hold
        // `at` (a scan of all of them made a pass quadratic, found by fuzzing).
        let after = self.ranges.partition_point(|r| r.start <= at);
        after > 0 && self.ranges[after - 1].contains(&at)
    }
}
