//! The `/sources` and `/topics` listings, and the command ids their mentions link to.

use std::collections::HashMap;
use std::sync::Arc;

use serenity::all::CreateInteractionResponse;

use super::{Handler, Kind, Outcome, outcome, refuse};
use crate::bot::commands::{self, NOTES};
use crate::bot::custom_id::Listing;
use crate::bot::i18n::Lang;
use crate::bot::render;
use crate::reply::{self, Line, Page, paginate};
use crate::search::Index;
use crate::sync::lock;

/// How a listing's page is sent, and who asked for the listing (who may remove it).
#[derive(Clone, Copy)]
pub(super) enum Respond {
    /// A new message, answering the command.
    New { asker: u64 },
    /// An update of the message whose page button was clicked.
    Update { asker: u64 },
}

/// The `/sources` pages of one index, by topic (`None`: every topic), made at the first
/// `/sources` and kept for its page clicks: each page was made from every source link of
/// the library, which at 100k sections is most of the work.
#[derive(Default)]
pub(super) struct SourcePages {
    /// The [`Index::id`] the pages were made from.
    index: u64,
    pages: HashMap<Option<String>, Arc<Vec<Page>>>,
}

/// The ids Discord gave the commands at registration, for `</name:id>` mentions. Guild
/// commands have their own ids in each guild.
#[derive(Default)]
pub(super) struct CommandIds {
    global: HashMap<String, u64>,
    guilds: HashMap<u64, HashMap<String, u64>>,
}

impl Handler {
    /// Keeps the ids Discord returned when the command set was registered, globally
    /// (`guild` None) or in one guild; replaces what that registration had before.
    pub fn remember_command_ids(&self, guild: Option<u64>, ids: impl IntoIterator<Item = (String, u64)>) {
        let ids = ids.into_iter().collect();
        let mut known = lock(&self.command_ids);
        match guild {
            Some(guild) => {
                known.guilds.insert(guild, ids);
            }
            None => known.global = ids,
        }
    }

    /// A clickable `</name:id>` mention when the id is known here, else plain `/name`.
    fn command_mention(&self, guild: Option<u64>, name: &str) -> String {
        let known = lock(&self.command_ids);
        let id = guild
            .and_then(|g| known.guilds.get(&g))
            .and_then(|ids| ids.get(name))
            .or_else(|| known.global.get(name));
        match id {
            // A command name is [-_\p{L}\p{N}]: nothing in it needs escaping inside a mention.
            Some(id) => format!("</{name}:{id}>"),
            None => render::escaped(&format!("/{name}")),
        }
    }

    /// The `/sources` pages of `topic` in `index`; none when it has no source link.
    fn source_pages(&self, index: &Index, topic: Option<&str>) -> Arc<Vec<Page>> {
        let key = topic.map(str::to_string);
        {
            let cached = lock(&self.source_pages);
            if cached.index == index.id()
                && let Some(pages) = cached.pages.get(&key)
            {
                return pages.clone();
            }
        }
        // Made outside the lock: a slow listing holds up no other.
        let sources = reply::sources(index.library(), topic);
        let pages = Arc::new(if sources.is_empty() {
            Vec::new()
        } else {
            reply::source_pages(&sources, self.layout.page_chars)
        });
        let mut cached = lock(&self.source_pages);
        if cached.index != index.id() {
            *cached = SourcePages {
                index: index.id(),
                pages: HashMap::new(),
            };
        }
        cached.pages.insert(key, pages.clone());
        pages
    }

    /// A page of `/sources` or `/topics`; `guild` picks the command ids for mentions.
    pub(super) fn listing(
        &self,
        index: &Index,
        listing: &Listing,
        page: usize,
        lang: Lang,
        guild: Option<u64>,
        respond: Respond,
    ) -> Outcome {
        let library = index.library();
        let (title, pages) = match listing {
            Listing::Sources(topic) => {
                let pages = self.source_pages(index, topic.as_deref());
                if pages.is_empty() {
                    return refuse(lang.no_sources());
                }
                (lang.sources(), pages)
            }
            Listing::Topics => {
                // One `/notes` command for every topic: its mention is the same on every line.
                let notes_command =
                    commands::uses_notes_command(library).then(|| self.command_mention(guild, NOTES));
                let lines = library
                    .notes()
                    .iter()
                    .map(|note| {
                        let title = render::escaped(note.title());
                        let command = match &notes_command {
                            Some(notes) => lang.notes_topic(notes, &render::escaped(&note.topic)),
                            None => self.command_mention(guild, &note.topic),
                        };
                        let sections = note.answerable().count();
                        let text =
                            lang.topic_line(&command, &title, sections, if sections == 1 { "" } else { "s" });
                        Line {
                            text,
                            path: None,
                            content: true,
                        }
                    })
                    .collect();
                (
                    lang.topics(),
                    Arc::new(paginate(lines, self.layout.page_chars, |_| Vec::new())),
                )
            }
        };
        let (Respond::New { asker } | Respond::Update { asker }) = respond;
        let message = render::listing_message(title, &pages, page, listing, lang, self.colour, asker);
        match respond {
            Respond::New { .. } => outcome(CreateInteractionResponse::Message(message), Kind::Listing),
            Respond::Update { .. } => outcome(CreateInteractionResponse::UpdateMessage(message), Kind::Page),
        }
    }
}
