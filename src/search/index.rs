//! The inverted index: interned terms → postings (sorted by document, with BM25F's
//! saturated term frequency worked out at build time), the vocabulary of surface words
//! for prefix and typo look-ups, and CJK bigrams by character. Posting lists are
//! compressed (delta + varint, in blocks that a read of one note's documents can skip to).

use hashbrown::{HashTable, hash_table};
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::hash::Hasher;
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
    /// BM25F's saturated, length-normalised term frequency over the fields, from 0 to 1
    /// in steps of 1/65535 (8 bytes a posting instead of 12); see [`Posting::impact`].
    pub impact: u16,
    /// Bit `f` set when field `f` holds the term.
    pub fields: u8,
}

impl Posting {
    fn quantize(impact: f32) -> u16 {
        let scaled = impact.clamp(0.0, 1.0) * f32::from(u16::MAX);
        // `round` by hand (scaled is not negative): `f32::round` is a call into libm,
        // once for each of millions of postings.
        let whole = scaled as u32;
        (whole + u32::from(scaled - whole as f32 >= 0.5)) as u16
    }

    /// Times idf, the term's score in the document.
    pub fn impact(&self) -> f32 {
        f32::from(self.impact) / f32::from(u16::MAX)
    }
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
    ids: Interner,
    /// Every (term, frequency per field) of every document, in document order: one flat
    /// list rather than a list per term, which costs ~100 bytes for each term seen once.
    /// Frequencies stop at 255, where BM25 has long saturated.
    postings: Entries,
    /// End of each document's entries in `postings`.
    doc_ends: Vec<u32>,
    lengths: Vec<[u16; FIELDS]>,
    /// Per term: its postings and the bytes of its list, counted as documents come (which
    /// lays the lists out, and cuts the terms among the cores evenly).
    sizes: Vec<ListSize>,
    /// Surface words, and by id how many documents use each.
    surfaces: Interner,
    surface_docs: Vec<u32>,
}

impl Builder {
    #[cfg(test)]
    pub fn intern(&mut self, term: &str) -> TermId {
        self.ids.intern(term)
    }

    /// A surface word of the document being added (each distinct word once a document).
    pub fn add_surface(&mut self, word: &str) {
        if word.chars().count() > MAX_WORD {
            return;
        }
        let id = self.surfaces.intern(word) as usize;
        if id == self.surface_docs.len() {
            self.surface_docs.push(0);
        }
        if let Some(docs) = self.surface_docs.get_mut(id) {
            *docs += 1;
        }
    }

    /// Adds the next document.
    #[cfg(test)]
    pub fn add_doc(&mut self, fields: &[Vec<TermId>; FIELDS]) {
        let (entries, lengths) = count(fields, &mut Vec::new());
        let ids: Vec<TermId> = (0..self.ids.len() as TermId).collect();
        self.add_counted(&entries, &ids, lengths);
    }

    /// Adds the next document as its distinct terms with their frequency per field, and
    /// its field lengths; each entry's term is its index in `ids`.
    pub fn add_counted(&mut self, entries: &[Entry], ids: &[TermId], lengths: [u16; FIELDS]) {
        let id = |t: TermId| ids.get(t as usize).copied().unwrap_or(0);
        let (sizes, doc) = (&mut self.sizes, self.doc_ends.len() as u32);
        for &(t, _) in entries {
            let term = id(t) as usize;
            if term >= sizes.len() {
                sizes.resize(term + 1, ListSize::default());
            }
            if let Some(size) = sizes.get_mut(term) {
                size.add(doc);
            }
        }
        self.postings.extend(entries.iter().map(|&(t, tf)| (id(t), tf)));
        self.doc_ends
            .push(u32::try_from(self.postings.len).unwrap_or(u32::MAX));
        self.lengths.push(lengths);
    }

    #[cfg(test)]
    pub fn finish(self, bm25: &Bm25f) -> Postings {
        self.finish_at(bm25, None)
    }

    /// The postings, with the fields' mean lengths for length normalisation worked out
    /// from these documents, or given (a segment added to another uses the other's).
    pub fn finish_at(self, bm25: &Bm25f, averages: Option<[f32; FIELDS]>) -> Postings {
        let docs = self.lengths.len();
        let averages = averages.unwrap_or_else(|| average_lengths(&self.lengths));
        // No look-up table is held while the postings are grouped, the peak of the build:
        // the interning tables are dropped here, the served one is made afterwards.
        let mut ids = self.ids.into_list();
        let surfaces = self.surfaces.into_list();
        ids.text.shrink_to_fit();
        ids.ends.shrink_to_fit();
        let terms = ids.len();
        let mut sizes = self.sizes;
        sizes.resize(terms, ListSize::default());
        let build = ListBuilder::laid_out(sizes);
        let cuts = balanced_cuts(&build.counts, rayon::current_num_threads().clamp(1, 16));
        let lists = group_by_term(
            self.postings,
            build,
            &self.doc_ends,
            &self.lengths,
            &averages,
            bm25,
            &cuts,
        );
        // Two jobs that hold little beyond what they make run together; the vocabulary and
        // the CJK look-ups after them, one at a time, so that their transient copies do
        // not add up at the peak.
        let (ids, strongest) = rayon::join(|| Terms::new(ids), || strongest_postings(&lists, terms));
        let (surfaces, surface_docs, by_shape) = vocabulary(surfaces, &self.surface_docs);
        let (cjk_first, cjk_second) = cjk_bigrams(&ids, &lists);
        Postings {
            ids,
            lists,
            strongest,
            docs,
            averages,
            surfaces,
            surface_docs,
            by_shape,
            cjk_first,
            cjk_second,
        }
    }
}

/// Each field's mean length over the documents (at least 1).
fn average_lengths(lengths: &[[u16; FIELDS]]) -> [f32; FIELDS] {
    let mut sums = [0f64; FIELDS];
    for lengths in lengths {
        for (sum, &length) in sums.iter_mut().zip(lengths) {
            *sum += f64::from(length);
        }
    }
    let mut average = [1f32; FIELDS];
    for (average, sum) in average.iter_mut().zip(sums) {
        *average = ((sum / lengths.len().max(1) as f64) as f32).max(1.0);
    }
    average
}

