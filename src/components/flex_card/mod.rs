//! The Flex Billing card: its frame (title, badge, note), the face its state
//! calls for (off or on) and its confirmation dialogs.

mod alerts;
mod dialogs;
mod history;
mod later;
mod off;
mod on;
mod statements;
mod thresholds;

use crate::components::Preset;
use crate::hooks::{use_billing, use_interval};
use dialogs::{CardDialogs, Confirmations};
use leptos::prelude::*;
use off::OffFace;
use on::OnFace;

/// How often the card's relative times ("2 minutes ago") are worded again.
const TICK: std::time::Duration = std::time::Duration::from_secs(30);

/// The Flex Billing card in every state: off, on with a cap, on without a cap,
/// and read-only for people who may not manage billing. Shows and changes the
/// [`Billing`](crate::hooks::Billing) in context.
#[component]
pub fn FlexCard(
    /// Prefix of every element id in the card; the page's card uses the default.
    #[prop(default = "flex")]
    id: &'static str,
) -> impl IntoView {
    let billing = use_billing();
    let state = billing.state();
    let title_id = format!("{id}-card-title");
    let enabled = Memo::new(move |_| state.with(|s| s.flex.enabled));
    let can_manage = Memo::new(move |_| state.with(|s| s.viewer.can_manage));
    let live = billing.live();
    // Worked out once for the forecast sentence, the meter and the chart.
    let forecast = Memo::new(move |_| state.with(|s| s.forecast()));
    // One clock for the history's and the delivery log's "2 minutes ago".
    let now = RwSignal::new(billing.backend().now());
    use_interval(TICK, move || now.set(billing.backend().now()));

    // Asking again for the card's later half, after its module failed to load.
    let attempt = RwSignal::new(0u32);

    let confirmations = Confirmations::new(billing);
    let preset = Preset::current();
    let inline = match preset {
        Preset::Open(dialog) => {
            confirmations.get(dialog).show();
            true
        }
        Preset::Confirmed(dialog) => {
            let confirmation = confirmations.get(dialog);
            confirmation.show();
            confirmation.confirm();
            true
        }
        Preset::Live | Preset::Submitted(_) | Preset::Registered(_) => false,
    };

    // Off and on are two faces; with or without a cap is a detail of "on", so
    // the cap field (and what it announces) lives on when a cap is set or removed.
    let face = move || {
        let managing = can_manage.get();
        if enabled.get() {
            view! { <OnFace id=id managing=managing confirmations=confirmations forecast=forecast /> }.into_any()
        } else {
            view! { <OffFace id=id managing=managing confirmations=confirmations /> }.into_any()
        }
    };

    // Dialogs are mounted at card level, so a change of face cannot remove an open modal.
    view! {
        <section class="card flex-card" aria-labelledby=title_id.clone()>
            <div class="flex-card__head">
                <h2 class="card__title" id=title_id.clone() tabindex="-1">"Flex Billing"</h2>
                <span class="badge" class:badge--on=move || enabled.get()>
                    {move || if enabled.get() { "On" } else { "Off" }}
                </span>
                <Show when=move || live.get().is_some()>
                    <p class="freshness" class:freshness--live=move || live.get() == Some(true) role="status">
                        {move || {
                            if live.get() == Some(true) {
                                "Usage updates live"
                            } else {
                                "Reconnecting… usage refreshes every 10 s"
                            }
                        }}
                    </p>
                </Show>
            </div>
            {face}
            <Show when=move || !can_manage.get()>
                <p class="flex-card__note">
                    "Only workspace owners and admins can change Flex Billing. Ask one of them to make changes."
                </p>
            </Show>
            // Fetched after the card is usable (see `later`); until then
            // nothing stands in for it, since nothing on screen sits below it.
            // Shown whole once its module and its first answers are in
            // (Transition), so its own parts never push each other down; a
            // later refresh keeps it on screen.
            <Transition fallback=|| ()>
                {move || {
                    attempt.track();
                    Suspend::new(async move {
                        match later::card_details(id, now, enabled, forecast).await {
                            Ok(details) => details,
                            Err(later::NotLoaded) => view! { <LaterFailed attempt=attempt /> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <CardDialogs id=id confirmations=confirmations inline=inline />
        </section>
    }
}

/// In place of the card's later half when its module could not be fetched:
/// what is missing, and a way to fetch it again. The card above still works.
#[component]
fn LaterFailed(attempt: RwSignal<u32>) -> impl IntoView {
    view! {
        <div class="banner banner--danger flex-card__later-failed" role="alert">
            <p class="banner__text">
                "The statements, the recent changes and alert delivery couldn't be loaded. Check your connection and try again."
            </p>
            <div class="banner__actions">
                <button
                    type="button"
                    class="btn btn--small btn--secondary"
                    on:click=move |_| attempt.update(|n| *n += 1)
                >
                    "Try again"
                </button>
            </div>
        </div>
    }
}
