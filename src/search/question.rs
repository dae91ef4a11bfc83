//! What a question asks: its Chinese frames and fillers stripped (`怎么`, `是什么`; English
//! question words are stop words of `analyze`), the clause that asks told from those that
//! tell, its verbs that only frame (`make`, `find`), and the names it uses (`Todoist`),
//! which the index checks against the notes.

use unicode_normalization::UnicodeNormalization;

use super::analyze::{is_cjk, is_stop_str};

/// Question frames and fillers that carry no content: removed from queries before
/// analysis, longest first (`是什么意思` before `是什么`, `会怎样` before `怎样`).
const CJK_NOISE: &[&str] = &[
    "是什么意思",
    "应该怎么办",
    "是什么",
    "什么是",
    "为什么",
    "为啥",
    "怎么样",
    "怎么办",
    "怎么才能",
    "该怎么",
    "怎么",
    "怎样",
    "如何",
    "咋样",
    "咋",
    "有哪些",
    "哪些",
    "哪个",
    // `哪` asks which in every word it makes (`哪种`, `哪一个`); what is left of those
    // words (`种`, `一个`) would count against every section.
    "哪一个",
    "哪一种",
    "哪种",
    "哪",
    // `怎么弄`: the verb of the frame is filler, not a word the notes lack.
    "怎么弄",
    "怎么搞",
    "咋弄",
    "咋办",
    "从哪里",
    "从哪来",
    "从哪",
    "在哪里",
    "在哪儿",
    "放在哪",
    "在哪",
    "哪里",
    "哪儿",
    "会怎样",
    "会如何",
    // What happens (`删掉会发生什么`), and asking for a way (`有没有办法`): the subject
    // is what the rest names.
    "会发生什么",
    "发生什么",
    "什么地方",
    "有什么办法",
    "有没有办法",
    "有办法",
    "干什么",
    "干嘛",
    "干啥",
    // A one-character verb asking with `什么` or `啥` is part of the frame: left alone it
    // would stand for every word of the notes holding it (`起` of `ffn起什么作用`: `起源`).
    "起什么",
    "起啥",
    "靠什么",
    "靠啥",
    "凭什么",
    "凭啥",
    "叫什么",
    "叫啥",
    // What is going on (`涌现是怎么回事`), and words that only stress a question
    // (`到底是什么`, `究竟`; `到底` alone is also the bottom: `滚动到底部`).
    "怎么回事",
    "咋回事",
    "到底是",
    "到底怎么",
    "到底为什么",
    "到底为啥",
    "到底能不能",
    "到底要不要",
    "究竟",
    "为何",
    "如果",
    "的话",
    "啥",
    "什么时候",
    "什么",
    "请问",
    "介绍一下",
    "介绍",
    "多长时间",
    "多久",
    "多少",
    "可不可以",
    "能不能",
    "是不是",
    "有没有",
    "要不要",
    "行不行",
    "好不好",
    "对不对",
    "可以吗",
    "可以",
    "能否",
    "是否",
    "可否",
    "一下",
    "我想",
    "想要",
    // Time clauses and vague determiners around the subject (`剪藏的时候`, `有些内容`,
    // `某个文件夹`, `建好以后`): what they frame is the subject.
    "的时候",
    "时候",
    "以后",
    "之后",
    "有些",
    "有个",
    "某个",
    "某些",
    "那个",
    "这个",
    "吗",
    "呢",
    "吧",
    "呀",
    "嘛",
];

