//! The card's face while Flex Billing is on: spend against the cap, the cap
//! field, Remove cap and Disable (or the cap, read-only).

use super::dialogs::Confirmations;
use crate::components::{CapInput, CardDialog, UsageMeter};
use crate::hooks::use_billing;
use billing_domain::Forecast;
use leptos::prelude::*;

/// Flex Billing on, with or without a cap.
#[component]
pub(super) fn OnFace(
    /// The card's id prefix.
    id: &'static str,
    /// Whether the viewer may change Flex Billing.
    managing: bool,
    /// The card's dialogs, opened by Remove cap and Disable.
    confirmations: Confirmations,
    /// Where the flex spend is heading, worked out by the card.
    forecast: Memo<Option<Forecast>>,
) -> impl IntoView {
    let state = use_billing().state();
    let capped = Memo::new(move |_| state.with(|s| s.flex.cap.is_some()));
    let interval = Memo::new(move |_| state.with(|s| s.plan.interval));
    let spend = Signal::derive(move || state.with(|s| s.usage.flex_spend));
    let cap = Signal::derive(move || state.with(|s| s.flex.cap));
    let resets_on = Signal::derive(move || state.with(|s| s.cycle.end));
    // Spend stops at the cap: the meter's projection does too.
    let projected = Signal::derive(move || forecast.get().map(|f| f.at_reset.min(f.cap)));

    let controls = move || {
        if managing {
            view! {
                <CapInput
                    id=format!("{id}-cap-input")
                    label=Signal::derive(move || if capped.get() { "Flex cap" } else { "Set a flex cap" })
                />
                <div class="flex-card__actions">
                    <Show when=move || capped.get()>
                        <button
                            type="button"
                            class="btn btn--danger-outline"
                            on:click=move |_| confirmations.get(CardDialog::RemoveCap).show()
                        >
                            "Remove cap"
                        </button>
                    </Show>
                    <button
                        type="button"
                        class="btn btn--danger-outline"
                        on:click=move |_| confirmations.get(CardDialog::Disable).show()
                    >
                        "Disable"
                    </button>
                </div>
            }
            .into_any()
        } else {
            view! {
                <p class="flex-card__cap-readonly">
                    {move || match cap.get() {
                        Some(c) => format!("Flex cap: {c} {}", interval.get().per()),
                        None => "Flex cap: none".to_string(),
                    }}
                </p>
            }
            .into_any()
        }
    };

    view! {
        <p class="flex-card__lead">
            "Your payment method on file is charged automatically for Flex Usage."
        </p>
        <Show when=move || !capped.get()>
            <p class="flex-card__unlimited">
                <strong>"No cap: Flex Usage is unlimited."</strong>
                " There is no limit on how much this workspace can spend on Flex Usage per billing cycle."
            </p>
        </Show>
        <UsageMeter
            spend=spend
            cap=cap
            interval=interval
            resets_on=resets_on
            projected=projected
            id=format!("{id}-usage")
        />
        {move || {
            forecast
                .get()
                .map(|f| view! { <p class="flex-card__forecast" role="status">{f.sentence()}</p> })
        }}
        {controls}
    }
}
