//! A labelled query set over the shipped note and a note in another style. Labels were
//! written from reading the notes, before looking at what the engine returns.
//!
//! `cargo test --test search_quality -- --nocapture` prints the table.

use std::path::PathBuf;

use notes_bot::config::Config;
use notes_bot::search::Index;

const A: &str = "最近很火的 ChatGPT 究竟是什么？会给我们的生活带来什么改变？";
const B: &str = "潘一鸣: AIGC 风口，人工智能又又又行了吗";
const C: &str = "潘一鸣: AIGC 距离 iPhone 时刻还有多久";
const D: &str = "#1 聊聊 ChatGPT";
const E: &str = "LLM 是什么";
const F: &str = "大型语言模型系列解读（一)：大语言模型涌现的新能力";
const G: &str = "大型语言模型系列解读（二)：Transformer 中 FFN 的记忆功能";
const H: &str = "拆解追溯 GPT-3.5 各项能力的起源";
const I: &str = "深入理解语言模型的突现能力";
const J: &str = "原理解析/科普";
const K: &str = "万字长文解释 ChatGPT 在做什么，以及为什么它能发挥作用";
const L: &str = "ChatGPT 背后的 OpenAI 是家怎样的公司";

const ROUTER: &str = "Router first boot";
const CHANNELS: &str = "Choosing Wi-Fi channels";
const PIHOLE: &str = "Pi-hole as the network's DNS";
const VPN: &str = "WireGuard VPN for remote access";
const FORWARD: &str = "Port forwarding";
const BACKUP: &str = "Network-attached storage backups";
const SLOW: &str = "Slow Wi-Fi in the bedroom";
const IPV6: &str = "IPv6 does not work";
const VLAN: &str = "VLANs for IoT devices";

/// (topic, query, acceptable top-1 titles; empty = no hit expected, kind)
const CASES: &[(&str, &str, &[&str], &str)] = &[
    ("chatgpt", "rlhf", &[H], "en"),
    ("chatgpt", "RLHF", &[H], "en"),
    ("chatgpt", "ＲＬＨＦ", &[H], "full-width"),
    ("chatgpt", "rlfh", &[H], "typo"),
    ("chatgpt", "人类反馈", &[H], "zh"),
    ("chatgpt", "思维链", &[I, H], "zh"),
    ("chatgpt", "思維鏈", &[I, H], "traditional"),
    ("chatgpt", "chain of thought", &[I, H], "en"),
    ("chatgpt", "rlhf是什么", &[H], "question"),
    ("chatgpt", "what is rlhf", &[H], "question"),
    ("chatgpt", "FFN", &[G], "en"),
    ("chatgpt", "transfomer", &[G], "typo"),
    ("chatgpt", "成本", &[C], "zh"),
    ("chatgpt", "openai", &[L], "en"),
    ("chatgpt", "GPT3", &[H], "en"),
    ("chatgpt", "62B", &[I], "en"),
    ("chatgpt", "中文屋子", &[C], "zh"),
    ("chatgpt", "中文屋", &[C], "zh"),
    ("chatgpt", "对齐税", &[H], "zh"),
    ("chatgpt", "code-davinci-002", &[H], "en"),
    ("chatgpt", "text-davinci-003", &[H], "en"),
    ("chatgpt", "LLM 是什么", &[E], "title"),
    ("chatgpt", "大型语言模型", &[E], "zh"),
    ("chatgpt", "涌现", &[F], "zh"),
    ("chatgpt", "突现能力", &[I], "zh"),
    ("chatgpt", "prompt", &[F, H], "en"),
    ("chatgpt", "chatgpt 劣势", &[A], "mixed"),
    ("chatgpt", "chatGPT 能做什么", &[A], "mixed"),
    ("chatgpt", "搜索引擎", &[A], "zh"),
    ("chatgpt", "训练私有智能助手", &[A], "zh"),
    ("chatgpt", "以假乱真", &[B], "zh"),
    ("chatgpt", "联结学派", &[B], "zh"),
    ("chatgpt", "强化学习", &[B, H], "zh"),
    ("chatgpt", "车轱辘话", &[B], "zh"),
    ("chatgpt", "骑兵", &[C], "zh"),
    ("chatgpt", "千万美元", &[C], "zh"),
    ("chatgpt", "bing", &[C], "en"),
    ("chatgpt", "深度学习", &[D], "zh"),
    ("chatgpt", "逻辑推理", &[D], "zh"),
    ("chatgpt", "数学", &[D, H], "zh"),
    ("chatgpt", "物理世界", &[E], "zh"),
    ("chatgpt", "参数数量", &[G, H], "zh"),
    ("chatgpt", "前馈神经网络", &[G], "zh"),
    ("chatgpt", "知识存储在哪里", &[G], "question"),
    ("chatgpt", "指令微调", &[H], "zh"),
    ("chatgpt", "instruction tuning", &[H], "en"),
    ("chatgpt", "in-context learning", &[H], "en"),
    ("chatgpt", "上下文学习", &[H], "zh"),
    ("chatgpt", "davinci", &[H], "en"),
    ("chatgpt", "思维链 需要多大的模型", &[I], "mixed"),
    ("chatgpt", "模型要多大才能用思维链", &[I], "question"),
    ("chatgpt", "175B", &[I], "en"),
    ("chatgpt", "T5", &[I], "en"),
    ("chatgpt", "Stephen Wolfram", &[J], "en"),
    ("chatgpt", "wolfram", &[J], "en"),
    ("chatgpt", "万字长文", &[K], "title"),
    ("chatgpt", "openai 是家怎样的公司", &[L], "title"),
    ("chatgpt", "GPT-3.5 不能做什么", &[H], "question"),
    // Colloquial frames: stress words, `怎么回事`, a verb asking with `什么` or `啥`.
    ("chatgpt", "llm到底是啥", &[E], "question"),
    ("chatgpt", "涌现能力是怎么回事", &[I], "question"),
    ("chatgpt", "ffn是干啥的", &[G], "question"),
    ("chatgpt", "形式推理", &[H], "zh"),
    ("chatgpt", "豆腐脑", &[H], "zh"),
    ("chatgpt", "alignment", &[H], "en"),
    ("chatgpt", "world knowledge", &[H], "en"),
    ("chatgpt", "pizza recipe", &[], "negative"),
    ("chatgpt", "天气预报", &[], "negative"),
    ("chatgpt", "量子计算", &[], "negative"),
    ("chatgpt", "football scores", &[], "negative"),
    ("chatgpt", "kubernetes deployment", &[], "negative"),
    ("chatgpt", "股票价格", &[], "negative"),
    ("chatgpt", "how to bake bread", &[], "negative"),
    ("homenet", "wps", &[ROUTER], "en"),
    ("homenet", "router admin password", &[ROUTER], "en"),
    ("homenet", "firmware", &[ROUTER], "en"),
    ("homenet", "wifi channel", &[CHANNELS], "en"),
    ("homenet", "2.4 GHz channels", &[CHANNELS], "en"),
    ("homenet", "信道干扰", &[CHANNELS], "zh"),
    ("homenet", "pihole", &[PIHOLE], "joined"),
    ("homenet", "block ads", &[PIHOLE], "en"),
    ("homenet", "dns", &[PIHOLE], "en"),
    ("homenet", "wireguard", &[VPN], "en"),
    ("homenet", "vpn", &[VPN], "en"),
    ("homenet", "remote access", &[VPN], "en"),
    ("homenet", "wiregaurd", &[VPN], "typo"),
    ("homenet", "port forwarding", &[FORWARD], "title"),
    ("homenet", "DHCP reservation", &[FORWARD], "en"),
    ("homenet", "backups", &[BACKUP], "en"),
    ("homenet", "3-2-1 backup", &[BACKUP], "en"),
    ("homenet", "snapshots", &[BACKUP], "en"),
    ("homenet", "恢复演练", &[BACKUP], "zh"),
    ("homenet", "slow wifi", &[SLOW], "en"),
    ("homenet", "range extender", &[SLOW], "en"),
    ("homenet", "mesh", &[SLOW], "en"),
    ("homenet", "ipv6", &[IPV6], "en"),
    ("homenet", "icmpv6", &[IPV6], "en"),
    ("homenet", "vlan", &[VLAN], "en"),
    ("homenet", "iot", &[VLAN], "en"),
    ("homenet", "智能家居", &[VLAN], "zh"),
    ("homenet", "trunk port", &[VLAN], "en"),
    ("homenet", "why is my wifi slow", &[SLOW], "question"),
    ("homenet", "how do I set up a vpn", &[VPN], "question"),
    ("homenet", "firmwre update", &[ROUTER], "typo"),
    ("homenet", "5ghz", &[CHANNELS, SLOW], "joined"),
    ("homenet", "ipv6 not working", &[IPV6], "question"),
    (
        "homenet",
        "which channels do not overlap",
        &[CHANNELS],
        "question",
    ),
    ("homenet", "revoke a lost phone", &[VPN], "en"),
    ("homenet", "暴力破解", &[ROUTER], "zh"),
    ("homenet", "recipe", &[], "negative"),
    ("homenet", "guest network", &[], "negative"),
    ("homenet", "xyzzy plugh", &[], "negative"),
    ("homenet", "天气", &[], "negative"),
    ("homenet", "rlhf", &[], "negative"),
];

