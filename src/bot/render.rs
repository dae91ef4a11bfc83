//! Reply → Discord message: embed, page buttons, other-matches menu, delete and vote buttons.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponseMessage, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption,
    ReactionType,
};

use super::custom_id::{self, Action, Listing, SectionPage, SectionVote};
use super::i18n::Lang;
use crate::feedback::Rated;
use crate::gaps::Gap;
use crate::notes::Link;
use crate::notes::markdown::escape_into;
use crate::reply::{Page, Reply, discord_len, limits, truncate};
use crate::search::{ItemPath, MatchReason};

/// Another section offered in the menu under a reply.
#[derive(Debug, Clone)]
pub struct Other {
    pub topic: String,
    pub section: u64,
    pub title: String,
    /// Its headings, else its first words ([`crate::notes::Section::told_apart_by`]).
    pub description: String,
    /// How it matched the query: shown when it is picked.
    pub reason: MatchReason,
}

/// A message that pings no one, whatever the notes or the query contain.
pub fn message() -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new().allowed_mentions(CreateAllowedMentions::new())
}

/// A private one-off message.
pub fn ephemeral(text: &str) -> CreateInteractionResponseMessage {
    message()
        .content(truncate(text, limits::MESSAGE_CONTENT))
        .ephemeral(true)
}

/// Text as markdown that shows it as it is.
pub fn escaped(text: &str) -> String {
    let mut out = String::new();
    escape_into(&mut out, text);
    out
}

/// Escapes user text shown back and cuts it short.
pub fn quote(text: &str) -> String {
    let mut out = String::new();
    escape_into(&mut out, &truncate(text, 100));
    out
}

/// An embed's link: at most this long, as sent.
const MAX_URL: usize = 2000;

/// An embed URL must be a plain http(s) URL with a host or Discord rejects the whole
/// message (`https://`, `https://exa<mple.com/` are links a note may hold). It is sent as
/// the URL parser writes it, in ASCII: the host in punycode, other characters beyond ASCII
/// percent-encoded (`http://例子.测试/路径` → `http://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84`).
fn embed_url(url: &str) -> Option<String> {
    let after_scheme = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    // A URL parser reads `https:///path` as the host `path`; the note meant none.
    let plain = after_scheme.is_some_and(|rest| !rest.starts_with(['/', '\\']))
        // Not parsed at all when twice too long as written (a heading's link may be megabytes).
        && url.len() <= 2 * MAX_URL
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    let parsed = plain.then(|| url::Url::parse(url).ok()).flatten()?;
    let has_host = parsed.host_str().is_some_and(|host| !host.is_empty());
    (has_host && parsed.as_str().len() <= MAX_URL).then(|| parsed.into())
}

/// `/gaps`' message: the most asked questions the notes did not answer, each with its words
/// the notes never use (`lacking`), then the worst-rated answers with what drew a 👎; within
/// one message, the gaps taking the room the ratings leave. `command_of` is how members ask
/// a topic, as markdown.
pub fn gaps_report(
    top: &[Gap],
    worst: &[Rated],
    lacking: impl Fn(&Gap) -> Vec<String>,
    command_of: impl Fn(&str) -> String,
    lang: Lang,
) -> String {
    // A gap line stays short (at most this many lacking words, each cut to this many
    // characters), so twenty of them and the worst-rated answers fit one message.
    const LACKING_SHOWN: usize = 6;
    const LACKING_CHARS: usize = 30;
    let mut rated_text = String::new();
    if !worst.is_empty() {
        rated_text = format!("**{}**", lang.worst_rated_title());
    }
    for rated in worst {
        let line = format!(
            "\n👎 {} · 👍 {} · {} · {}",
            rated.down,
            rated.up,
            command_of(&rated.topic),
            quote(&rated.title)
        );
        rated_text.push_str(&line);
        let asked: Vec<String> = rated
            .queries
            .iter()
            .take(3)
            .map(|(query, n)| format!("“{}” ×{n}", quote(query)))
            .collect();
        if !asked.is_empty() {
            rated_text.push_str(" ← ");
            rated_text.push_str(&asked.join(", "));
        }
    }
    let mut text = String::new();
    if !top.is_empty() {
        text = format!("**{}**", lang.gaps_title());
    }
    let more = lang.gaps_more(top.len());
    let room = (limits::MESSAGE_CONTENT).saturating_sub(discord_len(&rated_text) + discord_len(&more) + 2);
    let mut shown = 0;
    for gap in top {
        let counts = lang.gap_counts(gap.missed, gap.weak);
        let mut line = format!("\n{counts} · {} · ", command_of(&gap.topic));
        line.push('“');
        line.push_str(&quote(&gap.query));
        line.push('”');
        let lacking: Vec<String> = (lacking(gap).iter())
            .take(LACKING_SHOWN)
            .map(|word| quote(&truncate(word, LACKING_CHARS)))
            .collect();
        if !lacking.is_empty() {
            line.push_str(&lang.gap_lacking(&lacking.join(", ")));
        }
        if discord_len(&text) + discord_len(&line) > room {
            break;
        }
        text.push_str(&line);
        shown += 1;
    }
    if shown < top.len() {
        text.push_str(&lang.gaps_more(top.len() - shown));
    }
    if !rated_text.is_empty() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&rated_text);
    }
    text
}

