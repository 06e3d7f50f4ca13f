//! Statements: when a billing cycle ends (moved by the demo's clock file),
//! exactly one statement per workspace and cycle, whether the closer or the
//! first write after the end gets there first; through the pull API, the
//! members' list and the workspace's webhook.

mod common;

use common::receiver::{verify, Receiver};
use common::{send, start_config, Server, OWNER};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const PLATFORM_TOKEN: &str = "statements-test-platform-token-0123456789";

/// What the platform's charging job reads after `after`.
async fn pulled(s: &Server, after: i64) -> Value {
    let (status, body) = send(
        Client::new()
            .get(s.url(&format!("/api/platform/statements?after={after}")))
            .bearer_auth(PLATFORM_TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The pulled statements of `ws`.
fn of<'a>(page: &'a Value, ws: &str) -> Vec<&'a Value> {
    page["statements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["workspace"] == ws)
        .collect()
}

/// The body of a GET of `url` by `client`.
async fn text_of(client: &Client, url: impl reqwest::IntoUrl) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// The demo owner, signed in at the server at `base`.
async fn owner_at(base: &str) -> Client {
    let owner = Client::builder().cookie_store(true).build().unwrap();
    let signed_in = owner
        .get(format!(
            "{base}/api/dev/login?email=owner%40acme.test&next=/api/session"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    owner
}

/// Waits until the closer (or a record) gave every workspace its open cycle,
/// so a move of the clock ends a cycle each knows.
async fn every_cycle_open(db: &billing_server::Db) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while db
        .number("SELECT COUNT(*) FROM workspaces WHERE open_cycle_end IS NULL")
        .await
        .unwrap()
        > 0
    {
        assert!(std::time::Instant::now() < deadline, "every cycle opened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls the pull API until `ws` has `n` statements (panics after 10 s).
async fn wait_for(s: &Server, ws: &str, n: usize) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = pulled(s, 0).await;
        if of(&page, ws).len() >= n {
            return page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{ws}'s statement: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_ended_cycle_has_exactly_one_statement_pulled_listed_and_sent() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("now");
    std::fs::write(&clock, "2026-12-15T12:00:00Z").unwrap();
    // The platform's billing webhook: plain http on this machine, allowed
    // for the operator's address (not for owners' without the flag).
    let platform = Receiver::start(0).await;
    let platform_secret = billing_server::deliver::new_secret();
    let s = start_config(billing_server::Config {
        demo: true,
        clock_file: Some(clock.clone()),
        platform_token: Some(PLATFORM_TOKEN.into()),
        allow_http_webhooks: true,
        platform_webhook: Some(
            billing_server::deliver::PlatformWebhook::new(&platform.url, &platform_secret).unwrap(),
        ),
        ..Default::default()
    })
    .await;
    // Acme (monthly): Flex Billing on ($100 cap), a webhook, usage by feature.
    let owner = s.signed_in(OWNER).await;
    let (status, _) = send(
        owner
            .post(s.url("/api/workspaces/acme/flex/enable"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let receiver = Receiver::start(0).await;
    let (status, _) = send(
        owner
            .put(s.url("/api/workspaces/acme/webhook"))
            .json(&json!({ "url": receiver.url })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // 30 included, 10 prepaid, then 5 flex credits at $4.00 ($20.00).
    assert_eq!(
        s.meter_for("acme", "training", "35", "dec-1").await.0,
        StatusCode::OK
    );
    assert_eq!(
        s.meter_for("acme", "inference", "10", "dec-2").await.0,
        StatusCode::OK
    );
    // Every workspace has its open cycle before time moves.
    every_cycle_open(&s.db).await;
    assert!(
        of(&pulled(&s, 0).await, "acme").is_empty(),
        "nothing ended yet"
    );

    // December ends: the closer writes its statement.
    std::fs::write(&clock, "2027-01-02T00:00:00Z").unwrap();
    let page = wait_for(&s, "acme", 1).await;
    let statement = of(&page, "acme")[0].clone();
    assert_eq!(
        statement["cycle"],
        json!({"start": "2026-12-01", "end": "2027-01-01"})
    );
    assert_eq!(
        (
            &statement["included_used"],
            &statement["prepaid_used"],
            &statement["flex_credits"],
            &statement["flex_amount"],
            &statement["cap"],
        ),
        (
            &json!("30"),
            &json!("10"),
            &json!("5"),
            &json!("20.00"),
            &json!("100.00")
        ),
        "{statement}"
    );
    let features: Vec<_> = statement["by_feature"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["feature"].as_str().unwrap(),
                f["flex_spend"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        features,
        [("inference", "20.00"), ("training", "0.00")],
        "{statement}"
    );
    // A cycle without Flex Usage gets one too.
    let initech = wait_for(&s, "initech", 1).await;
    assert_eq!(of(&initech, "initech")[0]["flex_amount"], "0.00");

    // The webhook has it once, and the members' list shows the same.
    let hooks = receiver.wait_for(1, Duration::from_secs(10)).await;
    let closed: Vec<Value> = hooks
        .iter()
        .map(|h| serde_json::from_str::<Value>(&h.body).unwrap())
        .filter(|b| b["type"] == "flex.cycle_closed")
        .collect();
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert_eq!(closed[0]["data"]["statement"], statement);
    // The platform's webhook has one statement a workspace, signed with its secret.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let charged = loop {
        let charged: Vec<Value> = platform
            .hooks()
            .iter()
            .map(|h| verify(h, &platform_secret))
            .collect();
        if charged.len() >= 2 {
            break charged;
        }
        assert!(std::time::Instant::now() < deadline, "{charged:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut workspaces: Vec<&str> = charged
        .iter()
        .map(|b| {
            assert_eq!(b["type"], "flex.cycle_closed");
            b["data"]["workspace"].as_str().unwrap()
        })
        .collect();
    workspaces.sort();
    assert_eq!(workspaces, ["acme", "initech"]);
    let to_charge = charged
        .iter()
        .find(|b| b["data"]["workspace"] == "acme")
        .unwrap();
    assert_eq!(to_charge["data"]["statement"], statement);
    let owner = s.signed_in(OWNER).await; // the session lapsed over the holidays
                                          // The owners' delivery log shows their webhook's, not the platform's.
    let (_, log) = send(owner.get(s.url("/api/workspaces/acme/deliveries"))).await;
    let targets: Vec<&str> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, [receiver.url.as_str()], "{log}");
    let (status, listed) = send(owner.get(s.url("/api/workspaces/acme/statements"))).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["statements"], json!([statement]));
    assert_eq!(listed["next"], Value::Null);

    // The cursor: after the last, nothing new, and it stays put.
    let last = initech["next"].as_i64().unwrap();
    let again = pulled(&s, last).await;
    assert_eq!(
        (
            again["statements"].as_array().unwrap().len(),
            again["next"].as_i64()
        ),
        (0, Some(last))
    );

    // January ends, and a record comes in at once: its write closes January
    // in the same transaction, whether or not the closer has come by.
    std::fs::write(&clock, "2027-02-01T00:00:01Z").unwrap();
    assert_eq!(s.meter("acme", "1", "feb-1").await.0, StatusCode::OK);
    let page = pulled(&s, 0).await;
    let acme = of(&page, "acme");
    assert_eq!(acme.len(), 2, "{page}");
    assert_eq!(
        acme[1]["cycle"],
        json!({"start": "2027-01-01", "end": "2027-02-01"})
    );
    assert_eq!(acme[1]["flex_amount"], "0.00");

    // The owner's download lists both, newest first.
    let owner = s.signed_in(OWNER).await;
    let text = text_of(&owner, s.url("/api/workspaces/acme/statements.csv")).await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains(",2027-01-01,2027-02-01,") && lines[1].contains(",0.00,100.00,"),
        "{text}"
    );
    assert!(
        lines[2].contains(",2026-12-01,2027-01-01,30,10,5,20.00,100.00,"),
        "{text}"
    );

    // However many passes the closers make, still one a cycle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(of(&pulled(&s, 0).await, "acme").len(), 2);
    // Each statement reached the platform exactly once.
    let mut sent: Vec<i64> = platform
        .hooks()
        .iter()
        .map(|h| {
            verify(h, &platform_secret)["data"]["statement"]["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    sent.sort();
    let all: Vec<i64> = pulled(&s, 0).await["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["id"].as_i64().unwrap())
        .collect();
    assert_eq!(sent, all, "every statement, once each");
    assert_eq!(all.len(), 4, "December and January of acme and initech");
    assert_eq!(
        s.db.number("SELECT COUNT(*) FROM statements")
            .await
            .unwrap(),
        s.db.number("SELECT COUNT(DISTINCT workspace_id || '/' || cycle_start) FROM statements")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn statements_are_for_members_and_the_platform_only() {
    let s = start_config(billing_server::Config {
        demo: true,
        platform_token: Some(PLATFORM_TOKEN.into()),
        ..Default::default()
    })
    .await;
    let (status, body) = send(Client::new().get(s.url("/api/platform/statements"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_platform_token"))
    );
    let (status, _) = send(Client::new().get(s.url("/api/workspaces/acme/statements"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let owner = s.signed_in(OWNER).await;
    let (status, _) = send(owner.get(s.url("/api/workspaces/initech/statements"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a member");
    let (status, body) = send(owner.get(s.url("/api/workspaces/acme/statements?limit=x"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

/// How many statements `ws` has for the cycle that starts on `start`, and
/// how many `flex.cycle_closed` events wait in (or left) its outbox.
async fn written(db: &billing_server::Db, ws: &str, start: &str) -> (i64, i64) {
    let statements = db
        .number(&format!(
            "SELECT COUNT(*) FROM statements s JOIN workspaces w ON w.id = s.workspace_id
              WHERE w.slug = '{ws}' AND s.cycle_start = '{start}'"
        ))
        .await
        .unwrap();
    let events = db
        .number(&format!(
            "SELECT COUNT(*) FROM outbox o JOIN workspaces w ON w.id = o.workspace_id
              WHERE w.slug = '{ws}' AND o.event_type = 'flex.cycle_closed'"
        ))
        .await
        .unwrap();
    (statements, events)
}

#[tokio::test]
async fn a_kill_as_the_cycle_ends_and_a_second_server_still_make_one_statement() {
    use common::process::{free_port, spawn_with};
    let dir = tempfile::tempdir().unwrap();
    let db = common::fresh_db(dir.path()).await;
    let clock = dir.path().join("now");
    std::fs::write(&clock, "2026-12-15T12:00:00Z").unwrap();
    let platform = Receiver::start(0).await;
    let platform_secret = billing_server::deliver::new_secret();
    let secret_file = dir.path().join("platform-webhook-secret");
    std::fs::write(&secret_file, &platform_secret).unwrap();
    let flags = [
        "--clock-file",
        clock.to_str().unwrap(),
        "--platform-webhook-url",
        &platform.url,
        "--platform-webhook-secret-file",
        secret_file.to_str().unwrap(),
    ];
    let first = spawn_with(&db, free_port(), &flags).await;
    // On PostgreSQL a second server shares the database (and the clock).
    let second = if common::on_postgres() {
        Some(spawn_with(&db, free_port(), &flags).await)
    } else {
        None
    };
    let owner = owner_at(&first.base).await;
    let receiver = Receiver::start(0).await;
    let (status, _) = send(
        owner
            .put(format!("{}/api/workspaces/acme/webhook", first.base))
            .json(&json!({ "url": receiver.url })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let store = common::open(&db).await;
    every_cycle_open(&store).await;

    // December ends, and the first server is killed outright at once:
    // mid-pass, before it, or after.
    std::fs::write(&clock, "2027-01-02T00:00:00Z").unwrap();
    let mut first = first;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    // The second server (or the first, started again) closes what is left.
    let running = match second {
        Some(second) => second,
        None => spawn_with(&db, free_port(), &flags).await,
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while written(&store, "acme", "2026-12-01").await != (1, 2) {
        assert!(
            std::time::Instant::now() < deadline,
            "acme's December statement"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hooks = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        serde_json::from_str::<Value>(&hooks[0].body).unwrap()["type"],
        "flex.cycle_closed"
    );
    // The owner's download from the server still running says the same
    // (signed in again: the holidays outlasted the session).
    let owner = owner_at(&running.base).await;
    let text = text_of(
        &owner,
        format!("{}/api/workspaces/acme/statements.csv", running.base),
    )
    .await;
    let december: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(",2026-12-01,2027-01-01,"))
        .collect();
    assert_eq!(december.len(), 1, "{text}");
    // Given passes of the closer(s) for a duplicate to show up, none does.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        written(&store, "acme", "2026-12-01").await,
        (1, 2),
        "the workspace's and the platform's"
    );
    assert_eq!(receiver.hooks().len(), 1, "delivered once");
    let charged: Vec<Value> = platform
        .wait_for(1, Duration::from_secs(10))
        .await
        .iter()
        .map(|h| verify(h, &platform_secret))
        .filter(|b| b["data"]["workspace"] == "acme")
        .collect();
    assert_eq!(
        charged.len(),
        1,
        "the platform charges acme's December once: {charged:?}"
    );
    common::figure("statements per workspace and cycle after a kill", 1);
}

#[tokio::test]
async fn the_usage_csv_streams_every_record_of_the_cycle_a_page_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("now");
    std::fs::write(&clock, "2026-12-15T12:00:00Z").unwrap();
    let s = start_config(billing_server::Config {
        demo: true,
        clock_file: Some(clock),
        ..Default::default()
    })
    .await;
    // 12,345 records written straight into December (more than two pages),
    // then one through the API whose key would be a spreadsheet formula.
    s.db.sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12345)
         INSERT INTO usage_events (workspace_id, idempotency_key, cycle_start, credits_e4, included_e4,
                                   prepaid_e4, flex_e4, flex_cost_cents, recorded_at, feature)
         SELECT w.id, 'bulk-' || n.i, '2026-12-01', 10000, 10000, 0, 0, 0, '2026-12-10T00:00:00Z', 'training'
           FROM n, workspaces w WHERE w.slug = 'acme'",
    )
    .await
    .unwrap();
    let (status, body) = s
        .meter_for("acme", "inference", "2.5", "=HYPERLINK(\"x\")")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let owner = s.signed_in(OWNER).await;
    let r = owner
        .get(s.url("/api/workspaces/acme/usage.csv?cycle=2026-12-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"acme-usage-2026-12-01.csv\""
    );
    let text = r.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "recorded_at",
            "credits",
            "feature",
            "idempotency_key",
            "included",
            "prepaid",
            "flex_credits",
            "flex_cost"
        ]
    );
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 12_346);
    let keys: Vec<&str> = records.iter().map(|r| &r[3]).collect();
    assert_eq!(
        (keys[0], keys[12_344]),
        ("bulk-1", "bulk-12345"),
        "in the order they came"
    );
    let last = &records[12_345];
    assert_eq!(
        last.iter().skip(1).collect::<Vec<_>>(),
        [
            "2.5",
            "inference",
            "'=HYPERLINK(\"x\")",
            "2.5",
            "0",
            "0",
            "0.00"
        ],
        "a key that would be a formula is text"
    );
    assert_eq!(
        &last[0], "2026-12-15T12:00:00Z",
        "recorded by the server's clock"
    );

    // Without `cycle`: the current one; another cycle: just the header.
    let current = text_of(&owner, s.url("/api/workspaces/acme/usage.csv")).await;
    assert_eq!(current.lines().count(), 12_347);
    let november = text_of(
        &owner,
        s.url("/api/workspaces/acme/usage.csv?cycle=2026-11-01"),
    )
    .await;
    assert_eq!(november.lines().count(), 1);

    // Members read the card but download nothing; a bad cycle is a 400.
    let member = s.signed_in(common::MEMBER).await;
    for path in ["usage.csv", "statements.csv"] {
        let (status, body) = send(member.get(s.url(&format!("/api/workspaces/acme/{path}")))).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{path}"
        );
    }
    let (status, _) = send(owner.get(s.url("/api/workspaces/acme/usage.csv?cycle=december"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let statements = owner
        .get(s.url("/api/workspaces/acme/statements.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(statements.status(), StatusCode::OK);
    assert_eq!(
        statements.text().await.unwrap(),
        "id,cycle_start,cycle_end,included_used,prepaid_used,flex_credits,flex_amount,cap,closed_at\n",
        "no cycle has ended yet"
    );
}
