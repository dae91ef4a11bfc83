//! Questions the notes did not answer: counted as they are asked, reported by `/gaps`.

use serenity::all::CreateInteractionResponse;

use super::answer::topic_command;
use super::{Handler, Kind, Outcome, outcome, refuse};
use crate::bot::i18n::Lang;
use crate::bot::render;
use crate::gaps::{self, Shortfall};
use crate::search::Index;

impl Handler {
    /// Counts a question that found nothing, or only a weak hit, under where it was asked.
    pub(super) fn record_gap(&self, place: &str, topic: &str, query: &str, shortfall: Shortfall) {
        if let Some(field) = gaps::field(place, topic, query, shortfall) {
            self.state.add_gap(field);
        }
    }

    /// `/gaps`: the most asked questions the notes did not answer, each with its words the
    /// notes never use, and the worst-rated answers (admins only, by the command's default
    /// permissions).
    pub(super) fn gaps(&self, index: &Index, place: &str, topic: Option<&str>, lang: Lang) -> Outcome {
        let mut counts = gaps::Counts::default();
        for (field, n) in self.state.gaps() {
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
}
