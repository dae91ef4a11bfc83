//! Text hygiene at the edges: what users type is cleaned before it is searched, echoed or
//! recorded; what the operator's terminal is shown has anything unprintable escaped.

use std::borrow::Cow;

/// Bidirectional-text controls: they reorder what is displayed around them, so a query
/// could make a reply or a log line read differently from what it holds.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// C0 and C1 controls (which includes DEL), bidi controls, and the invisible separators a
/// terminal or Discord would act on rather than show, or that show as nothing (a query of
/// a zero-width space alone read as a search for it).
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || is_bidi_control(c)
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{200B}' | '\u{2060}')
}

/// A query as the search, the reply and the gaps file should see it: control characters
/// and bidi controls removed, line breaks and tabs turned into spaces, and Discord's
/// mentions (`<@1180000000000000500>`, `<@&…>`, `<#…>`, what a member's `@name` in an option
/// becomes) left out: they ask nothing, and a member's id has no place in the feedback and
/// gaps files or in a button's id.
pub fn clean_query(text: &str) -> Cow<'_, str> {
    let printable: Cow<str> = if text.chars().any(is_unprintable) {
        Cow::Owned(
            text.chars()
                .filter_map(|c| match c {
                    '\t' | '\n' | '\r' | '\u{2028}' | '\u{2029}' => Some(' '),
                    c if is_unprintable(c) => None,
                    c => Some(c),
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    };
    match without_mentions(&printable) {
        Some(cleaned) => Cow::Owned(cleaned),
        None => printable,
    }
}

/// `text` without Discord's mention tokens, `None` when it holds none.
fn without_mentions(text: &str) -> Option<String> {
    let mention_len = |rest: &str| {
        // A custom emoji, `<:pepe:123…>` or animated `<a:pepe:123…>`: markup, not words.
        let emoji = rest.strip_prefix("<:").or_else(|| rest.strip_prefix("<a:"));
        if let Some((name, id)) = emoji.and_then(|inner| inner.split_once(':')) {
            let digits = id.bytes().take_while(u8::is_ascii_digit).count();
            let named = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if named && digits > 0 && id.as_bytes().get(digits) == Some(&b'>') {
                return Some(rest.len() - id.len() + digits + 1);
            }
        }
        let inner = rest.strip_prefix("<@!").or_else(|| rest.strip_prefix("<@&"));
        let inner = inner
            .or_else(|| rest.strip_prefix("<@"))
            .or_else(|| rest.strip_prefix("<#"))?;
        let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0 && inner.as_bytes().get(digits) == Some(&b'>'))
            .then(|| rest.len() - inner.len() + digits + 1)
    };
    if !text.contains("<@") && !text.contains("<#") && !text.contains("<:") && !text.contains("<a:") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut found = false;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        match mention_len(&rest[at..]) {
            Some(len) => {
                found = true;
                rest = &rest[at + len..];
            }
            None => {
                out.push('<');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    found.then_some(out)
}

/// A note's text as replies show it: control characters (but line breaks and tabs) and
/// bidi embeddings, overrides and isolates removed, so a note cannot reorder what a title
/// or a point reads as (`\u{202E}fdp.exe`) or send a NUL to Discord. The direction marks
/// (LRM, RLM, ALM) that right-to-left text uses stay.
pub fn note_text(text: &str) -> Cow<'_, str> {
    let removed = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    // Looked for by bytes (every note passes here whole): C0 and DEL; C1 (`C2 80`–`C2 9F`);
    // the embeddings and overrides (`E2 80 AA`–`AE`) and isolates (`E2 81 A6`–`A9`). A
    // block of 64 bytes is first asked whether it holds a lead byte of one at all, in a
    // loop without an early exit, which the compiler turns into vector instructions.
    let bytes = text.as_bytes();
    let lead = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || matches!(b, 0x7F | 0xC2 | 0xE2);
    let removed_at = |at: usize| match bytes.get(at).copied().unwrap_or_default() {
        b'\t' | b'\n' | b'\r' => false,
        0..=0x1F | 0x7F => true,
        0xC2 => bytes.get(at + 1).is_some_and(|next| (0x80..=0x9F).contains(next)),
        0xE2 => matches!(
            (bytes.get(at + 1), bytes.get(at + 2)),
            (Some(0x80), Some(0xAA..=0xAE)) | (Some(0x81), Some(0xA6..=0xA9))
        ),
        _ => false,
    };
    let found = (bytes.chunks(64).enumerate())
        .filter(|(_, block)| block.iter().fold(false, |any, &b| any | lead(b)))
        .any(|(n, block)| (n * 64..n * 64 + block.len()).any(removed_at));
    if !found {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|&c| !removed(c)).collect())
}

/// Text for a terminal: each unprintable character as `\u{…}`, everything else as is.
pub fn printable(text: &str) -> Cow<'_, str> {
    escaped(text, is_unprintable)
}

