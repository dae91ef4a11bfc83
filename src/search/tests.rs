//! Engine tests on hand-built notes: ranking order, reasons, typos, synonyms, focus,
//! suggestions, topics, and inputs that must not panic.

use super::*;
use crate::notes::{FrontMatter, ItemTree, Items, Marker, Note, Text};

fn text(s: &str) -> Text {
    Text {
        plain: s.to_string(),
        markdown: s.to_string(),
    }
}

fn item(s: &str, children: Vec<ItemTree>) -> ItemTree {
    ItemTree {
        marker: Marker::Bullet,
        text: text(s),
        children,
    }
}

fn leaf(s: &str) -> ItemTree {
    item(s, Vec::new())
}

fn section(title: &str, category: &[&str], points: Vec<ItemTree>) -> Section {
    Section {
        level: 2,
        title: title.to_string(),
        url: Some(format!("https://example.com/{}", title.len())),
        category: category.iter().map(|c| c.to_string()).collect(),
        parent: None,
        line: 1,
        items: Items::new(points, Vec::new()),
        links: Vec::new(),
        id: 0,
    }
}

fn note(topic: &str, tags: &[&str], aliases: &[&str], mut sections: Vec<Section>) -> Note {
    crate::notes::assign_ids(&mut sections);
    Note {
        path: format!("{topic}.md").into(),
        topic: topic.to_string(),
        front: FrontMatter {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            aliases: aliases.iter().map(|t| t.to_string()).collect(),
            ..FrontMatter::default()
        },
        sections,
        warnings: Vec::new(),
    }
}

fn synonyms() -> SearchOptions {
    SearchOptions {
        synonyms: vec![
            vec![
                "rlhf".into(),
                "reinforcement learning from human feedback".into(),
                "基于人类反馈的强化学习".into(),
            ],
            vec!["chain of thought".into(), "思维链".into()],
        ],
        ..SearchOptions::default()
    }
}

/// An AI note shaped like the shipped one, and a small English note.
fn library() -> Library {
    let ai = note(
        "ai",
        &["人工智能"],
        &[],
        vec![
            // A category heading: no points, no link.
            Section {
                url: None,
                ..section("原理解析", &[], Vec::new())
            },
            section(
                "拆解追溯 GPT-3.5 各项能力的起源",
                &["原理解析"],
                vec![
                    leaf("核心观点"),
                    item(
                        "chatGPT 能力发展过程",
                        vec![
                            item(
                                "GPT-3",
                                vec![
                                    leaf("语言生成：遵循提示词（prompt)"),
                                    leaf("上下文学习 (in-context learning)"),
                                ],
                            ),
                            item(
                                "ChatGPT: 基于人类反馈的强化学习(Reinforcement Learning from Human Feedback, RLHF) 的威力",
                                vec![leaf("翔实的回应：这是 RLHF 的直接产物"), leaf("公正的回应")],
                            ),
                            item(
                                "利用思维链 (chain-of-thought) 进行复杂推理",
                                vec![leaf("code-davinci-002 和 text-davinci-002 拥有思维链推理能力")],
                            ),
                        ],
                    ),
                    item(
                        "需要注意的点",
                        vec![
                            leaf("所有的能力都是模型本来就有的，而不是通过 RLHF 注入的"),
                            leaf("这是对齐税"),
                        ],
                    ),
                ],
            ),
            section(
                "深入理解语言模型的突现能力",
                &["原理解析"],
                vec![item(
                    "模型应该多大才足够",
                    vec![
                        leaf("两个数字：62B 和 175B"),
                        leaf("模型至少需要 62B，思维链的效果才能大于标准的提示词方法"),
                    ],
                )],
            ),
            section(
                "大型语言模型系列解读（二)：Transformer 中 FFN 的记忆功能",
                &["原理解析"],
                vec![
                    leaf("知识存储于 FFN(前馈神经网络) 中"),
                    leaf("参数数量决定了模型掌握的知识量"),
                ],
            ),
            section(
                "最近很火的 ChatGPT 究竟是什么",
                &["非技术视角"],
                vec![item(
                    "chatGPT 劣势",
                    vec![leaf("错误率高, 且难以分辨正确性"), leaf("价值观可能有问题")],
                )],
            ),
            section("ChatGPT 背后的 OpenAI 是家怎样的公司", &["科普"], Vec::new()),
            // Neither points nor a link: only a heading.
            Section {
                url: None,
                ..section("空的标题", &[], Vec::new())
            },
        ],
    );
    let net = note(
        "net",
        &["networking"],
        &["home network"],
        vec![
            section(
                "WireGuard VPN for remote access",
                &["Services"],
                vec![
                    leaf("One UDP port forwarded to the WireGuard server"),
                    leaf("Each phone gets its own key pair"),
                ],
            ),
            section(
                "Port forwarding",
                &["Services"],
                vec![
                    leaf("Forward only what must be reachable from outside"),
                    leaf("Prefer the VPN above to forwarding admin pages"),
                ],
            ),
            section(
                "Choosing Wi-Fi channels",
                &["Basics"],
                vec![
                    leaf("On 2.4 GHz use only channels 1, 6 or 11"),
                    leaf("Transformers hum near routers"),
                ],
            ),
            section(
                "Router first boot",
                &["Basics"],
                vec![leaf("Change the admin password"), leaf("Update the firmware")],
            ),
        ],
    );
    Library::from(vec![ai, net])
}

fn index() -> Index {
    Index::build(library(), &synonyms())
}

fn titles(index: &Index, hits: &[Hit]) -> Vec<String> {
    hits.iter().map(|h| title(index, h.section)).collect()
}

/// The titles of suggestions, in their order.
fn suggested(index: &Index, suggestions: Vec<Suggestion>) -> Vec<String> {
    suggestions.iter().map(|s| title(index, s.section)).collect()
}

fn first(titles: Vec<String>) -> Option<String> {
    titles.into_iter().next()
}

fn title(index: &Index, at: SectionRef) -> String {
    index.library().notes()[at.note].sections[at.section]
        .title
        .clone()
}

fn top(index: &Index, query: &str, topic: &str) -> Option<String> {
    index
        .search(query, Some(topic), 1)
        .first()
        .map(|h| title(index, h.section))
}

const GPT: &str = "拆解追溯 GPT-3.5 各项能力的起源";
const EMERGENT: &str = "深入理解语言模型的突现能力";
const FFN: &str = "大型语言模型系列解读（二)：Transformer 中 FFN 的记忆功能";

#[test]
fn queries_find_their_sections() {
    let index = index();
    for (query, want) in [
        ("rlhf", GPT),
        ("RLHF", GPT),
        ("ＲＬＨＦ", GPT),
        ("rlhf是什么", GPT),
        ("what is rlhf?", GPT),
        ("人类反馈", GPT),
        ("reinforcement learning from human feedback", GPT),
        ("62B", EMERGENT),
        ("62b", EMERGENT),
        ("FFN", FFN),
        ("前馈神经网络", FFN),
        ("code-davinci-002", GPT),
        ("codedavinci002", GPT),
        ("GPT3", GPT),
        ("gpt 3", GPT),
        ("对齐税", GPT),
        ("openai", "ChatGPT 背后的 OpenAI 是家怎样的公司"),
    ] {
        assert_eq!(top(&index, query, "ai").as_deref(), Some(want), "{query}");
    }
}

#[test]
fn traditional_and_simplified_chinese_meet() {
    let index = index();
    assert_eq!(top(&index, "思維鏈", "ai"), top(&index, "思维链", "ai"));
    assert!(top(&index, "思維鏈", "ai").is_some());
    assert_eq!(top(&index, "對齊稅", "ai").as_deref(), Some(GPT));
}

#[test]
fn synonyms_replace_the_span_on_both_sides() {
    let index = index();
    // `chain of thought` is one unit, found where the note writes 思维链 or chain-of-thought.
    let hits = index.search("chain of thought", Some("ai"), 5);
    let found = titles(&index, &hits);
    assert!(
        found.contains(&GPT.to_string()) && found.contains(&EMERGENT.to_string()),
        "{found:?}"
    );
    // The whole Chinese spelling finds the section that also writes RLHF, at full strength:
    // its bigrams are not counted as separate words that half match elsewhere.
    let whole = index.search("基于人类反馈的强化学习", Some("ai"), 5);
    assert_eq!(titles(&index, &whole), vec![GPT.to_string()]);
}

