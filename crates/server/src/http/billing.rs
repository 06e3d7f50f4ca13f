//! The billing state, the changes to Flex Billing, and their history.

use super::error::ApiError;
use super::extract::{AppJson, AppQuery, Ws};
use super::today;
use crate::service::MAX_ACTIVITY_PAGE;
use crate::store::User;
use crate::AppState;
use axum::extract::State;
use billing_domain::{
    parse_cap, ActivityPage, BillingState, ChangeRequest, FlexChange, SetCapRequest,
};
use serde::Deserialize;

type Answer = Result<AppJson<BillingState>, ApiError>;

/// `GET /api/workspaces/{ws}/billing`
pub async fn billing(State(s): State<AppState>, user: User, Ws(ws): Ws) -> Answer {
    Ok(AppJson(s.service.billing_state(ws, user, today()).await?))
}

async fn change(
    s: AppState,
    user: User,
    ws: String,
    change: FlexChange,
    version: Option<u64>,
) -> Answer {
    Ok(AppJson(
        s.service
            .change_flex(ws, user, change, version, today())
            .await?,
    ))
}

/// `POST /api/workspaces/{ws}/flex/enable`, body `{"version": n}`.
pub async fn enable(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(req): AppJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::Enable, req.version).await
}

/// `POST /api/workspaces/{ws}/flex/disable`, body `{"version": n}`.
pub async fn disable(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(req): AppJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::Disable, req.version).await
}

/// `DELETE /api/workspaces/{ws}/flex/cap`, body `{"version": n}`.
pub async fn remove_cap(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(req): AppJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::RemoveCap, req.version).await
}

/// `PUT /api/workspaces/{ws}/flex/cap`, body `{"cap": "250.00", "version": n}`.
pub async fn set_cap(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(req): AppJson<SetCapRequest>,
) -> Answer {
    let cap = parse_cap(&req.cap)?;
    change(s, user, ws, FlexChange::SetCap(cap), req.version).await
}

/// The activity list's query: a cursor from the previous page, and a page size.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

/// `GET /api/workspaces/{ws}/billing/activity?before=…&limit=…`: every change
/// to Flex Billing, newest first, for every member.
pub async fn activity(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppQuery(q): AppQuery<ActivityQuery>,
) -> Result<AppJson<ActivityPage>, ApiError> {
    let limit = q.limit.unwrap_or(20).min(MAX_ACTIVITY_PAGE);
    Ok(AppJson(
        s.service.activity(ws, user, q.before, limit).await?,
    ))
}
