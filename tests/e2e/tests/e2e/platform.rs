//! Run as a platform runs it: a server without `--demo` and without data,
//! provisioned through the platform API; a person signs in through the real
//! OpenID provider's form (on another site), sees their workspace's card,
//! changes the cap, and the metrics count the request.

use crate::cap::retype;
use crate::harness::{eventually, PLATFORM_TOKEN};
use crate::page::{run_platform, Name, Page};
use serde_json::{json, Value};
use thirtyfour::prelude::*;

/// A call to the provisioning API with the platform's token.
async fn platform(
    p: &Page,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .request(
            method,
            p.app.url(&format!("/api/platform/workspaces/{path}")),
        )
        .bearer_auth(PLATFORM_TOKEN);
    if let Some(body) = body {
        r = r.json(&body);
    }
    let r = r.send().await.expect("provisioning API");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// `http_requests_total` for one method, route template and status.
async fn requests(p: &Page, method: &str, route: &str, status: &str) -> f64 {
    let addr = p.app.metrics.expect("metrics in the platform set-up");
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .filter(|l| {
            l.contains(&format!("method=\"{method}\""))
                && l.contains(&format!("route=\"{route}\""))
                && l.contains(&format!("status=\"{status}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn provisioned_by_the_platform_signed_in_through_the_provider_the_owner_sets_the_cap() {
    run_platform("platform", |p| async move {
        // Nothing exists until the platform provisions it.
        let (status, body) = platform(
            &p,
            reqwest::Method::PUT,
            "northwind",
            Some(json!({"name": "Northwind Labs", "plan": {
                "name": "Growth", "interval": "month", "anchor": "2026-11-01",
                "included_credits": "30", "flex_rate": "4.00", "prepaid_rate": "3.00"}})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["flex"]["enabled"], false, "{body}");
        let (status, body) = platform(
            &p,
            reqwest::Method::PUT,
            "northwind/members/dana@northwind.test",
            Some(json!({"role": "owner"})),
        )
        .await;
        assert_eq!(status, 201, "{body}");

        // Signed out, the page sends Dana to the platform's sign-in.
        p.goto("/workspaces/northwind/billing").await;
        p.get("heading", Name::Is("Sign in to see Plan & Billing"))
            .await;
        p.click("link", "Sign in").await;
        let login = eventually("the provider's login form", || async {
            p.driver.find(By::Css("input[name=login]")).await.ok()
        })
        .await;
        let at = p.driver.current_url().await.unwrap();
        assert_eq!(at.host_str(), Some("localhost"), "another site: {at}");
        p.shot("provider-form").await;
        login.send_keys("dana@northwind.test").await.unwrap();
        p.driver
            .find(By::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys("any password")
            .await
            .unwrap();
        p.driver
            .find(By::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();

        // Back on the card, signed in, though the way back began on another site.
        p.get("heading", Name::Is("Flex Billing")).await;
        p.text("Northwind Labs").await;
        p.text("dana@northwind.test").await;
        let path = p.driver.current_url().await.unwrap().path().to_string();
        assert_eq!(path, "/workspaces/northwind/billing");
        p.check("signed-in").await;

        // Flex Billing on (confirmed), then a cap of $250.
        p.click("button", "Enable").await;
        p.confirm("Enable Flex Billing?", "Enable Flex Billing")
            .await;
        let field = p.get("textbox", Name::Is("Flex cap (per month)")).await;
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some("100.00")
        );
        let route = "/api/workspaces/{ws}/flex/cap";
        let before = requests(&p, "PUT", route, "200").await;
        retype(&field, "250").await;
        field.send_keys(Key::Enter).await.unwrap();
        p.with_text("status", "Cap saved: $250.00 per month").await;
        let (status, body) = platform(&p, reqwest::Method::GET, "northwind", None).await;
        assert_eq!(status, 200);
        assert_eq!(
            (
                body["flex"]["enabled"].as_bool(),
                body["flex"]["cap"].as_str()
            ),
            (Some(true), Some("250.00")),
            "{body}"
        );
        p.check("cap-saved").await;

        // The metrics saw the save.
        eventually("the cap save in the metrics", || async {
            (requests(&p, "PUT", route, "200").await == before + 1.0).then_some(())
        })
        .await;

        // Signing out ends our session and goes on to the provider's sign-out.
        p.click("button", "Sign out").await;
        eventually("the provider's sign-out", || async {
            let at = p.driver.current_url().await.ok()?;
            (at.host_str() == Some("localhost") && at.path().starts_with("/session/end"))
                .then_some(())
        })
        .await;
        p.shot("provider-sign-out").await;
        p.goto("/workspaces/northwind/billing").await;
        p.get("heading", Name::Is("Sign in to see Plan & Billing"))
            .await;
    })
    .await;
}
