//! Queries as units (a Latin word, a CJK run, a synonym, a phrase) with the index terms that can
//! match each, and BM25F × coverage² × (1 + title coverage) ranking over them.

use std::cell::{OnceCell, RefCell};
use std::collections::BinaryHeap;
use std::ops::Range;

use super::analyze::{self, Analyzer, Piece};
use super::index::{POSTING_CAP, Posting, Read, TermId};
use super::lexicon;
use super::live::{Live, Reading};

/// Most query units considered; the rest of a very long query is ignored.
pub const MAX_UNITS: usize = 12;
/// Typo weights by edit distance: in the score, and in the coverage.
const TYPO_WEIGHT: [f32; 3] = [1.0, 0.6, 0.35];
/// (A typo next to a word the notes never use, `xyzzy plugh`, stays under half.)
const TYPO_COVER: [f32; 3] = [1.0, 0.7, 0.6];
/// Prefix completions of the word being typed.
const MAX_PREFIX_EXPANSIONS: usize = 30;
const PREFIX_WEIGHT: f32 = 0.8;
const PREFIX_COVER: f32 = 0.9;
/// Related terms (paraphrases, [`super::related`]) of a word: how much a match weighs
/// in the score and covers of the word, at most how many are read.
const RELATED_WEIGHT: f32 = 0.5;
const RELATED_COVER: f32 = 0.8;
const MAX_RELATED: usize = 6;
/// Bigrams a lone CJK character stands for, at most.
const MAX_CJK_EXPANSIONS: usize = 30;
/// Postings the completions of the word being typed read, at most: autocomplete asks at
/// every keystroke, and in a big vault a short prefix (`co`, `性`) stands for many common
/// words, each of a full list (1.3 ms at 100k sections, against 0.1 ms for most).
pub(super) const TYPING_POSTINGS: usize = 2 * POSTING_CAP;
/// Homophone bigrams a CJK bigram the notes lack stands for, at most, among this many
/// of the commonest bigrams sharing a character with it.
const MAX_HOMOPHONES: usize = 3;
const MAX_SOUND_SCAN: usize = 256;
/// Most bigrams of one CJK run: a pasted paragraph is not read to its end.
const MAX_BIGRAMS: usize = 24;

/// The title's field bit in a posting.
const TITLE_BIT: u8 = 1 << super::TITLE;
/// A section whose title alone covers the whole query scores this much more (in part,
/// in proportion): what a question asks is most often what a heading names.
const TITLE_COVERAGE: f32 = 2.0;

/// Share of a big range above which a unit is common and weighs less in the coverage.
const COMMON_SHARE: f32 = 0.05;
/// Ranges up to this many documents use a quarter instead.
const SMALL_RANGE: f32 = 100.0;

/// Flags of a scored document: bit `f` for field `f` (five fields: bits 0 to 4), and how
/// it matched.
pub const FUZZY: u16 = 1 << 5;
pub const EXACT: u16 = 1 << 6;
/// The document matched a query word or synonym exactly by a term few documents in range
/// hold (see [`closest_units`]), or such terms for at least [`DISTINCT_RUN`] of a CJK
/// run. A weak match without it shares only filler or words most sections use with the
/// query.
pub const DISTINCT: u16 = 1 << 7;
/// The document matched a Chinese word of the query through its English glosses
/// ([`glossed_units`]).
pub const GLOSSED: u16 = 1 << 8;
/// What a bigram across two words of a run counts when the notes hold it (see
/// [`bigram_weights`]).
const CROSSING_WEIGHT: f32 = 0.25;

/// Least share of a CJK run's bigrams a document must match by distinct terms: a quarter
/// (`远程仓库` in `不要的远程仓库怎么删掉`).
const DISTINCT_RUN: f32 = 0.25;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryTerm {
    pub id: TermId,
    /// Factor on the term's BM25F score.
    pub weight: f32,
    /// Share of its unit the term covers.
    pub cover: f32,
    pub fuzzy: bool,
    /// Set by [`closest_units`]: an exact term few documents in range hold.
    pub distinct: bool,
    /// A related term of the query's word (a paraphrase), not the word itself.
    pub related: bool,
}

/// One unit of a query, matched by any of its terms (CJK bigrams: by their sum).
#[derive(Debug, Clone)]
pub struct Unit {
    pub terms: Vec<QueryTerm>,
    pub additive: bool,
    /// How rare the unit is (its best term's idf): weighs it in focus.
    pub idf: f32,
    /// Chinese (or other CJK) text: a run the notes lack is a different subject (so it
    /// counts fully against a section; [`closest_units`] sets it on every unit).
    pub cjk: bool,
    /// Factor on its terms' covers that counts every bigram of a CJK run alike, those
    /// across word boundaries too ([`bigram_weights`]); 1 for other units.
    /// [`closest_units`] applies it: offered sections need the stricter count.
    pub strict: f32,
    /// Factor on the unit's score and its weight in the coverage: below 1 for the words of
    /// a clause that tells rather than asks ([`CONTEXT`]).
    pub emphasis: f32,
    /// A Chinese word asked of English notes through its glosses ([`glossed_units`]).
    pub glossed: bool,
}

/// The emphasis of a unit from a clause of a question that does not ask (`I installed a
/// plugin but nothing changed` before `do I have to switch it on?`).
pub const CONTEXT: f32 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A submitted query.
    Search,
    /// As the user types: the last word may be a prefix (callers pass `Search` when the
    /// text ends with a space).
    Typing,
    /// After a miss: looser typos, and the last word may be a prefix.
    Loose,
}

/// The units of a normalised, question-stripped query, for documents in `range`.
pub fn units(analyzer: &Analyzer, live: &Live, stripped: &str, mode: Mode, range: &Range<u32>) -> Vec<Unit> {
    // Whether the range is written in English, worked out once if a Chinese piece asks.
    let in_english = OnceCell::new();
    // What a question would do `without` is what it avoids, not what it asks for
    // (`get my Apple Notes into Obsidian without copy pasting them`): context.
    // Not while typing: autocomplete asks on every keystroke, and `without` may be a prefix.
    const WITHOUT: &str = "without";
    let avoiding = (mode != Mode::Typing)
        .then(|| {
            stripped.match_indices(WITHOUT).find(|&(at, _)| {
                let before = stripped[..at].chars().next_back();
                let after = stripped[at + WITHOUT.len()..].chars().next();
                before.is_none_or(|c| c == ' ') && after.is_none_or(|c| c == ' ')
            })
        })
        .flatten();
    match avoiding {
        Some((at, _)) => {
            let (asked, avoided) = (&stripped[..at], &stripped[at + WITHOUT.len()..]);
            let mut all = clause_units(analyzer, live, asked, mode, range, &in_english);
            let avoided = clause_units(analyzer, live, avoided, mode, range, &in_english);
            all.extend(avoided.into_iter().map(|unit| Unit {
                emphasis: CONTEXT,
                ..unit
            }));
            all.truncate(MAX_UNITS);
            all
        }
        _ => clause_units(analyzer, live, stripped, mode, range, &in_english),
    }
}

