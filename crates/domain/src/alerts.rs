//! Which Flex Usage alerts a workspace should see.

use crate::{
    human_date, BillingCycle, BillingState, FlexSettings, Money, PlanInterval, UsageSummary,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Share of the cap at which the warning appears.
pub const WARNING_PERCENT: u32 = 80;

/// One alert about Flex Usage.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Alert {
    /// Spend has reached the cap, or usage was refused at it: usage that needs
    /// more credits is blocked until the cap is raised or the cycle resets on
    /// `resets_on`.
    CapReached {
        /// The cap in force.
        cap: Money,
        /// Spend so far this cycle: at the cap, or under it when a job that
        /// would have passed it was refused.
        spend: Money,
        /// The day the billing cycle resets.
        resets_on: NaiveDate,
    },
    /// Spend is at or past 80% of the cap.
    Warning {
        /// Whole percent of the cap used, rounded down (79.99% is 79).
        percent: u32,
        /// Spend so far this cycle.
        spend: Money,
        /// The cap in force.
        cap: Money,
    },
    /// Flex credits are being consumed this cycle; prepaid credits cost less.
    FlexActive {
        /// Dollars per flex credit.
        flex_rate: Money,
        /// Dollars per prepaid credit.
        prepaid_rate: Money,
    },
}

impl Alert {
    /// The alert's title: "Approaching your flex cap".
    pub fn title(&self) -> &'static str {
        match self {
            Alert::CapReached { .. } => "Flex cap reached",
            Alert::Warning { .. } => "Approaching your flex cap",
            Alert::FlexActive { .. } => "Flex credits in use",
        }
    }

    /// What the alert says, for a plan billed per `interval`: the banner's
    /// text and the alert e-mail's.
    ///
    /// ```
    /// use billing_domain::{Alert, Money, PlanInterval};
    /// let warning = Alert::Warning { percent: 84, spend: Money::from_cents(8_400), cap: Money::from_cents(10_000) };
    /// assert_eq!(
    ///     warning.sentence(PlanInterval::Month),
    ///     "You've used 84% of your $100.00 flex cap this month. Raise the cap or purchase Prepaid Credits to keep usage running."
    /// );
    /// ```
    pub fn sentence(&self, interval: PlanInterval) -> String {
        let noun = interval.noun();
        match *self {
            Alert::Warning { percent, cap, .. } => format!(
                "You've used {percent}% of your {cap} flex cap this {noun}. Raise the cap or \
                 purchase Prepaid Credits to keep usage running."
            ),
            Alert::CapReached {
                cap,
                spend,
                resets_on,
            } => {
                let reached = if spend >= cap {
                    format!("You've reached your {cap} flex cap.")
                } else {
                    format!(
                        "Usage that would pass your {cap} flex cap was refused ({spend} used this {noun})."
                    )
                };
                format!(
                    "{reached} Usage that requires additional credits is {}",
                    blocked_until(resets_on)
                )
            }
            Alert::FlexActive {
                flex_rate,
                prepaid_rate,
            } => format!(
                "Your workspace is using flex credits at {flex_rate} per credit. Purchase Prepaid \
                 Credits for a lower per-credit rate ({prepaid_rate})."
            ),
        }
    }
}

/// "blocked until the cap is raised or the billing cycle resets on Dec 1, 2026.":
/// what happens to usage at the cap, said once for the banner, the e-mail and
/// the notice of a cap set below spend.
pub(crate) fn blocked_until(resets_on: NaiveDate) -> String {
    format!(
        "blocked until the cap is raised or the billing cycle resets on {}.",
        human_date(resets_on)
    )
}

impl BillingState {
    /// The alerts this state calls for; see [`alerts`].
    pub fn alerts(&self) -> Vec<Alert> {
        alerts(&self.flex, &self.usage, &self.cycle, self.today)
    }
}

/// Whole percent of `cap` that `spend` is, rounded down; `None` without a cap.
///
/// ```
/// use billing_domain::{cap_percent, Money};
/// assert_eq!(cap_percent(Money::from_cents(7_999), Some(Money::from_cents(10_000))), Some(79));
/// assert_eq!(cap_percent(Money::from_cents(100), None), None);
/// ```
pub fn cap_percent(spend: Money, cap: Option<Money>) -> Option<u32> {
    let cap = cap?;
    if cap.amount() <= Decimal::ZERO {
        return Some(100);
    }
    let pct = (spend.amount() * Decimal::ONE_HUNDRED / cap.amount()).floor();
    Some(u32::try_from(pct).unwrap_or(if pct.is_sign_negative() { 0 } else { u32::MAX }))
}