pub struct SectionView<'a> {
    pub reply: &'a Reply<'a>,
    /// How members ask the reply's topic (`handler::answer::topic_command`), for the footer.
    pub command: &'a str,
    pub page: usize,
    pub focus: &'a [ItemPath],
    /// Who may delete the reply with 🗑 (besides moderators).
    pub asker: u64,
    pub others: &'a [Other],
    pub lang: Lang,
    pub colour: u32,
    /// Only the asker sees it; a Post button shares it instead of 🗑.
    pub private: bool,
    /// What was asked, carried by 👍 / 👎 (normalised, may be empty).
    pub query: &'a str,
    /// The message a posted answer replies to (from "Answer from notes").
    pub reply_to: Option<u64>,
}

/// The message showing one page of a section.
pub fn section_message(view: &SectionView<'_>) -> CreateInteractionResponseMessage {
    let (embed, rows) = section_parts(view);
    let message = message().embed(embed).components(rows);
    // Setting it false would still send `flags: 0`; leave public messages as they were.
    if view.private {
        message.ephemeral(true)
    } else {
        message
    }
}

/// Characters of an answer's footer: its command, headings, page and how it matched.
const FOOTER_CHARS: usize = 300;

// An answer's embed holds a title, a page, a footer and the links field, each cut to its
// cap: together they must stay within Discord's total for an embed, or the whole message
// is refused.
const _: () = assert!(FOOTER_CHARS <= limits::EMBED_FOOTER);
const _: () = assert!(
    limits::EMBED_TITLE
        + limits::EMBED_DESCRIPTION
        + FOOTER_CHARS
        + limits::EMBED_FIELD_NAME
        + limits::EMBED_FIELD_VALUE
        <= limits::EMBED_TOTAL
);

/// The embed and component rows of a section message, for any kind of message.
pub fn section_parts(view: &SectionView<'_>) -> (CreateEmbed, Vec<CreateActionRow>) {
    let reply = view.reply;
    let lang = view.lang;
    let page = view.page.min(reply.page_count().saturating_sub(1));
    let text = reply.page(page).text();
    let mut embed = CreateEmbed::new()
        .title(truncate(&reply.title, limits::EMBED_TITLE))
        .colour(view.colour)
        .description(if text.is_empty() {
            lang.no_notes().to_string()
        } else {
            text
        });
    if let Some(url) = reply.url.as_deref().and_then(embed_url) {
        embed = embed.url(url);
    }
    let mut footer = vec![view.command.to_string()];
    if !reply.category.is_empty() {
        footer.push(reply.category.clone());
    }
    if reply.page_count() > 1 {
        footer.push(lang.page(page + 1, reply.page_count()));
    }
    footer.push(lang.matched(reply.reason).to_string());
    embed = embed.footer(CreateEmbedFooter::new(truncate(
        &footer.join(" · "),
        FOOTER_CHARS,
    )));
    if let Some(links) = links_field(&reply.links_cut(page)) {
        let name = truncate(lang.links(), limits::EMBED_FIELD_NAME);
        embed = embed.field(name, links, false);
    }

    let shown = |page: usize| section_page(reply, view.focus, page);
    let mut buttons = Vec::new();
    if reply.page_count() > 1 {
        let last = reply.page_count() - 1;
        let target = |page: usize| Action::Page(shown(page)).encode();
        buttons.push(
            CreateButton::new(target(page.saturating_sub(1)))
                .label("◀")
                .style(ButtonStyle::Secondary)
                .disabled(page == 0),
        );
        buttons.push(
            CreateButton::new(target((page + 1).min(last)))
                .label("▶")
                .style(ButtonStyle::Secondary)
                .disabled(page == last),
        );
    }
    if view.private {
        let post = Action::Post {
            at: shown(page),
            reply_to: view.reply_to,
        };
        buttons.push(
            CreateButton::new(post.encode())
                .label(lang.post())
                .style(ButtonStyle::Primary),
        );
    } else {
        buttons.push(delete_button(view.asker));
    }
    // At most 5 buttons: ◀ ▶, Post or 🗑, 👍 👎.
    for (up, emoji) in [(true, "👍"), (false, "👎")] {
        let vote = Action::Vote(SectionVote {
            up,
            topic: reply.topic.clone(),
            section: reply.section_id,
            query: view.query.to_string(),
        });
        buttons.push(
            CreateButton::new(vote.encode())
                .emoji(ReactionType::Unicode(emoji.into()))
                .style(ButtonStyle::Secondary),
        );
    }
    let mut rows = Vec::new();
    if !buttons.is_empty() {
        rows.push(CreateActionRow::Buttons(buttons));
    }
    if !view.others.is_empty() {
        rows.push(others_menu(&reply.topic, view.others, lang));
    }
    (embed, rows)
}

