//! The server as a process: killed outright, it loses no acknowledged write;
//! stopped with SIGTERM, it finishes and exits 0; `--demo` and the metering
//! token refuse unsafe starts with a clear message.

mod common;

use common::process::{free_port, spawn, Process, BIN};
use common::{figure, fresh_db, open, INITECH, OWNER};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

fn signal(p: &Process, sig: i32) {
    let pid = p.child.id() as i32;
    // SAFETY: sends a signal to our own child process.
    assert_eq!(unsafe { libc_kill(pid, sig) }, 0);
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

async fn meter(base: &str, key: &str) -> StatusCode {
    Client::new()
        .post(format!("{base}/api/workspaces/globex/usage"))
        .bearer_auth(billing_server::demo::DEMO_METERING_TOKEN)
        .json(&json!({"credits": "1.5", "idempotency_key": key}))
        .send()
        .await
        .map(|r| r.status())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
}

#[tokio::test]
async fn killed_outright_it_keeps_every_acknowledged_write_and_session() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let port = free_port();
    let server = spawn(&db, port).await;
    let owner = Client::builder().cookie_store(true).build().unwrap();
    let r = owner
        .get(format!(
            "{}/api/dev/login?email=owner%40acme.test&next=/api/session",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Usage from 32 clients and a cap change; the server is killed the moment they are answered.
    let writes: Vec<_> = (0..32)
        .map(|i| {
            let base = server.base.clone();
            tokio::spawn(async move { meter(&base, &format!("kill-{i}")).await })
        })
        .collect();
    let cap = owner
        .put(format!("{}/api/workspaces/globex/flex/cap", server.base))
        .json(&json!({"cap": "777"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cap.status(), StatusCode::OK);
    let mut acknowledged = 0;
    for w in writes {
        if w.await.unwrap() == StatusCode::OK {
            acknowledged += 1;
        }
    }
    signal(&server, SIGKILL);
    drop(server);

    let server = spawn(&db, port).await;
    let (status, b): (StatusCode, Value) = {
        let r = owner
            .get(format!("{}/api/workspaces/globex/billing", server.base))
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK, "the session survived the kill");
    assert_eq!(b["viewer"]["email"], OWNER);
    assert_eq!(
        b["flex"]["cap"], "777.00",
        "the acknowledged cap change survived"
    );
    let used: f64 = b["usage"]["included_used"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        used,
        1.5 * acknowledged as f64,
        "every acknowledged record survived"
    );
    figure("writes acknowledged before SIGKILL", acknowledged + 1);
    figure("acknowledged writes lost across SIGKILL", 0);
}

#[tokio::test]
async fn sigterm_finishes_what_is_in_flight_and_exits_zero() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let mut server = spawn(&db, free_port()).await;
    // A request half sent when the signal arrives: its headers and half its body.
    let body = r#"{"credits": "2", "idempotency_key": "in-flight"}"#;
    let (head, tail) = body.split_at(body.len() / 2);
    let mut conn = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = format!(
        "POST /api/workspaces/globex/usage HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        billing_server::demo::DEMO_METERING_TOKEN,
        body.len()
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    // The server has the request once it answers a later one on another connection.
    assert_eq!(meter(&server.base, "before-term").await, StatusCode::OK);
    signal(&server, SIGTERM);
    conn.write_all(tail.as_bytes()).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the request in flight was finished: {answer}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}");
    let records = open(&db)
        .await
        .number("SELECT COUNT(*) FROM usage_events")
        .await
        .unwrap();
    assert_eq!(records, 2, "both answered records are stored");
}

/// Runs the server with `args`, expecting it to refuse to start; answers what it said.
fn refused(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run the server");
    assert!(!out.status.success(), "{args:?} started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn demo_and_the_metering_token_refuse_unsafe_starts() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let db = db.as_str();
    let said = refused(&["--demo", "--db", db, "--addr", "0.0.0.0:0"]);
    assert!(said.contains("loopback"), "{said}");

    let store = open(db).await;
    store.seed_demo_if_empty().await.unwrap();
    store.sql(INITECH).await.unwrap();
    drop(store);
    let said = refused(&["--demo", "--db", db, "--addr", "127.0.0.1:0"]);
    assert!(
        said.contains("initech") && said.contains("did not seed"),
        "{said}"
    );

    let other = dir.path().join("other.sqlite3");
    let other = other.to_str().unwrap();
    let said = refused(&[
        "--db",
        other,
        "--addr",
        "127.0.0.1:0",
        "--metering-token",
        "short",
    ]);
    assert!(said.contains("at least 32"), "{said}");
    let file = dir.path().join("token");
    std::fs::write(&file, "too-short\n").unwrap();
    let said = refused(&[
        "--db",
        other,
        "--addr",
        "127.0.0.1:0",
        "--metering-token-file",
        file.to_str().unwrap(),
    ]);
    assert!(said.contains("at least 32"), "{said}");
    figure("unsafe starts refused", 4);
}
