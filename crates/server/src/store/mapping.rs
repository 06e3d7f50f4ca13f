//! How a row of either store becomes what the service sees: written once, over
//! [`Columns`], which each store implements for its own rows (SQLite keeps
//! moments and days as text, PostgreSQL as `TIMESTAMPTZ` and `DATE`). Each
//! store's `tx.rs` keeps only its SQL and the binding of its parameters.
//!
//! Stored names (roles, plan intervals, channels, event types, audit actions)
//! are read with the domain's `parse`: a name that does not read back is a
//! [`StoreError`], never a guess.

use super::{
    credits, At, CycleTotals, DueDelivery, SignIn, StoreError, StoreResult, StoredUsage,
    StoredWebhook, UserRow, WorkspaceRow,
};
use billing_domain::{
    ActivityEntry, AuditAction, BillingCycle, Channel, DaySpend, Delivery, DeliveryAttempt,
    DeliveryState, Draw, EventType, Feature, FeatureUsage, FlexSettings, FlexSnapshot, Money,
    PlanInterval, Role, Statement, WorkspaceLink,
};
use chrono::NaiveDate;

/// The columns of one row, read by name, as the values both stores keep.
pub(crate) trait Columns {
    /// A whole number (any width).
    fn int(&self, col: &str) -> StoreResult<i64>;
    /// A whole number or NULL.
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>>;
    /// A yes or no.
    fn flag(&self, col: &str) -> StoreResult<bool>;
    /// Text.
    fn text(&self, col: &str) -> StoreResult<String>;
    /// Text or NULL.
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>>;
    /// A moment.
    fn moment(&self, col: &str) -> StoreResult<At>;
    /// A moment or NULL.
    fn opt_moment(&self, col: &str) -> StoreResult<Option<At>>;
    /// A day.
    fn date(&self, col: &str) -> StoreResult<NaiveDate>;
    /// A day or NULL.
    fn opt_date(&self, col: &str) -> StoreResult<Option<NaiveDate>>;
    /// JSON or NULL (JSON that does not read is NULL).
    fn opt_json(&self, col: &str) -> StoreResult<Option<serde_json::Value>>;
}

/// `text` read back as one of the domain's names, or why it does not.
fn name<T>(text: String, what: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(&text).ok_or_else(|| StoreError::new(format!("unknown {what} {text:?} in the store")))
}

/// A whole number that cannot be negative.
fn count<T: TryFrom<i64>>(n: i64, what: &str) -> StoreResult<T> {
    T::try_from(n).map_err(|_| StoreError::new(format!("{what} {n} out of range in the store")))
}

/// The role in column `role`.
pub(crate) fn role(r: &dyn Columns) -> StoreResult<Role> {
    name(r.text("role")?, "role", Role::parse)
}

/// A workspace row, as every workspace read selects it (`workspace_columns!`
/// in each store).
pub(crate) fn workspace(r: &dyn Columns) -> StoreResult<WorkspaceRow> {
    let interval = name(
        r.text("plan_interval")?,
        "plan interval",
        PlanInterval::parse,
    )?;
    Ok(WorkspaceRow {
        id: r.int("id")?,
        slug: r.text("slug")?,
        name: r.text("name")?,
        plan_name: r.text("plan_name")?,
        interval,
        anchor: r.date("plan_anchor")?,
        included: credits(r.int("included_e4")?),
        flex_rate: Money::from_cents(r.int("flex_rate_cents")?),
        prepaid_rate: Money::from_cents(r.int("prepaid_rate_cents")?),
        prepaid_balance: credits(r.int("prepaid_e4")?),
        flex: FlexSettings {
            enabled: r.flag("flex_enabled")?,
            cap: r.opt_int("flex_cap_cents")?.map(Money::from_cents),
            default_cap: interval.default_cap(),
            version: count(r.int("flex_version")?, "flex version")?,
        },
        alert_thresholds: serde_json::from_str(&r.text("alert_thresholds")?)
            .map_err(|e| StoreError::new(format!("alert_thresholds: {e}")))?,
        open_cycle: match (
            r.opt_date("open_cycle_start")?,
            r.opt_date("open_cycle_end")?,
        ) {
            (Some(start), Some(end)) => Some(BillingCycle { start, end }),
            _ => None,
        },
    })
}