fn index() -> Index {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    index_of(&[root.join("notes"), root.join("tests/fixtures/search")])
}

/// One index over the notes of every folder of `dirs`, none of them with an error.
fn index_of(dirs: &[PathBuf]) -> Index {
    let config = Config::default();
    let mut notes = Vec::new();
    for dir in dirs {
        let loaded = notes_bot::notes::load_dir(dir, &config.labels());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        notes.extend_from_slice(loaded.library.notes());
    }
    Index::build(notes_bot::notes::Library::new(notes), &config.search_options())
}

#[test]
fn labelled_queries() {
    let index = index();
    assert!(CASES.len() >= 60);
    let tally = evaluate(&index, "in-repo notes", &in_repo_cases(CASES));
    for policy in [Policy::EveryHit, Policy::Tiered] {
        let tier = evaluate_tier(&index, "in-repo notes", &in_repo_cases(CASES), policy);
        for half in ["dev", "test"] {
            let (empty, asked) = tier.negatives_empty(half).unwrap_or_default();
            assert_eq!(empty, asked, "{half}: a negative query got closest sections");
        }
    }
    let positives = |half| {
        let right: f64 = CLASSES[..3]
            .iter()
            .chain(&CLASSES[4..])
            .filter_map(|c| tally.cells.get(&(half, *c, "all")))
            .map(|(r, _)| *r as f64)
            .sum();
        let asked: f64 = CLASSES[..3]
            .iter()
            .chain(&CLASSES[4..])
            .filter_map(|c| tally.cells.get(&(half, *c, "all")))
            .map(|(_, a)| *a as f64)
            .sum();
        right / asked.max(1.0)
    };
    for half in ["dev", "test"] {
        assert!(
            positives(half) >= 0.95,
            "{half}: top-1 {:.2} is under 0.95",
            positives(half)
        );
        assert_eq!(
            tally.share(half, "negatives", "all"),
            Some(1.0),
            "{half}: a negative query returned a hit"
        );
    }
}

