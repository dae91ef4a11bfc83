//! Full-text search over every answerable section of the library.
//!
//! - `analyze`: one normalisation for notes and queries (NFKC, lowercase, traditional →
//!   simplified), synonyms (aho-corasick, replaced by one token), Latin words with joined
//!   forms and Porter2 stems, CJK bigrams; English question words and filler are stop words.
//! - `question`: what a query asks: Chinese question frames stripped, the asking clause
//!   told from those that tell, the names it uses.
//! - `index`: interned terms → postings sorted by section, each with its BM25F saturated
//!   term frequency worked out at build time (fields: title 3.0, category — the note's title
//!   and the headings above — 1.0, tags and
//!   aliases 0.5, body 1.0, code blocks 0.4); very long lists are read from their
//!   strongest postings only. The vocabulary of surface words, bucketed by length and first
//!   letter, serves prefix and typo look-ups. Posting lists are delta + varint
//!   encoded.
//! - `units`: a query is units (a word, a CJK run, a synonym, a phrase) each matched by
//!   some terms (exact, stem, typo, prefix, related, a pinyin homophone of a CJK bigram,
//!   an English gloss of a Chinese word); `units::chinese` makes those of Chinese text.
//! - `rank`: Score = BM25F × coverage² × (1 + the title's coverage), coverage being the weighted
//!   share of units a section matches; sections at or under half coverage are not hits,
//!   nor is a best section that lacks the rarest word a question of three words or more
//!   asks (`Index::misses_the_subject`), unless that section, or one at or under half,
//!   dominates a long question (`Index::dominant`).
//!   A section in the other language than the question (Chinese or not) scores ×0.8.
//! - `related`: what a query word may stand for in the notes (WordNet's English, a short
//!   Chinese list, the config's groups); query side only.
//!   [`Index::find`] sorts what a query found: confident hits; else the closest sections
//!   (a third of the query or more, holding a word of it few sections use); else nothing.
//! - `focus`: the items (point subtrees) of the best section that hold the query, its
//!   items analysed again at query time.
//! - `segment`, `live`: the index is a base segment over the library as it was at the
//!   last full build, shared by `Arc` from one index to the next, plus a small segment of
//!   the notes changed since; the base's documents of changed and deleted notes are
//!   tombstoned, and statistics are the live documents'. [`Index::update`] makes the next
//!   index after a reload that way, and a full build once the changes outgrow
//!   [`FOLD_SHARE`] of the base.

mod analyze;
mod dates;
mod explain;
mod focus;
mod index;
mod lexicon;
mod live;
mod question;
mod rank;
mod related;
mod segment;
mod simplified;
#[cfg(test)]
mod tests;
mod tombstones;
mod units;
#[cfg(test)]
mod update_tests;

use std::ops::Range;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap as HashMap;

pub use crate::notes::SectionRef;
use crate::notes::{Library, Note, Section};
use crate::sync::lock;
use analyze::Analyzer;
pub use analyze::{is_cjk, normalize};
pub use explain::{ExplainedSection, ExplainedTerm, ExplainedWord, Explanation, How};
use index::{Bm25f, TermId};
use live::Live;
use rank::{DISTINCT, EXACT, FUZZY, GLOSSED, Scored};
use segment::Segment;
use tombstones::Tombstones;
use units::{Greetings, Mode};

/// A path into `Section::points`: `[2, 0]` is the first child of the third point.
pub type ItemPath = Vec<usize>;

/// Why a section matched, strongest first; shown to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchReason {
    /// The query is (nearly) the section title.
    Title,
    /// Query words found in the title, category, tags or aliases.
    Keyword,
    /// Query words found in the body.
    Text,
    /// Found only after correcting a typo or completing a prefix.
    Fuzzy,
    /// A section in English found for a Chinese question through the English glosses of
    /// its words (`区域` → region): a word-by-word guess.
    Translated,
}

impl MatchReason {
    /// The name shown to people and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchReason::Title => "title",
            MatchReason::Keyword => "keyword",
            MatchReason::Text => "text",
            MatchReason::Fuzzy => "fuzzy",
            MatchReason::Translated => "translated",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub section: SectionRef,
    /// For ordering hits of one query; not comparable across note sets.
    pub score: f32,
    /// Weighted share of the query's units the section matched, above 0.5 and up to 1
    /// (above 0.3 for a section that dominates, above a third for [`Index::closest`]).
    pub coverage: f32,
    pub reason: MatchReason,
    /// Point subtrees that matched, best first; empty when only the title matched, and
    /// for every hit but the first.
    pub focus: Vec<ItemPath>,
    /// Its document, for [`Index::explain`].
    doc: u32,
}

/// A hit found only through typos is confident from this coverage: a word with one typo
/// covers 0.7 of itself, with two 0.6; less is a typo beside words the notes lack.
const FUZZY_CONFIDENT: f32 = 0.65;

impl Hit {
    /// Whether the hit may be posted as an answer: not one found only through typos that
    /// covers less than 0.65 of the query (`FUZZY_CONFIDENT`), nor through translation.
    pub fn is_confident(&self) -> bool {
        match self.reason {
            MatchReason::Fuzzy => self.coverage >= FUZZY_CONFIDENT,
            MatchReason::Translated => false,
            _ => true,
        }
    }
}

