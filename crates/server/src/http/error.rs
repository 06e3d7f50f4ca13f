//! The one error answer of the API, `{"error": {"code", "message"}}` with its
//! status. Every code the server itself names is named here, once; the
//! domain's refusals bring their own codes and sentences.

use crate::service::ServiceError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use billing_domain::{
    BatchError, BillingState, CapError, ErrorBody, ErrorDetail, PlatformError, UsageError,
};

/// An error answered as `{"error": {"code", "message"}}` with `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// For a stale change: the billing state now in force.
    state: Option<Box<BillingState>>,
    /// For internal errors: what went wrong, for the log (never sent).
    cause: Option<String>,
}

/// Marks an answer that was 503 `store_unavailable`, with its cause, for
/// the readiness probe (`http::health`).
#[derive(Debug, Clone)]
pub struct StoreUnavailable(pub String);

/// How long to wait before trying again after a 503, in seconds.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// The cause of an internal error, carried on the response for the trace layer to log.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            state: None,
            cause: None,
        }
    }

    pub fn cross_origin_request() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin_request",
            "Changes are only accepted from the Plan & Billing page itself.",
        )
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the request body as JSON, with Content-Type: application/json.",
        )
    }

    pub fn payload_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is too large.",
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Sign in to see Plan & Billing.",
        )
    }

    pub fn invalid_metering_token() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_metering_token",
            "A valid metering token is required.",
        )
    }

    pub fn invalid_slug() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_slug",
            "A workspace's slug is 1 to 63 of a-z, 0-9 and -.",
        )
    }

    pub fn invalid_platform_token() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_platform_token",
            "A valid platform token is required.",
        )
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API route.")
    }

    pub fn workspace_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "workspace_not_found",
            "No such workspace, or you are not a member of it.",
        )
    }

    pub fn demo_only() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Demo sign-in is only available with --demo.",
        )
    }

    pub fn too_many_streams() -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_streams",
            format!(
                "You have {} live billing streams open on this server already; close a tab or window and try again.",
                crate::live::MAX_STREAMS_PER_PERSON
            ),
        )
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This API route does not take that method.",
        )
    }

    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// The store cannot take this for now: 503 `store_unavailable`, with
    /// `Retry-After`. Nothing was done.
    pub fn store_unavailable(cause: impl std::fmt::Display) -> ApiError {
        ApiError {
            cause: Some(cause.to_string()),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "Billing cannot be saved right now; nothing was changed. Try again in a few seconds.",
            )
        }
    }

    pub fn timeout(within: std::time::Duration) -> ApiError {
        ApiError {
            cause: Some(format!("no answer within {} s", within.as_secs_f32())),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "The server took too long to answer. Try again.",
            )
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError {
            cause: Some(cause.to_string()),
            ..ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side. Try again.",
            )
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Only workspace owners and admins can change Flex Billing.",
            ),
            ServiceError::WorkspaceNotFound => ApiError::workspace_not_found(),
            ServiceError::VersionConflict(now) => ApiError {
                state: Some(now),
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "version_conflict",
                    "Someone changed Flex Billing since this page loaded it. Nothing was changed; the answer holds the settings now in force.",
                )
            },
            ServiceError::IdempotencyConflict => ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                "This idempotency key was already used for a different amount of credits.",
            ),
            ServiceError::UserNotFound(email) => ApiError::new(
                StatusCode::NOT_FOUND,
                "user_not_found",
                format!("No demo user {email}."),
            ),
            ServiceError::NoWorkspace(email) => ApiError::new(
                StatusCode::FORBIDDEN,
                "no_workspace",
                format!("{email} is not a member of any workspace."),
            ),

            ServiceError::Flex(e) => ApiError::new(StatusCode::CONFLICT, e.code(), e.to_string()),
            ServiceError::Draw(e) => {
                ApiError::new(StatusCode::PAYMENT_REQUIRED, e.code(), e.to_string())
            }
            ServiceError::OwnersOnly => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Only workspace owners can manage where alerts are sent.",
            ),
            ServiceError::WebhookUrl(e) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.message())
            }
            ServiceError::Thresholds(e) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
            }
            ServiceError::Unavailable(cause) => ApiError::store_unavailable(cause),
            ServiceError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<CapError> for ApiError {
    fn from(e: CapError) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    }
}

impl From<PlatformError> for ApiError {
    fn from(e: PlatformError) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.message())
    }
}

impl From<UsageError> for ApiError {
    fn from(e: UsageError) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    }
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::unsupported_media_type(),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::payload_too_large()
            }
            // serde's words for a field the body type does not have.
            JsonRejection::JsonDataError(e) if e.body_text().contains("unknown field") => {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_field",
                    format!(
                        "The request body has a field this route does not take: {}",
                        e.body_text()
                    ),
                )
            }
            e => ApiError::invalid_request(format!(
                "The request body is not valid: {}",
                e.body_text()
            )),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> ApiError {
        ApiError::invalid_request(format!("The address is not valid: {}", e.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> ApiError {
        ApiError::invalid_request(format!("The query is not valid: {}", e.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
            state: self.state,
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.code == "store_unavailable" {
            response
                .extensions_mut()
                .insert(StoreUnavailable(self.cause.clone().unwrap_or_default()));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}
