//! The delivery worker: takes due alerts from the outbox, sends each (a signed
//! webhook POST, or an email over SMTP), records every attempt, and retries
//! failures 2 s later, doubling up to an hour, for a day
//! ([`billing_domain::next_attempt`]). An alert committed before a crash is
//! still in the outbox at the next start, and is delivered then.
//!
//! Up to [`IN_FLIGHT`] deliveries are attempted at once, at most one per
//! workspace, the workspace whose oldest alert waits longest first: a
//! receiver that never answers holds one slot for 10 s at a time, and only
//! its own workspace's alerts wait behind it. Each delivery is taken under a
//! lease with a token of its own (a fencing token); the lease outlives the
//! attempt, and only the lease's holder records it, so two servers never
//! both deliver one alert.

mod email;
mod webhook;

pub use email::Smtp;
pub use webhook::{new_secret, sign, PlatformWebhook, Webhooks};

use crate::alerts::Alerts;
use crate::clock::Clock;
use crate::live::Live;
use crate::store::{AfterAttempt, Attempt, Db, DueDelivery, Store, StoreError};
use billing_domain::{next_attempt, Channel};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// How long a receiver has to answer (connecting included).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// An attempt's limit, whatever the channel: the lease is longer still.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(15);
/// How long a taken delivery is left to this server before another may take
/// it: four attempts' worth, so it never runs out while one is made.
const LEASE: Duration = Duration::from_secs(60);
/// How often the outbox is looked at when nothing wakes the worker (retries fall due).
const LOOK_EVERY: Duration = Duration::from_millis(500);
/// Deliveries attempted at once by one server.
pub const IN_FLIGHT: usize = 16;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sent {
    /// The receiver's status (HTTP) or reply code (SMTP), if it answered.
    pub status: Option<u16>,
    /// Why it failed, in words; none when it was delivered.
    pub error: Option<String>,
}

impl Sent {
    fn delivered(status: u16) -> Sent {
        Sent {
            status: Some(status),
            error: None,
        }
    }

    fn failed(why: impl Into<String>) -> Sent {
        Sent {
            status: None,
            error: Some(why.into()),
        }
    }
}

/// Starts the worker; it stops when `live` closes (the server shuts down).
/// `allow_http_loopback` is `--allow-http-webhooks`; what is due is decided
/// by `clock`, the service's.
pub fn start(
    store: Db,
    alerts: Alerts,
    smtp: Option<Smtp>,
    live: Live,
    allow_http_loopback: bool,
    platform: Option<PlatformWebhook>,
    clock: Clock,
) {
    let worker = Arc::new(Worker {
        store,
        webhooks: Webhooks::new(allow_http_loopback, platform),
        smtp,
        clock,
    });
    tokio::spawn(async move {
        let mut running = JoinSet::new();
        loop {
            let free = IN_FLIGHT - running.len();
            if free > 0 {
                match worker.take(free).await {
                    Ok(due) => {
                        for (d, token) in due {
                            let worker = worker.clone();
                            running.spawn(async move { worker.attempt(d, token).await });
                        }
                    }
                    Err(e) => tracing::warn!("taking alerts to deliver: {e}"),
                }
            }
            tokio::select! {
                _ = alerts.wake.notified() => {}
                _ = tokio::time::sleep(LOOK_EVERY) => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = live.closed() => return,
            }
        }
    });
}

struct Worker {
    store: Db,
    webhooks: Webhooks,
    smtp: Option<Smtp>,
    clock: Clock,
}

impl Worker {
    /// Up to `limit` deliveries due now, each with its lease token.
    async fn take(&self, limit: usize) -> Result<Vec<(DueDelivery, Arc<str>)>, StoreError> {
        let now = self.clock.now();
        let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let token: Arc<str> = uuid::Uuid::new_v4().simple().to_string().into();
        let held = token.clone();
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let due = self
            .store
            .write(move |tx| tx.take_due(now, lease, &held, limit))
            .await?;
        Ok(due.into_iter().map(|d| (d, token.clone())).collect())
    }

    /// One attempt at `d`, recorded if the lease `token` is still ours.
    async fn attempt(&self, d: DueDelivery, token: Arc<str>) {
        let sent = match tokio::time::timeout(ATTEMPT_LIMIT, self.send(&d)).await {
            Ok(sent) => sent,
            Err(_) => Sent::failed(format!("no answer within {} s", ATTEMPT_LIMIT.as_secs())),
        };
        let at = self.clock.now();
        let next = if sent.error.is_none() {
            AfterAttempt::Delivered
        } else {
            match next_attempt(d.attempts + 1, d.created_at, at) {
                Some(when) => AfterAttempt::RetryAt(when),
                None => AfterAttempt::GiveUp,
            }
        };
        let result = match next {
            AfterAttempt::Delivered => "delivered",
            AfterAttempt::RetryAt(_) => "retry",
            AfterAttempt::GiveUp => "given_up",
        };
        metrics::counter!("deliveries_total", "channel" => d.channel.as_str(), "result" => result)
            .increment(1);
        let attempt = Attempt {
            at,
            status: sent.status,
            error: sent.error,
        };
        let id = d.id;
        let recorded = self
            .store
            .write(move |tx| tx.record_attempt(id, &token, &attempt, next))
            .await;
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                "delivery {} was taken by another server while attempted here; its attempt is not recorded",
                d.event_id
            ),
            Err(e) => tracing::warn!("recording an attempt at {}: {e}", d.event_id),
        }
    }

    /// One attempt: the receiver's status, and why it failed if it did.
    async fn send(&self, d: &DueDelivery) -> Sent {
        match d.channel {
            Channel::Webhook => self.webhooks.send(d).await,
            Channel::Email => match &self.smtp {
                Some(smtp) => smtp.send(d).await,
                None => Sent::failed("the server sends no email (no --smtp-url)"),
            },
        }
    }
}
