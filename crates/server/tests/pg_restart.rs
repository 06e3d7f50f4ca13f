//! PostgreSQL stopped and started again (`pg_ctl stop -m fast`, then start)
//! while 64 clients meter through two servers: while it is down every answer
//! is 503 `store_unavailable` with `Retry-After` within 5 s, never a 200 that
//! was not committed; the servers reconnect by themselves; every acknowledged
//! record is there afterwards. Runs under scripts/test.sh's PostgreSQL run
//! (`BILLING_TEST_POSTGRES_DIR`), in a binary of its own so that no other
//! test shares the cluster meanwhile.

mod common;

use common::process::{free_port, spawn};
use common::{figure, fresh_db, open, BULK};
use reqwest::{Client, StatusCode};
use serde_json::json;
use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn cluster(action: &str, dir: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres.sh");
    let status = Command::new("bash")
        .args([script, action, dir])
        .status()
        .expect("run scripts/postgres.sh");
    assert!(status.success(), "postgres.sh {action}");
}

#[derive(Default)]
struct Seen {
    /// Keys answered 200.
    acknowledged: Vec<String>,
    /// Answers 503 `store_unavailable` with `Retry-After`, and when.
    unavailable: Vec<Instant>,
    /// Answers 200, and when.
    ok_at: Vec<Instant>,
    /// The slowest answer.
    slowest: Duration,
    /// Anything else, in words.
    unexpected: Vec<String>,
}

#[tokio::test]
async fn postgres_restarted_under_load_answers_503_reconnects_and_loses_nothing() {
    let Ok(cluster_dir) = std::env::var("BILLING_TEST_POSTGRES_DIR") else {
        eprintln!("BILLING_TEST_POSTGRES_DIR is not set: this test runs on PostgreSQL only");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let (a, b) = tokio::join!(spawn(&db, free_port()), spawn(&db, free_port()));
    let store = open(&db).await;
    store.sql(BULK).await.unwrap();
    drop(store);
    let bases = Arc::new([a.base.clone(), b.base.clone()]);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..64)
        .map(|c| {
            let (bases, seen, stop) = (bases.clone(), seen.clone(), stop.clone());
            tokio::spawn(async move {
                let client = Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let key = format!("c{c}-{n}");
                    let asked = Instant::now();
                    let answer = client
                        .post(format!("{}/api/workspaces/bulk/usage", bases[c % 2]))
                        .bearer_auth(billing_server::demo::DEMO_METERING_TOKEN)
                        .json(&json!({"credits": "1", "idempotency_key": key}))
                        .send()
                        .await;
                    let took = asked.elapsed();
                    let answer = match answer {
                        Ok(answer) => answer,
                        Err(e) => {
                            seen.lock()
                                .unwrap()
                                .unexpected
                                .push(format!("no answer: {e}"));
                            continue;
                        }
                    };
                    let status = answer.status();
                    let retry_after = answer.headers().contains_key("retry-after");
                    let body: serde_json::Value = answer.json().await.unwrap_or_default();
                    let back_off = {
                        let mut log = seen.lock().unwrap();
                        log.slowest = log.slowest.max(took);
                        match status {
                            StatusCode::OK => {
                                log.acknowledged.push(key);
                                log.ok_at.push(Instant::now());
                                false
                            }
                            StatusCode::SERVICE_UNAVAILABLE
                                if body["error"]["code"] == "store_unavailable" && retry_after =>
                            {
                                log.unavailable.push(Instant::now());
                                true
                            }
                            other => {
                                log.unexpected.push(format!("{other}: {body}"));
                                false
                            }
                        }
                    };
                    if back_off {
                        // As a client told to come back later would, a little sooner.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            })
        })
        .collect();
    let count = |f: fn(&Seen) -> usize| {
        let seen = seen.clone();
        move || {
            let n = f(&seen.lock().unwrap());
            async move { Some(n) }
        }
    };
    let acknowledged = count(|s| s.acknowledged.len());
    let unavailable = count(|s| s.unavailable.len());
    common::eventually("2,000 acknowledged records before the stop", || {
        let n = acknowledged();
        async move { n.await.filter(|n| *n >= 2000) }
    })
    .await;

    cluster("halt", &cluster_dir);
    let halted = Instant::now();
    common::eventually("answers 503 while PostgreSQL is down", || {
        let n = unavailable();
        async move { n.await.filter(|n| *n >= 64) }
    })
    .await;
    let ok_while_down = seen
        .lock()
        .unwrap()
        .ok_at
        .iter()
        .filter(|t| **t > halted + Duration::from_millis(500))
        .count();
    cluster("resume", &cluster_dir);
    let resumed = Instant::now();
    let before = acknowledged().await.unwrap();
    common::eventually("acknowledged records again after the start", || {
        let n = acknowledged();
        async move { n.await.filter(|n| *n >= before + 2000) }
    })
    .await;
    let back_after = seen
        .lock()
        .unwrap()
        .ok_at
        .iter()
        .find(|t| **t > resumed)
        .map(|t| t.duration_since(resumed));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.unexpected.is_empty(),
        "{:?}",
        &seen.unexpected[..seen.unexpected.len().min(5)]
    );
    assert!(
        seen.slowest < Duration::from_secs(5),
        "an answer took {:?}",
        seen.slowest
    );
    assert_eq!(ok_while_down, 0, "no 200 while PostgreSQL was down");
    let store = open(&db).await;
    let stored: HashSet<String> = store
        .sql("SELECT idempotency_key FROM usage_events")
        .await
        .unwrap()
        .into_iter()
        .collect();
    let lost = seen
        .acknowledged
        .iter()
        .filter(|k| !stored.contains(*k))
        .count();
    assert_eq!(lost, 0, "every acknowledged record is stored");
    let summed = store
        .number("SELECT SUM(included_e4) FROM usage_events")
        .await
        .unwrap();
    let total = store
        .number("SELECT SUM(included_e4) FROM cycle_totals")
        .await
        .unwrap();
    assert_eq!(total, summed, "the running total is the sum of the records");
    figure(
        "acknowledged records lost to a PostgreSQL restart under load",
        lost,
    );
    figure(
        "answers 503 store_unavailable while PostgreSQL was down",
        seen.unavailable.len(),
    );
    figure(
        "slowest answer through the PostgreSQL restart, ms",
        seen.slowest.as_millis(),
    );
    if let Some(back) = back_after {
        figure(
            "first record acknowledged after PostgreSQL started again, ms",
            back.as_millis(),
        );
    }
}