/// What [`Index::find`] found.
pub enum Found<'a> {
    /// Hits to answer with, the best first.
    Confident(Ranked<'a>),
    /// No confident hit: sections still plausibly about the query, to offer rather than
    /// post, the closest first.
    Closest(Ranked<'a>),
    /// Nothing near; `unmentioned` as in [`Ranked::unmentioned`].
    Nothing { unmentioned: Option<String> },
}

/// Hits of one search, and the query as analysed for it, to focus a hit when its reply
/// needs it.
pub struct Ranked<'a> {
    index: &'a Index,
    units: Vec<units::Unit>,
    /// Best first, none focused.
    pub hits: Vec<Hit>,
    /// The name the query asks about that the notes never mention, as the query writes it
    /// (`Todoist`), when that is why there is no hit.
    pub unmentioned: Option<String>,
}

impl Ranked<'_> {
    fn none(index: &Index) -> Ranked<'_> {
        Ranked {
            index,
            units: Vec::new(),
            hits: Vec::new(),
            unmentioned: None,
        }
    }

    /// The point subtrees of `at` that hold the query, best first (what [`Index::search`]
    /// gives its best hit); empty when only the title matched.
    pub fn focus(&self, at: SectionRef) -> Vec<ItemPath> {
        match self.index.section(at) {
            Some(section) => {
                let items = self.index.item_terms(at, section);
                focus::focus(section, items.iter().map(AsRef::as_ref), &self.units)
            }
            None => Vec::new(),
        }
    }

    /// The hits, the best one focused: only it is shown at once; the others are offered
    /// in a menu and open at their start.
    pub fn into_focused(self) -> Vec<Hit> {
        let focus = self.hits.first().map(|best| self.focus(best.section));
        let mut hits = self.hits;
        if let (Some(best), Some(focus)) = (hits.first_mut(), focus) {
            best.focus = focus;
        }
        hits
    }
}

#[derive(Debug, Clone)]
pub struct Suggestion {
    pub section: SectionRef,
    pub reason: MatchReason,
}

/// Settings for analysis; from config.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Groups of synonyms: every spelling in a group matches every other.
    pub synonyms: Vec<Vec<String>>,
    /// Groups of related terms: a query word finds the others of its groups below an
    /// exact match (query side only).
    pub related: Vec<Vec<String>>,
    /// Whether the built-in related terms are used too (WordNet's English, a short
    /// Chinese list).
    pub builtin_related: bool,
}

/// The id of the next index made ([`Index::id`]).
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Read-only after `build` or `update`; cheap to share behind an `Arc`.
pub struct Index {
    library: Library,
    analyzer: Arc<Analyzer>,
    live: Live,
    /// Per document (answerable section): where it is in `library`; anything for the dead.
    docs: Vec<SectionRef>,
    /// Document range of each note, for searches within one topic.
    note_docs: Vec<Range<u32>>,
    /// The item terms of the sections focused last.
    recent_items: Mutex<Vec<(SectionRef, ItemTerms)>>,
    /// Which index this is among those the process made, for caches of what is made from one.
    id: u64,
}

/// The sorted, distinct terms of each of a section's items, depth first.
type ItemTerms = Arc<[Box<[TermId]>]>;

/// What makes up an index: documents in its base segment, in its delta segment, and
/// dead in the base (their notes changed or went).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub base: usize,
    pub delta: usize,
    pub dead: usize,
}

/// [`Index::update`] builds the whole index again once the delta's documents and the
/// base's dead ones outnumber this share of the base: each costs query time and memory.
pub const FOLD_SHARE: f64 = 0.15;

/// Field numbers.
const TITLE: usize = 0;
const CATEGORY: usize = 1;
const TAGS: usize = 2;
const BODY: usize = 3;
/// Code blocks: pasted logs and configs are weaker evidence than prose, and would
/// otherwise make a section look long.
const CODE: usize = 4;
const BM25F: Bm25f = Bm25f {
    weight: [3.0, 1.0, 0.5, 1.0, 0.4],
    b: [0.5, 0.3, 0.3, 0.75, 0.75],
    k1: 1.2,
};
/// Sections matching no more of the query than this are not hits: half a query is not
/// enough (`量子 计算`).
const MIN_COVERAGE: f32 = 0.5;
/// A section under [`MIN_COVERAGE`] is still the hit when it dominates
/// ([`Index::dominant`]): it covers more than this share, matches in its title, and
/// scores [`DOMINANCE`] times any other section that covers as much.
const DOMINANT_COVERAGE: f32 = 0.3;
const DOMINANCE: f32 = 1.5;
/// "Did you mean" is looser.
const LOOSE_COVERAGE: f32 = 0.34;
/// The closest sections after a miss cover more than this share of the query, and hold
/// a word of it that few sections use ([`Index::closest`]).
const CLOSEST_COVERAGE: f32 = 0.34;
/// Longest query read, in bytes; the rest is ignored.
const MAX_QUERY: usize = 512;
/// Autocomplete and "did you mean" give at most this many (Discord's limit).
const MAX_SUGGESTIONS: usize = 25;
/// Focus reads at most this much of a section's text: a huge section answers quickly,
/// focused on what its first part holds.
const FOCUS_BYTES: usize = 256 * 1024;
/// The item terms of this many sections focused last are kept: the sections asked about
/// most are analysed once, not at every answer (at most 8 MB with huge sections).
const RECENT_ITEMS: usize = 32;
/// Titles scanned one by one (autocomplete, "did you mean") only in ranges this small.
const TITLE_SCAN: usize = 5_000;

