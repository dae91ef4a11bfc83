//! Runs the end-to-end suite in `tests/e2e/` (Node's test runner, the discord-digital-twin
//! simulator) against the binary cargo just built, so the README's test command covers it.

use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs Node 20 and `npm ci --prefix tests/e2e`"]
fn the_bot_works_end_to_end_against_the_discord_simulator() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    assert!(
        suite.join("node_modules/discord-digital-twin").is_dir(),
        "the simulator is not installed: run `npm ci --prefix tests/e2e` (Node 20 and npm)"
    );
    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec"])
        .current_dir(&suite)
        .env("NOTES_BOT_BIN", env!("CARGO_BIN_EXE_notes-bot"))
        .status()
        .unwrap_or_else(|e| panic!("cannot run node (Node 20 is needed): {e}"));
    assert!(status.success(), "the end-to-end suite failed: {status}");
}
