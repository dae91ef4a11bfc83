//! One piece of the index: the answerable sections of some notes, as postings with term
//! and document ids of their own, and what a search shows of each document. The whole
//! library makes one segment; a reload adds a small one for the notes that changed (see
//! `live`).

use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::analyze::{Analyzer, TermSink};
use super::index::{self, Builder, FIELDS, Interner, Postings, TermId, TermList};
use super::{BM25F, BODY, CATEGORY, CODE, TAGS, TITLE, key, normalize};
use crate::notes::{Item, Marker, Note};

pub struct Segment {
    pub postings: Postings,
    /// The notes indexed, in the order given.
    pub notes: Vec<Arc<Note>>,
    /// Per note: its documents.
    pub note_docs: Vec<Range<u32>>,
    /// Per document: its section's index in its note.
    pub sections: Vec<u32>,
    /// Per document: the normalised title, for autocomplete and "did you mean".
    pub titles: TextList,
    /// The same, letters and digits only: what "the query is the title" compares.
    pub title_keys: TextList,
    /// Per document: whether it is written in Chinese (see [`is_chinese`]).
    pub chinese: Vec<bool>,
    /// Per note, in a delta segment only: its sections analysed, which the next delta
    /// reuses for the notes it keeps instead of analysing them again.
    analysed: Vec<NoteTerms>,
}

/// The analysis of each answerable section of a note.
type NoteTerms = Arc<[SectionTerms]>;

impl Segment {
    /// Indexes the answerable sections of `notes`, in order. Impacts are normalised by
    /// `averages` (each field's mean length) when given, else by these documents' own.
    pub fn build(analyzer: &Analyzer, notes: Vec<Arc<Note>>, averages: Option<[f32; FIELDS]>) -> Segment {
        let mut merge = Merge::default();
        let mut note_docs = Vec::with_capacity(notes.len());
        // Sections are analysed on every core, a batch at a time (so that little is held
        // between analysis and merge, however big a note), and merged in order, each
        // section's terms interned in their order of first use: the same term ids,
        // postings and index as on one thread.
        let mut all: Vec<(&Note, usize)> = Vec::new();
        for note in &notes {
            let start = all.len() as u32;
            all.extend(note.answerable().map(|(s, _)| (&**note, s)));
            note_docs.push(start..all.len() as u32);
        }
        // While one batch is analysed, the one before it is merged.
        let analyse = |batch: &[(&Note, usize)]| -> Vec<SectionTerms> {
            batch
                .par_iter()
                .map_init(Repeats::default, |repeats, &(note, s)| {
                    SectionTerms::of(analyzer, note, s, repeats)
                })
                .collect()
        };
        let mut batches = all.chunks(ANALYSIS_BATCH);
        let mut ready = batches.next().map(|batch| (batch, analyse(batch)));
        while let Some((batch, analysed)) = ready.take() {
            let next = batches.next();
            let ((), analysed_next) = rayon::join(
                || {
                    for (&(_, s), section) in batch.iter().zip(&analysed) {
                        merge.add(s, section);
                    }
                },
                || next.map(|next| (next, analyse(next))),
            );
            ready = analysed_next;
        }
        merge.finish(notes, note_docs, averages, Vec::new())
    }

    /// [`Segment::build`] for a delta: the analyses of the notes `previous` (the last
    /// delta) holds are reused, and all are kept for the next.
    pub fn build_delta(
        analyzer: &Analyzer,
        notes: Vec<Arc<Note>>,
        averages: [f32; FIELDS],
        previous: &Segment,
    ) -> Segment {
        let known: rustc_hash::FxHashMap<*const Note, &NoteTerms> = previous
            .notes
            .iter()
            .zip(&previous.analysed)
            .map(|(note, analysed)| (Arc::as_ptr(note), analysed))
            .collect();
        let mut merge = Merge::default();
        let mut note_docs = Vec::with_capacity(notes.len());
        let mut analysed = Vec::with_capacity(notes.len());
        for note in &notes {
            let terms: NoteTerms = match known.get(&Arc::as_ptr(note)) {
                Some(&terms) => terms.clone(),
                None => {
                    let sections: Vec<usize> = note.answerable().map(|(s, _)| s).collect();
                    let terms: Vec<SectionTerms> = sections
                        .par_iter()
                        .map_init(Repeats::default, |repeats, &s| {
                            SectionTerms::of(analyzer, note, s, repeats)
                        })
                        .collect();
                    terms.into()
                }
            };
            let start = merge.sections.len() as u32;
            for ((s, _), section) in note.answerable().zip(terms.iter()) {
                merge.add(s, section);
            }
            note_docs.push(start..merge.sections.len() as u32);
            analysed.push(terms);
        }
        merge.finish(notes, note_docs, Some(averages), analysed)
    }