/// Page `page` of `reply` with `focus`, as a button names it.
fn section_page(reply: &Reply, focus: &[ItemPath], page: usize) -> SectionPage {
    SectionPage {
        topic: reply.topic.clone(),
        section: reply.section_id,
        page,
        reason: reply.reason,
        focus: focus.to_vec(),
    }
}

/// Whether every button of a message showing `reply` keeps `focus`: ◀ ▶ up to the last
/// page, and a private answer's Post (replying to `reply_to`) from any page. A custom_id
/// that cannot hold it drops it, and the page the button leads to is laid out in document
/// order: the message must then be too.
pub fn buttons_keep_focus(reply: &Reply, focus: &[ItemPath], private: bool, reply_to: Option<u64>) -> bool {
    let last = section_page(reply, focus, reply.page_count().saturating_sub(1));
    let pages = reply.page_count() == 1 || Action::Page(last.clone()).keeps_focus();
    let post = !private || Action::Post { at: last, reply_to }.keeps_focus();
    pages && post
}

/// A section offered among the closest after a miss: what the list shows of it, and the
/// page (with the search's focus) its Post button shares.
#[derive(Debug, Clone)]
pub struct Closest {
    pub at: SectionPage,
    pub title: String,
    /// How members ask its topic, as markdown: `/canvas`, or `/notes topic:canvas`.
    pub command: String,
    /// Headings above the section, as the answer's footer shows them.
    pub category: String,
    /// The section's first line, as plain text; empty when it has none.
    pub first_line: String,
}

/// Characters of a closest section's first line shown in the list: with its title (100)
/// and headings (80), three sections fit a message's 2000 even with much to escape.
const FIRST_LINE_CHARS: usize = 120;
/// Discord's limit on a button label.
const BUTTON_LABEL: usize = 80;

/// The private list of the closest sections (at most 5, one button row): title, topic
/// and headings, first line; a Post button each that shares it as an answer, a reply to
/// the message `reply_to` when set.
pub fn closest_message(
    intro: &str,
    sections: &[Closest],
    reply_to: Option<u64>,
    lang: Lang,
) -> CreateInteractionResponseMessage {
    let sections = &sections[..sections.len().min(5)];
    let mut text = intro.to_string();
    let mut buttons = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        let n = i + 1;
        text.push_str(&format!("\n**{n}.** "));
        escape_into(&mut text, &truncate(&section.title, 100));
        text.push_str(" · ");
        text.push_str(&section.command);
        if !section.category.is_empty() {
            text.push_str(" · ");
            escape_into(&mut text, &truncate(&section.category, 80));
        }
        if !section.first_line.is_empty() {
            text.push_str("\n> ");
            escape_into(&mut text, &truncate(&section.first_line, FIRST_LINE_CHARS));
        }
        let post = Action::Post {
            at: section.at.clone(),
            reply_to,
        };
        buttons.push(
            CreateButton::new(post.encode())
                .label(truncate(&lang.post_closest(n, &section.title), BUTTON_LABEL))
                .style(ButtonStyle::Secondary),
        );
    }
    let mut message = ephemeral(&text);
    if !buttons.is_empty() {
        message = message.components(vec![CreateActionRow::Buttons(buttons)]);
    }
    message
}

