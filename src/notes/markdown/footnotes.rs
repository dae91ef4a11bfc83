//! Footnotes (`vault ID[^1]` … `[^1]: Vault ID is the random 16-character code…`): a
//! reply holds one section, and a note's footnotes are at its end, under another heading.
//! So each reference is replaced by its footnote's text in parentheses, where it is read,
//! and the definitions are left out.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use rustc_hash::FxHashMap as HashMap;

use super::OPTIONS;
use super::source::{Code, is_atx_heading, pieces};

/// A footnote's text is cut after this many bytes: it is read in the middle of a point.
const MAX_FOOTNOTE: usize = 500;
/// Labels longer than this are no labels (and are not looked up).
const MAX_LABEL: usize = 100;

/// `body` with each reference to a footnote it defines replaced by ` (its text)` (in a
/// heading, by nothing: a title is no place for it) and its definitions blanked, line
/// breaks kept so that line numbers hold. References in code, and to footnotes the note
/// does not define, stay as written. The text added is at most as long as `body`, however
/// often a long footnote is referred to.
pub(super) fn inline_footnotes(body: &str, piece: usize) -> Cow<'_, str> {
    if !body.contains("[^") {
        return Cow::Borrowed(body);
    }
    let read = read(body, piece);
    if read.footnotes.is_empty() {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len() + body.len().min(4096));
    let mut budget = body.len();
    let mut copied = 0;
    for definition in &read.definitions {
        copy_with_references(body, copied..definition.start, &read, &mut budget, &mut out);
        // Of a definition, only its line breaks: the lines after keep their numbers.
        let blanked = body.get(definition.clone()).unwrap_or_default();
        out.extend(blanked.chars().filter(|&c| c == '\n'));
        copied = definition.end;
    }
    copy_with_references(body, copied..body.len(), &read, &mut budget, &mut out);
    Cow::Owned(out)
}

/// What a first reading of a note found: its footnotes by label, where they are defined,
/// and where its code is.
struct Read {
    footnotes: HashMap<String, String>,
    /// Each definition's source, in order.
    definitions: Vec<Range<usize>>,
    code: Code,
}

/// Reads `body` in the pieces the parse will use; a footnote defined in one piece serves
/// references in all of them.
fn read(body: &str, piece: usize) -> Read {
    let mut read = Read {
        footnotes: HashMap::default(),
        definitions: Vec::new(),
        code: Code::default(),
    };
    for cut in pieces(body, piece).0 {
        let Some(text) = body.get(cut.clone()) else {
            continue;
        };
        let shift = |r: Range<usize>| r.start + cut.start..r.end + cut.start;
        let mut definition: Option<(String, usize)> = None;
        let options = OPTIONS.union(Options::ENABLE_FOOTNOTES);
        for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
            read.code.see(&event, range.clone(), cut.start);
            match event {
                Event::Start(Tag::FootnoteDefinition(label)) if definition.is_none() => {
                    definition = Some((label.to_lowercase(), range.start));
                }
                Event::End(TagEnd::FootnoteDefinition) => {
                    if let Some((label, start)) = definition.take() {
                        let source = text.get(start..range.end).unwrap_or_default();
                        read.footnotes
                            .entry(label)
                            .or_insert_with(|| footnote_text(source));
                        read.definitions.push(shift(start..range.end));
                    }
                }
                _ => {}
            }
        }
    }
    read
}

