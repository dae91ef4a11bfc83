//! 👍 / 👎 on an answer, counted once per member and answer.

use std::time::Instant;

use serenity::all::{ComponentInteraction, CreateInteractionResponse};

use super::{Handler, Kind, Outcome, find_section, guild_of, outcome, refuse};
use crate::bot::custom_id::SectionVote;
use crate::bot::i18n::Lang;
use crate::bot::render;
use crate::by_topic::place;
use crate::search::Index;
use crate::{feedback, gaps};

impl Handler {
    /// Counts a 👍 / 👎 click once per member and answer.
    pub(super) fn vote(
        &self,
        index: &Index,
        component: &ComponentInteraction,
        clicked: SectionVote,
        lang: Lang,
        now: Instant,
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
        let text = match self.state.vote(vote, now) {
            feedback::Recorded::Counted => lang.vote_counted(up, &render::quote(&title)),
            feedback::Recorded::Already => lang.vote_already().to_string(),
            feedback::Recorded::Full => lang.votes_full().to_string(),
        };
        outcome(
            CreateInteractionResponse::Message(render::ephemeral(&text)),
            Kind::Voted,
        )
    }
}
