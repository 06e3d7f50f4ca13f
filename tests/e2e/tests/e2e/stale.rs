//! Two people change Flex Billing at once: a change made on a page showing
//! older settings is refused, the page says what changed and takes the settings
//! in force, keeps what was typed, and the change made again applies to them.

use crate::harness::eventually;
use crate::page::{run_pair, Name, Page};
use serde_json::Value;
use thirtyfour::prelude::*;

const CHANGED: &str = "Someone changed Flex Billing while you were editing: the cap is now $50.00.";
const CAP: &str = "Flex cap (per year)";

/// Keeps `p` on the state it shows, as a tab in the background that someone
/// comes back to while its live stream is down: the page is given an
/// `EventSource` that never connects (before any of its scripts run); it skips
/// its 10 s refresh while `document.hidden`, and no window `focus` reaches it.
/// Call before `p` opens the page.
async fn stop_refreshing(p: &Page) {
    use thirtyfour::extensions::cdp::ChromeDevTools;
    ChromeDevTools::new(p.driver.handle.clone())
        .execute_cdp_with_params(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": "
                window.EventSource = class { close() {} };
                Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
                window.addEventListener('focus', e => e.stopImmediatePropagation(), true);" }),
        )
        .await
        .expect("a script for every document");
}

async fn retype(field: &WebElement, text: &str) {
    field.click().await.unwrap();
    field.send_keys(Key::Control + "a").await.unwrap();
    field.send_keys(Key::Backspace).await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn api_cap(p: &Page) -> Value {
    p.app.billing("globex").await["flex"]["cap"].clone()
}

async fn wait_api_cap(p: &Page, want: Value) {
    eventually(&format!("API cap {want}"), || async {
        (api_cap(p).await == want).then_some(())
    })
    .await
}

async fn field_value(p: &Page) -> String {
    // By id: while a modal is open the field is inert, out of the accessibility tree.
    p.driver
        .find(By::Id("flex-cap-input"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// The owner opens Globex's billing ($1,200 a year cap); then the admin, in
/// another browser, lowers the cap to $50. The owner's page still shows $1,200.
async fn admin_lowers_the_cap_behind_the_owner(owner: &Page, admin: &Page) {
    stop_refreshing(owner).await;
    owner.sign_in("owner@acme.test", "globex").await;
    admin.sign_in("admin@acme.test", "globex").await;
    let field = admin.get("textbox", Name::Is(CAP)).await;
    retype(&field, "50").await;
    field.send_keys(Key::Enter).await.unwrap();
    admin
        .with_text("status", "Cap saved: $50.00 per year")
        .await;
    assert_eq!(api_cap(admin).await, "50.00");
    assert_eq!(
        field_value(owner).await,
        "1,200.00",
        "the owner's page still shows the cap as it was"
    );
}

#[tokio::test]
async fn remove_cap_on_a_stale_page_is_refused_says_what_changed_and_can_be_confirmed_again() {
    run_pair(
        "stale-remove-cap",
        ["owner", "admin"],
        |owner, admin| async move {
            admin_lowers_the_cap_behind_the_owner(&owner, &admin).await;

            owner.click("button", "Remove cap").await;
            owner.confirm("Remove the flex cap?", "Remove cap").await;
            let alert = owner
                .in_dialog("Remove the flex cap?", "alert", Name::Any)
                .await;
            eventually("the stale sentence in the dialog", || async {
                (alert.text().await.ok()?.trim() == CHANGED).then_some(())
            })
            .await;
            assert_eq!(api_cap(&owner).await, "50.00", "the admin's cap stands");
            assert_eq!(
                field_value(&owner).await,
                "50.00",
                "the owner's card shows the cap in force"
            );
            owner.get("dialog", Name::Is("Remove the flex cap?")).await;
            owner.check("stale-dialog").await;

            // Still open, on the settings in force: confirming again removes the cap.
            owner.confirm("Remove the flex cap?", "Remove cap").await;
            owner.gone("dialog", Name::Any).await;
            owner.text("No cap: Flex Usage is unlimited").await;
            wait_api_cap(&owner, Value::Null).await;
        },
    )
    .await;
}

#[tokio::test]
async fn a_cap_saved_on_a_stale_page_keeps_the_entry_and_saves_it_on_the_new_version() {
    run_pair("stale-cap", ["owner", "admin"], |owner, admin| async move {
        admin_lowers_the_cap_behind_the_owner(&owner, &admin).await;

        let field = owner.get("textbox", Name::Is(CAP)).await;
        retype(&field, "300").await;
        field.send_keys(Key::Enter).await.unwrap();
        let alert = owner.with_text("alert", CHANGED).await;
        assert!(
            alert.text().await.unwrap().contains("Your entry is kept"),
            "it says the entry is kept"
        );
        assert_eq!(field_value(&owner).await, "300", "what was typed stays");
        assert_eq!(
            field.attr("aria-invalid").await.unwrap().as_deref(),
            Some("false"),
            "the entry itself is fine"
        );
        assert_eq!(api_cap(&owner).await, "50.00", "the admin's cap stands");
        owner.check("stale-cap").await;

        // Enter again saves 300 on the settings now in force.
        field.send_keys(Key::Enter).await.unwrap();
        wait_api_cap(&owner, "300.00".into()).await;
        owner
            .with_text("status", "Cap saved: $300.00 per year")
            .await;
        let text = owner.js("return document.body.innerText").await;
        assert!(
            !text
                .as_str()
                .unwrap_or_default()
                .contains("Someone changed"),
            "the note goes once the cap is saved"
        );
        owner.check("saved-again").await;
    })
    .await;
}

/// The owner, live, sets a $400.00 cap and opens Remove cap; the admin, in
/// another browser, lowers the cap to $50.00 meanwhile.
async fn admin_lowers_the_cap_under_the_open_dialog(owner: &Page, admin: &Page) {
    owner.sign_in("owner@acme.test", "globex").await;
    let field = owner.get("textbox", Name::Is(CAP)).await;
    retype(&field, "400").await;
    field.send_keys(Key::Enter).await.unwrap();
    owner
        .with_text("status", "Cap saved: $400.00 per year")
        .await;
    admin.sign_in("admin@acme.test", "globex").await;
    owner.click("button", "Remove cap").await;
    owner.get("dialog", Name::Is("Remove the flex cap?")).await;
    let theirs = admin.get("textbox", Name::Is(CAP)).await;
    retype(&theirs, "50").await;
    theirs.send_keys(Key::Enter).await.unwrap();
    admin
        .with_text("status", "Cap saved: $50.00 per year")
        .await;
    assert_eq!(api_cap(admin).await, "50.00");
}

const LIVE_CHANGE: &str = "admin@acme.test lowered the cap to $50.00 while this was open.";

#[tokio::test]
async fn a_live_change_under_an_open_dialog_is_told_and_takes_a_second_press() {
    run_pair(
        "live-under-dialog",
        ["owner", "admin"],
        |owner, admin| async move {
            admin_lowers_the_cap_under_the_open_dialog(&owner, &admin).await;
            let notice = owner
                .in_dialog("Remove the flex cap?", "alert", Name::Any)
                .await;
            eventually("what changed, in the dialog", || async {
                let text = notice.text().await.ok()?;
                (text.starts_with(LIVE_CHANGE) && text.contains("press Remove cap twice"))
                    .then_some(())
            })
            .await;
            owner.check("live-change-under-dialog").await;

            // The first press acknowledges: nothing is sent.
            owner.confirm("Remove the flex cap?", "Remove cap").await;
            eventually("the second press asked for", || async {
                let text = notice.text().await.ok()?;
                text.ends_with("Press Remove cap again to go ahead.")
                    .then_some(())
            })
            .await;
            assert_eq!(api_cap(&owner).await, "50.00", "the admin's cap stands");
            owner.get("dialog", Name::Is("Remove the flex cap?")).await;

            // The second applies to the new state.
            owner.confirm("Remove the flex cap?", "Remove cap").await;
            owner.gone("dialog", Name::Any).await;
            wait_api_cap(&owner, Value::Null).await;
            owner.text("No cap: Flex Usage is unlimited").await;
        },
    )
    .await;
}

#[tokio::test]
async fn a_live_change_under_a_typed_cap_is_told_in_the_help_text_before_saving() {
    run_pair(
        "live-under-draft",
        ["owner", "admin"],
        |owner, admin| async move {
            owner.sign_in("owner@acme.test", "globex").await;
            admin.sign_in("admin@acme.test", "globex").await;
            let field = owner.get("textbox", Name::Is(CAP)).await;
            retype(&field, "300").await;
            let theirs = admin.get("textbox", Name::Is(CAP)).await;
            retype(&theirs, "50").await;
            theirs.send_keys(Key::Enter).await.unwrap();
            admin
                .with_text("status", "Cap saved: $50.00 per year")
                .await;
            owner
                .text("admin@acme.test lowered the cap to $50.00 while you were typing. Saving replaces it with your entry.")
                .await;
            assert_eq!(field_value(&owner).await, "300", "what was typed stays");
            assert_eq!(api_cap(&owner).await, "50.00", "nothing was saved over it");
            let described = field.attr("aria-describedby").await.unwrap().unwrap();
            let hint = described.split(' ').next_back().unwrap().to_string();
            let said = owner
                .driver
                .find(By::Id(&hint))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(said.starts_with("admin@acme.test lowered"), "the help text: {said}");
            owner.check("live-change-under-draft").await;

            // Saving now replaces it, knowingly.
            field.send_keys(Key::Enter).await.unwrap();
            wait_api_cap(&owner, "300.00".into()).await;
            owner
                .with_text("status", "Cap saved: $300.00 per year")
                .await;
        },
    )
    .await;
}
