//! Text analysis shared by documents and queries: normalisation, segmentation, synonyms,
//! stems and CJK bigrams. Both sides go through the same steps so they meet.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

/// NFKC (full-width → half-width), lowercase, traditional → simplified Chinese.
pub fn normalize(text: &str) -> String {
    // Most text is already NFKC: the quick check spares the full pass.
    let folded: String = match unicode_normalization::is_nfkc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => text.chars().flat_map(char::to_lowercase).collect(),
        _ => text.nfkc().flat_map(char::to_lowercase).collect(),
    };
    if folded.chars().any(is_cjk) {
        fast2s::convert(&folded)
    } else {
        folded
    }
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff      // kana
        | 0x3400..=0x4dbf    // CJK extension A
        | 0x4e00..=0x9fff    // CJK unified
        | 0xac00..=0xd7af    // hangul
        | 0xf900..=0xfaff    // compatibility ideographs
        | 0x20000..=0x2ffff) // extensions B+
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Characters that join word parts: `gpt-3.5`, `code-davinci-002`, `snake_case`.
fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '.' | '_' | '\'' | '’')
}

/// A stretch of the text.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// A Latin (non-CJK) word, with the parts its joiners separate.
    Word { parts: Vec<String> },
    /// A run of CJK characters.
    Cjk(Vec<char>),
    /// A synonym group, by index.
    Synonym(usize),
}

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
    "可以吗",
    "可以",
    "能否",
    "是否",
    "可否",
    "一下",
    "我想",
    "想要",
    "吗",
    "呢",
    "吧",
    "呀",
    "嘛",
];
/// English function words (pronouns, auxiliaries, articles, conjunctions, prepositions)
/// and the words of question frames; negations and particles of phrasal verbs (`off`,
/// `out`, `not`) are content and stay.
const LATIN_STOP: &[&str] = &[
    "what",
    "whats",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "the",
    "a",
    "an",
    "of",
    "how",
    "why",
    "does",
    "do",
    "did",
    "doing",
    "done",
    "have",
    "has",
    "had",
    "having",
    "to",
    "for",
    "on",
    "in",
    "at",
    "by",
    "from",
    "as",
    "and",
    "or",
    "but",
    "with",
    "about",
    "into",
    "onto",
    "than",
    "then",
    "tell",
    "me",
    "explain",
    "which",
    "who",
    "whom",
    "whose",
    "can",
    "could",
    "should",
    "would",
    "will",
    "shall",
    "may",
    "might",
    "must",
    "i",
    "my",
    "mine",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "he",
    "him",
    "his",
    "she",
    "her",
    "they",
    "them",
    "their",
    "it",
    "its",
    "itself",
    "themselves",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "when",
    "where",
    "please",
    "s",
    "t",
    "up",
    "so",
    "if",
    "any",
    "some",
    "just",
    "also",
    "very",
    "too",
    "dont",
    "doesnt",
    "didnt",
    "isnt",
    "arent",
    "wasnt",
    "cant",
    "couldnt",
    "wont",
    "wouldnt",
    "shouldnt",
    "im",
    "ive",
    "id",
];

/// Single characters that carry no content when they stand alone in a query.
const CJK_STOP: &[char] = &[
    '的', '了', '和', '与', '是', '在', '及', '或', '把', '被', '吗', '呢', '吧', '啊', '有', '我', '你',
    '要', '用', '个', '这', '那', '就', '也', '都', '还', '能', '会', '对', '从', '给',
];

pub struct Analyzer {
    synonyms: Option<AhoCorasick>,
    /// Pattern index → synonym group.
    pattern_group: Vec<usize>,
    /// Whether a pattern is ASCII (then it must sit on word boundaries).
    pattern_ascii: Vec<bool>,
    stemmer: Stemmer,
}

