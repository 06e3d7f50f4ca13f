//! Statements: when a workspace's billing cycle ends, what it came to is
//! written once (by the closer on any server, or by the first write after
//! the end, whichever comes first) and sent as `flex.cycle_closed`.

use super::{Result, Service, ServiceError, User};
use crate::alerts::Alerts;
use crate::store::{At, NewStatement, Store, Tx, WorkspaceRow};
use billing_domain::{by_flex_spend, periods_to_close, BillingCycle, Statement, StatementPage};
use chrono::NaiveDate;

/// Statements a page when none is asked for, and the most.
pub const DEFAULT_STATEMENT_PAGE: u32 = 12;
/// The most statements one page answers.
pub const MAX_STATEMENT_PAGE: u32 = 100;

/// How many workspaces one pass of the closer takes at most.
const CLOSE_AT_ONCE: u32 = 100;

/// Closes every period of `ws` that ended by `today`, in the caller's
/// transaction (which holds the workspace's row), and opens the current
/// cycle. Answers whether anything was queued for delivery.
pub(super) fn close_ended(
    tx: &mut dyn Tx,
    ws: &WorkspaceRow,
    today: NaiveDate,
    now: At,
    alerts: &Alerts,
) -> Result<bool> {
    let current = BillingCycle::containing(ws.anchor, ws.interval, today);
    let Some(open) = ws.open_cycle else {
        // Made before statements: its cycles are counted from this one.
        tx.set_open_cycle(ws.id, current)?;
        return Ok(false);
    };
    if open == current {
        return Ok(false);
    }
    let mut queued = false;
    for period in periods_to_close(open, ws.anchor, ws.interval, today) {
        let totals = tx.cycle_totals(ws.id, period.start)?;
        let new = NewStatement {
            cycle: period,
            included: totals.included,
            prepaid: totals.prepaid,
            flex: totals.flex,
            flex_cost: totals.flex_cost,
            cap: ws.flex.cap.filter(|_| ws.flex.enabled),
            by_feature: by_flex_spend(tx.feature_totals(ws.id, period.start)?),
            closed_at: now,
        };
        let Some(id) = tx.insert_statement(ws.id, &new)? else {
            continue;
        };
        let statement = new.written(id, &ws.slug);
        queued |= alerts.cycle_closed(tx, ws, &statement, now)?;
    }
    tx.set_open_cycle(ws.id, current)?;
    Ok(queued)
}

impl<S: Store> Service<S> {
    /// One pass of the closer: closes the ended cycles of up to
    /// [`CLOSE_AT_ONCE`] workspaces, each in a transaction of its own.
    /// Answers how many workspaces it looked at.
    pub async fn close_cycles(&self) -> Result<usize> {
        let today = self.clock.today();
        let due = self
            .store
            .read(move |tx| Ok::<_, ServiceError>(tx.cycles_to_close(today, CLOSE_AT_ONCE)?))
            .await?;
        for slug in &due {
            let alerts = self.alerts.clone();
            let now = self.clock.now();
            let slug = slug.clone();
            let queued = self
                .store
                .write(move |tx| {
                    // Read again under the row's lock: another server may have closed it.
                    let Some(ws) = tx.workspace_by_slug(&slug)? else {
                        return Ok(false);
                    };
                    close_ended(tx, &ws, today, now, &alerts)
                })
                .await?;
            if queued {
                self.alerts.queued();
            }
        }
        Ok(due.len())
    }

    /// `slug`'s statements for one of its members, newest first.
    pub async fn statements(
        &self,
        slug: String,
        user: User,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<StatementPage> {
        let limit = limit
            .unwrap_or(DEFAULT_STATEMENT_PAGE)
            .clamp(1, MAX_STATEMENT_PAGE);
        self.store
            .read(move |tx| {
                let (ws, _) = tx
                    .workspace_for_member(&slug, user.id)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                let mut statements = tx.statements(ws.id, before, limit + 1)?;
                Ok(page(&mut statements, limit))
            })
            .await
    }

    /// Every workspace's statements after `after`, in the order they were
    /// closed: the platform's charging job takes each once, by this cursor.
    pub async fn platform_statements(
        &self,
        after: i64,
        limit: Option<u32>,
    ) -> Result<StatementPage> {
        let limit = limit
            .unwrap_or(MAX_STATEMENT_PAGE)
            .clamp(1, MAX_STATEMENT_PAGE);
        self.store
            .read(move |tx| {
                let mut statements = tx.statements_after(after, limit + 1)?;
                let mut answer = page(&mut statements, limit);
                // The cursor goes on from the last one even at the end, so
                // the job asks again from there and misses nothing.
                answer.next = answer.statements.last().map(|s| s.id).or(Some(after));
                Ok::<_, ServiceError>(answer)
            })
            .await
    }
}

/// Up to `limit` of `fetched` (one more was fetched to tell whether more
/// follow), and where the next page starts.
fn page(fetched: &mut Vec<Statement>, limit: u32) -> StatementPage {
    let more = fetched.len() > limit as usize;
    fetched.truncate(limit as usize);
    StatementPage {
        next: if more {
            fetched.last().map(|s| s.id)
        } else {
            None
        },
        statements: std::mem::take(fetched),
    }
}
