//! Metering: the platform records usage here with its token.

use super::error::ApiError;
use super::extract::{AppJson, MeteringToken, Ws, WsPath};
use super::today;
use crate::AppState;
use axum::extract::State;
use billing_domain::{validate_usage, ErrorBody, UsageRequest, UsageResponse};

/// `POST /api/workspaces/{ws}/usage` with `Authorization: Bearer <metering token>`.
#[utoipa::path(
    post,
    path = "/api/workspaces/{ws}/usage",
    tag = "usage",
    summary = "Record usage: draw included, then prepaid, then flex credits; all or nothing, idempotent per key",
    params(WsPath),
    request_body = UsageRequest,
    responses(
        (status = 200, description = "Recorded (or `replayed`: this key was recorded before with these credits, and nothing new was drawn).", body = UsageResponse),
        (status = 400, description = "`invalid_request`: the body is not the JSON asked for (credits must be a decimal string), or the address is not valid.", body = ErrorBody),
        (status = 401, description = "`invalid_metering_token`: no accepted `Authorization: Bearer` metering token.", body = ErrorBody),
        (status = 402, description = "`no_credits`: included and prepaid credits are used up and Flex Billing is off; `flex_cap_reached`: the flex credits needed would pass the cap. Nothing is recorded.", body = ErrorBody),
        (status = 403, description = "`cross_origin_request`: a browser sent it from another origin.", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`: this key was already recorded with other credits or another feature.", body = ErrorBody),
        (status = 422, description = "`invalid_credits`: credits outside (0, 1,000,000] or with more than four decimal places; `invalid_idempotency_key`: not 1 to 200 visible ASCII characters; `invalid_feature`: not 1 to 40 characters of a-z, 0-9, _ and -; `unknown_field`: a field this route does not take.", body = ErrorBody),
    ),
    security(("metering_token" = [])),
)]
pub async fn record(
    State(s): State<AppState>,
    _: MeteringToken,
    Ws(ws): Ws,
    AppJson(req): AppJson<UsageRequest>,
) -> Result<AppJson<UsageResponse>, ApiError> {
    let usage = validate_usage(&req)?;
    Ok(AppJson(s.service.record_usage(ws, usage, today(&s)).await?))
}
