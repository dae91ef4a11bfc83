//! Focus: which point subtrees of a section matched, so long replies show them first.

use super::ItemPath;
use super::analyze::Analyzer;
use crate::notes::{Item, Section};

/// At most this many subtrees are brought forward.
const MAX_FOCUS: usize = 3;

/// Items whose own text holds query terms, most terms first, then in document order;
/// never one inside another.
pub fn focus(analyzer: &Analyzer, section: &Section, query_terms: &[String]) -> Vec<ItemPath> {
    if query_terms.is_empty() {
        return Vec::new();
    }
    let mut items = Vec::new();
    collect(&section.points, &mut Vec::new(), &mut items);
    let mut terms = Vec::new();
    let mut surfaces = Vec::new();
    let mut candidates: Vec<(usize, ItemPath)> = Vec::new();
    for (path, item) in items {
        terms.clear();
        analyzer.terms(&item.text.plain, &mut terms, &mut surfaces);
        surfaces.clear();
        let matched = query_terms.iter().filter(|q| terms.contains(q)).count();
        if matched > 0 {
            candidates.push((matched, path));
        }
    }
    // Most terms first; among equals, document order (the sort is stable).
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let mut chosen: Vec<ItemPath> = Vec::new();
    for (_, path) in candidates {
        if chosen.len() == MAX_FOCUS {
            break;
        }
        if !chosen.iter().any(|c| path.starts_with(c) || c.starts_with(&path)) {
            chosen.push(path);
        }
    }
    chosen
}

/// Every item with its path, depth first.
fn collect<'a>(items: &'a [Item], path: &mut ItemPath, out: &mut Vec<(ItemPath, &'a Item)>) {
    for (i, item) in items.iter().enumerate() {
        path.push(i);
        out.push((path.clone(), item));
        collect(&item.children, path, out);
        path.pop();
    }
}
