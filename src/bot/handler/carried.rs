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
        if carried.asked.is_empty() {
            // The private list of closest sections has no vote button: its first lines quote
            // what was asked, which the answer posted from it then carries.
            carried.asked =
                quoted_question(&message.content).map_or_else(String::new, |q| gaps::normalise(&q));
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

/// What the closest sections' private list quotes as asked: the “…” of the line before its
/// first section (a name the notes lack may be quoted on a line above), its markdown
/// escapes undone.
fn quoted_question(content: &str) -> Option<String> {
    let intro = content.split("\n**1.**").next()?;
    let line = intro.rsplit('\n').next()?;
    let start = line.find('“')? + '“'.len_utf8();
    let end = start + line[start..].rfind('”')?;
    let mut question = String::new();
    let mut chars = line[start..end].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => question.extend(chars.next()),
            c => question.push(c),
        }
    }
    (!question.trim().is_empty()).then_some(question)
}

#[cfg(test)]
mod tests {
    use super::quoted_question;
    use crate::bot::i18n::Lang;
    use crate::bot::render;

    #[test]
    fn the_closest_list_gives_back_the_question_it_quotes() {
        for lang in [Lang::En, Lang::Zh] {
            let asked = "can I *sync* a “vault”_here?";
            let intro = lang.closest_intro(Some("/help"), &render::quote(asked));
            let not_in = lang.not_in("/help", &render::quote("Todoist"));
            let content = format!("{not_in}\n{intro}\n**1.** A “title” · /help\n> a line");
            assert_eq!(quoted_question(&content).as_deref(), Some(asked), "{content}");
        }
        assert_eq!(quoted_question("no quotes at all"), None);
    }
}
