//! The inverted index: interned terms → postings (sorted by document, with BM25F's
//! saturated term frequency worked out at build time), the vocabulary of surface words
//! for prefix and typo look-ups, CJK bigrams by character, and each section's items as
//! term lists for focus.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::ops::Range;

pub type TermId = u32;

/// Fields of a document, in this order: title, category, tags and aliases, body, code.
pub const FIELDS: usize = 5;

/// Terms read from one posting list at most: longer lists (very common bigrams and
/// words) are read from their strongest postings only. Keeps the slow tail short.
pub const POSTING_CAP: usize = 4096;

/// Longest word kept in the typo vocabulary.
const MAX_WORD: usize = 40;

#[derive(Debug, Clone, Copy)]
pub struct Posting {
    pub doc: u32,
    /// BM25F's saturated, length-normalised term frequency over the fields; times idf
    /// it is the term's score in the document.
    pub impact: f32,
    /// Bit `f` set when field `f` holds the term.
    pub fields: u8,
}

/// BM25F parameters: per-field weight and length normalisation, and k1.
pub struct Bm25f {
    pub weight: [f32; FIELDS],
    pub b: [f32; FIELDS],
    pub k1: f32,
}

/// Accumulates documents; `finish` makes the read-only [`Postings`].
#[derive(Default)]
pub struct Builder {
    ids: HashMap<Box<str>, TermId>,
    lists: Vec<Vec<(u32, [u16; FIELDS])>>,
    lengths: Vec<[u16; FIELDS]>,
    surfaces: HashSet<Box<str>>,
    counts: HashMap<TermId, [u16; FIELDS]>,
    items: ItemTerms,
}

impl Builder {
    pub fn intern(&mut self, term: &str) -> TermId {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.lists.len() as TermId;
        self.ids.insert(term.into(), id);
        self.lists.push(Vec::new());
        id
    }

    pub fn add_surface(&mut self, word: &str) {
        if word.chars().count() <= MAX_WORD && !self.surfaces.contains(word) {
            self.surfaces.insert(word.into());
        }
    }

    /// Adds the next document; `items` are the term lists of its points, depth first.
    pub fn add_doc(&mut self, fields: &[Vec<TermId>; FIELDS], items: &mut Vec<Vec<TermId>>) {
        let doc = self.lengths.len() as u32;
        let mut lengths = [0u16; FIELDS];
        self.counts.clear();
        for (f, terms) in fields.iter().enumerate() {
            lengths[f] = u16::try_from(terms.len()).unwrap_or(u16::MAX);
            for &term in terms {
                let tf = self.counts.entry(term).or_default();
                tf[f] = tf[f].saturating_add(1);
            }
        }
        for (&term, &tf) in &self.counts {
            if let Some(list) = self.lists.get_mut(term as usize) {
                list.push((doc, tf));
            }
        }
        self.lengths.push(lengths);
        self.items.push_doc(items);
    }

