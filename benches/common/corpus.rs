//! A deterministic generator of realistic notes (mixed Chinese and English, nested bullet
//! trees, linked article headings) and of queries over them. Shared by the benches.

#![allow(dead_code)]

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub const CHINESE: &[&str] = &[
    "模型",
    "训练",
    "数据",
    "推理",
    "能力",
    "参数",
    "知识",
    "语言",
    "对齐",
    "微调",
    "指令",
    "代码",
    "思维链",
    "涌现",
    "强化学习",
    "人类反馈",
    "预训练",
    "上下文",
    "泛化",
    "成本",
    "部署",
    "搜索",
    "检索",
    "向量",
    "索引",
    "缓存",
    "延迟",
    "吞吐",
    "分布式",
    "稳定性",
    "监控",
    "告警",
    "容灾",
    "备份",
    "前端",
    "后端",
    "接口",
    "性能",
    "内存",
    "并发",
    "异步",
    "线程",
    "协程",
    "编译",
    "打包",
    "测试",
    "发布",
    "回滚",
    "日志",
    "指标",
    "链路",
    "追踪",
    "架构",
    "设计",
    "权衡",
    "一致性",
    "可用性",
    "分区",
    "事务",
    "锁",
    "队列",
    "消息",
    "流量",
    "限流",
    "降级",
    "熔断",
    "安全",
    "权限",
    "认证",
    "加密",
    "签名",
    "证书",
    "网络",
    "协议",
    "浏览器",
    "渲染",
    "组件",
    "状态",
    "路由",
    "小程序",
    "框架",
    "生态",
    "社区",
    "开源",
    "文档",
    "规范",
    "评审",
    "重构",
    "技术债",
    "效率",
    "体验",
    "产品",
    "用户",
    "需求",
    "迭代",
];

pub const ENGLISH: &[&str] = &[
    "transformer",
    "attention",
    "embedding",
    "tokenizer",
    "gradient",
    "optimizer",
    "benchmark",
    "latency",
    "throughput",
    "kubernetes",
    "docker",
    "container",
    "rust",
    "tokio",
    "async",
    "runtime",
    "webpack",
    "react",
    "reconciler",
    "compiler",
    "linker",
    "cache",
    "index",
    "query",
    "database",
    "postgres",
    "redis",
    "kafka",
    "consensus",
    "raft",
    "paxos",
    "sharding",
    "replica",
    "snapshot",
    "checkpoint",
    "prompt",
    "completion",
    "alignment",
    "rlhf",
    "chain-of-thought",
    "in-context",
    "gpt-3.5",
    "code-davinci-002",
    "llama",
    "bert",
    "pipeline",
    "scheduler",
    "allocator",
    "profiler",
    "flamegraph",
    "tracing",
    "metrics",
    "prometheus",
    "grafana",
    "electron",
    "chromium",
    "websocket",
    "http2",
    "quic",
    "tls",
    "oauth",
    "jwt",
    "serde",
    "yaml",
];

/// The words notes are made of.
pub enum Words {
    /// The small lists above: every term is common.
    Small,
    /// 200,000 made-up English words and 50,000 Chinese ones (two or three of 3,000
    /// characters), each drawn with Zipf's law (the `k`th most common `1/k` as often): a
    /// vocabulary as large as real text's, over a million distinct terms at 100k sections.
    Wide {
        english: Vec<String>,
        chinese: Vec<String>,
        /// Zipf's cumulative weights, for either list.
        english_cdf: Vec<f64>,
        chinese_cdf: Vec<f64>,
    },
}

impl Words {
    pub fn wide(seed: u64) -> Words {
        let mut rng = Rng::new(seed);
        let english: Vec<String> = (0..200_000)
            .map(|_| {
                (0..3 + rng.below(8))
                    .map(|_| char::from(b'a' + rng.below(26) as u8))
                    .collect()
            })
            .collect();
        let characters: Vec<char> = (0..3_000)
            .filter_map(|_| char::from_u32(0x4e00 + rng.below(0x5000) as u32))
            .collect();
        let chinese: Vec<String> = (0..50_000)
            .map(|_| {
                (0..2 + rng.below(3) / 2)
                    .map(|_| characters[rng.below(characters.len())])
                    .collect()
            })
            .collect();
        let zipf = |n: usize| -> Vec<f64> {
            (1..=n)
                .scan(0.0, |sum, k| {
                    *sum += 1.0 / k as f64;
                    Some(*sum)
                })
                .collect()
        };
        Words::Wide {
            english_cdf: zipf(english.len()),
            chinese_cdf: zipf(chinese.len()),
            english,
            chinese,
        }
    }

    fn pick<'w>(&'w self, rng: &mut Rng, english: bool) -> &'w str {
        match self {
            Words::Small => rng.pick(if english { ENGLISH } else { CHINESE }),
            Words::Wide {
                english: e,
                chinese: c,
                english_cdf,
                chinese_cdf,
            } => {
                let (words, cdf) = if english {
                    (e, english_cdf)
                } else {
                    (c, chinese_cdf)
                };
                let total = cdf.last().copied().unwrap_or(0.0);
                let at = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
                let k = cdf.partition_point(|&w| w < at).min(words.len() - 1);
                &words[k]
            }
        }
    }
}