impl Analyzer {
    pub fn new(groups: &[Vec<String>]) -> Analyzer {
        let mut patterns = Vec::new();
        let mut pattern_group = Vec::new();
        let mut pattern_ascii = Vec::new();
        for (group, spellings) in groups.iter().enumerate() {
            for spelling in spellings {
                let normalized = normalize(spelling.trim());
                if !normalized.is_empty() {
                    pattern_ascii.push(normalized.is_ascii());
                    patterns.push(normalized);
                    pattern_group.push(group);
                }
            }
        }
        let synonyms = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Analyzer {
            synonyms,
            pattern_group,
            pattern_ascii,
            stemmer: Stemmer::create(Algorithm::English),
        }
    }

    /// Splits normalised text into pieces, synonyms first.
    pub fn pieces(&self, normalized: &str) -> Vec<Piece> {
        let mut pieces = Vec::new();
        let mut last = 0;
        if let Some(synonyms) = &self.synonyms {
            for found in synonyms.find_iter(normalized) {
                let pattern = found.pattern().as_usize();
                let ascii = self.pattern_ascii.get(pattern).copied().unwrap_or(false);
                let before = normalized[..found.start()].chars().next_back();
                let after = normalized[found.end()..].chars().next();
                if ascii && (before.is_some_and(is_word) || after.is_some_and(is_word)) {
                    continue;
                }
                split_plain(&normalized[last..found.start()], &mut pieces);
                if let Some(&group) = self.pattern_group.get(pattern) {
                    pieces.push(Piece::Synonym(group));
                }
                last = found.end();
            }
        }
        split_plain(&normalized[last..], &mut pieces);
        pieces
    }

    pub fn stem(&self, part: &str) -> String {
        if part.len() >= 3 && part.chars().all(|c| c.is_alphabetic()) {
            self.stemmer.stem(part).into_owned()
        } else {
            part.to_string()
        }
    }

    /// Every index term of a text, with repetition (for term frequencies). Synonym spans
    /// also keep their own words, so a partial phrase still finds them.
    pub fn terms(&self, text: &str, terms: &mut Vec<String>, surfaces: &mut Vec<String>) {
        let normalized = normalize(text);
        for piece in self.pieces(&normalized) {
            self.piece_terms(&piece, terms, surfaces);
        }
        if let Some(synonyms) = &self.synonyms {
            // The words inside synonym spans.
            for found in synonyms.find_iter(&normalized) {
                let mut inner = Vec::new();
                split_plain(&normalized[found.start()..found.end()], &mut inner);
                for piece in &inner {
                    self.piece_terms(piece, terms, surfaces);
                }
            }
        }
    }

    fn piece_terms(&self, piece: &Piece, terms: &mut Vec<String>, surfaces: &mut Vec<String>) {
        match piece {
            Piece::Synonym(group) => terms.push(synonym_term(*group)),
            Piece::Word { parts } => {
                for part in parts {
                    terms.push(self.stem(part));
                    surfaces.push(part.clone());
                    // `gpt3` and `t5` also give `gpt`, `3`, `t`, `5`: `gpt 3` finds them.
                    let runs = alnum_runs(part);
                    if runs.len() > 1 {
                        terms.extend(runs.into_iter().map(str::to_string));
                    }
                }
                // Joined forms, every prefix of two or more parts: `gpt-3.5` also gives
                // `gpt3` and `gpt35`, so `GPT3` and `gpt35` find it.
                let mut joined = parts.first().cloned().unwrap_or_default();
                for part in parts.iter().skip(1) {
                    joined.push_str(part);
                    surfaces.push(joined.clone());
                    terms.push(joined.clone());
                }
            }
            Piece::Cjk(chars) => push_bigrams(chars, terms),
        }
    }
}

pub fn synonym_term(group: usize) -> String {
    format!("\u{1}syn{group}")
}

pub fn bigrams(chars: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    push_bigrams(chars, &mut out);
    out
}

