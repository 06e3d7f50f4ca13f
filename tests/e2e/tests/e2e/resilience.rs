//! The page when the API is down: an error with Retry, nothing typed is lost,
//! and Retry recovers.

use crate::harness::eventually;
use crate::page::{run, Name};
use thirtyfour::prelude::*;

#[tokio::test]
async fn server_down_shows_retry_keeps_typing_and_recovers() {
    run("server-down", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        let field = p.get("textbox", Name::Is("Flex cap (per year)")).await;
        field.click().await.unwrap();
        field.send_keys(Key::Control + "a").await.unwrap();
        field.send_keys("275").await.unwrap();

        p.app.stop().await;
        p.refocus().await;
        p.with_text("alert", "Couldn't load Plan & Billing").await;
        p.text("Can't reach the billing service").await;
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some("275"),
            "a refresh keeps what was typed"
        );

        p.click("button", "Save").await;
        p.text("The cap wasn't saved").await;
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some("275"),
            "a failed save keeps what was typed"
        );
        p.check("server-down").await;

        p.app.restart().await;
        // The page may recover by itself first (the live stream comes back,
        // or a refresh runs): a Retry gone before the click is a pass.
        p.click_if_shown("button", "Retry").await;
        p.gone("button", Name::Is("Retry")).await;
        assert_eq!(field.prop("value").await.unwrap().as_deref(), Some("275"));
        p.click("button", "Save").await;
        eventually("the cap saved after recovery", || async {
            (p.app.billing("globex").await["flex"]["cap"] == "275.00").then_some(())
        })
        .await;
        p.text("Cap saved: $275.00 per year").await;
    })
    .await;
}

#[tokio::test]
async fn a_failed_confirmation_keeps_the_dialog_open_with_the_error() {
    run("dialog-error", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        p.click("button", "Disable").await;
        p.get("dialog", Name::Is("Disable Flex Billing?")).await;
        p.app.stop().await;
        p.confirm("Disable Flex Billing?", "Disable Flex Billing")
            .await;
        p.in_dialog("Disable Flex Billing?", "alert", Name::Any)
            .await;
        p.text("Can't reach the billing service").await;
        p.check("dialog-error").await;
        p.app.restart().await;
        p.confirm("Disable Flex Billing?", "Disable Flex Billing")
            .await;
        p.get("button", Name::Is("Enable")).await;
        assert_eq!(p.app.billing("globex").await["flex"]["enabled"], false);
    })
    .await;
}