/// The units of one stretch of a query ([`units`]).
fn clause_units(
    analyzer: &Analyzer,
    live: &Live,
    stripped: &str,
    mode: Mode,
    range: &Range<u32>,
    in_english: &OnceCell<bool>,
) -> Vec<Unit> {
    // The last word may be unfinished: as the user types, and after a miss.
    let typing_at_end = matches!(mode, Mode::Typing | Mode::Loose);
    let pieces = asking_pieces(analyzer, live, stripped, mode);
    let last = pieces.len().saturating_sub(1);
    let mut units = Vec::new();
    for (i, (piece, joined)) in pieces.iter().enumerate() {
        let typing = typing_at_end && i == last;
        let first = units.len();
        match piece {
            Piece::Synonym(group) => {
                let terms = live
                    .id(&analyze::synonym_term(*group))
                    .map(|id| exact(id, 1.0))
                    .into_iter()
                    .collect();
                units.push(unit(live, terms, false));
            }
            Piece::Phrase(phrase) => units.push(phrase_unit(analyzer, live, phrase)),
            Piece::Cjk(chars) if mode == Mode::Typing => match chars.as_slice() {
                &[c] => units.push(cjk_char_unit(live, c, typing)),
                run => units.push(cjk_run_unit(analyzer, live, run, mode)),
            },
            Piece::Cjk(chars) => match glossed_units(analyzer, live, chars, mode, range, in_english) {
                Some(glossed) => units.extend(glossed),
                None => match chars.as_slice() {
                    &[c] => units.push(cjk_char_unit(live, c, typing)),
                    chars => {
                        let (verbs_before, run, verbs_after) = split_edge_verbs(live, chars);
                        for &c in verbs_before.iter().chain(verbs_after) {
                            units.push(cjk_char_unit(live, c, false));
                        }
                        match run {
                            [] => {}
                            &[c] => units.push(cjk_char_unit(live, c, false)),
                            run => units.push(cjk_run_unit(analyzer, live, run, mode)),
                        }
                    }
                },
            },
            Piece::Word { parts } => {
                let word = Word {
                    analyzer,
                    live,
                    mode,
                    range,
                };
                word.units(parts, typing, &mut units);
                // `make` of `how do I make a table` frames what is asked (not while typing:
                // `use` may be the start of `username`).
                if let [part] = parts.as_slice()
                    && analyze::is_light_verb(part)
                    && mode != Mode::Typing
                {
                    for unit in &mut units[first..] {
                        unit.emphasis = CONTEXT;
                    }
                }
            }
        }
        // The compound the notes write as one word (`site map`: `sitemap`) matches each
        // of the words it joins.
        for unit in &mut units[first..] {
            for &id in joined {
                if !unit.terms.iter().any(|t| t.id == id) {
                    unit.terms.push(exact(id, 1.0));
                }
            }
        }
        if units.len() >= MAX_UNITS {
            units.truncate(MAX_UNITS);
            break;
        }
    }
    units
}

/// The pieces of a query that ask something: only filler (`的`, `what is`) asks nothing;
/// but what is being typed (`对` of `对齐`) may become a word.
/// Each with the terms of the compounds it makes with its neighbours ([`compounds`]).
fn asking_pieces(analyzer: &Analyzer, live: &Live, stripped: &str, mode: Mode) -> Vec<(Piece, Vec<TermId>)> {
    let mut pieces = analyzer.pieces(stripped);
    if mode != Mode::Typing {
        join_phrases(analyzer, &mut pieces);
        drop_postpositions(&mut pieces);
    }
    let being_typed = if mode == Mode::Typing { pieces.pop() } else { None };
    // None while typing: autocomplete asks on every keystroke.
    let (own, with_next) = if mode == Mode::Typing {
        (Vec::new(), Vec::new())
    } else {
        compounds(analyzer, live, &pieces)
    };
    let at = |joined: &Joined, i: usize| joined.get(i).copied().flatten();
    let mut asking = Vec::with_capacity(pieces.len() + 1);
    for (i, piece) in pieces.into_iter().enumerate() {
        if analyze::is_stop_word(&piece) {
            continue;
        }
        let before = i.checked_sub(1).and_then(|b| at(&with_next, b));
        let joined = [at(&own, i), at(&with_next, i), before]
            .into_iter()
            .flatten()
            .collect();
        asking.push((piece, joined));
    }
    asking.extend(being_typed.map(|piece| (piece, Vec::new())));
    asking
}

/// Chinese postpositions of place after a Latin word (`url 里`, `iPhone 上在别的 App 里点分享`):
/// they locate the word before, and run together with the next characters they make no
/// word (`上在`, `里点`) that would count against every section.
const POSTPOSITIONS: &[char] = &['里', '上', '中', '内', '下'];

/// Drops a postposition that opens a CJK run right after a Latin word, unless it starts
/// a word there (`iPhone 上传`, `mac 下载`, `obsidian 中文`).
fn drop_postpositions(pieces: &mut Vec<Piece>) {
    let mut after_word = false;
    pieces.retain_mut(|piece| {
        let keep = match piece {
            Piece::Cjk(chars) if after_word && chars.first().is_some_and(|c| POSTPOSITIONS.contains(c)) => {
                let opens_word = chars.get(..2).is_some_and(|two| {
                    let two: String = two.iter().collect();
                    lexicon::count(&two).is_some()
                });
                if !opens_word {
                    chars.remove(0);
                }
                !chars.is_empty()
            }
            _ => true,
        };
        after_word = matches!(piece, Piece::Word { .. });
        keep
    });
}

/// Particles that close a compound the notes may write as one word (`set up`: `setup`,
/// `plug in`: `plugin`, `pop up`: `popup`), though alone they ask nothing.
const COMPOUND_PARTICLES: &[&str] = &["up", "in", "on", "out", "off", "down", "over", "back"];

/// Per piece of a query: the term of a compound it is part of, if the notes hold one.
type Joined = Vec<Option<TermId>>;

