//! The real binary, driven as an admin or a script would.

mod common;

use std::process::{Command, Output};

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_notes-bot"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "DISCORD_TOKEN",
        "DISCORD_TOKEN_FILE",
        "NOTES_BOT_NOTES",
        "NOTES_BOT_CONFIG",
        "DISCORD_GUILD_ID",
        "DISCORD_HTTP_PROXY",
        "DISCORD_GATEWAY_URL",
    ] {
        command.env_remove(var);
    }
    command
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run notes-bot: {e}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

fn temp_dir(name: &str) -> common::TempDir {
    common::TempDir::new(&format!("cli-{name}"))
}

#[test]
fn ask_json_has_the_documented_shape() {
    let output = run(bin().args(["ask", "--json", "rlhf"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["query"], "rlhf");
    assert!(value["topic"].is_null());
    let hit = &value["hits"][0];
    assert_eq!(hit["topic"], "chatgpt");
    assert_eq!(hit["title"], "拆解追溯 GPT-3.5 各项能力的起源");
    assert!(
        hit["url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("https://yaofu.notion.site/")
    );
    assert_eq!(hit["category"], "原理解析/论文综述");
    assert!(hit["score"].as_f64().unwrap_or_default() > 0.0);
    let text = hit["text"].as_str().unwrap_or_default();
    assert!(text.contains("RLHF"), "{text}");
    assert!(text.chars().count() <= 4096);
    assert!(value["suggestions"].is_array());
}

#[test]
fn ask_text_shows_title_link_and_points() {
    let output = run(bin().args(["ask", "rlhf"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("拆解追溯 GPT-3.5 各项能力的起源\nhttps://yaofu.notion.site/"),
        "{text}"
    );
    assert!(
        text.contains("- ChatGPT: 基于人类反馈的强化学习") || text.contains("RLHF"),
        "{text}"
    );
}

#[test]
fn ask_without_a_match_returns_no_hits() {
    let output = run(bin().args(["ask", "--json", "--topic", "chatgpt", "pizza", "recipe"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["topic"], "chatgpt");
    assert_eq!(value["hits"].as_array().map(Vec::len), Some(0));
    assert!(value["unmentioned"].is_null(), "{value}");
}

#[test]
fn ask_says_which_name_the_notes_never_mention() {
    let question = [
        "ask", "--topic", "chatgpt", "can", "Todoist", "explain", "RLHF", "to", "me",
    ];
    let output = run(bin().args(question).arg("--json"));
    assert!(output.status.success(), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["hits"].as_array().map(Vec::len), Some(0));
    assert_eq!(value["unmentioned"], "Todoist");
    let text = stdout(&run(bin().args(question)));
    assert!(text.starts_with("“Todoist” is not in /chatgpt.\n"), "{text}");
}

#[test]
fn ask_offers_the_closest_sections_of_a_weak_match_as_the_bot_does() {
    let output = run(bin().args(["ask", "--json", "--topic", "chatgpt", "wolfram", "豆腐脑"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["hits"].as_array().map(Vec::len), Some(0));
    assert_eq!(value["suggestions"].as_array().map(Vec::len), Some(0));
    let titles: Vec<&str> = value["closest"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(titles, ["原理解析/科普", "拆解追溯 GPT-3.5 各项能力的起源"]);
    let reasons: Vec<&str> = (value["closest"].as_array().into_iter().flatten())
        .filter_map(|s| s["reason"].as_str())
        .collect();
    assert_eq!(reasons.len(), 2, "{value}");
    let text = stdout(&run(bin().args([
        "ask",
        "--topic",
        "chatgpt",
        "wolfram",
        "豆腐脑",
    ])));
    assert_eq!(
        text,
        "No section clearly matches “wolfram 豆腐脑”. The closest ones:\n  /chatgpt 原理解析/科普\n  /chatgpt 拆解追溯 GPT-3.5 各项能力的起源\n"
    );
    // Nothing close: suggestions, as before.
    let value = json(&run(
        bin().args(["ask", "--json", "--topic", "chatgpt", "pizza", "recipe"])
    ));
    assert_eq!(value["closest"].as_array().map(Vec::len), Some(0));
}

#[test]
fn ask_explain_shows_each_word_and_what_the_closest_sections_lack() {
    let question = [
        "ask",
        "--explain",
        "--topic",
        "chatgpt",
        "why does rlhf help with wolfram",
    ];
    let output = run(bin().args(question).arg("--json"));
    assert!(output.status.success(), "{}", stderr(&output));
    let value = json(&output);
    let explanation = &value["explanation"];
    let words: Vec<&str> = (explanation["words"].as_array().into_iter().flatten())
        .filter_map(|w| w["text"].as_str())
        .collect();
    assert_eq!(words, ["rlhf", "help", "wolfram"]);
    // `rlhf` is a synonym group of the config: named by its first spelling.
    assert_eq!(explanation["words"][0]["terms"][0]["term"], "rlhf");
    assert_eq!(explanation["words"][0]["terms"][0]["how"], "exact");
    assert_eq!(explanation["words"][1]["terms"].as_array().map(Vec::len), Some(0));
    assert_eq!(explanation["subject"], 0);
    assert_eq!(
        explanation["sections"][0]["title"],
        "拆解追溯 GPT-3.5 各项能力的起源"
    );
    assert_eq!(
        explanation["sections"][0]["holds"],
        serde_json::json!([true, false, false])
    );
    // The answer beside it is the one `ask` gives without --explain.
    let plain = json(&run(bin().args([
        "ask",
        "--json",
        "--topic",
        "chatgpt",
        "why does rlhf help with wolfram",
    ])));
    let mut answer = value.clone();
    answer.as_object_mut().map(|a| a.remove("explanation"));
    assert_eq!(answer, plain);
    let text = stdout(&run(bin().args(question)));
    assert!(
        text.starts_with("Read as: why does rlhf help with wolfram\n"),
        "{text}"
    );
    assert!(text.contains("\n  help     nothing in the notes\n"), "{text}");
    assert!(
        text.contains("rlhf: 1  [the subject: an answer must hold it]"),
        "{text}"
    );
    assert!(
        text.contains("1. /chatgpt 拆解追溯 GPT-3.5 各项能力的起源  40%  lacks: help, wolfram\n"),
        "{text}"
    );
    assert!(
        text.contains("\nThe answer:\nNo section matches “why does rlhf help with wolfram”."),
        "{text}"
    );
}

#[test]
fn ask_takes_any_limit_without_overflowing() {
    for args in [
        ["ask", "--limit", "18446744073709551615", "rlhf"],
        ["ask", "--explain", "--limit", "18446744073709551615"],
    ] {
        let output = run(bin().args(args).arg("rlhf wolfram"));
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn ask_for_an_unknown_topic_is_one_clear_line() {
    let output = run(bin().args(["ask", "--topic", "nope", "rlhf"]));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no topic `nope`") && err.contains("chatgpt"),
        "{err}"
    );
}

#[test]
fn sources_json_lists_every_link_in_note_order() {
    let output = run(bin().args(["sources", "--json"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let value = json(&output);
    let sources = value["sources"].as_array().cloned().unwrap_or_default();
    assert_eq!(sources.len(), 11);
    assert_eq!(sources[0]["topic"], "chatgpt");
    assert_eq!(sources[0]["category"], "非技术视角看 ChatGPT");
    assert_eq!(
        sources[0]["url"],
        "https://mp.weixin.qq.com/s/GkUPpftkv5fS6qHMZm8ZuA"
    );
    assert_eq!(sources[10]["title"], "ChatGPT 背后的 OpenAI 是家怎样的公司");
}

#[test]
fn check_reports_the_shipped_notes() {
    let output = run(bin().arg("check"));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("notes/chatgpt.md  /chatgpt  “ChatGPT 资料梳理”: 13 sections, 11 sources"),
        "{text}"
    );
    assert!(text.contains("0 errors"), "{text}");
}

#[test]
fn check_says_which_config_it_read_or_where_it_looked() {
    let output = run(bin().arg("check"));
    let text = stdout(&output);
    let first = text.lines().next().unwrap_or_default();
    let default = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/notes-bot.yaml");
    assert_eq!(
        first,
        format!("config: config/notes-bot.yaml ({})", default.display())
    );
    // Elsewhere, a `notes-bot.yml` is not read: said, with the fix.
    let dir = temp_dir("config-yml");
    std::fs::create_dir(dir.join("config")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("config/notes-bot.yml"), "cooldown_seconds: 5\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let notes = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("notes");
    let output = run(bin().arg("--notes").arg(&notes).arg("check").current_dir(&*dir));
    let text = stdout(&output);
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "config: none at config/notes-bot.yaml ({}), the built-in defaults; config/notes-bot.yml is there: name it notes-bot.yaml, or pass --config",
            dir.join("config/notes-bot.yaml").display()
        )
    );
}

#[test]
fn check_looks_at_the_environment_without_asking_discord() {
    let output = run(bin().arg("check").env_remove("DISCORD_PUBLIC_KEY"));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for line in [
        "bot token: not set (`run` needs it; `serve` uses it to register commands and post replies)",
        "DISCORD_PUBLIC_KEY: not set (`serve` needs it)",
        "DISCORD_GUILD_ID: not set: commands are registered globally",
        "Discord (DISCORD_HTTP_PROXY, DISCORD_GATEWAY_URL): discord.com directly",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    }
    // Set and wrong: each told, and check fails.
    let data = temp_dir("check-env");
    let file = data.join("data");
    std::fs::write(&file, "").unwrap_or_else(|e| panic!("{e}"));
    let config = data.join("c.yaml");
    std::fs::write(&config, format!("data_dir: {file:?}\n")).unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin()
        .arg("check")
        .arg("--config")
        .arg(&config)
        .env("DISCORD_TOKEN", "“not.a.token”")
        .env("DISCORD_PUBLIC_KEY", "1180000000000000001")
        .env("DISCORD_GUILD_ID", "1190000000000000001")
        .env("DISCORD_HTTP_PROXY", "localhost:3000"));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (text, err) = (stdout(&output), stderr(&output));
    assert!(
        text.contains("DISCORD_GUILD_ID: 1 server(s): commands are registered there"),
        "{text}"
    );
    // The data folder warns, as run and serve do, which start without it.
    assert!(text.contains("1 warnings, 3 errors"), "{text}");
    assert!(
        text.contains("is a file, not a folder: set data_dir to a folder"),
        "{text}"
    );
    assert!(
        err.contains("the bot token in DISCORD_TOKEN holds a quote (“) at character 1"),
        "{err}"
    );
    assert!(
        err.contains("DISCORD_PUBLIC_KEY is a number like an APPLICATION ID"),
        "{err}"
    );
    assert!(
        err.contains("\"localhost:3000\" is not a base URL like \"http://127.0.0.1:3000\""),
        "{err}"
    );
    assert!(
        err.ends_with("error: 3 of the bot's settings in the environment cannot work (listed above)\n"),
        "{err}"
    );
}

#[test]
fn check_names_file_and_line_of_a_broken_note_and_exits_1() {
    let dir = temp_dir("broken");
    std::fs::write(dir.join("good.md"), "---\ntitle: Good\n---\n## A\n- x\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("bad.md"),
        "---\ntitle: Bad\ntags: [a, b\n---\n## B\n- y\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin().arg("check").arg("--notes").arg(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("bad.md:3: front matter is not valid YAML")
            || err.contains("bad.md:4: front matter is not valid YAML"),
        "{err}"
    );
    assert!(!err.contains("panicked") && !err.contains("Error {"), "{err}");
    assert!(stdout(&output).contains("/good"));
}

/// `ignore:` that leaves every note out says so, from `check` and from a command that
/// loads the notes (it said "add *.md files" to a folder full of them).
#[test]
fn ignore_that_leaves_out_every_note_is_named() {
    let dir = temp_dir("ignore-all");
    std::fs::write(dir.join("note.md"), "---\ntitle: Note\n---\n## A\n- x\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let config = dir.join("bot.yaml");
    std::fs::write(&config, "ignore: [\"*\"]\n").unwrap_or_else(|e| panic!("{e}"));
    for args in [vec!["check"], vec!["ask", "x"]] {
        let output = run(bin()
            .args(&args)
            .arg("--notes")
            .arg(&dir)
            .arg("--config")
            .arg(&config));
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert!(
            err.contains("check the config's `ignore:`, which leaves out what matches `*`"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("add *.md"), "{err}");
        // Its notes are named *.md: only files that are not are told so.
        assert!(!err.contains("are not named *.md"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_rejects_an_unknown_config_key_with_its_line() {
    let dir = temp_dir("config");
    let config = dir.join("bot.yaml");
    std::fs::write(&config, "cooldown_seconds: 3\nreply:\n  page_size: 10\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin().arg("check").arg("--config").arg(&config));
    let _ = std::fs::remove_dir_all(&dir);
    // A setting to fix: no restart mends it.
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("bot.yaml:3: reply: unknown field `page_size`, expected one of `page_chars`"),
        "{err}"
    );
}

#[test]
fn run_without_a_token_exits_2_with_one_line() {
    let output = run(bin().arg("run"));
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("DISCORD_TOKEN"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_log_filter_that_would_hide_every_line_is_said_and_logs_carry_no_colour_codes() {
    let output = run(bin().arg("run").env("RUST_LOG", "verbose").env_remove("NO_COLOR"));
    let err = stderr(&output);
    assert!(
        err.contains(r#"WARN notes_bot::cli: RUST_LOG "verbose": "verbose" is no level"#),
        "{err}"
    );
    assert!(
        err.contains("logging with info,serenity=warn,notify=warn"),
        "{err}"
    );
    // Not a terminal: no escape codes.
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

#[test]
fn a_malformed_token_is_refused_and_never_printed() {
    let secret = "not-a-real-token-5ecret";
    let output = run(bin().arg("run").env("DISCORD_TOKEN", secret));
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains(secret) && !stdout(&output).contains(secret));
    let dir = temp_dir("token");
    let file = dir.join("token");
    std::fs::write(&file, format!("{secret}\n")).unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin().arg("run").env("DISCORD_TOKEN_FILE", &file));
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains(secret));
}

#[test]
fn handle_refuses_bad_json_with_one_line() {
    let mut child = bin()
        .arg("handle")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(b"{\"type\": 2, \"nope\": ");
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.starts_with("error: not a Discord interaction"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn handle_answers_as_the_endpoint_and_warns_of_a_broken_note() {
    let notes = temp_dir("handle-notes");
    std::fs::write(notes.join("good.md"), "# One\n\n- a point\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(notes.join("bad.md"), "---\ntitle: [bad\n---\n# Two\n").unwrap_or_else(|e| panic!("{e}"));
    let ping = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/interactions/ping.json"
    );
    let output = run(bin().arg("--notes").arg(&*notes).args(["handle", ping]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // `serve` sends `{"type":1}`; serenity's own encoding adds `"data": null`.
    let body: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body, serde_json::json!({ "type": 1 }));
    let err = stderr(&output);
    assert!(err.contains("warning: ") && err.contains("bad.md"), "{err}");
}

#[test]
fn missing_notes_folder_is_an_error_not_a_panic() {
    let output = run(bin().args(["ask", "--notes", "/nonexistent/notes", "rlhf"]));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("/nonexistent/notes"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn no_notes_is_said_line_by_line_with_where_the_folder_is() {
    // Run from a folder without `notes/`: the relative default is named with where it is.
    let dir = temp_dir("no-notes");
    let output = run(bin().args(["ask", "rlhf"]).current_dir(&*dir));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let absolute = dir.join("notes");
    assert!(
        err.starts_with(&format!(
            "error: no notes loaded from notes ({})",
            absolute.display()
        )),
        "{err}"
    );
    assert!(err.contains("\n  notes: cannot read the notes folder"), "{err}");
    assert!(!err.contains("\\u{a}"), "{err}");
    // Every file skipped: the problems are listed, not "put markdown files there".
    std::fs::create_dir(dir.join("notes")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("notes/broken.md"), "---\ntitle: [\n---\n# A\n\n- b\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin().args(["ask", "rlhf"]).current_dir(&*dir));
    let err = stderr(&output);
    assert!(
        err.contains("; what was there could not be loaded:\n  notes/broken.md:"),
        "{err}"
    );
    assert!(!err.contains("put markdown files"), "{err}");
}

#[test]
fn a_folder_of_files_not_named_md_says_so() {
    let dir = temp_dir("not-md");
    for name in ["notes.md.txt", "b.markdown"] {
        std::fs::write(dir.join(name), "# A\n\n- b\n").unwrap_or_else(|e| panic!("{e}"));
    }
    let output = run(bin().args(["check", "--notes"]).arg(&*dir));
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.ends_with("its files (b.markdown, notes.md.txt) are not named *.md, which notes must be\n"),
        "{err}"
    );
}

#[test]
fn health_with_no_bot_running_says_what_it_may_be() {
    let dir = temp_dir("health");
    let config = dir.join("c.yaml");
    std::fs::write(&config, format!("data_dir: {:?}\n", dir.join("data"))).unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin().arg("health").arg("--config").arg(&config));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.starts_with("error: unhealthy: no heartbeat at "), "{err}");
    assert!(
        err.contains("the bot is not running, not connected to Discord yet, or cannot write its data folder (its log says which)"),
        "{err}"
    );
}

#[test]
fn values_are_read_as_an_admin_writes_them() {
    // An env file written on Windows ends each value in `\r`; `/chatgpt` is how a topic is seen.
    let output = run(bin()
        .args(["ask", "--topic", "/chatgpt", "rlhf"])
        .env("NOTES_BOT_NOTES", "notes\r")
        .env("NOTES_BOT_CONFIG", "config/notes-bot.yaml\r\n"));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("GPT-3.5"), "{}", stdout(&output));
    let output = run(bin()
        .args(["serve", "--listen", "http://127.0.0.1:1"])
        .env("DISCORD_PUBLIC_KEY", format!("58{}", "66".repeat(31))));
    let err = stderr(&output);
    assert!(err.contains("(write HOST:PORT, e.g. 0.0.0.0:8080)"), "{err}");
}

#[test]
fn empty_environment_values_mean_unset() {
    let output = run(bin()
        .arg("check")
        .env("NOTES_BOT_CONFIG", "")
        .env("NOTES_BOT_NOTES", ""));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("/chatgpt"));
}

/// ESC, BEL, a C1 CSI, a bidi override and isolate.
const HOSTILE: &str = "rl\u{1b}[2J\u{7}\u{9b}31mhf \u{202E}txt.exe\u{202C}\u{2066}x\u{2069}";

fn has_unprintable(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_control() && c != '\n' || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn ask_cleans_the_query_before_searching_and_echoing() {
    let output = run(bin().args(["ask", "--json", "r\u{7}l\u{202E}hf"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["query"], "rlhf");
    assert_eq!(value["hits"][0]["topic"], "chatgpt");
    let output = run(bin().args(["ask", HOSTILE]));
    assert!(!has_unprintable(&stdout(&output)), "{:?}", stdout(&output));
}

#[test]
fn gaps_and_check_print_unprintable_text_escaped() {
    let dir = temp_dir("hygiene");
    let data = dir.join("data");
    let notes = dir.join("notes");
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&notes).unwrap_or_else(|e| panic!("{e}"));
    // A gaps file written before queries were cleaned, or by hand.
    let gaps = serde_json::json!({ "topics": { "chatgpt": { HOSTILE: { "missed": 3, "weak": 0 } } } });
    std::fs::write(data.join("gaps.json"), gaps.to_string()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        notes.join("evil.md"),
        "---\ntitle: \"Evil rl\\e[2J\\a\\x9b31mhf \\u202Etxt.exe\\u202C\"\n---\n\n## Section \u{202E}one\n\n- Core points\n  - a point\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // A file name an attacker chose.
    std::fs::write(
        notes.join("x\u{1b}]0;owned\u{7}.md"),
        "## A\n\n- Core points\n  - b\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = dir.join("bot.yaml");
    std::fs::write(&config, format!("data_dir: {}\n", data.display())).unwrap_or_else(|e| panic!("{e}"));

    let output = run(bin().arg("gaps").arg("--config").arg(&config));
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(!has_unprintable(&out), "{out:?}");
    assert!(
        out.contains(r"rl\u{1b}[2J\u{7}\u{9b}31mhf \u{202e}txt.exe"),
        "{out}"
    );

    let output = run(bin()
        .arg("check")
        .arg("--config")
        .arg(&config)
        .arg("--notes")
        .arg(&notes));
    let (out, err) = (stdout(&output), stderr(&output));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "{out}{err}");
    assert!(
        !has_unprintable(&out) && !has_unprintable(&err),
        "{out:?} {err:?}"
    );
    // A note's controls are dropped when it is read (its title shows as replies show it).
    assert!(out.contains("Evil rl[2J31mhf txt.exe"), "{out}");
    assert!(out.contains(r"x\u{1b}]0;owned\u{7}.md"), "{out}");
}

/// A token serenity accepts as well-formed; no Discord ever sees it.
const FAKE_TOKEN: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB";

/// `notes-bot run` against a Discord it cannot reach: exit 1 well within 60 s, one error line
/// naming the host, the cause and what to check.
fn run_unreachable(proxy: &str) -> (Option<i32>, std::time::Duration, String) {
    let started = std::time::Instant::now();
    let mut child = bin()
        .arg("run")
        .env("DISCORD_TOKEN", FAKE_TOKEN)
        .env("DISCORD_HTTP_PROXY", proxy)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // Past 60 s the bot hangs: kill it and let the assertions below fail.
    let deadline = started + std::time::Duration::from_secs(60);
    while child.try_wait().ok().flatten().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    (output.status.code(), started.elapsed(), stderr(&output))
}

#[test]
fn run_against_an_unreachable_discord_exits_1_naming_host_cause_and_hint() {
    // Bound but never accepting or answering: the request is sent and no reply comes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let silent = format!("http://{}", silent.local_addr().unwrap_or_else(|e| panic!("{e}")));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let closed_port = closed.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
    drop(closed);
    let cases = [
        (
            format!("http://127.0.0.1:{closed_port}"),
            "connection refused",
            10,
        ),
        (
            "http://notes-bot-test.invalid".to_string(),
            "DNS lookup failed",
            30,
        ),
        (silent, "timed out: no answer within 15 s", 40),
    ];
    let runs: Vec<_> = cases
        .iter()
        .map(|(proxy, _, _)| {
            let proxy = proxy.clone();
            std::thread::spawn(move || run_unreachable(&proxy))
        })
        .collect();
    for ((proxy, cause, max_seconds), run) in cases.iter().zip(runs) {
        let (code, took, err) = run.join().unwrap_or_else(|_| panic!("{proxy}: thread panicked"));
        assert_eq!(code, Some(1), "{proxy}: {err}");
        assert!(took.as_secs() < *max_seconds, "{proxy}: took {took:?}");
        assert!(
            err.contains(&format!("connecting to Discord at {proxy}")),
            "{proxy}: {err}"
        );
        let host = proxy.trim_start_matches("http://");
        let line = err.lines().last().unwrap_or_default();
        assert!(
            line.starts_with(&format!("error: cannot reach {host}: {cause}")),
            "{proxy}: {line}"
        );
        assert!(line.contains("check DISCORD_HTTP_PROXY"), "{line}");
        assert!(!err.contains(FAKE_TOKEN) && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_proxy_url_without_a_scheme_is_refused_before_any_call() {
    let output = run(bin()
        .arg("run")
        .env("DISCORD_TOKEN", FAKE_TOKEN)
        .env("DISCORD_HTTP_PROXY", "127.0.0.1:3000"));
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("DISCORD_HTTP_PROXY") && err.contains("not a base URL"),
        "{err}"
    );
    assert!(!err.contains("connecting to Discord"), "{err}");
}

#[test]
fn register_dry_run_prints_the_put_body_without_a_token() {
    let output = run(bin().args(["register", "--dry-run"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 1, "one JSON body, as sent");
    let body = json(&output);
    let names: Vec<_> = body
        .as_array()
        .map(|commands| commands.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        ["chatgpt", "sources", "topics", "Answer from notes", "gaps"]
    );
    let query = &body[0]["options"][0];
    assert_eq!(query["name"], "query");
    assert_eq!(query["autocomplete"], true);
}

#[test]
fn gaps_lists_the_worst_rated_answers_beside_the_unanswered_questions() {
    let dir = temp_dir("ratings");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
    // Counted before places (bare topic), and in direct messages.
    let gaps = serde_json::json!({ "topics": {
        "chatgpt": { "pizza": { "missed": 1, "weak": 0 } },
        "chatgpt@dm": { "sushi": { "missed": 1, "weak": 0 } }
    } });
    std::fs::write(data.join("gaps.json"), gaps.to_string()).unwrap_or_else(|e| panic!("{e}"));
    // Written by hand: a hostile query must come out escaped.
    let ratings = serde_json::json!({
        "topics": { "chatgpt": {
            "1f": { "title": "Liked", "up": 4, "down": 1, "queries": { "what": 1 } },
            "2e": { "title": "Disliked", "up": 0, "down": 3, "queries": { "rlhf": 2, HOSTILE: 1 } },
            "3d": { "title": "Only liked", "up": 2, "down": 0 }
        } },
        "voters": [1, 2, 3]
    });
    std::fs::write(data.join("feedback.json"), ratings.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let config = dir.join("bot.yaml");
    std::fs::write(&config, format!("data_dir: {}\n", data.display())).unwrap_or_else(|e| panic!("{e}"));

    let output = run(bin().arg("gaps").arg("--config").arg(&config));
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!has_unprintable(&out), "{out:?}");
    let disliked = out.find("/chatgpt Disliked ← “rlhf” ×2, “");
    let liked = out.find("/chatgpt Liked ← “what” ×1");
    assert!(
        out.contains("/chatgpt “pizza” — not in the notes: pizza\n")
            && disliked.is_some()
            && liked > disliked,
        "{out}"
    );
    assert!(!out.contains("Only liked"), "{out}");
    assert!(
        out.contains("/chatgpt “sushi” (DMs) — not in the notes: sushi\n"),
        "{out}"
    );

    // A misspelt topic is not told "no unanswered questions" as if it were all answered.
    let misspelt = run(bin()
        .args(["gaps", "--topic", "chatgtp", "--config"])
        .arg(&config));
    assert!(
        stdout(&misspelt).contains("No unanswered questions recorded for /chatgtp in ")
            && stdout(&misspelt).contains("; they are for /chatgpt.\n"),
        "{}",
        stdout(&misspelt)
    );

    // A topic with gaps, none asked for, is not told it has none.
    let none_shown = run(bin()
        .args(["gaps", "--topic", "chatgpt", "--limit", "0", "--config"])
        .arg(&config));
    assert!(
        !stdout(&none_shown).contains("No unanswered"),
        "{}",
        stdout(&none_shown)
    );

    let output = run(bin().args(["gaps", "--json", "--config"]).arg(&config));
    // Without notes the counts still show; what the notes lack is unknown (null).
    let without = run(bin()
        .args(["gaps", "--json", "--notes"])
        .arg(dir.join("gone"))
        .arg("--config")
        .arg(&config));
    assert!(without.status.success(), "{}", stderr(&without));
    assert!(
        stderr(&without).starts_with("warning: the words the notes lack are not shown: "),
        "{}",
        stderr(&without)
    );
    assert!(
        json(&without)["gaps"][0]["lacking"].is_null(),
        "{}",
        stdout(&without)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value["gaps"][0]["query"], "pizza");
    assert!(value["gaps"][0]["place"].is_null());
    assert_eq!(value["gaps"][1]["place"], "dm");
    assert_eq!(value["gaps"][0]["lacking"], serde_json::json!(["pizza"]));
    assert_eq!(value["worst_rated"][0]["title"], "Disliked");
    assert_eq!(value["worst_rated"][0]["down"], 3);
    assert_eq!(
        value["worst_rated"][0]["queries"][0],
        serde_json::json!(["rlhf", 2])
    );
    assert_eq!(value["worst_rated"].as_array().map(Vec::len), Some(2));
}

/// Runs with stdout a pipe whose reader is already gone, as `notes-bot … | head -0`.
fn run_into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap_or_else(|e| panic!("{e}"));
    drop(reader);
    run(bin().args(args).stdout(writer))
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    for args in [
        &["ask", "rlhf"][..],
        &["ask", "--json", "rlhf"],
        &["sources"],
        &["check"],
        &["register", "--dry-run"],
    ] {
        let output = run_into_closed_pipe(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("error") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

/// Guild id 0 is no guild: refused with its name, not a panic (exit 101 before).
#[test]
fn a_guild_id_of_zero_is_refused() {
    let output = run(bin().args(["register", "--dry-run", "--guild", "0"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--guild"), "{}", stderr(&output));
    let output = run(bin()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DISCORD_GUILD_ID", "1190000000000000001, 0")
        .env("DISCORD_PUBLIC_KEY", "0".repeat(64)));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("DISCORD_GUILD_ID: \"0\" is not a server id"),
        "{}",
        stderr(&output)
    );
    // Quotes are taken off each id; ids separated by a space are told how to separate them.
    let output = run(bin()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(
            "DISCORD_GUILD_ID",
            "\"1190000000000000001\", '1190000000000000002 1190000000000000003'",
        )
        .env("DISCORD_PUBLIC_KEY", "0".repeat(64)));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("DISCORD_GUILD_ID: \"1190000000000000002 1190000000000000003\" is not a server id (a number above 0: right-click the server → Copy Server ID); separate several with commas"),
        "{}",
        stderr(&output)
    );
}

/// A note's text cannot drive the admin's terminal: no ESC, BEL or C1 code reaches it.
#[test]
fn note_text_reaches_the_terminal_without_control_characters() {
    let dir = std::env::temp_dir().join(format!("notes-bot-cli-controls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let note = "## [Install \u{1b}c\u{7} pwned guide](https://example.com/install)\n\n\
                - install \u{1b}[31mred\u{1b}[0m step \u{9b}2J and ü \u{202e}fdp.exe\n";
    std::fs::write(dir.join("ctl.md"), note).unwrap_or_else(|e| panic!("{e}"));
    let notes = dir.to_string_lossy().into_owned();
    for args in [
        vec!["--notes", &notes, "ask", "install"],
        vec!["--notes", &notes, "ask", "--explain", "install"],
        vec!["--notes", &notes, "sources"],
    ] {
        let output = run(bin().args(&args));
        let text = stdout(&output);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let controls: Vec<char> = text
            .chars()
            .filter(|&c| (c.is_control() || c == '\u{202e}') && c != '\n' && c != '\t')
            .collect();
        assert!(controls.is_empty(), "{args:?}: {controls:?} in {text:?}");
        assert!(
            text.contains("Install") && text.contains("pwned"),
            "{args:?}: {text}"
        );
    }
    let output = run(bin().args(["--notes", &notes, "ask", "install"]));
    assert!(stdout(&output).contains("ü fdp.exe"), "{}", stdout(&output));
    // Nor can a file's name, in a warning or an error on standard error.
    std::fs::write(dir.join("bad\u{1b}[2J.md"), "---\ntitle: [\n---\n## A\n- x\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let warned = run(bin().args(["--notes", &notes, "ask", "install"]));
    let missing = dir.join("config\u{1b}]0;pwned\u{7}.yaml");
    let failed = run(bin().arg("--config").arg(&missing).args(["ask", "install"]));
    assert!(!failed.status.success());
    for (output, shows) in [(&warned, "warning: "), (&failed, "error: ")] {
        let text = stderr(output);
        assert!(text.contains(shows) && text.contains("\\u{1b}"), "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
    }
    std::fs::remove_file(dir.join("bad\u{1b}[2J.md")).unwrap_or_else(|e| panic!("{e}"));
    // JSON shows what a reply shows: the note's controls were dropped when it was read.
    let output = run(bin().args(["--notes", &notes, "ask", "--json", "install"]));
    let value = json(&output);
    let text = value.to_string();
    assert!(text.contains("pwned") && text.contains("ü fdp.exe"), "{text}");
    assert!(
        !text.contains('\u{9b}') && !text.contains('\u{202e}') && !text.contains("\\u001b"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Notes that would share a name take their folders under the notes folder, never the
/// folders it is mounted in (`/tmp-…-notes-n` named the host's directories).
#[test]
fn names_made_distinct_use_folders_under_the_notes_folder_only() {
    let outer = temp_dir("mounted-deep");
    let dir = outer.join("notes");
    std::fs::create_dir_all(dir.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    for name in ["n.md", "N.md", "n!.md", "sub/n.md"] {
        std::fs::write(dir.join(name), "## A\n- x\n").unwrap_or_else(|e| panic!("{e}"));
    }
    let output = run(bin().arg("check").arg("--notes").arg(&dir));
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    // A note's line, not a warning's (indented).
    let mut names: Vec<&str> = text
        .lines()
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter(|name| name.starts_with('/'))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["/n", "/n-2", "/n-3", "/sub-n"], "{text}");
}

/// A notes folder that is a file is named as such, with where to set the folder (it was
/// "cannot read this folder; rename it to start with a dot").
#[test]
fn check_names_a_notes_folder_that_is_a_file() {
    let dir = temp_dir("folder-is-file");
    let file = dir.join("note.md");
    std::fs::write(&file, "## A\n- x\n").unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin().arg("check").arg("--notes").arg(&file));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("note.md: the notes folder is a file: set `notes_dir`"),
        "{err}"
    );
    assert!(!err.contains("rename it"), "{err}");
}

/// A `link_bases` folder that holds no note (`En` for `en/`) is a warning of `check`: every
/// link of those notes vanished without a word.
#[test]
fn check_warns_of_a_link_base_folder_without_notes() {
    let dir = temp_dir("link-bases");
    std::fs::create_dir_all(dir.join("notes/en")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("notes/en/a.md"), "## A\n- x\n").unwrap_or_else(|e| panic!("{e}"));
    let config = dir.join("c.yaml");
    std::fs::write(
        &config,
        "link_bases:\n  En: https://e.x/\n  en: https://e.x/en/\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin()
        .arg("check")
        .arg("--config")
        .arg(&config)
        .arg("--notes")
        .arg(dir.join("notes")));
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.contains("link_bases names `En`, but no note is in"),
        "{text}"
    );
    assert!(!text.contains("names `en`"), "{text}");
    assert!(text.contains("1 warnings, 0 errors"), "{text}");
}

/// `--limit 0` would still print one answer: it is refused as clap refuses any bad value.
#[test]
fn ask_refuses_a_limit_of_zero() {
    let output = run(bin().args(["ask", "--limit", "0", "rlhf"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("'--limit <LIMIT>': write a whole number, at least 1"),
        "{}",
        stderr(&output)
    );
}

/// `serve` runs without a bot token, but a token given and unusable (both variables set, an
/// empty file) is refused as `run` refuses it: it was dropped silently, and with it the
/// bot's own replies and re-registration.
#[test]
fn serve_refuses_a_token_given_but_unusable() {
    let dir = temp_dir("serve-token");
    let file = dir.join("token");
    std::fs::write(&file, "\n").unwrap_or_else(|e| panic!("{e}"));
    let output = run(bin()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(
            "DISCORD_PUBLIC_KEY",
            "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
        )
        .env("DISCORD_TOKEN_FILE", &file));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("is empty"), "{}", stderr(&output));
}
