//! Where a workspace's alerts go: its webhook endpoint, and the delivery log.

use super::error::ApiError;
use super::extract::{AppJson, Ws, WsPath};
use crate::service::User;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use billing_domain::{
    AlertThresholds, DeliveryLog, ErrorBody, ThresholdsRequest, WebhookInfo, WebhookRequest,
};

/// `PUT /api/workspaces/{ws}/webhook`
#[utoipa::path(
    put,
    path = "/api/workspaces/{ws}/webhook",
    tag = "alerts",
    summary = "Register the workspace's webhook endpoint (owners)",
    description = "Alerts go to this address as Standard Webhooks (`webhook-id`, \
        `webhook-timestamp`, `webhook-signature`: HMAC-SHA256): `flex.threshold_reached` (80% of \
        the cap) and `flex.cap_reached`, each at most once a cycle, and `flex.settings_changed`. \
        Registering again replaces the address and the secret. The answer holds the signing \
        secret (`whsec_…`); it is never shown again.",
    params(WsPath),
    request_body = WebhookRequest,
    responses(
        (status = 200, description = "Registered; `secret` is shown this once.", body = WebhookInfo),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 403, description = "`forbidden`: only owners manage where alerts go.", body = ErrorBody),
        (status = 404, description = "`workspace_not_found`.", body = ErrorBody),
        (status = 422, description = "`invalid_webhook_url`: not `https://` (or `http://` to this machine), or too long.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn set_webhook(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(body): AppJson<WebhookRequest>,
) -> Result<AppJson<WebhookInfo>, ApiError> {
    Ok(AppJson(s.service.set_webhook(ws, user, body.url).await?))
}

/// `DELETE /api/workspaces/{ws}/webhook`
#[utoipa::path(
    delete,
    path = "/api/workspaces/{ws}/webhook",
    tag = "alerts",
    summary = "Remove the workspace's webhook endpoint (owners)",
    params(WsPath),
    responses(
        (status = 204, description = "Removed (or there was none)."),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 403, description = "`forbidden`: only owners manage where alerts go.", body = ErrorBody),
        (status = 404, description = "`workspace_not_found`.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn delete_webhook(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
) -> Result<StatusCode, ApiError> {
    s.service.delete_webhook(ws, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workspaces/{ws}/deliveries`
#[utoipa::path(
    get,
    path = "/api/workspaces/{ws}/deliveries",
    tag = "alerts",
    summary = "Where alerts go, and the latest 20 deliveries with every attempt (owners)",
    params(WsPath),
    responses(
        (status = 200, description = "The delivery log, newest first.", body = DeliveryLog),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 403, description = "`forbidden`: only owners manage where alerts go.", body = ErrorBody),
        (status = 404, description = "`workspace_not_found`.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn deliveries(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
) -> Result<AppJson<DeliveryLog>, ApiError> {
    Ok(AppJson(s.service.delivery_log(ws, user).await?))
}

/// `GET /api/workspaces/{ws}/alerts`
#[utoipa::path(
    get,
    path = "/api/workspaces/{ws}/alerts",
    tag = "alerts",
    summary = "The notification thresholds: percents of the cap at which the webhook and e-mail are sent (owners)",
    params(WsPath),
    responses(
        (status = 200, description = "The thresholds in force, lowest first.", body = AlertThresholds),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 403, description = "`forbidden`: only owners choose the notification thresholds.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn thresholds(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
) -> Result<AppJson<AlertThresholds>, ApiError> {
    Ok(AppJson(s.service.alert_thresholds(ws, user).await?))
}

/// `PUT /api/workspaces/{ws}/alerts` `{"thresholds": [50, 90]}`
#[utoipa::path(
    put,
    path = "/api/workspaces/{ws}/alerts",
    tag = "alerts",
    summary = "Choose up to five notification thresholds, whole percents of the cap from 1 to 99 (owners)",
    params(WsPath),
    request_body = ThresholdsRequest,
    responses(
        (status = 200, description = "The thresholds now in force, lowest first; each is sent once per cap and cycle.", body = AlertThresholds),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 403, description = "`forbidden`: only owners choose the notification thresholds; `cross_origin_request`: the change does not come from the page's own origin.", body = ErrorBody),
        (status = 422, description = "`invalid_thresholds`: more than five, a percent outside 1 to 99, or one twice, said in a sentence; `unknown_field`: a field this route does not take.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn set_thresholds(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(req): AppJson<ThresholdsRequest>,
) -> Result<AppJson<AlertThresholds>, ApiError> {
    Ok(AppJson(
        s.service
            .set_alert_thresholds(ws, user, req.thresholds)
            .await?,
    ))
}
