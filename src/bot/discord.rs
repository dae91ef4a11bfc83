//! Discord's REST API as the bots use it: where it is (or the proxy in its place), one
//! HTTP client with timeouts, registering the commands, and errors an admin can act on.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{Command, GuildId, Http, HttpBuilder};

use super::app::App;
use super::commands::command_set;
use super::token::Token;
use crate::config::{DiscordOptions, redacted};

/// Why a bot stopped or a call to Discord failed, as one line for the admin.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Discord refused the token: exit 2, no retry.
    #[error(
        "Discord rejected the bot token (401); reset it in the developer portal and update DISCORD_TOKEN (or the file DISCORD_TOKEN_FILE names)"
    )]
    TokenRejected,
    /// Close code 4014: `forums` asks for the privileged Message Content intent.
    #[error(
        "Discord refused the Message Content intent (close code 4014), which `forums` needs; enable \"Message Content Intent\" under Bot → Privileged Gateway Intents in the developer portal, or remove `forums` from the config"
    )]
    IntentRefused,
    /// A shard serenity reports connected that Discord no longer acknowledges (see
    /// `shard_watch`): exit 1, for Docker or Kubernetes to start the bot again.
    #[error(
        "gateway: shard {shard} has had no heartbeat acknowledged for {seconds} s though connected (a connection whose handshake never completed); exiting for Docker or Kubernetes to start the bot again"
    )]
    GatewayStuck { shard: u32, seconds: u64 },
    #[error("cannot set up the HTTP client: {0}")]
    Client(reqwest::Error),
    #[error("cannot start the threads that answer interactions: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    /// A REST call got no answer: the host, the cause and what to check.
    #[error("cannot reach {host}: {cause}; {}", if *via_proxy {
        "check DISCORD_HTTP_PROXY (discord.http_proxy) and that the proxy is running"
    } else {
        "check this machine's DNS, firewall and outbound HTTPS (port 443)"
    })]
    Unreachable {
        /// `host:port`, or `Discord` when the error names no address.
        host: String,
        /// In a few words (see `cause`).
        cause: String,
        /// The call went to a host other than discord.com: the proxy.
        via_proxy: bool,
    },
    /// No shard connected to the gateway within `seconds` of the start.
    #[error(
        "gateway: no shard connected to {gateway} in {seconds} s; check this machine's outbound WebSocket connections (HTTPS, port 443), its firewall and DISCORD_GATEWAY_URL (serenity's lines above give the cause)"
    )]
    GatewayUnreachable { gateway: String, seconds: u64 },
    /// Discord answered with an error: the call, the status, Discord's message and the
    /// fields it refused.
    #[error("{method} {route} answered {status}: {said}{}", field_errors(fields))]
    Refused {
        method: reqwest::Method,
        /// The request's path, long segments (interaction tokens) left out.
        route: String,
        status: reqwest::StatusCode,
        /// Discord's message, or what an answer that was no JSON means.
        said: String,
        fields: Vec<serenity::all::DiscordJsonSingleError>,
    },
    /// Registering in a server the app was not invited to (or without the
    /// `applications.commands` scope), or a `DISCORD_GUILD_ID` that is no server: exit 2.
    #[error(
        "Discord refused the commands for server {guild} ({answer}): the app is not in that server, or was invited without the applications.commands scope; invite it with the URL in the README (\"Creating the Discord application\", step 3), and check that DISCORD_GUILD_ID holds server ids (right-click the server → Copy Server ID)"
    )]
    NotInServer { guild: String, answer: String },
    #[error("Discord named no application id for the token")]
    NoApplicationId,
    #[error("{0}")]
    Serenity(Box<serenity::Error>),
    #[error("cannot listen on {address}: {source}{}", if address.contains(':') && !address.contains("://") { "" } else { " (write HOST:PORT, e.g. 0.0.0.0:8080)" })]
    Listen { address: String, source: std::io::Error },
    #[error("server error: {0}")]
    Server(std::io::Error),
}

/// Where this process reaches Discord: the REST base URL and the gateway URL.
#[derive(Debug, Clone)]
pub struct Discord {
    /// A rate-limiting proxy in place of `https://discord.com`.
    pub http_proxy: Option<String>,
    /// The gateway URL in place of the one `GET /gateway` names.
    pub gateway_url: Option<String>,
}

