//! notes-bot: answers questions from markdown notes.
//!
//! One way through: notes → parse → [`notes::Library`] → [`search::Index`] → hits →
//! [`reply::Reply`] → an adapter (CLI, Discord gateway, HTTP endpoint). Everything in
//! this library is synchronous and knows nothing of Discord's transport.

pub mod bot;
pub mod by_topic;
pub mod cli;
pub mod config;
pub mod error;
pub mod feedback;
pub mod gaps;
pub mod json_file;
pub mod notes;
pub mod reply;
pub mod search;
pub mod text;
