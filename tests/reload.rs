//! Live reload: edit, add, delete and break notes under a running app; check what is served.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TempDir;
use notes_bot::bot::App;
use notes_bot::bot::app::Reloaded;
use notes_bot::bot::watch;
use notes_bot::config::Config;
use tokio::sync::mpsc::UnboundedReceiver as Receiver;

struct Notes {
    dir: TempDir,
}

impl Notes {
    fn new(name: &str) -> Notes {
        Notes {
            dir: TempDir::new(&format!("reload-{name}")),
        }
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
    }

    fn config(&self) -> Config {
        Config {
            notes_dir: self.dir.to_path_buf(),
            ..Config::default()
        }
    }

    fn app(&self) -> App {
        self.app_with(self.config())
    }

    fn app_with(&self, config: Config) -> App {
        let (app, problems) = App::load(config).unwrap_or_else(|e| panic!("{e}"));
        assert!(problems.is_empty(), "{problems:?}");
        app
    }

    /// The app, watching its folder; reloads that swapped the index arrive on the receiver.
    fn watched(&self) -> (Arc<App>, watch::Watcher, Receiver<Reloaded>) {
        let app = Arc::new(self.app());
        let (sender, reloads) = tokio::sync::mpsc::unbounded_channel();
        let watcher = watch::watch(app.clone(), sender).unwrap_or_else(|e| panic!("{e}"));
        // inotify watches are in place when `watch` returns; give the thread a moment.
        std::thread::sleep(Duration::from_millis(100));
        (app, watcher, reloads)
    }
}

impl Drop for Notes {
    fn drop(&mut self) {
        // The folder goes with its `TempDir`; what `Serving::start` writes beside it here.
        let _ = std::fs::remove_file(self.dir.with_extension("yaml"));
        let _ = std::fs::remove_dir_all(self.dir.with_extension("data"));
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
        .notes()
        .iter()
        .map(|n| n.topic.clone())
        .collect()
}

const ROUTERS: &str = "---\ntitle: Routers\n---\n## Reset the router\n- hold the button for ten seconds\n";
const PRINTERS: &str = "---\ntitle: Printers\n---\n## Paper jam\n- open tray two\n";

fn problems(reload: &notes_bot::bot::app::Reload) -> Vec<String> {
    reload.problems.iter().map(|p| p.to_string()).collect()
}

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
    let reload = app.reload();
    let reloaded = reload.reloaded.unwrap_or_else(|| panic!("{:?}", reload.problems));
    assert!(!reloaded.commands_changed);
    assert_eq!(
        titles(&app, "routers"),
        vec!["Reset the router", "Update the firmware"]
    );
    assert_eq!(
        before.library().notes()[0].sections.len(),
        1,
        "the old index is untouched"
    );
    assert!(!app.index().search("firmware", Some("routers"), 1).is_empty());

    // A new description (the command's): the command set changes too.
    notes.write(
        "routers.md",
        &format!(
            "{}## Update the firmware\n- download it from the vendor\n",
            ROUTERS.replace("title: Routers\n", "title: Routers\ndescription: Home routers\n")
        ),
    );
    let reloaded = app.reload().reloaded.unwrap_or_else(|| panic!("no reload"));
    assert!(reloaded.commands_changed);

    // Add: a new topic, so the command set changes.
    notes.write("printers.md", PRINTERS);
    let reloaded = app.reload().reloaded.unwrap_or_else(|| panic!("no reload"));
    assert!(reloaded.commands_changed);
    assert_eq!(topics(&app), vec!["printers", "routers"]);

    // Break one note and edit another in one go: the edit is served, the broken note keeps
    // its last good version, and the problem names the file and line.
    notes.write("printers.md", "---\ntitle: [Printers\n---\n## Paper jam\n- x\n");
    notes.write(
        "routers.md",
        &format!("{ROUTERS}## Change the Wi-Fi channel\n- pick 1, 6 or 11\n"),
    );
    let reload = app.reload();
    assert!(reload.reloaded.is_some(), "{:?}", reload.problems);
    let message = problems(&reload).join("\n");
    // serde_yaml places the error where it noticed it: the end of the unclosed list.
    assert!(
        message.contains("printers.md:2: front matter is not valid YAML")
            || message.contains("printers.md:3: front matter is not valid YAML"),
        "{message}"
    );
    assert!(message.contains("last good version keeps serving"), "{message}");
    assert_eq!(reload.problems.len(), 1, "{message}");
    assert_eq!(app.notes_skipped(), 1);
    assert_eq!(topics(&app), vec!["printers", "routers"]);
    assert_eq!(titles(&app, "printers"), vec!["Paper jam"]);
    assert_eq!(
        titles(&app, "routers"),
        vec!["Reset the router", "Change the Wi-Fi channel"]
    );