    pub fn finish(self, bm25: &Bm25f) -> Postings {
        let docs = self.lengths.len();
        let mut sums = [0f64; FIELDS];
        for lengths in &self.lengths {
            for (sum, &length) in sums.iter_mut().zip(lengths) {
                *sum += f64::from(length);
            }
        }
        let mut average = [1f32; FIELDS];
        for (average, sum) in average.iter_mut().zip(sums) {
            *average = ((sum / docs.max(1) as f64) as f32).max(1.0);
        }
        let mut lists = Vec::with_capacity(self.lists.len());
        let mut strongest = HashMap::default();
        for (id, list) in self.lists.into_iter().enumerate() {
            // Documents were added in order, so every list is sorted by document.
            let postings: Box<[Posting]> = list
                .into_iter()
                .map(|(doc, tf)| {
                    let lengths = self.lengths.get(doc as usize).copied().unwrap_or_default();
                    let mut weighted = 0.0;
                    let mut fields = 0u8;
                    for f in 0..FIELDS {
                        if tf[f] > 0 {
                            let norm = 1.0 - bm25.b[f] + bm25.b[f] * f32::from(lengths[f]) / average[f];
                            weighted += bm25.weight[f] * f32::from(tf[f]) / norm;
                            fields |= 1 << f;
                        }
                    }
                    Posting {
                        doc,
                        impact: weighted / (bm25.k1 + weighted),
                        fields,
                    }
                })
                .collect();
            if postings.len() > POSTING_CAP {
                let mut best = postings.to_vec();
                best.select_nth_unstable_by(POSTING_CAP, |a, b| b.impact.total_cmp(&a.impact));
                best.truncate(POSTING_CAP);
                best.sort_unstable_by_key(|p| p.doc);
                strongest.insert(id as TermId, best.into_boxed_slice());
            }
            lists.push(postings);
        }
        let mut surfaces: Vec<Box<str>> = self.surfaces.into_iter().collect();
        surfaces.sort_unstable();
        let mut by_shape: HashMap<(usize, char), Vec<(u32, u64)>> = HashMap::default();
        for (i, word) in surfaces.iter().enumerate() {
            if let Some(first) = word.chars().next() {
                by_shape
                    .entry((word.chars().count(), first))
                    .or_default()
                    .push((i as u32, letter_mask(word)));
            }
        }
        // CJK bigrams by their first and by their second character, commonest first,
        // for one-character queries and for the character being typed.
        let mut cjk_first: HashMap<char, Vec<TermId>> = HashMap::default();
        let mut cjk_second: HashMap<char, Vec<TermId>> = HashMap::default();
        for (term, &id) in &self.ids {
            let mut chars = term.chars();
            if let (Some(a), Some(b), None) = (chars.next(), chars.next(), chars.next()) {
                if super::analyze::is_cjk(a) && super::analyze::is_cjk(b) {
                    cjk_first.entry(a).or_default().push(id);
                    cjk_second.entry(b).or_default().push(id);
                }
            }
        }
        for list in cjk_first.values_mut().chain(cjk_second.values_mut()) {
            list.sort_unstable_by_key(|&id| (std::cmp::Reverse(lists[id as usize].len()), id));
        }
        Postings {
            ids: self.ids,
            lists,
            strongest,
            docs,
            surfaces,
            by_shape,
            cjk_first,
            cjk_second,
            items: self.items,
        }
    }
}

pub struct Postings {
    ids: HashMap<Box<str>, TermId>,
    lists: Vec<Box<[Posting]>>,
    /// For lists longer than [`POSTING_CAP`]: their strongest postings, by document.
    strongest: HashMap<TermId, Box<[Posting]>>,
    docs: usize,
    /// Sorted, distinct Latin words as written (unstemmed), joined forms included.
    surfaces: Vec<Box<str>>,
    /// Indexes into `surfaces` with their letter masks, by (length in characters, first
    /// character): a typo in the first letter is rare, and this keeps the scan short.
    by_shape: HashMap<(usize, char), Vec<(u32, u64)>>,
    cjk_first: HashMap<char, Vec<TermId>>,
    cjk_second: HashMap<char, Vec<TermId>>,
    pub items: ItemTerms,
}

impl Postings {
    pub fn id(&self, term: &str) -> Option<TermId> {
        self.ids.get(term).copied()
    }

    /// Documents holding the term in all.
    pub fn df(&self, id: TermId) -> usize {
        self.lists.get(id as usize).map_or(0, |l| l.len())
    }

    /// Documents in `range` holding the term.
    pub fn df_in(&self, id: TermId, range: &Range<u32>) -> usize {
        self.in_range(id, range).len()
    }

    fn in_range(&self, id: TermId, range: &Range<u32>) -> &[Posting] {
        let Some(list) = self.lists.get(id as usize) else {
            return &[];
        };
        let start = list.partition_point(|p| p.doc < range.start);
        let end = list.partition_point(|p| p.doc < range.end);
        list.get(start..end).unwrap_or(&[])
    }

    /// The postings a query reads for a term in `range`: all of them, or when there are
    /// more than [`POSTING_CAP`], the strongest (which may then lie outside `range`:
    /// callers check).
    pub fn read(&self, id: TermId, range: &Range<u32>) -> &[Posting] {
        let postings = self.in_range(id, range);
        if postings.len() > POSTING_CAP {
            if let Some(best) = self.strongest.get(&id) {
                return best;
            }
        }
        postings
    }

