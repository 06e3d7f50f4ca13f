//! "Recent changes" in the card and the whole history in place, for the
//! owner who made the changes and for a member, read-only.

use crate::page::{run, Name, Page};
use thirtyfour::prelude::*;

const CAP_SET: &str = "Cap set to $250.00 (was $100.00) by owner@acme.test, just now";
const ENABLED: &str = "Flex Billing enabled with a $100.00 cap by owner@acme.test, just now";

/// The sentences of the card's recent changes, top to bottom.
async fn recent(p: &Page) -> Vec<String> {
    let v = p
        .js("return [...document.querySelectorAll('.flex-card > .history .history__item')].map(e => e.textContent)")
        .await;
    serde_json::from_value(v).unwrap_or_default()
}

async fn wait_recent(p: &Page, want: &[&str]) {
    crate::harness::eventually(&format!("recent changes {want:?}"), || async {
        (recent(p).await == want).then_some(())
    })
    .await
}

/// "Show all": both changes, and nothing more to show.
async fn show_all(p: &Page, state: &str) {
    p.click("button", "Show all").await;
    wait_recent(p, &[CAP_SET, ENABLED]).await;
    p.gone("button", Name::Is("Show all")).await;
    assert_eq!(
        p.count("button", Name::Is("Show more")).await,
        0,
        "two changes fit on one page"
    );
    p.check(state).await;
}

#[tokio::test]
async fn changes_made_here_show_at_once_in_words_for_the_owner_and_a_member() {
    run("history", |p| async move {
        p.sign_in("owner@acme.test", "acme").await;
        p.get("heading", Name::Is("Recent changes")).await;
        p.text("No changes yet.").await;
        p.check("empty").await;

        p.click("button", "Enable").await;
        p.confirm("Enable Flex Billing?", "Enable Flex Billing")
            .await;
        wait_recent(&p, &[ENABLED]).await;

        let field = p.get("textbox", Name::Is("Flex cap (per month)")).await;
        field.click().await.unwrap();
        field.send_keys(Key::Control + "a").await.unwrap();
        field.send_keys(Key::Backspace).await.unwrap();
        field.send_keys("250").await.unwrap();
        field.send_keys(Key::Enter).await.unwrap();
        p.with_text("status", "Cap saved: $250.00 per month").await;
        wait_recent(&p, &[CAP_SET, ENABLED]).await;
        p.check("owner").await;
        show_all(&p, "owner-all").await;

        p.sign_in("member@acme.test", "acme").await;
        p.text("Only workspace owners and admins can change Flex Billing.")
            .await;
        wait_recent(&p, &[CAP_SET, ENABLED]).await;
        for control in ["Enable", "Save", "Remove cap", "Disable"] {
            assert_eq!(
                p.count("button", Name::Is(control)).await,
                0,
                "{control} is not offered"
            );
        }
        p.check("member").await;
        show_all(&p, "member-all").await;
    })
    .await;
}

#[tokio::test]
async fn the_whole_history_is_shown_twenty_at_a_time() {
    run("history-pages", |p| async move {
        p.app
            .owner_change(reqwest::Method::POST, "globex", "flex/disable", None)
            .await;
        p.app
            .owner_change(reqwest::Method::POST, "globex", "flex/enable", None)
            .await;
        for cap in 101..=123 {
            p.app
                .owner_change(
                    reqwest::Method::PUT,
                    "globex",
                    "flex/cap",
                    Some(serde_json::json!({ "cap": cap.to_string() })),
                )
                .await;
        }
        // 25 changes: the newest three, then 20, then the last 5.
        p.sign_in("owner@acme.test", "globex").await;
        crate::harness::eventually("the newest three", || async {
            let r = recent(&p).await;
            (r.len() == 3 && r[0].starts_with("Cap set to $123.00 (was $122.00)")).then_some(())
        })
        .await;
        p.click("button", "Show all").await;
        crate::harness::eventually("twenty", || async {
            (recent(&p).await.len() == 20).then_some(())
        })
        .await;
        p.click("button", "Show more").await;
        crate::harness::eventually("all 25", || async {
            (recent(&p).await.len() == 25).then_some(())
        })
        .await;
        let all = recent(&p).await;
        assert!(
            all[24].starts_with("Flex Billing disabled by owner@acme.test"),
            "{all:?}"
        );
        p.gone("button", Name::Is("Show more")).await;
        p.check("all").await;
    })
    .await;
}