/// The terms of the compounds a query writes apart that the notes write as one word:
/// for each piece, its own (a phrase, `log in`: `login`), and the one it makes with the
/// next piece (`site map`: `sitemap`, `back links`: `backlinks`). Both words are Latin
/// letters, two or more each; the first asks something, the second too or is a
/// [`COMPOUND_PARTICLES`] one. A look-up or two per pair, none for other pieces.
fn compounds<'p>(analyzer: &Analyzer, live: &Live, pieces: &'p [Piece]) -> (Joined, Joined) {
    let letters = |w: &str| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase());
    let term = |joined: &str| live.id(&analyzer.stem(joined)).or_else(|| live.id(joined));
    let word = |piece: &'p Piece| match piece {
        Piece::Word { parts } if parts.len() == 1 && letters(&parts[0]) => Some(parts[0].as_str()),
        _ => None,
    };
    let own = (pieces.iter())
        .map(|piece| match piece {
            Piece::Phrase(phrase) if phrase.split(' ').all(letters) => term(&phrase.replace(' ', "")),
            _ => None,
        })
        .collect();
    let with_next = (0..pieces.len())
        .map(|i| {
            let (a, b) = (word(&pieces[i])?, word(pieces.get(i + 1)?)?);
            let asks = |w: &str| !analyze::is_stop_str(w);
            if !asks(a) || !(asks(b) || COMPOUND_PARTICLES.contains(&b)) {
                return None;
            }
            term(&format!("{a}{b}"))
        })
        .collect();
    (own, with_next)
}

/// Runs of two or three one-part words that have related terms together (`get rid of`,
/// `turn on`) become one [`Piece::Phrase`], the longest first: the phrase, not its
/// words, is what is asked.
fn join_phrases(analyzer: &Analyzer, pieces: &mut Vec<Piece>) {
    let word = |piece: &Piece| match piece {
        Piece::Word { parts } if parts.len() == 1 => Some(parts[0].clone()),
        _ => None,
    };
    let mut joined = Vec::with_capacity(pieces.len());
    let mut at = 0;
    while at < pieces.len() {
        let phrase = [3, 2].into_iter().find_map(|n| {
            let words: Option<Vec<String>> = pieces.get(at..at + n)?.iter().map(word).collect();
            let phrase = words?.join(" ");
            analyzer.related.is_phrase(&phrase).then_some((n, phrase))
        });
        match phrase {
            Some((n, phrase)) => {
                joined.push(Piece::Phrase(phrase));
                at += n;
            }
            None => {
                joined.push(pieces[at].clone());
                at += 1;
            }
        }
    }
    *pieces = joined;
}

/// A phrase: its related terms, and each of its words (not filler) for an equal share.
fn phrase_unit(analyzer: &Analyzer, live: &Live, phrase: &str) -> Unit {
    let words: Vec<&str> = phrase.split(' ').filter(|w| !analyze::is_stop_str(w)).collect();
    let share = 1.0 / words.len().max(1) as f32;
    let mut terms: Vec<QueryTerm> = Vec::new();
    for word in words {
        for form in [analyzer.stem(word).as_str(), word] {
            if let Some(id) = live.id(form).filter(|id| !terms.iter().any(|t| t.id == *id)) {
                terms.push(exact(id, share));
            }
        }
    }
    related_terms(analyzer, live, phrase, 1.0, &mut terms);
    unit(live, terms, false)
}

/// A CJK run of two or more characters: its distinct bigrams, each an equal share.
fn cjk_run_unit(analyzer: &Analyzer, live: &Live, chars: &[char], mode: Mode) -> Unit {
    let mut grams = analyze::bigrams(chars);
    grams.truncate(MAX_BIGRAMS);
    let searching = mode != Mode::Typing;
    // A bigram the notes lack may be a pinyin slip of one they have (`折迭` for `折叠`).
    let sounds: Vec<Vec<TermId>> = (grams.iter().enumerate())
        .map(|(i, g)| {
            let particle = g.chars().any(analyze::is_cjk_stop);
            match live.id(g) {
                None if searching && !particle => homophones(live, chars, i),
                _ => Vec::new(),
            }
        })
        .collect();
    let weights = bigram_weights(
        analyzer,
        live,
        &chars[..chars.len().min(MAX_BIGRAMS + 1)],
        &grams,
        &sounds,
    );
    let mut distinct: Vec<(&str, &[TermId], f32)> = Vec::new();
    for ((gram, sounds), &weight) in grams.iter().zip(&sounds).zip(&weights) {
        // (A junction of weight 0 has no term, but the strict count below counts it.)
        match distinct.iter_mut().find(|(g, _, _)| g == gram) {
            Some((_, _, w)) => *w = w.max(weight),
            None => distinct.push((gram, sounds, weight)),
        }
    }
    // Each distinct bigram is an equal share of the run (a junction's less, see
    // [`bigram_weights`]), and one the notes lack counts against the match
    // (`量子计算`); but bigrams holding a particle, which natural questions put between
    // words, are not counted (`封城会持续` needs `封城` and `持续`, not `城会` nor `会持`).
    // Coverage stops at 1.
    let plain = |(g, _, _): &(&str, &[TermId], f32)| !g.chars().any(analyze::is_cjk_stop);
    if distinct.iter().any(plain) {
        distinct.retain(plain);
    }
    let total: f32 = distinct.iter().map(|(_, _, w)| w).sum();
    let mut terms: Vec<QueryTerm> = Vec::new();
    for &(gram, sounds, weight) in &distinct {
        let share = weight / total.max(f32::MIN_POSITIVE);
        terms.extend(live.id(gram).map(|id| exact(id, share)));
        for &id in sounds {
            terms.push(QueryTerm {
                weight: TYPO_WEIGHT[1],
                cover: share * TYPO_COVER[1],
                fuzzy: true,
                ..exact(id, share)
            });
        }
    }
    // A bigram that is a word with related words (`删掉`): they stand in for its share.
    if searching {
        for &(gram, _, weight) in distinct.iter().filter(|(g, _, _)| analyzer.related.has_group(g)) {
            let share = weight / total.max(f32::MIN_POSITIVE);
            related_terms(analyzer, live, gram, share, &mut terms);
        }
    }
    let mut run = unit(live, terms, true);
    run.cjk = true;
    // The bigrams inside words cover the run; counted alike with those across words, they
    // cover their share of all.
    let inside = distinct.iter().filter(|(_, _, w)| *w > 0.0).count();
    run.strict = inside as f32 / distinct.len().max(1) as f32;
    run
}

/// Least share of Chinese sections in a range that answers Chinese questions in Chinese:
/// below it, the notes there are written in another language (see [`glossed_units`]).
const CHINESE_NOTES: f32 = 0.1;

