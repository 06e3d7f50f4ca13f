//! Alerts that reach people: what goes into the outbox, in the same
//! transaction as the usage record or change that raised it. The worker in
//! [`crate::deliver`] delivers it.

use crate::store::{At, NewDelivery, StoreResult, Tx, WorkspaceRow};
use billing_domain::{
    cap_percent, Alert, BillingCycle, Channel, EventType, FlexSnapshot, Moment, Money, Statement,
    Threshold,
};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Notify;

/// How the server sends alerts, shared by the service (which queues them)
/// and the worker (which delivers them).
#[derive(Clone, Default)]
pub struct Alerts {
    /// Wakes the worker when something was queued.
    pub wake: Arc<Notify>,
    /// Whether alerts are also emailed to the owners and admins (`--smtp-url`).
    pub email: bool,
    /// Whether webhooks may be `http://` to this machine
    /// (`--allow-http-webhooks`, for tests); otherwise `https://` to public
    /// addresses only.
    pub allow_http_webhooks: bool,
    /// The platform's billing webhook (`--platform-webhook-url`): every
    /// statement goes there too.
    pub platform_webhook: Option<String>,
}

/// A new event id (`webhook-id`): the same for every attempt at one delivery.
fn event_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

/// A Standard Webhooks body: `type`, `timestamp`, `data`.
fn body(event_type: EventType, now: At, data: serde_json::Value) -> String {
    json!({
        "type": event_type,
        "timestamp": Moment::from(now),
        "data": data,
    })
    .to_string()
}

impl Alerts {
    /// Raises `threshold` for `ws` in `cycle` at flex spend `spend`, once per
    /// cap and cycle (a new cap re-arms it): to the webhook, if one is registered, and by email to each
    /// owner and admin, if the server sends email. Answers whether anything
    /// was queued.
    pub fn threshold(
        &self,
        tx: &mut dyn Tx,
        ws: &WorkspaceRow,
        cycle: BillingCycle,
        threshold: Threshold,
        spend: Money,
        now: At,
    ) -> StoreResult<bool> {
        let event_type = threshold.event_type();
        let cap = ws.flex.cap.unwrap_or(Money::ZERO);
        if !tx.raise_once(ws.id, cycle.start, &threshold.raise_key(), cap)? {
            return Ok(false);
        }
        let percent = match threshold {
            Threshold::Percent(p) => u32::from(p),
            Threshold::CapReached => cap_percent(spend, ws.flex.cap).unwrap_or(100),
        };
        let data = json!({
            "workspace": ws.slug,
            "workspace_name": ws.name,
            "cycle_start": cycle.start.to_string(),
            "cycle_end": cycle.end.to_string(),
            "cap": cap.plain(),
            "flex_spend": spend.plain(),
            "percent": percent,
        });
        let (subject, alert) = match threshold {
            Threshold::Percent(_) => (
                format!("{}: {percent}% of the {cap} flex cap used", ws.name),
                Alert::Warning {
                    percent,
                    spend,
                    cap,
                },
            ),
            Threshold::CapReached => (
                format!("{}: flex cap reached", ws.name),
                Alert::CapReached {
                    cap,
                    spend,
                    resets_on: cycle.end,
                },
            ),
        };
        // The sentence the banner shows, for the workspace the e-mail names.
        let text = format!("{}: {}", ws.name, alert.sentence(ws.interval));
        self.queue(tx, ws, event_type, data, Some((subject, text)), now)
    }

    /// Flex Billing settings of `ws` changed from `old` to `new` by `actor`:
    /// to the webhook, if one is registered. A settings change still waiting
    /// to be delivered is dropped for this one, which says all it would: a
    /// silent receiver does not pile up one event per change.
    pub fn settings_changed(
        &self,
        tx: &mut dyn Tx,
        ws: &WorkspaceRow,
        old: &FlexSnapshot,
        new: &FlexSnapshot,
        actor: &str,
        now: At,
    ) -> StoreResult<bool> {
        let data = json!({
            "workspace": ws.slug,
            "workspace_name": ws.name,
            "actor": actor,
            "old": old,
            "new": new,
        });
        tx.supersede_pending(ws.id, EventType::SettingsChanged, now)?;
        self.queue(tx, ws, EventType::SettingsChanged, data, None, now)
    }

    /// A cycle of `ws` closed with `statement`: to the webhook, if one is
    /// registered (the platform charges from it, or from the pull API).
    pub fn cycle_closed(
        &self,
        tx: &mut dyn Tx,
        ws: &WorkspaceRow,
        statement: &Statement,
        now: At,
    ) -> StoreResult<bool> {
        let data = json!({
            "workspace": ws.slug,
            "workspace_name": ws.name,
            "statement": statement,
        });
        let mut queued = false;
        if let Some(url) = &self.platform_webhook {
            tx.enqueue(
                ws.id,
                &NewDelivery {
                    event_id: event_id(),
                    channel: Channel::Webhook,
                    event_type: EventType::CycleClosed,
                    target: url.clone(),
                    payload: body(EventType::CycleClosed, now, data.clone()),
                    to_platform: true,
                },
                now,
            )?;
            queued = true;
        }
        Ok(self.queue(tx, ws, EventType::CycleClosed, data, None, now)? || queued)
    }

    fn queue(
        &self,
        tx: &mut dyn Tx,
        ws: &WorkspaceRow,
        event_type: EventType,
        data: serde_json::Value,
        email: Option<(String, String)>,
        now: At,
    ) -> StoreResult<bool> {
        let mut queued = false;
        if let Some(hook) = tx.webhook(ws.id)? {
            tx.enqueue(
                ws.id,
                &NewDelivery {
                    event_id: event_id(),
                    channel: Channel::Webhook,
                    event_type,
                    target: hook.url,
                    payload: body(event_type, now, data),
                    to_platform: false,
                },
                now,
            )?;
            queued = true;
        }
        if let (true, Some((subject, text))) = (self.email, email) {
            for to in tx.billing_managers(ws.id)? {
                tx.enqueue(
                    ws.id,
                    &NewDelivery {
                        event_id: event_id(),
                        channel: Channel::Email,
                        event_type,
                        target: to,
                        payload: json!({ "subject": subject, "text": text }).to_string(),
                        to_platform: false,
                    },
                    now,
                )?;
                queued = true;
            }
        }
        Ok(queued)
    }

    /// Tells the worker that something was queued.
    pub fn queued(&self) {
        self.wake.notify_one();
    }
}
