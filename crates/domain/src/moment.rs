//! The API's moments: UTC, to the second, written `YYYY-MM-DDTHH:MM:SSZ`.

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A moment as the API shows it: UTC, whole seconds. On the wire a string,
/// `"2026-11-25T19:00:00Z"`; read back only in that one form.
///
/// ```
/// use billing_domain::Moment;
/// let at = Moment::parse("2026-11-25T19:00:00Z").unwrap();
/// assert_eq!(at.to_string(), "2026-11-25T19:00:00Z");
/// assert_eq!(serde_json::to_string(&at).unwrap(), r#""2026-11-25T19:00:00Z""#);
/// assert!(Moment::parse("2026-11-25 19:00").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(value_type = String, format = DateTime, example = "2026-11-25T19:00:00Z")
)]
pub struct Moment(DateTime<Utc>);

impl Moment {
    /// `at`, to the second (a fraction is dropped).
    pub fn from_utc(at: DateTime<Utc>) -> Moment {
        Moment(at.trunc_subsecs(0))
    }

    /// The moment as a chrono time.
    pub fn utc(self) -> DateTime<Utc> {
        self.0
    }

    /// Reads the one form the API writes; anything else is `None`.
    pub fn parse(text: &str) -> Option<Moment> {
        parse_utc(text).map(Moment)
    }
}

impl From<DateTime<Utc>> for Moment {
    fn from(at: DateTime<Utc>) -> Moment {
        Moment::from_utc(at)
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, t) = (self.0.date_naive(), self.0.time());
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            d.month(),
            d.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

impl Serialize for Moment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Moment, D::Error> {
        let text = String::deserialize(d)?;
        Moment::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("expected a moment like 2026-11-25T19:00:00Z"))
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

    #[test]
    fn written_as_read() {
        for text in [
            "2026-11-25T19:00:00Z",
            "2027-02-28T23:59:59Z",
            "0999-01-01T00:00:00Z",
        ] {
            assert_eq!(Moment::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn a_fraction_of_a_second_is_dropped() {
        let at = parse_utc("2026-11-25T19:00:00Z").unwrap() + chrono::Duration::milliseconds(999);
        assert_eq!(Moment::from(at).to_string(), "2026-11-25T19:00:00Z");
    }

    #[test]
    fn anything_else_is_refused_on_the_wire() {
        for bad in [
            r#""2026-11-25T19:00:00+01:00""#,
            r#""2026-11-25""#,
            "1764097200",
            r#""""#,
        ] {
            assert!(serde_json::from_str::<Moment>(bad).is_err(), "{bad}");
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
