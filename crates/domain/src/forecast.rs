//! Where flex spend is heading this cycle, and whether the cap is reached
//! before the reset at the rate so far.
//!
//! The method: the average daily flex spend over the days since flex spend
//! began in this cycle, today included (so at least one day), carried on to
//! the cycle's last day. A burst of spend long ago counts over all the days
//! since; spend that began today counts as one day's.

use crate::{human_date, BillingCycle, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Flex spend on one day of the cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DaySpend {
    /// The day (UTC).
    #[serde(with = "crate::date_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
    /// What flex credits cost that day.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "12.50"))]
    pub spend: Money,
}

/// A projection of flex spend to the end of the cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forecast {
    /// Flex spend so far this cycle.
    pub spent: Money,
    /// The average a day since flex spend began (rounded to the cent).
    pub per_day: Money,
    /// Spend on the cycle's last day at this rate, if nothing stopped it.
    pub at_reset: Money,
    /// The day the cap is reached at this rate, if that is before the reset.
    pub cap_reached_on: Option<NaiveDate>,
    /// The cap.
    pub cap: Money,
    /// The day the cycle resets.
    pub resets_on: NaiveDate,
}

/// Projects `days` (this cycle's flex spend by day) to the cycle's end as of
/// `today`. `None` without a cap, before any flex spend, once the cap is
/// reached, or outside the cycle: there is nothing to forecast then.
///
/// ```
/// use billing_domain::{forecast, BillingCycle, DaySpend, Money, PlanInterval};
/// let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
/// let cycle = BillingCycle::containing(d(1, 1), PlanInterval::Month, d(12, 4));
/// // $10.00 a day since Dec 1: $40.00 by Dec 4, the $100.00 cap on Dec 10.
/// let days: Vec<_> = (1..=4).map(|n| DaySpend { day: d(12, n), spend: Money::from_cents(1_000) }).collect();
/// let f = forecast(&cycle, d(12, 4), &days, Some(Money::from_cents(10_000))).unwrap();
/// assert_eq!(f.cap_reached_on, Some(d(12, 10)));
/// assert_eq!(f.sentence(), "At this rate you'll reach your $100.00 cap around Dec 10.");
/// ```
pub fn forecast(
    cycle: &BillingCycle,
    today: NaiveDate,
    days: &[DaySpend],
    cap: Option<Money>,
) -> Option<Forecast> {
    let cap = cap?;
    if !cycle.contains(today) {
        return None;
    }
    let this_cycle = days
        .iter()
        .filter(|d| cycle.contains(d.day) && d.day <= today && d.spend > Money::ZERO);
    let began = this_cycle.clone().map(|d| d.day).min()?;
    let spent = Money::new(this_cycle.map(|d| d.spend.amount()).sum());
    if spent >= cap {
        return None;
    }
    let days_so_far = (today - began).num_days() + 1;
    let rate = spent.amount() / Decimal::from(days_so_far);
    let days_left = (cycle.last_day() - today).num_days();
    let at_reset = Money::new(spent.amount() + rate * Decimal::from(days_left));
    // Whole days from today until the rate covers what is left under the cap.
    let needed = ((cap.amount() - spent.amount()) / rate).ceil();
    let cap_reached_on = i64::try_from(needed)
        .ok()
        .and_then(|n| today.checked_add_signed(chrono::Duration::days(n)))
        .filter(|day| *day < cycle.end);
    Some(Forecast {
        spent,
        per_day: Money::new(rate),
        at_reset,
        cap_reached_on,
        cap,
        resets_on: cycle.end,
    })
}

/// The chart's line: cumulative flex spend at the end of each day from the
/// cycle's first day to `today` (every day, spend or not), oldest first.
///
/// ```
/// use billing_domain::{spend_line, BillingCycle, DaySpend, Money, PlanInterval};
/// let d = |day| chrono::NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
/// let cycle = BillingCycle::containing(d(1), PlanInterval::Month, d(3));
/// let line = spend_line(&cycle, d(3), &[DaySpend { day: d(2), spend: Money::from_cents(500) }]);
/// let cents: Vec<_> = line.iter().map(|(_, m)| m.cents()).collect();
/// assert_eq!(cents, [0, 500, 500]);
/// ```
pub fn spend_line(
    cycle: &BillingCycle,
    today: NaiveDate,
    days: &[DaySpend],
) -> Vec<(NaiveDate, Money)> {
    let mut total = Money::ZERO;
    cycle
        .start
        .iter_days()
        .take_while(|day| *day <= today && *day < cycle.end)
        .map(|day| {
            let that_day: Decimal = days
                .iter()
                .filter(|d| d.day == day)
                .map(|d| d.spend.amount())
                .sum();
            total = Money::new(total.amount() + that_day);
            (day, total)
        })
        .collect()
}

impl Forecast {
    /// The forecast in words, for the card.
    pub fn sentence(&self) -> String {
        match self.cap_reached_on {
            Some(day) => format!(
                "At this rate you'll reach your {} cap around {}.",
                self.cap,
                month_day(day)
            ),
            None => format!(
                "At this rate you'll spend about {} by the reset on {}, within your {} cap.",
                self.at_reset,
                month_day(self.resets_on),
                self.cap
            ),
        }
    }
}

