//! A query as units (a Latin word, a CJK run, a synonym, a phrase), each with the index
//! terms that can match it: exact, stem, typo, prefix, related, and for Chinese a pinyin
//! homophone of a bigram or an English gloss ([`chinese`]); how much a unit counts in a
//! range's coverage ([`unit_weight`]), and the stricter units the closest sections are
//! found with ([`stricter_for_closest`]). [`super::rank`] scores documents over them.

mod chinese;

use std::cell::OnceCell;
use std::ops::Range;

use super::analyze::{self, Analyzer, Piece};
use super::index::{POSTING_CAP, TermId};
use super::lexicon;
use super::live::Live;
use super::question;
use chinese::{cjk_char_unit, cjk_run_unit, glossed_units, split_edge_verbs};

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
/// Postings the completions of the word being typed read, at most: autocomplete asks at
/// every keystroke, and in a big vault a short prefix (`co`, `性`) stands for many common
/// words, each of a full list (1.3 ms at 100k sections, against 0.1 ms for most).
pub(super) const TYPING_POSTINGS: usize = 2 * POSTING_CAP;

/// Share of a big range above which a unit is common and weighs less in the coverage.
const COMMON_SHARE: f32 = 0.05;
/// Ranges up to this many documents use a quarter instead.
const SMALL_RANGE: f32 = 100.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryTerm {
    pub id: TermId,
    /// Factor on the term's BM25F score.
    pub weight: f32,
    /// Share of its unit the term covers.
    pub cover: f32,
    pub fuzzy: bool,
    /// Set by [`stricter_for_closest`]: an exact term few documents
    /// in range hold.
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
    /// counts fully against a section; [`stricter_for_closest`] sets
    /// it on every unit).
    pub cjk: bool,
    /// Factor on its terms' covers that counts every bigram of a CJK run alike, those
    /// across word boundaries too (its bigram weights, [`chinese`]); 1 for other units.
    /// [`stricter_for_closest`] applies it: offered sections need
    /// the stricter count.
    pub strict: f32,
    /// Factor on the unit's score and its weight in the coverage: below 1 for the words of
    /// a clause that tells rather than asks ([`CONTEXT`]).
    pub emphasis: f32,
    /// A Chinese word asked of English notes through its glosses ([`glossed_units`]).
    pub glossed: bool,
    /// What the query writes for it (a word, a phrase, a CJK run), to explain a search.
    pub text: Box<str>,
}

impl Unit {
    /// The unit, written as `text` in the query.
    fn written(self, text: impl Into<Box<str>>) -> Unit {
        Unit {
            text: text.into(),
            ..self
        }
    }
}

/// A CJK run as a unit's text: as far as its bigrams are read ([`chinese::MAX_BIGRAMS`]).
pub(super) fn written_chars(chars: &[char]) -> Box<str> {
    let shown = chinese::MAX_BIGRAMS + 1;
    let mut text: String = chars.iter().take(shown).collect();
    if chars.len() > shown {
        text.push('…');
    }
    text.into()
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

/// Whether a query of greetings and filler alone asks its greetings (`hello`, `thanks`: a
/// section may be titled so): yes for a whole query, not for a clause of one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Greetings {
    Ask,
    Skip,
}

/// The units of a normalised, question-stripped query, for documents in `range`.
pub fn of(
    analyzer: &Analyzer,
    live: &Live,
    stripped: &str,
    (mode, greetings): (Mode, Greetings),
    range: &Range<u32>,
) -> Vec<Unit> {
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
            let mut all = clause_units(analyzer, live, asked, (mode, Greetings::Skip), range, &in_english);
            let avoided = clause_units(
                analyzer,
                live,
                avoided,
                (mode, Greetings::Skip),
                range,
                &in_english,
            );
            all.extend(avoided.into_iter().map(|unit| Unit {
                emphasis: CONTEXT,
                ..unit
            }));
            all.truncate(MAX_UNITS);
            all
        }
        _ => clause_units(analyzer, live, stripped, (mode, greetings), range, &in_english),
    }
}