impl Index {
    /// Indexes every answerable section of the library.
    pub fn build(library: Library, options: &SearchOptions) -> Index {
        let related = related::Related::new(&options.related, options.builtin_related);
        let analyzer = Analyzer::new(&options.synonyms, related);
        Index::build_with(library, Arc::new(analyzer), None)
    }

    /// A full build; `averages` (each field's mean length) as [`Segment::build`] takes them.
    fn build_with(
        library: Library,
        analyzer: Arc<Analyzer>,
        averages: Option<[f32; index::FIELDS]>,
    ) -> Index {
        let base = Segment::build(&analyzer, library.notes().to_vec(), averages);
        let (docs, dead) = (base.docs() as u32, Tombstones::none(&base));
        let live = Live::new(
            Arc::new(base),
            Segment::empty(&analyzer),
            dead,
            (0..docs).collect(),
        );
        let index = Index::assemble(library, analyzer, live);
        release_freed_memory();
        index
    }

    /// The index of `library`, the next version of this index's library (with the same
    /// options): the notes it shares with this index's base (the same `Arc`) are not
    /// analysed again, the others go to a new delta segment. A full build once the
    /// changes since the base outgrow [`FOLD_SHARE`].
    pub fn update(&self, library: Library) -> Index {
        let base = self.live.base();
        let in_base: HashMap<*const Note, usize> = base
            .notes
            .iter()
            .enumerate()
            .map(|(i, note)| (Arc::as_ptr(note), i))
            .collect();
        // A base note serves on when the library has it, the same `Arc`, and it was not
        // replaced before (a base note once dead stays so until a full build).
        let mut dead = self.live.tombstones().clone();
        let from_base = |note: &Arc<Note>| {
            in_base
                .get(&Arc::as_ptr(note))
                .copied()
                .filter(|&i| !dead.is_note_dead(i))
        };
        let mut kept = vec![false; base.notes.len()];
        let mut changed = Vec::new();
        let mut changed_docs = 0;
        for note in library.notes() {
            match from_base(note) {
                Some(i) => kept[i] = true,
                None => {
                    changed_docs += note.answerable().count();
                    changed.push(note.clone());
                }
            }
        }
        let dead_notes: Vec<usize> = (0..kept.len()).filter(|&i| !kept[i]).collect();
        let dead_docs: usize = dead_notes.iter().map(|&i| base.note_docs[i].len()).sum();
        if (changed_docs + dead_docs) as f64 > base.docs() as f64 * FOLD_SHARE {
            return Index::build_with(library, self.analyzer.clone(), None);
        }
        let averages = base.postings.averages();
        let delta = Segment::build_delta(&self.analyzer, changed, averages, self.live.delta());
        // Live documents in library order: each note's, from the base or the delta.
        let mut in_order = Vec::with_capacity(base.docs() - dead_docs + delta.docs());
        let mut next_delta = 0;
        for note in library.notes() {
            let docs = match from_base(note) {
                Some(i) => base.note_docs[i].clone(),
                None => {
                    let docs = delta.note_docs[next_delta].clone();
                    next_delta += 1;
                    docs.start + base.docs() as u32..docs.end + base.docs() as u32
                }
            };
            in_order.extend(docs);
        }
        for &note in &dead_notes {
            dead.bury(&self.analyzer, base, note);
        }
        let live = Live::new(base.clone(), delta, dead, in_order);
        Index::assemble(library, self.analyzer.clone(), live)
    }

