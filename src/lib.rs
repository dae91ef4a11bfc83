//! notes-bot: answers questions from markdown notes.
//!
//! One way through: notes → parse → [`notes::Library`] → [`search::Index`] → hits →
//! [`reply::Reply`] → an adapter (CLI, Discord gateway, HTTP endpoint).
//!
//! The core (`notes`, `search`, `reply`, `gaps`, `feedback`, `by_topic`, `config`, `text`,
//! `json_file`, `error`, `yaml`) is synchronous and knows nothing of Discord or tokio; the
//! adapters live in `bot` (Discord's gateway and HTTP endpoint, on tokio and serenity,
//! sharing one interaction handler) and `cli` (the terminal). What the binary, the
//! integration tests and the benches use is public, not as a stable API; the rest is the
//! crate's own.

// Nothing read from users, notes, config or the network may panic: outside tests, clippy
// refuses what panics by design.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented
    )
)]

// Unix only (Linux, in the Docker image; macOS to develop on): the bot opens notes with
// O_NONBLOCK, tells a folder by device and inode, takes SIGHUP/SIGTERM and names the uid a
// permission needs. Branches for other systems were never built nor tested.
#[cfg(not(unix))]
compile_error!("notes-bot runs on Unix (Linux or macOS); on Windows, run its Docker image");

pub mod bot;
pub mod by_topic;
pub mod cli;
pub mod config;
pub mod error;
pub mod feedback;
pub mod gaps;
mod json_file;
pub mod notes;
pub mod reply;
pub mod search;
mod sync;
mod text;
mod yaml;