fn push_bigrams(chars: &[char], out: &mut Vec<String>) {
    if chars.len() == 1 {
        out.push(chars[0].to_string());
    }
    for pair in chars.windows(2) {
        out.push(pair.iter().collect());
    }
}

/// The letter and digit runs of a word: `gpt35` → `gpt`, `35`.
pub fn alnum_runs(word: &str) -> Vec<&str> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut digits: Option<bool> = None;
    for (at, c) in word.char_indices() {
        let digit = c.is_ascii_digit();
        if digits.is_some_and(|d| d != digit) {
            runs.push(&word[start..at]);
            start = at;
        }
        digits = Some(digit);
    }
    if start < word.len() {
        runs.push(&word[start..]);
    }
    runs
}

/// Segments text without synonyms into words and CJK runs.
fn split_plain(text: &str, pieces: &mut Vec<Piece>) {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            pieces.push(Piece::Cjk(chars[start..i].to_vec()));
        } else if is_word(c) {
            let mut parts = vec![String::new()];
            while i < chars.len() {
                let c = chars[i];
                if is_word(c) {
                    if let Some(part) = parts.last_mut() {
                        part.push(c);
                    }
                    i += 1;
                } else if is_joiner(c) && chars.get(i + 1).is_some_and(|&n| is_word(n)) {
                    match clitic(&chars[i..]) {
                        // `don't` is one word (`dont`), so `won't` never reads as `won`;
                        // `obsidian's`, `you're` are their first word.
                        Some(('t', length)) => {
                            if let Some(part) = parts.last_mut() {
                                part.push('t');
                            }
                            i += length;
                        }
                        Some((_, length)) => i += length,
                        None => {
                            parts.push(String::new());
                            i += 1;
                        }
                    }
                } else {
                    break;
                }
            }
            parts.retain(|p| !p.is_empty());
            if parts.len() > 8 {
                parts.truncate(8);
            }
            pieces.push(Piece::Word { parts });
        } else {
            i += 1;
        }
    }
}

/// An English clitic at `rest` (an apostrophe, then `t`, `s`, `re`, `ll`, `ve`, `d` or
/// `m` ending the word): its first letter and its length with the apostrophe.
fn clitic(rest: &[char]) -> Option<(char, usize)> {
    if !matches!(rest.first(), Some('\'' | '’')) {
        return None;
    }
    let word: String = rest[1..].iter().take_while(|&&c| is_word(c)).collect();
    let ends = !rest.get(1 + word.chars().count()).is_some_and(|&c| is_joiner(c));
    let known = matches!(word.as_str(), "t" | "s" | "re" | "ll" | "ve" | "d" | "m");
    (ends && known).then(|| (word.chars().next().unwrap_or('t'), 1 + word.chars().count()))
}

