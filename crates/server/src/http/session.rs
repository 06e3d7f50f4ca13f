//! Who is signed in: the session answer, demo sign-in, sign-out, and the
//! pages that send people where they belong (`/`, `/signin`).

use super::error::ApiError;
use super::extract::{AppJson, AppQuery, MaybeUser, SessionCookie};
use crate::service::{ServiceError, SESSION_LIFETIME};
use crate::store::User;
use crate::{demo, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use billing_domain::SessionInfo;
use serde::Deserialize;

/// `GET /api/session`: who is signed in and their workspaces.
pub async fn session(
    State(s): State<AppState>,
    user: User,
) -> Result<AppJson<SessionInfo>, ApiError> {
    Ok(AppJson(s.service.session_info(user).await?))
}

/// `POST /api/session/logout`: ends the session and clears the cookie.
pub async fn logout(
    State(s): State<AppState>,
    SessionCookie(token): SessionCookie,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = token {
        s.service.sign_out(token).await?;
    }
    let name = s.config.session_cookie_name();
    Ok((
        jar.remove(Cookie::build(name).path("/")),
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

/// The session cookie: HttpOnly (no script reads it), SameSite=Strict (no
/// other site can make the browser send it), `Path=/`, and a Max-Age of the
/// session's absolute lifetime. Served over HTTPS (`--public-url https://…`)
/// it is also `Secure` and named with the `__Host-` prefix, which binds it to
/// this host.
fn session_cookie(s: &AppState, value: String) -> Cookie<'static> {
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
    if s.config.demo {
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
