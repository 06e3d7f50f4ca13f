//! Sign-in through the platform's OpenID Connect provider:
//! `GET /api/auth/login?next=…` sends the browser there, and
//! `GET /api/auth/callback` takes it back, checks what the provider says and
//! opens our session.

use super::error::ApiError;
use super::extract::AppQuery;
use super::session::{safe_next, session_cookie};
use crate::demo::html_escape;
use crate::oidc::SignInError;
use crate::service::ServiceError;
use crate::store::SignIn;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use utoipa::IntoParams;

/// How long a sign-in may take at the provider.
const SIGN_IN_WITHIN: std::time::Duration = std::time::Duration::from_secs(10 * 60);

fn sign_in_cookie_name(s: &AppState) -> &'static str {
    if s.config.secure() {
        "__Host-billing_sign_in"
    } else {
        "billing_sign_in"
    }
}

/// The cookie that binds a sign-in to the browser that started it. Lax, not
/// Strict: it must come back on the provider's redirect, a navigation from
/// another site.
fn sign_in_cookie(s: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((sign_in_cookie_name(s), value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(::cookie::time::Duration::seconds(
            SIGN_IN_WITHIN.as_secs() as i64
        ))
        .secure(s.config.secure())
        .build()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthLoginQuery {
    /// Where to go once signed in: a local path (anything else goes to `/`).
    #[param(nullable = false, example = "/workspaces/acme/billing")]
    next: Option<String>,
}

/// `GET /api/auth/login?next=/path`
#[utoipa::path(
    get,
    path = "/api/auth/login",
    tag = "session",
    summary = "Sign in through the platform's OpenID Connect provider",
    params(AuthLoginQuery),
    responses(
        (status = 302, description = "To the provider (authorization code flow with PKCE, `state`, `nonce`).", headers(
            ("Location" = String, description = "The provider's authorization address."),
            ("Set-Cookie" = String, description = "Binds this sign-in to this browser for 10 minutes (HttpOnly, SameSite=Lax)."),
        )),
        (status = 404, description = "`not_found`: the server has no OpenID provider (`--oidc-issuer`).", body = billing_domain::ErrorBody),
        (status = 500, description = "`internal`: something went wrong on our side (also a panic, which is logged).", body = billing_domain::ErrorBody),
        (status = 503, description = "A page in words: the provider cannot be reached.", body = String, content_type = "text/html"),
    ),
)]
pub async fn login(
    State(s): State<AppState>,
    AppQuery(q): AppQuery<AuthLoginQuery>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let Some(oidc) = s.oidc.as_ref() else {
        return Err(ApiError::not_found());
    };
    let started = match oidc.start().await {
        Ok(started) => started,
        Err(e) => {
            return Ok(page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is not available",
                &e.message(),
                None,
            ))
        }
    };
    let cookie = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    s.service
        .start_sign_in(
            &cookie,
            SignIn {
                id_hash: String::new(),
                state: started.state,
                nonce: started.nonce,
                verifier: started.verifier,
                next: safe_next(q.next.as_deref()).to_string(),
                expires_at: s.service.clock().now()
                    + chrono::Duration::from_std(SIGN_IN_WITHIN).unwrap_or_default(),
            },
        )
        .await?;
    Ok((
        StatusCode::FOUND,
        jar.add(sign_in_cookie(&s, cookie)),
        [(axum::http::header::LOCATION, started.url)],
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    code: Option<String>,
    /// The `state` sent to the provider.
    state: Option<String>,
    /// The provider's refusal, if it refused (`access_denied`, …).
    error: Option<String>,
    /// The refusal in the provider's words.
    error_description: Option<String>,
}

/// `GET /api/auth/callback?code=…&state=…`
#[utoipa::path(
    get,
    path = "/api/auth/callback",
    tag = "session",
    summary = "Where the OpenID provider sends people back",
    description = "Checks `state` against the sign-in this browser started, trades the code for \
        tokens (with the PKCE verifier), checks the ID token (issuer, audience, signature, nonce, \
        expiry) and its verified e-mail, and opens a session. It answers a page of this origin \
        that moves on to `next`, so the session cookie (SameSite=Strict) goes with that request \
        even when the provider is on another site.",
    params(CallbackQuery),
    responses(
        (status = 200, description = "Signed in: a page that moves on to `next`.", body = String, content_type = "text/html", headers(
            ("Set-Cookie" = String, description = "The session cookie (HttpOnly, SameSite=Strict)."),
        )),
        (status = 400, description = "A page in words: a wrong or missing `state`, a sign-in started in another browser or expired, a refused or reused code, an ID token that does not check out, an unverified e-mail. No session.", body = String, content_type = "text/html"),
        (status = 403, description = "A page in words (`no_workspace`): signed in, but a member of no workspace. No session.", body = String, content_type = "text/html"),
        (status = 404, description = "`not_found`: the server has no OpenID provider.", body = billing_domain::ErrorBody),
        (status = 500, description = "`internal`: something went wrong on our side (also a panic, which is logged).", body = billing_domain::ErrorBody),
        (status = 503, description = "A page in words: the provider cannot be reached.", body = String, content_type = "text/html"),
    ),
)]
pub async fn callback(
    State(s): State<AppState>,
    AppQuery(q): AppQuery<CallbackQuery>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let Some(oidc) = s.oidc.as_ref() else {
        return Err(ApiError::not_found());
    };
    let again = Some(("Sign in again", "/api/auth/login"));
    let refuse = |why: &str| page(StatusCode::BAD_REQUEST, "You are not signed in", why, again);
    let name = sign_in_cookie_name(&s);
    let Some(cookie) = jar.get(name).map(|c| c.value().to_string()) else {
        return Ok(refuse(
            "This sign-in was not started in this browser, or it took longer than 10 minutes.",
        ));
    };
    let jar = jar.remove(sign_in_cookie(&s, String::new()));
    let Some(started) = s.service.finish_sign_in(&cookie).await? else {
        return Ok((jar, refuse("This sign-in has expired or was already used.")).into_response());
    };
    if let Some(error) = q.error {
        let said = q.error_description.unwrap_or(error);
        return Ok((
            jar,
            refuse(&format!("The sign-in service did not sign you in: {said}.")),
        )
            .into_response());
    }
    if q.state.as_deref() != Some(started.state.as_str()) {
        return Ok((jar, refuse("The answer from the sign-in service does not belong to the sign-in this browser started.")).into_response());
    }
    let Some(code) = q.code else {
        return Ok((jar, refuse("The sign-in service sent no code.")).into_response());
    };
    let verified = match oidc.finish(&code, &started.verifier, &started.nonce).await {
        Ok(v) => v,
        Err(e @ SignInError::Provider(_)) => {
            return Ok((
                jar,
                page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "You are not signed in",
                    &e.message(),
                    again,
                ),
            )
                .into_response())
        }
        Err(e) => return Ok((jar, refuse(&e.message())).into_response()),
    };
    let token = match s
        .service
        .sign_in_verified(verified.email, verified.id_token)
        .await
    {
        Ok(token) => token,
        Err(ServiceError::NoWorkspace(email)) => {
            let why = format!(
                "You are signed in to the platform as {email}, but you are not a member of any workspace here. Ask a workspace's owner to add you."
            );
            return Ok((
                jar,
                page(StatusCode::FORBIDDEN, "No workspace yet", &why, None),
            )
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let jar = jar.add(session_cookie(&s, token));
    Ok((jar, onward(&started.next)).into_response())
}

/// A page of this origin that moves on to `next` (a local path): a
/// navigation that starts here carries the SameSite=Strict session cookie,
/// which the provider's redirect would not.
fn onward(next: &str) -> Response {
    let next = html_escape(next);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={next}\"><title>Signing you in…</title></head>\
         <body><p>Signed in. <a href=\"{next}\">Continue to Plan &amp; Billing</a>.</p></body></html>"
    ))
    .into_response()
}

/// A page that says, in words, why someone is not signed in.
fn page(status: StatusCode, title: &str, why: &str, link: Option<(&str, &str)>) -> Response {
    let link = link
        .map(|(text, href)| format!("<p><a href=\"{href}\">{}</a></p>", html_escape(text)))
        .unwrap_or_default();
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><main><h1>{title}</h1><p>{}</p>{link}</main></body></html>",
            html_escape(why),
            title = html_escape(title),
        )),
    )
        .into_response()
}
