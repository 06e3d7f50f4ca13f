//! The platform's provisioning API, `/api/platform/…`, with its own bearer
//! token: workspaces and their plans, members, prepaid credits.

use super::error::ApiError;
use super::extract::{is_slug, AppJson, PlatformToken, Ws};
use super::today;
use crate::service::Put;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use billing_domain::{
    member_email, ErrorBody, MemberInfo, MemberSpec, PlatformWorkspace, PrepaidGrant,
    StatementPage, WorkspaceSpec,
};

/// The workspace in a provisioning path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct PlatformWsPath {
    /// The workspace's slug: 1 to 63 of `a-z`, `0-9` and `-`.
    #[param(pattern = "^[a-z0-9-]{1,63}$")]
    ws: String,
}

/// A member in a provisioning path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct MemberPath {
    /// The workspace's slug.
    #[param(pattern = "^[a-z0-9-]{1,63}$")]
    ws: String,
    /// The person's e-mail address (compared without regard to case).
    #[param(example = "ada@example.com")]
    email: String,
}

fn slug(ws: String) -> Result<String, ApiError> {
    if is_slug(&ws) {
        Ok(ws)
    } else {
        Err(ApiError::invalid_slug())
    }
}

fn put_answer<T: serde::Serialize>(put: Put, body: T) -> Response {
    let status = match put {
        Put::Created => StatusCode::CREATED,
        Put::Updated => StatusCode::OK,
    };
    (status, AppJson(body)).into_response()
}

/// `PUT /api/platform/workspaces/{ws}`
#[utoipa::path(
    put,
    path = "/api/platform/workspaces/{ws}",
    tag = "platform",
    summary = "Create or update a workspace and its plan",
    description = "Idempotent. A new workspace starts with Flex Billing off and no prepaid \
        credits. New rates apply to usage recorded from then on; what was billed stays billed. \
        A new interval or anchor moves the billing cycle at once: the cycle is the one the new \
        plan puts today in, and spend recorded in the old cycle stays with it. Flex Billing \
        settings and the cap are kept.",
    params(PlatformWsPath),
    request_body = WorkspaceSpec,
    responses(
        (status = 200, description = "Updated.", body = PlatformWorkspace),
        (status = 201, description = "Created.", body = PlatformWorkspace),
        (status = 400, description = "`invalid_request`: the body is not the JSON asked for.", body = ErrorBody),
        (status = 401, description = "`invalid_platform_token`: no accepted platform token.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over 4 KiB.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not sent as `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_slug`, `invalid_name`, `invalid_plan`, `invalid_rate`, `invalid_anchor`, `unknown_field`: what is wrong, in words.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`, `timeout`: try again.", body = ErrorBody),
    ),
    security(("platform_token" = [])),
)]
pub async fn put_workspace(
    State(s): State<AppState>,
    _: PlatformToken,
    Path(ws): Path<String>,
    AppJson(spec): AppJson<WorkspaceSpec>,
) -> Result<Response, ApiError> {
    let ws = slug(ws)?;
    let spec = spec.validate()?;
    let (put, answer) = s.service.put_workspace(ws, spec, today(&s)).await?;
    Ok(put_answer(put, answer))
}

/// `GET /api/platform/workspaces/{ws}`
#[utoipa::path(
    get,
    path = "/api/platform/workspaces/{ws}",
    tag = "platform",
    summary = "A workspace, its plan, Flex Billing and this cycle's usage",
    params(PlatformWsPath),
    responses(
        (status = 200, description = "The workspace.", body = PlatformWorkspace),
        (status = 401, description = "`invalid_platform_token`: no accepted platform token.", body = ErrorBody),
        (status = 404, description = "`workspace_not_found`: no such workspace.", body = ErrorBody),
        (status = 503, description = "`timeout`: try again.", body = ErrorBody),
    ),
    security(("platform_token" = [])),
)]
pub async fn get_workspace(
    State(s): State<AppState>,
    _: PlatformToken,
    Ws(ws): Ws,
) -> Result<AppJson<PlatformWorkspace>, ApiError> {
    Ok(AppJson(s.service.platform_workspace(ws, today(&s)).await?))
}

/// `PUT /api/platform/workspaces/{ws}/members/{email}`
#[utoipa::path(
    put,
    path = "/api/platform/workspaces/{ws}/members/{email}",
    tag = "platform",
    summary = "Make a person a member with a role, or change their role",
    description = "Idempotent. The person is created if they are new; they sign in with this \
        e-mail. A new role applies at once, on open pages too.",
    params(MemberPath),
    request_body = MemberSpec,
    responses(
        (status = 200, description = "Their role was set.", body = MemberInfo),
        (status = 201, description = "They are now a member.", body = MemberInfo),
        (status = 400, description = "`invalid_request`: the body is not the JSON asked for.", body = ErrorBody),
        (status = 401, description = "`invalid_platform_token`: no accepted platform token.", body = ErrorBody),
        (status = 404, description = "`workspace_not_found`: no such workspace.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over 4 KiB.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not sent as `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_email`, `invalid_role`, `unknown_field`.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`, `timeout`: try again.", body = ErrorBody),
    ),
    security(("platform_token" = [])),
)]
pub async fn put_member(
    State(s): State<AppState>,
    _: PlatformToken,
    Ws(ws): Ws,
    Path((_, email)): Path<(String, String)>,
    AppJson(spec): AppJson<MemberSpec>,
) -> Result<Response, ApiError> {
    let email = member_email(&email)?;
    let role = spec.role()?;
    let (put, answer) = s.service.put_member(ws, email, role).await?;
    Ok(put_answer(put, answer))
}

