//! What a reader sees of HTML written in a note (`<table>` of naming rules, `<p>line</p>`,
//! `<img src=… alt=…>`): its text, its table's rows and cells, its images and frames as
//! links. Not a browser: unknown tags are left out and their text kept; unclosed or stray
//! tags end nothing they did not open; a `<` that starts no tag is text.

use std::borrow::Cow;

/// One thing an HTML block shows, in order.
#[derive(Debug, PartialEq)]
pub(super) enum Html<'a> {
    /// Text, entities decoded and runs of whitespace made one space, as a browser shows it.
    Text(Cow<'a, str>),
    /// A line ends (`<br>`, `<p>`, `</div>`, `<h1>`, `<li>`…).
    Break,
    /// `<table>` begins: a line ends, and the rows after it are another table's.
    TableStart,
    /// `</table>`: a line ends, and the rows after it are another table's.
    TableEnd,
    RowStart,
    RowEnd,
    /// A cell begins: a header's (`<th>`) or a value's.
    CellStart {
        header: bool,
    },
    CellEnd,
    /// `<a href>`'s text begins.
    Link(Cow<'a, str>),
    LinkEnd,
    /// `<ul>` (`ordered: false`) or `<ol>` begins.
    ListStart {
        ordered: bool,
    },
    ListEnd,
    /// `<li>` begins.
    ItemStart,
    ItemEnd,
    /// Emphasis (`<b>`, `<em>`, `<s>`) begins or ends: its markdown mark (`**`).
    Mark {
        mark: &'static str,
        closing: bool,
    },
    /// `<img src alt>` or `<iframe src title>`: shown by its address, `text` for a name.
    Embed {
        url: Cow<'a, str>,
        text: Cow<'a, str>,
    },
    /// `<pre>` begins: text up to [`Html::PreEnd`] comes as written (a code block).
    PreStart,
    PreEnd,
    /// The language of `<code class="language-rust">` in a `<pre>`.
    Language(&'a str),
}

/// Elements whose content is never shown; the first three in a paragraph too.
const HIDDEN: [&str; 5] = ["script", "style", "template", "head", "noscript"];

/// Elements that begin and end a line of their own.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "p",
    "section",
    "summary",
    "table",
];

/// The pieces of `html`, in order.
pub(super) fn read<'a>(html: &'a str) -> Vec<Html<'a>> {
    let mut out = Vec::new();
    let mut rest = html;
    // Inside an element whose content is hidden: the tag that ends it.
    let mut hidden: Option<&str> = None;
    // `<pre>` elements open: their text is as written.
    let mut pre = 0usize;
    let shown = |source: &'a str, pre: usize, out: &mut Vec<Html<'a>>| match pre {
        0 => text(source, out),
        _ => preformatted(source, out),
    };
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            if hidden.is_none() {
                shown(rest, pre, &mut out);
            }
            break;
        };
        if hidden.is_none() {
            shown(&rest[..open], pre, &mut out);
        }
        let at = &rest[open..];
        if let Some(after) = at.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if at.starts_with("<!") || at.starts_with("<?") {
            rest = at.find('>').map_or("", |end| &at[end + 1..]);
            continue;
        }
        let Some(tag) = Tag::parse(at) else {
            // A `<` that starts no tag (`a < b`) is text.
            if hidden.is_none() {
                shown("<", pre, &mut out);
            }
            rest = &at[1..];
            continue;
        };
        rest = &at[tag.len..];
        let name = tag.name.to_ascii_lowercase();
        if let Some(ends) = hidden {
            if tag.closing && name == ends {
                hidden = None;
            }
            continue;
        }
        if let Some(&element) = HIDDEN.iter().find(|&&e| e == name) {
            if !tag.closing && !tag.self_closing {
                hidden = Some(element);
            }
            continue;
        }
        match (name.as_str(), tag.closing) {
            ("pre", false) => {
                pre += 1;
                if pre == 1 {
                    out.push(Html::PreStart);
                }
            }
            ("pre", true) if pre > 0 => {
                pre -= 1;
                if pre == 0 {
                    out.push(Html::PreEnd);
                }
            }
            ("code", false) if pre > 0 => {
                let classes = tag
                    .attributes
                    .split(|c: char| c.is_whitespace() || c == '"' || c == '\'');
                let language = classes
                    .filter_map(|class| class.strip_prefix("language-").or(class.strip_prefix("lang-")));
                out.extend(language.take(1).map(Html::Language));
            }
            _ => out.extend(element(&tag, &name)),
        }
    }
    if pre > 0 {
        out.push(Html::PreEnd);
    }
    out
}

