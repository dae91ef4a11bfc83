//! Every response the handler produces, validated against Discord's own OpenAPI spec
//! (`../shared/discord-api-spec/openapi.json`): the interaction callback body by callback
//! type, and the command set against `PUT /applications/{application_id}/commands`. Bodies
//! come from every fixture and from interactions generated over the shipped note and the
//! corpus: every section by title and by exact choice, words from the bodies, misses,
//! autocomplete prefixes, every page of every section, every menu option, deletes, listings.
//! What the schema cannot say (6000 characters across embeds, 5 action rows, no pings) is
//! checked beside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use notes_bot::bot::commands::{command_set, uses_notes_command};
use notes_bot::bot::custom_id::{Action, SectionPage, SectionVote};
use notes_bot::bot::endpoint::response_body;
use notes_bot::bot::{App, Then};
use notes_bot::config::{Config, InstallOptions};
use notes_bot::notes::{self, Labels, Library, Section};
use serde_json::{Value, json};
use serenity::all::Interaction;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shared() -> PathBuf {
    root().join("../shared")
}

/// The member who asks in the fixtures, and someone else.
const ASKER: &str = "1180000000000000500";
const STRANGER: &str = "42";

// ---------------------------------------------------------------------------------------
// The spec

const CALLBACK_PATH: &str = "/interactions/{interaction_id}/{interaction_token}/callback";
const COMMAND_PATHS: [&str; 2] = [
    "/applications/{application_id}/commands",
    "/applications/{application_id}/guilds/{guild_id}/commands",
];

const REPLY_PATH: &str = "/channels/{channel_id}/messages";
const FOLLOW_UP_PATH: &str = "/webhooks/{webhook_id}/{webhook_token}";
const ORIGINAL_PATH: &str = "/webhooks/{webhook_id}/{webhook_token}/messages/@original";
/// The calls after a response that carry a body, and their methods.
const AFTER_PATHS: [(&str, &str); 3] = [
    (REPLY_PATH, "post"),
    (FOLLOW_UP_PATH, "post"),
    (ORIGINAL_PATH, "patch"),
];

