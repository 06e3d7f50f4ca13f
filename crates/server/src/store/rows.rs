//! The rows the store reads and writes, as the service sees them, and how
//! both stores encode amounts and moments.

use super::{StoreError, StoreResult};
use billing_domain::{
    AuditAction, BillingCycle, Channel, Credits, Draw, EventType, Feature, FeatureUsage,
    FlexSettings, FlexSnapshot, Money, PlanInterval, Role, ValidUsage,
};
use chrono::NaiveDate;

/// A moment, in UTC.
pub type At = chrono::DateTime<chrono::Utc>;

/// One line of the audit trail: what a change did, and the settings before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    pub action: AuditAction,
    pub old: FlexSnapshot,
    pub new: FlexSnapshot,
    /// Credits the line is about (prepaid credits added), if any.
    pub credits: Option<Credits>,
}

/// A sign-in through OpenID Connect, started and not yet finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// The SHA-256 of the browser's sign-in cookie.
    pub id_hash: String,
    /// The `state` sent to the provider.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier.
    pub verifier: String,
    /// Where to go once signed in (a local path).
    pub next: String,
    /// When it may no longer be finished.
    pub expires_at: At,
}

/// What adding prepaid credits under an idempotency key came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Added now.
    Added,
    /// This key added these very credits before: nothing new.
    Replayed,
    /// This key added other credits before: nothing done.
    Conflict,
}

/// A person, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Their id in the store.
    pub id: i64,
    /// Their email.
    pub email: String,
}

/// A workspace and its billing settings.
#[derive(Debug, Clone)]
pub struct WorkspaceRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub plan_name: String,
    pub interval: PlanInterval,
    /// First day of the first billing cycle.
    pub anchor: NaiveDate,
    pub included: Credits,
    pub flex_rate: Money,
    pub prepaid_rate: Money,
    pub prepaid_balance: Credits,
    pub flex: FlexSettings,
    /// The cycle whose statement is still to come (none: not yet known, as
    /// for a workspace made before statements).
    pub open_cycle: Option<BillingCycle>,
    /// The notification thresholds (percents of the cap), lowest first.
    pub alert_thresholds: Vec<u8>,
}

/// One usage record as the CSV lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageLine {
    pub id: i64,
    pub recorded_at: At,
    pub key: String,
    pub feature: String,
    pub credits: Credits,
    pub draw: Draw,
}

/// A cycle's statement, as it is written when the cycle closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatement {
    pub cycle: BillingCycle,
    pub included: Credits,
    pub prepaid: Credits,
    pub flex: Credits,
    pub flex_cost: Money,
    pub cap: Option<Money>,
    pub by_feature: Vec<FeatureUsage>,
    pub closed_at: At,
}

impl NewStatement {
    /// The statement as written: its `id`, for the workspace `slug`.
    pub fn written(self, id: i64, slug: &str) -> billing_domain::Statement {
        billing_domain::Statement {
            id,
            workspace: slug.to_string(),
            cycle: self.cycle,
            included_used: self.included,
            prepaid_used: self.prepaid,
            flex_credits: self.flex,
            flex_amount: self.flex_cost,
            cap: self.cap,
            by_feature: self.by_feature,
            closed_at: self.closed_at.into(),
        }
    }
}

/// A workspace to create, with its plan and its first Flex Billing settings
/// (version 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkspace {
    pub slug: String,
    pub name: String,
    pub plan_name: String,
    pub interval: PlanInterval,
    /// First day of the first billing cycle.
    pub anchor: NaiveDate,
    pub included: Credits,
    pub flex_rate: Money,
    pub prepaid_rate: Money,
    pub prepaid_balance: Credits,
    pub flex: FlexSnapshot,
}

/// The running totals of one billing cycle: what has been drawn, and the
/// latest settings version under which usage was refused at the cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleTotals {
    pub included: Credits,
    pub prepaid: Credits,
    pub flex: Credits,
    pub flex_cost: Money,
    pub blocked_version: Option<u64>,
}

impl CycleTotals {
    /// The totals after `draw`.
    pub fn with(self, draw: &Draw) -> CycleTotals {
        CycleTotals {
            included: self.included + draw.included,
            prepaid: self.prepaid + draw.prepaid,
            flex: self.flex + draw.flex,
            flex_cost: self.flex_cost + draw.flex_cost,
            ..self
        }
    }

    /// What has been drawn, as one draw.
    pub fn drawn(self) -> Draw {
        Draw {
            included: self.included,
            prepaid: self.prepaid,
            flex: self.flex,
            flex_cost: self.flex_cost,
        }
    }
}

/// What a metering group reads under its locks ([`crate::store::Tx::metering_reads`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeteringReads {
    /// The running totals of each cycle asked for, in the order asked.
    pub totals: Vec<CycleTotals>,
    /// The records stored under the keys asked for, by workspace and key.
    pub stored: std::collections::HashMap<(i64, String), StoredUsage>,
}

/// A usage record to store: its workspace, its cycle, what it asked and how it was drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUsage<'a> {
    pub workspace_id: i64,
    pub cycle_start: NaiveDate,
    pub usage: &'a ValidUsage,
    pub draw: Draw,
}

/// What a group of usage records adds up to, as a store writes it: the sum
/// of the draws of each workspace's cycle, and of each feature in it (first
/// seen first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageSums<'a> {
    /// Workspace, cycle start, what was drawn.
    pub cycles: Vec<(i64, NaiveDate, Draw)>,
    /// Workspace, cycle start, the feature's usage.
    pub features: Vec<(i64, NaiveDate, FeatureSum<'a>)>,
}