    pub fn idf(&self, df: usize) -> f32 {
        let n = self.docs as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Words that start with `prefix` (the prefix itself excluded), at most `max`.
    pub fn with_prefix(&self, prefix: &str, max: usize) -> impl Iterator<Item = &str> {
        let start = self.surfaces.partition_point(|w| w.as_ref() < prefix);
        let enough = prefix.chars().count() >= 2;
        self.surfaces[start..]
            .iter()
            .take_while(move |w| enough && w.starts_with(prefix))
            .filter(move |w| w.as_ref() != prefix)
            .take(max)
            .map(AsRef::as_ref)
    }

    /// Words within `budget` edits (optimal string alignment) of `word`, nearest first,
    /// at most ten.
    pub fn similar(&self, word: &str, budget: usize) -> Vec<(&str, usize)> {
        let Some(first) = word.chars().next() else {
            return Vec::new();
        };
        if budget == 0 {
            return Vec::new();
        }
        let length = word.chars().count();
        if length > MAX_WORD {
            return Vec::new();
        }
        let mask = letter_mask(word);
        let mut found = Vec::new();
        let low = length.saturating_sub(budget);
        let high = (length + budget).min(MAX_WORD);
        for bucket in (low..=high).filter_map(|l| self.by_shape.get(&(l, first))) {
            for &(i, candidate_mask) in bucket {
                // One edit changes at most two letters of the set: a cheap filter first.
                if (mask ^ candidate_mask).count_ones() as usize > 2 * budget {
                    continue;
                }
                let Some(candidate) = self.surfaces.get(i as usize) else {
                    continue;
                };
                let distance = strsim::osa_distance(word, candidate);
                if distance <= budget && distance > 0 {
                    found.push((candidate.as_ref(), distance));
                }
            }
        }
        found.sort_by_key(|&(w, d)| (d, w));
        found.truncate(10);
        found
    }

    /// CJK bigrams that start (`second == false`) or end with `c`, commonest first.
    pub fn cjk_bigrams(&self, c: char, second: bool) -> &[TermId] {
        let map = if second { &self.cjk_second } else { &self.cjk_first };
        map.get(&c).map_or(&[], Vec::as_slice)
    }
}

/// Which letters and digits a word holds, as bits: a necessary condition for a small
/// edit distance is a small difference between these sets.
fn letter_mask(word: &str) -> u64 {
    word.chars().fold(0u64, |mask, c| {
        let bit = match c {
            'a'..='z' => c as u32 - 'a' as u32,
            '0'..='9' => 26 + c as u32 - '0' as u32,
            _ => 36 + c as u32 % 28,
        };
        mask | (1 << bit)
    })
}

/// The term lists of every document's items (its points, depth first), flat.
#[derive(Default)]
pub struct ItemTerms {
    terms: Vec<TermId>,
    /// End of each item's terms in `terms`.
    ends: Vec<u32>,
    /// First item of each document in `ends`; one more entry than documents.
    docs: Vec<u32>,
}

impl ItemTerms {
    fn push_doc(&mut self, items: &mut Vec<Vec<TermId>>) {
        if self.docs.is_empty() {
            self.docs.push(0);
        }
        for mut terms in items.drain(..) {
            terms.sort_unstable();
            terms.dedup();
            self.terms.extend_from_slice(&terms);
            self.ends.push(self.terms.len() as u32);
        }
        self.docs.push(self.ends.len() as u32);
    }

