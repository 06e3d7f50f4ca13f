//! Trusted at the edges: webhook addresses an attacker could aim inward,
//! clients that hold connections, streams and alerts that could starve
//! others, and the probes a load balancer reads. Loopback only: a refused
//! address is registered and its refusal checked; nothing is sent there.

mod common;

use billing_server::serve::Limits;
use billing_server::Config;
use common::receiver::Receiver;
use common::{figure, send, start, start_config, Events, Server, ADMIN, OWNER};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn put_webhook(s: &Server, ws: &str, url: &str) -> (StatusCode, Value) {
    let owner = s.signed_in(OWNER).await;
    send(
        owner
            .put(s.url(&format!("/api/workspaces/{ws}/webhook")))
            .json(&json!({ "url": url })),
    )
    .await
}

#[tokio::test]
async fn webhook_addresses_inside_the_network_are_refused_with_the_reason() {
    // As in production: no --allow-http-webhooks.
    let s = start_config(Config {
        demo: true,
        ..Config::default()
    })
    .await;
    let mut refused = 0;
    for (url, why) in [
        (
            "https://169.254.169.254/latest/",
            "it is a link-local address (such as the cloud metadata service)",
        ),
        ("https://10.0.0.1/hook", "it is a private network address"),
        (
            "https://192.168.0.10/hook",
            "it is a private network address",
        ),
        ("https://[fd00::1]/hook", "it is a private network address"),
        (
            "https://100.64.0.1/hook",
            "it is a shared (carrier-grade NAT) address",
        ),
        ("https://127.0.0.1/hook", "it is an address of this machine"),
        ("https://localhost/hook", "it is an address of this machine"),
        (
            "https://0x7f000001/hook",
            "it is an address of this machine",
        ),
        (
            r"https://127.0.0.2:9000\@hooks.example.com/",
            "it is an address of this machine",
        ),
        (
            r"http://127.0.0.2:9000\@localhost/",
            "Enter an address that starts with https://.",
        ),
        (
            "http://127.0.0.1:9000/hook",
            "Enter an address that starts with https://.",
        ),
        (
            "https://user:pw@hooks.example.com/",
            "Leave the user name and password out",
        ),
    ] {
        let (status, body) = put_webhook(&s, "globex", url).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("invalid_webhook_url")
            ),
            "{url}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{url}: {message}");
        refused += 1;
    }
    figure(
        "webhook addresses refused (metadata, private, loopback, tricks)",
        refused,
    );
    let (status, body) = put_webhook(&s, "globex", "https://hooks.example.com/billing").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn http_to_this_machine_only_with_the_flag_and_as_the_client_reads_it() {
    let s = start().await; // --allow-http-webhooks
    let (status, body) = put_webhook(&s, "globex", r"http://127.0.0.2:9000\@localhost/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Stored as the HTTP client will request it: host 127.0.0.2, path /@localhost/.
    assert_eq!(body["url"], "http://127.0.0.2:9000/@localhost/");
    for url in [
        "http://10.0.0.1/hook",
        "http://hooks.example.com/",
        "https://10.0.0.1/",
    ] {
        let (status, body) = put_webhook(&s, "globex", url).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
    }
}

/// A receiver that accepts connections and never answers.
async fn silent() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    url
}

