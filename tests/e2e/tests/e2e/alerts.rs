//! Alerts appear from metered usage without a reload; usage is blocked at the cap.

use crate::harness::eventually;
use crate::page::{run, Name};

#[tokio::test]
async fn flex_in_use_then_80_percent_then_cap_reached() {
    run("alerts", |p| async move {
        // Acme: 30 included and 10 prepaid credits, $4.00 a flex credit; enable with the $100 cap.
        p.app.owner_change(reqwest::Method::POST, "acme", "flex/enable", None).await;
        assert_eq!(p.app.meter("acme", "40").await.0, 200, "included and prepaid credits first");
        p.sign_in("owner@acme.test", "acme").await;
        p.mark_document().await;
        assert_eq!(p.count("alert", Name::Any).await, 0);

        assert_eq!(p.app.meter("acme", "5").await.0, 200); // $20 of flex
        p.refocus().await;
        let info = p.with_text("status", "Flex credits in use").await;
        let text = info.text().await.unwrap();
        assert!(text.contains("Purchase Prepaid Credits for a lower per-credit rate"), "{text}");
        p.inside(&info, "link", Name::Is("Purchase Prepaid Credits")).await;
        p.text("$20.00 of $100.00 this month (20%)").await;
        p.check("flex-active").await;

        assert_eq!(p.app.meter("acme", "16").await.0, 200); // $84
        p.refocus().await;
        let warning = p.with_text("alert", "You've used 84% of your $100.00 flex cap").await;
        assert!(warning.text().await.unwrap().contains("Approaching your flex cap"));
        p.inside(&warning, "link", Name::Is("Purchase Prepaid Credits")).await;
        assert_eq!(p.count("alert", Name::Any).await, 1, "one warning; flex-in-use stays a status");
        p.with_text("status", "Flex credits in use").await;
        p.check("warning").await;

        // A refresh that changes nothing leaves the banners (and focus in them) alone.
        let raise = p.get("button", Name::Is("Raise cap")).await;
        raise.focus().await.unwrap();
        let before = p.requests_to("/billing").await;
        p.refocus().await;
        eventually("a refresh", || async { (p.requests_to("/billing").await > before).then_some(()) }).await;
        p.with_text("alert", "You've used 84%").await;
        p.focus_is("Raise cap").await;

        p.click("button", "Raise cap").await;
        p.focus_is("Flex cap (per month)").await;

        assert_eq!(p.app.meter("acme", "4").await.0, 200); // $100: the cap
        let (status, body) = p.app.meter("acme", "0.25").await;
        assert_eq!((status, body["error"]["code"].as_str()), (402, Some("flex_cap_reached")), "blocked at the cap");
        p.refocus().await;
        let reached = p.with_text("alert", "Flex cap reached").await;
        let text = reached.text().await.unwrap();
        assert!(
            text.contains("Usage that requires additional credits is blocked until the cap is raised or the billing cycle resets on"),
            "{text}"
        );
        assert_eq!(p.count("alert", Name::Any).await, 1, "cap reached replaces the warning");
        p.inside(&reached, "button", Name::Is("Raise cap")).await;
        p.inside(&reached, "link", Name::Is("Purchase Prepaid Credits")).await;
        p.check("cap-reached").await;
        assert_eq!(p.app.billing("acme").await["usage"]["flex_spend"], "100.00");
        p.assert_not_reloaded().await;
    })
    .await;
}

#[tokio::test]
async fn a_job_refused_below_the_cap_shows_cap_reached() {
    run("blocked", |p| async move {
        p.app
            .owner_change(reqwest::Method::POST, "acme", "flex/enable", None)
            .await;
        assert_eq!(p.app.meter("acme", "64").await.0, 200); // 40 included and prepaid, $96 of flex
        p.sign_in("owner@acme.test", "acme").await;
        p.with_text("alert", "You've used 96% of your $100.00 flex cap")
            .await;

        let (status, body) = p.app.meter("acme", "2").await; // $8 more would pass the cap
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (402, Some("flex_cap_reached"))
        );
        p.refocus().await;
        let reached = p.with_text("alert", "Flex cap reached").await;
        let text = reached.text().await.unwrap();
        assert!(
            text.contains(
                "Usage that would pass your $100.00 flex cap was refused ($96.00 used this month)."
            ),
            "{text}"
        );
        assert!(text.contains("blocked until the cap is raised"), "{text}");
        p.check("blocked").await;
        assert_eq!(
            p.app.billing("acme").await["usage"]["flex_spend"],
            "96.00",
            "nothing was drawn"
        );

        // Raising the cap lifts the block.
        let field = p.get("textbox", Name::Is("Flex cap (per month)")).await;
        p.click("button", "Raise cap").await;
        field
            .send_keys("150" + thirtyfour::Key::Enter)
            .await
            .unwrap();
        p.with_text("status", "Cap saved: $150.00 per month").await;
        p.gone("alert", Name::Any).await;
        assert_eq!(p.app.billing("acme").await["usage"]["blocked"], false);
        p.check("unblocked").await;
    })
    .await;
}
