//! Calls made with an interaction's own token. Discord authorizes them by that token alone,
//! so they carry no bot token: the HTTP endpoint can make them without `DISCORD_TOKEN`.

use std::time::Duration;

use serenity::all::ApplicationId;

/// Interaction-token calls to Discord (or to `DISCORD_HTTP_PROXY`).
pub struct Webhooks {
    client: reqwest::Client,
    /// `https://discord.com`, or the proxy in its place.
    base: String,
}

impl Webhooks {
    pub fn new(rest_base: &str) -> Result<Webhooks, String> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Webhooks {
            client,
            base: rest_base.trim_end_matches('/').to_string(),
        })
    }

    /// Deletes the message an interaction answered (for a click: the message clicked).
    pub async fn delete_original(&self, application: ApplicationId, token: &str) -> Result<(), String> {
        let path = format!("/api/v10/webhooks/{application}/{token}/messages/@original");
        // The token is a credential for 15 minutes: logs show the route without it.
        let route = format!("DELETE /api/v10/webhooks/{application}/…/messages/@original");
        let response = self
            .client
            .delete(format!("{}{path}", self.base))
            .header(reqwest::header::USER_AGENT, "DiscordBot (notes-bot, 0.1)")
            .send()
            .await
            .map_err(|e| format!("{route}: {}", without(&e.to_string(), token)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(format!(
                "{route} answered {status}: {}",
                body.chars().take(200).collect::<String>()
            ))
        }
    }
}

/// `text` with the interaction token cut out (reqwest's errors name the URL).
fn without(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, "…")
    }
}