/// One labelled query: where it is asked, what it is, what answers it.
struct Case<'a> {
    topic: Option<&'a str>,
    query: &'a str,
    /// Acceptable top-1 titles; empty = no hit expected.
    expected: Vec<&'a str>,
    class: &'static str,
    /// Whether a title must equal an expected one (in-repo sets) or hold one (vault set).
    contains: bool,
}

const CLASSES: [&str; 5] = ["core", "natural", "typos", "negatives", "paraphrase"];

/// The class of an in-repo case from its kind.
fn class_of(kind: &str) -> &'static str {
    match kind {
        "typo" => "typos",
        "question" => "natural",
        "negative" => "negatives",
        "paraphrase" => "paraphrase",
        _ => "core",
    }
}

fn in_repo_cases<'a>(cases: &'a [(&'a str, &'a str, &'a [&'a str], &'a str)]) -> Vec<Case<'a>> {
    cases
        .iter()
        .map(|&(topic, query, expected, kind)| Case {
            topic: Some(topic),
            query,
            expected: expected.to_vec(),
            class: class_of(kind),
            contains: false,
        })
        .collect()
}

/// Dev (tune on it) or test (report only), by a hash of the query: stable across runs,
/// machines and edits to other cases.
fn is_dev(query: &str) -> bool {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in query.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash.is_multiple_of(2)
}

fn language(query: &str) -> &'static str {
    if query
        .chars()
        .any(|c| matches!(c as u32, 0x3400..=0x9fff | 0xf900..=0xfaff))
    {
        "zh"
    } else {
        "en"
    }
}

