//! State carried by buttons and menus in their `custom_id`, so any process can answer a click.
//!
//! Formats (every field is ASCII except the topic; at most 100 characters):
//! - `pg|<topic>|<section hex>|<page>|<reason>|<focus>`: show a page of a section; reason
//!   is one letter (t, k, x, f, g); focus is `0.7~2.1` (the focused item paths) or empty.
//! - `ls|s|<topic>|<page>` and `ls|t||<page>`: a page of `/sources` (topic may be empty)
//!   or of `/topics`.
//! - `alt|<topic>`: the menu of other matches; each option's value is
//!   `<topic>|<section hex>|<reason>` (menus sent before the reason was added lack it).
//! - `rm|<user id>`: delete the reply; only that user (or a moderator) may.
//! - `post|<topic>|<section hex>|<page>|<reason>|<reply to>|<focus>`: post a private answer
//!   publicly (fields as in `pg`); `reply to` is the id of the message it answers, or empty.
//!   The older form without `reply to` is still read.
//! - `up|<topic>|<section hex>|<query>` and `dn|…`: 👍 / 👎 on an answer. The query (as
//!   normalised for gaps) is the last field, so it may hold `|`, cut to fit the limit.

use crate::search::{ItemPath, MatchReason};

/// Discord's limit on a custom_id, in characters.
pub const MAX_LEN: usize = 100;

/// The most focus paths, and items in one, a custom_id is read with (a forged one may
/// hold any number).
const MAX_FOCUS_PATHS: usize = 8;
const MAX_FOCUS_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    Sources(Option<String>),
    Topics,
}

/// A page of a section as shown: why the section matched and which items the search
/// focused on, so the next page keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionPage {
    pub topic: String,
    pub section: u64,
    pub page: usize,
    pub reason: MatchReason,
    pub focus: Vec<ItemPath>,
}

/// 👍 (`up`) or 👎 on the section shown, asked with `query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionVote {
    pub up: bool,
    pub topic: String,
    pub section: u64,
    pub query: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Page(SectionPage),
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
    /// Post the section of a private answer publicly, at that page; as a reply to the
    /// message `reply_to` when set.
    Post {
        at: SectionPage,
        reply_to: Option<u64>,
    },
    Vote(SectionVote),
}

impl Action {
    /// The custom_id. Focus paths are dropped (pages then follow document order) rather
    /// than exceed the limit: see [`Action::keeps_focus`].
    pub fn encode(&self) -> String {
        match self {
            Action::Page(at) => at.encode("pg|", ""),
            Action::Post { at, reply_to } => at.encode("post|", &reply_to_field(*reply_to)),
            Action::Vote(SectionVote {
                up,
                topic,
                section,
                query,
            }) => {
                let base = format!("{}|{topic}|{section:x}|", if *up { "up" } else { "dn" });
                let room = MAX_LEN.saturating_sub(base.chars().count());
                base + &query.chars().take(room).collect::<String>()
            }
            Action::List { listing, page } => match listing {
                Listing::Sources(topic) => format!("ls|s|{}|{page}", topic.as_deref().unwrap_or_default()),
                Listing::Topics => format!("ls|t||{page}"),
            },
            Action::Other { topic } => format!("alt|{topic}"),
            Action::Delete { asker } => format!("rm|{asker}"),
        }
    }

    /// Whether [`Action::encode`] keeps the focus of the section page it names, so the page
    /// a click shows is laid out in the order the focus gives; true for other actions.
    pub fn keeps_focus(&self) -> bool {
        match self {
            Action::Page(at) => at.keeps_focus("pg|", ""),
            Action::Post { at, reply_to } => at.keeps_focus("post|", &reply_to_field(*reply_to)),
            _ => true,
        }
    }

