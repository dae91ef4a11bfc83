//! Discord adapters: commands, the interaction handler, and the transports that carry it.

pub mod app;
pub(crate) mod clock;
pub mod commands;
pub mod custom_id;
pub mod discord;
pub mod endpoint;
pub(crate) mod forum;
pub mod gateway;
pub mod handler;
pub(crate) mod health;
pub(crate) mod i18n;
pub(crate) mod metrics;
pub(crate) mod refusals;
pub(crate) mod registrar;
pub(crate) mod render;
pub(crate) mod shard_watch;
pub mod shared;
pub(crate) mod shutdown;
pub(crate) mod state;
pub(crate) mod token;
pub mod watch;
pub mod webhook;
pub(crate) mod workers;

pub use app::App;
pub use handler::{ForumReply, Handler, Kind, Outcome, Then};
