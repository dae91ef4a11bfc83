//! What the bot's own message carries in its buttons and menu, read back on a click.

use serenity::all::{ActionRowComponent, ButtonKind, Message};

use super::answer::other;
use super::find_section;
use crate::bot::custom_id::{self, Action, SectionVote};
use crate::bot::render::Other;
use crate::gaps;
use crate::search::Index;

/// Who asked: the delete button of the bot's own message carries their id.
pub(super) fn asker_of(message: &Message) -> Option<u64> {
    message
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|c| match c {
            ActionRowComponent::Button(button) => match &button.data {
                ButtonKind::NonLink { custom_id, .. } => match Action::decode(custom_id)? {
                    Action::Delete { asker } => Some(asker),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
}

/// What was asked (from 👎) and the message answered (from Post), as the message's buttons
/// carry them.
pub(super) fn asked_in(message: &Message) -> (String, Option<u64>) {
    let (mut asked, mut reply_to) = (String::new(), None);
    for custom_id in message
        .components
        .iter()
        .flat_map(|row| &row.components)
        .filter_map(|c| match c {
            ActionRowComponent::Button(button) => match &button.data {
                ButtonKind::NonLink { custom_id, .. } => Some(custom_id),
                _ => None,
            },
            _ => None,
        })
    {
        match Action::decode(custom_id) {
            Some(Action::Vote(SectionVote { query, .. })) => asked = gaps::normalise(&query),
            Some(Action::Post { reply_to: to, .. }) => reply_to = to,
            _ => {}
        }
    }
    (asked, reply_to)
}

/// The other-matches menu of a message, re-read from the current index.
pub(super) fn others_in(index: &Index, message: &Message) -> Vec<Other> {
    message
        .components
        .iter()
        .flat_map(|row| &row.components)
        .filter_map(|c| match c {
            ActionRowComponent::SelectMenu(menu) => Some(&menu.options),
            _ => None,
        })
        .flatten()
        .filter_map(|option| {
            let (topic, id, reason) = custom_id::parse_section_value(&option.value)?;
            other(index, find_section(index, topic, id)?, reason)
        })
        .collect()
}
