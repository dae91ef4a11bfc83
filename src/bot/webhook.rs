//! Calls made with an interaction's own token: the response callback, deleting the reply
//! and follow-ups (and `post_reply`, which tries the bot's own client first). Discord authorizes them by that token alone, so they carry no bot token and the
//! HTTP endpoint can make them without `DISCORD_TOKEN`. serenity is not used for them: it
//! always sends an Authorization header, and with its rate limiter off (behind a proxy) it
//! drops the `retry_after` of a 429, which the 3-second answer window needs.

use std::time::{Duration, Instant};

use serenity::all::{ApplicationId, CreateInteractionResponse, EditInteractionResponse, Http, InteractionId};

use super::handler::PostReply;

/// Discord's deadline to answer an interaction, counted from when it arrived.
pub const ANSWER_WINDOW: Duration = Duration::from_secs(3);
/// Tries of one callback, so a stream of `retry_after: 0` cannot spin.
const MAX_TRIES: usize = 4;

/// Interaction-token calls to Discord (or to `DISCORD_HTTP_PROXY`).
pub struct Webhooks {
    client: reqwest::Client,
    /// `https://discord.com`, or the proxy in its place.
    base: String,
}

impl Webhooks {
    pub fn new(rest_base: &str) -> Result<Webhooks, reqwest::Error> {
        let client = reqwest::Client::builder()
            .use_native_tls()
            .connect_timeout(super::discord::CONNECT_TIMEOUT)
            .timeout(super::discord::REQUEST_TIMEOUT)
            .build()?;
        Ok(Webhooks {
            client,
            base: rest_base.trim_end_matches('/').to_string(),
        })
    }

    /// Answers an interaction that arrived at `received`. A 429 is retried after its
    /// `retry_after` while that still lands inside Discord's 3-second window; else, and on
    /// any other failure, the error names the route and the status.
    pub async fn callback(
        &self,
        interaction: InteractionId,
        token: &str,
        response: &CreateInteractionResponse,
        received: Instant,
    ) -> Result<(), WebhookError> {
        let route = format!("POST /api/v10/interactions/{interaction}/…/callback");
        let body = json_body(&route, response)?;
        let url = format!(
            "{}/api/v10/interactions/{interaction}/{token}/callback",
            self.base
        );
        for _ in 0..MAX_TRIES {
            match self
                .send(self.post_json(&url, body.clone()), &route, token)
                .await?
            {
                Sent::Done => return Ok(()),
                Sent::RateLimited(Some(wait)) if received.elapsed() + wait < ANSWER_WINDOW => {
                    tracing::debug!(%route, wait_ms = wait.as_millis() as u64, "rate limited; retrying");
                    tokio::time::sleep(wait).await;
                }
                Sent::RateLimited(wait) => {
                    let wait = wait.map_or("no retry_after".into(), |w| {
                        format!("retry_after {:.2} s", w.as_secs_f64())
                    });
                    return Err(WebhookError::TooLate { route, wait });
                }
            }
        }
        Err(WebhookError::RateLimited {
            route,
            times: MAX_TRIES,
        })
    }

    /// Deletes the message an interaction answered (for a click: the message clicked).
    pub async fn delete_original(&self, application: ApplicationId, token: &str) -> Result<(), WebhookError> {
        // The token is a credential for 15 minutes: routes in logs leave it out.
        let route = format!("DELETE /api/v10/webhooks/{application}/…/messages/@original");
        let url = self.original_url(application, token);
        self.send_after_response(|| self.client.delete(&url), route, token)
            .await
    }

    /// A follow-up message to an interaction (a new message in its channel).
    pub async fn follow_up(
        &self,
        application: ApplicationId,
        token: &str,
        message: &serenity::all::CreateInteractionResponseFollowup,
    ) -> Result<(), WebhookError> {
        let route = format!("POST /api/v10/webhooks/{application}/…");
        let body = json_body(&route, message)?;
        let url = format!("{}/api/v10/webhooks/{application}/{token}", self.base);
        self.send_after_response(|| self.post_json(&url, body.clone()), route, token)
            .await
    }

    /// Posts an answer as a reply with the bot's token (`bot`), or, without one or when
    /// Discord refuses (the bot lacks a permission there), as a follow-up to the interaction.
    pub async fn post_reply(
        &self,
        bot: Option<&Http>,
        application: ApplicationId,
        token: &str,
        reply: &PostReply,
    ) -> Result<(), WebhookError> {
        if let Some(http) = bot {
            match reply.channel.send_message(http, reply.message.clone()).await {
                Ok(_) => return Ok(()),
                Err(error) => tracing::warn!(%error, "could not post a reply; posting a follow-up instead"),
            }
        }
        let posted = self.follow_up(application, token, &reply.follow_up).await;
        if posted.is_err() {
            // The private answer already says it was posted.
            if let Err(error) = self.edit_original(application, token, &reply.refused).await {
                tracing::warn!(%error, "could not tell the member the answer was not posted");
            }
        }
        posted
    }