/// Each field's weight over its length normalisation in a document of `lengths`: a
/// term's BM25F frequency there is the sum over fields of its frequency times this.
fn field_factors(bm25: &Bm25f, lengths: &[u16; FIELDS], average: &[f32; FIELDS]) -> [f32; FIELDS] {
    std::array::from_fn(|f| {
        let norm = 1.0 - bm25.b[f] + bm25.b[f] * f32::from(lengths[f]) / average[f];
        bm25.weight[f] / norm
    })
}

/// A term's BM25F saturated frequency in a document, from its frequency per field and the
/// document's [`field_factors`].
fn impact(k1: f32, tf: &[u8; FIELDS], factors: &[f32; FIELDS]) -> u16 {
    let weighted: f32 = (0..FIELDS).map(|f| f32::from(tf[f]) * factors[f]).sum();
    Posting::quantize(weighted / (k1 + weighted))
}

/// Groups the entries (in document order) by term into the byte array `build` laid out,
/// each block of entries freed once written. Each term's
/// postings stay in document order. Every core reads all entries and writes those of the
/// terms of one range of ids (from `cuts`, ascending from 0 to every term).
fn group_by_term(
    postings: Entries,
    mut build: ListBuilder,
    doc_ends: &[u32],
    lengths: &[[u16; FIELDS]],
    average: &[f32; FIELDS],
    bm25: &Bm25f,
    cuts: &[usize],
) -> Lists {
    let factors: Vec<[f32; FIELDS]> = lengths
        .par_iter()
        .map(|lengths| field_factors(bm25, lengths, average))
        .collect();
    // Blocks go to the cores a few at a time (each time the cores wait for the slowest);
    // each core reads them a document's run at a time.
    let mut first = 0;
    let mut blocks = postings.blocks.into_iter();
    loop {
        let some: Vec<Vec<Entry>> = blocks.by_ref().take(BLOCKS_AT_ONCE).collect();
        if some.is_empty() {
            break;
        }
        let skips: Vec<Vec<(TermId, (u32, u32))>> = build
            .shards(cuts)
            .into_par_iter()
            .map(|mut shard| {
                for (doc, run) in DocRuns::new(&some, doc_ends, first) {
                    let factors = factors.get(doc as usize).copied().unwrap_or_default();
                    for &(term, tf) in run {
                        if shard.holds(term) {
                            let posting = Posting {
                                doc,
                                impact: impact(bm25.k1, &tf, &factors),
                                fields: fields_of(&tf),
                            };
                            shard.write(term, posting);
                        }
                    }
                }
                shard.skips
            })
            .collect();
        first += some.iter().map(Vec::len).sum::<usize>();
        for (term, skip) in skips.into_iter().flatten() {
            build.skips.entry(term).or_default().push(skip);
        }
    }
    build.finish()
}

/// Blocks of entries as runs of one document's entries, each with its document: the
/// document is worked out once a run, not once an entry (every core reads every entry).
/// A document's entries split where a block ends.
struct DocRuns<'a> {
    /// The blocks not read yet.
    blocks: std::slice::Iter<'a, Vec<Entry>>,
    /// What is left of the block being read.
    rest: &'a [Entry],
    /// Each document's end, in entries.
    ends: &'a [u32],
    /// The document of the entry at `at`.
    doc: usize,
    /// The place of `rest`'s first entry among all entries.
    at: usize,
}

impl<'a> DocRuns<'a> {
    /// `blocks` start at entry `at` of all.
    fn new(blocks: &'a [Vec<Entry>], ends: &'a [u32], at: usize) -> DocRuns<'a> {
        let doc = ends.partition_point(|&end| end as usize <= at);
        DocRuns {
            blocks: blocks.iter(),
            rest: &[],
            ends,
            doc,
            at,
        }
    }
}

