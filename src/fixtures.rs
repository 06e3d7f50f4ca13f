//! The states `/preview` shows, built from one base so every fixture is a
//! small, readable change of it.

use crate::api::{ApiError, Change};
use billing_domain::api::*;
use billing_domain::{BillingCycle, Credits, Money, PlanInterval, Role};
use chrono::NaiveDate;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A monthly workspace, Flex Billing off, owner viewing.
pub fn monthly_off() -> BillingState {
    BillingState {
        workspace: WorkspaceInfo {
            slug: "acme".into(),
            name: "Acme Robotics".into(),
        },
        plan: PlanInfo {
            name: "Growth".into(),
            interval: PlanInterval::Month,
            included_credits: Credits::whole(30),
            flex_rate: Money::from_cents(400),
            prepaid_rate: Money::from_cents(300),
        },
        cycle: BillingCycle {
            start: day(2026, 11, 1),
            end: day(2026, 12, 1),
        },
        flex: FlexSettings {
            enabled: false,
            cap: None,
            default_cap: Money::from_cents(10_000),
            version: 1,
        },
        usage: UsageSummary {
            included_used: Credits::whole(12),
            included_total: Credits::whole(30),
            prepaid_balance: Credits::whole(10),
            flex_credits: Credits::ZERO,
            flex_spend: Money::ZERO,
        },
        viewer: Viewer {
            email: "owner@acme.test".into(),
            role: Role::Owner,
            can_manage: true,
        },
        today: day(2026, 11, 24),
    }
}

/// The annual form of a state: yearly cycle, $1,200 default cap.
pub fn annual(mut s: BillingState) -> BillingState {
    s.workspace = WorkspaceInfo {
        slug: "globex".into(),
        name: "Globex".into(),
    };
    s.plan.name = "Enterprise".into();
    s.plan.interval = PlanInterval::Year;
    s.plan.included_credits = Credits::whole(360);
    s.usage.included_total = Credits::whole(360);
    s.cycle = BillingCycle {
        start: day(2026, 3, 1),
        end: day(2027, 3, 1),
    };
    s.flex.default_cap = PlanInterval::Year.default_cap();
    if s.flex.cap == Some(PlanInterval::Month.default_cap()) {
        s.flex.cap = Some(PlanInterval::Year.default_cap());
    }
    s
}

/// Flex Billing on with the default cap and some flex spend.
pub fn on_with_cap() -> BillingState {
    let mut s = monthly_off();
    s.flex = FlexSettings {
        enabled: true,
        cap: Some(Money::from_cents(10_000)),
        default_cap: Money::from_cents(10_000),
        version: 2,
    };
    s.usage.included_used = Credits::whole(30);
    s.usage.prepaid_balance = Credits::ZERO;
    s.usage.flex_credits = Credits::whole(5);
    s.usage.flex_spend = Money::from_cents(2_000);
    s
}

/// Flex Billing on without a cap.
pub fn on_without_cap() -> BillingState {
    let mut s = on_with_cap();
    s.flex.cap = None;
    s
}

/// On with a cap, viewed by a member.
pub fn read_only() -> BillingState {
    let mut s = on_with_cap();
    s.viewer = Viewer {
        email: "member@acme.test".into(),
        role: Role::Member,
        can_manage: false,
    };
    s
}

/// Spend at `cents` of the $100 cap.
pub fn spent(cents: i64) -> BillingState {
    let mut s = on_with_cap();
    s.usage.flex_spend = Money::from_cents(cents);
    s.usage.flex_credits = Credits::whole(cents / 400);
    s
}

/// What the preview's backend does when a component asks for a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewBehaviour {
    /// Applies the change to the fixture.
    Succeed,
    /// Answers a server error.
    Fail,
    /// Never answers, to show the in-progress state.
    Hang,
}

impl PreviewBehaviour {
    fn failure() -> ApiError {
        ApiError::Failed {
            status: 500,
            code: "internal".into(),
            message: "Something went wrong on our side. Try again.".into(),
        }
    }

    /// The preview's "load".
    pub async fn billing(self) -> Result<BillingState, ApiError> {
        match self {
            PreviewBehaviour::Succeed => Ok(monthly_off()),
            PreviewBehaviour::Fail => Err(Self::failure()),
            PreviewBehaviour::Hang => std::future::pending().await,
        }
    }

    /// The preview's change: applied to `current` as the server would.
    pub async fn apply(
        self,
        change: Change,
        mut current: BillingState,
    ) -> Result<BillingState, ApiError> {
        match self {
            PreviewBehaviour::Fail => return Err(Self::failure()),
            PreviewBehaviour::Hang => return std::future::pending().await,
            PreviewBehaviour::Succeed => {}
        }
        let flex = &mut current.flex;
        match change {
            Change::Enable => {
                flex.enabled = true;
                flex.cap = Some(current.plan.interval.default_cap());
            }
            Change::Disable => {
                flex.enabled = false;
                flex.cap = None;
            }
            Change::SetCap(cap) => flex.cap = Some(cap),
            Change::RemoveCap => flex.cap = None,
        }
        flex.version += 1;
        Ok(current)
    }
}
