//! State carried by buttons and menus in their `custom_id`, so any process can answer a click.
//!
//! Formats (every field is ASCII except the topic; at most 100 characters):
//! - `pg|<topic>|<section hex>|<page>|<reason>|<focus>`: show a page of a section; reason
//!   is one letter (t, k, x, f); focus is `0.7~2.1` (the focused item paths) or empty.
//! - `ls|s|<topic>|<page>` and `ls|t||<page>`: a page of `/sources` (topic may be empty)
//!   or of `/topics`.
//! - `alt|<topic>`: the menu of other matches; each option's value is `<topic>|<section hex>`.
//! - `rm|<user id>`: delete the reply; only that user (or a moderator) may.
//! - `post|<topic>|<section hex>|<page>|<reason>|<focus>`: post a private answer publicly
//!   (fields as in `pg`).

use crate::search::{ItemPath, MatchReason};

/// Discord's limit on a custom_id, in characters.
pub const MAX_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    Sources(Option<String>),
    Topics,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Page {
        topic: String,
        section: u64,
        page: usize,
        reason: MatchReason,
        focus: Vec<ItemPath>,
    },
    List {
        listing: Listing,
        page: usize,
    },
    Other {
        topic: String,
    },
    Delete {
        asker: u64,
    },
    /// Post the section of a private answer publicly, at that page.
    Post {
        topic: String,
        section: u64,
        page: usize,
        reason: MatchReason,
        focus: Vec<ItemPath>,
    },
}

impl Action {
    /// The custom_id. Focus paths are dropped (pages then follow document order) rather
    /// than exceed the limit.
    pub fn encode(&self) -> String {
        match self {
            Action::Page {
                topic,
                section,
                page,
                reason,
                focus,
            } => encode_section("pg", topic, *section, *page, *reason, focus),
            Action::Post {
                topic,
                section,
                page,
                reason,
                focus,
            } => encode_section("post", topic, *section, *page, *reason, focus),
            Action::List { listing, page } => match listing {
                Listing::Sources(topic) => format!("ls|s|{}|{page}", topic.as_deref().unwrap_or_default()),
                Listing::Topics => format!("ls|t||{page}"),
            },
            Action::Other { topic } => format!("alt|{topic}"),
            Action::Delete { asker } => format!("rm|{asker}"),
        }
    }

    pub fn decode(custom_id: &str) -> Option<Action> {
        let mut fields = custom_id.split('|');
        let action = match fields.next()? {
            "pg" => Action::Page {
                topic: fields.next()?.to_string(),
                section: u64::from_str_radix(fields.next()?, 16).ok()?,
                page: fields.next()?.parse().ok()?,
                reason: letter_reason(fields.next()?)?,
                focus: decode_focus(fields.next()?)?,
            },
            "ls" => {
                let kind = fields.next()?;
                let topic = fields.next()?;
                let page = fields.next()?.parse().ok()?;
                let listing = match kind {
                    "s" => Listing::Sources((!topic.is_empty()).then(|| topic.to_string())),
                    "t" if topic.is_empty() => Listing::Topics,
                    _ => return None,
                };
                Action::List { listing, page }
            }
            "alt" => Action::Other {
                topic: fields.next()?.to_string(),
            },
            "rm" => Action::Delete {
                asker: fields.next()?.parse().ok()?,
            },
            "post" => Action::Post {
                topic: fields.next()?.to_string(),
                section: u64::from_str_radix(fields.next()?, 16).ok()?,
                page: fields.next()?.parse().ok()?,
                reason: letter_reason(fields.next()?)?,
                focus: decode_focus(fields.next()?)?,
            },
            _ => return None,
        };
        fields.next().is_none().then_some(action)
    }
}

/// Focus paths are dropped (pages then follow document order) rather than exceed the limit.
fn encode_section(
    prefix: &str,
    topic: &str,
    section: u64,
    page: usize,
    reason: MatchReason,
    focus: &[ItemPath],
) -> String {
    let base = format!("{prefix}|{topic}|{section:x}|{page}|{}|", reason_letter(reason));
    let focus = encode_focus(focus);
    if base.chars().count() + focus.len() <= MAX_LEN {
        base + &focus
    } else {
        base
    }
}

