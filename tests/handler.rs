//! The interaction handler on real payloads in Discord's documented shape, checked against
//! Discord's limits; the command set; paging through buttons.

use std::path::{Path, PathBuf};

use notes_bot::bot::App;
use notes_bot::bot::commands::{MAX_TOPIC_COMMANDS, command_set};
use notes_bot::bot::custom_id::{Action, Listing, SectionPage};
use notes_bot::config::{Config, InstallOptions};
use notes_bot::notes::{self, Labels, Library};
use notes_bot::reply::{Layout, Reply};
use notes_bot::search::MatchReason;
use serde_json::Value;
use serenity::all::Interaction;
use shipped_queries::SHIPPED_QUERIES;

mod common;
#[path = "../benches/common/shipped_queries.rs"]
mod shipped_queries;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn app_for(dir: &Path, cooldown_seconds: u64) -> App {
    let config = Config {
        notes_dir: dir.to_path_buf(),
        data_dir: std::env::temp_dir().join(format!("notes-bot-handler-{}", std::process::id())),
        cooldown_seconds,
        ..Config::default()
    };
    let (app, problems) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
    assert!(problems.is_empty(), "{problems:?}");
    app
}

fn app() -> App {
    app_for(&root().join("notes"), 0)
}

/// A fixture with its placeholders replaced.
fn fixture(name: &str, replace: &[(&str, &str)]) -> Interaction {
    let path = root().join("tests/fixtures/interactions").join(name);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn respond(app: &App, interaction: &Interaction) -> Value {
    let outcome = app.handle(interaction);
    let body = serde_json::to_value(&outcome.response).unwrap_or_else(|e| panic!("{e}"));
    check_limits(&body);
    body
}

fn chars(value: &Value) -> usize {
    value.as_str().map(|s| s.encode_utf16().count()).unwrap_or(0)
}

/// Discord's documented limits for an interaction response.
fn check_limits(body: &Value) {
    let kind = body["type"].as_u64().unwrap_or(0);
    assert!([1, 4, 6, 7, 8].contains(&kind), "type {kind}");
    let data = &body["data"];
    if kind == 8 {
        let choices = data["choices"].as_array().cloned().unwrap_or_default();
        assert!(choices.len() <= 25);
        for choice in &choices {
            let name = choice["name"].as_str().unwrap_or_default();
            assert!((1..=100).contains(&name.chars().count()), "choice name {name:?}");
            let value = choice["value"].as_str().unwrap_or_default();
            assert!(
                (1..=100).contains(&value.chars().count()),
                "choice value {value:?}"
            );
        }
        return;
    }
    if kind != 4 && kind != 7 {
        return;
    }
    assert_eq!(
        data["allowed_mentions"]["parse"],
        serde_json::json!([]),
        "allowed_mentions must parse nothing"
    );
    assert!(chars(&data["content"]) <= 2000);
    let embeds = data["embeds"].as_array().cloned().unwrap_or_default();
    assert!(embeds.len() <= 10);
    let mut total = 0;
    for embed in &embeds {
        assert!(chars(&embed["title"]) <= 256);
        assert!(chars(&embed["description"]) <= 4096);
        assert!(chars(&embed["footer"]["text"]) <= 2048);
        let fields = embed["fields"].as_array().cloned().unwrap_or_default();
        assert!(fields.len() <= 25);
        for field in &fields {
            assert!(chars(&field["name"]) <= 256 && chars(&field["value"]) <= 1024);
            total += chars(&field["name"]) + chars(&field["value"]);
        }
        total += chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]);
    }
    assert!(total <= 6000, "embeds total {total}");
    let rows = data["components"].as_array().cloned().unwrap_or_default();
    assert!(rows.len() <= 5);
    // Discord refuses a message whose components share a custom_id, or a menu whose
    // options share a value.
    let mut ids = std::collections::HashSet::new();
    for row in &rows {
        let components = row["components"].as_array().cloned().unwrap_or_default();
        assert!(components.len() <= 5);
        for component in &components {
            let id = component["custom_id"].as_str().unwrap_or_default();
            assert!((1..=100).contains(&id.chars().count()), "custom_id {id:?}");
            assert!(ids.insert(id.to_string()), "custom_id {id:?} twice");
            let mut values = std::collections::HashSet::new();
            for option in component["options"].as_array().cloned().unwrap_or_default() {
                assert!(chars(&option["label"]) <= 100 && chars(&option["value"]) <= 100);
                assert!(
                    values.insert(option["value"].to_string()),
                    "option value {} twice",
                    option["value"]
                );
            }
        }
    }
}

fn button(body: &Value, label: &str) -> Option<(String, bool)> {
    body["data"]["components"]
        .as_array()?
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find_map(|c| {
            (c["label"] == label).then(|| {
                (
                    c["custom_id"].as_str().unwrap_or_default().to_string(),
                    c["disabled"].as_bool().unwrap_or(false),
                )
            })
        })
}

#[test]
fn ping_is_answered_with_pong() {
    let body = respond(&app(), &fixture("ping.json", &[]));
    assert_eq!(body["type"], 1);
}

#[test]
fn rlhf_command_answers_with_the_gpt35_section() {
    let body = respond(&app(), &fixture("command_chatgpt_rlhf.json", &[]));
    assert_eq!(body["type"], 4);
    assert!(body["data"]["flags"].is_null(), "a hit is public");
    let embed = &body["data"]["embeds"][0];
    assert_eq!(embed["title"], "拆解追溯 GPT-3.5 各项能力的起源");
    assert!(
        embed["url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("https://yaofu.notion.site/")
    );
    assert!(embed["description"].as_str().unwrap_or_default().contains("RLHF"));
    let footer = embed["footer"]["text"].as_str().unwrap_or_default();
    assert!(footer.starts_with("/chatgpt · 原理解析/论文综述"), "{footer}");
    // The asker may delete it.
    let ids: Vec<String> = body["data"]["components"][0]["components"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c["custom_id"].as_str().map(String::from))
        .collect();
    assert!(ids.contains(&"rm|1180000000000000500".to_string()), "{ids:?}");
}

#[test]
fn chinese_locale_gets_chinese_words() {
    let body = respond(&app(), &fixture("command_chatgpt_rlhf_dm.json", &[]));
    assert_eq!(body["type"], 4);
    let footer = body["data"]["embeds"][0]["footer"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(footer.contains("匹配"), "{footer}");
}

#[test]
fn no_match_is_private_and_pings_nobody() {
    for name in ["command_chatgpt_nomatch.json", "command_chatgpt_mentions.json"] {
        let body = respond(&app(), &fixture(name, &[]));
        assert_eq!(body["type"], 4);
        assert_eq!(body["data"]["flags"], 64, "{name}: no match is ephemeral");
        let content = body["data"]["content"].as_str().unwrap_or_default();
        assert!(
            content.starts_with("No section of /chatgpt matches “"),
            "{content}"
        );
        if name.contains("mentions") {
            // A mention asks nothing: it is left out of the question (`clean_query`).
            assert!(
                !content.contains("123456789012345678"),
                "mention echoed: {content}"
            );
            assert!(content.contains(r"\*pizza\*"), "markdown not escaped: {content}");
        }
    }
}

/// The buttons of a reply's first row: (label, custom_id).
fn buttons(body: &Value) -> Vec<(String, String)> {
    body["data"]["components"][0]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap_or_default().to_string();
            (text("label"), text("custom_id"))
        })
        .collect()
}

#[test]
fn a_weak_match_offers_the_closest_sections_privately_and_post_shares_one() {
    let app = app();
    // Half the query each (`wolfram` in one section, `豆腐脑` in another): no confident hit.
    let offered = respond(&app, &fixture("command_chatgpt_closest.json", &[]));
    assert_eq!(offered["type"], 4);
    assert_eq!(offered["data"]["flags"], 64, "only the asker sees it");
    assert!(offered["data"]["embeds"].as_array().is_none_or(Vec::is_empty));
    let content = offered["data"]["content"].as_str().unwrap_or_default();
    assert!(
        content.starts_with("No section of /chatgpt clearly matches “wolfram 豆腐脑”."),
        "{content}"
    );
    let gpt = "拆解追溯 GPT-3.5 各项能力的起源";
    assert!(
        content.contains("**1.** 原理解析/科普 · /chatgpt\n> "),
        "{content}"
    );
    assert!(
        content.contains(&format!(
            "**2.** {gpt} · /chatgpt · 原理解析/论文综述\n> chatGPT 能力发展过程"
        )),
        "{content}"
    );
    let posts = buttons(&offered);
    let labels: Vec<&str> = posts.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(labels, ["Post 1: 原理解析/科普", &format!("Post 2: {gpt}")]);
    for (_, id) in &posts {
        assert!(
            matches!(Action::decode(id), Some(Action::Post { reply_to: None, .. })),
            "{id}"
        );
    }

    // Post 2: the section for everyone, as a confident answer about it, focused on what
    // was asked, deletable by whoever posted it.
    let clicker = "1180000000000000777";
    let posted = respond(
        &app,
        &fixture(
            "component_button_private.json",
            &[
                ("PLACEHOLDER_BUTTON", &posts[1].1),
                (
                    "\"id\": \"1180000000000000500\",\n      \"public_flags\"",
                    &format!("\"id\": \"{clicker}\",\n      \"public_flags\""),
                ),
                // The clicked message is the private list, as Discord sends it back.
                (
                    "\"content\": \"\"",
                    &format!("\"content\": {}", Value::from(content)),
                ),
            ],
        ),
    );
    assert_eq!(posted["type"], 4, "a new message");
    // Its votes carry what was asked, for /gaps and the ratings.
    let vote = buttons(&posted).into_iter().find(|(_, id)| id.starts_with("dn|"));
    assert!(
        vote.as_ref()
            .is_some_and(|(_, id)| id.ends_with("|wolfram 豆腐脑")),
        "{vote:?}"
    );
    assert!(posted["data"].get("flags").is_none(), "posted publicly");
    let confident = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    let (embed, answer) = (&posted["data"]["embeds"][0], &confident["data"]["embeds"][0]);
    assert_eq!(embed["title"], gpt);
    assert_eq!(embed["url"], answer["url"]);
    let description = embed["description"].as_str().unwrap_or_default();
    assert!(
        description.contains("豆腐脑"),
        "focused on the query: {description}"
    );
    assert_eq!(
        buttons(&posted).len(),
        buttons(&confident).len(),
        "◀ ▶ 🗑 👍 👎 as a confident answer has"
    );
    assert!(
        buttons(&posted)
            .iter()
            .any(|(_, id)| *id == format!("rm|{clicker}"))
    );
    assert!(
        buttons(&posted)
            .iter()
            .all(|(label, _)| !label.starts_with("Post"))
    );

    // In Chinese.
    let zh = respond(
        &app,
        &fixture(
            "command_chatgpt_closest.json",
            &[("\"locale\": \"en-US\"", "\"locale\": \"zh-CN\"")],
        ),
    );
    let content = zh["data"]["content"].as_str().unwrap_or_default();
    assert!(
        content.starts_with("/chatgpt 中没有明确匹配“wolfram 豆腐脑”的章节。"),
        "{content}"
    );
    assert!(
        buttons(&zh)[0].0.starts_with("公开发布 1："),
        "{:?}",
        buttons(&zh)
    );
}

#[test]
fn negatives_get_no_closest_sections_but_the_no_match_text() {
    let app = app();
    // Nothing the notes hold, filler only, a subject the notes lack (`计算` alone is a
    // third of `量子计算`), a word every section has beside one none has.
    for query in [
        "pizza recipe",
        "what is the",
        "天气预报",
        "量子计算",
        "how to bake bread",
        "chatgpt pizza recipe",
    ] {
        let body = respond(&app, &command("chatgpt", query, false));
        assert_eq!(body["data"]["flags"], 64, "{query}");
        let content = body["data"]["content"].as_str().unwrap_or_default();
        assert!(
            content.starts_with("No section of /chatgpt matches “"),
            "{query}: {content}"
        );
        assert!(
            body["data"]["components"].as_array().is_none_or(Vec::is_empty),
            "{query}"
        );
    }
}

