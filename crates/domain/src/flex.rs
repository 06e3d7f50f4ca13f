//! Turning Flex Billing on and off and setting its cap: one pure transition,
//! used by the server for real and by the designers' preview for show.

use crate::{FlexSettings, Money, PlanInterval};
use std::fmt;

/// A change to Flex Billing that a workspace owner or admin can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlexChange {
    /// Turn Flex Billing on, with the plan's default cap.
    Enable,
    /// Turn Flex Billing off; the cap goes with it.
    Disable,
    /// Set the cap per billing cycle (already read with [`crate::parse_cap`]).
    SetCap(Money),
    /// Remove the cap: Flex Usage is unlimited.
    RemoveCap,
}

/// Why a change cannot apply to the settings as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlexError {
    /// A cap can only be set or removed while Flex Billing is on.
    FlexDisabled,
}

impl FlexError {
    /// A stable machine-readable code, used by the API.
    pub fn code(self) -> &'static str {
        match self {
            FlexError::FlexDisabled => "flex_disabled",
        }
    }
}

impl fmt::Display for FlexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlexError::FlexDisabled => {
                f.write_str("Enable Flex Billing before setting a flex cap.")
            }
        }
    }
}

impl std::error::Error for FlexError {}

impl FlexSettings {
    /// The settings after `change` on a plan billed per `interval`.
    ///
    /// `Ok(None)` means nothing changes (enabling what is on, setting the cap
    /// in force): no new version, nothing to record. Every real change bumps
    /// the version by one.
    ///
    /// ```
    /// use billing_domain::{FlexChange, FlexSettings, Money, PlanInterval};
    /// let off = FlexSettings { enabled: false, cap: None,
    ///     default_cap: Money::from_cents(10_000), version: 1 };
    /// let on = off.apply(FlexChange::Enable, PlanInterval::Month).unwrap().unwrap();
    /// assert_eq!((on.enabled, on.cap, on.version), (true, Some(Money::from_cents(10_000)), 2));
    /// assert_eq!(on.apply(FlexChange::Enable, PlanInterval::Month), Ok(None));
    /// ```
    pub fn apply(
        &self,
        change: FlexChange,
        interval: PlanInterval,
    ) -> Result<Option<FlexSettings>, FlexError> {
        let (enabled, cap) = match change {
            FlexChange::Enable if self.enabled => return Ok(None),
            FlexChange::Enable => (true, Some(interval.default_cap())),
            FlexChange::Disable if !self.enabled => return Ok(None),
            FlexChange::Disable => (false, None),
            FlexChange::SetCap(_) | FlexChange::RemoveCap if !self.enabled => {
                return Err(FlexError::FlexDisabled)
            }
            FlexChange::SetCap(cap) if self.cap == Some(cap) => return Ok(None),
            FlexChange::SetCap(cap) => (true, Some(cap)),
            FlexChange::RemoveCap if self.cap.is_none() => return Ok(None),
            FlexChange::RemoveCap => (true, None),
        };
        Ok(Some(FlexSettings {
            enabled,
            cap,
            default_cap: interval.default_cap(),
            version: self.version + 1,
        }))
    }
}

/// What a person should know after setting `cap` when this cycle's Flex spend
/// is already `spend`: a cap below spend is accepted, and blocks Flex Usage at once.
///
/// ```
/// use billing_domain::{cap_below_spend, Money};
/// let resets = chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
/// assert!(cap_below_spend(Money::from_cents(20_000), Money::from_cents(15_000), resets).is_none());
/// assert_eq!(
///     cap_below_spend(Money::from_cents(15_000), Money::from_cents(20_000), resets).unwrap(),
///     "The new cap is below this cycle's Flex spend ($200.00): Flex Usage is blocked until the cap is raised or the billing cycle resets on Mar 1, 2027."
/// );
/// ```
pub fn cap_below_spend(cap: Money, spend: Money, resets_on: chrono::NaiveDate) -> Option<String> {
    (spend > cap).then(|| {
        format!(
            "The new cap is below this cycle's Flex spend ({spend}): Flex Usage is {}",
            crate::alerts::blocked_until(resets_on)
        )
    })
}

impl FlexChange {
    /// The change's name in the audit trail.
    pub fn action(self) -> crate::AuditAction {
        use crate::AuditAction;
        match self {
            FlexChange::Enable => AuditAction::Enabled,
            FlexChange::Disable => AuditAction::Disabled,
            FlexChange::SetCap(_) => AuditAction::CapSet,
            FlexChange::RemoveCap => AuditAction::CapRemoved,
        }
    }
}

impl FlexSettings {
    /// Whether a change made against `expected` (the version its sender was
    /// shown; `None`: any) applies to these settings. A stale one is refused
    /// with the settings in force, so nobody overwrites a change unseen.
    ///
    /// ```
    /// use billing_domain::{FlexSettings, Money};
    /// let now = FlexSettings { enabled: true, cap: None, default_cap: Money::from_cents(10_000), version: 4 };
    /// assert!(now.accepts(Some(4)) && now.accepts(None));
    /// assert!(!now.accepts(Some(3)));
    /// ```
    pub fn accepts(&self, expected: Option<u64>) -> bool {
        expected.is_none_or(|v| v == self.version)
    }

