//! Live reload: edit, add, delete and break notes under a running app; check what is served.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use notes_bot::bot::App;
use notes_bot::bot::watch;
use notes_bot::config::Config;
use notes_bot::search::Index;

struct Notes {
    dir: PathBuf,
}

impl Notes {
    fn new(name: &str) -> Notes {
        let dir = std::env::temp_dir().join(format!("notes-bot-reload-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        Notes { dir }
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
    }

    fn app(&self) -> App {
        let config = Config {
            notes_dir: self.dir.clone(),
            ..Config::default()
        };
        let loaded = notes_bot::notes::load_dir(&config.notes_dir, &config.labels());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let index = Index::build(loaded.library, &config.search_options());
        App::new(config, index)
    }
}

impl Drop for Notes {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn titles(app: &App, topic: &str) -> Vec<String> {
    let index = app.index();
    let note = index.library().note(topic);
    note.map(|n| n.sections.iter().map(|s| s.title.clone()).collect())
        .unwrap_or_default()
}

fn topics(app: &App) -> Vec<String> {
    app.index()
        .library()
        .notes
        .iter()
        .map(|n| n.topic.clone())
        .collect()
}

const ROUTERS: &str = "---\ntitle: Routers\n---\n## Reset the router\n- hold the button for ten seconds\n";

#[test]
fn edit_add_delete_and_break() {
    let notes = Notes::new("steps");
    notes.write("routers.md", ROUTERS);
    let app = notes.app();
    assert_eq!(titles(&app, "routers"), vec!["Reset the router"]);
    let before = app.index();

    // Edit: a new section appears; what a caller already holds is unchanged.
    notes.write(
        "routers.md",
        &format!("{ROUTERS}## Update the firmware\n- download it from the vendor\n"),
    );
    let reloaded = app.reload().unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!reloaded.topics_changed);
    assert_eq!(
        titles(&app, "routers"),
        vec!["Reset the router", "Update the firmware"]
    );
    assert_eq!(
        before.library().notes[0].sections.len(),
        1,
        "the old index is untouched"
    );
    assert!(!app.index().search("firmware", Some("routers"), 1).is_empty());

    // Add: a new topic, so the command set changes.
    notes.write(
        "printers.md",
        "---\ntitle: Printers\n---\n## Paper jam\n- open tray two\n",
    );
    let reloaded = app.reload().unwrap_or_else(|e| panic!("{e:?}"));
    assert!(reloaded.topics_changed);
    assert_eq!(topics(&app), vec!["printers", "routers"]);

    // Break: bad YAML keeps the last good index, and the error names the file and line.
    notes.write("printers.md", "---\ntitle: [Printers\n---\n## Paper jam\n- x\n");
    let errors = app.reload().err().unwrap_or_default();
    assert_eq!(errors.len(), 1);
    let message = errors[0].to_string();
    // serde_yaml places the error where it noticed it: the end of the unclosed list.
    assert!(
        message.contains("printers.md:2: front matter is not valid YAML")
            || message.contains("printers.md:3: front matter is not valid YAML"),
        "{message}"
    );
    assert_eq!(topics(&app), vec!["printers", "routers"]);
    assert_eq!(titles(&app, "printers"), vec!["Paper jam"]);

    // Break differently: two notes claim one topic.
    notes.write(
        "printers.md",
        "---\ntitle: Printers\n---\n## Paper jam\n- open tray two\n",
    );
    notes.write("copy.md", "---\ncommand: routers\n---\n## Other\n- y\n");
    let errors = app.reload().err().unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e.to_string().contains("already the name of")),
        "{errors:?}"
    );
    assert_eq!(
        titles(&app, "routers"),
        vec!["Reset the router", "Update the firmware"]
    );
    notes.remove("copy.md");

    // Delete: the topic goes away.
    notes.remove("printers.md");
    let reloaded = app.reload().unwrap_or_else(|e| panic!("{e:?}"));
    assert!(reloaded.topics_changed);
    assert_eq!(topics(&app), vec!["routers"]);

    // Deleting every note keeps the last good index rather than serving nothing.
    notes.remove("routers.md");
    assert!(app.reload().is_err());
    assert_eq!(topics(&app), vec!["routers"]);
}

#[test]
fn the_watcher_reloads_within_two_seconds() {
    let notes = Notes::new("watch");
    notes.write("routers.md", ROUTERS);
    let app = Arc::new(notes.app());
    let (sender, mut reloads) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = watch::watch(app.clone(), sender).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(100));

    let started = Instant::now();
    notes.write(
        "switches.md",
        "---\ntitle: Switches\n---\n## VLANs\n- tag the uplink\n",
    );
    let reloaded = wait_for(&mut reloads, Duration::from_secs(5));
    let took = started.elapsed();
    assert!(reloaded.is_some(), "no reload after adding a note");
    assert!(took < Duration::from_secs(2), "reload took {took:?}");
    assert_eq!(topics(&app), vec!["routers", "switches"]);

    // A broken edit is noticed but keeps serving the last good notes.
    notes.write("switches.md", "---\ntitle: [broken\n---\n");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(topics(&app), vec!["routers", "switches"]);
    assert_eq!(titles(&app, "switches"), vec!["VLANs"]);
}

fn wait_for<T>(receiver: &mut tokio::sync::mpsc::UnboundedReceiver<T>, limit: Duration) -> Option<T> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(value) = receiver.try_recv() {
            return Some(value);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
