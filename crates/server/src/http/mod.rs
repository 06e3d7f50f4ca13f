//! The HTTP edge: routes, extractors and the error answer. Handlers parse the
//! request, ask the service, and translate its answer; nothing here speaks SQL
//! or decides a billing rule.

mod billing;
pub mod error;
pub mod extract;
mod session;
mod usage;

use crate::AppState;
use axum::routing::{get, post, put};
use axum::Router;
use error::ApiError;

pub use session::{root, signin};

/// Every route under `/api`.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/session", get(session::session))
        .route("/session/logout", post(session::logout))
        .route("/dev/login", get(session::dev_login))
        .route("/workspaces/{ws}/billing", get(billing::billing))
        .route("/workspaces/{ws}/flex/enable", post(billing::enable))
        .route("/workspaces/{ws}/flex/disable", post(billing::disable))
        .route(
            "/workspaces/{ws}/flex/cap",
            put(billing::set_cap).delete(billing::remove_cap),
        )
        .route("/workspaces/{ws}/usage", post(usage::record))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
}

/// The server's date (UTC): the billing cycle is worked out from it.
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
