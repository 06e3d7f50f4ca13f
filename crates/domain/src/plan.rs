//! Plans and who may manage them.

use crate::Money;
use serde::{Deserialize, Serialize};

/// How often a plan bills. The flex cap applies per billing cycle of this length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PlanInterval {
    /// Billed monthly; the cap is per month.
    Month,
    /// Billed annually; the cap is per year.
    Year,
}

impl PlanInterval {
    /// The cap Flex Billing starts with when enabled: $100 a month, or $1,200 a year.
    pub fn default_cap(self) -> Money {
        match self {
            PlanInterval::Month => Money::from_cents(10_000),
            PlanInterval::Year => Money::from_cents(120_000),
        }
    }

    /// Months in one billing cycle.
    pub fn months(self) -> u32 {
        match self {
            PlanInterval::Month => 1,
            PlanInterval::Year => 12,
        }
    }

    /// The unit in labels: "month" or "year".
    pub fn noun(self) -> &'static str {
        match self {
            PlanInterval::Month => "month",
            PlanInterval::Year => "year",
        }
    }

    /// "per month" or "per year", as every cap label says.
    pub fn per(self) -> &'static str {
        match self {
            PlanInterval::Month => "per month",
            PlanInterval::Year => "per year",
        }
    }

    /// "Monthly" or "Annual", as a plan is described.
    pub fn adjective(self) -> &'static str {
        match self {
            PlanInterval::Month => "Monthly",
            PlanInterval::Year => "Annual",
        }
    }

    /// Reads the stored name back (`month`, `year`, as [`PlanInterval::noun`] says it).
    pub fn parse(s: &str) -> Option<PlanInterval> {
        match s {
            "month" => Some(PlanInterval::Month),
            "year" => Some(PlanInterval::Year),
            _ => None,
        }
    }
}

/// A person's role in a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Owns the workspace; manages billing.
    Owner,
    /// Administers the workspace; manages billing.
    Admin,
    /// Uses the workspace; may read billing but not change it.
    Member,
}

impl Role {
    /// Every role, owner first.
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Member];

    /// Whether this role may enable, disable or cap Flex Billing (and so is
    /// e-mailed the alerts).
    pub fn can_manage_billing(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Whether this role may choose where alerts go (the webhook, its log):
    /// owners only.
    pub fn manages_alerts(self) -> bool {
        matches!(self, Role::Owner)
    }

    /// Stable name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// Reads [`Role::as_str`] back.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_caps_follow_the_interval() {
        assert_eq!(PlanInterval::Month.default_cap().to_string(), "$100.00");
        assert_eq!(PlanInterval::Year.default_cap().to_string(), "$1,200.00");
    }

    #[test]
    fn only_owners_and_admins_manage() {
        assert!(Role::Owner.can_manage_billing());
        assert!(Role::Admin.can_manage_billing());
        assert!(!Role::Member.can_manage_billing());
    }

    #[test]
    fn only_owners_manage_alerts() {
        let managing: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.manages_alerts())
            .collect();
        assert_eq!(managing, [Role::Owner]);
    }

    #[test]
    fn names_round_trip() {
        for i in [PlanInterval::Month, PlanInterval::Year] {
            assert_eq!(PlanInterval::parse(i.noun()), Some(i));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