/// One usage record for the CSV.
pub(crate) fn usage_line(r: &dyn Columns) -> StoreResult<super::UsageLine> {
    Ok(super::UsageLine {
        id: r.int("id")?,
        recorded_at: r.moment("recorded_at")?,
        key: r.text("idempotency_key")?,
        feature: r.text("feature")?,
        credits: credits(r.int("credits_e4")?),
        draw: Draw {
            included: credits(r.int("included_e4")?),
            prepaid: credits(r.int("prepaid_e4")?),
            flex: credits(r.int("flex_e4")?),
            flex_cost: Money::from_cents(r.int("flex_cost_cents")?),
        },
    })
}

/// The notification thresholds as they are kept: a JSON array.
pub(crate) fn thresholds_json(thresholds: &[u8]) -> String {
    serde_json::to_string(thresholds).unwrap_or_else(|_| "[]".into())
}

/// One statement, with its workspace's `slug`.
pub(crate) fn statement(r: &dyn Columns) -> StoreResult<Statement> {
    let by_feature: Vec<FeatureUsage> = serde_json::from_str(&r.text("by_feature")?)
        .map_err(|e| StoreError::new(format!("a statement's by_feature: {e}")))?;
    Ok(Statement {
        id: r.int("id")?,
        workspace: r.text("slug")?,
        cycle: BillingCycle {
            start: r.date("cycle_start")?,
            end: r.date("cycle_end")?,
        },
        included_used: credits(r.int("included_e4")?),
        prepaid_used: credits(r.int("prepaid_e4")?),
        flex_credits: credits(r.int("flex_e4")?),
        flex_amount: Money::from_cents(r.int("flex_cost_cents")?),
        cap: r.opt_int("cap_cents")?.map(Money::from_cents),
        by_feature,
        closed_at: r.moment("closed_at")?.into(),
    })
}

/// A person: `id`, `email`.
pub(crate) fn user(r: &dyn Columns) -> StoreResult<UserRow> {
    Ok(UserRow {
        id: r.int("id")?,
        email: r.text("email")?,
    })
}

/// The column `email`.
pub(crate) fn email(r: &dyn Columns) -> StoreResult<String> {
    r.text("email")
}

/// A workspace in a person's list: `slug`, `name`, `role`.
pub(crate) fn workspace_link(r: &dyn Columns) -> StoreResult<WorkspaceLink> {
    Ok(WorkspaceLink {
        slug: r.text("slug")?,
        name: r.text("name")?,
        role: role(r)?,
    })
}

/// A cycle's running totals.
pub(crate) fn cycle_totals(r: &dyn Columns) -> StoreResult<CycleTotals> {
    Ok(CycleTotals {
        included: credits(r.int("included_e4")?),
        prepaid: credits(r.int("prepaid_e4")?),
        flex: credits(r.int("flex_e4")?),
        flex_cost: Money::from_cents(r.int("flex_cost_cents")?),
        blocked_version: r
            .opt_int("blocked_version")?
            .map(|v| count(v, "blocked version"))
            .transpose()?,
    })
}

/// A usage record: what was asked and how it was drawn.
pub(crate) fn stored_usage(r: &dyn Columns) -> StoreResult<StoredUsage> {
    Ok(StoredUsage {
        credits: credits(r.int("credits_e4")?),
        feature: feature(r)?,
        draw: Draw {
            included: credits(r.int("included_e4")?),
            prepaid: credits(r.int("prepaid_e4")?),
            flex: credits(r.int("flex_e4")?),
            flex_cost: Money::from_cents(r.int("flex_cost_cents")?),
        },
    })
}

/// The `feature` column, as the domain checked it when the record came in.
fn feature(r: &dyn Columns) -> StoreResult<Feature> {
    let name = r.text("feature")?;
    Feature::parse(&name)
        .ok_or_else(|| StoreError::new(format!("a stored feature is not one: {name:?}")))
}

/// One feature's running totals in a cycle.
pub(crate) fn feature_usage(r: &dyn Columns) -> StoreResult<FeatureUsage> {
    Ok(FeatureUsage {
        feature: feature(r)?,
        credits: credits(r.int("credits_e4")?),
        flex_credits: credits(r.int("flex_e4")?),
        flex_spend: Money::from_cents(r.int("flex_cost_cents")?),
    })
}

