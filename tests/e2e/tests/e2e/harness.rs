//! The pieces every end-to-end test stands on: a real billing server on a
//! loopback port with a fresh SQLite file, a headless Chromium driven through
//! ChromeDriver, and their clean-up, even when a test fails.

use billing_server::store::DEFAULT_MAX_BATCH;
use billing_server::{demo, serve, Config, Db};
use serde_json::{json, Value};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;
use std::time::Duration;
use thirtyfour::prelude::*;
use tokio::sync::{oneshot, Mutex};
use tokio::task::JoinHandle;

/// How long a condition may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The repository's root: this crate lives in `tests/e2e/`.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/e2e/ lies two folders below the repository's root")
        .to_path_buf()
}

/// The built page the server serves: `dist/` at the repository's root, or
/// `BILLING_E2E_DIST` when set.
fn dist_dir() -> PathBuf {
    std::env::var_os("BILLING_E2E_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("dist"))
}

/// Whether the page is built. Without it every browser test is skipped (it
/// returns at once and passes), and the run says why, once.
pub fn page_is_built() -> bool {
    static SAID: Once = Once::new();
    let index = dist_dir().join("index.html");
    if index.exists() {
        return true;
    }
    SAID.call_once(|| {
        let shown = index.strip_prefix(repo_root()).unwrap_or(&index);
        // Straight to stderr: the test harness captures `eprintln!` of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "e2e: skipped: {} not found; build the page with scripts/build-page.sh",
            shown.display()
        );
    });
    false
}

fn tools_dir() -> PathBuf {
    std::env::var_os("BILLING_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/plan-billing-tools")
        })
}

pub fn axe_source() -> String {
    let path = tools_dir().join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core not found at {} ({e}): run scripts/setup.sh --test",
            path.display()
        )
    })
}

/// Polls `check` until it answers `Some`, for at most [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// Appends one figure to the reliability report this run writes (scripts/test.sh
/// renders docs/reliability.md from them). Does nothing outside that run.
pub fn figure(name: &str, value: impl std::fmt::Display) {
    if let Ok(path) = std::env::var("RELIABILITY_FIGURES") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{name}\t{value}");
        }
    }
}

/// The tests' OpenID provider (panva's oidc-provider on `localhost`, another
/// site than the server at 127.0.0.1), shared with the API tests.
#[allow(dead_code)]
#[path = "../../../../crates/server/tests/common/oidc.rs"]
pub mod oidc;

/// What the shared provider code asks of its parent module.
mod process {
    pub use super::free_port;
}

/// The provisioning API's bearer token in [`App::start_platform`].
pub const PLATFORM_TOKEN: &str = "e2e-platform-token-0123456789abcdef";

/// A serving server: how to stop it, and its task.
type Running = (oneshot::Sender<()>, JoinHandle<std::io::Result<()>>);

/// The billing server, stoppable and restartable on the same address and database.
pub struct App {
    pub base: String,
    addr: SocketAddr,
    db_path: PathBuf,
    running: Mutex<Option<Running>>,
    keys: AtomicU64,
    config: Config,
    /// Where `/metrics` is served, in [`App::start_platform`].
    pub metrics: Option<SocketAddr>,
    _provider: Option<oidc::Provider>,
    _dir: tempfile::TempDir,
}

/// The page's store: a SQLite file in the test's folder.
async fn open(path: &std::path::Path) -> Db {
    Db::open(path.to_str().expect("a UTF-8 path"), DEFAULT_MAX_BATCH)
        .await
        .expect("open database")
}

