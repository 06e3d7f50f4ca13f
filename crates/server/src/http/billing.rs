//! The billing state and the changes to Flex Billing.

use super::error::ApiError;
use super::extract::{AppJson, OptionalJson};
use super::today;
use crate::store::User;
use crate::AppState;
use axum::extract::{Path, State};
use billing_domain::{parse_cap, BillingState, ChangeRequest, FlexChange, SetCapRequest};

type Answer = Result<AppJson<BillingState>, ApiError>;

/// `GET /api/workspaces/{ws}/billing`
pub async fn billing(State(s): State<AppState>, user: User, Path(ws): Path<String>) -> Answer {
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

/// `POST /api/workspaces/{ws}/flex/enable`, optional body `{"version": n}`.
pub async fn enable(
    State(s): State<AppState>,
    user: User,
    Path(ws): Path<String>,
    OptionalJson(req): OptionalJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::Enable, req.version).await
}

/// `POST /api/workspaces/{ws}/flex/disable`, optional body `{"version": n}`.
pub async fn disable(
    State(s): State<AppState>,
    user: User,
    Path(ws): Path<String>,
    OptionalJson(req): OptionalJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::Disable, req.version).await
}

/// `DELETE /api/workspaces/{ws}/flex/cap`, optional body `{"version": n}`.
pub async fn remove_cap(
    State(s): State<AppState>,
    user: User,
    Path(ws): Path<String>,
    OptionalJson(req): OptionalJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::RemoveCap, req.version).await
}

/// `PUT /api/workspaces/{ws}/flex/cap`, body `{"cap": "250.00", "version": n}`.
pub async fn set_cap(
    State(s): State<AppState>,
    user: User,
    Path(ws): Path<String>,
    AppJson(req): AppJson<SetCapRequest>,
) -> Answer {
    let cap = parse_cap(&req.cap)?;
    change(s, user, ws, FlexChange::SetCap(cap), req.version).await
}
