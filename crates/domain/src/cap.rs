//! Reading a flex cap typed by a person.

use crate::Money;
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// The lowest cap a workspace may set: $1.00.
pub const MIN_CAP_CENTS: i64 = 100;
/// The highest cap a workspace may set: $1,000,000.00. Above that, a typo
/// (an extra zero or two) is far likelier than intent; "Remove cap" exists for
/// unlimited usage.
pub const MAX_CAP_CENTS: i64 = 100_000_000;

/// Why a typed cap was refused. Each reason has its own message for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapError {
    /// Nothing was typed.
    Empty,
    /// Not a dollar amount at all (`abc`, `12.3.4`).
    NotANumber,
    /// Scientific notation such as `1e3`.
    Exponent,
    /// Commas that are not thousands separators (`12,00`).
    Grouping,
    /// A minus sign.
    Negative,
    /// Exactly zero.
    Zero,
    /// More than zero but under $1.00.
    BelowMinimum,
    /// Fractions of a cent (`10.005`).
    TooManyDecimals,
    /// Over [`MAX_CAP_CENTS`].
    TooLarge,
}

impl CapError {
    /// A stable machine-readable code, used by the API.
    pub fn code(self) -> &'static str {
        match self {
            CapError::Empty => "cap_empty",
            CapError::NotANumber => "cap_not_a_number",
            CapError::Exponent => "cap_exponent",
            CapError::Grouping => "cap_grouping",
            CapError::Negative => "cap_negative",
            CapError::Zero => "cap_zero",
            CapError::BelowMinimum => "cap_below_minimum",
            CapError::TooManyDecimals => "cap_too_many_decimals",
            CapError::TooLarge => "cap_too_large",
        }
    }
}

impl fmt::Display for CapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CapError::Empty => "Enter a flex cap in dollars, for example 250.",
            CapError::NotANumber => "Enter the flex cap as a dollar amount, for example 250 or 1,200.00.",
            CapError::Exponent => "Write the amount out in full, for example 1200 rather than 1.2e3.",
            CapError::Grouping => "Use commas only between groups of three digits, for example 1,200.",
            CapError::Negative => "The flex cap can't be negative.",
            CapError::Zero => "The flex cap must be at least $1.00. To allow unlimited Flex Usage, use Remove cap.",
            CapError::BelowMinimum => "The flex cap must be at least $1.00.",
            CapError::TooManyDecimals => "Use at most two decimal places (whole cents).",
            CapError::TooLarge => "The flex cap can be at most $1,000,000.00.",
        })
    }
}

impl std::error::Error for CapError {}