    /// The index over `live`, whose documents are `library`'s answerable sections.
    fn assemble(library: Library, analyzer: Arc<Analyzer>, live: Live) -> Index {
        let mut docs = vec![SectionRef { note: 0, section: 0 }; live.ids() as usize];
        let mut note_docs = Vec::with_capacity(library.notes().len());
        let mut documents = live.docs_in(&(0..live.ids()));
        for (n, note) in library.notes().iter().enumerate() {
            let sections = note.answerable().count();
            let mut range: Option<Range<u32>> = None;
            for doc in documents.by_ref().take(sections) {
                let (segment, at) = live.locate(doc);
                let section = segment.sections.get(at as usize).copied().unwrap_or(0);
                docs[doc as usize] = SectionRef {
                    note: n,
                    section: section as usize,
                };
                range = Some(range.map_or(doc..doc + 1, |r| r.start..doc + 1));
            }
            note_docs.push(range.unwrap_or(0..0));
        }
        drop(documents);
        Index {
            library,
            analyzer,
            live,
            docs,
            note_docs,
            recent_items: Mutex::new(Vec::new()),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Which index this is: no other index the process made has it (a cache of what was
    /// made from an index knows by it when a reload replaced that index).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Documents in the base segment, in the delta, and dead in the base.
    pub fn segments(&self) -> Segments {
        let (base, delta, dead) = self.live.sizes();
        Segments { base, delta, dead }
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The posting lists' size in bytes, and how many postings they hold.
    pub fn posting_bytes(&self) -> (usize, usize) {
        self.live.posting_bytes()
    }

    fn section(&self, at: SectionRef) -> Option<&Section> {
        self.library.section(at).map(|(_, section)| section)
    }

    fn units(&self, query: &Query, mode: Mode, range: &Range<u32>) -> Vec<units::Unit> {
        let units =
            |text: &str, greetings| units::of(&self.analyzer, &self.live, text, (mode, greetings), range);
        // What a question tells weighs less than what it asks; not while typing.
        let focus = match mode {
            Mode::Search | Mode::Loose => question::focus(&query.normalized),
            Mode::Typing => None,
        };
        match focus {
            Some((asked, told)) => {
                let mut all = units(&asked, Greetings::Skip);
                let told = units(&told, Greetings::Skip).into_iter().map(|unit| units::Unit {
                    emphasis: units::CONTEXT,
                    ..unit
                });
                all.extend(told.take(units::MAX_UNITS.saturating_sub(all.len())));
                all
            }
            None => units(&query.stripped, Greetings::Ask),
        }
    }

    /// The documents suggestions come from, and how many at most; `None` for no such topic.
    fn suggestion_range(&self, topic: Option<&str>, limit: usize) -> Option<(Range<u32>, usize)> {
        Some((self.doc_range(topic)?, limit.min(MAX_SUGGESTIONS)))
    }

    fn suggestion(&self, doc: u32, reason: MatchReason) -> Suggestion {
        Suggestion {
            section: self.docs[doc as usize],
            reason,
        }
    }

    fn doc_range(&self, topic: Option<&str>) -> Option<Range<u32>> {
        match topic {
            None => Some(0..self.live.ids()),
            Some(topic) => {
                let note = self.library.position(topic)?;
                self.note_docs.get(note).cloned()
            }
        }
    }

    /// Ranked hits for a query, the best one focused; `topic` restricts to one note. Empty
    /// when nothing is relevant.
    pub fn search(&self, query: &str, topic: Option<&str>, limit: usize) -> Vec<Hit> {
        self.ranked(query, topic, limit).into_focused()
    }

    /// The hits of [`Index::search`], none focused yet: focus analyses the shown section's
    /// items again, which a reply that fits one page does not need.
    pub fn ranked(&self, query: &str, topic: Option<&str>, limit: usize) -> Ranked<'_> {
        let Some(range) = self.doc_range(topic) else {
            return Ranked::none(self);
        };
        let analysed = Query::new(query);
        let units = self.units(&analysed, Mode::Search, &range);
        self.ranked_in((query, &analysed), units, &range, limit)
    }

    /// [`Index::ranked`] of a query (as written, and as read) already analysed into
    /// `units` for `range`.
    fn ranked_in(
        &self,
        (written, query): (&str, &Query),
        units: Vec<units::Unit>,
        range: &Range<u32>,
        limit: usize,
    ) -> Ranked<'_> {
        if limit == 0 {
            return Ranked {
                units,
                ..Ranked::none(self)
            };
        }
        let names = question::names(truncated(written));
        if let Some(name) = self.unknown_asked_name(&names, query, range) {
            return Ranked {
                index: self,
                units,
                hits: Vec::new(),
                unmentioned: Some(name.written.clone()),
            };
        }
        let mut scored = rank::score(&self.live, &units, range, MIN_COVERAGE, limit.saturating_add(8));
        self.adjust(&mut scored, query);
        if scored
            .first()
            .is_some_and(|best| self.misses_the_subject(best.doc, &units, range))
        {
            scored.clear();
        }
        if scored.is_empty() {
            let hits = self.dominant(&units, range, query).into_iter().collect();
            return Ranked {
                index: self,
                units,
                hits,
                unmentioned: None,
            };
        }
        self.ranked_of(scored, query, units, limit)
    }

    /// The first name in what the query asks that the notes in `range` never mention
    /// (`can I connect Todoist so my tasks show up in my daily note?`): another product or
    /// subject, whatever everyday words it shares with a section. A name in a clause that
    /// only tells is context (`my Pixel won't sync with Dropbox, what do I do?`). A word not
    /// capitalised is a name only if it is no word of the language (`kubernetes`; not `share`
    /// of `怎么 share`, `via`, `monday`), when the built-in lists say which words are English.
    /// The query's last name is known when the notes hold a word it begins (`JavaSc`).
    fn unknown_asked_name<'n>(
        &self,
        names: &'n [question::Name],
        query: &Query,
        range: &Range<u32>,
    ) -> Option<&'n question::Name> {
        if names.is_empty() {
            return None;
        }
        let asked = question::asking_part(&query.normalized);
        let is_asked = |name: &&question::Name| {
            asked.as_deref().is_none_or(|asked| {
                (asked.split(|c: char| !c.is_alphanumeric())).any(|word| word == name.word)
            })
        };
        let related = &self.analyzer.related;
        // Words of the language that WordNet lacks: they name nothing.
        const FUNCTION_WORDS: &[&str] = &[
            "via", "per", "etc", "because", "until", "since", "during", "among", "upon", "against",
            "whether", "towards", "toward", "versus", "nor", "idk", "btw", "pls", "thx", "okay",
        ];
        let is_name = |name: &&question::Name| {
            let word = name.word.as_str();
            name.capitalised
                || related.knows_english()
                    && word.is_ascii()
                    && !analyze::is_stop_str(word)
                    && !FUNCTION_WORDS.contains(&word)
                    && !related.is_english_word(word)
                    && !related.is_english_name(word)
        };
        // As many as a query has units: a long query of names costs no more look-ups.
        // Stop words are filtered first by `is_name`, so they take none of them.
        let mut asked_names = (names.iter())
            .filter(is_asked)
            .filter(is_name)
            .take(units::MAX_UNITS);
        let unknown_in = |name: &question::Name, mode| {
            let units = units::of(
                &self.analyzer,
                &self.live,
                &name.word,
                (mode, Greetings::Skip),
                range,
            );
            let unknown = |unit: &units::Unit| unit.terms.iter().all(|t| self.live.df_in(t.id, range) == 0);
            !units.is_empty() && units.iter().all(unknown)
        };
        // The last word may be one the member has not finished (`JavaSc`).
        let last = |name: &question::Name| {
            names.last().is_some_and(|l| std::ptr::eq(l, name))
                && query.normalized.trim_end().ends_with(name.word.as_str())
        };
        asked_names
            .find(|name| unknown_in(name, Mode::Search) && (!last(name) || unknown_in(name, Mode::Typing)))
    }

