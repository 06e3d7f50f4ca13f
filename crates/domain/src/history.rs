//! The audit trail in words: one [`ActivityEntry`] as a sentence for people,
//! with how long ago it happened, counted from a given "now".

use crate::cycle::human_date;
use crate::names::wire_names;
use crate::wire::ActivityEntry;
use chrono::{DateTime, Utc};

wire_names! {
    /// What one line of the audit trail records.
    pub enum AuditAction {
        /// Flex Billing turned on.
        Enabled = "enabled",
        /// Flex Billing turned off.
        Disabled = "disabled",
        /// A cap set (or changed).
        CapSet = "cap_set",
        /// The cap removed: no limit.
        CapRemoved = "cap_removed",
        /// Prepaid credits added by the platform (an order paid for).
        PrepaidAdded = "prepaid_added",
    }
}

/// Past this many days, a change shows its date instead of "N days ago".
pub const RELATIVE_DAYS: i64 = 30;

/// One change, in words: what happened, who did it and when, as of `now`.
///
/// No actor leaves out "by …".
///
/// ```
/// use billing_domain::{describe_activity, parse_utc, ActivityEntry, AuditAction, FlexSnapshot, Moment, Money};
///
/// let snapshot = |cents| Some(FlexSnapshot { enabled: true, cap: Some(Money::from_cents(cents)) });
/// let entry = ActivityEntry {
///     id: 7,
///     at: Moment::parse("2026-11-25T19:00:00Z").unwrap(),
///     actor: Some("owner@acme.test".into()),
///     action: AuditAction::CapSet,
///     old: snapshot(10_000),
///     new: snapshot(25_000),
///     credits: None,
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
    text.push_str(", ");
    text.push_str(&time_ago(entry.at.utc(), now));
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
    match entry.action {
        AuditAction::Enabled => match new_cap {
            Some(cap) => format!("Flex Billing enabled with a {cap} cap"),
            None => "Flex Billing enabled with no cap".into(),
        },
        AuditAction::Disabled => "Flex Billing disabled".into(),
        AuditAction::CapSet => match (new_cap, old_cap, entry.old.is_some()) {
            (Some(cap), Some(_), _) => format!("Cap set to {cap}{}", was(old_cap)),
            (Some(cap), None, true) => format!("Cap set to {cap} (was no cap)"),
            (Some(cap), None, false) => format!("Cap set to {cap}"),
            (None, _, _) => "Cap changed".into(),
        },
        AuditAction::CapRemoved => format!("Cap removed{}", was(old_cap)),
        AuditAction::PrepaidAdded => match entry.credits {
            Some(c) if c == crate::Credits::whole(1) => "1 prepaid credit added".into(),
            Some(c) => format!("{c} prepaid credits added"),
            None => "Prepaid credits added".into(),
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_utc, FlexSnapshot, Moment, Money};

    fn at(text: &str) -> DateTime<Utc> {
        parse_utc(text).expect("a moment")
    }

    fn snap(enabled: bool, cap: Option<i64>) -> Option<FlexSnapshot> {
        Some(FlexSnapshot {
            enabled,
            cap: cap.map(Money::from_cents),
        })
    }

    fn entry(
        action: AuditAction,
        old: Option<FlexSnapshot>,
        new: Option<FlexSnapshot>,
    ) -> ActivityEntry {
        ActivityEntry {
            id: 1,
            at: Moment::parse("2026-11-25T19:00:00Z").unwrap(),
            actor: Some("owner@acme.test".into()),
            action,
            old,
            new,
            credits: None,
        }
    }

    #[test]
    fn prepaid_credits_added_in_words() {
        let added = |c: i64| ActivityEntry {
            actor: None,
            credits: Some(crate::Credits::whole(c)),
            ..entry(AuditAction::PrepaidAdded, None, None)
        };
        assert_eq!(activity_summary(&added(100)), "100 prepaid credits added");
        assert_eq!(activity_summary(&added(1)), "1 prepaid credit added");
        assert_eq!(
            describe_activity(&added(100), at(NOW)),
            "100 prepaid credits added, 2 minutes ago"
        );
    }

    const NOW: &str = "2026-11-25T19:02:00Z";

    #[test]
    fn each_action_in_words() {
        let now = at(NOW);
        let cases = [
            (
                entry(
                    AuditAction::Enabled,
                    snap(false, None),
                    snap(true, Some(10_000)),
                ),
                "Flex Billing enabled with a $100.00 cap by owner@acme.test, 2 minutes ago",
            ),
            (
                entry(AuditAction::Enabled, snap(false, None), snap(true, None)),
                "Flex Billing enabled with no cap by owner@acme.test, 2 minutes ago",
            ),
            (
                entry(
                    AuditAction::CapSet,
                    snap(true, Some(10_000)),
                    snap(true, Some(25_000)),
                ),
                "Cap set to $250.00 (was $100.00) by owner@acme.test, 2 minutes ago",
            ),
            (
                entry(
                    AuditAction::CapSet,
                    snap(true, None),
                    snap(true, Some(120_000)),
                ),
                "Cap set to $1,200.00 (was no cap) by owner@acme.test, 2 minutes ago",
            ),
            (
                entry(
                    AuditAction::CapRemoved,
                    snap(true, Some(25_000)),
                    snap(true, None),
                ),
                "Cap removed (was $250.00) by owner@acme.test, 2 minutes ago",
            ),
            (
                entry(
                    AuditAction::Disabled,
                    snap(true, Some(25_000)),
                    snap(false, None),
                ),
                "Flex Billing disabled by owner@acme.test, 2 minutes ago",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(describe_activity(&e, now), want, "{:?}", e.action);
        }
    }

    #[test]
    fn without_an_actor_that_part_is_left_out() {
        let mut e = entry(AuditAction::Disabled, snap(true, None), snap(false, None));
        e.actor = None;
        assert_eq!(
            describe_activity(&e, at(NOW)),
            "Flex Billing disabled, 2 minutes ago"
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
}
