//! Typed configuration from `config/notes-bot.yaml`; every key has a default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::FileError;
use crate::notes::{Labels, Site};
use crate::reply::Layout;
use crate::search::SearchOptions;
use crate::yaml;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Folder read recursively for `*.md` notes.
    pub notes_dir: PathBuf,
    /// Folder for state kept across restarts.
    pub data_dir: PathBuf,
    pub labels: Labels,
    /// Groups of spellings that find each other, e.g. `[rlhf, 基于人类反馈的强化学习]`.
    pub synonyms: Vec<Vec<String>>,
    /// Related terms a query word also finds, below an exact match.
    pub related: RelatedOptions,
    pub reply: ReplyOptions,
    /// Seconds a member waits between two uses of one command, up to a day; 0 turns it off.
    pub cooldown_seconds: u64,
    /// Larger notes are refused with a warning.
    pub max_note_bytes: u64,
    /// Notes past this many bytes in all, in path order, are refused with a warning.
    pub max_folder_bytes: u64,
    pub reload: ReloadOptions,
    pub discord: DiscordOptions,
    pub http: HttpOptions,
    /// Seconds a graceful stop may take before the bot saves its state and exits anyway.
    pub shutdown_seconds: u64,
    pub install: InstallOptions,
    /// Where the notes are published: a section without a link of its own links to
    /// `link_base` + the note's path (or `permalink`) + `#` + its heading.
    pub link_base: Option<String>,
    /// A base per folder under `notes_dir` (`en: https://…`), for a folder holding several
    /// sites or languages; the note's path is then taken under that folder.
    pub link_bases: BTreeMap<String, String>,
    /// Files and folders left out, gitignore-like: `drafts`, `*.excalidraw.md`, `en/old/**`.
    pub ignore: Vec<String>,
    /// Forum channel ids whose new posts get one answer (`notes-bot run` only; needs the
    /// Message Content intent). Ids in quotes are read too, as Discord writes them in JSON.
    #[serde(deserialize_with = "ids")]
    pub forums: Vec<u64>,
    /// Least coverage (share of the post's words a section matches, 0.5 to 1) for a forum
    /// post to be answered.
    pub forums_min_coverage: f32,
    pub state: StateOptions,
}

/// Where cooldowns and counters live: in this process (and `gaps.json`), or in Redis shared
/// by every replica.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateOptions {
    /// `redis://[:password@]host[:port][/db]`; `NOTES_BOT_REDIS_URL` overrides it. None: in
    /// process only.
    pub redis_url: Option<RedisUrl>,
    /// Put before every key, so several bots can share one Redis.
    pub key_prefix: String,
    /// Milliseconds an interaction waits for Redis before it answers from local state.
    pub timeout_ms: u64,
}

/// A `state:` setting (or `NOTES_BOT_REDIS_URL`) that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateOptionsError {
    #[error(
        "state.redis_url ({0}): TLS to Redis is not built in; reach it through a TLS tunnel (stunnel, a service mesh) and use redis://"
    )]
    RedisTls(String),
    #[error("state.redis_url (or NOTES_BOT_REDIS_URL) is not a URL like \"redis://redis:6379\"")]
    NotARedisUrl,
    #[error("state.key_prefix {0:?}: use 1 to 64 visible ASCII characters, like \"notes-bot\"")]
    KeyPrefix(String),
    #[error("state.timeout_ms is {0}; use 10 to 10000")]
    TimeoutMs(u64),
}

impl StateOptions {
    fn check(&self) -> Result<(), StateOptionsError> {
        if let Some(url) = &self.redis_url {
            url.check()?;
        }
        let prefix_ok = !self.key_prefix.is_empty()
            && self.key_prefix.len() <= 64
            && self.key_prefix.bytes().all(|b| b.is_ascii_graphic());
        if !prefix_ok {
            return Err(StateOptionsError::KeyPrefix(self.key_prefix.clone()));
        }
        if !(10..=10_000).contains(&self.timeout_ms) {
            return Err(StateOptionsError::TimeoutMs(self.timeout_ms));
        }
        Ok(())
    }
}