    /// A segment of no documents.
    pub fn empty(analyzer: &Analyzer) -> Segment {
        Segment::build(analyzer, Vec::new(), None)
    }

    pub fn docs(&self) -> usize {
        self.sections.len()
    }
}

/// Analysed sections merged, in order, into a segment.
#[derive(Default)]
struct Merge {
    builder: Builder,
    /// A section's ids in the builder, by its own ids (kept from one section to the next).
    ids: Vec<TermId>,
    sections: Vec<u32>,
    titles: TextList,
    title_keys: TextList,
    chinese: Vec<bool>,
}

impl Merge {
    /// Adds `note.sections[section]`, as analysed, as the next document.
    fn add(&mut self, section: usize, analysed: &SectionTerms) {
        let ids = &mut self.ids;
        analysed.words.ids_in(0..analysed.terms, &mut self.builder, ids);
        for word in analysed.surfaces() {
            self.builder.add_surface(word);
        }
        self.builder.add_counted(&analysed.entries, ids, analysed.lengths);
        self.sections.push(section as u32);
        self.title_keys.push(analysed.title_key());
        self.titles.push(analysed.title());
        self.chinese.push(analysed.chinese);
    }

    fn finish(
        self,
        notes: Vec<Arc<Note>>,
        note_docs: Vec<Range<u32>>,
        averages: Option<[f32; FIELDS]>,
        analysed: Vec<NoteTerms>,
    ) -> Segment {
        Segment {
            postings: self.builder.finish_at(&BM25F, averages),
            notes,
            note_docs,
            sections: self.sections,
            titles: self.titles.finished(),
            title_keys: self.title_keys.finished(),
            chinese: self.chinese,
            analysed,
        }
    }
}

/// Texts in one string: ~4 bytes each beside their own, where a `Vec<String>` takes ~40
/// (its 24, and the allocator's 8 to 23 for each string).
#[derive(Default)]
pub struct TextList {
    text: String,
    /// Where each text ends in `text`.
    ends: Vec<u32>,
}

impl TextList {
    pub fn push(&mut self, text: &str) {
        self.text.push_str(text);
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// The `index`th text; empty past the end.
    pub fn get(&self, index: usize) -> &str {
        let start = index.checked_sub(1).and_then(|i| self.ends.get(i)).copied();
        match (start, self.ends.get(index)) {
            (start, Some(&end)) => self
                .text
                .get(start.unwrap_or(0) as usize..end as usize)
                .unwrap_or(""),
            (_, None) => "",
        }
    }

    /// Without spare room, for keeping.
    fn finished(mut self) -> TextList {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        self
    }
}

/// The field an item's text goes to: code blocks (the parser keeps them fenced) apart.
fn body_field(item: &Item) -> usize {
    if item.marker() == Marker::Plain && item.markdown().starts_with("```") {
        CODE
    } else {
        BODY
    }
}

/// Sections analysed together on all cores before their merge into the index.
const ANALYSIS_BATCH: usize = 128;

/// One section analysed, apart from the others: its terms (ids local to it, in order of
/// first use) with their frequencies per field.
pub struct SectionTerms {
    /// Its terms (its own ids), its distinct surface words, its normalised title and the
    /// title's letters and digits (worked out here, on every core, rather than in the
    /// merge, which is on one): one list, two heap blocks, where two lists and two
    /// strings took six.
    words: TermList,
    /// How many of `words` are terms, then how many are surface words.
    terms: TermId,
    surfaces: TermId,
    entries: Vec<(TermId, [u8; FIELDS])>,
    lengths: [u16; FIELDS],
    chinese: bool,
}

impl SectionTerms {
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        (0..self.terms).map(|id| self.words.get(id))
    }

