//! A help forum's new post answered in its thread, when the notes answer it confidently.

use serenity::all::{ChannelId, CreateAllowedMentions, CreateMessage, GuildChannel, Message};

use super::Handler;
use super::answer::{laid_out, message_query, others_among, topic_command};
use crate::bot::forum::Post;
use crate::bot::i18n::Lang;
use crate::bot::render::{self, SectionView};
use crate::gaps;
use crate::search::Index;

/// An answer to a new forum post, for the gateway to post in its thread.
#[derive(Debug)]
pub struct ForumReply {
    pub thread: ChannelId,
    pub message: CreateMessage,
}

impl Handler {
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
        let (reply, focus) = laid_out(note, section, best.reason, &best.focus, false, None, &self.layout);
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
            focus,
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
            // A thread's id is never 0: serenity's `ChannelId::new` would panic on one.
            thread: ChannelId::from(std::num::NonZeroU64::new(post.thread)?),
            message,
        })
    }
}
