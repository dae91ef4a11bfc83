//! The one interaction handler: (index, interaction) → response. The gateway sends what it
//! returns; the HTTP endpoint returns it as the body. Synchronous and quick: it runs well
//! inside Discord's 3-second deadline, so it never defers. It also decides what to post in
//! a help forum's new thread (gateway only).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serenity::all::{
    ActionRowComponent, AuthorizingIntegrationOwner, AutocompleteChoice, ButtonKind, ChannelId,
    CommandDataOptionValue, CommandInteraction, CommandType, ComponentInteraction,
    ComponentInteractionDataKind, CreateAllowedMentions, CreateAutocompleteResponse,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateMessage, EditInteractionResponse,
    GuildChannel, Interaction, Message, MessageFlags, MessageId, MessageReference, Permissions,
    ResolvedTarget,
};

use super::commands::{self, GAPS, NOTES, PRIVATE, QUERY, SOURCES, TOPIC, TOPICS};
use super::custom_id::{self, Action, Listing, SectionPage, SectionVote};
use super::forum::{Forums, Post};
use super::i18n::Lang;
use super::render::{self, Closest, Other, SectionView};
use super::state::{Counter, Local, State, StateError};
use crate::by_topic::place;
use crate::config::Config;
use crate::notes::Library;
use crate::reply::CLOSEST;
use crate::reply::{self, Layout, Line, Reply, paginate, truncate};
use crate::search::{Found, Hit, Index, ItemPath, MatchReason, Ranked, SectionRef};
use crate::sync::lock;
use crate::{feedback, gaps};

/// What the handler decided, for the adapter to carry out and count.
pub struct Outcome {
    pub response: CreateInteractionResponse,
    /// Work after responding that needs Discord's API (the HTTP endpoint cannot do it in
    /// its response body).
    pub then: Then,
    pub kind: Kind,
}

#[derive(Debug)]
pub enum Then {
    Nothing,
    /// Delete the message the clicked component is on.
    DeleteMessage,
    /// Post an answer as a reply to a member's message.
    Reply(Box<PostReply>),
}

/// A reply needs the bot token and the bot in the channel: an interaction response or a
/// follow-up cannot carry `message_reference` (Discord's spec gives it only to
/// `POST /channels/{id}/messages`).
#[derive(Debug)]
pub struct PostReply {
    pub channel: u64,
    /// The answer, with `message_reference` to the message it answers.
    pub message: CreateMessage,
    /// The same answer headed by a link to that message, as a follow-up to the interaction,
    /// when the reply cannot be posted.
    pub follow_up: CreateInteractionResponseFollowup,
    /// What the private answer, which now says it was posted, becomes when neither can be.
    pub refused: EditInteractionResponse,
}

/// An answer to a new forum post, for the gateway to post in its thread.
#[derive(Debug)]
pub struct ForumReply {
    pub thread: u64,
    pub message: CreateMessage,
}

/// For logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Pong,
    /// A section answering a question.
    Hit,
    /// A section shared publicly from a private reply (Post).
    Posted,
    /// A page of `/sources`, `/topics`, or `/gaps`' report.
    Listing,
    NoMatch,
    /// No confident hit: the closest sections offered privately.
    Closest,
    Autocomplete,
    Page,
    Deleted,
    /// A 👍 / 👎 counted (or acknowledged as already counted).
    Voted,
    /// Answered with a polite refusal: cooldown, not allowed, gone, bad input.
    Refused,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pong => "pong",
            Kind::Hit => "hit",
            Kind::Posted => "posted",
            Kind::Listing => "listing",
            Kind::NoMatch => "no_match",
            Kind::Closest => "closest",
            Kind::Autocomplete => "autocomplete",
            Kind::Page => "page",
            Kind::Deleted => "deleted",
            Kind::Voted => "voted",
            Kind::Refused => "refused",
        }
    }
}

/// Which section to show, how.
#[derive(Clone, Copy)]
struct Shown<'a> {
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
enum Focus<'a> {
    /// As a button carries them (empty for none).
    Given(&'a [ItemPath]),
    /// The search's, worked out only when the reply shows it.
    Later(&'a Ranked<'a>),
}

