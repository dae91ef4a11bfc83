//! Arbitrary bytes as a note: parsing never panics, and every reply fits Discord's limits.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use notes_bot::notes::{self, Labels};
use notes_bot::reply::{Layout, Reply, discord_len};
use notes_bot::search::MatchReason;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(note) = notes::parse_note(Path::new("fuzz.md"), &text, &Labels::default()) {
        let layout = Layout {
            page_chars: 300,
            ..Layout::default()
        };
        for (_, section) in note.answerable() {
            let reply = Reply::for_section(&note, section, MatchReason::Text, &[vec![0, 0]], &layout);
            for page in &reply.pages {
                assert!(discord_len(&page.text()) <= 300);
            }
        }
    }
});
