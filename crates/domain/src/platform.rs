//! The platform's provisioning API: workspaces, their plans and members, and
//! prepaid credits, as the platform that runs this page describes them. Each
//! request's fields arrive as text and are checked here, so every bad value
//! is refused with a code of its own rather than a parse error.

use crate::{Credits, FlexSettings, Money, PlanInterval, Role, UsageSummary, WorkspaceInfo};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The longest workspace or plan name accepted.
pub const MAX_NAME_LEN: usize = 100;
/// The most included credits a plan may carry per cycle.
pub const MAX_INCLUDED_CREDITS: i64 = 1_000_000_000;
/// The highest rate accepted, in dollars per credit.
pub const MAX_RATE_CENTS: i64 = 1_000_000;
/// The most prepaid credits one grant may add.
pub const MAX_PREPAID_GRANT: i64 = 100_000_000;
/// The longest e-mail address accepted.
pub const MAX_EMAIL_LEN: usize = 254;

/// `PUT /api/platform/workspaces/{ws}`: the workspace as the platform has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkspaceSpec {
    /// Display name, e.g. `Acme Robotics` (1 to 100 characters).
    #[cfg_attr(feature = "openapi", schema(example = "Acme Robotics"))]
    pub name: String,
    /// Its plan.
    pub plan: PlanSpec,
}

/// A workspace's plan, as the platform sells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    /// Display name, e.g. `Growth` (1 to 100 characters).
    #[cfg_attr(feature = "openapi", schema(example = "Growth"))]
    pub name: String,
    /// `month` or `year`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "month", pattern = "^(month|year)$")
    )]
    pub interval: String,
    /// The first day of the first billing cycle (`YYYY-MM-DD`).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "2026-11-01", pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    )]
    pub anchor: String,
    /// Credits included each cycle (a whole or decimal number, up to four places).
    #[cfg_attr(feature = "openapi", schema(example = "30"))]
    pub included_credits: String,
    /// Dollars per flex credit, e.g. `4.00`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "4.00", pattern = r"^[0-9]{1,5}(\.[0-9]{1,2})?$")
    )]
    pub flex_rate: String,
    /// Dollars per prepaid credit, e.g. `3.00`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "3.00", pattern = r"^[0-9]{1,5}(\.[0-9]{1,2})?$")
    )]
    pub prepaid_rate: String,
}

/// A plan that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Display name.
    pub name: String,
    /// Monthly or annual billing.
    pub interval: PlanInterval,
    /// The first day of the first billing cycle.
    pub anchor: NaiveDate,
    /// Credits included each cycle.
    pub included: Credits,
    /// Dollars per flex credit.
    pub flex_rate: Money,
    /// Dollars per prepaid credit.
    pub prepaid_rate: Money,
}

/// A workspace spec that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidWorkspace {
    /// Display name, trimmed.
    pub name: String,
    /// Its plan.
    pub plan: Plan,
}

/// `PUT /api/platform/workspaces/{ws}/members/{email}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemberSpec {
    /// `owner`, `admin` or `member`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "admin", pattern = "^(owner|admin|member)$")
    )]
    pub role: String,
}

/// The answer to a member's `PUT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberInfo {
    /// Their e-mail, lower-cased.
    pub email: String,
    /// Their role in the workspace.
    pub role: Role,
}

/// `POST /api/platform/workspaces/{ws}/prepaid`: credits bought, once per key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PrepaidGrant {
    /// Credits to add (more than zero, up to four decimal places).
    #[cfg_attr(feature = "openapi", schema(example = "100"))]
    pub credits: String,
    /// The order this grant pays for: the same key adds once.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "order-1", min_length = 1, max_length = 200)
    )]
    pub idempotency_key: String,
}

/// A grant that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidGrant {
    /// Credits to add.
    pub credits: Credits,
    /// The order they pay for.
    pub idempotency_key: String,
}

/// A workspace as the platform reads it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformWorkspace {
    /// The workspace.
    pub workspace: WorkspaceInfo,
    /// Its plan.
    pub plan: PlatformPlan,
    /// Flex Billing settings (the workspace's owners and admins set them).
    pub flex: FlexSettings,
    /// Credits and Flex Usage this cycle.
    pub usage: UsageSummary,
}

/// A plan as the platform reads it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformPlan {
    /// Display name.
    pub name: String,
    /// Monthly or annual billing.
    pub interval: PlanInterval,
    /// The first day of the first billing cycle.
    #[serde(with = "crate::date_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub anchor: NaiveDate,
    /// Credits included each cycle.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "30"))]
    pub included_credits: Credits,
    /// Dollars per flex credit.
    pub flex_rate: Money,
    /// Dollars per prepaid credit.
    pub prepaid_rate: Money,
}

