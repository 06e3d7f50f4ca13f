//! The billing service: each operation is one SQLite transaction that checks
//! who may do it, applies the domain rules and writes an audit line.

use crate::error::ApiError;
use crate::store::{self, WorkspaceRow};
use billing_domain::api::{
    BillingState, FlexSettings, PlanInfo, UsageRequest, UsageResponse, UsageSummary, Viewer,
    WorkspaceInfo,
};
use billing_domain::{draw, parse_cap, Balances, BillingCycle, Credits, DrawError, Money, Role};
use chrono::NaiveDate;
use rusqlite::{Connection, Transaction, TransactionBehavior};

/// The signed-in person making a request.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
}

/// A change to Flex Billing settings.
#[derive(Debug, Clone)]
pub enum FlexChange {
    Enable,
    Disable,
    SetCap(String),
    RemoveCap,
}

/// The billing state of `slug` as `user` sees it.
pub fn billing_state(
    conn: &Connection,
    slug: &str,
    user: &User,
    today: NaiveDate,
) -> Result<BillingState, ApiError> {
    let (ws, role) = store::workspace_for_member(conn, slug, user.id)?
        .ok_or_else(ApiError::workspace_not_found)?;
    state_of(conn, &ws, role, user, today)
}

fn state_of(
    conn: &Connection,
    ws: &WorkspaceRow,
    role: Role,
    user: &User,
    today: NaiveDate,
) -> Result<BillingState, ApiError> {
    let cycle = BillingCycle::containing(ws.anchor, ws.interval, today);
    Ok(BillingState {
        workspace: WorkspaceInfo {
            slug: ws.slug.clone(),
            name: ws.name.clone(),
        },
        plan: PlanInfo {
            name: ws.plan_name.clone(),
            interval: ws.interval,
        },
        cycle,
        flex: FlexSettings {
            enabled: ws.flex_enabled,
            cap: ws.flex_cap,
            default_cap: ws.interval.default_cap(),
            version: ws.flex_version,
        },
        usage: usage_of(conn, ws, cycle)?,
        viewer: Viewer {
            email: user.email.clone(),
            role,
            can_manage: role.can_manage_billing(),
        },
        today,
    })
}

fn usage_of(
    conn: &Connection,
    ws: &WorkspaceRow,
    cycle: BillingCycle,
) -> Result<UsageSummary, ApiError> {
    let totals = store::cycle_totals(conn, ws.id, cycle.start)?;
    Ok(UsageSummary {
        included_used: totals.included,
        included_total: ws.included,
        prepaid_balance: ws.prepaid_balance,
        flex_credits: totals.flex,
        flex_spend: totals.flex_cost,
        flex_rate: ws.flex_rate,
        prepaid_rate: ws.prepaid_rate,
        blocked: store::blocked_since(conn, ws.id, cycle.start, ws.flex_version)?,
    })
}

/// Applies `change` for `user`, if their role allows and `expected_version`
/// (when given) still holds. Answers the new state.
pub fn change_flex(
    conn: &mut Connection,
    slug: &str,
    user: &User,
    change: FlexChange,
    expected_version: Option<u64>,
    today: NaiveDate,
) -> Result<BillingState, ApiError> {
    let tx = Transaction::new(conn, TransactionBehavior::Immediate)?;
    let (ws, role) = store::workspace_for_member(&tx, slug, user.id)?
        .ok_or_else(ApiError::workspace_not_found)?;
    if !role.can_manage_billing() {
        return Err(ApiError::forbidden());
    }
    if expected_version.is_some_and(|v| v != ws.flex_version) {
        return Err(ApiError::version_conflict());
    }
    let next: Option<(bool, Option<Money>, String)> = match change {
        FlexChange::Enable if ws.flex_enabled => None,
        FlexChange::Enable => {
            let cap = ws.interval.default_cap();
            Some((
                true,
                Some(cap),
                format!("enabled with default cap {}", cap.plain()),
            ))
        }
        FlexChange::Disable if !ws.flex_enabled => None,
        FlexChange::Disable => Some((false, None, "disabled".into())),
        FlexChange::SetCap(_) | FlexChange::RemoveCap if !ws.flex_enabled => {
            return Err(ApiError::flex_disabled())
        }
        FlexChange::SetCap(text) => {
            let cap = parse_cap(&text)?;
            (ws.flex_cap != Some(cap))
                .then(|| (true, Some(cap), format!("cap set to {}", cap.plain())))
        }
        FlexChange::RemoveCap => ws
            .flex_cap
            .is_some()
            .then(|| (true, None, "cap removed".into())),
    };
    if let Some((enabled, cap, detail)) = next {
        store::update_flex(&tx, ws.id, enabled, cap)?;
        store::audit(&tx, ws.id, Some(user.id), "flex", &detail)?;
    }
    let state = billing_state(&tx, slug, user, today)?;
    tx.commit()?;
    Ok(state)
}

