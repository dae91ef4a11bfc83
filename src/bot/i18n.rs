//! The bot's own words in the user's language; note text is shown as written.

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

    pub fn no_match(self, topic: &str, query: &str) -> String {
        match self {
            Lang::En => format!("No section of /{topic} matches “{query}”."),
            Lang::Zh => format!("/{topic} 中没有与“{query}”匹配的章节。"),
        }
    }

    pub fn no_match_anywhere(self, query: &str) -> String {
        match self {
            Lang::En => format!("No section of the notes matches “{query}”."),
            Lang::Zh => format!("笔记中没有与“{query}”匹配的章节。"),
        }
    }

    /// Above the closest sections offered privately when nothing matched confidently;
    /// `topic` is None for "Answer from notes" (every topic). `query` is escaped.
    pub fn closest_intro(self, topic: Option<&str>, query: &str) -> String {
        match (self, topic) {
            (Lang::En, Some(topic)) => format!(
                "No section of /{topic} clearly matches “{query}”. The closest ones (only you see this):"
            ),
            (Lang::En, None) => {
                format!(
                    "No section of the notes clearly matches “{query}”. The closest ones (only you see this):"
                )
            }
            (Lang::Zh, Some(topic)) => {
                format!("/{topic} 中没有明确匹配“{query}”的章节。最接近的几个（仅你可见）：")
            }
            (Lang::Zh, None) => format!("笔记中没有明确匹配“{query}”的章节。最接近的几个（仅你可见）："),
        }
    }

    /// The button that posts closest section `n` (1-based) for everyone.
    pub fn post_closest(self, n: usize, title: &str) -> String {
        match self {
            Lang::En => format!("Post {n}: {title}"),
            Lang::Zh => format!("公开发布 {n}：{title}"),
        }
    }

    pub fn no_text(self) -> &'static str {
        match self {
            Lang::En => "That message has no text to look up.",
            Lang::Zh => "这条消息没有可查找的文字。",
        }
    }

    pub fn did_you_mean(self) -> &'static str {
        match self {
            Lang::En => "Did you mean:",
            Lang::Zh => "你是不是想找：",
        }
    }

    pub fn try_words(self) -> &'static str {
        match self {
            Lang::En => "Try other words, or pick a suggestion as you type.",
            Lang::Zh => "换个说法试试，或在输入时从建议中选择。",
        }
    }

    pub fn cooldown(self, seconds: u64) -> String {
        match self {
            Lang::En => format!("Slow down a little: try again in {seconds} s."),
            Lang::Zh => format!("请稍候 {seconds} 秒再试。"),
        }
    }

    pub fn gone(self) -> &'static str {
        match self {
            Lang::En => "That section is no longer in the notes (they have been updated). Please ask again.",
            Lang::Zh => "该章节已不在笔记中（笔记已更新），请重新查询。",
        }
    }

    pub fn unknown_topic(self, topic: &str) -> String {
        match self {
            Lang::En => format!("There is no topic named “{topic}”. /topics lists them."),
            Lang::Zh => format!("没有名为“{topic}”的主题。用 /topics 查看全部主题。"),
        }
    }

    pub fn empty_query(self) -> &'static str {
        match self {
            Lang::En => "Type what you are looking for in `query`.",
            Lang::Zh => "请在 `query` 中输入要查找的内容。",
        }
    }

    pub fn not_yours(self) -> &'static str {
        match self {
            Lang::En => {
                "Only the person who asked, or a member who can manage messages, can remove this reply."
            }
            Lang::Zh => "只有提问者或有“管理消息”权限的成员可以删除这条回复。",
        }
    }

    pub fn unsupported(self) -> &'static str {
        match self {
            Lang::En => "This bot does not know that command any more. Try again in a minute.",
            Lang::Zh => "机器人不再支持这个命令，请稍后再试。",
        }
    }

    pub fn no_notes(self) -> &'static str {
        match self {
            Lang::En => "No notes on this article yet: follow the link above.",
            Lang::Zh => "这篇文章还没有笔记，请点击上方链接阅读原文。",
        }
    }

    pub fn page(self, n: usize, of: usize) -> String {
        match self {
            Lang::En => format!("page {n}/{of}"),
            Lang::Zh => format!("第 {n}/{of} 页"),
        }
    }

    pub fn matched(self, reason: MatchReason) -> &'static str {
        match (self, reason) {
            (Lang::En, MatchReason::Title) => "matched the title",
            (Lang::En, MatchReason::Keyword) => "matched keywords",
            (Lang::En, MatchReason::Text) => "matched the text",
            (Lang::En, MatchReason::Fuzzy) => "close match",
            (Lang::Zh, MatchReason::Title) => "匹配标题",
            (Lang::Zh, MatchReason::Keyword) => "匹配关键词",
            (Lang::Zh, MatchReason::Text) => "匹配正文",
            (Lang::Zh, MatchReason::Fuzzy) => "近似匹配",
        }
    }

    /// Short label for autocomplete choices.
    pub fn reason_label(self, reason: MatchReason) -> &'static str {
        match (self, reason) {
            (Lang::En, MatchReason::Title) => "title",
            (Lang::En, MatchReason::Keyword) => "keyword",
            (Lang::En, MatchReason::Text) => "text",
            (Lang::En, MatchReason::Fuzzy) => "fuzzy",
            (Lang::Zh, MatchReason::Title) => "标题",
            (Lang::Zh, MatchReason::Keyword) => "关键词",
            (Lang::Zh, MatchReason::Text) => "正文",
            (Lang::Zh, MatchReason::Fuzzy) => "近似",
        }
    }

    /// The button that posts a private answer for everyone.
    pub fn post(self) -> &'static str {
        match self {
            Lang::En => "Post",
            Lang::Zh => "公开发布",
        }
    }

    pub fn links(self) -> &'static str {
        match self {
            Lang::En => "Links",
            Lang::Zh => "链接",
        }
    }

    pub fn other_matches(self) -> &'static str {
        match self {
            Lang::En => "Other matches…",
            Lang::Zh => "其他匹配结果…",
        }
    }

    pub fn sources(self) -> &'static str {
        match self {
            Lang::En => "Sources",
            Lang::Zh => "来源",
        }
    }

    pub fn no_sources(self) -> &'static str {
        match self {
            Lang::En => "These notes have no source links.",
            Lang::Zh => "这些笔记没有来源链接。",
        }
    }

    pub fn topics(self) -> &'static str {
        match self {
            Lang::En => "Topics",
            Lang::Zh => "主题",
        }
    }

    /// `command` is markdown (a `</name:id>` mention or `/name`); `title` is escaped.
    pub fn topic_line(self, command: &str, title: &str, sections: usize) -> String {
        match self {
            Lang::En => format!("{command} — {title} ({sections} sections)"),
            Lang::Zh => format!("{command} — {title}（{sections} 个章节）"),
        }
    }

    pub fn no_gaps(self) -> &'static str {
        match self {
            Lang::En => "No unanswered questions recorded yet.",
            Lang::Zh => "还没有记录到未解答的问题。",
        }
    }

    pub fn gaps_title(self) -> &'static str {
        match self {
            Lang::En => "Most asked, least answered",
            Lang::Zh => "常被问到但笔记没有答案的问题",
        }
    }

    pub fn gap_counts(self, missed: u64, weak: u64) -> String {
        match self {
            Lang::En => format!("{missed} unanswered, {weak} weak"),
            Lang::Zh => format!("{missed} 次无结果，{weak} 次弱匹配"),
        }
    }

    pub fn vote_counted(self, up: bool, title: &str) -> String {
        match (self, up) {
            (Lang::En, true) => format!("Thanks: 👍 counted for “{title}”."),
            (Lang::En, false) => format!("Thanks: 👎 counted for “{title}”; the note authors will see it."),
            (Lang::Zh, true) => format!("谢谢：已记录对“{title}”的 👍。"),
            (Lang::Zh, false) => format!("谢谢：已记录对“{title}”的 👎，笔记作者会看到。"),
        }
    }

    pub fn vote_already(self) -> &'static str {
        match self {
            Lang::En => "Your vote on this answer is already counted.",
            Lang::Zh => "你对这个回答的投票已经记录过了。",
        }
    }

    pub fn votes_full(self) -> &'static str {
        match self {
            Lang::En => "Too many votes at once; please try again in a minute.",
            Lang::Zh => "投票太多，请一分钟后再试。",
        }
    }

    pub fn worst_rated_title(self) -> &'static str {
        match self {
            Lang::En => "Worst-rated answers",
            Lang::Zh => "评价最差的回答",
        }
    }

    /// In place of a private answer once it is posted for everyone.
    pub fn posted(self) -> &'static str {
        match self {
            Lang::En => "Posted for everyone, as a reply to the message.",
            Lang::Zh => "已作为对该消息的回复公开发布。",
        }
    }

    /// Above an answer that could not be a reply: a link to the message it answers.
    pub fn answering(self, link: &str) -> String {
        match self {
            Lang::En => format!("↪ Answering {link}"),
            Lang::Zh => format!("↪ 回答 {link}"),
        }
    }
}