/// Removes question words from a normalised query, keeping content. Falls back to the
/// whole query when nothing else is left.
pub fn strip(normalized: &str) -> String {
    // Longest first, sorted once.
    static FRAMES: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
        let mut frames = CJK_NOISE.to_vec();
        frames.sort_by_key(|frame| std::cmp::Reverse(frame.chars().count()));
        frames
    });
    let mut text = normalized.to_string();
    // Frames have no spaces, and a frame is replaced by one: a frame found after a
    // replacement was in the query from the start, so only those starting with one of
    // its characters are looked for (most queries have none; the look-ups were half the
    // cost of building a query).
    let mut chars: Vec<char> = normalized.chars().filter(|&c| !c.is_ascii()).collect();
    chars.sort_unstable();
    let may_hold = |frame: &str| {
        frame
            .chars()
            .next()
            .is_some_and(|c| chars.binary_search(&c).is_ok())
    };
    for &noise in FRAMES.iter().filter(|frame| may_hold(frame)) {
        if text.contains(noise) {
            let stripped = text.replace(noise, " ");
            if stripped.chars().any(|c| c.is_alphanumeric()) {
                text = stripped;
            }
        }
    }
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, '?' | '？' | '!' | '！' | ',' | '，' | '。'))
        .filter(|w| !w.is_empty())
        .collect();
    words.join(" ")
}

/// A normalised query with each web address in it read as the names of its host
/// (`https://chat.openai.com/auth 怎么注册` → `chat openai 怎么注册`): its scheme, `www`,
/// domain endings and path would count as words of the question (`https` its subject).
pub fn addresses_as_names(normalized: &str) -> std::borrow::Cow<'_, str> {
    const STARTS: [&str; 3] = ["https://", "http://", "www."];
    // Second-level endings (`example.co.uk`) and hosts' usual first labels.
    const SCAFFOLDING: &[&str] = &["www", "m", "com", "co", "org", "net", "gov", "edu", "ac"];
    let first = STARTS.iter().filter_map(|start| normalized.find(start)).min();
    let Some(mut at) = first else {
        return normalized.into();
    };
    let mut out = String::with_capacity(normalized.len());
    let mut copied = 0;
    loop {
        let scheme = STARTS.iter().find(|start| normalized[at..].starts_with(**start));
        let host_at = at + scheme.filter(|s| s.ends_with("//")).map_or(0, |s| s.len());
        let len = normalized[at..]
            .find(|c: char| !c.is_ascii_graphic() || matches!(c, '"' | '\'' | '<' | '>' | ')' | ']'))
            .unwrap_or(normalized.len() - at);
        let end = at + len;
        let host = normalized[host_at..end]
            .split(['/', '?', '#', ':'])
            .next()
            .unwrap_or_default();
        let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
        let names = labels
            .iter()
            .take(labels.len().saturating_sub(1))
            .filter(|label| !SCAFFOLDING.contains(label));
        out.push_str(&normalized[copied..at]);
        out.push(' ');
        for name in names {
            out.push_str(name);
            out.push(' ');
        }
        copied = end;
        match STARTS
            .iter()
            .filter_map(|start| normalized[end..].find(start))
            .min()
        {
            Some(next) => at = end + next,
            None => break,
        }
    }
    out.push_str(&normalized[copied..]);
    out.into()
}

/// A word a query writes as a name ([`names`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// Lowercased.
    pub word: String,
    /// As the query writes it (full-width letters made ASCII).
    pub written: String,
    /// Written with a capital where no sentence starts, in a query not written in Title
    /// Case: a name for sure. Otherwise it may be a word (`share`, or `Insert` capitalised
    /// by a phone at the start).
    pub capitalised: bool,
}

