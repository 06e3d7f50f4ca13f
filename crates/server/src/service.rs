//! The billing service: each operation is one store transaction that checks
//! who may do it, asks the domain what changes, and writes it with its audit
//! line. Nothing here knows about HTTP.

use crate::alerts::Alerts;
use crate::live::Live;
use crate::store::{
    at_text, At, AuditLine, CycleTotals, Store, StoreError, StoredWebhook, Tx, User, WorkspaceRow,
};
use billing_domain::{
    cap_below_spend, draw, thresholds_crossed, webhook_url, ActivityPage, Balances, BillingCycle,
    BillingState, DeliveryLog, DrawError, FlexChange, FlexError, PlanInfo, Role, SessionInfo,
    Threshold, UsageResponse, UsageSummary, ValidUsage, Viewer, WebhookInfo, WebhookUrlError,
    WorkspaceInfo,
};
use chrono::NaiveDate;
use std::time::Duration;

/// A session ends this long after sign-in, however busy (absolute lifetime).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// A session ends after this long without a request (idle timeout).
pub const SESSION_IDLE: Duration = Duration::from_secs(24 * 60 * 60);
/// How stale a session's "last seen" may get before a request writes it anew:
/// reads stay reads, and the idle timeout is kept to within this.
const TOUCH_EVERY: Duration = Duration::from_secs(5 * 60);

/// Longest page of the activity list.
pub const MAX_ACTIVITY_PAGE: u32 = 100;

/// Session tokens are kept as their SHA-256, so a copy of the database signs nobody in.
fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

fn ago(now: At, d: Duration) -> At {
    now - chrono::Duration::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

/// Why an operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// The person's role may not do this.
    Forbidden,
    /// No such workspace, or the person is not a member.
    WorkspaceNotFound,
    /// The settings changed since the version the change names: the state now in force.
    VersionConflict(Box<BillingState>),
    /// The idempotency key was used for a different amount.
    IdempotencyConflict,
    /// No person with this email (demo sign-in).
    UserNotFound(String),
    /// The domain refused the change.
    Flex(FlexError),
    /// The domain refused the usage.
    Draw(DrawError),
    /// Only owners manage where alerts go.
    OwnersOnly,
    /// The webhook address is not one alerts may be sent to.
    WebhookUrl(WebhookUrlError),
    /// The store failed.
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        ServiceError::Internal(e.to_string())
    }
}

impl From<FlexError> for ServiceError {
    fn from(e: FlexError) -> ServiceError {
        ServiceError::Flex(e)
    }
}

type Result<T> = std::result::Result<T, ServiceError>;

/// The billing operations, over any [`Store`].
#[derive(Clone)]
pub struct Service<S> {
    store: S,
    live: Live,
    alerts: Alerts,
}

impl<S: Store> Service<S> {
    /// A service over `store`, telling `live` of every change to a workspace's
    /// billing and queueing alerts as `alerts` says.
    pub fn new(store: S, live: Live, alerts: Alerts) -> Service<S> {
        Service {
            store,
            live,
            alerts,
        }
    }

    /// Where changes to billing are told (the event streams wait on it).
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// `slug`'s billing changed (committed): this server's streams, and the other servers', hear of it.
    fn changed(&self, slug: &str) {
        self.live.changed(slug);
        self.store.announce(slug);
    }

    /// The billing state of `slug` as `user` sees it.
    pub async fn billing_state(
        &self,
        slug: String,
        user: User,
        today: NaiveDate,
    ) -> Result<BillingState> {
        self.store
            .read(move |tx| member_state(tx, &slug, &user, today))
            .await
    }