impl<'a> Iterator for DocRuns<'a> {
    type Item = (u32, &'a [Entry]);

    fn next(&mut self) -> Option<(u32, &'a [Entry])> {
        while self.rest.is_empty() {
            self.rest = self.blocks.next()?;
        }
        while self
            .ends
            .get(self.doc)
            .is_some_and(|&end| self.at >= end as usize)
        {
            self.doc += 1;
        }
        let end = self.ends.get(self.doc).map_or(usize::MAX, |&end| end as usize);
        let (run, rest) = self.rest.split_at((end - self.at).min(self.rest.len()));
        self.rest = rest;
        self.at += run.len();
        Some((self.doc as u32, run))
    }
}

/// Term ids cut into `shards` ranges of about as many postings each, from each term's
/// document frequency.
fn balanced_cuts(df: &[u32], shards: usize) -> Vec<usize> {
    let total: u64 = df.iter().map(|&n| u64::from(n)).sum();
    let mut cuts = vec![0];
    let mut sum = 0u64;
    for (term, &n) in df.iter().enumerate() {
        if sum * shards as u64 >= total * cuts.len() as u64 && cuts.len() < shards {
            cuts.push(term);
        }
        sum += u64::from(n);
    }
    cuts.resize(shards + 1, df.len());
    cuts
}

/// Blocks of entries grouped at a time: 16 blocks are a million entries, 12 MB (in
/// tests, 2: they then see several rounds).
const BLOCKS_AT_ONCE: usize = if cfg!(test) { 2 } else { 16 };

/// For lists longer than [`POSTING_CAP`]: their strongest postings, by document (a list
/// at a time on every core).
fn strongest_postings(lists: &Lists, terms: usize) -> HashMap<TermId, Box<[Posting]>> {
    // One task a list: the long lists are few, and the commonest terms have the lowest
    // ids, so that ranges of ids made one core do most of the work.
    let long: Vec<TermId> = (0..terms as TermId)
        .filter(|&id| lists.df(id) > POSTING_CAP)
        .collect();
    long.into_par_iter()
        .with_max_len(1)
        .map(|id| {
            let mut best: Vec<Posting> = lists.all(id).collect();
            best.select_nth_unstable_by(POSTING_CAP, |a, b| b.impact.cmp(&a.impact));
            best.truncate(POSTING_CAP);
            best.sort_unstable_by_key(|p| p.doc);
            (id, best.into_boxed_slice())
        })
        .collect()
}

/// The surface words, sorted, the documents using each, and their indexes with letter
/// masks by (length, first letter).
type Vocabulary = (Vec<Box<str>>, Vec<u32>, HashMap<(usize, char), Vec<(u32, u64)>>);

fn vocabulary(surfaces: TermList, docs: &[u32]) -> Vocabulary {
    let mut counted: Vec<(Box<str>, u32)> = surfaces
        .iter()
        .map(|(id, word)| (word.into(), docs.get(id as usize).copied().unwrap_or(0)))
        .collect();
    drop(surfaces);
    counted.sort_unstable();
    let (surfaces, surface_docs): (Vec<Box<str>>, Vec<u32>) = counted.into_iter().unzip();
    let mut by_shape: HashMap<(usize, char), Vec<(u32, u64)>> = HashMap::default();
    for (i, word) in surfaces.iter().enumerate() {
        if let Some(first) = word.chars().next() {
            by_shape
                .entry((word.chars().count(), first))
                .or_default()
                .push((i as u32, letter_mask(word)));
        }
    }
    (surfaces, surface_docs, by_shape)
}

/// CJK bigrams by their first and by their second character, commonest first (then in
/// text order, which does not depend on the order documents were added), for
/// one-character queries and for the character being typed.
type CjkBigrams = (HashMap<char, Vec<TermId>>, HashMap<char, Vec<TermId>>);

fn cjk_bigrams(ids: &Terms, lists: &Lists) -> CjkBigrams {
    let mut cjk_first: HashMap<char, Vec<TermId>> = HashMap::default();
    let mut cjk_second: HashMap<char, Vec<TermId>> = HashMap::default();
    for (id, term) in ids.iter() {
        let mut chars = term.chars();
        if let (Some(a), Some(b), None) = (chars.next(), chars.next(), chars.next())
            && super::analyze::is_cjk(a)
            && super::analyze::is_cjk(b)
        {
            cjk_first.entry(a).or_default().push(id);
            cjk_second.entry(b).or_default().push(id);
        }
    }
    // Each list sorted on its own, on every core, its keys read once (with a million terms,
    // reading them at each comparison was a cache miss each).
    let mut all: Vec<&mut Vec<TermId>> = cjk_first.values_mut().chain(cjk_second.values_mut()).collect();
    all.par_iter_mut().for_each(|list| {
        list.shrink_to_fit();
        list.sort_by_cached_key(|&id| (std::cmp::Reverse(lists.df(id)), ids.get(id)));
    });
    (cjk_first, cjk_second)
}

pub struct Postings {
    ids: Terms,
    lists: Lists,
    /// For lists longer than [`POSTING_CAP`]: their strongest postings, by document.
    strongest: HashMap<TermId, Box<[Posting]>>,
    docs: usize,
    /// Each field's mean length, the length normalisation's reference.
    averages: [f32; FIELDS],
    /// Sorted, distinct Latin words as written (unstemmed), joined forms included.
    surfaces: Vec<Box<str>>,
    /// Per surface word: the documents using it.
    surface_docs: Vec<u32>,
    /// Indexes into `surfaces` with their letter masks, by (length in characters, first
    /// character): a typo in the first letter is rare, and this keeps the scan short.
    by_shape: HashMap<(usize, char), Vec<(u32, u64)>>,
    cjk_first: HashMap<char, Vec<TermId>>,
    cjk_second: HashMap<char, Vec<TermId>>,
}

impl Postings {
    pub fn id(&self, term: &str) -> Option<TermId> {
        self.ids.find(term)
    }

    /// The text of a term.
    pub fn term(&self, id: TermId) -> &str {
        self.ids.get(id)
    }

    /// How many terms there are: ids are `0..terms()`.
    pub fn terms(&self) -> usize {
        self.ids.len()
    }

    /// Each field's mean length, as the impacts were worked out with.
    pub fn averages(&self) -> [f32; FIELDS] {
        self.averages
    }

    /// Every posting of `id` in `range`, by document, however long the list.
    pub fn list(&self, id: TermId, range: &Range<u32>) -> Decoder<'_> {
        self.lists.in_range(id, range)
    }

    /// Documents holding the term in all.
    pub fn df(&self, id: TermId) -> usize {
        self.lists.df(id)
    }

    /// Documents in `range` holding the term.
    pub fn df_in(&self, id: TermId, range: &Range<u32>) -> usize {
        if range.start == 0 && range.end as usize >= self.docs {
            return self.lists.df(id);
        }
        self.lists.in_range(id, range).count()
    }

    /// The postings a query reads for a term in `range`, by document: all of them, or
    /// when there are more than [`POSTING_CAP`], the strongest (which may then lie
    /// outside `range`: callers check).
    pub fn read(&self, id: TermId, range: &Range<u32>) -> Read<'_> {
        if let Some(best) = self.strongest.get(&id)
            && self.df_in(id, range) > POSTING_CAP
        {
            return Read::Strongest(best.iter());
        }
        Read::List(self.lists.in_range(id, range))
    }

    /// Bytes the posting lists take, and how many postings they hold.
    pub fn posting_bytes(&self) -> (usize, usize) {
        self.lists.bytes()
    }

    /// Surface words that start with `prefix`, the prefix itself excluded, in text
    /// order, with their index.
    pub fn with_prefix<'s, 'p>(
        &'s self,
        prefix: &'p str,
    ) -> impl Iterator<Item = (u32, &'s str)> + use<'s, 'p> {
        let start = self.surfaces.partition_point(|w| w.as_ref() < prefix);
        self.surfaces[start..]
            .iter()
            .take_while(move |w| w.starts_with(prefix))
            .enumerate()
            .filter(move |(_, w)| w.as_ref() != prefix)
            .map(move |(i, w)| ((start + i) as u32, w.as_ref()))
    }

    /// Every surface word within `budget` edits (optimal string alignment, more than 0)
    /// of `word` and with its first letter: (index, word, distance), in no order.
    pub fn similar(&self, word: &str, budget: usize) -> Vec<(u32, &str, usize)> {
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
                    found.push((i, candidate.as_ref(), distance));
                }
            }
        }
        found
    }

    /// The index of a surface word.
    pub fn surface(&self, word: &str) -> Option<u32> {
        self.surfaces
            .binary_search_by(|w| w.as_ref().cmp(word))
            .ok()
            .map(|i| i as u32)
    }

    /// Documents using the surface word at `index`.
    pub fn surface_docs(&self, index: u32) -> u32 {
        self.surface_docs.get(index as usize).copied().unwrap_or(0)
    }

    /// CJK bigrams that start (`second == false`) or end with `c`, commonest first.
    pub fn cjk_bigrams(&self, c: char, second: bool) -> &[TermId] {
        let map = if second { &self.cjk_second } else { &self.cjk_first };
        map.get(&c).map_or(&[], Vec::as_slice)
    }
}

