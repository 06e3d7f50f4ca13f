//! Flex spend against the cap this cycle.

use billing_domain::{cap_percent, human_date, Money, PlanInterval, WARNING_PERCENT};
use chrono::NaiveDate;
use leptos::prelude::*;

/// A meter of flex spend of the cap, as an amount and a percentage, with the
/// reset date. Without a cap it shows the spend alone.
#[component]
pub fn UsageMeter(
    /// Flex spend this cycle.
    #[prop(into)]
    spend: Signal<Money>,
    /// The cap, if any.
    #[prop(into)]
    cap: Signal<Option<Money>>,
    /// Monthly or annual wording.
    #[prop(into)]
    interval: Signal<PlanInterval>,
    /// When the cycle resets.
    #[prop(into)]
    resets_on: Signal<NaiveDate>,
    /// Element id of the summary line, which names the meter (unique on the page).
    #[prop(into)]
    id: String,
    /// Spend at the reset at this rate (the forecast), if there is one.
    #[prop(optional, into)]
    projected: Signal<Option<Money>>,
) -> impl IntoView {
    let projected_percent = move || cap_percent(projected.get()?, cap.get());
    let percent = move || cap_percent(spend.get(), cap.get());
    let summary = move || match (cap.get(), percent()) {
        (Some(cap), Some(p)) => format!(
            "{} of {} this {} ({p}%)",
            spend.get(),
            cap,
            interval.get().noun()
        ),
        _ => format!(
            "{} spent on Flex Usage this {}",
            spend.get(),
            interval.get().noun()
        ),
    };
    let level = move || match percent() {
        Some(p) if p >= 100 => "usage-meter__bar usage-meter__bar--full",
        Some(p) if p >= WARNING_PERCENT => "usage-meter__bar usage-meter__bar--warn",
        _ => "usage-meter__bar",
    };
    // The bar's width comes from the exact whole percentage, clamped to the track.
    // Set as a CSS property (CSSOM), not a `style` attribute, which the page's
    // Content-Security-Policy (`style-src 'self'`) refuses.
    let width = move || format!("{}%", percent().unwrap_or(0).min(100));
    view! {
        <div class="usage-meter">
            <p class="usage-meter__summary" id=id.clone()>{summary}</p>
            <Show when=move || cap.with(Option::is_some)>
                <div
                    class="usage-meter__track"
                    role="meter"
                    aria-labelledby=id.clone()
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=move || percent().unwrap_or(0).min(100).to_string()
                    aria-valuetext=move || match projected_percent() {
                        Some(p) => format!(
                            "{}% of the flex cap; {}% by the reset at this rate",
                            percent().unwrap_or(0),
                            p.min(100)
                        ),
                        None => format!("{}% of the flex cap", percent().unwrap_or(0)),
                    }
                >
                    <div
                        class="usage-meter__projection"
                        style:width=move || format!("{}%", projected_percent().unwrap_or(0).min(100))
                    ></div>
                    <div class=level style:width=width></div>
                </div>
            </Show>
            <p class="usage-meter__reset">{move || format!("Resets {}", human_date(resets_on.get()))}</p>
        </div>
    }
}
