//! Text analysis shared by documents and queries: normalisation, segmentation, synonyms,
//! stems and CJK bigrams. Both sides go through the same steps so they meet.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

use super::related::Related;

/// NFKC (full-width → half-width), lowercase, traditional → simplified Chinese.
pub fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

/// [`normalize`] into a buffer.
fn normalize_into(text: &str, out: &mut String) {
    lowercase_simplified_into(text, out);
    if let Some(alike) = super::dates::written_alike(out) {
        *out = alike;
    }
}

/// NFKC, lowercase, traditional → simplified Chinese.
fn lowercase_simplified_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
        return;
    }
    // One pass lowercases, copying runs of ASCII and CJK ideographs whole (they have no
    // case), and notes what the rare later steps need: a character that may not be NFKC
    // (ASCII and CJK ideographs are NFKC and start no combination), a traditional Chinese one.
    let (mut run, mut unsure, mut traditional) = (0, false, false);
    let simplified = super::simplified::table();
    for (at, c) in text.char_indices() {
        if c.is_ascii() {
            continue;
        }
        if is_stable_cjk(c) {
            traditional |= simplified.changes(c);
            continue;
        }
        unsure = true;
        push_ascii_lowercase(out, &text[run..at]);
        for lower in c.to_lowercase() {
            traditional |= simplified.changes(lower);
            out.push(lower);
        }
        run = at + c.len_utf8();
    }
    push_ascii_lowercase(out, &text[run..]);
    // Most text is already NFKC: the quick check spares the full pass. It may pass over
    // ASCII and CJK ideographs (leaving them out can only turn a "yes" into a "no").
    if unsure
        && unicode_normalization::is_nfkc_quick(text.chars().filter(|&c| !(c.is_ascii() || is_stable_cjk(c))))
            != unicode_normalization::IsNormalized::Yes
    {
        out.clear();
        text.nfkc().for_each(|c| push_lowercase(out, c));
        traditional = out.chars().any(|c| simplified.changes(c));
    }
    if traditional {
        *out = simplified.convert(out);
    }
}

fn push_ascii_lowercase(out: &mut String, text: &str) {
    let start = out.len();
    out.push_str(text);
    out[start..].make_ascii_lowercase();
}

/// `c` lowercased; ASCII and CJK (which has no case) without the Unicode tables.
fn push_lowercase(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if is_cjk(c) {
        out.push(c);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// CJK unified ideographs (and extension A) and hangul syllables: NFKC as they are.
fn is_stable_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7a3)
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
    /// A synonym group, by index, and the spelling the text wrote (normalised).
    Synonym { group: usize, written: String },
    /// Words that have related terms together (`get rid of`, `turn on`), joined by spaces;
    /// queries only.
    Phrase(String),
}

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
    // Filler of questions typed in chat.
    "ok",
    "okay",
    "possible",
    "able",
    "way",
    "want",
    "wanna",
    "need",
    "anyone",
    "everyone",
    "everybody",
    "everything",
    "someone",
    "somebody",
    "something",
    "anything",
    "somewhere",
    "anywhere",
    "everywhere",
    "somehow",
    "really",
    "actually",
    "even",
    "again",
    // Determiners, adverbs and prepositions of chat (`all my apple notes`, `one by one`,
    // `takes like 20 seconds`, `still doesn't`); not `now`, a function of Bases (`now()`).
    "all",
    "each",
    "every",
    "both",
    "such",
    "still",
    "yet",
    "like",
    "without",
    "one",
    "ones",
    "bunch",
    "lot",
    "lots",
    "much",
    "many",
    // `what happens when/if …`: the frame, not the subject.
    "happen",
    "happens",
    "happened",
];

/// Single characters that carry no content when they stand alone in a query.
const CJK_STOP: &[char] = &[
    '的', '了', '和', '与', '是', '在', '及', '或', '把', '被', '吗', '呢', '吧', '啊', '有', '我', '你',
    '要', '用', '个', '这', '那', '就', '也', '都', '还', '能', '会', '对', '从', '给',
];