/// A term of a document with its frequency per field (at most 255, where BM25 has long
/// saturated).
pub type Entry = (TermId, [u8; FIELDS]);

/// A document's distinct terms with their frequency per field, and its field lengths;
/// `counts` is scratch. Term ids are small (a section's own, or a test's).
pub fn count(fields: &[Vec<TermId>; FIELDS], counts: &mut Vec<[u16; FIELDS]>) -> (Vec<Entry>, [u16; FIELDS]) {
    let mut lengths = [0u16; FIELDS];
    let terms = fields.iter().flatten().max().map_or(0, |&max| max as usize + 1);
    counts.clear();
    counts.resize(terms, [0; FIELDS]);
    for (f, terms) in fields.iter().enumerate() {
        lengths[f] = u16::try_from(terms.len()).unwrap_or(u16::MAX);
        for &term in terms {
            if let Some(tf) = counts.get_mut(term as usize) {
                tf[f] = tf[f].saturating_add(1);
            }
        }
    }
    // Sized once: a filtered iterator cannot tell `collect` its length, and the list then
    // grew in steps for every section. A section's ids are dense, so all are usually kept.
    let mut entries = Vec::with_capacity(counts.len());
    entries.extend(
        counts
            .iter()
            .enumerate()
            .filter(|(_, tf)| tf.iter().any(|&n| n > 0))
            .map(|(term, tf)| (term as TermId, tf.map(|n| u8::try_from(n).unwrap_or(u8::MAX)))),
    );
    (entries, lengths)
}

/// Entries in blocks of a fixed size: the list grows without copying (a Vec doubling its
/// buffer holds both copies for a moment), and `finish` frees it block by block.
#[derive(Default)]
struct Entries {
    blocks: Vec<Vec<Entry>>,
    len: usize,
}

impl Entries {
    const BLOCK: usize = 1 << 16;

    /// Appends `entries`: in one go when the last block has room for them all (a
    /// document's entries nearly always), else a block's room at a time.
    fn extend(&mut self, entries: impl ExactSizeIterator<Item = Entry>) {
        let n = entries.len();
        if let Some(block) = self.blocks.last_mut()
            && block.len() + n <= Self::BLOCK
        {
            block.extend(entries);
            self.len += n;
            return;
        }
        let mut entries = entries.peekable();
        while entries.peek().is_some() {
            if self.blocks.last().is_none_or(|block| block.len() >= Self::BLOCK) {
                self.blocks.push(Vec::with_capacity(Self::BLOCK));
            }
            let Some(block) = self.blocks.last_mut() else {
                return;
            };
            let before = block.len();
            block.extend(entries.by_ref().take(Self::BLOCK - before));
            self.len += block.len() - before;
        }
    }
}

/// Terms in one string, a term's id its place: ~13 bytes for a 6-byte CJK bigram, where a
/// boxed string costs a heap block (~60). A section's analysis hands its terms to the
/// merge this way; [`Interner`] and [`Terms`] keep theirs in one.
#[derive(Default, Clone)]
pub struct TermList {
    text: String,
    /// End of each term's text in `text`, by id.
    ends: Vec<u32>,
}

impl TermList {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The terms' bytes, in all.
    pub fn bytes(&self) -> usize {
        self.text.len()
    }

    pub fn get(&self, id: TermId) -> &str {
        self.text.get(self.range(id)).unwrap_or("")
    }

    pub fn iter(&self) -> impl Iterator<Item = (TermId, &str)> {
        (0..self.len() as TermId).map(|id| (id, self.get(id)))
    }

    /// Room for `terms` more terms of `bytes` in all.
    pub fn reserve(&mut self, bytes: usize, terms: usize) {
        self.text.reserve_exact(bytes);
        self.ends.reserve_exact(terms);
    }

    /// Appends `other`'s terms, in order.
    pub fn append(&mut self, other: &TermList) {
        let shift = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(&other.text);
        self.ends
            .extend(other.ends.iter().map(|&end| end.saturating_add(shift)));
    }

    /// Appends `term`; its id.
    pub fn push(&mut self, term: &str) -> TermId {
        let id = self.ends.len() as TermId;
        self.text.push_str(term);
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        id
    }

    /// Whether term `id` is `term`: its bytes compared, without [`TermList::get`]'s checks
    /// that the range falls on character boundaries.
    fn is(&self, id: TermId, term: &str) -> bool {
        self.text.as_bytes().get(self.range(id)) == Some(term.as_bytes())
    }

    fn range(&self, id: TermId) -> Range<usize> {
        let i = id as usize;
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        start as usize..self.ends.get(i).copied().unwrap_or(0) as usize
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// The id in `builder` of each of the terms `here` (ids in this list), into `ids`.
    pub fn ids_in(&self, here: Range<TermId>, builder: &mut Builder, ids: &mut Vec<TermId>) {
        ids.clear();
        ids.extend(here.map(|id| builder.ids.intern(self.get(id))));
    }
}

/// Terms being interned: a section's while it is analysed, the index's while it is built.
/// A term of up to [`SHORT`] bytes (a CJK bigram, most words) is found by its bytes read
/// as a number ([`short_key`]), kept beside its id: one compare of two numbers, where a
/// term found by its hash is compared byte by byte with its text elsewhere in memory.
#[derive(Default)]
pub struct Interner {
    list: TermList,
    /// The longer terms' ids, by their hash.
    long: HashTable<TermId>,
    /// The short terms' keys and ids.
    short: HashTable<(u64, TermId)>,
}

impl Interner {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Empty, its buffers kept.
    pub fn clear(&mut self) {
        self.list.clear();
        self.long.clear();
        self.short.clear();
    }

    /// The terms, in id order.
    pub fn list(&self) -> &TermList {
        &self.list
    }

    /// The terms, the look-up tables dropped.
    pub fn into_list(self) -> TermList {
        self.list
    }

