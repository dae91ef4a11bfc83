//! Full-text search over every answerable section of the library.
//!
//! BM25F over four fields (title, category, tags, body) with CJK bigrams, stemmed Latin
//! words, synonyms and typo tolerance; scores are scaled by coverage² (the share of the
//! query's units a section matches), and sections under half coverage are not hits.

mod analyze;
mod focus;
mod index;

use std::cell::RefCell;

use crate::notes::Library;
pub use analyze::normalize;
use analyze::{Analyzer, Piece};
use index::{Fields, Postings};

/// Where a section lives: `library.notes[note].sections[section]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SectionRef {
    pub note: usize,
    pub section: usize,
}

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

#[derive(Debug, Clone)]
pub struct Hit {
    pub section: SectionRef,
    pub score: f32,
    pub reason: MatchReason,
    /// Point subtrees that matched, best first; empty when only the title matched.
    pub focus: Vec<ItemPath>,
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
    /// Normalised titles, for title matches and "did you mean".
    titles: Vec<String>,
    /// Document range of each note, for searches within one topic.
    note_docs: Vec<std::ops::Range<u32>>,
}

/// Field numbers and their BM25F weights and length normalisation.
const TITLE: usize = 0;
const CATEGORY: usize = 1;
const TAGS: usize = 2;
const BODY: usize = 3;
const WEIGHT: [f32; 4] = [3.0, 1.0, 0.5, 1.0];
const B: [f32; 4] = [0.5, 0.3, 0.3, 0.75];
const K1: f32 = 1.2;
/// Most query units considered; the rest of a very long query is ignored.
const MAX_UNITS: usize = 12;
/// Typo weights by edit distance.
const TYPO_WEIGHT: [f32; 3] = [1.0, 0.6, 0.35];
/// Prefix completions of the word being typed.
const MAX_PREFIX_EXPANSIONS: usize = 30;
const PREFIX_WEIGHT: f32 = 0.8;

/// One unit of a query: a word, a CJK run or a synonym, matched by any of its terms.
#[derive(Debug)]
struct Unit {
    /// (term, weight). CJK bigrams add up to 1; other alternatives take the best.
    terms: Vec<(String, f32)>,
    additive: bool,
}

#[derive(Clone, Copy)]
enum Mode {
    /// A submitted query.
    Search,
    /// As the user types: the last word may be a prefix.
    Typing,
    /// After a miss: looser.
    Loose,
}