/// Text in a `<pre>`, as written: entities decoded, whitespace kept.
fn preformatted<'a>(source: &'a str, out: &mut Vec<Html<'a>>) {
    if source.is_empty() {
        return;
    }
    let decoded = decode(source);
    match out.last_mut() {
        Some(Html::Text(before)) => before.to_mut().push_str(&decoded),
        _ => out.push(Html::Text(decoded)),
    }
}

/// For a tag written alone (markdown gives a paragraph's tags one by one): the element it
/// opens whose content is never shown (`<script>`: `true`), or closes (`</script>`: `false`).
pub(super) fn hides(tag: &str) -> Option<(&'static str, bool)> {
    let tag = Tag::parse(tag)?;
    // A browser shows the text after a `<head>` or `<noscript>` in a page's body.
    let element = HIDDEN[..3].iter().find(|e| tag.name.eq_ignore_ascii_case(e))?;
    match (tag.closing, tag.self_closing) {
        (true, _) => Some((element, false)),
        (false, false) => Some((element, true)),
        (false, true) => None,
    }
}

/// What a tag shows, if anything.
fn element<'a>(tag: &Tag<'a>, name: &str) -> Option<Html<'a>> {
    Some(match (name, tag.closing) {
        ("table", false) => Html::TableStart,
        ("table", true) => Html::TableEnd,
        ("tr", false) => Html::RowStart,
        ("tr", true) => Html::RowEnd,
        ("td" | "th", false) => Html::CellStart { header: name == "th" },
        ("td" | "th", true) => Html::CellEnd,
        ("a", false) => Html::Link(tag.attribute("href")?),
        ("a", true) => Html::LinkEnd,
        ("ul" | "ol", false) => Html::ListStart {
            ordered: name == "ol",
        },
        ("ul" | "ol", true) => Html::ListEnd,
        ("li", false) => Html::ItemStart,
        ("li", true) => Html::ItemEnd,
        ("b" | "strong", closing) => Html::Mark { mark: "**", closing },
        ("i" | "em", closing) => Html::Mark { mark: "*", closing },
        ("s" | "del" | "strike", closing) => Html::Mark { mark: "~~", closing },
        ("img", false) => Html::Embed {
            url: tag.attribute("src")?,
            text: tag.attribute("alt").unwrap_or_default(),
        },
        ("iframe", false) => Html::Embed {
            url: tag.attribute("src")?,
            text: tag.attribute("title").unwrap_or_default(),
        },
        _ if BLOCKS.contains(&name) => Html::Break,
        _ => return None,
    })
}