/// The units of a CJK piece asked of notes written in English (`in_english`, for
/// `range`), when CC-CEDICT glosses some of its words as English words the notes use
/// (`区域 更改`: `area region`, `alter`); `None` otherwise, and for notes written in
/// Chinese. Each glossed word is a unit of its glosses ([`gloss_terms`]); the stretches
/// between them stay Chinese runs, and their lone characters, which only glue the words
/// (`的`, `上`), are dropped.
fn glossed_units(
    analyzer: &Analyzer,
    live: &Live,
    chars: &[char],
    mode: Mode,
    range: &Range<u32>,
    in_english: &OnceCell<bool>,
) -> Option<Vec<Unit>> {
    let held: Vec<bool> = chars
        .windows(2)
        .map(|pair| has_bigram(live, pair[0], pair[1]))
        .collect();
    // Cheap checks first: every Chinese query in a Chinese vault comes here.
    let lacking = match chars {
        &[c] => CHAT_VERBS.contains(&c),
        _ => held.contains(&false),
    };
    let english = || {
        let chinese = live.chinese_in(range) as f32;
        chinese < CHINESE_NOTES * live.live_in(range) as f32
    };
    if !lacking || !*in_english.get_or_init(english) {
        return None;
    }
    let mut units = Vec::new();
    let stretch = |part: &[char], units: &mut Vec<Unit>| {
        if part.len() >= 2 {
            units.push(cjk_run_unit(analyzer, live, part, mode));
        }
    };
    let mut rest = 0;
    let as_word = |at: usize| (held.get(at) == Some(&true)).then_some(lexicon::NOTES_WORD);
    for word in lexicon::words(chars, as_word) {
        if units.len() >= MAX_UNITS {
            break;
        }
        if let Some(terms) = gloss_terms(analyzer, live, chars, &held, word.clone()) {
            stretch(&chars[rest..word.start], &mut units);
            units.push(Unit {
                glossed: true,
                ..unit(live, terms, false)
            });
            rest = word.end;
        }
    }
    if units.is_empty() {
        return None;
    }
    stretch(&chars[rest..], &mut units);
    Some(units)
}

/// The terms of the English words CC-CEDICT glosses the word `chars[word]` as, when the
/// notes lack it: each of them the word itself, however common, matched below a word of
/// the question's own language; a gloss the notes lack through its related words
/// (`mathematics`: `math`). A character alone is glossed only when it is a verb of chat
/// ([`CHAT_VERBS`]: `删` → delete): the others are mostly grammar (`上`, `成`, `到`).
/// None for a word whose related Chinese words the notes hold, or with a bigram that is a
/// pinyin slip of the notes' (`白版` for `白板`): the notes' own Chinese comes first.
fn gloss_terms(
    analyzer: &Analyzer,
    live: &Live,
    chars: &[char],
    held: &[bool],
    word: Range<usize>,
) -> Option<Vec<QueryTerm>> {
    let bigrams = word.start..word.end.saturating_sub(1);
    let lacking = match &chars[word.clone()] {
        &[c] => CHAT_VERBS.contains(&c) && !has_char(live, c),
        _ => !bigrams.clone().any(|at| held.get(at) == Some(&true)),
    };
    if !lacking {
        return None;
    }
    let text: String = chars[word].iter().collect();
    // The few Chinese notes may write it in other words (`删掉`: `删除`): asked as theirs.
    let mut related_held = false;
    analyzer.related.of(&text, &mut |other| {
        let other: Vec<char> = other.chars().collect();
        related_held |= other.windows(2).any(|pair| has_bigram(live, pair[0], pair[1]));
    });
    if related_held {
        return None;
    }
    let mut terms: Vec<QueryTerm> = Vec::new();
    analyzer.related.english_of(&text, &mut |gloss| {
        if analyze::is_stop_str(gloss) {
            return;
        }
        // The notes index a hyphenated word joined too (`plug-in`: `plugin`).
        let joined = gloss.replace('-', "");
        match live.id(&analyzer.stem(&joined)) {
            Some(id) if !terms.iter().any(|t| t.id == id) => terms.push(QueryTerm {
                weight: RELATED_WEIGHT,
                ..exact(id, 1.0)
            }),
            Some(_) => {}
            None => related_terms(analyzer, live, &joined, 1.0, &mut terms),
        }
    });
    terms.truncate(MAX_RELATED);
    let slip = || bigrams.clone().any(|at| !homophones(live, chars, at).is_empty());
    (!terms.is_empty() && !slip()).then_some(terms)
}

/// Whether the notes hold a CJK character, alone or in a bigram.
fn has_char(live: &Live, c: char) -> bool {
    live.id(c.encode_utf8(&mut [0; 4])).is_some()
        || !live.cjk_bigrams(c, false).is_empty()
        || !live.cjk_bigrams(c, true).is_empty()
}

/// One-character verbs of chat (`改`, `删`, `建`, `算`) where the notes write two-character
/// words (`更改`, `删除`, `创建`, `计算`).
const CHAT_VERBS: &[char] = &[
    '改', '删', '建', '算', '换', '加', '装', '存', '搜', '找', '导', '移', '藏', '锁', '拖', '贴', '撤',
];

/// A run's verbs of chat at its edges, apart (`算` of `算到期日`, `改` of `还能改`): run
/// together with the next word they make a bigram no note has, which would count against
/// the match, while alone they find the notes' two-character words that hold them. A verb
/// is kept in the run where the notes have its bigram there (`改名`), or a pinyin slip of
/// it that mends the run into a word (`换灯片`: `幻灯片`).
fn split_edge_verbs<'c>(live: &Live, chars: &'c [char]) -> (&'c [char], &'c [char], &'c [char]) {
    let verb_at = |i: usize, next: usize| {
        let (c, n) = (chars[i], chars[next]);
        let in_bigram = if next > i {
            has_bigram(live, c, n)
        } else {
            has_bigram(live, n, c)
        };
        // Beside a particle (`还能改`) the bigram is dropped as a particle's, and the verb
        // with it: it stands apart.
        CHAT_VERBS.contains(&c)
            && (analyze::is_cjk_stop(n) || !in_bigram && !slip_mends_a_word(live, chars, i.min(next)))
    };
    let mut start = 0;
    if chars.len() >= 3 && verb_at(0, 1) {
        start = 1;
    }
    let mut end = chars.len();
    if end - start >= 3 && verb_at(end - 1, end - 2) {
        end -= 1;
    }
    (&chars[..start], &chars[start..end], &chars[end..])
}

