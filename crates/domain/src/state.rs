//! The billing model: what a workspace's Flex Billing looks like at one moment,
//! as the server reads it and the page shows it.

use crate::{
    forecast, BillingCycle, Credits, DaySpend, FeatureUsage, Forecast, Money, PlanInterval, Role,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// `GET /api/workspaces/{ws}/billing`, and the answer to every change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingState {
    /// The workspace.
    pub workspace: WorkspaceInfo,
    /// Its plan.
    pub plan: PlanInfo,
    /// The current billing cycle.
    pub cycle: BillingCycle,
    /// Flex Billing settings.
    pub flex: FlexSettings,
    /// Credits and Flex Usage this cycle.
    pub usage: UsageSummary,
    /// Who is looking, and what they may do.
    pub viewer: Viewer,
    /// The server's date when this was read (UTC), so page and server agree on the cycle.
    #[serde(with = "crate::date_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub today: NaiveDate,
    /// A change's answer may say something about it for people, e.g. that a
    /// cap set below this cycle's spend blocks Flex Usage at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// This cycle's flex spend by day, oldest first; days without flex spend
    /// are left out. The forecast and the chart are drawn from it.
    #[serde(default)]
    pub flex_by_day: Vec<DaySpend>,
}

impl BillingState {
    /// The version rule: a state read later (a fetch, a change's answer) may
    /// replace the `shown` one only if its Flex Billing settings are not older,
    /// so a slow answer never undoes a change made since.
    pub fn may_replace(&self, shown: &BillingState) -> bool {
        self.flex.version >= shown.flex.version
    }

    /// Where flex spend is heading this cycle ([`forecast`]); none while
    /// Flex Billing is off, as no flex spend can follow.
    pub fn forecast(&self) -> Option<Forecast> {
        if !self.flex.enabled {
            return None;
        }
        forecast(&self.cycle, self.today, &self.flex_by_day, self.flex.cap)
    }
}

/// A workspace as the page names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceInfo {
    /// URL identifier, e.g. `acme`.
    pub slug: String,
    /// Display name, e.g. `Acme Robotics`.
    pub name: String,
}

/// The workspace's plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanInfo {
    /// Display name, e.g. `Growth`.
    pub name: String,
    /// Monthly or annual billing.
    pub interval: PlanInterval,
}

/// Flex Billing settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlexSettings {
    /// Whether the payment method on file is charged for Flex Usage.
    pub enabled: bool,
    /// Spend limit per billing cycle; `None` is unlimited.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub cap: Option<Money>,
    /// The cap that enabling sets for this plan's interval.
    pub default_cap: Money,
    /// Increases with every change; a change may name the version it expects.
    pub version: u64,
}

/// Credits and Flex Usage in the current cycle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageSummary {
    /// Included credits used this cycle.
    pub included_used: Credits,
    /// Included credits this cycle.
    pub included_total: Credits,
    /// Prepaid credits held.
    pub prepaid_balance: Credits,
    /// Flex credits used this cycle.
    pub flex_credits: Credits,
    /// What the flex credits cost this cycle.
    pub flex_spend: Money,
    /// Dollars per flex credit.
    pub flex_rate: Money,
    /// Dollars per prepaid credit (cheaper than flex).
    pub prepaid_rate: Money,
    /// True when usage was refused at the flex cap this cycle since the flex
    /// settings last changed: work that needs credits is being blocked, even
    /// if spend itself is a little under the cap.
    pub blocked: bool,
    /// This cycle's usage by feature, largest flex spend first. In the
    /// billing state; left out of a usage record's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_feature: Option<Vec<FeatureUsage>>,
}

/// The signed-in person looking at the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Viewer {
    /// Their email.
    pub email: String,
    /// Their role in this workspace.
    pub role: Role,
    /// Whether they may change Flex Billing.
    pub can_manage: bool,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// A monthly workspace with Flex Billing on at the default cap.
    pub(crate) fn sample() -> BillingState {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        BillingState {
            workspace: WorkspaceInfo {
                slug: "acme".into(),
                name: "Acme Robotics".into(),
            },
            plan: PlanInfo {
                name: "Growth".into(),
                interval: PlanInterval::Month,
            },
            cycle: BillingCycle {
                start: day(11, 1),
                end: day(12, 1),
            },
            flex: FlexSettings {
                enabled: true,
                cap: Some(Money::from_cents(10_000)),
                default_cap: Money::from_cents(10_000),
                version: 3,
            },
            usage: UsageSummary::default(),
            viewer: Viewer {
                email: "owner@acme.test".into(),
                role: Role::Owner,
                can_manage: true,
            },
            today: day(11, 24),
            notice: None,
            flex_by_day: Vec::new(),
        }
    }

    #[test]
    fn an_older_state_never_replaces_a_newer_one() {
        let shown = sample();
        let mut newer = shown.clone();
        newer.flex.version += 1;
        newer.flex.cap = None;
        let mut older = shown.clone();
        older.flex.version -= 1;
        older.usage.flex_spend = Money::from_cents(5_000);
        assert!(newer.may_replace(&shown));
        assert!(
            !older.may_replace(&shown),
            "a slow answer must not undo a change"
        );
        let mut refreshed = shown.clone();
        refreshed.usage.flex_spend = Money::from_cents(2_000);
        assert!(
            refreshed.may_replace(&shown),
            "same version: fresher usage is taken"
        );
    }
}