    /// Edits the message an interaction answered (for a click: the message clicked).
    pub async fn edit_original(
        &self,
        application: ApplicationId,
        token: &str,
        message: &EditInteractionResponse,
    ) -> Result<(), WebhookError> {
        let route = format!("PATCH /api/v10/webhooks/{application}/…/messages/@original");
        let body = json_body(&route, message)?;
        let url = self.original_url(application, token);
        self.send_after_response(|| json(self.client.patch(&url), body.clone()), route, token)
            .await
    }

    /// The message an interaction answered (for a click: the message clicked).
    fn original_url(&self, application: ApplicationId, token: &str) -> String {
        format!(
            "{}/api/v10/webhooks/{application}/{token}/messages/@original",
            self.base
        )
    }

    fn post_json(&self, url: &str, body: Vec<u8>) -> reqwest::RequestBuilder {
        json(self.client.post(url), body)
    }

    /// Sends a call that follows the response: tried again while Discord does not know the
    /// interaction yet (the response was sent a moment ago and is still on its way), and
    /// after a short `retry_after`. Any other refusal is an error at once.
    async fn send_after_response(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        route: String,
        token: &str,
    ) -> Result<(), WebhookError> {
        // 0.25 + 0.5 + 1 s: Discord has the response within a round trip or two.
        const NOT_YET: [Duration; 3] = [
            Duration::from_millis(250),
            Duration::from_millis(500),
            Duration::from_secs(1),
        ];
        // Longer than this, the member has given up on the click.
        const LONGEST_WAIT: Duration = Duration::from_secs(5);
        let mut waits = NOT_YET.iter();
        let mut times = 0;
        loop {
            times += 1;
            let wait = match self.send(request(), &route, token).await {
                Ok(Sent::Done) => return Ok(()),
                Ok(Sent::RateLimited(Some(wait))) if wait <= LONGEST_WAIT && times < MAX_TRIES => wait,
                Ok(Sent::RateLimited(_)) => return Err(WebhookError::RateLimited { route, times }),
                Err(error) if error.is_unknown_yet() => match waits.next() {
                    Some(&wait) => wait,
                    None => return Err(error),
                },
                Err(error) => return Err(error),
            };
            tracing::debug!(%route, wait_ms = wait.as_millis() as u64, "trying again");
            tokio::time::sleep(wait).await;
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        route: &str,
        token: &str,
    ) -> Result<Sent, WebhookError> {
        let response = request
            .header(reqwest::header::USER_AGENT, "DiscordBot (notes-bot, 0.1)")
            .send()
            .await
            .map_err(|e| WebhookError::Unreachable {
                route: route.to_string(),
                error: without(&super::discord::cause(&e), token),
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(Sent::Done);
        }
        let header = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        let body = response.text().await.unwrap_or_default();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            // Discord's body has the precise figure (seconds, fractional); the header rounds up.
            let precise = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|json| json.get("retry_after")?.as_f64());
            let wait = precise
                .or(header)
                .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok());
            return Ok(Sent::RateLimited(wait));
        }
        Err(WebhookError::Refused {
            route: route.to_string(),
            status,
            body: without(&body, token).chars().take(200).collect(),
        })
    }
}

/// A call with an interaction token failed; the token itself is never in the message.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{route}: cannot encode the body: {source}")]
    Encode {
        route: String,
        source: serde_json::Error,
    },
    #[error("{route}: {error}")]
    Unreachable { route: String, error: String },
    #[error("{route} answered {status}: {body}")]
    Refused {
        route: String,
        status: reqwest::StatusCode,
        body: String,
    },
    #[error(
        "{route} answered 429 Too Many Requests ({wait}): not retried, it would miss Discord's 3 s window to answer"
    )]
    TooLate { route: String, wait: String },
    #[error("{route} answered 429 Too Many Requests{}", if *.times > 1 { format!(" {times} times in a row") } else { String::new() })]
    RateLimited { route: String, times: usize },
}

impl WebhookError {
    /// Discord does not know the interaction (yet): `Unknown Webhook` (10015) or `Unknown
    /// interaction` (10062), as when a follow-up overtakes the response it follows.
    fn is_unknown_yet(&self) -> bool {
        let WebhookError::Refused { status, body, .. } = self else {
            return false;
        };
        let code = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|json| json.get("code")?.as_u64());
        *status == reqwest::StatusCode::NOT_FOUND && matches!(code, Some(10015 | 10062))
    }
}

enum Sent {
    Done,
    /// 429, with how long Discord asked to wait.
    RateLimited(Option<Duration>),
}

/// `text` with the interaction token cut out (reqwest's errors name the URL).
fn without(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, "…")
    }
}

/// A request with a JSON body.
fn json(request: reqwest::RequestBuilder, body: Vec<u8>) -> reqwest::RequestBuilder {
    request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
}

/// A value as a JSON body; a failure to encode names the route.
fn json_body(route: &str, value: &impl serde::Serialize) -> Result<Vec<u8>, WebhookError> {
    serde_json::to_vec(value).map_err(|source| WebhookError::Encode {
        route: route.to_string(),
        source,
    })
}