/// Parses a cap as a person types it.
///
/// Accepts surrounding spaces, an optional `$`, thousands commas and up to two
/// decimal places. The result is between $1.00 and $1,000,000.00.
///
/// ```
/// use billing_domain::{parse_cap, CapError};
/// assert_eq!(parse_cap("1,200").unwrap().plain(), "1200.00");
/// assert_eq!(parse_cap("100.5").unwrap().plain(), "100.50");
/// assert_eq!(parse_cap("0.50"), Err(CapError::BelowMinimum));
/// assert_eq!(parse_cap("1e3"), Err(CapError::Exponent));
/// ```
pub fn parse_cap(input: &str) -> Result<Money, CapError> {
    let mut s = input.trim();
    if s.is_empty() {
        return Err(CapError::Empty);
    }
    // At most one minus sign and one dollar sign, in either order: "-$5", "$-5".
    let mut negative = false;
    let mut dollar = false;
    loop {
        if let (false, Some(rest)) = (negative, s.strip_prefix(['-', '\u{2212}'])) {
            negative = true;
            s = rest.trim_start();
        } else if let (false, Some(rest)) = (dollar, s.strip_prefix('$')) {
            dollar = true;
            s = rest.trim_start();
        } else {
            break;
        }
    }
    if !s.chars().any(|c| c.is_ascii_digit()) {
        return Err(CapError::NotANumber);
    }
    if s.contains(['e', 'E'])
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'e' | 'E' | '.' | '+' | '-' | ','))
    {
        return Err(CapError::Exponent);
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let int_ok = int.chars().all(|c| c.is_ascii_digit() || c == ',');
    let frac_ok = frac.chars().all(|c| c.is_ascii_digit());
    if !int_ok || !frac_ok || (int.is_empty() && frac.is_empty()) {
        return Err(CapError::NotANumber);
    }
    let digits: String = if int.contains(',') {
        let mut groups = int.split(',');
        let first = groups.next().unwrap_or_default();
        if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
            return Err(CapError::Grouping);
        }
        int.replace(',', "")
    } else {
        int.to_string()
    };
    if frac.len() > 2 {
        return Err(CapError::TooManyDecimals);
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 9 {
        return Err(if negative {
            CapError::Negative
        } else {
            CapError::TooLarge
        });
    }
    let text = format!(
        "{}.{}",
        if digits.is_empty() { "0" } else { &digits },
        if frac.is_empty() { "0" } else { frac }
    );
    let value = Decimal::from_str(&text).map_err(|_| CapError::NotANumber)?;
    if value.is_zero() {
        return Err(CapError::Zero);
    }
    if negative {
        return Err(CapError::Negative);
    }
    let money = Money::new(value);
    if money.cents() < MIN_CAP_CENTS {
        return Err(CapError::BelowMinimum);
    }
    if money.cents() > MAX_CAP_CENTS {
        return Err(CapError::TooLarge);
    }
    Ok(money)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> String {
        parse_cap(s)
            .unwrap_or_else(|e| panic!("{s:?} refused: {e}"))
            .plain()
    }

    #[test]
    fn accepts_what_people_type() {
        assert_eq!(ok("100"), "100.00");
        assert_eq!(ok("100.5"), "100.50");
        assert_eq!(ok("1,200"), "1200.00");
        assert_eq!(ok("$1,200.00"), "1200.00");
        assert_eq!(ok("  250  "), "250.00");
        assert_eq!(ok("$ 75.25"), "75.25");
        assert_eq!(ok("1"), "1.00");
        assert_eq!(ok("100."), "100.00");
        assert_eq!(ok("0001.00"), "1.00");
        assert_eq!(ok("1,000,000"), "1000000.00");
    }

    #[test]
    fn refuses_each_bad_input_with_its_own_reason() {
        let cases = [
            ("", CapError::Empty),
            ("   ", CapError::Empty),
            ("abc", CapError::NotANumber),
            ("$", CapError::NotANumber),
            ("$$5", CapError::NotANumber),
            ("--5", CapError::NotANumber),
            ("e", CapError::NotANumber),
            (",", CapError::NotANumber),
            ("12.3.4", CapError::NotANumber),
            ("100 dollars", CapError::NotANumber),
            (".", CapError::NotANumber),
            ("1e3", CapError::Exponent),
            ("1.2E+3", CapError::Exponent),
            ("12,00", CapError::Grouping),
            (",100", CapError::Grouping),
            ("1,2345", CapError::Grouping),
            ("-5", CapError::Negative),
            ("-$5", CapError::Negative),
            ("$-5", CapError::Negative),
            ("0", CapError::Zero),
            ("0.00", CapError::Zero),
            ("-0", CapError::Zero),
            ("0.99", CapError::BelowMinimum),
            (".5", CapError::BelowMinimum),
            ("10.005", CapError::TooManyDecimals),
            ("1000000.01", CapError::TooLarge),
            ("99999999999999999999999999999999", CapError::TooLarge),
        ];
        for (input, want) in cases {
            assert_eq!(parse_cap(input), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn messages_are_for_people() {
        assert_eq!(
            CapError::BelowMinimum.to_string(),
            "The flex cap must be at least $1.00."
        );
        assert!(CapError::Zero.to_string().contains("Remove cap"));
    }

    proptest! {
        #[test]
        fn every_valid_amount_round_trips(cents in MIN_CAP_CENTS..=MAX_CAP_CENTS) {
            let money = Money::from_cents(cents);
            prop_assert_eq!(parse_cap(&money.plain()), Ok(money));
            prop_assert_eq!(parse_cap(&money.grouped()), Ok(money));
            prop_assert_eq!(parse_cap(&money.to_string()), Ok(money));
        }

        #[test]
        fn no_input_panics(s in "\\PC{0,40}") {
            let _ = parse_cap(&s);
        }

        #[test]
        fn number_like_inputs_never_panic_and_stay_in_range(s in "[-$ ,.0-9eE]{0,24}") {
            if let Ok(m) = parse_cap(&s) {
                prop_assert!(m.cents() >= MIN_CAP_CENTS && m.cents() <= MAX_CAP_CENTS);
            }
        }
    }
}