/// Text between tags, as shown: nothing of whitespace alone at a line's start.
fn text<'a>(source: &'a str, out: &mut Vec<Html<'a>>) {
    if source.is_empty() {
        return;
    }
    let decoded = decode(source);
    let shown = if decoded.split_whitespace().count() == 1
        && !decoded.starts_with(char::is_whitespace)
        && !decoded.ends_with(char::is_whitespace)
    {
        decoded
    } else {
        let mut joined = String::with_capacity(decoded.len());
        if decoded.starts_with(char::is_whitespace) {
            joined.push(' ');
        }
        for (n, word) in decoded.split_whitespace().enumerate() {
            if n > 0 {
                joined.push(' ');
            }
            joined.push_str(word);
        }
        if decoded.ends_with(char::is_whitespace) && !joined.ends_with(' ') {
            joined.push(' ');
        }
        Cow::Owned(joined)
    };
    match out.last_mut() {
        // Whitespace where no line or cell has begun is only the source's layout.
        None
        | Some(Html::Break | Html::TableStart | Html::TableEnd | Html::RowStart | Html::RowEnd)
        | Some(Html::CellStart { .. } | Html::CellEnd)
        | Some(Html::ListStart { .. } | Html::ListEnd | Html::ItemStart | Html::ItemEnd)
            if shown.trim().is_empty() => {}
        Some(Html::Text(before)) => {
            let shown = if before.ends_with(' ') {
                shown.trim_start()
            } else {
                &shown
            };
            before.to_mut().push_str(shown);
        }
        _ => out.push(Html::Text(shown)),
    }
}

/// `source` with its character references decoded (`&amp;`, `&lt;`, `&#39;`, `&#x4e2d;`);
/// a name not known here (the common ones are) stays as written.
fn decode(source: &str) -> Cow<'_, str> {
    if !source.contains('&') {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // Looked for near the `&` only: a block of `&` alone is read in one pass.
        let reference = rest.get(1..).and_then(|after| {
            let end = after.bytes().take(MAX_REFERENCE + 1).position(|b| b == b';')?;
            Some((reference(&after[..end])?, end + 2))
        });
        match reference {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Longer names are no character reference.
const MAX_REFERENCE: usize = 32;

fn reference(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        // As HTML does, a reference to nothing printable is the replacement character.
        return Some(char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{FFFD}'));
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "middot" => '·',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "deg" => '°',
        "bull" => '•',
        "laquo" => '«',
        "raquo" => '»',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "harr" => '↔',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "sect" => '§',
        "para" => '¶',
        "ensp" | "emsp" | "thinsp" => ' ',
        "hearts" => '♥',
        "check" => '✓',
        _ => return None,
    })
}

/// A tag as written: `<name attributes>`, `</name>` or `<name/>`.
struct Tag<'a> {
    name: &'a str,
    closing: bool,
    self_closing: bool,
    attributes: &'a str,
    /// Bytes of the tag, `<` to `>`.
    len: usize,
}

impl<'a> Tag<'a> {
    /// The tag `source` starts with, if it starts with one.
    fn parse(source: &'a str) -> Option<Tag<'a>> {
        let after = source.strip_prefix('<')?;
        let (closing, after) = match after.strip_prefix('/') {
            Some(after) => (true, after),
            None => (false, after),
        };
        if !after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let tail = &after[name_len..];
        if !tail.starts_with(|c: char| c.is_whitespace() || c == '/' || c == '>') {
            return None;
        }
        // The tag ends at the first `>` outside a quoted value (a quote opens one only
        // after `=`: `title=it's` holds an apostrophe). A `<` outside one means this `<`
        // began no tag: each `<` is read up to the next, so a broken block of a million
        // `<a ` is read in one pass, not in its square.
        let mut quote = None;
        let mut value_starts = false;
        let mut end = None;
        for (at, c) in tail.char_indices() {
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (Some(_), _) => continue,
                (None, '>') => {
                    end = Some(at);
                    break;
                }
                (None, '<') => return None,
                (None, '"' | '\'') if value_starts => {
                    quote = Some(c);
                    continue;
                }
                (None, _) => {}
            }
            if !c.is_whitespace() {
                value_starts = c == '=';
            }
        }
        let end = end?;
        let inside = &tail[..end];
        let self_closing = inside.trim_end().ends_with('/');
        Some(Tag {
            name,
            closing,
            self_closing,
            attributes: inside.trim_end().trim_end_matches('/'),
            len: source.len() - tail.len() + end + 1,
        })
    }