impl From<&Plan> for PlatformPlan {
    fn from(p: &Plan) -> PlatformPlan {
        PlatformPlan {
            name: p.name.clone(),
            interval: p.interval,
            anchor: p.anchor,
            included_credits: p.included,
            flex_rate: p.flex_rate,
            prepaid_rate: p.prepaid_rate,
        }
    }
}

/// Why a provisioning request is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlatformError {
    /// The workspace name is empty, too long, or has control characters.
    Name,
    /// The plan's name, interval or included credits are not valid.
    Plan(&'static str),
    /// A rate is not dollars and cents in (0, 10,000.00].
    Rate(&'static str),
    /// The anchor is not a real day `YYYY-MM-DD`.
    Anchor,
    /// Not `owner`, `admin` or `member`.
    Role,
    /// Not an e-mail address.
    Email,
    /// The credits of a grant are not in (0, 100,000,000] with four places at most.
    Credits,
    /// The grant's key is not 1 to 200 visible ASCII characters.
    IdempotencyKey,
}

impl PlatformError {
    /// The error's code in the API.
    pub fn code(&self) -> &'static str {
        match self {
            PlatformError::Name => "invalid_name",
            PlatformError::Plan(_) => "invalid_plan",
            PlatformError::Rate(_) => "invalid_rate",
            PlatformError::Anchor => "invalid_anchor",
            PlatformError::Role => "invalid_role",
            PlatformError::Email => "invalid_email",
            PlatformError::Credits => "invalid_credits",
            PlatformError::IdempotencyKey => "invalid_idempotency_key",
        }
    }

    /// In words.
    pub fn message(&self) -> String {
        match self {
            PlatformError::Name => format!("The workspace name must be 1 to {MAX_NAME_LEN} characters, without control characters."),
            PlatformError::Plan(why) => format!("The plan is not valid: {why}."),
            PlatformError::Rate(which) => format!("The {which} must be dollars and cents, more than $0.00 and at most $10,000.00 (e.g. \"4.00\")."),
            PlatformError::Anchor => "The plan's anchor must be a real day, written YYYY-MM-DD.".into(),
            PlatformError::Role => "The role must be owner, admin or member.".into(),
            PlatformError::Email => "That is not an e-mail address.".into(),
            PlatformError::Credits => "Credits must be more than 0 and at most 100,000,000, with at most four decimal places.".into(),
            PlatformError::IdempotencyKey => "The idempotency key must be 1 to 200 visible ASCII characters.".into(),
        }
    }
}

fn name_ok(name: &str) -> bool {
    let n = name.trim().chars().count();
    (1..=MAX_NAME_LEN).contains(&n) && !name.chars().any(char::is_control)
}

fn decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    Decimal::from_str(t).ok()
}

fn rate(text: &str, which: &'static str) -> Result<Money, PlatformError> {
    let d = decimal(text).ok_or(PlatformError::Rate(which))?;
    if d <= Decimal::ZERO || d.normalize().scale() > 2 || d > Decimal::new(MAX_RATE_CENTS, 2) {
        return Err(PlatformError::Rate(which));
    }
    Ok(Money::new(d))
}

fn credits(text: &str, max: i64) -> Option<Credits> {
    let d = decimal(text)?;
    (d.normalize().scale() <= Credits::MAX_DECIMALS && d <= Decimal::from(max))
        .then(|| Credits::new(d.normalize()))
}

impl WorkspaceSpec {
    /// Checks every field.
    ///
    /// ```
    /// use billing_domain::{PlanSpec, WorkspaceSpec};
    /// let spec = WorkspaceSpec { name: "Acme Robotics".into(), plan: PlanSpec {
    ///     name: "Growth".into(), interval: "month".into(), anchor: "2026-11-01".into(),
    ///     included_credits: "30".into(), flex_rate: "4.00".into(), prepaid_rate: "3.00".into() } };
    /// let ok = spec.validate().unwrap();
    /// assert_eq!(ok.plan.flex_rate.to_string(), "$4.00");
    /// let bad = WorkspaceSpec { plan: PlanSpec { flex_rate: "-1".into(), ..spec.plan.clone() }, ..spec.clone() };
    /// assert_eq!(bad.validate().unwrap_err().code(), "invalid_rate");
    /// ```
    pub fn validate(&self) -> Result<ValidWorkspace, PlatformError> {
        if !name_ok(&self.name) {
            return Err(PlatformError::Name);
        }
        let p = &self.plan;
        if !name_ok(&p.name) {
            return Err(PlatformError::Plan("its name must be 1 to 100 characters"));
        }
        let interval = PlanInterval::parse(p.interval.trim())
            .ok_or(PlatformError::Plan("the interval must be month or year"))?;
        let anchor = NaiveDate::parse_from_str(p.anchor.trim(), "%Y-%m-%d")
            .map_err(|_| PlatformError::Anchor)?;
        let included =
            credits(&p.included_credits, MAX_INCLUDED_CREDITS).ok_or(PlatformError::Plan(
                "the included credits must be 0 to 1,000,000,000, with at most four decimal places",
            ))?;
        Ok(ValidWorkspace {
            name: self.name.trim().to_string(),
            plan: Plan {
                name: p.name.trim().to_string(),
                interval,
                anchor,
                included,
                flex_rate: rate(&p.flex_rate, "flex rate")?,
                prepaid_rate: rate(&p.prepaid_rate, "prepaid rate")?,
            },
        })
    }
}

