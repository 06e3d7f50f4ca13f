//! Metering: the platform records usage here with its token.

use super::error::ApiError;
use super::extract::{AppJson, MeteringToken, Ws};
use super::today;
use crate::AppState;
use axum::extract::State;
use billing_domain::{validate_usage, UsageRequest, UsageResponse};

/// `POST /api/workspaces/{ws}/usage` with `Authorization: Bearer <metering token>`.
pub async fn record(
    State(s): State<AppState>,
    _: MeteringToken,
    Ws(ws): Ws,
    AppJson(req): AppJson<UsageRequest>,
) -> Result<AppJson<UsageResponse>, ApiError> {
    let usage = validate_usage(&req)?;
    Ok(AppJson(s.service.record_usage(ws, usage, today()).await?))
}