impl Default for StateOptions {
    fn default() -> Self {
        StateOptions {
            redis_url: None,
            key_prefix: "notes-bot".into(),
            timeout_ms: 250,
        }
    }
}

/// A Redis URL, which may hold a password: its Debug form shows only where it points.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn new(url: &str) -> RedisUrl {
        RedisUrl(url.trim().to_string())
    }

    /// The whole URL, password included: for the client only, never for a log.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// `host:port` (or the socket path), without user or password: safe to log.
    pub fn location(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return "an unreadable URL".into();
        };
        // Whatever precedes the last `@` may be a password, even one with `/` in it.
        let rest = rest.rsplit_once('@').map_or(rest, |(_, after)| after);
        if scheme.ends_with("unix") {
            return rest.split(['?', '#']).next().unwrap_or_default().to_string();
        }
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let has_port = match host.rfind(']') {
            Some(end) => host[end..].contains(':'),
            None => host.contains(':'),
        };
        if has_port {
            host.to_string()
        } else {
            format!("{host}:6379")
        }
    }

    fn check(&self) -> Result<(), StateOptionsError> {
        let scheme = self.0.split_once("://").map(|(scheme, _)| scheme);
        match scheme {
            // A host and port must parse as a URL's (`redis://:pw@[bad/0` does not).
            Some("redis" | "valkey") if !url::Url::parse(&self.0).is_ok_and(|url| url.has_host()) => {
                Err(StateOptionsError::NotARedisUrl)
            }
            Some("redis" | "valkey" | "unix" | "redis+unix" | "valkey+unix") => Ok(()),
            Some("rediss" | "valkeys") => Err(StateOptionsError::RedisTls(self.location())),
            _ => Err(StateOptionsError::NotARedisUrl),
        }
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisUrl({})", self.location())
    }
}

/// Who may install the app and where its commands can be used.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstallOptions {
    pub integration_types: Vec<IntegrationType>,
    pub contexts: Vec<CommandContext>,
}

/// Discord's installation contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationType {
    /// A server adds the app.
    Guild,
    /// A member adds it to their account and can use it anywhere.
    User,
}

/// Discord's interaction contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandContext {
    Guild,
    BotDm,
    /// Group DMs and DMs between members (needs the user installation).
    PrivateChannel,
}

impl Default for InstallOptions {
    fn default() -> Self {
        InstallOptions {
            integration_types: vec![IntegrationType::Guild, IntegrationType::User],
            contexts: vec![
                CommandContext::Guild,
                CommandContext::BotDm,
                CommandContext::PrivateChannel,
            ],
        }
    }
}

/// When live reload reads the notes again.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReloadOptions {
    /// Milliseconds the folder must stay quiet after a change before reloading.
    pub quiet_ms: u64,
    /// Seconds a note that suddenly has no sections must stay so before it replaces its
    /// last good version (a save in progress looks like that).
    pub hold_empty_seconds: u64,
    /// Seconds between looks at the whole folder, besides the file system's change events.
    /// Unset: every [`ReloadOptions::UNREPORTED_POLL_SECONDS`] where changes go unreported
    /// (a network share, a folder Docker Desktop shares from Windows, a host out of inotify
    /// watches), never elsewhere.
    pub poll_seconds: Option<u64>,
}

impl Default for ReloadOptions {
    fn default() -> Self {
        ReloadOptions {
            quiet_ms: 500,
            hold_empty_seconds: 3,
            poll_seconds: None,
        }
    }
}

impl ReloadOptions {
    /// How often a folder whose changes go unreported is looked at, unless set.
    pub const UNREPORTED_POLL_SECONDS: u64 = 10;

    pub fn quiet(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.quiet_ms)
    }

    pub fn hold_empty(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.hold_empty_seconds)
    }
}