    /// The sorted, distinct terms of each item of `doc`, depth first.
    pub fn of(&self, doc: u32) -> impl Iterator<Item = &[TermId]> {
        let first = self.docs.get(doc as usize).copied().unwrap_or(0) as usize;
        let last = self.docs.get(doc as usize + 1).copied().unwrap_or(0) as usize;
        (first..last.max(first)).map(move |i| {
            let start = if i == 0 {
                0
            } else {
                self.ends.get(i - 1).copied().unwrap_or(0) as usize
            };
            let end = self.ends.get(i).copied().unwrap_or(0) as usize;
            self.terms.get(start..end).unwrap_or(&[])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BM25: Bm25f = Bm25f {
        weight: [3.0, 1.0, 0.5, 1.0, 0.4],
        b: [0.5, 0.3, 0.3, 0.75, 0.75],
        k1: 1.2,
    };

    fn postings(docs: &[(&[&str], &[&str])]) -> Postings {
        let mut builder = Builder::default();
        for (title, body) in docs {
            let mut fields: [Vec<TermId>; FIELDS] = Default::default();
            fields[0] = title.iter().map(|t| builder.intern(t)).collect();
            fields[3] = body.iter().map(|t| builder.intern(t)).collect();
            for word in title.iter().chain(body.iter()) {
                builder.add_surface(word);
            }
            let mut items = vec![fields[3].clone()];
            builder.add_doc(&fields, &mut items);
        }
        builder.finish(&BM25)
    }

    #[test]
    fn title_weighs_more_than_body_and_rare_more_than_common() {
        let p = postings(&[(&["rust"], &["async"]), (&["tokio"], &["rust", "async"])]);
        let rust = p.id("rust").unwrap_or(u32::MAX);
        let list = p.read(rust, &(0..2));
        assert_eq!(list.len(), 2);
        assert!(list[0].impact > list[1].impact, "{list:?}");
        assert_eq!(list[0].fields, 1);
        assert_eq!(list[1].fields, 8);
        assert!(p.idf(1) > p.idf(2));
        assert_eq!(p.df_in(rust, &(1..2)), 1);
        assert_eq!(p.df_in(rust, &(2..2)), 0);
    }

    #[test]
    fn typo_and_prefix_lookups() {
        let p = postings(&[(&["transformer", "rlhf"], &["transport", "trans"])]);
        assert_eq!(p.similar("transfomer", 1), vec![("transformer", 1)]);
        assert_eq!(p.similar("rlfh", 1), vec![("rlhf", 1)]);
        assert!(p.similar("xlhf", 1).is_empty(), "first letters must agree");
        assert!(p.similar("rlhf", 0).is_empty());
        assert!(p.similar("", 2).is_empty());
        let prefixed: Vec<&str> = p.with_prefix("trans", 30).collect();
        assert_eq!(prefixed, vec!["transformer", "transport"]);
        assert_eq!(p.with_prefix("t", 30).count(), 0, "one letter is too short");
    }

    #[test]
    fn letter_masks_bound_the_edit_distance() {
        for (a, b) in [
            ("rlhf", "rlfh"),
            ("transformer", "transfomer"),
            ("abc", "abd"),
            ("gpt35", "gpt3"),
        ] {
            let d = strsim::osa_distance(a, b);
            assert!(
                (letter_mask(a) ^ letter_mask(b)).count_ones() as usize <= 2 * d,
                "{a} {b}"
            );
        }
    }

    #[test]
    fn long_lists_are_read_from_their_strongest_postings() {
        let mut builder = Builder::default();
        let common = builder.intern("common");
        for doc in 0..(POSTING_CAP + 10) {
            let mut fields: [Vec<TermId>; FIELDS] = Default::default();
            // The last ten documents hold the term in their title.
            if doc >= POSTING_CAP {
                fields[0].push(common);
            }
            fields[3] = vec![common; 1 + doc % 3];
            builder.add_doc(&fields, &mut Vec::new());
        }
        let p = builder.finish(&BM25);
        let all = 0..(POSTING_CAP as u32 + 10);
        let read = p.read(common, &all);
        assert_eq!(read.len(), POSTING_CAP);
        assert!(read.windows(2).all(|w| w[0].doc < w[1].doc));
        assert!(read.iter().filter(|p| p.fields & 1 != 0).count() == 10);
        // A small range reads its own postings.
        assert_eq!(p.read(common, &(0..5)).len(), 5);
    }

    #[test]
    fn item_terms_by_document() {
        let mut builder = Builder::default();
        let a = builder.intern("a");
        let b = builder.intern("b");
        let fields: [Vec<TermId>; FIELDS] = Default::default();
        builder.add_doc(&fields, &mut vec![vec![b, a, b], vec![]]);
        builder.add_doc(&fields, &mut vec![]);
        builder.add_doc(&fields, &mut vec![vec![a]]);
        let p = builder.finish(&BM25);
        assert_eq!(p.items.of(0).collect::<Vec<_>>(), vec![&[a, b][..], &[][..]]);
        assert_eq!(p.items.of(1).count(), 0);
        assert_eq!(p.items.of(2).collect::<Vec<_>>(), vec![&[a][..]]);
        assert_eq!(p.items.of(7).count(), 0);
    }
}
