//! Saving the cap: Enter, blur, Save; nothing sent when unchanged or invalid.

use crate::harness::eventually;
use crate::page::{run, Name, Page};
use thirtyfour::prelude::*;

async fn cap_field(p: &Page) -> WebElement {
    p.get("textbox", Name::Is("Flex cap (per year)")).await
}

pub async fn retype(field: &WebElement, text: &str) {
    field.click().await.unwrap();
    field.send_keys(Key::Control + "a").await.unwrap();
    field.send_keys(Key::Backspace).await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn api_cap(p: &Page) -> String {
    p.app.billing("globex").await["flex"]["cap"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn wait_api_cap(p: &Page, want: &str) {
    eventually(&format!("API cap {want}"), || async {
        (api_cap(p).await == want).then_some(())
    })
    .await
}

#[tokio::test]
async fn enter_blur_and_save_each_save_and_the_value_survives_a_reload() {
    run("cap-save", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;

        let field = cap_field(&p).await;
        retype(&field, "250").await;
        field.send_keys(Key::Enter).await.unwrap();
        wait_api_cap(&p, "250.00").await;
        p.with_text("status", "Cap saved: $250.00 per year").await;
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some("250.00")
        );
        p.check("saved").await;

        retype(&field, "$1,300.5").await;
        p.keys(Key::Tab).await; // blur by tabbing away
        wait_api_cap(&p, "1300.50").await;
        p.text("Cap saved: $1,300.50 per year").await;

        retype(&field, "350").await;
        p.click("button", "Save").await; // blur and click: one save
        wait_api_cap(&p, "350.00").await;
        p.text("Cap saved: $350.00 per year").await;
        assert_eq!(p.requests_to("/flex/cap").await, 3, "each save sent once");

        p.driver.refresh().await.unwrap();
        let field = cap_field(&p).await;
        eventually("the saved cap after reload", || async {
            (field.prop("value").await.ok()?.as_deref() == Some("350.00")).then_some(())
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn unchanged_and_invalid_values_send_nothing() {
    run("cap-invalid", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        let before = p.app.billing("globex").await["flex"].clone();
        let field = cap_field(&p).await;

        retype(&field, "1200").await;
        field.send_keys(Key::Enter).await.unwrap();
        p.click("button", "Save").await;
        assert_eq!(
            field.prop("value").await.unwrap().as_deref(),
            Some("1,200.00")
        );

        for (input, message) in [
            ("0.50", "The flex cap must be at least $1.00."),
            ("abc", "Enter the flex cap as a dollar amount"),
            ("-5", "The flex cap can't be negative."),
            ("10.005", "Use at most two decimal places"),
        ] {
            retype(&field, input).await;
            field.send_keys(Key::Enter).await.unwrap();
            eventually(&format!("{input:?} marked invalid"), || async {
                (field.attr("aria-invalid").await.ok()?.as_deref() == Some("true")).then_some(())
            })
            .await;
            let described_by = field
                .attr("aria-describedby")
                .await
                .unwrap()
                .unwrap_or_default();
            let error_id = described_by
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            let error = p
                .driver
                .find(By::Id(&error_id))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(error.contains(message), "{input:?}: {error:?}");
            assert_eq!(
                field.prop("value").await.unwrap().as_deref(),
                Some(input),
                "what was typed stays"
            );
            if input == "0.50" {
                p.check("invalid").await;
            }
        }
        p.keys(Key::Escape).await;
        eventually("Escape restores the saved value", || async {
            (field.prop("value").await.ok()?.as_deref() == Some("1,200.00")).then_some(())
        })
        .await;
        assert_eq!(
            field.attr("aria-invalid").await.unwrap().as_deref(),
            Some("false")
        );

        assert_eq!(p.requests_to("/flex/cap").await, 0, "nothing was sent");
        assert_eq!(p.app.billing("globex").await["flex"], before);
    })
    .await;
}
