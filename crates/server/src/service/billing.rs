//! Reading a workspace's billing and changing its Flex Billing settings.

use super::{member_state, state_of, Result, Service, ServiceError, User};
use crate::store::{AuditLine, Store};
use billing_domain::{cap_below_spend, ActivityPage, BillingState, FlexChange};
use chrono::NaiveDate;

/// Longest page of the activity list.
pub const MAX_ACTIVITY_PAGE: u32 = 100;
/// The activity page's length when none is asked for.
pub const DEFAULT_ACTIVITY_PAGE: u32 = 20;

impl<S: Store> Service<S> {
    /// The billing state of `slug` as `user` sees it.
    pub async fn billing_state(
        &self,
        slug: String,
        user: User,
        today: NaiveDate,
    ) -> Result<BillingState> {
        self.store
            .read(move |tx| member_state(tx, &slug, &user, today))
            .await
    }

    /// Applies `change` for `user`, if their role allows and `expected_version`
    /// (when given) still holds. Answers the new state.
    pub async fn change_flex(
        &self,
        slug: String,
        user: User,
        change: FlexChange,
        expected_version: Option<u64>,
        today: NaiveDate,
    ) -> Result<BillingState> {
        let changed = slug.clone();
        let alerts = self.alerts.clone();
        let at = self.clock.now();
        let (state, queued) = self
            .store
            .write(move |tx| {
                let (ws, role) = tx
                    .workspace_for_member(&slug, user.id)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                if !role.can_manage_billing() {
                    return Err(ServiceError::Forbidden);
                }
                if !ws.flex.accepts(expected_version) {
                    let now = state_of(tx, &ws, role, &user, today)?;
                    return Err(ServiceError::VersionConflict(Box::new(now)));
                }
                let mut queued = false;
                if let Some(next) = ws.flex.apply(change, ws.interval)? {
                    tx.update_flex(ws.id, &next)?;
                    let line = AuditLine {
                        action: change.action(),
                        old: (&ws.flex).into(),
                        new: (&next).into(),
                        credits: None,
                    };
                    tx.audit(ws.id, Some(user.id), &line)?;
                    queued =
                        alerts.settings_changed(tx, &ws, &line.old, &line.new, &user.email, at)?;
                }
                let mut state = member_state(tx, &slug, &user, today)?;
                if let FlexChange::SetCap(cap) = change {
                    state.notice = cap_below_spend(cap, state.usage.flex_spend, state.cycle.end);
                }
                Ok((state, queued))
            })
            .await?;
        self.changed(&changed);
        if queued {
            self.alerts.queued();
        }
        Ok(state)
    }

    /// The changes to Flex Billing in `slug`, newest first, for any member.
    pub async fn activity(
        &self,
        slug: String,
        user: User,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<ActivityPage> {
        let limit = limit
            .unwrap_or(DEFAULT_ACTIVITY_PAGE)
            .clamp(1, MAX_ACTIVITY_PAGE);
        self.store
            .read(move |tx| {
                let (ws, _) = tx
                    .workspace_for_member(&slug, user.id)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                // One more than asked tells whether an older page exists.
                let mut entries = tx.activity(ws.id, before, limit + 1)?;
                let more = entries.len() > limit as usize;
                entries.truncate(limit as usize);
                Ok(ActivityPage {
                    next_before: if more {
                        entries.last().map(|e| e.id)
                    } else {
                        None
                    },
                    entries,
                })
            })
            .await
    }
}