    /// The one section a query with no hit still points at: a long question names its
    /// subject in few of its words (`how do I put a youtube video inside my note so it
    /// plays right there?` covers a third of `Embed a YouTube video`), so a section that
    /// covers more than [`DOMINANT_COVERAGE`], matches in its title and scores
    /// [`DOMINANCE`] times any other section covering as much is the hit.
    fn dominant(&self, units: &[units::Unit], range: &Range<u32>, query: &Query) -> Option<Hit> {
        // Enough rivals that one the title and language factors lift past the raw order
        // is rarely left out of the comparison.
        const RIVALS: usize = 9;
        let known = |unit: &units::Unit| unit.terms.iter().any(|t| self.live.df_in(t.id, range) > 0);
        // A word the notes lack in what is asked is another subject; in what is told
        // (`字看着太小了`, before `…把字号调大一点`) it is only context.
        if !units.iter().filter(|u| u.emphasis > units::CONTEXT).all(known) {
            return None;
        }
        let mut scored = rank::score(&self.live, units, range, DOMINANT_COVERAGE, RIVALS);
        self.adjust(&mut scored, query);
        let best = scored.first()?;
        let rival = scored.get(1).map_or(0.0, |s| s.score);
        let dominates = best.flags & (1 << TITLE) != 0 && best.score >= rival * DOMINANCE;
        dominates.then(|| self.hit(best, query))
    }

    /// Whether section `doc` lacks what a question is most specifically about, its
    /// subject ([`Index::subject`]). A question of several words can cover more than half
    /// of a section through everyday ones while it asks about another thing (`make
    /// Obsidian read my notes out loud, like text to speech` and Footnotes): such a
    /// section is no answer by coverage, only one of the closest, unless it dominates the
    /// question as [`Index::dominant`] asks.
    fn misses_the_subject(&self, doc: u32, units: &[units::Unit], range: &Range<u32>) -> bool {
        self.subject(units, range)
            .is_some_and(|at| !self.holds(doc, &units[at]))
    }

    /// Whether section `doc` holds any term of `unit` (exact: a count in one document's
    /// range, no list decoded).
    fn holds(&self, doc: u32, unit: &units::Unit) -> bool {
        (unit.terms.iter()).any(|t| self.live.df_in(t.id, &(doc..doc + 1)) > 0)
    }

    /// Which of `units` is the question's subject: of the words it asks (not its context,
    /// a Chinese run or a guessed gloss), the one the fewest sections in `range` use.
    /// None for a query of fewer than three units.
    fn subject(&self, units: &[units::Unit], range: &Range<u32>) -> Option<usize> {
        // A word or two (`React1`, a title being typed) is left to the coverage.
        const SUBJECT_UNITS: usize = 3;
        if units.len() < SUBJECT_UNITS {
            return None;
        }
        // How many sections in range use a unit: by its own word's terms, or for a word
        // the notes lack, by the terms that stand for it (a related word, a typo's).
        let reach = |unit: &units::Unit| {
            let df = |own: bool| {
                (unit.terms.iter())
                    .filter(|t| own != (t.fuzzy || t.related))
                    .map(|t| self.live.df_in(t.id, range))
                    .filter(|&df| df > 0)
                    .min()
            };
            df(true).or_else(|| df(false))
        };
        (units.iter().enumerate())
            .filter(|(_, unit)| unit.emphasis > units::CONTEXT && !unit.cjk && !unit.glossed)
            .filter_map(|(at, unit)| Some((reach(unit)?, at)))
            .min_by_key(|&(reach, _)| reach)
            .map(|(_, at)| at)
    }