/// A link Discord shows as a jump to that message.
pub fn message_link(guild: Option<u64>, channel: u64, message: u64) -> String {
    match guild {
        Some(guild) => format!("https://discord.com/channels/{guild}/{channel}/{message}"),
        None => format!("https://discord.com/channels/@me/{channel}/{message}"),
    }
}

fn delete_button(asker: u64) -> CreateButton {
    CreateButton::new(Action::Delete { asker }.encode())
        .emoji(ReactionType::Unicode("🗑️".into()))
        .style(ButtonStyle::Secondary)
}

/// Links a page cuts (`Reply::links_cut`), as many whole lines as fit an embed field; none
/// for none: every other link is one to click on the page that shows it.
fn links_field(links: &[Link]) -> Option<String> {
    let mut value = String::new();
    for link in links {
        let line = crate::reply::markdown_link(&link.text, &link.url);
        if discord_len(&value) + discord_len(&line) + 1 > limits::EMBED_FIELD_VALUE {
            break;
        }
        if !value.is_empty() {
            value.push('\n');
        }
        value.push_str(&line);
    }
    (!value.is_empty()).then_some(value)
}

fn others_menu(topic: &str, others: &[Other], lang: Lang) -> CreateActionRow {
    let options = others
        .iter()
        .take(25)
        .map(|other| {
            let option = CreateSelectMenuOption::new(
                truncate(&other.title, 100),
                custom_id::section_value(&other.topic, other.section, other.reason),
            );
            if other.description.is_empty() {
                option
            } else {
                option.description(truncate(&other.description, 100))
            }
        })
        .collect();
    let menu = CreateSelectMenu::new(
        Action::Other {
            topic: topic.to_string(),
        }
        .encode(),
        CreateSelectMenuKind::String { options },
    )
    .placeholder(lang.other_matches());
    CreateActionRow::SelectMenu(menu)
}

/// A page of `/sources` or `/topics`, with ◀ ▶ when there are several.
/// A page of a listing, posted for everyone: `asker` (who asked for it) may remove it.
pub fn listing_message(
    title: &str,
    pages: &[Page],
    page: usize,
    listing: &Listing,
    lang: Lang,
    colour: u32,
    asker: u64,
) -> CreateInteractionResponseMessage {
    let last = pages.len().saturating_sub(1);
    let page = page.min(last);
    let text = pages.get(page).map(Page::text).unwrap_or_default();
    let mut embed = CreateEmbed::new().title(title).colour(colour).description(text);
    if pages.len() > 1 {
        embed = embed.footer(CreateEmbedFooter::new(lang.page(page + 1, pages.len())));
    }
    let mut buttons = Vec::new();
    if pages.len() > 1 {
        let target = |page: usize| {
            Action::List {
                listing: listing.clone(),
                page,
            }
            .encode()
        };
        buttons.push(
            CreateButton::new(target(page.saturating_sub(1)))
                .label("◀")
                .style(ButtonStyle::Secondary)
                .disabled(page == 0),
        );
        buttons.push(
            CreateButton::new(target((page + 1).min(last)))
                .label("▶")
                .style(ButtonStyle::Secondary)
                .disabled(page == last),
        );
    }
    buttons.push(delete_button(asker));
    message()
        .embed(embed)
        .components(vec![CreateActionRow::Buttons(buttons)])
}

#[cfg(test)]
mod tests {
    use super::{Gap, Lang, Rated, SectionView, discord_len, embed_url, gaps_report, limits, section_parts};
    use crate::reply::{Layout, Reply};
    use crate::search::MatchReason;

    /// The Links field of each page of `reply`, as sent; `None` for no field.
    fn links_fields(reply: &Reply) -> Vec<Option<String>> {
        (0..reply.page_count())
            .map(|page| {
                let view = SectionView {
                    reply,
                    command: "/t",
                    page,
                    focus: &[],
                    asker: 1,
                    others: &[],
                    lang: Lang::En,
                    colour: 0,
                    private: false,
                    query: "",
                    reply_to: None,
                };
                let (embed, _) = section_parts(&view);
                let embed = serde_json::to_value(&embed).unwrap_or_default();
                embed["fields"][0]["value"].as_str().map(String::from)
            })
            .collect()
    }