pub struct Analyzer {
    synonyms: Option<AhoCorasick>,
    /// What query words may stand for in the notes; read at query time only.
    pub related: Related,
    /// Pattern index → synonym group.
    pattern_group: Vec<usize>,
    /// The normalised spellings, by pattern index: what a synonym unit is called when a
    /// search is explained.
    patterns: Vec<String>,
    /// The stem of each one-word spelling of the deployment's related groups → the
    /// spelling, so an inflected form finds its group (`stopped` → `stop`).
    own_stems: rustc_hash::FxHashMap<String, String>,
    /// Whether a pattern is ASCII (then it must sit on word boundaries).
    pattern_ascii: Vec<bool>,
    stemmer: Stemmer,
}

/// Receives the index terms of a text, in order and with repetition (for term
/// frequencies), and the surface words they come from (for typo look-ups).
pub trait TermSink {
    fn term(&mut self, term: &str);
    fn surface(&mut self, word: &str);
}

/// A synonym's span in normalised text.
#[derive(Clone, Copy)]
struct SynonymSpan {
    start: usize,
    end: usize,
    /// Whether it stands as a synonym (an ASCII one needs word boundaries); its words are
    /// indexed either way.
    stands: bool,
    group: Option<usize>,
}

/// Buffers an analysis reuses from one text to the next, one set per thread: analysis
/// allocates nothing per term.
#[derive(Default)]
struct Scratch {
    normalized: String,
    spans: Vec<SynonymSpan>,
    word: String,
    ends: Vec<usize>,
    synonym: String,
    /// Stems of the words met on this thread (most words recur).
    stems: StemCache,
}