    /// The best `limit` of `scored` (sorted by [`Index::adjust`]) as hits, with the
    /// query's units (for focus later).
    fn ranked_of(
        &self,
        mut scored: Vec<Scored>,
        query: &Query,
        units: Vec<units::Unit>,
        limit: usize,
    ) -> Ranked<'_> {
        scored.truncate(limit);
        Ranked {
            index: self,
            units,
            hits: scored.iter().map(|s| self.hit(s, query)).collect(),
            unmentioned: None,
        }
    }

    fn hit(&self, s: &Scored, query: &Query) -> Hit {
        Hit {
            doc: s.doc,
            section: self.docs[s.doc as usize],
            score: s.score,
            coverage: s.coverage,
            reason: self.reason(s, query),
            focus: Vec::new(),
        }
    }

    /// `scored` sorted best first: titles like the query and the one heading holding it
    /// raised, sections in the other language lowered, ties in library order.
    fn adjust(&self, scored: &mut [Scored], query: &Query) {
        // A section whose title is (nearly) the query ranks above one that only uses its words.
        const TITLE_BONUS: f32 = 1.5;
        // A vault kept in two languages answers in the one asked in: a question with
        // Chinese characters prefers sections in Chinese, one without them English ones.
        const OTHER_LANGUAGE: f32 = 0.8;
        let chinese = query.normalized.chars().any(analyze::is_cjk);
        for s in scored.iter_mut() {
            if self.like_title(s.doc, query) {
                s.score *= TITLE_BONUS;
            }
            if self.live.is_chinese(s.doc) != chinese {
                s.score *= OTHER_LANGUAGE;
            }
        }
        self.heading_first(scored, query);
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(self.by_order(a.doc, b.doc)));
    }

    /// Autocomplete: sections for what has been typed so far, at most 25: titles that
    /// start with or hold it first, then the best matches (the last word may be a prefix,
    /// and typos are forgiven). An empty `partial` gives the note's first sections. Latin
    /// letters glued to the end of Chinese (`稳定x`) that find nothing are pinyin an input
    /// method is still composing: what was typed before them is suggested for.
    pub fn suggest(&self, partial: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let found = self.suggest_for(partial, topic, limit);
        match composing_pinyin(partial) {
            Some(committed) if found.is_empty() => self.suggest_for(committed, topic, limit),
            _ => found,
        }
    }

    fn suggest_for(&self, partial: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let Some((range, limit)) = self.suggestion_range(topic, limit) else {
            return Vec::new();
        };
        let query = Query::new(partial);
        let typed = query.normalized.trim();
        if typed.is_empty() || limit == 0 {
            return self
                .live
                .docs_in(&range)
                .take(limit)
                .map(|d| self.suggestion(d, MatchReason::Title))
                .collect();
        }
        // (tier, score, doc, reason): titles starting with what was typed, then titles
        // holding it, then the rest by score.
        let mut found: Vec<(u8, f32, u32, MatchReason)> = Vec::new();
        if self.live.live_in(&range) <= TITLE_SCAN {
            // One searcher for every title (`str::find` sets one up for each).
            let finder = memchr::memmem::Finder::new(typed);
            for d in self.live.docs_in(&range) {
                let title = self.title(d);
                let tier = match finder.find(title.as_bytes()) {
                    Some(0) => 0,
                    Some(_) if holds_at_word_start(title, typed) => 1,
                    _ => continue,
                };
                let reason = if self.like_title(d, &query) {
                    MatchReason::Title
                } else {
                    MatchReason::Keyword
                };
                found.push((tier, 0.0, d, reason));
            }
        }
        let typing = !query.normalized.ends_with(char::is_whitespace);
        let mode = if typing { Mode::Typing } else { Mode::Search };
        let units = self.units(&query, mode, &range);
        for s in rank::score(&self.live, &units, &range, MIN_COVERAGE, limit) {
            match found.iter_mut().find(|f| f.2 == s.doc) {
                Some(f) => f.1 = s.score,
                None => found.push((2, s.score, s.doc, self.reason(&s, &query))),
            }
        }
        found.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.1.total_cmp(&a.1))
                .then(self.by_order(a.2, b.2))
        });
        found.truncate(limit);
        found
            .into_iter()
            .map(|(_, _, d, reason)| self.suggestion(d, reason))
            .collect()
    }

    /// What a query found, by confidence: hits to answer with; else (no hit, or a best hit
    /// that is not [`Hit::is_confident`]) at most `closest` sections to offer; else
    /// nothing. `topic` restricts to one note.
    pub fn find(&self, query: &str, topic: Option<&str>, limit: usize, closest: usize) -> Found<'_> {
        let Some(range) = self.doc_range(topic) else {
            return Found::Nothing { unmentioned: None };
        };
        // Analysed once: a miss reads the same units again, more strictly.
        let analysed = Query::new(query);
        let units = self.units(&analysed, Mode::Search, &range);
        let mut ranked = self.ranked_in((query, &analysed), units, &range, limit);
        match ranked.hits.first() {
            Some(best) if best.is_confident() => Found::Confident(ranked),
            // Found only through typos: the hits are still the closest sections.
            Some(best) if best.reason == MatchReason::Fuzzy => {
                ranked.hits.truncate(closest);
                Found::Closest(ranked)
            }
            // No hit, or a guess through translation: the closest sections, which must
            // match distinct words (a translated question of everyday words finds none).
            _ => {
                let near = self.closest_in(&analysed, ranked.units, &range, closest);
                if near.hits.is_empty() {
                    Found::Nothing {
                        unmentioned: ranked.unmentioned,
                    }
                } else {
                    Found::Closest(Ranked {
                        unmentioned: ranked.unmentioned,
                        ..near
                    })
                }
            }
        }
    }

    /// The closest sections for a query with no hit, best first: each covers more than
    /// a third of the query (`CLOSEST_COVERAGE`), counting words the notes lack fully against it,
    /// and matches exactly a word (or a quarter of a CJK run) that few sections in range
    /// use. Nothing for a query that shares only filler or common words with the notes.
    /// Unlike [`Index::did_you_mean`], no bigger typos, prefixes or look-alike titles:
    /// these are offered to post as answers.
    pub fn closest(&self, query: &str, topic: Option<&str>, limit: usize) -> Ranked<'_> {
        let Some(range) = self.doc_range(topic) else {
            return Ranked::none(self);
        };
        let query = Query::new(query);
        let units = self.units(&query, Mode::Search, &range);
        self.closest_in(&query, units, &range, limit)
    }

    /// [`Index::closest`] of a query already analysed into `units` for `range`.
    fn closest_in(
        &self,
        query: &Query,
        mut units: Vec<units::Unit>,
        range: &Range<u32>,
        limit: usize,
    ) -> Ranked<'_> {
        units::stricter_for_closest(&self.live, &mut units, range);
        let cut = (CLOSEST_COVERAGE, DISTINCT);
        let mut scored = rank::score_with(&self.live, &units, range, cut, limit.saturating_add(8));
        self.adjust(&mut scored, query);
        self.ranked_of(scored, query, units, limit)
    }

    /// "Did you mean": looser candidates for when `search` found nothing (bigger typos,
    /// an unfinished last word, less of the query matched, titles that look like it).
    /// Nothing when nothing is close.
    pub fn did_you_mean(&self, query: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let Some((range, limit)) = self.suggestion_range(topic, limit) else {
            return Vec::new();
        };
        let query = Query::new(query);
        // `the` or `how to` asks nothing: no title is like what was meant.
        let words = query.stripped.split_whitespace();
        if words
            .map(str::to_lowercase)
            .all(|word| analyze::is_function_word(&word))
        {
            return Vec::new();
        }
        let units = self.units(&query, Mode::Loose, &range);
        let mut found: Vec<Suggestion> = rank::score(&self.live, &units, &range, LOOSE_COVERAGE, limit)
            .into_iter()
            .map(|s| self.suggestion(s.doc, MatchReason::Fuzzy))
            .collect();
        let wanted = query.stripped.trim();
        if found.len() < limit && self.live.live_in(&range) <= TITLE_SCAN && wanted.chars().count() >= 2 {
            // Titles that look like the query.
            let mut similar: Vec<(f64, u32)> = (self.live.docs_in(&range))
                .map(|d| (title_similarity(wanted, self.title(d)), d))
                .filter(|(similarity, _)| *similarity >= 0.5)
                .collect();
            similar.sort_by(|a, b| b.0.total_cmp(&a.0).then(self.by_order(a.1, b.1)));
            for (_, d) in similar {
                let section = self.docs[d as usize];
                if found.len() < limit && !found.iter().any(|f| f.section == section) {
                    found.push(self.suggestion(d, MatchReason::Fuzzy));
                }
            }
        }
        found
    }

    /// When exactly one candidate's title holds every content word of the query as
    /// written (`别名 潜在链接` in `查找别名的潜在链接`), that section is what was asked for:
    /// it ranks first.
    fn heading_first(&self, scored: &mut [Scored], query: &Query) {
        let chunks: Vec<&str> = query
            .stripped
            .split_whitespace()
            .filter(|w| !analyze::is_stop_str(w))
            .collect();
        if chunks.is_empty() {
            return;
        }
        let holds = |doc: u32| {
            let title = self.title(doc);
            chunks.iter().all(|chunk| holds_in_heading(title, chunk))
        };
        // The one section holding them scores this much above the best.
        const HEADING_FIRST: f32 = 1.01;
        let mut holding = scored.iter().enumerate().filter(|(_, s)| holds(s.doc));
        if let (Some((at, _)), None) = (holding.next(), holding.next()) {
            let best = scored.iter().map(|s| s.score).fold(0.0, f32::max);
            if let Some(s) = scored.get_mut(at) {
                s.score = s.score.max(best * HEADING_FIRST);
            }
        }
    }

    /// The item terms of the section at `at`: kept for the [`RECENT_ITEMS`] sections
    /// focused last, else worked out again (outside the lock) and kept in place of the
    /// one focused longest ago.
    fn item_terms(&self, at: SectionRef, section: &Section) -> ItemTerms {
        let recent = |recent: &mut Vec<(SectionRef, ItemTerms)>| {
            let found = recent.iter().position(|(kept, _)| *kept == at)?;
            // Most recent last.
            let entry = recent.remove(found);
            let items = entry.1.clone();
            recent.push(entry);
            Some(items)
        };
        if let Some(items) = recent(&mut lock(&self.recent_items)) {
            return items;
        }
        let items: ItemTerms = self
            .analyse_items(section)
            .into_iter()
            .map(Vec::into_boxed_slice)
            .collect();
        let mut kept = lock(&self.recent_items);
        if recent(&mut kept).is_none() {
            if kept.len() == RECENT_ITEMS {
                kept.remove(0);
            }
            kept.push((at, items.clone()));
        }
        items
    }

    /// The sorted, distinct terms of each of a section's points, depth first, for focus:
    /// worked out again for a section shown rather than kept for every section.
    /// Past [`FOCUS_BYTES`] of text, items count as holding nothing.
    fn analyse_items(&self, section: &Section) -> Vec<Vec<TermId>> {
        let mut budget = FOCUS_BYTES;
        let mut items = Vec::new();
        for item in section.points().depth_first() {
            let text = item.plain();
            budget = budget.saturating_sub(text.len());
            if budget == 0 {
                items.push(Vec::new());
                continue;
            }
            let mut ids = KnownTerms {
                live: &self.live,
                ids: Vec::new(),
            };
            self.analyzer.terms(text, &mut ids);
            let mut ids = ids.ids;
            ids.sort_unstable();
            ids.dedup();
            items.push(ids);
        }
        items
    }

    /// The normalised title of a document.
    fn title(&self, doc: u32) -> &str {
        let (segment, at) = self.live.locate(doc);
        segment.titles.get(at as usize)
    }

    /// Two documents in library order, as ties are broken.
    fn by_order(&self, a: u32, b: u32) -> std::cmp::Ordering {
        self.live.order(a).cmp(&self.live.order(b))
    }

    /// Whether the query is (nearly) the title of `doc`, spaces and punctuation aside.
    fn like_title(&self, doc: u32, query: &Query) -> bool {
        let (segment, at) = self.live.locate(doc);
        let title = segment.title_keys.get(at as usize);
        let like = |q: &str| !q.is_empty() && (title == q || title_similarity(q, title) >= 0.85);
        // The two keys differ only for a question (`rlhf是什么`).
        like(&query.key) || (query.stripped_key != query.key && like(&query.stripped_key))
    }

    fn reason(&self, s: &Scored, query: &Query) -> MatchReason {
        // An English section found through a Chinese word's glosses is a guess; a Chinese
        // one matched the question's own words.
        if s.flags & GLOSSED != 0 && !self.live.is_chinese(s.doc) {
            return MatchReason::Translated;
        }
        if self.like_title(s.doc, query) {
            return MatchReason::Title;
        }
        if s.flags & FUZZY != 0 && s.flags & EXACT == 0 {
            return MatchReason::Fuzzy;
        }
        if s.flags & ((1 << TITLE) | (1 << CATEGORY) | (1 << TAGS)) != 0 {
            MatchReason::Keyword
        } else {
            MatchReason::Text
        }
    }
}

