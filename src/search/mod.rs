//! Full-text search over every answerable section of the library.
//!
//! CONTRACT (the rest of the crate relies on these names; the helper implementing
//! search may add private modules under src/search/ and fields, not change these signatures).

use crate::notes::Library;

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
}

impl Index {
    pub fn build(library: Library, options: &SearchOptions) -> Index {
        let _ = options;
        Index { library }
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    /// Ranked hits for a query; `topic` restricts to one note. Empty when nothing is relevant.
    pub fn search(&self, query: &str, topic: Option<&str>, limit: usize) -> Vec<Hit> {
        let _ = (query, topic, limit);
        Vec::new()
    }

    /// Autocomplete: sections for what has been typed so far (prefix + fuzzy on titles,
    /// then keywords and text). An empty `partial` gives the note's first sections.
    pub fn suggest(&self, partial: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let _ = (partial, topic, limit);
        Vec::new()
    }

    /// "Did you mean": looser candidates when `search` found nothing.
    pub fn did_you_mean(&self, query: &str, topic: Option<&str>, limit: usize) -> Vec<Suggestion> {
        let _ = (query, topic, limit);
        Vec::new()
    }
}