/// Case and spaces aside, NFKC: how the vault set compares titles.
fn title_key(text: &str) -> String {
    notes_bot::search::normalize(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Top-1 results of one set.
#[derive(Default)]
struct Tally {
    /// (half, class, language) → (right, asked).
    cells: std::collections::BTreeMap<(&'static str, &'static str, &'static str), (usize, usize)>,
}

impl Tally {
    fn add(&mut self, half: &'static str, class: &'static str, lang: &'static str, ok: bool) {
        for key in [
            (half, class, lang),
            (half, class, "all"),
            (half, "all", lang),
            (half, "all", "all"),
        ] {
            let cell = self.cells.entry(key).or_default();
            cell.0 += usize::from(ok);
            cell.1 += 1;
        }
    }

    /// Share right, over both halves when `half` is "both".
    fn share(&self, half: &str, class: &str, lang: &str) -> Option<f64> {
        let (mut right, mut asked) = (0, 0);
        for ((h, c, l), (r, a)) in &self.cells {
            if (half == "both" || *h == half) && *c == class && *l == lang {
                right += r;
                asked += a;
            }
        }
        (asked > 0).then(|| right as f64 / asked as f64)
    }

    fn print(&self, name: &str) {
        println!("\n{name}: top-1 by class and language (dev | test)\n");
        println!("| class | lang | dev | test |\n|---|---|---|---|");
        for class in CLASSES.iter().copied().chain(["all"]) {
            for lang in ["en", "zh", "all"] {
                let cell = |half: &'static str| match self.cells.get(&(half, class, lang)) {
                    Some((r, a)) => format!("{:.2} ({r}/{a})", *r as f64 / *a as f64),
                    None => "—".to_string(),
                };
                if self.share("both", class, lang).is_some() {
                    println!("| {class} | {lang} | {} | {} |", cell("dev"), cell("test"));
                }
            }
        }
    }
}

/// Runs labelled cases, prints the dev rows (test rows are only counted) and the table.
fn evaluate(index: &Index, name: &str, cases: &[Case]) -> Tally {
    let mut tally = Tally::default();
    println!("\n{name}: dev queries\n\n| | query | class | expected | top 1 |\n|---|---|---|---|---|");
    for case in cases {
        let hits = index.search(case.query, case.topic, 1);
        let got = hits.first().map(|hit| {
            let note = &index.library().notes()[hit.section.note];
            note.sections[hit.section.section].title.clone()
        });
        let ok = match (case.expected.is_empty(), &got) {
            (true, got) => got.is_none(),
            (false, None) => false,
            (false, Some(title)) if case.contains => {
                let title = title_key(title);
                case.expected.iter().any(|e| title.contains(&title_key(e)))
            }
            (false, Some(title)) => case.expected.contains(&title.as_str()),
        };
        let half = if is_dev(case.query) { "dev" } else { "test" };
        tally.add(half, case.class, language(case.query), ok);
        if half == "dev" {
            let want = if case.expected.is_empty() {
                "—".to_string()
            } else {
                case.expected.join(" / ")
            };
            println!(
                "| {} | {} | {} | {want} | {} |",
                if ok { "ok" } else { "MISS" },
                case.query,
                case.class,
                got.as_deref().unwrap_or("—")
            );
        }
    }
    tally.print(name);
    tally
}

/// How a query's results reach the member.
#[derive(Clone, Copy, PartialEq)]
enum Policy {
    /// Before the closest-sections tier: every best hit is posted, misses get nothing.
    EveryHit,
    /// [`Index::find`]: confident hits are posted; after a miss, or a weak typo-only best
    /// hit, up to 3 closest sections are offered.
    Tiered,
}

/// Per (half, class): [public answers right (for negatives: none), right counting the
/// closest sections too (for negatives: no answer and no closest section), public
/// answers wrong, asked].
#[derive(Default)]
struct TierTally {
    cells: std::collections::BTreeMap<(&'static str, &'static str), [usize; 4]>,
}

/// Runs labelled cases under a policy; prints the dev queries offered closest sections
/// and the table.
fn evaluate_tier(index: &Index, name: &str, cases: &[Case], policy: Policy) -> TierTally {
    use notes_bot::search::Found;
    let title_of = |hit: &notes_bot::search::Hit| {
        index
            .library()
            .section(hit.section)
            .map(|(_, s)| s.title.clone())
            .unwrap_or_default()
    };
    let mut tally = TierTally::default();
    let label = match policy {
        Policy::EveryHit => "every hit posted, no closest sections (before)",
        Policy::Tiered => "Index::find: closest sections after a miss or a weak typo-only hit",
    };
    println!("\n{name}, {label}: dev queries offered closest sections\n");
    for case in cases {
        let (public, closest): (Option<String>, Vec<(String, String)>) = match policy {
            Policy::EveryHit => (
                index.search(case.query, case.topic, 1).first().map(title_of),
                Vec::new(),
            ),
            Policy::Tiered => match index.find(case.query, case.topic, 1, 3) {
                Found::Confident(ranked) => (ranked.hits.first().map(title_of), Vec::new()),
                Found::Closest(ranked) => (
                    None,
                    ranked
                        .hits
                        .iter()
                        .map(|h| (title_of(h), format!("{:.2} {}", h.coverage, h.reason.as_str())))
                        .collect(),
                ),
                Found::Nothing { .. } => (None, Vec::new()),
            },
        };
        let expected = |title: &str| {
            if case.contains {
                let title = title_key(title);
                case.expected.iter().any(|e| title.contains(&title_key(e)))
            } else {
                case.expected.contains(&title)
            }
        };
        let negative = case.expected.is_empty();
        let public_ok = match &public {
            Some(title) => !negative && expected(title),
            None => negative,
        };
        let reached = if negative {
            public.is_none() && closest.is_empty()
        } else {
            public_ok || closest.iter().any(|(t, _)| expected(t))
        };
        let wrong = public.is_some() && !public_ok;
        let half = if is_dev(case.query) { "dev" } else { "test" };
        for class in [case.class, "all"] {
            let cell = tally.cells.entry((half, class)).or_default();
            cell[0] += usize::from(public_ok);
            cell[1] += usize::from(reached);
            cell[2] += usize::from(wrong);
            cell[3] += 1;
        }
        if half == "dev" && !closest.is_empty() {
            let shown: Vec<String> = closest.iter().map(|(t, how)| format!("{t} ({how})")).collect();
            println!(
                "| {} | {} | {} | {} |",
                if reached { "ok" } else { "MISS" },
                case.query,
                case.class,
                shown.join(" · ")
            );
        }
    }
    println!(
        "\n| class | dev answer right | dev right or in closest | dev wrong answers | test answer right | test right or in closest | test wrong answers |"
    );
    println!("|---|---|---|---|---|---|---|");
    for class in CLASSES.iter().copied().chain(["all"]) {
        let cell = |half: &'static str| match tally.cells.get(&(half, class)) {
            Some([public, reached, wrong, asked]) => {
                format!("{public}/{asked} | {reached}/{asked} | {wrong}")
            }
            None => "— | — | —".to_string(),
        };
        if tally.cells.keys().any(|(_, c)| *c == class) {
            println!("| {class} | {} | {} |", cell("dev"), cell("test"));
        }
    }
    tally
}

impl TierTally {
    /// Public answers that were wrong, of every class.
    fn posted_wrong(&self, half: &'static str) -> usize {
        self.cells.get(&(half, "all")).map_or(0, |c| c[2])
    }

    /// Cases of a class answered or offered right, over those asked, both halves.
    fn reached_share(&self, class: &'static str) -> f64 {
        let cell = |half| self.cells.get(&(half, class)).copied().unwrap_or_default();
        let (dev, test) = (cell("dev"), cell("test"));
        (dev[1] + test[1]) as f64 / (dev[3] + test[3]).max(1) as f64
    }

    /// Negatives given neither an answer nor closest sections, over those asked.
    fn negatives_empty(&self, half: &'static str) -> Option<(usize, usize)> {
        self.cells.get(&(half, "negatives")).map(|c| (c[1], c[3]))
    }
}

/// Queries over notes of the shared corpus (not in this repository), labelled from
/// reading those notes: (topic, query, acceptable top-1 titles; empty = no hit, kind).
const CORPUS_CASES: &[(&str, &str, &[&str], &str)] = &[
    ("封城物资准备指南", "布洛芬", &["药品"], "zh"),
    ("封城物资准备指南", "退烧", &["药品"], "zh"),
    ("封城物资准备指南", "体温计", &["医疗防护"], "zh"),
    ("封城物资准备指南", "血氧仪", &["医疗防护"], "zh"),
    ("封城物资准备指南", "老干妈", &["食品"], "zh"),
    ("封城物资准备指南", "大蒜", &["长期储存的菜品"], "zh"),
    ("封城物资准备指南", "柚子", &["水果(一定要耐储存)"], "zh"),
    ("封城物资准备指南", "鸡胸肉", &["冰箱"], "zh"),
    ("封城物资准备指南", "身份证", &["必备物品"], "zh"),
    ("封城物资准备指南", "充电宝", &["必备物品"], "zh"),
    ("封城物资准备指南", "插线板", &["生活物品"], "zh"),
    ("封城物资准备指南", "啤酒", &["奢侈品"], "zh"),
    ("封城物资准备指南", "电饭锅", &["烹饪器具"], "zh"),
    ("封城物资准备指南", "菜刀", &["烹饪器具"], "zh"),
    ("封城物资准备指南", "豆瓣酱", &["调料"], "zh"),
    ("封城物资准备指南", "膳食纤维", &["核心营养素", "底线模式"], "zh"),
    ("封城物资准备指南", "大米", &["基础食物"], "zh"),
    ("封城物资准备指南", "封城会持续多久", &["场景假设"], "question"),
    ("封城物资准备指南", "电脑", &["工作物品"], "zh"),
    ("封城物资准备指南", "营养与健康", &["参考资料"], "zh"),
    ("封城物资准备指南", "电池", &["生活用品"], "zh"),
    ("封城物资准备指南", "垃圾袋", &["生活用品", "生活物品"], "zh"),
    ("封城物资准备指南", "薄荷", &["烹饪器具"], "zh"),
    ("封城物资准备指南", "python 教程", &[], "negative"),
    ("封城物资准备指南", "股票", &[], "negative"),
    (
        "electron编译趟坑经验",
        "postinstall",
        &["可能并不需要 rebuild"],
        "en",
    ),
    (
        "electron编译趟坑经验",
        "sharp 报错",
        &["可能并不需要 rebuild"],
        "mixed",
    ),
    ("electron编译趟坑经验", "vips", &["可能并不需要 rebuild"], "en"),
    (
        "electron编译趟坑经验",
        "node 版本不一致",
        &["如果非要本地编译..."],
        "mixed",
    ),
    (
        "electron编译趟坑经验",
        "visual studio",
        &["如果非要本地编译..."],
        "en",
    ),
    ("electron编译趟坑经验", "yarnrc", &["如果非要本地编译..."], "en"),
    (
        "electron编译趟坑经验",
        "msvs_version",
        &["如果非要本地编译..."],
        "en",
    ),
    ("electron编译趟坑经验", "dayjs", &["项目体积精简"], "en"),
    ("electron编译趟坑经验", "moment", &["项目体积精简"], "en"),
    ("electron编译趟坑经验", "蓝奏云", &["项目体积精简"], "zh"),
    ("electron编译趟坑经验", "包体积", &["项目体积精简"], "zh"),
    ("electron编译趟坑经验", "js.map", &["项目体积精简"], "en"),
    ("electron编译趟坑经验", "祝好运", &["最后"], "zh"),
    (
        "electron编译趟坑经验",
        "electron rebuild",
        &["可能并不需要 rebuild"],
        "en",
    ),
    ("electron编译趟坑经验", "sqlite3", &["可能并不需要 rebuild"], "en"),
    ("electron编译趟坑经验", "kubernetes", &[], "negative"),
    ("electron编译趟坑经验", "红烧肉做法", &[], "negative"),
    (
        "30分钟搞定个人数据备份",
        "office 365 多少钱",
        &["成本"],
        "question",
    ),
    (
        "30分钟搞定个人数据备份",
        "剪切板同步",
        &["2. 在操作系统中登录账号"],
        "zh",
    ),
    (
        "30分钟搞定个人数据备份",
        "百度网盘",
        &["任务目标与实现原理"],
        "zh",
    ),
    ("30分钟搞定个人数据备份", "dropbox", &["任务目标与实现原理"], "en"),
    (
        "30分钟搞定个人数据备份",
        "onedrive 存储位置",
        &["3. 登录 OneDrive 云盘账号"],
        "mixed",
    ),
    (
        "30分钟搞定个人数据备份",
        "微信聊天记录",
        &["跨设备同步应用程序配置时需要注意的事"],
        "zh",
    ),
    (
        "30分钟搞定个人数据备份",
        "wechat",
        &["跨设备同步应用程序配置时需要注意的事"],
        "en",
    ),
    (
        "30分钟搞定个人数据备份",
        "渐进式还原",
        &["4.2 渐进式数据还原----数据还原期间保持电脑可用的方案"],
        "zh",
    ),
    ("30分钟搞定个人数据备份", "时光机", &["任务目标与实现原理"], "zh"),
    ("30分钟搞定个人数据备份", "忘带电脑", &["预期效果"], "zh"),
    (
        "30分钟搞定个人数据备份",
        "win11 切换账号",
        &["2. 在操作系统中登录账号"],
        "mixed",
    ),
    (
        "30分钟搞定个人数据备份",
        "管理备份",
        &["4.1 多设备保持体验一致的实现方法"],
        "zh",
    ),
    (
        "30分钟搞定个人数据备份",
        "程序本体",
        &["跨设备应用程序同步原理"],
        "zh",
    ),
    (
        "30分钟搞定个人数据备份",
        "金山云盘",
        &["任务目标与实现原理"],
        "zh",
    ),
    ("30分钟搞定个人数据备份", "量子计算", &[], "negative"),
];

/// A path under `../shared` (the team's corpora, not in this repository).
fn shared(path: &str) -> PathBuf {
    let at = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(path);
    assert!(at.exists(), "{} is absent: run where ../shared is", at.display());
    at
}

fn corpus_dir() -> PathBuf {
    shared("corpus/yaozeyuan-blog")
}

/// A labelled set of a fixture file (`set, topic, query, expected, focus` columns, `#`
/// comments), named `name` in messages.
fn tsv_cases<'a>(text: &'a str, name: &str) -> Vec<Case<'a>> {
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        assert!(columns.len() >= 4, "{name}:{}: fewer than 4 columns", n + 1);
        let class = match columns[0] {
            "core" => "core",
            "natural" => "natural",
            "typo" => "typos",
            "neg" => "negatives",
            "stretch" => "paraphrase",
            other => panic!("{name}:{}: unknown set {other}", n + 1),
        };
        cases.push(Case {
            topic: (columns[1] != "*").then_some(columns[1]),
            query: columns[2],
            expected: columns[3]
                .split('|')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .collect(),
            class,
            contains: true,
        });
    }
    cases
}