    /// Distinct surface words.
    pub fn surfaces(&self) -> impl Iterator<Item = &str> {
        (self.terms..self.terms + self.surfaces).map(|id| self.words.get(id))
    }

    fn title(&self) -> &str {
        self.words.get(self.terms + self.surfaces)
    }

    fn title_key(&self) -> &str {
        self.words.get(self.terms + self.surfaces + 1)
    }

    /// The analysis of `note.sections[section]` (nothing when there is no such section).
    /// `repeats` holds the analyses of the texts the section before shared with this one.
    pub fn of(analyzer: &Analyzer, note: &Note, section: usize, repeats: &mut Repeats) -> SectionTerms {
        LOCAL.with(|local| match local.try_borrow_mut() {
            Ok(mut local) => SectionTerms::of_with(analyzer, note, section, &mut local, repeats),
            Err(_) => SectionTerms::of_with(analyzer, note, section, &mut Local::default(), repeats),
        })
    }

    fn of_with(
        analyzer: &Analyzer,
        note: &Note,
        section: usize,
        local: &mut Local,
        repeats: &mut Repeats,
    ) -> SectionTerms {
        local.clear();
        let mut title = String::new();
        let mut chinese = false;
        if let Some(section) = note.sections.get(section) {
            chinese = is_chinese(
                std::iter::once(section.title.as_str())
                    .chain(section.points().depth_first().map(|item| item.plain())),
            );
            // Tags, title, category, then items: terms get local ids in this order.
            let Repeats { tags, path } = repeats;
            tags.text.clear();
            for tag in note.front.tags.iter().chain(&note.front.aliases) {
                if !tags.text.is_empty() {
                    tags.text.push(' ');
                }
                tags.text.push_str(tag);
            }
            local.add_repeated(analyzer, tags, TAGS);
            // A note's lead is named after the note, not by a heading of its own: its name
            // is the path's, below, as for every section of the note.
            if section.level > 0 {
                local.add(analyzer, &section.title, TITLE);
            }
            // The note's title heads every section's path: in a vault of many notes it is
            // what a question names first (`表格视图 行高`, `sync 冲突`).
            path.text.clear();
            path.text.push_str(note.title());
            for heading in &section.category {
                path.text.push(' ');
                path.text.push_str(heading);
            }
            local.add_repeated(analyzer, path, CATEGORY);
            for item in section
                .points()
                .depth_first()
                .chain(section.context().depth_first())
            {
                local.add(analyzer, item.plain(), body_field(&item));
            }
            title = normalize(&section.title);
        }
        let title = title.trim();
        let (entries, lengths) = index::count(&local.fields, &mut local.counts);
        let (terms, surfaces) = (local.terms.len() as TermId, local.surfaces.len() as TermId);
        // A huge section's terms are moved out rather than copied, and its other buffers
        // are not kept for good.
        let huge = local.terms.len() > KEPT_TERMS;
        let mut words = if huge {
            std::mem::take(&mut local.terms).into_list()
        } else {
            let (own, seen) = (local.terms.list(), local.surfaces.list());
            let mut words = TermList::default();
            words.reserve(
                own.bytes() + seen.bytes() + 2 * title.len(),
                own.len() + seen.len() + 2,
            );
            words.append(own);
            words
        };
        words.append(local.surfaces.list());
        words.push(title);
        words.push(&key(title));
        if huge {
            *local = Local::default();
        }
        SectionTerms {
            words,
            terms,
            surfaces,
            entries,
            lengths,
            chinese,
        }
    }
}

/// How much of a section's text [`is_chinese`] reads.
const LANGUAGE_SAMPLE: usize = 600;