/// A question about a name the notes never mention is answered privately, saying so first.
#[test]
fn a_question_naming_what_the_notes_never_mention_says_so_privately() {
    let app = app();
    let question = "can Todoist explain RLHF to me";
    // The private reply's text.
    let private = |interaction: &Interaction| {
        let reply = respond(&app, interaction);
        assert_eq!(reply["data"]["flags"], 64, "only the asker sees it: {reply}");
        reply["data"]["content"].as_str().unwrap_or_default().to_string()
    };
    let content = private(&fixture(
        "command_chatgpt_closest.json",
        &[("wolfram 豆腐脑", question)],
    ));
    assert!(
        content.starts_with("“Todoist” is not in /chatgpt.\nNo section of /chatgpt "),
        "{content}"
    );
    let content = private(&fixture(
        "command_answer_from_notes.json",
        &[("PLACEHOLDER_CONTENT", question)],
    ));
    assert!(
        content.starts_with("“Todoist” is not in the notes.\nNo section of the notes "),
        "{content}"
    );
    // In Chinese.
    let content = private(&fixture(
        "command_chatgpt_closest.json",
        &[("wolfram 豆腐脑", "Todoist 能解释 RLHF 吗"), ("en-US", "zh-CN")],
    ));
    assert!(
        content.starts_with("/chatgpt 中没有“Todoist”。\n/chatgpt 中"),
        "{content}"
    );
    // Without the name, the same words find their section.
    let reply = respond(
        &app,
        &fixture(
            "command_chatgpt_closest.json",
            &[("wolfram 豆腐脑", "explain RLHF to me")],
        ),
    );
    assert!(reply["data"]["embeds"][0]["title"].is_string(), "{reply}");
}

#[test]
fn answer_from_notes_offers_the_closest_sections_as_replies_to_the_message() {
    let app = app();
    let offered = respond(
        &app,
        &fixture(
            "command_answer_from_notes.json",
            &[("PLACEHOLDER_CONTENT", "wolfram 豆腐脑")],
        ),
    );
    assert_eq!(offered["data"]["flags"], 64);
    let content = offered["data"]["content"].as_str().unwrap_or_default();
    assert!(
        content.starts_with("No section of the notes clearly matches “wolfram 豆腐脑”."),
        "{content}"
    );
    let posts = buttons(&offered);
    assert_eq!(posts.len(), 2, "{posts:?}");
    for (_, id) in &posts {
        assert!(
            matches!(
                Action::decode(id),
                Some(Action::Post {
                    reply_to: Some(1180000000000000650),
                    ..
                })
            ),
            "Post answers the message: {id}"
        );
    }
    let outcome = app.handle(&fixture(
        "component_button_private.json",
        &[("PLACEHOLDER_BUTTON", &posts[0].1)],
    ));
    assert!(
        matches!(outcome.then, notes_bot::bot::handler::Then::Reply(_)),
        "{:?}",
        outcome.then
    );
}

/// A note's command asked after the note went: said so, with where to look, privately
/// (it said "try again in a minute", though without a token nothing registers again).
#[test]
fn a_command_whose_note_is_gone_points_to_topics() {
    let app = app();
    let reply = respond(
        &app,
        &fixture(
            "command_chatgpt_rlhf.json",
            &[("\"name\": \"chatgpt\"", "\"name\": \"routers\"")],
        ),
    );
    assert_eq!(reply["data"]["flags"], 64, "{reply}");
    let content = reply["data"]["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("no longer in the notes") && content.contains("`/topics`"),
        "{content}"
    );
}

#[test]
fn autocomplete_offers_sections_and_a_choice_returns_exactly_that_section() {
    let app = app();
    let empty = respond(&app, &fixture("autocomplete_chatgpt_empty.json", &[]));
    assert_eq!(empty["type"], 8);
    let choices = empty["data"]["choices"].as_array().cloned().unwrap_or_default();
    // The note's lead (its quoted subtitle) first, then its first article.
    let names: Vec<&str> = (choices.iter().take(2))
        .map(|choice| choice["name"].as_str().unwrap_or_default())
        .collect();
    assert!(
        names.len() == 2 && names[0] == "ChatGPT 资料梳理" && names[1].starts_with("最近很火的 ChatGPT"),
        "an empty box offers the note's first sections: {names:?}"
    );

    // A slip says it found a similar word, in words a member knows.
    let slip = respond(
        &app,
        &fixture("autocomplete_chatgpt_rl.json", &[("\"rl\"", "\"transfomer\"")]),
    );
    let first = slip["data"]["choices"][0]["name"].as_str().unwrap_or_default();
    assert!(
        first.contains("Transformer") && first.ends_with(" · similar"),
        "{slip}"
    );

    let typed = respond(&app, &fixture("autocomplete_chatgpt_rl.json", &[]));
    let choices = typed["data"]["choices"].as_array().cloned().unwrap_or_default();
    assert!(!choices.is_empty(), "`rl` suggests something");
    for choice in &choices {
        let value = choice["value"].as_str().unwrap_or_default().to_string();
        let name = choice["name"].as_str().unwrap_or_default();
        let title = name
            .rsplit_once(" · ")
            .map(|(t, _)| t)
            .unwrap_or(name)
            .trim_end_matches('…');
        let body = respond(
            &app,
            &fixture(
                "command_chatgpt_rlhf.json",
                &[("\"value\": \"rlhf\"", &format!("\"value\": \"{value}\""))],
            ),
        );
        let shown = body["data"]["embeds"][0]["title"].as_str().unwrap_or_default();
        assert!(shown.starts_with(title), "chose {name:?}, got {shown:?}");
    }
}

#[test]
fn buttons_walk_every_page_of_the_longest_section() {
    let app = app();
    let index = app.index();
    let note = &index.library().notes()[0];
    let (_, longest) = note
        .answerable()
        .max_by_key(|(_, s)| s.points().iter().map(|p| p.walk().len()).sum::<usize>())
        .unwrap_or_else(|| panic!("no sections"));
    let config = Config::default();
    let layout = Layout {
        page_chars: config.reply.page_chars,
        context_label: "背景".into(),
    };
    let expected = Reply::for_section(note, longest, MatchReason::Title, &[], &layout);
    assert!(expected.page_count() > 2);
    // Ask for exactly that section, as an autocomplete choice would.
    let value = format!("section:{:x}", longest.id);
    let mut body = respond(
        &app,
        &fixture(
            "command_chatgpt_rlhf.json",
            &[("\"value\": \"rlhf\"", &format!("\"value\": \"{value}\""))],
        ),
    );
    let mut pages = Vec::new();
    loop {
        let embed = &body["data"]["embeds"][0];
        pages.push(embed["description"].as_str().unwrap_or_default().to_string());
        let footer = embed["footer"]["text"].as_str().unwrap_or_default();
        assert!(
            footer.contains(&format!("page {}/{}", pages.len(), expected.page_count())),
            "{footer}"
        );
        let (next, disabled) = button(&body, "▶").unwrap_or_else(|| panic!("no ▶ button"));
        if disabled {
            break;
        }
        body = respond(
            &app,
            &fixture(
                "component_button_next.json",
                &[
                    ("PLACEHOLDER_BUTTON", &next),
                    ("PLACEHOLDER_DELETE", "rm|1180000000000000500"),
                ],
            ),
        );
        assert_eq!(body["type"], 7, "a page click updates the message");
        assert!(pages.len() <= expected.page_count());
    }
    let wanted: Vec<String> = expected.pages().map(|p| p.text()).collect();
    assert_eq!(pages, wanted);
    // ◀ from the last page goes back.
    let (previous, disabled) = button(&body, "◀").unwrap_or_else(|| panic!("no ◀ button"));
    assert!(!disabled);
    let back = respond(
        &app,
        &fixture("component_button_next.json", &[("PLACEHOLDER_BUTTON", &previous)]),
    );
    assert_eq!(
        back["data"]["embeds"][0]["description"]
            .as_str()
            .unwrap_or_default(),
        wanted[wanted.len() - 2]
    );
}

/// No page of any section of the shipped notes has a Links field that repeats a link its
/// description shows (the field listed every link of the section on every page).
#[test]
fn a_links_field_never_repeats_a_link_the_page_shows() {
    let app = app();
    let index = app.index();
    let note = &index.library().notes()[0];
    let mut pages = 0;
    let mut linked = 0;
    for (_, section) in note.answerable() {
        let first = respond(
            &app,
            &command(&note.topic, &format!("section:{:x}", section.id), false),
        );
        for page in walk_pages(&app, &first) {
            let embed = &page["data"]["embeds"][0];
            let shown = embed["description"].as_str().unwrap_or_default();
            linked += usize::from(shown.contains("](http"));
            pages += 1;
            let field = embed["fields"][0]["value"].as_str().unwrap_or_default();
            for line in field.lines() {
                let url = line.rsplit_once("](").map_or("", |(_, url)| url);
                assert!(
                    !shown.contains(&format!("]({url}")),
                    "{line} is on the page:\n{shown}"
                );
            }
        }
    }
    assert!(linked > 0, "{linked} of {pages} pages show links");
}

#[test]
fn sources_pages_hold_every_link_once() {
    let app = app_for(&root().join("notes"), 0);
    for (name, fixture_name) in [
        ("all", "command_sources.json"),
        ("topic", "command_sources_topic.json"),
    ] {
        let mut body = respond(&app, &fixture(fixture_name, &[]));
        let mut links = Vec::new();
        loop {
            let text = body["data"]["embeds"][0]["description"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            links.extend(text.lines().filter(|l| l.starts_with("- [")).map(String::from));
            // Posted for everyone: who asked for it may remove it, from any page.
            let remove = buttons(&body).into_iter().find(|(_, id)| id.starts_with("rm|"));
            assert_eq!(
                remove.map(|(_, id)| id).as_deref(),
                Some("rm|1180000000000000500"),
                "{name}"
            );
            match button(&body, "▶") {
                Some((next, false)) => {
                    body = respond(
                        &app,
                        &fixture("component_button_next.json", &[("PLACEHOLDER_BUTTON", &next)]),
                    )
                }
                _ => break,
            }
        }
        assert_eq!(links.len(), 11, "{name}: {links:?}");
        let mut unique = links.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 11, "{name}: every link once");
    }
    let unknown = respond(
        &app,
        &fixture(
            "command_sources_topic.json",
            &[("\"value\": \"chatgpt\"", "\"value\": \"nope\"")],
        ),
    );
    assert_eq!(unknown["data"]["flags"], 64);
}