#[derive(Default)]
struct Scratch {
    score: Vec<f32>,
    coverage: Vec<f32>,
    unit_score: Vec<f32>,
    unit_best: Vec<f32>,
    /// Bits: 1 << field matched, 16 fuzzy, 32 exact.
    flags: Vec<u8>,
    touched: Vec<u32>,
    unit_touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

const FUZZY: u8 = 16;
const EXACT: u8 = 32;

struct Scored {
    doc: u32,
    score: f32,
    flags: u8,
}

impl Index {
    pub fn build(library: Library, options: &SearchOptions) -> Index {
        let analyzer = Analyzer::new(&options.synonyms);
        let mut postings = Postings::default();
        let mut docs = Vec::new();
        let mut titles = Vec::new();
        let mut note_docs = Vec::new();
        let mut terms = Vec::new();
        let mut surfaces = Vec::new();
        for (n, note) in library.notes.iter().enumerate() {
            let start = docs.len() as u32;
            let mut tags = note.front.tags.join(" ");
            for alias in &note.front.aliases {
                tags.push(' ');
                tags.push_str(alias);
            }
            for (s, section) in note.answerable() {
                let mut fields: Fields = Default::default();
                let mut field_terms = |text: &str, field: usize, fields: &mut Fields| {
                    terms.clear();
                    analyzer.terms(text, &mut terms, &mut surfaces);
                    fields[field].append(&mut terms);
                };
                field_terms(&section.title, TITLE, &mut fields);
                field_terms(&section.category.join(" "), CATEGORY, &mut fields);
                field_terms(&tags, TAGS, &mut fields);
                for item in section.points.iter().chain(&section.context) {
                    for (_, item) in item.walk() {
                        field_terms(&item.text.plain, BODY, &mut fields);
                    }
                }
                postings.add(docs.len() as u32, fields);
                postings.add_surfaces(surfaces.drain(..));
                docs.push(SectionRef { note: n, section: s });
                titles.push(normalize(&section.title));
            }
            note_docs.push(start..docs.len() as u32);
        }
        postings.finish(docs.len());
        Index {
            library,
            analyzer,
            postings,
            docs,
            titles,
            note_docs,
        }
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    fn doc_range(&self, topic: Option<&str>) -> Option<std::ops::Range<u32>> {
        match topic {
            None => Some(0..self.docs.len() as u32),
            Some(topic) => {
                let note = self.library.notes.iter().position(|n| n.topic == topic)?;
                self.note_docs.get(note).cloned()
            }
        }
    }

    /// Ranked hits for a query; `topic` restricts to one note. Empty when nothing is relevant.
    pub fn search(&self, query: &str, topic: Option<&str>, limit: usize) -> Vec<Hit> {
        let Some(range) = self.doc_range(topic) else {
            return Vec::new();
        };
        let normalized = normalize(query);
        let stripped = analyze::strip_question(&normalized);
        let units = self.units(&stripped, Mode::Search);
        let scored = self.score(&units, range, 0.5, limit);
        let query_terms: Vec<String> = units
            .iter()
            .flat_map(|u| u.terms.iter().map(|(t, _)| t.clone()))
            .collect();
        scored
            .into_iter()
            .map(|s| {
                let section = self.docs[s.doc as usize];
                let reason = self.reason(s.doc, s.flags, &stripped, &normalized);
                let focus = self
                    .library
                    .notes
                    .get(section.note)
                    .and_then(|n| n.sections.get(section.section))
                    .map(|sec| focus::focus(&self.analyzer, sec, &query_terms))
                    .unwrap_or_default();
                Hit {
                    section,
                    score: s.score,
                    reason,
                    focus,
                }
            })
            .collect()
    }

    /// Autocomplete: sections for what has been typed so far (prefix + fuzzy on titles,
    /// then keywords and text). An empty `partial` gives the note's first sections.
    pub fn suggest(&self, partial: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let Some(range) = self.doc_range(topic) else {
            return Vec::new();
        };
        let normalized = normalize(partial);
        if normalized.trim().is_empty() {
            return range
                .take(limit)
                .map(|d| Suggestion {
                    section: self.docs[d as usize],
                    reason: MatchReason::Title,
                })
                .collect();
        }
        let stripped = analyze::strip_question(&normalized);
        let units = self.units(&stripped, Mode::Typing);
        let mut scored = self.score(&units, range.clone(), 0.5, limit.max(1) * 2);
        // Titles that contain what was typed rank first.
        scored.sort_by(|a, b| {
            let a_title = self.titles[a.doc as usize].contains(stripped.trim());
            let b_title = self.titles[b.doc as usize].contains(stripped.trim());
            b_title.cmp(&a_title).then(b.score.total_cmp(&a.score))
        });
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|s| Suggestion {
                section: self.docs[s.doc as usize],
                reason: self.reason(s.doc, s.flags, &stripped, &normalized),
            })
            .collect()
    }

