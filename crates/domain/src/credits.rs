//! Credits and the order usage draws them in.

use crate::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A quantity of platform credits; fractional amounts are allowed (`2.5`).
/// Serialized as a JSON string, like money.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Credits(Decimal);

impl Credits {
    /// No credits.
    pub const ZERO: Credits = Credits(Decimal::ZERO);
    /// Credits keep at most this many decimal places.
    pub const MAX_DECIMALS: u32 = 4;

    /// Wraps a decimal, normalised (`2.50` becomes `2.5`).
    pub fn new(d: Decimal) -> Credits {
        Credits(d.normalize())
    }

    /// A whole number of credits.
    pub fn whole(n: i64) -> Credits {
        Credits(Decimal::from(n))
    }

    /// The quantity as a decimal.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Whether this is zero credits.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// What these credits cost at `rate` dollars per credit, to the cent.
    pub fn cost(self, rate: Money) -> Money {
        Money::new(self.0 * rate.amount())
    }
}

impl std::ops::Add for Credits {
    type Output = Credits;
    fn add(self, other: Credits) -> Credits {
        Credits::new(self.0 + other.0)
    }
}

impl std::ops::Sub for Credits {
    type Output = Credits;
    fn sub(self, other: Credits) -> Credits {
        Credits::new(self.0 - other.0)
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl Serialize for Credits {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::decimal_serde::serialize(&self.0.normalize(), s)
    }
}

impl<'de> Deserialize<'de> for Credits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::decimal_serde::deserialize(d).map(Credits::new)
    }
}

/// On the wire: a plain decimal string such as `"2.5"`, without trailing zeros.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Credits {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^-?[0-9]+(\.[0-9]+)?$"))
            .description(Some(
                "A quantity of credits as a plain decimal string; never a JSON number.",
            ))
            .examples(["2.5"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Credits {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Credits")
    }
}

/// What a workspace has to draw on when usage is recorded in the current cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balances {
    /// Credits the plan includes each cycle.
    pub included_total: Credits,
    /// Included credits already used this cycle.
    pub included_used: Credits,
    /// Prepaid credits the workspace holds (they carry across cycles).
    pub prepaid_balance: Credits,
    /// Whether Flex Billing is on.
    pub flex_enabled: bool,
    /// The flex cap for this cycle; `None` means no limit.
    pub flex_cap: Option<Money>,
    /// Flex credits drawn so far this cycle. A draw costs what it adds to the
    /// cost of this total, never a rounded piece on its own, so small draws
    /// cannot slip by at $0.00 each.
    pub flex_used: Credits,
    /// What this cycle's Flex Usage has been billed so far (the sum of the
    /// recorded costs): the cap is held against this, so a change of rate
    /// during the cycle cannot move what was already spent.
    pub flex_billed: Money,
    /// Dollars per flex credit.
    pub flex_rate: Money,
}

/// How one usage record was paid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Draw {
    /// Taken from the plan's included credits.
    pub included: Credits,
    /// Taken from prepaid credits.
    pub prepaid: Credits,
    /// Billed as Flex Usage.
    pub flex: Credits,
    /// What the flex credits cost (`flex` × the flex rate).
    pub flex_cost: Money,
}

/// Why usage could not be recorded. Nothing is drawn in either case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrawError {
    /// Included and prepaid credits are used up and Flex Billing is off.
    NoCredits,
    /// The flex credits needed would take spend past the cap.
    FlexCapReached {
        /// The cap in force.
        cap: Money,
        /// Spend so far this cycle.
        spend: Money,
    },
}

impl DrawError {
    /// A stable machine-readable code, used by the API.
    pub fn code(self) -> &'static str {
        match self {
            DrawError::NoCredits => "no_credits",
            DrawError::FlexCapReached { .. } => "flex_cap_reached",
        }
    }
}

impl fmt::Display for DrawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DrawError::NoCredits => f.write_str(
                "Included and prepaid credits are used up and Flex Billing is off. \
                 Enable Flex Billing or purchase Prepaid Credits.",
            ),
            DrawError::FlexCapReached { cap, spend } => write!(
                f,
                "This usage would take Flex spend past the {cap} flex cap ({spend} used). \
                 Raise the cap or wait for the billing cycle to reset."
            ),
        }
    }
}

