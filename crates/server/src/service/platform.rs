//! Provisioning by the platform: its workspaces, their plans and members, and
//! the prepaid credits it sells. Each operation is one transaction; each that
//! changes what a page shows tells the page's live stream.

use super::{usage_of, Result, Service, ServiceError};
use crate::store::{AuditLine, Grant, NewWorkspace, Store, Tx, WorkspaceRow};
use billing_domain::{
    AuditAction, BillingCycle, FlexSnapshot, MemberInfo, Plan, PlatformPlan, PlatformWorkspace,
    Role, ValidGrant, ValidWorkspace, WorkspaceInfo,
};
use chrono::NaiveDate;

/// Whether a `PUT` made the thing or changed one that was there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Updated,
}

impl<S: Store> Service<S> {
    /// Creates workspace `slug` with Flex Billing off, or renames it and sets
    /// its plan. New rates apply to usage recorded from now on (what was
    /// billed stays billed); a new interval or anchor moves the billing cycle
    /// at once (see the README).
    pub async fn put_workspace(
        &self,
        slug: String,
        spec: ValidWorkspace,
        today: NaiveDate,
    ) -> Result<(Put, PlatformWorkspace)> {
        let changed = slug.clone();
        let answer = self
            .store
            .write(move |tx| {
                let put = match tx.workspace_by_slug(&slug)? {
                    Some(ws) => {
                        tx.update_workspace(ws.id, &spec.name, &spec.plan)?;
                        Put::Updated
                    }
                    None => {
                        let p = &spec.plan;
                        tx.insert_workspace(&NewWorkspace {
                            slug: slug.clone(),
                            name: spec.name.clone(),
                            plan_name: p.name.clone(),
                            interval: p.interval,
                            anchor: p.anchor,
                            included: p.included,
                            flex_rate: p.flex_rate,
                            prepaid_rate: p.prepaid_rate,
                            prepaid_balance: billing_domain::Credits::ZERO,
                            flex: FlexSnapshot {
                                enabled: false,
                                cap: None,
                            },
                        })?;
                        Put::Created
                    }
                };
                Ok::<_, ServiceError>((put, platform_view(tx, &slug, today)?))
            })
            .await?;
        self.changed(&changed);
        Ok(answer)
    }

    /// Workspace `slug` as the platform reads it.
    pub async fn platform_workspace(
        &self,
        slug: String,
        today: NaiveDate,
    ) -> Result<PlatformWorkspace> {
        self.store
            .read(move |tx| platform_view(tx, &slug, today))
            .await
    }

    /// Makes `email` a member of `slug` with `role` (creating the person if
    /// they are new), or gives them that role.
    pub async fn put_member(
        &self,
        slug: String,
        email: String,
        role: Role,
    ) -> Result<(Put, MemberInfo)> {
        let changed = slug.clone();
        let answer = self
            .store
            .write(move |tx| {
                let ws = workspace(tx, &slug)?;
                let user = match tx.user_by_email(&email)? {
                    Some(u) => u.id,
                    None => tx.insert_user(&email)?,
                };
                let put = match tx.member_role(ws.id, user)? {
                    Some(_) => {
                        tx.set_role(ws.id, user, role)?;
                        Put::Updated
                    }
                    None => {
                        tx.add_member(ws.id, user, role)?;
                        Put::Created
                    }
                };
                Ok::<_, ServiceError>((put, MemberInfo { email, role }))
            })
            .await?;
        // Their open pages re-read the state, with their new role.
        self.changed(&changed);
        Ok(answer)
    }

    /// Ends `email`'s membership of `slug`: their next request answers 404,
    /// and their event streams end. Removing someone who is not a member
    /// does nothing.
    pub async fn remove_member(&self, slug: String, email: String) -> Result<()> {
        let changed = slug.clone();
        self.store
            .write(move |tx| {
                let ws = workspace(tx, &slug)?;
                if let Some(user) = tx.user_by_email(&email)? {
                    tx.remove_member(ws.id, user.id)?;
                }
                Ok::<_, ServiceError>(())
            })
            .await?;
        // Each stream checks the membership at its next event: now.
        self.changed(&changed);
        Ok(())
    }

    /// Adds prepaid credits to `slug` once per key, with a line in the audit
    /// trail; the same key with other credits is refused.
    pub async fn grant_prepaid(
        &self,
        slug: String,
        grant: ValidGrant,
        today: NaiveDate,
    ) -> Result<PlatformWorkspace> {
        let changed = slug.clone();
        let now = self.clock.now();
        let (answer, added) = self
            .store
            .write(move |tx| {
                let ws = workspace(tx, &slug)?;
                let outcome =
                    tx.grant_prepaid(ws.id, &grant.idempotency_key, grant.credits, now)?;
                match outcome {
                    Grant::Conflict => return Err(ServiceError::IdempotencyConflict),
                    Grant::Replayed => {}
                    Grant::Added => {
                        let now: FlexSnapshot = (&ws.flex).into();
                        tx.audit(
                            ws.id,
                            None,
                            &AuditLine {
                                action: AuditAction::PrepaidAdded,
                                old: now,
                                new: now,
                                credits: Some(grant.credits),
                            },
                        )?;
                    }
                }
                Ok((platform_view(tx, &slug, today)?, outcome == Grant::Added))
            })
            .await?;
        if added {
            self.changed(&changed);
        }
        Ok(answer)
    }
}

fn workspace(tx: &mut dyn Tx, slug: &str) -> Result<WorkspaceRow> {
    tx.workspace_by_slug(slug)?
        .ok_or(ServiceError::WorkspaceNotFound)
}

fn platform_view(tx: &mut dyn Tx, slug: &str, today: NaiveDate) -> Result<PlatformWorkspace> {
    let ws = workspace(tx, slug)?;
    let cycle = BillingCycle::containing(ws.anchor, ws.interval, today);
    let plan = Plan {
        name: ws.plan_name.clone(),
        interval: ws.interval,
        anchor: ws.anchor,
        included: ws.included,
        flex_rate: ws.flex_rate,
        prepaid_rate: ws.prepaid_rate,
    };
    Ok(PlatformWorkspace {
        workspace: WorkspaceInfo {
            slug: ws.slug.clone(),
            name: ws.name.clone(),
        },
        plan: PlatformPlan::from(&plan),
        flex: ws.flex.clone(),
        usage: usage_of(tx, &ws, cycle)?,
    })
}
