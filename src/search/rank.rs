//! Ranking: BM25F × coverage² × (1 + title coverage) over the documents that match a
//! query's units ([`super::units`]).

use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::ops::Range;

use super::index::{Posting, Read};
use super::live::{Live, Reading};
use super::units::{QueryTerm, Unit, unit_weight};

/// The title's field bit in a posting.
const TITLE_BIT: u8 = 1 << super::TITLE;
/// A section whose title alone covers the whole query scores this much more (in part,
/// in proportion): what a question asks is most often what a heading names.
const TITLE_COVERAGE: f32 = 2.0;

/// Flags of a scored document: bit `f` for field `f` (five fields: bits 0 to 4), and how
/// it matched.
pub const FUZZY: u16 = 1 << 5;
pub const EXACT: u16 = 1 << 6;
/// The document matched a query word or synonym exactly by a term few documents in range
/// hold (see [`super::units::stricter_for_closest`]), or such terms for at least [`DISTINCT_RUN`] of a CJK
/// run. A weak match without it shares only filler or words most sections use with the
/// query.
pub const DISTINCT: u16 = 1 << 7;
/// The document matched a Chinese word of the query through its English glosses
/// ([`super::units`]).
pub const GLOSSED: u16 = 1 << 8;

/// Least share of a CJK run's bigrams a document must match by distinct terms: a quarter
/// (`远程仓库` in `不要的远程仓库怎么删掉`).
const DISTINCT_RUN: f32 = 0.25;

pub struct Scored {
    pub doc: u32,
    pub score: f32,
    /// Weighted share of the query's units matched, 0 to 1: unlike the score, comparable
    /// across note sets.
    pub coverage: f32,
    pub flags: u16,
}

/// Per-document accumulators, reused between queries on one thread.
#[derive(Default)]
struct Scratch {
    /// By document: what a posting updates lies in one cache line, not in five arrays
    /// (the reads are scattered over the whole index: cache misses are most of a query).
    docs: Vec<Acc>,
    touched: Vec<u32>,
    unit_touched: Vec<u32>,
}

#[derive(Clone, Copy, Default)]
struct Acc {
    score: f32,
    coverage: f32,
    unit_score: f32,
    unit_cover: f32,
    /// A unit's cover by distinct terms only (see [`super::units::stricter_for_closest`]).
    unit_distinct: f32,
    /// The coverage, and a unit's cover, by terms of the title only.
    title: f32,
    unit_title: f32,
    flags: u16,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// BM25F × coverage² × (1 + the title's coverage) over the documents in `range`; the best `limit` above
/// `min_coverage`, best first. Coverage is the weighted mean share of the query's units
/// a document matches (see [`unit_weight`]).
pub fn score(
    live: &Live,
    units: &[Unit],
    range: &Range<u32>,
    min_coverage: f32,
    limit: usize,
) -> Vec<Scored> {
    score_with(live, units, range, (min_coverage, 0), limit)
}

/// [`score`] of the documents whose flags hold every bit of `require` too.
pub fn score_with(
    live: &Live,
    units: &[Unit],
    range: &Range<u32>,
    (min_coverage, require): (f32, u16),
    limit: usize,
) -> Vec<Scored> {
    if units.is_empty() || limit == 0 || range.is_empty() {
        return Vec::new();
    }
    SCRATCH.with(|cell| {
        // Re-entered (cannot happen today): a fresh scratch rather than a panic.
        let (mut borrowed, mut fresh) = (cell.try_borrow_mut(), Scratch::default());
        let scratch = match &mut borrowed {
            Ok(scratch) => &mut **scratch,
            Err(_) => &mut fresh,
        };
        scratch.reserve(range.end as usize);
        let units_weight: f32 = units.iter().map(|unit| scratch.add_unit(live, unit, range)).sum();
        scratch.take_best(
            live,
            units_weight.max(f32::MIN_POSITIVE),
            (min_coverage, require),
            limit,
        )
    })
}

/// A candidate for the best, with its place in library order. Ordered best first (by
/// score, ties in library order), so a max-heap's top is the worst kept.
struct Candidate {
    scored: Scored,
    order: u32,
}

impl Candidate {
    fn rank(&self, other: &Candidate) -> std::cmp::Ordering {
        other
            .scored
            .score
            .total_cmp(&self.scored.score)
            .then(self.order.cmp(&other.order))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Candidate) -> bool {
        self.rank(other).is_eq()
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Candidate) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Candidate) -> std::cmp::Ordering {
        self.rank(other)
    }
}