fn vault_index() -> Index {
    let config = Config::default();
    let loaded = notes_bot::notes::load_dir(&shared("corpus/obsidian-help"), &config.labels());
    Index::build(loaded.library, &config.search_options())
}

/// Runs a labelled set, prints its tables, and fails under the `floors` (class, top-1).
fn evaluate_with_floors(index: &Index, name: &str, cases: &[Case], floors: &[(&str, f64)]) {
    let tally = evaluate(index, name, cases);
    for policy in [Policy::EveryHit, Policy::Tiered] {
        evaluate_tier(index, name, cases, policy);
    }
    for &(class, floor) in floors {
        let share = tally.share("both", class, "all").unwrap_or(0.0);
        assert!(
            share >= floor,
            "{name} {class}: top-1 {share:.2} is under {floor}"
        );
    }
}

/// The team's labelled set over the Obsidian Help vault (`../shared/eval`).
#[test]
#[ignore = "needs ../shared"]
fn labelled_vault_queries() {
    let text = std::fs::read_to_string(shared("eval/obsidian-dev.tsv")).unwrap_or_default();
    let cases = tsv_cases(&text, "obsidian-dev.tsv");
    assert!(cases.len() >= 60, "only {} vault cases", cases.len());
    // Floors under the figures this engine reaches, so a regression fails.
    let floors = [
        ("core", 0.9),
        ("natural", 0.45),
        ("typos", 0.85),
        ("negatives", 0.85),
        ("paraphrase", 0.2),
    ];
    evaluate_with_floors(&vault_index(), "Obsidian Help vault", &cases, &floors);
}