/// `Dec 12`: the year is the cycle's, and obvious.
fn month_day(day: NaiveDate) -> String {
    let full = human_date(day);
    full.split(',').next().unwrap_or(&full).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PlanInterval;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn spend(day: NaiveDate, cents: i64) -> DaySpend {
        DaySpend {
            day,
            spend: Money::from_cents(cents),
        }
    }

    /// December 2026, monthly: resets Jan 1.
    fn december() -> BillingCycle {
        BillingCycle::containing(d(2026, 1, 1), PlanInterval::Month, d(2026, 12, 15))
    }

    fn cap(dollars: i64) -> Option<Money> {
        Some(Money::from_cents(dollars * 100))
    }

    #[test]
    fn the_first_day_of_the_cycle_counts_as_one_day() {
        let f = forecast(
            &december(),
            d(2026, 12, 1),
            &[spend(d(2026, 12, 1), 2_000)],
            cap(100),
        )
        .unwrap();
        assert_eq!(f.per_day, Money::from_cents(2_000));
        // $20 today, $20 a day: $100 is reached on the 5th (4 more days).
        assert_eq!(f.cap_reached_on, Some(d(2026, 12, 5)));
        assert_eq!(f.at_reset, Money::from_cents(2_000 * 31));
    }

    #[test]
    fn no_spend_no_cap_or_the_cap_reached_have_no_forecast() {
        let today = d(2026, 12, 10);
        assert_eq!(
            forecast(&december(), today, &[], cap(100)),
            None,
            "no spend"
        );
        assert_eq!(
            forecast(&december(), today, &[spend(today, 0)], cap(100)),
            None,
            "a day of nothing is no spend"
        );
        assert_eq!(
            forecast(&december(), today, &[spend(today, 500)], None),
            None,
            "no cap"
        );
        assert_eq!(
            forecast(
                &december(),
                today,
                &[spend(d(2026, 12, 2), 10_000)],
                cap(100)
            ),
            None,
            "the cap is reached"
        );
        assert_eq!(
            forecast(&december(), today, &[spend(today, 20_000)], cap(100)),
            None,
            "already over (a cap lowered below spend)"
        );
    }

    #[test]
    fn one_burst_long_ago_is_spread_over_every_day_since() {
        // $30 on Dec 1, nothing since: by Dec 10 that is $3.00 a day.
        let f = forecast(
            &december(),
            d(2026, 12, 10),
            &[spend(d(2026, 12, 1), 3_000)],
            cap(100),
        )
        .unwrap();
        assert_eq!(f.per_day, Money::from_cents(300));
        // 21 more days at $3: $93 by the 31st, under the cap.
        assert_eq!(f.at_reset, Money::from_cents(9_300));
        assert_eq!(f.cap_reached_on, None);
        assert_eq!(
            f.sentence(),
            "At this rate you'll spend about $93.00 by the reset on Jan 1, within your $100.00 cap."
        );
    }

    #[test]
    fn spend_from_another_cycle_does_not_count() {
        let days = [spend(d(2026, 11, 30), 9_000), spend(d(2026, 12, 2), 1_000)];
        let f = forecast(&december(), d(2026, 12, 2), &days, cap(100)).unwrap();
        assert_eq!(f.spent, Money::from_cents(1_000));
        assert_eq!(f.per_day, Money::from_cents(1_000));
    }

    #[test]
    fn the_cap_reached_on_the_last_day_is_before_the_reset_and_the_day_after_is_not() {
        // $10 a day from Dec 22: the $100 cap exactly on the 31st.
        let days: Vec<_> = (22..=26).map(|n| spend(d(2026, 12, n), 1_000)).collect();
        let f = forecast(&december(), d(2026, 12, 26), &days, cap(100)).unwrap();
        assert_eq!(f.cap_reached_on, Some(d(2026, 12, 31)));
        let f = forecast(&december(), d(2026, 12, 26), &days, cap(101)).unwrap();
        assert_eq!(
            f.cap_reached_on, None,
            "Jan 1 is the reset: spend starts again"
        );
    }

    #[test]
    fn on_the_last_day_the_projection_is_what_was_spent() {
        let f = forecast(
            &december(),
            d(2026, 12, 31),
            &[spend(d(2026, 12, 31), 4_000)],
            cap(100),
        )
        .unwrap();
        assert_eq!(f.at_reset, Money::from_cents(4_000));
        assert_eq!(f.cap_reached_on, None);
    }

    #[test]
    fn an_annual_cycle_projects_over_the_year() {
        // Annual from Mar 1, 2026: $100 a day for the 10 days from Mar 1 is $1,000;
        // the $1,200 cap is reached two days later.
        let cycle = BillingCycle::containing(d(2025, 3, 1), PlanInterval::Year, d(2026, 3, 10));
        let days: Vec<_> = (1..=10).map(|n| spend(d(2026, 3, n), 10_000)).collect();
        let f = forecast(&cycle, d(2026, 3, 10), &days, cap(1_200)).unwrap();
        assert_eq!(f.cap_reached_on, Some(d(2026, 3, 12)));
        assert_eq!(f.resets_on, d(2027, 3, 1));
        assert_eq!(
            f.sentence(),
            "At this rate you'll reach your $1,200.00 cap around Mar 12."
        );
    }
}