    /// Applies `change` for `user`, if their role allows and `expected_version`
    /// (when given) still holds. Answers the new state.
    pub async fn change_flex(
        &self,
        slug: String,
        user: User,
        change: FlexChange,
        expected_version: Option<u64>,
        today: NaiveDate,
    ) -> Result<BillingState> {
        let changed = slug.clone();
        let alerts = self.alerts.clone();
        let (state, queued) = self
            .store
            .write(move |tx| {
                let (ws, role) = tx
                    .workspace_for_member(&slug, user.id)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                if !role.can_manage_billing() {
                    return Err(ServiceError::Forbidden);
                }
                if expected_version.is_some_and(|v| v != ws.flex.version) {
                    let now = state_of(tx, &ws, role, &user, today)?;
                    return Err(ServiceError::VersionConflict(Box::new(now)));
                }
                let mut queued = false;
                if let Some(next) = ws.flex.apply(change, ws.interval)? {
                    tx.update_flex(ws.id, &next)?;
                    let line = AuditLine {
                        action: change.action(),
                        detail: change.describe(&next),
                        old: (&ws.flex).into(),
                        new: (&next).into(),
                    };
                    tx.audit(ws.id, Some(user.id), &line)?;
                    queued = alerts.settings_changed(
                        tx,
                        &ws,
                        &line.old,
                        &line.new,
                        &user.email,
                        chrono::Utc::now(),
                    )?;
                }
                let mut state = member_state(tx, &slug, &user, today)?;
                if let FlexChange::SetCap(cap) = change {
                    state.notice = cap_below_spend(cap, state.usage.flex_spend, state.cycle.end);
                }
                Ok((state, queued))
            })
            .await?;
        self.changed(&changed);
        if queued {
            self.alerts.queued();
        }
        Ok(state)
    }

    /// Records metered usage for `slug`: included, then prepaid, then flex
    /// credits within the cap, all or nothing. The same key records once. A
    /// refusal at the cap is kept, so the page can say that work is blocked.
    pub async fn record_usage(
        &self,
        slug: String,
        usage: ValidUsage,
        today: NaiveDate,
    ) -> Result<UsageResponse> {
        let changed = slug.clone();
        let alerts = self.alerts.clone();
        let (outcome, queued) = self
            .store
            .write(move |tx| {
                let now = chrono::Utc::now();
                let ws = tx
                    .workspace_by_slug(&slug)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                let cycle = BillingCycle::containing(ws.anchor, ws.interval, today);
                if let Some(stored) = tx.usage_by_key(ws.id, &usage.idempotency_key)? {
                    if stored.credits != usage.credits {
                        return Err(ServiceError::IdempotencyConflict);
                    }
                    return Ok((
                        Ok(UsageResponse {
                            draw: stored.draw,
                            replayed: true,
                            usage: usage_of(tx, &ws, cycle)?,
                        }),
                        false,
                    ));
                }
                let totals = tx.cycle_totals(ws.id, cycle.start)?;
                let balances = Balances {
                    included_total: ws.included,
                    included_used: totals.included,
                    prepaid_balance: ws.prepaid_balance,
                    flex_enabled: ws.flex.enabled,
                    flex_cap: ws.flex.cap,
                    flex_used: totals.flex,
                    flex_billed: totals.flex_cost,
                    flex_rate: ws.flex_rate,
                };
                let drawn = match draw(&balances, usage.credits) {
                    Ok(drawn) => drawn,
                    Err(refused) => {
                        // Nothing is drawn; a refusal at the cap is kept (and
                        // committed) until the settings change.
                        let mut queued = false;
                        if matches!(refused, DrawError::FlexCapReached { .. }) {
                            tx.insert_blocked(ws.id, cycle.start, ws.flex.version, usage.credits)?;
                            // Work is blocked: the cap is reached for people, if not in cents.
                            queued = alerts.threshold(
                                tx,
                                &ws,
                                cycle,
                                Threshold::CapReached,
                                totals.flex_cost,
                                now,
                            )?;
                        }
                        return Ok((Err(refused), queued));
                    }
                };
                tx.insert_usage(
                    ws.id,
                    &usage.idempotency_key,
                    cycle.start,
                    today,
                    usage.credits,
                    &drawn,
                )?;
                // Thresholds crossed by this record: rare, so the usual record reads nothing more.
                let spend = totals.flex_cost + drawn.flex_cost;
                let mut queued = false;
                for crossed in thresholds_crossed(totals.flex_cost, spend, ws.flex.cap) {
                    queued |= alerts.threshold(tx, &ws, cycle, crossed, spend, now)?;
                }
                // The answer is what the next read will show, worked out rather than read back.
                let after = WorkspaceRow {
                    prepaid_balance: ws.prepaid_balance - drawn.prepaid,
                    ..ws
                };
                Ok((
                    Ok(UsageResponse {
                        draw: drawn,
                        replayed: false,
                        usage: summary(&after, totals.with(&drawn)),
                    }),
                    queued,
                ))
            })
            .await?;
        if queued {
            self.alerts.queued();
        }
        match &outcome {
            Ok(recorded) if !recorded.replayed => self.changed(&changed),
            Err(DrawError::FlexCapReached { .. }) => self.changed(&changed),
            _ => {}
        }
        outcome.map_err(ServiceError::Draw)
    }

