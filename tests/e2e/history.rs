//! "Recent changes" in the card and the full history in its dialog, for the
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

/// Opens "Show all", finds both changes in the dialog, and closes it.
async fn show_all(p: &Page, state: &str) {
    p.click("button", "Show all").await;
    let dialog = p.get("dialog", Name::Is("Flex Billing history")).await;
    p.focus_is("Close").await;
    crate::harness::eventually("both changes in the history", || async {
        let text = dialog.text().await.ok()?;
        (text.contains(CAP_SET) && text.contains(ENABLED)).then_some(())
    })
    .await;
    assert_eq!(
        p.count("button", Name::Is("Load more")).await,
        0,
        "two changes fit on one page"
    );
    p.check(state).await;
    p.confirm("Flex Billing history", "Close").await;
    p.gone("dialog", Name::Is("Flex Billing history")).await;
    p.focus_is("Show all").await;
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
        show_all(&p, "owner-dialog").await;

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
        show_all(&p, "member-dialog").await;
    })
    .await;
}
