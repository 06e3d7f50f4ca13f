//! Downloads for owners and admins: a cycle's usage records and the
//! statements, as CSV, a page of records at a time so memory stays flat
//! however long the cycle's list is.

use super::{Result, Service, ServiceError, User};
use crate::store::{Store, UsageLine};
use billing_domain::{BillingCycle, Statement};
use chrono::NaiveDate;

/// Usage records read (and written out) at a time.
pub const CSV_PAGE: u32 = 5_000;

/// The usage CSV's columns.
pub const USAGE_COLUMNS: [&str; 8] = [
    "recorded_at",
    "credits",
    "feature",
    "idempotency_key",
    "included",
    "prepaid",
    "flex_credits",
    "flex_cost",
];

/// The statements CSV's columns.
pub const STATEMENT_COLUMNS: [&str; 9] = [
    "id",
    "cycle_start",
    "cycle_end",
    "included_used",
    "prepaid_used",
    "flex_credits",
    "flex_amount",
    "cap",
    "closed_at",
];

/// Text a spreadsheet shows as text: a cell that would start a formula
/// (`=`, `+`, `-`, `@`, a tab or a return) gets a leading `'`.
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// One usage record as a CSV row.
pub fn usage_row(l: &UsageLine) -> [String; 8] {
    [
        l.recorded_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        l.credits.to_string(),
        cell(&l.feature).into_owned(),
        cell(&l.key).into_owned(),
        l.draw.included.to_string(),
        l.draw.prepaid.to_string(),
        l.draw.flex.to_string(),
        l.draw.flex_cost.plain(),
    ]
}

/// One statement as a CSV row.
pub fn statement_row(s: &Statement) -> [String; 9] {
    [
        s.id.to_string(),
        s.cycle.start.to_string(),
        s.cycle.end.to_string(),
        s.included_used.to_string(),
        s.prepaid_used.to_string(),
        s.flex_credits.to_string(),
        s.flex_amount.plain(),
        s.cap.map(|c| c.plain()).unwrap_or_default(),
        s.closed_at.to_string(),
    ]
}

impl<S: Store> Service<S> {
    /// Whether `user` may download `slug`'s usage (owners and admins):
    /// answers the workspace's id and the cycle asked for (by its first
    /// day; none: the current one).
    pub async fn usage_export(
        &self,
        slug: String,
        user: User,
        cycle: Option<NaiveDate>,
    ) -> Result<(i64, NaiveDate)> {
        let today = self.clock.today();
        self.store
            .read(move |tx| {
                let (ws, role) = tx
                    .workspace_for_member(&slug, user.id)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                if !role.can_manage_billing() {
                    return Err(ServiceError::Forbidden);
                }
                let start = cycle.unwrap_or_else(|| {
                    BillingCycle::containing(ws.anchor, ws.interval, today).start
                });
                Ok((ws.id, start))
            })
            .await
    }

    /// A page of the usage records [`Service::usage_export`] allowed.
    pub async fn usage_page(
        &self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        after: i64,
    ) -> Result<Vec<UsageLine>> {
        self.store
            .read(move |tx| {
                Ok::<_, ServiceError>(tx.usage_lines(workspace_id, cycle_start, after, CSV_PAGE)?)
            })
            .await
    }

    /// Every statement of `slug`, newest first, for an owner or admin.
    pub async fn statements_export(&self, slug: String, user: User) -> Result<Vec<Statement>> {
        self.store
            .read(move |tx| {
                let (ws, role) = tx
                    .workspace_for_member(&slug, user.id)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                if !role.can_manage_billing() {
                    return Err(ServiceError::Forbidden);
                }
                // A statement a cycle: a century of monthly ones fits.
                Ok(tx.statements(ws.id, None, 1_200)?)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_never_starts_a_formula() {
        assert_eq!(cell("job-42"), "job-42");
        for formula in ["=SUM(A1)", "+1", "-1", "@x", "\tx", "\rx"] {
            assert_eq!(cell(formula), format!("'{formula}"), "{formula:?}");
        }
    }
}