/// Where the bot reaches Discord; `DISCORD_HTTP_PROXY` and `DISCORD_GATEWAY_URL` override these.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordOptions {
    /// A base URL that replaces `https://discord.com` for every REST call: a rate-limiting
    /// proxy shared by several processes (twilight-http-proxy, nirn-proxy).
    pub http_proxy: Option<String>,
    /// The gateway's WebSocket URL, instead of the one Discord's `GET /gateway` names.
    pub gateway_url: Option<String>,
}

/// How `serve` treats connections: slow or idle clients are cut off, so they cannot hold
/// the server's connections forever.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpOptions {
    /// Seconds a connection has to send a request's headers, counted from when it opens or
    /// from the end of the previous response (hyper runs one timer for both, so this is also
    /// the keep-alive idle timeout).
    pub header_read_seconds: u64,
    /// Seconds a request body may pause between two pieces.
    pub body_read_seconds: u64,
    /// Seconds a whole request may take, body and answer included; then 408.
    pub request_seconds: u64,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

/// Related terms (paraphrases): a query word also finds these, below an exact match.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelatedOptions {
    /// The built-in ones: WordNet's English words, CC-CEDICT's Chinese for English words, a
    /// short Chinese list.
    pub builtin: bool,
    /// The deployment's own groups, e.g. `[coworker, collaborator]`.
    pub groups: Vec<Vec<String>>,
}

impl Default for RelatedOptions {
    fn default() -> Self {
        RelatedOptions {
            builtin: true,
            groups: Vec::new(),
        }
    }
}

/// How replies are laid out.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplyOptions {
    /// Most characters of core points on one page (Discord allows 4096 in an embed).
    pub page_chars: usize,
    /// Embed colour, `#rrggbb`.
    pub colour: String,
    /// Other good matches offered under a reply.
    pub other_matches: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            notes_dir: PathBuf::from("notes"),
            data_dir: PathBuf::from("data"),
            labels: Labels::default(),
            synonyms: default_synonyms(),
            related: RelatedOptions::default(),
            reply: ReplyOptions::default(),
            cooldown_seconds: 3,
            max_note_bytes: crate::notes::DEFAULT_MAX_BYTES,
            max_folder_bytes: crate::notes::DEFAULT_MAX_FOLDER_BYTES,
            reload: ReloadOptions::default(),
            discord: DiscordOptions::default(),
            link_base: None,
            link_bases: BTreeMap::new(),
            ignore: Vec::new(),
            install: InstallOptions::default(),
            http: HttpOptions::default(),
            shutdown_seconds: 10,
            forums: Vec::new(),
            forums_min_coverage: 0.75,
            state: StateOptions::default(),
        }
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            header_read_seconds: 5,
            body_read_seconds: 5,
            request_seconds: 10,
            max_connections: 1024,
        }
    }
}

impl Default for ReplyOptions {
    fn default() -> Self {
        ReplyOptions {
            page_chars: Layout::default().page_chars,
            colour: "#5865f2".into(),
            other_matches: 5,
        }
    }
}

fn default_synonyms() -> Vec<Vec<String>> {
    [
        &[
            "rlhf",
            "reinforcement learning from human feedback",
            "基于人类反馈的强化学习",
            "人类反馈强化学习",
        ][..],
        &["chain of thought", "chain-of-thought", "cot", "思维链"],
        &[
            "llm",
            "large language model",
            "large language models",
            "大型语言模型",
            "大语言模型",
        ],
        &[
            "ffn",
            "feed forward network",
            "feed-forward network",
            "前馈神经网络",
        ],
        &["in-context learning", "in context learning", "上下文学习"],
        &["instruction tuning", "指令微调"],
        &["emergent abilities", "emergent ability", "突现能力", "涌现能力"],
    ]
    .iter()
    .map(|group| group.iter().map(|s| s.to_string()).collect())
    .collect()
}