    /// What someone did to make these settings `now`, as a verb phrase:
    /// "lowered the cap to $50.00".
    ///
    /// ```
    /// use billing_domain::{FlexSettings, Money};
    /// let shown = FlexSettings { enabled: true, cap: Some(Money::from_cents(40_000)),
    ///     default_cap: Money::from_cents(10_000), version: 3 };
    /// let now = FlexSettings { cap: Some(Money::from_cents(5_000)), version: 4, ..shown.clone() };
    /// assert_eq!(shown.what_was_done(&now), "lowered the cap to $50.00");
    /// ```
    pub fn what_was_done(&self, now: &FlexSettings) -> String {
        match (self.enabled, now.enabled, self.cap, now.cap) {
            (true, false, ..) => "turned Flex Billing off".into(),
            (false, true, _, Some(cap)) => format!("turned Flex Billing on with a {cap} cap"),
            (false, true, _, None) => "turned Flex Billing on with no cap".into(),
            (_, _, Some(_), None) => "removed the cap".into(),
            (_, _, None, Some(cap)) => format!("set a {cap} cap"),
            (_, _, Some(old), Some(cap)) if cap < old => format!("lowered the cap to {cap}"),
            (_, _, Some(old), Some(cap)) if cap > old => format!("raised the cap to {cap}"),
            _ => "changed Flex Billing".into(),
        }
    }

    /// For a dialog opened on these settings when `who` (an email; none:
    /// unknown) made them `now`: "admin@acme.test lowered the cap to $50.00
    /// while this was open."
    ///
    /// ```
    /// use billing_domain::{FlexSettings, Money};
    /// let shown = FlexSettings { enabled: true, cap: Some(Money::from_cents(40_000)),
    ///     default_cap: Money::from_cents(10_000), version: 3 };
    /// let now = FlexSettings { cap: Some(Money::from_cents(5_000)), version: 4, ..shown.clone() };
    /// assert_eq!(shown.changed_while_open(&now, Some("admin@acme.test")),
    ///     "admin@acme.test lowered the cap to $50.00 while this was open.");
    /// assert_eq!(shown.changed_while_open(&now, None),
    ///     "Someone lowered the cap to $50.00 while this was open.");
    /// ```
    pub fn changed_while_open(&self, now: &FlexSettings, who: Option<&str>) -> String {
        format!(
            "{} {} while this was open.",
            who.unwrap_or("Someone"),
            self.what_was_done(now)
        )
    }

    /// For the cap field, when `who` made these settings `now` while a new
    /// cap was being typed: what saving the entry would then do.
    ///
    /// ```
    /// use billing_domain::{FlexSettings, Money};
    /// let shown = FlexSettings { enabled: true, cap: Some(Money::from_cents(40_000)),
    ///     default_cap: Money::from_cents(10_000), version: 3 };
    /// let now = FlexSettings { cap: Some(Money::from_cents(5_000)), version: 4, ..shown.clone() };
    /// assert_eq!(shown.changed_under_draft(&now, Some("admin@acme.test")),
    ///     "admin@acme.test lowered the cap to $50.00 while you were typing. Saving replaces it with your entry.");
    /// ```
    pub fn changed_under_draft(&self, now: &FlexSettings, who: Option<&str>) -> String {
        let then = if now.enabled {
            match now.cap {
                Some(_) => "Saving replaces it with your entry.",
                None => "Saving sets your entry as the cap.",
            }
        } else {
            "Your entry is kept; Flex Billing must be on to save it."
        };
        format!(
            "{} {} while you were typing. {then}",
            who.unwrap_or("Someone"),
            self.what_was_done(now)
        )
    }