/// The longest wait to open a connection (TCP and TLS) to Discord or the proxy.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest wait for one whole REST call, so that no call hangs the bot.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

impl Discord {
    /// Where the config's `discord:` section says (the CLI puts `DISCORD_HTTP_PROXY` and
    /// `DISCORD_GATEWAY_URL` in it).
    pub fn from_config(options: &DiscordOptions) -> Discord {
        Discord {
            http_proxy: (options.http_proxy.as_deref())
                .map(|url| url.trim().trim_end_matches('/').to_string()),
            gateway_url: (options.gateway_url.as_deref()).map(|url| url.trim().to_string()),
        }
    }

    /// Where REST calls go.
    pub fn rest_base(&self) -> &str {
        self.http_proxy.as_deref().unwrap_or("https://discord.com")
    }

    /// The one place a serenity HTTP client is made: timeouts on every call, and with a proxy,
    /// serenity's own rate limiter off (serenity ignores the proxy otherwise; the proxy limits).
    pub fn http(&self, token: &Token) -> Result<Http, RunError> {
        let client = reqwest::Client::builder()
            .use_native_tls()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(RunError::Client)?;
        let builder = HttpBuilder::new(token.expose()).client(client);
        Ok(match &self.http_proxy {
            Some(proxy) => builder.proxy(proxy.as_str()).ratelimiter_disabled(true).build(),
            None => builder.build(),
        })
    }
}

/// An HTTP client for the bot's application: the first call checks the token and the network.
pub async fn application_http(token: &Token, discord: &Discord) -> Result<Arc<Http>, RunError> {
    tracing::info!("connecting to Discord at {}", redacted(discord.rest_base()));
    let http = Arc::new(discord.http(token)?);
    learn_application_id(&http).await?;
    Ok(http)
}

/// Asks Discord for the application's id, which registering commands needs, unless `http`
/// knows it already.
pub async fn learn_application_id(http: &Http) -> Result<(), RunError> {
    if http.application_id().is_none() {
        let info = http.get_current_application_info().await.map_err(classify)?;
        http.set_application_id(info.id);
    }
    Ok(())
}

/// Replaces the app's command set (globally, or in the given guilds).
pub async fn register(http: &Http, app: &App, guilds: &[GuildId]) -> Result<(), RunError> {
    let commands = command_set(app.index().library(), &app.config.install);
    let count = commands.len();
    let ids = |registered: Vec<Command>| {
        registered
            .into_iter()
            .map(|command| (command.name, command.id.get()))
            .collect::<Vec<_>>()
    };
    if guilds.is_empty() {
        let registered = Command::set_global_commands(http, commands)
            .await
            .map_err(classify)?;
        app.handler.remember_command_ids(None, ids(registered));
        tracing::info!(
            count,
            "registered global commands (Discord may take up to an hour to show changes)"
        );
    } else {
        for guild in guilds {
            let registered = guild
                .set_commands(http, commands.clone())
                .await
                .map_err(classify)?;
            app.handler
                .remember_command_ids(Some(guild.get()), ids(registered));
            tracing::info!(count, guild = guild.get(), "registered guild commands");
        }
    }
    Ok(())
}

pub(super) fn classify(error: serenity::Error) -> RunError {
    use serenity::all::HttpError;
    use serenity::gateway::GatewayError;
    match &error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response))
            if response.status_code.as_u16() == 401 =>
        {
            RunError::TokenRejected
        }
        serenity::Error::Gateway(GatewayError::InvalidAuthentication) => RunError::TokenRejected,
        serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents) => RunError::IntentRefused,
        serenity::Error::Http(HttpError::Request(error)) => unreachable(error),
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response))
            if matches!(
                (response.status_code.as_u16(), response.error.code),
                (403, MISSING_ACCESS) | (404, UNKNOWN_GUILD)
            ) && guild_of(&response.url).is_some() =>
        {
            RunError::NotInServer {
                guild: guild_of(&response.url).unwrap_or_default().to_string(),
                answer: format!("{} {}", response.status_code, response.error.message),
            }
        }
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => RunError::Refused {
            method: response.method.clone(),
            route: route_of(&response.url),
            status: response.status_code,
            // serenity's words when the body was no JSON: an HTML error page of a proxy.
            said: if response
                .error
                .message
                .starts_with("[Serenity] Could not decode json")
            {
                "not a JSON answer (an error page: is DISCORD_HTTP_PROXY a Discord REST proxy, and is it up?)"
                    .into()
            } else {
                response.error.message.clone()
            },
            fields: response.error.errors.clone(),
        },
        _ => RunError::Serenity(Box::new(error)),
    }
}

