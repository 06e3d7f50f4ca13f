//! Included and prepaid credits this cycle.

use crate::routes::purchase_href;
use billing_domain::BillingState;
use leptos::prelude::*;

/// Included credits used of total, the prepaid balance, and the way to buy more.
#[component]
pub fn CreditsSummary(
    /// The billing state to summarise.
    #[prop(into)]
    state: Signal<BillingState>,
) -> impl IntoView {
    let included = move || {
        state.with(|s| {
            format!(
                "{} of {} used this {}",
                s.usage.included_used,
                s.usage.included_total,
                s.plan.interval.noun()
            )
        })
    };
    let prepaid = move || state.with(|s| format!("{} credits available", s.usage.prepaid_balance));
    let rates = move || {
        state.with(|s| {
            format!(
                "Prepaid credits cost {} each; flex credits cost {} each.",
                s.usage.prepaid_rate, s.usage.flex_rate
            )
        })
    };
    view! {
        <section class="card credits" aria-labelledby="credits-title">
            <h2 class="card__title" id="credits-title">"Credits"</h2>
            <dl class="credits__list">
                <div>
                    <dt>"Included credits"</dt>
                    <dd>{included}</dd>
                </div>
                <div>
                    <dt>"Prepaid balance"</dt>
                    <dd>{prepaid}</dd>
                </div>
            </dl>
            <p class="credits__rates">{rates}</p>
            <a class="link" href=move || state.with(|s| purchase_href(&s.workspace.slug))>"Purchase Prepaid Credits"</a>
        </section>
    }
}
