//! Who is asking: the session cookie for people, a bearer token for metering.

use crate::error::ApiError;
use crate::service::User;
use crate::{store, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "billing_session";
const SESSION_DAYS: i64 = 14;

impl FromRequestParts<AppState> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<User, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_string())
            .ok_or_else(ApiError::unauthorized)?;
        state
            .db
            .call(move |conn| Ok(store::session_user(conn, &token)?))
            .await?
            .map(|(id, email)| User { id, email })
            .ok_or_else(ApiError::unauthorized)
    }
}

/// Starts a session for `user_id`; answers the cookie to set. The cookie
/// lasts for the browser session; the server forgets it after 14 days.
pub async fn start_session(state: &AppState, user_id: i64) -> Result<Cookie<'static>, ApiError> {
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let t = token.clone();
    state
        .db
        .call(move |conn| Ok(store::create_session(conn, &t, user_id, SESSION_DAYS)?))
        .await?;
    Ok(session_cookie(token))
}

/// The session cookie: HttpOnly (no script reads it) and SameSite=Strict
/// (no other site can make the browser send it, which also stops CSRF).
fn session_cookie(value: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .build()
}

/// Whether an `Authorization: Bearer …` header carries an accepted metering token.
pub fn metering_allowed(parts: &axum::http::HeaderMap, tokens: &[String]) -> bool {
    let Some(given) = parts
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    tokens
        .iter()
        .any(|t| !t.is_empty() && constant_time_eq(t.as_bytes(), given.trim().as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