    // Two notes claim one topic: the rule is the one of a start-up, whatever served before
    // (a restart must not move a command): the newcomer's `command:` wins, the note that
    // had the name takes one made distinct, with a warning.
    notes.write("printers.md", PRINTERS);
    notes.write("copy.md", "---\ncommand: routers\n---\n## Other\n- y\n");
    let reload = app.reload();
    assert!(reload.problems.is_empty(), "{:?}", reload.problems);
    let warnings: Vec<String> = reload.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        warnings.iter().any(
            |w| w.contains("routers.md: topic `routers` is already the name of")
                && w.contains("this note is `/routers-2`")
        ),
        "{warnings:?}"
    );
    // And that a topic now answers from another file, which nothing else would tell.
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("copy.md: /routers now answers from this note")
                && w.contains("it answered from")
                && w.contains("routers.md before this reload")),
        "{warnings:?}"
    );
    assert_eq!(titles(&app, "routers"), vec!["Other"]);
    // Told once: an edit of another note does not tell it again.
    notes.write("printers.md", &format!("{PRINTERS}- close the tray\n"));
    let reload = app.reload();
    assert!(
        reload.reloaded.is_some() && reload.warnings.is_empty(),
        "{:?}",
        reload.warnings
    );
    assert_eq!(
        titles(&app, "routers-2"),
        vec!["Reset the router", "Change the Wi-Fi channel"]
    );
    let restarted = notes.app();
    assert_eq!(topics(&restarted), topics(&app));
    // The newcomer gone, the note has its own name again.
    notes.remove("copy.md");
    let reloaded = app.reload().reloaded.unwrap_or_else(|| panic!("no reload"));
    assert!(reloaded.commands_changed);
    assert_eq!(topics(&app), vec!["printers", "routers"]);
    assert_eq!(
        titles(&app, "routers"),
        vec!["Reset the router", "Change the Wi-Fi channel"]
    );

    // Delete: the topic goes away at once.
    notes.remove("printers.md");
    let reloaded = app.reload().reloaded.unwrap_or_else(|| panic!("no reload"));
    assert!(reloaded.commands_changed);
    assert_eq!(topics(&app), vec!["routers"]);
    assert_eq!(app.notes_skipped(), 0);

    // Deleting every note keeps the last good index rather than serving nothing.
    notes.remove("routers.md");
    let reload = app.reload();
    assert!(reload.reloaded.is_none());
    assert!(problems(&reload).join("\n").contains("no notes left"));
    assert_eq!(topics(&app), vec!["routers"]);
}

#[test]
fn a_reload_with_no_file_changed_is_skipped() {
    let notes = Notes::new("unchanged");
    notes.write("routers.md", ROUTERS);
    notes.write("printers.md", PRINTERS);
    let app = notes.app();
    let before = app.index();
    for _ in 0..3 {
        let reload = app.reload();
        assert!(!reload.changed && reload.reloaded.is_none());
    }
    assert!(Arc::ptr_eq(&before, &app.index()), "the index was rebuilt");
    assert_eq!(app.reloads(), 0);
    // One changed file: a reload.
    notes.write("printers.md", &format!("{PRINTERS}- and tray one\n"));
    assert!(app.reload().reloaded.is_some());
    assert_eq!(app.reloads(), 1);
}

#[test]
fn a_change_that_leaves_every_note_as_it_was_swaps_nothing() {
    let notes = Notes::new("nothing-new");
    notes.write("routers.md", ROUTERS);
    notes.write("printers.md", PRINTERS);
    let app = notes.app();
    let before = app.index();

    // A broken edit: its last good version serves, so nothing new does.
    notes.write("printers.md", "---\ntitle: [Printers\n---\n## Paper jam\n- x\n");
    let reload = app.reload();
    assert!(reload.changed && reload.reloaded.is_none(), "{reload:?}");
    assert!(
        problems(&reload)
            .join("\n")
            .contains("last good version keeps serving")
    );
    // The whole folder gone: every note keeps its last good version.
    std::fs::remove_dir_all(&notes.dir).unwrap_or_else(|e| panic!("{e}"));
    let reload = app.reload();
    assert!(reload.changed && reload.reloaded.is_none(), "{reload:?}");
    assert!(
        problems(&reload)
            .join("\n")
            .contains("cannot read the notes folder")
    );
    assert!(Arc::ptr_eq(&before, &app.index()), "the index was swapped");
    assert_eq!(app.reloads(), 0);
    assert_eq!(topics(&app), vec!["printers", "routers"]);

    // Back: a reload.
    std::fs::create_dir(&notes.dir).unwrap_or_else(|e| panic!("{e}"));
    notes.write("routers.md", ROUTERS);
    let reload = app.reload();
    assert!(reload.reloaded.is_some(), "{reload:?}");
    assert_eq!(topics(&app), vec!["routers"]);
}

