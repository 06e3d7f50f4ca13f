//! The tests' OpenID provider: panva's oidc-provider (tests/oidc/provider.mjs)
//! on a loopback port, under the name `localhost`, so it is another site than
//! the server at 127.0.0.1; and a browser-less client for its login form.

use reqwest::{Client, StatusCode};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CLIENT_ID: &str = "billing";
pub const CLIENT_SECRET: &str = "billing-tests-client-secret";

pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider for a server whose page is at `public_url`.
    pub async fn start(public_url: &str) -> Provider {
        let port = super::process::free_port();
        let issuer = format!("http://localhost:{port}");
        let package = std::path::Path::new(&super::tools_dir()).join("node_modules/oidc-provider");
        assert!(
            std::path::Path::new(&package).exists(),
            "{} is missing: run scripts/setup.sh --test",
            package.display()
        );
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/oidc/provider.mjs");
        let child = Command::new("node")
            .arg(script)
            .args([
                &port.to_string(),
                &issuer,
                CLIENT_ID,
                CLIENT_SECRET,
                &format!("{public_url}/api/auth/callback"),
                &format!("{public_url}/"),
            ])
            .env("OIDC_PROVIDER", &package)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node (scripts/setup.sh --test)");
        let provider = Provider { child, issuer };
        let deadline = Instant::now() + Duration::from_secs(20);
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
        while Client::new().get(&discovery).send().await.is_err() {
            assert!(Instant::now() < deadline, "the OpenID provider started");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        provider
    }
}

/// A browser without a window: cookies kept, redirects followed by hand.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Where `r` redirects, as an absolute address (a provider may answer a path).
fn location(r: &reqwest::Response) -> String {
    let to = r.headers()["location"].to_str().unwrap();
    r.url().join(to).unwrap().to_string()
}

/// Starts a sign-in at `base` and goes through the provider's login form as
/// `email`; answers the callback address the provider sends the browser to.
pub async fn through_the_provider(browser: &Client, base: &str, next: &str, email: &str) -> String {
    let r = browser
        .get(format!(
            "{base}/api/auth/login?next={}",
            billing_server::demo::urlencode(next)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND, "to the provider");
    log_in_at(browser, &location(&r), email).await
}

/// From the provider's authorization address, through its login form as
/// `email`, to the callback address it sends the browser to.
pub async fn log_in_at(browser: &Client, authorize: &str, email: &str) -> String {
    let r = browser.get(authorize).send().await.unwrap();
    assert!(
        r.status().is_redirection(),
        "to the login form: {}",
        r.status()
    );
    let form = location(&r);
    let r = browser.get(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the login form");
    let r = browser
        .post(&form)
        .form(&[("prompt", "login"), ("login", email), ("password", "any")])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection(),
        "signed in at the provider: {}",
        r.status()
    );
    let mut at = location(&r);
    // On through the provider's own redirects, to ours.
    while !at.contains("/api/auth/callback") {
        let r = browser.get(&at).send().await.unwrap();
        assert!(r.status().is_redirection(), "{at}: {}", r.status());
        at = location(&r);
    }
    at
}
