//! The slash commands built from the library: one per topic, plus `/sources` and `/topics`.

use serenity::all::{CommandOptionType, CreateCommand, CreateCommandOption, Permissions};

use crate::notes::Library;
use crate::reply::truncate;

/// Above this many topics, one `/notes topic: query:` command replaces the per-topic ones
/// (Discord allows 100 global commands).
pub const MAX_TOPIC_COMMANDS: usize = 90;

/// Option names, shared with the handler.
pub const QUERY: &str = "query";
pub const TOPIC: &str = "topic";
pub const SOURCES: &str = "sources";
pub const TOPICS: &str = "topics";
pub const NOTES: &str = "notes";
pub const GAPS: &str = "gaps";

/// Whether the library is served by the single `/notes` command.
pub fn uses_notes_command(library: &Library) -> bool {
    library.notes.len() > MAX_TOPIC_COMMANDS
}

/// The full command set; registering it replaces whatever the app had.
pub fn command_set(library: &Library) -> Vec<CreateCommand> {
    let mut commands = Vec::new();
    if uses_notes_command(library) {
        commands.push(
            CreateCommand::new(NOTES)
                .description("Search the notes of one topic")
                .description_localized("zh-CN", "在某个主题的笔记中查找")
                .add_option(topic_option(true))
                .add_option(query_option()),
        );
    } else {
        for note in &library.notes {
            let description = truncate(note.title(), 100);
            commands.push(
                CreateCommand::new(&note.topic)
                    .description(description)
                    .add_option(query_option()),
            );
        }
    }
    commands.push(
        CreateCommand::new(SOURCES)
            .description("List the source links of the notes")
            .description_localized("zh-CN", "列出笔记的来源链接")
            .add_option(topic_option(false)),
    );
    commands.push(
        CreateCommand::new(TOPICS)
            .description("List every topic the bot can answer from")
            .description_localized("zh-CN", "列出所有可查询的主题"),
    );
    commands.push(
        CreateCommand::new(GAPS)
            .description("What members asked that the notes did not answer (admins)")
            .description_localized("zh-CN", "成员提问但笔记未能解答的问题（管理员）")
            .default_member_permissions(Permissions::MANAGE_GUILD)
            .add_option(topic_option(false)),
    );
    commands
}

fn query_option() -> CreateCommandOption {
    CreateCommandOption::new(
        CommandOptionType::String,
        QUERY,
        "What to look for: words, a question, a title",
    )
    .description_localized("zh-CN", "要查找的内容：关键词、问题或标题")
    .required(true)
    .set_autocomplete(true)
    .max_length(100)
}

fn topic_option(required: bool) -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::String, TOPIC, "A topic (one note)")
        .description_localized("zh-CN", "主题（一篇笔记）")
        .required(required)
        .set_autocomplete(true)
        .max_length(32)
}