/// How much each bigram of a CJK run counts in its coverage. A question runs its words
/// together (`在笔记里画流程图`, `想打个星号出来结果变成斜体了`): the run is split into its
/// likeliest words ([`lexicon::words`]; a bigram of the notes or a pinyin slip of one is a
/// word too), and a bigram inside a word counts as much as the word says
/// ([`lexicon::weight`]: `星号` fully, `结果` half). A bigram across two words counts
/// nothing (`画流`), or [`CROSSING_WEIGHT`] when the notes hold it: a fragment copied from
/// a note has it, a question only by chance (`想打`, `来结`). A word the notes lack counts
/// fully (`量子流程`: `量子` is another subject). A run of one-character words only counts
/// each bigram alike.
fn bigram_weights(
    analyzer: &Analyzer,
    live: &Live,
    chars: &[char],
    grams: &[String],
    sounds: &[Vec<TermId>],
) -> Vec<f32> {
    // Looked up once: the split asks for each bigram, and so do the checks after it.
    let in_notes: Vec<bool> = grams.iter().map(|g| live.id(g).is_some()).collect();
    // How often each bigram counts as a word: a slip as often as the word it stands for
    // (`源马` as `源码`, not rarer than its two characters apart); another of the notes'
    // bigrams as a word of theirs.
    let as_word: Vec<Option<f32>> = (grams.iter().enumerate())
        .map(|(at, g)| {
            let slip = sounds.get(at).filter(|s| !s.is_empty());
            let meant = slip.and_then(|s| s.iter().filter_map(|&id| lexicon::count(live.term(id))).max());
            let notes = slip.is_some() || in_notes[at] || analyzer.related.has_group(g);
            meant
                .map(|count| count as f32)
                .or(notes.then_some(lexicon::NOTES_WORD))
        })
        .collect();
    let as_word = |at: usize| as_word.get(at).copied().flatten();
    let known = |at: usize| as_word(at).is_some();
    let mut weights = vec![0.0; grams.len()];
    let mut word = String::new();
    for range in lexicon::words(chars, as_word) {
        if range.len() < 2 {
            continue;
        }
        word.clear();
        word.extend(&chars[range.clone()]);
        // A word the notes lack is another subject, however everyday (see [`unit_weight`]).
        let lacking = !(range.start..range.end - 1).any(known);
        let weight = if lacking { 1.0 } else { lexicon::weight(&word) };
        // Bigram `i` holds characters `i` and `i + 1`.
        for at in range.start..range.end - 1 {
            if let Some(w) = weights.get_mut(at) {
                *w = weight;
            }
        }
    }
    if weights.iter().all(|&w| w == 0.0) {
        weights.fill(1.0);
    }
    for ((w, g), &held) in weights.iter_mut().zip(grams).zip(&in_notes) {
        if *w == 0.0 && held && !g.chars().any(analyze::is_cjk_stop) {
            *w = CROSSING_WEIGHT;
        }
    }
    weights
}

/// Bigrams of the notes that sound like the run's bigram at `at` with one character
/// swapped, as a pinyin input method slips (`链解` for `链接`), the commonest first; at
/// most [`MAX_HOMOPHONES`]. The swapped character must also make a bigram of the notes
/// with its other neighbour in the run (`叠标` of `可折迭标注`): a slip mends the run,
/// it does not make up a word beside ones the notes lack (`量子计算`).
fn homophones(live: &Live, run: &[char], at: usize) -> Vec<TermId> {
    let (Some(&a), Some(&b)) = (run.get(at), run.get(at + 1)) else {
        return Vec::new();
    };
    let known = |x: char, y: char| has_bigram(live, x, y);
    let mut found = Vec::new();
    // The first character kept and the second slipped, then the other way round.
    for (kept, slipped, kept_second) in [(a, b, false), (b, a, true)] {
        let wanted: Vec<_> = sounds(slipped).collect();
        if wanted.is_empty() {
            continue;
        }
        for &id in live.cjk_bigrams(kept, kept_second).iter().take(MAX_SOUND_SCAN) {
            let mut chars = live.term(id).chars();
            let Some(other) = (if kept_second { chars.next() } else { chars.nth(1) }) else {
                continue;
            };
            let mends = || {
                if kept_second {
                    let before = at.checked_sub(1).and_then(|i| run.get(i));
                    before.is_none_or(|&p| known(p, other))
                } else {
                    run.get(at + 2).is_none_or(|&n| known(other, n))
                }
            };
            if other != slipped && sounds(other).any(|s| wanted.contains(&s)) && mends() {
                found.push(id);
                if found.len() == MAX_HOMOPHONES {
                    return found;
                }
            }
        }
    }
    found
}

/// Whether the run's bigram at `at` is a pinyin slip of one of the notes' bigrams that,
/// put in its place, is part of one word of the mended run (`换灯` of `换灯片`: `幻灯片`),
/// not a chance likeness (`删文` of `删文件` sounds like `散文`, but `散文件` splits as
/// `散` `文件`).
fn slip_mends_a_word(live: &Live, run: &[char], at: usize) -> bool {
    homophones(live, run, at).into_iter().any(|id| {
        let mut mended = run.to_vec();
        for (slot, c) in mended.iter_mut().skip(at).zip(live.term(id).chars()) {
            *slot = c;
        }
        lexicon::words(&mended, |_| None)
            .into_iter()
            .any(|word| word.start <= at && at + 2 <= word.end)
    })
}

/// Whether the notes have the bigram of `a` then `b`.
fn has_bigram(live: &Live, a: char, b: char) -> bool {
    let mut bytes = [0u8; 8];
    let first = a.encode_utf8(&mut bytes).len();
    let second = b.encode_utf8(&mut bytes[first..]).len();
    std::str::from_utf8(&bytes[..first + second]).is_ok_and(|gram| live.id(gram).is_some())
}

/// Every way a Chinese character sounds ([`sound`]), the commonest first: an input method
/// lists it under each of its readings (`扛` under `kang` and `gang`, beside `杠`).
fn sounds(c: char) -> impl Iterator<Item = (&'static str, &'static str)> {
    use pinyin::ToPinyinMulti;
    (c.to_pinyin_multi().into_iter().flatten()).map(|reading| sound(reading.plain()))
}

/// How a reading sounds, toneless, as (initial, final), with the sounds pinyin typists
/// most often confuse made one: zh/z, ch/c, sh/s, n/l, -ng/-n (not -ong).
fn sound(plain: &'static str) -> (&'static str, &'static str) {
    let (initial, rest) = match plain.get(..2) {
        Some("zh") => ("z", &plain[2..]),
        Some("ch") => ("c", &plain[2..]),
        Some("sh") => ("s", &plain[2..]),
        _ => match plain.chars().next() {
            Some('n') => ("l", &plain[1..]),
            Some(c) if !"aeiouv".contains(c) => plain.split_at(c.len_utf8()),
            _ => ("", plain),
        },
    };
    let final_ = match rest.strip_suffix('g') {
        Some(nasal) if nasal.ends_with('n') && !nasal.ends_with("on") => nasal,
        _ => rest,
    };
    (initial, final_)
}

/// What a Latin word's units are looked up with.
struct Word<'a> {
    analyzer: &'a Analyzer,
    live: &'a Live,
    mode: Mode,
    range: &'a Range<u32>,
}

