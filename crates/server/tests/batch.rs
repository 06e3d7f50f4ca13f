//! Batch metering (`POST /api/usage/batch`) and group commit: each record on
//! its own and in order, exact at the cap, idempotent, durable before the
//! answer; a malformed batch records nothing. On SQLite under scripts/test.sh's
//! first run, on PostgreSQL under its second.

mod common;

use common::process::{free_port, spawn, Process};
use common::{figure, fresh_db, open, send, state_of, Server, BULK};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn record(ws: &str, credits: &str, key: &str) -> Value {
    json!({"workspace": ws, "credits": credits, "idempotency_key": key})
}

async fn batch_at(base: &str, token: &str, records: Vec<Value>) -> (StatusCode, Value) {
    send(
        Client::new()
            .post(format!("{base}/api/usage/batch"))
            .bearer_auth(token)
            .json(&json!({ "records": records })),
    )
    .await
}

async fn batch(s: &Server, records: Vec<Value>) -> (StatusCode, Value) {
    batch_at(&s.base, "secret-token", records).await
}

fn statuses(body: &Value) -> Vec<(u64, Option<&str>)> {
    body["results"]
        .as_array()
        .unwrap_or_else(|| panic!("results in {body}"))
        .iter()
        .map(|r| (r["status"].as_u64().unwrap(), r["code"].as_str()))
        .collect()
}