impl<'a> Shown<'a> {
    fn new(at: SectionRef, reason: MatchReason, focus: Focus<'a>, page: usize) -> Shown<'a> {
        Shown {
            at,
            reason,
            focus,
            page,
            query: "",
            reply_to: None,
        }
    }

    fn asked(self, query: &'a str, reply_to: Option<u64>) -> Shown<'a> {
        Shown {
            query,
            reply_to,
            ..self
        }
    }
}

/// A new reply, or an update of the message a component is on; private ones are ephemeral.
#[derive(Clone, Copy)]
enum Show {
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

/// The message "Answer from notes" was used on, and whether the bot may post there.
#[derive(Clone, Copy)]
struct ReplyTarget {
    message: u64,
    channel: u64,
    guild: Option<u64>,
    /// The app is installed in this server (so its bot can post), not only for the member.
    installed: bool,
}

/// Autocomplete values that name one section exactly: `section:<hex id>`.
const SECTION_VALUE: &str = "section:";
/// Most characters of a message searched by "Answer from notes".
const MESSAGE_QUERY_CHARS: usize = 300;
/// Discord's limit on autocomplete choices.
const MAX_CHOICES: usize = 25;

pub struct Handler {
    layout: Layout,
    colour: u32,
    other_matches: usize,
    cooldown: Duration,
    /// Cooldowns and gap counts: in this process, or shared by replicas.
    state: Arc<dyn State>,
    command_ids: Mutex<CommandIds>,
    forums: Forums,
    /// Least coverage of a forum post's words for it to be answered.
    forums_min_coverage: f32,
}

/// The ids Discord gave the commands at registration, for `</name:id>` mentions. Guild
/// commands have their own ids in each guild.
#[derive(Default)]
struct CommandIds {
    global: HashMap<String, u64>,
    guilds: HashMap<u64, HashMap<String, u64>>,
}

impl Handler {
    pub fn new(config: &Config) -> Handler {
        Handler {
            layout: config.layout(),
            colour: config.reply.colour().unwrap_or(0x5865f2),
            other_matches: config.reply.other_matches,
            cooldown: Duration::from_secs(config.cooldown_seconds),
            state: Arc::new(Local::new(&config.data_dir)),
            command_ids: Mutex::new(CommandIds::default()),
            forums: Forums::new(&config.forums),
            forums_min_coverage: config.forums_min_coverage,
        }
    }

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
            None => {
                let mut plain = String::new();
                crate::notes::markdown::escape_into(&mut plain, &format!("/{name}"));
                plain
            }
        }
    }

    /// Keeps cooldowns and counts in `state` from now on (Redis, shared by replicas).
    pub fn use_state(&mut self, state: Arc<dyn State>) {
        self.state = state;
    }

    pub fn state(&self) -> &dyn State {
        self.state.as_ref()
    }

    /// Saves the gaps and votes counted since the last call.
    pub fn save_counts(&self) -> Result<(), StateError> {
        self.state.save()
    }

    fn record_gap(&self, place: &str, topic: &str, query: &str, weak: bool) {
        if let Some(field) = gaps::field(place, topic, query, weak) {
            self.state.add(Counter::Gaps, field, 1);
        }
    }

    pub fn handle(&self, index: &Index, interaction: &Interaction, now: Instant) -> Outcome {
        match interaction {
            Interaction::Ping(_) => outcome(CreateInteractionResponse::Pong, Kind::Pong),
            Interaction::Command(command) => self.command(index, command, now),
            Interaction::Autocomplete(command) => self.autocomplete(index, command),
            Interaction::Component(component) => self.component(index, component),
            _ => refuse(Lang::En.unsupported()),
        }
    }

    /// A thread was created: the answer to post in it, when it completes a forum post the
    /// notes answer confidently.
    pub fn thread_created(&self, index: &Index, thread: &GuildChannel) -> Option<ForumReply> {
        let post = self.forums.thread_created(thread)?;
        self.forum_answer(index, &post)
    }

    /// A message was created: the answer to post, when it completes a forum post the notes
    /// answer confidently.
    pub fn message_created(&self, index: &Index, message: &Message) -> Option<ForumReply> {
        let post = self.forums.message_created(message)?;
        self.forum_answer(index, &post)
    }

    /// The best section for a forum post when it is confident and covers enough of the
    /// post's words (the score is not comparable across note sets; coverage is); else
    /// silence: a guess is not posted where nobody asked the bot.
    fn forum_answer(&self, index: &Index, post: &Post) -> Option<ForumReply> {
        let query = message_query(&post.text);
        let query = query.as_str();
        let hits = index.search(query, None, 1 + self.other_matches);
        let best = hits
            .first()
            .filter(|best| best.is_confident() && best.coverage >= self.forums_min_coverage)?;
        let (note, section) = index.library().section(best.section)?;
        let reply = Reply::for_section(note, section, best.reason, &best.focus, &self.layout);
        let others = others_among(index, &hits[1..]);
        let asked = gaps::normalise(query);
        let lang = if query.chars().any(crate::search::is_cjk) {
            Lang::Zh
        } else {
            Lang::En
        };
        let command = topic_command(index.library(), &note.topic, lang);
        let view = SectionView {
            reply: &reply,
            command: &command,
            page: 0,
            focus: &best.focus,
            asker: post.author,
            others: &others,
            lang,
            colour: self.colour,
            private: false,
            query: &asked,
            reply_to: None,
        };
        let (embed, rows) = render::section_parts(&view);
        let message = CreateMessage::new()
            .embed(embed)
            .components(rows)
            .allowed_mentions(CreateAllowedMentions::new());
        Some(ForumReply {
            thread: post.thread,
            message,
        })
    }

    fn command(&self, index: &Index, command: &CommandInteraction, now: Instant) -> Outcome {
        let lang = Lang::from_locale(&command.locale);
        let name = command.data.name.as_str();
        // Claimed once what was asked is known to be answerable: a refused typo costs the
        // member no wait.
        let cooling = || {
            let wait = self.cooldown_left(command.user.id.get(), name, now)?;
            Some(refuse(&lang.cooldown(wait.as_millis().div_ceil(1000) as u64)))
        };
        if command.data.kind == CommandType::Message {
            let (text, target) = match command.data.target() {
                Some(ResolvedTarget::Message(message)) => (message.content.as_str(), Some(message.id.get())),
                _ => ("", None),
            };
            let query = message_query(text);
            if query.is_empty() {
                return refuse(lang.no_text());
            }
            if let Some(refused) = cooling() {
                return refused;
            }
            return self.answer_message(index, &query, target, command.user.id.get(), lang);
        }
        // Topic names are lowercase; a member may type `Canvas`.
        let topic_option = string_option(command, TOPIC).map(|topic| topic.trim().to_lowercase());
        let topic_option = topic_option.as_deref();
        match name {
            SOURCES => {
                if let Some(topic) = topic_option
                    && index.library().note(topic).is_none()
                {
                    return refuse(&lang.unknown_topic(&render::quote(topic)));
                }
                if let Some(refused) = cooling() {
                    return refused;
                }
                let listing = Listing::Sources(topic_option.map(str::to_string));
                self.listing(index, &listing, 0, lang, None, false)
            }
            TOPICS => cooling().unwrap_or_else(|| {
                let guild = guild_of(command.guild_id);
                self.listing(index, &Listing::Topics, 0, lang, guild, false)
            }),
            GAPS => cooling()
                .unwrap_or_else(|| self.gaps(index, &place(guild_of(command.guild_id)), topic_option, lang)),
            _ => {
                let topic = if name == NOTES {
                    topic_option.unwrap_or_default()
                } else {
                    name
                };
                if index.library().note(topic).is_none() {
                    return if name == NOTES {
                        refuse(&lang.unknown_topic(&render::quote(topic)))
                    } else {
                        refuse(lang.topic_gone())
                    };
                }
                let query = string_option(command, QUERY).unwrap_or_default();
                let query = query.trim();
                if query.is_empty() {
                    return refuse(lang.empty_query());
                }
                if let Some(refused) = cooling() {
                    return refused;
                }
                let private = bool_option(command, PRIVATE).unwrap_or(false);
                let asked = Asked {
                    asker: command.user.id.get(),
                    place: place(guild_of(command.guild_id)),
                };
                self.answer(index, topic, query, &asked, lang, private)
            }
        }
    }

    /// The best section for a query (not empty), or a private "no match, did you mean".
    fn answer(
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
                self.record_gap(place, topic, query, true);
                return closest(index, Some(topic), query, &ranked, lang, None);
            }
            Found::Nothing { unmentioned } => {
                self.record_gap(place, topic, query, false);
                return self.no_match(index, topic, query, unmentioned.as_deref(), lang);
            }
        };
        let Some(best) = ranked.hits.first() else {
            return self.no_match(index, topic, query, None, lang);
        };
        if best.reason == MatchReason::Fuzzy {
            self.record_gap(place, topic, query, true);
        }
        let others = others_among(index, &ranked.hits[1..]);
        let asked = gaps::normalise(query);
        let shown = Shown::new(best.section, best.reason, Focus::Later(&ranked), 0).asked(&asked, None);
        self.show(index, &shown, asker, &others, lang, Show::New { private })
    }

    /// "Answer from notes" on a message: its text searched in every topic, answered
    /// privately with a Post button. Discord sends the message in the interaction's resolved
    /// data, so no privileged intent is needed.
    fn answer_message(
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

    fn show(
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
        // A section that fits one page keeps its order.
        let first = if long { focus } else { &[] };
        let reply = Reply::in_order(note, section, reason, first, &self.layout);
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

    /// `/gaps`: the most asked questions the notes did not answer, each with its words the
    /// notes never use, and the worst-rated answers (admins only, by the command's default
    /// permissions).
    fn gaps(&self, index: &Index, place: &str, topic: Option<&str>, lang: Lang) -> Outcome {
        let mut counts = gaps::Counts::default();
        for (field, n) in self.state.counts(Counter::Gaps) {
            counts.add_field(&field, n);
        }
        // What was asked in this server only: another's questions, and direct messages,
        // are theirs.
        let top = counts.top(Some(place), topic, 20);
        let worst = self.state.ratings().worst(Some(place), topic, 10);
        if top.is_empty() && worst.is_empty() {
            return refuse(lang.no_gaps());
        }
        // What the admin could teach the bot (README: "Teaching the bot your notes' words").
        let lacking = |gap: &gaps::Gap| index.lacking(&gap.query, Some(&gap.topic)).unwrap_or_default();
        let command_of = |topic: &str| render::escaped(&topic_command(index.library(), topic, lang));
        let text = render::gaps_report(&top, &worst, lacking, command_of, lang);
        outcome(
            CreateInteractionResponse::Message(render::ephemeral(&text)),
            Kind::Listing,
        )
    }

    /// A page of `/sources` or `/topics`; `guild` picks the command ids for mentions.
    fn listing(
        &self,
        index: &Index,
        listing: &Listing,
        page: usize,
        lang: Lang,
        guild: Option<u64>,
        update: bool,
    ) -> Outcome {
        let library = index.library();
        let (title, pages) = match listing {
            Listing::Sources(topic) => {
                let sources = reply::sources(library, topic.as_deref());
                if sources.is_empty() {
                    return refuse(lang.no_sources());
                }
                (
                    lang.sources(),
                    reply::source_pages(&sources, self.layout.page_chars),
                )
            }
            Listing::Topics => {
                let lines = library
                    .notes
                    .iter()
                    .map(|note| {
                        let mut title = String::new();
                        crate::notes::markdown::escape_into(&mut title, note.title());
                        let command = if commands::uses_notes_command(library) {
                            lang.notes_topic(
                                &self.command_mention(guild, NOTES),
                                &render::escaped(&note.topic),
                            )
                        } else {
                            self.command_mention(guild, &note.topic)
                        };
                        let text = lang.topic_line(&command, &title, note.answerable().count());
                        Line {
                            text,
                            path: None,
                            content: true,
                        }
                    })
                    .collect();
                (
                    lang.topics(),
                    paginate(lines, self.layout.page_chars, |_| Vec::new()),
                )
            }
        };
        let message = render::listing_message(title, &pages, page, listing, lang, self.colour);
        if update {
            outcome(CreateInteractionResponse::UpdateMessage(message), Kind::Page)
        } else {
            outcome(CreateInteractionResponse::Message(message), Kind::Listing)
        }
    }

    fn autocomplete(&self, index: &Index, command: &CommandInteraction) -> Outcome {
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
                Some(topic) => Cow::Owned(topic.trim().to_lowercase()),
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
        let list = index
            .suggest(&typed, Some(topic), MAX_CHOICES)
            .iter()
            .filter_map(|suggestion| {
                let section = index
                    .library()
                    .notes
                    .get(suggestion.section.note)?
                    .sections
                    .get(suggestion.section.section)?;
                let label = lang.reason_label(suggestion.reason);
                let room = 100usize.saturating_sub(label.chars().count() + 3);
                let title: String = truncate(&section.title, room);
                Some(AutocompleteChoice::new(
                    format!("{title} · {label}"),
                    format!("{SECTION_VALUE}{:x}", section.id),
                ))
            })
            .take(MAX_CHOICES)
            .collect();
        choices(list)
    }

    /// A page of a section named by a button, re-found in the current index; `query` and
    /// `reply_to` are what the answer was asked with and answers.
    fn show_page(
        &self,
        index: &Index,
        component: &ComponentInteraction,
        at: &SectionPage,
        (query, reply_to): (&str, Option<u64>),
        asker: u64,
        how: Show,
    ) -> Outcome {
        let lang = Lang::from_locale(&component.locale);
        let Some(section) = find_section(index, &at.topic, at.section) else {
            return refuse(lang.gone());
        };
        let others = others_in(index, &component.message);
        let shown = Shown::new(section, at.reason, Focus::Given(&at.focus), at.page).asked(query, reply_to);
        self.show(index, &shown, asker, &others, lang, how)
    }

    /// Counts a 👍 / 👎 click once per member and answer.
    fn vote(
        &self,
        index: &Index,
        component: &ComponentInteraction,
        clicked: SectionVote,
        lang: Lang,
    ) -> Outcome {
        let SectionVote {
            up,
            topic,
            section,
            query,
        } = clicked;
        let Some(at) = find_section(index, &topic, section) else {
            return refuse(lang.gone());
        };
        let Some(title) = index.library().section(at).map(|(_, s)| s.title.clone()) else {
            return refuse(lang.gone());
        };
        let vote = feedback::Vote {
            key: feedback::voter_key(component.message.id.get(), section, component.user.id.get()),
            place: place(guild_of(component.guild_id)),
            topic,
            section,
            title: title.clone(),
            // Cleaned again: a custom_id is only as trustworthy as its sender.
            query: gaps::normalise(&query),
            up,
        };
        let text = match self.state.vote(vote, Instant::now()) {
            feedback::Recorded::Counted => lang.vote_counted(up, &render::quote(&title)),
            feedback::Recorded::Already => lang.vote_already().to_string(),
            feedback::Recorded::Full => lang.votes_full().to_string(),
        };
        outcome(
            CreateInteractionResponse::Message(render::ephemeral(&text)),
            Kind::Voted,
        )
    }

    fn component(&self, index: &Index, component: &ComponentInteraction) -> Outcome {
        let lang = Lang::from_locale(&component.locale);
        let Some(action) = Action::decode(&component.data.custom_id) else {
            return refuse(lang.unsupported());
        };
        let asker = asker_of(&component.message).unwrap_or(component.user.id.get());
        let (asked, reply_to) = asked_in(&component.message);
        // A private answer stays private as its pages turn.
        let private = component
            .message
            .flags
            .is_some_and(|flags| flags.contains(MessageFlags::EPHEMERAL));
        match action {
            Action::Page(at) => {
                let how = Show::Update { private };
                self.show_page(index, component, &at, (&asked, reply_to), asker, how)
            }
            // Posted publicly, by and deletable by whoever clicked.
            Action::Post { at, reply_to } => {
                let how = match reply_to {
                    Some(message) => Show::Reply(ReplyTarget {
                        message,
                        channel: component.channel_id.get(),
                        guild: guild_of(component.guild_id),
                        installed: installed_here(component),
                    }),
                    None => Show::Post,
                };
                let clicker = component.user.id.get();
                self.show_page(index, component, &at, (&asked, None), clicker, how)
            }
            Action::List { listing, page } => {
                self.listing(index, &listing, page, lang, guild_of(component.guild_id), true)
            }
            Action::Other { .. } => {
                let ComponentInteractionDataKind::StringSelect { values } = &component.data.kind else {
                    return refuse(lang.unsupported());
                };
                let chosen = values.first().and_then(|v| custom_id::parse_section_value(v));
                let found =
                    chosen.and_then(|(topic, id, reason)| Some((find_section(index, topic, id)?, reason)));
                let Some((at, reason)) = found else {
                    return refuse(lang.gone());
                };
                let others = others_in(index, &component.message);
                let focus = Focus::Given(&[]);
                let shown = Shown::new(at, reason, focus, 0).asked(&asked, reply_to);
                self.show(index, &shown, asker, &others, lang, Show::Update { private })
            }
            Action::Vote(clicked) => self.vote(index, component, clicked, lang),
            Action::Delete { asker } => {
                let moderator = component
                    .member
                    .as_ref()
                    .and_then(|m| m.permissions)
                    .is_some_and(|p| p.contains(Permissions::MANAGE_MESSAGES));
                if component.user.id.get() == asker || moderator {
                    Outcome {
                        response: CreateInteractionResponse::Acknowledge,
                        then: Then::DeleteMessage,
                        kind: Kind::Deleted,
                    }
                } else {
                    refuse(lang.not_yours())
                }
            }
        }
    }

    /// Time left before `user` may use `command` again; records the use when allowed.
    fn cooldown_left(&self, user: u64, command: &str, now: Instant) -> Option<Duration> {
        if self.cooldown.is_zero() {
            return None;
        }
        self.state
            .claim(&format!("cooldown:{user}:{command}"), self.cooldown, now)
    }
}

/// The query a message's text asks (a post, a message members ask about): a long one is
/// cut, its first words carrying the question often enough and the search staying quick.
fn message_query(text: &str) -> String {
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
pub(crate) fn topic_command(library: &Library, topic: &str, lang: Lang) -> String {
    if commands::uses_notes_command(library) {
        lang.notes_topic(&format!("/{NOTES}"), topic)
    } else {
        format!("/{topic}")
    }
}

/// An answer posted for everyone in reply to `target`: by the bot where the app is installed
/// in the server (the private answer is replaced by a note saying so), else as the
/// interaction's public response headed by a link to the message.
fn reply_to_message(view: &SectionView<'_>, target: ReplyTarget, lang: Lang) -> Outcome {
    let (embed, rows) = render::section_parts(view);
    let link = render::message_link(target.guild, target.channel, target.message);
    let heading = lang.answering(&link);
    if !target.installed {
        let message = render::message().content(heading).embed(embed).components(rows);
        return outcome(CreateInteractionResponse::Message(message), Kind::Posted);
    }
    let mut reference =
        MessageReference::from((ChannelId::new(target.channel), MessageId::new(target.message)));
    reference.guild_id = target.guild.map(serenity::all::GuildId::new);
    // A deleted message is no reason to drop the answer.
    reference.fail_if_not_exists = Some(false);
    let message = CreateMessage::new()
        .embed(embed.clone())
        .components(rows.clone())
        .reference_message(reference)
        .allowed_mentions(CreateAllowedMentions::new().replied_user(false));
    let follow_up = CreateInteractionResponseFollowup::new()
        .content(heading)
        .embed(embed)
        .components(rows)
        .allowed_mentions(CreateAllowedMentions::new());
    let done = render::message()
        .content(lang.posted())
        .embeds(Vec::new())
        .components(Vec::new());
    Outcome {
        response: CreateInteractionResponse::UpdateMessage(done),
        then: Then::Reply(Box::new(PostReply {
            channel: target.channel,
            message,
            follow_up,
            refused: EditInteractionResponse::new()
                .content(lang.post_refused())
                .allowed_mentions(CreateAllowedMentions::new()),
        })),
        kind: Kind::Posted,
    }
}

/// Whether the app is installed in the server the click came from (its bot is a member),
/// rather than only for the member who clicked. No owners at all is the shape from before
/// user installs, when only a server's own bot got its interactions.
fn installed_here(component: &ComponentInteraction) -> bool {
    let Some(guild) = component.guild_id else {
        return false;
    };
    let owners = &component.authorizing_integration_owners.0;
    owners.is_empty()
        || owners
            .iter()
            .any(|owner| matches!(owner, AuthorizingIntegrationOwner::GuildInstall(Some(id)) if *id == guild))
}

fn guild_of(guild: Option<serenity::all::GuildId>) -> Option<u64> {
    guild.map(|g| g.get())
}

/// Who asked, and where (see [`crate::by_topic::place`]): what a gap is counted under.
struct Asked {
    asker: u64,
    place: String,
}

fn outcome(response: CreateInteractionResponse, kind: Kind) -> Outcome {
    Outcome {
        response,
        then: Then::Nothing,
        kind,
    }
}

fn refuse(text: &str) -> Outcome {
    outcome(
        CreateInteractionResponse::Message(render::ephemeral(text)),
        Kind::Refused,
    )
}

fn choices(list: Vec<AutocompleteChoice>) -> Outcome {
    outcome(
        CreateInteractionResponse::Autocomplete(CreateAutocompleteResponse::new().set_choices(list)),
        Kind::Autocomplete,
    )
}

fn bool_option(command: &CommandInteraction, name: &str) -> Option<bool> {
    command
        .data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| o.value.as_bool())
}

/// A string option as typed, cleaned of control and bidi characters.
fn string_option<'a>(command: &'a CommandInteraction, name: &str) -> Option<Cow<'a, str>> {
    let value = command
        .data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            CommandDataOptionValue::String(value) => Some(value.as_str()),
            CommandDataOptionValue::Autocomplete { value, .. } => Some(value.as_str()),
            _ => None,
        });
    value.map(crate::text::clean_query)
}

