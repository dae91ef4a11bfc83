//! What `ask` and `sources` print as text, and [`Printable`], the writer every text
//! subcommand prints through.

use std::io::{self, Write};

use crate::reply::{Answer, AnswerHit, Source};
use crate::search::{Explanation, How};

/// `ask`'s text for `answer` to `query` (in `topic`, when one was given).
pub(super) fn print_answer(
    out: &mut impl Write,
    answer: &Answer,
    query: &str,
    topic: Option<&str>,
) -> io::Result<()> {
    if let Some(name) = &answer.unmentioned {
        let place = topic.map_or_else(|| "the notes".to_string(), |topic| format!("/{topic}"));
        writeln!(out, "“{name}” is not in {place}.")?;
    }
    if answer.hits.is_empty() && !answer.closest.is_empty() {
        // The bot offers these privately, each with a button to post it.
        writeln!(out, "No section clearly matches “{query}”. The closest ones:")?;
        for section in &answer.closest {
            writeln!(out, "  /{} {}", section.topic, section.title)?;
        }
        return Ok(());
    }
    if answer.hits.is_empty() {
        // Not an error: the bot answers this too, just privately.
        writeln!(out, "No section matches “{query}”.")?;
        if !answer.suggestions.is_empty() {
            writeln!(out, "Did you mean:")?;
            for suggestion in &answer.suggestions {
                writeln!(out, "  /{} {}", suggestion.topic, suggestion.title)?;
            }
        }
        return Ok(());
    }
    for (n, hit) in answer.hits.iter().enumerate() {
        if n > 0 {
            writeln!(out, "\n{}", "─".repeat(40))?;
        }
        print_hit(out, hit)?;
    }
    Ok(())
}

/// `ask --explain`'s text: the words, what each matches, and the closest sections with
/// the words they lack.
pub(super) fn print_explanation(out: &mut impl Write, explanation: &Explanation) -> io::Result<()> {
    writeln!(out, "Read as: {}", explanation.read_as)?;
    if explanation.words.is_empty() {
        writeln!(out, "It asks nothing the search reads (only filler words).")?;
        return Ok(());
    }
    writeln!(
        out,
        "Words, and what each matches in the notes (term: sections holding it):"
    )?;
    // Chinese characters take two columns in a terminal.
    let columns = |text: &str| -> usize {
        text.chars()
            .map(|c| if crate::search::is_cjk(c) { 2 } else { 1 })
            .sum()
    };
    let width = (explanation.words.iter())
        .map(|w| columns(&w.text))
        .max()
        .unwrap_or(0);
    for (at, word) in explanation.words.iter().enumerate() {
        // A lone Chinese character matches every bigram holding it: the first few say enough.
        const SHOWN_TERMS: usize = 8;
        let mut terms: Vec<String> = (word.terms.iter().take(SHOWN_TERMS))
            .map(|t| match t.how {
                How::Exact => format!("{}: {}", t.term, t.sections),
                how => format!("{}: {} ({})", t.term, t.sections, how.as_str()),
            })
            .collect();
        if word.terms.len() > SHOWN_TERMS {
            terms.push(format!("… {} more", word.terms.len() - SHOWN_TERMS));
        }
        let terms = if terms.is_empty() {
            "nothing in the notes".to_string()
        } else {
            terms.join(", ")
        };
        let mut notes = Vec::new();
        if word.context {
            notes.push("context, weighs half");
        }
        if explanation.subject == Some(at) {
            notes.push("the subject: an answer must hold it");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", notes.join("; "))
        };
        let text = &word.text;
        let pad = width.saturating_sub(columns(text));
        writeln!(out, "  {text}{}  {terms}{notes}", " ".repeat(pad))?;
    }
    if explanation.sections.is_empty() {
        writeln!(out, "No section holds any of them.")?;
        return Ok(());
    }
    writeln!(
        out,
        "Sections (share of the question matched; an answer needs over {:.0}%; [found]: the search returns it):",
        explanation.min_coverage * 100.0
    )?;
    for (n, section) in explanation.sections.iter().enumerate() {
        let lacks: Vec<&str> = (explanation.words.iter().zip(&section.holds))
            .filter(|(_, holds)| !**holds)
            .map(|(word, _)| word.text.as_str())
            .collect();
        let lacks = if lacks.is_empty() {
            String::new()
        } else {
            format!("  lacks: {}", lacks.join(", "))
        };
        let found = if section.found { "  [found]" } else { "" };
        writeln!(
            out,
            "  {}. /{} {}  {:.0}%{found}{lacks}",
            n + 1,
            section.topic,
            section.title,
            section.coverage * 100.0
        )?;
    }
    Ok(())
}

