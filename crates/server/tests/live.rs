//! Live billing: `GET /api/workspaces/{ws}/billing/events` streams the billing
//! state to members, at once and after every change, coalesced.

mod common;

use common::{send, start, Events, MEMBER, OWNER};
use reqwest::{Client, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn the_stream_starts_with_the_state_and_brings_each_usage_record_within_a_second() {
    let s = start().await;
    let member = s.signed_in(MEMBER).await;
    let mut events = Events::open(&member, &s.url("/api/workspaces/globex/billing/events")).await;
    let first = events
        .next(SECOND)
        .await
        .unwrap()
        .expect("the state at once");
    assert_eq!(first.data["workspace"]["slug"], "globex");
    assert_eq!(first.data["usage"]["flex_spend"], "0.00");
    assert_eq!(
        first.retry.as_deref(),
        Some("1000"),
        "the browser is told to come back after 1 s"
    );
    assert!(first.id.is_some());

    // 360 included credits, then 240 flex credits at $4.00: $960.00, 80% of the $1,200.00 cap.
    let recorded = Instant::now();
    let (status, _) = s.meter("globex", "600", "job-1").await;
    assert_eq!(status, StatusCode::OK);
    let next = events.next(SECOND).await.unwrap().expect("the new state");
    let took = recorded.elapsed();
    assert_eq!(next.data["usage"]["flex_spend"], "960.00");
    assert_eq!(
        next.data["viewer"]["email"], MEMBER,
        "each person's own view"
    );
    common::figure("usage record to event, ms", took.as_millis());

    // A settings change is pushed too.
    let owner = s.signed_in(OWNER).await;
    let (status, _) = send(
        owner
            .put(s.url("/api/workspaces/globex/flex/cap"))
            .json(&json!({"cap": "2000"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let next = events.next(SECOND).await.unwrap().expect("the new cap");
    assert_eq!(next.data["flex"]["cap"], "2000.00");
}

#[tokio::test]
async fn a_burst_of_records_becomes_a_few_events_with_the_state_after_them_all() {
    let s = std::sync::Arc::new(start().await);
    let owner = s.signed_in(OWNER).await;
    let mut events = Events::open(&owner, &s.url("/api/workspaces/acme/billing/events")).await;
    events
        .next(SECOND)
        .await
        .unwrap()
        .expect("the state at once");
    let burst: Vec<_> = (0..40)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.meter("acme", "0.5", &format!("burst-{i}")).await })
        })
        .collect();
    for r in burst {
        assert_eq!(r.await.unwrap().0, StatusCode::OK);
    }
    // 40 records, 20 credits: the last event shows them all, after far fewer than 40 events.
    let mut seen = 0;
    loop {
        let e = events
            .next(SECOND)
            .await
            .unwrap()
            .expect("the stream goes on");
        seen += 1;
        if e.data["usage"]["included_used"] == "20" {
            break;
        }
        assert!(seen < 10, "events are coalesced ({seen} so far)");
    }
    common::figure("events for a burst of 40 usage records", seen);
}

#[tokio::test]
async fn only_members_may_listen_and_the_stream_ends_with_the_session() {
    let s = start().await;
    assert_eq!(
        send(Client::new().get(s.url("/api/workspaces/acme/billing/events")))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let owner = s.signed_in(OWNER).await;
    let (status, body) = send(owner.get(s.url("/api/workspaces/initech/billing/events"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("workspace_not_found"))
    );

    let mut events = Events::open(&owner, &s.url("/api/workspaces/acme/billing/events")).await;
    events
        .next(SECOND)
        .await
        .unwrap()
        .expect("the state at once");
    let (status, _) = send(
        owner
            .post(s.url("/api/session/logout"))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    s.meter("acme", "1", "after-sign-out").await;
    assert!(
        matches!(events.next(5 * SECOND).await, Ok(None)),
        "the stream ended instead of sending billing to a signed-out browser"
    );
}

#[tokio::test]
async fn stopping_the_server_ends_open_streams() {
    let mut s = start().await;
    let owner = s.signed_in(OWNER).await;
    let mut events = Events::open(&owner, &s.url("/api/workspaces/acme/billing/events")).await;
    events
        .next(SECOND)
        .await
        .unwrap()
        .expect("the state at once");
    s.stop();
    assert!(
        matches!(events.next(5 * SECOND).await, Ok(None)),
        "the stream ended, so the graceful shutdown could finish"
    );
}

#[tokio::test]
async fn a_quiet_stream_sends_a_heartbeat_and_a_reconnect_gets_the_state_at_once() {
    let s = start().await;
    let owner = s.signed_in(OWNER).await;
    let url = s.url("/api/workspaces/acme/billing/events");
    let mut events = Events::open(&owner, &url).await;
    let first = events
        .next(SECOND)
        .await
        .unwrap()
        .expect("the state at once");
    let id = first.id.expect("an id");

    // The browser comes back with the last id it saw: the state now, at once.
    let again = owner
        .get(&url)
        .header("Last-Event-ID", id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let mut again = Events::from(again);
    let now = again
        .next(SECOND)
        .await
        .unwrap()
        .expect("the state at once");
    assert_eq!(now.data["workspace"]["slug"], "acme");

    // Nothing happens for 15 s: a comment keeps the stream open.
    let quiet = Instant::now();
    let heartbeat = events.comment(Duration::from_secs(17)).await;
    assert_eq!(heartbeat.as_deref(), Some("heartbeat"));
    assert!(
        quiet.elapsed() >= Duration::from_secs(14),
        "{:?}",
        quiet.elapsed()
    );
}