struct Spec {
    /// Per callback schema named by the callback route: the `type` values it covers.
    callbacks: Vec<Callback>,
    /// The PUT body of each command-set route.
    command_sets: Vec<(&'static str, Validator)>,
    /// Bodies of the calls after a response: a channel message (a reply), a follow-up,
    /// an edit of the message clicked.
    after: Vec<(&'static str, Validator)>,
}

struct Callback {
    name: String,
    types: Vec<u64>,
    validator: Validator,
}

fn load_spec() -> Spec {
    let path = shared().join("discord-api-spec/openapi.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let body_schema = |path: &str, method: &str| -> Value {
        let schema = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "the spec has no JSON body for {method} {path}"
        );
        schema.clone()
    };
    // The callback route's body is a union of one schema per callback type: find which
    // schema covers which `type` from the spec itself.
    let union = body_schema(CALLBACK_PATH, "post");
    let branches = union["anyOf"].as_array().cloned().unwrap_or_default();
    assert!(!branches.is_empty(), "callback body is not a union: {union}");
    let callbacks: Vec<Callback> = branches
        .iter()
        .map(|branch| {
            let reference = branch["$ref"].as_str().unwrap_or_default();
            let name = reference.rsplit('/').next().unwrap_or_default().to_string();
            let schema = &doc["components"]["schemas"][&name];
            let types = schema["properties"]["type"]["enum"]
                .as_array()
                .map(|values| values.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            Callback {
                validator: compile(&doc, json!({ "$ref": reference })),
                name,
                types,
            }
        })
        .collect();
    for wanted in [
        "PongInteractionCallbackRequest",
        "CreateMessageInteractionCallbackRequest",
        "UpdateMessageInteractionCallbackRequest",
        "ApplicationCommandAutocompleteCallbackRequest",
    ] {
        assert!(
            callbacks.iter().any(|c| c.name == wanted),
            "the callback route no longer names {wanted}"
        );
    }
    let command_sets = COMMAND_PATHS
        .iter()
        .map(|path| (*path, compile(&doc, body_schema(path, "put"))))
        .collect();
    let after = AFTER_PATHS
        .iter()
        .map(|(path, method)| (*path, compile(&doc, body_schema(path, method))))
        .collect();
    Spec {
        callbacks,
        command_sets,
        after,
    }
}

/// A validator for `schema`, with the spec's `#/components/...` beside it so its `$ref`s
/// resolve.
fn compile(doc: &Value, mut schema: Value) -> Validator {
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    schema["components"] = doc["components"].clone();
    jsonschema::draft202012::options()
        .build(&schema)
        .unwrap_or_else(|e| panic!("the spec's schema does not compile: {e}"))
}

fn schema_errors(validator: &Validator, body: &Value) -> Vec<String> {
    validator
        .iter_errors(body)
        .flat_map(|error| leaves(&error))
        .map(|leaf| leaf.text)
        .collect()
}

/// One reason a body fails, and what kind of reason.
struct Leaf {
    /// A wrong JSON type or a wrong discriminator (`type`): the body is another kind of thing.
    misfit: bool,
    missing: bool,
    text: String,
}

/// The leaf reasons of an error. A union (`oneOf`/`anyOf`, as the spec writes nullable
/// objects, component kinds and choice kinds) fails as a whole; the branch of the right
/// kind says why: the one whose reasons hold the fewest misfits, then the fewest missing
/// properties, then the fewest reasons.
fn leaves(error: &ValidationError<'_>) -> Vec<Leaf> {
    let branches = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => context,
        _ => &Vec::new(),
    };
    let best = branches
        .iter()
        .map(|errors| errors.iter().flat_map(|e| leaves(e)).collect::<Vec<Leaf>>())
        .filter(|leaves| !leaves.is_empty())
        .min_by_key(|leaves| {
            (
                leaves.iter().filter(|l| l.misfit).count(),
                leaves.iter().filter(|l| l.missing).count(),
                leaves.len(),
            )
        });
    if let Some(best) = best {
        return best;
    }
    vec![Leaf {
        misfit: matches!(
            error.kind(),
            ValidationErrorKind::Type { .. }
                | ValidationErrorKind::Enum { .. }
                | ValidationErrorKind::Constant { .. }
        ),
        missing: matches!(error.kind(), ValidationErrorKind::Required { .. }),
        text: format!(
            "at {}: {} (schema {})",
            or_root(&error.instance_path().to_string()),
            shorten(&error.to_string(), 300),
            error.schema_path()
        ),
    }]
}

fn or_root(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

// ---------------------------------------------------------------------------------------
// The checker: validates bodies, counts them, and keeps every failure with its body.

struct Checker {
    spec: Spec,
    /// Bodies validated, by callback schema name.
    counts: BTreeMap<String, usize>,
    failures: Vec<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            spec: load_spec(),
            counts: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    /// The problems of one callback body; empty when Discord would accept it.
    fn problems(&self, body: &Value) -> (String, Vec<String>) {
        let kind = body["type"].as_u64().unwrap_or(u64::MAX);
        let Some(callback) = self.spec.callbacks.iter().find(|c| c.types.contains(&kind)) else {
            return (
                "none".into(),
                vec![format!("no callback schema in the spec takes type {kind}")],
            );
        };
        let mut problems = schema_errors(&callback.validator, body);
        problems.extend(beyond_schema(body));
        (callback.name.clone(), problems)
    }

    /// Validates the body the adapters send for this interaction and returns it.
    fn respond(&mut self, app: &App, label: &str, interaction: &Value) -> Value {
        let parsed: Interaction = serde_json::from_value(interaction.clone())
            .unwrap_or_else(|e| panic!("{label}: the generated interaction does not parse: {e}"));
        let outcome = app.handle(&parsed);
        let bytes = response_body(&outcome.response).unwrap_or_else(|e| panic!("{label}: {e}"));
        let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{label}: {e}"));
        let (schema, problems) = self.problems(&body);
        *self.counts.entry(schema).or_default() += 1;
        if !problems.is_empty() {
            self.failures.push(format!(
                "{label}\n    body: {}\n    {}",
                shorten(&body.to_string(), 1500),
                problems.join("\n    ")
            ));
        }
        if let Then::Reply(reply) = &outcome.then {
            for (path, sent) in [
                (REPLY_PATH, serde_json::to_value(&reply.message)),
                (FOLLOW_UP_PATH, serde_json::to_value(&reply.follow_up)),
                (ORIGINAL_PATH, serde_json::to_value(&reply.refused)),
            ] {
                let sent = sent.unwrap_or_else(|e| panic!("{label}: {e}"));
                let validator = self
                    .spec
                    .after
                    .iter()
                    .find_map(|(p, v)| (*p == path).then_some(v))
                    .unwrap_or_else(|| panic!("no schema for {path}"));
                let mut problems = schema_errors(validator, &sent);
                problems.extend(beyond_schema(&json!({ "type": 4, "data": sent })));
                let method = (AFTER_PATHS.iter())
                    .find_map(|(p, method)| (*p == path).then(|| method.to_uppercase()))
                    .unwrap_or_default();
                *self.counts.entry(format!("{method} {path}")).or_default() += 1;
                if !problems.is_empty() {
                    self.failures.push(format!(
                        "{label} ({method} {path})\n    body: {}\n    {}",
                        shorten(&sent.to_string(), 1500),
                        problems.join("\n    ")
                    ));
                }
            }
        }
        if matches!(outcome.then, Then::DeleteMessage) {
            // The delete after the acknowledgement has no body to validate, but it only
            // follows an acknowledgement.
            if body["type"] != 6 {
                self.failures.push(format!(
                    "{label}\n    a delete follows a type {} response",
                    body["type"]
                ));
            }
        }
        body
    }

    fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// Prints what was validated and fails with every failing body.
    fn finish(self, what: &str) {
        let by_schema: Vec<String> = self.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "{what}: {} response bodies validated against the spec ({})",
            self.total(),
            by_schema.join(", ")
        );
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} bodies break Discord's rules; the first ones:\n\n{}",
            self.failures.len(),
            self.total(),
            self.failures
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}… ({} chars)", text.chars().count())
}

