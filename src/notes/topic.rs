//! Topic names: each note is a slash command, so its name must be one Discord accepts.

use std::ops::RangeInclusive;

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization;

/// The bot's own commands (the one list of their names); a note may not take them.
pub const SOURCES: &str = "sources";
pub const TOPICS: &str = "topics";
pub const NOTES: &str = "notes";
pub const GAPS: &str = "gaps";
/// Their names in Chinese (zh-CN), which Discord holds unique beside the others.
pub const SOURCES_ZH: &str = "来源";
pub const TOPICS_ZH: &str = "主题列表";
pub const NOTES_ZH: &str = "笔记";
pub const GAPS_ZH: &str = "未解答";
pub const RESERVED: &[&str] = &[
    SOURCES, TOPICS, NOTES, GAPS, SOURCES_ZH, TOPICS_ZH, NOTES_ZH, GAPS_ZH,
];

/// Discord's limit on a command name, in characters.
pub const MAX_LEN: usize = 32;

/// Makes a valid command name: lowercase letters and digits of any script, `-` and `_`,
/// at most 32 chars. Marks a name may not hold (`া` of `বাংলা`) are dropped, other
/// characters become `-`; `None` when nothing usable is left. Accents are composed first:
/// a file named on macOS spells `é` as `e` and a combining mark, which would be dropped.
pub fn command_name(raw: &str) -> Option<String> {
    let mut name = String::new();
    for c in raw.trim().nfc().flat_map(char::to_lowercase) {
        let c = if is_name_char(c) {
            c
        } else if is_mark(c) {
            continue;
        } else {
            '-'
        };
        if c == '-' && (name.is_empty() || name.ends_with('-')) {
            continue;
        }
        name.push(c);
    }
    let name: String = name.trim_end_matches('-').chars().take(MAX_LEN).collect();
    let name = name.trim_end_matches('-').to_string();
    (!name.is_empty()).then_some(name)
}

/// Whether Discord would accept `name` as it is: its pattern
/// `^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$` (its documentation now allows `'`
/// too; names made here never hold one), in lowercase where a letter has a lowercase
/// form.
pub fn is_valid(name: &str) -> bool {
    let count = name.chars().count();
    (1..=MAX_LEN).contains(&count)
        && name
            .chars()
            .all(|c| is_name_char(c) && c.to_lowercase().eq(std::iter::once(c)))
}

/// The Devanagari and Thai scripts (Unicode 16.0's Scripts.txt): Discord's pattern takes
/// them whole, vowel signs and marks too, which are neither letters nor digits.
const DEVANAGARI_AND_THAI: &[RangeInclusive<char>] = &[
    '\u{900}'..='\u{950}',
    '\u{955}'..='\u{963}',
    '\u{966}'..='\u{97f}',
    '\u{a8e0}'..='\u{a8ff}',
    '\u{11b00}'..='\u{11b09}',
    '\u{e01}'..='\u{e3a}',
    '\u{e40}'..='\u{e5b}',
];

fn is_name_char(c: char) -> bool {
    use GeneralCategory as G;
    let letter_or_number = matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
    );
    letter_or_number || c == '-' || c == '_' || DEVANAGARI_AND_THAI.iter().any(|r| r.contains(&c))
}

fn is_mark(c: char) -> bool {
    use GeneralCategory as G;
    matches!(
        get_general_category(c),
        G::NonspacingMark | G::SpacingMark | G::EnclosingMark
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_and_dashed() {
        assert_eq!(command_name("ChatGPT").as_deref(), Some("chatgpt"));
        assert_eq!(
            command_name("Rust async / await!").as_deref(),
            Some("rust-async-await")
        );
        assert_eq!(
            command_name("ChatGPT资料梳理").as_deref(),
            Some("chatgpt资料梳理")
        );
        assert_eq!(command_name("  ***  "), None);
    }

    #[test]
    fn a_name_spelled_decomposed_keeps_its_accents() {
        // `Café Ü.md` as macOS writes file names: letters followed by combining marks.
        assert_eq!(command_name("Cafe\u{301} U\u{308}").as_deref(), Some("café-ü"));
        assert_eq!(command_name("Café Ü"), command_name("Cafe\u{301} U\u{308}"));
    }

    #[test]
    fn names_are_cut_to_32_chars_on_char_boundaries() {
        let name = command_name(&"思".repeat(40)).unwrap_or_default();
        assert_eq!(name.chars().count(), 32);
        assert!(is_valid(&name));
    }

    /// Every character, after a letter, makes a name Discord's own pattern accepts.
    #[test]
    fn every_name_made_matches_discords_pattern() {
        let discord = regex::Regex::new(r"^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut refused = Vec::new();
        for c in (0..=0x10_ffff_u32).filter_map(char::from_u32) {
            let name = command_name(&format!("a{c}b")).unwrap_or_default();
            let ok = discord.is_match(&name) && name.to_lowercase() == name && is_valid(&name);
            if !ok {
                refused.push(format!("U+{:04X} → {name:?}", c as u32));
            }
        }
        assert!(
            refused.is_empty(),
            "{} refused: {:?}",
            refused.len(),
            &refused[..refused.len().min(10)]
        );
        for (raw, name) in [
            ("বাংলা", "বল"),
            ("हिन्दी", "हिन्दी"),
            ("ภาษาไทย", "ภาษาไทย"),
            ("ⓝⓞⓣⓔ", ""),
            ("ǅemal", "ǆemal"),
        ] {
            assert_eq!(command_name(raw).unwrap_or_default(), name, "{raw}");
        }
        assert!(!is_valid("ⓝⓞⓣⓔ") && !is_valid("ǅemal"));
    }

    #[test]
    fn generated_names_are_valid() {
        for raw in [
            "Windows系统重装指南",
            "webpack 简明教程----以vue npm run build流程为例",
            "面试总结&18年Todo",
            "A_B-C",
        ] {
            let name = command_name(raw).unwrap_or_default();
            assert!(is_valid(&name), "{raw} -> {name}");
        }
    }
}