/// Stems kept per thread before the cache starts again: the common words, a few hundred
/// kilobytes (a thread keeps it for good).
const STEM_CACHE: usize = 4096;
/// A buffer grown past this by one huge text is not kept for the next.
const KEPT_BYTES: usize = 1 << 16;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl Analyzer {
    pub fn new(groups: &[Vec<String>], related: Related) -> Analyzer {
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
        let stemmer = Stemmer::create(Algorithm::English);
        let own_stems = (related.own_spellings())
            .filter(|spelling| stems(spelling))
            .map(|spelling| (stemmer.stem(spelling).into_owned(), spelling.to_string()))
            .collect();
        Analyzer {
            synonyms,
            related,
            pattern_group,
            patterns,
            own_stems,
            pattern_ascii,
            stemmer,
        }
    }

    /// The other spellings of the deployment's related groups that hold `word`, or a word
    /// of its stem (`stem`, as [`Analyzer::stem`] gives it).
    pub fn own_related(&self, word: &str, stem: &str) -> &[String] {
        let by_stem = || self.related.own_of(self.own_stems.get(stem)?);
        self.related.own_of(word).or_else(by_stem).unwrap_or_default()
    }

    /// The first spelling of synonym group `group`, as the config writes it (normalised).
    pub fn synonym_name(&self, group: usize) -> &str {
        let at = self.pattern_group.iter().position(|&g| g == group);
        at.and_then(|at| self.patterns.get(at)).map_or("", String::as_str)
    }

    fn synonym_spans(&self, normalized: &str, spans: &mut Vec<SynonymSpan>) {
        spans.clear();
        let Some(synonyms) = &self.synonyms else {
            return;
        };
        for found in synonyms.find_iter(normalized) {
            let pattern = found.pattern().as_usize();
            let ascii = self.pattern_ascii.get(pattern).copied().unwrap_or(false);
            let before = normalized[..found.start()].chars().next_back();
            let after = normalized[found.end()..].chars().next();
            spans.push(SynonymSpan {
                start: found.start(),
                end: found.end(),
                stands: !(ascii && (before.is_some_and(is_word) || after.is_some_and(is_word))),
                group: self.pattern_group.get(pattern).copied(),
            });
        }
    }

    /// Splits normalised text into pieces, synonyms first.
    pub fn pieces(&self, normalized: &str) -> Vec<Piece> {
        let mut spans = Vec::new();
        self.synonym_spans(normalized, &mut spans);
        let (mut word, mut ends) = (String::new(), Vec::new());
        let mut pieces = Vec::new();
        let mut last = 0;
        let standing = spans.iter().filter(|span| span.stands);
        for span in standing.map(Some).chain([None]) {
            let end = span.map_or(normalized.len(), |span| span.start);
            let mut splits = Splitter::new(&normalized[last..end], &mut word, &mut ends);
            while let Some(split) = splits.next() {
                pieces.push(split.to_piece());
            }
            if let Some(span) = span {
                let written = &normalized[span.start..span.end];
                pieces.extend((span.group).map(|group| Piece::Synonym {
                    group,
                    written: written.to_string(),
                }));
                last = span.end;
            }
        }
        pieces
    }

    pub fn stem(&self, part: &str) -> String {
        if stems(part) {
            self.stemmer.stem(part).into_owned()
        } else {
            part.to_string()
        }
    }

    /// Every index term of a text, in order and with repetition, and its surface words.
    /// Synonym spans also keep their own words, so a partial phrase still finds them.
    pub fn terms(&self, text: &str, sink: &mut impl TermSink) {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                self.terms_with(text, &mut scratch, sink);
                if scratch.normalized.capacity() > KEPT_BYTES {
                    scratch.normalized = String::new();
                }
            }
            Err(_) => self.terms_with(text, &mut Scratch::default(), sink),
        })
    }

    fn terms_with(&self, text: &str, scratch: &mut Scratch, sink: &mut impl TermSink) {
        let Scratch {
            normalized,
            spans,
            word,
            ends,
            synonym,
            stems,
        } = scratch;
        normalize_into(text, normalized);
        self.synonym_spans(normalized, spans);
        let mut last = 0;
        let standing = spans.iter().filter(|span| span.stands);
        for span in standing.map(Some).chain([None]) {
            let end = span.map_or(normalized.len(), |span| span.start);
            self.split_terms(&normalized[last..end], word, ends, stems, sink);
            if let Some(span) = span {
                if let Some(group) = span.group {
                    synonym.clear();
                    push_synonym_term(synonym, group);
                    sink.term(synonym);
                }
                last = span.end;
            }
        }
        for span in spans.iter() {
            self.split_terms(&normalized[span.start..span.end], word, ends, stems, sink);
        }
    }

    fn split_terms(
        &self,
        text: &str,
        word: &mut String,
        ends: &mut Vec<usize>,
        stems: &mut StemCache,
        sink: &mut impl TermSink,
    ) {
        let mut splits = Splitter::new(text, word, ends);
        while let Some(split) = splits.next() {
            match split {
                Split::Word { text, ends } => {
                    for part in split.parts() {
                        sink.term(self.cached_stem(part, stems));
                        sink.surface(part);
                        // `gpt3` and `t5` also give `gpt`, `3`, `t`, `5`: `gpt 3` finds them.
                        if has_runs(part) {
                            for run in alnum_runs(part) {
                                sink.term(run);
                            }
                        }
                    }
                    // Joined forms, every prefix of two or more parts: `gpt-3.5` also
                    // gives `gpt3` and `gpt35`, so `GPT3` and `gpt35` find it.
                    for &end in ends.iter().skip(1) {
                        if let Some(joined) = text.get(..end) {
                            sink.surface(joined);
                            sink.term(joined);
                        }
                    }
                }
                Split::Cjk(run) => for_bigrams(run, |gram| sink.term(gram)),
            }
        }
    }

    fn cached_stem<'s>(&self, part: &'s str, cache: &'s mut StemCache) -> &'s str {
        if !stems(part) {
            return part;
        }
        if cache.len() >= STEM_CACHE {
            cache.clear();
        }
        // One look-up when the word was seen (most are).
        cache
            .entry_ref(part)
            .or_insert_with(|| self.stemmer.stem(part).into())
    }
}

/// Words' stems, by word.
type StemCache = hashbrown::HashMap<String, Box<str>, rustc_hash::FxBuildHasher>;

/// Whether a word is stemmed: letters only, three or more bytes.
fn stems(part: &str) -> bool {
    part.len() >= 3 && part.chars().all(|c| c.is_alphabetic())
}