    pub fn decode(custom_id: &str) -> Option<Action> {
        if let Some((up, rest)) = custom_id
            .strip_prefix("up|")
            .map(|rest| (true, rest))
            .or_else(|| custom_id.strip_prefix("dn|").map(|rest| (false, rest)))
        {
            let mut fields = rest.splitn(3, '|');
            return Some(Action::Vote(SectionVote {
                up,
                topic: fields.next()?.to_string(),
                section: u64::from_str_radix(fields.next()?, 16).ok()?,
                query: fields.next()?.to_string(),
            }));
        }
        let mut fields = custom_id.split('|');
        let action = match fields.next()? {
            "pg" => {
                let mut at = SectionPage::decode_unfocused(&mut fields)?;
                at.focus = decode_focus(fields.next()?)?;
                Action::Page(at)
            }
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
            "post" => {
                let mut at = SectionPage::decode_unfocused(&mut fields)?;
                let rest: Vec<&str> = fields.by_ref().collect();
                let (reply_to, focus) = match rest.as_slice() {
                    [focus] => (None, *focus),
                    ["", focus] => (None, *focus),
                    // Ids are never 0 (and serenity's id types panic on one).
                    [reply_to, focus] => (Some(reply_to.parse().ok().filter(|&id: &u64| id != 0)?), *focus),
                    _ => return None,
                };
                at.focus = decode_focus(focus)?;
                Action::Post { at, reply_to }
            }
            _ => return None,
        };
        fields.next().is_none().then_some(action)
    }
}

impl SectionPage {
    /// Focus paths are dropped (pages then follow document order) rather than exceed the
    /// limit or be read back cut. `prefix` ends in `|`; `extra` is inserted before the
    /// focus and ends in `|` when set.
    fn encode(&self, prefix: &str, extra: &str) -> String {
        let base = self.unfocused(prefix, extra);
        let focus = encode_focus(&self.focus);
        if self.focus_fits(&base, &focus) {
            base + &focus
        } else {
            base
        }
    }

    /// Whether `encode` keeps the focus; arguments as there.
    fn keeps_focus(&self, prefix: &str, extra: &str) -> bool {
        self.focus_fits(&self.unfocused(prefix, extra), &encode_focus(&self.focus))
    }

    /// The custom_id up to the focus.
    fn unfocused(&self, prefix: &str, extra: &str) -> String {
        let SectionPage {
            topic,
            section,
            page,
            reason,
            ..
        } = self;
        format!(
            "{prefix}{topic}|{section:x}|{page}|{}|{extra}",
            reason_letter(*reason)
        )
    }

    /// Whether the focus, written as `focus` after `base`, fits the limit and reads back whole.
    fn focus_fits(&self, base: &str, focus: &str) -> bool {
        let reads_back = self.focus.len() <= MAX_FOCUS_PATHS
            && self.focus.iter().all(|path| path.len() <= MAX_FOCUS_DEPTH);
        reads_back && base.chars().count() + focus.len() <= MAX_LEN
    }

    /// Reads `<topic>|<section hex>|<page>|<reason>`; the focus comes later and is the
    /// caller's to read.
    fn decode_unfocused<'a>(fields: &mut impl Iterator<Item = &'a str>) -> Option<SectionPage> {
        Some(SectionPage {
            topic: fields.next()?.to_string(),
            section: u64::from_str_radix(fields.next()?, 16).ok()?,
            page: fields.next()?.parse().ok()?,
            reason: letter_reason(fields.next()?)?,
            focus: Vec::new(),
        })
    }
}

/// The value of an option of the other-matches menu: a section and why it matched.
pub fn section_value(topic: &str, section: u64, reason: MatchReason) -> String {
    format!("{topic}|{section:x}|{}", reason_letter(reason))
}

/// [`section_value`] read back; a value without a reason (a menu sent before it was
/// added) is a keyword match, as such menus showed it.
pub fn parse_section_value(value: &str) -> Option<(&str, u64, MatchReason)> {
    let (topic, rest) = value.split_once('|')?;
    let (section, reason) = match rest.split_once('|') {
        Some((section, letter)) => (section, letter_reason(letter)?),
        None => (rest, MatchReason::Keyword),
    };
    Some((topic, u64::from_str_radix(section, 16).ok()?, reason))
}

fn reason_letter(reason: MatchReason) -> char {
    match reason {
        MatchReason::Title => 't',
        MatchReason::Keyword => 'k',
        MatchReason::Text => 'x',
        MatchReason::Fuzzy => 'f',
        MatchReason::Translated => 'g',
    }
}

