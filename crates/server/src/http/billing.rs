//! The billing state, the changes to Flex Billing, and their history.

use super::error::ApiError;
use super::extract::{AppJson, AppQuery, Ws, WsPath};
use super::today;
use crate::service::User;
use crate::AppState;
use axum::extract::State;
use billing_domain::ErrorBody;
use billing_domain::{
    parse_cap, ActivityPage, BillingState, ChangeRequest, FlexChange, SetCapRequest, StatementPage,
};
use serde::Deserialize;
use utoipa::IntoParams;

type Answer = Result<AppJson<BillingState>, ApiError>;

/// `GET /api/workspaces/{ws}/billing`
#[utoipa::path(
    get,
    path = "/api/workspaces/{ws}/billing",
    tag = "billing",
    summary = "The billing state: workspace, plan, cycle, Flex Billing settings, usage, viewer, today",
    params(WsPath),
    responses(
        (status = 200, description = "The billing state as the signed-in member sees it.", body = BillingState),
        (status = 400, description = "`invalid_request`: the address is not valid (a path segment that is not UTF-8).", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn billing(State(s): State<AppState>, user: User, Ws(ws): Ws) -> Answer {
    Ok(AppJson(s.service.billing_state(ws, user, today(&s)).await?))
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
            .change_flex(ws, user, change, version, today(&s))
            .await?,
    ))
}

/// `POST /api/workspaces/{ws}/flex/enable`, body `{"version": n}`.
#[utoipa::path(
    post,
    path = "/api/workspaces/{ws}/flex/enable",
    tag = "flex",
    summary = "Turn Flex Billing on, with the default cap of the plan's interval",
    params(WsPath),
    request_body = ChangeRequest,
    responses(
        (status = 200, description = "The change applied (or changed nothing): the billing state now in force.", body = BillingState),
    ),
    security(("billing_session" = [])),
)]
pub async fn enable(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(req): AppJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::Enable, req.version).await
}

/// `POST /api/workspaces/{ws}/flex/disable`, body `{"version": n}`.
#[utoipa::path(
    post,
    path = "/api/workspaces/{ws}/flex/disable",
    tag = "flex",
    summary = "Turn Flex Billing off",
    params(WsPath),
    request_body = ChangeRequest,
    responses(
        (status = 200, description = "The change applied (or changed nothing): the billing state now in force.", body = BillingState),
    ),
    security(("billing_session" = [])),
)]
pub async fn disable(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(req): AppJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::Disable, req.version).await
}

/// `DELETE /api/workspaces/{ws}/flex/cap`, body `{"version": n}`.
#[utoipa::path(
    delete,
    path = "/api/workspaces/{ws}/flex/cap",
    tag = "flex",
    summary = "Remove the cap (unlimited Flex Usage)",
    params(WsPath),
    request_body = ChangeRequest,
    responses(
        (status = 200, description = "The change applied (or changed nothing): the billing state now in force.", body = BillingState),
    ),
    security(("billing_session" = [])),
)]
pub async fn remove_cap(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppJson(req): AppJson<ChangeRequest>,
) -> Answer {
    change(s, user, ws, FlexChange::RemoveCap, req.version).await
}

/// `PUT /api/workspaces/{ws}/flex/cap`, body `{"cap": "250.00", "version": n}`.
#[utoipa::path(
    put,
    path = "/api/workspaces/{ws}/flex/cap",
    tag = "flex",
    summary = "Set the cap ($1.00 to $1,000,000.00)",
    params(WsPath),
    request_body = SetCapRequest,
    responses(
        (status = 200, description = "The change applied (or changed nothing): the billing state now in force.", body = BillingState),
        (status = 422, description = "`unknown_field`: the body has a field this route does not take. `cap_*`: a cap that cannot be read or is out of range (`cap_empty`, `cap_not_a_number`, `cap_exponent`, `cap_grouping`, `cap_negative`, `cap_zero`, `cap_below_minimum`, `cap_too_many_decimals`, `cap_too_large`).", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
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
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// Only changes older than this: the `next_before` of the previous page.
    #[param(nullable = false)]
    before: Option<i64>,
    /// How many changes at most: 1 to 100 (0 is read as 1, more than 100 as 100); 20 without it.
    #[param(nullable = false, format = "uint32", maximum = 4294967295_u64)]
    limit: Option<u32>,
}

/// `GET /api/workspaces/{ws}/billing/activity?before=…&limit=…`: every change
/// to Flex Billing, newest first, for every member.
#[utoipa::path(
    get,
    path = "/api/workspaces/{ws}/billing/activity",
    tag = "billing",
    summary = "The audit trail of Flex Billing, newest first, a page at a time",
    params(WsPath, ActivityQuery),
    responses(
        (status = 200, description = "Up to `limit` changes, newest first, and the cursor for older ones.", body = ActivityPage),
        (status = 400, description = "`invalid_request`: the query is not valid (a parameter of the wrong type, repeated, or unknown), or the address is not valid.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn activity(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppQuery(q): AppQuery<ActivityQuery>,
) -> Result<AppJson<ActivityPage>, ApiError> {
    Ok(AppJson(
        s.service.activity(ws, user, q.before, q.limit).await?,
    ))
}

/// The statements list's query: a cursor from the previous page, and a page size.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatementsQuery {
    /// Only statements older than this: the `next` of the previous page.
    #[param(nullable = false)]
    before: Option<i64>,
    /// How many statements at most: 1 to 100 (0 is read as 1, more than 100 as 100); 12 without it.
    #[param(nullable = false, format = "uint32", maximum = 4294967295_u64)]
    limit: Option<u32>,
}

/// `GET /api/workspaces/{ws}/statements?before=…&limit=…`: what each ended
/// billing cycle came to, newest first, for every member.
#[utoipa::path(
    get,
    path = "/api/workspaces/{ws}/statements",
    tag = "billing",
    summary = "The statements of ended billing cycles, newest first, a page at a time",
    params(WsPath, StatementsQuery),
    responses(
        (status = 200, description = "Up to `limit` statements, newest first, and the cursor for older ones.", body = StatementPage),
        (status = 400, description = "`invalid_request`: the query is not valid (a parameter of the wrong type, repeated, or unknown), or the address is not valid.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn statements(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppQuery(q): AppQuery<StatementsQuery>,
) -> Result<AppJson<StatementPage>, ApiError> {
    Ok(AppJson(
        s.service.statements(ws, user, q.before, q.limit).await?,
    ))
}