/// `min` to `min + spread - 1` words.
fn phrase(rng: &mut Rng, words: &Words, min: usize, spread: usize) -> String {
    let count = min + rng.below(spread);
    let mut out = String::new();
    for i in 0..count {
        if rng.below(3) == 0 {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(words.pick(rng, true));
            out.push(' ');
        } else {
            out.push_str(words.pick(rng, false));
        }
    }
    out.trim().to_string()
}

/// Notes holding `sections` linked sections in all, about `per_note` to a note.
/// Returns (file name, markdown) pairs.
pub fn notes(sections: usize, per_note: usize, seed: u64) -> Vec<(String, String)> {
    notes_of(&Words::Small, sections, per_note, seed)
}

/// [`notes`] made of `words`.
pub fn notes_of(words: &Words, sections: usize, per_note: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let mut notes = Vec::new();
    let mut made = 0;
    let mut n = 0;
    while made < sections {
        let count = per_note.min(sections - made);
        let mut text = format!(
            "---\ntitle: 生成的笔记 {n} {}\ntags: [bench, {}]\ndate: 2024-01-01\n---\n\n",
            words.pick(&mut rng, true),
            words.pick(&mut rng, false)
        );
        for s in 0..count {
            if s % 8 == 0 {
                text.push_str(&format!("# {}\n\n", phrase(&mut rng, words, 2, 1)));
            }
            let title = phrase(&mut rng, words, 3, 4);
            text.push_str(&format!(
                "## [{title}](https://example.com/{n}/{s})\n\n- 核心观点\n"
            ));
            for _ in 0..(2 + rng.below(5)) {
                text.push_str(&format!("  - {}\n", phrase(&mut rng, words, 4, 10)));
                for _ in 0..rng.below(3) {
                    text.push_str(&format!("    - {}\n", phrase(&mut rng, words, 3, 10)));
                    if rng.below(4) == 0 {
                        text.push_str(&format!("      - {}\n", phrase(&mut rng, words, 3, 6)));
                    }
                }
            }
            text.push('\n');
        }
        notes.push((format!("note-{n:05}.md"), text));
        made += count;
        n += 1;
    }
    notes
}

/// A fixed mixed query set: words and pairs from the vocabulary, typos, questions, misses.
pub fn queries(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| match i % 8 {
            0 => rng.pick(ENGLISH).to_string(),
            1 => rng.pick(CHINESE).to_string(),
            2 => format!("{} {}", rng.pick(CHINESE), rng.pick(ENGLISH)),
            3 => format!("{}是什么", rng.pick(CHINESE)),
            4 => format!("what is {}", rng.pick(ENGLISH)),
            5 => typo(rng.pick(ENGLISH), &mut rng),
            6 => format!("{}{} {}", rng.pick(CHINESE), rng.pick(CHINESE), rng.pick(CHINESE)),
            _ => ["pizza recipe", "天气预报", "量子计算", "football scores"][rng.below(4)].to_string(),
        })
        .collect()
}

/// Prefixes as typed into autocomplete.
pub fn prefixes(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let word = if i % 2 == 0 {
                rng.pick(ENGLISH)
            } else {
                rng.pick(CHINESE)
            };
            let chars: Vec<char> = word.chars().collect();
            chars[..1 + rng.below(chars.len())].iter().collect()
        })
        .collect()
}

fn typo(word: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() > 3 {
        let at = 1 + rng.below(chars.len() - 2);
        chars.swap(at, at + 1);
    }
    chars.into_iter().collect()
}

/// The folder of the generated corpus of `sections` sections (50 a note), written under the
/// system's temporary folder on first use and kept for the next runs; every bench that
/// measures a generated corpus reads the same one.
pub fn generated_dir(sections: usize) -> std::path::PathBuf {
    generated(sections, 50, "", &Words::Small)
}

/// [`generated_dir`] with `per_note` sections to a file (1: a file for each section).
pub fn generated_per_note_dir(sections: usize, per_note: usize) -> std::path::PathBuf {
    generated(
        sections,
        per_note,
        &format!("-per-note-{per_note}"),
        &Words::Small,
    )
}

/// [`generated_dir`] of the [`Words::wide`] vocabulary.
pub fn generated_wide_dir(sections: usize) -> std::path::PathBuf {
    generated(sections, 50, "-wide", &Words::wide(7))
}

fn generated(sections: usize, per_note: usize, kind: &str, words: &Words) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("notes-bot-bench-{sections}{kind}"));
    if !dir.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        for (name, text) in notes_of(words, sections, per_note, sections as u64) {
            let _ = std::fs::write(dir.join(name), text);
        }
        let _ = std::fs::write(dir.join(".complete"), "");
    }
    dir
}