impl Scratch {
    /// Room for documents `0..n`.
    fn reserve(&mut self, n: usize) {
        if self.docs.len() < n {
            self.docs.resize(n, Acc::default());
        }
        self.touched.clear();
    }

    /// Adds one unit's score and coverage to every document in `range` it matches;
    /// returns the unit's weight in the coverage.
    fn add_unit(&mut self, live: &Live, unit: &Unit, range: &Range<u32>) -> f32 {
        self.unit_touched.clear();
        // The unit's own terms first: how many documents they match says how common the
        // unit is, whatever its related terms match.
        for term in unit.terms.iter().filter(|t| !t.related) {
            self.add_term(live, unit, term, range);
        }
        let own = self.unit_touched.len();
        for term in unit.terms.iter().filter(|t| t.related) {
            self.add_term(live, unit, term, range);
        }
        if unit.terms.iter().any(|t| t.distinct) {
            self.mark_distinct(live, unit, range);
        }
        let matched = if own > 0 { own } else { self.unit_touched.len() };
        let weight = unit_weight(matched, live.live_in(range), unit.cjk) * unit.emphasis;
        for &d in &self.unit_touched {
            let Some(acc) = self.docs.get_mut(d as usize) else {
                continue;
            };
            if acc.coverage == 0.0 {
                self.touched.push(d);
            }
            acc.score += acc.unit_score * unit.emphasis;
            acc.coverage += acc.unit_cover.min(1.0) * weight;
            acc.title += acc.unit_title.min(1.0) * weight;
            acc.unit_score = 0.0;
            acc.unit_cover = 0.0;
            acc.unit_title = 0.0;
        }
        weight
    }

    /// One term of `unit`: its postings into the unit's accumulators.
    fn add_term(&mut self, live: &Live, unit: &Unit, term: &QueryTerm, range: &Range<u32>) {
        let term_weight = TermWeight {
            weight: term.weight * live.idf(live.df(term.id)),
            cover: term.cover,
            how: match (term.fuzzy, term.related) {
                (true, _) => FUZZY,
                // Neither exact nor a typo: a paraphrase's reason is where it matched.
                (false, true) => 0,
                (false, false) => EXACT,
            } | if unit.glossed { GLOSSED } else { 0 },
        };
        // One loop for each kind of reading and unit, each without the others' branches.
        match (live.read(term.id, range), unit.additive) {
            (Reading::Base(Read::List(list)), true) => self.add_postings::<true>(list, range, &term_weight),
            (Reading::Base(Read::List(list)), false) => self.add_postings::<false>(list, range, &term_weight),
            (Reading::Base(Read::Strongest(best)), true) => {
                self.add_postings::<true>(best.copied(), range, &term_weight)
            }
            (Reading::Base(Read::Strongest(best)), false) => {
                self.add_postings::<false>(best.copied(), range, &term_weight)
            }
            (merged, true) => self.add_postings::<true>(merged, range, &term_weight),
            (merged, false) => self.add_postings::<false>(merged, range, &term_weight),
        }
    }

