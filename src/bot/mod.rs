//! Discord adapters: commands, the interaction handler, and the transports that carry it.

pub mod app;
pub mod clock;
pub mod commands;
pub mod custom_id;
pub mod discord;
pub mod endpoint;
pub mod forum;
pub mod gateway;
pub mod handler;
pub mod health;
pub mod i18n;
pub mod metrics;
pub mod registrar;
pub mod render;
pub mod shared;
pub mod shutdown;
pub mod state;
pub mod token;
pub mod watch;
pub mod webhook;
pub mod workers;

pub use app::App;
pub use handler::{ForumReply, Handler, Kind, Outcome, Then};