fn letter_reason(letter: &str) -> Option<MatchReason> {
    Some(match letter {
        "t" => MatchReason::Title,
        "k" => MatchReason::Keyword,
        "x" => MatchReason::Text,
        "f" => MatchReason::Fuzzy,
        "g" => MatchReason::Translated,
        _ => return None,
    })
}

/// `0.7~2.1`, written into one string (a string per number and per path would be an
/// allocation each, for every button of every answer).
fn encode_focus(focus: &[ItemPath]) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    for (i, path) in focus.iter().enumerate() {
        if i > 0 {
            text.push('~');
        }
        for (j, n) in path.iter().enumerate() {
            if j > 0 {
                text.push('.');
            }
            let _ = write!(text, "{n}");
        }
    }
    text
}

fn decode_focus(text: &str) -> Option<Vec<ItemPath>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split('~')
        .take(MAX_FOCUS_PATHS)
        .map(|path| {
            path.split('.')
                .take(MAX_FOCUS_DEPTH)
                .map(|n| n.parse().ok())
                .collect()
        })
        .collect()
}

/// A post's field before the focus: the message it replies to, or empty.
fn reply_to_field(reply_to: Option<u64>) -> String {
    reply_to.map(|id| format!("{id}|")).unwrap_or_else(|| "|".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_values_carry_the_reason_and_old_ones_still_read() {
        let reasons = [
            MatchReason::Title,
            MatchReason::Keyword,
            MatchReason::Text,
            MatchReason::Fuzzy,
            MatchReason::Translated,
        ];
        // The longest topic; an option's value has the same limit as a custom_id.
        let topic = "思".repeat(32);
        for reason in reasons {
            let value = section_value(&topic, u64::MAX, reason);
            assert!(value.chars().count() <= MAX_LEN, "{value}");
            assert_eq!(
                parse_section_value(&value),
                Some((topic.as_str(), u64::MAX, reason))
            );
        }
        // A menu sent before the reason was carried.
        assert_eq!(
            parse_section_value("chatgpt|ff"),
            Some(("chatgpt", 255, MatchReason::Keyword))
        );
        for garbage in ["chatgpt", "chatgpt|zz", "chatgpt|ff|q", "chatgpt|ff|"] {
            assert_eq!(parse_section_value(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn round_trips() {
        let actions = [
            Action::Page(SectionPage {
                topic: "chatgpt".into(),
                section: u64::MAX,
                page: 3,
                reason: MatchReason::Text,
                focus: vec![vec![0, 7], vec![2]],
            }),
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
            Action::Page(SectionPage {
                topic: "思".repeat(32),
                section: 1,
                page: 0,
                reason: MatchReason::Fuzzy,
                focus: vec![],
            }),
            Action::Page(SectionPage {
                topic: "sync".into(),
                section: 2,
                page: 0,
                reason: MatchReason::Translated,
                focus: vec![],
            }),
            Action::Other {
                topic: "chatgpt".into(),
            },
            Action::Delete {
                asker: 123456789012345678,
            },
            Action::Post {
                at: SectionPage {
                    topic: "思".repeat(32),
                    section: u64::MAX,
                    page: 12,
                    reason: MatchReason::Keyword,
                    focus: vec![vec![3, 1]],
                },
                reply_to: Some(u64::MAX),
            },
            Action::Post {
                at: SectionPage {
                    topic: "chatgpt".into(),
                    section: 7,
                    page: 0,
                    reason: MatchReason::Title,
                    focus: vec![],
                },
                reply_to: None,
            },
            Action::Vote(SectionVote {
                up: false,
                topic: "chatgpt".into(),
                section: u64::MAX,
                query: "what | is rlhf".into(),
            }),
            Action::Vote(SectionVote {
                up: true,
                topic: "思".repeat(32),
                section: u64::MAX,
                query: String::new(),
            }),
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
            at: SectionPage {
                topic: "思".repeat(32),
                section: u64::MAX,
                page: 9999,
                reason: MatchReason::Title,
                focus: vec![vec![1234, 5678, 9012, 3456]; 8],
            },
            reply_to: Some(u64::MAX),
        };
        assert!(post.encode().chars().count() <= MAX_LEN);
        let action = Action::Page(SectionPage {
            topic: "思".repeat(32),
            section: u64::MAX,
            page: 9999,
            reason: MatchReason::Title,
            focus: vec![vec![1234, 5678, 9012, 3456]; 8],
        });
        let id = action.encode();
        assert!(id.chars().count() <= MAX_LEN);
        assert!(id.ends_with('|'));
    }

    /// `keeps_focus` says whether a page or post reads back with its focus: a focus of more
    /// paths or deeper ones than are read, or past the limit, reads back as none.
    #[test]
    fn keeps_focus_tells_whether_the_focus_reads_back() {
        let page = |focus: Vec<ItemPath>| SectionPage {
            topic: "abcdefghijklmnopqrstuvwxyzabcdef".into(),
            section: u64::MAX,
            page: 12,
            reason: MatchReason::Text,
            focus,
        };
        let focuses = [
            vec![],
            vec![vec![3, 1]],
            vec![vec![11, 10, 0, 0, 10]; 3],
            vec![vec![1]; 9],
            vec![vec![0; 33]],
            vec![vec![0; 20]],
        ];
        let mut kept = [0, 0];
        for focus in focuses {
            for reply_to in [None, Some(u64::MAX)] {
                for action in [
                    Action::Page(page(focus.clone())),
                    Action::Post {
                        at: page(focus.clone()),
                        reply_to,
                    },
                ] {
                    let read = Action::decode(&action.encode());
                    let keeps = action.keeps_focus();
                    kept[usize::from(keeps)] += 1;
                    if keeps {
                        assert_eq!(read, Some(action));
                    } else {
                        let Some(Action::Page(at) | Action::Post { at, .. }) = read else {
                            panic!("{action:?}");
                        };
                        assert!(at.focus.is_empty(), "{action:?}");
                    }
                }
            }
        }
        // Three paths of five fit a page's 42 characters left and a post's 39, not the 19
        // a post replying to a message leaves.
        assert!(kept[0] > 0 && kept[1] > 0, "{kept:?}");
    }

    #[test]
    fn long_vote_queries_are_cut_to_the_limit() {
        let vote = Action::Vote(SectionVote {
            up: false,
            topic: "思".repeat(32),
            section: u64::MAX,
            query: "思维链".repeat(40),
        });
        let id = vote.encode();
        assert_eq!(id.chars().count(), MAX_LEN);
        let Some(Action::Vote(SectionVote { query, .. })) = Action::decode(&id) else {
            panic!("{id}");
        };
        assert!("思维链".repeat(40).starts_with(&query) && query.chars().count() == 47);
    }

    #[test]
    fn pages_and_posts_keep_their_wire_format() {
        let at = SectionPage {
            topic: "chatgpt".into(),
            section: 0x1f,
            page: 2,
            reason: MatchReason::Keyword,
            focus: vec![vec![0, 7], vec![2]],
        };
        assert_eq!(Action::Page(at.clone()).encode(), "pg|chatgpt|1f|2|k|0.7~2");
        let post = |reply_to| Action::Post {
            at: at.clone(),
            reply_to,
        };
        assert_eq!(post(Some(5)).encode(), "post|chatgpt|1f|2|k|5|0.7~2");
        assert_eq!(post(None).encode(), "post|chatgpt|1f|2|k||0.7~2");
    }

    #[test]
    fn posts_without_a_reply_field_still_decode() {
        assert_eq!(
            Action::decode("post|chatgpt|1f|2|k|0.7"),
            Some(Action::Post {
                at: SectionPage {
                    topic: "chatgpt".into(),
                    section: 0x1f,
                    page: 2,
                    reason: MatchReason::Keyword,
                    focus: vec![vec![0, 7]],
                },
                reply_to: None,
            })
        );
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
            "post|t|1|1|k|x|",
            "post|t|1|1|k|1|2|3",
            "post|t|1|1|k|0|",
            "up|t",
            "up|t|zz|q",
            "dn|t|1",
        ] {
            assert_eq!(Action::decode(id), None, "{id}");
        }
    }
}