    /// The person whose session `token` is, if it is live: not past its
    /// lifetime, not idle too long. Marks it seen (at most every few minutes).
    pub async fn session_user(&self, token: String) -> Result<Option<User>> {
        let hash = token_hash(&token);
        let now = chrono::Utc::now();
        let h = hash.clone();
        let found = self
            .store
            .read(move |tx| {
                Ok::<_, ServiceError>(tx.session_user(&h, now, ago(now, SESSION_IDLE))?)
            })
            .await?;
        let Some((user, seen)) = found else {
            return Ok(None);
        };
        if ago(now, TOUCH_EVERY) > seen {
            self.store
                .write(move |tx| Ok::<_, ServiceError>(tx.touch_session(&hash, now)?))
                .await?;
        }
        Ok(Some(user))
    }

    /// Who is signed in and their workspaces.
    pub async fn session_info(&self, user: User) -> Result<SessionInfo> {
        self.store
            .read(move |tx| {
                Ok(SessionInfo {
                    workspaces: tx.workspaces_of(user.id)?,
                    email: user.email,
                })
            })
            .await
    }

    /// The workspace a person lands on: the first they joined.
    pub async fn home_workspace(&self, user: User) -> Result<Option<String>> {
        self.store
            .read(move |tx| {
                Ok(tx
                    .workspaces_of(user.id)?
                    .into_iter()
                    .next()
                    .map(|w| w.slug))
            })
            .await
    }

    /// Everyone who can sign in (the demo sign-in lists them).
    pub async fn people(&self) -> Result<Vec<String>> {
        self.store.read(|tx| Ok(tx.users()?)).await
    }

    /// Starts a session for the person with `email`; answers its token (only
    /// its hash is kept). Sessions that have ended are removed on the way.
    pub async fn sign_in(&self, email: String) -> Result<String> {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let hash = token_hash(&token);
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::from_std(SESSION_LIFETIME).unwrap_or_default();
        self.store
            .write(move |tx| {
                let user = tx
                    .user_by_email(&email)?
                    .ok_or(ServiceError::UserNotFound(email))?;
                tx.purge_sessions(now, ago(now, SESSION_IDLE))?;
                tx.create_session(&hash, user.id, now, expires)?;
                Ok::<_, ServiceError>(())
            })
            .await?;
        Ok(token)
    }

    /// Ends the session `token`: it no longer signs anyone in.
    pub async fn sign_out(&self, token: String) -> Result<()> {
        let hash = token_hash(&token);
        self.store
            .write(move |tx| Ok(tx.delete_session(&hash)?))
            .await
    }

    /// The changes to Flex Billing in `slug`, newest first, for any member.
    pub async fn activity(
        &self,
        slug: String,
        user: User,
        before: Option<i64>,
        limit: u32,
    ) -> Result<ActivityPage> {
        let limit = limit.clamp(1, MAX_ACTIVITY_PAGE);
        self.store
            .read(move |tx| {
                let (ws, _) = tx
                    .workspace_for_member(&slug, user.id)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                // One more than asked tells whether an older page exists.
                let mut entries = tx.activity(ws.id, before, limit + 1)?;
                let more = entries.len() > limit as usize;
                entries.truncate(limit as usize);
                Ok(ActivityPage {
                    next_before: if more {
                        entries.last().map(|e| e.id)
                    } else {
                        None
                    },
                    entries,
                })
            })
            .await
    }
}