/// A query, normalised once.
struct Query {
    normalized: String,
    /// Without question words (`是什么`, `?`).
    stripped: String,
    /// Both, letters and digits only.
    key: String,
    stripped_key: String,
}

impl Query {
    fn new(text: &str) -> Query {
        let normalized = normalize(truncated(text));
        let normalized = question::addresses_as_names(&normalized).into_owned();
        let stripped = question::strip(&normalized);
        Query {
            key: key(&normalized),
            stripped_key: key(&stripped),
            normalized,
            stripped,
        }
    }
}

/// The start of a query that is searched: at most [`MAX_QUERY`] bytes.
fn truncated(text: &str) -> &str {
    let mut end = text.len().min(MAX_QUERY);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The ids of a text's terms that the index knows.
struct KnownTerms<'a> {
    live: &'a Live,
    ids: Vec<TermId>,
}

impl analyze::TermSink for KnownTerms<'_> {
    fn term(&mut self, term: &str) {
        self.ids.extend(self.live.id(term));
    }

    fn surface(&mut self, _: &str) {}
}

/// Letters and digits only: `Port-forwarding?` and `port forwarding` have one key.
fn key(normalized: &str) -> String {
    // Sized once (at most the text): collecting filtered characters grew it in steps.
    let mut key = String::with_capacity(normalized.len());
    key.extend(normalized.chars().filter(|c| c.is_alphanumeric()));
    key
}

