//! Request and response bodies of the billing API, shared by server and page.

use crate::{alerts, Alert, BillingCycle, Credits, Draw, Money, PlanInterval, Role};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// `GET /api/workspaces/{ws}/billing`, and the answer to every change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    pub today: NaiveDate,
}

impl BillingState {
    /// The alerts this state calls for; see [`alerts`](crate::alerts()).
    pub fn alerts(&self) -> Vec<Alert> {
        alerts(&self.flex, &self.usage, &self.cycle, self.today)
    }
}

/// A workspace as the page names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceInfo {
    /// URL identifier, e.g. `acme`.
    pub slug: String,
    /// Display name, e.g. `Acme Robotics`.
    pub name: String,
}

/// The workspace's plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInfo {
    /// Display name, e.g. `Growth`.
    pub name: String,
    /// Monthly or annual billing.
    pub interval: PlanInterval,
}

/// Flex Billing settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlexSettings {
    /// Whether the payment method on file is charged for Flex Usage.
    pub enabled: bool,
    /// Spend limit per billing cycle; `None` is unlimited.
    pub cap: Option<Money>,
    /// The cap that enabling sets for this plan's interval.
    pub default_cap: Money,
    /// Increases with every change; a change may name the version it expects.
    pub version: u64,
}

/// Credits and Flex Usage in the current cycle.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// The signed-in person looking at the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// Their email.
    pub email: String,
    /// Their role in this workspace.
    pub role: Role,
    /// Whether they may change Flex Billing.
    pub can_manage: bool,
}

/// `PUT /api/workspaces/{ws}/flex/cap`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetCapRequest {
    /// The cap as typed or as a plain decimal string; read with [`crate::parse_cap`].
    pub cap: String,
    /// If given, the change applies only while the settings are at this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// Optional body of enable, disable and remove-cap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// If given, the change applies only while the settings are at this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// `POST /api/workspaces/{ws}/usage` (metering).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRequest {
    /// Credits consumed; more than zero, at most four decimal places.
    pub credits: Credits,
    /// Recording the same key twice records once.
    pub idempotency_key: String,
}

/// The answer to a usage record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageResponse {
    /// How the credits were paid for.
    pub draw: Draw,
    /// True when this key had already been recorded (nothing new was drawn).
    pub replayed: bool,
    /// Usage after this record.
    pub usage: UsageSummary,
}

/// Every error the API answers: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One API error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `cap_below_minimum`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}