/// A reload that swaps nothing names only what is new among the problems (a broken note
/// added), and those gone since (it was removed): a problem that stays (a broken file
/// left as it is) was told at ERROR again at every unrelated change.
#[test]
fn a_reload_tells_new_problems_and_those_cleared() {
    let notes = Notes::new("new-problems");
    notes.write("routers.md", ROUTERS);
    notes.write("stale.md", "---\ntitle: [Stale\n---\n## S\n- s\n");
    let (app, problems_at_start) = App::load(notes.config()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(problems_at_start.len(), 1);
    notes.write("broken.md", "---\ntitle: [Broken\n---\n## B\n- b\n");
    let reload = app.reload();
    assert!(reload.reloaded.is_none(), "{reload:?}");
    assert_eq!(reload.problems.len(), 2);
    let new: Vec<String> = reload.new_problems.iter().map(ToString::to_string).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("broken.md"), "{new:?}");
    assert!(reload.cleared.is_empty(), "{:?}", reload.cleared);
    notes.remove("broken.md");
    let reload = app.reload();
    assert!(reload.new_problems.is_empty(), "{:?}", reload.new_problems);
    let cleared: Vec<String> = reload.cleared.iter().map(ToString::to_string).collect();
    assert!(
        cleared.len() == 1 && cleared[0].contains("broken.md"),
        "{cleared:?}"
    );
    assert_eq!(app.notes_skipped(), 1);
}

#[test]
fn at_start_up_a_bad_note_is_skipped_and_the_rest_load() {
    let notes = Notes::new("start");
    notes.write("routers.md", ROUTERS);
    notes.write("broken.md", "---\ntitle: [x\n---\n## A\n- b\n");
    notes.write("latin1.md", "");
    std::fs::write(notes.dir.join("latin1.md"), b"## Caf\xe9\n- x\n").unwrap_or_else(|e| panic!("{e}"));
    let (app, problems) = App::load(notes.config()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(topics(&app), vec!["routers"]);
    let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("broken.md:"), "{problems:?}");
    assert!(
        problems[1].contains("latin1.md:1: not valid UTF-8"),
        "{problems:?}"
    );
    assert_eq!(app.notes_skipped(), 2);
    // Only "no note at all" is fatal.
    notes.remove("routers.md");
    let error = App::load(notes.config())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("no notes loaded from"), "{error}");
    assert!(error.contains("broken.md"), "{error}");
}

#[test]
fn deleting_every_note_is_told_and_the_last_ones_keep_serving() {
    let notes = Notes::new("all-gone");
    notes.write("routers.md", ROUTERS);
    let app = notes.app();
    notes.remove("routers.md");
    let reload = app.reload();
    assert!(reload.reloaded.is_none());
    let told: Vec<String> = reload.new_problems.iter().map(ToString::to_string).collect();
    assert!(
        told.iter()
            .any(|p| p.ends_with("no notes left; the last good ones keep serving")),
        "{told:?}"
    );
    assert_eq!(topics(&app), ["routers"]);
}

#[test]
fn an_emptied_note_keeps_its_last_version_until_it_stays_empty_a_deleted_one_goes_at_once() {
    let notes = Notes::new("emptied");
    notes.write("routers.md", ROUTERS);
    notes.write("printers.md", PRINTERS);
    let mut config = notes.config();
    config.reload.hold_empty_seconds = 1;
    let app = notes.app_with(config);

    // Truncated mid-save: the last version serves.
    notes.write("routers.md", "");
    let started = Instant::now();
    let reload = app.reload();
    assert_eq!(titles(&app, "routers"), vec!["Reset the router"]);
    let due = reload.again_at.unwrap_or_else(|| panic!("no time to look again"));
    assert!(due > started + Duration::from_millis(900), "{:?}", due - started);
    assert!(
        problems(&reload)
            .join("\n")
            .contains("routers.md: has no sections now")
    );

    // The writer finishes: the new version serves at once.
    notes.write(
        "routers.md",
        &ROUTERS.replace("Reset the router", "Restart the router"),
    );
    assert!(app.reload().again_at.is_none());
    assert_eq!(titles(&app, "routers"), vec!["Restart the router"]);

    // Emptied for good: served as empty once it stays so past the hold.
    notes.write("routers.md", "---\ntitle: Routers\n---\n");
    assert!(app.reload().again_at.is_some());
    assert_eq!(titles(&app, "routers"), vec!["Restart the router"]);
    std::thread::sleep(Duration::from_millis(1100));
    let reload = app.reload();
    assert!(reload.reloaded.is_some() && reload.again_at.is_none());
    assert_eq!(titles(&app, "routers"), Vec::<String>::new());
    assert_eq!(topics(&app), vec!["printers", "routers"]);

    // Deleted: gone at once.
    notes.remove("printers.md");
    assert!(app.reload().reloaded.is_some());
    assert_eq!(topics(&app), vec!["routers"]);
}

