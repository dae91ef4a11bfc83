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
    /// The query as searched: normalised, Chinese question frames (`怎么`, `是什么`)
    /// dropped.
    pub read_as: String,
    /// The words it asks, in order (at most twelve).
    pub words: Vec<ExplainedWord>,
    /// Which of `words` is the question's subject (an index): the asked word the fewest
    /// sections use, which a confident answer must hold. None under three words, or when
    /// no asked word that counts (Latin, not context) is in the notes.
    pub subject: Option<usize>,
    /// Least share of the question, weighted by rarity, a section must match to be an
    /// answer.
    pub min_coverage: f32,
    /// The sections the search returns, in its order, then the best of the others by
    /// score whatever share they match.
    pub sections: Vec<ExplainedSection>,
}

#[derive(Debug, Serialize)]
pub struct ExplainedWord {
    /// As the query writes it: a word, a phrase, a synonym, a run of Chinese (cut where
    /// the search stops reading it).
    pub text: String,
    /// Whether it weighs half: its clause tells rather than asks (`I installed a plugin
    /// but nothing changed`, before `do I have to switch it on?`).
    pub context: bool,
    /// What it matches in the notes, strongest first; empty when nothing does.
    pub terms: Vec<ExplainedTerm>,
}

#[derive(Debug, Serialize)]
pub struct ExplainedTerm {
    /// The term as indexed: a stem (`updat`), a Chinese bigram, a synonym group by its
    /// first spelling.
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
pub struct ExplainedSection {
    pub topic: String,
    pub title: String,
    /// Whether the search returns it: the first is the answer when it is confident, the
    /// others its other matches (or, when it is not, the closest sections are offered).
    pub found: bool,
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
    /// Each once, and no bare number (`2.4ghz` asks `2`, `4`, `ghz`).
    pub fn lacking(&self) -> Vec<&str> {
        let mut lacking: Vec<&str> = Vec::new();
        let unknown = (self.words.iter()).filter(|word| word.terms.is_empty());
        for text in unknown.map(|word| word.text.as_str()) {
            if !text.chars().all(|c| c.is_ascii_digit()) && !lacking.contains(&text) {
                lacking.push(text);
            }
        }
        lacking
    }
}

impl Index {
    /// How `query` reads and what comes closest, at most `limit` sections; None for no
    /// such topic.
    pub fn explain(&self, query: &str, topic: Option<&str>, limit: usize) -> Option<Explanation> {
        let range = self.doc_range(topic)?;
        let read = Query::new(query);
        let units = self.units(&read, Mode::Search, &range);
        let words = (units.iter())
            .map(|unit| ExplainedWord {
                text: unit.text.to_string(),
                context: unit.emphasis <= units::CONTEXT,
                terms: (unit.terms.iter())
                    .map(|t| ExplainedTerm {
                        term: self.term_text(t.id),
                        how: match (unit.glossed, t.related, t.fuzzy) {
                            (true, _, _) => How::Translated,
                            (false, true, _) => How::Related,
                            (false, false, true) => How::Typo,
                            (false, false, false) => How::Exact,
                        },
                        sections: self.live.df_in(t.id, &range),
                    })
                    .filter(|t| t.sections > 0)
                    .collect(),
            })
            .collect();
        let section = |doc: u32, found: bool, score: f32, coverage: f32| {
            let (note, section) = self.library.section(self.docs[doc as usize]).unzip();
            ExplainedSection {
                topic: note.map_or_else(String::new, |n| n.topic.clone()),
                title: section.map_or_else(String::new, |s| s.title.clone()),
                found,
                score,
                coverage,
                holds: units.iter().map(|unit| self.holds(doc, unit)).collect(),
            }
        };
        // What the search returns, as it returns it ...
        let mut sections: Vec<ExplainedSection> = Vec::new();
        let mut listed = Vec::new();
        for hit in self.ranked(query, topic, limit).hits {
            sections.push(section(hit.doc, true, hit.score, hit.coverage));
            listed.push(hit.doc);
        }
        // ... then every other section matching anything, scored and ordered as it scores.
        let mut scored = rank::score(
            &self.live,
            &units,
            &range,
            0.0,
            limit.saturating_add(listed.len()),
        );
        self.adjust(&mut scored, &read);
        for s in scored.iter().filter(|s| !listed.contains(&s.doc)) {
            if sections.len() >= limit {
                break;
            }
            sections.push(section(s.doc, false, s.score, s.coverage));
        }
        Some(Explanation {
            read_as: read.stripped.trim().to_string(),
            words,
            subject: self.subject(&units, &range),
            min_coverage: MIN_COVERAGE,
            sections,
        })
    }

    /// The words of `query` the notes (in `topic`, or all) never use, as
    /// [`Explanation::lacking`] lists them; None for no such topic.
    pub fn lacking(&self, query: &str, topic: Option<&str>) -> Option<Vec<String>> {
        let explained = self.explain(query, topic, 0)?;
        Some(explained.lacking().into_iter().map(str::to_string).collect())
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
