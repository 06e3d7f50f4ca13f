//! Metrics: served on a listener of their own, in the Prometheus text format
//! (linted by promtool), and moving with what the server does.

mod common;

use billing_server::Config;
use common::process::free_port;
use common::{send, start_config, Events, OWNER};
use reqwest::{Client, StatusCode};
use std::time::Duration;

/// The sum of the samples of `metric` whose labels include every one of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name_and_labels, value) = l.rsplit_once(' ')?;
            let name = name_and_labels.split('{').next()?;
            (name == metric && labels.iter().all(|want| name_and_labels.contains(want)))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

#[tokio::test]
async fn metrics_are_served_apart_linted_and_move_with_the_work() {
    let port = free_port();
    let s = start_config(Config {
        demo: true,
        allow_http_webhooks: true,
        metrics_addr: Some(format!("127.0.0.1:{port}").parse().unwrap()),
        ..Config::default()
    })
    .await;
    let scrape = || async move {
        let r = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        r.text().await.unwrap()
    };
    // Not on the public listener.
    let public = Client::new().get(s.url("/metrics")).send().await.unwrap();
    assert!(!public.text().await.unwrap().contains("http_requests_total"));

    let before = scrape().await;
    let owner = s.signed_in(OWNER).await;
    for _ in 0..3 {
        assert_eq!(
            send(owner.get(s.url("/api/workspaces/globex/billing")))
                .await
                .0,
            StatusCode::OK
        );
    }
    assert_eq!(s.meter("globex", "1", "m-1").await.0, StatusCode::OK);
    assert_eq!(s.meter("globex", "1", "m-2").await.0, StatusCode::OK);
    assert_eq!(s.meter("globex", "1", "m-1").await.0, StatusCode::OK); // replayed
    assert_eq!(
        s.meter("acme", "41", "m-3").await.0,
        StatusCode::PAYMENT_REQUIRED
    ); // no credits
    let _stream = Events::open(&owner, &s.url("/api/workspaces/acme/billing/events")).await;
    let after = scrape().await;

    let moved = |metric: &str, labels: &[&str]| {
        sample(&after, metric, labels) - sample(&before, metric, labels)
    };
    let billing = [
        r#"route="/api/workspaces/{ws}/billing""#,
        r#"status="200""#,
        r#"method="GET""#,
    ];
    assert!(moved("http_requests_total", &billing) >= 3.0, "{after}");
    assert!(
        moved(
            "http_request_duration_seconds_count",
            &[r#"route="/api/workspaces/{ws}/billing""#]
        ) >= 3.0
    );
    assert!(moved("usage_records_total", &[r#"result="accepted""#]) >= 2.0);
    assert!(moved("usage_records_total", &[r#"result="replayed""#]) >= 1.0);
    assert!(moved("usage_records_total", &[r#"result="no_credits""#]) >= 1.0);
    assert!(moved("sqlite_commit_batch_size_count", &[]) >= 1.0 || common::on_postgres());
    assert!(sample(&after, "event_streams_open", &[]) >= 1.0);
    assert!(after.contains("outbox_pending"), "{after}");
    assert!(after.contains("outbox_oldest_pending_age_seconds"));
    // No workspace's name in a route label: templates only.
    assert!(!after.contains("route=\"/api/workspaces/globex"), "{after}");

    // promtool (Debian's prometheus, from scripts/setup.sh --test) lints the text.
    let mut lint = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool: run scripts/setup.sh --test");
    use std::io::Write;
    lint.stdin
        .take()
        .unwrap()
        .write_all(after.as_bytes())
        .unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || lint.wait_with_output()),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool: {said}");
    assert!(said.trim().is_empty(), "promtool has remarks: {said}");
}
