//! What used the flex credits this cycle, feature by feature, in words.

use billing_domain::{breakdown_heading, breakdown_lines, BillingState};
use leptos::prelude::*;

/// "What used flex credits this month": each feature with its flex spend and
/// share, largest first. Nothing while no feature has flex spend.
#[component]
pub fn FeatureBreakdown(
    /// The billing state whose cycle is broken down.
    #[prop(into)]
    state: Signal<BillingState>,
    /// The section's id prefix.
    id: String,
) -> impl IntoView {
    let lines = Memo::new(move |_| {
        state.with(|s| breakdown_lines(s.usage.by_feature.as_deref().unwrap_or_default()))
    });
    let heading = move || state.with(|s| breakdown_heading(s.plan.interval));
    let title = format!("{id}-title");
    view! {
        <Show when=move || !lines.with(Vec::is_empty)>
            <section class="feature-breakdown" aria-labelledby=title.clone()>
                <h3 class="feature-breakdown__title" id=title.clone()>{heading}</h3>
                <ul class="feature-breakdown__list">
                    {move || {
                        lines
                            .get()
                            .into_iter()
                            .map(|line| view! { <li>{line}</li> })
                            .collect_view()
                    }}
                </ul>
            </section>
        </Show>
    }
}
