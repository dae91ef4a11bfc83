//! Interactions through the handler: real Discord payloads with fuzzed commands, options,
//! custom ids and select values (huge ones too), or raw JSON. Never a panic, always a
//! response that serialises. The notes include ones nested far past the cap.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use notes_bot::bot::App;
use notes_bot::config::Config;
use notes_bot::search::Index;
use serde_json::Value;
use serenity::all::Interaction;

const FIXTURES: &[&str] = &[
    include_str!("../../fixtures/interactions/autocomplete_chatgpt_empty.json"),
    include_str!("../../fixtures/interactions/autocomplete_chatgpt_rl.json"),
    include_str!("../../fixtures/interactions/command_chatgpt_mentions.json"),
    include_str!("../../fixtures/interactions/command_chatgpt_nomatch.json"),
    include_str!("../../fixtures/interactions/command_chatgpt_rlhf.json"),
    include_str!("../../fixtures/interactions/command_chatgpt_rlhf_dm.json"),
    include_str!("../../fixtures/interactions/command_gaps.json"),
    include_str!("../../fixtures/interactions/command_sources.json"),
    include_str!("../../fixtures/interactions/command_sources_topic.json"),
    include_str!("../../fixtures/interactions/command_topics.json"),
    include_str!("../../fixtures/interactions/component_button_next.json"),
    include_str!("../../fixtures/interactions/component_delete.json"),
    include_str!("../../fixtures/interactions/component_select.json"),
    include_str!("../../fixtures/interactions/ping.json"),
];

const NAMES: &[&str] = &["chatgpt", "deep-list", "deep-quote", "deep-indent", "sources", "topics", "notes", "gaps"];

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(Vec<u8>),
    Fixture {
        which: u8,
        name: Option<u8>,
        value: Option<common::Query>,
        custom_id: Option<String>,
        values: Vec<String>,
    },
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let config = Config {
            cooldown_seconds: 0,
            data_dir: std::env::temp_dir().join("notes-bot-fuzz"),
            ..Config::default()
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../notes");
        let mut loaded = notes_bot::notes::load_dir(&dir, &config.labels());
        let mut notes = loaded.library.notes().to_vec();
        for (name, text) in common::deep_notes() {
            let path = Path::new(name).with_extension("md");
            if let Ok(note) = notes_bot::notes::parse_note(&path, &text, &config.labels()) {
                notes.push(note.into());
            }
        }
        loaded.library = notes_bot::notes::Library::new(notes);
        App::new(config, Index::build(loaded.library, &Config::default().search_options()))
    })
}

fn payload(input: &Input) -> Option<Vec<u8>> {
    let Input::Fixture { which, name, value, custom_id, values } = input else {
        return None;
    };
    let mut json: Value = serde_json::from_str(FIXTURES[*which as usize % FIXTURES.len()]).ok()?;
    let data = json.get_mut("data")?;
    if let Some(name) = name {
        data["name"] = Value::from(NAMES[*name as usize % NAMES.len()]);
    }
    if let (Some(value), Some(options)) = (value, data.get_mut("options").and_then(Value::as_array_mut)) {
        if let Some(option) = options.first_mut() {
            option["value"] = Value::from(value.text());
        }
    }
    if let Some(custom_id) = custom_id {
        data["custom_id"] = Value::from(custom_id.as_str());
    }
    if data.get("values").is_some() {
        data["values"] = Value::from(values.clone());
    }
    serde_json::to_vec(&json).ok()
}

fuzz_target!(|input: Input| {
    let bytes = match &input {
        Input::Raw(bytes) => bytes.clone(),
        fixture => match payload(fixture) {
            Some(bytes) => bytes,
            None => return,
        },
    };
    if let Ok(interaction) = serde_json::from_slice::<Interaction>(&bytes) {
        let outcome = app().handle(&interaction);
        assert!(serde_json::to_vec(&outcome.response).is_ok());
    }
});