/// The words a query may name something with: its Latin words of three letters or more,
/// not codes and versions (`H5`, `Win11`), short acronyms (`UI`), nor parts of a web
/// address, path, file name or key combination (`notes.mydomain.com`, `Ctrl+Shift+P`).
/// Marked capitalised where a capital starts one and no sentence does (`can I connect
/// Todoist so…`); capitals say nothing in a query that capitalises half its words or more
/// where no sentence starts (`How Do I Export A Note`, `Export Highlights to PDF`). The
/// others are names only if they are no English word (`kubernetes`, `zotero`): the index
/// tells, with WordNet.
pub fn names(text: &str) -> Vec<Name> {
    // Full-width letters as ASCII, case kept.
    let text: std::borrow::Cow<str> = if text.is_ascii() {
        text.into()
    } else {
        text.nfkc().collect::<String>().into()
    };
    let cjk = text.chars().any(is_cjk);
    let latin = |c: char| c.is_ascii_alphabetic() || ('\u{c0}'..='\u{24f}').contains(&c) && c.is_alphabetic();
    let mut words: Vec<(&str, bool)> = Vec::new();
    let (mut lowercase, mut counted) = (0, 0);
    for line in text.lines() {
        let mut starts_sentence = true;
        for token in line.split(|c: char| c.is_whitespace() || is_cjk(c) || matches!(c, '。' | '、')) {
            let core = token.trim_matches(|c: char| !c.is_alphanumeric());
            let address = core.contains(['.', '/', '\\', ':', '@', '+', '_', '=', '#']);
            for word in core
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                let capital = word.starts_with(char::is_uppercase);
                // Counted where no sentence starts, and not `I`.
                if !starts_sentence && word.chars().count() > 1 && word.chars().all(latin) {
                    counted += 1;
                    lowercase += usize::from(!capital);
                }
                // Not the first half of a contraction (`isn't`, `doesn’t`).
                let end = word.as_ptr() as usize - core.as_ptr() as usize + word.len();
                let contracted = core
                    .get(end..)
                    .is_some_and(|rest| rest.starts_with("'t") || rest.starts_with("’t"));
                let named = word.chars().count() > 2 && word.chars().all(latin) && !contracted;
                if named && !address {
                    words.push((word, capital && !starts_sentence));
                }
                starts_sentence = false;
            }
            let closed = token.trim_end_matches(['"', '\'', ')', ']', '}', '”', '’', '»']);
            starts_sentence |= closed.ends_with(['.', '!', '?', ':']);
        }
    }
    // Capitals mark names only in a query written mostly in lowercase: not in Title Case
    // (`Export Highlights to PDF`), shouting, or one too short to tell.
    let capitals_say = cjk || lowercase * 2 >= counted;
    (words.into_iter())
        .map(|(written, capital)| (written, capital && capitals_say))
        .map(|(written, capitalised)| Name {
            word: written.to_lowercase(),
            written: written.to_string(),
            capitalised,
        })
        .collect()
}

/// A question of several clauses, split into what it asks and what it tells: `I installed
/// a plugin but nothing changed, do I have to switch it on?` asks `do I have to switch
/// it on`. Each part stripped of question words ([`strip`]); `None` for a query
/// of one clause, whose clauses all ask or none does, or whose asking part names too
/// little to weigh the rest less ([`asks_enough`]).
pub fn focus(normalized: &str) -> Option<(String, String)> {
    let clauses = clauses(normalized);
    let asking = clauses.iter().filter(|(_, asking)| *asking).count();
    if clauses.len() < 2 || asking == 0 || asking == clauses.len() {
        return None;
    }
    let part = |asking: bool| {
        let text: Vec<&str> = (clauses.iter())
            .filter(|(_, a)| *a == asking)
            .map(|(clause, _)| *clause)
            .collect();
        strip(&text.join(" "))
    };
    let asked = part(true);
    asks_enough(&asked).then(|| (asked, part(false)))
}

