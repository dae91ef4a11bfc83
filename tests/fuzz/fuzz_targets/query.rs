//! Arbitrary query strings (control characters, huge inputs) against the shipped note.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use notes_bot::config::Config;
use notes_bot::search::Index;

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let config = Config::default();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../notes");
        let loaded = notes_bot::notes::load_dir(&dir, &config.labels());
        Index::build(loaded.library, &config.search_options())
    })
}

fuzz_target!(|query: &str| {
    let index = index();
    for hit in index.search(query, None, 5) {
        assert!(hit.score.is_finite());
    }
    let _ = index.search(query, Some("chatgpt"), 1);
    assert!(index.suggest(query, Some("chatgpt"), 25).len() <= 25);
    let _ = index.did_you_mean(query, None, 5);
});
