//! Arbitrary JSON through the interaction handler: never a panic, always a response.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use notes_bot::bot::App;
use notes_bot::config::Config;
use notes_bot::search::Index;
use serenity::all::Interaction;

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let config = Config {
            cooldown_seconds: 0,
            data_dir: std::env::temp_dir().join("notes-bot-fuzz"),
            ..Config::default()
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../notes");
        let loaded = notes_bot::notes::load_dir(&dir, &config.labels());
        App::new(
            config,
            Index::build(loaded.library, &Config::default().search_options()),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(interaction) = serde_json::from_slice::<Interaction>(data) {
        let outcome = app().handle(&interaction);
        let _ = serde_json::to_vec(&outcome.response);
    }
});
