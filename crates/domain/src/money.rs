//! US dollars, exact to the cent.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An amount of US dollars, always held at exactly two decimal places.
///
/// Serialized as a JSON string (`"1200.00"`); displayed for people as `$1,200.00`.
///
/// ```
/// use billing_domain::Money;
/// let m = Money::from_cents(120_000);
/// assert_eq!(m.to_string(), "$1,200.00");
/// assert_eq!(serde_json::to_string(&m).unwrap(), "\"1200.00\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Default for Money {
    fn default() -> Money {
        Money::ZERO
    }
}

impl Money {
    /// Zero dollars (`0.00`: like every amount, at two places).
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));

    /// Rounds any decimal to the nearest cent (half away from zero, as invoices do).
    pub fn new(amount: Decimal) -> Money {
        let mut d = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        d.rescale(2);
        Money(d)
    }

    /// A whole number of cents.
    pub fn from_cents(cents: i64) -> Money {
        Money::new(Decimal::new(cents, 2))
    }

    /// The amount as a decimal with two places.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The amount in cents. Amounts this crate produces always fit.
    pub fn cents(self) -> i64 {
        let scaled = self.0 * Decimal::ONE_HUNDRED;
        i64::try_from(scaled).unwrap_or(if scaled.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    /// Plain form without symbol or grouping, as stored and sent: `1200.00`.
    pub fn plain(self) -> String {
        self.0.to_string()
    }

    /// Grouped form without the dollar sign, as typed into a field: `1,200.00`.
    pub fn grouped(self) -> String {
        let plain = self.0.abs().to_string();
        let (int, frac) = plain.split_once('.').unwrap_or((&plain, "00"));
        let mut out = String::with_capacity(plain.len() + int.len() / 3);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        let sign = if self.0.is_sign_negative() && !self.0.is_zero() {
            "-"
        } else {
            ""
        };
        format!("{sign}{out}.{frac}")
    }
}

impl Money {
    /// For sentences: whole dollars without cents (`$100`, `$1,200`), other
    /// amounts in full (`$100.50`).
    ///
    /// ```
    /// use billing_domain::Money;
    /// assert_eq!(Money::from_cents(120_000).brief(), "$1,200");
    /// assert_eq!(Money::from_cents(10_050).brief(), "$100.50");
    /// ```
    pub fn brief(self) -> String {
        let full = self.to_string();
        match full.strip_suffix(".00") {
            Some(whole) => whole.to_string(),
            None => full,
        }
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money::new(self.0 + other.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money::new(self.0 - other.0)
    }
}

impl fmt::Display for Money {
    /// `$1,200.00`, or `-$5.00` for a negative amount.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.grouped();
        match g.strip_prefix('-') {
            Some(rest) => write!(f, "-${rest}"),
            None => write!(f, "${g}"),
        }
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::decimal_serde::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let d = crate::decimal_serde::deserialize(d)?;
        if d.normalize().scale() > 2 {
            return Err(serde::de::Error::custom(
                "money has at most two decimal places",
            ));
        }
        Ok(Money::new(d))
    }
}

/// On the wire: a decimal string with exactly two places, such as `"1200.00"`.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^-?[0-9]+\.[0-9]{2}$"))
            .description(Some(
                "US dollars as a decimal string with exactly two places; never a JSON number.",
            ))
            .examples(["100.00"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Money {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Money")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn displays_grouped_with_two_places() {
        assert_eq!(Money::from_cents(0).to_string(), "$0.00");
        assert_eq!(serde_json::to_string(&Money::ZERO).unwrap(), "\"0.00\"");
        assert_eq!(Money::default(), Money::ZERO);
        assert_eq!(Money::from_cents(5).to_string(), "$0.05");
        assert_eq!(Money::from_cents(100_000).to_string(), "$1,000.00");
        assert_eq!(Money::from_cents(123_456_789).to_string(), "$1,234,567.89");
        assert_eq!(Money::from_cents(-500).to_string(), "-$5.00");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(
            Money::new(Decimal::from_str("0.125").unwrap()).plain(),
            "0.13"
        );
        assert_eq!(
            Money::new(Decimal::from_str("0.124").unwrap()).plain(),
            "0.12"
        );
        assert_eq!(Money::new(Decimal::from_str("7").unwrap()).plain(), "7.00");
    }

    #[test]
    fn json_is_a_string_and_numbers_are_refused() {
        let m: Money = serde_json::from_str("\"250.5\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"250.50\"");
        assert!(serde_json::from_str::<Money>("250.5").is_err());
        assert!(serde_json::from_str::<Money>("\"1e3\"").is_err());
        assert!(serde_json::from_str::<Money>("\"1.005\"").is_err());
        for bad in ["\"1_0\"", "\" 1\"", "\"\"", "\"-\"", "\"1.2.3\""] {
            assert!(serde_json::from_str::<Money>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn adds_and_subtracts_to_the_cent() {
        assert_eq!(
            (Money::from_cents(250) - Money::from_cents(100)).cents(),
            150
        );
        assert_eq!(
            (Money::from_cents(100) - Money::from_cents(250)).cents(),
            -150
        );
        assert_eq!(
            (Money::from_cents(5) + Money::from_cents(95)).plain(),
            "1.00"
        );
    }
}
