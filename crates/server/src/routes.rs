//! HTTP routes: parse, authenticate, call the service, answer JSON.

use crate::auth;
use crate::error::ApiError;
use crate::service::{self, FlexChange, User};
use crate::{demo, store, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use billing_domain::api::{
    BillingState, ChangeRequest, SetCapRequest, UsageRequest, UsageResponse,
};
use serde::{Deserialize, Serialize};

pub fn api() -> Router<AppState> {
    Router::new()
        .route("/session", get(session))
        .route("/session/logout", post(logout))
        .route("/dev/login", get(dev_login))
        .route("/workspaces/{ws}/billing", get(billing))
        .route(
            "/workspaces/{ws}/flex/enable",
            post(|s, u, p, b| plain_change(FlexChange::Enable, s, u, p, b)),
        )
        .route(
            "/workspaces/{ws}/flex/disable",
            post(|s, u, p, b| plain_change(FlexChange::Disable, s, u, p, b)),
        )
        .route(
            "/workspaces/{ws}/flex/cap",
            axum::routing::put(set_cap)
                .delete(|s, u, p, b| plain_change(FlexChange::RemoveCap, s, u, p, b)),
        )
        .route("/workspaces/{ws}/usage", post(usage))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API route.")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This API route does not take that method.",
            )
        })
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Reads a JSON body; an empty body is the type's default when it has one.
fn json_body<T: serde::de::DeserializeOwned>(
    body: &Bytes,
    empty: Option<T>,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if let Some(default) = empty {
            return Ok(default);
        }
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid: {e}")))
}

#[derive(Serialize)]
struct SessionInfo {
    email: String,
    workspaces: Vec<WorkspaceLink>,
}

#[derive(Serialize)]
struct WorkspaceLink {
    slug: String,
    name: String,
    role: String,
}

async fn session(State(state): State<AppState>, user: User) -> Result<Json<SessionInfo>, ApiError> {
    let id = user.id;
    let rows = state
        .db
        .call(move |c| Ok(store::workspaces_of(c, id)?))
        .await?;
    let workspaces = rows
        .into_iter()
        .map(|(slug, name, role)| WorkspaceLink { slug, name, role })
        .collect();
    Ok(Json(SessionInfo {
        email: user.email,
        workspaces,
    }))
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = jar.get(auth::SESSION_COOKIE).map(|c| c.value().to_string()) {
        state
            .db
            .call(move |c| Ok(store::delete_session(c, &token)?))
            .await?;
    }
    Ok((
        jar.remove(Cookie::build(auth::SESSION_COOKIE).path("/")),
        StatusCode::NO_CONTENT,
    ))
}

#[derive(Deserialize)]
pub struct LoginQuery {
    email: Option<String>,
    next: Option<String>,
}

/// Only local paths may follow a sign-in, so the link cannot send people elsewhere.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        // Printable ASCII only: a tab or newline after the first slash would let
        // a browser read "/\t/evil.example" as "//evil.example".
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.chars().all(|c| c.is_ascii_graphic() && c != '\\') =>
        {
            n
        }
        _ => "/",
    }
}

async fn dev_login(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    if !state.config.demo {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Demo sign-in is only available with --demo.",
        ));
    }
    let next = safe_next(q.next.as_deref()).to_string();
    let Some(email) = q.email.filter(|e| !e.trim().is_empty()) else {
        let users = state.db.call(|c| Ok(store::users(c)?)).await?;
        return Ok(Html(demo::sign_in_page(&users, &next)).into_response());
    };
    let lookup = email.trim().to_string();
    let user_id = state
        .db
        .call(move |c| Ok(store::user_by_email(c, &lookup)?))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "user_not_found",
                format!("No demo user {email}."),
            )
        })?;
    let cookie = auth::start_session(&state, user_id).await?;
    Ok((jar.add(cookie), Redirect::to(&next)).into_response())
}

async fn billing(
    State(state): State<AppState>,
    user: User,
    Path(ws): Path<String>,
) -> Result<Json<BillingState>, ApiError> {
    state
        .db
        .call(move |c| service::billing_state(c, &ws, &user, today()))
        .await
        .map(Json)
}

async fn change(
    state: AppState,
    user: User,
    ws: String,
    change: FlexChange,
    version: Option<u64>,
) -> Result<Json<BillingState>, ApiError> {
    state
        .db
        .call(move |c| service::change_flex(c, &ws, &user, change, version, today()))
        .await
        .map(Json)
}

/// Enable, disable and remove-cap: no body needed, an optional `{"version": n}`.
async fn plain_change(
    kind: FlexChange,
    State(s): State<AppState>,
    user: User,
    Path(ws): Path<String>,
    body: Bytes,
) -> Result<Json<BillingState>, ApiError> {
    let req: ChangeRequest = json_body(&body, Some(ChangeRequest::default()))?;
    change(s, user, ws, kind, req.version).await
}

async fn set_cap(
    State(s): State<AppState>,
    user: User,
    Path(ws): Path<String>,
    body: Bytes,
) -> Result<Json<BillingState>, ApiError> {
    let req: SetCapRequest = json_body(&body, None)?;
    change(s, user, ws, FlexChange::SetCap(req.cap), req.version).await
}

async fn usage(
    State(state): State<AppState>,
    Path(ws): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<UsageResponse>, ApiError> {
    if !auth::metering_allowed(&headers, &state.config.metering_tokens) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_metering_token",
            "A valid metering token is required.",
        ));
    }
    let req: UsageRequest = json_body(&body, None)?;
    state
        .db
        .call(move |c| service::record_usage(c, &ws, &req, today()))
        .await
        .map(Json)
}

/// `/`: the signed-in person's first workspace, or the way to sign in.
pub async fn root(State(state): State<AppState>, jar: CookieJar) -> Result<Response, ApiError> {
    let token = jar.get(auth::SESSION_COOKIE).map(|c| c.value().to_string());
    let first = match token {
        Some(token) => {
            state
                .db
                .call(move |c| {
                    let Some((id, _)) = store::session_user(c, &token)? else {
                        return Ok(None);
                    };
                    Ok(store::workspaces_of(c, id)?
                        .into_iter()
                        .next()
                        .map(|(slug, _, _)| slug))
                })
                .await?
        }
        None => None,
    };
    Ok(match first {
        Some(slug) => Redirect::to(&format!("/workspaces/{slug}/billing")).into_response(),
        None => sign_in_for(&state, "/"),
    })
}

/// The platform's sign-in page is not part of this server; without `--demo`
/// this page says where to go instead.
const SIGN_IN_ELSEWHERE: &str = "<!doctype html><html lang=\"en\"><title>Sign in</title>\
    <p>Sign in through the platform to see Plan &amp; Billing.</p></html>";

fn sign_in_for(state: &AppState, next: &str) -> Response {
    if state.config.demo {
        let next = demo::urlencode(safe_next(Some(next)));
        Redirect::to(&format!("/api/dev/login?next={next}")).into_response()
    } else {
        (StatusCode::UNAUTHORIZED, Html(SIGN_IN_ELSEWHERE)).into_response()
    }
}

/// `/signin?next=/path`: where the page sends people who are signed out.
pub async fn signin(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    sign_in_for(&state, q.next.as_deref().unwrap_or("/"))
}