/// Whether texts (a section's title, then its points) are Chinese rather than English:
/// Chinese characters at least a quarter as many as Latin letters (an English word takes
/// five letters or so, a Chinese one two characters), in the first [`LANGUAGE_SAMPLE`]
/// characters.
fn is_chinese<'t>(texts: impl Iterator<Item = &'t str>) -> bool {
    let (mut cjk, mut latin, mut read) = (0usize, 0usize, 0usize);
    // Plain loops: through `flat_map` and `take`, this was 4% of building an index.
    'texts: for text in texts {
        for c in text.chars() {
            if read == LANGUAGE_SAMPLE {
                break 'texts;
            }
            read += 1;
            if c.is_ascii() {
                latin += usize::from(c.is_ascii_alphabetic());
            } else if super::is_cjk(c) {
                cjk += 1;
            }
        }
    }
    cjk > 0 && cjk * 4 >= latin
}

/// A section with more distinct terms than this leaves no buffers behind.
const KEPT_TERMS: usize = 1 << 14;

thread_local! {
    /// The buffers of a section's analysis, reused by the next one on the thread.
    static LOCAL: std::cell::RefCell<Local> = std::cell::RefCell::default();
}

/// Analysis of one section: its own term ids and surface words, and its fields' terms.
#[derive(Default)]
struct Local {
    terms: Interner,
    surfaces: Interner,
    fields: [Vec<TermId>; FIELDS],
    counts: Vec<[u16; FIELDS]>,
}

impl Local {
    fn clear(&mut self) {
        self.terms.clear();
        self.surfaces.clear();
        self.fields.iter_mut().for_each(Vec::clear);
    }

    /// Analyses `text`, adding the ids of its terms to field `field`.
    fn add(&mut self, analyzer: &Analyzer, text: &str, field: usize) {
        analyzer.terms(text, &mut SectionSink { local: self, field });
    }

    /// [`Local::add`] for `repeated.text`: its terms are given again, not worked out
    /// again, when it is the text `repeated` last recorded.
    fn add_repeated(&mut self, analyzer: &Analyzer, repeated: &mut Repeated, field: usize) {
        let mut sink = SectionSink { local: self, field };
        if repeated.recorded.as_deref() == Some(repeated.text.as_str()) {
            repeated.replay(&mut sink);
            return;
        }
        repeated.recorded = None;
        repeated.words.clear();
        repeated.calls.clear();
        let mut recorder = Recorder {
            sink: &mut sink,
            words: &mut repeated.words,
            calls: &mut repeated.calls,
        };
        analyzer.terms(&repeated.text, &mut recorder);
        repeated.recorded = Some(repeated.text.clone());
    }
}

/// The texts a section shares with the one before it in its note, with their analyses:
/// a note's tags (and aliases) head each of its sections, its title and headings each
/// section's path. One per task of sections; [`Default`] is empty.
#[derive(Default)]
pub struct Repeats {
    tags: Repeated,
    path: Repeated,
}

/// A text, and what analysing it last gave.
#[derive(Default)]
pub struct Repeated {
    /// The text to analyse next.
    text: String,
    /// The text whose analysis `words` and `calls` hold.
    recorded: Option<String>,
    words: String,
    /// Per term or surface word given: where it ends in `words`, and whether it is a
    /// surface word.
    calls: Vec<(u32, bool)>,
}

impl Repeated {
    fn replay(&self, sink: &mut impl TermSink) {
        let mut start = 0;
        for &(end, surface) in &self.calls {
            let word = self.words.get(start..end as usize).unwrap_or("");
            if surface {
                sink.surface(word);
            } else {
                sink.term(word);
            }
            start = end as usize;
        }
    }
}

/// A sink that also writes down what it is given.
struct Recorder<'a, S> {
    sink: &'a mut S,
    words: &'a mut String,
    calls: &'a mut Vec<(u32, bool)>,
}

impl<S: TermSink> Recorder<'_, S> {
    fn record(&mut self, word: &str, surface: bool) {
        self.words.push_str(word);
        self.calls
            .push((u32::try_from(self.words.len()).unwrap_or(u32::MAX), surface));
    }
}

impl<S: TermSink> TermSink for Recorder<'_, S> {
    fn term(&mut self, term: &str) {
        self.record(term, false);
        self.sink.term(term);
    }

    fn surface(&mut self, word: &str) {
        self.record(word, true);
        self.sink.surface(word);
    }
}

