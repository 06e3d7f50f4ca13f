//! Decimals travel as JSON strings ("100.00"), never as JSON numbers, so no
//! amount ever passes through a binary float on either side of the wire.

use rust_decimal::Decimal;
use serde::{de, Deserializer, Serializer};
use std::str::FromStr;

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
            if v.contains(['e', 'E']) {
                return Err(E::custom("exponent notation is not accepted"));
            }
            Decimal::from_str(v.trim()).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_str(StrOnly)
}