/// The clauses of a normalised query, each with whether it asks (a question mark ends it,
/// or a question word is in it).
fn clauses(normalized: &str) -> Vec<(&str, bool)> {
    let mut clauses: Vec<(&str, bool)> = Vec::new();
    let mut start = 0;
    let mut chars = normalized.char_indices().peekable();
    let mut before = ' ';
    while let Some((at, c)) = chars.next() {
        // A stop or comma between two letters or digits is inside a word: `gpt-3.5`,
        // `1,000` (normalised, Chinese punctuation is ASCII too).
        let inside = |next: Option<&(usize, char)>| {
            before.is_ascii_alphanumeric() && next.is_some_and(|&(_, next)| next.is_ascii_alphanumeric())
        };
        let ends = match c {
            '。' | '、' | ';' | '!' | '?' => true,
            '.' | ',' => !inside(chars.peek()),
            _ => false,
        };
        before = c;
        if ends {
            let clause = &normalized[start..at];
            if clause.chars().any(char::is_alphanumeric) {
                clauses.push((clause, c == '?' || asks(clause)));
            }
            start = at + c.len_utf8();
        }
    }
    let last = &normalized[start..];
    if last.chars().any(char::is_alphanumeric) {
        clauses.push((last, asks(last)));
    }
    clauses
}

/// What a question of asking and telling clauses asks, as written (normalised, not
/// stripped): `what do i do` of `my pixel won't sync, what do i do?`, however little it
/// names. `None` when every clause asks, or none does.
pub fn asking_part(normalized: &str) -> Option<String> {
    let clauses = clauses(normalized);
    let asking: Vec<&str> = (clauses.iter())
        .filter(|(_, asking)| *asking)
        .map(|(clause, _)| *clause)
        .collect();
    (!asking.is_empty() && asking.len() < clauses.len()).then(|| asking.join(" "))
}

/// Whether the asking part of a question names enough to weigh its telling part less: a
/// word, or two Chinese characters (`怎么建` asks of what it told: `一套同步配置`).
fn asks_enough(asked: &str) -> bool {
    let size: usize = (asked.split_whitespace())
        .map(|word| {
            let cjk = word.chars().filter(|&c| is_cjk(c)).count();
            if cjk > 0 {
                cjk
            } else {
                usize::from(!is_stop_str(word)) * 2
            }
        })
        .sum();
    size >= 2
}

/// Whether a clause asks something: it opens with a question word or an auxiliary verb
/// (`how`, `can`, `does`), holds a question word (`why`, `which`), or a Chinese one
/// (`怎么`, `吗`).
fn asks(clause: &str) -> bool {
    const OPENING: &[&str] = &[
        "how", "what", "why", "where", "which", "when", "who", "can", "could", "does", "do", "did", "is",
        "are", "should", "will", "would", "may", "might", "any",
    ];
    const ANYWHERE: &[&str] = &["how", "what", "why", "where", "which"];
    const CHINESE: &[&str] = &[
        "怎么",
        "怎样",
        "如何",
        "为什么",
        "为何",
        "什么",
        "啥",
        "咋",
        "哪",
        "吗",
        "呢",
        "能不能",
        "可不可以",
        "是不是",
        "有没有",
        "行不行",
        "好不好",
        "对不对",
        "能否",
        "可否",
    ];
    let mut words = clause
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    words
        .next()
        .is_some_and(|w| OPENING.contains(&w) || ANYWHERE.contains(&w))
        || words.any(|w| ANYWHERE.contains(&w))
        || CHINESE.iter().any(|q| clause.contains(q))
}

/// Verbs of any question (`how do I make a table`, `where can I find the trash`): what
/// they act on is asked, they only frame it, so they weigh as context.
const LIGHT_VERBS: &[&str] = &[
    "make",
    "get",
    "find",
    "see",
    "use",
    "put",
    "take",
    "keep",
    "give",
    "let",
    "try",
    // Phrases (`how do I figure out what's slowing it down`).
    "figure out",
    "find out",
    // Chinese (`如何使用 ChatGPT 写代码`: what is done with it is asked).
    "使用",
    "利用",
    "用",
];