    /// Flags [`DISTINCT`] the documents `unit` touched that its distinct terms cover
    /// enough. A second read of those terms' postings (short: few documents hold them),
    /// so that searches without distinct terms pay nothing for it.
    fn mark_distinct(&mut self, live: &Live, unit: &Unit, range: &Range<u32>) {
        for term in unit.terms.iter().filter(|t| t.distinct) {
            for posting in live.read(term.id, range) {
                if !range.contains(&posting.doc) {
                    continue;
                }
                let Some(acc) = self.docs.get_mut(posting.doc as usize) else {
                    continue;
                };
                if unit.additive {
                    acc.unit_distinct += term.cover;
                } else {
                    acc.unit_distinct = acc.unit_distinct.max(term.cover);
                }
            }
        }
        let enough = if unit.additive { DISTINCT_RUN } else { 1.0 };
        for &d in &self.unit_touched {
            let Some(acc) = self.docs.get_mut(d as usize) else {
                continue;
            };
            if acc.unit_distinct >= enough {
                acc.flags |= DISTINCT;
            }
            acc.unit_distinct = 0.0;
        }
    }

    /// One term's postings into the unit's accumulators: summed over the unit's terms
    /// (`ADDITIVE`, a CJK run's bigrams) or the best of them.
    #[inline]
    fn add_postings<const ADDITIVE: bool>(
        &mut self,
        postings: impl Iterator<Item = Posting>,
        range: &Range<u32>,
        term: &TermWeight,
    ) {
        for posting in postings {
            if !range.contains(&posting.doc) {
                continue;
            }
            let Some(acc) = self.docs.get_mut(posting.doc as usize) else {
                continue;
            };
            if acc.unit_cover == 0.0 {
                self.unit_touched.push(posting.doc);
            }
            let gained = term.weight * posting.impact();
            let in_title = f32::from(u8::from(posting.fields & TITLE_BIT != 0)) * term.cover;
            if ADDITIVE {
                acc.unit_score += gained;
                acc.unit_cover += term.cover;
                acc.unit_title += in_title;
            } else {
                acc.unit_score = acc.unit_score.max(gained);
                acc.unit_cover = acc.unit_cover.max(term.cover);
                acc.unit_title = acc.unit_title.max(in_title);
            }
            acc.flags |= u16::from(posting.fields) | term.how;
        }
    }

    /// The best `limit` documents touched whose coverage is above `min_coverage` and
    /// whose flags hold `require`, scored, best first, ties in library order; clears the
    /// scratch for the next query. A heap of the best so far: most documents lose to the
    /// worst kept at one compare.
    fn take_best(
        &mut self,
        live: &Live,
        units_weight: f32,
        (min_coverage, require): (f32, u16),
        limit: usize,
    ) -> Vec<Scored> {
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(limit.min(64));
        for &d in &self.touched {
            let Some(acc) = self.docs.get_mut(d as usize) else {
                continue;
            };
            let coverage = (acc.coverage / units_weight).min(1.0);
            if coverage > min_coverage && acc.score > 0.0 && acc.flags & require == require {
                let in_title = (acc.title / units_weight).min(1.0);
                let scored = Scored {
                    doc: d,
                    score: acc.score * coverage * coverage * (1.0 + TITLE_COVERAGE * in_title),
                    coverage,
                    flags: acc.flags,
                };
                if best.len() < limit {
                    best.push(Candidate {
                        scored,
                        order: live.order(d),
                    });
                } else if let Some(mut worst) = best.peek_mut() {
                    let better = scored
                        .score
                        .total_cmp(&worst.scored.score)
                        .then_with(|| worst.order.cmp(&live.order(d)))
                        .is_gt();
                    if better {
                        *worst = Candidate {
                            scored,
                            order: live.order(d),
                        };
                    }
                }
            }
            *acc = Acc::default();
        }
        best.into_sorted_vec().into_iter().map(|c| c.scored).collect()
    }
}

/// What each posting of a query term is worth.
struct TermWeight {
    /// The term's weight times its idf.
    weight: f32,
    cover: f32,
    how: u16,
}
