//! What handlers take from a request, as axum extractors: JSON bodies whose
//! every rejection answers our error shape, the signed-in person, and the
//! metering token. No handler reads raw bytes or a header itself.

use super::error::ApiError;
use crate::store::User;
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "billing_session";

/// A JSON body (and a JSON answer). Malformed JSON, wrong types, a missing
/// JSON content type and a body over the limit all answer our error shape.
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(AppJson(value))
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// A JSON body that may be left out: an empty body is `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let headers = req.headers().clone();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::from(axum::extract::rejection::JsonRejection::from(e)))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        let mut req = Request::new(Body::from(bytes));
        *req.headers_mut() = headers;
        let AppJson(value) = AppJson::<T>::from_request(req, state).await?;
        Ok(OptionalJson(value))
    }
}

/// The session cookie's value, if the request carries one.
pub struct SessionCookie(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SessionCookie {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(SessionCookie(
            jar.get(SESSION_COOKIE).map(|c| c.value().to_string()),
        ))
    }
}

/// The signed-in person, if any.
pub struct MaybeUser(pub Option<User>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Ok(SessionCookie(Some(token))) = SessionCookie::from_request_parts(parts, state).await
        else {
            return Ok(MaybeUser(None));
        };
        Ok(MaybeUser(state.service.session_user(token).await?))
    }
}

/// The signed-in person: without a live session, 401 `unauthorized`.
impl FromRequestParts<AppState> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<User, ApiError> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        user.ok_or_else(ApiError::unauthorized)
    }
}

/// Proof that the request carries an accepted metering token
/// (`Authorization: Bearer …`); otherwise 401 `invalid_metering_token`.
/// Checked from the headers, before any body is read.
pub struct MeteringToken;

impl FromRequestParts<AppState> for MeteringToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let given = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::invalid_metering_token)?;
        let accepted = state
            .config
            .metering_tokens
            .iter()
            .any(|t| !t.is_empty() && constant_time_eq(t.as_bytes(), given.as_bytes()));
        if accepted {
            Ok(MeteringToken)
        } else {
            Err(ApiError::invalid_metering_token())
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
