//! A test's view of the page: find things by role and accessible name (as
//! Chromium's accessibility tree computes them), read the API behind them,
//! check accessibility with axe-core, and keep screenshots.

use crate::harness::{self, eventually, App, Driver};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use thirtyfour::common::command::{Command, ExtensionCommand};
use thirtyfour::prelude::*;

/// WebDriver's "Get Computed Role" / "Get Computed Label" for one element.
#[derive(Debug)]
struct Computed {
    element: String,
    what: &'static str,
}

impl ExtensionCommand for Computed {
    fn parameters_json(&self) -> Option<Value> {
        None
    }
    fn method(&self) -> http::Method {
        http::Method::GET
    }
    fn endpoint(&self) -> Arc<str> {
        format!("/element/{}/{}", self.element, self.what).into()
    }
}

async fn computed(el: &WebElement, what: &'static str) -> String {
    let cmd = Computed {
        element: el.element_id().to_string(),
        what,
    };
    match el
        .handle
        .cmd(Command::ExtensionCommand(Box::new(cmd)))
        .await
    {
        Ok(r) => r.value::<String>().unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Elements that can carry each role, to keep the search small. The match
/// itself is on the computed role and name.
fn candidates(role: &str) -> &'static str {
    match role {
        "button" => "button, [role=button]",
        "textbox" => "input, textarea, [role=textbox]",
        "link" => "a[href], [role=link]",
        "dialog" => "dialog, [role=dialog]",
        "heading" => "h1, h2, h3, [role=heading]",
        "alert" => "[role=alert]",
        "status" => "[role=status]",
        "meter" => "[role=meter]",
        "navigation" => "nav, [role=navigation]",
        "img" => "img, svg, [role=img]",
        _ => "*",
    }
}

/// How a name must match.
#[derive(Clone, Copy)]
pub enum Name<'a> {
    Is(&'a str),
    Contains(&'a str),
    Any,
}

impl Name<'_> {
    fn matches(&self, name: &str) -> bool {
        let name = name.trim();
        match self {
            Name::Is(n) => name == *n,
            Name::Contains(part) => name.to_lowercase().contains(&part.to_lowercase()),
            Name::Any => true,
        }
    }
}

/// Visible elements under `scope` with `role` whose accessible name matches.
pub async fn query(scope: &WebElement, role: &str, name: Name<'_>) -> Vec<WebElement> {
    let mut found = Vec::new();
    let Ok(all) = scope.find_all(By::Css(candidates(role))).await else {
        return found;
    };
    for el in all {
        if !el.is_displayed().await.unwrap_or(false) {
            continue;
        }
        let computed_role = computed(&el, "computedrole").await;
        // ARIA 1.3 calls `img` `image`, and Chromium reports it so.
        if computed_role != role && !(role == "img" && computed_role == "image") {
            continue;
        }
        if name.matches(&computed(&el, "computedlabel").await) {
            found.push(el);
        }
    }
    found
}

/// One end-to-end test's world.
#[derive(Clone)]
pub struct Page {
    pub app: Arc<App>,
    pub driver: WebDriver,
    /// Prefix of this session's screenshots.
    pub name: String,
}

impl Page {
    /// The document's root, or `None` while the browser is between two
    /// documents (a link was followed): the waits below then try again.
    async fn root(&self) -> Option<WebElement> {
        self.driver.find(By::Css("html")).await.ok()
    }

    /// The one visible element with this role and name, waiting for it.
    pub async fn get(&self, role: &str, name: Name<'_>) -> WebElement {
        let desc = describe(role, name);
        eventually(&desc, || async {
            let mut found = query(&self.root().await?, role, name).await;
            (found.len() == 1).then(|| found.remove(0))
        })
        .await
    }

    /// The one element with this role and name inside `scope`, waiting for it.
    pub async fn inside(&self, scope: &WebElement, role: &str, name: Name<'_>) -> WebElement {
        let desc = format!(
            "{} inside {}",
            describe(role, name),
            scope.tag_name().await.unwrap_or_default()
        );
        eventually(&desc, || async {
            let mut found = query(scope, role, name).await;
            (found.len() == 1).then(|| found.remove(0))
        })
        .await
    }

    /// The one element with this role and name inside the open dialog `dialog`.
    pub async fn in_dialog(&self, dialog: &str, role: &str, name: Name<'_>) -> WebElement {
        let d = self.get("dialog", Name::Is(dialog)).await;
        self.inside(&d, role, name).await
    }

    /// The one visible element with this role whose text contains `text`, waiting for it.
    pub async fn with_text(&self, role: &str, text: &str) -> WebElement {
        eventually(&format!("{role} saying {text:?}"), || async {
            let mut hits = Vec::new();
            for el in query(&self.root().await?, role, Name::Any).await {
                if el.text().await.ok()?.contains(text) {
                    hits.push(el);
                }
            }
            (hits.len() == 1).then(|| hits.remove(0))
        })
        .await
    }

    /// Clicks the one visible element with this role and name.
    pub async fn click(&self, role: &str, name: &str) {
        self.get(role, Name::Is(name))
            .await
            .click()
            .await
            .expect("click");
    }

    /// Clicks the one visible element with this role and name if it is
    /// shown now. One that is gone, or goes before the click lands (the page
    /// moved on by itself), is not an error: say what must follow with
    /// [`Page::gone`] or a check of the state.
    pub async fn click_if_shown(&self, role: &str, name: &str) {
        let Some(root) = self.root().await else {
            return;
        };
        if let [el] = query(&root, role, Name::Is(name)).await.as_slice() {
            let _ = el.click().await;
        }
    }

    /// Clicks the button `button` in the open dialog `dialog`.
    pub async fn confirm(&self, dialog: &str, button: &str) {
        self.in_dialog(dialog, "button", Name::Is(button))
            .await
            .click()
            .await
            .expect("click");
    }

    /// Waits until nothing visible has this role and name.
    pub async fn gone(&self, role: &str, name: Name<'_>) {
        let desc = format!("no {}", describe(role, name));
        eventually(&desc, || async {
            query(&self.root().await?, role, name)
                .await
                .is_empty()
                .then_some(())
        })
        .await
    }

    /// How many visible elements have this role and name, right now.
    pub async fn count(&self, role: &str, name: Name<'_>) -> usize {
        let root = self.root().await.expect("a document");
        query(&root, role, name).await.len()
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn text(&self, text: &str) {
        eventually(&format!("text {text:?}"), || async {
            let body = self
                .driver
                .find(By::Css("body"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            body.contains(text).then_some(())
        })
        .await
    }

    pub async fn goto(&self, path: &str) {
        self.driver
            .goto(self.app.url(path))
            .await
            .expect("navigate");
    }

    /// Signs in through the demo sign-in and opens the billing page of `ws`.
    pub async fn sign_in(&self, email: &str, ws: &str) {
        let path = format!(
            "/api/dev/login?email={}&next=/workspaces/{ws}/billing",
            email.replace('@', "%40")
        );
        self.goto(&path).await;
        self.get("heading", Name::Is("Flex Billing")).await;
    }

    /// The accessible name of the focused element.
    pub async fn focused_name(&self) -> String {
        let el = self.driver.active_element().await.expect("active element");
        computed(&el, "computedlabel").await.trim().to_string()
    }

    /// Waits until the focused element has this name.
    pub async fn focus_is(&self, name: &str) {
        eventually(&format!("focus on {name:?}"), || async {
            (self.focused_name().await == name).then_some(())
        })
        .await
    }

    /// Presses keys on whatever has focus, as a keyboard user would.
    pub async fn keys(&self, keys: impl Into<thirtyfour::TypingData>) {
        self.driver
            .action_chain()
            .send_keys(keys)
            .perform()
            .await
            .expect("keys");
    }

    pub async fn js(&self, script: &str) -> Value {
        self.driver
            .execute(script, Vec::<Value>::new())
            .await
            .expect("script")
            .json()
            .clone()
    }

    /// Tells the page the window regained focus (it then re-fetches usage).
    pub async fn refocus(&self) {
        self.js("window.dispatchEvent(new Event('focus'))").await;
    }

    /// Requests the page has sent to a path ending in `suffix`.
    pub async fn requests_to(&self, suffix: &str) -> u64 {
        let script = format!(
            "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('{suffix}')).length"
        );
        self.js(&script).await.as_u64().unwrap_or(0)
    }

    /// Marks this document, to prove later that it was not reloaded.
    pub async fn mark_document(&self) {
        self.js("window.__e2eMark = 'kept'").await;
    }

    pub async fn assert_not_reloaded(&self) {
        assert_eq!(
            self.js("return window.__e2eMark || null").await,
            "kept",
            "the page was reloaded"
        );
    }

    /// Resizes the window (360 px phones to 1440 px desktops).
    pub async fn resize(&self, width: u32, height: u32) {
        self.driver
            .set_window_rect(0, 0, width, height)
            .await
            .expect("resize");
    }

    /// A full-page screenshot of this state under target/e2e-screenshots.
    pub async fn shot(&self, state: &str) {
        use base64::Engine;
        use thirtyfour::extensions::cdp::ChromeDevTools;
        let path = harness::screenshot_dir().join(format!("{}--{state}.png", self.name));
        let cdp = ChromeDevTools::new(self.driver.handle.clone());
        let metrics = cdp
            .execute_cdp("Page.getLayoutMetrics")
            .await
            .expect("layout metrics");
        let size = &metrics["cssContentSize"];
        let clip = serde_json::json!({"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1});
        let shot = cdp
            .execute_cdp_with_params(
                "Page.captureScreenshot",
                serde_json::json!({"format": "png", "captureBeyondViewport": true, "clip": clip}),
            )
            .await
            .expect("screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .expect("PNG");
        std::fs::write(&path, png).expect("write screenshot");
    }

    /// The Content-Security-Policy violations this document has had, as the
    /// listener every session installs before any page script records them.
    pub async fn csp_violations(&self) -> Value {
        self.js("return window.__cspViolations === undefined ? null : window.__cspViolations")
            .await
    }

    /// Screenshot, then fail on a Content-Security-Policy violation or on
    /// serious or critical axe-core violations.
    pub async fn check(&self, state: &str) {
        self.shot(state).await;
        let csp = self.csp_violations().await;
        assert_eq!(
            csp,
            serde_json::json!([]),
            "Content-Security-Policy violations (null: the listener is missing) in state {state:?}: {csp:#}"
        );
        self.driver
            .execute(harness::axe_source(), Vec::<Value>::new())
            .await
            .expect("inject axe-core");
        let ret = self
            .driver
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(JSON.stringify(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) })))));",
                Vec::<Value>::new(),
            )
            .await
            .expect("run axe-core");
        let text = ret.json().as_str().unwrap_or("[]").to_string();
        let violations: Vec<Value> = serde_json::from_str(&text).expect("axe result");
        assert!(
            violations.is_empty(),
            "axe-core found serious or critical violations in state {state:?}: {violations:#?}"
        );
    }
}

fn describe(role: &str, name: Name<'_>) -> String {
    match name {
        Name::Is(n) => format!("{role} named {n:?}"),
        Name::Contains(n) => format!("{role} with {n:?} in its name"),
        Name::Any => format!("a {role}"),
    }
}

/// Runs one test with its own server, database and browser, and removes them
/// afterwards whether the test passed or not.
pub async fn run<F, Fut>(name: &'static str, body: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    sessions(name, &[], false, |mut pages| body(pages.remove(0))).await;
}

/// Like [`run`], on a server run as a platform runs it
/// ([`App::start_platform`]): no demo, sign-in through the OpenID provider.
pub async fn run_platform<F, Fut>(name: &'static str, body: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    sessions(name, &[], true, |mut pages| body(pages.remove(0))).await;
}

/// Like [`run`], with two people on the same server, each in a browser of
/// their own (screenshots `{name}--{label}--{state}.png`).
pub async fn run_pair<F, Fut>(name: &'static str, labels: [&'static str; 2], body: F)
where
    F: FnOnce(Page, Page) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    sessions(name, &labels, false, |mut pages| {
        let second = pages.remove(1);
        body(pages.remove(0), second)
    })
    .await;
}