/// A definition's text as one line (`[^1]: Vault ID is …` → `Vault ID is …`), cut at
/// [`MAX_FOOTNOTE`]; a `|` escaped, so that in a table cell it parts no cells.
fn footnote_text(source: &str) -> String {
    let text = source.split_once("]:").map_or(source, |(_, text)| text);
    let mut line = String::with_capacity(text.len().min(MAX_FOOTNOTE + 8));
    for word in text.split_whitespace() {
        if line.len() + word.len() + 1 > MAX_FOOTNOTE {
            line.push('…');
            break;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        for c in word.chars() {
            if c == '|' {
                line.push('\\');
            }
            line.push(c);
        }
    }
    line
}

/// Copies `body[range]` to `out`, each reference to a footnote of `read` outside code
/// replaced, while `budget` lasts.
fn copy_with_references(body: &str, range: Range<usize>, read: &Read, budget: &mut usize, out: &mut String) {
    let Some(text) = body.get(range.clone()) else {
        return;
    };
    let mut copied = 0;
    // Where the line of the last reference looked at starts, found going forward: looking
    // back from each reference would be quadratic on one long line of them.
    let (mut line_start, mut scanned) = (0, 0);
    for (at, _) in text.match_indices("[^") {
        if at < copied || read.code.holds(range.start + at) {
            continue;
        }
        let rest = &text[at + 2..];
        // Only as far as a label can go: a `[^` with no `]` after it must not read the rest.
        let mut window = rest.len().min(MAX_LABEL + 1);
        while !rest.is_char_boundary(window) {
            window -= 1;
        }
        let Some(end) = rest[..window].find(']').filter(|&end| end > 0) else {
            continue;
        };
        let label = &rest[..end];
        if label.contains(char::is_whitespace) {
            continue;
        }
        let Some(footnote) = read.footnotes.get(&label.to_lowercase()) else {
            continue;
        };
        if let Some(newline) = text[scanned..at].rfind('\n') {
            line_start = scanned + newline + 1;
        }
        scanned = at;
        let in_heading = is_atx_heading(text[line_start..].trim_start_matches(' '));
        let added = if in_heading { 0 } else { footnote.len() + 3 };
        if added > *budget {
            continue;
        }
        *budget -= added;
        out.push_str(&text[copied..at]);
        if !in_heading {
            out.push_str(" (");
            out.push_str(footnote);
            out.push(')');
        }
        copied = at + 2 + end + 1;
    }
    out.push_str(&text[copied..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inlined(body: &str) -> String {
        inline_footnotes(body, 256 * 1024).into_owned()
    }

    #[test]
    fn a_reference_reads_its_footnote_in_place_and_the_definition_goes() {
        let body = "## Open\n\n- `vault` is the vault name or ID[^1]. Same as `open`.\n\n## Notes\n\n[^1]: Vault ID is the random\n    16-character code.\n\nAfter.\n";
        let out = inlined(body);
        assert!(
            out.contains("- `vault` is the vault name or ID (Vault ID is the random 16-character code.). Same as `open`."),
            "{out}"
        );
        assert!(!out.contains("[^1]"), "{out}");
        // Line numbers hold: as many lines as before.
        assert_eq!(out.lines().count(), body.lines().count(), "{out}");
        assert!(out.ends_with("\nAfter.\n"), "{out}");
    }

    #[test]
    fn code_undefined_labels_and_headings_are_left_or_cleared() {
        let body = "# Title[^a]\n\nText[^a] and `code[^a]` and [^b].\n\n```\n[^a]\n```\n\n[^a]: A | B\n";
        let out = inlined(body);
        assert!(out.starts_with("# Title\n"), "{out}");
        assert!(out.contains("Text (A \\| B) and `code[^a]` and [^b]."), "{out}");
        assert!(out.contains("```\n[^a]\n```"), "{out}");
        // No footnote defined: nothing to do.
        assert!(matches!(inline_footnotes("x[^1]", 1024), Cow::Borrowed(_)));
        assert!(matches!(inline_footnotes("plain", 1024), Cow::Borrowed(_)));
    }

    #[test]
    fn a_long_footnote_referred_to_often_adds_at_most_the_body() {
        let long = "word ".repeat(400);
        let body = format!("{}\n\n[^n]: {long}\n", "x[^n] ".repeat(2000));
        let out = inlined(&body);
        assert!(out.len() <= 2 * body.len(), "{} > 2 × {}", out.len(), body.len());
        assert!(out.contains('…'), "the footnote is cut");
    }

    #[test]
    fn hostile_references_take_linear_time() {
        // A million `[^` with no `]`, then a million defined references on one line.
        for body in [
            format!("{}\n\n[^a]: A.\n", "[^".repeat(1_000_000)),
            format!("{}\n\n[^a]: A.\n", "x[^a]".repeat(1_000_000)),
        ] {
            let started = std::time::Instant::now();
            let out = inlined(&body);
            assert!(out.len() <= 2 * body.len());
            assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
        }
    }

    #[test]
    fn a_footnote_defined_in_a_later_piece_serves_an_earlier_one() {
        let filler = "words ".repeat(40);
        let body = format!("# One\n\nSee[^far].\n\n# Two\n\n{filler}\n\n# Three\n\n[^far]: Far away.\n");
        let out = inline_footnotes(&body, 64).into_owned();
        assert!(out.contains("See (Far away.)."), "{out}");
    }
}
