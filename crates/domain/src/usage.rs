//! What a usage record from the metering service must be before anything is drawn.

use crate::{Credits, Feature, UsageBatchRequest, UsageRequest, MAX_FEATURE_LEN};
use rust_decimal::Decimal;
use std::fmt;

/// The most credits one usage record may carry: far above any real job slice,
/// and low enough that no sum of records can overflow.
pub const MAX_CREDITS_PER_RECORD: i64 = 1_000_000;

/// The longest idempotency key, in characters.
pub const MAX_KEY_LEN: usize = 200;

/// The most records one batch (`POST /api/usage/batch`) carries.
pub const MAX_BATCH_RECORDS: usize = 1_000;

/// Whether `s` can name a workspace: 1 to 63 lowercase letters, digits and dashes.
pub fn is_slug(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A usage record that passed [`validate_usage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidUsage {
    /// More than zero, at most [`MAX_CREDITS_PER_RECORD`], at most four decimal places.
    pub credits: Credits,
    /// 1 to 200 visible ASCII characters.
    pub idempotency_key: String,
    /// What used the credits ([`Feature::other`] when the record names none).
    pub feature: Feature,
}

/// Why a usage record was refused. Nothing is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageError {
    /// Zero, negative, over the limit, or finer than a ten-thousandth.
    Credits,
    /// Empty, too long, or not visible ASCII.
    IdempotencyKey,
    /// Not 1 to 40 characters of `[a-z0-9_-]`.
    Feature,
}

impl UsageError {
    /// A stable machine-readable code, used by the API.
    pub fn code(self) -> &'static str {
        match self {
            UsageError::Credits => "invalid_credits",
            UsageError::IdempotencyKey => "invalid_idempotency_key",
            UsageError::Feature => "invalid_feature",
        }
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::Credits => write!(
                f,
                "credits must be more than zero and at most {MAX_CREDITS_PER_RECORD}, with at most {} decimal places.",
                Credits::MAX_DECIMALS
            ),
            UsageError::IdempotencyKey => write!(
                f,
                "idempotency_key must be 1 to {MAX_KEY_LEN} visible ASCII characters (no spaces)."
            ),
            UsageError::Feature => write!(
                f,
                "feature must be 1 to {MAX_FEATURE_LEN} characters of a-z, 0-9, _ and - (such as training); leave it out for other."
            ),
        }
    }
}

impl std::error::Error for UsageError {}

/// Checks a usage record. Credits arrive parsed exactly (a decimal string that
/// does not fit is refused when it is read, never rounded).
///
/// ```
/// use billing_domain::{validate_usage, Credits, UsageError, UsageRequest};
/// let req = |c: &str, k: &str| UsageRequest { credits: Credits::new(c.parse().unwrap()), idempotency_key: k.into(), feature: None };
/// assert_eq!(validate_usage(&req("2.5", "job-1")).unwrap().credits.to_string(), "2.5");
/// assert_eq!(validate_usage(&req("0.00001", "job-1")), Err(UsageError::Credits));
/// assert_eq!(validate_usage(&req("1", "job 1")), Err(UsageError::IdempotencyKey));
/// ```
pub fn validate_usage(req: &UsageRequest) -> Result<ValidUsage, UsageError> {
    let c = req.credits.amount();
    if c <= Decimal::ZERO
        || c > Decimal::from(MAX_CREDITS_PER_RECORD)
        || c.normalize().scale() > Credits::MAX_DECIMALS
    {
        return Err(UsageError::Credits);
    }
    let key = &req.idempotency_key;
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(UsageError::IdempotencyKey);
    }
    Ok(ValidUsage {
        credits: req.credits,
        idempotency_key: key.clone(),
        feature: match &req.feature {
            None => Feature::other(),
            Some(name) => Feature::parse(name).ok_or(UsageError::Feature)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(credits: &str, key: &str) -> UsageRequest {
        serde_json::from_value(serde_json::json!({"credits": credits, "idempotency_key": key}))
            .expect("a well-formed body")
    }

    #[test]
    fn accepts_credits_in_range_with_up_to_four_places() {
        for c in [
            "0.0001",
            "1",
            "2.5",
            "999999.9999",
            "1000000",
            "1000000.0000",
        ] {
            assert!(validate_usage(&req(c, "k")).is_ok(), "{c}");
        }
    }

    #[test]
    fn refuses_credits_out_of_range_or_too_fine() {
        for c in [
            "0",
            "-1",
            "-0",
            "0.00001",
            "1000000.0001",
            "99999999999999999999999999",
        ] {
            assert_eq!(
                validate_usage(&req(c, "k")),
                Err(UsageError::Credits),
                "{c}"
            );
        }
    }

    #[test]
    fn digits_that_do_not_fit_are_refused_when_read_not_rounded() {
        let nines = format!("0.{}", "9".repeat(29));
        let body = serde_json::json!({"credits": nines, "idempotency_key": "k"});
        assert!(serde_json::from_value::<UsageRequest>(body).is_err());
    }

    #[test]
    fn a_record_names_its_feature_or_counts_as_other() {
        let with = |feature: serde_json::Value| {
            let body =
                serde_json::json!({"credits": "1", "idempotency_key": "k", "feature": feature});
            validate_usage(&serde_json::from_value(body).unwrap())
        };
        assert_eq!(
            with("training".into()).unwrap().feature.as_str(),
            "training"
        );
        assert_eq!(
            validate_usage(&req("1", "k")).unwrap().feature,
            Feature::other()
        );
        assert_eq!(
            with(serde_json::Value::Null).unwrap().feature,
            Feature::other()
        );
        for bad in ["", "GPU", "a b", &"x".repeat(41)] {
            assert_eq!(with(bad.into()), Err(UsageError::Feature), "{bad:?}");
        }
    }

    #[test]
    fn keys_are_visible_ascii_up_to_200() {
        assert!(validate_usage(&req("1", &"k".repeat(200))).is_ok());
        for k in ["", " ", "job 1", "jöb", "tab\t", &"k".repeat(201)] {
            assert_eq!(
                validate_usage(&req("1", k)),
                Err(UsageError::IdempotencyKey),
                "{k:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_credits_text_is_refused_or_taken_exactly(s in "[-+0-9.eE_ ]{0,40}") {
            let body = serde_json::json!({"credits": s.clone(), "idempotency_key": "k"});
            if let Ok(r) = serde_json::from_value::<UsageRequest>(body) {
                if let Ok(v) = validate_usage(&r) {
                    let exact: Decimal = s.parse().unwrap();
                    prop_assert_eq!(v.credits.amount(), exact.normalize());
                }
            }
        }
    }
}

/// Why a batch was refused whole. Nothing of it is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// No records, or more than [`MAX_BATCH_RECORDS`].
    Size,
    /// A record names no workspace that can exist.
    Workspace {
        /// The record's place in the batch, from 0.
        index: usize,
    },
    /// A record is not a valid usage record.
    Record {
        /// The record's place in the batch, from 0.
        index: usize,
        /// What is wrong with it.
        error: UsageError,
    },
}

impl BatchError {
    /// A stable machine-readable code, used by the API.
    pub fn code(self) -> &'static str {
        match self {
            BatchError::Size => "invalid_batch",
            BatchError::Workspace { .. } => "invalid_slug",
            BatchError::Record { error, .. } => error.code(),
        }
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Size => write!(f, "A batch holds 1 to {MAX_BATCH_RECORDS} records."),
            BatchError::Workspace { index } => write!(
                f,
                "records[{index}]: workspace must be 1 to 63 of a-z, 0-9 and -. Nothing was recorded."
            ),
            BatchError::Record { index, error } => {
                write!(f, "records[{index}]: {error} Nothing was recorded.")
            }
        }
    }
}

impl std::error::Error for BatchError {}

/// Checks a batch: its size and every record in it, before anything is
/// drawn; answers each record's workspace and usage, in order.
///
/// ```
/// use billing_domain::{validate_batch, BatchError, BatchRecord, Credits, UsageBatchRequest, UsageError};
/// let rec = |ws: &str, c: &str| BatchRecord { workspace: ws.into(), credits: Credits::new(c.parse().unwrap()), idempotency_key: "k".into(), feature: None };
/// let batch = |records| UsageBatchRequest { records };
/// assert_eq!(validate_batch(&batch(vec![rec("acme", "2.5")])).unwrap()[0].0, "acme");
/// assert_eq!(validate_batch(&batch(vec![])), Err(BatchError::Size));
/// assert_eq!(validate_batch(&batch(vec![rec("acme", "1"), rec("Acme", "1")])), Err(BatchError::Workspace { index: 1 }));
/// assert_eq!(validate_batch(&batch(vec![rec("acme", "0")])), Err(BatchError::Record { index: 0, error: UsageError::Credits }));
/// ```
pub fn validate_batch(req: &UsageBatchRequest) -> Result<Vec<(String, ValidUsage)>, BatchError> {
    if req.records.is_empty() || req.records.len() > MAX_BATCH_RECORDS {
        return Err(BatchError::Size);
    }
    req.records
        .iter()
        .enumerate()
        .map(|(index, r)| {
            if !is_slug(&r.workspace) {
                return Err(BatchError::Workspace { index });
            }
            let usage = validate_usage(&UsageRequest {
                credits: r.credits,
                idempotency_key: r.idempotency_key.clone(),
                feature: r.feature.clone(),
            })
            .map_err(|error| BatchError::Record { index, error })?;
            Ok((r.workspace.clone(), usage))
        })
        .collect()
}

#[cfg(test)]
mod batch_tests {
    use super::*;
    use crate::BatchRecord;

    fn record(key: &str) -> BatchRecord {
        BatchRecord {
            workspace: "acme".into(),
            credits: Credits::new(Decimal::ONE),
            idempotency_key: key.into(),
            feature: Some("training".into()),
        }
    }

    #[test]
    fn a_batch_holds_one_to_a_thousand_records_in_order() {
        let full = UsageBatchRequest {
            records: (0..MAX_BATCH_RECORDS)
                .map(|i| record(&format!("k-{i}")))
                .collect(),
        };
        let valid = validate_batch(&full).unwrap();
        assert_eq!(valid.len(), MAX_BATCH_RECORDS);
        assert_eq!(valid[999].1.idempotency_key, "k-999");
        assert_eq!(valid[0].1.feature.as_str(), "training");
        let over = UsageBatchRequest {
            records: (0..=MAX_BATCH_RECORDS)
                .map(|i| record(&format!("k-{i}")))
                .collect(),
        };
        assert_eq!(validate_batch(&over), Err(BatchError::Size));
        assert_eq!(BatchError::Size.code(), "invalid_batch");
    }

    #[test]
    fn one_bad_record_refuses_the_batch_and_names_it() {
        let mut records = vec![record("a"), record("b"), record("c d")];
        let e = validate_batch(&UsageBatchRequest {
            records: records.clone(),
        })
        .unwrap_err();
        assert_eq!(
            e,
            BatchError::Record {
                index: 2,
                error: UsageError::IdempotencyKey
            }
        );
        assert_eq!(e.code(), "invalid_idempotency_key");
        assert!(
            e.to_string().starts_with("records[2]: idempotency_key"),
            "{e}"
        );
        records[2].idempotency_key = "c".into();
        records[1].feature = Some("Training".into());
        let e = validate_batch(&UsageBatchRequest { records }).unwrap_err();
        assert_eq!(e.code(), "invalid_feature");
    }
}