impl App {
    /// The demo: demo data and demo sign-in.
    pub async fn start() -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("billing.sqlite3");
        let db = open(&db_path).await;
        db.seed_demo_if_empty().await.expect("seed demo data");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let config = Config {
            static_dir: Some(dist_dir()),
            demo: true,
            allow_http_webhooks: true,
            ..Config::default()
        };
        App::serve_first(dir, db_path, listener, db, config, None).await
    }

    /// As a platform runs it: no demo and no data, sign-in through the
    /// OpenID provider, the provisioning API (bearer [`PLATFORM_TOKEN`]),
    /// and metrics on a listener of their own.
    pub async fn start_platform() -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("billing.sqlite3");
        let db = open(&db_path).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let public_url = format!("http://{}", listener.local_addr().expect("address"));
        let provider = oidc::Provider::start(&public_url).await;
        let metrics: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("address");
        let config = Config {
            static_dir: Some(dist_dir()),
            demo: false,
            public_url: Some(public_url),
            oidc: Some(billing_server::oidc::OidcConfig {
                issuer: provider.issuer.clone(),
                client_id: oidc::CLIENT_ID.into(),
                client_secret: oidc::CLIENT_SECRET.into(),
            }),
            platform_token: Some(PLATFORM_TOKEN.into()),
            metrics_addr: Some(metrics),
            ..Config::default()
        };
        let mut app = App::serve_first(dir, db_path, listener, db, config, Some(provider)).await;
        app.metrics = Some(metrics);
        app
    }

    async fn serve_first(
        dir: tempfile::TempDir,
        db_path: PathBuf,
        listener: tokio::net::TcpListener,
        db: Db,
        config: Config,
        provider: Option<oidc::Provider>,
    ) -> App {
        let addr = listener.local_addr().expect("address");
        let app = App {
            base: format!("http://{addr}"),
            addr,
            db_path,
            running: Mutex::new(None),
            keys: AtomicU64::new(0),
            config,
            metrics: None,
            _provider: provider,
            _dir: dir,
        };
        app.serve_on(listener, db).await;
        app
    }

    async fn serve_on(&self, listener: tokio::net::TcpListener, db: Db) {
        let (stop, stopped) = oneshot::channel::<()>();
        let config = self.config.clone();
        let task = tokio::spawn(serve(listener, db, config, async {
            let _ = stopped.await;
        }));
        *self.running.lock().await = Some((stop, task));
    }

    /// Stops answering: the port refuses connections until [`App::restart`].
    pub async fn stop(&self) {
        if let Some((stop, task)) = self.running.lock().await.take() {
            let _ = stop.send(());
            if tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .is_err()
            {
                panic!("the server did not shut down within 10 s");
            }
        }
    }

    /// Serves again on the same address with the same database.
    pub async fn restart(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("rebind");
        let db = open(&self.db_path).await;
        self.serve_on(listener, db).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An API client signed in as `email`.
    pub async fn client(&self, email: &str) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let r = client
            .get(self.url(&format!(
                "/api/dev/login?email={}&next=/api/session",
                email.replace('@', "%40")
            )))
            .send()
            .await
            .expect("sign in");
        assert!(
            r.status().is_success(),
            "API sign-in as {email}: {}",
            r.status()
        );
        client
    }

    /// The billing state of `ws` as its owner reads it from the API.
    pub async fn billing(&self, ws: &str) -> Value {
        let c = self.client("owner@acme.test").await;
        c.get(self.url(&format!("/api/workspaces/{ws}/billing")))
            .send()
            .await
            .expect("GET billing")
            .json()
            .await
            .expect("JSON")
    }

    /// A change through the API as the owner (to set up a state).
    pub async fn owner_change(
        &self,
        method: reqwest::Method,
        ws: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let c = self.client("owner@acme.test").await;
        // Every change is JSON; without a version it applies to whatever is in force.
        let r = c
            .request(method, self.url(&format!("/api/workspaces/{ws}/{path}")))
            .json(&body.unwrap_or_else(|| json!({})))
            .send()
            .await
            .expect("change");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.expect("JSON")
    }

    /// Writes statements for `ws` as if its cycles `(start, end, flex cents)`
    /// had ended (oldest first), straight into the database.
    pub async fn statements_for(&self, ws: &str, cycles: &[(&str, &str, i64)]) {
        let db = open(&self.db_path).await;
        for (start, end, cents) in cycles {
            db.sql(&format!(
                "INSERT INTO statements (workspace_id, cycle_start, cycle_end, included_e4, prepaid_e4,
                                         flex_e4, flex_cost_cents, cap_cents, by_feature, closed_at)
                 SELECT id, '{start}', '{end}', 300000, 100000, {flex}, {cents}, 50000, '[]', '{end}T00:00:02Z'
                   FROM workspaces WHERE slug = '{ws}'",
                flex = cents / 400 * 10_000,
            ))
            .await
            .expect("a statement");
        }
    }

    /// Records usage as metering would; answers the status and body.
    pub async fn meter(&self, ws: &str, credits: &str) -> (u16, Value) {
        let key = format!("e2e-{}", self.keys.fetch_add(1, Ordering::SeqCst));
        self.meter_body(ws, json!({"credits": credits, "idempotency_key": key}))
            .await
    }

    /// Records usage that `feature` used.
    pub async fn meter_for(&self, ws: &str, feature: &str, credits: &str) -> (u16, Value) {
        let key = format!("e2e-{}", self.keys.fetch_add(1, Ordering::SeqCst));
        self.meter_body(
            ws,
            json!({"credits": credits, "idempotency_key": key, "feature": feature}),
        )
        .await
    }

    async fn meter_body(&self, ws: &str, body: Value) -> (u16, Value) {
        let r = reqwest::Client::new()
            .post(self.url(&format!("/api/workspaces/{ws}/usage")))
            .bearer_auth(demo::DEMO_METERING_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("POST usage");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn find_program(env: &str, candidates: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    for c in candidates {
        let p = Path::new(c);
        if p.is_absolute() && p.exists() {
            return p.to_path_buf();
        }
        if let Some(found) = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join(c))
                .find(|p| p.exists())
        }) {
            return found;
        }
    }
    panic!("{} not found (set {env}, or run scripts/setup.sh --test to install Chromium and ChromeDriver)", candidates[0]);
}