/// Length as Discord counts it (UTF-16 code units; never less than characters).
fn length(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.encode_utf16().count())
}

/// What the spec's schemas cannot express: 6000 characters across all embeds, at most 5
/// action rows of at most 5 components, and no mention ever parsed.
fn beyond_schema(body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let data = &body["data"];
    if !data.is_object() {
        return problems;
    }
    let kind = body["type"].as_u64().unwrap_or(0);
    let mentions = &data["allowed_mentions"];
    let none = |key: &str| mentions[key].is_null() || mentions[key] == json!([]);
    let pings_nobody =
        mentions["parse"] == json!([]) && none("users") && none("roles") && mentions["replied_user"] != true;
    if (kind == 4 || kind == 7) && !pings_nobody {
        problems.push(format!(
            "allowed_mentions is {mentions}, not {{\"parse\":[]}}: a note or query could ping"
        ));
    }
    let embeds = data["embeds"].as_array().map(Vec::as_slice).unwrap_or_default();
    let total: usize = embeds
        .iter()
        .map(|embed| {
            let fields = embed["fields"].as_array().map(Vec::as_slice).unwrap_or_default();
            length(&embed["title"])
                + length(&embed["description"])
                + length(&embed["footer"]["text"])
                + length(&embed["author"]["name"])
                + fields
                    .iter()
                    .map(|f| length(&f["name"]) + length(&f["value"]))
                    .sum::<usize>()
        })
        .sum();
    if total > 6000 {
        problems.push(format!(
            "the embeds hold {total} characters together; Discord allows 6000"
        ));
    }
    let rows = data["components"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if rows.len() > 5 {
        problems.push(format!("{} action rows; Discord allows 5", rows.len()));
    }
    for (i, row) in rows.iter().enumerate() {
        if row["type"] != 1 {
            problems.push(format!("/data/components/{i} is not an action row"));
        }
        let count = row["components"].as_array().map_or(0, Vec::len);
        if count > 5 {
            problems.push(format!(
                "/data/components/{i} holds {count} components; Discord allows 5"
            ));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------
// Interactions, made from the fixtures' real payloads

struct Payloads {
    command: Value,
    autocomplete: Value,
    component: Value,
}

fn fixture_value(name: &str) -> Value {
    let path = root().join("tests/fixtures/interactions").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn string_options(options: &[(&str, &str)], focused: Option<&str>) -> Value {
    options
        .iter()
        .map(|(name, value)| {
            let mut option = json!({ "name": name, "type": 3, "value": value });
            if focused == Some(*name) {
                option["focused"] = json!(true);
            }
            option
        })
        .collect()
}

impl Payloads {
    fn new() -> Payloads {
        Payloads {
            command: fixture_value("command_chatgpt_rlhf.json"),
            autocomplete: fixture_value("autocomplete_chatgpt_rl.json"),
            component: fixture_value("component_button_next.json"),
        }
    }

    fn command(&self, name: &str, options: &[(&str, &str)]) -> Value {
        let mut interaction = self.command.clone();
        interaction["data"]["name"] = json!(name);
        interaction["data"]["options"] = string_options(options, None);
        interaction
    }

    fn autocomplete(&self, name: &str, options: &[(&str, &str)], focused: &str) -> Value {
        let mut interaction = self.autocomplete.clone();
        interaction["data"]["name"] = json!(name);
        interaction["data"]["options"] = string_options(options, Some(focused));
        interaction
    }

    /// A click on a component of the message `shown` (a response body), by `user`.
    fn click(&self, shown: &Value, custom_id: &str, select: Option<&str>, user: &str) -> Value {
        let mut interaction = self.component.clone();
        interaction["data"] = match select {
            Some(value) => json!({ "component_type": 3, "custom_id": custom_id, "values": [value] }),
            None => json!({ "component_type": 2, "custom_id": custom_id }),
        };
        let message = &mut interaction["message"];
        message["components"] = shown["data"]["components"].clone();
        if message["components"].is_null() {
            message["components"] = json!([]);
        }
        message["embeds"] = shown["data"]["embeds"].clone();
        if message["embeds"].is_null() {
            message["embeds"] = json!([]);
        }
        interaction["member"]["user"]["id"] = json!(user);
        interaction
    }
}

fn in_locale(mut interaction: Value, locale: &str) -> Value {
    interaction["locale"] = json!(locale);
    interaction
}

/// Every component of a response body.
fn components(body: &Value) -> Vec<Value> {
    body["data"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// A button by label (or by custom_id prefix), with whether it is enabled.
fn button(body: &Value, label: &str) -> Option<(String, bool)> {
    components(body).into_iter().find_map(|c| {
        let id = c["custom_id"].as_str().unwrap_or_default().to_string();
        let matches = c["label"] == label || (label == "🗑" && id.starts_with("rm|"));
        matches.then(|| (id, !c["disabled"].as_bool().unwrap_or(false)))
    })
}

// ---------------------------------------------------------------------------------------
// Walks: from one response, every interaction a member could make next

struct Walker<'a> {
    checker: &'a mut Checker,
    app: &'a App,
    payloads: &'a Payloads,
}

impl Walker<'_> {
    fn respond(&mut self, label: &str, interaction: &Value) -> Value {
        self.checker.respond(self.app, label, interaction)
    }

    /// ▶ until the last page, then ◀ once.
    fn pages(&mut self, label: &str, first: &Value) {
        let mut body = first.clone();
        let mut page = 1;
        while let Some((next, true)) = button(&body, "▶") {
            page += 1;
            assert!(page <= 500, "{label}: ▶ never ends");
            let click = self.payloads.click(&body, &next, None, ASKER);
            body = self.respond(&format!("{label} → ▶ to page {page}"), &click);
        }
        if let Some((previous, true)) = button(&body, "◀") {
            let click = self.payloads.click(&body, &previous, None, ASKER);
            self.respond(&format!("{label} → ◀ from page {page}"), &click);
        }
    }

    /// Every option of the other-matches menu.
    fn menu(&mut self, label: &str, body: &Value) {
        for menu in components(body).iter().filter(|c| c["type"] == 3) {
            let id = menu["custom_id"].as_str().unwrap_or_default();
            for option in menu["options"].as_array().into_iter().flatten() {
                let value = option["value"].as_str().unwrap_or_default();
                let click = self.payloads.click(body, id, Some(value), ASKER);
                self.respond(&format!("{label} → menu {value}"), &click);
            }
        }
    }

    /// 🗑 by the asker (acknowledged, then deleted) and by someone else (refused).
    fn delete(&mut self, label: &str, body: &Value) {
        if let Some((id, _)) = button(body, "🗑") {
            for user in [ASKER, STRANGER] {
                let click = self.payloads.click(body, &id, None, user);
                self.respond(&format!("{label} → 🗑 by {user}"), &click);
            }
        }
    }

    /// 👍 and 👎 by the asker, then 👎 by someone else: counted, then already counted.
    fn votes(&mut self, label: &str, body: &Value) {
        let ids: Vec<String> = components(body)
            .iter()
            .filter_map(|c| c["custom_id"].as_str())
            .filter(|id| id.starts_with("up|") || id.starts_with("dn|"))
            .map(str::to_string)
            .collect();
        for (id, user) in ids
            .iter()
            .map(|id| (id, ASKER))
            .chain(ids.last().map(|id| (id, STRANGER)))
        {
            let click = self.payloads.click(body, id, None, user);
            self.respond(&format!("{label} → vote {id} by {user}"), &click);
        }
    }
}

/// Words a member might type from a section's body: a few Latin words and CJK pairs.
fn body_words(section: &Section) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for point in section.points() {
        for (_, item) in point.walk() {
            for word in item.plain().split(|c: char| !c.is_alphanumeric()) {
                let cjk: Vec<char> = word.chars().filter(|c| !c.is_ascii()).collect();
                let candidate = if word.is_ascii() && word.len() >= 3 {
                    word.to_lowercase()
                } else if cjk.len() >= 2 {
                    cjk[..2].iter().collect()
                } else {
                    continue;
                };
                if !words.contains(&candidate) {
                    words.push(candidate);
                }
                if words.len() >= 4 {
                    return words;
                }
            }
        }
    }
    words
}

/// What is typed letter by letter: prefixes of the title.
fn prefixes(title: &str) -> Vec<String> {
    let chars: Vec<char> = title.chars().collect();
    let mut out: Vec<String> = [1, 2, 3, 5, 8, chars.len()]
        .iter()
        .filter(|&&n| n <= chars.len())
        .map(|&n| chars[..n].iter().collect())
        .collect();
    out.dedup();
    out
}

const MISSES: [&str; 8] = [
    "zzqx vuwk",
    "量子计算",
    "@everyone @here",
    "<@123456789012345678> <#1180000000000000200>",
    "what is the meaning of life?",
    "**bold** `code` ||spoiler||",
    "🦀🦀🦀",
    "a very long query that goes on and on about nothing in particular and then stops right herex",
];

/// Every kind of interaction a member can make over one library.
fn walk_library(checker: &mut Checker, app: &App, payloads: &Payloads) {
    let index = app.index();
    let library = index.library();
    let via_notes = uses_notes_command(library);
    let ask = |topic: &str, query: &str| {
        if via_notes {
            payloads.command("notes", &[("topic", topic), ("query", query)])
        } else {
            payloads.command(topic, &[("query", query)])
        }
    };
    let suggest = |topic: &str, typed: &str| {
        if via_notes {
            payloads.autocomplete("notes", &[("topic", topic), ("query", typed)], "query")
        } else {
            payloads.autocomplete(topic, &[("query", typed)], "query")
        }
    };
    let mut walker = Walker {
        checker,
        app,
        payloads,
    };
    for note in library.notes() {
        let topic = note.topic.as_str();
        for (_, section) in note.answerable() {
            let title = section.title.as_str();
            // The exact section, as an autocomplete choice asks for it: every page, 🗑.
            let exact = format!("section:{:x}", section.id);
            let label = format!("/{topic} {exact} ({title})");
            let body = walker.respond(&label, &ask(topic, &exact));
            walker.pages(&label, &body);
            walker.delete(&label, &body);
            walker.votes(&label, &body);
            // By title, in English and in Chinese: the other-matches menu.
            let label = format!("/{topic} query:{title:?}");
            let body = walker.respond(&label, &ask(topic, title));
            walker.menu(&label, &body);
            let chinese = in_locale(ask(topic, title), "zh-CN");
            let body = walker.respond(&format!("{label} in zh-CN"), &chinese);
            walker.pages(&format!("{label} in zh-CN"), &body);
            for word in body_words(section) {
                walker.respond(&format!("/{topic} query:{word:?}"), &ask(topic, &word));
                let question = format!("what is {word}?");
                walker.respond(&format!("/{topic} query:{question:?}"), &ask(topic, &question));
            }
            for typed in prefixes(title) {
                walker.respond(
                    &format!("/{topic} autocomplete {typed:?}"),
                    &suggest(topic, &typed),
                );
            }
        }
        for miss in MISSES {
            walker.respond(&format!("/{topic} query:{miss:?}"), &ask(topic, miss));
        }
        walker.respond(&format!("/{topic} autocomplete \"\""), &suggest(topic, ""));
        let label = format!("/sources topic:{topic}");
        let body = walker.respond(&label, &payloads.command("sources", &[("topic", topic)]));
        walker.pages(&label, &body);
    }
    for (label, interaction) in [
        ("/sources", payloads.command("sources", &[])),
        ("/topics", payloads.command("topics", &[])),
        ("/gaps", payloads.command("gaps", &[])),
    ] {
        let body = walker.respond(label, &interaction);
        walker.pages(label, &body);
    }
    for typed in ["", "c", "zz", "笔记"] {
        walker.respond(
            &format!("/sources topic autocomplete {typed:?}"),
            &payloads.autocomplete("sources", &[("topic", typed)], "topic"),
        );
    }
    // What no one should send, answered politely all the same.
    walker.respond(
        "/sources topic:nope",
        &payloads.command("sources", &[("topic", "nope")]),
    );
    walker.respond("/unknown", &payloads.command("unknown", &[("query", "x")]));
    let first_topic = library.notes().first().map_or("", |n| n.topic.as_str());
    walker.respond("empty query", &ask(first_topic, "   "));
    walker.respond("stale section", &ask(first_topic, "section:deadbeef"));
    let shown = json!({ "data": {} });
    for id in [
        "pg|||||||",
        "nonsense",
        "ls|x||0",
        "rm|notanumber",
        "dn|x|zz|q",
        "up|||",
    ] {
        walker.respond(&format!("click {id:?}"), &payloads.click(&shown, id, None, ASKER));
    }
    let stale = Action::Page(SectionPage {
        topic: first_topic.into(),
        section: 0xdead_beef,
        page: 3,
        reason: notes_bot::search::MatchReason::Keyword,
        focus: vec![],
    })
    .encode();
    walker.respond(
        "click on a gone section",
        &payloads.click(&shown, &stale, None, ASKER),
    );
}

fn app_for(dir: &Path, cooldown_seconds: u64) -> App {
    let config = Config {
        notes_dir: dir.to_path_buf(),
        data_dir: std::env::temp_dir().join(format!("notes-bot-spec-{}", std::process::id())),
        cooldown_seconds,
        ..Config::default()
    };
    let (app, _) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
    app
}

fn corpora() -> Vec<PathBuf> {
    let corpus = shared().join("corpus");
    vec![
        corpus.join("yaozeyuan-blog"),
        corpus.join("obsidian-help/en"),
        corpus.join("obsidian-help/zh"),
    ]
}

// ---------------------------------------------------------------------------------------
// The tests

#[test]
#[ignore = "needs ../shared"]
fn every_fixture_response_validates_against_the_spec() {
    let mut checker = Checker::new();
    let app = app_for(&root().join("notes"), 0);
    // Real ids for the placeholders of the component fixtures, taken from a real reply.
    let reply = checker.respond(
        &app,
        "command_chatgpt_rlhf.json",
        &fixture_value("command_chatgpt_rlhf.json"),
    );
    let next = button(&reply, "▶")
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no ▶ in {reply}"));
    let index = app.index();
    let chatgpt = index
        .library()
        .note("chatgpt")
        .unwrap_or_else(|| panic!("no chatgpt note"));
    let (_, other) = chatgpt
        .answerable()
        .nth(1)
        .unwrap_or_else(|| panic!("one section only"));
    let value = format!("chatgpt|{:x}", other.id);
    let select_id = Action::Other {
        topic: "chatgpt".into(),
    }
    .encode();
    let post_id = Action::Post {
        at: SectionPage {
            topic: "chatgpt".into(),
            section: other.id,
            page: 0,
            reason: notes_bot::search::MatchReason::Keyword,
            focus: Vec::new(),
        },
        reply_to: Some(1180000000000000650),
    }
    .encode();
    let vote = |up| {
        Action::Vote(SectionVote {
            up,
            topic: "chatgpt".into(),
            section: other.id,
            query: "rlhf".into(),
        })
        .encode()
    };
    let (up_id, down_id) = (vote(true), vote(false));
    let replacements = [
        ("PLACEHOLDER_CLICKED", down_id.as_str()),
        ("PLACEHOLDER_UP", up_id.as_str()),
        ("PLACEHOLDER_DOWN", down_id.as_str()),
        ("PLACEHOLDER_POST", post_id.as_str()),
        ("PLACEHOLDER_BUTTON", next.as_str()),
        ("PLACEHOLDER_PREV", next.as_str()),
        ("PLACEHOLDER_DELETE", "rm|1180000000000000500"),
        ("PLACEHOLDER_SELECT", select_id.as_str()),
        ("PLACEHOLDER_VALUE", value.as_str()),
    ];
    let dir = root().join("tests/fixtures/interactions");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 14, "fixtures: {names:?}");
    for name in &names {
        let mut text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (from, to) in replacements {
            text = text.replace(from, to);
        }
        let interaction: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        checker.respond(&app, name, &interaction);
    }
    // The Post button of a private answer: a new public message.
    let text = std::fs::read_to_string(dir.join("component_button_private.json"))
        .unwrap_or_else(|e| panic!("component_button_private.json: {e}"))
        .replace("PLACEHOLDER_BUTTON", &post_id);
    let click: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let posted = checker.respond(&app, "component_button_private.json (Post)", &click);
    assert_eq!(posted["type"], 7, "a reply to the message: {posted}");
    // Where only the member installed the app: the interaction's public response.
    let owners = "\"authorizing_integration_owners\": {\n    \"0\": \"1180000000000000100\"\n  }";
    let user_install = text.replace(
        owners,
        r#""authorizing_integration_owners": { "1": "1180000000000000500" }"#,
    );
    assert_ne!(user_install, text);
    let click: Value = serde_json::from_str(&user_install).unwrap_or_else(|e| panic!("{e}"));
    let posted = checker.respond(&app, "component_button_private.json (Post, user install)", &click);
    assert_eq!(posted["type"], 4, "{posted}");
    assert!(posted["data"]["embeds"][0].is_object(), "{posted}");
    // A Post without a message to answer: a new public message.
    let plain_post = Action::Post {
        at: SectionPage {
            topic: "chatgpt".into(),
            section: other.id,
            page: 0,
            reason: notes_bot::search::MatchReason::Keyword,
            focus: Vec::new(),
        },
        reply_to: None,
    }
    .encode();
    let text = std::fs::read_to_string(dir.join("component_button_private.json"))
        .unwrap_or_else(|e| panic!("component_button_private.json: {e}"))
        .replace("PLACEHOLDER_BUTTON", &plain_post);
    let click: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let posted = checker.respond(&app, "component_button_private.json (Post, no reply)", &click);
    assert_eq!(posted["type"], 4, "{posted}");
    // The closest sections after a weak match, in both languages, and each one's Post.
    for locale in ["en-US", "zh-CN"] {
        let ask = in_locale(fixture_value("command_chatgpt_closest.json"), locale);
        let offered = checker.respond(&app, &format!("command_chatgpt_closest.json ({locale})"), &ask);
        let posts: Vec<String> = components(&offered)
            .iter()
            .filter_map(|c| {
                c["custom_id"]
                    .as_str()
                    .filter(|id| id.starts_with("post|"))
                    .map(String::from)
            })
            .collect();
        assert!(posts.len() >= 2, "{offered}");
        for post in posts {
            let text = std::fs::read_to_string(dir.join("component_button_private.json"))
                .unwrap_or_else(|e| panic!("component_button_private.json: {e}"))
                .replace("PLACEHOLDER_BUTTON", &post);
            let click = in_locale(
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")),
                locale,
            );
            let label = format!("component_button_private.json (Post {post})");
            let posted = checker.respond(&app, &label, &click);
            assert_eq!(posted["type"], 4, "{posted}");
        }
    }
    // A refusal only a cooldown produces.
    let cooled = app_for(&root().join("notes"), 60);
    let ask = fixture_value("command_chatgpt_rlhf.json");
    checker.respond(&cooled, "command_chatgpt_rlhf.json", &ask);
    let body = checker.respond(&cooled, "command_chatgpt_rlhf.json again (cooldown)", &ask);
    assert_eq!(body["data"]["flags"], 64, "{body}");
    checker.finish("fixtures");
}

#[test]
#[ignore = "needs ../shared"]
fn generated_interactions_over_the_shipped_note_validate_against_the_spec() {
    let mut checker = Checker::new();
    let app = app_for(&root().join("notes"), 0);
    walk_library(&mut checker, &app, &Payloads::new());
    let total = checker.total();
    checker.finish("shipped note");
    assert!(total > 200, "only {total} bodies");
}

#[test]
#[ignore = "needs ../shared"]
fn generated_interactions_over_the_corpus_validate_against_the_spec() {
    let mut checker = Checker::new();
    let payloads = Payloads::new();
    for dir in corpora() {
        let app = app_for(&dir, 0);
        let before = checker.total();
        walk_library(&mut checker, &app, &payloads);
        println!(
            "{}: {} notes, {} bodies",
            dir.display(),
            app.index().library().notes().len(),
            checker.total() - before
        );
    }
    let total = checker.total();
    checker.finish("corpus");
    assert!(total > 10_000, "only {total} bodies");
}

/// The spec types `default_member_permissions` as an integer; Discord's documentation types
/// it as a string of digits ("?string"), which is what serenity and other libraries send
/// and Discord accepts. Compare like with like: only that field, only digits.
fn permissions_as_integers(commands: &mut Value) {
    for command in commands.as_array_mut().into_iter().flatten() {
        let field = &mut command["default_member_permissions"];
        if let Some(Ok(bits)) = field.as_str().map(str::parse::<u64>) {
            *field = json!(bits);
        }
    }
}

#[test]
#[ignore = "needs ../shared"]
fn command_sets_validate_against_the_put_commands_schema() {
    let spec = load_spec();
    let labels = Labels::default();
    let template =
        notes::parse_note(Path::new("t.md"), "## A\n- x\n", &labels).unwrap_or_else(|e| panic!("{e}"));
    let many = Library::from(
        (0..120)
            .map(|i| {
                let mut note = template.clone();
                note.topic = format!("topic-{i}");
                note
            })
            .collect::<Vec<_>>(),
    );
    let mut libraries = vec![(
        "notes/".to_string(),
        notes::load_dir(&root().join("notes"), &labels).library,
    )];
    for dir in corpora() {
        libraries.push((dir.display().to_string(), notes::load_dir(&dir, &labels).library));
    }
    libraries.push(("120 generated topics".into(), many));
    let mut failures = Vec::new();
    let mut validated = 0;
    for (name, library) in &libraries {
        let mut body = serde_json::to_value(command_set(library, &InstallOptions::default()))
            .unwrap_or_else(|e| panic!("{e}"));
        permissions_as_integers(&mut body);
        for (path, validator) in &spec.command_sets {
            validated += 1;
            let errors = schema_errors(validator, &body);
            if !errors.is_empty() {
                failures.push(format!(
                    "{name}: PUT {path}\n    body: {}\n    {}",
                    shorten(&body.to_string(), 1500),
                    errors.join("\n    ")
                ));
            }
        }
    }
    println!("{validated} command-set bodies validated against the spec");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
#[ignore = "needs ../shared"]
fn the_spec_catches_what_discord_refuses() {
    // The checks above could pass by accepting everything: show they refuse real mistakes.
    let checker = Checker::new();
    let good = json!({
        "type": 4,
        "data": { "content": "hi", "allowed_mentions": { "parse": [] } }
    });
    assert_eq!(checker.problems(&good).1, Vec::<String>::new());
    let too_long =
        json!({ "type": 4, "data": { "content": "x".repeat(2001), "allowed_mentions": { "parse": [] } } });
    let choices: Vec<Value> = (0..26)
        .map(|i| json!({ "name": format!("c{i}"), "value": "v" }))
        .collect();
    let many_choices = json!({ "type": 8, "data": { "choices": choices } });
    let long_choice =
        json!({ "type": 8, "data": { "choices": [{ "name": "n".repeat(101), "value": "v" }] } });
    let long_title = json!({ "type": 7, "data": { "embeds": [{ "title": "t".repeat(257) }], "allowed_mentions": { "parse": [] } } });
    let long_id = json!({ "type": 4, "data": { "allowed_mentions": { "parse": [] }, "components": [
        { "type": 1, "components": [{ "type": 2, "style": 2, "label": "x", "custom_id": "i".repeat(101) }] }
    ] } });
    let unknown_type = json!({ "type": 3 });
    let embeds: Vec<Value> = (0..2)
        .map(|_| json!({ "description": "d".repeat(3500) }))
        .collect();
    let over_6000 = json!({ "type": 4, "data": { "embeds": embeds, "allowed_mentions": { "parse": [] } } });
    let row = json!({ "type": 1, "components": [{ "type": 2, "style": 2, "label": "x", "custom_id": "a" }] });
    let six_rows =
        json!({ "type": 4, "data": { "allowed_mentions": { "parse": [] }, "components": vec![row; 6] } });
    let pings = json!({ "type": 4, "data": { "content": "@everyone" } });
    for (name, body, reason) in [
        ("content over 2000", too_long, "/data/content"),
        ("26 choices", many_choices, "choices/maxItems"),
        ("a 101-character choice", long_choice, "/data/choices/0/name"),
        ("a 257-character title", long_title, "/data/embeds/0/title"),
        (
            "a 101-character custom_id",
            long_id,
            "/data/components/0/components/0/custom_id",
        ),
        ("callback type 3", unknown_type, "type 3"),
        ("7000 characters across embeds", over_6000, "7000 characters"),
        ("6 action rows", six_rows, "6 action rows"),
        ("no allowed_mentions", pings, "allowed_mentions"),
    ] {
        let (_, problems) = checker.problems(&body);
        assert!(
            problems.iter().any(|p| p.contains(reason)),
            "{name}: wanted a problem naming {reason:?}, got {problems:?}"
        );
        println!("{name}: {}", problems.join("; "));
    }
}

#[test]
#[ignore = "needs ../shared"]
fn a_forum_answer_validates_against_the_create_message_schema() {
    let spec = load_spec();
    let validator = spec
        .after
        .iter()
        .find_map(|(p, v)| (*p == REPLY_PATH).then_some(v))
        .unwrap_or_else(|| panic!("no schema for {REPLY_PATH}"));
    let config = Config {
        notes_dir: root().join("notes"),
        data_dir: std::env::temp_dir().join(format!("notes-bot-spec-forum-{}", std::process::id())),
        forums: vec![1190000000000000900],
        ..Config::default()
    };
    let (app, _) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
    let read = |name: &str, replace: &[(&str, &str)]| {
        let path = root().join("tests/fixtures/gateway").join(name);
        let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (from, to) in replace {
            text = text.replace(from, to);
        }
        text
    };
    let thread: serenity::all::GuildChannel = serde_json::from_str(&read(
        "thread_create.json",
        &[
            ("PLACEHOLDER_FORUM", "1190000000000000900"),
            ("PLACEHOLDER_TITLE", "RLHF"),
        ],
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let starter: serenity::all::Message = serde_json::from_str(&read(
        "message_create.json",
        &[
            ("PLACEHOLDER_CONTENT", "基于人类反馈的强化学习"),
            ("PLACEHOLDER_BOT", "false"),
        ],
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(app.thread_created(&thread).is_none());
    let reply = app
        .message_created(&starter)
        .unwrap_or_else(|| panic!("no answer to the forum post"));
    let sent = serde_json::to_value(&reply.message).unwrap_or_else(|e| panic!("{e}"));
    let mut problems = schema_errors(validator, &sent);
    problems.extend(beyond_schema(&json!({ "type": 4, "data": sent })));
    assert!(problems.is_empty(), "{sent}\n{}", problems.join("\n"));
    assert!(sent["embeds"][0].is_object(), "{sent}");
    assert_eq!(sent["allowed_mentions"]["parse"], json!([]));
}
