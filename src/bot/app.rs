//! What every adapter shares: the current index (swapped whole on reload) and the handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use arc_swap::ArcSwap;
use serenity::all::Interaction;

use super::handler::{Handler, Outcome};
use super::health::unix_now;
use crate::config::Config;
use crate::notes::{self, NoteError};
use crate::search::Index;

pub struct App {
    pub config: Config,
    pub handler: Handler,
    index: ArcSwap<Index>,
    /// Unix time the current index was built.
    loaded_at: AtomicU64,
}

/// What a successful reload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    pub notes: usize,
    pub sections: usize,
    /// The command set differs: it must be registered again.
    pub topics_changed: bool,
}

impl App {
    pub fn new(config: Config, index: Index) -> App {
        App {
            handler: Handler::new(&config),
            config,
            index: ArcSwap::from_pointee(index),
            loaded_at: AtomicU64::new(unix_now()),
        }
    }

    /// The index now; a reload never changes what a caller already holds.
    pub fn index(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Unix time the index now serving was built.
    pub fn loaded_at(&self) -> u64 {
        self.loaded_at.load(Ordering::Relaxed)
    }

    pub fn handle(&self, interaction: &Interaction) -> Outcome {
        self.handler
            .handle(&self.index.load(), interaction, Instant::now())
    }

    /// Reads the notes again and swaps the index in whole. On any error the last good
    /// index keeps serving and the errors are returned.
    pub fn reload(&self) -> Result<Reloaded, Vec<NoteError>> {
        let loaded = notes::load_dir(&self.config.notes_dir, &self.config.labels());
        if !loaded.errors.is_empty() {
            return Err(loaded.errors);
        }
        if loaded.library.notes.is_empty() {
            return Err(vec![NoteError {
                path: self.config.notes_dir.clone(),
                line: None,
                message: "no notes left; keeping the last good ones".into(),
            }]);
        }
        let index = Index::build(loaded.library, &self.config.search_options());
        let old = self.index.load();
        let topics = |index: &Index| -> Vec<(String, String)> {
            index
                .library()
                .notes
                .iter()
                .map(|n| (n.topic.clone(), n.title().to_string()))
                .collect()
        };
        let reloaded = Reloaded {
            notes: index.library().notes.len(),
            sections: index.library().section_count(),
            topics_changed: topics(&old) != topics(&index),
        };
        self.index.store(Arc::new(index));
        self.loaded_at.store(unix_now(), Ordering::Relaxed);
        Ok(reloaded)
    }
}

/// Saves the counted gaps every minute; call `save_gaps` once more at shutdown.
pub async fn save_gaps_periodically(app: Arc<App>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    tick.tick().await;
    loop {
        tick.tick().await;
        save_gaps(&app);
    }
}

pub fn save_gaps(app: &App) {
    if let Err(error) = app.handler.save_gaps() {
        tracing::warn!("cannot save gaps: {error}");
    }
}
