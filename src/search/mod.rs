//! Full-text search over every answerable section of the library.
//!
//! - `analyze`: one normalisation for notes and queries (NFKC, lowercase, traditional →
//!   simplified), synonyms (aho-corasick, replaced by one token), Latin words with joined
//!   forms and Porter2 stems, CJK bigrams; question words and filler stripped from queries.
//! - `index`: interned terms → postings sorted by section, each with its BM25F saturated
//!   term frequency worked out at build time (fields: title 3.0, category 1.0, tags and
//!   aliases 0.5, body 1.0, code blocks 0.4); very long lists are read from their
//!   strongest postings only. The vocabulary of surface words, bucketed by length and first
//!   letter, serves prefix and typo look-ups. Posting lists are delta + varint
//!   encoded.
//! - `rank`: a query is units (a word, a CJK run, a synonym) each matched by some terms
//!   (exact, stem, typo, prefix). Score = BM25F × coverage², coverage being the weighted
//!   share of units a section matches; sections at or under half coverage are not hits.
//! - `focus`: the items (point subtrees) of the best section that hold the query, its
//!   items analysed again at query time.

mod analyze;
mod focus;
mod index;
mod rank;
#[cfg(test)]
mod tests;

use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};

pub use crate::notes::SectionRef;
use crate::notes::{Item, Library, Marker, Section};
use analyze::Analyzer;
pub use analyze::{is_cjk, normalize};
use index::{Bm25f, Builder, FIELDS, Postings, TermId, Terms};
use rank::{EXACT, FUZZY, Mode, Scored};

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
}

impl MatchReason {
    /// The name shown to people and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchReason::Title => "title",
            MatchReason::Keyword => "keyword",
            MatchReason::Text => "text",
            MatchReason::Fuzzy => "fuzzy",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub section: SectionRef,
    /// For ordering hits of one query; not comparable across note sets.
    pub score: f32,
    /// Weighted share of the query's units the section matched, above 0.5 and up to 1.
    pub coverage: f32,
    pub reason: MatchReason,
    /// Point subtrees that matched, best first; empty when only the title matched, and
    /// for every hit but the first.
    pub focus: Vec<ItemPath>,
}

/// Hits of one search, and the query as analysed for it, to focus a hit when its reply
/// needs it.
pub struct Ranked<'a> {
    index: &'a Index,
    units: Vec<rank::Unit>,
    /// Best first, none focused.
    pub hits: Vec<Hit>,
}

impl Ranked<'_> {
    fn none(index: &Index) -> Ranked<'_> {
        Ranked {
            index,
            units: Vec::new(),
            hits: Vec::new(),
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
}

/// Read-only after `build`; cheap to share behind an `Arc`.
pub struct Index {
    library: Library,
    analyzer: Analyzer,
    postings: Postings,
    /// Per document (answerable section), in library order.
    docs: Vec<SectionRef>,
    /// Normalised titles, for autocomplete and "did you mean".
    titles: Vec<String>,
    /// The same, letters and digits only: what "the query is the title" compares.
    title_keys: Vec<String>,
    /// Document range of each note, for searches within one topic.
    note_docs: Vec<Range<u32>>,
    /// The item terms of the sections focused last.
    recent_items: Mutex<Vec<(SectionRef, ItemTerms)>>,
}