/// A select option's value: which section to show.
pub fn section_value(topic: &str, section: u64) -> String {
    format!("{topic}|{section:x}")
}

pub fn parse_section_value(value: &str) -> Option<(&str, u64)> {
    let (topic, section) = value.split_once('|')?;
    Some((topic, u64::from_str_radix(section, 16).ok()?))
}

fn reason_letter(reason: MatchReason) -> char {
    match reason {
        MatchReason::Title => 't',
        MatchReason::Keyword => 'k',
        MatchReason::Text => 'x',
        MatchReason::Fuzzy => 'f',
    }
}

fn letter_reason(letter: &str) -> Option<MatchReason> {
    Some(match letter {
        "t" => MatchReason::Title,
        "k" => MatchReason::Keyword,
        "x" => MatchReason::Text,
        "f" => MatchReason::Fuzzy,
        _ => return None,
    })
}

fn encode_focus(focus: &[ItemPath]) -> String {
    let paths: Vec<String> = focus
        .iter()
        .map(|path| path.iter().map(usize::to_string).collect::<Vec<_>>().join("."))
        .collect();
    paths.join("~")
}

fn decode_focus(text: &str) -> Option<Vec<ItemPath>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split('~')
        .take(8)
        .map(|path| path.split('.').take(32).map(|n| n.parse().ok()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let actions = [
            Action::Page {
                topic: "chatgpt".into(),
                section: u64::MAX,
                page: 3,
                reason: MatchReason::Text,
                focus: vec![vec![0, 7], vec![2]],
            },
            Action::List {
                listing: Listing::Sources(Some("chatgpt".into())),
                page: 2,
            },
            Action::List {
                listing: Listing::Sources(None),
                page: 0,
            },
            Action::List {
                listing: Listing::Topics,
                page: 1,
            },
            Action::Page {
                topic: "思".repeat(32),
                section: 1,
                page: 0,
                reason: MatchReason::Fuzzy,
                focus: vec![],
            },
            Action::Other {
                topic: "chatgpt".into(),
            },
            Action::Delete {
                asker: 123456789012345678,
            },
            Action::Post {
                topic: "思".repeat(32),
                section: u64::MAX,
                page: 12,
                reason: MatchReason::Keyword,
                focus: vec![vec![3, 1]],
            },
        ];
        for action in actions {
            let id = action.encode();
            assert!(id.chars().count() <= MAX_LEN, "{id}");
            assert_eq!(Action::decode(&id), Some(action));
        }
    }

    #[test]
    fn long_focus_is_dropped_not_overflowed() {
        let post = Action::Post {
            topic: "思".repeat(32),
            section: u64::MAX,
            page: 9999,
            reason: MatchReason::Title,
            focus: vec![vec![1234, 5678, 9012, 3456]; 8],
        };
        assert!(post.encode().chars().count() <= MAX_LEN);
        let action = Action::Page {
            topic: "思".repeat(32),
            section: u64::MAX,
            page: 9999,
            reason: MatchReason::Title,
            focus: vec![vec![1234, 5678, 9012, 3456]; 8],
        };
        let id = action.encode();
        assert!(id.chars().count() <= MAX_LEN);
        assert!(id.ends_with('|'));
    }

    #[test]
    fn garbage_is_rejected() {
        for id in [
            "",
            "pg",
            "pg|t|zz|1|k|",
            "pg|t|1|x|k|",
            "pg|t|1|1|q|",
            "rm|abc",
            "pg|t|1|1|k|a.b",
            "alt|t|extra",
            "xx|1",
            "ls|t|x|1",
            "post|t|1|1|k",
            "post|t|1|1|k||x",
        ] {
            assert_eq!(Action::decode(id), None, "{id}");
        }
    }
}