    pub fn intern(&mut self, term: &str) -> TermId {
        let Interner { list, long, short } = self;
        if let Some(key) = short_key(term) {
            let found = short.entry(hash_of_key(key), |&(k, _)| k == key, |&(k, _)| hash_of_key(k));
            return match found {
                hash_table::Entry::Occupied(entry) => entry.get().1,
                hash_table::Entry::Vacant(entry) => entry.insert((key, list.push(term))).get().1,
            };
        }
        let found = long.entry(
            hash_of(term),
            |&id| list.is(id, term),
            |&id| hash_of(list.get(id)),
        );
        match found {
            hash_table::Entry::Occupied(entry) => *entry.get(),
            hash_table::Entry::Vacant(entry) => *entry.insert(list.push(term)).get(),
        }
    }

    #[cfg(test)]
    fn find(&self, term: &str) -> Option<TermId> {
        match short_key(term) {
            Some(key) => self
                .short
                .find(hash_of_key(key), |&(k, _)| k == key)
                .map(|&(_, id)| id),
            None => self
                .long
                .find(hash_of(term), |&id| self.list.is(id, term))
                .copied(),
        }
    }
}

/// Terms served: every term found by its hash (4 bytes a term, where [`Interner`]'s two
/// tables take 16 for a short one).
struct Terms {
    list: TermList,
    by_hash: HashTable<TermId>,
}

impl Terms {
    fn new(list: TermList) -> Terms {
        let mut by_hash = HashTable::with_capacity(list.len());
        for (id, term) in list.iter() {
            by_hash.insert_unique(hash_of(term), id, |&id| hash_of(list.get(id)));
        }
        Terms { list, by_hash }
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn get(&self, id: TermId) -> &str {
        self.list.get(id)
    }

    fn find(&self, term: &str) -> Option<TermId> {
        self.by_hash
            .find(hash_of(term), |&id| self.list.is(id, term))
            .copied()
    }

    fn iter(&self) -> impl Iterator<Item = (TermId, &str)> {
        self.list.iter()
    }
}

/// Longest term found by [`short_key`].
const SHORT: usize = 7;

/// A term of up to [`SHORT`] bytes as a number: its bytes in order from the lowest,
/// its length in the highest byte (so terms of different lengths differ too). Read as
/// two overlapping words, not byte by byte: this is done for every term of every section.
fn short_key(term: &str) -> Option<u64> {
    let bytes = term.as_bytes();
    let len = bytes.len();
    let value = if len > SHORT {
        return None;
    } else if let (Some(first), Some(last)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        // Bytes 0..4 and len-4..len: where they overlap, the same bytes at the same places.
        u64::from(u32::from_le_bytes(*first)) | u64::from(u32::from_le_bytes(*last)) << (8 * (len - 4))
    } else if let (Some(first), Some(last)) = (bytes.first_chunk::<2>(), bytes.last_chunk::<2>()) {
        u64::from(u16::from_le_bytes(*first)) | u64::from(u16::from_le_bytes(*last)) << (8 * (len - 2))
    } else {
        bytes.first().map_or(0, |&byte| u64::from(byte))
    };
    Some(value | (len as u64) << 56)
}

fn hash_of_key(key: u64) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write_u64(key);
    hasher.finish()
}

fn hash_of(term: &str) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    // The bytes alone (no end marker, as `str::hash` adds): only whole terms are hashed.
    hasher.write(term.as_bytes());
    hasher.finish()
}

/// The bits of a posting's fields.
fn fields_of(tf: &[u8; FIELDS]) -> u8 {
    (0..FIELDS)
        .filter(|&f| tf[f] > 0)
        .fold(0, |bits, f| bits | 1 << f)
}

/// Postings of a list are encoded in blocks of this many, each starting from document 0
/// so that a read can start at any block.
const BLOCK: usize = 128;

/// A posting as bytes: a varint of (document − the previous one in its block) << 5 |
/// fields, then the impact, two bytes little-endian: ~4 bytes instead of 8.
fn encode(out: &mut [u8], at: &mut usize, delta: u32, posting: &Posting) {
    let mut v = (u64::from(delta) << FIELDS) | u64::from(posting.fields);
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if let Some(slot) = out.get_mut(*at) {
            *slot = if v == 0 { byte } else { byte | 0x80 };
        }
        *at += 1;
        if v == 0 {
            break;
        }
    }
    for byte in posting.impact.to_le_bytes() {
        if let Some(slot) = out.get_mut(*at) {
            *slot = byte;
        }
        *at += 1;
    }
}

fn encoded_len(delta: u32) -> usize {
    let bits = 64 - ((u64::from(delta) << FIELDS) | 1).leading_zeros() as usize;
    bits.div_ceil(7) + 2
}

/// A term's list as documents are added: its postings, its bytes, its last document.
#[derive(Clone, Copy, Default)]
struct ListSize {
    postings: u32,
    bytes: u32,
    last: u32,
}

impl ListSize {
    /// Counts a posting of the term in `doc`, after those counted before.
    fn add(&mut self, doc: u32) {
        let delta = block_delta(self.postings, self.last, doc);
        self.bytes = self.bytes.saturating_add(encoded_len(delta) as u32);
        self.last = doc;
        self.postings += 1;
    }
}

/// The delta to encode for the `n`th posting of a term, at `doc`, after one at `last`.
fn block_delta(n: u32, last: u32, doc: u32) -> u32 {
    if (n as usize).is_multiple_of(BLOCK) {
        doc
    } else {
        doc.saturating_sub(last)
    }
}

/// Builds [`Lists`], laid out from each term's [`ListSize`]: `write` every posting in
/// document order, each through the [`Shard`] that holds its term.
struct ListBuilder {
    /// Per term: its postings.
    counts: Vec<u32>,
    /// Per term: where its list is being written.
    lists: Vec<ListCursor>,
    bytes: Vec<u8>,
    starts: Vec<u32>,
    skips: HashMap<TermId, Vec<(u32, u32)>>,
}

impl ListBuilder {
    fn laid_out(sizes: Vec<ListSize>) -> ListBuilder {
        let terms = sizes.len();
        let mut starts = Vec::with_capacity(terms + 1);
        let mut at = 0u32;
        for size in &sizes {
            starts.push(at);
            at = at.saturating_add(size.bytes);
        }
        let lists = (sizes.iter().zip(&starts))
            .map(|(size, &start)| ListCursor {
                count: size.postings,
                cursor: start,
                last: 0,
                written: 0,
            })
            .collect();
        starts.push(at);
        ListBuilder {
            counts: sizes.iter().map(|size| size.postings).collect(),
            lists,
            bytes: vec![0; at as usize],
            starts,
            skips: HashMap::default(),
        }
    }

