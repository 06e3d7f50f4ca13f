//! The card's face while Flex Billing is off: what it is, and Enable.

use super::dialogs::Confirmations;
use crate::components::CardDialog;
use leptos::prelude::*;

/// Flex Billing off: the pitch, and Enable for those who may manage billing.
#[component]
pub(super) fn OffFace(
    /// The card's id prefix.
    id: &'static str,
    /// Whether the viewer may change Flex Billing.
    managing: bool,
    /// The card's dialogs, opened by Enable.
    confirmations: Confirmations,
) -> impl IntoView {
    view! {
        <p class="flex-card__lead">
            "Keep training and deployments running when included and prepaid credits run out. "
            "Flex Usage is billed to your payment method on file, up to a spending cap you choose."
        </p>
        <Show when=move || managing fallback=|| ()>
            <div class="flex-card__actions">
                <button
                    type="button"
                    class="btn btn--primary"
                    id=format!("{id}-enable")
                    on:click=move |_| confirmations.get(CardDialog::Enable).show()
                >
                    "Enable"
                </button>
            </div>
        </Show>
    }
}
