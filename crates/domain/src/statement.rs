//! Statements: what a billing cycle came to when it ended, once per
//! workspace and cycle, for the platform to charge the payment method on file.

use crate::{human_date, BillingCycle, Credits, FeatureUsage, Moment, Money, PlanInterval};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One ended cycle of one workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Statement {
    /// Its place in the order statements were closed (the platform's cursor).
    pub id: i64,
    /// The workspace it is for.
    pub workspace: String,
    /// The period it covers: `start` up to (not including) `end`.
    pub cycle: BillingCycle,
    /// Included credits used.
    pub included_used: Credits,
    /// Prepaid credits used.
    pub prepaid_used: Credits,
    /// Flex credits used.
    pub flex_credits: Credits,
    /// What the flex credits cost: the amount to charge (`"0.00"` when none).
    pub flex_amount: Money,
    /// The flex cap when the cycle closed (none: no cap, or Flex Billing off).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub cap: Option<Money>,
    /// The cycle's usage by feature, largest flex spend first.
    pub by_feature: Vec<FeatureUsage>,
    /// When it was closed (RFC 3339, UTC).
    pub closed_at: Moment,
}

/// A page of statements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementPage {
    /// Up to `limit` statements: a workspace's newest first; the platform's
    /// in the order they were closed.
    pub statements: Vec<Statement>,
    /// A workspace's: pass as `before` for the next, older page (`None` at
    /// the end). The platform's: pass as `after` next time, always given (the
    /// last statement's id, or the `after` asked with when none is new).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub next: Option<i64>,
}

impl Statement {
    /// The statement in the card's list: "Dec 1, 2026 – Dec 31, 2026: $20.00
    /// of Flex Usage".
    ///
    /// ```
    /// # use billing_domain::*;
    /// # use chrono::NaiveDate;
    /// let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    /// let s = Statement { id: 1, workspace: "acme".into(),
    ///     cycle: BillingCycle { start: d(2026, 12, 1), end: d(2027, 1, 1) },
    ///     included_used: Credits::whole(30), prepaid_used: Credits::ZERO,
    ///     flex_credits: Credits::whole(5), flex_amount: Money::from_cents(2_000),
    ///     cap: None, by_feature: vec![], closed_at: parse_utc("2027-01-01T00:00:02Z").unwrap().into() };
    /// assert_eq!(s.line(), "Dec 1, 2026 – Dec 31, 2026: $20.00 of Flex Usage");
    /// assert_eq!(s.charged_notice().unwrap(),
    ///     "Last cycle: $20.00 of Flex Usage charged to your payment method");
    /// ```
    pub fn line(&self) -> String {
        format!(
            "{} – {}: {} of Flex Usage",
            human_date(self.cycle.start),
            human_date(self.cycle.last_day()),
            self.flex_amount
        )
    }

    /// The notice after a cycle closed with Flex Usage: "Last cycle: $412.00
    /// of Flex Usage charged to your payment method". None without Flex Usage.
    pub fn charged_notice(&self) -> Option<String> {
        (self.flex_amount > Money::ZERO).then(|| {
            format!(
                "Last cycle: {} of Flex Usage charged to your payment method",
                self.flex_amount
            )
        })
    }
}

/// The card's words when no cycle has ended yet: "No statements yet: the
/// first comes when this cycle ends on Jan 1, 2027."
pub fn no_statements_yet(cycle: &BillingCycle) -> String {
    format!(
        "No statements yet: the first comes when this cycle ends on {}.",
        human_date(cycle.end)
    )
}

/// The periods to close when the cycle that opened at `open.start` has
/// ended by `today`: each cycle since, up to the one `today` is in (which
/// stays open). A plan that changed meanwhile cuts a period short where the
/// new plan's cycle begins; one whose cycle began before `open` closes it
/// today. Empty while `open` is still the current cycle.
///
/// ```
/// use billing_domain::{periods_to_close, BillingCycle, PlanInterval};
/// use chrono::NaiveDate;
/// let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let anchor = d(1, 1);
/// let open = BillingCycle::containing(anchor, PlanInterval::Month, d(10, 15));
/// let closed = periods_to_close(open, anchor, PlanInterval::Month, d(12, 3));
/// assert_eq!(closed, [
///     BillingCycle { start: d(10, 1), end: d(11, 1) },
///     BillingCycle { start: d(11, 1), end: d(12, 1) },
/// ]);
/// assert!(periods_to_close(open, anchor, PlanInterval::Month, d(10, 31)).is_empty());
/// ```
pub fn periods_to_close(
    open: BillingCycle,
    anchor: NaiveDate,
    interval: PlanInterval,
    today: NaiveDate,
) -> Vec<BillingCycle> {
    let current = BillingCycle::containing(anchor, interval, today);
    let mut periods = Vec::new();
    let mut start = open.start;
    // A workspace idle for years closes each cycle, but never without end.
    while start < current.start && periods.len() < 1_200 {
        let cycle = BillingCycle::containing(anchor, interval, start);
        let end = cycle.end.min(current.start);
        if end <= start {
            break;
        }
        periods.push(BillingCycle { start, end });
        start = end;
    }
    // A new plan whose current cycle began before the open one: what was
    // used in the open one is closed today, not left without a statement.
    if current.start < open.start {
        let end = today.max(open.start.succ_opt().unwrap_or(open.start));
        periods.push(BillingCycle {
            start: open.start,
            end,
        });
    }
    periods
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn an_annual_cycle_closes_once_a_year() {
        let anchor = d(2025, 3, 1);
        let open = BillingCycle::containing(anchor, PlanInterval::Year, d(2026, 12, 1));
        assert!(periods_to_close(open, anchor, PlanInterval::Year, d(2027, 2, 28)).is_empty());
        assert_eq!(
            periods_to_close(open, anchor, PlanInterval::Year, d(2027, 3, 1)),
            [BillingCycle {
                start: d(2026, 3, 1),
                end: d(2027, 3, 1)
            }]
        );
    }

    #[test]
    fn a_new_anchor_cuts_the_open_period_where_the_new_cycle_begins() {
        // Open since Dec 1 (anchor the 1st); the plan now starts on the 15th.
        let open = BillingCycle {
            start: d(2026, 12, 1),
            end: d(2027, 1, 1),
        };
        let closed = periods_to_close(open, d(2026, 12, 15), PlanInterval::Month, d(2026, 12, 20));
        assert_eq!(
            closed,
            [BillingCycle {
                start: d(2026, 12, 1),
                end: d(2026, 12, 15)
            }]
        );
        // A new plan whose cycle began before the open one: the open one closes today.
        assert_eq!(
            periods_to_close(open, d(2026, 11, 20), PlanInterval::Month, d(2026, 12, 5)),
            [BillingCycle {
                start: d(2026, 12, 1),
                end: d(2026, 12, 5)
            }]
        );
    }

    #[test]
    fn every_idle_cycle_gets_its_period() {
        let anchor = d(2026, 1, 1);
        let open = BillingCycle::containing(anchor, PlanInterval::Month, d(2026, 1, 1));
        let closed = periods_to_close(open, anchor, PlanInterval::Month, d(2026, 7, 4));
        assert_eq!(closed.len(), 6);
        assert!(
            closed.windows(2).all(|w| w[0].end == w[1].start),
            "{closed:?}"
        );
    }
}
