//! Alerts that reach people: which thresholds a change of spend crosses, the
//! webhook events sent for them, who may receive them, and the delivery log
//! in words.

use crate::{cap_percent, parse_utc, time_ago, Delivery, DeliveryAttempt, Money, WARNING_PERCENT};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    pub fn event_type(self) -> &'static str {
        match self {
            Threshold::Warning => "flex.threshold_reached",
            Threshold::CapReached => "flex.cap_reached",
        }
    }
}

/// The webhook event sent when Flex Billing settings change.
pub const SETTINGS_CHANGED: &str = "flex.settings_changed";

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

/// Why a webhook address is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookUrlError {
    /// Not an absolute `https://` address (or `http://` on this machine).
    NotHttps,
    /// Longer than [`MAX_WEBHOOK_URL`].
    TooLong,
}

impl WebhookUrlError {
    /// The error's code in the API.
    pub fn code(&self) -> &'static str {
        "invalid_webhook_url"
    }

    /// In words, for people.
    pub fn message(&self) -> &'static str {
        match self {
            WebhookUrlError::NotHttps => "Enter an address that starts with https:// (http:// only for 127.0.0.1 or localhost, for testing).",
            WebhookUrlError::TooLong => "That address is too long (at most 2,000 characters).",
        }
    }
}

/// The longest webhook address accepted.
pub const MAX_WEBHOOK_URL: usize = 2_000;

/// Checks a webhook address: HTTPS, or HTTP to this machine (for tests).
/// Answers it trimmed.
///
/// ```
/// use billing_domain::webhook_url;
/// assert!(webhook_url("https://hooks.example.com/billing").is_ok());
/// assert!(webhook_url("http://127.0.0.1:9000/hook").is_ok());
/// assert!(webhook_url("http://hooks.example.com/billing").is_err());
/// ```
pub fn webhook_url(url: &str) -> Result<String, WebhookUrlError> {
    let url = url.trim();
    if url.len() > MAX_WEBHOOK_URL {
        return Err(WebhookUrlError::TooLong);
    }
    let rest = if let Some(rest) = strip_prefix_ci(url, "https://") {
        rest
    } else if let Some(rest) = strip_prefix_ci(url, "http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let name = if host.starts_with('[') {
            host.split(']')
                .next()
                .map(|h| format!("{h}]"))
                .unwrap_or_default()
        } else {
            host.split(':').next().unwrap_or("").to_string()
        };
        if !matches!(
            name.to_ascii_lowercase().as_str(),
            "127.0.0.1" | "localhost" | "[::1]"
        ) {
            return Err(WebhookUrlError::NotHttps);
        }
        rest
    } else {
        return Err(WebhookUrlError::NotHttps);
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WebhookUrlError::NotHttps);
    }
    Ok(url.to_string())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    // `get`, not slicing: the text may have a multi-byte character there.
    s.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .and_then(|_| s.get(prefix.len()..))
}

/// An alert's event in words: "80% alert".
pub fn event_words(event_type: &str) -> &'static str {
    match event_type {
        "flex.threshold_reached" => "80% alert",
        "flex.cap_reached" => "Cap reached alert",
        "flex.settings_changed" => "Settings change",
        _ => "Event",
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
    let what = event_words(&d.event_type);
    let target = &d.target;
    let last = d.attempts.last();
    let when = |at: &str| parse_utc(at).map(|t| time_ago(t, now)).unwrap_or_default();
    let outcome = |a: &DeliveryAttempt| match (&a.status, &a.error) {
        (Some(status), None) => status.to_string(),
        (Some(status), Some(e)) => format!("{status}: {e}"),
        (None, Some(e)) => e.clone(),
        (None, None) => "no answer".into(),
    };
    match (d.state.as_str(), last) {
        ("delivered", Some(a)) => {
            format!("{what} sent to {target}, {}, {}", outcome(a), when(&a.at))
        }
        ("retrying", Some(a)) => format!(
            "{what} to {target} failed ({}), {}; trying again{}",
            outcome(a),
            when(&a.at),
            match d.attempts.len() {
                1 => String::new(),
                n => format!(" (tried {n} times)"),
            }
        ),
        ("failed", Some(a)) => format!(
            "{what} to {target} was not delivered: {} tries over a day, the last {} ({})",
            d.attempts.len(),
            when(&a.at),
            outcome(a)
        ),
        _ => format!("{what} to {target}: sending"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// schemathesis found a panic here once: a multi-byte character where
        /// the scheme would end.
        #[test]
        fn no_address_panics(s in "\\PC{0,40}", prefix in prop::sample::select(vec!["", "http://", "https://", "HTTP://", "http"])) {
            let _ = webhook_url(&format!("{prefix}{s}"));
        }
    }

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

    #[test]
    fn webhook_addresses_are_https_or_this_machine() {
        for ok in [
            "https://hooks.example.com",
            " https://hooks.example.com/a?b=c ",
            "HTTPS://Hooks.Example.com/x",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9000/",
        ] {
            assert!(webhook_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "hooks.example.com",
            "http://hooks.example.com",
            "http://127.0.0.1.evil.com/",
            "http://localhost.evil.com/",
            "ftp://hooks.example.com",
            "https://",
            "https://exa mple.com",
            "javascript:alert(1)",
            "RXÞ]E+³öÑ¢",
            "httpsé://x",
            "ht³",
        ] {
            assert_eq!(webhook_url(bad), Err(WebhookUrlError::NotHttps), "{bad}");
        }
        assert_eq!(
            webhook_url(&format!("https://a.example/{}", "x".repeat(2_000))),
            Err(WebhookUrlError::TooLong)
        );
    }
}

#[cfg(test)]
mod words {
    use super::*;

    fn attempt(at: &str, status: Option<u16>, error: Option<&str>) -> DeliveryAttempt {
        DeliveryAttempt {
            at: at.into(),
            status,
            error: error.map(Into::into),
        }
    }

    #[test]
    fn the_log_says_what_happened_in_words() {
        let now = parse_utc("2026-11-25T12:03:00Z").unwrap();
        let mut d = Delivery {
            id: "msg_1".into(),
            event_type: "flex.threshold_reached".into(),
            channel: "webhook".into(),
            target: "https://hooks.example.com".into(),
            created_at: "2026-11-25T12:00:00Z".into(),
            state: "pending".into(),
            next_attempt_at: None,
            attempts: vec![],
        };
        assert_eq!(
            describe_delivery(&d, now),
            "80% alert to https://hooks.example.com: sending"
        );
        d.state = "retrying".into();
        d.attempts
            .push(attempt("2026-11-25T12:00:00Z", Some(503), None));
        assert_eq!(
            describe_delivery(&d, now),
            "80% alert to https://hooks.example.com failed (503), 3 minutes ago; trying again"
        );
        d.state = "delivered".into();
        d.attempts
            .push(attempt("2026-11-25T12:00:00Z", Some(200), None));
        assert_eq!(
            describe_delivery(&d, now),
            "80% alert sent to https://hooks.example.com, 200, 3 minutes ago"
        );
        d.state = "failed".into();
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
