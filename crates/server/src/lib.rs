//! The billing API server: Flex Billing settings, usage metering and cap
//! enforcement over embedded SQLite, serving the built page from one origin.

mod auth;
pub mod db;
pub mod demo;
mod error;
mod routes;
pub mod service;
mod store;

use axum::Router;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};

pub use db::Db;
pub use error::ApiError;

/// How the server runs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The built page (Trunk's `dist/`); `None` serves the API alone.
    pub static_dir: Option<PathBuf>,
    /// Demo mode: demo sign-in and the demo metering token.
    pub demo: bool,
    /// Bearer tokens accepted by the metering endpoint.
    pub metering_tokens: Vec<String>,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
}

/// The whole app: `/api/…`, `/`, and the page with client-side routing.
pub fn app(db: Db, mut config: Config) -> Router {
    if config.demo
        && !config
            .metering_tokens
            .iter()
            .any(|t| t == demo::DEMO_METERING_TOKEN)
    {
        config
            .metering_tokens
            .push(demo::DEMO_METERING_TOKEN.to_string());
    }
    let static_dir = config.static_dir.clone();
    let state = AppState {
        db,
        config: Arc::new(config),
    };
    let router = Router::new()
        .nest("/api", routes::api())
        .route("/", axum::routing::get(routes::root))
        .route("/signin", axum::routing::get(routes::signin));
    let router = match static_dir {
        // Unknown paths get index.html, so /workspaces/acme/billing and /preview load the app.
        Some(dir) => router
            .fallback_service(ServeDir::new(&dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => router,
    };
    router.with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    db: Db,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(db, config))
        .with_graceful_shutdown(shutdown)
        .await
}
