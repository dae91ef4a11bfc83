//! The bot's own words in the user's language; note text is shown as written.
//!
//! Every message is one entry of the `words!` table below, its two languages side by
//! side. To add one, add an entry:
//!
//! ```text
//! name { en: "…", zh: "…" }                            → lang.name(): &'static str
//! name(arg: Type, …) { en: "…{arg}…", zh: "…{arg}…" }  → lang.name(arg, …): String
//! ```
//!
//! With arguments each text is a `format!` string over them, checked when compiling.

use crate::search::MatchReason;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// From Discord's locale (`zh-CN`, `en-US`, …); Chinese locales get Chinese.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// Above the closest sections offered privately; `command` (how members ask the topic)
    /// is None for "Answer from notes" (every topic).
    pub fn closest_intro(self, command: Option<&str>, query: &str) -> String {
        self.closest_in(&self.place(command), query)
    }

    /// Where a search looked: one topic (as members ask it), or every one.
    pub fn place(self, command: Option<&str>) -> String {
        match command {
            Some(command) => self.topic_place(command),
            None => self.the_notes().to_string(),
        }
    }

    /// What matched, as a reply's footer says it.
    pub fn matched(self, reason: MatchReason) -> &'static str {
        self.reason_words(reason).0
    }

    /// Short label for autocomplete choices.
    pub fn reason_label(self, reason: MatchReason) -> &'static str {
        self.reason_words(reason).1
    }

    /// Each reason in full and as a label.
    fn reason_words(self, reason: MatchReason) -> (&'static str, &'static str) {
        match (self, reason) {
            (Lang::En, MatchReason::Title) => ("matched the title", "title"),
            (Lang::En, MatchReason::Keyword) => ("matched keywords", "keyword"),
            (Lang::En, MatchReason::Text) => ("matched the text", "text"),
            (Lang::En, MatchReason::Fuzzy) => ("close match", "similar"),
            (Lang::En, MatchReason::Translated) => ("matched in translation", "translated"),
            (Lang::Zh, MatchReason::Title) => ("匹配标题", "标题"),
            (Lang::Zh, MatchReason::Keyword) => ("匹配关键词", "关键词"),
            (Lang::Zh, MatchReason::Text) => ("匹配正文", "正文"),
            (Lang::Zh, MatchReason::Fuzzy) => ("近似匹配", "近似"),
            (Lang::Zh, MatchReason::Translated) => ("经翻译匹配", "翻译"),
        }
    }

    /// Thanks for a 👍 (`up`) or a 👎 on the answer titled `title`.
    pub fn vote_counted(self, up: bool, title: &str) -> String {
        if up {
            self.upvote_counted(title)
        } else {
            self.downvote_counted(title)
        }
    }
}