#[test]
fn the_watcher_reloads_within_two_seconds_and_reloads_stop_after_one_change() {
    let notes = Notes::new("watch");
    notes.write("routers.md", ROUTERS);
    let (app, _watcher, mut reloads) = notes.watched();

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

    // The reload's own reads start no other reload.
    let more = wait_for(&mut reloads, Duration::from_secs(3));
    assert!(more.is_none(), "a reload with nothing changed: {more:?}");
    assert_eq!((app.reload_checks(), app.reloads()), (1, 1));

    // A broken edit is noticed but keeps serving the last good version.
    notes.write("switches.md", "---\ntitle: [broken\n---\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.reload_checks() < 2 {
        assert!(Instant::now() < deadline, "the broken edit was never read");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(topics(&app), vec!["routers", "switches"]);
    assert_eq!(titles(&app, "switches"), vec!["VLANs"]);
    assert_eq!(app.notes_skipped(), 1);
}

/// The watcher's reload looks at the files its events named; a folder made, moved or
/// removed needs the walk. Each step is served as a walk of the folder would serve it.
#[test]
fn the_watcher_follows_notes_in_folders_made_moved_and_removed() {
    let notes = Notes::new("watch-folders");
    notes.write("routers.md", ROUTERS);
    let (app, _watcher, mut reloads) = notes.watched();
    let dir = notes.dir.to_path_buf();
    let reload = |reloads: &mut Receiver<Reloaded>, what: &str| {
        assert!(
            wait_for(reloads, Duration::from_secs(5)).is_some(),
            "no reload after {what}"
        );
    };
    std::fs::create_dir(dir.join("net")).unwrap_or_else(|e| panic!("{e}"));
    notes.write("net/switches.md", "## VLANs\n- tag the uplink\n");
    reload(&mut reloads, "a new folder with a note");
    // In path order: `net/…` before `routers.md`.
    assert_eq!(topics(&app), vec!["switches", "routers"]);
    // An edit in that folder, and a second note there.
    notes.write(
        "net/switches.md",
        "## VLANs\n- tag the uplink\n## Trunks\n- allow the VLANs\n",
    );
    notes.write("net/firewalls.md", "## Rules\n- deny by default\n");
    reload(&mut reloads, "an edit and a new note");
    assert_eq!(topics(&app), vec!["firewalls", "switches", "routers"]);
    assert_eq!(titles(&app, "switches"), vec!["VLANs", "Trunks"]);
    std::fs::rename(dir.join("net"), dir.join("network")).unwrap_or_else(|e| panic!("{e}"));
    reload(&mut reloads, "a folder renamed");
    let paths = |app: &App| -> Vec<_> {
        app.index()
            .library()
            .notes()
            .iter()
            .map(|n| n.path.clone())
            .collect()
    };
    assert_eq!(paths(&app), paths(&notes.app()));
    assert!(paths(&app).iter().any(|p| p.ends_with("network/switches.md")));
    std::fs::remove_dir_all(dir.join("network")).unwrap_or_else(|e| panic!("{e}"));
    reload(&mut reloads, "a folder removed");
    assert_eq!(topics(&app), vec!["routers"]);
    // And then nothing more.
    let more = wait_for(&mut reloads, Duration::from_secs(2));
    assert!(more.is_none(), "a reload with nothing changed: {more:?}");
}

/// Above 90 notes one `/notes` command serves them all: a note added or removed changes no
/// command (the bot registered them again, and without a token told the admin to), until
/// the count crosses back.
#[test]
fn the_commands_change_with_the_topics_only_when_each_is_a_command() {
    let notes = Notes::new("notes-mode");
    let limit = notes_bot::bot::commands::MAX_TOPIC_COMMANDS;
    for n in 0..=limit {
        notes.write(&format!("n{n}.md"), &format!("## Point {n}\n- about {n}\n"));
    }
    let app = notes.app();
    notes.write("extra.md", "## Extra\n- one more\n");
    let reloaded = app.reload().reloaded.unwrap_or_else(|| panic!("no reload"));
    assert!(!reloaded.commands_changed);
    assert_eq!(reloaded.notes, limit + 2);
    notes.remove("extra.md");
    notes.remove("n0.md");
    let reloaded = app.reload().reloaded.unwrap_or_else(|| panic!("no reload"));
    assert_eq!(reloaded.notes, limit);
    assert!(reloaded.commands_changed, "a command for each topic again");
}

/// A checkout slower than the quiet periods (git-lfs, a slow disk) is not served half-done:
/// a reload waits while git holds its index lock, and comes once git lets go, though no note
/// changes then; in a repository the notes folder is a folder of, too.
#[test]
fn a_reload_waits_while_git_writes_the_folder() {
    let repository = Notes::new("git-lock");
    let dir = repository.dir.to_path_buf();
    std::fs::create_dir_all(dir.join(".git")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.join("docs")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("docs/routers.md"), ROUTERS).unwrap_or_else(|e| panic!("{e}"));
    let config = Config {
        notes_dir: dir.join("docs"),
        ..Config::default()
    };
    let app = Arc::new(repository.app_with(config));
    let (sender, mut reloads) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = watch::watch(app.clone(), sender).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(100));
    let lock = dir.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("docs/printers.md"), PRINTERS).unwrap_or_else(|e| panic!("{e}"));
    // Past the quiet period and past the ten after which a busy folder is read anyway.
    let early = wait_for(&mut reloads, Duration::from_secs(6));
    assert!(early.is_none(), "reloaded while git held its lock: {early:?}");
    assert_eq!(topics(&app), ["routers"]);
    let released = Instant::now();
    std::fs::remove_file(&lock).unwrap_or_else(|e| panic!("{e}"));
    let reloaded = wait_for(&mut reloads, Duration::from_secs(3));
    assert!(reloaded.is_some(), "no reload once git let go");
    println!("reloaded {:?} after the lock went", released.elapsed());
    assert_eq!(topics(&app), ["printers", "routers"]);
    let more = wait_for(&mut reloads, Duration::from_secs(2));
    assert!(more.is_none(), "a reload with nothing changed: {more:?}");
}