#[test]
#[ignore = "needs ../shared"]
fn sources_over_many_topics_page_without_loss() {
    let corpus = root().join("../shared/corpus/yaozeyuan-blog");
    let app = app_for(&corpus, 0);
    let all = notes_bot::reply::sources(app.index().library(), None);
    let mut body = respond(&app, &fixture("command_sources.json", &[]));
    let mut links = 0;
    let mut pages = 0;
    loop {
        pages += 1;
        let text = body["data"]["embeds"][0]["description"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        links += text.lines().filter(|l| l.starts_with("- [")).count();
        match button(&body, "▶") {
            Some((next, false)) => {
                body = respond(
                    &app,
                    &fixture("component_button_next.json", &[("PLACEHOLDER_BUTTON", &next)]),
                )
            }
            _ => break,
        }
    }
    assert_eq!(links, all.len(), "over {pages} pages");
}

/// `/sources` pages are kept for page clicks, and made again from the new notes after a
/// reload.
#[test]
fn sources_after_a_reload_list_the_new_links() {
    let dir = common::TempDir::new("sources-reload");
    let note = dir.join("chatgpt.md");
    let first = "## [First](https://example.com/first)\n\n- a point\n";
    std::fs::write(&note, first).unwrap_or_else(|e| panic!("{e}"));
    let app = app_for(&dir, 0);
    let listed = |app: &App| -> String {
        respond(app, &fixture("command_sources.json", &[]))["data"]["embeds"][0]["description"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let before = listed(&app);
    assert!(before.contains("https://example.com/first"), "{before}");
    assert_eq!(listed(&app), before, "the kept pages");
    let second = "\n## [Second](https://example.com/second)\n\n- a point\n";
    std::fs::write(&note, format!("{first}{second}")).unwrap_or_else(|e| panic!("{e}"));
    assert!(app.reload_changed(None).reloaded.is_some());
    let after = listed(&app);
    assert!(after.contains("https://example.com/second"), "{after}");
}

#[test]
fn a_topic_of_one_section_says_section() {
    let dir = common::TempDir::new("one-section");
    std::fs::write(dir.join("one.md"), "# Only\n\n- a point\n").unwrap_or_else(|e| panic!("{e}"));
    let body = respond(&app_for(&dir, 0), &fixture("command_topics.json", &[]));
    let text = body["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(text.ends_with("(1 section)"), "{text}");
}

/// `/notes topic:` takes a topic as a member types it: spaces, capitals, or a name typed
/// past the 32 characters Discord allows a command name.
#[test]
fn a_topic_typed_as_its_title_or_in_full_is_found() {
    let dir = common::TempDir::new("topic-typed");
    std::fs::write(
        dir.join("Security considerations for teams.md"),
        "# Shared vaults\n\n- who can read a shared vault\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let app = app_for(&dir, 0);
    let asked = |topic: &str| -> Value {
        let path = root().join("tests/fixtures/interactions/command_chatgpt_rlhf.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        json["data"]["name"] = Value::from("notes");
        json["data"]["options"] = serde_json::json!([
            { "name": "topic", "type": 3, "value": topic },
            { "name": "query", "type": 3, "value": "shared vault" },
        ]);
        respond(
            &app,
            &serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}")),
        )
    };
    for typed in [
        "security-considerations-for-team",
        "security-considerations-for-teams",
        "Security considerations for teams",
    ] {
        let body = asked(typed);
        let title = body["data"]["embeds"][0]["title"].as_str().unwrap_or_default();
        assert_eq!(title, "Shared vaults", "{typed}: {body}");
    }
    let unknown = asked("nothing like it");
    assert_eq!(unknown["data"]["flags"], 64);
}

#[test]
fn topics_lists_every_topic() {
    let body = respond(&app(), &fixture("command_topics.json", &[]));
    let text = body["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        text.contains("/chatgpt — ChatGPT 资料梳理 (13 sections)"),
        "{text}"
    );
}

fn topics_text(app: &App, interaction: &Interaction) -> String {
    let body = respond(app, interaction);
    body["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn topics_mentions_the_registered_commands_so_they_are_clickable() {
    let app = app();
    let in_guild = fixture("command_topics.json", &[]);
    let in_dm = fixture(
        "command_topics.json",
        &[("\"guild_id\": \"1180000000000000100\",", "")],
    );
    // Unknown ids (serve mode without registration): plain text.
    assert!(topics_text(&app, &in_guild).contains("/chatgpt — ChatGPT"));
    app.handler.remember_command_ids(
        None,
        [
            ("chatgpt".to_string(), 1180000000000000301),
            ("topics".to_string(), 7),
        ],
    );
    let text = topics_text(&app, &in_guild);
    assert!(
        text.contains("</chatgpt:1180000000000000301> — ChatGPT 资料梳理 (13 sections)"),
        "{text}"
    );
    // Guild registration: that guild's ids win there; elsewhere the global ones stay.
    app.handler
        .remember_command_ids(Some(1180000000000000100), [("chatgpt".to_string(), 42)]);
    assert!(topics_text(&app, &in_guild).contains("</chatgpt:42>"));
    assert!(topics_text(&app, &in_dm).contains("</chatgpt:1180000000000000301>"));
    // A later global registration replaces the global ids.
    app.handler.remember_command_ids(None, []);
    assert!(topics_text(&app, &in_dm).contains("/chatgpt — "));
}

#[test]
fn private_answers_are_ephemeral_and_post_shares_them_publicly() {
    let app = app();
    let public = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    let private = respond(&app, &fixture("command_chatgpt_rlhf_private.json", &[]));
    assert_eq!(private["type"], 4);
    assert_eq!(private["data"]["flags"], 64, "private is ephemeral");
    assert!(public["data"].get("flags").is_none(), "public stays public");
    assert_eq!(private["data"]["embeds"], public["data"]["embeds"], "same answer");
    // An ephemeral message cannot be deleted by the bot: Post replaces 🗑.
    let (post, disabled) = button(&private, "Post").unwrap_or_else(|| panic!("no Post button"));
    assert!(!disabled);
    assert!(post.starts_with("post|chatgpt|"), "{post}");
    assert!(button(&public, "Post").is_none());

    // ▶ on the private answer keeps it private (the message's ephemeral flag says so).
    let (next, _) = button(&private, "▶").unwrap_or_else(|| panic!("no ▶ button"));
    let page2 = respond(
        &app,
        &fixture(
            "component_button_private.json",
            &[("PLACEHOLDER_BUTTON", &next), ("PLACEHOLDER_POST", &post)],
        ),
    );
    assert_eq!(page2["type"], 7);
    assert_eq!(page2["data"]["flags"], 64);
    let (post2, _) = button(&page2, "Post").unwrap_or_else(|| panic!("no Post on page 2"));
    assert!(post2.contains("|1|"), "Post carries the page shown: {post2}");

    // Post: a new public message, deletable by whoever posted it, at the page shown.
    let clicker = "1180000000000000777";
    let posted = respond(
        &app,
        &fixture(
            "component_button_private.json",
            &[
                ("PLACEHOLDER_BUTTON", &post2),
                (
                    "\"id\": \"1180000000000000500\",\n      \"public_flags\"",
                    &format!("\"id\": \"{clicker}\",\n      \"public_flags\""),
                ),
            ],
        ),
    );
    assert_eq!(
        posted["type"], 4,
        "a new message, not an update of the private one"
    );
    assert!(posted["data"].get("flags").is_none(), "posted publicly");
    assert_eq!(posted["data"]["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(
        posted["data"]["embeds"][0]["description"],
        page2["data"]["embeds"][0]["description"]
    );
    assert!(button(&posted, "Post").is_none());
    let delete = posted["data"]["components"][0]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|c| c["custom_id"].as_str().filter(|id| id.starts_with("rm|")))
        .unwrap_or_else(|| panic!("no 🗑 on the posted answer"));
    assert_eq!(delete, format!("rm|{clicker}"));
}

#[test]
fn post_of_a_section_gone_after_reload_is_refused_politely() {
    let app = app();
    let posted = respond(
        &app,
        &fixture(
            "component_button_private.json",
            &[("PLACEHOLDER_BUTTON", "post|chatgpt|ffffffffffffffff|0|k|")],
        ),
    );
    assert_eq!(posted["type"], 4);
    assert_eq!(posted["data"]["flags"], 64);
    assert!(posted["data"]["embeds"].is_null());
}

#[test]
fn answer_from_notes_searches_the_message_text_and_answers_privately() {
    let app = app();
    let asked = "How does RLHF unlock what ChatGPT can do?";
    let body = respond(
        &app,
        &fixture(
            "command_answer_from_notes.json",
            &[("PLACEHOLDER_CONTENT", asked)],
        ),
    );
    assert_eq!(body["type"], 4);
    assert_eq!(body["data"]["flags"], 64, "only the one who asked sees it");
    assert_eq!(body["data"]["allowed_mentions"]["parse"], serde_json::json!([]));
    let title = body["data"]["embeds"][0]["title"].as_str().unwrap_or_default();
    let expected = app
        .index()
        .search("How does RLHF unlock what ChatGPT can do?", None, 1);
    let index = app.index();
    let best = &index.library().notes()[expected[0].section.note].sections[expected[0].section.section];
    assert_eq!(title, best.title);
    let (post, _) = button(&body, "Post").unwrap_or_else(|| panic!("no Post button"));
    assert!(post.starts_with("post|chatgpt|"), "{post}");

    // No text (an embed or an image only), or nothing found: a polite private refusal.
    let empty = respond(
        &app,
        &fixture("command_answer_from_notes.json", &[("PLACEHOLDER_CONTENT", "")]),
    );
    assert_eq!(empty["data"]["flags"], 64);
    assert_eq!(empty["data"]["content"], "That message has no text to look up.");
    let nothing = respond(
        &app,
        &fixture(
            "command_answer_from_notes.json",
            &[("PLACEHOLDER_CONTENT", "zzqx @everyone")],
        ),
    );
    assert_eq!(nothing["data"]["flags"], 64);
    let nothing = nothing["data"]["content"].as_str().unwrap_or_default();
    assert!(
        nothing.starts_with("“zzqx” is not in the notes.\nNo section of the notes"),
        "{nothing}"
    );
}

#[test]
fn select_shows_the_chosen_section() {
    let app = app();
    let index = app.index();
    let note = &index.library().notes()[0];
    let section = note
        .sections
        .iter()
        .find(|s| s.title == "深入理解语言模型的突现能力")
        .unwrap_or_else(|| panic!("missing"));
    let value = format!("chatgpt|{:x}", section.id);
    let select = Action::Other {
        topic: "chatgpt".into(),
    }
    .encode();
    let body = respond(
        &app,
        &fixture(
            "component_select.json",
            &[("PLACEHOLDER_SELECT", &select), ("PLACEHOLDER_VALUE", &value)],
        ),
    );
    assert_eq!(body["type"], 7);
    assert_eq!(body["data"]["embeds"][0]["title"], "深入理解语言模型的突现能力");
    // A menu sent before options carried their reason: shown as keywords, as then.
    assert_eq!(footer(&body), "/chatgpt · 原理解析/论文综述 · matched keywords");
    // The option says how the section matched, and the page shown says so too.
    let body = respond(
        &app,
        &fixture(
            "component_select.json",
            &[
                ("PLACEHOLDER_SELECT", &select),
                ("PLACEHOLDER_VALUE", &format!("{value}|x")),
            ],
        ),
    );
    assert_eq!(footer(&body), "/chatgpt · 原理解析/论文综述 · matched the text");
}

#[test]
fn a_section_picked_from_other_matches_says_how_it_matched() {
    let app = app();
    // Its other matches are found in titles and in text alike.
    let answer = respond(&app, &command("chatgpt", "能力", false));
    let menu = (answer["data"]["components"]
        .as_array()
        .cloned()
        .unwrap_or_default())
    .iter()
    .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
    .find(|c| c["type"] == 3)
    .unwrap_or_else(|| panic!("no menu of other matches: {answer}"));
    let options = menu["options"].as_array().cloned().unwrap_or_default();
    let reasons: Vec<&str> = (options.iter())
        .filter_map(|o| o["value"].as_str()?.rsplit('|').next())
        .collect();
    assert!(reasons.contains(&"k") && reasons.contains(&"x"), "{menu}");
    for option in &options {
        let value = option["value"].as_str().unwrap_or_default();
        let said = match value.rsplit('|').next() {
            Some("t") => "matched the title",
            Some("k") => "matched keywords",
            Some("x") => "matched the text",
            Some("f") => "close match",
            Some("g") => "matched in translation",
            other => panic!("{value}: no reason ({other:?})"),
        };
        let select = menu["custom_id"].as_str().unwrap_or_default();
        let picked = respond(
            &app,
            &fixture(
                "component_select.json",
                &[("PLACEHOLDER_SELECT", select), ("PLACEHOLDER_VALUE", value)],
            ),
        );
        assert_eq!(picked["data"]["embeds"][0]["title"], option["label"], "{value}");
        assert!(footer(&picked).ends_with(said), "{value}: {}", footer(&picked));
    }
}

/// The footer of a response's first embed.
fn footer(body: &Value) -> &str {
    body["data"]["embeds"][0]["footer"]["text"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn a_click_on_a_section_gone_after_reload_is_answered_politely() {
    let app = app();
    let stale = Action::Page(SectionPage {
        topic: "chatgpt".into(),
        section: 0xdead_beef,
        page: 1,
        reason: MatchReason::Keyword,
        focus: vec![],
    })
    .encode();
    let body = respond(
        &app,
        &fixture("component_button_next.json", &[("PLACEHOLDER_BUTTON", &stale)]),
    );
    assert_eq!(body["data"]["flags"], 64);
    assert!(
        body["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("no longer")
    );
    let garbage = respond(
        &app,
        &fixture(
            "component_button_next.json",
            &[("PLACEHOLDER_BUTTON", "pg|||||||")],
        ),
    );
    assert_eq!(garbage["data"]["flags"], 64);
    // Not "try again in a minute": the same button would fail again.
    let said = garbage["data"]["content"].as_str().unwrap_or_default();
    assert!(
        said.contains("no longer works") && said.contains("Ask again"),
        "{said}"
    );
}

#[test]
fn only_the_asker_or_a_moderator_may_delete() {
    let app = app();
    let own = respond(
        &app,
        &fixture(
            "component_delete.json",
            &[("PLACEHOLDER_DELETE", "rm|1180000000000000500")],
        ),
    );
    assert_eq!(own["type"], 6, "acknowledged, then deleted");
    let then = app
        .handle(&fixture(
            "component_delete.json",
            &[("PLACEHOLDER_DELETE", "rm|1180000000000000500")],
        ))
        .then;
    assert!(matches!(then, notes_bot::bot::Then::DeleteMessage), "{then:?}");
    // Someone else: the fixture member's permissions lack Manage Messages (0x2000).
    let body = respond(
        &app,
        &fixture("component_delete.json", &[("PLACEHOLDER_DELETE", "rm|42")]),
    );
    assert_eq!(body["data"]["flags"], 64);
    assert!(
        body["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("Only the person who asked")
    );
    // A moderator.
    let moderator = respond(
        &app,
        &fixture(
            "component_delete.json",
            &[
                ("PLACEHOLDER_DELETE", "rm|42"),
                (
                    "\"permissions\": \"2248473465835073\"",
                    "\"permissions\": \"8192\"",
                ),
            ],
        ),
    );
    assert_eq!(moderator["type"], 6);
}

#[test]
fn cooldown_answers_privately_with_the_wait() {
    let app = app_for(&root().join("notes"), 3);
    let first = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    assert_eq!(first["type"], 4);
    let second = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    assert_eq!(second["data"]["flags"], 64);
    assert!(
        second["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("try again in 3 s"),
        "{second}"
    );
    // Another command is not on cooldown.
    let topics = respond(&app, &fixture("command_topics.json", &[]));
    assert!(topics["data"]["flags"].is_null());
}

/// The outcome each interaction is counted under in metrics and logs: a question answered,
/// a section posted from the closest, a listing, a miss (from a slash command or "Answer
/// from notes") are each their own.
#[test]
fn outcomes_name_what_was_answered() {
    let app = app();
    let kind = |interaction: &Interaction| app.handle(interaction).kind.as_str();
    assert_eq!(kind(&fixture("command_chatgpt_rlhf.json", &[])), "hit");
    assert_eq!(kind(&fixture("command_chatgpt_nomatch.json", &[])), "no_match");
    assert_eq!(kind(&fixture("command_chatgpt_closest.json", &[])), "closest");
    for listing in ["command_topics.json", "command_sources.json", "command_gaps.json"] {
        assert_eq!(kind(&fixture(listing, &[])), "listing", "{listing}");
    }
    let miss = fixture(
        "command_answer_from_notes.json",
        &[("PLACEHOLDER_CONTENT", "pizza recipe")],
    );
    assert_eq!(kind(&miss), "no_match");
    let offered = respond(&app, &fixture("command_chatgpt_closest.json", &[]));
    let posts = buttons(&offered);
    let post = fixture(
        "component_button_private.json",
        &[("PLACEHOLDER_BUTTON", &posts[0].1)],
    );
    assert_eq!(kind(&post), "posted");
}

/// A command refused for what it asks (an empty query, an unknown topic) costs no cooldown:
/// the member's next try, at once, is answered.
#[test]
fn a_refused_command_costs_no_cooldown() {
    let app = app_for(&root().join("notes"), 3);
    let empty = respond(
        &app,
        &fixture("command_chatgpt_rlhf.json", &[("\"rlhf\"", "\"  \"")]),
    );
    assert_eq!(empty["data"]["flags"], 64, "{empty}");
    let answered = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    assert_eq!(answered["type"], 4);
    assert!(answered["data"]["flags"].is_null(), "{answered}");
    let unknown = respond(
        &app,
        &fixture("command_sources_topic.json", &[("\"chatgpt\"", "\"chatgtp\"")]),
    );
    assert!(
        unknown["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("chatgtp"),
        "{unknown}"
    );
    let listed = respond(&app, &fixture("command_sources_topic.json", &[]));
    assert!(listed["data"]["flags"].is_null(), "{listed}");
    // Work done still costs one.
    let again = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    assert!(
        again["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("try again in"),
        "{again}"
    );
}

#[test]
fn listing_custom_ids_round_trip() {
    for listing in [
        Listing::Topics,
        Listing::Sources(None),
        Listing::Sources(Some("chatgpt".into())),
    ] {
        let id = Action::List {
            listing: listing.clone(),
            page: 3,
        }
        .encode();
        assert_eq!(Action::decode(&id), Some(Action::List { listing, page: 3 }));
    }
}

fn command_json(library: &Library) -> Vec<Value> {
    command_set(library, &InstallOptions::default())
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn check_command(command: &Value) {
    let name = command["name"].as_str().unwrap_or_default();
    assert!((1..=32).contains(&name.chars().count()), "{name}");
    if command["type"] == 3 {
        // A message command: any case and spaces, no description, no options.
        assert!(command.get("description").is_none(), "{name}");
        assert!(command["options"].as_array().is_none_or(Vec::is_empty), "{name}");
        return;
    }
    assert!(
        name.chars()
            .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_'),
        "{name}"
    );
    let description = command["description"].as_str().unwrap_or_default();
    assert!(
        (1..=100).contains(&description.chars().count()),
        "{name}: {description:?}"
    );
    let options = command["options"].as_array().cloned().unwrap_or_default();
    assert!(options.len() <= 25);
    for option in &options {
        assert!((1..=32).contains(&option["name"].as_str().unwrap_or_default().chars().count()));
        assert!((1..=100).contains(&option["description"].as_str().unwrap_or_default().chars().count()));
    }
    for item in options.iter().chain([command]) {
        for (locale, name) in item["name_localizations"].as_object().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            assert!(
                (1..=32).contains(&name.chars().count()) && !name.chars().any(char::is_uppercase),
                "{locale}: {name}"
            );
        }
        for (locale, text) in item["description_localizations"]
            .as_object()
            .into_iter()
            .flatten()
        {
            assert!((1..=100).contains(&chars(text)), "{locale}: {text}");
        }
    }
}

#[test]
fn built_in_commands_and_options_are_localized_in_chinese_and_english() {
    let loaded = notes::load_dir(&root().join("notes"), &Labels::default());
    let commands = command_json(&loaded.library);
    let mut localized = 0;
    for command in &commands {
        let name = command["name"].as_str().unwrap_or_default();
        let options = command["options"].as_array().cloned().unwrap_or_default();
        if command["type"] == 3 {
            assert_eq!(command["name_localizations"]["zh-CN"], "用笔记回答");
            continue;
        }
        let builtin = name != "chatgpt";
        let items: Vec<&Value> = if builtin {
            options.iter().chain([command]).collect()
        } else {
            options.iter().collect()
        };
        for item in items {
            let what = format!("/{name} {}", item["name"]);
            assert_eq!(item["name_localizations"]["en-US"], item["name"], "{what}");
            assert_eq!(
                item["description_localizations"]["en-US"], item["description"],
                "{what}"
            );
            let zh_name = item["name_localizations"]["zh-CN"].as_str().unwrap_or_default();
            let zh = item["description_localizations"]["zh-CN"]
                .as_str()
                .unwrap_or_default();
            assert!(
                zh_name.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{what}: {zh_name:?}"
            );
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{what}: {zh:?}"
            );
            localized += 1;
        }
    }
    // sources, topics, gaps, and the options query and private (chatgpt), topic (sources, gaps).
    assert_eq!(localized, 7);
}

#[test]
fn a_note_command_takes_its_description_from_front_matter_cut_to_100_characters() {
    let labels = Labels::default();
    let parse =
        |text: &str| notes::parse_note(Path::new("t.md"), text, &labels).unwrap_or_else(|e| panic!("{e}"));
    let long = "长".repeat(150);
    let library = Library::from(vec![
        parse(&format!(
            "---\ntitle: Title A\ndescription: {long}\n---\n## A\n- x\n"
        )),
        parse("---\ntitle: Only a title\ncommand: b\n---\n## A\n- x\n"),
        parse(&format!(
            "---\ntitle: {}\ncommand: c\n---\n## A\n- x\n",
            "t".repeat(140)
        )),
    ]);
    let commands = command_json(&library);
    commands.iter().for_each(check_command);
    let first = commands[0]["description"].as_str().unwrap_or_default();
    assert_eq!(first.chars().count(), 100, "{first}");
    assert!(first.starts_with(&"长".repeat(99)), "{first}");
    assert_eq!(commands[1]["description"], "Only a title");
    assert_eq!(chars(&commands[2]["description"]), 100);
}

#[test]
fn command_set_from_the_shipped_notes() {
    let loaded = notes::load_dir(&root().join("notes"), &Labels::default());
    let commands = command_json(&loaded.library);
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        vec!["chatgpt", "sources", "topics", "Answer from notes", "gaps"]
    );
    for command in &commands {
        check_command(command);
    }
    let chatgpt = &commands[0];
    assert_eq!(chatgpt["description"], "ChatGPT 资料梳理");
    let query = &chatgpt["options"][0];
    assert_eq!(
        (query["name"].as_str(), query["type"].as_u64()),
        (Some("query"), Some(3))
    );
    assert_eq!(
        (query["required"].as_bool(), query["autocomplete"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(query["max_length"], 100);
    assert_eq!(
        commands[4]["default_member_permissions"], "32",
        "gaps is for Manage Server"
    );
}

#[test]
#[ignore = "needs ../shared"]
fn command_set_from_the_corpus() {
    let corpus = root().join("../shared/corpus/yaozeyuan-blog");
    let loaded = notes::load_dir(&corpus, &Labels::default());
    let commands = command_json(&loaded.library);
    assert_eq!(commands.len(), 67 + 4);
    commands.iter().for_each(check_command);
    let mut names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 71, "names are unique");
}

#[test]
fn commands_are_user_installable_and_work_in_dms_but_gaps_stays_in_servers() {
    let loaded = notes::load_dir(&root().join("notes"), &Labels::default());
    let commands = command_json(&loaded.library);
    for command in &commands {
        let name = command["name"].as_str().unwrap_or_default();
        let (types, contexts) = if name == "gaps" {
            (serde_json::json!([0]), serde_json::json!([0]))
        } else {
            (serde_json::json!([0, 1]), serde_json::json!([0, 1, 2]))
        };
        assert_eq!(command["integration_types"], types, "{name}");
        assert_eq!(command["contexts"], contexts, "{name}");
    }
    // Configurable: a server-only bot.
    let config = Config::parse(
        Path::new("c.yaml"),
        "install:\n  integration_types: [guild]\n  contexts: [guild, bot_dm]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let server_only: Vec<Value> = command_set(&loaded.library, &config.install)
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(server_only[0]["integration_types"], serde_json::json!([0]));
    assert_eq!(server_only[0]["contexts"], serde_json::json!([0, 1]));
    let empty = Config::parse(Path::new("c.yaml"), "install:\n  contexts: []\n");
    assert!(empty.err().is_some_and(|e| e.to_string().contains("install.")));
    let typo = Config::parse(Path::new("c.yaml"), "install:\n  contexts: [dm]\n");
    assert!(typo.is_err());

    // A member who installed the app asks in a group DM the bot is not in: a public answer
    // (an interaction response needs no membership), 🗑 deletes through the interaction
    // webhook, which needs none either.
    let body = respond(&app(), &fixture("command_chatgpt_rlhf_user_install.json", &[]));
    assert_eq!(body["type"], 4);
    assert!(body["data"]["embeds"][0]["title"].is_string(), "{body}");
    assert!(body["data"].get("flags").is_none());
    let delete = body["data"]["components"][0]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|c| c["custom_id"].as_str().filter(|id| id.starts_with("rm|")));
    assert_eq!(delete, Some("rm|1180000000000000500"));
}

#[test]
fn command_set_falls_back_to_notes_above_90_topics() {
    // Above 90 topics, one /notes command replaces the per-topic ones.
    let template = notes::parse_note(Path::new("t.md"), "## A\n- x\n", &Labels::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let many = Library::from(
        (0..=MAX_TOPIC_COMMANDS)
            .map(|i| {
                let mut note = template.clone();
                note.topic = format!("topic-{i}");
                note
            })
            .collect::<Vec<_>>(),
    );
    let commands = command_json(&many);
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        vec!["notes", "sources", "topics", "Answer from notes", "gaps"]
    );
    commands.iter().for_each(check_command);
    let options: Vec<&str> = commands[0]["options"]
        .as_array()
        .map(|o| o.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(options, vec!["topic", "query", "private"]);
}

/// The shipped notes, no cooldown, data saved to a fresh folder named after `name`.
fn app_saving_to(name: &str) -> (App, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    (app_with_data(&dir), dir)
}

/// The shipped notes, no cooldown, data kept in `dir` (read from it at start).
fn app_with_data(dir: &std::path::Path) -> App {
    let config = Config {
        notes_dir: root().join("notes"),
        data_dir: dir.to_path_buf(),
        cooldown_seconds: 0,
        ..Config::default()
    };
    let (app, _) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
    app
}

#[test]
fn unanswered_queries_show_up_in_gaps_and_are_saved() {
    let (app, dir) = app_saving_to("notes-bot-gaps-test");
    respond(&app, &fixture("command_chatgpt_nomatch.json", &[]));
    respond(&app, &fixture("command_chatgpt_nomatch.json", &[]));
    let body = respond(&app, &fixture("command_gaps.json", &[]));
    assert_eq!(body["data"]["flags"], 64, "gaps are shown privately");
    let text = body["data"]["content"].as_str().unwrap_or_default();
    // Each with its words the notes never use: what the admin could teach the bot.
    assert!(
        text.contains("2 unanswered, 0 weak · /chatgpt · “pizza recipe” — not in the notes: pizza, recipe"),
        "{text}"
    );
    assert!(app.handler.save_counts().is_ok());
    let saved = notes_bot::gaps::load(&notes_bot::gaps::file_in(&dir)).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(saved.top(None, Some("chatgpt"), 5)[0].missed, 2);
}

#[test]
fn gaps_fit_one_message_and_the_worst_rated_answers_keep_their_place() {
    let dir = std::env::temp_dir().join(format!("notes-bot-gaps-budget-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    // Twenty long questions of words no note uses, stored as an older version (or a hand)
    // may have left them: one with controls, one uncut.
    let mut gaps = serde_json::Map::new();
    for n in 0..20u8 {
        let letter = |i: u8| char::from(b'a' + i);
        let words: Vec<String> = (0..12u8)
            .map(|w| format!("zorb{}{}flu", letter(n), letter(w)))
            .collect();
        gaps.insert(
            words.join(" "),
            serde_json::json!({ "missed": 20 - u64::from(n), "weak": 0 }),
        );
    }
    gaps.insert(
        format!("pizza\u{1b}[2J \u{202e}{}", "x".repeat(3000)),
        serde_json::json!({ "missed": 1, "weak": 0 }),
    );
    let gaps = serde_json::json!({ "topics": { "chatgpt@1180000000000000100": gaps } });
    std::fs::write(dir.join("gaps.json"), gaps.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let ratings = serde_json::json!({
        "topics": { "chatgpt@1180000000000000100": { "2e": { "title": "Disliked", "up": 0, "down": 3, "queries": { "rlhf": 2 } } } },
        "voters": [1]
    });
    std::fs::write(dir.join("feedback.json"), ratings.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let app = app_with_data(&dir);
    let body = respond(&app, &fixture("command_gaps.json", &[]));
    let _ = std::fs::remove_dir_all(&dir);
    let text = body["data"]["content"].as_str().unwrap_or_default();
    assert!(
        text.encode_utf16().count() <= 2000,
        "{}",
        text.encode_utf16().count()
    );
    // The worst-rated answers are whole at the end; the gaps that did not fit are counted.
    assert!(
        text.ends_with("**Worst-rated answers**\n👎 3 · 👍 0 · /chatgpt · Disliked ← “rlhf” ×2"),
        "{text}"
    );
    assert!(
        text.contains(" more: `notes-bot gaps` lists them all\n\n**Worst-rated"),
        "{text}"
    );
    // Each gap lists at most six of its lacking words.
    let first = text.lines().nth(1).unwrap_or_default();
    let lacking = first.split("— not in the notes: ").nth(1).unwrap_or_default();
    assert_eq!(
        lacking, "zorbaaflu, zorbabflu, zorbacflu, zorbadflu, zorbaeflu, zorbafflu",
        "{first}"
    );
    assert_eq!(unprintable(text), Vec::<char>::new(), "{text:?}");
}

#[test]
fn a_question_given_only_the_closest_sections_is_a_weak_gap() {
    let (app, dir) = app_saving_to("notes-bot-closest-gaps");
    respond(&app, &fixture("command_chatgpt_closest.json", &[]));
    let body = respond(&app, &fixture("command_gaps.json", &[]));
    let _ = std::fs::remove_dir_all(&dir);
    let text = body["data"]["content"].as_str().unwrap_or_default();
    // Each word is in the note (`豆腐脑` by its bigrams), so none is listed as lacking.
    assert!(
        text.ends_with("\n0 unanswered, 1 weak · /chatgpt · “wolfram 豆腐脑”"),
        "{text}"
    );
}

/// Controls and bidi overrides a member can paste into a query option.
const HOSTILE: &str =
    r"pizza\u001b[2J\u0007\u009b31m \u202eexe.fdp\u202c\u2066recipe\u2069\u200f\u061c\u0000";

fn unprintable(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        })
        .collect()
}

#[test]
fn controls_and_bidi_overrides_never_reach_the_reply_or_the_gaps() {
    let dir = std::env::temp_dir().join(format!("notes-bot-hygiene-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config {
        notes_dir: root().join("notes"),
        data_dir: dir.clone(),
        cooldown_seconds: 0,
        ..Config::default()
    };
    let (app, _) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
    let nomatch = fixture("command_chatgpt_nomatch.json", &[("pizza recipe", HOSTILE)]);
    let body = respond(&app, &nomatch);
    let content = body["data"]["content"].as_str().unwrap_or_default();
    assert!(content.contains("pizza"), "{content}");
    assert_eq!(unprintable(content), Vec::<char>::new(), "{content:?}");

    let gaps = respond(&app, &fixture("command_gaps.json", &[]));
    let text = gaps["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("pizza"), "{text}");
    assert_eq!(unprintable(text), Vec::<char>::new(), "{text:?}");
    assert!(app.handler.save_counts().is_ok());
    let saved = std::fs::read_to_string(notes_bot::gaps::file_in(&dir)).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let saved: Value = serde_json::from_str(&saved).unwrap_or_else(|e| panic!("{e}: {saved}"));
    let queries: Vec<String> = saved["topics"]["chatgpt@1180000000000000100"]
        .as_object()
        .map(|q| q.keys().cloned().collect())
        .unwrap_or_default();
    assert_eq!(queries, vec!["pizza[2j31m exe.fdprecipe".to_string()]);

    // A control character between the letters does not stop the search finding them.
    let hit = respond(
        &app,
        &fixture(
            "command_chatgpt_rlhf.json",
            &[(r#""value": "rlhf""#, r#""value": "rl\u0000\u202ehf""#)],
        ),
    );
    assert_eq!(
        hit["data"]["embeds"][0]["title"],
        "拆解追溯 GPT-3.5 各项能力的起源"
    );
    // Autocomplete too.
    let typed = respond(
        &app,
        &fixture(
            "autocomplete_chatgpt_rl.json",
            &[(r#""value": "rl""#, r#""value": "r\u0007\u202el""#)],
        ),
    );
    let plain = respond(&app, &fixture("autocomplete_chatgpt_rl.json", &[]));
    assert_eq!(typed["data"]["choices"], plain["data"]["choices"]);
}

/// The custom_id of the button showing `emoji`.
fn emoji_button(body: &Value, emoji: &str) -> Option<String> {
    body["data"]["components"]
        .as_array()?
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find_map(|c| {
            (c["emoji"]["name"] == emoji).then(|| c["custom_id"].as_str().unwrap_or_default().to_string())
        })
}

/// A click on `clicked` by `member`, on a public answer whose buttons are `answer`'s.
fn vote_click(answer: &Value, clicked: &str, member: &str) -> Interaction {
    let up = emoji_button(answer, "👍").unwrap_or_default();
    let down = emoji_button(answer, "👎").unwrap_or_default();
    let next = button(answer, "▶").map(|(id, _)| id).unwrap_or_default();
    fixture(
        "component_vote.json",
        &[
            ("PLACEHOLDER_CLICKED", clicked),
            ("PLACEHOLDER_BUTTON", &next),
            ("PLACEHOLDER_UP", &up),
            ("PLACEHOLDER_DOWN", &down),
            (
                "\"id\": \"1180000000000000500\",\n      \"public_flags\"",
                &format!("\"id\": \"{member}\",\n      \"public_flags\""),
            ),
        ],
    )
}

fn app_in(dir: &Path) -> App {
    let config = Config {
        notes_dir: root().join("notes"),
        data_dir: dir.to_path_buf(),
        cooldown_seconds: 0,
        ..Config::default()
    };
    let (app, problems) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
    assert!(problems.is_empty(), "{problems:?}");
    app
}

#[test]
fn every_answer_has_vote_buttons_that_carry_the_query_through_pages() {
    let app = app();
    for name in ["command_chatgpt_rlhf.json", "command_chatgpt_rlhf_private.json"] {
        let body = respond(&app, &fixture(name, &[]));
        let row = body["data"]["components"][0]["components"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(row.len() <= 5, "{name}: {} buttons", row.len());
        let up = emoji_button(&body, "👍").unwrap_or_else(|| panic!("{name}: no 👍"));
        let down = emoji_button(&body, "👎").unwrap_or_else(|| panic!("{name}: no 👎"));
        assert!(up.starts_with("up|chatgpt|") && up.ends_with("|rlhf"), "{up}");
        assert!(
            down.starts_with("dn|chatgpt|") && down.ends_with("|rlhf"),
            "{down}"
        );
    }
    // A member's mention in the query asks nothing, and their id is kept out of the votes.
    let mentioned = respond(
        &app,
        &fixture(
            "command_chatgpt_rlhf.json",
            &[("\"rlhf\"", "\"<@1180000000000000500> rlhf\"")],
        ),
    );
    let down = emoji_button(&mentioned, "👎").unwrap_or_else(|| panic!("no 👎"));
    assert!(down.ends_with("|rlhf") && !down.contains("<@"), "{down}");
    // Page 2 of the public answer still carries what was asked.
    let answer = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    let (next, _) = button(&answer, "▶").unwrap_or_else(|| panic!("no ▶"));
    let page2 = respond(&app, &vote_click(&answer, &next, "1180000000000000500"));
    assert_eq!(page2["type"], 7);
    assert_eq!(emoji_button(&page2, "👎"), emoji_button(&answer, "👎"));
    // "Answer from notes" keeps the message's text (normalised) as the query.
    let from_message = respond(
        &app,
        &fixture(
            "command_answer_from_notes.json",
            &[("PLACEHOLDER_CONTENT", "What is  RLHF?")],
        ),
    );
    let down = emoji_button(&from_message, "👎").unwrap_or_default();
    assert!(down.ends_with("|what is rlhf?"), "{down}");
}

#[test]
fn a_thumbs_down_counts_once_per_member_and_shows_in_gaps() {
    let dir = std::env::temp_dir().join(format!("notes-bot-votes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = app_in(&dir);
    let answer = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    let down = emoji_button(&answer, "👎").unwrap_or_else(|| panic!("no 👎"));
    let up = emoji_button(&answer, "👍").unwrap_or_else(|| panic!("no 👍"));
    let (ada, bo, cy) = (
        "1180000000000000500",
        "1180000000000000501",
        "1180000000000000502",
    );

    let first = respond(&app, &vote_click(&answer, &down, ada));
    assert_eq!(
        (first["type"].as_u64(), first["data"]["flags"].as_u64()),
        (Some(4), Some(64))
    );
    let text = first["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("👎 counted"), "{text}");
    assert!(text.contains("拆解追溯 GPT-3.5 各项能力的起源"), "{text}");
    // Again, or changing her mind: acknowledged, not counted.
    for again in [&down, &up] {
        let repeat = respond(&app, &vote_click(&answer, again, ada));
        assert_eq!(repeat["data"]["flags"], 64);
        assert_eq!(
            repeat["data"]["content"],
            "Your vote on this answer is already counted."
        );
    }
    respond(&app, &vote_click(&answer, &down, bo));
    respond(&app, &vote_click(&answer, &up, cy));

    let gaps = respond(&app, &fixture("command_gaps.json", &[]));
    let text = gaps["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("**Worst-rated answers**"), "{text}");
    assert!(
        text.contains("👎 2 · 👍 1 · /chatgpt · 拆解追溯 GPT-3.5 各项能力的起源 ← “rlhf” ×2"),
        "{text}"
    );

    // Saved beside the gaps; after a restart Ada's vote on that answer still counts once.
    assert!(app.handler.save_counts().is_ok());
    let saved = notes_bot::feedback::load(&notes_bot::feedback::file_in(&dir)).unwrap_or_default();
    let worst = saved.worst(None, Some("chatgpt"), 5);
    assert_eq!((worst[0].down, worst[0].up), (2, 1));
    assert_eq!(worst[0].queries, vec![("rlhf".to_string(), 2)]);
    let restarted = app_in(&dir);
    let repeat = respond(&restarted, &vote_click(&answer, &down, ada));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        repeat["data"]["content"],
        "Your vote on this answer is already counted."
    );
}

#[test]
fn a_vote_with_a_forged_query_is_cleaned_and_a_gone_section_refused() {
    let dir = std::env::temp_dir().join(format!("notes-bot-votes-forged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = app_in(&dir);
    let answer = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    let down = emoji_button(&answer, "👎").unwrap_or_default();
    let forged = format!("{}|{HOSTILE}", down.trim_end_matches("|rlhf"));
    let body = respond(&app, &vote_click(&answer, &forged, "1180000000000000500"));
    assert!(
        body["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("👎 counted")
    );
    let gaps = respond(&app, &fixture("command_gaps.json", &[]));
    let text = gaps["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("pizza"), "{text}");
    assert_eq!(unprintable(text), Vec::<char>::new(), "{text:?}");
    assert!(app.handler.save_counts().is_ok());
    let saved = std::fs::read_to_string(notes_bot::feedback::file_in(&dir)).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(saved.contains("pizza"), "{saved}");
    assert!(!saved.contains("\\u"), "no escaped control in the file: {saved}");

    let gone = respond(
        &app,
        &vote_click(&answer, "dn|chatgpt|ffffffffffffffff|rlhf", "1180000000000000500"),
    );
    assert_eq!(gone["data"]["flags"], 64);
    assert!(
        gone["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("no longer")
    );
}

/// "Answer from notes" on Bo's message, then Post on the private answer, by Ada; the app is
/// installed as `owners` says (`authorizing_integration_owners`).
fn post_from_message(app: &App, owners: &str) -> (Value, notes_bot::bot::handler::Then) {
    let private = respond(
        app,
        &fixture(
            "command_answer_from_notes.json",
            &[("PLACEHOLDER_CONTENT", "How does RLHF unlock what ChatGPT can do?")],
        ),
    );
    let (post, _) = button(&private, "Post").unwrap_or_else(|| panic!("no Post button"));
    assert!(
        post.contains("|1180000000000000650|"),
        "Post names the message: {post}"
    );
    let down = emoji_button(&private, "👎").unwrap_or_default();
    let owners_json = "\"authorizing_integration_owners\": {\n    \"0\": \"1180000000000000100\"\n  }";
    let click = fixture(
        "component_button_private.json",
        &[
            ("PLACEHOLDER_BUTTON", &post),
            ("PLACEHOLDER_POST", &post),
            ("PLACEHOLDER_PREV", &down),
            (
                owners_json,
                &format!("\"authorizing_integration_owners\": {owners}"),
            ),
        ],
    );
    let outcome = app.handle(&click);
    let body = serde_json::to_value(&outcome.response).unwrap_or_else(|e| panic!("{e}"));
    check_limits(&body);
    (body, outcome.then)
}

#[test]
fn post_from_answer_from_notes_replies_to_the_message_where_the_bot_is_installed() {
    let app = app();
    // Owners absent: the shape from before user installs, when only the server's bot was asked.
    let (_, then) = post_from_message(&app, "{}");
    assert!(
        matches!(then, notes_bot::bot::handler::Then::Reply(_)),
        "{then:?}"
    );
    // Installed by another server (a guild install elsewhere, a user install here): a link.
    let (_, then) = post_from_message(
        &app,
        r#"{ "0": "1180000000000000999", "1": "1180000000000000500" }"#,
    );
    assert!(matches!(then, notes_bot::bot::handler::Then::Nothing), "{then:?}");
    let (body, then) = post_from_message(&app, r#"{ "0": "1180000000000000100" }"#);
    // The private answer is replaced by a note; the bot posts the reply itself.
    assert_eq!(body["type"], 7);
    assert_eq!(
        body["data"]["content"],
        "Posted for everyone, as a reply to the message."
    );
    assert_eq!(body["data"]["embeds"], serde_json::json!([]));
    assert_eq!(body["data"]["components"], serde_json::json!([]));
    let notes_bot::bot::handler::Then::Reply(reply) = then else {
        panic!("no reply to post: {then:?}");
    };
    assert_eq!(reply.channel.get(), 1180000000000000200);
    let message = serde_json::to_value(&reply.message).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(message["message_reference"]["message_id"], "1180000000000000650");
    assert_eq!(message["message_reference"]["channel_id"], "1180000000000000200");
    assert_eq!(message["message_reference"]["fail_if_not_exists"], false);
    assert_eq!(
        message["allowed_mentions"],
        serde_json::json!({ "parse": [], "users": [], "roles": [], "replied_user": false }),
        "pings nobody, not even the author of the message"
    );
    assert!(message["embeds"][0]["title"].is_string(), "{message}");
    let posted = serde_json::json!({ "type": 4, "data": message });
    check_limits(&posted);
    assert_eq!(
        emoji_button(&posted, "🗑️").as_deref(),
        Some("rm|1180000000000000500")
    );
    let down = emoji_button(&posted, "👎").unwrap_or_default();
    assert!(
        down.ends_with("|how does rlhf unlock what chatgpt can do?"),
        "{down}"
    );
    // If the bot cannot post there after all, the same answer as a follow-up.
    let follow_up = serde_json::to_value(&reply.follow_up).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(follow_up["embeds"], message["embeds"]);
    assert_eq!(follow_up["allowed_mentions"]["parse"], serde_json::json!([]));
    assert!(
        follow_up["content"]
            .as_str()
            .unwrap_or_default()
            .contains("/1180000000000000100/1180000000000000200/1180000000000000650"),
        "{follow_up}"
    );
    assert!(
        follow_up.get("flags").is_none() || follow_up["flags"] == 0,
        "public"
    );
}

#[test]
fn post_from_answer_from_notes_links_the_message_where_only_the_member_installed_the_app() {
    let app = app();
    let (body, then) = post_from_message(&app, r#"{ "1": "1180000000000000500" }"#);
    assert!(matches!(then, notes_bot::bot::handler::Then::Nothing));
    assert_eq!(body["type"], 4, "the interaction's own public response");
    assert!(body["data"].get("flags").is_none(), "public");
    assert_eq!(body["data"]["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(
        body["data"]["content"],
        "↪ Answering https://discord.com/channels/1180000000000000100/1180000000000000200/1180000000000000650"
    );
    assert!(body["data"]["embeds"][0]["title"].is_string());
}

#[test]
fn a_private_answer_from_a_message_keeps_its_reply_target_as_pages_turn() {
    let app = app();
    let private = respond(
        &app,
        &fixture(
            "command_answer_from_notes.json",
            &[("PLACEHOLDER_CONTENT", "rlhf")],
        ),
    );
    let (post, _) = button(&private, "Post").unwrap_or_else(|| panic!("no Post"));
    let Some((next, false)) = button(&private, "▶") else {
        panic!("expected a long section: {private}");
    };
    let page2 = respond(
        &app,
        &fixture(
            "component_button_private.json",
            &[("PLACEHOLDER_BUTTON", &next), ("PLACEHOLDER_POST", &post)],
        ),
    );
    let (post2, _) = button(&page2, "Post").unwrap_or_else(|| panic!("no Post on page 2"));
    assert!(
        post2.contains("|1|1180000000000000650|") || post2.contains("|1180000000000000650|"),
        "{post2}"
    );
    assert_ne!(post, post2, "page 2 is posted at page 2");
}

/// The longest topic a command may have.
const LONG_TOPIC: &str = "abcdefghijklmnopqrstuvwxyzabcdef";

/// A note named [`LONG_TOPIC`], one section of many pages: points with children, and under
/// four of the children a chain `levels` deep ending in `zebraquartz` (the search focuses
/// there, three paths `11.10.0.0…`, as long as `levels` makes them).
fn deep_note(name: &str, levels: usize) -> common::TempDir {
    let dir = common::TempDir::new(name);
    let mut text = String::from("---\ntitle: Deep\n---\n# Deep section\n\n");
    for top in 0..14 {
        text.push_str(&format!("- top item {top} {}\n", "filler text ".repeat(8)));
        for child in 0..12 {
            text.push_str(&format!(
                "  - child {top}.{child} {}\n",
                "more words here ".repeat(3)
            ));
            if top >= 11 && child >= 10 {
                for level in 0..levels {
                    let indent = "  ".repeat(level + 2);
                    let last = level + 1 == levels;
                    let words = if last { "zebraquartz" } else { "plain" };
                    text.push_str(&format!("{indent}- level {top}.{child}.{level} {words}\n"));
                }
            }
        }
    }
    std::fs::write(dir.join(format!("{LONG_TOPIC}.md")), text).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// The focus the search gives `zebraquartz`, and whether a page button and a post replying
/// to the fixture's message carry it, as the section's last page names it.
fn zebra_focus(app: &App, page: usize) -> (bool, bool) {
    let index = app.index();
    let notes_bot::search::Found::Confident(ranked) = index.find("zebraquartz", None, 1, 3) else {
        panic!("no confident hit");
    };
    let best = ranked.hits.first().unwrap_or_else(|| panic!("no hit"));
    let (_, section) = index
        .library()
        .section(best.section)
        .unwrap_or_else(|| panic!("no section"));
    let at = SectionPage {
        topic: LONG_TOPIC.to_string(),
        section: section.id,
        page,
        reason: best.reason,
        focus: ranked.focus(best.section),
    };
    assert!(!at.focus.is_empty());
    let kept = |action: Action| match Action::decode(&action.encode()) {
        Some(Action::Page(read) | Action::Post { at: read, .. }) => read.focus == at.focus,
        _ => false,
    };
    let post = Action::Post {
        at: at.clone(),
        reply_to: Some(1180000000000000650),
    };
    (kept(Action::Page(at.clone())), kept(post))
}

/// The response to a click on `label` of the message `body`: on a private message (one with
/// a Post button), by its asker, the Post button carried along as Discord sends it.
fn click(app: &App, body: &Value, label: &str) -> Value {
    let (id, _) = button(body, label).unwrap_or_else(|| panic!("no {label} button"));
    match button(body, "Post") {
        Some((post, _)) => {
            // Only the member installed the app: a post is the interaction's own response.
            let owners = "\"authorizing_integration_owners\": {\n    \"0\": \"1180000000000000100\"\n  }";
            let member = "\"authorizing_integration_owners\": { \"1\": \"1180000000000000500\" }";
            let replace = [
                ("PLACEHOLDER_BUTTON", id.as_str()),
                ("PLACEHOLDER_POST", &post),
                (owners, member),
            ];
            respond(app, &fixture("component_button_private.json", &replace))
        }
        None => respond(
            app,
            &fixture("component_button_next.json", &[("PLACEHOLDER_BUTTON", &id)]),
        ),
    }
}

fn description(body: &Value) -> String {
    body["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every page of a section message, walking ▶ from `first`.
fn walk_pages(app: &App, first: &Value) -> Vec<Value> {
    let mut pages = vec![first.clone()];
    while let Some(page) = pages
        .last()
        .filter(|page| button(page, "▶").is_some_and(|(_, disabled)| !disabled))
    {
        let next = click(app, page, "▶");
        pages.push(next);
        assert!(pages.len() < 50, "no last page");
    }
    pages
}

/// A focus too long for a page button's custom_id (a 32-character topic, items deep down):
/// page 1 was laid out focused and ▶ went on in document order, showing some lines twice
/// and others never, and ◀ led to another page 1. Now every page is in one order.
#[test]
fn a_focus_too_long_for_the_buttons_pages_in_one_order() {
    let dir = deep_note("deep-focus", 8);
    let app = app_for(&dir, 0);
    let (page_keeps, _) = zebra_focus(&app, 9);
    assert!(!page_keeps, "the focus fits a page button: no case");
    let first = respond(&app, &command(LONG_TOPIC, "zebraquartz", false));
    let pages: Vec<String> = walk_pages(&app, &first).iter().map(description).collect();
    assert!(pages.len() > 3, "{} pages", pages.len());
    // Each line with nothing under it is shown once (a parent may also head a page as
    // context).
    let index = app.index();
    let section = &index.library().notes()[0].sections[0];
    for item in section
        .points()
        .depth_first()
        .filter(|item| item.children().is_empty())
    {
        let line = format!("- {}", item.plain());
        let shown: usize = (pages.iter())
            .map(|page| page.lines().filter(|l| l.trim_start() == line).count())
            .sum();
        assert_eq!(shown, 1, "{line:?} shown {shown} times");
    }
    // ◀ from page 2 leads back to the page 1 first shown.
    let back = click(&app, &click(&app, &first, "▶"), "◀");
    assert_eq!(description(&back), pages[0]);
}

/// A focus that page buttons carry but a Post replying to a message ("Answer from notes")
/// cannot: Post shared the page in document order, not the focused page the member saw.
#[test]
fn post_shares_the_page_the_member_saw_when_the_focus_is_long() {
    let dir = deep_note("post-focus", 3);
    let app = app_for(&dir, 0);
    let (page_keeps, post_keeps) = zebra_focus(&app, 9);
    assert!(page_keeps && !post_keeps, "no case: {page_keeps} {post_keeps}");
    let private = respond(
        &app,
        &fixture(
            "command_answer_from_notes.json",
            &[("PLACEHOLDER_CONTENT", "zebraquartz")],
        ),
    );
    let pages = walk_pages(&app, &private);
    assert!(pages.len() > 2, "{} pages", pages.len());
    for (n, page) in pages.iter().enumerate() {
        let posted = click(&app, page, "Post");
        assert_eq!(
            description(&posted),
            description(page),
            "posted from page {}",
            n + 1
        );
    }
}

// ---------------------------------------------------------------------------------------
// Help forums: a thread create and its starter message, as the gateway sends them.

const FORUM: &str = "1190000000000000900";

fn forum_app(min_coverage: f32) -> App {
    forum_app_in(&root().join("notes"), min_coverage)
}

fn forum_app_in(notes: &Path, min_coverage: f32) -> App {
    let config = Config {
        notes_dir: notes.to_path_buf(),
        data_dir: std::env::temp_dir().join(format!("notes-bot-forum-{}", std::process::id())),
        forums: vec![FORUM.parse().unwrap_or_else(|e| panic!("{e}"))],
        forums_min_coverage: min_coverage,
        ..Config::default()
    };
    let (app, problems) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
    assert!(problems.is_empty(), "{problems:?}");
    app
}

fn gateway_fixture<T: serde::de::DeserializeOwned>(name: &str, replace: &[(&str, &str)]) -> T {
    let path = root().join("tests/fixtures/gateway").join(name);
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    assert!(!text.contains("PLACEHOLDER"), "{name}: a placeholder left");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn thread_in(forum: &str, title: &str) -> serenity::all::GuildChannel {
    gateway_fixture(
        "thread_create.json",
        &[("PLACEHOLDER_FORUM", forum), ("PLACEHOLDER_TITLE", title)],
    )
}

fn starter(content: &str, bot: bool) -> serenity::all::Message {
    gateway_fixture(
        "message_create.json",
        &[
            ("PLACEHOLDER_CONTENT", content),
            ("PLACEHOLDER_BOT", if bot { "true" } else { "false" }),
        ],
    )
}

/// The body the gateway would post for a new post (thread first, then its starter).
fn forum_post(app: &App, forum: &str, title: &str, content: &str, bot: bool) -> Option<Value> {
    assert!(
        app.thread_created(&thread_in(forum, title)).is_none(),
        "half a post"
    );
    let reply = app.message_created(&starter(content, bot))?;
    assert_eq!(reply.thread.get(), 1190000000000000001);
    Some(serde_json::to_value(&reply.message).unwrap_or_else(|e| panic!("{e}")))
}

/// A forum answer's focus too long for its page buttons: it is laid out in the order its
/// pages are, as a command's answer (`a_focus_too_long_for_the_buttons_pages_in_one_order`).
#[test]
fn a_forum_answer_whose_focus_the_buttons_cannot_carry_pages_in_one_order() {
    let dir = deep_note("forum-focus", 8);
    let app = forum_app_in(&dir, 0.5);
    let (page_keeps, _) = zebra_focus(&app, 9);
    assert!(!page_keeps, "the focus fits a page button: no case");
    let body =
        forum_post(&app, FORUM, "zebraquartz", "zebraquartz", false).unwrap_or_else(|| panic!("no answer"));
    let first = serde_json::json!({ "type": 4, "data": body });
    let back = click(&app, &click(&app, &first, "▶"), "◀");
    assert_eq!(description(&back), description(&first));
}

const FORUM_TITLE: &str = "RLHF";
const FORUM_CONTENT: &str = "基于人类反馈的强化学习";

#[test]
fn a_forum_post_the_notes_cover_gets_one_answer_with_votes() {
    let app = forum_app(0.75);
    let body = forum_post(&app, FORUM, FORUM_TITLE, FORUM_CONTENT, false)
        .unwrap_or_else(|| panic!("no answer above the threshold"));
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    let best = app
        .index()
        .search(&format!("{FORUM_TITLE}\n{FORUM_CONTENT}"), None, 1);
    let title = app
        .index()
        .library()
        .section(best[0].section)
        .map(|(_, s)| s.title.clone())
        .unwrap_or_default();
    let shown = body["embeds"][0]["title"].as_str().unwrap_or_default();
    assert!(
        shown.contains(&*title) || title.contains(shown),
        "{shown} vs {title}"
    );
    let labels: Vec<String> = body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| {
            c["emoji"]["name"]
                .as_str()
                .or(c["label"].as_str())
                .map(str::to_string)
        })
        .collect();
    assert!(labels.iter().any(|l| l.contains('👍')), "{labels:?}");
    assert!(labels.iter().any(|l| l.contains('👎')), "{labels:?}");
    // The same post again (Discord re-sent it): no second answer, in either order.
    assert!(forum_post(&app, FORUM, FORUM_TITLE, FORUM_CONTENT, false).is_none());
    assert!(app.message_created(&starter(FORUM_CONTENT, false)).is_none());
    assert!(app.thread_created(&thread_in(FORUM, FORUM_TITLE)).is_none());
}

#[test]
fn a_forum_post_is_answered_when_its_starter_comes_before_its_thread() {
    let app = forum_app(0.75);
    assert!(app.message_created(&starter(FORUM_CONTENT, false)).is_none());
    let reply = app.thread_created(&thread_in(FORUM, FORUM_TITLE));
    assert_eq!(reply.map(|r| r.thread.get()), Some(1190000000000000001));
}

#[test]
fn a_forum_post_below_the_coverage_threshold_gets_no_answer() {
    let (title, content) = ("RLHF", "weather");
    let hits = forum_app(0.75)
        .index()
        .search(&format!("{title}\n{content}"), None, 1);
    let coverage = hits
        .first()
        .map(|h| h.coverage)
        .unwrap_or_else(|| panic!("the post matches nothing: pick one half covered"));
    assert!((0.5..0.99).contains(&coverage), "{coverage}");
    // Just above what the best section covers: silence; at it: an answer.
    assert!(forum_post(&forum_app(coverage + 0.01), FORUM, title, content, false).is_none());
    assert!(forum_post(&forum_app(coverage), FORUM, title, content, false).is_some());
    // The default threshold keeps it silent.
    let default = Config::default().forums_min_coverage;
    assert!(coverage < default, "{coverage}");
    assert!(forum_post(&forum_app(default), FORUM, title, content, false).is_none());
}

/// A Chinese post in a forum whose notes are written in English is found only through
/// translation: a guess the bot offers when asked, and never posts unasked.
#[test]
fn a_forum_post_found_only_through_translation_gets_no_answer() {
    let dir = std::env::temp_dir().join(format!("notes-bot-forum-en-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let note = "---\ntitle: Sync\n---\n\n## Change Sync region\n\n- Pick the region your vault is stored in\n\n\
                ## Set up Sync\n\n- Sign in and connect a remote vault\n";
    std::fs::write(dir.join("sync.md"), note).unwrap_or_else(|e| panic!("{e}"));
    // One app per post: a thread is answered once.
    let app = || {
        let config = Config {
            notes_dir: dir.clone(),
            data_dir: dir.join("data"),
            forums: vec![FORUM.parse().unwrap_or_else(|e| panic!("{e}"))],
            forums_min_coverage: 0.5,
            ..Config::default()
        };
        App::load(config).unwrap_or_else(|e| panic!("{e}")).0
    };
    let (title, content) = ("sync 区域", "怎么更改");
    let hits = app().index().search(&format!("{title}\n{content}"), None, 1);
    let best = hits.first().unwrap_or_else(|| panic!("the post finds nothing"));
    assert!(best.coverage >= 0.5 && !best.is_confident(), "{best:?}");
    assert!(forum_post(&app(), FORUM, title, content, false).is_none());
    assert!(forum_post(&app(), FORUM, "sync region", "how do I change it", false).is_some());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn forum_posts_elsewhere_and_posts_by_bots_get_no_answer() {
    let elsewhere = forum_app(0.5);
    assert!(
        forum_post(
            &elsewhere,
            "1190000000000000901",
            FORUM_TITLE,
            FORUM_CONTENT,
            false
        )
        .is_none()
    );
    let by_bot = forum_app(0.5);
    assert!(forum_post(&by_bot, FORUM, FORUM_TITLE, FORUM_CONTENT, true).is_none());
    let bot_first = forum_app(0.5);
    assert!(bot_first.message_created(&starter(FORUM_CONTENT, true)).is_none());
    assert!(bot_first.thread_created(&thread_in(FORUM, FORUM_TITLE)).is_none());
    // Without forums configured, nothing is ever answered.
    let plain = app();
    assert!(plain.thread_created(&thread_in(FORUM, FORUM_TITLE)).is_none());
    assert!(plain.message_created(&starter(FORUM_CONTENT, false)).is_none());
}

/// FNV-1a of response bytes: a fingerprint that no Rust or crate version changes.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `/<topic> query:<query>`, private or not, from a member never seen before.
fn command(topic: &str, query: &str, private: bool) -> Interaction {
    let path = root().join("tests/fixtures/interactions/command_chatgpt_rlhf.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    json["data"]["name"] = Value::from(topic);
    json["data"]["options"] = serde_json::json!([{ "name": "query", "type": 3, "value": query }]);
    if private {
        json["data"]["options"]
            .as_array_mut()
            .unwrap_or_else(|| panic!("options"))
            .push(serde_json::json!({ "name": "private", "type": 5, "value": true }));
    }
    serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
}

/// A command's topic and query.
type TopicQuery = (String, String);

/// The queries of the golden file: the loadgen's on the shipped notes, the labelled ones on
/// the Obsidian Help vault (in the topic of their best hit), and on the blog corpus (long
/// Chinese sections) the title and the first words of every seventh section.
fn golden_cases() -> Vec<(&'static str, PathBuf, Vec<TopicQuery>)> {
    let shipped: Vec<(String, String)> = SHIPPED_QUERIES
        .iter()
        .map(|q| ("chatgpt".to_string(), q.to_string()))
        .collect();
    let shared = root().join("../shared");
    let eval =
        std::fs::read_to_string(shared.join("eval/obsidian-dev.tsv")).unwrap_or_else(|e| panic!("{e}"));
    let vault: Vec<String> = eval
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split('\t').nth(2).map(str::to_string))
        .collect();
    assert!(vault.len() > 50, "{} labelled queries", vault.len());
    let vault_dir = shared.join("corpus/obsidian-help");
    let index = app_for(&vault_dir, 0).index();
    let vault = vault
        .into_iter()
        .map(|query| {
            let topic = index
                .search(&query, None, 1)
                .first()
                .and_then(|hit| index.library().notes().get(hit.section.note))
                .unwrap_or(&index.library().notes()[0])
                .topic
                .clone();
            (topic, query)
        })
        .collect();
    let blog_dir = shared.join("corpus/yaozeyuan-blog");
    let index = app_for(&blog_dir, 0).index();
    let mut blog = Vec::new();
    let sections = index
        .library()
        .notes()
        .iter()
        .flat_map(|note| note.answerable().map(move |(_, section)| (note, section)));
    for (note, section) in sections.step_by(7) {
        blog.push((note.topic.clone(), section.title.clone()));
        if let Some(point) = section.points().first() {
            let words: String = point.plain().chars().take(6).collect();
            blog.push((note.topic.clone(), words));
        }
    }
    assert!(blog.len() > 100, "{} blog queries", blog.len());
    vec![
        ("notes", root().join("notes"), shipped),
        ("obsidian-help", vault_dir, vault),
        ("yaozeyuan-blog", blog_dir, blog),
    ]
}

/// Answers, public and private, are byte for byte those in `tests/fixtures/replies.tsv`,
/// which the code before issue 14's reply-cost work wrote: the work changed what a reply
/// costs, not what it says. Rewritten since when a point longer than a page began to go on
/// over the next pages (8 rows: two code blocks of the blog), and when matched steps of a
/// numbered list stopped being brought forward out of order (2 rows: the blog's CSS
/// specificity steps), and when a vault served by one `/notes` command began to name its
/// topics `/notes topic:x` (140 rows: every answer of the Obsidian vault, 346 notes), when
/// tables kept their empty cells and fences shown as code stayed backticks (16 rows), and
/// when a note's text before its first heading became a section (172 rows: section ids of
/// a heading named like its note, and answers that now come from a note's lead), and when
/// bold CommonMark leaves unpaired beside Chinese text stayed bold (16 rows), and when a
/// callout's title began to head its body's first lines in one point (24 rows), and when
/// footnotes began to be read where they are referred to (240 rows of the blog: four of
/// its notes cite their sources in footnotes, and a section that held only the
/// definitions holds nothing now, which moves every 7th section the blog queries take), and
/// when a bullet with nothing before what it holds gave it its place (2 rows: the blog's
/// `- ` over a vim code block), and when quotes before a note's first heading stopped being
/// dropped and quotes began to show quoted (14 rows: the vault's leads gained their callouts,
/// the blog's quoted lines show `> `; and the blog's leads that were only a quote are
/// sections now, which moves the sections its queries are taken from: 398 rows), and when
/// dates came to be written one way (52 blog rows: the diary notes' date questions answer
/// with that day's entry, and their sections' timestamps read as dates), and when a note's
/// lead stopped being named like a heading of the note (6 blog rows: a note titled by its
/// first heading, whose lead is named after its file), and when a page's Links field
/// began to list only the links that page cuts, not every link of the section (304 rows:
/// 20 of the shipped notes, 24 of the vault, 260 of the blog; no answer there cuts a link,
/// so none has the field now, and each page is otherwise as before), and when a matched
/// table row began to bring its table forward whole, as a matched step brings its list (2
/// rows: the blog's editor comparison, whose header the title matched, showed its caption
/// line between the header and the rows), and when runs of spaces in a note's text began to
/// show as one (24 rows: the vault's icon placeholders `（  ）`, the blog's padded table
/// that follows a list line and is text for CommonMark), and when code blocks began to
/// keep their language (52 rows: ```` ```js ````, ```` ```css ````; nothing else moved), and
/// when a table's header row began to show in bold (24 rows; two pages end a line earlier),
/// and when the other matches' menu began to describe a section under no heading by its
/// first words (186 rows; sampled 16 by their JSON: only option descriptions changed), and
/// when a matched row of a table too long to bring forward began to come under its header
/// (2 rows: the blog's table of code smells), and when that header became context there and
/// content again where the table is, above its first rows (the same 2 rows: the rest of the
/// table had no header), and when bold inside a callout's bold title stopped writing marks
/// of its own (2 rows: the vault's `**…选择**选择**按钮…**` showed its marks), and when a
/// long section whose first page shows its focus began to keep its order (8 rows: `GPT3`,
/// `特殊性`, `多个 Ngi` and a title, whose matched points showed twice on page 1).
/// `NOTES_BOT_WRITE_REPLIES=1` writes the file instead.
#[test]
#[ignore = "needs ../shared"]
fn answers_are_byte_for_byte_those_of_the_golden_file() {
    let mut lines = Vec::new();
    for (name, dir, queries) in golden_cases() {
        let app = app_for(&dir, 0);
        for (topic, query) in &queries {
            for private in [false, true] {
                let outcome = app.handle(&command(topic, query, private));
                let body = notes_bot::bot::endpoint::response_body(&outcome.response)
                    .unwrap_or_else(|e| panic!("{e}"));
                lines.push(format!(
                    "{name}\t{topic}\t{}\t{private}\t{}\t{:016x}",
                    query.replace(['\t', '\n'], " "),
                    body.len(),
                    fingerprint(&body)
                ));
            }
        }
    }
    let path = root().join("tests/fixtures/replies.tsv");
    let text = lines.join("\n") + "\n";
    if std::env::var_os("NOTES_BOT_WRITE_REPLIES").is_some() {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let differ: Vec<(&str, &str)> = golden
        .lines()
        .zip(text.lines())
        .filter(|(want, got)| want != got)
        .collect();
    assert!(
        differ.is_empty(),
        "{} answers differ, first: {:?}",
        differ.len(),
        differ.first()
    );
    assert_eq!(golden.lines().count(), lines.len());
}

/// `## Summary` under each chapter: every button, menu and vote names its own section.
#[test]
fn sections_with_the_same_title_are_told_apart_by_buttons_and_menus() {
    let dir = std::env::temp_dir().join(format!("notes-bot-twins-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut note = String::from("---\ntitle: Pets\n---\n");
    for animal in ["cats", "dogs", "birds"] {
        note.push_str(&format!("# {animal}\n\n## Summary\n\n"));
        for step in 0..40 {
            note.push_str(&format!(
                "- {animal} grooming routine step {step}: brushing fur and claws carefully every week\n"
            ));
        }
        note.push('\n');
    }
    std::fs::write(dir.join("pets.md"), note).unwrap_or_else(|e| panic!("{e}"));
    let app = app_for(&dir, 0);
    let ask = |query: &str| {
        respond(
            &app,
            &fixture(
                "command_chatgpt_rlhf.json",
                &[
                    ("\"name\": \"chatgpt\"", "\"name\": \"pets\""),
                    ("\"value\": \"rlhf\"", &format!("\"value\": \"{query}\"")),
                ],
            ),
        )
    };
    let category = |body: &Value| {
        body["data"]["embeds"][0]["footer"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };

    let answer = ask("dogs grooming");
    assert!(category(&answer).contains("dogs"), "{}", category(&answer));
    let (next, _) = button(&answer, "▶").unwrap_or_else(|| panic!("no ▶ button"));
    let page = respond(
        &app,
        &fixture("component_button_next.json", &[("PLACEHOLDER_BUTTON", &next)]),
    );
    let footer = category(&page);
    assert!(footer.contains("dogs") && footer.contains("page 2/"), "{footer}");

    // The other matches' menu: one value for each section.
    let answer = ask("grooming routine brushing");
    let text = answer.to_string();
    let mut values: Vec<&str> = Vec::new();
    for row in answer["data"]["components"].as_array().into_iter().flatten() {
        for component in row["components"].as_array().into_iter().flatten() {
            for option in component["options"].as_array().into_iter().flatten() {
                values.push(option["value"].as_str().unwrap_or_default());
            }
        }
    }
    assert!(values.len() >= 2, "{text}");
    let mut unique = values.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), values.len(), "{values:?}");

    // Autocomplete names each by the chapter above it; a choice answers with that one.
    let typed = respond(
        &app,
        &fixture(
            "autocomplete_chatgpt_rl.json",
            &[
                ("\"name\": \"chatgpt\"", "\"name\": \"pets\""),
                ("\"rl\"", "\"summary\""),
            ],
        ),
    );
    let choices = typed["data"]["choices"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = choices
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();
    for animal in ["cats", "dogs", "birds"] {
        let name = format!("{animal} › Summary");
        assert!(names.contains(&name.as_str()), "{names:?}");
    }
    for choice in &choices {
        let (name, value) = (
            choice["name"].as_str().unwrap_or_default(),
            choice["value"].as_str(),
        );
        let chapter = name.split(' ').next().unwrap_or_default();
        let body = respond(
            &app,
            &fixture(
                "command_chatgpt_rlhf.json",
                &[
                    ("\"name\": \"chatgpt\"", "\"name\": \"pets\""),
                    (
                        "\"value\": \"rlhf\"",
                        &format!("\"value\": \"{}\"", value.unwrap_or_default()),
                    ),
                ],
            ),
        );
        assert!(
            category(&body).contains(chapter),
            "chose {name:?}, got {}",
            category(&body)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A diary that pastes a day twice: two top-level sections of one title, no heading above
/// them. Autocomplete and the other matches' menu tell them apart by their first words.
#[test]
fn sections_of_one_title_and_no_heading_above_are_told_apart_by_their_first_words() {
    let dir = std::env::temp_dir().join(format!("notes-bot-diary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let note = "---\ntitle: Pets\n---\n# 2022 年 7 月 9 日\n\n- read about cats and their grooming\n\n\
                # 2022 年 7 月 9 日\n\n- read about dogs and their grooming\n\n# Other day\n\n- nothing\n";
    std::fs::write(dir.join("pets.md"), note).unwrap_or_else(|e| panic!("{e}"));
    let app = app_for(&dir, 0);
    let typed = respond(
        &app,
        &fixture(
            "autocomplete_chatgpt_rl.json",
            &[
                ("\"name\": \"chatgpt\"", "\"name\": \"pets\""),
                ("\"rl\"", "\"2022\""),
            ],
        ),
    );
    let mut names: Vec<String> = (typed["data"]["choices"].as_array().into_iter().flatten())
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "2022 年 7 月 9 日 — read about cats and their grooming",
            "2022 年 7 月 9 日 — read about dogs and their grooming"
        ]
    );
    let answer = respond(
        &app,
        &fixture(
            "command_chatgpt_rlhf.json",
            &[
                ("\"name\": \"chatgpt\"", "\"name\": \"pets\""),
                ("\"value\": \"rlhf\"", "\"value\": \"grooming\""),
            ],
        ),
    );
    let options: Vec<&Value> = (answer["data"]["components"].as_array().into_iter().flatten())
        .flat_map(|row| row["components"].as_array().into_iter().flatten())
        .flat_map(|component| component["options"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(options.len(), 1, "{answer}");
    assert_eq!(options[0]["label"], "2022 年 7 月 9 日");
    let shown = answer["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default();
    let other = if shown.contains("cats") { "dogs" } else { "cats" };
    assert_eq!(
        options[0]["description"],
        format!("read about {other} and their grooming").as_str()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `/gaps` in one server shows what its members asked and rated, never another server's
/// questions (nor direct messages').
#[test]
fn gaps_show_what_was_asked_in_that_server_only() {
    let dir = std::env::temp_dir().join(format!("notes-bot-gaps-places-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let app = app_with_data(&dir);
    let (here, there) = ("1180000000000000100", "1180000000000000199");
    let in_server = |name: &str, server: &str, replace: &[(&str, &str)]| {
        let mut all = vec![(here, server)];
        all.extend_from_slice(replace);
        respond(&app, &fixture(name, &all))
    };
    in_server("command_chatgpt_nomatch.json", here, &[]);
    in_server(
        "command_chatgpt_nomatch.json",
        there,
        &[("pizza recipe", "sushi rolls")],
    );
    let answer = respond(&app, &fixture("command_chatgpt_rlhf.json", &[]));
    let down = emoji_button(&answer, "👎").unwrap_or_else(|| panic!("no 👎"));
    respond(&app, &vote_click(&answer, &down, "1180000000000000500"));

    let gaps_here = in_server("command_gaps.json", here, &[]);
    let text = gaps_here["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("pizza recipe") && !text.contains("sushi"), "{text}");
    assert!(text.contains("**Worst-rated answers**"), "{text}");
    let gaps_there = in_server("command_gaps.json", there, &[]);
    let text = gaps_there["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("sushi rolls") && !text.contains("pizza"), "{text}");
    assert!(!text.contains("Worst-rated") && !text.contains("rlhf"), "{text}");

    // Saved, each under its place; the host's report holds both.
    assert!(app.handler.save_counts().is_ok());
    let saved = notes_bot::gaps::load(&notes_bot::gaps::file_in(&dir)).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let places: Vec<(String, Option<String>)> = (saved.top(None, None, 5).into_iter())
        .map(|gap| (gap.query, gap.place))
        .collect();
    assert_eq!(
        places,
        vec![
            ("pizza recipe".to_string(), Some(here.to_string())),
            ("sushi rolls".to_string(), Some(there.to_string()))
        ]
    );
}

/// Above 90 topics one `/notes` command serves them all: what the bot writes names it
/// (`/notes topic:x`), not per-topic commands that were never registered, and a topic typed
/// with capitals is found.
#[test]
fn with_one_notes_command_replies_name_it_and_topics_ignore_case() {
    let dir = std::env::temp_dir().join(format!("notes-bot-many-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    for n in 0..=MAX_TOPIC_COMMANDS {
        let text = format!("## Router reset {n}\n- hold the button {n} for ten seconds\n");
        std::fs::write(dir.join(format!("topic-{n}.md")), text).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::copy(root().join("notes/chatgpt.md"), dir.join("chatgpt.md")).unwrap_or_else(|e| panic!("{e}"));
    let app = app_for(&dir, 0);
    let _ = std::fs::remove_dir_all(&dir);
    let asked = |topic: &str, query: &str| {
        let options = format!(
            "\"options\": [{{\"name\": \"topic\", \"type\": 3, \"value\": \"{topic}\"}}, {{\"name\": \"query\", \"type\": 3, \"value\": \"{query}\"}}]"
        );
        let text =
            std::fs::read_to_string(root().join("tests/fixtures/interactions/command_chatgpt_nomatch.json"))
                .unwrap_or_else(|e| panic!("{e}"));
        let start = text
            .find("\"options\": [")
            .unwrap_or_else(|| panic!("no options"));
        let end = start + text[start..].find(']').unwrap_or_else(|| panic!("no ]")) + 1;
        let text = format!("{}{options}{}", &text[..start], &text[end..])
            .replace("\"name\": \"chatgpt\"", "\"name\": \"notes\"");
        let interaction: Interaction = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        respond(&app, &interaction)
    };
    let body = asked("Topic-3", "pizza recipe");
    let text = body["data"]["content"].as_str().unwrap_or_default();
    assert!(
        text.contains("No section of /notes topic:topic-3 matches"),
        "{text}"
    );
    let body = asked("TOPIC-3", "router reset");
    assert_eq!(
        footer(&body).split(" · ").next(),
        Some("/notes topic:topic-3"),
        "{body}"
    );
    let listed = topics_text(&app, &fixture("command_topics.json", &[]));
    assert!(listed.contains("/notes topic:topic-0 — topic-0"), "{listed}");
    // The closest sections and `/gaps` name the topics so too.
    let body = asked("chatgpt", "wolfram 豆腐脑");
    let text = body["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains(" · /notes topic:chatgpt"), "{text}");
    assert!(!text.contains(" · /chatgpt"), "{text}");
    let body = respond(&app, &fixture("command_gaps.json", &[]));
    let text = body["data"]["content"].as_str().unwrap_or_default();
    assert!(
        text.contains(" · /notes topic:topic-3 · “pizza recipe”"),
        "{text}"
    );
    assert!(
        text.contains(" · /notes topic:chatgpt · “wolfram 豆腐脑”"),
        "{text}"
    );
}
