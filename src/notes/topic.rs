//! Topic names: each note is a slash command, so its name must be one Discord accepts.

/// The bot's own commands (the one list of their names); a note may not take them.
pub const SOURCES: &str = "sources";
pub const TOPICS: &str = "topics";
pub const NOTES: &str = "notes";
pub const GAPS: &str = "gaps";
pub const RESERVED: &[&str] = &[SOURCES, TOPICS, NOTES, GAPS];

/// Discord's limit on a command name, in characters.
pub const MAX_LEN: usize = 32;

/// Makes a valid command name: lowercase letters, digits, `-` and `_`, at most 32 chars.
/// Other characters become `-`; `None` when nothing usable is left.
pub fn command_name(raw: &str) -> Option<String> {
    let mut name = String::new();
    for c in raw.trim().chars().flat_map(char::to_lowercase) {
        let c = if c.is_alphanumeric() || c == '_' || c == '-' {
            c
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

/// Whether Discord would accept `name` as it is.
pub fn is_valid(name: &str) -> bool {
    let count = name.chars().count();
    (1..=MAX_LEN).contains(&count)
        && name
            .chars()
            .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_')
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
    fn names_are_cut_to_32_chars_on_char_boundaries() {
        let name = command_name(&"思".repeat(40)).unwrap_or_default();
        assert_eq!(name.chars().count(), 32);
        assert!(is_valid(&name));
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