/// Links in the notes folder do not lead the watch astray: one to `/sys` (cycles without
/// end) and a graph of links inside the folder (two links a level, 2^24 paths) are not
/// walked, so watching starts at once; a note reached through the links is still reloaded
/// when it changes.
#[test]
fn the_watch_follows_no_symlink() {
    use std::os::unix::fs::symlink;
    let notes = Notes::new("watch-links");
    notes.write("routers.md", ROUTERS);
    let dir = notes.dir.to_path_buf();
    if Path::new("/sys").is_dir() {
        symlink("/sys", dir.join("sys")).unwrap_or_else(|e| panic!("{e}"));
    }
    const LEVELS: usize = 24;
    for level in 0..=LEVELS {
        let folder = dir.join(format!("d{level}"));
        std::fs::create_dir(&folder).unwrap_or_else(|e| panic!("{e}"));
        if level < LEVELS {
            for link in ["a", "b"] {
                symlink(format!("../d{}", level + 1), folder.join(link)).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    let deepest = format!("d{LEVELS}/deep.md");
    notes.write(&deepest, "## Deep\n- at the bottom\n");
    let (app, problems) = App::load(notes.config()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        problems
            .iter()
            .all(|p| p.message.contains("outside the notes folder")),
        "{problems:?}"
    );
    let app = Arc::new(app);
    let (sender, mut reloads) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let _watcher = watch::watch(app.clone(), sender).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "watching took {:?}",
        started.elapsed()
    );
    assert!(topics(&app).contains(&"deep".to_string()), "{:?}", topics(&app));
    notes.write(&deepest, "## Deeper\n- further down\n");
    assert!(
        wait_for(&mut reloads, Duration::from_secs(5)).is_some(),
        "no reload"
    );
    assert_eq!(titles(&app, "deep"), vec!["Deeper"]);
}

/// A notes folder replaced by a new one (moved aside, or deleted and made again, as a
/// deploy or git-sync does) is watched anew: its notes are served, and so are later edits
/// in it (the watch followed the old folder before, and live reload stopped for good).
#[test]
fn a_replaced_notes_folder_is_watched_anew() {
    let notes = Notes::new("watch-replaced");
    notes.write("routers.md", ROUTERS);
    let (app, _watcher, mut reloads) = notes.watched();
    let dir = notes.dir.to_path_buf();
    let old = dir.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    std::fs::rename(&dir, &old).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    notes.write(
        "switches.md",
        "---\ntitle: Switches\n---\n## VLANs\n- tag the uplink\n",
    );
    let served = |app: &App, reloads: &mut Receiver<Reloaded>, want: &[&str]| {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(8) && topics(app) != want {
            let _ = wait_for(reloads, Duration::from_millis(500));
        }
        assert_eq!(topics(app), want);
    };
    served(&app, &mut reloads, &["switches"]);
    // An edit in the new folder, and one in the old that must not count.
    notes.write(
        "firewalls.md",
        "---\ntitle: Firewalls\n---\n## Rules\n- deny by default\n",
    );
    std::fs::write(old.join("old.md"), "## Old\n- x\n").unwrap_or_else(|e| panic!("{e}"));
    served(&app, &mut reloads, &["firewalls", "switches"]);
    let _ = std::fs::remove_dir_all(&old);
    while reloads.try_recv().is_ok() {}
    // And then nothing more.
    let more = wait_for(&mut reloads, Duration::from_secs(3));
    assert!(more.is_none(), "a reload with nothing changed: {more:?}");
}

/// A Kubernetes ConfigMap mounted as the notes folder: each note a link through `..data`,
/// a link to a hidden folder of this version's files; an update writes a new hidden folder
/// and renames a new `..data` link over the old one (no event names a note).
#[test]
fn a_config_map_update_is_reloaded() {
    use std::os::unix::fs::symlink;
    let notes = Notes::new("watch-configmap");
    let dir = notes.dir.to_path_buf();
    let version = |name: &str, text: &str| {
        std::fs::create_dir(dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(name).join("routers.md"), text).unwrap_or_else(|e| panic!("{e}"));
    };
    version("..2026_12_06_01", ROUTERS);
    symlink("..2026_12_06_01", dir.join("..data")).unwrap_or_else(|e| panic!("{e}"));
    symlink("..data/routers.md", dir.join("routers.md")).unwrap_or_else(|e| panic!("{e}"));
    let (app, _watcher, mut reloads) = notes.watched();
    assert_eq!(titles(&app, "routers"), vec!["Reset the router"]);
    version(
        "..2026_12_06_02",
        "---\ntitle: Routers\n---\n## Update the firmware\n- download it first\n",
    );
    symlink("..2026_12_06_02", dir.join("..data_tmp")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(dir.join("..data_tmp"), dir.join("..data")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir_all(dir.join("..2026_12_06_01")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        wait_for(&mut reloads, Duration::from_secs(5)).is_some(),
        "no reload after the update"
    );
    assert_eq!(titles(&app, "routers"), vec!["Update the firmware"]);
}

/// The config's default `notes_dir` is relative (`notes`): events, which name absolute
/// paths, count for it too.
#[test]
fn a_relative_notes_folder_is_watched() {
    let notes = Notes::new("watch-relative");
    notes.write("routers.md", ROUTERS);
    // The same folder, relative to the working folder (the tests run in the crate's).
    let cwd = std::env::current_dir().unwrap_or_else(|e| panic!("{e}"));
    let up = cwd.components().skip(1).map(|_| "..").collect::<PathBuf>();
    let relative = up.join(notes.dir.strip_prefix("/").unwrap_or(&notes.dir));
    assert!(relative.is_relative());
    let config = Config {
        notes_dir: relative,
        ..Config::default()
    };
    let app = Arc::new(notes.app_with(config));
    let (sender, mut reloads) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = watch::watch(app.clone(), sender).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(100));
    notes.write(
        "switches.md",
        "---\ntitle: Switches\n---\n## VLANs\n- tag the uplink\n",
    );
    assert!(
        wait_for(&mut reloads, Duration::from_secs(5)).is_some(),
        "no reload"
    );
    assert_eq!(topics(&app), vec!["routers", "switches"]);
}

/// A note rewritten without a pause does not hold back every reload: the folder is
/// reloaded ten quiet periods after the first change at most.
#[test]
fn a_note_written_without_a_pause_is_still_reloaded() {
    let notes = Notes::new("watch-busy");
    notes.write("routers.md", ROUTERS);
    let (app, _watcher, mut reloads) = notes.watched();
    let quiet = app.config.reload.quiet();
    let started = Instant::now();
    let mut reloaded_while_writing = false;
    let mut n = 0;
    while started.elapsed() < quiet * 14 {
        n += 1;
        notes.write("busy.md", &format!("## Version {n}\n- x\n"));
        std::thread::sleep(quiet / 5);
        reloaded_while_writing |= reloads.try_recv().is_ok();
    }
    assert!(
        reloaded_while_writing,
        "no reload in {:?} of writes",
        started.elapsed()
    );
    assert!(topics(&app).contains(&"busy".to_string()));
}

#[test]
fn reading_every_note_starts_no_reload() {
    let notes = Notes::new("read");
    for n in 0..20 {
        notes.write(
            &format!("note{n}.md"),
            &ROUTERS.replace("Routers", &format!("Note {n}")),
        );
    }
    std::fs::create_dir(notes.dir.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    notes.write("sub/deep.md", PRINTERS);
    let (app, _watcher, mut reloads) = notes.watched();
    // Like `cat` and a backup job: open, read, close; list the folders; check every note.
    for _ in 0..3 {
        for entry in std::fs::read_dir(&notes.dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
        {
            let _ = std::fs::read(entry.path());
        }
        let _ = std::fs::read(notes.dir.join("sub/deep.md"));
        let _ = notes_bot::notes::load_dir(&notes.dir, &Default::default());
    }
    let reloaded = wait_for(&mut reloads, Duration::from_secs(5));
    assert!(reloaded.is_none(), "reading started a reload: {reloaded:?}");
    assert_eq!(app.reload_checks(), 0, "reading made the watcher look");
}

#[test]
fn a_save_in_pieces_is_never_served_half_way() {
    use std::io::Write;
    let notes = Notes::new("pieces");
    let old = "## Old one\n- a\n## Old two\n- b\n";
    notes.write("routers.md", old);
    let (app, _watcher, mut reloads) = notes.watched();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (app, stop) = (app.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let now = titles(&app, "routers");
                if seen.last() != Some(&now) {
                    seen.push(now);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            seen
        })
    };
    // Truncate, then write one section every 300 ms, as a slow writer or a sync tool does.
    let mut file = std::fs::File::create(notes.dir.join("routers.md")).unwrap_or_else(|e| panic!("{e}"));
    for piece in ["## New one\n- a\n", "## New two\n- b\n", "## New three\n- c\n"] {
        std::thread::sleep(Duration::from_millis(300));
        file.write_all(piece.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        file.flush().unwrap_or_else(|e| panic!("{e}"));
    }
    drop(file);
    let reloaded = wait_for(&mut reloads, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = sampler.join().unwrap_or_else(|_| panic!("sampler panicked"));
    assert!(reloaded.is_some(), "no reload after the save");
    let old_titles = vec!["Old one".to_string(), "Old two".to_string()];
    let new_titles = vec![
        "New one".to_string(),
        "New two".to_string(),
        "New three".to_string(),
    ];
    assert_eq!(seen, vec![old_titles, new_titles], "served half-way");
    assert_eq!((app.reload_checks(), app.reloads()), (1, 1));
}

#[test]
fn check_reports_an_unreadable_folder_and_file_and_loads_the_rest() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let notes = Notes::new("unreadable");
    notes.write("routers.md", ROUTERS);
    let lost = notes.dir.join("lost+found");
    std::fs::create_dir(&lost).unwrap_or_else(|e| panic!("{e}"));
    notes.write("lost+found/x.md", PRINTERS);
    notes.write("private.md", PRINTERS);
    for path in [&lost, &notes.dir.join("private.md")] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Root reads anything: run as `nobody` then, as the Docker image's user would.
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    let binary = env!("CARGO_BIN_EXE_notes-bot");
    let mut command = if root {
        let mut command = std::process::Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
        command
    } else {
        std::process::Command::new(binary)
    };
    // A data folder `nobody` may write to (check looks at it too).
    let config = notes.dir.with_extension("yaml");
    std::fs::write(&config, "data_dir: /tmp\n").unwrap_or_else(|e| panic!("{e}"));
    let output = command
        .args(["check", "--notes"])
        .arg(&notes.dir)
        .arg("--config")
        .arg(&config)
        .env_remove("NOTES_BOT_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run notes-bot: {e}"));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        stdout.contains("/routers  “Routers”: 1 sections"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 notes, 1 sections, 0 sources, 0 warnings, 2 errors"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("lost+found: cannot read this folder (Permission denied"),
        "{stderr}"
    );
    assert!(
        stderr.contains("private.md: cannot read: Permission denied"),
        "{stderr}"
    );
    // Who the bot runs as, which a bind-mounted folder's owner often is not.
    assert!(
        stderr.contains("; the bot runs as uid ")
            && stderr.contains(": let it read this (chown or chmod it)"),
        "{stderr}"
    );
    assert!(!output.status.success(), "check passes with skipped files");
    for path in [&lost, &notes.dir.join("private.md")] {
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
    }
}

fn wait_for<T>(receiver: &mut Receiver<T>, limit: Duration) -> Option<T> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(value) = receiver.try_recv() {
            return Some(value);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// `notes-bot serve` on a loopback port, its log collected line by line.
struct Serving {
    child: std::process::Child,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Serving {
    fn start(notes: &Notes) -> Serving {
        use std::io::BufRead;
        let config = notes.dir.with_extension("yaml");
        let data = notes.dir.with_extension("data");
        std::fs::write(
            &config,
            format!("notes_dir: {:?}\ndata_dir: {:?}\n", &*notes.dir, data),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_notes-bot"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            // Any valid key: no request is made here.
            .env(
                "DISCORD_PUBLIC_KEY",
                "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
            )
            .env_remove("DISCORD_TOKEN")
            .env_remove("NOTES_BOT_NOTES")
            // The log as an operator gets it.
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                lines.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        let serving = Serving { child, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while serving.count("serving interactions") == 0 {
            assert!(Instant::now() < deadline, "did not start: {:?}", serving.lines());
            std::thread::sleep(Duration::from_millis(20));
        }
        serving
    }

    fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn count(&self, text: &str) -> usize {
        self.lines().iter().filter(|line| line.contains(text)).count()
    }

    /// CPU time the process has used, user and system.
    fn cpu(&self) -> Duration {
        common::cpu_time(self.child.id())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_stays_idle_after_every_note_is_read() {
    let notes = Notes::new("idle-cpu");
    // Enough notes that reloading twice a second would show in CPU time.
    for n in 0..40 {
        let sections: String = (0..150)
            .map(|s| format!("## Section {n} {s}\n- point about topic {s} in note {n}\n  - detail {s}\n"))
            .collect();
        notes.write(
            &format!("note{n}.md"),
            &format!("---\ntitle: Note {n}\n---\n{sections}"),
        );
    }
    let serving = Serving::start(&notes);
    std::thread::sleep(Duration::from_secs(1));
    // What `cat notes/*.md`, a backup job or `notes-bot check` does.
    for _ in 0..3 {
        for entry in std::fs::read_dir(&notes.dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
        {
            let _ = std::fs::read(entry.path());
        }
    }
    let before = serving.cpu();
    std::thread::sleep(Duration::from_secs(5));
    let used = serving.cpu().saturating_sub(before);
    let reloads = serving.count("notes reloaded");
    println!("CPU time in 5 s idle after reading every note: {used:?}; reloads: {reloads}");
    assert_eq!(reloads, 0, "{:?}", serving.lines());
    assert!(used <= Duration::from_millis(100), "{used:?} of CPU in 5 s idle");

    // And one edit is one reload, and no other follows it.
    notes.write("note0.md", "---\ntitle: Note 0\n---\n## Only\n- one\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    while serving.count("notes reloaded") == 0 {
        assert!(Instant::now() < deadline, "{:?}", serving.lines());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(serving.count("notes reloaded"), 1, "{:?}", serving.lines());
}

/// A broken note fixed is said fixed, also when the fix comes with other changes and the
/// reload swaps the notes (a `git pull` mending one note and adding others).
#[test]
fn serve_says_a_broken_note_is_fixed_when_a_reload_swaps_the_notes() {
    let notes = Notes::new("fixed");
    notes.write("routers.md", ROUTERS);
    notes.write("bad.md", "---\ntitle: [Bad\n---\n## B\n- b\n");
    let serving = Serving::start(&notes);
    assert_eq!(serving.count("bad.md:"), 1, "{:?}", serving.lines());
    notes.write("bad.md", "---\ntitle: Good\n---\n## B\n- b\n");
    notes.write("printers.md", PRINTERS);
    let deadline = Instant::now() + Duration::from_secs(10);
    while serving.count("notes reloaded") == 0 {
        assert!(Instant::now() < deadline, "{:?}", serving.lines());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    let fixed = serving
        .lines()
        .into_iter()
        .filter(|l| l.contains("no longer skipped"))
        .collect::<Vec<_>>();
    assert!(
        fixed.len() == 1 && fixed[0].contains("bad.md"),
        "{:?}",
        serving.lines()
    );
}

/// While a reload waits for git, the log says so (a lock left by a killed git would
/// otherwise hold every reload a minute in silence).
#[test]
fn serve_says_it_waits_for_git() {
    let notes = Notes::new("git-says");
    notes.write("routers.md", ROUTERS);
    std::fs::create_dir_all(notes.dir.join(".git")).unwrap_or_else(|e| panic!("{e}"));
    let serving = Serving::start(&notes);
    let lock = notes.dir.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap_or_else(|e| panic!("{e}"));
    notes.write("printers.md", PRINTERS);
    let deadline = Instant::now() + Duration::from_secs(10);
    while serving.count("git is writing the notes") == 0 {
        assert!(Instant::now() < deadline, "{:?}", serving.lines());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(serving.count("notes reloaded"), 0, "{:?}", serving.lines());
    std::fs::remove_file(&lock).unwrap_or_else(|e| panic!("{e}"));
    while serving.count("notes reloaded") == 0 {
        assert!(Instant::now() < deadline, "{:?}", serving.lines());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        serving.count("git is writing the notes"),
        1,
        "{:?}",
        serving.lines()
    );
    assert_eq!(serving.count("still there"), 0, "{:?}", serving.lines());
}

/// What `check` warns of is logged when `serve` starts and when a reload reads the note: a
/// topic renamed because another note has it, a front matter key of a kind it cannot use.
#[test]
fn serve_logs_the_warnings_check_shows() {
    let notes = Notes::new("warned");
    std::fs::create_dir_all(notes.dir.join("a")).unwrap_or_else(|e| panic!("{e}"));
    notes.write("x.md", "## One\n- first\n");
    notes.write("a/x.md", "## Two\n- second\n");
    let serving = Serving::start(&notes);
    assert_eq!(
        serving.count("x.md: topic `x` is already the name of"),
        1,
        "{:?}",
        serving.lines()
    );
    notes.write("y.md", "---\ntags: {a: b}\n---\n## Three\n- third\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    while serving.count("y.md:2: ") == 0 {
        assert!(Instant::now() < deadline, "{:?}", serving.lines());
        std::thread::sleep(Duration::from_millis(50));
    }
    // A folder removed (a checkout, `git gc` in `.git`): the watcher's "unable to remove
    // watch descriptor … Invalid argument", expected and harmless, is not an operator's.
    std::fs::create_dir_all(notes.dir.join(".git/objects/ab")).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(300));
    std::fs::remove_dir_all(notes.dir.join(".git")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir_all(notes.dir.join("a")).unwrap_or_else(|e| panic!("{e}"));
    let reloads = serving.count("notes reloaded");
    let deadline = Instant::now() + Duration::from_secs(10);
    while serving.count("notes reloaded") == reloads {
        assert!(Instant::now() < deadline, "{:?}", serving.lines());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(serving.count("notify"), 0, "{:?}", serving.lines());
}
