//! The card's statements: none before a cycle ends; then the last cycles,
//! each with a download of its usage for owners and admins; and the notice
//! that the last cycle was charged, until it is dismissed.

use crate::page::{run, Name};

#[tokio::test]
async fn the_card_lists_statements_with_downloads_and_the_charged_notice() {
    run("statements", |p| async move {
        p.sign_in("owner@acme.test", "acme").await;
        p.get("heading", Name::Is("Statements")).await;
        p.text("No statements yet: the first comes when this cycle ends on")
            .await;
        p.check("none-yet").await;

        // A cycle that ended with $412.00 of Flex Usage, and one before it without.
        p.app.statements_for("acme", &[("2026-09-01", "2026-10-01", 0), ("2026-10-01", "2026-11-01", 41_200)]).await;
        p.driver.refresh().await.unwrap();
        p.get("heading", Name::Is("Statements")).await;
        p.text("Oct 1, 2026 – Oct 31, 2026: $412.00 of Flex Usage").await;
        p.text("Sep 1, 2026 – Sep 30, 2026: $0.00 of Flex Usage").await;
        let notice = p
            .with_text("status", "Last cycle: $412.00 of Flex Usage charged to your payment method")
            .await;
        assert_eq!(p.count("link", Name::Is("Download usage (CSV)")).await, 2);
        let hrefs = p
            .js("return [...document.querySelectorAll('.statements a')].map(a => a.getAttribute('href'))")
            .await;
        assert_eq!(
            hrefs,
            serde_json::json!([
                "/api/workspaces/acme/usage.csv?cycle=2026-10-01",
                "/api/workspaces/acme/usage.csv?cycle=2026-09-01"
            ])
        );
        // The link downloads the cycle's CSV (the browser's own session).
        let csv = p
            .js("return fetch('/api/workspaces/acme/usage.csv?cycle=2026-10-01').then(r => r.text())")
            .await;
        assert!(csv.as_str().unwrap().starts_with("recorded_at,credits,feature"), "{csv}");
        notice.scroll_into_view().await.unwrap();
        p.check("listed").await;

        // Dismissed, it stays dismissed after a reload.
        p.click("button", "Dismiss").await;
        p.gone("status", Name::Contains("Last cycle:")).await;
        p.driver.refresh().await.unwrap();
        p.text("Oct 1, 2026 – Oct 31, 2026: $412.00 of Flex Usage").await;
        assert_eq!(p.count("status", Name::Contains("Last cycle:")).await, 0);
        p.check("dismissed").await;

        // A member sees the statements but no downloads.
        p.sign_in("member@acme.test", "acme").await;
        p.text("Oct 1, 2026 – Oct 31, 2026: $412.00 of Flex Usage").await;
        assert_eq!(p.count("link", Name::Is("Download usage (CSV)")).await, 0);
    })
    .await;
}