/// Whether a word mixes letters and digits (then its runs are terms too).
fn has_runs(part: &str) -> bool {
    let digits = part.bytes().filter(u8::is_ascii_digit).count();
    digits > 0 && digits < part.len()
}

pub fn synonym_term(group: usize) -> String {
    let mut term = String::new();
    push_synonym_term(&mut term, group);
    term
}

/// The synonym group of a term from [`synonym_term`]; None for any other term.
pub fn synonym_group(term: &str) -> Option<usize> {
    term.strip_prefix(SYNONYM_TERM)?.parse().ok()
}

/// What a synonym group's index term starts with: no text analyses to it.
const SYNONYM_TERM: &str = "\u{1}syn";

fn push_synonym_term(term: &mut String, group: usize) {
    use std::fmt::Write as _;
    let _ = write!(term, "{SYNONYM_TERM}{group}");
}

pub fn bigrams(chars: &[char]) -> Vec<String> {
    let run: String = chars.iter().collect();
    let mut out = Vec::new();
    for_bigrams(&run, |gram| out.push(gram.to_string()));
    out
}

/// Each pair of neighbouring characters of a CJK run, or the run when it is one character.
fn for_bigrams(run: &str, mut each: impl FnMut(&str)) {
    let mut chars = run.char_indices().peekable();
    if chars.peek().is_some_and(|&(_, c)| c.len_utf8() == run.len()) {
        each(run);
    }
    while let Some((start, _)) = chars.next() {
        if let Some(&(next, c)) = chars.peek() {
            each(&run[start..next + c.len_utf8()]);
        }
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

/// What a text is split into, borrowed (see [`Piece`] for the owned form).
enum Split<'a> {
    /// A word's parts laid end to end (`gpt-3.5` → `gpt35`, ends 3, 4, 5), so that every
    /// joined prefix is a slice of it.
    Word {
        text: &'a str,
        ends: &'a [usize],
    },
    Cjk(&'a str),
}

impl Split<'_> {
    fn parts(&self) -> impl Iterator<Item = &str> {
        let (text, ends) = match *self {
            Split::Word { text, ends } => (text, ends),
            Split::Cjk(_) => ("", &[][..]),
        };
        let starts = std::iter::once(0).chain(ends.iter().copied());
        starts
            .zip(ends)
            .filter_map(move |(start, &end)| text.get(start..end))
    }

    fn to_piece(&self) -> Piece {
        match *self {
            Split::Cjk(run) => Piece::Cjk(run.chars().collect()),
            Split::Word { .. } => Piece::Word {
                parts: self.parts().map(str::to_string).collect(),
            },
        }
    }
}

/// Segments text without synonyms into words and CJK runs, one at a time; a word is built
/// in buffers the caller lends, so splitting allocates nothing per word.
struct Splitter<'t, 'b> {
    text: &'t str,
    at: usize,
    word: &'b mut String,
    ends: &'b mut Vec<usize>,
}

/// A word keeps this many parts at the most (`a-b-c-…`).
const MAX_PARTS: usize = 8;

impl<'t, 'b> Splitter<'t, 'b> {
    fn new(text: &'t str, word: &'b mut String, ends: &'b mut Vec<usize>) -> Self {
        Splitter {
            text,
            at: 0,
            word,
            ends,
        }
    }

    fn next(&mut self) -> Option<Split<'_>> {
        let text = self.text;
        while let Some(&byte) = text.as_bytes().get(self.at) {
            let start = self.at;
            if byte.is_ascii() {
                if byte.is_ascii_alphanumeric() {
                    break;
                }
                self.at += 1;
                continue;
            }
            let c = text[start..].chars().next()?;
            if is_cjk(c) {
                let run = text[start..]
                    .find(|c| !is_cjk(c))
                    .map_or(text.len(), |n| start + n);
                self.at = run;
                return Some(Split::Cjk(&text[start..run]));
            }
            if is_word(c) {
                break;
            }
            self.at += c.len_utf8();
        }
        if self.at >= text.len() {
            return None;
        }
        self.read_word();
        Some(Split::Word {
            text: self.word,
            ends: self.ends,
        })
    }

    /// Reads the word at `at` into `word` and `ends`.
    fn read_word(&mut self) {
        self.word.clear();
        self.ends.clear();
        let text = self.text;
        loop {
            let rest = &text[self.at..];
            // ASCII letters and digits a run at a time.
            let ascii = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
            if ascii > 0 {
                self.word.push_str(&rest[..ascii]);
                self.at += ascii;
                continue;
            }
            let mut chars = rest.chars();
            let Some(c) = chars.next() else {
                break;
            };
            if is_word(c) {
                self.word.push(c);
                self.at += c.len_utf8();
            } else if is_joiner(c) && chars.next().is_some_and(is_word) {
                match clitic(rest) {
                    // `don't` is one word (`dont`), so `won't` never reads as `won`;
                    // `obsidian's`, `you're` are their first word.
                    Some(('t', length)) => {
                        self.word.push('t');
                        self.at += length;
                    }
                    Some((_, length)) => self.at += length,
                    None => {
                        self.ends.push(self.word.len());
                        self.at += c.len_utf8();
                    }
                }
            } else {
                break;
            }
        }
        self.ends.push(self.word.len());
        if self.ends.len() > MAX_PARTS {
            self.ends.truncate(MAX_PARTS);
            self.word.truncate(self.ends[MAX_PARTS - 1]);
        }
    }
}