/// `DELETE /api/platform/workspaces/{ws}/members/{email}`
#[utoipa::path(
    delete,
    path = "/api/platform/workspaces/{ws}/members/{email}",
    tag = "platform",
    summary = "End a person's membership",
    description = "Idempotent: removing someone who is not a member also answers 204. They \
        lose the workspace at once: their next request answers 404 and their event stream ends.",
    params(MemberPath),
    responses(
        (status = 204, description = "They are not a member (any more)."),
        (status = 401, description = "`invalid_platform_token`: no accepted platform token.", body = ErrorBody),
        (status = 404, description = "`workspace_not_found`: no such workspace.", body = ErrorBody),
        (status = 422, description = "`invalid_email`.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`, `timeout`: try again.", body = ErrorBody),
    ),
    security(("platform_token" = [])),
)]
pub async fn remove_member(
    State(s): State<AppState>,
    _: PlatformToken,
    Ws(ws): Ws,
    Path((_, email)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let email = member_email(&email)?;
    s.service.remove_member(ws, email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/platform/workspaces/{ws}/prepaid`
#[utoipa::path(
    post,
    path = "/api/platform/workspaces/{ws}/prepaid",
    tag = "platform",
    summary = "Add prepaid credits, once per order",
    description = "The same `idempotency_key` with the same credits adds once; with other \
        credits it is refused. Each addition is a line of the audit trail (\"100 prepaid \
        credits added\").",
    params(PlatformWsPath),
    request_body = PrepaidGrant,
    responses(
        (status = 200, description = "Added (or added before under this key).", body = PlatformWorkspace),
        (status = 400, description = "`invalid_request`: the body is not the JSON asked for.", body = ErrorBody),
        (status = 401, description = "`invalid_platform_token`: no accepted platform token.", body = ErrorBody),
        (status = 404, description = "`workspace_not_found`: no such workspace.", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`: this key added other credits.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over 4 KiB.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not sent as `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_credits`, `invalid_idempotency_key`, `unknown_field`.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`, `timeout`: try again.", body = ErrorBody),
    ),
    security(("platform_token" = [])),
)]
pub async fn grant_prepaid(
    State(s): State<AppState>,
    _: PlatformToken,
    Ws(ws): Ws,
    AppJson(grant): AppJson<PrepaidGrant>,
) -> Result<AppJson<PlatformWorkspace>, ApiError> {
    let grant = grant.validate()?;
    Ok(AppJson(
        s.service.grant_prepaid(ws, grant, today(&s)).await?,
    ))
}

/// The platform's statements query: the cursor it keeps, and a page size.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlatformStatementsQuery {
    /// Only statements closed after this one: the `next` of the last answer (0 or none: from the first).
    #[param(nullable = false)]
    after: Option<i64>,
    /// How many statements at most: 1 to 100 (0 is read as 1, more than 100 as 100); 100 without it.
    #[param(nullable = false, format = "uint32", maximum = 4294967295_u64)]
    limit: Option<u32>,
}

/// `GET /api/platform/statements?after=…&limit=…`
#[utoipa::path(
    get,
    path = "/api/platform/statements",
    tag = "platform",
    summary = "Every workspace's statements in the order they were closed, after a cursor: what to charge, each exactly once",
    params(PlatformStatementsQuery),
    responses(
        (status = 200, description = "Up to `limit` statements after `after`, oldest first; `next` is the cursor to ask with next time (it stays where it is when nothing is new).", body = StatementPage),
        (status = 400, description = "`invalid_request`: the query is not valid (a parameter of the wrong type, repeated, or unknown).", body = ErrorBody),
        (status = 401, description = "`invalid_platform_token`: no accepted platform token.", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the database cannot answer for now; `timeout`: try again.", body = ErrorBody),
    ),
    security(("platform_token" = [])),
)]
pub async fn statements(
    State(s): State<AppState>,
    _: PlatformToken,
    super::extract::AppQuery(q): super::extract::AppQuery<PlatformStatementsQuery>,
) -> Result<AppJson<StatementPage>, ApiError> {
    Ok(AppJson(
        s.service
            .platform_statements(q.after.unwrap_or(0), q.limit)
            .await?,
    ))
}
