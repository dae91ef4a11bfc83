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
    let config = Config::default();
    let mut library = notes_bot::notes::Library::default();
    for dir in ["notes", "tests/fixtures/search"] {
        let loaded = notes_bot::notes::load_dir(&root.join(dir), &config.labels());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        library.notes.extend(loaded.library.notes);
    }
    Index::build(library, &config.search_options())
}

#[test]
fn labelled_queries() {
    let index = index();
    let (accuracy, silent, negatives) = run_cases(&index, CASES);
    assert!(CASES.len() >= 60);
    assert!(
        accuracy >= 0.95,
        "top-1 accuracy {:.1}% is under 95%",
        accuracy * 100.0
    );
    assert_eq!(silent, negatives, "a negative query returned a hit");
}

/// Runs labelled cases and prints the table; returns (top-1 accuracy over the positive
/// cases, negatives with no hit, negatives).
fn run_cases(index: &Index, cases: &[(&str, &str, &[&str], &str)]) -> (f64, usize, usize) {
    let mut rows = Vec::new();
    let (mut positives, mut correct, mut negatives, mut silent) = (0, 0, 0, 0);
    for &(topic, query, expected, kind) in cases {
        let hits = index.search(query, Some(topic), 1);
        let got = hits.first().map(|hit| {
            let note = &index.library().notes[hit.section.note];
            note.sections[hit.section.section].title.clone()
        });
        let ok = match (expected.is_empty(), &got) {
            (true, None) => true,
            (true, Some(_)) => false,
            (false, Some(title)) => expected.contains(&title.as_str()),
            (false, None) => false,
        };
        if expected.is_empty() {
            negatives += 1;
            silent += usize::from(ok);
        } else {
            positives += 1;
            correct += usize::from(ok);
        }
        let want = if expected.is_empty() {
            "—".to_string()
        } else {
            expected.join(" / ")
        };
        rows.push(format!(
            "| {} | {topic} | {query} | {kind} | {want} | {} |",
            if ok { "ok" } else { "MISS" },
            got.as_deref().unwrap_or("—")
        ));
    }
    println!("| | topic | query | kind | expected | top 1 |\n|---|---|---|---|---|---|");
    println!("{}", rows.join("\n"));
    let accuracy = correct as f64 / positives.max(1) as f64;
    println!(
        "\ntop-1 accuracy: {correct}/{positives} = {:.1}%; negatives with no hit: {silent}/{negatives}\n",
        accuracy * 100.0
    );
    (accuracy, silent, negatives)
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

fn corpus_dir() -> Option<PathBuf> {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/yaozeyuan-blog");
    if corpus.is_dir() {
        Some(corpus)
    } else {
        eprintln!(
            "skipped: {} is absent (only the team's machines have it)",
            corpus.display()
        );
        None
    }
}

#[test]
fn labelled_corpus_queries() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let config = Config::default();
    let loaded = notes_bot::notes::load_dir(&corpus, &config.labels());
    let index = Index::build(loaded.library, &config.search_options());
    let (accuracy, silent, negatives) = run_cases(&index, CORPUS_CASES);
    assert!(
        accuracy >= 0.90,
        "corpus top-1 accuracy {:.1}% is under 90%",
        accuracy * 100.0
    );
    assert_eq!(silent, negatives, "a negative query returned a hit");
}

#[test]
fn every_corpus_note_can_be_searched() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
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

/// The item at `path` in a section's points.
fn item_at<'a>(points: &'a [notes_bot::notes::Item], path: &[usize]) -> Option<&'a notes_bot::notes::Item> {
    let (first, rest) = path.split_first()?;
    let mut item = points.get(*first)?;
    for &i in rest {
        item = item.children.get(i)?;
    }
    Some(item)
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
        let section = &index.library().notes[hit.section.note].sections[hit.section.section];
        let lines: Vec<String> = hit
            .focus
            .iter()
            .map(|p| {
                item_at(&section.points, p)
                    .map(|i| i.text.plain.clone())
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
