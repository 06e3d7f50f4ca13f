//! What the card shows once it is usable, from the page's second module:
//! the spend chart and the breakdown by feature (while Flex Billing is on),
//! the statements, the history and, for owners, alert delivery.
//!
//! `card_details` is the split point (Leptos' `#[lazy]` machinery, used
//! directly for its `fallible` form): `scripts/split-wasm.sh` moves it, and
//! all the code only it reaches, into a module of its own that the card
//! fetches after its first paint. See ARCHITECTURE.md.

use super::alerts::Alerts;
use super::history::History;
use super::statements::Statements;
use crate::components::{FeatureBreakdown, SpendChart};
use crate::hooks::use_billing;
use billing_domain::Forecast;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// The second module could not be fetched (the network failed); asking
/// again fetches it anew.
pub(super) struct NotLoaded;

impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> NotLoaded {
        NotLoaded
    }
}

/// The card's lower half. It comes after everything the card shows at
/// first, so its arrival moves nothing already on screen. Built untracked:
/// the card mounts it once, and each part follows the state on its own.
#[leptos::wasm_split::wasm_split(
    card_details,
    wasm_split_path = ::leptos::wasm_split,
    fallible
)]
pub(super) fn card_details(
    id: &'static str,
    now: RwSignal<DateTime<Utc>>,
    enabled: Memo<bool>,
    forecast: Memo<Option<Forecast>>,
) -> Result<AnyView, NotLoaded> {
    Ok(untrack(move || details(id, now, enabled, forecast)))
}

fn details(
    id: &'static str,
    now: RwSignal<DateTime<Utc>>,
    enabled: Memo<bool>,
    forecast: Memo<Option<Forecast>>,
) -> AnyView {
    let state = use_billing().state();
    let charted = Memo::new(move |_| enabled.get() && state.with(|s| !s.flex_by_day.is_empty()));
    view! {
        <Show when=move || charted.get()>
            <SpendChart state=state forecast=forecast />
        </Show>
        <Show when=move || enabled.get()>
            <FeatureBreakdown state=state id=format!("{id}-features") />
        </Show>
        <Statements id=id />
        <History id=id now=now.into() />
        <Alerts id=id now=now />
    }
    .into_any()
}
