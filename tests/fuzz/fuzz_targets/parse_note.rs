//! Notes as structured pieces (deep nesting, huge repeats, Obsidian syntax) or raw text:
//! parsing never panics, nesting stays capped, and every reply fits Discord's limits.
#![no_main]

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use notes_bot::notes::{self, Labels, markdown::MAX_NESTING};
use notes_bot::reply::{Layout, Reply, discord_len};
use notes_bot::search::MatchReason;

fuzz_target!(|note: common::Note| {
    let text = note.text();
    if let Ok(note) = notes::parse_note(Path::new("fuzz.md"), &text, &Labels::default()) {
        let layout = Layout {
            page_chars: 300,
            ..Layout::default()
        };
        for (_, section) in note.answerable() {
            for item in section.points().iter().chain(section.context()) {
                assert!(item.walk().iter().all(|(depth, _)| *depth < MAX_NESTING));
            }
            let reply = Reply::for_section(&note, section, MatchReason::Text, &[vec![0, 0]], &layout);
            for page in reply.pages() {
                assert!(discord_len(&page.text()) <= 300);
            }
        }
    }
});
