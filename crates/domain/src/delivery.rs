//! Alerts on their way: the channel an alert goes by, a delivery's state, the
//! retry schedule, and the delivery log in words.

use crate::names::wire_names;
use crate::{time_ago, Delivery, DeliveryAttempt};
use chrono::{DateTime, Utc};

wire_names! {
    /// How an alert reaches people.
    pub enum Channel {
        /// A signed POST to the workspace's webhook endpoint.
        Webhook = "webhook",
        /// An email to each owner and admin.
        Email = "email",
    }
}

wire_names! {
    /// Where one delivery stands.
    pub enum DeliveryState {
        /// Not tried yet.
        Pending = "pending",
        /// The receiver took it.
        Delivered = "delivered",
        /// The last attempt failed; it is tried again.
        Retrying = "retrying",
        /// Given up after a day of failed attempts.
        Failed = "failed",
    }
}

impl DeliveryState {
    /// The state of a delivery that was `delivered`, or `gave_up`, or neither,
    /// with any attempt made so far (`attempted`): pending until the first
    /// attempt, retrying after a failed one.
    ///
    /// ```
    /// use billing_domain::DeliveryState;
    /// assert_eq!(DeliveryState::of(false, false, false), DeliveryState::Pending);
    /// assert_eq!(DeliveryState::of(false, false, true), DeliveryState::Retrying);
    /// ```
    pub fn of(delivered: bool, gave_up: bool, attempted: bool) -> DeliveryState {
        match (delivered, gave_up, attempted) {
            (true, _, _) => DeliveryState::Delivered,
            (_, true, _) => DeliveryState::Failed,
            (_, _, true) => DeliveryState::Retrying,
            _ => DeliveryState::Pending,
        }
    }

    /// Whether more is still to happen to it (pending or retrying).
    pub fn is_open(self) -> bool {
        matches!(self, DeliveryState::Pending | DeliveryState::Retrying)
    }
}

/// The first retry of a failed delivery comes this soon after it.
pub const FIRST_RETRY_SECONDS: i64 = 2;
/// Retries double their wait up to this.
pub const LONGEST_RETRY_SECONDS: i64 = 3_600;
/// A delivery not made this long after its alert was raised is given up.
pub const GIVE_UP_AFTER_SECONDS: i64 = 24 * 3_600;

/// When to try a delivery again after its `failed`-th failed attempt (1 for
/// the first) at `now`: 2 s after the first, doubling up to an hour between
/// tries; `None` once a day has passed since the alert was `raised`.
///
/// ```
/// use billing_domain::{next_attempt, parse_utc};
/// let raised = parse_utc("2026-11-25T12:00:00Z").unwrap();
/// let later = |s| raised + chrono::Duration::seconds(s);
/// assert_eq!(next_attempt(1, raised, raised), Some(later(2)));
/// assert_eq!(next_attempt(3, raised, later(6)), Some(later(14)));
/// assert_eq!(next_attempt(20, raised, later(40_000)), Some(later(43_600)));
/// assert_eq!(next_attempt(30, raised, later(86_400)), None);
/// ```
pub fn next_attempt(
    failed: u32,
    raised: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let give_up_at = raised + chrono::Duration::seconds(GIVE_UP_AFTER_SECONDS);
    if now >= give_up_at {
        return None;
    }
    let doublings = failed.saturating_sub(1).min(20);
    let wait = (FIRST_RETRY_SECONDS << doublings).min(LONGEST_RETRY_SECONDS);
    Some(now + chrono::Duration::seconds(wait))
}

/// A delivery in words, for the card's log: "80% alert sent to
/// https://hooks.example.com, 200, 3 minutes ago".
pub fn describe_delivery(d: &Delivery, now: DateTime<Utc>) -> String {
    let what = d.event_type.words();
    let target = &d.target;
    let last = d.attempts.last();
    let when = |at: crate::Moment| time_ago(at.utc(), now);
    let outcome = |a: &DeliveryAttempt| match (&a.status, &a.error) {
        (Some(status), None) => status.to_string(),
        (Some(status), Some(e)) => format!("{status}: {e}"),
        (None, Some(e)) => e.clone(),
        (None, None) => "no answer".into(),
    };
    match (d.state, last) {
        (DeliveryState::Delivered, Some(a)) => {
            format!("{what} sent to {target}, {}, {}", outcome(a), when(a.at))
        }
        (DeliveryState::Retrying, Some(a)) => format!(
            "{what} to {target} failed ({}), {}; trying again{}",
            outcome(a),
            when(a.at),
            match d.attempts.len() {
                1 => String::new(),
                n => format!(" (tried {n} times)"),
            }
        ),
        (DeliveryState::Failed, Some(a)) => format!(
            "{what} to {target} was not delivered: {} tries over a day, the last {} ({})",
            d.attempts.len(),
            when(a.at),
            outcome(a)
        ),
        _ => format!("{what} to {target}: sending"),
    }
}

#[cfg(test)]
mod words {
    use super::*;
    use crate::{parse_utc, EventType, Moment};

    fn attempt(at: &str, status: Option<u16>, error: Option<&str>) -> DeliveryAttempt {
        DeliveryAttempt {
            at: Moment::parse(at).unwrap(),
            status,
            error: error.map(Into::into),
        }
    }

    #[test]
    fn the_log_says_what_happened_in_words() {
        let now = parse_utc("2026-11-25T12:03:00Z").unwrap();
        let mut d = Delivery {
            id: "msg_1".into(),
            event_type: EventType::ThresholdReached,
            channel: Channel::Webhook,
            target: "https://hooks.example.com".into(),
            created_at: Moment::parse("2026-11-25T12:00:00Z").unwrap(),
            state: DeliveryState::Pending,
            next_attempt_at: None,
            attempts: vec![],
        };
        assert_eq!(
            describe_delivery(&d, now),
            "80% alert to https://hooks.example.com: sending"
        );
        d.state = DeliveryState::Retrying;
        d.attempts
            .push(attempt("2026-11-25T12:00:00Z", Some(503), None));
        assert_eq!(
            describe_delivery(&d, now),
            "80% alert to https://hooks.example.com failed (503), 3 minutes ago; trying again"
        );
        d.state = DeliveryState::Delivered;
        d.attempts
            .push(attempt("2026-11-25T12:00:00Z", Some(200), None));
        assert_eq!(
            describe_delivery(&d, now),
            "80% alert sent to https://hooks.example.com, 200, 3 minutes ago"
        );
        d.state = DeliveryState::Failed;
        d.attempts.push(attempt(
            "2026-11-25T12:00:00Z",
            None,
            Some("connection refused"),
        ));
        assert_eq!(
            describe_delivery(&d, now),
            "80% alert to https://hooks.example.com was not delivered: 3 tries over a day, the last 3 minutes ago (connection refused)"
        );
    }
}