/// A second set over the vault, written by an annotator who did not see the engine
/// (`tests/fixtures/vault-queries.tsv`): 90 queries, most of them natural questions and
/// paraphrases, split into dev and test halves like the others.
#[test]
#[ignore = "needs ../shared"]
fn independent_vault_queries() {
    let text = include_str!("fixtures/vault-queries.tsv");
    // Floors under the figures this engine reaches (both halves: 10/10, 25/40, 9/10,
    // 7/10, 4/20), so a regression fails.
    let floors = [
        ("core", 0.9),
        ("natural", 0.55),
        ("typos", 0.8),
        ("negatives", 0.6),
        ("paraphrase", 0.15),
    ];
    evaluate_annotated(
        &vault_index(),
        text,
        "vault-queries.tsv",
        90,
        "Obsidian Help vault, independent set",
        &floors,
    );
}

/// A third set over the vault, by another annotator who saw neither the engine nor the
/// other sets (`tests/fixtures/vault-queries-3.tsv`): 100 queries, 40 of them natural
/// questions and 20 paraphrases, half English and half Chinese.
#[test]
#[ignore = "needs ../shared"]
fn third_vault_queries() {
    let text = include_str!("fixtures/vault-queries-3.tsv");
    // Floors under the figures this engine reaches (both halves: 15/15, 9/40, 12/12,
    // 7/13, 2/20), so a regression fails.
    let floors = [
        ("core", 0.9),
        ("natural", 0.2),
        ("typos", 0.9),
        ("negatives", 0.45),
        ("paraphrase", 0.05),
    ];
    evaluate_annotated(
        &vault_index(),
        text,
        "vault-queries-3.tsv",
        100,
        "Obsidian Help vault, third set",
        &floors,
    );
}

/// The example config for the Obsidian Help vault (`config/examples/obsidian-help.yaml`):
/// its synonyms were written from the dev halves' misses, so dev must gain; the test
/// halves say whether such a vocabulary carries to other questions (the README's figures).
#[test]
#[ignore = "needs ../shared"]
fn example_vault_config() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/examples/obsidian-help.yaml");
    let config = Config::load(&example, true).unwrap_or_else(|e| panic!("{e}"));
    let sets = [
        (
            std::fs::read_to_string(shared("eval/obsidian-dev.tsv")).unwrap_or_default(),
            "obsidian-dev.tsv",
        ),
        (
            include_str!("fixtures/vault-queries.tsv").to_string(),
            "vault-queries.tsv",
        ),
        (
            include_str!("fixtures/vault-queries-3.tsv").to_string(),
            "vault-queries-3.tsv",
        ),
    ];
    let right = |config: &Config, name: &str| {
        let loaded = notes_bot::notes::load_dir(&shared("corpus/obsidian-help"), &config.labels());
        let index = Index::build(loaded.library, &config.search_options());
        let (mut dev, mut test) = ((0, 0), (0, 0));
        for (text, file) in &sets {
            let tally = evaluate(&index, &format!("{name}, {file}"), &tsv_cases(text, file));
            for (half, sum) in [("dev", &mut dev), ("test", &mut test)] {
                let (r, a) = tally
                    .cells
                    .get(&(half, "all", "all"))
                    .copied()
                    .unwrap_or_default();
                *sum = (sum.0 + r, sum.1 + a);
            }
        }
        (dev, test)
    };
    let (before, after) = (
        right(&Config::default(), "default config"),
        right(&config, "example config"),
    );
    println!(
        "\nThe three vault sets, top-1 right of asked (dev | test): default config {}/{} | {}/{}; example config {}/{} | {}/{}",
        before.0.0, before.0.1, before.1.0, before.1.1, after.0.0, after.0.1, after.1.0, after.1.1
    );
    assert!(
        after.0.0 > before.0.0,
        "the example's synonyms no longer help the questions they were written from"
    );
    assert!(
        after.1.0 >= before.1.0,
        "the example's synonyms now cost questions they were not written from"
    );
}

