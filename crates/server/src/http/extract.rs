//! What handlers take from a request, as axum extractors: JSON bodies and
//! queries whose every rejection answers our error shape, the workspace in the
//! path, the signed-in person, and the metering token. No handler reads raw
//! bytes or a header itself.

use super::error::ApiError;
use crate::service::User;
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::marker::PhantomData;

/// A workspace named in the path: `[a-z0-9-]{1,63}`, as the schema holds
/// them. Anything else is answered as an unknown workspace, before any look-up.
pub struct Ws(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Ws {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state).await?;
        let slug = params
            .into_iter()
            .find(|(name, _)| name == "ws")
            .map(|(_, value)| value)
            .ok_or_else(ApiError::workspace_not_found)?;
        if is_slug(&slug) {
            Ok(Ws(slug))
        } else {
            Err(ApiError::workspace_not_found())
        }
    }
}

/// The workspace in the path of every workspace route, as the document describes
/// it; the [`Ws`] extractor reads and checks it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct WsPath {
    /// The workspace (its slug). One that is not a slug, or names a workspace
    /// you are not in, answers 404 `workspace_not_found`.
    #[param(pattern = "^[a-z0-9-]{1,63}$")]
    ws: String,
}

pub use billing_domain::is_slug;

/// A query string, whose every rejection (a malformed or repeated parameter)
/// answers our error shape.
pub struct AppQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(AppQuery(value))
    }
}

/// A JSON body (and a JSON answer). Malformed JSON, wrong types, a body that
/// is not a JSON object, a missing JSON content type and a body over the limit
/// all answer our error shape.
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(ObjectOnly(value)) = Json::<ObjectOnly<T>>::from_request(req, state).await?;
        Ok(AppJson(value))
    }
}

/// `T` read from a JSON object only. serde's derived structs also take an
/// array of their fields in order (`["250.00", 3]`), which no body of ours is.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Object(PhantomData)).map(ObjectOnly)
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// The session cookie's value, if the request carries one.
pub struct SessionCookie(pub Option<String>);

impl FromRequestParts<AppState> for SessionCookie {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let name = state.config.session_cookie_name();
        Ok(SessionCookie(jar.get(name).map(|c| c.value().to_string())))
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
        // The token is compared in constant time.
        let given = bearer(parts).ok_or_else(ApiError::invalid_metering_token)?;
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

/// Proof that the request carries the platform's provisioning token
/// (`--platform-token-file`, as `Authorization: Bearer …`); otherwise 401
/// `invalid_platform_token`. Checked from the headers, before any body is read.
pub struct PlatformToken;

impl FromRequestParts<AppState> for PlatformToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let accepted = bearer(parts)
            .zip(state.config.platform_token.as_deref())
            .is_some_and(|(given, token)| {
                !token.is_empty() && constant_time_eq(token.as_bytes(), given.as_bytes())
            });
        if accepted {
            Ok(PlatformToken)
        } else {
            Err(ApiError::invalid_platform_token())
        }
    }
}

/// The bearer token of `Authorization` (the scheme is case-insensitive, RFC 9110).
fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