/// The alerts to show, most urgent first.
///
/// `CapReached` applies from spend at the cap, or from the first usage refused
/// because it would pass the cap (`usage.blocked`), since from then on work
/// that needs credits is blocked. Precedence: `CapReached` replaces `Warning`
/// (never both). `FlexActive`
/// accompanies `Warning` or stands alone, but not `CapReached`, since flex
/// credits are no longer being drawn then. All require Flex Billing on and
/// usage from the current cycle (`today` inside `cycle`); without a cap there
/// are no percentage alerts.
///
/// ```
/// use billing_domain::{alerts, Alert};
/// # use billing_domain::*;
/// # let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// # let cycle = BillingCycle { start: d(11, 1), end: d(12, 1) };
/// let flex = FlexSettings { enabled: true, cap: Some(Money::from_cents(10_000)),
///     default_cap: Money::from_cents(10_000), version: 1 };
/// let usage = UsageSummary { flex_spend: Money::from_cents(8_400), flex_credits: Credits::whole(21),
///     flex_rate: Money::from_cents(400), prepaid_rate: Money::from_cents(300), ..UsageSummary::default() };
/// let shown = alerts(&flex, &usage, &cycle, d(11, 24));
/// assert!(matches!(shown[0], Alert::Warning { percent: 84, .. }));
/// assert!(matches!(shown[1], Alert::FlexActive { .. }));
/// ```
pub fn alerts(
    flex: &FlexSettings,
    usage: &UsageSummary,
    cycle: &BillingCycle,
    today: NaiveDate,
) -> Vec<Alert> {
    let mut out = Vec::new();
    if !flex.enabled || !cycle.contains(today) {
        return out;
    }
    let percent = cap_percent(usage.flex_spend, flex.cap);
    match (flex.cap, percent) {
        (Some(cap), Some(_)) if usage.flex_spend >= cap || usage.blocked => {
            out.push(Alert::CapReached {
                cap,
                spend: usage.flex_spend,
                resets_on: cycle.end,
            });
            return out;
        }
        (Some(cap), Some(p)) if p >= WARNING_PERCENT => {
            out.push(Alert::Warning {
                percent: p,
                spend: usage.flex_spend,
                cap,
            });
        }
        _ => {}
    }
    if !usage.flex_credits.is_zero() {
        out.push(Alert::FlexActive {
            flex_rate: usage.flex_rate,
            prepaid_rate: usage.prepaid_rate,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credits;
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }
    const CYCLE: BillingCycle = BillingCycle {
        start: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        end: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    };

    fn run(enabled: bool, cap: Option<i64>, spend: i64, flex_credits: i64) -> Vec<Alert> {
        let flex = FlexSettings {
            enabled,
            cap: cap.map(Money::from_cents),
            default_cap: Money::from_cents(10_000),
            version: 1,
        };
        let usage = UsageSummary {
            flex_spend: Money::from_cents(spend),
            flex_credits: Credits::whole(flex_credits),
            flex_rate: Money::from_cents(400),
            prepaid_rate: Money::from_cents(300),
            ..UsageSummary::default()
        };
        alerts(&flex, &usage, &CYCLE, d(11, 24))
    }

    #[test]
    fn nothing_below_eighty_percent_without_flex_use() {
        assert!(run(true, Some(10_000), 7_999, 0).is_empty());
    }

    #[test]
    fn warning_at_eighty_percent_with_the_floor_percentage() {
        assert!(matches!(
            run(true, Some(10_000), 8_000, 0)[..],
            [Alert::Warning { percent: 80, .. }]
        ));
        assert!(matches!(
            run(true, Some(10_000), 9_999, 0)[..],
            [Alert::Warning { percent: 99, .. }]
        ));
    }

    #[test]
    fn cap_reached_replaces_warning_and_flex_active() {
        assert_eq!(
            run(true, Some(10_000), 10_000, 25),
            vec![Alert::CapReached {
                cap: Money::from_cents(10_000),
                spend: Money::from_cents(10_000),
                resets_on: d(12, 1)
            }]
        );
    }

    #[test]
    fn a_refusal_at_the_cap_is_cap_reached_even_below_it() {
        let flex = FlexSettings {
            enabled: true,
            cap: Some(Money::from_cents(10_000)),
            default_cap: Money::from_cents(10_000),
            version: 1,
        };
        let usage = UsageSummary {
            flex_spend: Money::from_cents(9_600),
            flex_credits: Credits::whole(24),
            blocked: true,
            ..UsageSummary::default()
        };
        assert!(matches!(
            alerts(&flex, &usage, &CYCLE, d(11, 24))[..],
            [Alert::CapReached { .. }]
        ));
        let uncapped = FlexSettings { cap: None, ..flex };
        assert!(matches!(
            alerts(&uncapped, &usage, &CYCLE, d(11, 24))[..],
            [Alert::FlexActive { .. }]
        ));
    }

    #[test]
    fn flex_active_alone_and_with_warning() {
        assert!(matches!(
            run(true, Some(10_000), 400, 1)[..],
            [Alert::FlexActive { .. }]
        ));
        assert!(matches!(
            run(true, Some(10_000), 8_400, 21)[..],
            [Alert::Warning { percent: 84, .. }, Alert::FlexActive { .. }]
        ));
    }

    #[test]
    fn no_cap_means_no_percentage_alerts() {
        assert!(matches!(
            run(true, None, 1_000_000, 2_500)[..],
            [Alert::FlexActive { .. }]
        ));
    }

    #[test]
    fn flex_off_or_stale_cycle_shows_nothing() {
        assert!(run(false, Some(10_000), 10_000, 25).is_empty());
        let flex = FlexSettings {
            enabled: true,
            cap: Some(Money::from_cents(100)),
            default_cap: Money::ZERO,
            version: 1,
        };
        let usage = UsageSummary {
            flex_spend: Money::from_cents(100),
            ..UsageSummary::default()
        };
        assert!(alerts(&flex, &usage, &CYCLE, d(12, 1)).is_empty());
    }

    proptest! {
        #[test]
        fn percentage_never_reaches_a_threshold_early(spend in 0i64..200_000, cap in 100i64..100_000) {
            let p = cap_percent(Money::from_cents(spend), Some(Money::from_cents(cap))).unwrap();
            prop_assert!(i64::from(p) * cap <= spend * 100);
            prop_assert!((i64::from(p) + 1) * cap > spend * 100);
        }
    }
}