impl Word<'_> {
    /// A word (its `parts` joined by hyphens or dots in the query) as one unit when the
    /// notes know it whole; else its parts one by one.
    fn units(&self, parts: &[String], typing: bool, units: &mut Vec<Unit>) {
        let joined: String = parts.concat();
        let known = self.live.id(&joined).is_some();
        let whole = known || parts.len() == 1 && analyze::alnum_runs(&joined).len() == 1;
        if whole {
            units.push(self.unit(&joined, typing));
            return;
        }
        // An unknown compound: its parts count one by one, and an unknown part of
        // letters and digits (`2.4ghz`) by its runs.
        for (p, part) in parts.iter().enumerate() {
            let typing = typing && p + 1 == parts.len();
            let runs = analyze::alnum_runs(part);
            if runs.len() > 1 && self.live.id(part).is_none() {
                units.extend(runs.into_iter().map(|run| self.unit(run, false)));
            } else {
                units.push(self.unit(part, typing));
            }
        }
    }

    fn unit(&self, word: &str, typing: bool) -> Unit {
        word_unit(self.analyzer, self.live, word, self.mode, typing, self.range)
    }
}

fn exact(id: TermId, cover: f32) -> QueryTerm {
    QueryTerm {
        id,
        weight: 1.0,
        cover,
        fuzzy: false,
        distinct: false,
        related: false,
    }
}

/// A related term: matched below the word itself, and it covers less of it.
fn related(id: TermId, cover: f32) -> QueryTerm {
    QueryTerm {
        weight: RELATED_WEIGHT,
        cover: cover * RELATED_COVER,
        related: true,
        ..exact(id, cover)
    }
}

fn unit(live: &Live, terms: Vec<QueryTerm>, additive: bool) -> Unit {
    let idf = terms.iter().map(|t| live.idf(live.df(t.id))).fold(0.0, f32::max);
    Unit {
        terms,
        additive,
        idf,
        cjk: false,
        strict: 1.0,
        emphasis: 1.0,
        glossed: false,
    }
}

/// A lone CJK character: the bigrams holding it (those it starts, when it is being
/// typed), and itself where a document has it alone.
fn cjk_char_unit(live: &Live, c: char, typing: bool) -> Unit {
    let mut terms: Vec<QueryTerm> = Vec::new();
    if let Some(id) = live.id(c.encode_utf8(&mut [0; 4])) {
        terms.push(exact(id, 1.0));
    }
    let starting = live.cjk_bigrams(c, false);
    let ending = if typing {
        &[][..]
    } else {
        live.cjk_bigrams(c, true)
    };
    let mut budget = Budget::typing(typing);
    for id in commonest_of_both(live, starting, ending, MAX_CJK_EXPANSIONS) {
        if !terms.iter().any(|t| t.id == id) && budget.fits(live, id) {
            terms.push(QueryTerm {
                id,
                weight: if typing { PREFIX_WEIGHT } else { 1.0 },
                cover: if typing { PREFIX_COVER } else { 1.0 },
                fuzzy: typing,
                distinct: false,
                related: false,
            });
        }
    }
    let mut lone = unit(live, terms, false);
    lone.cjk = true;
    lone
}

/// The postings a word's completions may still read: [`TYPING_POSTINGS`] while it is
/// being typed, else no limit.
struct Budget(usize);

impl Budget {
    fn typing(typing: bool) -> Budget {
        Budget(if typing { TYPING_POSTINGS } else { usize::MAX })
    }

    /// Whether the postings a query reads for `id` (at most [`POSTING_CAP`]) fit in what
    /// is left; if so they are counted. Those that do not fit are left out, and a later,
    /// rarer completion may still fit.
    fn fits(&mut self, live: &Live, id: TermId) -> bool {
        let cost = live.df(id).min(POSTING_CAP);
        match self.0.checked_sub(cost) {
            Some(left) => {
                self.0 = left;
                true
            }
            None => false,
        }
    }
}

