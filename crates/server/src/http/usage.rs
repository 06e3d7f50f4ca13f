//! Metering: the platform records usage here with its token.

use super::error::ApiError;
use super::extract::{AppJson, MeteringToken, Ws, WsPath};
use crate::AppState;
use axum::extract::State;
use billing_domain::{
    validate_batch, validate_usage, BatchResult, ErrorBody, UsageBatchRequest, UsageBatchResponse,
    UsageRequest, UsageResponse,
};

/// The largest batch body: 1,000 records of the longest fields, with room to spare.
pub const MAX_BATCH_BODY_BYTES: usize = 1024 * 1024;

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
    Ok(AppJson(s.service.record_usage(ws, usage).await?))
}

/// `POST /api/usage/batch` with `Authorization: Bearer <metering token>`.
#[utoipa::path(
    post,
    path = "/api/usage/batch",
    tag = "usage",
    summary = "Record up to 1,000 usage records, for any workspaces: each on its own as a single record would be, in order",
    request_body = UsageBatchRequest,
    responses(
        (status = 200, description = "Every record was decided, in the order given, each all or nothing, and what was recorded is durable: `results` holds one result a record, in that order, with the status a single record would have had (200 recorded or replayed; 402 `no_credits` or `flex_cap_reached`; 404 `workspace_not_found`; 409 `idempotency_conflict`).", body = UsageBatchResponse),
        (status = 400, description = "`invalid_request`: the body is not the JSON asked for (credits must be decimal strings). Nothing is recorded.", body = ErrorBody),
        (status = 401, description = "`invalid_metering_token`: no accepted `Authorization: Bearer` metering token.", body = ErrorBody),
        (status = 403, description = "`cross_origin_request`: a browser sent it from another origin.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over 1 MiB. Nothing is recorded.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`.", body = ErrorBody),
        (status = 500, description = "`internal`: something went wrong on our side; nothing of the batch was recorded.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the database cannot take writes for now; nothing of the batch was recorded, try again after `Retry-After` seconds (the same keys are recorded once). `timeout`: the answer did not start within 30 s.", body = ErrorBody),
        (status = 422, description = "`invalid_batch`: no records, or more than 1,000; `invalid_slug`, `invalid_credits`, `invalid_idempotency_key`, `invalid_feature`: the record the message names is not valid; `unknown_field`: a field this route does not take. Nothing is recorded.", body = ErrorBody),
    ),
    security(("metering_token" = [])),
)]
pub async fn batch(
    State(s): State<AppState>,
    _: MeteringToken,
    AppJson(req): AppJson<UsageBatchRequest>,
) -> Result<AppJson<UsageBatchResponse>, ApiError> {
    let records = validate_batch(&req)?;
    let results = s.service.record_usage_batch(records).await?;
    let results = results
        .into_iter()
        .map(|recorded| match recorded {
            Ok(_) => BatchResult {
                status: 200,
                code: None,
            },
            Err(refused) => {
                let refused = ApiError::from(refused);
                BatchResult {
                    status: refused.status.as_u16(),
                    code: Some(refused.code.to_string()),
                }
            }
        })
        .collect();
    Ok(AppJson(UsageBatchResponse { results }))
}
