//! Live usage: a usage record, or a change made by someone else, reaches the
//! page without a reload and without focus; the page recovers by itself when
//! the server comes back.

use crate::harness::eventually;
use crate::page::{run, run_pair, Name};
use std::time::Instant;
use thirtyfour::prelude::*;

const LIVE: &str = "Usage updates live";

#[tokio::test]
async fn a_usage_record_brings_the_80_percent_warning_within_a_second() {
    run("live-usage", |p| async move {
        // Acme, Flex on with the $100 cap: 40 included and prepaid credits, then $4.00 a flex credit.
        p.app
            .owner_change(reqwest::Method::POST, "acme", "flex/enable", None)
            .await;
        assert_eq!(p.app.meter("acme", "45").await.0, 200); // $20 of flex
        p.sign_in("owner@acme.test", "acme").await;
        p.mark_document().await;
        p.text("$20.00 of $100.00 this month (20%)").await;
        p.with_text("status", LIVE).await;
        p.check("live").await;
        // No focus from here on: only the stream can bring the change.
        p.js("window.addEventListener('focus', e => e.stopImmediatePropagation(), true);")
            .await;

        let recorded = Instant::now();
        assert_eq!(p.app.meter("acme", "16").await.0, 200); // $84
        let warning = p
            .with_text("alert", "You've used 84% of your $100.00 flex cap")
            .await;
        let took = recorded.elapsed();
        println!(
            "usage record to the 80% banner on screen: {} ms",
            took.as_millis()
        );
        crate::harness::figure(
            "usage record to the 80% banner on screen, ms (browser)",
            took.as_millis(),
        );
        assert!(
            took.as_millis() < 1000,
            "the banner took {} ms",
            took.as_millis()
        );
        assert!(warning
            .text()
            .await
            .unwrap()
            .contains("Approaching your flex cap"));
        p.text("$84.00 of $100.00 this month (84%)").await;
        p.assert_not_reloaded().await;
    })
    .await;
}

#[tokio::test]
async fn a_cap_changed_by_one_person_reaches_another_persons_page() {
    run_pair("live-pair", ["owner", "admin"], |owner, admin| async move {
        owner.sign_in("owner@acme.test", "globex").await;
        admin.sign_in("admin@acme.test", "globex").await;
        admin.with_text("status", LIVE).await;
        admin
            .js("window.addEventListener('focus', e => e.stopImmediatePropagation(), true);")
            .await;
        let field = owner.get("textbox", Name::Is("Flex cap (per year)")).await;
        field.click().await.unwrap();
        field.send_keys(Key::Control + "a").await.unwrap();
        field.send_keys("1500" + Key::Enter).await.unwrap();
        owner.text("Cap saved: $1,500.00 per year").await;
        let theirs = admin.get("textbox", Name::Is("Flex cap (per year)")).await;
        eventually("the admin's field shows the new cap", || async {
            (theirs.prop("value").await.ok()??.replace(',', "") == "1500.00").then_some(())
        })
        .await;
        admin.check("changed-elsewhere").await;

        // A draft being typed is never overwritten by a live change.
        theirs.click().await.unwrap();
        theirs.send_keys(Key::Control + "a").await.unwrap();
        theirs.send_keys("777").await.unwrap();
        field.click().await.unwrap();
        field.send_keys(Key::Control + "a").await.unwrap();
        field.send_keys("1600" + Key::Enter).await.unwrap();
        owner.text("Cap saved: $1,600.00 per year").await;
        admin
            .text("Cap set to $1,600.00 (was $1,500.00) by owner@acme.test")
            .await;
        assert_eq!(
            theirs.prop("value").await.unwrap().as_deref(),
            Some("777"),
            "the admin's draft is kept"
        );
    })
    .await;
}

#[tokio::test]
async fn the_page_reconnects_by_itself_when_the_server_comes_back() {
    run("live-restart", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        p.mark_document().await;
        p.with_text("status", LIVE).await;
        p.app.stop().await;
        p.with_text("status", "Reconnecting… usage refreshes every 10 s")
            .await;
        p.check("reconnecting").await;
        p.app.restart().await;
        p.with_text("status", LIVE).await;
        // 360 included credits, then 240 flex credits: $960.00 of the $1,200.00 cap.
        assert_eq!(p.app.meter("globex", "600").await.0, 200);
        p.with_text("alert", "You've used 80% of your $1,200.00 flex cap")
            .await;
        p.assert_not_reloaded().await;
    })
    .await;
}

