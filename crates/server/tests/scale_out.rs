//! Several servers on one database: two server processes started at the same
//! moment on one database (a PostgreSQL database under scripts/test.sh's
//! second run, a SQLite file under its first), with requests split between
//! them. The cap, the idempotency key, sessions and settings hold as on one.

mod common;

use common::process::{free_port, spawn, Process};
use common::{figure, fresh_db, on_postgres, open, send, Events};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

async fn meter(p: &Process, ws: &str, credits: &str, key: &str) -> (StatusCode, Value) {
    send(
        Client::new()
            .post(format!("{}/api/workspaces/{ws}/usage", p.base))
            .bearer_auth(billing_server::demo::DEMO_METERING_TOKEN)
            .json(&json!({"credits": credits, "idempotency_key": key})),
    )
    .await
}

#[tokio::test]
async fn two_servers_on_one_database_hold_the_cap_and_the_key_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    // Both start at once on an empty database: each schema step and the demo are applied once.
    let (a, b) = tokio::join!(spawn(&db, free_port()), spawn(&db, free_port()));
    let servers = std::sync::Arc::new([a, b]);
    let store = open(&db).await;
    assert_eq!(
        store.number("SELECT COUNT(*) FROM users").await.unwrap(),
        3,
        "the demo was seeded once"
    );

    // Globex: 360 included credits, then flex at $4.00 within the $1,200.00 cap (300 credits).
    assert_eq!(
        meter(&servers[0], "globex", "360", "included").await.0,
        StatusCode::OK
    );
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let servers = servers.clone();
            tokio::spawn(
                async move { meter(&servers[i % 2], "globex", "7", &format!("job-{i}")).await },
            )
        })
        .collect();
    let (mut accepted, mut refused) = ([0; 2], 0);
    for (i, c) in clients.into_iter().enumerate() {
        let (status, body) = c.await.unwrap();
        match status {
            StatusCode::OK => accepted[i % 2] += 1,
            StatusCode::PAYMENT_REQUIRED => {
                assert_eq!(body["error"]["code"], "flex_cap_reached");
                refused += 1
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    // 300 / 7 = 42 whole jobs fit ($1,176.00); the 43rd would pass the cap.
    assert_eq!(
        accepted[0] + accepted[1],
        42,
        "exactly the room, {accepted:?}"
    );
    assert_eq!(refused, 22);
    let billed = common::billed_cents(&store).await;
    assert_eq!(billed, 117_600, "not one cent over the $1,200.00 cap");

    // 32 retries of one job, split between the servers: one record, the rest replay it.
    let retries: Vec<_> = (0..32)
        .map(|i| {
            let servers = servers.clone();
            tokio::spawn(async move { meter(&servers[i % 2], "acme", "1.5", "retried-job").await })
        })
        .collect();
    let mut fresh = 0;
    for r in retries {
        let (status, body) = r.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["replayed"] == false {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "one answer records, the rest replay");
    let rows = store
        .number("SELECT COUNT(*) FROM usage_events WHERE idempotency_key = 'retried-job'")
        .await
        .unwrap();
    assert_eq!(rows, 1, "one record for 32 retries");

    // A session started on one server signs in on the other (cookies go by host,
    // not port); a change made on one is read on the other, and a change from a
    // stale page is refused whichever server takes it.
    let owner = Client::builder().cookie_store(true).build().unwrap();
    let r = owner
        .get(format!(
            "{}/api/dev/login?email=owner%40acme.test&next=/api/session",
            servers[0].base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let billing = |i: usize| format!("{}/api/workspaces/globex/billing", servers[i].base);
    let (status, before) = send(owner.get(billing(1))).await;
    assert_eq!(status, StatusCode::OK, "the other server knows the session");
    let version = before["flex"]["version"].as_u64().unwrap();
    let cap = |i: usize| format!("{}/api/workspaces/globex/flex/cap", servers[i].base);
    let (status, _) = send(
        owner
            .put(cap(1))
            .json(&json!({"cap": "1500", "version": version})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, stale) = send(
        owner
            .put(cap(0))
            .json(&json!({"cap": "900", "version": version})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let (_, after) = send(owner.get(billing(0))).await;
    assert_eq!(after["flex"]["cap"], "1500.00");

    // Live usage across servers (PostgreSQL: LISTEN/NOTIFY): a page following
    // one server sees a usage record the other took, within a second. A
    // SQLite file serves one server; its streams hear only their own.
    if on_postgres() {
        let url = format!("{}/api/workspaces/acme/billing/events", servers[1].base);
        let mut events = Events::open(&owner, &url).await;
        let first = events.next(Duration::from_secs(1)).await.unwrap().unwrap();
        let before = first.data["usage"]["included_used"].clone();
        let taken = std::time::Instant::now();
        assert_eq!(
            meter(&servers[0], "acme", "2", "seen-elsewhere").await.0,
            StatusCode::OK
        );
        let next = events
            .next(Duration::from_secs(1))
            .await
            .expect("an event within a second")
            .expect("the stream goes on");
        assert_ne!(next.data["usage"]["included_used"], before);
        figure(
            "usage record on one server to an event on the other, ms",
            taken.elapsed().as_millis(),
        );
    }

    figure("servers on one database", 2);
    figure("cents over the cap, two servers", (billed - 120_000).max(0));
    figure(
        "requests accepted at the cap, two servers (exactly the room: 42)",
        accepted[0] + accepted[1],
    );
}

/// A receiver that answers each request after `delay`, recording its `webhook-id`.
async fn slow_receiver(delay: Duration) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let got = got.clone();
            move |headers: axum::http::HeaderMap| {
                let got = got.clone();
                async move {
                    let id = headers["webhook-id"].to_str().unwrap().to_string();
                    got.lock().unwrap().push(id);
                    tokio::time::sleep(delay).await;
                    StatusCode::OK
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test]
async fn two_servers_deliver_each_alert_once_to_a_slow_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let (a, b) = tokio::join!(spawn(&db, free_port()), spawn(&db, free_port()));
    let store = open(&db).await;
    let (url, got) = slow_receiver(Duration::from_secs(9)).await;
    // Twenty workspaces, each with the receiver as its webhook and one alert queued.
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let secret = billing_server::deliver::new_secret();
    for i in 0..20 {
        store
            .sql(&format!(
                "INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor,
                                         included_e4, flex_rate_cents, prepaid_rate_cents)
                 VALUES ('fence-{i}', 'Fence {i}', 'Growth', 'month', '2025-01-01', 0, 400, 300)"
            ))
            .await
            .unwrap();
        store
            .sql(&format!(
                "INSERT INTO webhooks (workspace_id, url, secret, created_at)
                 SELECT id, '{url}', '{secret}', '{now}' FROM workspaces WHERE slug = 'fence-{i}'"
            ))
            .await
            .unwrap();
    }
    store
        .sql(&format!(
            "INSERT INTO outbox (workspace_id, event_id, channel, event_type, target, payload,
                                 created_at, next_attempt_at)
             SELECT id, 'msg_' || slug, 'webhook', 'flex.settings_changed', '{url}', '{{}}', '{now}', '{now}'
               FROM workspaces WHERE slug LIKE 'fence-%'"
        ))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while store
        .number("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL")
        .await
        .unwrap()
        < 20
    {
        assert!(tokio::time::Instant::now() < deadline, "all 20 delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut ids = got.lock().unwrap().clone();
    let requests = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (ids.len(), requests),
        (20, 20),
        "every webhook-id arrived once"
    );
    assert_eq!(
        store
            .number("SELECT COUNT(*) FROM delivery_attempts")
            .await
            .unwrap(),
        20,
        "one attempt recorded each"
    );
    figure(
        "alerts delivered by two servers to a 9 s receiver, each once (of 20)",
        ids.len(),
    );
    drop((a, b));
}

#[tokio::test]
async fn an_attempt_under_a_lapsed_lease_is_not_recorded() {
    use billing_server::store::{AfterAttempt, Attempt, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = open(&fresh_db(dir.path()).await).await;
    db.seed_demo_if_empty().await.unwrap();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    db.sql(&format!(
        "INSERT INTO outbox (workspace_id, event_id, channel, event_type, target, payload,
                             created_at, next_attempt_at)
         SELECT id, 'msg_lease', 'webhook', 'flex.settings_changed', 'https://x.example/', '{{}}', '{now}', '{now}'
           FROM workspaces WHERE slug = 'acme'"
    ))
    .await
    .unwrap();
    let t0 = chrono::Utc::now();
    let take = |at: chrono::DateTime<chrono::Utc>, token: &'static str| {
        let db = db.clone();
        async move {
            db.write(move |tx| tx.take_due(at, at + chrono::Duration::seconds(60), token, 16))
                .await
                .unwrap()
        }
    };
    let first = take(t0, "server-a").await;
    assert_eq!(first.len(), 1);
    assert!(
        take(t0 + chrono::Duration::seconds(30), "server-b")
            .await
            .is_empty(),
        "leased"
    );
    // A's lease lapses; B takes the delivery.
    let second = take(t0 + chrono::Duration::seconds(61), "server-b").await;
    assert_eq!(second.len(), 1);
    let attempt = Attempt {
        at: t0 + chrono::Duration::seconds(62),
        status: Some(200),
        error: None,
    };
    let record = |token: &'static str| {
        let (db, attempt) = (db.clone(), attempt.clone());
        let id = first[0].id;
        async move {
            db.write(move |tx| tx.record_attempt(id, token, &attempt, AfterAttempt::Delivered))
                .await
                .unwrap()
        }
    };
    assert!(!record("server-a").await, "A no longer holds the lease");
    assert_eq!(
        db.number("SELECT COUNT(*) FROM delivery_attempts")
            .await
            .unwrap(),
        0
    );
    assert!(record("server-b").await, "B does");
    assert!(!record("server-b").await, "and only once");
    assert_eq!(
        db.number("SELECT COUNT(*) FROM delivery_attempts")
            .await
            .unwrap(),
        1
    );
}
