//! The one interaction handler: (index, interaction) → response. The gateway sends what it
//! returns; the HTTP endpoint returns it as the body. Synchronous and quick: it runs well
//! inside Discord's 3-second deadline, so it never defers. It also decides what to post in
//! a help forum's new thread (gateway only). This module dispatches, and holds what its
//! children (one kind of request each) share.

mod answer;
mod autocomplete;
mod carried;
mod forum_answer;
mod gaps_report;
mod listing;
mod post;
mod votes;

use std::borrow::Cow;
use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serenity::all::{
    ChannelId, CommandDataOptionValue, CommandInteraction, CommandType, ComponentInteraction,
    ComponentInteractionDataKind, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateMessage, EditInteractionResponse, Interaction, MessageFlags, MessageId, Permissions,
    ResolvedTarget,
};

use super::commands::{GAPS, NOTES, PRIVATE, QUERY, SOURCES, TOPIC, TOPICS};
use super::custom_id::{self, Action, Listing};
use super::forum::Forums;
use super::i18n::Lang;
use super::render;
use super::state::{Local, State, StateError};
use crate::by_topic::place;
use crate::config::Config;
use crate::reply::Layout;
use crate::search::{Index, SectionRef};

use answer::{Focus, Show, Shown, message_query};
use carried::Carried;
use listing::{CommandIds, Respond};
use post::{ReplyTarget, installed_here};

pub use forum_answer::ForumReply;

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
    pub channel: ChannelId,
    /// The answer, with `message_reference` to the message it answers.
    pub message: CreateMessage,
    /// The same answer headed by a link to that message, as a follow-up to the interaction,
    /// when the reply cannot be posted.
    pub follow_up: CreateInteractionResponseFollowup,
    /// What the private answer, which now says it was posted, becomes when neither can be.
    pub refused: EditInteractionResponse,
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

pub struct Handler {
    layout: Layout,
    colour: u32,
    other_matches: usize,
    cooldown: Duration,
    /// Cooldowns and gap counts: in this process, or shared by replicas.
    state: Arc<dyn State>,
    command_ids: Mutex<CommandIds>,
    source_pages: Mutex<listing::SourcePages>,
    forums: Forums,
    /// Least coverage of a forum post's words for it to be answered.
    forums_min_coverage: f32,
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
            source_pages: Mutex::default(),
            forums: Forums::new(&config.forums),
            forums_min_coverage: config.forums_min_coverage,
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

    pub fn handle(&self, index: &Index, interaction: &Interaction, now: Instant) -> Outcome {
        match interaction {
            Interaction::Ping(_) => outcome(CreateInteractionResponse::Pong, Kind::Pong),
            Interaction::Command(command) => self.command(index, command, now),
            Interaction::Autocomplete(command) => self.autocomplete(index, command),
            Interaction::Component(component) => self.component(index, component, now),
            _ => refuse(Lang::En.unsupported()),
        }
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
        let topic_option = string_option(command, TOPIC).map(|topic| asked_topic(index, &topic));
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
                self.listing(
                    index,
                    &listing,
                    0,
                    lang,
                    None,
                    Respond::New {
                        asker: command.user.id.get(),
                    },
                )
            }
            TOPICS => cooling().unwrap_or_else(|| {
                let guild = guild_of(command.guild_id);
                self.listing(
                    index,
                    &Listing::Topics,
                    0,
                    lang,
                    guild,
                    Respond::New {
                        asker: command.user.id.get(),
                    },
                )
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

    fn component(&self, index: &Index, component: &ComponentInteraction, now: Instant) -> Outcome {
        let lang = Lang::from_locale(&component.locale);
        let Some(action) = Action::decode(&component.data.custom_id) else {
            return refuse(lang.broken_button());
        };
        let carried = Carried::read(&component.message);
        let asker = carried.asker.unwrap_or(component.user.id.get());
        // A private answer stays private as its pages turn.
        let private = component
            .message
            .flags
            .is_some_and(|flags| flags.contains(MessageFlags::EPHEMERAL));
        match action {
            Action::Page(at) => {
                let how = Show::Update { private };
                self.show_page(index, &at, &carried, asker, lang, how)
            }
            // Posted publicly, by and deletable by whoever clicked.
            Action::Post { at, reply_to } => {
                let how = match reply_to {
                    // Ids are never 0 (custom_id refuses one): serenity's `new` would panic.
                    Some(message) => match NonZeroU64::new(message) {
                        Some(message) => Show::Reply(ReplyTarget {
                            message: MessageId::from(message),
                            channel: component.channel_id,
                            guild: component.guild_id,
                            installed: installed_here(component),
                        }),
                        None => Show::Post,
                    },
                    None => Show::Post,
                };
                let clicker = component.user.id.get();
                // A public answer has no Post button to carry the message answered on.
                let posted = Carried {
                    reply_to: None,
                    ..carried
                };
                self.show_page(index, &at, &posted, clicker, lang, how)
            }
            Action::List { listing, page } => {
                let guild = guild_of(component.guild_id);
                self.listing(index, &listing, page, lang, guild, Respond::Update { asker })
            }
            Action::Other { .. } => {
                let ComponentInteractionDataKind::StringSelect { values } = &component.data.kind else {
                    return refuse(lang.broken_button());
                };
                let chosen = values.first().and_then(|v| custom_id::parse_section_value(v));
                let found =
                    chosen.and_then(|(topic, id, reason)| Some((find_section(index, topic, id)?, reason)));
                let Some((at, reason)) = found else {
                    return refuse(lang.gone());
                };
                let others = carried.others(index);
                let focus = Focus::Given(&[]);
                let shown = Shown::new(at, reason, focus, 0).asked(&carried.asked, carried.reply_to);
                self.show(index, &shown, asker, &others, lang, Show::Update { private })
            }
            Action::Vote(clicked) => self.vote(index, component, clicked, lang, now),
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

/// The topic a member named as the bot names topics: `Canvas` is `canvas`, `daily notes`
/// `daily-notes`, and a name typed in full is the command's, cut to Discord's 32
/// characters (`security-considerations-for-teams`). As typed when no topic has that name.
fn asked_topic(index: &Index, typed: &str) -> String {
    let lower = typed.trim().to_lowercase();
    if index.library().note(&lower).is_some() {
        return lower;
    }
    crate::notes::topic::command_name(typed)
        .filter(|name| index.library().note(name).is_some())
        .unwrap_or(lower)
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
    let note = library.position(topic)?;
    let section = library.notes()[note]
        .sections
        .iter()
        .position(|s| s.is_answerable() && s.id == id)?;
    Some(SectionRef { note, section })
}
