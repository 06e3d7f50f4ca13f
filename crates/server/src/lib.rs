//! The billing API server: Flex Billing settings, usage metering and cap
//! enforcement, serving the built page from the same origin.
//!
//! `http/` translates requests, `service` runs each operation as one
//! transaction and asks the domain, `store/` holds every SQL statement.

pub mod alerts;
pub mod clock;
pub mod deliver;
pub mod demo;
mod http;
pub mod live;
pub mod oidc;
pub mod serve;
pub mod service;
pub mod store;
pub mod telemetry;

use axum::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::response::Response;
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
    /// Sign-in through the platform's OpenID Connect provider (`--oidc-*`;
    /// needs `public_url`).
    pub oidc: Option<oidc::OidcConfig>,
    /// The bearer token of the provisioning API (`--platform-token-file`);
    /// none: the API answers 401 to everyone.
    pub platform_token: Option<String>,
    /// Where people reach the page (`--public-url`); `https://…` makes the
    /// session cookie `Secure` with the `__Host-` prefix.
    pub public_url: Option<String>,
    /// The SMTP relay alerts are emailed through (`--smtp-url`); none: no email.
    pub smtp_url: Option<String>,
    /// The sender of alert emails (`--smtp-from`).
    pub smtp_from: Option<String>,
    /// A private CA the SMTP server's certificate is checked against
    /// (`--smtp-ca-file`, PEM), besides the public roots.
    pub smtp_ca_file: Option<PathBuf>,
    /// Webhooks may be `http://` to this machine (`--allow-http-webhooks`,
    /// for tests); otherwise only `https://` to public addresses.
    pub allow_http_webhooks: bool,
    /// The platform's billing webhook (`--platform-webhook-url` and its
    /// secret): every statement is sent there too.
    pub platform_webhook: Option<deliver::PlatformWebhook>,
    /// Where `/metrics` is served (`--metrics-addr`), on a listener of its
    /// own; none: nowhere.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The server's "now" from this file (`--clock-file`, RFC 3339, read on
    /// every use), for tests; only with `demo`.
    pub clock_file: Option<PathBuf>,
    /// The connection limits: header read and idle timeouts, and the most
    /// connections open at once (`--max-connections`).
    pub limits: serve::Limits,
    /// How many days delivered and given-up alerts are kept
    /// (`--retention-days`); none: [`service::DEFAULT_RETENTION_DAYS`].
    pub retention_days: Option<u32>,
    /// The most usage records one metering commit carries (`--write-batch`,
    /// both stores); none: [`store::DEFAULT_MAX_BATCH`]; 1: each request in
    /// a transaction of its own.
    pub write_batch: Option<usize>,
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
    /// Writes refused for want of the store, for `/readyz`.
    pub health: http::Health,
    /// The OpenID provider, when sign-in goes through one.
    pub oidc: Option<Arc<oidc::Oidc>>,
}

/// The whole app: `/api/…`, `/`, and the page with client-side routing.
pub fn app(store: Db, config: Config) -> Router {
    app_with(store, config, Live::default())
}

/// [`app`], telling `live` of every change to billing (and, on PostgreSQL,
/// of every change another server announces).
fn app_with(store: Db, config: Config, live: Live) -> Router {
    build(store, config, live).0
}

/// The app and the service behind it.
fn build(store: Db, mut config: Config, live: Live) -> (Router, Service<Db>) {
    telemetry::handle();
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
    let response_within = config.limits.response;
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
        deliver::Smtp::new(url, from, config.smtp_ca_file.as_deref())
            .map_err(|e| tracing::error!("email alerts are off: {e}"))
            .ok()
    });
    let alerts = alerts::Alerts {
        wake: Default::default(),
        email: smtp.is_some(),
        allow_http_webhooks: config.allow_http_webhooks,
        platform_webhook: config.platform_webhook.as_ref().map(|p| p.url.clone()),
    };
    // A clock file moves time for the demo's tests; anywhere else it is refused.
    let clock = match &config.clock_file {
        Some(file) if config.demo => clock::Clock::File(Arc::new(file.clone())),
        Some(_) => panic!("--clock-file is only accepted with --demo"),
        None => clock::Clock::System,
    };
    deliver::start(
        store.clone(),
        alerts.clone(),
        smtp,
        live.clone(),
        config.allow_http_webhooks,
        config.platform_webhook.clone(),
        clock.clone(),
    );
    let service = Service::new(store, live.clone(), alerts)
        .with_clock(clock)
        .with_write_batch(config.write_batch.unwrap_or(store::DEFAULT_MAX_BATCH));
    housekeeping(
        service.clone(),
        config
            .retention_days
            .unwrap_or(service::DEFAULT_RETENTION_DAYS),
        live.clone(),
    );
    closer(service.clone(), live);
    let health = http::Health::default();
    let oidc = config.oidc.clone().map(|c| {
        Arc::new(oidc::Oidc::new(
            c,
            config.public_url.as_deref().unwrap_or_default(),
        ))
    });
    let state = AppState {
        service: service.clone(),
        config: Arc::new(config),
        health: health.clone(),
        oidc,
    };
    let router = Router::new()
        .nest("/api", http::api())
        .route("/", axum::routing::get(http::root))
        .route("/signin", axum::routing::get(http::signin))
        .route("/healthz", axum::routing::get(http::healthz))
        .route("/readyz", axum::routing::get(http::readyz));
    let router = match static_dir {
        Some(dir) => router.fallback_service(static_files(&dir)),
        None => router,
    };
    let router = http::headers::everywhere(csp)
        .into_iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::overriding(name, value))
        });
    let router = router
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(axum::middleware::from_fn_with_state(
            health,
            http::note_refused_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            response_within,
            answer_in_time,
        ))
        .layer(axum::middleware::from_fn(telemetry::count_requests))
        .layer(trace_layer())
        .with_state(state);
    (router, service)
}

