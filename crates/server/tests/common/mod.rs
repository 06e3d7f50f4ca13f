//! What the API tests share: a real server on a loopback port with a real
//! database and demo data, and small request helpers.
//!
//! The database is a SQLite file in the test's own folder, or, when
//! `BILLING_TEST_POSTGRES` names a PostgreSQL server (scripts/test.sh starts
//! one and runs every test here against each store), a fresh database there.
#![allow(dead_code)]

pub mod oidc;
pub mod process;
pub mod receiver;
pub mod smtp;

use billing_server::store::DEFAULT_MAX_BATCH;
use billing_server::{serve, Config, Db};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::path::Path;

/// Where scripts/setup.sh --test put the tools the tests start (npm packages,
/// the Python virtual environment).
pub fn tools_dir() -> String {
    std::env::var("BILLING_TOOLS_DIR").unwrap_or_else(|_| {
        format!(
            "{}/.cache/plan-billing-tools",
            std::env::var("HOME").unwrap()
        )
    })
}

pub struct Server {
    pub base: String,
    pub db: Db,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn start() -> Server {
    start_with(true).await
}

pub async fn start_with(demo: bool) -> Server {
    start_config(Config {
        demo,
        allow_http_webhooks: true,
        ..Config::default()
    })
    .await
}

/// A server with `config` (its static folder and metering token are the test's own).
pub async fn start_config(config: Config) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    start_on(listener, config).await
}

/// [`start_config`] on `listener` (a port chosen beforehand, to tell others).
pub async fn start_on(listener: tokio::net::TcpListener, config: Config) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let spec = fresh_db(dir.path()).await;
    start_in(dir, listener, &spec, config).await
}

/// [`start_config`] on the database `spec` names (as `--db` takes it).
pub async fn start_db(spec: &str, config: Config) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    start_in(tempfile::tempdir().unwrap(), listener, spec, config).await
}

async fn start_in(
    dir: tempfile::TempDir,
    listener: tokio::net::TcpListener,
    spec: &str,
    config: Config,
) -> Server {
    // The built page in a folder of its own, beside (never holding) the database.
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>page</title>",
    )
    .unwrap();
    let db = open(spec).await;
    db.seed_demo_if_empty().await.unwrap();
    // A workspace none of the demo people belong to.
    db.sql(INITECH).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let config = Config {
        static_dir: Some(dist),
        metering_tokens: vec!["secret-token".into()],
        ..config
    };
    tokio::spawn(serve(listener, db.clone(), config, async {
        let _ = stopped.await;
    }));
    Server {
        base,
        db,
        stop: Some(stop),
        _dir: dir,
    }
}

/// Adds a workspace none of the demo people belong to (SQL for both stores).
pub const INITECH: &str =
    "INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor,
    included_e4, flex_rate_cents, prepaid_rate_cents)
    VALUES ('initech', 'Initech', 'Growth', 'month', '2025-01-01', 0, 400, 300)";

/// A workspace with far more included credits than any test uses (SQL for both stores).
pub const BULK: &str = "INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor,
    included_e4, flex_rate_cents, prepaid_rate_cents)
    VALUES ('bulk', 'Bulk', 'Growth', 'month', '2025-01-01', 100000000000000, 400, 300)";

/// The flex cost of every usage record stored, in cents, once it is checked
/// to be what the running totals say.
pub async fn billed_cents(store: &Db) -> i64 {
    let billed = store
        .number("SELECT SUM(flex_cost_cents) FROM usage_events")
        .await
        .unwrap();
    let totals = store
        .number("SELECT SUM(flex_cost_cents) FROM cycle_totals")
        .await
        .unwrap();
    assert_eq!(
        totals, billed,
        "the running total is the sum of the records"
    );
    billed
}

/// Whether the tests run on PostgreSQL (`BILLING_TEST_POSTGRES`) rather than SQLite.
pub fn on_postgres() -> bool {
    std::env::var_os("BILLING_TEST_POSTGRES").is_some()
}

/// A new, empty database for one test, as `--db` takes it: a file in `dir`,
/// or a database of its own in the `BILLING_TEST_POSTGRES` server.
pub async fn fresh_db(dir: &Path) -> String {
    let Ok(admin) = std::env::var("BILLING_TEST_POSTGRES") else {
        return dir.join("billing.sqlite3").to_str().unwrap().to_string();
    };
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let create = format!("CREATE DATABASE {name}");
    let admin_url = admin.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&admin_url, postgres::NoTls)
            .expect("connect to BILLING_TEST_POSTGRES");
        c.batch_execute(&create).expect("create a test database");
    })
    .await
    .unwrap();
    let (server, _) = admin.rsplit_once('/').expect("a postgres:// URL");
    format!("{server}/{name}")
}

