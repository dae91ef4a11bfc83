//! Structured inputs shared by the fuzz targets: markdown built from pieces that nest
//! (lists, quotes, links, emphasis, Obsidian syntax), repeated into deep or huge notes.
#![allow(dead_code)]

use arbitrary::Arbitrary;

/// Longest generated text, in bytes: big enough for 100,000 markers, small enough to run
/// many times a second.
pub const MAX_LEN: usize = 400_000;

#[derive(Arbitrary, Debug)]
pub enum Piece {
    Text(String),
    Word(u8),
    Bullet,
    Star,
    Plus,
    Number(u16),
    Quote,
    Indent(u8),
    Newline,
    BlankLine,
    Heading(u8),
    Fence,
    Link,
    LinkEnd,
    Emphasis,
    Code,
    Html,
    TableRow,
    Label,
    Wikilink(bool),
    Embed,
    Callout(bool),
    Comment,
    BlockId,
    Tag,
    FrontMatter,
}

const WORDS: &[&str] = &[
    "RLHF", "思维链", "code-davinci-002", "deep", "point", "chatgpt", "@everyone", "😀", "\u{202e}",
    "\u{0}", "GPT-3.5", "背景", "核心观点", "Core points:", "ＲＬＨＦ", "a_(b)", "\\", "|", "---",
];

/// A run of pieces written `repeat` times: `- - - …` or `> > …` on one line, or many lines.
#[derive(Arbitrary, Debug)]
pub struct Run {
    pub pieces: Vec<Piece>,
    pub repeat: u16,
    /// Repeat up to 65,535 × 4 times.
    pub huge: bool,
}

#[derive(Arbitrary, Debug)]
pub enum Note {
    Raw(String),
    Runs(Vec<Run>),
}

impl Piece {
    fn write(&self, out: &mut String) {
        match self {
            Piece::Text(text) => out.push_str(text),
            Piece::Word(i) => out.push_str(WORDS[*i as usize % WORDS.len()]),
            Piece::Bullet => out.push_str("- "),
            Piece::Star => out.push_str("* "),
            Piece::Plus => out.push_str("+ "),
            Piece::Number(n) => out.push_str(&format!("{n}. ")),
            Piece::Quote => out.push_str("> "),
            Piece::Indent(n) => out.push_str(&" ".repeat(*n as usize % 9)),
            Piece::Newline => out.push('\n'),
            Piece::BlankLine => out.push_str("\n\n"),
            Piece::Heading(n) => {
                out.push('\n');
                out.push_str(&"#".repeat(1 + *n as usize % 7));
                out.push(' ');
            }
            Piece::Fence => out.push_str("\n```\n"),
            Piece::Link => out.push_str("[l"),
            Piece::LinkEnd => out.push_str("](https://example.com/a b)"),
            Piece::Emphasis => out.push_str("*_"),
            Piece::Code => out.push('`'),
            Piece::Html => out.push_str("<div>"),
            Piece::TableRow => out.push_str("\n| a | b |\n|---|---|\n| c | d |\n"),
            Piece::Label => out.push_str("- Core points:\n  - "),
            Piece::Wikilink(open) => out.push_str(if *open { "[[Note#Head|text" } else { "]]" }),
            Piece::Embed => out.push_str("![[image.png#x]]"),
            Piece::Callout(fold) => out.push_str(if *fold { "> [!info]- Title\n> " } else { "> [!note]" }),
            Piece::Comment => out.push_str("%%"),
            Piece::BlockId => out.push_str(" ^b15695\n"),
            Piece::Tag => out.push_str(" #tag/sub "),
            Piece::FrontMatter => out.push_str("---\ntitle: T\naliases: [a]\n"),
        }
    }
}

impl Note {
    pub fn text(&self) -> String {
        match self {
            Note::Raw(text) => text.clone(),
            Note::Runs(runs) => {
                let mut out = String::new();
                for run in runs {
                    let mut unit = String::new();
                    for piece in &run.pieces {
                        piece.write(&mut unit);
                    }
                    let times = if run.huge { run.repeat as usize * 4 } else { run.repeat as usize % 64 };
                    for _ in 0..times.max(1) {
                        if out.len() + unit.len() > MAX_LEN {
                            return out;
                        }
                        out.push_str(&unit);
                    }
                }
                out
            }
        }
    }
}

/// A query: typed text, or a unit repeated into a huge one.
#[derive(Arbitrary, Debug)]
pub enum Query {
    Typed(String),
    Words(Vec<u8>),
    Repeated { unit: String, times: u16 },
}

impl Query {
    pub fn text(&self) -> String {
        match self {
            Query::Typed(text) => text.clone(),
            Query::Words(words) => words
                .iter()
                .map(|i| WORDS[*i as usize % WORDS.len()])
                .collect::<Vec<_>>()
                .join(" "),
            Query::Repeated { unit, times } => {
                let times = (*times as usize).min(MAX_LEN / unit.len().max(1));
                unit.repeat(times)
            }
        }
    }
}

/// Notes nested far deeper than the parser keeps, for the engines to hold in their index.
pub fn deep_notes() -> Vec<(&'static str, String)> {
    vec![
        ("deep-list", format!("# Deep list\n\n{}deep point\n", "- * ".repeat(25_000))),
        ("deep-quote", format!("# Deep quote\n\n{}deep point\n", "> - ".repeat(10_000))),
        (
            "deep-indent",
            format!(
                "# Deep indent\n\n{}",
                (0..200).map(|i| format!("{}- level {i} point\n", "  ".repeat(i))).collect::<String>()
            ),
        ),
    ]
}
