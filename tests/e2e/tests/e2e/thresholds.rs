//! Owners choose the notification thresholds in the alert section.

use crate::cap::retype;
use crate::page::{run, Name, Page};
use serde_json::Value;
use thirtyfour::prelude::*;

async fn api_thresholds(p: &Page) -> Value {
    p.app
        .client("owner@acme.test")
        .await
        .get(p.app.url("/api/workspaces/globex/alerts"))
        .send()
        .await
        .expect("GET alerts")
        .json::<Value>()
        .await
        .expect("JSON")["thresholds"]
        .clone()
}

#[tokio::test]
async fn an_owner_sets_the_thresholds_and_a_bad_list_is_said_in_words() {
    run("thresholds", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        let field = p.get("textbox", Name::Is("Notify at (% of the cap)")).await;
        crate::harness::eventually("the thresholds in force", || async {
            (field.prop("value").await.ok()?.as_deref() == Some("80")).then_some(())
        })
        .await;
        p.text("The 80% and cap-reached alerts, and changes to these settings, go to your webhook.")
            .await;

        retype(&field, "50, 200").await;
        field.send_keys(Key::Enter).await.unwrap();
        p.with_text("alert", "Each threshold is a whole percent from 1 to 99.")
            .await;
        assert_eq!(
            field.attr("aria-invalid").await.unwrap().as_deref(),
            Some("true")
        );
        assert_eq!(api_thresholds(&p).await, serde_json::json!([80]), "nothing sent");
        field.scroll_into_view().await.unwrap();
        p.check("refused").await;

        retype(&field, "90, 50").await;
        p.click("button", "Save thresholds").await;
        p.with_text("status", "Saved: notify at 50%, 90% of the cap.").await;
        assert_eq!(api_thresholds(&p).await, serde_json::json!([50, 90]));
        p.text("The 50%, 90% and cap-reached alerts, and changes to these settings, go to your webhook.")
            .await;
        assert_eq!(field.prop("value").await.unwrap().as_deref(), Some("50, 90"));
        p.check("saved").await;

        p.driver.refresh().await.unwrap();
        let field = p.get("textbox", Name::Is("Notify at (% of the cap)")).await;
        crate::harness::eventually("the saved thresholds after reload", || async {
            (field.prop("value").await.ok()?.as_deref() == Some("50, 90")).then_some(())
        })
        .await;

        // Admins and members do not see the alert section.
        p.sign_in("admin@acme.test", "globex").await;
        assert_eq!(
            p.count("textbox", Name::Is("Notify at (% of the cap)")).await,
            0
        );
    })
    .await;
}
