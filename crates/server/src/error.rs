//! The one error type of the API: a status, a stable code and a sentence.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use billing_domain::api::{ErrorBody, ErrorDetail};
use billing_domain::{CapError, DrawError};

/// An error answered as `{"error": {"code", "message"}}` with `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Sign in to see Plan & Billing.",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only workspace owners and admins can change Flex Billing.",
        )
    }

    pub fn workspace_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "workspace_not_found",
            "No such workspace, or you are not a member of it.",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn flex_disabled() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "flex_disabled",
            "Enable Flex Billing before setting a flex cap.",
        )
    }

    pub fn version_conflict() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "version_conflict",
            "Flex Billing settings changed since they were loaded. Reload to see the latest.",
        )
    }

    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {err}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side. Try again.",
        )
    }
}

impl From<CapError> for ApiError {
    fn from(e: CapError) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    }
}

impl From<DrawError> for ApiError {
    fn from(e: DrawError) -> ApiError {
        ApiError::new(StatusCode::PAYMENT_REQUIRED, e.code(), e.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
