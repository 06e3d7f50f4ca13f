//! Who is signed in: the session answer, demo sign-in, sign-out, and the
//! pages that send people where they belong (`/`, `/signin`).

use super::error::ApiError;
use super::extract::{AppJson, AppQuery, MaybeUser, SessionCookie};
use crate::service::User;
use crate::service::{ServiceError, SESSION_LIFETIME};
use crate::{demo, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use billing_domain::{ErrorBody, SessionInfo};
use serde::Deserialize;
use utoipa::IntoParams;

/// `GET /api/session`: who is signed in and their workspaces.
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "session",
    summary = "Who is signed in, and their workspaces",
    responses(
        (status = 200, description = "The signed-in person and their workspaces, first joined first.", body = SessionInfo),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 500, description = "`internal`: something went wrong on our side (also a panic, which is logged).", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn session(
    State(s): State<AppState>,
    user: User,
) -> Result<AppJson<SessionInfo>, ApiError> {
    Ok(AppJson(s.service.session_info(user).await?))
}

/// `POST /api/session/logout`: ends the session and clears the cookie.
#[utoipa::path(
    post,
    path = "/api/session/logout",
    tag = "session",
    summary = "Sign out: end the session, if there is one, and clear its cookie",
    request_body(
        content = serde_json::Value,
        description = "Not read (the page sends `{}`), but like every change sent as `application/json`.",
    ),
    responses(
        (status = 200, description = "Signed out here; signed in by the OpenID provider, whose sign-out the page follows: `{\"redirect\": \"<end_session_endpoint>?id_token_hint=…&post_logout_redirect_uri=…\"}`.", body = Object, headers(
            ("Set-Cookie" = String, description = "Clears the session cookie."),
        )),
        (status = 204, description = "Signed out (also when there was no session).", headers(
            ("Set-Cookie" = String, description = "Clears the session cookie."),
        )),
        (status = 403, description = "`cross_origin_request`: the change does not come from the page's own origin.", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not sent as `application/json`.", body = ErrorBody),
        (status = 500, description = "`internal`: something went wrong on our side (also a panic, which is logged).", body = ErrorBody),
    ),
    security((), ("billing_session" = [])),
)]
pub async fn logout(
    State(s): State<AppState>,
    SessionCookie(token): SessionCookie,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let id_token = match token {
        Some(token) => s.service.sign_out(token).await?,
        None => None,
    };
    // Cleared with the attributes it was set with: a browser keeps a
    // `__Host-` cookie unless the one that replaces it is `Secure` too.
    let jar = jar.remove(session_cookie(&s, String::new()));
    // Signed in by the provider: sign out there too, if it says where.
    let at_provider = match (&s.oidc, id_token) {
        (Some(oidc), Some(id_token)) => oidc.sign_out_url(&id_token).await,
        _ => None,
    };
    Ok(match at_provider {
        Some(redirect) => {
            (jar, AppJson(serde_json::json!({ "redirect": redirect }))).into_response()
        }
        None => (jar, StatusCode::NO_CONTENT).into_response(),
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoginQuery {
    /// The demo person to sign in as; without it, the list of demo people.
    #[param(nullable = false, example = "owner@acme.test")]
    email: Option<String>,
    /// Where to go after signing in: a local path (anything else goes to `/`).
    #[param(nullable = false, example = "/api/session")]
    next: Option<String>,
}

/// Only local paths may follow a sign-in, so the link cannot send people elsewhere.
pub(super) fn safe_next(next: Option<&str>) -> &str {
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

/// The session cookie: HttpOnly (no script reads it), SameSite=Strict (no
/// other site can make the browser send it), `Path=/`, and a Max-Age of the
/// session's absolute lifetime. Served over HTTPS (`--public-url https://…`)
/// it is also `Secure` and named with the `__Host-` prefix, which binds it to
/// this host.
pub(super) fn session_cookie(s: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((s.config.session_cookie_name(), value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(::cookie::time::Duration::seconds(
            SESSION_LIFETIME.as_secs() as i64,
        ))
        .secure(s.config.secure())
        .build()
}

/// `GET /api/dev/login[?email=…&next=…]` (demo only): the list of demo people,
/// or a session for one of them and a redirect to `next`.
#[utoipa::path(
    get,
    path = "/api/dev/login",
    tag = "session",
    summary = "Demo sign-in (`--demo` only)",
    params(LoginQuery),
    responses(
        (status = 200, description = "Without `email`: a page listing the demo people.", body = String, content_type = "text/html"),
        (status = 303, description = "Signed in as `email`: a new session, and on to `next`.", headers(
            ("Location" = String, description = "`next`, when it is a local path; otherwise `/`."),
            ("Set-Cookie" = String, description = "The session cookie (HttpOnly, SameSite=Strict)."),
        )),
        (status = 400, description = "`invalid_request`: the query is not valid (a repeated parameter).", body = ErrorBody),
        (status = 404, description = "`not_found`: the server runs without `--demo`; `user_not_found`: `email` is not a demo person.", body = ErrorBody),
        (status = 500, description = "`internal`: something went wrong on our side (also a panic, which is logged).", body = ErrorBody),
    ),
)]
pub async fn dev_login(
    State(s): State<AppState>,
    AppQuery(q): AppQuery<LoginQuery>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    if !s.config.demo {
        return Err(ApiError::demo_only());
    }
    let next = safe_next(q.next.as_deref()).to_string();
    let Some(email) = q.email.filter(|e| !e.trim().is_empty()) else {
        let people = s.service.people().await?;
        return Ok(Html(demo::sign_in_page(&people, &next)).into_response());
    };
    // The demo's sign-in lets in the demo people, and nobody else.
    let email = email.trim().to_string();
    if !demo::DEMO_USERS
        .iter()
        .any(|(demo_email, _)| *demo_email == email)
    {
        return Err(ServiceError::UserNotFound(email).into());
    }
    let token = s.service.sign_in(email).await?;
    Ok((jar.add(session_cookie(&s, token)), Redirect::to(&next)).into_response())
}

/// `/`: the signed-in person's first workspace, or the way to sign in.
pub async fn root(
    State(s): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Response, ApiError> {
    let home = match user {
        Some(user) => s.service.home_workspace(user).await?,
        None => None,
    };
    Ok(match home {
        Some(slug) => Redirect::to(&format!("/workspaces/{slug}/billing")).into_response(),
        None => sign_in_for(&s, "/"),
    })
}

/// `/signin?next=/path`: where the page sends people who are signed out.
pub async fn signin(State(s): State<AppState>, AppQuery(q): AppQuery<LoginQuery>) -> Response {
    sign_in_for(&s, q.next.as_deref().unwrap_or("/"))
}

/// The platform's sign-in page is not part of this server; without `--demo`
/// this page says where to go instead.
const SIGN_IN_ELSEWHERE: &str = "<!doctype html><html lang=\"en\"><title>Sign in</title>\
    <p>Sign in through the platform to see Plan &amp; Billing.</p></html>";

fn sign_in_for(s: &AppState, next: &str) -> Response {
    if s.oidc.is_some() {
        let next = demo::urlencode(safe_next(Some(next)));
        Redirect::to(&format!("/api/auth/login?next={next}")).into_response()
    } else if s.config.demo {
        let next = demo::urlencode(safe_next(Some(next)));
        Redirect::to(&format!("/api/dev/login?next={next}")).into_response()
    } else {
        (StatusCode::UNAUTHORIZED, Html(SIGN_IN_ELSEWHERE)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_follow_a_sign_in() {
        assert_eq!(
            safe_next(Some("/workspaces/acme/billing")),
            "/workspaces/acme/billing"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\t/evil.example",
            "/\\evil",
            "x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
