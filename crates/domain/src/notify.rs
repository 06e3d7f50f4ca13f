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

/// A threshold of flex spend against the cap, alerted once per cap and cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Threshold {
    /// A whole percent of the cap that the owners chose (80 unless they did).
    Percent(u8),
    /// The cap: usage needing credits is blocked.
    CapReached,
}

impl Threshold {
    /// The webhook event type.
    pub fn event_type(self) -> EventType {
        match self {
            Threshold::Percent(_) => EventType::ThresholdReached,
            Threshold::CapReached => EventType::CapReached,
        }
    }

    /// What it is remembered as, so it is raised once per cap and cycle.
    /// 80% keeps the key it had before owners could choose thresholds, so an
    /// alert already sent this cycle is not sent again.
    pub fn raise_key(self) -> String {
        match self {
            Threshold::Percent(p) if u32::from(p) == WARNING_PERCENT => {
                self.event_type().as_str().to_string()
            }
            Threshold::CapReached => self.event_type().as_str().to_string(),
            Threshold::Percent(p) => format!("{}@{p}", self.event_type().as_str()),
        }
    }
}

/// The notification thresholds when the owners chose none: the 80% warning.
pub const DEFAULT_THRESHOLDS: [u8; 1] = [WARNING_PERCENT as u8];

/// The most notification thresholds a workspace has.
pub const MAX_THRESHOLDS: usize = 5;

/// Why a list of notification thresholds was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdsError {
    /// More than [`MAX_THRESHOLDS`].
    TooMany,
    /// A percent outside 1 to 99.
    OutOfRange,
    /// The same percent twice.
    Repeated,
    /// Text that is not whole percents separated by commas.
    NotPercents,
}

impl ThresholdsError {
    /// The API's code for every reason.
    pub fn code(self) -> &'static str {
        "invalid_thresholds"
    }
}

impl std::fmt::Display for ThresholdsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ThresholdsError::TooMany => "Choose at most five thresholds.",
            ThresholdsError::OutOfRange => "Each threshold is a whole percent from 1 to 99.",
            ThresholdsError::Repeated => "Each threshold can be chosen once.",
            ThresholdsError::NotPercents => {
                "Enter whole percents separated by commas, such as 50, 75, 90."
            }
        })
    }
}

impl std::error::Error for ThresholdsError {}

/// The notification thresholds `asked`, lowest first, if they are up to
/// [`MAX_THRESHOLDS`] different whole percents from 1 to 99 (none: none).
///
/// ```
/// use billing_domain::{validate_thresholds, ThresholdsError};
/// assert_eq!(validate_thresholds(&[90, 50]), Ok(vec![50, 90]));
/// assert_eq!(validate_thresholds(&[100]), Err(ThresholdsError::OutOfRange));
/// ```
pub fn validate_thresholds(asked: &[i64]) -> Result<Vec<u8>, ThresholdsError> {
    if asked.len() > MAX_THRESHOLDS {
        return Err(ThresholdsError::TooMany);
    }
    let mut chosen = Vec::with_capacity(asked.len());
    for &p in asked {
        let p = u8::try_from(p)
            .ok()
            .filter(|p| (1..=99).contains(p))
            .ok_or(ThresholdsError::OutOfRange)?;
        if chosen.contains(&p) {
            return Err(ThresholdsError::Repeated);
        }
        chosen.push(p);
    }
    chosen.sort_unstable();
    Ok(chosen)
}

/// The thresholds field's text ("50, 75, 90", a `%` allowed) read.
///
/// ```
/// use billing_domain::parse_thresholds;
/// assert_eq!(parse_thresholds(" 90%, 50 ,75 "), Ok(vec![50, 75, 90]));
/// assert_eq!(parse_thresholds(""), Ok(vec![]));
/// assert!(parse_thresholds("half").is_err());
/// ```
pub fn parse_thresholds(text: &str) -> Result<Vec<u8>, ThresholdsError> {
    let asked = text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.trim_end_matches('%')
                .trim()
                .parse::<i64>()
                .map_err(|_| ThresholdsError::NotPercents)
        })
        .collect::<Result<Vec<_>, _>>()?;
    validate_thresholds(&asked)
}