#[tokio::test]
async fn a_batch_records_each_record_in_order_all_or_nothing_exact_at_the_cap() {
    let s = common::start().await;
    // Globex: 360 included credits, then flex at $4.00 within the $1,200.00 cap (300 credits).
    let (status, body) = batch(
        &s,
        vec![
            record("globex", "360", "inc"),
            record("globex", "200", "a"), // $800.00
            record("globex", "150", "b"), // would be $1,400.00
            record("globex", "100", "c"), // $1,200.00: exactly the cap
            record("nope", "1", "z"),
            record("globex", "3", "a"),   // the key of another amount
            record("globex", "200", "a"), // a retry of the second record
            json!({"workspace": "acme", "credits": "1", "idempotency_key": "x", "feature": "training"}),
            record("globex", "0.0001", "d"), // not a cent left
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        statuses(&body),
        vec![
            (200, None),
            (200, None),
            (402, Some("flex_cap_reached")),
            (200, None),
            (404, Some("workspace_not_found")),
            (409, Some("idempotency_conflict")),
            (200, None),
            (200, None),
            (402, Some("flex_cap_reached")),
        ]
    );
    assert_eq!(
        body["results"][0],
        json!({"status": 200}),
        "a recorded record's result is its status alone"
    );
    let globex = "(SELECT id FROM workspaces WHERE slug = 'globex')";
    let keys =
        s.db.sql(&format!(
            "SELECT idempotency_key FROM usage_events WHERE workspace_id = {globex} ORDER BY id"
        ))
        .await
        .unwrap();
    assert_eq!(keys, ["inc", "a", "c"], "refused records left nothing");
    let billed =
        s.db.number(&format!(
            "SELECT SUM(flex_cost_cents) FROM usage_events WHERE workspace_id = {globex}"
        ))
        .await
        .unwrap();
    assert_eq!(billed, 120_000, "exactly the cap, not a cent over");
    let state = state_of(&s, "globex").await;
    assert_eq!(state["usage"]["flex_spend"], "1200.00");
    assert_eq!(
        state["usage"]["blocked"], true,
        "the refusal at the cap is kept"
    );
    let acme = state_of(&s, "acme").await;
    let features = acme["usage"]["by_feature"].as_array().unwrap();
    assert!(
        features.iter().any(|f| f["feature"] == "training"),
        "{features:?}"
    );

    // The same batch again: every record replays or is refused as before; nothing new.
    let (_, again) = batch(
        &s,
        vec![record("globex", "200", "a"), record("globex", "100", "c")],
    )
    .await;
    assert_eq!(statuses(&again), vec![(200, None), (200, None)]);
    let records =
        s.db.number("SELECT COUNT(*) FROM usage_events")
            .await
            .unwrap();
    assert_eq!(records, 4, "three for Globex, one for Acme");
}

#[tokio::test]
async fn a_malformed_batch_is_refused_whole_and_records_nothing() {
    let s = common::start().await;
    let records = || async {
        s.db.number("SELECT COUNT(*) FROM usage_events")
            .await
            .unwrap()
    };
    let before = records().await;
    let post = |body: String, token: &'static str| {
        let base = s.base.clone();
        async move {
            send(
                Client::new()
                    .post(format!("{base}/api/usage/batch"))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await
        }
    };
    let ok = |i: usize| record("acme", "1", &format!("k-{i}"));
    let code = |b: &Value| b["error"]["code"].as_str().unwrap_or_default().to_string();

    let (status, body) = post("{\"records\": [".into(), "secret-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
    let (status, body) = post(json!({"records": []}).to_string(), "secret-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_batch".into())
    );
    let over: Vec<Value> = (0..1001).map(ok).collect();
    let (status, body) = post(json!({ "records": over }).to_string(), "secret-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_batch".into())
    );
    let mut bad: Vec<Value> = (0..6).map(ok).collect();
    bad[5]["credits"] = json!("0");
    let (status, body) = post(json!({ "records": bad }).to_string(), "secret-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_credits".into())
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("records[5]:"),
        "{body}"
    );
    let mut bad: Vec<Value> = (0..3).map(ok).collect();
    bad[1]["workspace"] = json!("Acme");
    let (status, body) = post(json!({ "records": bad }).to_string(), "secret-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_slug".into())
    );
    let mut bad: Vec<Value> = (0..3).map(ok).collect();
    bad[2]["region"] = json!("eu");
    let (status, body) = post(json!({ "records": bad }).to_string(), "secret-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_field".into())
    );
    let mut bad: Vec<Value> = (0..3).map(ok).collect();
    bad[0]["credits"] = json!(2.5);
    let (status, body) = post(json!({ "records": bad }).to_string(), "secret-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
    let (status, body) = post(json!({ "records": [ok(0)] }).to_string(), "not-the-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_metering_token".into())
    );
    let huge = format!(
        "{{\"records\": [{{\"workspace\": \"acme\", \"credits\": \"1\", \"idempotency_key\": \"{}\"}}]}}",
        "k".repeat(1100 * 1024)
    );
    let (status, body) = post(huge, "secret-token").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    assert_eq!(
        records().await,
        before,
        "nothing of any refused batch was recorded"
    );

    // The larger limit is this route's alone: a full batch (over 100 KB) is
    // taken, a single record over 4 KiB is not.
    let full: Vec<Value> = (0..1000)
        .map(|i| record("bulk-less", "1", &format!("{:0>100}", i)))
        .collect();
    let body = json!({ "records": full }).to_string();
    assert!(body.len() > 100_000);
    let (status, answer) = post(body, "secret-token").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["results"].as_array().unwrap().len(), 1000);
    assert_eq!(answer["results"][999]["code"], "workspace_not_found");
    let (status, _) = send(
        Client::new()
            .post(s.url("/api/workspaces/acme/usage"))
            .bearer_auth("secret-token")
            .json(&json!({"credits": "1", "idempotency_key": "k".repeat(5000)})),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn sixty_four_clients_at_the_cap_on_two_servers_with_batches_and_single_records() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let (a, b) = tokio::join!(spawn(&db, free_port()), spawn(&db, free_port()));
    let servers = Arc::new([a, b]);
    let token = billing_server::demo::DEMO_METERING_TOKEN;
    let (status, _) = batch_at(
        &servers[0].base,
        token,
        vec![record("globex", "360", "included")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // 32 clients send one record of 7 credits, 32 a batch of three: 128
    // records of $28.00 where the cap leaves room for 42 ($1,176.00).
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let servers = servers.clone();
            tokio::spawn(async move {
                let base = &servers[i % 2].base;
                if i % 4 < 2 {
                    let (status, body) = send(
                        Client::new()
                            .post(format!("{base}/api/workspaces/globex/usage"))
                            .bearer_auth(token)
                            .json(&json!({"credits": "7", "idempotency_key": format!("one-{i}")})),
                    )
                    .await;
                    vec![match status {
                        StatusCode::OK => 200,
                        StatusCode::PAYMENT_REQUIRED => {
                            assert_eq!(body["error"]["code"], "flex_cap_reached");
                            402
                        }
                        other => panic!("unexpected {other}: {body}"),
                    }]
                } else {
                    let records = (0..3)
                        .map(|j| record("globex", "7", &format!("batch-{i}-{j}")))
                        .collect();
                    let (status, body) = batch_at(base, token, records).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    statuses(&body)
                        .into_iter()
                        .map(|(status, code)| {
                            assert!(status == 200 || code == Some("flex_cap_reached"), "{body}");
                            status
                        })
                        .collect()
                }
            })
        })
        .collect();
    let mut answered = Vec::new();
    for c in clients {
        answered.extend(c.await.unwrap());
    }
    assert_eq!(answered.len(), 128);
    let accepted = answered.iter().filter(|s| **s == 200).count();
    assert_eq!(accepted, 42, "exactly the room");
    let store = open(&db).await;
    let billed = common::billed_cents(&store).await;
    assert_eq!(billed, 117_600, "not one cent over the $1,200.00 cap");
    figure(
        "records accepted at the cap, 64 clients with batches on two servers (exactly the room: 42)",
        accepted,
    );
}