/// One feature's part of a group: credits from every source, of those flex
/// credits, and what they cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSum<'a> {
    pub feature: &'a Feature,
    pub credits: Credits,
    pub flex: Credits,
    pub flex_cost: Money,
}

impl<'a> UsageSums<'a> {
    /// The sums of `records`.
    pub fn of(records: &[NewUsage<'a>]) -> UsageSums<'a> {
        use std::collections::HashMap;
        let mut cycles: Vec<(i64, NaiveDate, CycleTotals)> = Vec::new();
        let mut cycle_at: HashMap<(i64, NaiveDate), usize> = HashMap::new();
        let mut features: Vec<(i64, NaiveDate, FeatureSum<'a>)> = Vec::new();
        let mut feature_at: HashMap<(i64, NaiveDate, &Feature), usize> = HashMap::new();
        for r in records {
            let at = *cycle_at
                .entry((r.workspace_id, r.cycle_start))
                .or_insert_with(|| {
                    cycles.push((r.workspace_id, r.cycle_start, CycleTotals::default()));
                    cycles.len() - 1
                });
            cycles[at].2 = cycles[at].2.with(&r.draw);
            let at = *feature_at
                .entry((r.workspace_id, r.cycle_start, &r.usage.feature))
                .or_insert_with(|| {
                    features.push((
                        r.workspace_id,
                        r.cycle_start,
                        FeatureSum {
                            feature: &r.usage.feature,
                            credits: Credits::ZERO,
                            flex: Credits::ZERO,
                            flex_cost: Money::ZERO,
                        },
                    ));
                    features.len() - 1
                });
            let f = &mut features[at].2;
            f.credits = f.credits + r.usage.credits;
            f.flex = f.flex + r.draw.flex;
            f.flex_cost = f.flex_cost + r.draw.flex_cost;
        }
        UsageSums {
            cycles: cycles
                .into_iter()
                .map(|(ws, start, sum)| (ws, start, sum.drawn()))
                .collect(),
            features,
        }
    }
}

/// A usage record already stored under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUsage {
    pub credits: Credits,
    pub feature: Feature,
    pub draw: Draw,
}

/// A workspace's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWebhook {
    pub url: String,
    /// `whsec_…`: the signing secret.
    pub secret: String,
    pub created_at: At,
}

/// An alert to deliver, as it goes into the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// `msg_…`: the `webhook-id`, the same for every attempt.
    pub event_id: String,
    pub channel: Channel,
    pub event_type: EventType,
    /// The webhook URL or the email address.
    pub target: String,
    /// The webhook body, or the email as JSON (`subject`, `body`).
    pub payload: String,
    /// To the platform's billing webhook, not the workspace's.
    pub to_platform: bool,
}

/// A delivery due now, taken by one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    pub id: i64,
    pub event_id: String,
    pub channel: Channel,
    pub target: String,
    pub payload: String,
    pub created_at: At,
    /// The workspace's signing secret now (none: the endpoint was removed).
    pub secret: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
    /// To the platform's billing webhook (signed with its secret).
    pub to_platform: bool,
}

/// One attempt at a delivery, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub at: At,
    /// The receiver's status (HTTP) or reply code (SMTP), if it answered.
    pub status: Option<u16>,
    /// Why it failed, in words; none when it was delivered.
    pub error: Option<String>,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    RetryAt(At),
    GiveUp,
}

/// Credits are stored in ten-thousandths of a credit, as whole numbers, in both stores.
const E4: i64 = 10_000;

/// `c` in ten-thousandths, or why it does not fit.
pub(crate) fn e4(c: Credits) -> StoreResult<i64> {
    c.amount()
        .checked_mul(rust_decimal::Decimal::from(E4))
        .filter(|scaled| scaled.fract().is_zero())
        .and_then(|scaled| i64::try_from(scaled).ok())
        .ok_or_else(|| {
            StoreError::new(format!(
                "{c} credits do not fit the store's ten-thousandths"
            ))
        })
}

/// Credits from ten-thousandths.
pub(crate) fn credits(e4: i64) -> Credits {
    Credits::new(rust_decimal::Decimal::new(e4, 4))
}

/// Moments as SQLite keeps them and the API shows them: RFC 3339 in UTC, to
/// the second ([`billing_domain::Moment`]); fixed width, so text order is time order.
pub(crate) fn at_text(at: At) -> String {
    billing_domain::Moment::from(at).to_string()
}

/// The SQL list of the roles `rule` admits, from the domain's roles and their
/// stored names: `roles_sql(Role::can_manage_billing)` is `('owner', 'admin')`.
/// A rule that admits none gives `(NULL)`, which matches no row.
pub(crate) fn roles_sql(rule: fn(Role) -> bool) -> String {
    let names: Vec<String> = Role::ALL
        .into_iter()
        .filter(|&r| rule(r))
        .map(|r| format!("'{}'", r.as_str()))
        .collect();
    if names.is_empty() {
        "(NULL)".into()
    } else {
        format!("({})", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_lists_come_from_the_domains_rules() {
        assert_eq!(roles_sql(Role::can_manage_billing), "('owner', 'admin')");
        assert_eq!(roles_sql(Role::manages_alerts), "('owner')");
        assert_eq!(roles_sql(|_| false), "(NULL)");
    }

    #[test]
    fn credits_are_kept_in_ten_thousandths() {
        let c = Credits::new(rust_decimal::Decimal::new(12_345, 4));
        assert_eq!(e4(c), Ok(12_345));
        assert_eq!(credits(12_345), c);
        assert!(e4(Credits::new(rust_decimal::Decimal::new(1, 5))).is_err());
    }
}