    /// The builder's per-term state (and, once laid out, bytes) cut at `cuts`, ascending
    /// term ids from 0 to every term.
    fn shards(&mut self, cuts: &[usize]) -> Vec<Shard<'_>> {
        let mut shards = Vec::with_capacity(cuts.len().saturating_sub(1));
        let mut lists = &mut self.lists[..];
        let mut bytes = &mut self.bytes[..];
        for pair in cuts.windows(2) {
            let (first, end) = (pair[0], pair[1].max(pair[0]));
            let n = (end - first).min(lists.len());
            let byte_start = self.starts.get(first).copied().unwrap_or(0);
            let byte_end = self.starts.get(first + n).copied().unwrap_or(byte_start);
            let byte_len = (byte_end.saturating_sub(byte_start) as usize).min(bytes.len());
            let here = take_front(&mut bytes, byte_len);
            shards.push(Shard {
                first: first as u32,
                lists: take_front(&mut lists, n),
                bytes: here,
                byte_start,
                skips: Vec::new(),
            });
        }
        shards
    }

    fn finish(self) -> Lists {
        Lists {
            bytes: self.bytes.into_boxed_slice(),
            starts: self.starts.into_boxed_slice(),
            counts: self.counts.into_boxed_slice(),
            skips: self
                .skips
                .into_iter()
                .map(|(term, skips)| (term, skips.into_boxed_slice()))
                .collect(),
        }
    }
}

/// A term's list as it is written: what a posting reads and updates lies together, one
/// cache line (the writes hop between lists all over the array).
struct ListCursor {
    /// Its postings in all.
    count: u32,
    /// Where its next byte goes.
    cursor: u32,
    /// The document of its last posting.
    last: u32,
    /// Postings written so far.
    written: u32,
}

/// The first `n` elements of `slice` (all when fewer), which keeps the rest.
fn take_front<'a, T>(slice: &mut &'a mut [T], n: usize) -> &'a mut [T] {
    let n = n.min(slice.len());
    let (front, rest) = std::mem::take(slice).split_at_mut(n);
    *slice = rest;
    front
}

/// The terms of one range of ids, for one core: their state in [`ListBuilder`], and the
/// bytes of their lists.
struct Shard<'a> {
    first: TermId,
    lists: &'a mut [ListCursor],
    bytes: &'a mut [u8],
    /// Where `bytes` starts in the whole array (cursors count from there).
    byte_start: u32,
    /// Skips written: (term, (block's first document, its first byte)).
    skips: Vec<(TermId, (u32, u32))>,
}

impl Shard<'_> {
    fn holds(&self, term: TermId) -> bool {
        term.wrapping_sub(self.first) < self.lists.len() as u32
    }

    fn write(&mut self, term: TermId, posting: Posting) {
        let t = term.wrapping_sub(self.first) as usize;
        let Some(list) = self.lists.get_mut(t) else {
            return;
        };
        if (list.written as usize).is_multiple_of(BLOCK) && list.count as usize > BLOCK {
            self.skips.push((term, (posting.doc, list.cursor)));
        }
        let mut at = list.cursor.saturating_sub(self.byte_start) as usize;
        encode(
            self.bytes,
            &mut at,
            block_delta(list.written, list.last, posting.doc),
            &posting,
        );
        list.cursor = self.byte_start.saturating_add(at as u32);
        list.last = posting.doc;
        list.written += 1;
    }
}

/// Every term's postings, compressed in one byte array, by term, each term's by document.
struct Lists {
    bytes: Box<[u8]>,
    /// Where each term's list starts in `bytes`; one more entry than terms.
    starts: Box<[u32]>,
    /// Postings per term.
    counts: Box<[u32]>,
    /// For lists longer than a block: each block's first document and first byte.
    skips: HashMap<TermId, Box<[(u32, u32)]>>,
}

impl Lists {
    fn df(&self, id: TermId) -> usize {
        self.counts.get(id as usize).copied().unwrap_or(0) as usize
    }

    fn all(&self, id: TermId) -> Decoder<'_> {
        self.in_range(id, &(0..u32::MAX))
    }

    /// The postings of `id` with a document in `range`.
    fn in_range(&self, id: TermId, range: &Range<u32>) -> Decoder<'_> {
        let i = id as usize;
        let (Some(&start), Some(&end)) = (self.starts.get(i), self.starts.get(i + 1)) else {
            return Decoder::default();
        };
        let mut from = start;
        let mut skipped = 0;
        if let Some(skips) = self.skips.get(&id) {
            // The last block starting at or before range.start.
            let block = skips
                .partition_point(|&(doc, _)| doc <= range.start)
                .saturating_sub(1);
            if let Some(&(_, at)) = skips.get(block) {
                from = at;
                skipped = block * BLOCK;
            }
        }
        Decoder {
            bytes: self.bytes.get(from as usize..end as usize).unwrap_or(&[]),
            n: skipped,
            left: self.df(id).saturating_sub(skipped),
            last: 0,
            range: range.clone(),
        }
    }

    /// Bytes taken (lists, starts, counts, skips) and postings held.
    fn bytes(&self) -> (usize, usize) {
        let skips: usize = self.skips.values().map(|s| s.len() * 8 + 16).sum();
        let bytes = self.bytes.len() + self.starts.len() * 4 + self.counts.len() * 4 + skips;
        (bytes, self.counts.iter().map(|&c| c as usize).sum())
    }
}

/// Decodes a list from the start of a block, yielding the postings in a range.
#[derive(Default)]
pub struct Decoder<'a> {
    bytes: &'a [u8],
    /// Index in the list of the next posting.
    n: usize,
    left: usize,
    last: u32,
    range: Range<u32>,
}