/// One day's flex spend.
pub(crate) fn day_spend(r: &dyn Columns) -> StoreResult<DaySpend> {
    Ok(DaySpend {
        day: r.date("day")?,
        spend: Money::from_cents(r.int("flex_cost_cents")?),
    })
}

/// One line of the audit trail, with who made it (`email`).
pub(crate) fn activity_entry(r: &dyn Columns) -> StoreResult<ActivityEntry> {
    let snapshot = |col: &str| -> StoreResult<Option<FlexSnapshot>> {
        Ok(r.opt_json(col)?
            .and_then(|v| serde_json::from_value::<FlexSnapshot>(v).ok()))
    };
    Ok(ActivityEntry {
        id: r.int("id")?,
        at: r.moment("at")?.into(),
        actor: r.opt_text("email")?,
        action: name(r.text("action")?, "audit action", AuditAction::parse)?,
        old: snapshot("old_value")?,
        new: snapshot("new_value")?,
        credits: r.opt_int("credits_e4")?.map(credits),
    })
}

/// A sign-in started.
pub(crate) fn sign_in(r: &dyn Columns) -> StoreResult<SignIn> {
    Ok(SignIn {
        id_hash: r.text("id")?,
        state: r.text("state")?,
        nonce: r.text("nonce")?,
        verifier: r.text("verifier")?,
        next: r.text("next")?,
        expires_at: r.moment("expires_at")?,
    })
}

/// A workspace's webhook endpoint.
pub(crate) fn webhook(r: &dyn Columns) -> StoreResult<StoredWebhook> {
    Ok(StoredWebhook {
        url: r.text("url")?,
        secret: r.text("secret")?,
        created_at: r.moment("created_at")?,
    })
}

/// A delivery taken to be made now, with its workspace's `secret` and its `attempts` so far.
pub(crate) fn due_delivery(r: &dyn Columns) -> StoreResult<DueDelivery> {
    Ok(DueDelivery {
        id: r.int("id")?,
        event_id: r.text("event_id")?,
        channel: name(r.text("channel")?, "channel", Channel::parse)?,
        target: r.text("target")?,
        payload: r.text("payload")?,
        created_at: r.moment("created_at")?,
        secret: r.opt_text("secret")?,
        attempts: count(r.int("attempts")?, "attempt count")?,
        to_platform: r.flag("to_platform")?,
    })
}

/// A row of the outbox for the delivery log, before its attempts are read.
pub(crate) struct OutboxRow {
    /// The outbox row's id, whose attempts are to be read.
    pub(crate) id: i64,
    event_id: String,
    event_type: EventType,
    channel: Channel,
    target: String,
    created_at: At,
    next_attempt_at: Option<At>,
    delivered: bool,
    gave_up: bool,
}

/// A row of the outbox.
pub(crate) fn outbox_row(r: &dyn Columns) -> StoreResult<OutboxRow> {
    Ok(OutboxRow {
        id: r.int("id")?,
        event_id: r.text("event_id")?,
        event_type: name(r.text("event_type")?, "event type", EventType::parse)?,
        channel: name(r.text("channel")?, "channel", Channel::parse)?,
        target: r.text("target")?,
        created_at: r.moment("created_at")?,
        next_attempt_at: r.opt_moment("next_attempt_at")?,
        delivered: r.opt_moment("delivered_at")?.is_some(),
        gave_up: r.opt_moment("gave_up_at")?.is_some(),
    })
}

impl OutboxRow {
    /// The delivery, with its `attempts` (oldest first) and the state they make.
    pub(crate) fn with_attempts(self, attempts: Vec<DeliveryAttempt>) -> Delivery {
        let state = DeliveryState::of(self.delivered, self.gave_up, !attempts.is_empty());
        let open = !self.delivered && !self.gave_up;
        Delivery {
            id: self.event_id,
            event_type: self.event_type,
            channel: self.channel,
            target: self.target,
            created_at: self.created_at.into(),
            state,
            next_attempt_at: self.next_attempt_at.filter(|_| open).map(Into::into),
            attempts,
        }
    }
}

/// One attempt at a delivery.
pub(crate) fn delivery_attempt(r: &dyn Columns) -> StoreResult<DeliveryAttempt> {
    Ok(DeliveryAttempt {
        at: r.moment("at")?.into(),
        status: r
            .opt_int("status_code")?
            .map(|s| count(s, "status code"))
            .transpose()?,
        error: r.opt_text("error")?,
    })
}
