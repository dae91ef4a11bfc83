//! What the bot's own message carries in its buttons and menu, read back on a click.

use serenity::all::{ActionRowComponent, ButtonKind, Message};

use super::answer::other;
use super::find_section;
use crate::bot::custom_id::{self, Action, SectionVote};
use crate::bot::render::Other;
use crate::gaps;
use crate::search::{Index, MatchReason};

/// A message's buttons and other-matches menu, read in one pass when one of them is clicked.
pub(super) struct Carried<'a> {
    /// Who asked: the 🗑 button carries their id.
    pub(super) asker: Option<u64>,
    /// What was asked (from 👍 / 👎), normalised; empty when no vote button carries it.
    pub(super) asked: String,
    /// The message answered (from Post).
    pub(super) reply_to: Option<u64>,
    /// The other-matches menu as carried: topic, section id, why it matched.
    pub(super) menu: Vec<(&'a str, u64, MatchReason)>,
}

impl<'a> Carried<'a> {
    pub(super) fn read(message: &'a Message) -> Carried<'a> {
        let mut carried = Carried {
            asker: None,
            asked: String::new(),
            reply_to: None,
            menu: Vec::new(),
        };
        for component in message.components.iter().flat_map(|row| &row.components) {
            match component {
                ActionRowComponent::Button(button) => {
                    if let ButtonKind::NonLink { custom_id, .. } = &button.data {
                        carried.button(custom_id);
                    }
                }
                ActionRowComponent::SelectMenu(menu) => carried.menu.extend(
                    (menu.options.iter()).filter_map(|option| custom_id::parse_section_value(&option.value)),
                ),
                _ => {}
            }
        }
        carried
    }

    fn button(&mut self, custom_id: &str) {
        match Action::decode(custom_id) {
            Some(Action::Delete { asker }) => {
                self.asker.get_or_insert(asker);
            }
            Some(Action::Vote(SectionVote { query, .. })) => self.asked = gaps::normalise(&query),
            Some(Action::Post { reply_to, .. }) => self.reply_to = reply_to,
            _ => {}
        }
    }

    /// The other matches the menu offers, re-found in the current index.
    pub(super) fn others(&self, index: &Index) -> Vec<Other> {
        (self.menu.iter())
            .filter_map(|&(topic, id, reason)| other(index, find_section(index, topic, id)?, reason))
            .collect()
    }
}
