//! YAML as a person wrote it, for telling them where a mistake is: the line of a key, and
//! serde_yaml's messages without the place it appends (the bot names the line itself).

/// The line of a dotted key (`reply.page_chars`) in YAML written in block style, as YAML's
/// own errors name one; `None` when it is not written so (flow style, quoted keys). A key
/// without a dot is found only at the top level.
pub fn line_of(text: &str, key: &str) -> Option<usize> {
    let mut parts = key.split('.');
    let mut wanted = parts.next()?;
    // The indent of the key found last: the next one is inside its block.
    let mut parent: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if parent.is_some_and(|parent| indent <= parent) {
            return None;
        }
        let inside = parent.is_none_or(|parent| indent > parent) && (parent.is_some() || indent == 0);
        let named = trimmed
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.trim_start().starts_with(':'));
        if inside && named {
            match parts.next() {
                Some(next) => (wanted, parent) = (next, Some(indent)),
                None => return Some(n + 1),
            }
        }
    }
    None
}

/// A serde_yaml error's `message` without the " at line L column C" it appends.
pub fn without_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_found_at_its_line_inside_its_block_only() {
        let text = "# notes-bot\nreply:\n  # the page\n  colour: \"#fff\"\n\n  page_chars: 50\nhttp:\n  page_chars: 1\nlink_bases:\n  en: x\n  zh: y\n";
        assert_eq!(line_of(text, "reply.page_chars"), Some(6));
        assert_eq!(line_of(text, "http.page_chars"), Some(8));
        assert_eq!(line_of(text, "link_bases.zh"), Some(11));
        assert_eq!(line_of(text, "http"), Some(7));
        assert_eq!(line_of(text, "reply.other_matches"), None);
        assert_eq!(line_of("reply: {page_chars: 50}\n", "reply.page_chars"), None);
    }

    #[test]
    fn the_location_serde_yaml_appends_is_cut() {
        let message = "did not find expected key at line 3 column 1, while parsing a block mapping";
        assert_eq!(without_location(message), "did not find expected key");
        assert_eq!(without_location("invalid type"), "invalid type");
    }
}
