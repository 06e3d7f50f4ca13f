//! The HTTP edge: routes, extractors and the error answer. Handlers parse the
//! request, ask the service, and translate its answer; nothing here speaks SQL
//! or decides a billing rule.

mod alerts;
mod auth;
mod billing;
pub mod error;
mod events;
mod exports;
mod extract;
mod guard;
pub mod headers;
mod health;
pub mod openapi;
mod platform;
mod session;
mod usage;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{HeaderValue, CACHE_CONTROL};
use axum::routing::{get, post, put};
use axum::Router;
use error::ApiError;
use tower_http::set_header::SetResponseHeaderLayer;

/// The largest request body any API route takes: every body is a few fields.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

pub use health::{healthz, note_refused_writes, readyz, Health};
pub use session::{root, signin};

/// Every route under `/api`.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/session", get(session::session))
        .route("/session/logout", post(session::logout))
        .route("/dev/login", get(session::dev_login))
        .route("/auth/login", get(auth::login))
        .route("/auth/callback", get(auth::callback))
        .route("/workspaces/{ws}/billing", get(billing::billing))
        .route("/workspaces/{ws}/billing/activity", get(billing::activity))
        .route("/workspaces/{ws}/statements", get(billing::statements))
        .route(
            "/workspaces/{ws}/statements.csv",
            get(exports::statements_csv),
        )
        .route("/workspaces/{ws}/usage.csv", get(exports::usage_csv))
        .route("/workspaces/{ws}/billing/events", get(events::events))
        .route("/workspaces/{ws}/flex/enable", post(billing::enable))
        .route("/workspaces/{ws}/flex/disable", post(billing::disable))
        .route(
            "/workspaces/{ws}/flex/cap",
            put(billing::set_cap).delete(billing::remove_cap),
        )
        .route("/workspaces/{ws}/usage", post(usage::record))
        .route(
            "/usage/batch",
            post(usage::batch).layer(DefaultBodyLimit::max(usage::MAX_BATCH_BODY_BYTES)),
        )
        .route(
            "/workspaces/{ws}/webhook",
            put(alerts::set_webhook).delete(alerts::delete_webhook),
        )
        .route("/workspaces/{ws}/deliveries", get(alerts::deliveries))
        .route(
            "/workspaces/{ws}/alerts",
            get(alerts::thresholds).put(alerts::set_thresholds),
        )
        .route(
            "/platform/workspaces/{ws}",
            put(platform::put_workspace).get(platform::get_workspace),
        )
        .route(
            "/platform/workspaces/{ws}/members/{email}",
            put(platform::put_member).delete(platform::remove_member),
        )
        .route(
            "/platform/workspaces/{ws}/prepaid",
            post(platform::grant_prepaid),
        )
        .route("/platform/statements", get(platform::statements))
        // After routing: a method a route does not take answers 405 (with
        // `Allow`), an unknown route 404, whatever their headers.
        .route_layer(axum::middleware::from_fn(
            guard::changes_only_from_our_origin_as_json,
        ))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// The server's date (UTC), by the service's clock: the billing cycle is worked out from it.
fn today(s: &AppState) -> chrono::NaiveDate {
    s.service.clock().today()
}
