//! The documents a search reads: a base segment shared by every index since the last full
//! build, a delta segment of the notes added or changed since, and the base documents
//! those notes replaced or that were deleted (tombstones), left unread.
//!
//! Statistics are those of the live documents only (their count, each term's document
//! frequency, the vocabulary of prefix and typo look-ups), and ties go by library order,
//! so a search ranks as on a full build. What still differs until the next full build:
//! the delta's impacts use the base's mean field lengths, and a list longer than
//! [`POSTING_CAP`](super::index::POSTING_CAP) is read from each segment's strongest
//! postings rather than from all live ones' strongest.
//!
//! Ids: the base's term and document ids stand; delta terms the base lacks, and delta
//! documents, take the ids after the base's.

use std::ops::Range;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::index::{Posting, Read, TermId};
use super::segment::Segment;
use super::tombstones::Tombstones;

pub struct Live {
    base: Arc<Segment>,
    delta: Segment,
    dead: Tombstones,
    /// Per delta term: its id here.
    delta_ids: Vec<TermId>,
    /// Per id here of a delta term: its delta id.
    delta_local: HashMap<TermId, TermId>,
    /// Per document: its place in library order (`u32::MAX` for the dead).
    order: Vec<u32>,
    /// The live documents in library order.
    in_order: Vec<u32>,
    /// Whether every document is live and in library order (a full build): then a
    /// document's place is its id, and ties are broken without a look-up.
    in_id_order: bool,
    /// [`Live::cjk_bigrams`] of the characters (and side) with a bigram in the delta or
    /// in a dead document, worked out once here; the base's lists serve for the others.
    cjk_changed: HashMap<(char, bool), Box<[TermId]>>,
}

impl Live {
    /// `dead`: the base's documents no longer served; `in_order`: every live document,
    /// base then delta ids, in library order.
    pub fn new(base: Arc<Segment>, delta: Segment, dead: Tombstones, in_order: Vec<u32>) -> Live {
        let base_docs = base.docs();
        let mut next = base.postings.terms() as TermId;
        let mut delta_ids = Vec::with_capacity(delta.postings.terms());
        let mut delta_local = HashMap::default();
        for local in 0..delta.postings.terms() as TermId {
            let id = base.postings.id(delta.postings.term(local)).unwrap_or_else(|| {
                next += 1;
                next - 1
            });
            delta_ids.push(id);
            delta_local.insert(id, local);
        }
        let mut order = vec![u32::MAX; base_docs + delta.docs()];
        for (at, &doc) in in_order.iter().enumerate() {
            if let Some(slot) = order.get_mut(doc as usize) {
                *slot = at as u32;
            }
        }
        let in_id_order =
            in_order.len() == order.len() && in_order.iter().enumerate().all(|(at, &doc)| at == doc as usize);
        let mut live = Live {
            base,
            delta,
            dead,
            delta_ids,
            delta_local,
            order,
            in_order,
            in_id_order,
            cjk_changed: HashMap::default(),
        };
        live.cjk_changed = live.changed_cjk_bigrams();
        live
    }

    /// The bigram lists of the characters whose bigrams the delta or the dead change.
    fn changed_cjk_bigrams(&self) -> HashMap<(char, bool), Box<[TermId]>> {
        let mut changed: Vec<(char, bool)> = Vec::new();
        let delta_terms =
            (0..self.delta.postings.terms() as TermId).map(|local| self.delta.postings.term(local));
        let dead_terms = self.dead.terms().map(|id| self.base.postings.term(id));
        for term in delta_terms.chain(dead_terms) {
            let mut chars = term.chars();
            if let (Some(a), Some(b), None) = (chars.next(), chars.next(), chars.next())
                && super::analyze::is_cjk(a)
                && super::analyze::is_cjk(b)
            {
                changed.extend([(a, false), (b, true)]);
            }
        }
        changed.sort_unstable();
        changed.dedup();
        changed
            .into_iter()
            .map(|(c, second)| ((c, second), self.merged_cjk_bigrams(c, second)))
            .collect()
    }