/// A set over the author's notes and the shipped note by an annotator who read only the
/// notes (`tests/fixtures/corpus-queries.tsv`): 110 queries, 40 of them natural questions
/// and 20 paraphrases, mostly Chinese.
#[test]
#[ignore = "needs ../shared"]
fn blind_author_queries() {
    let notes = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("notes");
    // Floors under the figures this engine reaches (both halves: 20/20, 24/40, 12/15,
    // 12/15, 4/20), so a regression fails.
    let floors = [
        ("core", 0.9),
        ("natural", 0.5),
        ("typos", 0.65),
        ("negatives", 0.7),
        ("paraphrase", 0.15),
    ];
    evaluate_annotated(
        &index_of(&[corpus_dir(), notes]),
        include_str!("fixtures/corpus-queries.tsv"),
        "corpus-queries.tsv",
        110,
        "Author notes, blind set",
        &floors,
    );
}

/// A labelled set of `count` queries from a fixture, run over `index` and held to `floors`.
fn evaluate_annotated(
    index: &Index,
    text: &str,
    file: &str,
    count: usize,
    name: &str,
    floors: &[(&str, f64)],
) {
    let cases = tsv_cases(text, file);
    assert_eq!(cases.len(), count, "{file}");
    evaluate_with_floors(index, name, &cases, floors);
}

#[test]
#[ignore = "needs ../shared"]
fn labelled_corpus_queries() {
    let corpus = corpus_dir();
    let config = Config::default();
    let loaded = notes_bot::notes::load_dir(&corpus, &config.labels());
    let index = Index::build(loaded.library, &config.search_options());
    let tally = evaluate(&index, "blog corpus", &in_repo_cases(CORPUS_CASES));
    for policy in [Policy::EveryHit, Policy::Tiered] {
        let tier = evaluate_tier(&index, "blog corpus", &in_repo_cases(CORPUS_CASES), policy);
        for half in ["dev", "test"] {
            let (empty, asked) = tier.negatives_empty(half).unwrap_or_default();
            assert_eq!(empty, asked, "{half}: a negative query got closest sections");
        }
    }
    for half in ["dev", "test"] {
        let all = tally.share(half, "all", "all").unwrap_or(0.0);
        assert!(all >= 0.90, "{half}: corpus top-1 {all:.2} is under 0.90");
        assert_eq!(
            tally.share(half, "negatives", "all"),
            Some(1.0),
            "{half}: a negative query returned a hit"
        );
    }
}

#[test]
#[ignore = "needs ../shared"]
fn every_corpus_note_can_be_searched() {
    let corpus = corpus_dir();
    let config = Config::default();
    let loaded = notes_bot::notes::load_dir(&corpus, &config.labels());
    let index = Index::build(loaded.library, &config.search_options());
    let long = "长".repeat(5000);
    for query in [
        "小程序",
        "webpack",
        "稳定性 建设",
        "chrome 调试",
        "",
        "   ",
        "\u{0}\u{7}",
        long.as_str(),
        "ＧＰＴ",
    ] {
        let _ = index.search(query, None, 5);
        let _ = index.suggest(query, None, 25);
        let _ = index.did_you_mean(query, None, 5);
    }
    assert!(!index.search("小程序", None, 1).is_empty());
    assert!(!index.search("webpack", None, 1).is_empty());
}

/// A diary's date headings: the query that is exactly one heading answers with it, though
/// `2022 年 9 月 1 日` is also a prefix of the 10th, 11th, … and the 9th's body says more.
/// Asked within one note, where every section says `storage` (so it weighs little there):
/// `much` only asks how much, and `get` frames the question and the note never uses it.
/// Both counted against every section, and the member got no answer and no suggestion.
#[test]
#[ignore = "needs ../shared"]
fn a_light_verb_the_note_never_uses_counts_against_no_section() {
    let index = vault_index();
    let hits = index.search("how much storage do i get", Some("plans-and-storage-limits"), 1);
    let first = hits.first().and_then(|hit| index.library().section(hit.section));
    assert_eq!(
        first.map(|(_, section)| section.title.as_str()),
        Some("Storage limits")
    );
}

#[test]
#[ignore = "needs ../shared"]
fn a_date_heading_answers_with_that_day() {
    let config = Config::default();
    let loaded = notes_bot::notes::load_dir(&corpus_dir(), &config.labels());
    let index = Index::build(loaded.library, &config.search_options());
    // A date however written finds the heading of that day, not a section holding its
    // numbers elsewhere (`2022 年 6 月 26 日` holds a timestamp `1927-12-31 23:54:08`).
    for (topic, query, day) in [
        ("2023-生活相关", "2022 年 9 月 1 日", "2022 年 9 月 1 日"),
        ("2023-生活相关", "2023 年 03 月 22 日", "2023 年 03 月 22 日"),
        ("2022-工作相关", "2022-08-23", "2022 年 8 月 23 日"),
        ("2023-工作相关", "2023年6月16日", "2023-06-16"),
        ("2023-工作相关", "2023-6-16", "2023-06-16"),
        ("2023-工作相关", "6月16日看了什么", "2023-06-16"),
    ] {
        let hits = index.search(query, Some(topic), 3);
        let first = hits.first().and_then(|hit| index.library().section(hit.section));
        let title = first.map(|(_, section)| section.title.as_str());
        assert_eq!(title, Some(day), "{query}: {hits:?}");
    }
}