/// Whether a word is a verb that only frames a question ([`LIGHT_VERBS`]).
pub fn is_light_verb(word: &str) -> bool {
    LIGHT_VERBS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analyze::normalize;

    #[test]
    fn a_web_address_is_read_as_its_host_names() {
        let read = |q: &str| {
            super::addresses_as_names(q)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(read("https://chat.openai.com 怎么注册"), "chat openai 怎么注册");
        assert_eq!(read("见https://www.bbc.co.uk/news/x?id=1注册"), "见 bbc 注册");
        assert_eq!(
            read("www.example.org and http://a.b.io:8080/x"),
            "example and a b"
        );
        assert_eq!(read("no address, gpt-3.5"), "no address, gpt-3.5");
        assert_eq!(read("https://"), "");
    }

    #[test]
    fn frames_are_spaceless_and_start_with_a_character_strip_looks_for() {
        for frame in super::CJK_NOISE {
            assert!(!frame.contains(char::is_whitespace), "{frame:?}");
            assert!(frame.chars().next().is_some_and(|c| !c.is_ascii()), "{frame:?}");
        }
    }

    #[test]
    fn a_question_is_split_into_what_it_asks_and_what_it_tells() {
        let focus = |q: &str| super::focus(&normalize(q));
        let (asked, told) =
            focus("I installed a community plugin but nothing changed, do I have to switch it on somewhere?")
                .unwrap_or_default();
        assert!(
            asked.contains("switch it on") && !asked.contains("installed"),
            "{asked}"
        );
        assert!(told.contains("installed a community plugin"), "{told}");
        let (asked, told) = focus("我从印象笔记导出了 enex 文件，要怎么导进 Obsidian？").unwrap_or_default();
        assert!(asked.contains("导进") && !asked.contains("enex"), "{asked}");
        assert!(told.contains("enex"), "{told}");
        // An asking part of one word is enough, but not of one Chinese character
        // (`怎么建` asks of what was told) nor of stopwords alone.
        assert!(focus("I installed the plugin, how do I turn it on?").is_some());
        assert!(focus("同步出问题了，导入时报错怎么办").is_some());
        // Colloquial question words ask too.
        let (asked, _) = focus("装了个主题，字体变得很小，咋调回来").unwrap_or_default();
        assert!(asked.contains("调回来"), "{asked}");
        assert!(focus("插件装好了，这个设置是干啥的").is_some());
        assert_eq!(focus("手机想单独用一套同步配置，怎么建"), None);
        assert_eq!(focus("the plugin I installed, how is it?"), None);
        // One clause, or clauses that all ask or none does: nothing to weigh.
        for query in [
            "rlhf是什么",
            "what is gpt-3.5",
            "costs 1,000 dollars",
            "sync, publish",
            "how do I sync? how do I publish?",
            "",
        ] {
            assert_eq!(focus(query), None, "{query}");
        }
        // A version number or a thousands separator does not end a clause.
        let (asked, told) = focus("gpt-3.5, how do I install it").unwrap_or_default();
        assert!(asked.contains("install") && !asked.contains("gpt"), "{asked}");
        assert_eq!(told, "gpt-3.5");
        let (asked, told) = focus("costs 1,000 dollars. why so expensive?").unwrap_or_default();
        assert!(
            asked.contains("expensive") && !asked.contains("dollars"),
            "{asked}"
        );
        assert!(
            told.starts_with("costs 1") && told.ends_with("000 dollars"),
            "{told}"
        );
    }

    #[test]
    fn question_frames_are_stripped() {
        assert_eq!(strip("附件默认放在哪"), "附件默认");
        assert_eq!(strip("插件从哪来"), "插件");
        assert_eq!(strip("删掉会怎样"), "删掉");
        assert_eq!(strip("删掉会发生什么"), "删掉");
        assert_eq!(strip("用哪种格式导出"), "用 格式导出");
        assert_eq!(strip("同步冲突怎么弄"), "同步冲突");
        assert_eq!(strip("有没有办法导出pdf"), "导出pdf");
        assert_eq!(strip("哪个版本可以用"), "版本 用");
        // A-not-A questions: `行不行` as `能不能`.
        assert_eq!(strip("借钱炒股行不行"), "借钱炒股");
        assert_eq!(strip("这样设置好不好"), "这样设置");
        // A one-character verb of the frame goes with it; stress words go too.
        assert_eq!(strip("ffn起什么作用"), "ffn 作用");
        assert_eq!(strip("思维链靠啥实现"), "思维链 实现");
        assert_eq!(strip("llm到底是啥"), "llm");
        assert_eq!(strip("涌现能力是怎么回事"), "涌现能力是");
        assert_eq!(strip("rlhf究竟为何有效"), "rlhf 有效");
        assert_eq!(strip("怎么滚动到底部"), "滚动到底部");
        // Time clauses and vague determiners frame the subject.
        assert_eq!(strip("发布的时候有个文件夹不想发出去"), "发布 文件夹不想发出去");
        assert_eq!(strip("剪藏以后有些内容没了"), "剪藏 内容没了");
        assert_eq!(strip("某个插件"), "插件");
    }

    #[test]
    fn question_words_are_stripped() {
        assert_eq!(strip("rlhf是什么"), "rlhf");
        assert_eq!(strip("what is rlhf?"), "what is rlhf");
        assert_eq!(strip("什么是思维链"), "思维链");
        assert!(!strip("是什么").trim().is_empty());
    }

    #[test]
    fn names_are_latin_words_marked_capitalised_within_a_sentence() {
        let words = |text: &str| -> Vec<(String, bool)> {
            names(text).into_iter().map(|n| (n.word, n.capitalised)).collect()
        };
        let capitalised = |text: &str| -> Vec<String> {
            (names(text).into_iter())
                .filter(|n| n.capitalised)
                .map(|n| n.word)
                .collect()
        };
        let name = |word: &str, capitalised: bool| (word.to_string(), capitalised);
        assert_eq!(
            words("Can I connect Todoist? My tasks."),
            [
                name("can", false),
                name("connect", false),
                name("todoist", true),
                name("tasks", false)
            ]
        );
        assert_eq!(capitalised("I use Obsidian's vault"), ["obsidian"]);
        assert_eq!(words("why isn't it, doesn’t it"), [name("why", false)]);
        // A line, a quoted or bracketed sentence, a colon start sentences too.
        assert!(capitalised("Hi all\nQuick question: How do I \"reload.\" Export (twice.) Then").is_empty());
        assert_eq!(words("turn on Café"), [name("turn", false), name("café", true)]);
        // Among CJK text, capitalised where no sentence starts.
        assert_eq!(
            words("Zotero 里的文献引用怎么 share 到 Obsidian 笔记里？"),
            [
                name("zotero", false),
                name("share", false),
                name("obsidian", true)
            ]
        );
        assert_eq!(words("Ｚｏｔｅｒｏ 里的文献"), [name("zotero", false)]);
        // Capitals say nothing in Title Case, shouting, or too few words to tell.
        assert!(capitalised("How Do I Export A Note To PDF Quickly").is_empty());
        assert!(capitalised("HOW DO I EXPORT A NOTE TO PDF").is_empty());
        assert!(capitalised("Export Highlights to PDF").is_empty());
        assert!(capitalised("can Todoist explain RLHF").is_empty());
        assert_eq!(capitalised("can Todoist explain RLHF to me"), ["todoist", "rlhf"]);
        // Not codes, short acronyms, addresses, file names nor key combinations.
        assert_eq!(words("微信里打开的 H5 页面，UI 用 Win11"), []);
        assert_eq!(
            words("publish on Notes.MyDomain.com or C:/Vault/Notes"),
            [name("publish", false)]
        );
        assert_eq!(
            words("open the palette with Ctrl+Shift+P"),
            [
                name("open", false),
                name("the", false),
                name("palette", false),
                name("with", false)
            ]
        );
        assert!(words("").is_empty());
    }
}