/// Opens the store `spec` names.
pub async fn open(spec: &str) -> Db {
    Db::open(spec, DEFAULT_MAX_BATCH)
        .await
        .unwrap_or_else(|e| panic!("open {spec}: {e}"))
}

impl Server {
    /// Stops the server as SIGTERM would: no new connections, the ones in flight finish.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub async fn signed_in(&self, email: &str) -> Client {
        let client = Client::builder().cookie_store(true).build().unwrap();
        let r = client
            .get(format!(
                "{}/api/dev/login?email={}&next=/api/session",
                self.base,
                email.replace('@', "%40")
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "sign-in as {email}");
        let me: Value = r.json().await.unwrap();
        assert_eq!(me["email"], email);
        client
    }

    pub fn static_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("dist")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn meter(&self, ws: &str, credits: &str, key: &str) -> (StatusCode, Value) {
        self.meter_body(ws, json!({"credits": credits, "idempotency_key": key}))
            .await
    }

    /// Records usage that `feature` used.
    pub async fn meter_for(
        &self,
        ws: &str,
        feature: &str,
        credits: &str,
        key: &str,
    ) -> (StatusCode, Value) {
        self.meter_body(
            ws,
            json!({"credits": credits, "idempotency_key": key, "feature": feature}),
        )
        .await
    }

    async fn meter_body(&self, ws: &str, body: Value) -> (StatusCode, Value) {
        let r = Client::new()
            .post(self.url(&format!("/api/workspaces/{ws}/usage")))
            .bearer_auth("secret-token")
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }
}

/// The billing state of `ws` as its owner reads it, to compare before and after.
pub async fn state_of(s: &Server, ws: &str) -> Value {
    let c = s.signed_in(OWNER).await;
    let (_, b) = send(c.get(s.url(&format!("/api/workspaces/{ws}/billing")))).await;
    b
}

/// Appends one figure to the reliability report this run writes (scripts/test.sh
/// renders docs/reliability.md from them). Does nothing outside that run.
/// On PostgreSQL the name says so, as the same tests run on both stores.
pub fn figure(name: &str, value: impl std::fmt::Display) {
    let name = if on_postgres() {
        format!("{name} (PostgreSQL)")
    } else {
        name.to_string()
    };
    if let Ok(path) = std::env::var("RELIABILITY_FIGURES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{name}\t{value}");
        }
    }
}

pub async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub const OWNER: &str = "owner@acme.test";
pub const ADMIN: &str = "admin@acme.test";
pub const MEMBER: &str = "member@acme.test";

/// An open event stream (`text/event-stream`), read event by event.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

/// One event of a stream.
#[derive(Debug)]
pub struct Event {
    pub id: Option<String>,
    pub retry: Option<String>,
    pub data: Value,
}

impl From<reqwest::Response> for Events {
    fn from(response: reqwest::Response) -> Events {
        Events {
            response,
            buffer: String::new(),
        }
    }
}

impl Events {
    /// Opens `url` with `client`; panics unless it answers 200 with an event stream.
    pub async fn open(client: &Client, url: &str) -> Events {
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "{url}"
        );
        Events::from(response)
    }

    /// The next comment line (`: …`) within `within`, without its colon.
    pub async fn comment(&mut self, within: std::time::Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(line) = self.buffer.lines().find(|l| l.starts_with(':')) {
                return Some(line[1..].trim().to_string());
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next event within `within`: `Ok(None)` when the stream ended,
    /// `Err(())` when nothing came in time. Comment lines (heartbeats) are skipped.
    pub async fn next(&mut self, within: std::time::Duration) -> Result<Option<Event>, ()> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut retry, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("retry:") {
                        retry = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Ok(Some(Event {
                    id,
                    retry,
                    data: serde_json::from_str(&data).expect("each event's data is JSON"),
                }));
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return Err(()),
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => return Ok(None),
            }
        }
    }
}

/// Waits until `check` answers something, for up to 10 s; panics with `what` otherwise.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited 10 s for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