#[tokio::test]
async fn a_silent_neighbour_does_not_delay_another_workspaces_alert() {
    let s = start().await;
    // Acme's receiver never answers; its owner changes the settings 20 times.
    let (status, _) = put_webhook(&s, "acme", &silent().await).await;
    assert_eq!(status, StatusCode::OK);
    let owner = s.signed_in(OWNER).await;
    let (status, _) = send(
        owner
            .post(s.url("/api/workspaces/acme/flex/enable"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for i in 0..20 {
        let (status, _) = send(
            owner
                .put(s.url("/api/workspaces/acme/flex/cap"))
                .json(&json!({ "cap": format!("{}", 200 + i) })),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    // Waiting settings changes coalesce: one being attempted, at most one waiting.
    let waiting =
        s.db.number(
            "SELECT COUNT(*) FROM outbox o JOIN workspaces w ON w.id = o.workspace_id
              WHERE w.slug = 'acme' AND o.next_attempt_at IS NOT NULL",
        )
        .await
        .unwrap();
    assert!(
        waiting <= 2,
        "{waiting} settings changes wait for acme's receiver"
    );

    // Globex's 80% alert arrives at once all the same.
    let receiver = Receiver::start(0).await;
    let (status, _) = put_webhook(&s, "globex", &receiver.url).await;
    assert_eq!(status, StatusCode::OK);
    let sent = Instant::now();
    assert_eq!(s.meter("globex", "600", "to-80").await.0, StatusCode::OK);
    let hooks = receiver.wait_for(1, Duration::from_secs(2)).await;
    let took = sent.elapsed();
    let body: Value = serde_json::from_str(&hooks[0].body).unwrap();
    assert_eq!(body["type"], "flex.threshold_reached");
    figure(
        "a neighbour's 80% alert arrived beside a silent webhook after (ms)",
        took.as_millis(),
    );
    figure(
        "settings changes waiting for a silent webhook after 21 changes",
        waiting,
    );
}

#[tokio::test]
async fn a_person_holds_at_most_eight_streams_and_the_ninth_says_why() {
    let s = start().await;
    let owner = s.signed_in(OWNER).await;
    let url = s.url("/api/workspaces/acme/billing/events");
    let mut open = Vec::new();
    for _ in 0..8 {
        let mut events = Events::open(&owner, &url).await;
        events.next(Duration::from_secs(5)).await.unwrap().unwrap();
        open.push(events);
    }
    let (status, body) = send(owner.get(&url)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_streams")),
        "{body}"
    );
    // Someone else's are their own.
    let admin = s.signed_in(ADMIN).await;
    Events::open(&admin, &url).await;
    // One closed: one more may open.
    open.pop();
    common::eventually("a ninth stream once one closed", || async {
        let r = owner.get(&url).send().await.ok()?;
        (r.status() == StatusCode::OK).then_some(())
    })
    .await;
    figure("event streams refused for one person beyond", 8);
}

/// Reads until the server closes the connection; answers how long that took.
async fn closed_within(mut tcp: TcpStream, within: Duration) -> Option<Duration> {
    let began = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((began + within).into(), tcp.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(began.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

fn addr(s: &Server) -> String {
    s.base.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn half_sent_requests_are_cut_off_after_ten_seconds() {
    let s = start().await;
    let mut held = Vec::new();
    for _ in 0..200 {
        let mut tcp = TcpStream::connect(addr(&s)).await.unwrap();
        tcp.write_all(b"GET /api/session HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        held.push(tcp);
    }
    let closed = futures_util::future::join_all(
        held.into_iter()
            .map(|tcp| closed_within(tcp, Duration::from_secs(20))),
    )
    .await;
    let slowest = closed
        .iter()
        .map(|c| c.expect("closed by the server"))
        .max()
        .unwrap();
    assert!(
        slowest >= Duration::from_secs(9),
        "not before the limit: {slowest:?}"
    );
    figure(
        "half-sent requests held, all closed by the server",
        closed.len(),
    );
    figure(
        "the last half-sent request was closed after (ms)",
        slowest.as_millis(),
    );
    // The server still answers.
    assert_eq!(
        send(Client::new().get(s.url("/healthz"))).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_and_a_busy_one_is_not() {
    assert_eq!(Limits::default().idle, Duration::from_secs(60));
    assert_eq!(Limits::default().header_read, Duration::from_secs(10));
    assert_eq!(Limits::default().max_connections, 10_000);
    let s = start_config(Config {
        demo: true,
        limits: Limits {
            idle: Duration::from_secs(2),
            ..Limits::default()
        },
        ..Config::default()
    })
    .await;
    let mut tcp = TcpStream::connect(addr(&s)).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut got = vec![0u8; 512];
    let n = tcp.read(&mut got).await.unwrap();
    assert!(String::from_utf8_lossy(&got[..n]).starts_with("HTTP/1.1 200"));
    let after = closed_within(tcp, Duration::from_secs(10))
        .await
        .expect("the idle connection is closed");
    assert!(after >= Duration::from_millis(1_500), "{after:?}");

    // An event stream is kept open by its heartbeats' traffic and its own events.
    let owner = s.signed_in(OWNER).await;
    let mut events = Events::open(&owner, &s.url("/api/workspaces/acme/billing/events")).await;
    events.next(Duration::from_secs(5)).await.unwrap().unwrap();
    let owner2 = s.signed_in(OWNER).await;
    for i in 0..3 {
        let (status, _) = send(
            owner2
                .post(s.url(&format!(
                    "/api/workspaces/acme/flex/{}",
                    if i % 2 == 0 { "enable" } else { "disable" }
                )))
                .json(&json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            events.next(Duration::from_secs(5)).await.unwrap().is_some(),
            "the stream lives on"
        );
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }
}

#[tokio::test]
async fn no_more_than_max_connections_are_served_at_once() {
    let s = start_config(Config {
        demo: true,
        limits: Limits {
            max_connections: 3,
            ..Limits::default()
        },
        ..Config::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut tcp = TcpStream::connect(addr(&s)).await.unwrap();
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut got = vec![0u8; 512];
        assert!(tcp.read(&mut got).await.unwrap() > 0, "served");
        held.push(tcp);
    }
    let fourth = tokio::spawn({
        let url = s.url("/healthz");
        async move { Client::new().get(url).send().await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !fourth.is_finished(),
        "the fourth waits while three are open"
    );
    held.pop();
    let status = tokio::time::timeout(Duration::from_secs(5), fourth)
        .await
        .expect("served once one closed")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn health_and_readiness_for_load_balancers() {
    let s = start().await;
    let (status, body) = send(Client::new().get(s.url("/healthz"))).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = send(Client::new().get(s.url("/readyz"))).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
    let checked = s.db.sql("SELECT checked_at FROM readiness").await.unwrap();
    assert!(!checked[0].is_empty(), "the probe wrote");
    // A store that takes no write: not ready, and why.
    s.db.sql("DROP TABLE readiness").await.unwrap();
    let r = Client::new().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "5");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"].as_str().unwrap().contains("readiness"),
        "{body}"
    );
    assert_eq!(
        send(Client::new().get(s.url("/healthz"))).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn housekeeping_removes_ended_sessions_and_old_deliveries_only() {
    // The store alone: a running server's own housekeeping would race this.
    let dir = tempfile::tempdir().unwrap();
    let db = common::open(&common::fresh_db(dir.path()).await).await;
    db.seed_demo_if_empty().await.unwrap();
    let old = "2000-01-01T00:00:00Z";
    let now = chrono::Utc::now();
    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let recent = at(now);
    for (id, created, delivered, next) in [
        (1001, old, Some(old), None),
        (1002, old, None, Some(old)), // still to deliver: kept
        (1003, recent.as_str(), Some(recent.as_str()), None),
    ] {
        let q = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{v}'"));
        db.sql(&format!(
            "INSERT INTO outbox (id, workspace_id, event_id, channel, event_type, target, payload,
                                 created_at, next_attempt_at, delivered_at)
             SELECT {id}, id, 'msg_{id}', 'webhook', 'flex.settings_changed', 'https://x.example/',
                    '{{}}', '{created}', {}, {} FROM workspaces WHERE slug = 'acme'",
            q(next),
            q(delivered)
        ))
        .await
        .unwrap();
        db.sql(&format!(
            "INSERT INTO delivery_attempts (outbox_id, at, status_code) VALUES ({id}, '{created}', 200)"
        ))
        .await
        .unwrap();
    }
    // An ended session, and a live one.
    for (token, expires) in [
        ("ended", old.to_string()),
        ("live", at(now + chrono::Duration::days(1))),
    ] {
        let seen = if token == "ended" {
            old.to_string()
        } else {
            recent.clone()
        };
        db.sql(&format!(
            "INSERT INTO sessions (token, user_id, created_at, expires_at, last_seen_at)
             SELECT '{token}', id, '{seen}', '{expires}', '{seen}' FROM users WHERE email = 'owner@acme.test'"
        ))
        .await
        .unwrap();
    }
    let service = billing_server::Service::new(
        db.clone(),
        billing_server::Live::default(),
        Default::default(),
    );
    let purged = service
        .purge(Duration::from_secs(90 * 24 * 60 * 60))
        .await
        .unwrap();
    assert_eq!((purged.sessions, purged.deliveries), (1, 1));
    let ids = db.sql("SELECT id FROM outbox ORDER BY id").await.unwrap();
    assert_eq!(ids, ["1002", "1003"]);
    let attempts = db
        .number("SELECT COUNT(*) FROM delivery_attempts WHERE outbox_id = 1001")
        .await
        .unwrap();
    assert_eq!(attempts, 0, "its attempts went with it");
    assert_eq!(
        db.sql("SELECT token FROM sessions").await.unwrap(),
        ["live"],
        "the live session stays"
    );
}

/// Signs in `n` more members of Globex (sessions written as sign-in writes
/// them), each as a client holding its session cookie.
async fn members(s: &Server, n: usize) -> Vec<Client> {
    use sha2::Digest;
    let now = chrono::Utc::now();
    let at =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut clients = Vec::new();
    for i in 0..n {
        let email = format!("viewer{i}@acme.test");
        s.db.sql(&format!("INSERT INTO users (email) VALUES ('{email}')"))
            .await
            .unwrap();
        s.db.sql(&format!(
            "INSERT INTO memberships (workspace_id, user_id, role)
             SELECT w.id, u.id, 'member' FROM workspaces w, users u
              WHERE w.slug = 'globex' AND u.email = '{email}'"
        ))
        .await
        .unwrap();
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let hash = format!("{:x}", sha2::Sha256::digest(token.as_bytes()));
        s.db.sql(&format!(
            "INSERT INTO sessions (token, user_id, created_at, expires_at, last_seen_at)
             SELECT '{hash}', id, '{}', '{}', '{}' FROM users WHERE email = '{email}'",
            at(now),
            at(now + chrono::Duration::days(1)),
            at(now)
        ))
        .await
        .unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "cookie",
            format!("billing_session={token}").parse().unwrap(),
        );
        clients.push(Client::builder().default_headers(headers).build().unwrap());
    }
    clients
}

#[tokio::test]
async fn metering_is_not_starved_by_two_hundred_open_streams() {
    let s = start().await;
    let people = members(&s, 25).await;
    let url = s.url("/api/workspaces/globex/billing/events");
    let mut streams = Vec::new();
    for person in &people {
        for _ in 0..8 {
            streams.push(Events::open(person, &url).await);
        }
    }
    assert_eq!(streams.len(), 200);
    // Every stream reads the state again after each change: metering meanwhile.
    let started = Instant::now();
    let jobs: Vec<_> = (0..40)
        .map(|worker| {
            let base = s.base.clone();
            tokio::spawn(async move {
                let client = Client::new();
                let mut failed = Vec::new();
                for i in 0..10 {
                    let r = client
                        .post(format!("{base}/api/workspaces/globex/usage"))
                        .bearer_auth("secret-token")
                        .json(&json!({"credits": "0.5", "idempotency_key": format!("load-{worker}-{i}")}))
                        .send()
                        .await
                        .unwrap();
                    if r.status().is_server_error() {
                        failed.push(r.status());
                    }
                }
                failed
            })
        })
        .collect();
    let mut failed = Vec::new();
    for j in jobs {
        failed.extend(j.await.unwrap());
    }
    let took = started.elapsed();
    assert!(
        failed.is_empty(),
        "metering failed under streams: {failed:?}"
    );
    figure(
        "metering 5xx with 200 streams open (400 records)",
        failed.len(),
    );
    figure(
        "400 usage records with 200 streams open took (ms)",
        took.as_millis(),
    );
    // The streams saw it: the last state each holds is the one after all 400.
    let mut last = streams.pop().unwrap();
    let mut seen = Value::Null;
    while let Ok(Some(e)) = last.next(Duration::from_secs(2)).await {
        seen = e.data["usage"]["included_used"].clone();
    }
    let seen: rust_decimal::Decimal = seen.as_str().unwrap().parse().unwrap();
    assert_eq!(
        seen,
        rust_decimal::Decimal::from(200),
        "the streams kept up"
    );
}