impl Config {
    /// Reads a config file. `required` false: a missing file means the defaults.
    pub fn load(path: &Path, required: bool) -> Result<Config, FileError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Config::default()),
            Err(e) => {
                return Err(FileError {
                    path: path.to_path_buf(),
                    line: None,
                    message: format!("cannot read the config file: {e}"),
                });
            }
        };
        Config::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, FileError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = serde_yaml::from_str(text).map_err(|e| {
            let message = yaml::without_location(&e.to_string());
            // serde's names of Rust types, in the words of the person who wrote the YAML.
            let message = [
                ("expected u64", "expected a whole number"),
                ("expected u32", "expected a whole number"),
                ("expected u16", "expected a whole number"),
                ("expected usize", "expected a whole number"),
                ("expected f32", "expected a number"),
                ("expected f64", "expected a number"),
                ("expected a sequence", "expected a list, like [a, b]"),
            ]
            .iter()
            .fold(message, |message, (rust, yaml)| message.replace(rust, yaml));
            let line = e.location().map(|l| l.line());
            // YAML indents with spaces only; its own words for a tab do not say so.
            let tab = line
                .and_then(|line| text.lines().nth(line.saturating_sub(1)))
                .is_some_and(|text| {
                    text.starts_with([' ', '\t']) && text.trim_start_matches(' ').starts_with('\t')
                });
            let fix = if tab { "; indent with spaces, not tabs" } else { "" };
            FileError {
                path: path.to_path_buf(),
                line,
                message: format!("{message}{fix}; see config/notes-bot.yaml in the repository for every key"),
            }
        })?;
        config.validate(path, text)?;
        Ok(config)
    }

    /// The first value the config cannot take, at its line in `text`.
    fn validate(&self, path: &Path, text: &str) -> Result<(), FileError> {
        let error = |key: &str, message: String| FileError {
            path: path.to_path_buf(),
            line: yaml::line_of(text, key),
            message,
        };
        if self.reply.colour().is_none() {
            return Err(error(
                "reply.colour",
                format!(
                    "reply.colour {:?} is not a colour like \"#5865f2\"{}",
                    self.reply.colour,
                    // Unquoted, `#5865f2` is a YAML comment: the value is empty.
                    if self.reply.colour.trim().is_empty() {
                        " (in YAML `#` starts a comment: write the colour in quotes)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let out_of_range = |key: &'static str| move |message: String| error(key, message);
        within("reply.page_chars", self.reply.page_chars, 200..=4000)
            .map_err(out_of_range("reply.page_chars"))?;
        // A day at most: beyond, the cooldown's end overflows the clock (and means never).
        within("cooldown_seconds", self.cooldown_seconds, 0..=86_400)
            .map_err(out_of_range("cooldown_seconds"))?;
        within("reload.quiet_ms", self.reload.quiet_ms, 500..=60_000)
            .map_err(out_of_range("reload.quiet_ms"))?;
        within(
            "reload.hold_empty_seconds",
            self.reload.hold_empty_seconds,
            1..=3600,
        )
        .map_err(out_of_range("reload.hold_empty_seconds"))?;
        if let Some(seconds) = self.reload.poll_seconds {
            within("reload.poll_seconds", seconds, 1..=86_400)
                .map_err(out_of_range("reload.poll_seconds"))?;
        }
        within("forums_min_coverage", self.forums_min_coverage, 0.5..=1.0)
            .map_err(|message| error("forums_min_coverage", message + " (search hits have over 0.5)"))?;
        // A note is held whole while it is parsed (several times its size); the folder's
        // cap is a sum, never held at once.
        for (key, value, most) in [
            ("max_note_bytes", self.max_note_bytes, 1 << 30),
            ("max_folder_bytes", self.max_folder_bytes, 1 << 40),
        ] {
            if value == 0 {
                return Err(error(key, format!("{key} is 0; no note could load")));
            }
            within(key, value, 1..=most).map_err(out_of_range(key))?;
        }
        self.discord
            .check()
            .map_err(|e| error("discord", e.to_string()))?;
        let http = &self.http;
        for (key, seconds) in [
            ("http.header_read_seconds", http.header_read_seconds),
            ("http.body_read_seconds", http.body_read_seconds),
            ("http.request_seconds", http.request_seconds),
            ("shutdown_seconds", self.shutdown_seconds),
        ] {
            within(key, seconds, 1..=3600).map_err(out_of_range(key))?;
        }
        // More than a million would overflow tokio's semaphore (and no machine serves them).
        within("http.max_connections", http.max_connections, 1..=1_000_000)
            .map_err(out_of_range("http.max_connections"))?;
        if self.install.integration_types.is_empty() || self.install.contexts.is_empty() {
            return Err(error(
                "install",
                "install.integration_types and install.contexts each need at least one entry".into(),
            ));
        }
        let bases = self.link_base.iter().map(|url| ("link_base".to_string(), url));
        let folders = self
            .link_bases
            .iter()
            .map(|(folder, url)| (format!("link_bases.{folder}"), url));
        for (key, url) in bases.chain(folders) {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if host.is_none_or(|host| host.is_empty() || host.starts_with('/')) {
                return Err(error(
                    &key,
                    format!("{key} {url:?} is not a URL like \"https://obsidian.md/help/\""),
                ));
            }
        }
        self.state.check().map_err(|e| error("state", e.to_string()))?;
        if self.reply.other_matches > 25 {
            return Err(error(
                "reply.other_matches",
                "reply.other_matches is at most 25 (a Discord select menu's limit)".into(),
            ));
        }
        Ok(())
    }

    pub fn labels(&self) -> Labels {
        self.labels.clone()
    }

    /// How much of the notes folder is read.
    pub fn caps(&self) -> crate::notes::Caps {
        crate::notes::Caps {
            note: self.max_note_bytes,
            folder: self.max_folder_bytes,
        }
    }

    /// How replies are laid out: page size and the label shown above background items.
    pub fn layout(&self) -> Layout {
        Layout {
            page_chars: self.reply.page_chars,
            context_label: self.labels.context.first().cloned().unwrap_or_default(),
        }
    }

    /// Uses Redis at `url` (from `NOTES_BOT_REDIS_URL`) for shared state; an empty value
    /// changes nothing.
    pub fn with_redis_url(mut self, url: &str) -> Result<Config, StateOptionsError> {
        if url.trim().is_empty() {
            return Ok(self);
        }
        self.state.redis_url = Some(RedisUrl::new(url));
        self.state.check()?;
        Ok(self)
    }

    /// Publishing settings for the notes loader.
    pub fn site(&self) -> Site {
        let folders: Vec<(String, String)> = self.link_bases.clone().into_iter().collect();
        Site::new(self.link_base.as_deref(), &folders, &self.ignore)
    }

    pub fn search_options(&self) -> SearchOptions {
        SearchOptions {
            synonyms: self.synonyms.clone(),
            related: self.related.groups.clone(),
            builtin_related: self.related.builtin,
        }
    }
}

/// Discord ids, as numbers or in quotes (`"1190000000000000900"`, as copied from JSON).
fn ids<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u64),
        Signed(i64),
        Fraction(f64),
        Text(String),
    }
    let ids: Vec<Id> = Vec::deserialize(deserializer)?;
    let no_id = |shown: String| {
        serde::de::Error::custom(format!(
            "forums: {shown} is no Discord id (a channel's number: right-click it → Copy Channel ID)"
        ))
    };
    (ids.into_iter())
        .map(|id| match id {
            Id::Number(id) => Ok(id),
            Id::Signed(id) => Err(no_id(id.to_string())),
            Id::Fraction(id) => Err(no_id(id.to_string())),
            Id::Text(text) => text.trim().parse().map_err(|_| no_id(format!("{text:?}"))),
        })
        .collect()
}

/// Whether `key`'s `value` lies in `range`; if not, the message that says so.
fn within<T: PartialOrd + std::fmt::Display>(
    key: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<(), String> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(format!(
        "{key} is {value}; use {} to {}",
        range.start(),
        range.end()
    ))
}

/// A `discord:` URL (or its environment override) that cannot be one.
#[derive(Debug, thiserror::Error)]
pub enum DiscordUrlError {
    #[error("discord.http_proxy (DISCORD_HTTP_PROXY) {0:?} is not a base URL like \"http://127.0.0.1:3000\"")]
    HttpProxy(String),
    #[error(
        "discord.gateway_url (DISCORD_GATEWAY_URL) {0:?} is not a WebSocket URL like \"wss://gateway.discord.gg\""
    )]
    GatewayUrl(String),
}