/// An English clitic at `rest` (an apostrophe, then `t`, `s`, `re`, `ll`, `ve`, `d` or
/// `m` ending the word): its first letter and its length in bytes with the apostrophe.
fn clitic(rest: &str) -> Option<(char, usize)> {
    let mut chars = rest.chars();
    let apostrophe = chars.next().filter(|c| matches!(c, '\'' | '’'))?;
    let after = &rest[apostrophe.len_utf8()..];
    let word = after.find(|c| !is_word(c)).map_or(after, |n| &after[..n]);
    let ends = !after[word.len()..].chars().next().is_some_and(is_joiner);
    let known = matches!(word, "t" | "s" | "re" | "ll" | "ve" | "d" | "m");
    (ends && known).then(|| {
        (
            word.chars().next().unwrap_or('t'),
            apostrophe.len_utf8() + word.len(),
        )
    })
}

/// Whether a CJK character is a particle or filler when it stands alone.
pub fn is_cjk_stop(c: char) -> bool {
    CJK_STOP.contains(&c)
}

/// Whether a Latin word is a question or filler word.
pub fn is_stop_str(word: &str) -> bool {
    is_function_word(word) || GREETINGS.contains(&word)
}

/// Whether a lowercase word is one of the [`LATIN_STOP`] words (a greeting is not: alone, it
/// asks itself).
pub fn is_function_word(word: &str) -> bool {
    LATIN_STOP.contains(&word)
}

/// Greetings and chat around a question (`hey guys, … thanks`): filler among other words,
/// but a query of them alone asks them (a section may be titled `Hello world`).
const GREETINGS: &[&str] = &["hey", "hi", "hello", "guys", "lol", "thanks", "thx", "pls", "plz"];

/// Whether a piece is one of the [`GREETINGS`].
pub fn is_greeting(piece: &Piece) -> bool {
    matches!(piece, Piece::Word { parts } if parts.len() == 1 && GREETINGS.contains(&parts[0].as_str()))
}

