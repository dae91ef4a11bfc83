//! The inverted index: term → postings with per-field term frequencies, plus the
//! vocabulary of surface words for prefix and typo look-ups.

use std::collections::{HashMap, HashSet};

/// Index terms of one document, by field.
pub type Fields = [Vec<String>; 4];

#[derive(Debug, Clone, Copy)]
pub struct Posting {
    pub doc: u32,
    tf: [u16; 4],
}

impl Posting {
    /// Bit `f` set when field `f` holds the term.
    pub fn fields(&self) -> u8 {
        self.tf
            .iter()
            .enumerate()
            .fold(0, |bits, (f, &tf)| bits | (u8::from(tf > 0) << f))
    }
}

#[derive(Default)]
pub struct Postings {
    map: HashMap<Box<str>, Vec<Posting>>,
    lengths: Vec<[u16; 4]>,
    average: [f32; 4],
    docs: usize,
    building: HashSet<Box<str>>,
    /// Sorted, distinct Latin words as written (unstemmed).
    surfaces: Vec<Box<str>>,
    /// Indexes into `surfaces` by length in characters.
    by_length: Vec<Vec<u32>>,
}

/// Longest word kept in the typo vocabulary.
const MAX_WORD: usize = 40;

impl Postings {
    pub fn add(&mut self, doc: u32, fields: Fields) {
        let mut counts: HashMap<&str, [u16; 4]> = HashMap::new();
        let mut lengths = [0u16; 4];
        for (f, terms) in fields.iter().enumerate() {
            lengths[f] = u16::try_from(terms.len()).unwrap_or(u16::MAX);
            for term in terms {
                let tf = counts.entry(term.as_str()).or_default();
                tf[f] = tf[f].saturating_add(1);
            }
        }
        for (term, tf) in counts {
            match self.map.get_mut(term) {
                Some(list) => list.push(Posting { doc, tf }),
                None => {
                    self.map.insert(term.into(), vec![Posting { doc, tf }]);
                }
            }
        }
        self.lengths.push(lengths);
    }

    pub fn add_surfaces(&mut self, words: impl Iterator<Item = String>) {
        for word in words {
            if word.chars().count() <= MAX_WORD && !self.building.contains(word.as_str()) {
                self.building.insert(word.into_boxed_str());
            }
        }
    }

    pub fn finish(&mut self, docs: usize) {
        self.docs = docs;
        let mut sums = [0f64; 4];
        for lengths in &self.lengths {
            for (sum, &length) in sums.iter_mut().zip(lengths) {
                *sum += f64::from(length);
            }
        }
        for (average, sum) in self.average.iter_mut().zip(sums) {
            *average = ((sum / docs.max(1) as f64) as f32).max(1.0);
        }
        for list in self.map.values_mut() {
            list.shrink_to_fit();
        }
        self.map.shrink_to_fit();
        let mut surfaces: Vec<Box<str>> = std::mem::take(&mut self.building).into_iter().collect();
        surfaces.sort_unstable();
        self.by_length = vec![Vec::new(); MAX_WORD + 1];
        for (i, word) in surfaces.iter().enumerate() {
            let length = word.chars().count().min(MAX_WORD);
            self.by_length[length].push(i as u32);
        }
        self.surfaces = surfaces;
    }

    pub fn get(&self, term: &str) -> Option<&[Posting]> {
        self.map.get(term).map(Vec::as_slice)
    }

    pub fn has(&self, term: &str) -> bool {
        self.map.contains_key(term)
    }

    pub fn idf(&self, df: usize) -> f32 {
        let n = self.docs as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// BM25F's saturated, length-normalised term frequency for one posting.
    pub fn saturation(&self, posting: &Posting, k1: f32, weight: &[f32; 4], b: &[f32; 4]) -> f32 {
        let lengths = self
            .lengths
            .get(posting.doc as usize)
            .copied()
            .unwrap_or_default();
        let mut tf = 0.0;
        for f in 0..4 {
            if posting.tf[f] > 0 {
                let norm = 1.0 - b[f] + b[f] * f32::from(lengths[f]) / self.average[f];
                tf += weight[f] * f32::from(posting.tf[f]) / norm;
            }
        }
        tf / (k1 + tf)
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

    /// Words within `budget` edits (optimal string alignment) of `word`, nearest first.
    pub fn similar(&self, word: &str, budget: usize) -> Vec<(&str, usize)> {
        if budget == 0 {
            return Vec::new();
        }
        let length = word.chars().count();
        let mut found = Vec::new();
        let low = length.saturating_sub(budget);
        let high = (length + budget).min(MAX_WORD);
        for bucket in self.by_length.get(low..=high).into_iter().flatten() {
            for &i in bucket {
                let candidate = self.surfaces[i as usize].as_ref();
                let distance = strsim::osa_distance(word, candidate);
                if distance <= budget && distance > 0 {
                    found.push((candidate, distance));
                }
            }
        }
        found.sort_by_key(|&(w, d)| (d, w));
        found.truncate(10);
        found
    }
}