    pub fn base(&self) -> &Arc<Segment> {
        &self.base
    }

    pub fn delta(&self) -> &Segment {
        &self.delta
    }

    pub fn tombstones(&self) -> &Tombstones {
        &self.dead
    }

    /// Documents in the base, in the delta, and dead in the base.
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.base.docs(), self.delta.docs(), self.dead.count())
    }

    /// Every document id, live or dead: `0..ids()`.
    pub fn ids(&self) -> u32 {
        (self.base.docs() + self.delta.docs()) as u32
    }

    pub fn live_docs(&self) -> usize {
        self.in_order.len()
    }

    /// The segment holding a document, and its id there.
    pub fn locate(&self, doc: u32) -> (&Segment, u32) {
        let base = self.base.docs() as u32;
        if doc < base {
            (&self.base, doc)
        } else {
            (&self.delta, doc - base)
        }
    }

    /// A document's place in library order: ties between documents go by it.
    pub fn order(&self, doc: u32) -> u32 {
        if self.in_id_order {
            return if (doc as usize) < self.order.len() {
                doc
            } else {
                u32::MAX
            };
        }
        self.order.get(doc as usize).copied().unwrap_or(u32::MAX)
    }

    /// `range` split into base ids and delta ids (the delta's own).
    fn split(&self, range: &Range<u32>) -> (Range<u32>, Range<u32>) {
        let base = self.base.docs() as u32;
        let in_base = range.start.min(base)..range.end.min(base);
        let in_delta = range.start.max(base) - base..range.end.max(base) - base;
        (in_base, in_delta)
    }

    /// Live documents in `range`.
    pub fn live_in(&self, range: &Range<u32>) -> usize {
        let (in_base, in_delta) = self.split(range);
        in_base.len() - self.dead.dead_in(&in_base) + in_delta.len().min(self.delta.docs())
    }

    /// Live documents in `range` written in Chinese: a count over flags, some
    /// microseconds for 100k documents (more while the base has dead ones).
    pub fn chinese_in(&self, range: &Range<u32>) -> usize {
        let (in_base, in_delta) = self.split(range);
        fn flags<'s>(segment: &'s Segment, range: &Range<u32>) -> impl Iterator<Item = bool> + 's {
            let len = segment.chinese.len();
            let (start, end) = (range.start as usize, range.end as usize);
            let flags = segment.chinese.get(start.min(len)..end.min(len));
            flags.unwrap_or_default().iter().copied()
        }
        let base = if self.dead.dead_in(&in_base) == 0 {
            flags(&self.base, &in_base).filter(|&chinese| chinese).count()
        } else {
            (flags(&self.base, &in_base).zip(in_base.clone()))
                .filter(|&(chinese, doc)| chinese && !self.dead.is_dead(doc))
                .count()
        };
        base + flags(&self.delta, &in_delta).filter(|&chinese| chinese).count()
    }

    /// Whether a document is written in Chinese.
    pub fn is_chinese(&self, doc: u32) -> bool {
        let (segment, at) = self.locate(doc);
        segment.chinese.get(at as usize).copied().unwrap_or(false)
    }

    /// The live documents of `range`, in library order.
    pub fn docs_in(&self, range: &Range<u32>) -> impl Iterator<Item = u32> + '_ {
        let whole = range.start == 0 && range.end >= self.ids();
        let (all, part) = if whole {
            (&self.in_order[..], 0..0)
        } else {
            (&[][..], range.clone())
        };
        all.iter()
            .copied()
            .chain(part.filter(move |&d| d < self.ids() && !self.dead.is_dead(d)))
    }

    fn delta_id(&self, id: TermId) -> Option<TermId> {
        if self.delta_ids.is_empty() {
            return None;
        }
        self.delta_local.get(&id).copied()
    }

    fn in_base(&self, id: TermId) -> bool {
        (id as usize) < self.base.postings.terms()
    }

    /// A term's id, if a live document holds it.
    pub fn id(&self, term: &str) -> Option<TermId> {
        if !self.delta_ids.is_empty()
            && let Some(local) = self.delta.postings.id(term)
        {
            return self.delta_ids.get(local as usize).copied();
        }
        let id = self.base.postings.id(term)?;
        (self.dead.count() == 0 || self.df(id) > 0).then_some(id)
    }

    pub fn term(&self, id: TermId) -> &str {
        match self.delta_id(id) {
            Some(local) => self.delta.postings.term(local),
            None => self.base.postings.term(id),
        }
    }

    /// Live documents holding the term.
    pub fn df(&self, id: TermId) -> usize {
        let base = if self.in_base(id) {
            self.base.postings.df(id).saturating_sub(self.dead.df(id))
        } else {
            0
        };
        base + self.delta_id(id).map_or(0, |local| self.delta.postings.df(local))
    }

    /// Live documents in `range` holding the term.
    pub fn df_in(&self, id: TermId, range: &Range<u32>) -> usize {
        if range.start == 0 && range.end >= self.ids() {
            return self.df(id);
        }
        let (in_base, in_delta) = self.split(range);
        let base = if !self.in_base(id) || in_base.is_empty() {
            0
        } else if self.dead.dead_in(&in_base) == 0 {
            self.base.postings.df_in(id, &in_base)
        } else {
            let list = self.base.postings.list(id, &in_base);
            list.filter(|p| !self.dead.is_dead(p.doc)).count()
        };
        let delta = match self.delta_id(id) {
            Some(local) if !in_delta.is_empty() => self.delta.postings.df_in(local, &in_delta),
            _ => 0,
        };
        base + delta
    }

    /// The postings a query reads for a term in `range`, by document, the dead left out:
    /// see [`Postings::read`](super::index::Postings::read) (which may give postings
    /// outside the range). The base's own reading when neither the delta nor a dead
    /// document holds the term there: the common case, and the cheapest loop.
    pub fn read(&self, id: TermId, range: &Range<u32>) -> Reading<'_> {
        let (in_base, in_delta) = self.split(range);
        let base = (self.in_base(id) && !in_base.is_empty()).then(|| self.base.postings.read(id, &in_base));
        let delta = match self.delta_id(id) {
            Some(local) if !in_delta.is_empty() => Some(self.delta.postings.read(local, &in_delta)),
            _ => None,
        };
        // `dead.df` counts every dead document holding the term: none, nothing to skip.
        let no_dead = self.dead.count() == 0 || !self.in_base(id) || self.dead.df(id) == 0;
        match (base, delta) {
            (Some(base), None) if no_dead => Reading::Base(base),
            (None, None) => Reading::Base(Read::List(Default::default())),
            (base, delta) => Reading::Merged(Merged {
                live: self,
                base,
                delta,
                offset: self.base.docs() as u32,
            }),
        }
    }

    pub fn idf(&self, df: usize) -> f32 {
        let n = self.live_docs() as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    fn surface_live(&self, index: u32) -> bool {
        self.base.postings.surface_docs(index) > self.dead.surface_docs(index)
    }

    /// Words live documents use that start with `prefix` (the prefix itself excluded), in
    /// text order, at most `max`; nothing for a prefix of one letter.
    pub fn with_prefix<'s>(&'s self, prefix: &str, max: usize) -> Vec<&'s str> {
        if prefix.chars().count() < 2 {
            return Vec::new();
        }
        let mut base = self
            .base
            .postings
            .with_prefix(prefix)
            .filter(|&(i, _)| self.surface_live(i))
            .map(|(_, w)| w)
            .peekable();
        let mut delta = self.delta.postings.with_prefix(prefix).map(|(_, w)| w).peekable();
        let mut words = Vec::new();
        while words.len() < max {
            let word = match (base.peek(), delta.peek()) {
                (Some(&b), Some(&d)) if b == d => {
                    delta.next();
                    base.next()
                }
                (Some(&b), Some(&d)) if d < b => delta.next(),
                (Some(_), _) => base.next(),
                (None, _) => delta.next(),
            };
            match word {
                Some(word) => words.push(word),
                None => break,
            }
        }
        words
    }

    /// Words live documents use within `budget` edits (optimal string alignment) of
    /// `word`, with the same first letter, nearest first, at most ten.
    pub fn similar<'s>(&'s self, word: &str, budget: usize) -> Vec<(&'s str, usize)> {
        let base = self.base.postings.similar(word, budget);
        let delta = self.delta.postings.similar(word, budget);
        let mut found: Vec<(&str, usize)> = base
            .into_iter()
            .filter(|&(i, _, _)| self.surface_live(i))
            .chain(delta)
            .map(|(_, w, d)| (w, d))
            .collect();
        found.sort_by_key(|&(w, d)| (d, w));
        found.dedup();
        found.truncate(10);
        found
    }

    /// CJK bigrams live documents hold that start (`second == false`) or end with `c`,
    /// commonest first, then in text order.
    pub fn cjk_bigrams(&self, c: char, second: bool) -> &[TermId] {
        match self.cjk_changed.get(&(c, second)) {
            Some(ids) => ids,
            None => self.base.postings.cjk_bigrams(c, second),
        }
    }

    /// [`Live::cjk_bigrams`] worked out from both segments' lists.
    fn merged_cjk_bigrams(&self, c: char, second: bool) -> Box<[TermId]> {
        let base = self.base.postings.cjk_bigrams(c, second);
        let delta = self.delta.postings.cjk_bigrams(c, second);
        let mut ids: Vec<TermId> = base.iter().copied().filter(|&id| self.df(id) > 0).collect();
        for &local in delta {
            // A term the base has is in its list already, when live.
            if let Some(&id) = self.delta_ids.get(local as usize)
                && (!self.in_base(id) || !ids.contains(&id))
            {
                ids.push(id);
            }
        }
        ids.sort_by_cached_key(|&id| (std::cmp::Reverse(self.df(id)), self.term(id)));
        ids.into_boxed_slice()
    }

    /// Bytes of the posting lists of both segments, and the postings they hold.
    pub fn posting_bytes(&self) -> (usize, usize) {
        let (a, b) = self.base.postings.posting_bytes();
        let (c, d) = self.delta.postings.posting_bytes();
        (a + c, b + d)
    }
}

/// What [`Live::read`] gives: postings by document, ids here, the dead left out.
pub enum Reading<'a> {
    /// The base segment's own, with no dead document among them.
    Base(Read<'a>),
    /// The base's, the dead left out, then the delta's.
    Merged(Merged<'a>),
}

impl Iterator for Reading<'_> {
    type Item = Posting;

    fn next(&mut self) -> Option<Posting> {
        match self {
            Reading::Base(read) => read.next(),
            Reading::Merged(merged) => merged.next(),
        }
    }
}

/// The base's postings, the dead left out, then the delta's, ids here.
pub struct Merged<'a> {
    live: &'a Live,
    base: Option<Read<'a>>,
    delta: Option<Read<'a>>,
    offset: u32,
}

impl Iterator for Merged<'_> {
    type Item = Posting;

    fn next(&mut self) -> Option<Posting> {
        if let Some(base) = &mut self.base {
            for posting in base.by_ref() {
                if self.live.dead.count() == 0 || !self.live.dead.is_dead(posting.doc) {
                    return Some(posting);
                }
            }
            self.base = None;
        }
        let posting = self.delta.as_mut()?.next()?;
        Some(Posting {
            doc: posting.doc + self.offset,
            ..posting
        })
    }
}
