//! Alerts that reach people: the events sent, which thresholds a change of
//! spend crosses, and the webhook addresses alerts may be sent to.

use crate::names::wire_names;
use crate::{cap_percent, Money, WARNING_PERCENT};
use serde::{Deserialize, Serialize};

wire_names! {
    /// The type of an event sent to webhooks (Standard Webhooks' `type`).
    pub enum EventType {
        /// Flex spend reached 80% of the cap.
        ThresholdReached = "flex.threshold_reached",
        /// Flex spend reached the cap, or usage was refused at it.
        CapReached = "flex.cap_reached",
        /// Flex Billing settings changed.
        SettingsChanged = "flex.settings_changed",
        /// A billing cycle ended: its statement, for the platform to charge.
        CycleClosed = "flex.cycle_closed",
    }
}

impl EventType {
    /// The event in words, for the delivery log: "80% alert".
    pub fn words(self) -> &'static str {
        match self {
            EventType::ThresholdReached => "80% alert",
            EventType::CapReached => "Cap reached alert",
            EventType::SettingsChanged => "Settings change",
            EventType::CycleClosed => "Cycle statement",
        }
    }
}

/// A threshold of flex spend against the cap, alerted once per cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Threshold {
    /// 80% of the cap.
    Warning,
    /// The cap: usage needing credits is blocked.
    CapReached,
}

impl Threshold {
    /// The webhook event type.
    pub fn event_type(self) -> EventType {
        match self {
            Threshold::Warning => EventType::ThresholdReached,
            Threshold::CapReached => EventType::CapReached,
        }
    }
}

/// The thresholds crossed when flex spend goes from `before` to `after`
/// under `cap` (none without a cap), lowest first.
///
/// ```
/// use billing_domain::{thresholds_crossed, Money, Threshold};
/// let cap = Some(Money::from_cents(10_000));
/// let crossed = thresholds_crossed(Money::from_cents(7_900), Money::from_cents(10_000), cap);
/// assert_eq!(crossed, [Threshold::Warning, Threshold::CapReached]);
/// assert!(thresholds_crossed(Money::from_cents(8_000), Money::from_cents(9_000), cap).is_empty());
/// ```
pub fn thresholds_crossed(before: Money, after: Money, cap: Option<Money>) -> Vec<Threshold> {
    let (Some(was), Some(now)) = (cap_percent(before, cap), cap_percent(after, cap)) else {
        return Vec::new();
    };
    let mut crossed = Vec::new();
    if was < WARNING_PERCENT && now >= WARNING_PERCENT {
        crossed.push(Threshold::Warning);
    }
    if was < 100 && now >= 100 {
        crossed.push(Threshold::CapReached);
    }
    crossed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(cents: i64) -> Money {
        Money::from_cents(cents)
    }

    #[test]
    fn each_threshold_is_crossed_once_going_up() {
        let cap = Some(m(10_000));
        assert_eq!(thresholds_crossed(m(0), m(7_999), cap), []);
        assert_eq!(
            thresholds_crossed(m(7_999), m(8_000), cap),
            [Threshold::Warning]
        );
        assert_eq!(thresholds_crossed(m(8_000), m(9_999), cap), []);
        assert_eq!(
            thresholds_crossed(m(9_999), m(10_000), cap),
            [Threshold::CapReached]
        );
        assert_eq!(
            thresholds_crossed(m(0), m(10_000), cap),
            [Threshold::Warning, Threshold::CapReached]
        );
        assert_eq!(
            thresholds_crossed(m(0), m(50_000), None),
            [],
            "no cap, no thresholds"
        );
    }
}