/// Writes a `Lang` method per entry; see the module comment.
macro_rules! words {
    ($($(#[$doc:meta])* $name:ident $(($($arg:ident: $ty:ty),+))? { en: $en:literal, zh: $zh:literal $(,)? })*) => {
        impl Lang {
            $(words!(@method $(#[$doc])* $name $(($($arg: $ty),+))? $en, $zh);)*
        }
    };
    (@method $(#[$doc:meta])* $name:ident $en:literal, $zh:literal) => {
        $(#[$doc])*
        pub fn $name(self) -> &'static str {
            match self {
                Lang::En => $en,
                Lang::Zh => $zh,
            }
        }
    };
    (@method $(#[$doc:meta])* $name:ident ($($arg:ident: $ty:ty),+) $en:literal, $zh:literal) => {
        $(#[$doc])*
        pub fn $name(self, $($arg: $ty),+) -> String {
            match self {
                Lang::En => format!($en),
                Lang::Zh => format!($zh),
            }
        }
    };
}

words! {
    /// `place` is [`Lang::topic_place`] or [`Lang::the_notes`].
    no_match(place: &str, query: &str) {
        en: "No section of {place} matches “{query}”.",
        zh: "{place}中没有与“{query}”匹配的章节。",
    }
    /// Above the closest sections offered privately when nothing matched confidently in
    /// `place`; `query` is escaped.
    closest_in(place: &str, query: &str) {
        en: "No section of {place} clearly matches “{query}”. The closest ones (only you see this):",
        zh: "{place}中没有明确匹配“{query}”的章节。最接近的几个（仅你可见）：",
    }
    /// Before "no match" or the closest sections when what the question asks names
    /// something `place` never mentions; `name` is escaped.
    not_in(place: &str, name: &str) {
        en: "“{name}” is not in {place}.",
        zh: "{place}中没有“{name}”。",
    }
    /// Where a search looked: one topic, as members ask it (`/chatgpt`, `/notes topic:x`).
    topic_place(command: &str) {
        en: "{command}",
        zh: "{command} ",
    }
    /// How members ask one topic where one command (`notes`, or its mention) serves them all.
    notes_topic(notes: &str, topic: &str) {
        en: "{notes} topic:{topic}",
        zh: "{notes} 主题:{topic}",
    }
    /// Where "Answer from notes" looked: every topic.
    the_notes {
        en: "the notes",
        zh: "笔记",
    }
    /// The button that posts closest section `n` (1-based) for everyone.
    post_closest(n: usize, title: &str) {
        en: "Post {n}: {title}",
        zh: "公开发布 {n}：{title}",
    }
    no_text {
        en: "That message has no text to look up.",
        zh: "这条消息没有可查找的文字。",
    }
    did_you_mean {
        en: "Did you mean:",
        zh: "你是不是想找：",
    }
    try_words {
        en: "Try other words, or pick a suggestion as you type.",
        zh: "换个说法试试，或在输入时从建议中选择。",
    }
    cooldown(seconds: u64) {
        en: "Slow down a little: try again in {seconds} s.",
        zh: "请稍候 {seconds} 秒再试。",
    }
    gone {
        en: "That section is no longer in the notes (they have been updated). Please ask again.",
        zh: "该章节已不在笔记中（笔记已更新），请重新查询。",
    }
    unknown_topic(topic: &str) {
        en: "There is no topic named “{topic}”. /topics lists them.",
        zh: "没有名为“{topic}”的主题。用 /topics 查看全部主题。",
    }
    empty_query {
        en: "Type what you are looking for in `query`.",
        zh: "请在 `查询` 中输入要查找的内容。",
    }
    not_yours {
        en: "Only the person who asked, or a member who can manage messages, can remove this reply.",
        zh: "只有提问者或有“管理消息”权限的成员可以删除这条回复。",
    }
    /// A note's command asked after the note went (Discord still offers it until the
    /// commands are registered again).
    topic_gone {
        en: "That command's note is no longer in the notes (removed or renamed). `/topics` lists what the bot answers now.",
        zh: "这个命令对应的笔记已不在了（已删除或改名）。`/topics` 列出机器人现在能回答的主题。",
    }
    unsupported {
        en: "This bot does not know that command any more. Try again in a minute.",
        zh: "机器人不再支持这个命令，请稍后再试。",
    }
    /// A button or menu whose id the bot cannot read (damaged, or made by a version that
    /// wrote ids otherwise): trying it again would fail again.
    broken_button {
        en: "This button no longer works. Ask again with the command to get a fresh answer.",
        zh: "这个按钮已失效，请重新使用命令查询。",
    }
    no_notes {
        en: "No notes on this article yet: follow the link above.",
        zh: "这篇文章还没有笔记，请点击上方链接阅读原文。",
    }
    page(n: usize, of: usize) {
        en: "page {n}/{of}",
        zh: "第 {n}/{of} 页",
    }
    /// The button that posts a private answer for everyone.
    post {
        en: "Post",
        zh: "公开发布",
    }
    links {
        en: "Links",
        zh: "链接",
    }
    other_matches {
        en: "Other matches…",
        zh: "其他匹配结果…",
    }
    sources {
        en: "Sources",
        zh: "来源",
    }
    no_sources {
        en: "These notes have no source links.",
        zh: "这些笔记没有来源链接。",
    }
    topics {
        en: "Topics",
        zh: "主题",
    }
    /// `command` is markdown (a `</name:id>` mention or `/name`); `title` is escaped.
    /// `plural` is `s` unless `sections` is 1.
    topic_line(command: &str, title: &str, sections: usize, plural: &str) {
        en: "{command} — {title} ({sections} section{plural})",
        zh: "{command} — {title}（{sections} 个章节）",
    }
    no_gaps {
        en: "No unanswered questions recorded yet.",
        zh: "还没有记录到未解答的问题。",
    }
    gaps_title {
        en: "Most asked, least answered",
        zh: "常被问到但笔记没有答案的问题",
    }
    gap_counts(missed: u64, weak: u64) {
        en: "{missed} unanswered, {weak} weak",
        zh: "{missed} 次无结果，{weak} 次弱匹配",
    }
    /// After a gap: its words the notes never use (escaped, comma separated).
    gap_lacking(words: &str) {
        en: " — not in the notes: {words}",
        zh: " —— 笔记里没有：{words}",
    }
    /// After the gaps that fit the message.
    gaps_more(left: usize) {
        en: "\n…and {left} more: `notes-bot gaps` lists them all",
        zh: "\n……还有 {left} 条：`notes-bot gaps` 列出全部",
    }
    upvote_counted(title: &str) {
        en: "Thanks: 👍 counted for “{title}”.",
        zh: "谢谢：已记录对“{title}”的 👍。",
    }
    downvote_counted(title: &str) {
        en: "Thanks: 👎 counted for “{title}”; the note authors will see it.",
        zh: "谢谢：已记录对“{title}”的 👎，笔记作者会看到。",
    }
    vote_already {
        en: "Your vote on this answer is already counted.",
        zh: "你对这个回答的投票已经记录过了。",
    }
    votes_full {
        en: "Too many votes at once; please try again in a minute.",
        zh: "投票太多，请一分钟后再试。",
    }
    worst_rated_title {
        en: "Worst-rated answers",
        zh: "评价最差的回答",
    }
    /// In place of a private answer once it is posted for everyone.
    posted {
        en: "Posted for everyone, as a reply to the message.",
        zh: "已作为对该消息的回复公开发布。",
    }
    /// In place of "posted" when Discord refused both the reply and the follow-up.
    post_refused {
        en: "The answer could not be posted here: Discord refused it or did not answer (the bot may lack permission in this channel). Use the command again to see it.",
        zh: "无法在这里发布回答：Discord 拒绝了或没有回应（机器人可能没有此频道的权限）。请再次使用命令查看。",
    }
    /// Above an answer that could not be a reply: a link to the message it answers.
    answering(link: &str) {
        en: "↪ Answering {link}",
        zh: "↪ 回答 {link}",
    }
}
