//! For load balancers and orchestrators: `GET /healthz` (the process serves)
//! and `GET /readyz` (the store takes a write within a second, and no write
//! was refused for want of it in the last few seconds).

use super::error::{StoreUnavailable, RETRY_AFTER_SECONDS};
use crate::service::ServiceError;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the store has to take the readiness write.
pub const READY_WITHIN: Duration = Duration::from_secs(1);

/// How long after a write refused for want of the store (503
/// `store_unavailable`) the server says it is not ready: a probe's one-row
/// write can fit where a usage record no longer does (a nearly full disk).
pub const UNAVAILABLE_FOR: Duration = Duration::from_secs(5);

/// The latest write refused for want of the store, and why.
#[derive(Clone, Default)]
pub struct Health(Arc<Mutex<Option<(Instant, String)>>>);

impl Health {
    /// Notes a write refused with 503 `store_unavailable`.
    pub fn refused(&self, cause: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), cause));
    }

    /// A write went through since: the store takes writes again.
    fn took_a_write(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Why writes were refused within [`UNAVAILABLE_FOR`], if they were.
    fn refused_lately(&self) -> Option<String> {
        let latest = self.0.lock().unwrap_or_else(|p| p.into_inner());
        latest
            .as_ref()
            .filter(|(at, _)| at.elapsed() < UNAVAILABLE_FOR)
            .map(|(_, cause)| cause.clone())
    }
}

/// Notes in `health` every answer that was 503 `store_unavailable`, and
/// every change that went through (which clears it).
pub async fn note_refused_writes(
    State(health): State<Health>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let change = !request.method().is_safe();
    let answer = next.run(request).await;
    if let Some(StoreUnavailable(cause)) = answer.extensions().get() {
        health.refused(cause.clone());
    } else if change && answer.status().is_success() {
        health.took_a_write();
    }
    answer
}

/// `GET /healthz`: 200 while the process serves requests.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when the store took a write within [`READY_WITHIN`]
/// (the SQLite writer alive and its disk taking writes; PostgreSQL
/// answering), otherwise 503 with the reason.
pub async fn readyz(State(s): State<AppState>) -> Response {
    let reason = match tokio::time::timeout(READY_WITHIN, s.service.ready()).await {
        Ok(Ok(())) => match s.health.refused_lately() {
            None => return Json(json!({ "status": "ready" })).into_response(),
            Some(cause) => format!(
                "writes were refused in the last {} s: {cause}",
                UNAVAILABLE_FOR.as_secs()
            ),
        },
        Ok(Err(ServiceError::Unavailable(cause) | ServiceError::Internal(cause))) => cause,
        Ok(Err(other)) => format!("{other:?}"),
        Err(_) => format!(
            "the store did not take a write within {} s",
            READY_WITHIN.as_secs()
        ),
    };
    tracing::warn!("not ready: {reason}");
    let mut answer = (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "reason": reason })),
    )
        .into_response();
    answer.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECONDS),
    );
    answer
}