/// How many deliveries the log shows.
pub const DELIVERY_LOG: u32 = 20;

impl<S: Store> Service<S> {
    /// Registers `url` as the webhook endpoint of `slug` (owners only), with a
    /// new signing secret, which the answer holds this once.
    pub async fn set_webhook(&self, slug: String, user: User, url: String) -> Result<WebhookInfo> {
        let url = webhook_url(&url).map_err(ServiceError::WebhookUrl)?;
        let hook = StoredWebhook {
            url,
            secret: crate::deliver::new_secret(),
            created_at: chrono::Utc::now(),
        };
        self.store
            .write(move |tx| {
                let ws = owned_workspace(tx, &slug, &user)?;
                tx.set_webhook(ws, &hook)?;
                Ok(WebhookInfo {
                    url: hook.url,
                    created_at: at_text(hook.created_at),
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

    /// Where alerts of `slug` go and what became of the latest (owners only).
    pub async fn delivery_log(&self, slug: String, user: User) -> Result<DeliveryLog> {
        let email = self.alerts.email;
        self.store
            .read(move |tx| {
                let ws = owned_workspace(tx, &slug, &user)?;
                Ok(DeliveryLog {
                    webhook: tx.webhook(ws)?.map(|h| WebhookInfo {
                        url: h.url,
                        created_at: at_text(h.created_at),
                        secret: None,
                    }),
                    email,
                    deliveries: tx.deliveries(ws, DELIVERY_LOG)?,
                })
            })
            .await
    }
}

/// The id of workspace `slug`, if `user` owns it.
fn owned_workspace(tx: &mut dyn Tx, slug: &str, user: &User) -> Result<i64> {
    let (ws, role) = tx
        .workspace_for_member(slug, user.id)?
        .ok_or(ServiceError::WorkspaceNotFound)?;
    if role != Role::Owner {
        return Err(ServiceError::OwnersOnly);
    }
    Ok(ws.id)
}

fn member_state(
    tx: &mut dyn Tx,
    slug: &str,
    user: &User,
    today: NaiveDate,
) -> Result<BillingState> {
    let (ws, role) = tx
        .workspace_for_member(slug, user.id)?
        .ok_or(ServiceError::WorkspaceNotFound)?;
    state_of(tx, &ws, role, user, today)
}

fn state_of(
    tx: &mut dyn Tx,
    ws: &WorkspaceRow,
    role: Role,
    user: &User,
    today: NaiveDate,
) -> Result<BillingState> {
    let cycle = BillingCycle::containing(ws.anchor, ws.interval, today);
    Ok(BillingState {
        workspace: WorkspaceInfo {
            slug: ws.slug.clone(),
            name: ws.name.clone(),
        },
        plan: PlanInfo {
            name: ws.plan_name.clone(),
            interval: ws.interval,
        },
        cycle,
        flex: ws.flex.clone(),
        usage: usage_of(tx, ws, cycle)?,
        viewer: Viewer {
            email: user.email.clone(),
            role,
            can_manage: role.can_manage_billing(),
        },
        today,
        notice: None,
        flex_by_day: tx.flex_by_day(ws.id, cycle.start)?,
    })
}

fn usage_of(tx: &mut dyn Tx, ws: &WorkspaceRow, cycle: BillingCycle) -> Result<UsageSummary> {
    Ok(summary(ws, tx.cycle_totals(ws.id, cycle.start)?))
}

/// Usage as the page shows it, from the workspace and its cycle's running totals.
fn summary(ws: &WorkspaceRow, totals: CycleTotals) -> UsageSummary {
    UsageSummary {
        included_used: totals.included,
        included_total: ws.included,
        prepaid_balance: ws.prepaid_balance,
        flex_credits: totals.flex,
        flex_spend: totals.flex_cost,
        flex_rate: ws.flex_rate,
        prepaid_rate: ws.prepaid_rate,
        // Refused at the cap under the settings in force: raising the cap (a new version) clears it.
        blocked: totals.blocked_version == Some(ws.flex.version),
    }
}