/// One hit as text: its title, link and where it is, its points, then its links.
fn print_hit(out: &mut impl Write, hit: &AnswerHit) -> io::Result<()> {
    writeln!(out, "{}", hit.title)?;
    if let Some(url) = &hit.url {
        writeln!(out, "{url}")?;
    }
    let mut about = vec![format!("/{}", hit.topic)];
    if !hit.category.is_empty() {
        about.push(hit.category.clone());
    }
    about.push(format!("page 1/{}", hit.pages));
    about.push(format!("matched: {}", hit.reason.as_str()));
    writeln!(out, "{}\n", about.join(" · "))?;
    writeln!(out, "{}", hit.text)?;
    if !hit.links.is_empty() {
        writeln!(out, "\nLinks:")?;
        for link in &hit.links {
            writeln!(out, "  {} <{}>", link.text, link.url)?;
        }
    }
    Ok(())
}

/// `sources`' text: a heading for each topic and category, each source's title and link below.
pub(super) fn print_sources(out: &mut impl Write, sources: &[Source]) -> io::Result<()> {
    let mut group = None;
    for source in sources {
        let this = (&source.topic, &source.category);
        if group != Some(this) {
            let gap = if group.is_some() { "\n" } else { "" };
            writeln!(out, "{gap}/{} {}", source.topic, source.category)?;
            group = Some(this);
        }
        writeln!(out, "  {}\n    {}", source.title, source.url)?;
    }
    Ok(())
}

/// Text output with what a terminal would act on rather than show escaped as `\u{…}`
/// (newline and tab aside): C0 and C1 controls, DEL and bidi controls (see
/// `text::is_unprintable`), so a note cannot retitle the window, clear the screen or
/// reorder a line. Written a line at a time, so each character is whole when it is looked
/// at. JSON output goes around it: serde_json escapes the C0 controls, and the rest are
/// data. Text for stderr or a log, which go around it, and a value that must stay on its
/// line (a file name, a query) take `printable`, which escapes line breaks and tabs too.
pub struct Printable<W: Write> {
    inner: W,
    /// What was written since the last newline.
    line: Vec<u8>,
}

impl<W: Write> Printable<W> {
    pub fn new(inner: W) -> Printable<W> {
        Printable {
            inner,
            line: Vec::new(),
        }
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(bytes);
        self.inner
            .write_all(crate::text::printable_lines(&text).as_bytes())
    }
}

impl<W: Write> Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        if let Some(end) = self.line.iter().rposition(|&b| b == b'\n') {
            let rest = self.line.split_off(end + 1);
            let lines = std::mem::replace(&mut self.line, rest);
            self.emit(&lines)?;
        }
        Ok(buf.len())
    }

    /// Writes what is held but an unfinished character at the end.
    fn flush(&mut self) -> io::Result<()> {
        let whole = match std::str::from_utf8(&self.line) {
            Ok(_) => self.line.len(),
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            Err(_) => self.line.len(),
        };
        let rest = self.line.split_off(whole);
        let held = std::mem::replace(&mut self.line, rest);
        self.emit(&held)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Printable<W> {
    fn drop(&mut self) {
        let held = std::mem::take(&mut self.line);
        let _ = self.emit(&held);
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::Printable;

    /// A character split between writes is looked at whole; what is held is written at
    /// the end.
    #[test]
    fn printable_escapes_controls_whole_characters_across_writes() {
        let mut bytes = Vec::new();
        {
            let mut out = Printable::new(&mut bytes);
            let text = "a\u{85}b \u{202e}c\u{1b}[2J\td\nü end".as_bytes();
            for chunk in text.chunks(1) {
                assert!(out.write_all(chunk).is_ok());
            }
        }
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "a\\u{85}b \\u{202e}c\\u{1b}[2J\td\nü end"
        );
    }
}
