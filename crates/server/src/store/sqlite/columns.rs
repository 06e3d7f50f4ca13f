//! A SQLite row's columns, as the shared row mapping reads them
//! ([`crate::store::mapping`]). Moments are kept as RFC 3339 text in UTC
//! ([`crate::store::at_text`]), days as `YYYY-MM-DD`, flags as 0 or 1.

use crate::store::mapping::Columns;
use crate::store::{At, StoreError, StoreResult};
use chrono::NaiveDate;
use rusqlite::Row;

/// A moment written by [`crate::store::at_text`].
fn moment_of(col: &str, text: &str) -> StoreResult<At> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| StoreError::new(format!("{col}: {text:?} is not a moment")))
}

impl Columns for Row<'_> {
    fn int(&self, col: &str) -> StoreResult<i64> {
        Ok(self.get(col)?)
    }

    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        Ok(self.get(col)?)
    }

    fn flag(&self, col: &str) -> StoreResult<bool> {
        Ok(self.get(col)?)
    }

    fn text(&self, col: &str) -> StoreResult<String> {
        Ok(self.get(col)?)
    }

    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        Ok(self.get(col)?)
    }

    fn moment(&self, col: &str) -> StoreResult<At> {
        moment_of(col, &self.text(col)?)
    }

    fn opt_moment(&self, col: &str) -> StoreResult<Option<At>> {
        self.opt_text(col)?
            .map(|text| moment_of(col, &text))
            .transpose()
    }

    fn date(&self, col: &str) -> StoreResult<NaiveDate> {
        let text = self.text(col)?;
        text.parse()
            .map_err(|_| StoreError::new(format!("{col}: {text:?} is not a day")))
    }

    fn opt_date(&self, col: &str) -> StoreResult<Option<NaiveDate>> {
        self.opt_text(col)?
            .map(|text| {
                text.parse()
                    .map_err(|_| StoreError::new(format!("{col}: {text:?} is not a day")))
            })
            .transpose()
    }

    fn opt_json(&self, col: &str) -> StoreResult<Option<serde_json::Value>> {
        Ok(self
            .opt_text(col)?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }
}