/// A URL for a log line or an error: what precedes the last `@` (a user and a password,
/// which may hold a `/`) is left out.
pub fn redacted(url: &str) -> String {
    // A URL that parses loses exactly its user and password (an `@` in its query stays).
    if let Ok(mut parsed) = url::Url::parse(url)
        && parsed.has_host()
    {
        if parsed.username().is_empty() && parsed.password().is_none() {
            return url.to_string();
        }
        if parsed.set_username("***").is_ok() && parsed.set_password(None).is_ok() {
            return parsed.to_string();
        }
    }
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, after)) => format!("{scheme}://…@{after}"),
            None => url.to_string(),
        },
        None => url
            .rsplit_once('@')
            .map_or_else(|| url.to_string(), |(_, after)| format!("…@{after}")),
    }
}

impl DiscordOptions {
    /// These options with `http_proxy` and `gateway_url` over them where given (the CLI
    /// passes `DISCORD_HTTP_PROXY` and `DISCORD_GATEWAY_URL`), checked.
    pub fn overridden(
        &self,
        http_proxy: Option<&str>,
        gateway_url: Option<&str>,
    ) -> Result<DiscordOptions, DiscordUrlError> {
        let options = DiscordOptions {
            http_proxy: http_proxy.map(String::from).or_else(|| self.http_proxy.clone()),
            gateway_url: gateway_url.map(String::from).or_else(|| self.gateway_url.clone()),
        };
        options.check()?;
        Ok(options)
    }

