//! Where a workspace's alerts go: its webhook endpoint and the delivery log (owners).

use super::{Result, Service, ServiceError, User};
use crate::store::{Store, StoredWebhook, Tx};
use billing_domain::{
    validate_thresholds, webhook_url, AlertThresholds, DeliveryLog, Moment, WebhookInfo,
};

/// How many deliveries the log shows.
pub const DELIVERY_LOG: u32 = 20;

impl<S: Store> Service<S> {
    /// Registers `url` as the webhook endpoint of `slug` (owners only), with a
    /// new signing secret, which the answer holds this once.
    pub async fn set_webhook(&self, slug: String, user: User, url: String) -> Result<WebhookInfo> {
        let url =
            webhook_url(&url, self.alerts.allow_http_webhooks).map_err(ServiceError::WebhookUrl)?;
        let hook = StoredWebhook {
            url,
            secret: crate::deliver::new_secret(),
            created_at: self.clock.now(),
        };
        self.store
            .write(move |tx| {
                let ws = owned_workspace(tx, &slug, &user)?;
                tx.set_webhook(ws, &hook)?;
                Ok(WebhookInfo {
                    url: hook.url,
                    created_at: Moment::from(hook.created_at),
                    secret: Some(hook.secret),
                })
            })
            .await
    }

    /// Removes the webhook endpoint of `slug` (owners only); alerts not yet
    /// delivered to it are given up at their next attempt.
    pub async fn delete_webhook(&self, slug: String, user: User) -> Result<()> {
        self.store
            .write(move |tx| {
                let ws = owned_workspace(tx, &slug, &user)?;
                Ok(tx.delete_webhook(ws)?)
            })
            .await
    }

    /// The notification thresholds of `slug` (owners only).
    pub async fn alert_thresholds(&self, slug: String, user: User) -> Result<AlertThresholds> {
        self.store
            .read(move |tx| {
                let (ws, role) = tx
                    .workspace_for_member(&slug, user.id)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                if !role.manages_alerts() {
                    return Err(ServiceError::OwnersOnly);
                }
                Ok(AlertThresholds {
                    thresholds: ws.alert_thresholds,
                })
            })
            .await
    }

    /// Sets the notification thresholds of `slug` (owners only), as the
    /// domain checked them; each fires once per cap and cycle from now on.
    pub async fn set_alert_thresholds(
        &self,
        slug: String,
        user: User,
        asked: Vec<i64>,
    ) -> Result<AlertThresholds> {
        let thresholds = validate_thresholds(&asked).map_err(ServiceError::Thresholds)?;
        let changed = slug.clone();
        let answer = self
            .store
            .write(move |tx| {
                let ws = owned_workspace(tx, &slug, &user)?;
                tx.set_alert_thresholds(ws, &thresholds)?;
                Ok::<_, ServiceError>(AlertThresholds { thresholds })
            })
            .await?;
        self.changed(&changed);
        Ok(answer)
    }

    /// Where alerts of `slug` go and what became of the latest (owners only).
    pub async fn delivery_log(&self, slug: String, user: User) -> Result<DeliveryLog> {
        let email = self.alerts.email;
        self.store
            .read(move |tx| {
                let ws = owned_workspace(tx, &slug, &user)?;
                Ok(DeliveryLog {
                    webhook: tx.webhook(ws)?.map(|h| WebhookInfo {
                        url: h.url,
                        created_at: Moment::from(h.created_at),
                        secret: None,
                    }),
                    email,
                    deliveries: tx.deliveries(ws, DELIVERY_LOG)?,
                })
            })
            .await
    }
}

/// The id of workspace `slug`, if `user` may manage its alerts.
fn owned_workspace(tx: &mut dyn Tx, slug: &str, user: &User) -> Result<i64> {
    let (ws, role) = tx
        .workspace_for_member(slug, user.id)?
        .ok_or(ServiceError::WorkspaceNotFound)?;
    if !role.manages_alerts() {
        return Err(ServiceError::OwnersOnly);
    }
    Ok(ws.id)
}
