//! The audit trail in words: one [`ActivityEntry`] as a sentence for people,
//! with how long ago it happened, counted from a given "now".

use crate::cycle::human_date;
use crate::wire::ActivityEntry;
use chrono::{DateTime, NaiveDate, Utc};

/// Past this many days, a change shows its date instead of "N days ago".
pub const RELATIVE_DAYS: i64 = 30;

/// One change, in words: what happened, who did it and when, as of `now`.
///
/// No actor leaves out "by …"; a time that cannot be read leaves out the time.
///
/// ```
/// use billing_domain::{describe_activity, parse_utc, ActivityEntry, FlexSnapshot, Money};
///
/// let snapshot = |cents| Some(FlexSnapshot { enabled: true, cap: Some(Money::from_cents(cents)) });
/// let entry = ActivityEntry {
///     id: 7,
///     at: "2026-11-25T19:00:00Z".into(),
///     actor: Some("owner@acme.test".into()),
///     action: "cap_set".into(),
///     old: snapshot(10_000),
///     new: snapshot(25_000),
/// };
/// let now = parse_utc("2026-11-25T19:02:10Z").unwrap();
/// assert_eq!(
///     describe_activity(&entry, now),
///     "Cap set to $250.00 (was $100.00) by owner@acme.test, 2 minutes ago"
/// );
/// ```
pub fn describe_activity(entry: &ActivityEntry, now: DateTime<Utc>) -> String {
    let mut text = activity_summary(entry);
    if let Some(actor) = entry.actor.as_deref().filter(|a| !a.trim().is_empty()) {
        text.push_str(" by ");
        text.push_str(actor.trim());
    }
    if let Some(at) = parse_utc(&entry.at) {
        text.push_str(", ");
        text.push_str(&time_ago(at, now));
    }
    text
}

/// What a change did, without who or when: "Cap set to $250.00 (was $100.00)".
pub fn activity_summary(entry: &ActivityEntry) -> String {
    let old_cap = entry.old.and_then(|s| s.cap);
    let new_cap = entry.new.and_then(|s| s.cap);
    let was = |cap: Option<crate::Money>| match cap {
        Some(cap) => format!(" (was {cap})"),
        None => String::new(),
    };
    match entry.action.as_str() {
        "enabled" => match new_cap {
            Some(cap) => format!("Flex Billing enabled with a {cap} cap"),
            None => "Flex Billing enabled with no cap".into(),
        },
        "disabled" => "Flex Billing disabled".into(),
        "cap_set" => match (new_cap, old_cap, entry.old.is_some()) {
            (Some(cap), Some(_), _) => format!("Cap set to {cap}{}", was(old_cap)),
            (Some(cap), None, true) => format!("Cap set to {cap} (was no cap)"),
            (Some(cap), None, false) => format!("Cap set to {cap}"),
            (None, _, _) => "Cap changed".into(),
        },
        "cap_removed" => format!("Cap removed{}", was(old_cap)),
        _ => "Flex Billing settings changed".into(),
    }
}

/// How long before `now` the moment `at` was: "just now", "1 minute ago",
/// "5 minutes ago", "1 hour ago", "3 hours ago", "yesterday", "4 days ago", and
/// from 30 days on its date, "on Nov 1, 2026". A moment after `now` (clocks
/// that disagree a little) is "just now".
pub fn time_ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    let (minutes, hours, days) = (secs / 60, secs / 3_600, secs / 86_400);
    match () {
        _ if minutes < 1 => "just now".into(),
        _ if minutes == 1 => "1 minute ago".into(),
        _ if hours < 1 => format!("{minutes} minutes ago"),
        _ if hours == 1 => "1 hour ago".into(),
        _ if days < 1 => format!("{hours} hours ago"),
        _ if days == 1 => "yesterday".into(),
        _ if days < RELATIVE_DAYS => format!("{days} days ago"),
        _ => format!("on {}", human_date(at.date_naive())),
    }
}

