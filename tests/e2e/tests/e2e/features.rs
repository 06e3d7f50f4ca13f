//! What used the flex credits: the card's breakdown by feature, live.

use crate::page::{run, Name};

#[tokio::test]
async fn the_card_says_what_used_the_flex_credits_as_usage_arrives() {
    run("features", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        assert_eq!(
            p.count("heading", Name::Is("What used flex credits this year"))
                .await,
            0,
            "nothing to break down before any flex spend"
        );
        // Training uses the 360 included credits and 40 flex ($160); then
        // inference 60 flex credits ($240).
        assert_eq!(p.app.meter_for("globex", "training", "400").await.0, 200);
        assert_eq!(p.app.meter_for("globex", "inference", "60").await.0, 200);

        let section = p
            .get("heading", Name::Is("What used flex credits this year"))
            .await;
        p.text("inference: $240.00 (60%)").await;
        p.text("training: $160.00 (40%)").await;
        let list = p
            .js("return [...document.querySelectorAll('.feature-breakdown__list li')].map(li => li.textContent)")
            .await;
        assert_eq!(
            list,
            serde_json::json!(["inference: $240.00 (60%)", "training: $160.00 (40%)"]),
            "largest flex spend first"
        );
        let b = p.app.billing("globex").await;
        assert_eq!(b["usage"]["flex_spend"], "400.00");
        assert_eq!(b["usage"]["by_feature"][0]["feature"], "inference");
        section.scroll_into_view().await.unwrap();
        p.check("breakdown").await;
    })
    .await;
}
