//! Autocomplete: topics as a topic is typed, section titles as a query is.

use std::borrow::Cow;
use std::collections::HashMap;

use serenity::all::{
    AutocompleteChoice, CommandInteraction, CreateAutocompleteResponse, CreateInteractionResponse,
};

use super::answer::SECTION_VALUE;
use super::{Handler, Kind, Outcome, outcome, string_option};
use crate::bot::commands::{NOTES, TOPIC};
use crate::bot::i18n::Lang;
use crate::reply::truncate;
use crate::search::{Index, MatchReason};

/// Discord's limit on autocomplete choices.
const MAX_CHOICES: usize = 25;

impl Handler {
    pub(super) fn autocomplete(&self, index: &Index, command: &CommandInteraction) -> Outcome {
        let lang = Lang::from_locale(&command.locale);
        let Some(focused) = command.data.autocomplete() else {
            return choices(Vec::new());
        };
        let name = command.data.name.as_str();
        if focused.name == TOPIC {
            return choices(topic_choices(index, &crate::text::clean_query(focused.value)));
        }
        let topic = if name == NOTES {
            match string_option(command, TOPIC) {
                // As the command reads it: `Canvas` is `canvas`.
                Some(topic) => Cow::Owned(super::asked_topic(index, &topic)),
                None => return choices(Vec::new()),
            }
        } else {
            Cow::Borrowed(name)
        };
        let topic = topic.as_ref();
        if index.library().note(topic).is_none() {
            return choices(Vec::new());
        }
        let typed = crate::text::clean_query(focused.value);
        let found: Vec<_> = (index.suggest(&typed, Some(topic), MAX_CHOICES).iter())
            .filter_map(|suggestion| {
                let (_, section) = index.library().section(suggestion.section)?;
                Some((section, suggestion.reason))
            })
            .take(MAX_CHOICES)
            .collect();
        // A choice has no room for the section's headings but its name: a title offered
        // twice (`## Summary` under each chapter) is told apart by the heading above it, or
        // with none above, by its first words (a diary's day pasted twice).
        let mut offered: HashMap<&str, usize> = HashMap::new();
        for (section, _) in &found {
            *offered.entry(section.title.as_str()).or_default() += 1;
        }
        let list = (found.iter())
            .map(|(section, reason)| {
                // Only a section found through other words than those typed says so (`·
                // similar`): that it matched the title or the text goes without saying.
                let label = match reason {
                    MatchReason::Fuzzy | MatchReason::Translated => Some(lang.reason_label(*reason)),
                    MatchReason::Title | MatchReason::Keyword | MatchReason::Text => None,
                };
                let room = 100usize.saturating_sub(label.map_or(0, |label| label.chars().count() + 3));
                let twice = offered.get(section.title.as_str()) > Some(&1);
                let title = match section.category.last() {
                    Some(parent) if twice => truncate(&format!("{parent} › {}", section.title), room),
                    None if twice => {
                        truncate(&format!("{} — {}", section.title, section.told_apart_by()), room)
                    }
                    _ => truncate(&section.title, room),
                };
                let name = match label {
                    Some(label) => format!("{title} · {label}"),
                    None => title,
                };
                AutocompleteChoice::new(name, format!("{SECTION_VALUE}{:x}", section.id))
            })
            .collect();
        choices(list)
    }
}

/// Topics whose name or title starts with, or contains, what was typed.
fn topic_choices(index: &Index, typed: &str) -> Vec<AutocompleteChoice> {
    let lower = typed.trim().to_lowercase();
    let mut matching = index.library().topics_matching(&lower, MAX_CHOICES);
    if matching.is_empty() {
        // Typed as a name the bot makes otherwise (`daily notes`, a name past 32 characters).
        let named = crate::notes::topic::command_name(typed).unwrap_or_default();
        matching = index.library().topics_matching(&named, MAX_CHOICES);
    }
    (matching.into_iter())
        .map(|note| {
            let name = truncate(&format!("{} — {}", note.topic, note.title()), 100);
            AutocompleteChoice::new(name, note.topic.clone())
        })
        .collect()
}

fn choices(list: Vec<AutocompleteChoice>) -> Outcome {
    outcome(
        CreateInteractionResponse::Autocomplete(CreateAutocompleteResponse::new().set_choices(list)),
        Kind::Autocomplete,
    )
}