    /// "Did you mean": looser candidates when `search` found nothing.
    pub fn did_you_mean(&self, query: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let Some(range) = self.doc_range(topic) else {
            return Vec::new();
        };
        let stripped = analyze::strip_question(&normalize(query));
        let units = self.units(&stripped, Mode::Loose);
        let mut found: Vec<Suggestion> = self
            .score(&units, range.clone(), 0.4, limit)
            .into_iter()
            .map(|s| Suggestion {
                section: self.docs[s.doc as usize],
                reason: MatchReason::Fuzzy,
            })
            .collect();
        if found.len() < limit && range.len() <= 5_000 && !stripped.trim().is_empty() {
            // Titles that look like the query.
            let mut similar: Vec<(f64, u32)> = range
                .clone()
                .map(|d| {
                    (
                        strsim::normalized_levenshtein(stripped.trim(), &self.titles[d as usize]),
                        d,
                    )
                })
                .filter(|(similarity, _)| *similarity >= 0.5)
                .collect();
            similar.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, d) in similar {
                let section = self.docs[d as usize];
                if found.len() < limit && !found.iter().any(|f| f.section == section) {
                    found.push(Suggestion {
                        section,
                        reason: MatchReason::Fuzzy,
                    });
                }
            }
        }
        found
    }

    fn reason(&self, doc: u32, flags: u8, stripped: &str, normalized: &str) -> MatchReason {
        let title = self.titles[doc as usize].as_str();
        let like_title = |query: &str| {
            let query = query.trim();
            !query.is_empty() && (title == query || strsim::normalized_levenshtein(title, query) >= 0.85)
        };
        if like_title(stripped) || like_title(normalized) {
            return MatchReason::Title;
        }
        if flags & FUZZY != 0 && flags & EXACT == 0 {
            return MatchReason::Fuzzy;
        }
        if flags & ((1 << TITLE) | (1 << CATEGORY) | (1 << TAGS)) != 0 {
            MatchReason::Keyword
        } else {
            MatchReason::Text
        }
    }