/// The sorted, distinct terms of each of a section's items, depth first.
type ItemTerms = Arc<[Box<[TermId]>]>;

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
/// "Did you mean" is looser.
const LOOSE_COVERAGE: f32 = 0.34;
/// A section whose title is (nearly) the query ranks above one that only uses its words.
const TITLE_BONUS: f32 = 1.5;
/// A section ranked first by [`Index::heading_first`] scores this much above the best.
const HEADING_FIRST: f32 = 1.01;
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
    pub fn build(library: Library, options: &SearchOptions) -> Index {
        use rayon::prelude::*;
        let analyzer = Analyzer::new(&options.synonyms);
        let mut builder = Builder::default();
        let mut docs = Vec::new();
        let mut titles = Vec::new();
        let mut title_keys = Vec::new();
        let mut note_docs = Vec::new();
        // Sections are analysed on every core, a batch at a time (so that little is held
        // between analysis and merge, however big a note), and merged in library order,
        // each section's terms interned in their order of first use: the same term ids,
        // postings and index as on one thread.
        let sections: Vec<SectionRef> = library
            .notes
            .iter()
            .enumerate()
            .flat_map(|(n, note)| {
                note.answerable()
                    .map(move |(s, _)| SectionRef { note: n, section: s })
            })
            .collect();
        for batch in sections.chunks(ANALYSIS_BATCH) {
            let analysed: Vec<SectionTerms> = batch
                .par_iter()
                .map(|&at| SectionTerms::of(&analyzer, &library, at))
                .collect();
            for (at, section) in batch.iter().zip(analysed) {
                let ids = section.terms.ids_in(&mut builder);
                for word in &section.surfaces {
                    builder.add_surface(word);
                }
                builder.add_counted(
                    section
                        .entries
                        .iter()
                        .map(|&(t, tf)| (ids.get(t as usize).copied().unwrap_or(0), tf)),
                    section.lengths,
                );
                docs.push(*at);
                title_keys.push(key(&section.title));
                titles.push(section.title);
            }
        }
        for n in 0..library.notes.len() {
            let start = docs.partition_point(|d| d.note < n) as u32;
            let end = docs.partition_point(|d| d.note <= n) as u32;
            note_docs.push(start..end);
        }
        Index {
            library,
            analyzer,
            postings: builder.finish(&BM25F),
            docs,
            titles,
            title_keys,
            note_docs,
            recent_items: Mutex::new(Vec::new()),
        }
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The posting lists' size in bytes, and how many postings they hold.
    pub fn posting_bytes(&self) -> (usize, usize) {
        self.postings.posting_bytes()
    }

    fn section(&self, at: SectionRef) -> Option<&Section> {
        self.library.section(at).map(|(_, section)| section)
    }

    fn units(&self, query: &Query, mode: Mode, range: &Range<u32>) -> Vec<rank::Unit> {
        rank::units(&self.analyzer, &self.postings, &query.stripped, mode, range)
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
            None => Some(0..self.docs.len() as u32),
            Some(topic) => {
                let note = self.library.notes.iter().position(|n| n.topic == topic)?;
                self.note_docs.get(note).cloned()
            }
        }
    }

    /// Ranked hits for a query, the best one focused; `topic` restricts to one note. Empty
    /// when nothing is relevant.
    pub fn search(&self, query: &str, topic: Option<&str>, limit: usize) -> Vec<Hit> {
        let ranked = self.ranked(query, topic, limit);
        // Only the best hit is shown at once; the others are offered in a menu and open
        // at their start.
        let focus = ranked.hits.first().map(|best| ranked.focus(best.section));
        let mut hits = ranked.hits;
        if let (Some(best), Some(focus)) = (hits.first_mut(), focus) {
            best.focus = focus;
        }
        hits
    }

    /// The hits of [`Index::search`], none focused yet: focus analyses the shown section's
    /// items again, which a reply that fits one page does not need.
    pub fn ranked(&self, query: &str, topic: Option<&str>, limit: usize) -> Ranked<'_> {
        let Some(range) = self.doc_range(topic) else {
            return Ranked::none(self);
        };
        if limit == 0 {
            return Ranked::none(self);
        }
        let query = Query::new(query);
        let units = self.units(&query, Mode::Search, &range);
        let mut scored = rank::score(&self.postings, &units, &range, MIN_COVERAGE, limit + 8);
        for s in &mut scored {
            if self.like_title(s.doc, &query) {
                s.score *= TITLE_BONUS;
            }
        }
        self.heading_first(&mut scored, &query);
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        scored.truncate(limit);
        let hits = scored
            .into_iter()
            .map(|s| Hit {
                section: self.docs[s.doc as usize],
                score: s.score,
                coverage: s.coverage,
                reason: self.reason(&s, &query),
                focus: Vec::new(),
            })
            .collect();
        Ranked {
            index: self,
            units,
            hits,
        }
    }

    /// Autocomplete: sections for what has been typed so far, at most 25: titles that
    /// start with or hold it first, then the best matches (the last word may be a prefix,
    /// and typos are forgiven). An empty `partial` gives the note's first sections.
    pub fn suggest(&self, partial: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let Some((range, limit)) = self.suggestion_range(topic, limit) else {
            return Vec::new();
        };
        let query = Query::new(partial);
        let typed = query.normalized.trim();
        if typed.is_empty() || limit == 0 {
            return range
                .take(limit)
                .map(|d| self.suggestion(d, MatchReason::Title))
                .collect();
        }
        // (tier, score, doc, reason): titles starting with what was typed, then titles
        // holding it, then the rest by score.
        let mut found: Vec<(u8, f32, u32, MatchReason)> = Vec::new();
        if range.len() <= TITLE_SCAN {
            for d in range.clone() {
                let title = self.titles[d as usize].as_str();
                let tier = match title.find(typed) {
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
        for s in rank::score(&self.postings, &units, &range, MIN_COVERAGE, limit) {
            match found.iter_mut().find(|f| f.2 == s.doc) {
                Some(f) => f.1 = s.score,
                None => found.push((2, s.score, s.doc, self.reason(&s, &query))),
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
        found.truncate(limit);
        found
            .into_iter()
            .map(|(_, _, d, reason)| self.suggestion(d, reason))
            .collect()
    }

    /// "Did you mean": looser candidates for when `search` found nothing (bigger typos,
    /// an unfinished last word, less of the query matched, titles that look like it).
    /// Nothing when nothing is close.
    pub fn did_you_mean(&self, query: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let Some((range, limit)) = self.suggestion_range(topic, limit) else {
            return Vec::new();
        };
        let query = Query::new(query);
        let units = self.units(&query, Mode::Loose, &range);
        let mut found: Vec<Suggestion> = rank::score(&self.postings, &units, &range, LOOSE_COVERAGE, limit)
            .into_iter()
            .map(|s| self.suggestion(s.doc, MatchReason::Fuzzy))
            .collect();
        let wanted = query.stripped.trim();
        if found.len() < limit && range.len() <= TITLE_SCAN && wanted.chars().count() >= 2 {
            // Titles that look like the query.
            let mut similar: Vec<(f64, u32)> = range
                .map(|d| (title_similarity(wanted, &self.titles[d as usize]), d))
                .filter(|(similarity, _)| *similarity >= 0.5)
                .collect();
            similar.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
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
            let title = self.titles[doc as usize].as_str();
            chunks.iter().all(|chunk| holds_at_word_start(title, chunk))
        };
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
        let (mut terms, mut surfaces) = (Vec::new(), Vec::new());
        let mut budget = FOCUS_BYTES;
        let mut items = Vec::new();
        walk_items(&section.points, &mut |item| {
            let text = item.text.plain.as_str();
            budget = budget.saturating_sub(text.len());
            if budget == 0 {
                items.push(Vec::new());
                return;
            }
            terms.clear();
            surfaces.clear();
            self.analyzer.terms(text, &mut terms, &mut surfaces);
            let mut ids: Vec<TermId> = terms.iter().filter_map(|t| self.postings.id(t)).collect();
            ids.sort_unstable();
            ids.dedup();
            items.push(ids);
        });
        items
    }

    /// Whether the query is (nearly) the title of `doc`, spaces and punctuation aside.
    fn like_title(&self, doc: u32, query: &Query) -> bool {
        let title = self.title_keys[doc as usize].as_str();
        [query.key.as_str(), query.stripped_key.as_str()]
            .into_iter()
            .any(|q| !q.is_empty() && (title == q || title_similarity(q, title) >= 0.85))
    }

    fn reason(&self, s: &Scored, query: &Query) -> MatchReason {
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
        let mut end = text.len().min(MAX_QUERY);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let normalized = normalize(&text[..end]);
        let stripped = analyze::strip_question(&normalized);
        Query {
            key: key(&normalized),
            stripped_key: key(&stripped),
            normalized,
            stripped,
        }
    }
}

/// Letters and digits only: `Port-forwarding?` and `port forwarding` have one key.
fn key(normalized: &str) -> String {
    normalized.chars().filter(|c| c.is_alphanumeric()).collect()
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
    let cjk = part.chars().next().is_some_and(analyze::is_cjk);
    text.match_indices(part).any(|(at, _)| {
        cjk || text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() || analyze::is_cjk(c))
    })
}

/// The field an item's text goes to: code blocks (the parser keeps them fenced) apart.
fn body_field(item: &Item) -> usize {
    if item.marker == Marker::Plain && item.text.markdown().starts_with("```") {
        CODE
    } else {
        BODY
    }
}

/// A poisoned lock only means another search panicked mid-update; the list is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every item, depth first (an item, then its children): the order focus relies on.
fn walk_items<'a>(items: &'a [Item], visit: &mut impl FnMut(&'a Item)) {
    for item in items {
        visit(item);
        walk_items(&item.children, visit);
    }
}

/// Sections analysed together on all cores before their merge into the index.
const ANALYSIS_BATCH: usize = 128;

/// One section analysed, apart from the others: its terms (ids local to it, in order of
/// first use) with their frequencies per field.
struct SectionTerms {
    terms: Terms,
    /// Distinct surface words.
    surfaces: Vec<Box<str>>,
    entries: Vec<(TermId, [u8; FIELDS])>,
    lengths: [u16; FIELDS],
    /// Normalised.
    title: String,
}

impl SectionTerms {
    fn of(analyzer: &Analyzer, library: &Library, at: SectionRef) -> SectionTerms {
        let mut local = Local::default();
        let mut fields: [Vec<TermId>; FIELDS] = Default::default();
        let mut title = String::new();
        if let Some((note, section)) = library.section(at) {
            // Tags, title, category, then items: terms get local ids in this order.
            let mut tags = note.front.tags.join(" ");
            for alias in &note.front.aliases {
                tags.push(' ');
                tags.push_str(alias);
            }
            fields[TAGS] = local.ids(analyzer, &tags);
            fields[TITLE] = local.ids(analyzer, &section.title);
            fields[CATEGORY] = local.ids(analyzer, &section.category.join(" "));
            walk_items(&section.points, &mut |item| {
                let ids = local.ids(analyzer, &item.text.plain);
                fields[body_field(item)].extend_from_slice(&ids);
            });
            walk_items(&section.context, &mut |item| {
                let ids = local.ids(analyzer, &item.text.plain);
                fields[body_field(item)].extend_from_slice(&ids);
            });
            title = normalize(&section.title).trim().to_string();
        }
        let (entries, lengths) = index::count(&fields, &mut Default::default());
        let mut surfaces: Vec<Box<str>> = local.surfaces.into_iter().collect();
        surfaces.sort_unstable();
        SectionTerms {
            terms: local.terms,
            surfaces,
            entries,
            lengths,
            title,
        }
    }
}

/// Analysis of one note: its own term ids, and reused buffers.
#[derive(Default)]
struct Local {
    terms: Terms,
    surfaces: rustc_hash::FxHashSet<Box<str>>,
    scratch_terms: Vec<String>,
    scratch_surfaces: Vec<String>,
}

impl Local {
    fn ids(&mut self, analyzer: &Analyzer, text: &str) -> Vec<TermId> {
        self.scratch_terms.clear();
        self.scratch_surfaces.clear();
        analyzer.terms(text, &mut self.scratch_terms, &mut self.scratch_surfaces);
        for word in &self.scratch_surfaces {
            if !self.surfaces.contains(word.as_str()) {
                self.surfaces.insert(word.as_str().into());
            }
        }
        self.scratch_terms.iter().map(|t| self.terms.intern(t)).collect()
    }
}
