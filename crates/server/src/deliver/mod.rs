//! The delivery worker: takes due alerts from the outbox, sends each (a signed
//! webhook POST, or an email over SMTP), records every attempt, and retries
//! failures 2 s later, doubling up to an hour, for a day
//! ([`billing_domain::next_attempt`]). An alert committed before a crash is
//! still in the outbox at the next start, and is delivered then.

use crate::alerts::Alerts;
use crate::live::Live;
use crate::store::{AfterAttempt, Db, DueDelivery, Store, StoreError};
use base64::Engine;
use billing_domain::{next_attempt, Channel};
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long a taken delivery is left to this server before another may take it.
const LEASE: Duration = Duration::from_secs(60);
/// How often the outbox is looked at when nothing wakes the worker (retries fall due).
const LOOK_EVERY: Duration = Duration::from_millis(500);
/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries taken at once.
const BATCH: u32 = 16;

/// Where email goes out, from `--smtp-url` and `--smtp-from`.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// An SMTP relay from its URL, `smtp://host[:port]` (port 25 by
    /// default): a relay on this machine or a private network, reached
    /// without TLS or sign-in.
    pub fn new(url: &str, from: &str) -> Result<Smtp, String> {
        let refused = || format!("--smtp-url {url}: expected smtp://host[:port]");
        let rest = url.strip_prefix("smtp://").ok_or_else(refused)?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
                (host, port.parse::<u16>().map_err(|_| refused())?)
            }
            _ => (rest, 25),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '@', '?']) {
            return Err(refused());
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(TIMEOUT))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("--smtp-from {from}: {e}"))?;
        Ok(Smtp { transport, from })
    }
}

/// Signs a webhook as the Standard Webhooks specification says: HMAC-SHA256
/// with the secret's key over `{id}.{timestamp}.{body}`, in base64, `v1,`-prefixed.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Starts the worker; it stops when `live` closes (the server shuts down).
pub fn start(store: Db, alerts: Alerts, smtp: Option<Smtp>, live: Live) {
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("billing-webhooks/1")
        .build()
        .unwrap_or_default();
    let worker = Worker { store, http, smtp };
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = alerts.wake.notified() => {}
                _ = tokio::time::sleep(LOOK_EVERY) => {}
                _ = live.closed() => return,
            }
            if let Err(e) = worker.round().await {
                tracing::warn!("delivering alerts: {e}");
            }
        }
    });
}

struct Worker {
    store: Db,
    http: reqwest::Client,
    smtp: Option<Smtp>,
}

impl Worker {
    /// Delivers everything due now.
    async fn round(&self) -> Result<(), StoreError> {
        loop {
            let now = chrono::Utc::now();
            let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
            let due = self
                .store
                .write(move |tx| tx.take_due(now, lease, BATCH))
                .await?;
            if due.is_empty() {
                return Ok(());
            }
            for d in due {
                let (status, error) = self.send(&d).await;
                let at = chrono::Utc::now();
                let next = if error.is_none() {
                    AfterAttempt::Delivered
                } else {
                    match next_attempt(d.attempts + 1, d.created_at, at) {
                        Some(when) => AfterAttempt::RetryAt(when),
                        None => AfterAttempt::GiveUp,
                    }
                };
                let id = d.id;
                self.store
                    .write(move |tx| tx.record_attempt(id, at, status, error.as_deref(), next))
                    .await?;
            }
        }
    }

    /// One attempt: the receiver's status, and why it failed if it did.
    async fn send(&self, d: &DueDelivery) -> (Option<u16>, Option<String>) {
        match d.channel {
            Channel::Webhook => self.post(d).await,
            Channel::Email => self.mail(d).await,
        }
    }

    async fn post(&self, d: &DueDelivery) -> (Option<u16>, Option<String>) {
        let Some(secret) = &d.secret else {
            return (None, Some("the webhook endpoint was removed".into()));
        };
        let timestamp = chrono::Utc::now().timestamp();
        let Some(signature) = sign(secret, &d.event_id, timestamp, &d.payload) else {
            return (None, Some("the signing secret is not valid".into()));
        };
        let sent = self
            .http
            .post(&d.target)
            .header("content-type", "application/json")
            .header("webhook-id", &d.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.payload.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("the receiver answered {}", r.status())),
            ),
            Err(e) => (None, Some(failure(&e))),
        }
    }

    async fn mail(&self, d: &DueDelivery) -> (Option<u16>, Option<String>) {
        let Some(smtp) = &self.smtp else {
            return (
                None,
                Some("the server sends no email (no --smtp-url)".into()),
            );
        };
        #[derive(serde::Deserialize)]
        struct Mail {
            subject: String,
            text: String,
        }
        let Ok(mail) = serde_json::from_str::<Mail>(&d.payload) else {
            return (
                None,
                Some("the email could not be read from the outbox".into()),
            );
        };
        let to = match d.target.parse::<Mailbox>() {
            Ok(to) => to,
            Err(e) => return (None, Some(format!("not an email address: {e}"))),
        };
        let message = Message::builder()
            .from(smtp.from.clone())
            .to(to)
            .subject(mail.subject)
            .body(mail.text);
        let message = match message {
            Ok(m) => m,
            Err(e) => return (None, Some(e.to_string())),
        };
        match smtp.transport.send(message).await {
            Ok(answer) => (Some(u16::from(answer.code())), None),
            Err(e) => (None, Some(e.to_string())),
        }
    }
}

/// A failed request in words: what people can act on.
fn failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer within 10 s".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example.
    #[test]
    fn signatures_match_the_specification() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn secrets_are_new_each_time_and_well_formed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(sign(&a, "msg_1", 1, "{}").is_some());
    }
}