/// The most credits one usage record may carry: far above any real job, and
/// low enough that no sum of records can overflow.
const MAX_CREDITS_PER_RECORD: i64 = 1_000_000;

/// Records metered usage for `slug`: draws included, then prepaid, then flex
/// credits within the cap, all or nothing. The same key records once.
pub fn record_usage(
    conn: &mut Connection,
    slug: &str,
    req: &UsageRequest,
    today: NaiveDate,
) -> Result<UsageResponse, ApiError> {
    use axum::http::StatusCode;
    let key = req.idempotency_key.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::bad_request(
            "idempotency_key must be 1 to 200 characters.",
        ));
    }
    if req.credits <= Credits::ZERO
        || req.credits > Credits::whole(MAX_CREDITS_PER_RECORD)
        || store::credits_to_e4(req.credits).is_none()
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_credits",
            format!("credits must be more than zero and at most {MAX_CREDITS_PER_RECORD}, with at most four decimal places."),
        ));
    }
    let tx = Transaction::new(conn, TransactionBehavior::Immediate)?;
    let ws = store::workspace_by_slug(&tx, slug)?.ok_or_else(ApiError::workspace_not_found)?;
    let cycle = BillingCycle::containing(ws.anchor, ws.interval, today);
    if let Some(stored) = store::usage_by_key(&tx, ws.id, key)? {
        if stored.credits != req.credits {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                "This idempotency key was already used for a different amount of credits.",
            ));
        }
        return Ok(UsageResponse {
            draw: stored.draw,
            replayed: true,
            usage: usage_of(&tx, &ws, cycle)?,
        });
    }
    let totals = store::cycle_totals(&tx, ws.id, cycle.start)?;
    let balances = Balances {
        included_total: ws.included,
        included_used: totals.included,
        prepaid_balance: ws.prepaid_balance,
        flex_enabled: ws.flex_enabled,
        flex_cap: ws.flex_cap,
        flex_used: totals.flex,
        flex_rate: ws.flex_rate,
    };
    let drawn = match draw(&balances, req.credits) {
        Ok(drawn) => drawn,
        Err(refused) => {
            // Nothing is drawn; a refusal at the cap is kept so the page can say
            // that work is blocked. Raising the cap (a new version) clears it.
            if matches!(refused, DrawError::FlexCapReached { .. }) {
                store::insert_blocked(&tx, ws.id, cycle.start, ws.flex_version, req.credits)?;
                tx.commit()?;
            }
            return Err(refused.into());
        }
    };
    store::insert_usage(&tx, ws.id, key, cycle.start, req.credits, &drawn)?;
    // Read back, so the answer is what the next GET will show (prepaid included).
    let ws = store::workspace_by_slug(&tx, slug)?.ok_or_else(ApiError::workspace_not_found)?;
    let usage = usage_of(&tx, &ws, cycle)?;
    tx.commit()?;
    Ok(UsageResponse {
        draw: drawn,
        replayed: false,
        usage,
    })
}
