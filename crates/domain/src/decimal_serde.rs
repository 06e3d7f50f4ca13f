//! Decimals travel as JSON strings ("100.00"), never as JSON numbers, so no
//! amount ever passes through a binary float on either side of the wire.

use rust_decimal::Decimal;
use serde::{de, Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct StrOnly;
    impl de::Visitor<'_> for StrOnly {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a decimal number written as a string, such as \"100.00\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            // Plain decimals only: no exponent, no `_` separators, no spaces; and
            // exactly as written: digits that do not fit are refused, not rounded.
            let digits = v.strip_prefix('-').unwrap_or(v);
            let plain = !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
                && digits.matches('.').count() <= 1;
            if !plain {
                return Err(E::invalid_value(de::Unexpected::Str(v), &self));
            }
            Decimal::from_str_exact(v).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_str(StrOnly)
}