#[tokio::test]
async fn a_kill_mid_batch_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let server = spawn(&db, free_port()).await;
    let store = open(&db).await;
    store.sql(BULK).await.unwrap();
    let base = server.base.clone();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent = Arc::new(Mutex::new(Vec::<Vec<String>>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (base, acknowledged, sent, stop) = (
                base.clone(),
                acknowledged.clone(),
                sent.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let client = Client::new();
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let keys: Vec<String> = (0..250).map(|i| format!("c{c}-{n}-{i}")).collect();
                    sent.lock().unwrap().push(keys.clone());
                    let records: Vec<Value> =
                        keys.iter().map(|k| record("bulk", "0.5", k)).collect();
                    let answer = client
                        .post(format!("{base}/api/usage/batch"))
                        .bearer_auth(billing_server::demo::DEMO_METERING_TOKEN)
                        .json(&json!({ "records": records }))
                        .send()
                        .await;
                    let Ok(answer) = answer else { break };
                    let Ok(body) = answer.json::<Value>().await else {
                        break;
                    };
                    for (key, (status, _)) in keys.iter().zip(statuses(&body)) {
                        assert_eq!(status, 200, "{body}");
                        acknowledged.lock().unwrap().push(key.clone());
                    }
                }
            })
        })
        .collect();
    // Killed outright while batches are in flight, once 5,000 records are acknowledged.
    common::eventually("5,000 acknowledged records", || {
        let acknowledged = acknowledged.clone();
        async move { (acknowledged.lock().unwrap().len() >= 5000).then_some(()) }
    })
    .await;
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let bulk = "(SELECT id FROM workspaces WHERE slug = 'bulk')";
    let stored: HashSet<String> = store
        .sql(&format!(
            "SELECT idempotency_key FROM usage_events WHERE workspace_id = {bulk}"
        ))
        .await
        .unwrap()
        .into_iter()
        .collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    let lost = acknowledged.iter().filter(|k| !stored.contains(*k)).count();
    assert_eq!(lost, 0, "every acknowledged record is stored");
    // A batch is all or nothing: wholly stored, or not at all.
    for keys in sent.lock().unwrap().iter() {
        let kept = keys.iter().filter(|k| stored.contains(*k)).count();
        assert!(
            kept == 0 || kept == keys.len(),
            "{kept} of a batch of {}",
            keys.len()
        );
    }
    let summed = store
        .number(&format!(
            "SELECT SUM(included_e4) FROM usage_events WHERE workspace_id = {bulk}"
        ))
        .await
        .unwrap();
    let total = store
        .number(&format!(
            "SELECT SUM(included_e4) FROM cycle_totals WHERE workspace_id = {bulk}"
        ))
        .await
        .unwrap();
    assert_eq!(
        total, summed,
        "the running total is the sum of the records kept"
    );
    assert_eq!(summed, stored.len() as i64 * 5_000, "0.5 credits each");
    figure("acknowledged batch records lost to a SIGKILL", lost);
    figure(
        "batch records acknowledged before the SIGKILL",
        acknowledged.len(),
    );
    drop::<Process>(server);
}
