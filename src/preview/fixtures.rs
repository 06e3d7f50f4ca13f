//! The billing states `/preview` shows, built from one base so every fixture
//! is a small, readable change of it.

use billing_domain::{
    parse_utc, ActivityEntry, AuditAction, BillingCycle, BillingState, Channel, Credits, DaySpend,
    Delivery, DeliveryAttempt, DeliveryLog, DeliveryState, EventType, Feature, FeatureUsage,
    FlexSettings, FlexSnapshot, Moment, Money, PlanInfo, PlanInterval, Role, Statement,
    UsageSummary, Viewer, WebhookInfo, WorkspaceInfo,
};
use chrono::{DateTime, NaiveDate, Utc};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn at(text: &str) -> Moment {
    parse_utc(text).unwrap_or_default().into()
}

/// The moment every preview card counts its times from ("2 minutes ago"),
/// so the preview always words them the same.
pub fn now() -> DateTime<Utc> {
    parse_utc("2026-11-25T19:02:00Z").unwrap_or_default()
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
            flex_rate: Money::from_cents(400),
            prepaid_rate: Money::from_cents(300),
            blocked: false,
            by_feature: Some(Vec::new()),
        },
        viewer: Viewer {
            email: "owner@acme.test".into(),
            role: Role::Owner,
            can_manage: true,
        },
        today: day(2026, 11, 24),
        notice: None,
        flex_by_day: Vec::new(),
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

/// Flex spend of `cents`, as training (60%) and inference (40%) used it.
fn by_feature(cents: i64) -> Option<Vec<FeatureUsage>> {
    let feature = |name: &str, cents: i64| FeatureUsage {
        feature: Feature::parse(name).unwrap_or_else(Feature::other),
        credits: Credits::whole(cents / 400),
        flex_credits: Credits::whole(cents / 400),
        flex_spend: Money::from_cents(cents),
    };
    let training = cents * 3 / 5;
    Some(vec![
        feature("training", training),
        feature("inference", cents - training),
    ])
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
    s.usage.by_feature = by_feature(2_000);
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
    s.usage.by_feature = by_feature(cents);
    s
}

/// Flex spend of `cents_a_day` every day from Nov 10 to today (Nov 24) of the
/// $100 monthly cap: the forecast and the chart have something to draw.
pub fn spending(cents_a_day: i64) -> BillingState {
    let mut s = on_with_cap();
    s.flex_by_day = (10..=24)
        .map(|d| DaySpend {
            day: day(2026, 11, d),
            spend: Money::from_cents(cents_a_day),
        })
        .collect();
    let total = cents_a_day * 15;
    s.usage.flex_spend = Money::from_cents(total);
    s.usage.flex_credits = Credits::whole(total / 400);
    s.usage.by_feature = by_feature(total);
    s
}

/// The card's history: five changes (one by no person), newest first.
pub fn history() -> Vec<ActivityEntry> {
    let snap = |enabled, cents: Option<i64>| {
        Some(FlexSnapshot {
            enabled,
            cap: cents.map(Money::from_cents),
        })
    };
    let entry = |id, when: &str, actor: Option<&str>, action, old, new| ActivityEntry {
        id,
        at: at(when),
        actor: actor.map(Into::into),
        action,
        old,
        new,
        credits: None,
    };
    let (owner, admin) = (Some("owner@acme.test"), Some("admin@acme.test"));
    vec![
        entry(
            5,
            "2026-11-25T18:59:30Z",
            owner,
            AuditAction::CapSet,
            snap(true, Some(10_000)),
            snap(true, Some(25_000)),
        ),
        entry(
            4,
            "2026-11-25T16:00:00Z",
            owner,
            AuditAction::Enabled,
            snap(false, None),
            snap(true, Some(10_000)),
        ),
        entry(
            3,
            "2026-11-24T12:00:00Z",
            admin,
            AuditAction::Disabled,
            snap(true, None),
            snap(false, None),
        ),
        entry(
            2,
            "2026-11-20T09:30:00Z",
            admin,
            AuditAction::CapRemoved,
            snap(true, Some(50_000)),
            snap(true, None),
        ),
        entry(
            1,
            "2026-10-01T08:00:00Z",
            None,
            AuditAction::Enabled,
            snap(false, None),
            snap(true, Some(50_000)),
        ),
    ]
}

/// "Alert delivery" with no webhook and nothing sent; email off.
pub fn alerts_none() -> DeliveryLog {
    DeliveryLog {
        webhook: None,
        email: false,
        deliveries: Vec::new(),
    }
}

/// No webhook yet and nothing sent; email on. Registering one shows its secret.
pub fn alerts_email() -> DeliveryLog {
    DeliveryLog {
        email: true,
        ..alerts_none()
    }
}

/// The webhook address of the delivery log.
pub const HOOK: &str = "https://hooks.example.com/billing";

