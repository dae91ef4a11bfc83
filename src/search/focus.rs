//! Focus: which point subtrees of a section matched, so long replies show them first.
//!
//! Every item is scored by the query units its own text matches (weighted by rarity);
//! a parent of a small subtree may instead be scored by what its subtree matches, so
//! `错误率 价值观` brings forward the item holding both lines. The best items win, in
//! document order among equals (a parent before its children), never one inside another.

use super::ItemPath;
use super::index::TermId;
use super::units::{MAX_UNITS, Unit};
use crate::notes::{ItemList, Section};

/// At most this many subtrees are brought forward.
pub const MAX_FOCUS: usize = 3;
/// A subtree of at most this many items may stand for what its items match together.
const SMALL_SUBTREE: usize = 6;
/// Items matching less than this share of the best item's score are not brought forward.
const MIN_SHARE: f32 = 0.4;

struct Node {
    path: ItemPath,
    /// How much of each unit the item's own text covers.
    own: [f32; MAX_UNITS],
    /// The same over its subtree (elementwise best).
    subtree: [f32; MAX_UNITS],
    size: usize,
}

/// `items` are the term lists of the section's points, depth first (as the index made
/// them); `units` the query's.
pub fn focus<'a>(
    section: &Section,
    items: impl Iterator<Item = &'a [TermId]>,
    units: &[Unit],
) -> Vec<ItemPath> {
    if units.is_empty() {
        return Vec::new();
    }
    let mut nodes: Vec<Node> = Vec::new();
    let mut items = items;
    walk(&section.points(), &mut Vec::new(), &mut nodes, &mut items, units);
    let weight = |covers: &[f32; MAX_UNITS]| -> f32 {
        units
            .iter()
            .zip(covers)
            .map(|(unit, cover)| cover.min(1.0) * unit.idf.max(0.1))
            .sum()
    };
    let mut candidates: Vec<(f32, usize)> = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let own = weight(&node.own);
        let together = if node.size <= SMALL_SUBTREE {
            // A little less than its own text would: a child that matches as much wins.
            weight(&node.subtree) * 0.95
        } else {
            0.0
        };
        let score = own.max(together);
        if score > 0.0 {
            candidates.push((score, i));
        }
    }
    // Best first; among equals, document order (the sort is stable).
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
    let best = candidates.first().map_or(0.0, |c| c.0);
    let mut chosen: Vec<ItemPath> = Vec::new();
    for (score, i) in candidates {
        if chosen.len() == MAX_FOCUS || score < best * MIN_SHARE {
            break;
        }
        let path = &nodes[i].path;
        if !chosen.iter().any(|c| path.starts_with(c) || c.starts_with(path)) {
            chosen.push(path.clone());
        }
    }
    chosen
}

/// Depth first, as the index walked the points; returns the subtree's covers and size.
fn walk<'a>(
    items: &ItemList,
    path: &mut ItemPath,
    nodes: &mut Vec<Node>,
    terms: &mut impl Iterator<Item = &'a [TermId]>,
    units: &[Unit],
) -> ([f32; MAX_UNITS], usize) {
    let mut all = [0f32; MAX_UNITS];
    let mut count = 0;
    for (i, item) in items.iter().enumerate() {
        path.push(i);
        let own = covers(terms.next().unwrap_or(&[]), units);
        let at = nodes.len();
        nodes.push(Node {
            path: path.clone(),
            own,
            subtree: own,
            size: 1,
        });
        let (below, size) = walk(&item.children(), path, nodes, terms, units);
        let node = &mut nodes[at];
        for (mine, theirs) in node.subtree.iter_mut().zip(below) {
            *mine = mine.max(theirs);
        }
        node.size += size;
        for (a, b) in all.iter_mut().zip(node.subtree) {
            *a = a.max(b);
        }
        count += node.size;
        path.pop();
    }
    (all, count)
}

/// The share of each unit a (sorted) term list covers.
fn covers(terms: &[TermId], units: &[Unit]) -> [f32; MAX_UNITS] {
    let mut out = [0f32; MAX_UNITS];
    for (cover, unit) in out.iter_mut().zip(units) {
        for term in &unit.terms {
            if terms.binary_search(&term.id).is_ok() {
                *cover = if unit.additive {
                    *cover + term.cover
                } else {
                    cover.max(term.cover)
                };
            }
        }
    }
    out
}