/// Reads a moment in the one form the API writes, `YYYY-MM-DDTHH:MM:SSZ`
/// (UTC, whole seconds), without a general date parser. Anything else is `None`.
///
/// ```
/// # use billing_domain::parse_utc;
/// assert!(parse_utc("2026-11-25T19:00:00Z").is_some());
/// assert!(parse_utc("2026-11-25 19:00").is_none());
/// ```
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() != 20 {
        return None;
    }
    let separators = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ];
    if separators.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(num(0, 4)?).ok()?;
    let day = NaiveDate::from_ymd_opt(year, num(5, 7)?, num(8, 10)?)?;
    let time = day.and_hms_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?)?;
    Some(time.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FlexSnapshot, Money};

    fn at(text: &str) -> DateTime<Utc> {
        parse_utc(text).expect("a moment")
    }

    fn snap(enabled: bool, cap: Option<i64>) -> Option<FlexSnapshot> {
        Some(FlexSnapshot {
            enabled,
            cap: cap.map(Money::from_cents),
        })
    }

    fn entry(action: &str, old: Option<FlexSnapshot>, new: Option<FlexSnapshot>) -> ActivityEntry {
        ActivityEntry {
            id: 1,
            at: "2026-11-25T19:00:00Z".into(),
            actor: Some("owner@acme.test".into()),
            action: action.into(),
            old,
            new,
        }
    }

    const NOW: &str = "2026-11-25T19:02:00Z";

    #[test]
    fn each_action_in_words() {
        let now = at(NOW);
        let cases = [
            (
                entry("enabled", snap(false, None), snap(true, Some(10_000))),
                "Flex Billing enabled with a $100.00 cap by owner@acme.test, 2 minutes ago",
            ),
            (
                entry("enabled", snap(false, None), snap(true, None)),
                "Flex Billing enabled with no cap by owner@acme.test, 2 minutes ago",
            ),
            (
                entry(
                    "cap_set",
                    snap(true, Some(10_000)),
                    snap(true, Some(25_000)),
                ),
                "Cap set to $250.00 (was $100.00) by owner@acme.test, 2 minutes ago",
            ),
            (
                entry("cap_set", snap(true, None), snap(true, Some(120_000))),
                "Cap set to $1,200.00 (was no cap) by owner@acme.test, 2 minutes ago",
            ),
            (
                entry("cap_removed", snap(true, Some(25_000)), snap(true, None)),
                "Cap removed (was $250.00) by owner@acme.test, 2 minutes ago",
            ),
            (
                entry("disabled", snap(true, Some(25_000)), snap(false, None)),
                "Flex Billing disabled by owner@acme.test, 2 minutes ago",
            ),
            (
                entry("renamed", None, None),
                "Flex Billing settings changed by owner@acme.test, 2 minutes ago",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(describe_activity(&e, now), want, "{}", e.action);
        }
    }

    #[test]
    fn without_an_actor_or_a_readable_time_those_parts_are_left_out() {
        let mut e = entry("disabled", snap(true, None), snap(false, None));
        e.actor = None;
        assert_eq!(
            describe_activity(&e, at(NOW)),
            "Flex Billing disabled, 2 minutes ago"
        );
        e.actor = Some("admin@acme.test".into());
        e.at = "yesterday at noon".into();
        assert_eq!(
            describe_activity(&e, at(NOW)),
            "Flex Billing disabled by admin@acme.test"
        );
    }

    #[test]
    fn how_long_ago() {
        let then = at("2026-11-01T12:00:00Z");
        let cases = [
            ("2026-11-01T11:59:00Z", "just now"), // a clock a little behind
            ("2026-11-01T12:00:00Z", "just now"),
            ("2026-11-01T12:00:59Z", "just now"),
            ("2026-11-01T12:01:00Z", "1 minute ago"),
            ("2026-11-01T12:01:59Z", "1 minute ago"),
            ("2026-11-01T12:02:00Z", "2 minutes ago"),
            ("2026-11-01T12:59:59Z", "59 minutes ago"),
            ("2026-11-01T13:00:00Z", "1 hour ago"),
            ("2026-11-01T14:00:00Z", "2 hours ago"),
            ("2026-11-02T11:59:59Z", "23 hours ago"),
            ("2026-11-02T12:00:00Z", "yesterday"),
            ("2026-11-03T11:59:59Z", "yesterday"),
            ("2026-11-03T12:00:00Z", "2 days ago"),
            ("2026-11-30T12:00:00Z", "29 days ago"),
            ("2026-12-01T12:00:00Z", "on Nov 1, 2026"),
            ("2027-03-01T00:00:00Z", "on Nov 1, 2026"),
        ];
        for (now, want) in cases {
            assert_eq!(time_ago(then, at(now)), want, "now {now}");
        }
    }

    #[test]
    fn reads_only_the_fixed_form() {
        assert_eq!(
            parse_utc("2026-02-28T23:59:59Z"),
            chrono::NaiveDate::from_ymd_opt(2026, 2, 28)
                .and_then(|d| d.and_hms_opt(23, 59, 59))
                .map(|t| t.and_utc())
        );
        for bad in [
            "",
            "2026-11-25T19:00:00",
            "2026-11-25T19:00:00+00:00",
            "2026-11-25T19:00:00.5Z",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25 19:00:00Z",
            "2026-1a-25T19:00:00Z",
            "+026-11-25T19:00:00Z",
            "２０26-11-25T19:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad:?}");
        }
    }
}
