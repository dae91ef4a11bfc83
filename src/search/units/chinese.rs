//! The units of Chinese (CJK) text: a run's bigrams weighed by the words they make, pinyin
//! slips of the notes' bigrams, lone characters, and English glosses for notes written
//! in English.

use std::cell::OnceCell;
use std::ops::Range;

use super::{
    Budget, MAX_RELATED, MAX_UNITS, Mode, PREFIX_COVER, PREFIX_WEIGHT, QueryTerm, RELATED_WEIGHT, TYPO_COVER,
    TYPO_WEIGHT, Unit, exact, related_terms, unit, written_chars,
};
use crate::search::analyze::{self, Analyzer};
use crate::search::index::TermId;
use crate::search::lexicon;
use crate::search::live::Live;

/// Bigrams a lone CJK character stands for, at most.
const MAX_CJK_EXPANSIONS: usize = 30;
/// Homophone bigrams a CJK bigram the notes lack stands for, at most, among this many
/// of the commonest bigrams sharing a character with it.
const MAX_HOMOPHONES: usize = 3;
const MAX_SOUND_SCAN: usize = 256;
/// Most bigrams of one CJK run: a pasted paragraph is not read to its end.
pub(super) const MAX_BIGRAMS: usize = 24;

/// What a bigram across two words of a run counts when the notes hold it (see
/// [`bigram_weights`]).
const CROSSING_WEIGHT: f32 = 0.25;

/// A CJK run of two or more characters: its distinct bigrams, each an equal share.
pub(super) fn cjk_run_unit(analyzer: &Analyzer, live: &Live, chars: &[char], mode: Mode) -> Unit {
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
pub(super) fn glossed_units(
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
            units.push(cjk_run_unit(analyzer, live, part, mode).written(written_chars(part)));
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
            units.push(
                Unit {
                    glossed: true,
                    ..unit(live, terms, false)
                }
                .written(written_chars(&chars[word.clone()])),
            );
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
pub(super) fn split_edge_verbs<'c>(live: &Live, chars: &'c [char]) -> (&'c [char], &'c [char], &'c [char]) {
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
            if other != slipped
                && sounds(other).any(|s| wanted.contains(&s))
                && mends()
                && (run.len() > 2 || plainly_slipped(slipped, other, live.term(id)))
            {
                found.push(id);
                if found.len() == MAX_HOMOPHONES {
                    return found;
                }
            }
        }
    }
    found
}

/// Whether a two-character word (a run alone, with no neighbour to confirm a slip) is a
/// slip for `word` of the notes: a reading of `slipped` is exactly how `other` is most
/// often read, and `word` is a word (`源马` for `源码`, `扛杆` for `杠杆`); not a near sound
/// (`公式` is no slip for `公司`), a rare reading of the notes' character (`海鲜` for
/// `海洋` through 洋's xiáng) or a pair across words (`模式` for the `模时` of `模型时`).
/// Posted publicly, such guesses answered with another subject.
fn plainly_slipped(slipped: char, other: char, word: &str) -> bool {
    use pinyin::{ToPinyin, ToPinyinMulti};
    let Some(heard) = other.to_pinyin().map(|p| p.plain()) else {
        return false;
    };
    let typed = slipped.to_pinyin_multi().into_iter().flatten();
    typed.map(|p| p.plain()).any(|p| p == heard) && lexicon::count(word).is_some()
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

/// A lone CJK character: the bigrams holding it (those it starts, when it is being
/// typed), and itself where a document has it alone.
pub(super) fn cjk_char_unit(live: &Live, c: char, typing: bool) -> Unit {
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