/// Discord's JSON error codes for an app that may not act in a server, and for a server
/// that is not there.
const MISSING_ACCESS: isize = 50001;
const UNKNOWN_GUILD: isize = 10004;

/// The server a route's commands are in: `…/guilds/{id}/commands…`.
fn guild_of(path: &str) -> Option<&str> {
    let (_, after) = path.split_once("/guilds/")?;
    let (id, rest) = after.split_once('/')?;
    (rest.starts_with("commands") && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

/// What Discord said of each field it refused (`2.name: Command name is invalid`), the
/// first few: without them an admin cannot tell which note's command was the cause.
fn field_errors(errors: &[serenity::all::DiscordJsonSingleError]) -> String {
    const SHOWN: usize = 5;
    let mut text: String = (errors.iter().take(SHOWN))
        .map(|error| format!("; {}: {}", error.path, error.message))
        .collect();
    if errors.len() > SHOWN {
        text.push_str(&format!("; and {} more", errors.len() - SHOWN));
    }
    crate::text::printable(&text).into_owned()
}

/// A REST call that got no answer: the host, the cause and whether a proxy was asked.
fn unreachable(error: &reqwest::Error) -> RunError {
    RunError::Unreachable {
        host: error.url().map(host_of).unwrap_or_else(|| "Discord".into()),
        cause: cause(error),
        via_proxy: error
            .url()
            .is_some_and(|url| url.host_str() != Some("discord.com")),
    }
}

/// Why a request got no answer, in a few words: a timeout (which), DNS, a refused
/// connection, TLS, else the innermost error.
pub(super) fn cause(error: &reqwest::Error) -> String {
    let causes: Vec<String> =
        std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |e| e.source())
            .map(|e| e.to_string())
            .collect();
    let refused = std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |e| e.source())
        .any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        });
    let detail = causes.last().cloned().unwrap_or_default();
    if error.is_timeout() && error.is_connect() {
        format!("timed out: no connection within {} s", CONNECT_TIMEOUT.as_secs())
    } else if error.is_timeout() {
        format!("timed out: no answer within {} s", REQUEST_TIMEOUT.as_secs())
    } else if causes.iter().any(|c| c.contains("dns error")) {
        // hyper-util does not export its ConnectError: "dns error" in its message is the only mark.
        format!("DNS lookup failed ({detail})")
    } else if refused {
        "connection refused (nothing listens there)".into()
    } else if error.is_connect() && error.url().is_some_and(|url| url.scheme() == "https") {
        format!("TLS handshake failed ({detail}: an http:// server, or a proxy intercepting HTTPS?)")
    } else {
        detail
    }
}

/// A request URL for a log line, with long path segments (interaction tokens) left out.
fn route_of(url: &str) -> String {
    url.split('/')
        .map(|segment| if segment.len() > 60 { "…" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// `host:port` of a URL, for messages.
fn host_of(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_body_names_each_field_discord_refused() {
        use serenity::all::DiscordJsonSingleError;
        let error = |path: &str| DiscordJsonSingleError {
            code: "APPLICATION_COMMAND_INVALID_NAME".into(),
            message: "Command name is invalid".into(),
            path: path.into(),
        };
        assert_eq!(field_errors(&[]), "");
        assert_eq!(
            field_errors(&[error("2.name"), error("3.name\u{1b}[2J")]),
            "; 2.name: Command name is invalid; 3.name\\u{1b}[2J: Command name is invalid"
        );
        let many: Vec<_> = (0..7).map(|n| error(&format!("{n}.name"))).collect();
        assert!(field_errors(&many).ends_with("; 4.name: Command name is invalid; and 2 more"));
    }

    #[test]
    fn a_refused_intent_names_the_portal_setting() {
        use serenity::gateway::GatewayError;
        let error = classify(serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents));
        assert!(matches!(error, RunError::IntentRefused));
        let text = error.to_string();
        assert!(
            text.contains("4014") && text.contains("Message Content Intent"),
            "{text}"
        );
    }
}
