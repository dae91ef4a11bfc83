//! What every adapter shares: the current index (swapped whole on reload) and the handler.

use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use serenity::all::Interaction;

use super::handler::{Handler, Outcome};
use crate::config::Config;
use crate::search::Index;

pub struct App {
    pub config: Config,
    pub handler: Handler,
    index: ArcSwap<Index>,
}

impl App {
    pub fn new(config: Config, index: Index) -> App {
        App {
            handler: Handler::new(&config),
            config,
            index: ArcSwap::from_pointee(index),
        }
    }

    /// The index now; a reload never changes what a caller already holds.
    pub fn index(&self) -> Arc<Index> {
        self.index.load_full()
    }

    pub fn replace_index(&self, index: Index) {
        self.index.store(Arc::new(index));
    }

    pub fn handle(&self, interaction: &Interaction) -> Outcome {
        self.handler
            .handle(&self.index.load(), interaction, Instant::now())
    }
}