    /// What changed between these settings and `now`, for someone whose
    /// change was made against these: "the cap is now $50.00".
    ///
    /// ```
    /// use billing_domain::{FlexSettings, Money};
    /// let mine = FlexSettings { enabled: true, cap: Some(Money::from_cents(10_000)),
    ///     default_cap: Money::from_cents(10_000), version: 3 };
    /// let now = FlexSettings { cap: Some(Money::from_cents(5_000)), version: 4, ..mine.clone() };
    /// assert_eq!(mine.what_changed(&now), "the cap is now $50.00");
    /// ```
    pub fn what_changed(&self, now: &FlexSettings) -> String {
        match (now.enabled, now.cap) {
            (false, _) if self.enabled => "Flex Billing is now off".into(),
            (false, _) => "Flex Billing is off".into(),
            (true, cap) if !self.enabled => match cap {
                Some(cap) => format!("Flex Billing is now on, with a {cap} cap"),
                None => "Flex Billing is now on, with no cap".into(),
            },
            (true, None) if self.cap.is_some() => "the cap was removed".into(),
            (true, Some(cap)) if self.cap != Some(cap) => format!("the cap is now {cap}"),
            (true, Some(cap)) => format!("the cap is {cap}"),
            (true, None) => "there is no cap".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONTH: PlanInterval = PlanInterval::Month;

    fn settings(enabled: bool, cap: Option<i64>) -> FlexSettings {
        FlexSettings {
            enabled,
            cap: cap.map(Money::from_cents),
            default_cap: MONTH.default_cap(),
            version: 5,
        }
    }

    fn after(s: &FlexSettings, c: FlexChange) -> (bool, Option<i64>, u64) {
        let n = s.apply(c, MONTH).unwrap().expect("a change");
        (n.enabled, n.cap.map(Money::cents), n.version)
    }

    #[test]
    fn enable_sets_the_default_cap_for_the_interval() {
        assert_eq!(
            after(&settings(false, None), FlexChange::Enable),
            (true, Some(10_000), 6)
        );
        let yearly = settings(false, None)
            .apply(FlexChange::Enable, PlanInterval::Year)
            .unwrap()
            .unwrap();
        assert_eq!(yearly.cap, Some(Money::from_cents(120_000)));
        assert_eq!(yearly.default_cap, Money::from_cents(120_000));
    }

    #[test]
    fn what_was_done_while_a_dialog_was_open_is_told_in_words() {
        let was = |enabled, cap| settings(enabled, cap);
        let cases = [
            (
                was(true, Some(40_000)),
                was(true, Some(5_000)),
                "lowered the cap to $50.00",
            ),
            (
                was(true, Some(5_000)),
                was(true, Some(40_000)),
                "raised the cap to $400.00",
            ),
            (was(true, Some(5_000)), was(true, None), "removed the cap"),
            (was(true, None), was(true, Some(5_000)), "set a $50.00 cap"),
            (
                was(true, Some(5_000)),
                was(false, None),
                "turned Flex Billing off",
            ),
            (
                was(false, None),
                was(true, Some(10_000)),
                "turned Flex Billing on with a $100.00 cap",
            ),
            (
                was(false, None),
                was(true, None),
                "turned Flex Billing on with no cap",
            ),
            (
                was(true, Some(5_000)),
                was(true, Some(5_000)),
                "changed Flex Billing",
            ),
        ];
        for (shown, now, done) in cases {
            assert_eq!(shown.what_was_done(&now), done);
        }
        assert_eq!(
            was(true, Some(5_000)).changed_under_draft(&was(false, None), None),
            "Someone turned Flex Billing off while you were typing. Your entry is kept; Flex Billing must be on to save it."
        );
        assert_eq!(
            was(true, Some(5_000)).changed_under_draft(&was(true, None), Some("a@b.test")),
            "a@b.test removed the cap while you were typing. Saving sets your entry as the cap."
        );
    }

    #[test]
    fn disable_clears_the_cap() {
        assert_eq!(
            after(&settings(true, Some(500)), FlexChange::Disable),
            (false, None, 6)
        );
    }

    #[test]
    fn set_and_remove_the_cap_while_on() {
        let set = FlexChange::SetCap(Money::from_cents(25_000));
        assert_eq!(after(&settings(true, None), set), (true, Some(25_000), 6));
        assert_eq!(
            after(&settings(true, Some(100)), FlexChange::RemoveCap),
            (true, None, 6)
        );
    }

    #[test]
    fn no_ops_change_nothing_and_keep_the_version() {
        let on = settings(true, Some(10_000));
        for (s, c) in [
            (&on, FlexChange::Enable),
            (&on, FlexChange::SetCap(Money::from_cents(10_000))),
            (&settings(false, None), FlexChange::Disable),
            (&settings(true, None), FlexChange::RemoveCap),
        ] {
            assert_eq!(s.apply(c, MONTH), Ok(None), "{c:?}");
        }
    }

    #[test]
    fn the_cap_cannot_change_while_off() {
        let off = settings(false, None);
        for c in [
            FlexChange::SetCap(Money::from_cents(500)),
            FlexChange::RemoveCap,
        ] {
            assert_eq!(off.apply(c, MONTH), Err(FlexError::FlexDisabled));
        }
    }

    #[test]
    fn what_changed_says_it_in_words() {
        let on = settings(true, Some(10_000));
        let cases = [
            (&on, settings(true, Some(5_000)), "the cap is now $50.00"),
            (&on, settings(true, None), "the cap was removed"),
            (&on, settings(false, None), "Flex Billing is now off"),
            (
                &settings(false, None),
                settings(true, Some(10_000)),
                "Flex Billing is now on, with a $100.00 cap",
            ),
            (
                &settings(true, None),
                settings(true, Some(2_500)),
                "the cap is now $25.00",
            ),
            (&on, settings(true, Some(10_000)), "the cap is $100.00"),
        ];
        for (mine, now, words) in cases {
            assert_eq!(mine.what_changed(&now), words);
        }
    }
}
