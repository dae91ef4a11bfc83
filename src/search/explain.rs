//! Why a query finds what it finds, for the people who keep the notes: its words as the
//! search reads them and what each matches in the notes, the question's subject, and the
//! sections that score best with the words each holds (`notes-bot ask --explain`). It
//! shows where a member's words and the notes' differ, which `synonyms:` and `related:`
//! in the config mend. Members never see it, and it decides nothing: what the bot answers
//! is still [`Index::find`]'s.

use serde::Serialize;

use super::index::TermId;
use super::units::{self, Mode};
use super::{Index, MIN_COVERAGE, Query, analyze, rank};

#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The query as searched: normalised, question frames (`how do I`, `怎么`) dropped.
    pub read_as: String,
    /// The words it asks, in order (at most 12).
    pub words: Vec<Word>,
    /// Which of `words` is the question's subject (an index): the asked word the fewest
    /// sections use, which a confident answer must hold. None under three words.
    pub subject: Option<usize>,
    /// Least share of the question, weighted by rarity, a section must match to be an
    /// answer.
    pub min_coverage: f32,
    /// The sections that score best, whatever share they match, best first.
    pub sections: Vec<Candidate>,
}

#[derive(Debug, Serialize)]
pub struct Word {
    /// As the query writes it: a word, a phrase, a synonym's first spelling, a run of
    /// Chinese.
    pub text: String,
    /// Whether it weighs half: its clause tells rather than asks (`I installed a plugin
    /// but nothing changed`, before `do I have to switch it on?`).
    pub context: bool,
    /// What it matches in the notes, strongest first; empty when nothing does.
    pub terms: Vec<Term>,
}

#[derive(Debug, Serialize)]
pub struct Term {
    /// The term as indexed: a stem (`updat`), a Chinese bigram.
    pub term: String,
    pub how: How,
    /// How many sections in range hold it.
    pub sections: usize,
}

/// How a term stands for a query's word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum How {
    /// The word itself, its stem, a synonym, or a bigram of a Chinese run.
    Exact,
    /// A word of the notes within a typo or two of it (or a homophone of Chinese).
    Typo,
    /// A related word (built in or the config's `related:`), weighing less.
    Related,
    /// An English gloss of a Chinese word, for notes written in English.
    Translated,
}

impl How {
    /// The name shown to people and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            How::Exact => "exact",
            How::Typo => "typo",
            How::Related => "related",
            How::Translated => "translated",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Candidate {
    pub topic: String,
    pub title: String,
    /// For ordering only; not comparable across note sets.
    pub score: f32,
    /// Share of the question it matches, 0 to 1, as `min_coverage` counts it.
    pub coverage: f32,
    /// For each of `words`: whether the section holds any of its terms.
    pub holds: Vec<bool>,
}

impl Explanation {
    /// The words the notes (in the range asked) never use, as the query writes them: what
    /// `synonyms:` or `related:` in the config could teach.
    pub fn lacking(&self) -> impl Iterator<Item = &str> {
        (self.words.iter())
            .filter(|word| word.terms.is_empty())
            .map(|word| word.text.as_str())
    }
}

impl Index {
    /// How `query` reads and what comes closest, at most `limit` sections; None for no
    /// such topic.
    pub fn explain(&self, query: &str, topic: Option<&str>, limit: usize) -> Option<Explanation> {
        let range = self.doc_range(topic)?;
        let query = Query::new(query);
        let units = self.units(&query, Mode::Search, &range);
        let words = (units.iter())
            .map(|unit| Word {
                text: unit.text.to_string(),
                context: unit.emphasis <= units::CONTEXT,
                terms: (unit.terms.iter())
                    .map(|t| Term {
                        term: self.term_text(t.id),
                        how: match (t.related, t.fuzzy) {
                            (true, _) if unit.glossed => How::Translated,
                            (true, _) => How::Related,
                            (false, true) => How::Typo,
                            (false, false) => How::Exact,
                        },
                        sections: self.live.df_in(t.id, &range),
                    })
                    .filter(|t| t.sections > 0)
                    .collect(),
            })
            .collect();
        // Every section matching anything, scored and ordered as the search does.
        let mut scored = rank::score(&self.live, &units, &range, 0.0, limit);
        self.adjust(&mut scored, &query);
        let sections = (scored.iter())
            .map(|s| {
                let at = self.docs[s.doc as usize];
                let doc = s.doc..s.doc + 1;
                Candidate {
                    topic: (self.library.notes.get(at.note)).map_or_else(String::new, |n| n.topic.clone()),
                    title: self
                        .section(at)
                        .map_or_else(String::new, |section| section.title.clone()),
                    score: s.score,
                    coverage: s.coverage,
                    holds: (units.iter())
                        .map(|unit| unit.terms.iter().any(|t| self.live.df_in(t.id, &doc) > 0))
                        .collect(),
                }
            })
            .collect();
        Some(Explanation {
            read_as: query.stripped.trim().to_string(),
            words,
            subject: self.subject(&units, &range),
            min_coverage: MIN_COVERAGE,
            sections,
        })
    }

    /// A term as people read it: a synonym group by its first spelling.
    fn term_text(&self, id: TermId) -> String {
        let term = self.live.term(id);
        match analyze::synonym_group(term) {
            Some(group) => self.analyzer.synonym_name(group).to_string(),
            None => term.to_string(),
        }
    }
}
