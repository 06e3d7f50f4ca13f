//! Dates travel as `YYYY-MM-DD` strings. Read and written here in a few lines,
//! so the page does not carry chrono's general parser and formatter.

use chrono::{Datelike, NaiveDate};
use serde::{de, Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(day: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!(
        "{:04}-{:02}-{:02}",
        day.year(),
        day.month(),
        day.day()
    ))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    struct Iso;
    impl de::Visitor<'_> for Iso {
        type Value = NaiveDate;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a date written as YYYY-MM-DD")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<NaiveDate, E> {
            parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_str(Iso)
}

fn parse(v: &str) -> Option<NaiveDate> {
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r.clone())?
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| v[r].parse().ok())?
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Day(#[serde(with = "super")] NaiveDate);

    #[test]
    fn round_trips_and_refuses_anything_else() {
        let day = Day(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        let text = serde_json::to_string(&day).unwrap();
        assert_eq!(text, "\"2026-03-01\"");
        assert_eq!(serde_json::from_str::<Day>(&text).unwrap(), day);
        for bad in [
            "\"2026-3-1\"",
            "\"2026-02-30\"",
            "\"20260301\"",
            "\"2026-03-01T00:00\"",
            "\"+026-03-01\"",
            "1",
        ] {
            assert!(serde_json::from_str::<Day>(bad).is_err(), "{bad}");
        }
    }
}