/// How often each server looks for billing cycles that ended.
const CLOSE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Closes ended billing cycles (their statements) at start and every
/// [`CLOSE_EVERY`], until `live` closes. Every server runs it; a cycle is
/// closed once whichever gets there first.
fn closer(service: Service<Db>, live: Live) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = service.close_cycles().await {
                tracing::warn!("closing ended cycles: {e:?}");
            }
            tokio::select! {
                _ = tokio::time::sleep(CLOSE_EVERY) => {}
                _ = live.closed() => return,
            }
        }
    });
}

/// How often housekeeping runs (and once at start).
const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Removes ended sessions, and alerts delivered or given up more than
/// `retention_days` ago, at start and every hour, until `live` closes.
fn housekeeping(service: Service<Db>, retention_days: u32, live: Live) {
    let retention = std::time::Duration::from_secs(u64::from(retention_days) * 24 * 60 * 60);
    tokio::spawn(async move {
        loop {
            match service.purge(retention).await {
                Ok(p) if p != service::Purged::default() => tracing::info!(
                    "housekeeping: removed {} ended sessions and {} old deliveries",
                    p.sessions,
                    p.deliveries
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("housekeeping: {e:?}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(HOUSEKEEPING_EVERY) => {}
                _ = live.closed() => return,
            }
        }
    });
}

/// An answer not started within `within` (the limits' `response`) is
/// given up: 503 `timeout`. A stream's body goes on as long as it is open.
async fn answer_in_time(
    axum::extract::State(within): axum::extract::State<std::time::Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(within, next.run(request)).await {
        Ok(answer) => answer,
        Err(_) => ApiError::timeout(within).into_response(),
    }
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
    let limits = config.limits;
    let metrics_addr = config.metrics_addr;
    let live = Live::default();
    let (router, service) = build(store, config, live.clone());
    if let Some(addr) = metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!("metrics at http://{}/metrics", listener.local_addr()?);
        telemetry::serve(listener, service);
    }
    serve::run(listener, router, limits, async move {
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
    use std::time::Duration;

    async fn served(router: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        base
    }

    #[tokio::test]
    async fn an_answer_not_started_in_time_is_a_503_and_a_stream_is_not_cut() {
        let router = Router::new()
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "late"
                }),
            )
            .route(
                "/stream",
                axum::routing::get(|| async {
                    axum::body::Body::from_stream(futures_util::stream::unfold(0, |n| async move {
                        tokio::time::sleep(Duration::from_millis(150)).await;
                        (n < 3).then(|| (Ok::<_, std::convert::Infallible>(n.to_string()), n + 1))
                    }))
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(300),
                answer_in_time,
            ));
        let base = served(router).await;
        let r = reqwest::get(format!("{base}/slow")).await.unwrap();
        assert_eq!(r.status(), 503);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "timeout");
        let r = reqwest::get(format!("{base}/stream")).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.text().await.unwrap(),
            "012",
            "streamed past the limit, whole"
        );
    }

    #[tokio::test]
    async fn streams_of_unknown_workspaces_watch_nothing_and_the_last_stream_unwatches() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            dir.path().join("b.sqlite3").to_str().unwrap(),
            store::DEFAULT_MAX_BATCH,
        )
        .await
        .unwrap();
        db.seed_demo_if_empty().await.unwrap();
        let live = Live::default();
        let config = Config {
            demo: true,
            ..Config::default()
        };
        let base = served(app_with(db, config, live.clone())).await;
        let owner = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        owner
            .get(format!("{base}/api/dev/login?email=owner%40acme.test"))
            .send()
            .await
            .unwrap();
        for i in 0..500 {
            let r = owner
                .get(format!("{base}/api/workspaces/nobody-{i}/billing/events"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404);
        }
        assert_eq!(
            live.watched(),
            0,
            "no workspace is watched for a refused stream"
        );
        let mut stream = owner
            .get(format!("{base}/api/workspaces/acme/billing/events"))
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        stream.chunk().await.unwrap().expect("the first event");
        assert_eq!(live.watched(), 1);
        drop(stream);
        // The server hears of the drop at the latest with the next heartbeat (15 s).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while live.watched() != 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "forgotten once the stream ended"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

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