#[test]
fn typos_are_forgiven_by_word_length() {
    let index = index();
    let hit = &index.search("rlfh", Some("ai"), 1)[0];
    assert_eq!(title(&index, hit.section), GPT);
    assert_eq!(hit.reason, MatchReason::Fuzzy);
    assert_eq!(top(&index, "transfomer", "ai").as_deref(), Some(FFN));
    assert_eq!(
        top(&index, "wiregaurd", "net").as_deref(),
        Some("WireGuard VPN for remote access")
    );
    // Two typos in a long word.
    assert_eq!(
        top(&index, "firmwear", "net").as_deref(),
        Some("Router first boot")
    );
    // Three letters get no typo: `ffm` is not `ffn`.
    assert!(index.search("ffm", Some("ai"), 1).is_empty());
}

#[test]
fn exact_ranks_above_fuzzy_and_title_above_body() {
    let index = index();
    // `transformer` is in the FFN title; the net note has `Transformers` in a body line.
    let hits = index.search("transformer", None, 5);
    assert_eq!(title(&index, hits[0].section), FFN);
    assert_eq!(hits[0].reason, MatchReason::Keyword);
    assert!(hits.len() >= 2 && hits[1].reason == MatchReason::Text);
    // `port forwarding` is a title and also words in another section's body.
    let hits = index.search("port forwarding", Some("net"), 5);
    assert_eq!(title(&index, hits[0].section), "Port forwarding");
    assert_eq!(hits[0].reason, MatchReason::Title);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn sections_matching_more_of_the_query_rank_first() {
    let index = index();
    let hits = index.search("vpn admin", Some("net"), 5);
    // `Port forwarding` holds both words; the VPN section only one.
    assert_eq!(title(&index, hits[0].section), "Port forwarding");
}

#[test]
fn reasons() {
    let index = index();
    let reason = |q: &str, topic: &str| index.search(q, Some(topic), 1).first().map(|h| h.reason);
    assert_eq!(reason("Port forwarding", "net"), Some(MatchReason::Title));
    assert_eq!(
        reason("ChatGPT背后的OpenAI是家怎样的公司?", "ai"),
        Some(MatchReason::Title)
    );
    assert_eq!(reason("port-forwarding", "net"), Some(MatchReason::Title));
    assert_eq!(reason("wireguard", "net"), Some(MatchReason::Keyword));
    assert_eq!(reason("对齐税", "ai"), Some(MatchReason::Text));
    assert_eq!(reason("transfomer", "ai"), Some(MatchReason::Fuzzy));
    // A category heading's title is the category of the sections below it.
    assert_eq!(reason("非技术视角", "ai"), Some(MatchReason::Keyword));
}

#[test]
fn nothing_relevant_gives_no_hit() {
    let index = index();
    for query in [
        "pizza recipe",
        "天气预报",
        "量子计算",
        "量子 计算",
        "天气的预报",
        "football scores",
        "guest network",
        "xyzzy plugh",
        "",
        "   ",
        "?？!",
        "的",
        "what is",
    ] {
        for topic in ["ai", "net"] {
            let hits = index.search(query, Some(topic), 5);
            assert!(
                hits.is_empty(),
                "{query:?} in {topic}: {:?}",
                titles(&index, &hits)
            );
        }
    }
}

#[test]
fn only_answerable_sections_are_hits() {
    let index = index();
    assert!(index.search("空的标题", None, 5).is_empty());
    // The category heading `原理解析` has no points: its sections are found instead.
    for hit in index.search("原理解析", Some("ai"), 10) {
        assert_ne!(title(&index, hit.section), "原理解析");
    }
}

#[test]
fn topics_restrict_the_search() {
    let index = index();
    assert!(index.search("wireguard", Some("ai"), 5).is_empty());
    assert!(index.search("wireguard", Some("nope"), 5).is_empty());
    assert!(index.suggest("wire", Some("nope"), 5).is_empty());
    assert_eq!(index.search("wireguard", None, 5).len(), 1);
    assert!(index.search("rlhf", Some("ai"), 0).is_empty());
}

#[test]
fn focus_is_the_deepest_matching_items() {
    let index = index();
    let hit = &index.search("rlhf", Some("ai"), 1)[0];
    // The RLHF item inside `chatGPT 能力发展过程`, not that whole item; then the other
    // RLHF line; never a path inside another.
    assert_eq!(hit.focus, vec![vec![1, 1], vec![2, 0]]);
    let section = index.section(hit.section).expect("section");
    let focused = section.points().get(1).and_then(|point| point.children().get(1));
    assert!(focused.is_some_and(|item| item.plain().contains("RLHF")));
    // Two words in two sibling lines: their parent, a small subtree, stands for both.
    let hit = &index.search("错误率 价值观", Some("ai"), 1)[0];
    assert_eq!(hit.focus, vec![vec![0]]);
    // A title-only match has nothing to focus on.
    let hit = &index.search("openai", Some("ai"), 1)[0];
    assert!(hit.focus.is_empty());
}

#[test]
fn focus_is_at_most_three_disjoint_paths() {
    let lines: Vec<ItemTree> = (0..8).map(|i| leaf(&format!("kafka line {i}"))).collect();
    let library = Library::from(vec![note(
        "t",
        &[],
        &[],
        vec![section("Streams", &[], vec![item("kafka", lines), leaf("other")])],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    let hit = &index.search("kafka", None, 1)[0];
    assert_eq!(hit.focus, vec![vec![0]]);
    let flat: Vec<ItemTree> = (0..8).map(|i| leaf(&format!("kafka line {i}"))).collect();
    let library = Library::from(vec![note("t", &[], &[], vec![section("Streams", &[], flat)])]);
    let index = Index::build(library, &SearchOptions::default());
    let hit = &index.search("kafka", None, 1)[0];
    assert_eq!(hit.focus, vec![vec![0], vec![1], vec![2]]);
}

#[test]
fn suggestions_as_you_type() {
    let index = index();
    let names = |partial: &str, topic: &str| suggested(&index, index.suggest(partial, Some(topic), 25));
    // Nothing typed: the note's answerable sections in document order.
    assert_eq!(
        names("", "net"),
        vec![
            "WireGuard VPN for remote access",
            "Port forwarding",
            "Choosing Wi-Fi channels",
            "Router first boot"
        ]
    );
    assert_eq!(first(names("", "ai")).as_deref(), Some(GPT));
    // Prefixes of a title first.
    assert_eq!(first(names("port f", "net")).as_deref(), Some("Port forwarding"));
    assert_eq!(
        first(names("wire", "net")).as_deref(),
        Some("WireGuard VPN for remote access")
    );
    // The last word completed from the vocabulary.
    assert_eq!(first(names("transfo", "ai")).as_deref(), Some(FFN));
    assert_eq!(first(names("rlh", "ai")).as_deref(), Some(GPT));
    // One Chinese character being typed.
    assert!(names("拆", "ai").contains(&GPT.to_string()));
    assert!(names("对", "ai").contains(&GPT.to_string()));
    // Pinyin an input method is still composing after them (`拆x`): what was committed.
    assert!(!names("拆", "ai").is_empty());
    assert_eq!(names("拆tr", "ai"), names("拆", "ai"));
    assert_eq!(names("拆qzj'", "ai"), names("拆", "ai"));
    // One Latin letter is not a word start of every title.
    assert!(!names("r", "net").contains(&"Choosing Wi-Fi channels".to_string()));
    assert!(index.suggest("", Some("net"), 2).len() == 2);
    assert!(index.suggest("o", None, 100).len() <= 25);
}

#[test]
fn did_you_mean_is_looser_but_not_nonsense() {
    let index = index();
    let names = |query: &str, topic: &str| suggested(&index, index.did_you_mean(query, Some(topic), 5));
    // An unfinished word and a bigger typo.
    assert_eq!(
        first(names("wiregu", "net")).as_deref(),
        Some("WireGuard VPN for remote access")
    );
    assert_eq!(first(names("transfrmr", "ai")).as_deref(), Some(FFN));
    // Half the query.
    assert!(names("vpn 设置", "net").contains(&"WireGuard VPN for remote access".to_string()));
    // Garbage, and words that ask nothing.
    for query in [
        "asdfghjkl",
        "pizza recipe",
        "天气预报",
        "qwerty",
        "",
        "the",
        "what is the",
        "how to",
    ] {
        assert!(names(query, "ai").is_empty(), "{query}");
        assert!(names(query, "net").is_empty(), "{query}");
    }
}

#[test]
fn odd_input_does_not_panic() {
    let index = index();
    let long = "长".repeat(10_000);
    let long_latin = "abc-def.".repeat(2_000);
    let inputs = [
        "",
        " ",
        "\u{0}\u{1}\u{7}\u{1b}[31m",
        "\u{feff}\u{200b}",
        "🙂🙂🙂",
        "-.-_'",
        "a-b-c-d-e-f-g-h-i-j-k-l-m-n",
        "１２３４５",
        "ﬁ ß İ",
        long.as_str(),
        long_latin.as_str(),
        "\u{1}syn0",
        "rlhf rlhf rlhf rlhf rlhf rlhf rlhf rlhf rlhf rlhf rlhf rlhf rlhf rlhf",
        // Postpositions after Latin words, alone and repeated; a verb of chat alone.
        "a 里",
        "x上",
        "ab 上上上 里",
        "里",
        "rlhf 中 sft 下 ppo 内",
        "删",
        // What a question avoids, at its ends and repeated.
        "without",
        "without without rlhf without",
        "rlhf without",
        "withoutrlhf",
    ];
    for input in inputs {
        for topic in [None, Some("ai"), Some("net"), Some("missing")] {
            let _ = index.search(input, topic, 5);
            let _ = index.suggest(input, topic, 25);
            let _ = index.did_you_mean(input, topic, 5);
        }
    }
    // An empty library.
    let empty = Index::build(Library::default(), &synonyms());
    for input in inputs {
        assert!(empty.search(input, None, 5).is_empty());
        assert!(empty.suggest(input, None, 5).is_empty());
        assert!(empty.did_you_mean(input, None, 5).is_empty());
    }
}

#[test]
fn internal_synonym_tokens_cannot_be_typed() {
    // The canonical synonym token is not reachable by typing its spelling.
    let index = index();
    assert!(index.search("\u{1}syn0", Some("ai"), 5).is_empty());
}

#[test]
fn code_blocks_weigh_less_than_prose() {
    let code = ItemTree {
        marker: Marker::Plain,
        text: Text {
            plain: "sqlite3 sqlite3 binary".into(),
            markdown: "```\nsqlite3 sqlite3 binary\n```".into(),
        },
        children: Vec::new(),
    };
    let library = Library::from(vec![note(
        "t",
        &[],
        &[],
        vec![
            section("Config", &[], vec![code]),
            section(
                "Prose",
                &[],
                vec![
                    leaf("we rebuild sqlite3 by hand"),
                    leaf("and then some more words"),
                ],
            ),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    let hits = index.search("sqlite3", None, 5);
    assert_eq!(titles(&index, &hits), vec!["Prose", "Config"]);
}

#[test]
fn the_one_heading_holding_the_query_ranks_first() {
    // The body of the first section uses the words more often; only the second's
    // heading holds both.
    let library = Library::from(vec![note(
        "links",
        &[],
        &[],
        vec![
            section(
                "使用别名链接到笔记",
                &[],
                vec![leaf("别名 链接 别名 链接 潜在 别名 链接"), leaf("别名与链接")],
            ),
            section("查找别名的潜在链接", &[], vec![leaf("在反向链接面板中查看")]),
            section("Link to a block", &[], vec![leaf("block links and aliases")]),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    let hits = index.search("别名 潜在链接", None, 3);
    let first = hits.first().map(|h| h.section.section);
    assert_eq!(first, Some(1), "{hits:?}");
    // Two headings holding the query: ranking alone decides.
    assert!(!index.search("链接", None, 3).is_empty());
}

#[test]
fn a_heading_holds_a_number_only_whole() {
    // Diary headings: `9 月 1 日` is a prefix of `9 月 10 日`; the one-heading boost must not
    // count that heading as holding the query (tests/search_quality.rs has the real diary).
    // Autocomplete still takes a number as it is typed: `1` may be the start of `10`.
    assert!(holds_at_word_start("2022 年 9 月 10 日", "1"));
    assert!(!holds_in_heading("2022 年 9 月 10 日", "1"));
    assert!(holds_in_heading("v1.2 release", "v1.2") && !holds_in_heading("v1.25", "v1.2"));
}

#[test]
fn focus_is_the_same_from_the_kept_item_terms_and_after_they_are_dropped() {
    let word = |i: usize| {
        format!(
            "q{}{}k",
            (b'a' + (i / 26) as u8) as char,
            (b'a' + (i % 26) as u8) as char
        )
    };
    let sections: Vec<Section> = (0..2 * RECENT_ITEMS)
        .map(|i| {
            let lines = vec![
                leaf("intro text"),
                leaf("more intro"),
                leaf(&format!("{} details", word(i))),
            ];
            section(&format!("Section {i}"), &[], lines)
        })
        .collect();
    let library = Library::from(vec![note("t", &[], &[], sections)]);
    let index = Index::build(library, &SearchOptions::default());
    // Every section focused twice in a row (the second from what was kept), then all of
    // them again once more sections than are kept came in between.
    for round in 0..2 {
        for i in 0..2 * RECENT_ITEMS {
            for _ in 0..2 {
                let hits = index.search(&word(i), None, 1);
                assert_eq!(title(&index, hits[0].section), format!("Section {i}"));
                assert_eq!(hits[0].focus, vec![vec![2]], "round {round}, section {i}");
            }
        }
    }
    assert_eq!(lock(&index.recent_items).len(), RECENT_ITEMS);
}

fn found(index: &Index, query: &str, topic: &str) -> (&'static str, Vec<String>) {
    match index.find(query, Some(topic), 3, 3) {
        Found::Confident(ranked) => ("confident", titles(index, &ranked.hits)),
        Found::Closest(ranked) => ("closest", titles(index, &ranked.hits)),
        Found::Nothing { .. } => ("nothing", Vec::new()),
    }
}

#[test]
fn a_miss_offers_the_closest_sections_and_a_negative_nothing() {
    let index = index();
    // Half the query each: no hit, both offered.
    let (how, got) = found(&index, "wireguard channels", "net");
    assert_eq!(how, "closest");
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.contains(&"WireGuard VPN for remote access".to_string()),
        "{got:?}"
    );
    assert!(got.contains(&"Choosing Wi-Fi channels".to_string()), "{got:?}");
    // A confident hit stays an answer.
    assert_eq!(found(&index, "wireguard", "net").0, "confident");
    assert_eq!(found(&index, "wiregaurd", "net").0, "confident", "one typo");
    // Negatives: nothing, filler only, one word every section has (the note's tag and
    // alias), words the notes lack beside one they have, CJK on another subject.
    for query in [
        "pizza",
        "",
        "what is the",
        "guest network",
        "wireguard pizza recipe",
        "天气预报",
    ] {
        assert_eq!(found(&index, query, "net"), ("nothing", Vec::new()), "{query}");
    }
    for query in ["量子计算", "pizza recipe", "天气预报"] {
        assert_eq!(found(&index, query, "ai"), ("nothing", Vec::new()), "{query}");
    }
}

#[test]
fn a_typo_only_hit_that_covers_little_is_offered_not_answered() {
    let index = index();
    // Two typos in one word: a hit, found only through them, covering 0.6.
    let hits = index.search("wyreguarx", Some("net"), 1);
    let best = hits.first().expect("a fuzzy hit");
    assert_eq!(best.reason, MatchReason::Fuzzy);
    assert!(!best.is_confident(), "{best:?}");
    let (how, got) = found(&index, "wyreguarx", "net");
    assert_eq!(
        (how, got.first().map(String::as_str)),
        ("closest", Some("WireGuard VPN for remote access"))
    );
}

#[test]
fn closest_sections_are_within_the_topic_and_limit() {
    let index = index();
    assert!(index.closest("wireguard channels", Some("ai"), 3).hits.is_empty());
    assert!(
        index
            .closest("wireguard channels", Some("nope"), 3)
            .hits
            .is_empty()
    );
    assert_eq!(index.closest("wireguard channels", Some("net"), 1).hits.len(), 1);
    assert!(
        index
            .closest("wireguard channels", Some("net"), 0)
            .hits
            .is_empty()
    );
    let empty = Index::build(Library::default(), &SearchOptions::default());
    assert!(matches!(
        empty.find("wireguard channels", None, 3, 3),
        Found::Nothing { unmentioned: None }
    ));
}

#[test]
fn equal_scores_go_by_library_order_at_any_limit_and_after_an_update() {
    let twin = |topic: &str| {
        let points = vec![leaf("kafka backup runs nightly")];
        note(topic, &[], &[], vec![section("Kafka backup", &[], points)])
    };
    // Enough notes that one changed stays under `FOLD_SHARE`: an update, not a full build.
    let topics: Vec<String> = (0..16).map(|n| format!("n{n:02}")).collect();
    let notes: Vec<Note> = topics.iter().map(|t| twin(t)).collect();
    let index = Index::build(Library::from(notes), &SearchOptions::default());
    let check = |index: &Index| {
        let topic = |at: SectionRef| index.library().notes()[at.note].topic.clone();
        for limit in [1, 2, 5, 15, 16, 30] {
            let hits = index.search("kafka", None, limit);
            let found: Vec<String> = hits.iter().map(|h| topic(h.section)).collect();
            assert_eq!(found, topics[..limit.min(16)], "limit {limit}");
            assert!(hits.windows(2).all(|w| w[0].score == w[1].score), "{hits:?}");
            let suggested: Vec<String> = (index.suggest("kafka b", None, limit).iter())
                .map(|s| topic(s.section))
                .collect();
            assert_eq!(suggested, topics[..limit.min(16)], "limit {limit}");
        }
    };
    check(&index);
    // The first note read again: its section moves to the delta, after the others' ids,
    // and still comes first among equals.
    let mut notes = index.library().notes().to_vec();
    notes[0] = Arc::new(twin("n00"));
    let updated = index.update(Library::new(notes));
    assert_eq!(
        updated.segments(),
        Segments {
            base: 16,
            delta: 1,
            dead: 1
        }
    );
    check(&updated);
}

/// A two-character word is taken for a slip of another only when it sounds exactly like a
/// word of the notes: a near sound, a rare reading or a pair across words is another
/// subject, and was posted as the answer (`公式`, formula, answered with `公司`, company).
#[test]
fn a_two_character_word_is_no_slip_for_a_word_it_only_nearly_sounds_like() {
    let notes = note(
        "notes",
        &[],
        &[],
        vec![
            section("这家公司", &[], vec![leaf("一家公司的历史")]),
            section("海洋世界", &[], vec![leaf("极地海洋馆")]),
            section("大模型时代", &[], vec![leaf("模型时刻在变")]),
            section("查看源码", &[], vec![leaf("显示原文")]),
        ],
    );
    let index = Index::build(Library::from(vec![notes]), &SearchOptions::default());
    for unrelated in ["公式", "海鲜", "模式"] {
        assert_eq!(top(&index, unrelated, "notes"), None, "{unrelated}");
    }
    assert_eq!(top(&index, "源马", "notes").as_deref(), Some("查看源码"));
}

/// A help note in both languages, for questions worded unlike its headings.
fn help_index(builtin_related: bool) -> Index {
    let help = note(
        "help",
        &[],
        &[],
        vec![
            section(
                "Move a file to another folder",
                &[],
                vec![leaf("Drag the file onto a folder")],
            ),
            section(
                "Remove a plugin",
                &[],
                vec![leaf("Open the settings and uninstall it to make room")],
            ),
            section("Export to PDF", &[], vec![leaf("Choose export in the file menu")]),
            section(
                "Enable a plugin",
                &[],
                vec![leaf("Toggle it in the list of what is installed")],
            ),
            section(
                "Embed a video",
                &[],
                vec![leaf("Paste its address in an image link")],
            ),
            section("删除远程仓库", &[], vec![leaf("点击垃圾桶图标")]),
            section("可折叠标注", &[], vec![leaf("加号表示标注默认展开")]),
            section("启用谷歌分析", &[], vec![leaf("为发布的网站接入谷歌分析")]),
            section("不加杠杆", &[], vec![leaf("借来的钱会放大亏损")]),
            section("源码模式", &[], vec![leaf("显示笔记的 Markdown 原文")]),
            section("幻灯片", &[], vec![leaf("把笔记当作演示文稿")]),
            section("导出为 PDF", &[], vec![leaf("在文件菜单里选择导出")]),
            section("删除文件", &[], vec![leaf("文件会移到回收站")]),
            section("散文", &[], vec![leaf("一篇短文")]),
            section("切换主题", &[], vec![leaf("在设置里切换深色主题")]),
            section("查看文件历史", &[], vec![leaf("查看源文件的每个版本")]),
        ],
    );
    let options = SearchOptions {
        builtin_related,
        ..SearchOptions::default()
    };
    Index::build(Library::from(vec![help]), &options)
}

#[test]
fn questions_find_headings_worded_otherwise() {
    let index = help_index(true);
    for (query, want) in [
        // WordNet: a more general verb.
        ("relocate", "Move a file to another folder"),
        // A phrase with related terms of its own, not its words one by one.
        ("how do I get rid of a plugin", "Remove a plugin"),
        // A phrasal verb around its object: the verb and its particle are the phrase.
        ("how do I switch it on", "Enable a plugin"),
        ("put the clip in my note", "Embed a video"),
        // The Chinese list.
        ("不要的远程仓库怎么删掉", "删除远程仓库"),
        ("发布的网站怎么接入谷歌统计", "启用谷歌分析"),
        ("笔记怎么存成PDF", "导出为 PDF"),
        ("怎么放映笔记", "幻灯片"),
        // A pinyin slip: 迭 for 叠 (both die).
        ("可折迭标注", "可折叠标注"),
        // A slip by a character's other reading: 扛 is kang, and gang as 杠 is.
        ("扛杆", "不加杠杆"),
        // A slip counts as the word it stands for when the run is split into words: as
        // two common characters apart (`源` `马`), it would count for nothing.
        ("看源马", "源码模式"),
        // `换` is a verb of chat, but not where it slips for `幻`.
        ("换灯片", "幻灯片"),
        // ... but where the slip is a chance likeness (`删文` as `散文`), `删` is a verb.
        ("怎么删文件", "删除文件"),
    ] {
        assert_eq!(top(&index, query, "help").as_deref(), Some(want), "{query}");
    }
    // Without the built-in lists, only the words as written.
    let plain = help_index(false);
    assert_eq!(top(&plain, "relocate", "help"), None);
    assert_eq!(top(&plain, "不要的远程仓库怎么删掉", "help"), None);
    assert_eq!(top(&plain, "怎么放映笔记", "help"), None);
}

#[test]
fn related_terms_do_not_answer_off_topic_questions() {
    let index = help_index(true);
    for query in [
        "how do I bake bread",
        "who won the world cup",
        "明天北京天气怎么样",
        "红烧肉怎么做",
        "比特币价格",
        "推荐一部好看的电影",
    ] {
        assert_eq!(top(&index, query, "help"), None, "{query}");
        assert!(index.closest(query, Some("help"), 3).hits.is_empty(), "{query}");
    }
}

#[test]
fn bigrams_across_word_boundaries_do_not_count_against_a_question() {
    // `在笔记里画流程图`: `记里`, `里画`, `画流` are in no note; the section holding
    // `笔记` and `流程图` covers most of the question, a section of other words nothing.
    let library = Library::from(vec![note(
        "format",
        &[],
        &[],
        vec![
            section("图表", &[], vec![leaf("在笔记中添加图表和流程图")]),
            section("表格", &[], vec![leaf("在笔记中添加表格")]),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    let hits = index.search("怎么在笔记里画流程图", None, 3);
    assert_eq!(
        titles(&index, &hits).first().map(String::as_str),
        Some("图表"),
        "{hits:?}"
    );
    // A word the notes lack still counts fully beside one they have.
    assert!(index.search("量子流程", None, 3).is_empty());
}

/// `算` run into `到期日` makes `算到`, in no note: apart, it finds `计算`.
#[test]
fn a_chat_verb_at_a_run_edge_finds_the_two_character_word() {
    let library = Library::from(vec![note(
        "公式",
        &[],
        &[],
        vec![
            section("计算截止日期", &[], vec![leaf("将截止日期设为开始日期后的两周")]),
            section("公式能做什么", &[], vec![leaf("公式可以引用其他属性")]),
            section("显示逾期状态", &[], vec![leaf("到期日已过时显示红色")]),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    assert_eq!(
        top(&index, "公式怎么算到期日", "公式").as_deref(),
        Some("计算截止日期")
    );
}

/// The English and Chinese halves of a vault hold the same words (`Apple Notes`): an
/// English question is answered in English, a Chinese one in Chinese (else the tie goes
/// to the note first in order).
#[test]
fn a_question_prefers_sections_in_its_own_language() {
    let zh = section(
        "从 Apple Notes 导入笔记",
        &[],
        vec![leaf("把 Apple Notes 的笔记导入到 Obsidian 里面")],
    );
    let en = section(
        "Import notes from Apple Notes",
        &[],
        vec![leaf("Import the notes of Apple Notes into Obsidian")],
    );
    let library = Library::from(vec![
        note("zh", &[], &[], vec![zh]),
        note("en", &[], &[], vec![en]),
    ]);
    let index = Index::build(library, &SearchOptions::default());
    let first = |query: &str| first(titles(&index, &index.search(query, None, 2)));
    assert_eq!(
        first("apple notes obsidian").as_deref(),
        Some("Import notes from Apple Notes")
    );
    assert_eq!(
        first("apple notes obsidian 怎么办").as_deref(),
        Some("从 Apple Notes 导入笔记")
    );
}

/// `建` stands for the two-character words holding it at either end: `创建` though more
/// than the 30 bigrams read start with `建`.
#[test]
fn a_lone_chat_verb_finds_words_it_ends() {
    let starting: String = "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
        .chars()
        .map(|c| format!("建{c} "))
        .collect();
    let library = Library::from(vec![note(
        "模板",
        &[],
        &[],
        vec![
            section("模板的创建", &[], vec![leaf("打开设置，然后创建")]),
            section("模板列表", &[], vec![leaf(&starting), leaf("所有模板")]),
            section("笔记的创建", &[], vec![leaf("打开文件夹，然后创建")]),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    assert_eq!(top(&index, "模板怎么建", "模板").as_deref(), Some("模板的创建"));
}

/// `还能改`: `能改` is a bigram of the notes, but one dropped as a particle's (`能`):
/// `改` stands apart and finds `更改`.
#[test]
fn a_chat_verb_beside_a_particle_stands_apart() {
    let library = Library::from(vec![note(
        "网站",
        &[],
        &[],
        vec![
            section("网站名称", &[], vec![leaf("网站名称显示在顶部")]),
            section("更改网站名称", &[], vec![leaf("在设置中更改名称")]),
            section("主题", &[], vec![leaf("你能改变主题")]),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    assert_eq!(
        top(&index, "网站名称还能改吗", "网站").as_deref(),
        Some("更改网站名称")
    );
}

/// `ID` is what a question about ids asks, not `I'd` typed without its apostrophe.
#[test]
fn id_is_a_word() {
    let library = Library::from(vec![note(
        "site",
        &[],
        &[],
        vec![
            section("Change the site name", &[], vec![leaf("Open the site settings")]),
            section("Change the site ID", &[], vec![leaf("Open the site settings")]),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    assert_eq!(
        top(&index, "how do I change my site id", "site").as_deref(),
        Some("Change the site ID")
    );
}

/// A compound the question writes apart and the notes as one word (`site map`, `set up`,
/// `plug in`) finds the section using the one word.
#[test]
fn a_compound_written_apart_finds_the_word_the_notes_join() {
    let library = Library::from(vec![note(
        "publish",
        &[],
        &[],
        vec![
            section(
                "Sitemap",
                &[],
                vec![leaf("Publish writes a sitemap for search engines")],
            ),
            section("Map view", &[], vec![leaf("A map of your site visitors")]),
            section("Setup", &[], vec![leaf("The first setup of a plugin")]),
            section("Set a password", &[], vec![leaf("Choose a password")]),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    assert_eq!(top(&index, "site map", "publish").as_deref(), Some("Sitemap"));
    assert_eq!(
        top(&index, "how do I set up a plug in", "publish").as_deref(),
        Some("Setup")
    );
    // A filler word is no first half (`a part` is not `apart`).
    let range = index.doc_range(None).unwrap_or(0..0);
    let units = index.units(&Query::new("set a password"), Mode::Search, &range);
    let setup = index.live.id("setup").expect("setup");
    assert!(
        units.iter().all(|u| u.terms.iter().all(|t| t.id != setup)),
        "{units:?}"
    );
}

#[test]
fn a_prefix_being_typed_reads_a_bounded_share_of_a_big_library() {
    // Four words of one prefix, each in more documents than a query reads of one list:
    // while typing, only as many as the budget allows are read; a search reads them all.
    let sections: Vec<Section> = (0..index::POSTING_CAP + 500)
        .map(|n| {
            let text = format!("锁定 锁门 锁住 锁匙 locked lockers locking locksmith n{n}");
            section(&format!("s{n}"), &[], vec![leaf(&text)])
        })
        .collect();
    let index = Index::build(
        Library::from(vec![note("big", &[], &[], sections)]),
        &SearchOptions::default(),
    );
    let range = index.doc_range(None).unwrap_or(0..0);
    // Terms read for each unit (neither `锁` alone nor `lo` is a term of the notes).
    let read = |typed: &str, mode: Mode| -> Vec<usize> {
        let units = index.units(&Query::new(typed), mode, &range);
        units.iter().map(|u| u.terms.len()).collect()
    };
    let most = units::TYPING_POSTINGS / index::POSTING_CAP;
    for typed in ["锁", "lo"] {
        let typing = read(typed, Mode::Typing);
        assert_eq!(typing.len(), 1, "{typed}: {typing:?}");
        assert!((1..=most).contains(&typing[0]), "{typed}: {typing:?}");
    }
    // Searching, the character stands for all four of its bigrams.
    assert!(read("锁", Mode::Search)[0] >= 4, "{:?}", read("锁", Mode::Search));
    // What is found while typing is still what was typed.
    let found = index.suggest("锁", None, 5);
    assert_eq!(found.len(), 5, "{found:?}");
}

/// A question that tells a story before it asks: what it asks decides among sections that
/// share the story's words.
#[test]
fn a_question_is_answered_by_what_it_asks_not_by_its_story() {
    let plugins = note(
        "plugins",
        &[],
        &[],
        vec![
            section(
                "Install a community plugin",
                &[],
                vec![leaf(
                    "Open the community plugins browser, find a plugin and install it",
                )],
            ),
            section(
                "Turn on a plugin",
                &[],
                vec![leaf("Plugins stay off until you turn them on")],
            ),
            section("导入 Evernote 数据", &[], vec![leaf("选择文件，导入到仓库")]),
            section(
                "从 Evernote 导出数据",
                &[],
                vec![leaf("在 Evernote 里把笔记本导出为 enex 文件")],
            ),
        ],
    );
    let index = Index::build(Library::from(vec![plugins]), &SearchOptions::default());
    for (query, want) in [
        (
            "I installed a community plugin, how do I turn it on?",
            "Turn on a plugin",
        ),
        (
            "我从 Evernote 导出了 enex 文件，要怎么导入？",
            "导入 Evernote 数据",
        ),
    ] {
        assert_eq!(top(&index, query, "plugins").as_deref(), Some(want), "{query}");
    }
    // The story's words still count: a question asking nothing of its own keeps them.
    assert_eq!(
        top(&index, "the community plugins browser, where is it", "plugins").as_deref(),
        Some("Install a community plugin")
    );
}

/// `使用` (`use`) frames a Chinese question as `use` does an English one: a section holding
/// it and the word every section holds is no answer to `如何使用 ChatGPT 写代码`.
#[test]
fn a_chinese_light_verb_is_context() {
    let mut sections = vec![section(
        "ChatGPT 商业价值大吗",
        &[],
        vec![leaf("公司无法使用内部知识训练 ChatGPT")],
    )];
    let topics = ["智慧", "真相", "意义", "局限", "原理", "训练", "数据", "未来"];
    for topic in topics {
        sections.push(section(
            &format!("ChatGPT 的{topic}"),
            &[],
            vec![leaf("ChatGPT 是语言模型")],
        ));
    }
    let faq = note("faq", &[], &[], sections);
    let index = Index::build(Library::from(vec![faq]), &SearchOptions::default());
    assert_eq!(found(&index, "如何使用ChatGPT写代码", "faq").0, "closest");
    assert_eq!(
        found(&index, "ChatGPT 使用 内部知识", "faq"),
        ("confident", vec!["ChatGPT 商业价值大吗".to_string()])
    );
}

/// A verb any question uses (`make`, `find`, `get`) weighs as context: a section holding
/// only it and the subject in passing does not beat the one about the subject.
#[test]
fn verbs_of_any_question_weigh_less_than_their_object() {
    let help = note(
        "help",
        &[],
        &[],
        vec![
            section("Tables", &[], vec![leaf("Rows and columns of text")]),
            section(
                "Link to a block",
                &[],
                vec![leaf(
                    "Add a caret and an identifier after a block. Make a link to a paragraph, \
                     a quote, a list or a table the same way",
                )],
            ),
            section("Deleted files", &[], vec![leaf("Deleted notes go to the trash")]),
            section("Find notes by tag", &[], vec![leaf("Search for a tag")]),
            // `make` is common in a manual.
            section("Bookmarks", &[], vec![leaf("Make a bookmark of a search")]),
            section("Templates", &[], vec![leaf("Make a template of a note")]),
            section("Canvas", &[], vec![leaf("Make cards on a canvas")]),
        ],
    );
    let index = Index::build(Library::from(vec![help]), &SearchOptions::default());
    for (query, want) in [
        ("how do I make a table", "Tables"),
        ("where can I find the trash", "Deleted files"),
        // Alone it still finds; beside a word of its section's title, that section.
        ("find", "Find notes by tag"),
        ("make a link", "Link to a block"),
    ] {
        assert_eq!(top(&index, query, "help").as_deref(), Some(want), "{query}");
    }
}

/// A long question names its subject in a few of its words; the section those words
/// title is the hit when no other comes near; nothing when the question also holds words
/// the notes lack (another subject) or its words name different sections.
#[test]
fn a_long_question_is_answered_by_the_section_it_names() {
    let media = note(
        "media",
        &[],
        &[],
        vec![
            section(
                "Embed a YouTube video",
                &[],
                vec![leaf("Paste the link of the video on a line of its own")],
            ),
            section("Audio files", &[], vec![leaf("Recordings play in the note")]),
            section("Put files in folders", &[], vec![leaf("Drag them onto a folder")]),
            section("Right sidebar", &[], vec![leaf("Shows the outline")]),
            section("Inside a canvas", &[], vec![leaf("Cards hold text")]),
            section("Sync settings", &[], vec![leaf("Choose what to sync")]),
            section("Sync history", &[], vec![leaf("See what changed")]),
        ],
    );
    let index = Index::build(Library::from(vec![media]), &SearchOptions::default());
    let question = "how do I put a youtube video inside my note so it plays right there?";
    let found = index.search(question, Some("media"), 3);
    assert_eq!(titles(&index, &found), ["Embed a YouTube video"], "{found:?}");
    assert!(found[0].coverage <= 0.5, "a hit by its coverage alone: {found:?}");
    // Words the notes lack in what the question tells, not in what it asks: still the hit.
    let told = "my zorblax broke, how do I put a youtube video inside my note so it plays?";
    let found = index.search(told, Some("media"), 3);
    assert_eq!(titles(&index, &found), ["Embed a YouTube video"], "{found:?}");
    // Words the notes lack in what it asks: the question is about something else.
    assert!(
        index
            .search("youtube zorblax recipe", Some("media"), 3)
            .is_empty()
    );
    // Each word names another section: none dominates.
    let apart = "sync a video inside";
    assert!(index.search(apart, Some("media"), 3).is_empty());
}

/// A note `import`: "Import Apple Notes", then `rivals`.
fn import_index(rivals: Vec<Section>) -> Index {
    let apple = section(
        "Import Apple Notes",
        &[],
        vec![leaf("Bring your Apple notes into the vault")],
    );
    let sections = std::iter::once(apple).chain(rivals).collect();
    let import = note("import", &[], &[], sections);
    Index::build(Library::from(vec![import]), &SearchOptions::default())
}

/// Determiners and prepositions of chat (`all`, `each`, `one`, `without`) ask nothing: a
/// section that only shares them is not the answer.
#[test]
fn chat_determiners_do_not_choose_the_section() {
    let index = import_index(vec![
        section(
            "Select all notes",
            &[],
            vec![leaf("Select every note at once, without opening each one")],
        ),
        section("Work offline", &[], vec![leaf("Notes stay on the device")]),
    ]);
    let question = "how do I bring all my apple notes without doing each one";
    assert_eq!(
        top(&index, question, "import").as_deref(),
        Some("Import Apple Notes")
    );
}

/// Greetings and chat (`hey`, `lol`, `thanks`) ask nothing: the question is answered as
/// it is without them, not as one with a word the notes lack.
#[test]
fn greetings_and_chat_ask_nothing() {
    let index = import_index(vec![section(
        "Work offline",
        &[],
        vec![leaf("Notes stay on the device")],
    )]);
    let plain = "how do I bring my apple notes";
    let expected = top(&index, plain, "import");
    assert_eq!(expected.as_deref(), Some("Import Apple Notes"));
    for chatty in [
        "hey guys how do I bring my apple notes lol",
        "hi, how do I bring my apple notes? thanks",
        "hello pls how do I bring my apple notes thx",
    ] {
        assert_eq!(top(&index, chatty, "import"), expected, "{chatty}");
        let hits = index.search(chatty, Some("import"), 1);
        let plain_hits = index.search(plain, Some("import"), 1);
        assert_eq!(
            hits.first().map(|h| h.coverage),
            plain_hits.first().map(|h| h.coverage),
            "{chatty}"
        );
    }
}

/// A query of greetings alone asks them: a section may be titled so.
#[test]
fn a_greeting_alone_finds_the_section_it_titles() {
    let index = import_index(vec![
        section("Hello world", &[], vec![leaf("A first note to start from")]),
        section("Thanks", &[], vec![leaf("Who helped write these notes")]),
    ]);
    assert_eq!(top(&index, "hello", "import").as_deref(), Some("Hello world"));
    assert_eq!(top(&index, "thanks", "import").as_deref(), Some("Thanks"));
    // Filler alone still asks nothing.
    assert_eq!(top(&index, "what is", "import"), None);
}

/// A postposition of place after a Latin word (`url 里`) locates that word: alone it would
/// stand for every bigram holding it (`这里`, `里面`); one that starts a word stays (`上传`).
#[test]
fn a_postposition_after_a_latin_word_asks_nothing() {
    let library = Library::from(vec![note(
        "web",
        &[],
        &[],
        vec![
            section("URL 字符", &[], vec![leaf("这里列出 URL 里面能用的字符")]),
            section("上传照片", &[], vec![leaf("在 iPhone 上传照片")]),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    let range = index.doc_range(None).unwrap_or(0..0);
    let units = index.units(&Query::new("url 里 字符"), Mode::Search, &range);
    let here = index.live.id("这里").expect("这里");
    assert_eq!(units.len(), 2, "{units:?}");
    assert!(
        units.iter().all(|u| u.terms.iter().all(|t| t.id != here)),
        "{units:?}"
    );
    let units = index.units(&Query::new("iphone 上传照片"), Mode::Search, &range);
    let upload = index.live.id("上传").expect("上传");
    assert!(
        units.iter().any(|u| u.terms.iter().any(|t| t.id == upload)),
        "{units:?}"
    );
}

/// What a question would do `without` is what it avoids: a section about doing it is not
/// the answer.
#[test]
fn what_a_question_avoids_does_not_choose_the_section() {
    let index = import_index(vec![section(
        "Copy and paste notes",
        &[],
        vec![leaf("Copy a note, then paste it into the vault")],
    )]);
    let question = "how do I get my apple notes into the vault without copy and paste";
    assert_eq!(
        top(&index, question, "import").as_deref(),
        Some("Import Apple Notes")
    );
    // Nothing but what it avoids: still found.
    assert_eq!(
        top(&index, "without copy and paste", "import").as_deref(),
        Some("Copy and paste notes")
    );
}
/// A question that names what the notes never mention (`Todoist`, `Zotero`) asks about
/// another product: no section answers it, whatever everyday words they share. A name the
/// notes hold, one with a typo, or one in what a question only tells still finds its section.
#[test]
fn a_question_naming_what_the_notes_lack_has_no_hit() {
    let library = Library::from(vec![note(
        "tasks",
        &[],
        &[],
        vec![
            section(
                "Tasks in your daily note",
                &[],
                vec![leaf("Show your tasks inside the daily note")],
            ),
            section(
                "Sync with Dropbox",
                &[],
                vec![leaf("Keep the vault in a Dropbox folder")],
            ),
            section("插入引用", &[], vec![leaf("在笔记里插入文献引用")]),
        ],
    )]);
    // With the built-in lists, which know English words (`insert`).
    let options = SearchOptions {
        builtin_related: true,
        ..SearchOptions::default()
    };
    let index = Index::build(library, &options);
    let (tasks, dropbox, cite) = (
        Some("Tasks in your daily note"),
        Some("Sync with Dropbox"),
        Some("插入引用"),
    );
    let cases = [
        (
            "can I connect Todoist so my tasks show up inside my daily note?",
            None,
        ),
        ("Zotero 里的文献引用怎么插到笔记里？", None),
        ("文献引用怎么插到笔记里？", cite),
        // A lowercase English word among Chinese is a word, not a name.
        ("文献引用怎么 insert 到笔记里？", cite),
        // A lowercase word that is no English word is a name all the same; a typo is not.
        (
            "can I connect todoist so my tasks show up inside my daily note?",
            None,
        ),
        ("how do I sycn with dropbox?", dropbox),
        // Words of the language are no names: contractions, function words, day names.
        ("why isn't my daily note showing my tasks?", tasks),
        ("can my tasks show up inside my daily note via a template?", tasks),
        ("can my tasks show up inside my daily note every monday?", tasks),
        ("can my tasks show up inside my daily note?", tasks),
        ("how do I sync with Dropbox?", dropbox),
        ("how do I sync with Dropbx?", dropbox),
        (
            "I moved here from Todoist, how do I show tasks inside the daily note?",
            tasks,
        ),
        // However little the asking clause names.
        ("my Pixel won't sync with Dropbox, what do I do?", dropbox),
        // Capitals that mark no name: Title Case, a phone's at the start of a Chinese question.
        ("How Do I Sync With Dropbox Quickly", dropbox),
        ("Insert 文献引用怎么弄？", cite),
    ];
    for (query, expected) in cases {
        assert_eq!(top(&index, query, "tasks").as_deref(), expected, "{query}");
    }
}

/// An English question finds a note written in Chinese through the words CC-CEDICT
/// translates its words as (`company` → 公司, `abilities` → 能力); off without the
/// built-in lists.
#[test]
fn an_english_question_finds_chinese_notes() {
    let library = Library::from(vec![note(
        "chatgpt",
        &[],
        &[],
        vec![
            section(
                "ChatGPT 背后的 OpenAI 是家怎样的公司",
                &[],
                vec![leaf("OpenAI 的历史")],
            ),
            section("GPT-3.5 各项能力的起源", &[], vec![leaf("代码训练带来了推理")]),
            section("OpenAI 的开源模型", &[], vec![leaf("模型权重")]),
        ],
    )]);
    let builtin = SearchOptions {
        builtin_related: true,
        ..SearchOptions::default()
    };
    let index = Index::build(library.clone(), &builtin);
    let company = Some("ChatGPT 背后的 OpenAI 是家怎样的公司");
    assert_eq!(
        top(&index, "what kind of company is openai", "chatgpt").as_deref(),
        company
    );
    assert_eq!(
        top(&index, "where do the abilities of gpt-3.5 come from", "chatgpt").as_deref(),
        Some("GPT-3.5 各项能力的起源")
    );
    let own = Index::build(library, &SearchOptions::default());
    assert_ne!(
        top(&own, "what kind of company is openai", "chatgpt").as_deref(),
        company
    );
}

/// A Chinese question asked of English notes is asked through CC-CEDICT's English glosses
/// of its words (`区域` → `region`, `退款` → `refund`, `插件` → `plug-in`), and the
/// sections found through them are offered, never posted: a word-by-word translation is a
/// guess. A
/// question of everyday words finds nothing to offer. A Chinese section found for it is no
/// guess: it is posted (in a vault written mostly in English). Nothing is glossed without
/// the built-in lists.
#[test]
fn a_chinese_question_is_offered_english_sections() {
    let english = |extra: Vec<Note>| {
        let mut notes = vec![note(
            "sync",
            &[],
            &[],
            vec![
                section(
                    "Change Sync region",
                    &[],
                    vec![leaf("Pick the region your vault is stored in")],
                ),
                section(
                    "Request a refund",
                    &[],
                    vec![leaf("Write to support within 30 days")],
                ),
                section(
                    "Install a plugin",
                    &[],
                    vec![leaf("Browse community plugins and install one")],
                ),
                section(
                    "Set up Sync",
                    &[],
                    vec![leaf("Sign in and connect a remote vault")],
                ),
                section(
                    "Delete a remote vault",
                    &[],
                    vec![leaf("Remove a remote vault you no longer need")],
                ),
            ],
        )];
        notes.extend(extra);
        Library::from(notes)
    };
    let builtin = SearchOptions {
        builtin_related: true,
        ..SearchOptions::default()
    };
    let index = Index::build(english(Vec::new()), &builtin);
    let cases = [
        ("sync 区域 更改", "Change Sync region"),
        ("怎么退款", "Request a refund"),
        ("插件", "Install a plugin"),
    ];
    for (query, expected) in cases {
        assert_eq!(top(&index, query, "sync").as_deref(), Some(expected), "{query}");
        match index.find(query, Some("sync"), 3, 3) {
            Found::Closest(ranked) => {
                let best = ranked
                    .hits
                    .first()
                    .map(|hit| (title(&index, hit.section), hit.reason));
                assert_eq!(
                    best,
                    Some((expected.to_string(), MatchReason::Translated)),
                    "{query}"
                );
                assert!(!ranked.hits[0].is_confident());
            }
            _ => panic!("{query}: a glossed question's hit is offered, not posted"),
        }
    }
    // `远程` is `remote`, which two of the five sections use: found, but no distinct word.
    assert!(top(&index, "远程", "sync").is_some());
    assert!(matches!(
        index.find("远程", Some("sync"), 3, 3),
        Found::Nothing { .. }
    ));
    // English questions of the same notes are posted as before, and so is a section that
    // matched a question's English words only (its glossed `退款` found another section).
    for query in ["change sync region", "change sync region 退款"] {
        match index.find(query, Some("sync"), 3, 3) {
            Found::Confident(ranked) => assert_eq!(
                titles(&index, &ranked.hits).first().map(String::as_str),
                Some("Change Sync region"),
                "{query}"
            ),
            _ => panic!("{query}: posted"),
        }
    }
    let own = Index::build(english(Vec::new()), &SearchOptions::default());
    assert_eq!(top(&own, "怎么退款", "sync"), None);
    // Two Chinese sections among twenty-one English ones (under a tenth): Chinese words
    // are glossed (`退款`), but not one the Chinese notes relate to (`删掉`: `删除`), and
    // a Chinese section found is no guess, through a gloss or not: it is posted.
    let more = (1..=16).map(|n| section(&format!("Topic {n}"), &[], vec![leaf("Other things")]));
    let chinese = vec![
        note("more", &[], &[], more.collect()),
        note(
            "同步",
            &[],
            &[],
            vec![
                section("删除远程仓库", &[], vec![leaf("在设置里删除不再需要的远程仓库")]),
                section("远程仓库的 region", &[], vec![leaf("为远程仓库选择 region")]),
            ],
        ),
    ];
    let mixed = Index::build(english(chinese), &builtin);
    let refund = mixed.search("怎么退款", None, 1);
    assert_eq!(
        refund.first().map(|hit| hit.reason),
        Some(MatchReason::Translated)
    );
    let cases = [
        ("远程仓库怎么删掉", "删除远程仓库"),
        ("删掉", "删除远程仓库"),
        ("远程仓库 区域", "远程仓库的 region"),
    ];
    for (query, expected) in cases {
        match mixed.find(query, None, 3, 3) {
            Found::Confident(ranked) => {
                let first = titles(&mixed, &ranked.hits).first().cloned();
                assert_eq!(first.as_deref(), Some(expected), "{query}");
            }
            _ => panic!("{query}: the Chinese section is the answer"),
        }
    }
}

/// A question that covers most of a section through everyday words, while the rarest
/// word it asks (what it is about) stands elsewhere, gets that section as one of the
/// closest, not as an answer; the same words without that subject are answered.
#[test]
fn a_section_lacking_the_subject_of_a_question_is_no_answer() {
    let mut sections = vec![
        section(
            "Footnotes",
            &[],
            vec![leaf(
                "Read the note text out of the main flow, in the margin of the page",
            )],
        ),
        section("Dictation", &[], vec![leaf("Turn your speech into note text")]),
        section(
            "Reading view",
            &[],
            vec![leaf("Read a note without editing its text")],
        ),
        section(
            "Export",
            &[],
            vec![leaf("Send note text out as a PDF page with a margin")],
        ),
    ];
    // Other sections, so that the words above are not common ones.
    let subjects = [
        "tags", "links", "themes", "hotkeys", "vaults", "plugins", "canvas", "graph",
    ];
    for subject in subjects {
        sections.push(section(subject, &[], vec![leaf(&format!("All about {subject}"))]));
    }
    let index = Index::build(
        Library::from(vec![note("writing", &[], &[], sections)]),
        &SearchOptions::default(),
    );
    // Footnotes covers all but `loud` and `speech` (more than half), but the question is
    // about speech: Footnotes is offered privately, not posted.
    let asked = "read my note text out loud in the margin of the page, like speech";
    assert_eq!(top(&index, asked, "writing"), None);
    match index.find(asked, Some("writing"), 3, 3) {
        Found::Closest(ranked) => {
            assert_eq!(titles(&index, &ranked.hits)[0], "Footnotes");
        }
        _ => panic!("{asked}: expected the closest sections"),
    }
    let without = "read my note text out of the flow";
    assert_eq!(top(&index, without, "writing").as_deref(), Some("Footnotes"));
    assert_eq!(
        top(&index, "speech to note text", "writing").as_deref(),
        Some("Dictation")
    );
}

#[test]
fn an_explanation_shows_what_each_word_matches_and_what_sections_lack() {
    let index = help_index(true);
    let explanation = index
        .explain("how do I relocate a flie to another zeppelin", None, 5)
        .expect("the whole library is a range");
    assert_eq!(
        explanation.read_as,
        "how do i relocate a flie to another zeppelin"
    );
    let words: Vec<&str> = explanation.words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["relocate", "flie", "another", "zeppelin"]);
    let how = |word: usize| -> Vec<(&str, How)> {
        (explanation.words[word].terms.iter())
            .map(|t| (t.term.as_str(), t.how))
            .collect()
    };
    // A word the notes lack through a related one, a slip through the word it misspells,
    // a word they hold as it is (stemmed), and one they lack altogether.
    assert_eq!(how(0), [("move", How::Related)]);
    assert_eq!(how(1), [("file", How::Typo)]);
    assert_eq!(how(2), [("anoth", How::Exact)]);
    assert_eq!(how(3), []);
    assert!(explanation.words.iter().all(|w| !w.context));
    assert!(explanation.words[0].terms.iter().all(|t| t.sections == 1));
    // The subject is the asked word fewest sections hold: one each, the first wins.
    assert_eq!(explanation.subject, Some(0));
    let best = &explanation.sections[0];
    assert_eq!(
        (best.topic.as_str(), best.title.as_str()),
        ("help", "Move a file to another folder")
    );
    assert_eq!(best.holds, [true, true, true, false]);
    assert!(best.coverage > 0.0 && best.coverage < 1.0, "{}", best.coverage);
    // The search's own hit, marked found.
    let hits = index.search("how do I relocate a flie to another zeppelin", None, 1);
    assert_eq!(hits.first().map(|h| h.section), Some(index.docs[0]));
    assert!(best.found);
    // A light verb is context and is never the subject: the subject is the rarest word
    // asked after it (`make` is in one section, so the rarest). The phrase `go away` is in no
    // section. (A light verb the notes never use is left out: `a_light_verb_…` in
    // tests/search_quality.rs.)
    let explanation = index
        .explain("how do I make a plugin go away", None, 5)
        .expect("range");
    let words: Vec<(&str, bool)> = (explanation.words.iter())
        .map(|w| (w.text.as_str(), w.context))
        .collect();
    assert_eq!(words, [("make", true), ("plugin", false), ("go away", false)]);
    assert_eq!(explanation.subject, Some(1));
    assert_eq!(explanation.lacking(), ["go away"]);
    let best = &explanation.sections[0];
    assert_eq!((best.title.as_str(), best.found), ("Remove a plugin", true));
    assert_eq!(best.holds, [true, true, false]);
    // A light verb of two words frames as one word does (`figure out` is in no section,
    // so it would have been the subject).
    let explanation = index
        .explain("how do I figure out which plugin to remove", None, 5)
        .expect("range");
    let words: Vec<(&str, bool)> = (explanation.words.iter())
        .map(|w| (w.text.as_str(), w.context))
        .collect();
    assert_eq!(words, [("plugin", false), ("remove", false)]);
    // An unknown topic has nothing to explain; filler explains to no words.
    assert!(index.explain("relocate", Some("nope"), 5).is_none());
    let filler = index.explain("what is the", None, 5).expect("range");
    assert!(filler.words.is_empty() && filler.sections.is_empty());
}

#[test]
fn an_explanation_names_synonyms_as_written_and_translations_as_such() {
    // A synonym typed in another spelling than the config's first: the word is what was
    // typed, the term the group.
    let index = Index::build(library(), &synonyms());
    let explanation = index.explain("思维链是什么", None, 3).expect("range");
    let word = &explanation.words[0];
    assert_eq!(word.text, "思维链");
    let terms: Vec<(&str, How)> = word.terms.iter().map(|t| (t.term.as_str(), t.how)).collect();
    assert_eq!(terms, [("chain of thought", How::Exact)]);
    // A Chinese question over notes written in English: its words by their glosses.
    let english = note(
        "app",
        &[],
        &[],
        vec![section(
            "Disable automatic updates",
            &[],
            vec![leaf("Close the app and turn off updates")],
        )],
    );
    let options = SearchOptions {
        builtin_related: true,
        ..SearchOptions::default()
    };
    let index = Index::build(Library::from(vec![english]), &options);
    let explanation = index.explain("怎么关闭自动更新", None, 3).expect("range");
    assert!(!explanation.words.is_empty());
    for word in &explanation.words {
        assert!(!word.terms.is_empty(), "{}", word.text);
        assert!(word.terms.iter().all(|t| t.how == How::Translated), "{word:?}");
    }
}

#[test]
fn the_deployments_own_related_groups_widen_words_the_notes_use_too() {
    let notes = note(
        "app",
        &[],
        &[],
        vec![
            section(
                "Disable automatic updates",
                &[],
                vec![leaf("No new versions are fetched")],
            ),
            section("Stop words", &[], vec![leaf("Words a search leaves out")]),
        ],
    );
    let index = |groups: Vec<Vec<String>>| {
        let options = SearchOptions {
            related: groups,
            ..SearchOptions::default()
        };
        Index::build(Library::from(vec![notes.clone()]), &options)
    };
    let stop_updates = |index: &Index| titles(index, &index.search("stop updates", None, 2));
    // `stop` is a word of the notes, so the built-in lists leave it alone: each section
    // holds half of the question, and neither is an answer.
    let plain = index(Vec::new());
    assert_eq!(stop_updates(&plain), Vec::<String>::new());
    // The admin's group says `stop` means `disable` here: the section on disabling
    // updates holds both words now.
    let taught = index(vec![vec!["stop".into(), "disable".into()]]);
    assert_eq!(stop_updates(&taught), ["Disable automatic updates"]);
    let explained = taught.explain("stop updates", None, 2).expect("range");
    let how: Vec<How> = explained.words[0].terms.iter().map(|t| t.how).collect();
    assert_eq!(how, [How::Exact, How::Related]);
    // An inflected form finds its base form's group.
    assert_eq!(
        titles(&taught, &taught.search("stopped updates", None, 1)),
        ["Disable automatic updates"]
    );
    // The built-in lists still leave a word of the notes alone (`updates`, of the
    // interface list's `upgrade update`), own groups or not.
    let builtin = SearchOptions {
        related: vec![vec!["stop".into(), "disable".into()]],
        builtin_related: true,
        ..SearchOptions::default()
    };
    let both = Index::build(Library::from(vec![notes.clone()]), &builtin);
    let explained = both.explain("updates", None, 1).expect("range");
    let how: Vec<How> = explained.words[0].terms.iter().map(|t| t.how).collect();
    assert_eq!(how, [How::Exact]);
    let explained = both.explain("stop updates", None, 1).expect("range");
    let how: Vec<How> = explained.words[0].terms.iter().map(|t| t.how).collect();
    assert_eq!(how, [How::Exact, How::Related]);
}

/// A query of words that ask nothing (`the`, `how to`) suggests nothing: `the` looked like
/// the titles `Theme` and `Other`.
#[test]
fn words_that_ask_nothing_suggest_nothing() {
    let ui = note(
        "ui",
        &[],
        &[],
        vec![
            section("Theme", &[], vec![leaf("pick a colour scheme")]),
            section("Other", &[], vec![leaf("everything else")]),
            section("How to start", &[], vec![leaf("open the app")]),
            section("Hello world", &[], vec![leaf("a first program")]),
        ],
    );
    let index = Index::build(Library::from(vec![ui]), &SearchOptions::default());
    for query in ["the", "The ", "what is the", "how to"] {
        let names = suggested(&index, index.did_you_mean(query, Some("ui"), 5));
        assert!(names.is_empty(), "{query}: {names:?}");
    }
    let names = suggested(&index, index.did_you_mean("thme", Some("ui"), 5));
    assert_eq!(first(names).as_deref(), Some("Theme"));
    // A greeting alone asks itself.
    let names = suggested(&index, index.did_you_mean("hello", Some("ui"), 5));
    assert_eq!(first(names).as_deref(), Some("Hello world"));
}

/// A web address in a question is its host's names: its scheme and domain ending are no
/// words of the question, which a section holding addresses matched (`https`, `com` of an
/// apt mirror list answered `https://chat.openai.com 怎么注册`).
#[test]
fn a_web_address_asks_for_its_host_not_for_https() {
    let library = Library::from(vec![note(
        "setup",
        &[],
        &[],
        vec![
            section(
                "Mirrors",
                &[],
                vec![leaf("deb https://mirrors.example.com/ubuntu focal main")],
            ),
            section(
                "Chat accounts",
                &[],
                vec![leaf("sign up to the chat with an email")],
            ),
        ],
    )]);
    let index = Index::build(library, &SearchOptions::default());
    assert!(index.search("https://www.openai.com/auth", None, 3).is_empty());
    let hits = index.search("https://mirrors.example.com", None, 3);
    assert_eq!(titles(&index, &hits), ["Mirrors"]);
    let hits = index.search("https://chat.example.com sign up", None, 3);
    assert_eq!(
        titles(&index, &hits).first().map(String::as_str),
        Some("Chat accounts")
    );
}