/// The units of one stretch of a query ([`of`]).
fn clause_units(
    analyzer: &Analyzer,
    live: &Live,
    stripped: &str,
    (mode, greetings): (Mode, Greetings),
    range: &Range<u32>,
    in_english: &OnceCell<bool>,
) -> Vec<Unit> {
    // The last word may be unfinished: as the user types, and after a miss.
    let typing_at_end = matches!(mode, Mode::Typing | Mode::Loose);
    let pieces = asking_pieces(analyzer, live, stripped, (mode, greetings));
    let last = pieces.len().saturating_sub(1);
    let mut units = Vec::new();
    for (i, (piece, joined)) in pieces.iter().enumerate() {
        let typing = typing_at_end && i == last;
        let first = units.len();
        match piece {
            Piece::Synonym { group, .. } => {
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
                        for c in verbs_before.iter().chain(verbs_after) {
                            units.push(cjk_char_unit(live, *c, false).written(c.to_string()));
                        }
                        match run {
                            [] => {}
                            &[c] => units.push(cjk_char_unit(live, c, false)),
                            run => units
                                .push(cjk_run_unit(analyzer, live, run, mode).written(written_chars(run))),
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
            }
        }
        // `make` of `how do I make a table` frames what is asked (not while typing: `use`
        // may be the start of `username`); where the notes never use it, it says nothing
        // against a section (`how much storage do i get`).
        let light = mode != Mode::Typing
            && match piece {
                Piece::Word { parts } => matches!(parts.as_slice(), [part] if question::is_light_verb(part)),
                Piece::Phrase(phrase) => question::is_light_verb(phrase),
                Piece::Cjk(chars) => chars.len() <= 2 && question::is_light_verb(&String::from_iter(chars)),
                _ => false,
            };
        if light {
            let unused = |unit: &Unit| unit.terms.iter().all(|t| live.df_in(t.id, range) == 0);
            if units[first..].iter().all(unused) {
                units.truncate(first);
            }
            for unit in &mut units[first..] {
                unit.emphasis = CONTEXT;
            }
        }
        // The compound the notes write as one word (`site map`: `sitemap`) matches each
        // of the words it joins.
        let written = || -> Box<str> {
            match piece {
                Piece::Word { parts } => parts.join("-").into(),
                Piece::Cjk(chars) => written_chars(chars),
                Piece::Synonym { written, .. } => written.as_str().into(),
                Piece::Phrase(phrase) => phrase.as_str().into(),
            }
        };
        for unit in &mut units[first..] {
            if unit.text.is_empty() {
                unit.text = written();
            }
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
fn asking_pieces(
    analyzer: &Analyzer,
    live: &Live,
    stripped: &str,
    (mode, greetings): (Mode, Greetings),
) -> Vec<(Piece, Vec<TermId>)> {
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
    // A query of filler and greetings alone asks its greetings; among other words they
    // ask nothing.
    let greetings_ask = greetings == Greetings::Ask && pieces.iter().all(analyze::is_stop_word);
    let mut asking = Vec::with_capacity(pieces.len() + 1);
    for (i, piece) in pieces.into_iter().enumerate() {
        if analyze::is_stop_word(&piece) && !(greetings_ask && analyze::is_greeting(&piece)) {
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

/// The particles of phrasal verbs: they close a compound the notes may write as one word
/// (`set up`: `setup`, `plug in`: `plugin`, `pop up`: `popup`) and may follow the verb's
/// object (`turn it off`), though alone they ask nothing.
const PARTICLES: &[&str] = &["up", "in", "on", "out", "off", "down", "over", "back", "away"];

/// Per piece of a query: the term of a compound it is part of, if the notes hold one.
type Joined = Vec<Option<TermId>>;

/// The terms of the compounds a query writes apart that the notes write as one word:
/// for each piece, its own (a phrase, `log in`: `login`), and the one it makes with the
/// next piece (`site map`: `sitemap`, `back links`: `backlinks`). Both words are Latin
/// letters, two or more each; the first asks something, the second too or is a
/// [`PARTICLES`] one. A look-up or two per pair, none for other pieces.
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
            if !asks(a) || !(asks(b) || PARTICLES.contains(&b)) {
                return None;
            }
            term(&format!("{a}{b}"))
        })
        .collect();
    (own, with_next)
}

/// Runs of two or three one-part words that have related terms together (`get rid of`,
/// `turn on`) become one [`Piece::Phrase`], the longest first: the phrase, not its
/// words, is what is asked. A phrasal verb may hold its object between its words
/// (`switch it on`, `take a page off`): the verb and its particle become the phrase,
/// and the object's words stay, after it.
fn join_phrases(analyzer: &Analyzer, pieces: &mut Vec<Piece>) {
    let mut joined = Vec::with_capacity(pieces.len());
    let mut at = 0;
    while at < pieces.len() {
        let phrase = [3, 2].into_iter().find_map(|n| {
            let words: Option<Vec<&str>> = pieces.get(at..at + n)?.iter().map(one_part_word).collect();
            let phrase = words?.join(" ");
            analyzer.related.is_phrase(&phrase).then_some((n, phrase))
        });
        if let Some((n, phrase)) = phrase {
            joined.push(Piece::Phrase(phrase));
            at += n;
        } else if let Some((particle, phrase)) = separated_phrase(analyzer, &pieces[at..]) {
            joined.push(Piece::Phrase(phrase));
            joined.extend(pieces[at + 1..at + particle].iter().cloned());
            at += particle + 1;
        } else {
            joined.push(pieces[at].clone());
            at += 1;
        }
    }
    *pieces = joined;
}

/// Words an object between a verb and its particle holds, at most (`get the old text back`).
const MAX_OBJECT_WORDS: usize = 3;

/// A phrasal verb at the start of `pieces` with its object between its words: where its
/// particle is, and the verb and particle as a phrase. The object is one-part words, none
/// of them a particle: `put a youtube video in`, not `sign in` of `sign up in`.
fn separated_phrase(analyzer: &Analyzer, pieces: &[Piece]) -> Option<(usize, String)> {
    let verb = one_part_word(pieces.first()?)?;
    if analyze::is_stop_str(verb) || PARTICLES.contains(&verb) {
        return None;
    }
    for particle in 2..=MAX_OBJECT_WORDS + 1 {
        let object = one_part_word(pieces.get(particle - 1)?)?;
        if PARTICLES.contains(&object) {
            return None;
        }
        let last = pieces.get(particle).and_then(one_part_word)?;
        if PARTICLES.contains(&last) {
            let phrase = format!("{verb} {last}");
            return analyzer.related.is_phrase(&phrase).then_some((particle, phrase));
        }
    }
    None
}

/// A piece that is a word of one part (not `a-b`, a CJK run, a synonym or a phrase).
fn one_part_word(piece: &Piece) -> Option<&str> {
    match piece {
        Piece::Word { parts } if parts.len() == 1 => Some(parts[0].as_str()),
        _ => None,
    }
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
                units.extend(runs.into_iter().map(|run| self.unit(run, false).written(run)));
            } else {
                units.push(self.unit(part, typing).written(part.as_str()));
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
        text: Box::default(),
    }
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
    // they do use stand in for it. A word they use is not widened by the built-in lists
    // (that would read many more postings for every query, for no measured gain), only by
    // the deployment's own groups: an admin wrote those for this vault's words.
    if mode != Mode::Typing {
        if known {
            own_related_terms(analyzer, live, word, &stem, &mut terms);
        } else {
            related_terms(analyzer, live, word, 1.0, &mut terms);
        }
    }
    terms.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    unit(live, terms, false)
}

/// Adds to `terms` the related terms of `text` (a normalised word or phrase) that the
/// notes use but not commonly, at most [`MAX_RELATED`], each covering `cover` ×
/// [`RELATED_COVER`]; those already there are left as they are.
fn related_terms(analyzer: &Analyzer, live: &Live, text: &str, cover: f32, terms: &mut Vec<QueryTerm>) {
    analyzer
        .related
        .of(text, &mut related_adder(analyzer, live, cover, terms));
}

/// [`related_terms`] of a word (and its stem) from the deployment's own groups only.
fn own_related_terms(analyzer: &Analyzer, live: &Live, word: &str, stem: &str, terms: &mut Vec<QueryTerm>) {
    let mut add = related_adder(analyzer, live, 1.0, terms);
    analyzer
        .own_related(word, stem)
        .iter()
        .for_each(|other| add(other));
}

/// Adds each related word it is given to `terms`, as [`related_terms`] says.
fn related_adder<'a>(
    analyzer: &'a Analyzer,
    live: &'a Live,
    cover: f32,
    terms: &'a mut Vec<QueryTerm>,
) -> impl FnMut(&str) + 'a {
    let mut added = 0;
    move |word| {
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
    }
}

/// Makes `units` stricter for the closest sections after a miss: their exact terms that
/// are not common in `range` (that would count fully in the coverage, [`unit_weight`] 1)
/// are marked distinct, and a Latin word the notes lack counts fully against a section,
/// as a CJK run does: offered sections should be about the query, not share one word of
/// a longer question on another subject. Costs a document count per term, so only that
/// search asks for it.
pub fn stricter_for_closest(live: &Live, units: &mut [Unit], range: &Range<u32>) {
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
