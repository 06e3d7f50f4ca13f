//! The page header: switching workspace and signing out.

use crate::harness::eventually;
use crate::page::{run, Name};

#[tokio::test]
async fn the_owner_switches_workspace_and_signs_out_from_the_header() {
    run("session", |p| async move {
        p.sign_in("owner@acme.test", "acme").await;
        let nav = p.get("navigation", Name::Is("Workspace")).await;
        let acme = p.inside(&nav, "link", Name::Is("Acme Robotics")).await;
        assert_eq!(
            acme.attr("aria-current").await.unwrap().as_deref(),
            Some("page"),
            "the current workspace is marked"
        );
        p.text("owner@acme.test").await;
        p.get("button", Name::Is("Sign out")).await;
        p.check("header").await;

        p.resize(360, 800).await;
        let overflow = p
            .js("return document.documentElement.scrollWidth > window.innerWidth")
            .await;
        assert_eq!(overflow, false, "the header fits a 360 px screen");
        p.check("header-360").await;
        p.resize(1280, 900).await;

        let nav = p.get("navigation", Name::Is("Workspace")).await;
        p.inside(&nav, "link", Name::Is("Globex"))
            .await
            .click()
            .await
            .expect("click");
        p.get("heading", Name::Is("Flex Billing")).await;
        eventually("the Globex page", || async {
            let title = p.driver.title().await.ok()?;
            (title == "Plan & Billing · Globex").then_some(())
        })
        .await;
        p.text("Enterprise plan").await;
        let path = p.driver.current_url().await.unwrap().path().to_string();
        assert_eq!(path, "/workspaces/globex/billing");
        let nav = p.get("navigation", Name::Is("Workspace")).await;
        let globex = p.inside(&nav, "link", Name::Is("Globex")).await;
        assert_eq!(
            globex.attr("aria-current").await.unwrap().as_deref(),
            Some("page")
        );
        p.check("switched").await;

        p.click("button", "Sign out").await;
        p.get("heading", Name::Is("Sign in (demo)")).await;
        let url = p.driver.current_url().await.unwrap().to_string();
        assert!(
            url.contains("next=/workspaces/globex/billing")
                || url.contains("next=%2Fworkspaces%2Fglobex%2Fbilling"),
            "back to where they were after signing in: {url}"
        );
        // The browser's cookie no longer opens a session.
        let status = p
            .js("return fetch('/api/session', {headers: {Accept: 'application/json'}}).then(r => r.status)")
            .await;
        assert_eq!(status, 401);
        p.goto("/workspaces/acme/billing").await;
        p.get("heading", Name::Is("Sign in to see Plan & Billing"))
            .await;
        assert_eq!(p.count("button", Name::Is("Sign out")).await, 0);
        p.check("signed-out").await;
    })
    .await;
}