#[tokio::test]
async fn the_forecast_and_its_chart_follow_the_spend() {
    run("forecast", |p| async move {
        p.app
            .owner_change(reqwest::Method::POST, "acme", "flex/enable", None)
            .await;
        p.sign_in("owner@acme.test", "acme").await;
        p.with_text("status", LIVE).await;
        assert_eq!(
            p.count("img", Name::Contains("Flex spend this cycle"))
                .await,
            0,
            "no chart before any flex spend"
        );
        // 40 included and prepaid credits, then 5 flex credits: $20.00 today.
        assert_eq!(p.app.meter("acme", "45").await.0, 200);
        // What the domain forecasts from the state the API answers is what the card says.
        let state: billing_domain::BillingState =
            serde_json::from_value(p.app.billing("acme").await).unwrap();
        let forecast = state
            .forecast()
            .expect("a forecast from the first flex spend");
        p.with_text("status", &forecast.sentence()).await;
        let chart = p
            .get(
                "img",
                Name::Contains("Flex spend this cycle by day: $20.00"),
            )
            .await;
        let name = chart.attr("aria-label").await.unwrap().unwrap_or_default();
        assert!(name.contains("the cap is $100.00"), "{name}");
        assert!(
            name.contains("at this rate the cap is reached around"),
            "the projection stops at the cap: {name}"
        );
        p.check("forecast").await;

        // Once the cap is reached there is nothing to forecast.
        assert_eq!(p.app.meter("acme", "20").await.0, 200); // $100
        p.with_text("alert", "Flex cap reached").await;
        p.gone("status", Name::Contains("At this rate")).await;

        // Globex, $960.00 of its $1,200.00 cap on the first day: the
        // projection runs far past the cap by the reset, yet the scale is the
        // cap's, so the spend is drawn at 80% of the height, not flat.
        assert_eq!(p.app.meter("globex", "600").await.0, 200);
        p.sign_in("owner@acme.test", "globex").await;
        let chart = p
            .get(
                "img",
                Name::Contains("Flex spend this cycle by day: $960.00"),
            )
            .await;
        let name = chart.attr("aria-label").await.unwrap().unwrap_or_default();
        assert!(name.contains("the cap is $1,200.00"), "{name}");
        // A part of the chart (the drawing's lines, the labels over it) by CSS.
        let figure = chart.find(thirtyfour::By::XPath("..")).await.unwrap();
        let part = |css: &'static str| {
            let figure = figure.clone();
            async move {
                figure
                    .find(thirtyfour::By::Css(css))
                    .await
                    .unwrap_or_else(|e| panic!("{css}: {e}"))
            }
        };
        let attr = |css: &'static str, name: &'static str| {
            let part = part(css);
            async move { part.await.attr(name).await.unwrap().unwrap_or_default() }
        };
        let label = |css: &'static str| {
            let part = part(css);
            async move { part.await.text().await.unwrap() }
        };
        let spend = attr("polyline.spend-chart__spend", "points").await;
        let last_y: i64 = spend
            .rsplit(' ')
            .next()
            .and_then(|p| p.split(',').nth(1))
            .and_then(|y| y.parse().ok())
            .unwrap_or_else(|| panic!("points {spend:?}"));
        // 960 high, $960.00 of $1,200.00: 192 from the top.
        assert_eq!(last_y, 192, "the spend at 80% of the cap's height: {spend}");
        // The projection runs from today's spend to where it reaches the cap
        // (the top of the scale) and stops there, at the marked day.
        let state: billing_domain::BillingState =
            serde_json::from_value(p.app.billing("globex").await).unwrap();
        let forecast = state.forecast().expect("a forecast for Globex");
        let crosses = forecast
            .cap_reached_on
            .expect("$960.00 in a day reaches $1,200.00 before the reset");
        let days = (state.cycle.end - state.cycle.start).num_days();
        // Each day is drawn at its end, on a drawing 3,200 wide.
        let today_x = ((state.today - state.cycle.start).num_days() + 1) * 3200 / days;
        let cap_x = (((crosses - state.cycle.start).num_days() + 1) * 3200 / days).min(3200);
        assert_eq!(
            attr("polyline.spend-chart__forecast", "points").await,
            format!("{today_x},192 {cap_x},0"),
            "the projection from today to the cap, and no further"
        );
        assert_eq!(
            attr("line.spend-chart__crossing", "x1").await,
            cap_x.to_string()
        );
        assert_eq!(
            attr("line.spend-chart__cap", "y1").await,
            "0",
            "the cap at the top of the scale"
        );
        assert_eq!(label(".spend-chart__label--cap").await, "Cap $1,200.00");
        assert_eq!(
            label(".spend-chart__label--crossing").await,
            format!("Cap around {}", billing_domain::human_date(crosses))
        );
        assert_eq!(label(".spend-chart__label--today").await, "Today");
        p.check("forecast-globex").await;
    })
    .await;
}
