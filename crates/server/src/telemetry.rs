//! Metrics in the Prometheus text format, served on `--metrics-addr`: a
//! listener of its own, off by default, so they are never public by accident.
//!
//! Counted where things happen (the `metrics` crate's macros, recorded by
//! `metrics-exporter-prometheus`): requests by route template and status
//! with their duration, usage records by result, SQLite commit batch sizes,
//! deliveries by channel and result. Read at each scrape: alerts waiting in
//! the outbox and the age of the oldest, and open event streams.

use crate::service::Service;
use crate::store::Db;
use axum::extract::{MatchedPath, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Request durations' histogram buckets, in seconds.
const DURATION_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];
/// Commit batch sizes' buckets.
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
/// Records per metering group: a batch alone can carry 1,000.
const GROUP_BUCKETS: [f64; 12] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder (installed once: every server of a process, as in
/// the tests, counts into it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &DURATION_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("sqlite_commit_batch_size".into()),
                    &BATCH_BUCKETS,
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("metering_group_records".into()),
                    &GROUP_BUCKETS,
                )
            })
            .expect("buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first: /metrics shows nothing");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to the answer's head, by route template."
    );
    describe_counter!(
        "usage_records_total",
        "Usage records, by result: accepted, replayed, flex_cap_reached, no_credits."
    );
    describe_histogram!(
        "sqlite_commit_batch_size",
        Unit::Count,
        "Writes carried by one SQLite commit (group commit)."
    );
    describe_histogram!(
        "metering_group_records",
        Unit::Count,
        "Usage records metered in one transaction by the group writer (single records and batches)."
    );
    describe_counter!(
        "deliveries_total",
        "Alert delivery attempts, by channel and result: delivered, retry, given_up."
    );
    describe_gauge!(
        "outbox_pending",
        Unit::Count,
        "Alerts waiting to be delivered."
    );
    describe_gauge!(
        "outbox_oldest_pending_age_seconds",
        Unit::Seconds,
        "How long the oldest waiting alert has waited."
    );
    describe_gauge!(
        "event_streams_open",
        Unit::Count,
        "Live billing streams open on this server."
    );
}

/// Counts every request by its route template (`/api/workspaces/{ws}/billing`,
/// never the workspace itself) and status, and times it.
pub async fn count_requests(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let method = request.method().as_str().to_string();
    let began = Instant::now();
    let answer = next.run(request).await;
    let status = answer.status().as_u16().to_string();
    metrics::histogram!("http_request_duration_seconds", "route" => route.clone())
        .record(began.elapsed().as_secs_f64());
    metrics::counter!("http_requests_total", "method" => method, "route" => route, "status" => status)
        .increment(1);
    answer
}

/// `GET /metrics` on the metrics listener.
async fn scrape(State(service): State<Service<Db>>) -> Response {
    match service.outbox_stats().await {
        Ok((pending, oldest)) => {
            metrics::gauge!("outbox_pending").set(pending as f64);
            metrics::gauge!("outbox_oldest_pending_age_seconds").set(oldest.as_secs_f64());
        }
        Err(e) => tracing::warn!("metrics: reading the outbox: {e:?}"),
    }
    metrics::gauge!("event_streams_open").set(service.live().open_streams() as f64);
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle().render(),
    )
        .into_response()
}

/// Serves `/metrics` on `listener` until the server stops.
pub fn serve(listener: tokio::net::TcpListener, service: Service<Db>) {
    let live = service.live().clone();
    let router = axum::Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .with_state(service);
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move { live.closed().await })
            .await;
        if let Err(e) = served {
            tracing::error!("the metrics listener stopped: {e}");
        }
    });
}
