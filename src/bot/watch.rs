//! Live reload: the notes folder is watched (debounced) and SIGHUP asks for a reload too.

use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer, notify::RecommendedWatcher};
use tokio::sync::mpsc;

use super::app::{App, Reloaded};

/// Quiet time after the last change before reloading: editors write files in bursts.
const DEBOUNCE: Duration = Duration::from_millis(500);

/// Starts watching the notes folder. Each successful reload is sent on `sender` (so the
/// adapter can register commands again); failures are logged and the last good index keeps
/// serving. Reloads stop when the returned watcher is dropped.
pub fn watch(
    app: Arc<App>,
    sender: mpsc::UnboundedSender<Reloaded>,
) -> Result<Debouncer<RecommendedWatcher>, String> {
    let dir = app.config.notes_dir.clone();
    let reload_app = app.clone();
    let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| match result {
        Ok(events) if events.iter().any(|e| is_note(&e.path)) => {
            if let Some(reloaded) = reload_now(&reload_app) {
                let _ = sender.send(reloaded);
            }
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "watching the notes folder failed"),
    })
    .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    debouncer
        .watcher()
        .watch(&dir, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    Ok(debouncer)
}

fn is_note(path: &std::path::Path) -> bool {
    // A deleted folder or a renamed file shows up as a path without the extension.
    path.extension().is_none_or(|ext| ext.eq_ignore_ascii_case("md"))
}

/// Reloads and logs the result in one line.
pub fn reload_now(app: &App) -> Option<Reloaded> {
    match app.reload() {
        Ok(reloaded) => {
            tracing::info!(
                notes = reloaded.notes,
                sections = reloaded.sections,
                "notes reloaded"
            );
            Some(reloaded)
        }
        Err(errors) => {
            for error in &errors {
                tracing::error!("{error}; the last good notes keep serving");
            }
            None
        }
    }
}

/// Reloads on every SIGHUP, forwarding successes like the watcher.
pub async fn reload_on_hangup(app: Arc<App>, sender: mpsc::UnboundedSender<Reloaded>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            return;
        };
        while hangups.recv().await.is_some() {
            let app = app.clone();
            if let Ok(Some(reloaded)) = tokio::task::spawn_blocking(move || reload_now(&app)).await {
                let _ = sender.send(reloaded);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (app, sender);
}

/// Watches the notes and listens for SIGHUP; when the topics change, registers the
/// commands again through `registrar` (or says how to). Keep the result alive.
pub fn spawn_reloading(
    app: Arc<App>,
    registrar: Option<(Arc<serenity::all::Http>, Vec<serenity::all::GuildId>)>,
) -> Option<Debouncer<RecommendedWatcher>> {
    let (sender, mut reloads) = mpsc::unbounded_channel();
    let watcher = match watch(app.clone(), sender.clone()) {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            tracing::warn!("{error}; live reload is off (SIGHUP still reloads)");
            None
        }
    };
    tokio::spawn(reload_on_hangup(app.clone(), sender));
    tokio::spawn(async move {
        while let Some(reloaded) = reloads.recv().await {
            if !reloaded.topics_changed {
                continue;
            }
            match &registrar {
                Some((http, guilds)) => {
                    if let Err(error) = super::gateway::register(http, &app, guilds).await {
                        tracing::error!(?error, "topics changed but the commands could not be registered");
                    }
                }
                None => {
                    tracing::warn!("topics changed: run `notes-bot register` to update the slash commands")
                }
            }
        }
    });
    watcher
}