/// Removes question words from a normalised query, keeping content. Falls back to the
/// whole query when nothing else is left.
pub fn strip_question(normalized: &str) -> String {
    // Longest first, sorted once.
    static FRAMES: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
        let mut frames = CJK_NOISE.to_vec();
        frames.sort_by_key(|frame| std::cmp::Reverse(frame.chars().count()));
        frames
    });
    let mut text = normalized.to_string();
    for &noise in FRAMES.iter() {
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

/// Whether a CJK character is a particle or filler when it stands alone.
pub fn is_cjk_stop(c: char) -> bool {
    CJK_STOP.contains(&c)
}

/// Whether a Latin word is a question or filler word.
pub fn is_stop_str(word: &str) -> bool {
    LATIN_STOP.contains(&word)
}

/// Whether a piece is a question or filler word (`what`, `is`, `the`, `的`…).
pub fn is_stop_word(piece: &Piece) -> bool {
    match piece {
        Piece::Word { parts } => parts.len() == 1 && LATIN_STOP.contains(&parts[0].as_str()),
        Piece::Cjk(chars) => chars.len() == 1 && CJK_STOP.contains(&chars[0]),
        Piece::Synonym(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> Analyzer {
        Analyzer::new(&[
            vec!["rlhf".into(), "基于人类反馈的强化学习".into()],
            vec!["chain of thought".into(), "思维链".into()],
        ])
    }

    #[test]
    fn normalises_width_case_and_script() {
        assert_eq!(normalize("ＲＬＨＦ"), "rlhf");
        assert_eq!(normalize("思維鏈"), "思维链");
        assert_eq!(normalize("GPT-3.5"), "gpt-3.5");
    }

    #[test]
    fn words_keep_joined_forms() {
        let mut terms = Vec::new();
        let mut surfaces = Vec::new();
        analyzer().terms("code-davinci-002 GPT-3.5 transformers", &mut terms, &mut surfaces);
        for want in [
            "code",
            "davinci",
            "002",
            "codedavinci",
            "codedavinci002",
            "gpt",
            "3",
            "5",
            "gpt3",
            "gpt35",
            "transform",
        ] {
            assert!(terms.contains(&want.to_string()), "{want} missing from {terms:?}");
        }
        assert!(surfaces.contains(&"transformers".to_string()));
    }

    #[test]
    fn cjk_becomes_bigrams_and_synonyms_meet() {
        let a = analyzer();
        let mut terms = Vec::new();
        a.terms("基于人类反馈的强化学习(RLHF)", &mut terms, &mut Vec::new());
        assert!(terms.contains(&synonym_term(0)));
        assert!(terms.contains(&"人类".to_string()) && terms.contains(&"反馈".to_string()));
        assert_eq!(a.pieces("rlhf"), vec![Piece::Synonym(0)]);
        assert_eq!(a.pieces("chain of thought"), vec![Piece::Synonym(1)]);
        // ASCII synonyms need word boundaries.
        assert!(!a.pieces("rlhfx").contains(&Piece::Synonym(0)));
    }

    #[test]
    fn clitics_join_or_drop() {
        let a = analyzer();
        let words = |text: &str| -> Vec<Piece> { a.pieces(text) };
        let word = |w: &str| Piece::Word {
            parts: vec![w.to_string()],
        };
        // `won't` is not `won`; `obsidian's` is `obsidian`.
        assert_eq!(words("won't"), vec![word("wont")]);
        assert_eq!(words("obsidian's vault"), vec![word("obsidian"), word("vault")]);
        assert_eq!(words("you’re"), vec![word("you")]);
        assert!(is_stop_word(&words("don't")[0]));
        // Other joined words keep their parts.
        assert_eq!(
            words("rock'n'roll"),
            vec![Piece::Word {
                parts: vec!["rock".into(), "n".into(), "roll".into()]
            }]
        );
    }

    #[test]
    fn question_frames_are_stripped() {
        assert_eq!(strip_question("附件默认放在哪"), "附件默认");
        assert_eq!(strip_question("插件从哪来"), "插件");
        assert_eq!(strip_question("删掉会怎样"), "删掉");
        assert_eq!(strip_question("哪个版本可以用"), "版本 用");
        let a = analyzer();
        let content: Vec<Piece> = a
            .pieces("how can i move my notes into a vault")
            .into_iter()
            .filter(|p| !is_stop_word(p))
            .collect();
        assert_eq!(content.len(), 3, "{content:?}");
    }

    #[test]
    fn question_words_are_stripped() {
        assert_eq!(strip_question("rlhf是什么"), "rlhf");
        assert_eq!(strip_question("what is rlhf?"), "what is rlhf");
        assert_eq!(strip_question("什么是思维链"), "思维链");
        assert!(!strip_question("是什么").trim().is_empty());
        let a = analyzer();
        let pieces = a.pieces("what is chain of thought");
        let content: Vec<&Piece> = pieces.iter().filter(|p| !is_stop_word(p)).collect();
        assert_eq!(content, vec![&Piece::Synonym(1)]);
    }
}
