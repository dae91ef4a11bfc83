//! The slash commands built from the library: one per topic, plus `/sources` and `/topics`.

use serenity::all::{
    CommandOptionType, CommandType, CreateCommand, CreateCommandOption, InstallationContext,
    InteractionContext, Permissions,
};

use crate::config::{CommandContext, InstallOptions, IntegrationType};
use crate::notes::{Library, Note};
use crate::reply::truncate;

/// Above this many topics, one `/notes topic: query:` command replaces the per-topic ones
/// (Discord allows 100 global commands).
pub const MAX_TOPIC_COMMANDS: usize = 90;

/// The built-in commands' names (a note may not take them).
pub use crate::notes::topic::{GAPS, NOTES, SOURCES, TOPICS};

/// Option names, shared with the handler.
pub const QUERY: &str = "query";
pub const TOPIC: &str = "topic";
pub const PRIVATE: &str = "private";
/// The message context-menu command (Apps → on a message).
pub const ANSWER_FROM_NOTES: &str = "Answer from notes";

/// A built-in command's or option's name and description in each language we localize
/// to. Discord sends the default name in interactions whatever the user's language, so the
/// handler matches only the default.
struct Words {
    name: &'static str,
    en: &'static str,
    zh_name: &'static str,
    zh: &'static str,
}

const NOTES_WORDS: Words = Words {
    name: NOTES,
    en: "Search the notes of one topic",
    zh_name: "笔记",
    zh: "在某个主题的笔记中查找",
};
const SOURCES_WORDS: Words = Words {
    name: SOURCES,
    en: "List the source links of the notes",
    zh_name: "来源",
    zh: "列出笔记的来源链接",
};
const TOPICS_WORDS: Words = Words {
    name: TOPICS,
    en: "List every topic the bot can answer from",
    zh_name: "主题列表",
    zh: "列出所有可查询的主题",
};
const GAPS_WORDS: Words = Words {
    name: GAPS,
    en: "What members asked that the notes did not answer (admins)",
    zh_name: "未解答",
    zh: "成员提问但笔记未能解答的问题（管理员）",
};
const QUERY_WORDS: Words = Words {
    name: QUERY,
    en: "What to look for: words, a question, a title",
    zh_name: "查询",
    zh: "要查找的内容：关键词、问题或标题",
};
const PRIVATE_WORDS: Words = Words {
    name: PRIVATE,
    en: "Only you see the answer, with a button to post it (default: no)",
    zh_name: "私密",
    zh: "只有你能看到回答，可用按钮公开发布（默认：否）",
};
const TOPIC_WORDS: Words = Words {
    name: TOPIC,
    en: "A topic (one note)",
    zh_name: "主题",
    zh: "主题（一篇笔记）",
};

/// Whether the library is served by the single `/notes` command.
pub fn uses_notes_command(library: &Library) -> bool {
    library.notes.len() > MAX_TOPIC_COMMANDS
}

/// The full command set; registering it replaces whatever the app had.
pub fn command_set(library: &Library, install: &InstallOptions) -> Vec<CreateCommand> {
    let mut commands = Vec::new();
    if uses_notes_command(library) {
        commands.push(
            command(&NOTES_WORDS)
                .add_option(topic_option(true))
                .add_option(query_option())
                .add_option(private_option()),
        );
    } else {
        for note in &library.notes {
            commands.push(
                CreateCommand::new(&note.topic)
                    .description(note_description(note))
                    .add_option(query_option())
                    .add_option(private_option()),
            );
        }
    }
    commands.push(command(&SOURCES_WORDS).add_option(topic_option(false)));
    commands.push(command(&TOPICS_WORDS));
    commands.push(
        CreateCommand::new(ANSWER_FROM_NOTES)
            .kind(CommandType::Message)
            .name_localized("en-US", ANSWER_FROM_NOTES)
            .name_localized("zh-CN", "用笔记回答"),
    );
    let mut commands: Vec<CreateCommand> = commands
        .into_iter()
        .map(|command| installed(command, install))
        .collect();
    // What members of one server asked stays in that server: guild-installed, guild-only.
    commands.push(
        command(&GAPS_WORDS)
            .default_member_permissions(Permissions::MANAGE_GUILD)
            .add_option(topic_option(false))
            .integration_types(vec![InstallationContext::Guild])
            .contexts(vec![InteractionContext::Guild]),
    );
    commands
}

fn installed(command: CreateCommand, install: &InstallOptions) -> CreateCommand {
    let types = install
        .integration_types
        .iter()
        .map(|kind| match kind {
            IntegrationType::Guild => InstallationContext::Guild,
            IntegrationType::User => InstallationContext::User,
        })
        .collect();
    let contexts = install
        .contexts
        .iter()
        .map(|context| match context {
            CommandContext::Guild => InteractionContext::Guild,
            CommandContext::BotDm => InteractionContext::BotDm,
            CommandContext::PrivateChannel => InteractionContext::PrivateChannel,
        })
        .collect();
    command.integration_types(types).contexts(contexts)
}

/// A topic command's description: front matter `description`, else the title, cut to
/// Discord's 100 characters.
pub fn note_description(note: &Note) -> String {
    let text = note.front.description.as_deref().unwrap_or(note.title());
    truncate(text, 100)
}

fn command(words: &Words) -> CreateCommand {
    CreateCommand::new(words.name)
        .description(words.en)
        .name_localized("en-US", words.name)
        .description_localized("en-US", words.en)
        .name_localized("zh-CN", words.zh_name)
        .description_localized("zh-CN", words.zh)
}

fn option(kind: CommandOptionType, words: &Words) -> CreateCommandOption {
    CreateCommandOption::new(kind, words.name, words.en)
        .name_localized("en-US", words.name)
        .description_localized("en-US", words.en)
        .name_localized("zh-CN", words.zh_name)
        .description_localized("zh-CN", words.zh)
}

fn query_option() -> CreateCommandOption {
    option(CommandOptionType::String, &QUERY_WORDS)
        .required(true)
        .set_autocomplete(true)
        .max_length(100)
}

fn private_option() -> CreateCommandOption {
    option(CommandOptionType::Boolean, &PRIVATE_WORDS).required(false)
}

fn topic_option(required: bool) -> CreateCommandOption {
    option(CommandOptionType::String, &TOPIC_WORDS)
        .required(required)
        .set_autocomplete(true)
        .max_length(32)
}