    fn check(&self) -> Result<(), DiscordUrlError> {
        fn has_scheme(url: &str, schemes: [&str; 2]) -> bool {
            schemes.iter().any(|scheme| {
                url.strip_prefix(scheme)
                    .and_then(|rest| rest.strip_prefix("://"))
                    .is_some_and(|host| !host.is_empty() && !host.starts_with('/'))
            })
        }
        if let Some(url) = &self.http_proxy
            && !has_scheme(url.trim(), ["http", "https"])
        {
            return Err(DiscordUrlError::HttpProxy(redacted(url)));
        }
        if let Some(url) = &self.gateway_url
            && !has_scheme(url.trim(), ["ws", "wss"])
        {
            return Err(DiscordUrlError::GatewayUrl(redacted(url)));
        }
        Ok(())
    }
}

impl ReplyOptions {
    /// The colour as a number, `None` when it is not `#rrggbb`.
    pub fn colour(&self) -> Option<u32> {
        let hex = self.colour.strip_prefix('#')?;
        (hex.len() == 6)
            .then(|| u32::from_str_radix(hex, 16).ok())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as a config file named `c.yaml`.
    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("c.yaml"), text).map_err(|e| e.to_string())
    }

    /// The error `text` is; empty if it is a good config.
    fn error(text: &str) -> String {
        parse(text).err().unwrap_or_default()
    }

    #[test]
    fn a_redis_url_logs_only_where_it_points() {
        let url = RedisUrl::new("redis://user:s3cr%2Ft@cache.internal:6380/2");
        assert_eq!(url.location(), "cache.internal:6380");
        assert_eq!(format!("{url:?}"), "RedisUrl(cache.internal:6380)");
        assert_eq!(
            RedisUrl::new("redis://:pw/with@slash@redis").location(),
            "redis:6379"
        );
        assert_eq!(RedisUrl::new("redis://[::1]:7000").location(), "[::1]:7000");
        assert_eq!(
            RedisUrl::new("unix:///run/redis.sock?pass=x").location(),
            "/run/redis.sock"
        );
        let tls = Config::default().with_redis_url("rediss://:pw@host:6380");
        let tls = tls.map(|_| ()).map_err(|e| e.to_string());
        assert!(tls.is_err_and(|e| e.contains("TLS") && e.contains("host:6380") && !e.contains("pw")));
        let plain = Config::default().with_redis_url("cache.internal:6379");
        assert_eq!(plain.err(), Some(StateOptionsError::NotARedisUrl));
        // What the Redis client cannot parse is refused by `check`, not at `serve`.
        let bad = Config::default().with_redis_url("redis://:hunter2secret@[bad/0");
        assert_eq!(bad.err(), Some(StateOptionsError::NotARedisUrl));
        assert!(
            Config::default()
                .with_redis_url("redis://:pw@redis:6379/2")
                .is_ok()
        );
        let none = Config::default().with_redis_url("  ");
        assert!(none.is_ok_and(|c| c.state.redis_url.is_none()));
    }

    #[test]
    fn shipped_config_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/notes-bot.yaml");
        let shipped = Config::load(&path, true).map_err(|e| e.to_string());
        let shipped = shipped.unwrap_or_else(|e| panic!("{e}"));
        // Every key: the shipped file documents the defaults, nothing else.
        assert_eq!(shipped, Config::default());
    }

    #[test]
    fn forums_take_channel_ids_and_a_coverage_from_half_to_one() {
        let config = parse("forums: [1190000000000000900]\nforums_min_coverage: 0.9\n");
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.forums, vec![1190000000000000900]);
        for bad in ["0.4", "1.5"] {
            let error = error(&format!("forums_min_coverage: {bad}\n"));
            assert!(error.contains("forums_min_coverage"), "{error}");
        }
    }

    #[test]
    fn a_cap_of_zero_bytes_is_an_error() {
        for key in ["max_note_bytes", "max_folder_bytes"] {
            let error = error(&format!("{key}: 0\n"));
            assert!(error.contains(&format!("{key} is 0")), "{error}");
        }
        let error = error("max_note_bytes: 1099511627776\n");
        assert!(
            error.contains("max_note_bytes") && error.contains("1073741824"),
            "{error}"
        );
        let caps = parse("max_folder_bytes: 1000\n").map(|c| c.caps());
        assert_eq!(caps.map(|c| (c.note, c.folder)).ok(), Some((8 << 20, 1000)));
    }

    #[test]
    fn a_cooldown_beyond_a_day_is_an_error() {
        // u64::MAX passed before and overflowed the clock on every command.
        let error = error("cooldown_seconds: 18446744073709551615\n");
        assert!(
            error.contains("cooldown_seconds is 18446744073709551615; use 0 to 86400"),
            "{error}"
        );
        assert!(parse("cooldown_seconds: 86400\n").is_ok());
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let error = error("cooldown_seconds: 1\nnotes_folder: x\n");
        assert!(
            error.starts_with("c.yaml:2: unknown field `notes_folder`"),
            "{error}"
        );
    }

    #[test]
    fn urls_are_logged_without_their_password() {
        assert_eq!(
            redacted("http://admin:s3/cr@t@127.0.0.1:1/x"),
            "http://…@127.0.0.1:1/x"
        );
        assert_eq!(redacted("https://discord.com"), "https://discord.com");
        assert_eq!(redacted("admin:pw@host"), "…@host");
        assert_eq!(redacted("http://proxy:3000/x?u=a@b"), "http://proxy:3000/x?u=a@b");
        assert_eq!(redacted("http://admin:pw@proxy:3000/"), "http://***@proxy:3000/");
        let error = error("discord:\n  http_proxy: \"ftp://admin:s3cr3tpw@127.0.0.1:1\"\n");
        assert!(
            !error.contains("s3cr3tpw") && error.contains("127.0.0.1:1"),
            "{error}"
        );
    }

    #[test]
    fn discord_urls_need_their_scheme() {
        let ok =
            "discord:\n  http_proxy: http://127.0.0.1:3000\n  gateway_url: ws://127.0.0.1:3001/gateway\n";
        assert_eq!(
            parse(ok).map(|c| c.discord.http_proxy),
            Ok(Some("http://127.0.0.1:3000".to_string()))
        );
        for bad in [
            "discord:\n  http_proxy: 127.0.0.1:3000\n",
            "discord:\n  http_proxy: \"http://\"\n",
            "discord:\n  gateway_url: https://gateway.discord.gg\n",
        ] {
            assert!(error(bad).contains("discord."), "{bad}");
        }
    }

    #[test]
    fn zero_timeouts_are_errors() {
        for text in [
            "http:\n  header_read_seconds: 0\n",
            "shutdown_seconds: 0\n",
            "http:\n  max_connections: 0\n",
            "http:\n  max_connections: 18446744073709551615\n",
        ] {
            let line = text.lines().count();
            assert!(error(text).starts_with(&format!("c.yaml:{line}: ")), "{text}");
        }
    }

    #[test]
    fn ids_are_read_in_quotes_too_and_type_errors_speak_yaml() {
        let path = Path::new("c.yaml");
        let config =
            Config::parse(path, "forums: [\"1190000000000000900\", 5]\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.forums, [1_190_000_000_000_000_900, 5]);
        for (text, message) in [
            ("forums: [\"abc\"]\n", "\"abc\" is no Discord id"),
            ("forums: [-1]\n", "forums: -1 is no Discord id"),
            ("forums: [1.5]\n", "forums: 1.5 is no Discord id"),
            ("reply: {page_chars: \"1500\"}\n", "expected a whole number"),
            ("labels: {core: Key points}\n", "expected a list, like [a, b]"),
        ] {
            let error = Config::parse(path, text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(message), "{text}: {error}");
        }
    }

    #[test]
    fn out_of_range_values_name_the_key_the_value_and_the_range() {
        for (text, message) in [
            (
                "reply:\n  page_chars: 100\n",
                "reply.page_chars is 100; use 200 to 4000",
            ),
            (
                "reload:\n  quiet_ms: 60001\n",
                "reload.quiet_ms is 60001; use 500 to 60000",
            ),
            (
                "reload:\n  poll_seconds: 0\n",
                "reload.poll_seconds is 0; use 1 to 86400",
            ),
            (
                "reply:\n  colour: #5865f2\n",
                "reply.colour \"\" is not a colour like \"#5865f2\" (in YAML `#` starts a comment: write the colour in quotes)",
            ),
            (
                "reload:\n\tquiet_ms: 800\n",
                "found character that cannot start any token; indent with spaces, not tabs; see config/notes-bot.yaml in the repository for every key",
            ),
            (
                "forums_min_coverage: 0.4\n",
                "forums_min_coverage is 0.4; use 0.5 to 1 (search hits have over 0.5)",
            ),
            (
                "shutdown_seconds: 3601\n",
                "shutdown_seconds is 3601; use 1 to 3600",
            ),
            (
                "http:\n  max_connections: 0\n",
                "http.max_connections is 0; use 1 to 1000000",
            ),
        ] {
            // At the line of the key (each text's last).
            assert_eq!(error(text), format!("c.yaml:{}: {message}", text.lines().count()));
        }
    }

    #[test]
    fn a_key_is_found_at_its_line_inside_its_block_only() {
        assert!(error("cooldown_seconds: 5\nreply:\n  colour: blue\n").starts_with("c.yaml:3: reply.colour"));
    }

    #[test]
    fn link_bases_must_be_web_urls() {
        let ok = "link_base: https://obsidian.md/help/\nlink_bases:\n  zh: https://obsidian.md/zh/help/\n";
        assert!(parse(ok).is_ok());
        for bad in [
            "link_base: obsidian.md/help\n",
            "link_bases:\n  en: \"https://\"\n",
        ] {
            assert!(error(bad).contains("link_base"), "{bad}");
        }
    }

    #[test]
    fn bad_colour_is_an_error() {
        assert!(error("reply:\n  colour: blue\n").contains("reply.colour"));
    }
}