/// Draws `credits` in order: included credits, then prepaid, then Flex Usage
/// (only while Flex Billing is on, and only within the cap: what was billed
/// this cycle plus the cost of this draw).
///
/// All or nothing: if any part cannot be paid for, nothing is drawn.
///
/// ```
/// use billing_domain::{draw, Balances, Credits, Money};
/// let b = Balances {
///     included_total: Credits::whole(10), included_used: Credits::whole(9),
///     prepaid_balance: Credits::whole(1), flex_enabled: true,
///     flex_cap: Some(Money::from_cents(10_000)), flex_used: Credits::ZERO, flex_billed: Money::ZERO,
///     flex_rate: Money::from_cents(400),
/// };
/// let d = draw(&b, Credits::whole(3)).unwrap();
/// assert_eq!((d.included, d.prepaid, d.flex), (Credits::whole(1), Credits::whole(1), Credits::whole(1)));
/// assert_eq!(d.flex_cost, Money::from_cents(400));
/// ```
pub fn draw(b: &Balances, credits: Credits) -> Result<Draw, DrawError> {
    let included_left = if b.included_total > b.included_used {
        b.included_total - b.included_used
    } else {
        Credits::ZERO
    };
    let included = credits.min(included_left);
    let rest = credits - included;
    let prepaid = rest.min(b.prepaid_balance.max(Credits::ZERO));
    let flex = rest - prepaid;
    // The cost of this draw is what it adds to the cycle's rounded total, so
    // the costs of all draws add up to exactly the total's cost.
    let flex_after = b.flex_used + flex;
    let spend_before = b.flex_used.cost(b.flex_rate);
    let flex_cost = flex_after.cost(b.flex_rate) - spend_before;
    if !flex.is_zero() {
        if !b.flex_enabled {
            return Err(DrawError::NoCredits);
        }
        // What was billed, exactly (the billed cents plus what rounding left
        // off them), plus this draw's exact cost: a stream of tiny draws cannot
        // creep past half a cent at a time. And what will be billed after it.
        // Neither may pass the cap.
        if let Some(cap) = b.flex_cap {
            let rate = b.flex_rate.amount();
            let unrounded = b.flex_used.amount() * rate - spend_before.amount();
            let exact = b.flex_billed.amount() + unrounded + flex.amount() * rate;
            if exact > cap.amount() || b.flex_billed + flex_cost > cap {
                return Err(DrawError::FlexCapReached {
                    cap,
                    spend: b.flex_billed,
                });
            }
        }
    }
    Ok(Draw {
        included,
        prepaid,
        flex,
        flex_cost,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn balances() -> Balances {
        Balances {
            included_total: Credits::whole(30),
            included_used: Credits::ZERO,
            prepaid_balance: Credits::whole(10),
            flex_enabled: true,
            flex_cap: Some(Money::from_cents(10_000)),
            flex_used: Credits::ZERO,
            flex_billed: Money::ZERO,
            flex_rate: Money::from_cents(400),
        }
    }

    #[test]
    fn included_first_then_prepaid_then_flex() {
        let d = draw(&balances(), Credits::whole(45)).unwrap();
        assert_eq!(d.included, Credits::whole(30));
        assert_eq!(d.prepaid, Credits::whole(10));
        assert_eq!(d.flex, Credits::whole(5));
        assert_eq!(d.flex_cost, Money::from_cents(2_000));
    }

    #[test]
    fn flex_off_with_nothing_left_is_no_credits() {
        let b = Balances {
            flex_enabled: false,
            ..balances()
        };
        assert_eq!(draw(&b, Credits::whole(41)), Err(DrawError::NoCredits));
        assert!(draw(&b, Credits::whole(40)).is_ok());
    }

    #[test]
    fn the_cap_is_inclusive_and_blocks_beyond() {
        let b = Balances {
            included_total: Credits::ZERO,
            prepaid_balance: Credits::ZERO,
            ..balances()
        };
        assert_eq!(
            draw(&b, Credits::whole(25)).unwrap().flex_cost,
            Money::from_cents(10_000)
        );
        let at_cap = Balances {
            flex_used: Credits::whole(25),
            flex_billed: Money::from_cents(10_000),
            ..b
        };
        assert_eq!(
            draw(&at_cap, Credits::new("0.1".parse().unwrap())),
            Err(DrawError::FlexCapReached {
                cap: Money::from_cents(10_000),
                spend: Money::from_cents(10_000)
            })
        );
        let no_cap = Balances {
            flex_cap: None,
            ..at_cap
        };
        assert!(draw(&no_cap, Credits::whole(1000)).is_ok());
    }

    #[test]
    fn at_the_cap_included_credits_still_work() {
        let b = Balances {
            flex_used: Credits::whole(25),
            flex_billed: Money::from_cents(10_000),
            ..balances()
        };
        assert_eq!(
            draw(&b, Credits::whole(2)).unwrap().included,
            Credits::whole(2)
        );
    }

    #[test]
    fn tiny_draws_add_up_to_the_cost_of_their_total() {
        let mut b = Balances {
            included_total: Credits::ZERO,
            prepaid_balance: Credits::ZERO,
            flex_cap: Some(Money::from_cents(300)),
            ..balances()
        };
        let mut spent = Money::ZERO;
        let thousandth = Credits::new("0.001".parse().unwrap());
        for _ in 0..750 {
            let d = draw(&b, thousandth).unwrap();
            spent = spent + d.flex_cost;
            b.flex_used = b.flex_used + d.flex;
            b.flex_billed = b.flex_billed + d.flex_cost;
        }
        assert_eq!(spent, Money::from_cents(300), "0.75 credits at $4.00");
        assert!(
            matches!(draw(&b, thousandth), Err(DrawError::FlexCapReached { .. })),
            "the cap holds"
        );
    }

    #[test]
    fn the_cap_holds_against_what_was_billed_not_todays_rate() {
        // 25 flex credits billed at $2.00 ($50.00); the rate is now $4.00.
        let b = Balances {
            included_total: Credits::ZERO,
            prepaid_balance: Credits::ZERO,
            flex_used: Credits::whole(25),
            flex_billed: Money::from_cents(5_000),
            ..balances()
        };
        let d = draw(&b, Credits::new("12.5".parse().unwrap())).expect("$50.00 of room left");
        assert_eq!(d.flex_cost, Money::from_cents(5_000));
        assert!(matches!(
            draw(&b, Credits::new("12.51".parse().unwrap())),
            Err(DrawError::FlexCapReached { spend, .. }) if spend == Money::from_cents(5_000)
        ));
    }

    #[test]
    fn a_cap_below_what_was_billed_blocks_every_flex_draw() {
        let b = Balances {
            included_total: Credits::ZERO,
            prepaid_balance: Credits::ZERO,
            flex_used: Credits::whole(30),
            flex_billed: Money::from_cents(12_000),
            ..balances()
        };
        assert!(matches!(
            draw(&b, Credits::new("0.0001".parse().unwrap())),
            Err(DrawError::FlexCapReached { .. })
        ));
    }

    proptest! {
        #[test]
        fn a_draw_always_adds_up(
            total in 0i64..100, used in 0i64..120, prepaid in 0i64..50,
            want in 1i64..10_000, spend in 0i64..20_000, cap in proptest::option::of(100i64..20_000),
            flex_enabled: bool,
        ) {
            let b = Balances {
                included_total: Credits::whole(total), included_used: Credits::whole(used),
                prepaid_balance: Credits::whole(prepaid), flex_enabled,
                flex_cap: cap.map(Money::from_cents), flex_used: Credits::whole(spend / 400),
                flex_billed: Money::from_cents(spend / 400 * 400), flex_rate: Money::from_cents(400),
            };
            let want = Credits::new(Decimal::new(want, 2));
            if let Ok(d) = draw(&b, want) {
                prop_assert_eq!(d.included + d.prepaid + d.flex, want);
                prop_assert!(d.prepaid <= b.prepaid_balance);
                prop_assert!(d.flex.is_zero() || flex_enabled);
                if let Some(c) = b.flex_cap {
                    prop_assert!(d.flex.is_zero() || b.flex_billed + d.flex_cost <= c, "never a cent over the cap");
                }
            }
        }
    }
}