    /// A page's Links field lists only the links its description cuts (here the parent's,
    /// longer than a page, cut short above the points that go on), not every link of the
    /// section on every page: those it shows whole are there to click.
    #[test]
    fn the_links_field_lists_only_the_links_a_page_cuts() {
        let points: String = (0..12)
            .map(|n| format!("  - point {n} with [link {n}](https://e.x/{n})\n"))
            .collect();
        let parent = format!(
            "The parent, see [the parent's guide](https://e.x/guide) {}",
            "and more words ".repeat(15)
        );
        let text = format!("---\ntitle: T\n---\n## A\n\n- {parent}\n{points}");
        let note = crate::notes::parse_note(std::path::Path::new("t.md"), &text, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let layout = Layout {
            page_chars: 200,
            ..Layout::default()
        };
        let reply = Reply::in_order(&note, &note.sections[0], MatchReason::Text, &[], &layout);
        let fields = links_fields(&reply);
        assert_eq!(fields[0], None, "{}", reply.page(0).text());
        let mut cut = 0;
        for (n, field) in fields.iter().enumerate() {
            let page = reply.page(n).text();
            if page.starts_with("- The parent, see [the parent's guide](https://e…") {
                assert_eq!(
                    field.as_deref(),
                    Some("- [the parent's guide](https://e.x/guide)")
                );
                cut += 1;
            } else {
                assert_eq!(field.as_deref(), None, "{page}");
            }
        }
        assert!(cut > 1, "{cut} pages cut the parent's link");
    }

    /// Twenty long gaps, each lacking many long words, and ten worst-rated answers: one
    /// message, the ratings whole, the gaps that do not fit counted.
    #[test]
    fn the_gaps_report_fits_one_message() {
        let top: Vec<Gap> = (0..20)
            .map(|n| Gap {
                topic: "chatgpt".into(),
                place: Some("1".into()),
                query: format!("{n} {}", "question ".repeat(11)),
                missed: 20 - n,
                weak: 0,
            })
            .collect();
        let worst: Vec<Rated> = (0..10)
            .map(|n| Rated {
                topic: "chatgpt".into(),
                place: Some("1".into()),
                section: format!("{n:x}"),
                title: format!("Section {n} {}", "title ".repeat(20)),
                up: 0,
                down: 3,
                queries: vec![("why".into(), 2), ("how".into(), 1)],
            })
            .collect();
        let lacking = |_: &Gap| vec!["w".repeat(100); 10];
        let text = gaps_report(&top, &worst, lacking, |topic| format!("/{topic}"), Lang::En);
        assert!(
            discord_len(&text) <= limits::MESSAGE_CONTENT,
            "{}",
            discord_len(&text)
        );
        assert!(text.contains("Section 9"), "{text}");
        assert!(text.contains("more: `notes-bot gaps` lists them all"), "{text}");
        // Six lacking words at most, each cut to 30 characters.
        let first = text.lines().nth(1).unwrap_or_default();
        assert_eq!(
            first.matches(&format!("{}…", "w".repeat(29))).count(),
            6,
            "{first}"
        );
    }

    #[test]
    fn embed_urls_are_http_urls_with_a_host() {
        for (good, sent) in [
            (
                "https://yaofu.notion.site/GPT-3-5-360081d91ec245f29029d37b54573756#cf00f4e11d974187956122ce7d534386",
                "https://yaofu.notion.site/GPT-3-5-360081d91ec245f29029d37b54573756#cf00f4e11d974187956122ce7d534386",
            ),
            (
                "http://例子.测试/路径?q=1",
                "http://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=1",
            ),
            ("https://example.com:8443/a_(b)", "https://example.com:8443/a_(b)"),
        ] {
            assert_eq!(embed_url(good).as_deref(), Some(sent));
        }
        for bad in [
            "https://",
            "https:///path",
            "https://exa<mple.com/",
            "https://example.com/a b",
            "https://example.com/\u{7}",
            "javascript:alert(1)",
            "ftp://example.com/",
        ] {
            assert_eq!(embed_url(bad), None, "{bad:?}");
        }
        assert_eq!(
            embed_url(&format!("https://example.com/{}", "a".repeat(2000))),
            None
        );
        // Too long once encoded.
        assert_eq!(
            embed_url(&format!("https://example.com/{}", "路".repeat(300))),
            None
        );
    }
}