/// A section's analysis taking one text's terms.
struct SectionSink<'a> {
    local: &'a mut Local,
    field: usize,
}

impl TermSink for SectionSink<'_> {
    fn term(&mut self, term: &str) {
        let id = self.local.terms.intern(term);
        if let Some(field) = self.local.fields.get_mut(self.field) {
            field.push(id);
        }
    }

    fn surface(&mut self, word: &str) {
        self.local.surfaces.intern(word);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Repeats, SectionTerms, is_chinese};
    use crate::notes::{Labels, Note, parse_note};
    use crate::search::analyze::Analyzer;
    use crate::search::related::Related;

    fn parsed(file: &str, text: &str) -> Note {
        parse_note(Path::new(file), text, &Labels::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn words<'a>(list: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        list.collect()
    }

    #[test]
    fn a_section_analysed_after_another_gets_what_it_would_alone() {
        let analyzer = Analyzer::new(
            &[vec!["rlhf".into(), "人类反馈强化学习".into()]],
            Related::default(),
        );
        let first = parsed(
            "a.md",
            "---\ntitle: 模型笔记 RLHF\ntags: [rlhf, 对齐]\naliases: [Alignment notes]\n---\n\n# 训练 方法\n\n\
             ## [Reward models](https://example.com/1)\n\n- ranking answers\n\n\
             ## [PPO 调优](https://example.com/2)\n\n- policy steps\n\n\
             # Evaluation\n\n## [Benchmarks](https://example.com/3)\n\n- held-out sets\n",
        );
        let second = parsed(
            "b.md",
            "---\ntitle: 模型笔记 RLHF\ntags: [chain of thought]\n---\n\n# 训练 方法\n\n\
             ## [Prompts](https://example.com/4)\n\n- step by step\n",
        );
        let mut repeats = Repeats::default();
        let mut compared = 0;
        for note in [&first, &second, &first] {
            for (s, _) in note.answerable() {
                let after = SectionTerms::of(&analyzer, note, s, &mut repeats);
                let alone = SectionTerms::of(&analyzer, note, s, &mut Repeats::default());
                assert_eq!(
                    words(after.terms()),
                    words(alone.terms()),
                    "{} section {s}",
                    note.path.display()
                );
                assert_eq!(words(after.surfaces()), words(alone.surfaces()));
                assert_eq!(after.entries, alone.entries);
                assert_eq!(after.lengths, alone.lengths);
                assert_eq!(
                    (after.title(), after.title_key()),
                    (alone.title(), alone.title_key())
                );
                compared += 1;
            }
        }
        assert_eq!(compared, 7);
        // The tags and path were analysed: a section's own words are not all it holds.
        let alone = SectionTerms::of(&analyzer, &second, 0, &mut Repeats::default());
        assert!(
            alone.terms().any(|t| t == "thought"),
            "{:?}",
            words(alone.terms())
        );
        assert!(alone.terms().any(|t| t == "训练"), "{:?}", words(alone.terms()));
    }

    #[test]
    fn a_section_is_chinese_by_its_share_of_chinese_characters() {
        assert!(is_chinese(
            ["将 Apple Notes 数据导入", "在 Obsidian 中打开"].into_iter()
        ));
        assert!(is_chinese(["RLHF 的作用是解锁能力"].into_iter()));
        assert!(!is_chinese(["Import Apple Notes data into Obsidian"].into_iter()));
        // A Chinese word quoted in an English text, and no text at all.
        assert!(!is_chinese(
            ["The Chinese word 笔记 means notes, as in note-taking apps"].into_iter()
        ));
        assert!(!is_chinese(std::iter::empty()));
        // Only the first 600 characters are read, across the texts: what comes after
        // them would turn each verdict.
        let (latin, chinese) = ("a".repeat(250), "中".repeat(1000));
        assert!(!is_chinese(
            [latin.as_str(), &latin, &"中".repeat(100), &chinese].into_iter()
        ));
        assert!(is_chinese(
            ["中".repeat(150).as_str(), &"a".repeat(450), &latin.repeat(40)].into_iter()
        ));
    }
}