impl Iterator for Decoder<'_> {
    type Item = Posting;

    fn next(&mut self) -> Option<Posting> {
        while self.left > 0 {
            let mut v = 0u64;
            let mut shift = 0;
            let mut used = 0;
            for &byte in self.bytes {
                used += 1;
                v |= u64::from(byte & 0x7f) << shift;
                shift += 7;
                if byte & 0x80 == 0 || shift > 63 {
                    break;
                }
            }
            let (Some(&lo), Some(&hi)) = (self.bytes.get(used), self.bytes.get(used + 1)) else {
                self.left = 0;
                return None;
            };
            self.bytes = self.bytes.get(used + 2..).unwrap_or(&[]);
            let delta = (v >> FIELDS) as u32;
            let doc = if self.n.is_multiple_of(BLOCK) {
                delta
            } else {
                self.last.saturating_add(delta)
            };
            self.last = doc;
            self.n += 1;
            self.left -= 1;
            if doc >= self.range.end {
                self.left = 0;
                return None;
            }
            if doc >= self.range.start {
                return Some(Posting {
                    doc,
                    impact: u16::from_le_bytes([lo, hi]),
                    fields: (v & ((1 << FIELDS) - 1)) as u8,
                });
            }
        }
        None
    }
}

/// What [`Postings::read`] gives: decoded postings, or a long list's strongest.
pub enum Read<'a> {
    List(Decoder<'a>),
    Strongest(std::slice::Iter<'a, Posting>),
}

impl Iterator for Read<'_> {
    type Item = Posting;

    fn next(&mut self) -> Option<Posting> {
        match self {
            Read::List(decoder) => decoder.next(),
            Read::Strongest(best) => best.next().copied(),
        }
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
            builder.add_doc(&fields);
        }
        builder.finish(&BM25)
    }

    #[test]
    fn short_and_long_terms_intern_once_each_and_are_found() {
        // Look-alikes across the short keys' lengths and the long path's edge.
        let words = [
            "",
            "\0",
            "\0\0",
            "a",
            "\0a",
            "a\0",
            "ab",
            "\u{1}",
            "\u{7}ab",
            "对齐",
            "对齐税",
            "seven77",
            "eight888",
            "eight88\0",
            "\0eight88",
            "\u{1}syn12",
            "chain-of-thought",
        ];
        let mut terms = Interner::default();
        let ids: Vec<TermId> = words.iter().map(|w| terms.intern(w)).collect();
        assert_eq!(ids, (0..words.len() as TermId).collect::<Vec<_>>());
        // Again, in another order: the same ids, nothing added.
        for (&word, &id) in words.iter().zip(&ids).rev() {
            assert_eq!(terms.intern(word), id, "{word:?}");
        }
        assert_eq!(terms.len(), words.len());
        for (&word, &id) in words.iter().zip(&ids) {
            assert_eq!(terms.list().get(id), word);
            assert_eq!(terms.find(word), Some(id), "{word:?} while interning");
        }
        assert_eq!(terms.find("abc"), None);
        // Served: every term by its hash.
        let served = Terms::new(terms.into_list());
        assert_eq!(served.len(), words.len());
        for (&word, &id) in words.iter().zip(&ids) {
            assert_eq!(served.get(id), word);
            assert_eq!(served.find(word), Some(id), "{word:?} served");
        }
        assert_eq!(served.find("abc"), None);
        // Keys: each term's bytes from the lowest, its length in the highest byte.
        for word in words.iter().filter(|w| w.len() <= SHORT) {
            let mut bytes = [0u8; 8];
            bytes[..word.len()].copy_from_slice(word.as_bytes());
            bytes[7] = word.len() as u8;
            assert_eq!(short_key(word), Some(u64::from_le_bytes(bytes)), "{word:?}");
        }
        assert_eq!(short_key("eight888"), None);
        // Distinct for all of them.
        let keys: std::collections::HashSet<u64> = words.iter().filter_map(|w| short_key(w)).collect();
        assert_eq!(keys.len(), words.iter().filter(|w| w.len() <= SHORT).count());
    }

    #[test]
    fn entries_fill_their_blocks_in_order() {
        let mut entries = Entries::default();
        let entry = |n: usize| (n as TermId, [0; FIELDS]);
        entries.extend((0..10).map(entry));
        entries.extend(std::iter::empty());
        entries.extend((10..Entries::BLOCK * 2 + 5).map(entry));
        assert_eq!(entries.len, Entries::BLOCK * 2 + 5);
        assert_eq!(
            entries.blocks.iter().map(Vec::len).collect::<Vec<_>>(),
            [Entries::BLOCK, Entries::BLOCK, 5]
        );
        let all: Vec<TermId> = entries.blocks.iter().flatten().map(|&(term, _)| term).collect();
        assert_eq!(
            all,
            (0..Entries::BLOCK * 2 + 5)
                .map(|n| n as TermId)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn impacts_round_as_f32_round_does() {
        let step = 1.0 / (1u32 << 22) as f32;
        let mut impacts: Vec<f32> = (0..=1u32 << 22).map(|i| i as f32 * step).collect();
        impacts.extend([-1.0, 2.0, f32::NAN, 0.5 / 65535.0, 1.5 / 65535.0, f32::EPSILON]);
        for impact in impacts {
            let plainly = (impact.clamp(0.0, 1.0) * f32::from(u16::MAX)).round() as u16;
            assert_eq!(Posting::quantize(impact), plainly, "{impact}");
        }
    }

    #[test]
    fn runs_give_each_entry_its_document() {
        let entry = |term: TermId| (term, [1, 0, 0, 0, 0]);
        // Documents 0..5 end after entries 2, 2 (none of its own), 5, 7, 9; blocks of
        // 3, 0, 4 and 2 entries cut document 2, and document 3 ends where a block does.
        let ends = [2, 2, 5, 7, 9];
        let blocks = vec![
            vec![entry(0), entry(1), entry(2)],
            Vec::new(),
            vec![entry(3), entry(4), entry(5), entry(6)],
            vec![entry(7), entry(8)],
        ];
        let of_each = |blocks: &[Vec<Entry>], first| -> Vec<(u32, TermId)> {
            DocRuns::new(blocks, &ends, first)
                .flat_map(|(doc, run)| run.iter().map(move |&(term, _)| (doc, term)))
                .collect()
        };
        let docs = [0, 0, 2, 2, 2, 3, 3, 4, 4];
        let want: Vec<(u32, TermId)> = docs.iter().zip(0..).map(|(&d, t)| (d, t)).collect();
        assert_eq!(of_each(&blocks, 0), want);
        // From the third block on, as a core reads the blocks after the first ones.
        assert_eq!(of_each(&blocks[2..], 3), want[3..]);
        let runs: Vec<(u32, usize)> = DocRuns::new(&blocks, &ends, 0)
            .map(|(doc, run)| (doc, run.len()))
            .collect();
        assert_eq!(runs, [(0, 2), (2, 1), (2, 2), (3, 2), (4, 2)]);
    }

    #[test]
    fn lists_are_the_same_however_many_cores_group_them() {
        // Documents of a few common terms (lists past a skip block and past an entry
        // block) and many rare ones.
        let docs = 40_000u32;
        let mut entries = Entries::default();
        let mut doc_ends = Vec::new();
        let mut lengths = Vec::new();
        for doc in 0..docs {
            let mut terms: Vec<TermId> = vec![0, 1 + doc % 3, 10 + doc % 97, 2000 + doc * 7 % 5003];
            terms.sort_unstable();
            terms.dedup();
            entries.extend(
                terms
                    .iter()
                    .enumerate()
                    .map(|(i, &term)| (term, [i as u8, 0, 1, (doc % 5) as u8, 0])),
            );
            doc_ends.push(entries.len as u32);
            lengths.push([3, 1, 2, (doc % 40) as u16, 0]);
        }
        let copy = |entries: &Entries| Entries {
            blocks: entries.blocks.clone(),
            len: entries.len,
        };
        let average = average_lengths(&lengths);
        let mut sizes = vec![ListSize::default(); 7003];
        for (doc, run) in DocRuns::new(&entries.blocks, &doc_ends, 0) {
            for &(term, _) in run {
                sizes[term as usize].add(doc);
            }
        }
        let df: Vec<u32> = sizes.iter().map(|size| size.postings).collect();
        let group = |df: &Vec<u32>, shards| {
            group_by_term(
                copy(&entries),
                ListBuilder::laid_out(sizes.clone()),
                &doc_ends,
                &lengths,
                &average,
                &BM25,
                &balanced_cuts(df, shards),
            )
        };
        let one = group(&df, 1);
        assert!(one.skips.len() > 10 && one.df(0) == docs as usize);
        assert_eq!(&one.counts[..], &df[..]);
        // However the terms are cut among the cores: by their postings, or evenly.
        for (df, shards) in [
            (&df, 2),
            (&df, 3),
            (&df, 16),
            (&vec![1; 7003], 2),
            (&vec![1; 7003], 5),
        ] {
            let many = group(df, shards);
            assert!(many.bytes == one.bytes, "{shards} shards");
            assert_eq!(many.starts, one.starts);
            assert_eq!(many.counts, one.counts);
            assert_eq!(many.skips, one.skips);
        }
    }

    #[test]
    fn title_weighs_more_than_body_and_rare_more_than_common() {
        let p = postings(&[(&["rust"], &["async"]), (&["tokio"], &["rust", "async"])]);
        let rust = p.id("rust").unwrap_or(u32::MAX);
        let list: Vec<Posting> = p.read(rust, &(0..2)).collect();
        assert_eq!(list.len(), 2);
        assert!(list[0].impact > list[1].impact, "{list:?}");
        assert_eq!(list[0].fields, 1);
        assert_eq!(list[1].fields, 8);
        assert_eq!(p.df_in(rust, &(1..2)), 1);
        assert_eq!(p.df_in(rust, &(2..2)), 0);
    }

    #[test]
    fn typo_and_prefix_lookups() {
        let p = postings(&[(&["transformer", "rlhf"], &["transport", "trans"])]);
        let words = |found: Vec<(u32, &str, usize)>| -> Vec<(String, usize)> {
            found.into_iter().map(|(_, w, d)| (w.to_string(), d)).collect()
        };
        assert_eq!(words(p.similar("transfomer", 1)), vec![("transformer".into(), 1)]);
        assert_eq!(words(p.similar("rlfh", 1)), vec![("rlhf".into(), 1)]);
        assert!(p.similar("xlhf", 1).is_empty(), "first letters must agree");
        assert!(p.similar("rlhf", 0).is_empty());
        assert!(p.similar("", 2).is_empty());
        let prefixed: Vec<(u32, &str)> = p.with_prefix("trans").collect();
        assert_eq!(
            prefixed.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec!["transformer", "transport"]
        );
        assert!(
            prefixed
                .iter()
                .all(|&(i, w)| p.surface(w) == Some(i) && p.surface_docs(i) == 1)
        );
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
            builder.add_doc(&fields);
        }
        let p = builder.finish(&BM25);
        let all = 0..(POSTING_CAP as u32 + 10);
        let read: Vec<Posting> = p.read(common, &all).collect();
        assert_eq!(read.len(), POSTING_CAP);
        assert!(read.windows(2).all(|w| w[0].doc < w[1].doc));
        assert!(read.iter().filter(|p| p.fields & 1 != 0).count() == 10);
        // A small range reads its own postings.
        assert_eq!(p.read(common, &(0..5)).count(), 5);
    }

    #[test]
    fn compressed_lists_read_back_any_range() {
        let mut builder = Builder::default();
        let term = builder.intern("t");
        // Gaps of every size, so deltas take one to three bytes, over many blocks.
        let holds = |doc: u32| {
            doc.is_multiple_of(7) || doc % 1000 < 3 || (doc > 50_000 && doc.is_multiple_of(90_001))
        };
        let docs = 200_000u32;
        for doc in 0..docs {
            let mut fields: [Vec<TermId>; FIELDS] = Default::default();
            if holds(doc) {
                fields[(doc % 5) as usize] = vec![term; 1 + (doc % 3) as usize];
            }
            builder.add_doc(&fields);
        }
        let p = builder.finish(&BM25);
        let expected: Vec<u32> = (0..docs).filter(|&d| holds(d)).collect();
        assert_eq!(p.df(term), expected.len());
        for range in [
            0..docs,
            0..1,
            6..8,
            999..1003,
            12_345..23_456,
            190_000..docs,
            5..5,
        ] {
            let want: Vec<u32> = expected.iter().copied().filter(|d| range.contains(d)).collect();
            let got: Vec<Posting> = p.lists.in_range(term, &range).collect();
            assert_eq!(got.iter().map(|p| p.doc).collect::<Vec<_>>(), want, "{range:?}");
            assert!(got.iter().all(|p| p.fields == 1 << (p.doc % 5) && p.impact > 0));
            assert_eq!(p.df_in(term, &range), want.len());
        }
        let (bytes, postings) = p.posting_bytes();
        assert_eq!(postings, expected.len());
        assert!(bytes < postings * 5, "{bytes} bytes for {postings} postings");
    }
}