/// The `n` commonest of two lists each sorted commonest first: a character's bigrams that
/// start with it and those that end with it, taken alike (`建` is `创建` as much as `建议`;
/// the first list alone would fill the `n`).
fn commonest_of_both(live: &Live, a: &[TermId], b: &[TermId], n: usize) -> Vec<TermId> {
    let mut out = Vec::with_capacity(n.min(a.len() + b.len()));
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    while out.len() < n {
        let take_a = match (a.peek(), b.peek()) {
            (Some(&&x), Some(&&y)) => live.df(x) >= live.df(y),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_a { a.next() } else { b.next() };
        if let Some(&id) = next {
            out.push(id);
        }
    }
    out
}

fn word_unit(
    analyzer: &Analyzer,
    live: &Live,
    word: &str,
    mode: Mode,
    prefix: bool,
    range: &Range<u32>,
) -> Unit {
    let stem = analyzer.stem(word);
    let mut terms: Vec<QueryTerm> = Vec::new();
    let add = |terms: &mut Vec<QueryTerm>, term: QueryTerm| match terms.iter_mut().find(|t| t.id == term.id) {
        Some(known) if known.weight < term.weight => *known = term,
        Some(_) => {}
        None => terms.push(term),
    };
    for form in [stem.as_str(), word] {
        if let Some(id) = live.id(form) {
            add(&mut terms, exact(id, 1.0));
        }
    }
    let known = terms.iter().any(|t| live.df_in(t.id, range) > 0);
    if prefix {
        let completions = live.with_prefix(word, MAX_PREFIX_EXPANSIONS);
        let mut budget = Budget::typing(true);
        for surface in completions.into_iter().filter(|w| !analyze::is_stop_str(w)) {
            if let Some(id) = live.id(&analyzer.stem(surface))
                && !terms.iter().any(|t| t.id == id)
                && budget.fits(live, id)
            {
                // Not among the terms yet (checked above, before it is counted).
                terms.push(QueryTerm {
                    id,
                    weight: PREFIX_WEIGHT,
                    cover: PREFIX_COVER,
                    fuzzy: true,
                    distinct: false,
                    related: false,
                });
            }
        }
    }
    // An English word is spelled as meant (`bread` is not a slip of `break`): its related
    // terms stand in for it instead. After a miss, any word may be a slip.
    let spelled = || mode != Mode::Loose && analyzer.related.is_english_word(word);
    if !known && !word.chars().all(|c| c.is_ascii_digit()) && !spelled() {
        let len = word.chars().count();
        let budget = match len {
            8.. => 2,
            4.. => 1,
            _ => 0,
        };
        let budget = if mode == Mode::Loose && len >= 3 {
            budget + 1
        } else {
            budget
        };
        for (surface, distance) in live.similar(word, budget) {
            if let Some(id) = live.id(&analyzer.stem(surface)) {
                let d = distance.min(2);
                let term = QueryTerm {
                    id,
                    weight: TYPO_WEIGHT[d],
                    cover: TYPO_COVER[d],
                    fuzzy: true,
                    distinct: false,
                    related: false,
                };
                add(&mut terms, term);
            }
        }
    }
    // A word the notes never use is asked in other words than theirs: the related words
    // they do use stand in for it. (A word they use is not widened: that would read many
    // more postings for every query, for no measured gain.)
    if mode != Mode::Typing && !known {
        related_terms(analyzer, live, word, 1.0, &mut terms);
    }
    terms.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    unit(live, terms, false)
}

/// Adds to `terms` the related terms of `text` (a normalised word or phrase) that the
/// notes use but not commonly, at most [`MAX_RELATED`], each covering `cover` ×
/// [`RELATED_COVER`]; those already there are left as they are.
fn related_terms(analyzer: &Analyzer, live: &Live, text: &str, cover: f32, terms: &mut Vec<QueryTerm>) {
    let mut added = 0;
    analyzer.related.of(text, &mut |word| {
        if added == MAX_RELATED || analyze::is_stop_str(word) {
            return;
        }
        // A word most sections use says little of which is meant, and is long to read.
        let mut add = |id| {
            let common = unit_weight(live.df(id), live.live_docs(), false) < 1.0;
            if !common && !terms.iter().any(|t| t.id == id) {
                terms.push(related(id, cover));
                added += 1;
            }
        };
        if word.chars().all(analyze::is_cjk) {
            // A Chinese word: its bigrams, any of which stands for it.
            for gram in analyze::bigrams(&word.chars().collect::<Vec<_>>()) {
                live.id(&gram).into_iter().for_each(&mut add);
            }
        } else if !word.contains(' ') {
            live.id(&analyzer.stem(word)).into_iter().for_each(&mut add);
        }
    });
}

/// Makes `units` stricter for the closest sections after a miss: their exact terms that
/// are not common in `range` (that would count fully in the coverage, [`unit_weight`] 1)
/// are marked distinct, and a Latin word the notes lack counts fully against a section,
/// as a CJK run does: offered sections should be about the query, not share one word of
/// a longer question on another subject. Costs a document count per term, so only that
/// search asks for it.
pub fn closest_units(live: &Live, units: &mut [Unit], range: &Range<u32>) {
    let n = live.live_in(range);
    for unit in units {
        for term in &mut unit.terms {
            term.cover *= unit.strict;
        }
        unit.strict = 1.0;
        for term in unit.terms.iter_mut().filter(|t| !t.fuzzy && !t.related) {
            let df = live.df_in(term.id, range);
            term.distinct = df > 0 && unit_weight(df, n, unit.cjk) >= 1.0;
        }
        unit.cjk = true;
    }
}

pub struct Scored {
    pub doc: u32,
    pub score: f32,
    /// Weighted share of the query's units matched, 0 to 1: unlike the score, comparable
    /// across note sets.
    pub coverage: f32,
    pub flags: u16,
}

/// Per-document accumulators, reused between queries on one thread.
#[derive(Default)]
struct Scratch {
    /// By document: what a posting updates lies in one cache line, not in five arrays
    /// (the reads are scattered over the whole index: cache misses are most of a query).
    docs: Vec<Acc>,
    touched: Vec<u32>,
    unit_touched: Vec<u32>,
}

#[derive(Clone, Copy, Default)]
struct Acc {
    score: f32,
    coverage: f32,
    unit_score: f32,
    unit_cover: f32,
    /// A unit's cover by distinct terms only (see [`closest_units`]).
    unit_distinct: f32,
    /// The coverage, and a unit's cover, by terms of the title only.
    title: f32,
    unit_title: f32,
    flags: u16,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// How much a unit counts in the coverage, given how many of the `range` documents it
/// matches. A Latin word no document matches counts half: a word the notes never use is
/// weak evidence against a section (`how do I set up a vpn`, English words on Chinese
/// notes); a CJK run counts fully (`量子 计算`: another subject). A common unit counts
/// less, by its idf within the range, down to nothing when it matches every document: a
/// note's tag or a word on most sections says little about which section is meant
/// (`guest network` on a note aliased `home network`; `note` in a question about notes).
/// A unit counts fully up to a quarter of a small range, or up to [`COMMON_SHARE`] of a
/// big one.
pub fn unit_weight(matched: usize, range: usize, cjk: bool) -> f32 {
    if matched == 0 {
        return if cjk { 1.0 } else { 0.5 };
    }
    if range < 4 {
        return 1.0;
    }
    let n = range as f32;
    let idf = |df: f32| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    let common = (n * COMMON_SHARE).max((n / 4.0).min(SMALL_RANGE / 4.0));
    (idf(matched.min(range) as f32) / idf(common)).min(1.0)
}

/// BM25F × coverage² × (1 + the title's coverage) over the documents in `range`; the best `limit` above
/// `min_coverage`, best first. Coverage is the weighted mean share of the query's units
/// a document matches (see [`unit_weight`]).
pub fn score(
    live: &Live,
    units: &[Unit],
    range: &Range<u32>,
    min_coverage: f32,
    limit: usize,
) -> Vec<Scored> {
    score_with(live, units, range, (min_coverage, 0), limit)
}

/// [`score`] of the documents whose flags hold every bit of `require` too.
pub fn score_with(
    live: &Live,
    units: &[Unit],
    range: &Range<u32>,
    (min_coverage, require): (f32, u16),
    limit: usize,
) -> Vec<Scored> {
    if units.is_empty() || limit == 0 || range.is_empty() {
        return Vec::new();
    }
    SCRATCH.with(|cell| {
        // Re-entered (cannot happen today): a fresh scratch rather than a panic.
        let (mut borrowed, mut fresh) = (cell.try_borrow_mut(), Scratch::default());
        let scratch = match &mut borrowed {
            Ok(scratch) => &mut **scratch,
            Err(_) => &mut fresh,
        };
        scratch.reserve(range.end as usize);
        let units_weight: f32 = units.iter().map(|unit| scratch.add_unit(live, unit, range)).sum();
        scratch.take_best(
            live,
            units_weight.max(f32::MIN_POSITIVE),
            (min_coverage, require),
            limit,
        )
    })
}

/// A candidate for the best, with its place in library order. Ordered best first (by
/// score, ties in library order), so a max-heap's top is the worst kept.
struct Candidate {
    scored: Scored,
    order: u32,
}

impl Candidate {
    fn rank(&self, other: &Candidate) -> std::cmp::Ordering {
        other
            .scored
            .score
            .total_cmp(&self.scored.score)
            .then(self.order.cmp(&other.order))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Candidate) -> bool {
        self.rank(other).is_eq()
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Candidate) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Candidate) -> std::cmp::Ordering {
        self.rank(other)
    }
}

impl Scratch {
    /// Room for documents `0..n`.
    fn reserve(&mut self, n: usize) {
        if self.docs.len() < n {
            self.docs.resize(n, Acc::default());
        }
        self.touched.clear();
    }

    /// Adds one unit's score and coverage to every document in `range` it matches;
    /// returns the unit's weight in the coverage.
    fn add_unit(&mut self, live: &Live, unit: &Unit, range: &Range<u32>) -> f32 {
        self.unit_touched.clear();
        // The unit's own terms first: how many documents they match says how common the
        // unit is, whatever its related terms match.
        for term in unit.terms.iter().filter(|t| !t.related) {
            self.add_term(live, unit, term, range);
        }
        let own = self.unit_touched.len();
        for term in unit.terms.iter().filter(|t| t.related) {
            self.add_term(live, unit, term, range);
        }
        if unit.terms.iter().any(|t| t.distinct) {
            self.mark_distinct(live, unit, range);
        }
        let matched = if own > 0 { own } else { self.unit_touched.len() };
        let weight = unit_weight(matched, live.live_in(range), unit.cjk) * unit.emphasis;
        for &d in &self.unit_touched {
            let Some(acc) = self.docs.get_mut(d as usize) else {
                continue;
            };
            if acc.coverage == 0.0 {
                self.touched.push(d);
            }
            acc.score += acc.unit_score * unit.emphasis;
            acc.coverage += acc.unit_cover.min(1.0) * weight;
            acc.title += acc.unit_title.min(1.0) * weight;
            acc.unit_score = 0.0;
            acc.unit_cover = 0.0;
            acc.unit_title = 0.0;
        }
        weight
    }

    /// One term of `unit`: its postings into the unit's accumulators.
    fn add_term(&mut self, live: &Live, unit: &Unit, term: &QueryTerm, range: &Range<u32>) {
        let term_weight = TermWeight {
            weight: term.weight * live.idf(live.df(term.id)),
            cover: term.cover,
            how: match (term.fuzzy, term.related) {
                (true, _) => FUZZY,
                // Neither exact nor a typo: a paraphrase's reason is where it matched.
                (false, true) => 0,
                (false, false) => EXACT,
            } | if unit.glossed { GLOSSED } else { 0 },
        };
        // One loop for each kind of reading and unit, each without the others' branches.
        match (live.read(term.id, range), unit.additive) {
            (Reading::Base(Read::List(list)), true) => self.add_postings::<true>(list, range, &term_weight),
            (Reading::Base(Read::List(list)), false) => self.add_postings::<false>(list, range, &term_weight),
            (Reading::Base(Read::Strongest(best)), true) => {
                self.add_postings::<true>(best.copied(), range, &term_weight)
            }
            (Reading::Base(Read::Strongest(best)), false) => {
                self.add_postings::<false>(best.copied(), range, &term_weight)
            }
            (merged, true) => self.add_postings::<true>(merged, range, &term_weight),
            (merged, false) => self.add_postings::<false>(merged, range, &term_weight),
        }
    }

    /// Flags [`DISTINCT`] the documents `unit` touched that its distinct terms cover
    /// enough. A second read of those terms' postings (short: few documents hold them),
    /// so that searches without distinct terms pay nothing for it.
    fn mark_distinct(&mut self, live: &Live, unit: &Unit, range: &Range<u32>) {
        for term in unit.terms.iter().filter(|t| t.distinct) {
            for posting in live.read(term.id, range) {
                if !range.contains(&posting.doc) {
                    continue;
                }
                let Some(acc) = self.docs.get_mut(posting.doc as usize) else {
                    continue;
                };
                if unit.additive {
                    acc.unit_distinct += term.cover;
                } else {
                    acc.unit_distinct = acc.unit_distinct.max(term.cover);
                }
            }
        }
        let enough = if unit.additive { DISTINCT_RUN } else { 1.0 };
        for &d in &self.unit_touched {
            let Some(acc) = self.docs.get_mut(d as usize) else {
                continue;
            };
            if acc.unit_distinct >= enough {
                acc.flags |= DISTINCT;
            }
            acc.unit_distinct = 0.0;
        }
    }

    /// One term's postings into the unit's accumulators: summed over the unit's terms
    /// (`ADDITIVE`, a CJK run's bigrams) or the best of them.
    #[inline]
    fn add_postings<const ADDITIVE: bool>(
        &mut self,
        postings: impl Iterator<Item = Posting>,
        range: &Range<u32>,
        term: &TermWeight,
    ) {
        for posting in postings {
            if !range.contains(&posting.doc) {
                continue;
            }
            let Some(acc) = self.docs.get_mut(posting.doc as usize) else {
                continue;
            };
            if acc.unit_cover == 0.0 {
                self.unit_touched.push(posting.doc);
            }
            let gained = term.weight * posting.impact();
            let in_title = f32::from(u8::from(posting.fields & TITLE_BIT != 0)) * term.cover;
            if ADDITIVE {
                acc.unit_score += gained;
                acc.unit_cover += term.cover;
                acc.unit_title += in_title;
            } else {
                acc.unit_score = acc.unit_score.max(gained);
                acc.unit_cover = acc.unit_cover.max(term.cover);
                acc.unit_title = acc.unit_title.max(in_title);
            }
            acc.flags |= u16::from(posting.fields) | term.how;
        }
    }

    /// The best `limit` documents touched whose coverage is above `min_coverage` and
    /// whose flags hold `require`, scored, best first, ties in library order; clears the
    /// scratch for the next query. A heap of the best so far: most documents lose to the
    /// worst kept at one compare.
    fn take_best(
        &mut self,
        live: &Live,
        units_weight: f32,
        (min_coverage, require): (f32, u16),
        limit: usize,
    ) -> Vec<Scored> {
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(limit.min(64));
        for &d in &self.touched {
            let Some(acc) = self.docs.get_mut(d as usize) else {
                continue;
            };
            let coverage = (acc.coverage / units_weight).min(1.0);
            if coverage > min_coverage && acc.score > 0.0 && acc.flags & require == require {
                let in_title = (acc.title / units_weight).min(1.0);
                let scored = Scored {
                    doc: d,
                    score: acc.score * coverage * coverage * (1.0 + TITLE_COVERAGE * in_title),
                    coverage,
                    flags: acc.flags,
                };
                if best.len() < limit {
                    best.push(Candidate {
                        scored,
                        order: live.order(d),
                    });
                } else if let Some(mut worst) = best.peek_mut() {
                    let better = scored
                        .score
                        .total_cmp(&worst.scored.score)
                        .then_with(|| worst.order.cmp(&live.order(d)))
                        .is_gt();
                    if better {
                        *worst = Candidate {
                            scored,
                            order: live.order(d),
                        };
                    }
                }
            }
            *acc = Acc::default();
        }
        best.into_sorted_vec().into_iter().map(|c| c.scored).collect()
    }
}

/// What each posting of a query term is worth.
struct TermWeight {
    /// The term's weight times its idf.
    weight: f32,
    cover: f32,
    how: u16,
}