fn find_section(index: &Index, topic: &str, id: u64) -> Option<SectionRef> {
    let library = index.library();
    let note = library.notes.iter().position(|n| n.topic == topic)?;
    let section = library.notes[note]
        .sections
        .iter()
        .position(|s| s.is_answerable() && s.id == id)?;
    Some(SectionRef { note, section })
}

/// The other matches offered under an answer.
fn others_among(index: &Index, hits: &[Hit]) -> Vec<Other> {
    (hits.iter())
        .filter_map(|hit| other(index, hit.section, hit.reason))
        .collect()
}

fn other(index: &Index, at: SectionRef, reason: MatchReason) -> Option<Other> {
    let (note, section) = index.library().section(at)?;
    Some(Other {
        topic: note.topic.clone(),
        section: section.id,
        title: section.title.clone(),
        category: section.category_line(),
        reason,
    })
}

/// Topics whose name or title starts with, or contains, what was typed.
fn topic_choices(index: &Index, typed: &str) -> Vec<AutocompleteChoice> {
    let typed = typed.trim().to_lowercase();
    let mut scored: Vec<(u8, &crate::notes::Note)> = index
        .library()
        .notes
        .iter()
        .filter_map(|note| {
            let title = note.title().to_lowercase();
            let rank = if typed.is_empty() || note.topic.starts_with(&typed) {
                0
            } else if title.starts_with(&typed) {
                1
            } else if note.topic.contains(&typed) || title.contains(&typed) {
                2
            } else {
                return None;
            };
            Some((rank, &**note))
        })
        .collect();
    scored.sort_by_key(|(rank, _)| *rank);
    scored
        .into_iter()
        .take(MAX_CHOICES)
        .map(|(_, note)| {
            let name = truncate(&format!("{} — {}", note.topic, note.title()), 100);
            AutocompleteChoice::new(name, note.topic.clone())
        })
        .collect()
}

/// Who asked: the delete button of the bot's own message carries their id.
fn asker_of(message: &Message) -> Option<u64> {
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
fn asked_in(message: &Message) -> (String, Option<u64>) {
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
fn others_in(index: &Index, message: &Message) -> Vec<Other> {
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
