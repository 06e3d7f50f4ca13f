//! The billing service: each operation is one store transaction that checks
//! who may do it, asks the domain what changes, and writes it with its audit
//! line. Nothing here knows about HTTP.
//!
//! One file a concern: `billing.rs` (the state, changes to Flex Billing, the
//! audit trail), `usage.rs` (metering), `sessions.rs` (who is signed in),
//! `alerts.rs` (where alerts go), `exports.rs` (CSV downloads), `platform.rs` (provisioning by the
//! platform), `statements.rs` (closing ended cycles), `upkeep.rs`
//! (readiness, housekeeping).
//! This file holds what they share.

mod alerts;
mod billing;
mod exports;
mod platform;
mod sessions;
mod statements;
mod upkeep;
mod usage;

pub use alerts::DELIVERY_LOG;
pub use billing::{DEFAULT_ACTIVITY_PAGE, MAX_ACTIVITY_PAGE};
pub use exports::{statement_row, usage_row, CSV_PAGE, STATEMENT_COLUMNS, USAGE_COLUMNS};
pub use platform::Put;
pub use sessions::{SESSION_IDLE, SESSION_LIFETIME};
pub use statements::{DEFAULT_STATEMENT_PAGE, MAX_STATEMENT_PAGE};
pub use upkeep::{Purged, DEFAULT_RETENTION_DAYS};
pub use usage::{Record, Recorded};

use crate::alerts::Alerts;
use crate::clock::Clock;
use crate::live::Live;
use crate::store::{At, CycleTotals, Store, StoreError, Tx, UserRow, WorkspaceRow};
use billing_domain::{
    by_flex_spend, BillingCycle, BillingState, DrawError, FlexError, PlanInfo, Role,
    ThresholdsError, UsageSummary, Viewer, WebhookUrlError, WorkspaceInfo,
};
use chrono::NaiveDate;
use std::time::Duration;

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Their id in the store.
    pub id: i64,
    /// Their email.
    pub email: String,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> User {
        User {
            id: row.id,
            email: row.email,
        }
    }
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
    /// Signed in by the OpenID provider, but a member of no workspace.
    NoWorkspace(String),
    /// The domain refused the change.
    Flex(FlexError),
    /// The domain refused the usage.
    Draw(DrawError),
    /// Only owners manage where alerts go.
    OwnersOnly,
    /// The notification thresholds are not up to five whole percents.
    Thresholds(ThresholdsError),
    /// The webhook address is not one alerts may be sent to.
    WebhookUrl(WebhookUrlError),
    /// The store cannot serve for now (a full disk, no connection): nothing
    /// was done, and the same request may succeed later.
    Unavailable(String),
    /// The store failed.
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> ServiceError {
        if e.is_unavailable() {
            ServiceError::Unavailable(e.to_string())
        } else {
            ServiceError::Internal(e.to_string())
        }
    }
}

impl From<FlexError> for ServiceError {
    fn from(e: FlexError) -> ServiceError {
        ServiceError::Flex(e)
    }
}

pub(crate) type Result<T> = std::result::Result<T, ServiceError>;

/// The billing operations, over any [`Store`].
#[derive(Clone)]
pub struct Service<S> {
    store: S,
    live: Live,
    alerts: Alerts,
    clock: Clock,
    /// Where usage records are queued for group commit; none: each
    /// request is metered in a transaction of its own.
    group: Option<usage::GroupWriter>,
}

impl<S: Store> Service<S> {
    /// A service over `store`, telling `live` of every change to a workspace's
    /// billing and queueing alerts as `alerts` says.
    pub fn new(store: S, live: Live, alerts: Alerts) -> Service<S> {
        Service {
            store,
            live,
            alerts,
            clock: Clock::System,
            group: None,
        }
    }

    /// The same service, its "now" from `clock` (`--clock-file` in tests).
    pub fn with_clock(self, clock: Clock) -> Service<S> {
        Service { clock, ..self }
    }

    /// The service's "now".
    pub fn clock(&self) -> &Clock {
        &self.clock
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
    Ok(UsageSummary {
        by_feature: Some(by_flex_spend(tx.feature_totals(ws.id, cycle.start)?)),
        ..summary(ws, tx.cycle_totals(ws.id, cycle.start)?)
    })
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
        // Read only where the whole state is read (`usage_of`).
        by_feature: None,
    }
}