#[test]
fn focus_on_the_shipped_note() {
    let index = index();
    for (query, first_line) in [
        (
            "rlhf",
            "ChatGPT: 基于人类反馈的强化学习(Reinforcement Learning from Human Feedback, RLHF) 的威力",
        ),
        ("对齐税", "无论是有监督还是 RLHF"),
        ("62B", "两个数字：62B 和 175B"),
        ("chatgpt 劣势", "chatGPT 劣势"),
    ] {
        let hit = &index.search(query, Some("chatgpt"), 1)[0];
        let section = &index.library().notes()[hit.section.note].sections[hit.section.section];
        let lines: Vec<String> = hit
            .focus
            .iter()
            .map(|p| {
                section
                    .points()
                    .at(p)
                    .map(|i| i.plain().to_string())
                    .unwrap_or_default()
            })
            .collect();
        println!("{query} → {} {:?}: {lines:?}", section.title, hit.focus);
        assert!(
            !hit.focus.is_empty() && hit.focus.len() <= 3,
            "{query}: {:?}",
            hit.focus
        );
        assert!(lines[0].starts_with(first_line), "{query}: {lines:?}");
        for (i, a) in hit.focus.iter().enumerate() {
            for b in &hit.focus[i + 1..] {
                assert!(
                    !a.starts_with(b) && !b.starts_with(a),
                    "{query}: nested {:?}",
                    hit.focus
                );
            }
        }
        // Never the whole top-level item when a deeper one matched.
        assert!(
            hit.focus[0].len() >= 2 || query == "chatgpt 劣势",
            "{query}: {:?}",
            hit.focus
        );
    }
    // Only the title matched: nothing to bring forward.
    let hit = &index.search("openai", Some("chatgpt"), 1)[0];
    assert!(hit.focus.is_empty());
}

/// The vault sets' questions asked across languages: English questions over the Chinese
/// half of the vault, Chinese questions over the English half. Each expected section is
/// carried across by its note's `permalink` (the two halves share them) and its place among
/// the note's headings, where both notes have the same headings at the same levels; other
/// cases are left out. Floors under what the engine reaches (English over Chinese notes:
/// core 8/24, negatives 13/14; Chinese over English notes: core 8/24, negatives 13/16), so
/// a question in the other language is not answered wrongly more often than now. A Chinese
/// question asked of the English notes through CC-CEDICT's glosses is a guess: it is
/// offered, never posted, so no public answer of those is wrong; core questions are
/// answered or offered right from 10/24.
#[test]
#[ignore = "needs ../shared"]
fn cross_language_vault_queries() {
    use notes_bot::notes::{Library, Note};
    let config = Config::default();
    let load = |half: &str| {
        let dir = shared(&format!("corpus/obsidian-help/{half}"));
        notes_bot::notes::load_dir(&dir, &config.labels()).library
    };
    let (english, chinese) = (load("en"), load("zh"));
    let twin = |note: &Note, other: &Library| -> Option<std::sync::Arc<Note>> {
        let permalink = note.front.permalink.as_deref()?;
        let twin = (other.notes().iter()).find(|n| n.front.permalink.as_deref() == Some(permalink))?;
        let levels = |n: &Note| n.sections.iter().map(|s| s.level).collect::<Vec<_>>();
        (levels(note) == levels(twin)).then(|| twin.clone())
    };
    let dev_set = std::fs::read_to_string(shared("eval/obsidian-dev.tsv")).unwrap_or_default();
    let sets = [
        (dev_set.as_str(), "obsidian-dev.tsv"),
        (include_str!("fixtures/vault-queries.tsv"), "vault-queries.tsv"),
        (
            include_str!("fixtures/vault-queries-3.tsv"),
            "vault-queries-3.tsv",
        ),
    ];
    let cases: Vec<Case> = sets
        .iter()
        .flat_map(|(text, name)| tsv_cases(text, name))
        .collect();
    let english_floors: &[(&str, f64)] = &[("core", 0.3), ("negatives", 0.9)];
    let chinese_floors: &[(&str, f64)] = &[("core", 0.25), ("negatives", 0.8)];
    for (asked, source, target, name, floors) in [
        (
            "en",
            &english,
            &chinese,
            "Vault across languages: English questions, Chinese notes",
            english_floors,
        ),
        (
            "zh",
            &chinese,
            &english,
            "Vault across languages: Chinese questions, English notes",
            chinese_floors,
        ),
    ] {
        // Expected titles carried across, owned here for the cases to borrow.
        let mut carried: Vec<(&Case, Vec<String>)> = Vec::new();
        let mut left_out = 0;
        for case in cases.iter().filter(|c| language(c.query) == asked) {
            let mut titles = Vec::new();
            for note in source.notes() {
                for (i, section) in note.sections.iter().enumerate() {
                    let key = title_key(&section.title);
                    if case.expected.iter().any(|e| key == title_key(e))
                        && let Some(twin) = twin(note, target)
                    {
                        titles.push(twin.sections[i].title.clone());
                    }
                }
            }
            if case.expected.is_empty() || !titles.is_empty() {
                carried.push((case, titles));
            } else {
                left_out += 1;
            }
        }
        let across: Vec<Case> = (carried.iter())
            .map(|(case, titles)| Case {
                topic: None,
                query: case.query,
                expected: titles.iter().map(String::as_str).collect(),
                class: case.class,
                contains: false,
            })
            .collect();
        println!(
            "\n{name}: {} cases, {left_out} left out (no twin section)",
            across.len()
        );
        let index = Index::build(target.clone(), &config.search_options());
        let tally = evaluate(&index, name, &across);
        let tiers = evaluate_tier(&index, name, &across, Policy::Tiered);
        if asked == "zh" {
            let wrong = tiers.posted_wrong("dev") + tiers.posted_wrong("test");
            assert_eq!(
                wrong, 0,
                "{name}: {wrong} glossed questions answered wrongly in public"
            );
            let core = tiers.reached_share("core");
            assert!(
                core >= 0.3,
                "{name}: core answered or offered {core:.2}, under 0.3"
            );
        }
        for &(class, floor) in floors {
            let share = tally.share("both", class, "all").unwrap_or(0.0);
            assert!(
                share >= floor,
                "{name} {class}: top-1 {share:.2} is under {floor}"
            );
        }
    }
}
