//! The billing API server: Flex Billing settings, usage metering and cap
//! enforcement, serving the built page from the same origin.
//!
//! `http/` translates requests, `service` runs each operation as one
//! transaction and asks the domain, `store/` holds every SQL statement.

pub mod alerts;
pub mod deliver;
pub mod demo;
mod http;
pub mod live;
pub mod service;
pub mod store;

use axum::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::serve::ListenerExt;
use axum::Router;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::fs::ServeFileSystemResponseBody as ServeFileBody;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};
use tower_http::trace::TraceLayer;

pub use http::error::ApiError;
pub use live::Live;
pub use service::Service;
pub use store::{Db, PgStore, SqliteStore};

/// How the server runs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The built page (Trunk's `dist/`); `None` serves the API alone.
    pub static_dir: Option<PathBuf>,
    /// Demo mode: demo sign-in and the demo metering token.
    pub demo: bool,
    /// Bearer tokens accepted by the metering endpoint.
    pub metering_tokens: Vec<String>,
    /// Where people reach the page (`--public-url`); `https://…` makes the
    /// session cookie `Secure` with the `__Host-` prefix.
    pub public_url: Option<String>,
    /// The SMTP relay alerts are emailed through (`--smtp-url`); none: no email.
    pub smtp_url: Option<String>,
    /// The sender of alert emails (`--smtp-from`).
    pub smtp_from: Option<String>,
}

/// The sender of alert emails when `--smtp-from` is not given.
pub const DEFAULT_SMTP_FROM: &str = "Plan & Billing <billing@localhost>";

impl Config {
    /// Whether the page is served over HTTPS.
    pub fn secure(&self) -> bool {
        self.public_url
            .as_deref()
            .and_then(|u| u.get(..8))
            .is_some_and(|head| head.eq_ignore_ascii_case("https://"))
    }

    /// The session cookie's name: `__Host-`-prefixed over HTTPS, which the
    /// browser only accepts `Secure`, for `/`, from this very host.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.secure() {
            "__Host-billing_session"
        } else {
            "billing_session"
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub service: Service<Db>,
    pub config: Arc<Config>,
}

/// The whole app: `/api/…`, `/`, and the page with client-side routing.
pub fn app(store: Db, config: Config) -> Router {
    app_with(store, config, Live::default())
}

/// [`app`], telling `live` of every change to billing (and, on PostgreSQL,
/// of every change another server announces).
fn app_with(store: Db, mut config: Config, live: Live) -> Router {
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
    let csp = http::headers::content_security_policy(static_dir.as_deref());
    store.listen({
        let live = live.clone();
        move |slug| match slug {
            Some(slug) => live.changed(slug),
            None => live.changed_all(),
        }
    });
    let smtp = config.smtp_url.as_deref().and_then(|url| {
        let from = config.smtp_from.as_deref().unwrap_or(DEFAULT_SMTP_FROM);
        deliver::Smtp::new(url, from)
            .map_err(|e| tracing::error!("email alerts are off: {e}"))
            .ok()
    });
    let alerts = alerts::Alerts {
        wake: Default::default(),
        email: smtp.is_some(),
    };
    deliver::start(store.clone(), alerts.clone(), smtp, live.clone());
    let state = AppState {
        service: Service::new(store, live, alerts),
        config: Arc::new(config),
    };
    let router = Router::new()
        .nest("/api", http::api())
        .route("/", axum::routing::get(http::root))
        .route("/signin", axum::routing::get(http::signin));
    let router = match static_dir {
        Some(dir) => router.fallback_service(static_files(&dir)),
        None => router,
    };
    let router = http::headers::everywhere(csp)
        .into_iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::overriding(name, value))
        });
    router
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(trace_layer())
        .with_state(state)
}

/// A panic in a handler answers a JSON 500 (and is logged), never a reset connection.
fn panic_answer(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    ApiError::internal(format!("panic: {what}")).into_response()
}

/// The page's files with their cache policy.
type StaticFiles =
    SetResponseHeader<ServeDir<ServeFile>, fn(&Response<ServeFileBody>) -> Option<HeaderValue>>;

/// The built page. Unknown paths get `index.html`, so /workspaces/acme/billing
/// and /preview load the app. Files compressed at build time (`.br`, `.gz`)
/// are sent when the browser accepts them. Trunk names every asset by its
/// hash, so assets are cached for good; HTML is revalidated every time.
fn static_files(dir: &std::path::Path) -> StaticFiles {
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    SetResponseHeader::overriding(files, CACHE_CONTROL, cache_control)
}

fn cache_control(response: &Response<ServeFileBody>) -> Option<HeaderValue> {
    let html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    Some(HeaderValue::from_static(
        if html || !response.status().is_success() {
            "no-cache"
        } else {
            "public, max-age=31536000, immutable"
        },
    ))
}

/// Logs every request at debug level, and internal errors, with their cause, at error level.
fn trace_layer() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    tower_http::trace::DefaultMakeSpan,
    tower_http::trace::DefaultOnRequest,
    impl Fn(&Response, std::time::Duration, &tracing::Span) + Clone,
> {
    TraceLayer::new_for_http().on_response(
        |response: &Response, latency: std::time::Duration, _: &tracing::Span| {
            if let Some(http::error::InternalCause(cause)) = response.extensions().get() {
                tracing::error!(status = %response.status(), ?latency, "internal error: {cause}");
            } else {
                tracing::debug!(status = %response.status(), ?latency, "answered");
            }
        },
    )
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Db,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // TCP_NODELAY: a small answer after another on a kept-alive connection
    // must not wait for a delayed ACK (Nagle's algorithm).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("could not set TCP_NODELAY: {e}");
        }
    });
    let live = Live::default();
    let router = app_with(store, config, live.clone());
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Event streams never end by themselves: end them, or the
            // graceful shutdown would wait for them forever.
            live.close();
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_answers_a_json_500_and_the_server_goes_on() {
        let router = Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async { panic!("boom") as &str }),
            )
            .route("/ok", axum::routing::get(|| async { "ok" }))
            .layer(CatchPanicLayer::custom(panic_answer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let r = reqwest::get(format!("{base}/boom")).await.unwrap();
        assert_eq!(r.status(), 500);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert_eq!(
            reqwest::get(format!("{base}/ok")).await.unwrap().status(),
            200
        );
    }
}