/// The thresholds as the field shows them: "50, 75, 90".
pub fn thresholds_text(thresholds: &[u8]) -> String {
    thresholds
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What goes to the webhook, in the alert section's words: "The 50%, 90%
/// and cap-reached alerts, and changes to these settings, go to your webhook."
///
/// ```
/// use billing_domain::alert_delivery_sentence;
/// assert_eq!(alert_delivery_sentence(&[80]),
///     "The 80% and cap-reached alerts, and changes to these settings, go to your webhook.");
/// assert_eq!(alert_delivery_sentence(&[]),
///     "The cap-reached alert, and changes to these settings, go to your webhook.");
/// ```
pub fn alert_delivery_sentence(thresholds: &[u8]) -> String {
    let percents: Vec<String> = thresholds.iter().map(|p| format!("{p}%")).collect();
    match percents.as_slice() {
        [] => "The cap-reached alert, and changes to these settings, go to your webhook.".into(),
        [one] => format!(
            "The {one} and cap-reached alerts, and changes to these settings, go to your webhook."
        ),
        more => format!(
            "The {} and cap-reached alerts, and changes to these settings, go to your webhook.",
            more.join(", ")
        ),
    }
}

/// The thresholds crossed when flex spend goes from `before` to `after`
/// under `cap` (none without a cap), lowest first: each of `percents`, and
/// the cap itself.
///
/// ```
/// use billing_domain::{thresholds_crossed, Money, Threshold};
/// let cap = Some(Money::from_cents(10_000));
/// let crossed = thresholds_crossed(Money::from_cents(7_900), Money::from_cents(10_000), cap, &[80]);
/// assert_eq!(crossed, [Threshold::Percent(80), Threshold::CapReached]);
/// assert!(thresholds_crossed(Money::from_cents(8_000), Money::from_cents(9_000), cap, &[80]).is_empty());
/// ```
pub fn thresholds_crossed(
    before: Money,
    after: Money,
    cap: Option<Money>,
    percents: &[u8],
) -> Vec<Threshold> {
    let (Some(was), Some(now)) = (cap_percent(before, cap), cap_percent(after, cap)) else {
        return Vec::new();
    };
    let mut crossed: Vec<Threshold> = percents
        .iter()
        .filter(|&&p| u32::from(p) > was && u32::from(p) <= now)
        .map(|&p| Threshold::Percent(p))
        .collect();
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
        let at = |before, after| thresholds_crossed(m(before), m(after), cap, &DEFAULT_THRESHOLDS);
        assert_eq!(at(0, 7_999), []);
        assert_eq!(at(7_999, 8_000), [Threshold::Percent(80)]);
        assert_eq!(at(8_000, 9_999), []);
        assert_eq!(at(9_999, 10_000), [Threshold::CapReached]);
        assert_eq!(
            at(0, 10_000),
            [Threshold::Percent(80), Threshold::CapReached]
        );
        assert_eq!(
            thresholds_crossed(m(0), m(50_000), None, &DEFAULT_THRESHOLDS),
            [],
            "no cap, no thresholds"
        );
    }

    #[test]
    fn the_owners_thresholds_are_crossed_each_once_lowest_first() {
        let cap = Some(m(10_000));
        let chosen = [50, 75, 90];
        assert_eq!(
            thresholds_crossed(m(4_000), m(9_500), cap, &chosen),
            [
                Threshold::Percent(50),
                Threshold::Percent(75),
                Threshold::Percent(90)
            ]
        );
        assert_eq!(thresholds_crossed(m(5_000), m(7_400), cap, &chosen), []);
        assert_eq!(
            thresholds_crossed(m(0), m(10_000), cap, &[]),
            [Threshold::CapReached]
        );
        assert_eq!(Threshold::Percent(80).raise_key(), "flex.threshold_reached");
        assert_eq!(
            Threshold::Percent(50).raise_key(),
            "flex.threshold_reached@50"
        );
        assert_eq!(Threshold::CapReached.raise_key(), "flex.cap_reached");
    }

    #[test]
    fn thresholds_are_up_to_five_different_whole_percents() {
        assert_eq!(validate_thresholds(&[]), Ok(vec![]));
        assert_eq!(validate_thresholds(&[1, 99, 50]), Ok(vec![1, 50, 99]));
        assert_eq!(
            validate_thresholds(&[10, 20, 30, 40, 50, 60]),
            Err(ThresholdsError::TooMany)
        );
        for bad in [0, 100, -5, 1_000] {
            assert_eq!(
                validate_thresholds(&[bad]),
                Err(ThresholdsError::OutOfRange),
                "{bad}"
            );
        }
        assert_eq!(
            validate_thresholds(&[50, 50]),
            Err(ThresholdsError::Repeated)
        );
        assert_eq!(
            parse_thresholds("50, 5o"),
            Err(ThresholdsError::NotPercents)
        );
        assert_eq!(thresholds_text(&[50, 75, 90]), "50, 75, 90");
        assert_eq!(ThresholdsError::OutOfRange.code(), "invalid_thresholds");
    }
}
