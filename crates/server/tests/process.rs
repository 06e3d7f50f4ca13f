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

    // A clock that tests move: only for the demo.
    let clock = dir.path().join("now");
    std::fs::write(&clock, "2027-01-01T00:00:00Z").unwrap();
    let said = refused(&[
        "--db",
        other,
        "--addr",
        "127.0.0.1:0",
        "--clock-file",
        clock.to_str().unwrap(),
    ]);
    assert!(said.contains("--demo"), "{said}");

    // A bad SMTP URL stops the start rather than silencing email.
    let said = refused(&[
        "--demo",
        "--db",
        other,
        "--addr",
        "127.0.0.1:0",
        "--smtp-url",
        "smtp://user@mail.example.com",
    ]);
    assert!(said.contains("needs a password"), "{said}");

    // A platform webhook secret that cannot sign.
    let secret = dir.path().join("platform-secret");
    std::fs::write(&secret, "not-a-secret\n").unwrap();
    let said = refused(&[
        "--demo",
        "--db",
        other,
        "--addr",
        "127.0.0.1:0",
        "--platform-webhook-url",
        "http://10.0.0.5/billing",
        "--platform-webhook-secret-file",
        secret.to_str().unwrap(),
    ]);
    assert!(said.contains("whsec_"), "{said}");
    figure("unsafe starts refused", 7);
}

/// The server's resident memory, from /proc.
fn resident_kb(p: &Process) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", p.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test]
async fn streams_asked_for_unknown_workspaces_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let server = spawn(&db, free_port()).await;
    let owner = Client::builder().cookie_store(true).build().unwrap();
    owner
        .get(format!(
            "{}/api/dev/login?email=owner%40acme.test",
            server.base
        ))
        .send()
        .await
        .unwrap();
    let ask = |from: usize, to: usize| {
        let (owner, base) = (owner.clone(), server.base.clone());
        async move {
            let mut statuses = std::collections::BTreeMap::new();
            for i in from..to {
                let r = owner
                    .get(format!("{base}/api/workspaces/nobody-{i}/billing/events"))
                    .send()
                    .await
                    .unwrap();
                *statuses.entry(r.status().as_u16()).or_insert(0) += 1;
            }
            statuses
        }
    };
    // A first round, as parallel as the measured one, grows the allocator's
    // arenas, the connection pools and the blocking threads to their size.
    let warm: Vec<_> = (0..50)
        .map(|k| tokio::spawn(ask(100_000 + k * 200, 100_200 + k * 200)))
        .collect();
    for w in warm {
        w.await.unwrap();
    }
    let before = resident_kb(&server);
    let rounds: Vec<_> = (0..50)
        .map(|k| tokio::spawn(ask(10_000 + k * 1_000, 11_000 + k * 1_000)))
        .collect();
    let mut not_found = 0;
    for r in rounds {
        let statuses = r.await.unwrap();
        assert_eq!(statuses.keys().collect::<Vec<_>>(), [&404], "{statuses:?}");
        not_found += statuses[&404];
    }
    assert_eq!(not_found, 50_000);
    let after = resident_kb(&server);
    figure(
        "resident memory before 50,000 unknown-workspace streams (kB)",
        before,
    );
    figure("resident memory after them (kB)", after);
    assert!(
        after < before + 8 * 1024,
        "grew from {before} kB to {after} kB"
    );
}

/// A 3 MB disk of its own (a tmpfs in a mount namespace held by a process
/// of its own), nearly filled; servers are started inside it with nsenter.
struct SmallDisk {
    holder: std::process::Child,
    dir: String,
}

