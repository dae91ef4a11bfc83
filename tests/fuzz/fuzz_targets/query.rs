//! Structured and raw queries (control characters, huge repeats) against the shipped note
//! and notes nested far past the cap; every hit renders within Discord's limits.
//! Run with `-len_control=0` so long inputs come early.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use notes_bot::config::Config;
use notes_bot::reply::{Layout, Reply, discord_len, limits};
use notes_bot::search::Index;

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let config = Config::default();
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
        Index::build(loaded.library, &config.search_options())
    })
}

fuzz_target!(|query: common::Query| {
    let query = query.text();
    let index = index();
    let layout = Layout::default();
    for hit in index.search(&query, None, 5) {
        assert!(hit.score.is_finite());
        if let Some(reply) = Reply::for_hit(index.library(), &hit, &layout) {
            for page in reply.pages() {
                assert!(discord_len(&page.text()) <= limits::EMBED_DESCRIPTION);
            }
        }
    }
    let _ = index.search(&query, Some("chatgpt"), 1);
    assert!(index.suggest(&query, Some("chatgpt"), 25).len() <= 25);
    assert!(index.suggest(&query, None, 25).len() <= 25);
    let _ = index.did_you_mean(&query, None, 5);
});