/// ChromeDriver in its own process group, so the browser it starts goes with it.
///
/// A small shell watchdog leads the group: it starts ChromeDriver and, should
/// this test process die without running its clean-up (killed outright), kills
/// the whole group once it notices.
pub struct Driver {
    group: Child,
    pub url: String,
}

const WATCHDOG: &str = r#"trap 'kill -9 0' EXIT
"$0" --port="$1" >/dev/null 2>&1 &
while kill -0 "$2" 2>/dev/null; do sleep 1; done"#;

impl Driver {
    pub async fn launch() -> Driver {
        use std::os::unix::process::CommandExt;
        let port = free_port();
        let group = Command::new("bash")
            .arg("-c")
            .arg(WATCHDOG)
            .arg(find_program(
                "CHROMEDRIVER",
                &["chromedriver", "/usr/bin/chromedriver"],
            ))
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let status = format!("{url}/status");
        eventually("chromedriver to answer", || {
            let status = status.clone();
            async move {
                let r = reqwest::get(&status).await.ok()?;
                let v: Value = r.json().await.ok()?;
                v["value"]["ready"].as_bool().filter(|r| *r)
            }
        })
        .await;
        Driver { group, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: ChromeDriver and every Chromium process it started.
        unsafe {
            libc::kill(-(self.group.id() as i32), libc::SIGKILL);
        }
        let _ = self.group.wait();
    }
}

pub async fn browser(driver: &Driver, profile: &Path) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(
        &find_program("CHROME_BIN", &["chromium", "/usr/bin/chromium"]).to_string_lossy(),
    )
    .expect("binary");
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1280,900",
        "--force-prefers-reduced-motion",
        &format!("--user-data-dir={}", profile.display()),
    ] {
        caps.add_arg(arg).expect("arg");
    }
    let web = WebDriver::new(&driver.url, caps)
        .await
        .expect("start a Chromium session");
    watch_csp(&web).await;
    web
}

/// Records every Content-Security-Policy violation of every document this
/// browser opens in `window.__cspViolations`, from before any of its scripts run.
const CSP_WATCH: &str = r#"window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push({
  directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
  source: e.sourceFile, line: e.lineNumber }));"#;

async fn watch_csp(web: &WebDriver) {
    use thirtyfour::extensions::cdp::ChromeDevTools;
    ChromeDevTools::new(web.handle.clone())
        .execute_cdp_with_params(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": CSP_WATCH }),
        )
        .await
        .expect("install the CSP violation listener");
}

/// Where screenshots of each state go.
pub fn screenshot_dir() -> PathBuf {
    let dir = repo_root().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}
