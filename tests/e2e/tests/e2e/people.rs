//! Who sees what, and everything done with the keyboard alone.

use crate::harness::eventually;
use crate::page::{run, Name};
use thirtyfour::prelude::*;

#[tokio::test]
async fn a_member_sees_a_read_only_card() {
    run("member", |p| async move {
        p.sign_in("member@acme.test", "globex").await;
        p.text("Flex cap: $1,200.00 per year").await;
        p.text("Only workspace owners and admins can change Flex Billing.")
            .await;
        for control in ["Enable", "Save", "Remove cap", "Disable", "Raise cap"] {
            assert_eq!(
                p.count("button", Name::Is(control)).await,
                0,
                "{control} is not offered"
            );
        }
        assert_eq!(p.count("textbox", Name::Any).await, 0);
        p.check("read-only").await;

        p.goto("/workspaces/acme/billing").await;
        p.text("Only workspace owners and admins can change Flex Billing.")
            .await;
        assert_eq!(p.count("button", Name::Is("Enable")).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_signed_out_visitor_is_asked_to_sign_in() {
    run("signed-out", |p| async move {
        p.goto("/workspaces/acme/billing").await;
        p.get("heading", Name::Is("Sign in to see Plan & Billing"))
            .await;
        p.check("sign-in").await;
        p.click("link", "Sign in").await;
        p.click("link", "Sign in as owner@acme.test").await;
        p.get("heading", Name::Is("Flex Billing")).await;
        assert!(p
            .driver
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/workspaces/acme/billing"));
    })
    .await;
}

#[tokio::test]
async fn every_action_works_from_the_keyboard() {
    run("keyboard", |p| async move {
        p.sign_in("owner@acme.test", "acme").await;
        let tab_to = |name: &'static str| {
            let p = p.clone();
            async move {
                for _ in 0..30 {
                    if p.focused_name().await == name {
                        return;
                    }
                    p.keys(Key::Tab).await;
                }
                panic!("Tab never reached {name:?}");
            }
        };

        tab_to("Enable").await;
        p.keys(Key::Enter).await;
        p.get("dialog", Name::Is("Enable Flex Billing?")).await;
        p.focus_is("Cancel").await;
        p.keys(Key::Escape).await;
        p.focus_is("Enable").await;

        p.keys(Key::Enter).await;
        p.focus_is("Cancel").await;
        p.keys(Key::Tab).await;
        p.focus_is("Enable Flex Billing").await;
        p.keys(Key::Enter).await;
        p.get("textbox", Name::Is("Flex cap (per month)")).await;
        assert_eq!(p.app.billing("acme").await["flex"]["cap"], "100.00");

        tab_to("Flex cap (per month)").await; // tabbing into a field selects its text
        p.keys("150" + Key::Enter).await;
        eventually("cap saved from the keyboard", || async {
            (p.app.billing("acme").await["flex"]["cap"] == "150.00").then_some(())
        })
        .await;

        tab_to("Remove cap").await;
        p.keys(Key::Enter).await;
        p.focus_is("Cancel").await;
        p.keys(Key::Tab).await;
        p.keys(Key::Enter).await;
        p.text("No cap: Flex Usage is unlimited").await;
        assert!(p.app.billing("acme").await["flex"]["cap"].is_null());

        tab_to("Disable").await;
        p.keys(Key::Enter).await;
        p.focus_is("Cancel").await;
        p.keys(Key::Escape).await;
        p.focus_is("Disable").await;
        p.keys(Key::Enter).await;
        p.focus_is("Cancel").await; // the dialog is open before the next key
        p.keys(Key::Tab).await;
        p.focus_is("Disable Flex Billing").await;
        p.keys(Key::Enter).await;
        p.get("button", Name::Is("Enable")).await;
        assert_eq!(p.app.billing("acme").await["flex"]["enabled"], false);
        p.check("keyboard-done").await;
    })
    .await;
}
