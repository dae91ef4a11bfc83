//! The base segment's documents that no longer serve (their note changed or went), and
//! what they held, to subtract from the base's statistics. Between two full builds a
//! base note once dead stays dead (a note read again is a new `Arc`), so each index
//! starts from the last one's tombstones and analyses only the notes newly dead.

use std::ops::Range;

use rustc_hash::FxHashMap as HashMap;

use super::analyze::Analyzer;
use super::index::TermId;
use super::segment::{Repeats, SectionTerms, Segment};

#[derive(Clone, Default)]
pub struct Tombstones {
    /// One bit per base document.
    docs: Vec<u64>,
    count: usize,
    /// Per base note: dead.
    notes: Vec<bool>,
    /// Per base term: the dead documents holding it.
    df: HashMap<TermId, u32>,
    /// Per base surface word (by index): the dead documents using it.
    surfaces: HashMap<u32, u32>,
}

impl Tombstones {
    /// None dead yet in `base`.
    pub fn none(base: &Segment) -> Tombstones {
        Tombstones {
            docs: vec![0; base.docs().div_ceil(64)],
            notes: vec![false; base.notes.len()],
            ..Tombstones::default()
        }
    }

    /// Marks the documents of `base.notes[note]` dead and subtracts what they hold, found
    /// by analysing the note again (as it was when the base was built).
    pub fn bury(&mut self, analyzer: &Analyzer, base: &Segment, note: usize) {
        let (Some(held), Some(docs)) = (base.notes.get(note), base.note_docs.get(note)) else {
            return;
        };
        match self.notes.get_mut(note) {
            Some(dead) if !*dead => *dead = true,
            // Out of range, or dead already and subtracted then.
            _ => return,
        }
        for doc in docs.clone() {
            self.kill(doc);
        }
        let mut repeats = Repeats::default();
        for (section, _) in held.answerable() {
            let analysed = SectionTerms::of(analyzer, held, section, &mut repeats);
            for term in analysed.terms() {
                if let Some(id) = base.postings.id(term) {
                    *self.df.entry(id).or_default() += 1;
                }
            }
            for word in analysed.surfaces() {
                if let Some(i) = base.postings.surface(word) {
                    *self.surfaces.entry(i).or_default() += 1;
                }
            }
        }
    }

    fn kill(&mut self, doc: u32) {
        if let Some(word) = self.docs.get_mut(doc as usize / 64) {
            *word |= 1 << (doc % 64);
            self.count += 1;
        }
    }

    pub fn is_note_dead(&self, note: usize) -> bool {
        self.notes.get(note).copied().unwrap_or(false)
    }

    /// Dead documents in all.
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn is_dead(&self, doc: u32) -> bool {
        self.docs
            .get(doc as usize / 64)
            .is_some_and(|word| word & (1 << (doc % 64)) != 0)
    }

    /// Dead documents in a range of base ids.
    pub fn dead_in(&self, range: &Range<u32>) -> usize {
        if self.count == 0 || range.is_empty() {
            return 0;
        }
        let (first, last) = (range.start as usize / 64, (range.end as usize - 1) / 64);
        let mut count = 0;
        for (w, word) in self.docs.iter().enumerate().take(last + 1).skip(first) {
            let mut bits = *word;
            if w == first {
                bits &= !0u64 << (range.start % 64);
            }
            if w == last && !range.end.is_multiple_of(64) {
                bits &= (1u64 << (range.end % 64)) - 1;
            }
            count += bits.count_ones() as usize;
        }
        count
    }

    /// Dead documents holding a base term.
    pub fn df(&self, id: TermId) -> usize {
        self.df.get(&id).copied().unwrap_or(0) as usize
    }

    /// The base terms dead documents hold.
    pub fn terms(&self) -> impl Iterator<Item = TermId> + '_ {
        self.df.keys().copied()
    }

    /// Dead documents using a base surface word.
    pub fn surface_docs(&self, index: u32) -> u32 {
        self.surfaces.get(&index).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_documents_are_counted_in_any_range() {
        let mut dead = Tombstones {
            docs: vec![0; 4],
            ..Tombstones::default()
        };
        for doc in [0u32, 5, 63, 64, 65, 130, 200, 255] {
            dead.kill(doc);
        }
        let brute = |r: &Range<u32>| r.clone().filter(|&d| dead.is_dead(d)).count();
        for range in [
            0..256,
            0..1,
            1..5,
            5..6,
            63..65,
            64..64,
            66..130,
            100..201,
            128..192,
            255..256,
        ] {
            assert_eq!(dead.dead_in(&range), brute(&range), "{range:?}");
        }
        assert_eq!(dead.dead_in(&(0..256)), 8);
    }
}
