//! The designers' preview, and the page at phone and desktop widths.

use crate::page::{run, Name, Page};

const SPECIMENS: [&str; 40] = [
    "Off (monthly)",
    "Off (annual)",
    "On with cap (monthly)",
    "On with cap (annual)",
    "On without cap",
    "Read-only (member)",
    "Saving",
    "Save error",
    "Valid (monthly)",
    "Valid (annual)",
    "Invalid",
    "Enable (monthly)",
    "Enable (annual)",
    "Remove cap dialog",
    "Disable dialog",
    "Confirming",
    "Confirmation failed",
    "Changed elsewhere (cap field)",
    "No changes yet",
    "Live updates",
    "Webhook registered: the secret, once",
    "Alerts sent, retrying and failed",
    "Reconnecting",
    "Forecast: the cap before the reset",
    "Forecast: within the cap",
    "Changed elsewhere (dialog)",
    "80% of the cap, flex in use",
    "Cap reached",
    "Flex credits in use",
    "Cap reached (annual)",
    "20% used",
    "84% used",
    "Credits summary",
    "Warning, card on (360 px)",
    "Disable dialog (360 px)",
    "Invalid cap (360 px)",
    "Loading",
    "Fetch failed",
    "Signed out",
    "At 360 px",
];

#[tokio::test]
async fn preview_shows_every_state_at_phone_and_desktop_widths() {
    run("preview", |p| async move {
        p.goto("/preview").await;
        p.get("heading", Name::Is("Component preview")).await;
        let text = p
            .driver
            .find(thirtyfour::By::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let captions = text.to_uppercase();
        for specimen in SPECIMENS {
            assert!(
                captions.contains(&specimen.to_uppercase()),
                "the preview lacks {specimen:?}"
            );
        }
        for wording in [
            "$100 per month",
            "$1,200 per year",
            "Flex cap (per month)",
            "Flex cap (per year)",
            "No cap: Flex Usage is unlimited",
            "Only workspace owners and admins can change Flex Billing.",
            "The flex cap must be at least $1.00.",
            "The cap wasn't saved",
            "Saving…",
            "You've used 84% of your $100.00 flex cap",
            "Flex cap reached",
            "Couldn't load Plan & Billing",
            "Your payment method on file will be automatically charged for any Flex Usage.",
            "There will be no limit on how much your workspace can spend on Flex Usage per billing cycle.",
            "In-flight training jobs and deployments will stop once your included and prepaid credits run out.",
            "Something went wrong on our side. Try again.",
            "Someone changed Flex Billing while you were editing: the cap is now $50.00.",
            "Your entry is kept: save it again to apply it.",
            "Recent changes",
            "Cap set to $250.00 (was $100.00) by owner@acme.test, 2 minutes ago",
            "Flex Billing disabled by admin@acme.test, yesterday",
            "Flex Billing enabled with a $100.00 cap by owner@acme.test, 3 hours ago",
            "No changes yet.",
            "Usage updates live",
            "Signing secret, shown this once: copy it now to verify the webhooks you receive.",
            "80% alert sent to https://hooks.example.com/billing, 200, 3 minutes ago",
            "80% alert to admin@acme.test failed (could not connect), 3 minutes ago; trying again",
            "Reconnecting… usage refreshes every 10 s",
            "At this rate you'll reach your $100.00 cap around Nov 29.",
            "At this rate you'll spend about $63.00 by the reset on Dec 1, within your $100.00 cap.",
        ] {
            p.text(wording).await;
        }
        p.resize(1440, 900).await;
        p.check("desktop").await;
        p.resize(360, 800).await;
        p.check("phone").await;
        // The root keeps a scrollbar gutter (style/base.css), so the content is
        // narrower than the window: nothing may reach past it.
        let overflow = p
            .js("return document.documentElement.scrollWidth > document.documentElement.clientWidth")
            .await;
        assert_eq!(overflow, false, "no sideways scroll at 360 px");
    })
    .await;
}

#[tokio::test]
async fn the_page_reads_at_360_px() {
    run("phone", |p| async move {
        p.app
            .owner_change(reqwest::Method::POST, "acme", "flex/enable", None)
            .await;
        p.app.meter("acme", "61").await; // 21 flex credits: $84 of $100
        p.resize(360, 800).await;
        p.sign_in("owner@acme.test", "acme").await;
        p.text("You've used 84% of your $100.00 flex cap").await;
        let overflow = p
            .js("return document.documentElement.scrollWidth > window.innerWidth")
            .await;
        assert_eq!(overflow, false, "nothing is wider than a 360 px screen");
        p.check("warning").await;
        p.click("button", "Disable").await;
        p.get("dialog", Name::Is("Disable Flex Billing?")).await;
        p.check("dialog").await;
    })
    .await;
}

#[tokio::test]
async fn the_billing_page_loads_one_stylesheet_and_not_the_preview() {
    run("page_assets", |p| async move {
        p.sign_in("owner@acme.test", "acme").await;
        let loaded = p
            .js("return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)")
            .await;
        let assets: Vec<&str> = loaded
            .as_array()
            .expect("resource entries")
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|path| !path.starts_with("/api/"))
            .collect();
        let ends = |ext: &str| assets.iter().filter(|a| a.ends_with(ext)).count();
        // The first module (script and wasm), then the card's later half:
        // the split loader and the module it fetches (scripts/split-wasm.sh).
        let later = |prefix: &str| assets.iter().filter(|a| a.starts_with(prefix)).count();
        assert_eq!(
            (ends(".css"), ends(".js"), ends(".wasm"), assets.len()),
            (1, 2, 2, 5),
            "besides the HTML, one stylesheet, two scripts and two wasm modules: {assets:?}"
        );
        assert_eq!(
            (later("/__wasm_split-"), later("/split_card_details")),
            (1, 1),
            "one split loader and one later module: {assets:?}"
        );
        assert!(
            assets.iter().all(|a| !a.contains("preview")),
            "the page downloads nothing of the preview: {assets:?}"
        );
        // The card's first two reads start with the page (index.html), before
        // the first module has even arrived, and the page takes their answers
        // instead of asking again.
        let reads = p
            .js("const at = (path) => performance.getEntriesByType('resource')
                   .filter(e => new URL(e.name).pathname === path).map(e => e.startTime);
                 const wasm = performance.getEntriesByType('resource')
                   .filter(e => e.name.endsWith('_bg.wasm')).map(e => e.responseEnd);
                 return { session: at('/api/session'),
                          billing: at('/api/workspaces/acme/billing'),
                          wasm,
                          taken: [window.firstReads.session, window.firstReads.billing] };")
            .await;
        let times = |key: &str| -> Vec<f64> {
            reads[key]
                .as_array()
                .unwrap_or_else(|| panic!("{key} in {reads}"))
                .iter()
                .filter_map(|t| t.as_f64())
                .collect()
        };
        let (session, billing, wasm) = (times("session"), times("billing"), times("wasm"));
        assert_eq!(
            (session.len(), billing.len(), wasm.len()),
            (1, 1, 1),
            "one read each, one first module: {reads}"
        );
        assert!(
            session[0] < wasm[0] && billing[0] < wasm[0],
            "the first reads start before the first module has arrived: {reads}"
        );
        assert_eq!(reads["taken"], serde_json::json!([null, null]), "{reads}");
    })
    .await;
}

/// Every layout shift of each document the browser opens, summed in
/// `window.__layoutShift` (cumulative layout shift: shifts not caused by
/// input), with what moved, from before any of its scripts run.
async fn watch_layout_shift(p: &Page) {
    use thirtyfour::extensions::cdp::ChromeDevTools;
    ChromeDevTools::new(p.driver.handle.clone())
        .execute_cdp_with_params(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": "
                window.__layoutShift = 0; window.__moved = [];
                new PerformanceObserver((list) => {
                  for (const e of list.getEntries()) {
                    if (e.hadRecentInput) continue;
                    window.__layoutShift += e.value;
                    for (const s of e.sources) window.__moved.push(s.node?.outerHTML?.slice(0, 80) ?? '?');
                  }
                }).observe({ type: 'layout-shift', buffered: true });" }),
        )
        .await
        .expect("a script for every document");
}

/// The page holds still while it loads: the session bar, the card, and then
/// the card's later half from the second module (the chart and the
/// breakdown on Globex; statements, history and alert delivery on both)
/// arrive without moving anything already on screen.
#[tokio::test]
async fn the_page_does_not_move_while_it_loads() {
    run("layout_shift", |p| async move {
        watch_layout_shift(&p).await;
        // Globex (annual, Flex Billing on) with usage: a chart and a breakdown.
        assert_eq!(p.app.meter("globex", "600").await.0, 200);
        for (ws, last) in [
            ("acme", "Alert delivery"),
            ("globex", "What used flex credits this year"),
        ] {
            p.sign_in("owner@acme.test", ws).await;
            p.get("heading", Name::Is("Recent changes")).await;
            p.get("heading", Name::Is(last)).await;
            // Two frames more: a shift is reported in the frame after it.
            let shift = p
                .driver
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     requestAnimationFrame(() => requestAnimationFrame(() =>
                       done({ shift: window.__layoutShift, moved: window.__moved })));",
                    Vec::new(),
                )
                .await
                .expect("script")
                .json()
                .clone();
            assert_eq!(
                shift["shift"].as_f64(),
                Some(0.0),
                "{ws}: cumulative layout shift while loading: {shift}"
            );
            p.check(&format!("{ws}-loaded")).await;
        }
    })
    .await;
}

