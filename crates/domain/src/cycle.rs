//! Billing cycles: the period one flex cap covers.

use crate::PlanInterval;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// One billing cycle. `start` is its first day; `end` is the day the next cycle
/// starts, which is when the cap's spend resets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingCycle {
    /// First day of the cycle.
    #[serde(with = "crate::date_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub start: NaiveDate,
    /// First day of the next cycle (exclusive end; the reset date).
    #[serde(with = "crate::date_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub end: NaiveDate,
}

impl BillingCycle {
    /// The cycle that contains `today` for a plan that started on `anchor`.
    ///
    /// Cycles are counted from the anchor each time (not chained), so a plan
    /// started on the 31st bills on the last day of short months and returns to
    /// the 31st afterwards.
    ///
    /// ```
    /// use billing_domain::{BillingCycle, PlanInterval};
    /// use chrono::NaiveDate;
    /// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// let c = BillingCycle::containing(d(2026, 1, 31), PlanInterval::Month, d(2026, 3, 5));
    /// assert_eq!((c.start, c.end), (d(2026, 2, 28), d(2026, 3, 31)));
    /// ```
    pub fn containing(anchor: NaiveDate, interval: PlanInterval, today: NaiveDate) -> BillingCycle {
        // Cycle n starts n cycles after the anchor (n < 0: before it, so a day
        // before the plan's anchor still falls in a cycle of its own).
        let nth = |n: i64| {
            let months = n
                .unsigned_abs()
                .saturating_mul(u64::from(interval.months()));
            let months = Months::new(u32::try_from(months).unwrap_or(u32::MAX));
            let day = if n >= 0 {
                anchor.checked_add_months(months)
            } else {
                anchor.checked_sub_months(months)
            };
            day.unwrap_or(if n >= 0 {
                NaiveDate::MAX
            } else {
                NaiveDate::MIN
            })
        };
        // A close first guess from the calendar, then step to the exact cycle.
        let months_apart = today.year_months() - anchor.year_months();
        let mut n = months_apart.div_euclid(i64::from(interval.months()));
        while nth(n) > today {
            n -= 1;
        }
        while nth(n + 1) <= today {
            n += 1;
        }
        BillingCycle {
            start: nth(n),
            end: nth(n + 1),
        }
    }

    /// The last day that belongs to this cycle.
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.end)
    }

    /// Whether `day` falls inside this cycle.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day < self.end
    }
}

trait YearMonths {
    fn year_months(&self) -> i64;
}

impl YearMonths for NaiveDate {
    fn year_months(&self) -> i64 {
        use chrono::Datelike;
        i64::from(self.year()) * 12 + i64::from(self.month0())
    }
}

/// Formats a date for people: `Dec 1, 2026`.
///
/// ```
/// # use billing_domain::human_date;
/// let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
/// assert_eq!(human_date(d), "Dec 1, 2026");
/// ```
pub fn human_date(day: NaiveDate) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {}, {}",
        MONTHS[day.month0() as usize],
        day.day(),
        day.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn monthly_cycle_contains_today() {
        let c = BillingCycle::containing(d(2026, 1, 15), PlanInterval::Month, d(2026, 11, 24));
        assert_eq!((c.start, c.end), (d(2026, 11, 15), d(2026, 12, 15)));
        assert_eq!(c.last_day(), d(2026, 12, 14));
    }

    #[test]
    fn the_anchor_day_starts_a_new_cycle() {
        let c = BillingCycle::containing(d(2026, 1, 15), PlanInterval::Month, d(2026, 12, 15));
        assert_eq!(c.start, d(2026, 12, 15));
    }

    #[test]
    fn days_before_the_anchor_have_their_own_cycle() {
        let c = BillingCycle::containing(d(2026, 3, 15), PlanInterval::Month, d(2026, 1, 20));
        assert_eq!((c.start, c.end), (d(2026, 1, 15), d(2026, 2, 15)));
    }

    #[test]
    fn annual_cycle_is_a_year() {
        let c = BillingCycle::containing(d(2025, 3, 1), PlanInterval::Year, d(2026, 11, 24));
        assert_eq!((c.start, c.end), (d(2026, 3, 1), d(2027, 3, 1)));
    }

    #[test]
    fn dates_read_like_english() {
        assert_eq!(human_date(d(2026, 12, 1)), "Dec 1, 2026");
    }

    proptest! {
        #[test]
        fn today_is_always_inside_its_cycle(
            anchor_days in 0i64..3000, offset in -2000i64..4000, yearly: bool
        ) {
            let anchor = d(2020, 1, 1) + chrono::Duration::days(anchor_days);
            let today = anchor + chrono::Duration::days(offset);
            let interval = if yearly { PlanInterval::Year } else { PlanInterval::Month };
            let c = BillingCycle::containing(anchor, interval, today);
            prop_assert!(c.contains(today), "{c:?} misses {today}");
        }
    }
}