/// [`printable`] for text written out in lines: line breaks and tabs kept.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escaped(text, |c| is_unprintable(c) && !matches!(c, '\n' | '\t'))
}

/// `text` with each character `escape` picks as `\u{…}`.
fn escaped(text: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value pasted with the quotes around it (`docker --env-file` keeps them), without them.
pub fn unquoted(text: &str) -> &str {
    ['"', '\'']
        .iter()
        .find_map(|&quote| text.strip_prefix(quote)?.strip_suffix(quote))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    /// The byte scan finds exactly the characters the rule removes: every character alone,
    /// and after a multi-byte one.
    #[test]
    fn note_text_finds_what_it_removes() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let removed = (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            for text in [c.to_string(), format!("é{c}—")] {
                let cleaned = note_text(&text);
                assert_eq!(matches!(cleaned, Cow::Owned(_)), removed, "{c:?}");
                assert_eq!(cleaned.contains(c), !removed, "{c:?}");
            }
        }
    }

    use super::*;

    const HOSTILE: &str =
        "rl\u{1b}[2Jhf\u{7}\u{9b}31m \u{202E}fdp.exe\u{202C}\u{2066}x\u{2069}\u{200F}\u{061C}\u{0}";

    #[test]
    fn queries_lose_controls_and_bidi_overrides() {
        assert_eq!(clean_query(HOSTILE), "rl[2Jhf31m fdp.exex");
        assert_eq!(clean_query("what\tis\nrlhf\r"), "what is rlhf ");
        // Mentions ask nothing; other angle brackets stay.
        assert_eq!(
            clean_query("<@1180000000000000500> can i change <@!1> <@&22> <#333> the hotkey"),
            " can i change    the hotkey"
        );
        assert_eq!(clean_query("a <b> <@x> <@> <#9"), "a <b> <@x> <@> <#9");
        // Custom emoji are markup too; a zero-width space is nothing.
        assert_eq!(clean_query("<:pepe:123456789012345678> hi <a:wave_2:9>"), " hi ");
        assert_eq!(clean_query("<:a b:1> <:x:> <a:y:1"), "<:a b:1> <:x:> <a:y:1");
        assert_eq!(clean_query("\u{200B}"), "");
        assert!(matches!(clean_query("思维链 rlhf"), Cow::Borrowed(_)));
        // Emoji joiners and CJK stay.
        assert_eq!(clean_query("👩\u{200D}💻 思維鏈"), "👩\u{200D}💻 思維鏈");
    }

    #[test]
    fn printable_escapes_what_a_terminal_would_act_on() {
        assert_eq!(
            printable("a\u{1b}[31mb\u{202E}c\u{85}"),
            "a\\u{1b}[31mb\\u{202e}c\\u{85}"
        );
        assert_eq!(printable("思维链 · ok"), "思维链 · ok");
        assert!(!printable(HOSTILE).chars().any(is_unprintable));
    }
}
