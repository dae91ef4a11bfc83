//! A section as the answer to a question: the search, the section shown, the closest
//! sections when none is confident, and a miss with its did-you-mean.

use serenity::all::CreateInteractionResponse;

use super::carried::Carried;
use super::post::{ReplyTarget, reply_to_message};
use super::{Asked, Handler, Kind, Outcome, Then, find_section, outcome, refuse};
use crate::bot::commands::{self, NOTES};
use crate::bot::custom_id::SectionPage;
use crate::bot::i18n::Lang;
use crate::bot::render::{self, Closest, Other, SectionView};
use crate::gaps::{self, Shortfall};
use crate::notes::{Library, Note, Section};
use crate::reply::{self, CLOSEST, Layout, Reply, truncate};
use crate::search::{Found, Hit, Index, ItemPath, MatchReason, Ranked, SectionRef};

/// Which section to show, how.
#[derive(Clone, Copy)]
pub(super) struct Shown<'a> {
    at: SectionRef,
    reason: MatchReason,
    focus: Focus<'a>,
    page: usize,
    /// What was asked (normalised), for 👍 / 👎.
    query: &'a str,
    /// The message a posted answer replies to.
    reply_to: Option<u64>,
}

/// The items a shown section is focused on.
#[derive(Clone, Copy)]
pub(super) enum Focus<'a> {
    /// As a button carries them (empty for none).
    Given(&'a [ItemPath]),
    /// The search's, worked out only when the reply shows it.
    Later(&'a Ranked<'a>),
}

