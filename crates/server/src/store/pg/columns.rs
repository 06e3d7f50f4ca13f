//! A PostgreSQL row's columns, as the shared row mapping reads them
//! ([`crate::store::mapping`]). Moments are `TIMESTAMPTZ`, days `DATE`, the
//! audit trail's settings `JSONB`; whole numbers are read at the width their
//! column has (`INTEGER`, `BIGINT`, or a `COUNT`'s `BIGINT`).

use crate::store::mapping::Columns;
use crate::store::{At, StoreError, StoreResult};
use chrono::NaiveDate;
use postgres::types::Type;
use postgres::Row;

/// The position of column `col`, or why there is none.
fn index(r: &Row, col: &str) -> StoreResult<usize> {
    r.columns()
        .iter()
        .position(|c| c.name() == col)
        .ok_or_else(|| StoreError::new(format!("no column {col} in the row")))
}

/// `value` of column `col`, which may not be NULL.
fn present<T>(col: &str, value: Option<T>) -> StoreResult<T> {
    value.ok_or_else(|| StoreError::new(format!("{col} is NULL")))
}

impl Columns for Row {
    fn int(&self, col: &str) -> StoreResult<i64> {
        present(col, self.opt_int(col)?)
    }

    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        let i = index(self, col)?;
        Ok(match *self.columns()[i].type_() {
            Type::INT2 => self.try_get::<_, Option<i16>>(i)?.map(i64::from),
            Type::INT4 => self.try_get::<_, Option<i32>>(i)?.map(i64::from),
            _ => self.try_get::<_, Option<i64>>(i)?,
        })
    }

    fn flag(&self, col: &str) -> StoreResult<bool> {
        Ok(self.try_get(col)?)
    }

    fn text(&self, col: &str) -> StoreResult<String> {
        Ok(self.try_get(col)?)
    }

    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        Ok(self.try_get(col)?)
    }

    fn moment(&self, col: &str) -> StoreResult<At> {
        Ok(self.try_get(col)?)
    }

    fn opt_moment(&self, col: &str) -> StoreResult<Option<At>> {
        Ok(self.try_get(col)?)
    }

    fn date(&self, col: &str) -> StoreResult<NaiveDate> {
        Ok(self.try_get(col)?)
    }

    fn opt_date(&self, col: &str) -> StoreResult<Option<NaiveDate>> {
        Ok(self.try_get(col)?)
    }

    fn opt_json(&self, col: &str) -> StoreResult<Option<serde_json::Value>> {
        Ok(self.try_get(col)?)
    }
}
