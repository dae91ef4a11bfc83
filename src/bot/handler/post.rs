//! An answer posted for everyone as a reply to a member's message ("Answer from notes").

use serenity::all::{
    AuthorizingIntegrationOwner, ChannelId, ComponentInteraction, CreateAllowedMentions,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateMessage, EditInteractionResponse,
    GuildId, MessageId, MessageReference,
};

use super::{Kind, Outcome, PostReply, Then, outcome};
use crate::bot::i18n::Lang;
use crate::bot::render::{self, SectionView};

/// The message "Answer from notes" was used on, and whether the bot may post there.
#[derive(Clone, Copy)]
pub(super) struct ReplyTarget {
    pub(super) message: MessageId,
    pub(super) channel: ChannelId,
    pub(super) guild: Option<GuildId>,
    /// The app is installed in this server (so its bot can post), not only for the member.
    pub(super) installed: bool,
}

/// An answer posted for everyone in reply to `target`: by the bot where the app is installed
/// in the server (the private answer is replaced by a note saying so), else as the
/// interaction's public response headed by a link to the message.
pub(super) fn reply_to_message(view: &SectionView<'_>, target: ReplyTarget, lang: Lang) -> Outcome {
    let (embed, rows) = render::section_parts(view);
    let guild = target.guild.map(GuildId::get);
    let link = render::message_link(guild, target.channel.get(), target.message.get());
    let heading = lang.answering(&link);
    if !target.installed {
        let message = render::message().content(heading).embed(embed).components(rows);
        return outcome(CreateInteractionResponse::Message(message), Kind::Posted);
    }
    let mut reference = MessageReference::from((target.channel, target.message));
    reference.guild_id = target.guild;
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
pub(super) fn installed_here(component: &ComponentInteraction) -> bool {
    let Some(guild) = component.guild_id else {
        return false;
    };
    let owners = &component.authorizing_integration_owners.0;
    owners.is_empty()
        || owners
            .iter()
            .any(|owner| matches!(owner, AuthorizingIntegrationOwner::GuildInstall(Some(id)) if *id == guild))
}