/// One browser per label (one unlabelled browser without labels), on one
/// server: the demo, or as a platform runs it.
async fn sessions<F, Fut>(name: &'static str, labels: &[&'static str], platform: bool, body: F)
where
    F: FnOnce(Vec<Page>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if !harness::page_is_built() {
        return;
    }
    // Last run's pictures of this test go, so the folder shows this run only.
    if let Ok(entries) = std::fs::read_dir(harness::screenshot_dir()) {
        let prefix = format!("{name}--");
        for e in entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let app = Arc::new(if platform {
        App::start_platform().await
    } else {
        App::start().await
    });
    let driver = Driver::launch().await;
    let names: Vec<String> = if labels.is_empty() {
        vec![name.to_string()]
    } else {
        labels.iter().map(|l| format!("{name}--{l}")).collect()
    };
    let mut profiles = Vec::new();
    let mut pages = Vec::new();
    for name in names {
        let profile = tempfile::tempdir().expect("profile dir");
        let web = harness::browser(&driver, profile.path()).await;
        profiles.push(profile);
        pages.push(Page {
            app: app.clone(),
            driver: web,
            name,
        });
    }
    let outcome = tokio::spawn(body(pages.clone())).await;
    for page in &pages {
        if outcome.is_err() {
            let _ = page.shot("failure").await;
        }
        let _ = page.driver.clone().quit().await;
    }
    drop(driver);
    drop(profiles);
    app.stop().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