impl SmallDisk {
    fn new(dir: &std::path::Path) -> SmallDisk {
        let dir = dir.join("disk");
        std::fs::create_dir(&dir).unwrap();
        let dir = dir.to_str().unwrap().to_string();
        let holder = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(format!(
                "mount -t tmpfs -o size=3m none '{dir}' && \
                 dd if=/dev/zero of='{dir}/filler' bs=1k count=2200 2>/dev/null && \
                 touch '{dir}/ready' && exec sleep 3600"
            ))
            .spawn()
            .expect("unshare (util-linux) makes a private tmpfs");
        let disk = SmallDisk { holder, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !disk
            .inside(&["test", "-e", &format!("{}/ready", disk.dir)])
            .success()
        {
            assert!(Instant::now() < deadline, "the small disk is ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        disk
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("nsenter");
        c.args(["--target", &self.holder.id().to_string(), "--mount", "--"]);
        c.args(args);
        c
    }

    fn inside(&self, args: &[&str]) -> std::process::ExitStatus {
        self.command(args).status().unwrap()
    }

    async fn serve(&self, port: u16) -> Process {
        let db = format!("{}/billing.sqlite3", self.dir);
        let addr = format!("127.0.0.1:{port}");
        let child = self
            .command(&[BIN, "--demo", "--db", &db, "--addr", &addr])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://{addr}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Client::new()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "the server on the small disk started"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Process { child, base }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

async fn included_used(base: &str) -> String {
    let owner = Client::builder().cookie_store(true).build().unwrap();
    let r = owner
        .get(format!(
            "{base}/api/dev/login?email=owner%40acme.test&next=/api/workspaces/globex/billing"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let state: Value = r.json().await.unwrap();
    state["usage"]["included_used"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_full_disk_answers_503_store_unavailable_loses_nothing_and_recovers() {
    if common::on_postgres() {
        return; // A disk of the server's own: SQLite's.
    }
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::new(dir.path());
    let port = free_port();
    let server = disk.serve(port).await;
    let record = |key: String| {
        let base = server.base.clone();
        async move {
            Client::new()
                .post(format!("{base}/api/workspaces/globex/usage"))
                .bearer_auth(billing_server::demo::DEMO_METERING_TOKEN)
                .json(&json!({"credits": "0.01", "idempotency_key": key}))
                .send()
                .await
                .unwrap()
        }
    };
    let mut acknowledged = 0u32;
    let refused = loop {
        let r = record(format!("fill-{acknowledged}")).await;
        if r.status() == StatusCode::OK {
            acknowledged += 1;
            assert!(acknowledged < 30_000, "the disk never filled");
            continue;
        }
        break r;
    };
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "5");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
    figure(
        "usage records acknowledged before a 3 MB disk filled",
        acknowledged,
    );
    // Reads go on; the readiness probe says not ready, and why.
    let ready = Client::new()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready: Value = ready.json().await.unwrap();
    assert!(
        ready["reason"].as_str().unwrap().contains("full"),
        "{ready}"
    );
    assert_eq!(
        Client::new()
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Space comes back: writes come back by themselves.
    assert!(disk
        .inside(&["rm", &format!("{}/filler", disk.dir)])
        .success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = record(format!("fill-{acknowledged}")).await;
        if r.status() == StatusCode::OK {
            acknowledged += 1;
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes came back: {}",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = Client::new()
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    // Killed and started again: exactly what was acknowledged is there.
    signal(&server, SIGKILL);
    drop(server);
    let again = disk.serve(port).await;
    let want = rust_decimal::Decimal::new(i64::from(acknowledged), 2).normalize();
    let got: rust_decimal::Decimal = included_used(&again.base).await.parse().unwrap();
    assert_eq!(got, want, "every acknowledged record, and no other");
    figure(
        "usage records after the restart (all acknowledged, none lost)",
        acknowledged,
    );
}

#[tokio::test]
async fn housekeeping_runs_at_start_and_removes_old_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let store = open(&db).await;
    store.seed_demo_if_empty().await.unwrap();
    store
        .sql(
            "INSERT INTO outbox (id, workspace_id, event_id, channel, event_type, target, payload,
                                 created_at, next_attempt_at, delivered_at)
             SELECT 1001, id, 'msg_old', 'webhook', 'flex.settings_changed', 'https://x.example/',
                    '{}', '2000-01-01T00:00:00Z', NULL, '2000-01-01T00:00:00Z'
               FROM workspaces WHERE slug = 'acme'",
        )
        .await
        .unwrap();
    let _server = spawn(&db, free_port()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.number("SELECT COUNT(*) FROM outbox").await.unwrap() != 0 {
        assert!(
            Instant::now() < deadline,
            "housekeeping removed the old delivery"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