/// When the second module cannot be fetched, the card still works and says
/// what is missing; "Try again" fetches it once the network is back.
#[tokio::test]
async fn the_card_works_and_says_so_when_its_later_half_cannot_load() {
    run("later_failed", |p| async move {
        use thirtyfour::extensions::cdp::ChromeDevTools;
        let cdp = ChromeDevTools::new(p.driver.handle.clone());
        cdp.execute_cdp("Network.enable").await.expect("network");
        cdp.execute_cdp_with_params(
            "Network.setBlockedURLs",
            serde_json::json!({ "urls": ["*split_card_details*"] }),
        )
        .await
        .expect("block the later module");
        p.sign_in("owner@acme.test", "acme").await;
        p.with_text("alert", "couldn't be loaded").await;
        assert_eq!(p.count("heading", Name::Is("Recent changes")).await, 0);
        p.check("failed").await;
        // The card above is whole: Enable opens its dialog.
        p.click("button", "Enable").await;
        p.get("dialog", Name::Is("Enable Flex Billing?")).await;
        p.click("button", "Cancel").await;

        cdp.execute_cdp_with_params("Network.setBlockedURLs", serde_json::json!({ "urls": [] }))
            .await
            .expect("unblock");
        p.click("button", "Try again").await;
        p.get("heading", Name::Is("Recent changes")).await;
        p.gone("button", Name::Is("Try again")).await;
        p.check("recovered").await;
    })
    .await;
}