/// The signing secret the preview's server answers a registered webhook with.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Alerts delivered, one being retried and one given up, newest first.
pub fn alerts_sent() -> DeliveryLog {
    let attempt = |when: &str, status: Option<u16>, error: Option<&str>| DeliveryAttempt {
        at: at(when),
        status,
        error: error.map(Into::into),
    };
    let delivery = |id: &str, event_type, channel, target: &str, state, attempts| Delivery {
        id: id.into(),
        event_type,
        channel,
        target: target.into(),
        created_at: at("2026-11-25T18:59:00Z"),
        state,
        next_attempt_at: None,
        attempts,
    };
    DeliveryLog {
        webhook: Some(WebhookInfo {
            url: HOOK.into(),
            created_at: at("2026-11-20T09:00:00Z"),
            secret: None,
        }),
        email: true,
        deliveries: vec![
            delivery(
                "msg_3",
                EventType::ThresholdReached,
                Channel::Webhook,
                HOOK,
                DeliveryState::Delivered,
                vec![attempt("2026-11-25T18:59:00Z", Some(200), None)],
            ),
            delivery(
                "msg_2",
                EventType::ThresholdReached,
                Channel::Email,
                "admin@acme.test",
                DeliveryState::Retrying,
                vec![attempt(
                    "2026-11-25T18:59:00Z",
                    None,
                    Some("could not connect"),
                )],
            ),
            delivery(
                "msg_1",
                EventType::SettingsChanged,
                Channel::Webhook,
                "https://old-hooks.example.com",
                DeliveryState::Failed,
                vec![
                    attempt(
                        "2026-11-24T15:57:00Z",
                        Some(503),
                        Some("the receiver answered 503"),
                    ),
                    attempt(
                        "2026-11-25T15:57:00Z",
                        Some(503),
                        Some("the receiver answered 503"),
                    ),
                ],
            ),
        ],
    }
}

/// The last two cycles' statements, newest first: October with $412.00 of
/// Flex Usage, September without.
pub fn statements() -> Vec<Statement> {
    let statement = |id, start: NaiveDate, end: NaiveDate, cents| Statement {
        id,
        workspace: "acme".into(),
        cycle: BillingCycle { start, end },
        included_used: Credits::whole(30),
        prepaid_used: Credits::whole(10),
        flex_credits: Credits::whole(cents / 400),
        flex_amount: Money::from_cents(cents),
        cap: Some(Money::from_cents(50_000)),
        by_feature: by_feature(cents).unwrap_or_default(),
        closed_at: at(&format!("{end}T00:00:02Z")),
    };
    vec![
        statement(2, day(2026, 10, 1), day(2026, 11, 1), 41_200),
        statement(1, day(2026, 9, 1), day(2026, 10, 1), 0),
    ]
}

#[cfg(test)]
mod tests {
    //! The fixtures are what the preview promises: each shows the state its name says.
    use super::*;
    use billing_domain::{
        decide_cap_save, describe_activity, describe_delivery, Alert, CapError, CapSave,
    };

    #[test]
    fn the_history_and_the_log_read_at_the_preview_s_now_as_the_preview_shows_them() {
        let history: Vec<String> = history()
            .iter()
            .map(|e| describe_activity(e, now()))
            .collect();
        assert_eq!(
            history[..3],
            [
                "Cap set to $250.00 (was $100.00) by owner@acme.test, 2 minutes ago",
                "Flex Billing enabled with a $100.00 cap by owner@acme.test, 3 hours ago",
                "Flex Billing disabled by admin@acme.test, yesterday",
            ]
        );
        let log: Vec<String> = alerts_sent()
            .deliveries
            .iter()
            .map(|d| describe_delivery(d, now()))
            .collect();
        assert_eq!(
            log,
            [
                "80% alert sent to https://hooks.example.com/billing, 200, 3 minutes ago",
                "80% alert to admin@acme.test failed (could not connect), 3 minutes ago; trying again",
                "Settings change to https://old-hooks.example.com was not delivered: 2 tries over a day, the last 3 hours ago (503: the receiver answered 503)",
            ]
        );
    }

    #[test]
    fn forecast_fixtures_forecast_what_their_names_say() {
        assert_eq!(
            spending(500).forecast().unwrap().sentence(),
            "At this rate you'll reach your $100.00 cap around Nov 29."
        );
        assert_eq!(
            spending(300).forecast().unwrap().sentence(),
            "At this rate you'll spend about $63.00 by the reset on Dec 1, within your $100.00 cap."
        );
        assert_eq!(on_with_cap().forecast(), None, "no spend, no forecast");
    }

    #[test]
    fn alert_fixtures_raise_the_alerts_their_names_say() {
        assert!(matches!(
            spent(8_400).alerts()[..],
            [Alert::Warning { percent: 84, .. }, Alert::FlexActive { .. }]
        ));
        assert!(matches!(
            spent(10_000).alerts()[..],
            [Alert::CapReached { .. }]
        ));
        assert!(matches!(
            spent(2_000).alerts()[..],
            [Alert::FlexActive { .. }]
        ));
        assert!(monthly_off().alerts().is_empty());
    }

    #[test]
    fn card_fixtures_are_in_their_states() {
        assert!(!monthly_off().flex.enabled);
        assert_eq!(on_with_cap().flex.cap, Some(Money::from_cents(10_000)));
        assert!(on_without_cap().flex.enabled && on_without_cap().flex.cap.is_none());
        assert!(!read_only().viewer.can_manage);
        let annual = annual(on_with_cap());
        assert_eq!(
            (annual.plan.interval, annual.flex.cap),
            (PlanInterval::Year, Some(Money::from_cents(120_000)))
        );
    }

    #[test]
    fn the_preview_drafts_hit_the_states_they_show() {
        let saved = on_with_cap().flex.cap;
        assert_eq!(
            decide_cap_save(Some("0.50"), saved),
            CapSave::Invalid(CapError::BelowMinimum)
        );
        assert_eq!(
            decide_cap_save(Some("250"), saved),
            CapSave::Send(Money::from_cents(25_000))
        );
    }
}
