//! What used the credits: the feature a usage record names (`training`,
//! `deployment`, …), and the cycle's breakdown by feature as the card says it.

use crate::{Credits, Money, PlanInterval};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest feature name, in characters.
pub const MAX_FEATURE_LEN: usize = 40;

/// A feature name: 1 to [`MAX_FEATURE_LEN`] characters of `[a-z0-9_-]`.
/// A record that names none is [`Feature::other`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Feature(String);

impl Feature {
    /// What a record without a feature counts as.
    pub fn other() -> Feature {
        Feature("other".into())
    }

    /// `name` if it is a feature name.
    ///
    /// ```
    /// use billing_domain::Feature;
    /// assert_eq!(Feature::parse("training").unwrap().as_str(), "training");
    /// assert!(Feature::parse("Training").is_none());
    /// assert!(Feature::parse("").is_none());
    /// ```
    pub fn parse(name: &str) -> Option<Feature> {
        let fits = !name.is_empty()
            && name.len() <= MAX_FEATURE_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        fits.then(|| Feature(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Feature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Feature, D::Error> {
        let name = String::deserialize(d)?;
        Feature::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "a feature is 1 to {MAX_FEATURE_LEN} characters of a-z, 0-9, _ and -"
            ))
        })
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Feature {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_FEATURE_LEN))
            .pattern(Some("^[a-z0-9_-]{1,40}$"))
            .examples(["training"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Feature {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Feature")
    }
}

/// One feature's usage in a cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureUsage {
    /// The feature.
    pub feature: Feature,
    /// Credits it used, from every source.
    pub credits: Credits,
    /// Of those, flex credits.
    pub flex_credits: Credits,
    /// What its flex credits cost.
    pub flex_spend: Money,
}

/// The breakdown in the order it is shown: largest flex spend first, then
/// most credits, then by name.
pub fn by_flex_spend(mut usage: Vec<FeatureUsage>) -> Vec<FeatureUsage> {
    usage.sort_by(|a, b| {
        b.flex_spend
            .cmp(&a.flex_spend)
            .then(b.credits.cmp(&a.credits))
            .then(a.feature.cmp(&b.feature))
    });
    usage
}

/// The card's heading for the breakdown: "What used flex credits this month".
pub fn breakdown_heading(interval: PlanInterval) -> String {
    format!("What used flex credits this {}", interval.noun())
}

/// The features that used flex credits, each as the card says it:
/// "training: $120.00 (60%)". Shares are whole percents of the cycle's flex
/// spend, rounded half up; features without flex spend are left out.
///
/// ```
/// use billing_domain::{breakdown_lines, Credits, Feature, FeatureUsage, Money};
/// let f = |name: &str, cents| FeatureUsage {
///     feature: Feature::parse(name).unwrap(), credits: Credits::whole(1),
///     flex_credits: Credits::whole(1), flex_spend: Money::from_cents(cents) };
/// assert_eq!(
///     breakdown_lines(&[f("training", 12_000), f("inference", 8_000), f("other", 0)]),
///     ["training: $120.00 (60%)", "inference: $80.00 (40%)"]
/// );
/// ```
pub fn breakdown_lines(usage: &[FeatureUsage]) -> Vec<String> {
    let total: i64 = usage.iter().map(|u| u.flex_spend.cents()).sum();
    usage
        .iter()
        .filter(|u| u.flex_spend.cents() > 0)
        .map(|u| {
            let share = (u.flex_spend.cents() * 200 + total) / (2 * total);
            format!("{}: {} ({share}%)", u.feature, u.flex_spend)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(name: &str, credits: i64, cents: i64) -> FeatureUsage {
        FeatureUsage {
            feature: Feature::parse(name).unwrap(),
            credits: Credits::whole(credits),
            flex_credits: Credits::whole(credits),
            flex_spend: Money::from_cents(cents),
        }
    }

    #[test]
    fn feature_names_are_short_lowercase_words() {
        for ok in [
            "training",
            "deployment",
            "a",
            "gpu_a100",
            "batch-2",
            &"x".repeat(40),
        ] {
            assert!(Feature::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "Training",
            "with space",
            "é",
            "a.b",
            &"x".repeat(41),
            "tab\t",
        ] {
            assert!(Feature::parse(bad).is_none(), "{bad:?}");
        }
        assert!(serde_json::from_str::<Feature>("\"GPU\"").is_err());
        assert_eq!(Feature::other().as_str(), "other");
    }

    #[test]
    fn the_largest_flex_spend_comes_first() {
        let sorted = by_flex_spend(vec![
            usage("workflow", 5, 0),
            usage("training", 10, 4_000),
            usage("inference", 30, 12_000),
            usage("deployment", 10, 4_000),
        ]);
        let names: Vec<_> = sorted.iter().map(|u| u.feature.as_str()).collect();
        assert_eq!(names, ["inference", "deployment", "training", "workflow"]);
    }

    #[test]
    fn shares_are_whole_percents_of_the_flex_spend() {
        let lines = breakdown_lines(&[usage("a", 1, 1), usage("b", 1, 1), usage("c", 1, 1)]);
        assert_eq!(
            lines,
            ["a: $0.01 (33%)", "b: $0.01 (33%)", "c: $0.01 (33%)"]
        );
        assert!(breakdown_lines(&[usage("a", 1, 0)]).is_empty());
        assert_eq!(
            breakdown_heading(PlanInterval::Year),
            "What used flex credits this year"
        );
    }
}
