//! Enabling and disabling Flex Billing, and removing the cap, each through its modal.

use crate::page::{run, Name};
use serde_json::Value;
use thirtyfour::prelude::*;

#[tokio::test]
async fn enable_monthly_confirms_and_sets_the_100_dollar_cap() {
    run("enable-monthly", |p| async move {
        p.sign_in("owner@acme.test", "acme").await;
        p.check("off").await;
        p.click("button", "Enable").await;
        let dialog = p.get("dialog", Name::Is("Enable Flex Billing?")).await;
        let text = dialog.text().await.unwrap();
        assert!(
            text.contains(
                "payment method on file will be automatically charged for any Flex Usage"
            ),
            "{text}"
        );
        assert!(text.contains("$100 per month"), "{text}");
        p.focus_is("Cancel").await;
        p.check("enable-dialog").await;
        p.confirm("Enable Flex Billing?", "Enable Flex Billing")
            .await;

        let cap = p.get("textbox", Name::Contains("flex cap")).await;
        p.focus_is("Flex cap (per month)").await; // Enable is gone; the cap field took its place
        assert_eq!(cap.prop("value").await.unwrap().as_deref(), Some("100.00"));
        let b = p.app.billing("acme").await;
        assert_eq!(
            (b["flex"]["enabled"].as_bool(), b["flex"]["cap"].as_str()),
            (Some(true), Some("100.00"))
        );
        p.check("on-with-cap").await;
    })
    .await;
}

#[tokio::test]
async fn enable_annual_states_and_sets_the_1200_dollar_yearly_cap() {
    run("enable-annual", |p| async move {
        p.app
            .owner_change(reqwest::Method::POST, "globex", "flex/disable", None)
            .await;
        p.sign_in("owner@acme.test", "globex").await;
        p.click("button", "Enable").await;
        let text = p
            .get("dialog", Name::Is("Enable Flex Billing?"))
            .await
            .text()
            .await
            .unwrap();
        assert!(text.contains("$1,200 per year"), "{text}");
        p.confirm("Enable Flex Billing?", "Enable Flex Billing")
            .await;
        let cap = p.get("textbox", Name::Is("Flex cap (per year)")).await;
        assert_eq!(
            cap.prop("value").await.unwrap().as_deref(),
            Some("1,200.00")
        );
        assert_eq!(p.app.billing("globex").await["flex"]["cap"], "1200.00");
        p.check("annual-on").await;
    })
    .await;
}

#[tokio::test]
async fn cancel_and_escape_leave_everything_unchanged() {
    run("enable-cancel", |p| async move {
        p.sign_in("owner@acme.test", "acme").await;
        let before = p.app.billing("acme").await;

        p.click("button", "Enable").await;
        p.confirm("Enable Flex Billing?", "Cancel").await;
        p.gone("dialog", Name::Any).await;
        p.focus_is("Enable").await;

        p.click("button", "Enable").await;
        p.get("dialog", Name::Is("Enable Flex Billing?")).await;
        p.keys(Key::Escape).await;
        p.gone("dialog", Name::Any).await;
        p.focus_is("Enable").await;

        assert_eq!(p.app.billing("acme").await["flex"], before["flex"]);
        assert_eq!(p.requests_to("/flex/enable").await, 0);
    })
    .await;
}

#[tokio::test]
async fn remove_cap_warns_of_no_limit_then_shows_unlimited() {
    run("remove-cap", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        let field = p.get("textbox", Name::Is("Flex cap (per year)")).await;
        field.click().await.unwrap();
        field.send_keys(Key::Control + "a").await.unwrap();
        field.send_keys("600" + Key::Enter).await.unwrap();
        p.with_text("status", "Cap saved: $600.00 per year").await;

        p.click("button", "Remove cap").await;
        let text = p
            .get("dialog", Name::Is("Remove the flex cap?"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            text.contains(
                "no limit on how much your workspace can spend on Flex Usage per billing cycle"
            ),
            "{text}"
        );
        p.check("remove-cap-dialog").await;
        p.confirm("Remove the flex cap?", "Remove cap").await;
        p.text("No cap: Flex Usage is unlimited").await;
        p.focus_is("Set a flex cap (per year)").await;
        assert!(
            !p.js("return document.body.innerText")
                .await
                .as_str()
                .unwrap_or_default()
                .contains("Cap saved"),
            "no stale 'Cap saved' once the cap is removed"
        );
        p.gone("dialog", Name::Any).await;
        let b = p.app.billing("globex").await;
        assert_eq!(
            (b["flex"]["enabled"].as_bool(), &b["flex"]["cap"]),
            (Some(true), &Value::Null)
        );
        assert_eq!(p.count("button", Name::Is("Remove cap")).await, 0);
        p.check("on-without-cap").await;

        // The same field and Save set a cap again.
        let field = p.get("textbox", Name::Contains("flex cap")).await;
        field.send_keys("500").await.unwrap();
        p.click("button", "Save").await;
        p.get("button", Name::Is("Remove cap")).await;
        p.with_text("status", "Cap saved: $500.00 per year").await;
        p.get("textbox", Name::Is("Flex cap (per year)")).await;
        assert_eq!(p.app.billing("globex").await["flex"]["cap"], "500.00");
    })
    .await;
}

#[tokio::test]
async fn disable_warns_about_in_flight_work_then_turns_off() {
    run("disable", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        p.click("button", "Disable").await;
        let text = p.get("dialog", Name::Is("Disable Flex Billing?")).await.text().await.unwrap();
        assert!(
            text.contains("In-flight training jobs and deployments will stop once your included and prepaid credits run out"),
            "{text}"
        );
        p.focus_is("Cancel").await;
        p.check("disable-dialog").await;
        p.confirm("Disable Flex Billing?", "Disable Flex Billing").await;
        p.get("button", Name::Is("Enable")).await;
        p.focus_is("Enable").await; // Disable is gone; Enable took its place
        let b = p.app.billing("globex").await;
        assert_eq!((b["flex"]["enabled"].as_bool(), &b["flex"]["cap"]), (Some(false), &Value::Null));
    })
    .await;
}
