//! The commands built from the library: one per topic (or one `/notes` for them all past
//! Discord's limit), `/sources`, `/topics`, `/gaps`, and the "Answer from notes" message
//! command.

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
pub use crate::notes::topic::{GAPS, GAPS_ZH, NOTES, NOTES_ZH, SOURCES, SOURCES_ZH, TOPICS, TOPICS_ZH};

/// Option names, shared with the handler.
pub const QUERY: &str = "query";
pub const TOPIC: &str = "topic";
pub const PRIVATE: &str = "private";
/// The message context-menu command (Apps → on a message).
pub const ANSWER_FROM_NOTES: &str = "Answer from notes";

/// Each built-in command's and option's name, its description in English, and its name
/// and description in Chinese. Discord sends the default name in interactions whatever
/// the user's language, so the handler matches only the default.
#[rustfmt::skip]
const WORDS: [(&str, &str, &str, &str); 7] = [
    (NOTES, "Search the notes of one topic", NOTES_ZH, "在某个主题的笔记中查找"),
    (SOURCES, "List the source links of the notes", SOURCES_ZH, "列出笔记的来源链接"),
    (TOPICS, "List every topic the bot can answer from", TOPICS_ZH, "列出所有可查询的主题"),
    (GAPS, "What members asked that the notes did not answer (admins)", GAPS_ZH, "成员提问但笔记未能解答的问题（管理员）"),
    (QUERY, "What to look for: words, a question, a title", "查询", "要查找的内容：关键词、问题或标题"),
    (PRIVATE, "Only you see the answer, with a button to post it (default: no)", "私密", "只有你能看到回答，可用按钮公开发布（默认：否）"),
    (TOPIC, "A topic (one note)", "主题", "主题（一篇笔记）"),
];

/// Whether the library is served by the single `/notes` command.
pub fn uses_notes_command(library: &Library) -> bool {
    library.notes().len() > MAX_TOPIC_COMMANDS
}

/// The full command set; registering it replaces whatever the app had.
pub fn command_set(library: &Library, install: &InstallOptions) -> Vec<CreateCommand> {
    let mut commands = Vec::new();
    if uses_notes_command(library) {
        commands.push(
            command(NOTES)
                .add_option(topic_option(true))
                .add_option(query_option())
                .add_option(private_option()),
        );
    } else {
        for note in library.notes() {
            commands.push(
                CreateCommand::new(&note.topic)
                    .description(note_description(note))
                    .add_option(query_option())
                    .add_option(private_option()),
            );
        }
    }
    commands.push(command(SOURCES).add_option(topic_option(false)));
    commands.push(command(TOPICS));
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
        command(GAPS)
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
        .map(|&kind| installation_context(kind));
    let contexts = install
        .contexts
        .iter()
        .map(|&context| interaction_context(context));
    command
        .integration_types(types.collect())
        .contexts(contexts.collect())
}

/// The config's names of Discord's installation and interaction contexts (the config
/// knows nothing of serenity).
fn installation_context(kind: IntegrationType) -> InstallationContext {
    match kind {
        IntegrationType::Guild => InstallationContext::Guild,
        IntegrationType::User => InstallationContext::User,
    }
}

fn interaction_context(context: CommandContext) -> InteractionContext {
    match context {
        CommandContext::Guild => InteractionContext::Guild,
        CommandContext::BotDm => InteractionContext::BotDm,
        CommandContext::PrivateChannel => InteractionContext::PrivateChannel,
    }
}

/// A topic command's description: front matter `description`, else the title, else the
/// topic, without control characters (a NUL, a line break) and cut to Discord's 100
/// characters. Never empty: Discord refuses the whole command set for one such description,
/// and `run` stops at start-up when Discord refuses it.
pub fn note_description(note: &Note) -> String {
    let candidates = [
        note.front.description.as_deref(),
        Some(note.title()),
        Some(&note.topic),
    ];
    let text = candidates
        .into_iter()
        .flatten()
        .map(|text| crate::text::clean_query(text).trim().to_string())
        .find(|text| !text.is_empty())
        .unwrap_or_default();
    truncate(&text, 100)
}

/// `name` as each language shows it: (locale, name, description), English first. A name
/// with no row in [`WORDS`] is shown as it is (a unit test checks that every built-in
/// has one).
fn localized(name: &'static str) -> [(&'static str, &'static str, &'static str); 2] {
    let (name, en, zh_name, zh) = WORDS
        .into_iter()
        .find(|words| words.0 == name)
        .unwrap_or((name, name, name, name));
    [("en-US", name, en), ("zh-CN", zh_name, zh)]
}

fn command(name: &'static str) -> CreateCommand {
    localize(CreateCommand::new(name).description(localized(name)[0].2), name)
}

fn option(kind: CommandOptionType, name: &'static str) -> CreateCommandOption {
    localize(CreateCommandOption::new(kind, name, localized(name)[0].2), name)
}

fn localize<T: Localize>(builder: T, name: &'static str) -> T {
    localized(name)
        .into_iter()
        .fold(builder, |builder, (locale, name, description)| {
            builder.localize(locale, name, description)
        })
}

/// The commands and options, which serenity localises alike with no common trait.
trait Localize {
    fn localize(self, locale: &str, name: &str, description: &str) -> Self;
}

impl Localize for CreateCommand {
    fn localize(self, locale: &str, name: &str, description: &str) -> Self {
        self.name_localized(locale, name)
            .description_localized(locale, description)
    }
}

impl Localize for CreateCommandOption {
    fn localize(self, locale: &str, name: &str, description: &str) -> Self {
        self.name_localized(locale, name)
            .description_localized(locale, description)
    }
}

fn query_option() -> CreateCommandOption {
    option(CommandOptionType::String, QUERY)
        .required(true)
        .set_autocomplete(true)
        .max_length(100)
}

fn private_option() -> CreateCommandOption {
    option(CommandOptionType::Boolean, PRIVATE).required(false)
}

fn topic_option(required: bool) -> CreateCommandOption {
    option(CommandOptionType::String, TOPIC)
        .required(required)
        .set_autocomplete(true)
        .max_length(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A description Discord would refuse (empty once its control characters are gone) is
    /// never sent: the title, else the topic, stands in.
    #[test]
    fn a_description_is_never_empty_nor_holds_controls() {
        let labels = crate::notes::Labels::default();
        let described = |text: &str| {
            let note = crate::notes::parse_note(std::path::Path::new("x.md"), text, &labels)
                .unwrap_or_else(|e| panic!("{e}"));
            note_description(&note)
        };
        assert_eq!(described("---\ndescription: \"\\0\\n\"\n---\n## A\n- a\n"), "x");
        assert_eq!(
            described("---\ndescription: \"a\\0b\\nc\"\n---\n## A\n- a\n"),
            "ab c"
        );
        assert_eq!(described("---\ntitle: \"\\u202e\"\n---\n## A\n- a\n"), "x");
    }

    #[test]
    fn every_built_in_command_and_option_has_words() {
        for name in [NOTES, SOURCES, TOPICS, GAPS, QUERY, PRIVATE, TOPIC] {
            let [(_, _, en), (_, zh_name, zh)] = localized(name);
            assert!(![en, zh_name, zh].contains(&name), "{name}");
        }
        assert_eq!(localized("unknown")[1], ("zh-CN", "unknown", "unknown"));
    }
}