    /// The value of attribute `wanted`, decoded; none when it is empty.
    fn attribute(&self, wanted: &str) -> Option<Cow<'a, str>> {
        let mut rest = self.attributes.trim_start();
        while !rest.is_empty() {
            let name_end = rest
                .find(|c: char| c.is_whitespace() || c == '=')
                .unwrap_or(rest.len());
            let name = &rest[..name_end];
            rest = rest[name_end..].trim_start();
            let value = match rest.strip_prefix('=') {
                Some(after) => {
                    let after = after.trim_start();
                    let (value, next) = match after.chars().next() {
                        Some(q @ ('"' | '\'')) => {
                            let inner = &after[1..];
                            let end = inner.find(q).unwrap_or(inner.len());
                            (&inner[..end], inner.get(end + 1..).unwrap_or_default())
                        }
                        _ => {
                            let end = after.find(char::is_whitespace).unwrap_or(after.len());
                            (&after[..end], &after[end..])
                        }
                    };
                    rest = next.trim_start();
                    value
                }
                None => "",
            };
            if name.eq_ignore_ascii_case(wanted) {
                let value = value.trim();
                return (!value.is_empty()).then(|| decode(value));
            }
            if name.is_empty() {
                // Nothing read: a stray `=` or quote; the rest is no attribute.
                break;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(html: &str) -> String {
        read(html)
            .into_iter()
            .map(|piece| match piece {
                Html::Text(text) => format!("[{text}]"),
                Html::Break => "/".into(),
                Html::TableStart => "<table>".into(),
                Html::TableEnd => "</table>".into(),
                Html::RowStart => "<tr>".into(),
                Html::RowEnd => "</tr>".into(),
                Html::CellStart { header: false } => "<td>".into(),
                Html::CellStart { header: true } => "<th>".into(),
                Html::CellEnd => "</td>".into(),
                Html::Link(url) => format!("<a {url}>"),
                Html::LinkEnd => "</a>".into(),
                Html::Embed { url, text } => format!("<embed {url} {text}>"),
                Html::PreStart => "<pre>".into(),
                Html::PreEnd => "</pre>".into(),
                Html::Language(language) => format!("<lang {language}>"),
                Html::Mark { mark, closing } => format!("{}{mark}", if closing { "/" } else { "" }),
                Html::ListStart { ordered: false } => "<ul>".into(),
                Html::ListStart { ordered: true } => "<ol>".into(),
                Html::ListEnd => "</ul>".into(),
                Html::ItemStart => "<li>".into(),
                Html::ItemEnd => "</li>".into(),
            })
            .collect()
    }

    #[test]
    fn a_table_is_rows_of_cells_of_text() {
        let html = "<table>\n  <tr>\n    <th>Name</th><th>Rule</th>\n  </tr>\n  <tr>\n    <td>BOLTZMANN</td>\n    <td>Upper &amp; <b>snake</b> case</td>\n  </tr>\n</table>\n";
        assert_eq!(
            shown(html),
            "<table><tr><th>[Name]</td><th>[Rule]</td></tr><tr><td>[BOLTZMANN]</td><td>[Upper & ]**[snake]/**[ case]</td></tr></table>"
        );
    }

    #[test]
    fn hidden_elements_comments_and_declarations_show_nothing() {
        assert_eq!(
            shown("<!DOCTYPE html><style>p { x: <y> }</style><!-- a -->seen<script>if (a < b) {}</script>"),
            "[seen]"
        );
        // An unclosed hidden element hides the rest, as a browser does.
        assert_eq!(shown("a<style>b"), "[a]");
    }

    #[test]
    fn links_images_and_frames_keep_their_addresses() {
        assert_eq!(
            shown(
                r#"<a href="https://a.org/?x=1&amp;y=2">A</a><img alt='B' src=https://b.org/i.png style="a>b"><iframe src="https://c.org"></iframe><a name="x">no href</a>"#
            ),
            "<a https://a.org/?x=1&y=2>[A]</a><embed https://b.org/i.png B><embed https://c.org >[no href]</a>"
        );
    }

    #[test]
    fn what_is_no_tag_is_text() {
        assert_eq!(shown("a < b and <3 and <a"), "[a < b and <3 and <a]");
        assert_eq!(
            shown("x &unknown; &#20013; &#x1F600; &#0; &"),
            "[x &unknown; 中 😀 \u{FFFD} &]"
        );
        assert_eq!(shown("a <span> c </span> d"), "[a c d]");
        assert_eq!(
            shown("x &rarr; &times; &euro; &#99999999999;"),
            "[x → × € &#99999999999;]"
        );
        // A quote opens a value only after `=`: an unquoted value's `'` is the value's.
        assert_eq!(
            shown("<p>Alpha <span title=it's>beta</span> gamma.</p><p>Don't <i a=\"x'y\">stop</i></p>"),
            "/[Alpha beta gamma.]//[Don't ]*[stop]/*/"
        );
    }

    /// Blocks broken so that each `<` or `&` could look far ahead are read in one pass (300
    /// KB of `<a ` took 13 s optimised, read in its square).
    #[test]
    fn broken_blocks_are_read_in_one_pass() {
        let blocks = [
            format!("<div>{}", "<a ".repeat(100_000)),
            format!("<div>{}>", "<a ".repeat(100_000)),
            format!("<div>{}", "<a \"".repeat(75_000)),
            format!("<div>{}", "<a x=\"".repeat(50_000)),
            format!("<script>{}", "<a ".repeat(100_000)),
            format!("<div>{}", "&".repeat(300_000)),
            format!("<div>{}", "&abc".repeat(75_000)),
        ];
        for block in blocks {
            let started = std::time::Instant::now();
            let pieces = read(&block).len();
            let took = started.elapsed();
            assert!(
                took < std::time::Duration::from_secs(2),
                "{:.20}…: {took:?}, {pieces} pieces",
                block
            );
        }
    }

    /// Pieces sources are made of: tags, broken tags, references, text and whitespace.
    const TOKENS: &[&str] = &[
        "<",
        ">",
        "/",
        "\"",
        "'",
        "=",
        "&",
        ";",
        "#x",
        "&amp;",
        "&#20013;",
        "a",
        "td",
        " ",
        " ",
        "\n",
        "\u{a0}",
        "中",
        "<b>",
        "</b>",
        "<tr>",
        "<td>",
        "</td>",
        "<p>",
        "<br/>",
        "<a href=\"x\">",
        "</a>",
        "<img src=",
        "<style>",
        "</style>",
        "<!--",
        "-->",
        "<pre>",
        "</pre>",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        /// Any source, however broken: read without a panic, its text one space apart (but
        /// a `<pre>`'s), every `<pre>` ended.
        #[test]
        fn any_source_reads_to_text_one_space_apart(
            tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..40),
        ) {
            let mut pre = false;
            for piece in read(&tokens.concat()) {
                match piece {
                    Html::PreStart => pre = true,
                    Html::PreEnd => pre = false,
                    // A `<pre>`'s text is as written.
                    Html::Text(text) if !pre => {
                        proptest::prop_assert!(!text.contains("  ") && !text.contains('\n'), "{text:?}");
                    }
                    _ => {}
                }
            }
            proptest::prop_assert!(!pre, "a <pre> left open");
        }
    }

    #[test]
    fn pre_keeps_its_text_as_written() {
        assert_eq!(
            shown("<pre><code class=\"language-js x\">a  &lt;\n b</code></pre> after  it"),
            "<pre><lang js>[a  <\n b]</pre>[ after it]"
        );
        // One never closed ends with the block.
        assert_eq!(shown("<pre>x\n y"), "<pre>[x\n y]</pre>");
    }

    #[test]
    fn blocks_break_lines_and_whitespace_is_one_space() {
        assert_eq!(
            shown("<p>line\n   five</p>\n<p>line six</p><h1>Heading</h1>a<br/>b"),
            "/[line five]//[line six]//[Heading]/[a]/[b]"
        );
    }
}