    /// The query's units with the terms that can match each.
    fn units(&self, stripped: &str, mode: Mode) -> Vec<Unit> {
        let mut pieces = self.analyzer.pieces(stripped);
        if pieces.iter().any(|p| !analyze::is_stop_word(p)) {
            pieces.retain(|p| !analyze::is_stop_word(p));
        }
        let last_word = pieces.iter().rposition(|p| matches!(p, Piece::Word { .. }));
        let typing_at_end = !stripped.ends_with(' ');
        let mut units = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            match piece {
                Piece::Synonym(group) => units.push(Unit {
                    terms: vec![(analyze::synonym_term(*group), 1.0)],
                    additive: false,
                }),
                Piece::Cjk(chars) => {
                    let grams = analyze::bigrams(chars);
                    let mut distinct: Vec<String> = Vec::new();
                    for gram in grams {
                        if !distinct.contains(&gram) {
                            distinct.push(gram);
                        }
                    }
                    let share = 1.0 / distinct.len().max(1) as f32;
                    units.push(Unit {
                        terms: distinct.into_iter().map(|g| (g, share)).collect(),
                        additive: true,
                    });
                }
                Piece::Word { parts } => {
                    let prefix = matches!(mode, Mode::Typing) && Some(i) == last_word && typing_at_end;
                    let joined: String = parts.concat();
                    if parts.len() > 1 && !self.postings.has(&joined) {
                        // An unknown compound: its parts count one by one.
                        for part in parts {
                            units.push(self.word_unit(part, mode, false));
                        }
                    } else {
                        units.push(self.word_unit(&joined, mode, prefix));
                    }
                }
            }
            if units.len() >= MAX_UNITS {
                break;
            }
        }
        units
    }

    fn word_unit(&self, word: &str, mode: Mode, prefix: bool) -> Unit {
        let stem = self.analyzer.stem(word);
        let mut terms = Vec::new();
        let known = self.postings.has(&stem) || self.postings.has(word);
        if self.postings.has(&stem) {
            terms.push((stem.clone(), 1.0));
        }
        if word != stem && self.postings.has(word) {
            terms.push((word.to_string(), 1.0));
        }
        if prefix {
            for surface in self.postings.with_prefix(word, MAX_PREFIX_EXPANSIONS) {
                let term = self.analyzer.stem(surface);
                if !terms.iter().any(|(t, _)| *t == term) {
                    terms.push((term, PREFIX_WEIGHT));
                }
            }
        }
        if !known && !word.chars().all(|c| c.is_ascii_digit()) {
            let len = word.chars().count();
            let extra = usize::from(matches!(mode, Mode::Loose));
            let budget = if len >= 8 {
                2
            } else if len >= 4 {
                1
            } else {
                0
            } + extra.min(usize::from(len >= 3));
            for (surface, distance) in self.postings.similar(word, budget) {
                let term = self.analyzer.stem(surface);
                let weight = TYPO_WEIGHT[distance.min(2)];
                if !terms.iter().any(|(t, _)| *t == term) {
                    terms.push((term, weight));
                }
            }
        }
        if terms.is_empty() {
            terms.push((stem, 1.0));
        }
        terms.sort_by(|a, b| b.1.total_cmp(&a.1));
        Unit {
            terms,
            additive: false,
        }
    }

    /// BM25F × coverage² over the documents in `range`; the best `limit` at or above
    /// `min_coverage`, best first.
    fn score(
        &self,
        units: &[Unit],
        range: std::ops::Range<u32>,
        min_coverage: f32,
        limit: usize,
    ) -> Vec<Scored> {
        if units.is_empty() || limit == 0 {
            return Vec::new();
        }
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let s = &mut *scratch;
            let n = self.docs.len();
            if s.score.len() < n {
                s.score.resize(n, 0.0);
                s.coverage.resize(n, 0.0);
                s.unit_score.resize(n, 0.0);
                s.unit_best.resize(n, 0.0);
                s.flags.resize(n, 0);
            }
            s.touched.clear();
            // Words the notes in range never use are weaker evidence against a match
            // than words they use elsewhere: they count half in the coverage.
            let mut units_weight = 0.0f32;
            for unit in units {
                s.unit_touched.clear();
                for (term, weight) in &unit.terms {
                    let Some(list) = self.postings.get(term) else {
                        continue;
                    };
                    let idf = self.postings.idf(list.len());
                    let exactness = if unit.additive || *weight >= 1.0 {
                        EXACT
                    } else {
                        FUZZY
                    };
                    for posting in list {
                        let d = posting.doc;
                        if !range.contains(&d) {
                            continue;
                        }
                        let di = d as usize;
                        let bm25 = idf * self.postings.saturation(posting, K1, &WEIGHT, &B);
                        if s.unit_best[di] == 0.0 && s.unit_score[di] == 0.0 {
                            s.unit_touched.push(d);
                        }
                        if unit.additive {
                            s.unit_best[di] += weight;
                            s.unit_score[di] += bm25;
                        } else if *weight > s.unit_best[di] {
                            s.unit_best[di] = *weight;
                            s.unit_score[di] = weight * bm25;
                        }
                        s.flags[di] |= posting.fields() | exactness;
                    }
                }
                units_weight += if s.unit_touched.is_empty() { 0.5 } else { 1.0 };
                for &d in &s.unit_touched {
                    let di = d as usize;
                    if s.score[di] == 0.0 && s.coverage[di] == 0.0 {
                        s.touched.push(d);
                    }
                    s.score[di] += s.unit_score[di];
                    s.coverage[di] += s.unit_best[di].min(1.0);
                    s.unit_score[di] = 0.0;
                    s.unit_best[di] = 0.0;
                }
            }
            let units_count = units_weight.max(1.0);
            let mut found: Vec<Scored> = Vec::new();
            for &d in &s.touched {
                let di = d as usize;
                let coverage = s.coverage[di] / units_count;
                if coverage >= min_coverage && s.score[di] > 0.0 {
                    found.push(Scored {
                        doc: d,
                        score: s.score[di] * coverage * coverage,
                        flags: s.flags[di],
                    });
                }
                s.score[di] = 0.0;
                s.coverage[di] = 0.0;
                s.flags[di] = 0;
            }
            let keep = limit.min(found.len());
            if keep < found.len() {
                found
                    .select_nth_unstable_by(keep, |a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
                found.truncate(keep);
            }
            found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
            found
        })
    }
}
