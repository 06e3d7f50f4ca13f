//! What the card shows once it is usable, from the page's second module:
//! the spend chart and the breakdown by feature (while Flex Billing is on),
//! the statements, the history and, for owners, alert delivery.
//!
//! `#[lazy]` marks the split point: `scripts/split-wasm.sh` moves this
//! function, and all the code only it reaches, into a module of its own that
//! the card fetches after its first paint. See ARCHITECTURE.md.

use super::alerts::Alerts;
use super::history::History;
use super::statements::Statements;
use crate::components::{FeatureBreakdown, SpendChart};
use crate::hooks::use_billing;
use billing_domain::Forecast;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// The card's lower half. It comes after everything the card shows at
/// first, so its arrival moves nothing already on screen.
#[lazy]
pub(super) fn card_details(
    id: &'static str,
    now: RwSignal<DateTime<Utc>>,
    forecast: Memo<Option<Forecast>>,
) -> AnyView {
    let state = use_billing().state();
    let enabled = Memo::new(move |_| state.with(|s| s.flex.enabled));
    let charted = Memo::new(move |_| state.with(|s| s.flex.enabled && !s.flex_by_day.is_empty()));
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