/// Whether a piece is a question or filler word (`what`, `is`, `the`, `的`…).
pub fn is_stop_word(piece: &Piece) -> bool {
    match piece {
        Piece::Word { parts } => parts.len() == 1 && is_stop_str(&parts[0]),
        Piece::Cjk(chars) => chars.len() == 1 && CJK_STOP.contains(&chars[0]),
        Piece::Synonym { .. } | Piece::Phrase(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Normalisation without its shortcuts: NFKC, lowercase, then every character
    /// simplified.
    fn normalized_plainly(text: &str) -> String {
        let lowered: String = text.nfkc().flat_map(char::to_lowercase).collect();
        super::super::simplified::table().convert(&lowered)
    }

    #[test]
    fn normalisation_skips_no_character_the_table_would_simplify() {
        let mut texts: Vec<String> = [
            "藉口",
            "憑藉",
            "慰藉",
            "看著",
            "著作",
            "苧麻",
            "闔家",
            "鍾書",
            "計畫",
            "企畫",
            "畫面",
            "答覆",
            "甚夥",
            "瞭望",
            "幺麽",
            "乾隆",
            "乾淨",
            "兒寬",
            "Ｆｕｌｌ　ｗｉｄｔｈ ＡＢＣ 繁體",
            "Ünïcödé İstanbul ΣΑΣ 中文 RLHF",
            "ｶﾀｶﾅ 한국어 ㈱ ﬁ",
        ]
        .map(String::from)
        .to_vec();
        // Every character from U+0800 to the CJK extensions beyond the Basic Multilingual
        // Plane, in runs of 64 between ASCII words.
        let all: Vec<char> = ('\u{800}'..='\u{323af}').collect();
        texts.extend(
            all.chunks(64)
                .map(|run| format!("Ab {} Cd", run.iter().collect::<String>())),
        );
        for text in &texts {
            assert_eq!(normalize(text), normalized_plainly(text), "{text}");
        }
    }

    /// Terms and surface words as strings.
    #[derive(Default)]
    pub struct Strings {
        pub terms: Vec<String>,
        pub surfaces: Vec<String>,
    }

    impl TermSink for Strings {
        fn term(&mut self, term: &str) {
            self.terms.push(term.to_string());
        }
        fn surface(&mut self, word: &str) {
            self.surfaces.push(word.to_string());
        }
    }

    fn analyzer() -> Analyzer {
        Analyzer::new(
            &[
                vec!["rlhf".into(), "基于人类反馈的强化学习".into()],
                vec!["chain of thought".into(), "思维链".into()],
            ],
            Related::default(),
        )
    }

    #[test]
    fn normalises_width_case_and_script() {
        assert_eq!(normalize("ＲＬＨＦ"), "rlhf");
        assert_eq!(normalize("思維鏈"), "思维链");
        assert_eq!(normalize("GPT-3.5"), "gpt-3.5");
    }

    #[test]
    fn words_keep_joined_forms() {
        let mut found = Strings::default();
        analyzer().terms("code-davinci-002 GPT-3.5 transformers", &mut found);
        let Strings { terms, surfaces } = found;
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
        let mut found = Strings::default();
        a.terms("基于人类反馈的强化学习(RLHF)", &mut found);
        let terms = found.terms;
        assert!(terms.contains(&synonym_term(0)));
        assert!(terms.contains(&"人类".to_string()) && terms.contains(&"反馈".to_string()));
        let synonym = |group: usize, written: &str| Piece::Synonym {
            group,
            written: written.to_string(),
        };
        assert_eq!(a.pieces("rlhf"), vec![synonym(0, "rlhf")]);
        assert_eq!(a.pieces("chain of thought"), vec![synonym(1, "chain of thought")]);
        // Any spelling of the group; the piece keeps the one written.
        assert_eq!(a.pieces("思维链"), vec![synonym(1, "思维链")]);
        // ASCII synonyms need word boundaries.
        assert!(
            !a.pieces("rlhfx")
                .iter()
                .any(|p| matches!(p, Piece::Synonym { .. }))
        );
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
    fn question_words_and_filler_are_stop_words() {
        // `id` is a word of the notes.
        assert!(!is_stop_str("id"));
        let a = analyzer();
        let content: Vec<Piece> = a
            .pieces("how can i move my notes into a vault")
            .into_iter()
            .filter(|p| !is_stop_word(p))
            .collect();
        assert_eq!(content.len(), 3, "{content:?}");
        let pieces = a.pieces("what is chain of thought");
        let content: Vec<&Piece> = pieces.iter().filter(|p| !is_stop_word(p)).collect();
        assert!(
            matches!(content.as_slice(), [Piece::Synonym { group: 1, .. }]),
            "{content:?}"
        );
    }
}