impl<'a> Shown<'a> {
    pub(super) fn new(at: SectionRef, reason: MatchReason, focus: Focus<'a>, page: usize) -> Shown<'a> {
        Shown {
            at,
            reason,
            focus,
            page,
            query: "",
            reply_to: None,
        }
    }

    pub(super) fn asked(self, query: &'a str, reply_to: Option<u64>) -> Shown<'a> {
        Shown {
            query,
            reply_to,
            ..self
        }
    }
}

/// A new reply, or an update of the message a component is on; private ones are ephemeral.
#[derive(Clone, Copy)]
pub(super) enum Show {
    New {
        private: bool,
    },
    Update {
        private: bool,
    },
    /// Public, shared from a private reply.
    Post,
    /// Public, answering a member's message.
    Reply(ReplyTarget),
}

/// Autocomplete values that name one section exactly: `section:<hex id>`.
pub(super) const SECTION_VALUE: &str = "section:";
/// Most characters of a message searched by "Answer from notes".
const MESSAGE_QUERY_CHARS: usize = 300;

impl Handler {
    /// The best section for a query (not empty), or a private "no match, did you mean".
    pub(super) fn answer(
        &self,
        index: &Index,
        topic: &str,
        query: &str,
        &Asked { asker, ref place }: &Asked,
        lang: Lang,
        private: bool,
    ) -> Outcome {
        if let Some(id) = query
            .strip_prefix(SECTION_VALUE)
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        {
            let Some(found) = find_section(index, topic, id) else {
                return refuse(lang.gone());
            };
            // Picked by name: there is no question to keep with a vote.
            let shown = Shown::new(found, MatchReason::Title, Focus::Given(&[]), 0);
            return self.show(index, &shown, asker, &[], lang, Show::New { private });
        }
        let ranked = match index.find(query, Some(topic), 1 + self.other_matches, CLOSEST) {
            Found::Confident(ranked) => ranked,
            Found::Closest(ranked) => {
                self.record_gap(place, topic, query, Shortfall::Weak);
                return closest(index, Some(topic), query, &ranked, lang, None);
            }
            Found::Nothing { unmentioned } => {
                self.record_gap(place, topic, query, Shortfall::Missed);
                return self.no_match(index, topic, query, unmentioned.as_deref(), lang);
            }
        };
        let Some(best) = ranked.hits.first() else {
            return self.no_match(index, topic, query, None, lang);
        };
        if best.reason == MatchReason::Fuzzy {
            self.record_gap(place, topic, query, Shortfall::Weak);
        }
        let others = others_among(index, &ranked.hits[1..]);
        let asked = gaps::normalise(query);
        let shown = Shown::new(best.section, best.reason, Focus::Later(&ranked), 0).asked(&asked, None);
        self.show(index, &shown, asker, &others, lang, Show::New { private })
    }

    /// "Answer from notes" on a message: its text searched in every topic, answered
    /// privately with a Post button. Discord sends the message in the interaction's resolved
    /// data, so no privileged intent is needed.
    pub(super) fn answer_message(
        &self,
        index: &Index,
        query: &str,
        target: Option<u64>,
        asker: u64,
        lang: Lang,
    ) -> Outcome {
        let nothing = |unmentioned: Option<&str>| {
            let not_in = not_in(lang, None, unmentioned).map_or_else(String::new, |s| s + "\n");
            let text = not_in + &lang.no_match(lang.the_notes(), &render::quote(query));
            outcome(
                CreateInteractionResponse::Message(render::ephemeral(&text)),
                Kind::NoMatch,
            )
        };
        let ranked = match index.find(query, None, 1 + self.other_matches, CLOSEST) {
            Found::Confident(ranked) => ranked,
            Found::Closest(ranked) => return closest(index, None, query, &ranked, lang, target),
            Found::Nothing { unmentioned } => return nothing(unmentioned.as_deref()),
        };
        let Some(best) = ranked.hits.first() else {
            return nothing(None);
        };
        let others = others_among(index, &ranked.hits[1..]);
        let asked = gaps::normalise(query);
        let focus = Focus::Later(&ranked);
        let shown = Shown::new(best.section, best.reason, focus, 0).asked(&asked, target);
        self.show(index, &shown, asker, &others, lang, Show::New { private: true })
    }

    pub(super) fn show(
        &self,
        index: &Index,
        shown: &Shown<'_>,
        asker: u64,
        others: &[Other],
        lang: Lang,
        how: Show,
    ) -> Outcome {
        let Shown {
            at,
            reason,
            focus,
            page,
            query,
            reply_to,
        } = *shown;
        let Some((note, section)) = index.library().section(at) else {
            return refuse(lang.gone());
        };
        let private = match how {
            Show::New { private } | Show::Update { private } => private,
            Show::Post | Show::Reply(_) => false,
        };
        let long = reply::is_long(section, &self.layout);
        let worked_out;
        let focus = match focus {
            Focus::Given(paths) => paths,
            // A focus shows in the order of a long section's lines, its page buttons and a
            // private answer's Post button; a public one-page answer has none of them.
            Focus::Later(ranked) if private || long => {
                worked_out = ranked.focus(at);
                &worked_out
            }
            Focus::Later(_) => &[],
        };
        let (reply, focus) = laid_out(note, section, reason, focus, private, reply_to, &self.layout);
        let command = topic_command(index.library(), &note.topic, lang);
        let view = SectionView {
            reply: &reply,
            command: &command,
            page,
            focus,
            asker,
            others,
            lang,
            colour: self.colour,
            private,
            query,
            reply_to,
        };
        match how {
            Show::Update { .. } => outcome(
                CreateInteractionResponse::UpdateMessage(render::section_message(&view)),
                Kind::Page,
            ),
            Show::New { .. } => outcome(
                CreateInteractionResponse::Message(render::section_message(&view)),
                Kind::Hit,
            ),
            Show::Post => outcome(
                CreateInteractionResponse::Message(render::section_message(&view)),
                Kind::Posted,
            ),
            Show::Reply(target) => reply_to_message(&view, target, lang),
        }
    }

    fn no_match(
        &self,
        index: &Index,
        topic: &str,
        query: &str,
        unmentioned: Option<&str>,
        lang: Lang,
    ) -> Outcome {
        let command = render::escaped(&topic_command(index.library(), topic, lang));
        let mut text = not_in(lang, Some(&command), unmentioned).map_or_else(String::new, |s| s + "\n");
        text.push_str(&lang.no_match(&lang.topic_place(&command), &render::quote(query)));
        let suggestions = reply::suggestions(index, query, Some(topic), 5);
        if suggestions.is_empty() {
            text.push('\n');
            text.push_str(lang.try_words());
        } else {
            text.push('\n');
            text.push_str(lang.did_you_mean());
            for suggestion in &suggestions {
                text.push_str("\n- ");
                crate::notes::markdown::escape_into(&mut text, &truncate(&suggestion.title, 150));
            }
        }
        Outcome {
            response: CreateInteractionResponse::Message(render::ephemeral(&text)),
            then: Then::Nothing,
            kind: Kind::NoMatch,
        }
    }

    /// A page of a section named by a button, re-found in the current index, asked and
    /// offered with what the message `carried`.
    pub(super) fn show_page(
        &self,
        index: &Index,
        at: &SectionPage,
        carried: &Carried<'_>,
        asker: u64,
        lang: Lang,
        how: Show,
    ) -> Outcome {
        let Some(section) = find_section(index, &at.topic, at.section) else {
            return refuse(lang.gone());
        };
        let others = carried.others(index);
        let shown = Shown::new(section, at.reason, Focus::Given(&at.focus), at.page)
            .asked(&carried.asked, carried.reply_to);
        self.show(index, &shown, asker, &others, lang, how)
    }
}

/// A section as a message shows it, and the focus its buttons carry: a long section with
/// `focus` first (one that fits a page keeps its order), unless a button of the message
/// (`private` or not, its Post replying to `reply_to`) could not carry that focus: then in
/// document order, as the pages that button leads to.
pub(super) fn laid_out<'s, 'f>(
    note: &Note,
    section: &'s Section,
    reason: MatchReason,
    focus: &'f [ItemPath],
    private: bool,
    reply_to: Option<u64>,
    layout: &Layout,
) -> (Reply<'s>, &'f [ItemPath]) {
    let reply = Reply::for_section(note, section, reason, focus, layout);
    if render::buttons_keep_focus(&reply, focus, private, reply_to) {
        (reply, focus)
    } else {
        (Reply::for_section(note, section, reason, &[], layout), &[])
    }
}

/// The query a message's text asks (a post, a message members ask about): a long one is
/// cut, its first words carrying the question often enough and the search staying quick.
pub(super) fn message_query(text: &str) -> String {
    let cut: String = text.chars().take(MESSAGE_QUERY_CHARS).collect();
    crate::text::clean_query(&cut).trim().to_string()
}

/// The closest sections, offered privately with a Post button each (a reply to the
/// message `reply_to` when set); `topic` is None when every topic was searched. Each
/// button carries the search's focus, so a posted section reads as a confident answer.
fn closest(
    index: &Index,
    topic: Option<&str>,
    query: &str,
    ranked: &Ranked<'_>,
    lang: Lang,
    reply_to: Option<u64>,
) -> Outcome {
    let sections: Vec<Closest> = ranked
        .hits
        .iter()
        .filter_map(|hit| {
            let (note, section) = index.library().section(hit.section)?;
            let at = SectionPage {
                topic: note.topic.clone(),
                section: section.id,
                page: 0,
                reason: hit.reason,
                focus: ranked.focus(hit.section),
            };
            Some(Closest {
                command: render::escaped(&topic_command(index.library(), &note.topic, lang)),
                at,
                title: section.title.clone(),
                category: section.category_line(),
                first_line: section
                    .points()
                    .first()
                    .map(|item| item.plain().to_string())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let command = topic.map(|topic| render::escaped(&topic_command(index.library(), topic, lang)));
    let intro = lang.closest_intro(command.as_deref(), &render::quote(query));
    let intro = match not_in(lang, command.as_deref(), ranked.unmentioned.as_deref()) {
        Some(not_in) => format!("{not_in}\n{intro}"),
        None => intro,
    };
    outcome(
        CreateInteractionResponse::Message(render::closest_message(&intro, &sections, reply_to, lang)),
        Kind::Closest,
    )
}

/// "“Todoist” is not in /obsidian.": why a question that names what the notes never
/// mention found no section ([`Ranked::unmentioned`]).
/// `command`: how members ask the topic searched, as markdown; None for every topic.
fn not_in(lang: Lang, command: Option<&str>, unmentioned: Option<&str>) -> Option<String> {
    Some(lang.not_in(&lang.place(command), &render::quote(unmentioned?)))
}

/// How members ask `topic`, as plain text: `/canvas`, or `/notes topic:canvas` where one
/// `/notes` command serves every topic (a vault of more topics than Discord allows commands).
pub(super) fn topic_command(library: &Library, topic: &str, lang: Lang) -> String {
    if commands::uses_notes_command(library) {
        lang.notes_topic(&format!("/{NOTES}"), topic)
    } else {
        format!("/{topic}")
    }
}

/// The other matches offered under an answer.
pub(super) fn others_among(index: &Index, hits: &[Hit]) -> Vec<Other> {
    (hits.iter())
        .filter_map(|hit| other(index, hit.section, hit.reason))
        .collect()
}

pub(super) fn other(index: &Index, at: SectionRef, reason: MatchReason) -> Option<Other> {
    let (note, section) = index.library().section(at)?;
    Some(Other {
        topic: note.topic.clone(),
        section: section.id,
        title: section.title.clone(),
        description: section.told_apart_by(),
        reason,
    })
}