/// Normalised Levenshtein similarity, skipped (0) when the lengths alone rule out 0.5.
fn title_similarity(query: &str, title: &str) -> f64 {
    let (a, b) = (query.chars().count(), title.chars().count());
    if a.min(b) * 2 < a.max(b) {
        return 0.0;
    }
    strsim::normalized_levenshtein(query, title)
}

/// Whether `text` holds `part` where a word starts (anywhere for CJK): `port f` in
/// `port forwarding`, `gpt` in `gpt-3.5`, not `r` in `transformer`.
fn holds_at_word_start(text: &str, part: &str) -> bool {
    holds_where(text, part, |_| true)
}

/// [`holds_at_word_start`], but a part ending in a digit holds only a whole number: `9 月 1
/// 日` is in `9 月 1 日`, not in `9 月 10 日` (dates, versions and counts in headings).
fn holds_in_heading(text: &str, part: &str) -> bool {
    let whole_number = part.ends_with(|c: char| c.is_ascii_digit());
    holds_where(text, part, |after| {
        !whole_number || !after.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// Whether `text` holds `part` where a word starts, with `ends(rest of text)` true.
fn holds_where(text: &str, part: &str, ends: impl Fn(&str) -> bool) -> bool {
    let cjk = part.chars().next().is_some_and(analyze::is_cjk);
    text.match_indices(part).any(|(at, _)| {
        let starts = cjk
            || text[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric() || analyze::is_cjk(c));
        starts && ends(&text[at + part.len()..])
    })
}

/// Hands the pages glibc keeps resident after frees back to the system: a full build frees
/// more than it keeps (its buffers peak at ~2.5x the index it leaves: at 100k sections a
/// few MB in a fresh process, ~50 MB after earlier builds), and so does a reload dropping
/// the index it replaced.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only gives the allocator's free pages back to the system; it
    // touches no memory in use and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `partial` without the Latin letters (and pinyin's `'`) that end it right after a Chinese
/// character, if it ends so: `稳定x` → `稳定`, `微xin'` → `微`.
fn composing_pinyin(partial: &str) -> Option<&str> {
    let committed = partial.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '\'');
    (committed.len() < partial.len() && committed.chars().next_back().is_some_and(analyze::is_cjk))
        .then_some(committed)
}