impl MemberSpec {
    /// The role asked for.
    pub fn role(&self) -> Result<Role, PlatformError> {
        Role::parse(self.role.trim()).ok_or(PlatformError::Role)
    }
}

/// An e-mail address as people are known by: trimmed, lower-cased, one `@`
/// with something either side, no spaces or control characters.
///
/// ```
/// use billing_domain::member_email;
/// assert_eq!(member_email(" Ada@Example.COM ").unwrap(), "ada@example.com");
/// assert!(member_email("not an address").is_err());
/// ```
pub fn member_email(text: &str) -> Result<String, PlatformError> {
    let e = text.trim().to_lowercase();
    let ok = e.len() <= MAX_EMAIL_LEN
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            }
            None => false,
        };
    if ok {
        Ok(e)
    } else {
        Err(PlatformError::Email)
    }
}

impl PrepaidGrant {
    /// Checks the credits and the key.
    pub fn validate(&self) -> Result<ValidGrant, PlatformError> {
        let credits = credits(&self.credits, MAX_PREPAID_GRANT)
            .filter(|c| !c.is_zero())
            .ok_or(PlatformError::Credits)?;
        let key = &self.idempotency_key;
        if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PlatformError::IdempotencyKey);
        }
        Ok(ValidGrant {
            credits,
            idempotency_key: key.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> WorkspaceSpec {
        WorkspaceSpec {
            name: "Acme Robotics".into(),
            plan: PlanSpec {
                name: "Growth".into(),
                interval: "month".into(),
                anchor: "2026-11-01".into(),
                included_credits: "30".into(),
                flex_rate: "4.00".into(),
                prepaid_rate: "3.00".into(),
            },
        }
    }

    fn code_of(change: impl Fn(&mut WorkspaceSpec)) -> &'static str {
        let mut s = spec();
        change(&mut s);
        s.validate().map(|_| "ok").unwrap_or_else(|e| e.code())
    }

    #[test]
    fn each_bad_field_has_its_code() {
        assert_eq!(code_of(|_| {}), "ok");
        assert_eq!(code_of(|s| s.name = " ".into()), "invalid_name");
        assert_eq!(code_of(|s| s.name = "x".repeat(101)), "invalid_name");
        assert_eq!(code_of(|s| s.name = "a\u{0}b".into()), "invalid_name");
        assert_eq!(code_of(|s| s.plan.name = String::new()), "invalid_plan");
        assert_eq!(code_of(|s| s.plan.interval = "week".into()), "invalid_plan");
        assert_eq!(
            code_of(|s| s.plan.included_credits = "-1".into()),
            "invalid_plan"
        );
        assert_eq!(
            code_of(|s| s.plan.included_credits = "1.00001".into()),
            "invalid_plan"
        );
        assert_eq!(code_of(|s| s.plan.included_credits = "0".into()), "ok");
        for bad in ["0", "-4", "4.001", "abc", "", "10000.01", "1e3", " "] {
            assert_eq!(
                code_of(|s| s.plan.flex_rate = bad.into()),
                "invalid_rate",
                "{bad:?}"
            );
            assert_eq!(
                code_of(|s| s.plan.prepaid_rate = bad.into()),
                "invalid_rate",
                "{bad:?}"
            );
        }
        for bad in ["2026-02-30", "2026-13-01", "01/11/2026", ""] {
            assert_eq!(
                code_of(|s| s.plan.anchor = bad.into()),
                "invalid_anchor",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn members_and_grants_are_checked() {
        assert_eq!(
            MemberSpec {
                role: "admin".into()
            }
            .role(),
            Ok(Role::Admin)
        );
        assert_eq!(
            MemberSpec {
                role: "root".into()
            }
            .role(),
            Err(PlatformError::Role)
        );
        for bad in ["", "a", "@b", "a@", "a b@c", "a@b@c"] {
            assert_eq!(member_email(bad), Err(PlatformError::Email), "{bad:?}");
        }
        let grant = |c: &str, k: &str| {
            PrepaidGrant {
                credits: c.into(),
                idempotency_key: k.into(),
            }
            .validate()
        };
        assert_eq!(
            grant("100", "order-1").unwrap().credits,
            Credits::whole(100)
        );
        for bad in ["0", "-1", "1.00001", "100000001", "x"] {
            assert_eq!(grant(bad, "k"), Err(PlatformError::Credits), "{bad:?}");
        }
        assert_eq!(grant("1", "a b"), Err(PlatformError::IdempotencyKey));
    }
}
