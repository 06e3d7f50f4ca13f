//! Flex Usage alerts: 80% of the cap, the cap reached, flex credits in use.

use crate::components::cap_input::CAP_INPUT_ID;
use crate::routes::purchase_href;
use billing_domain::{Alert, PlanInterval};
use leptos::prelude::*;

/// One alert banner. Warning and cap-reached are `role="alert"`; the flex-in-use
/// notice is `role="status"`.
#[component]
pub fn AlertBanner(
    /// The alert, from the domain's alert function.
    alert: Alert,
    /// Monthly or annual wording.
    interval: PlanInterval,
    /// The workspace slug, for the purchase link.
    ws: String,
    /// Whether to offer "Raise cap" (owners and admins only).
    can_manage: bool,
) -> impl IntoView {
    // Raising the cap answers the warning and the cap reached, not flex in use.
    let (class, role, raisable) = match alert {
        Alert::Warning { .. } => ("banner banner--warning", "alert", true),
        Alert::CapReached { .. } => ("banner banner--danger", "alert", true),
        Alert::FlexActive { .. } => ("banner banner--info", "status", false),
    };
    let (title, text) = (alert.title(), alert.sentence(interval));
    let offers_raise = can_manage && raisable;
    let raise = move |_| {
        if let Some(input) = document().get_element_by_id(CAP_INPUT_ID) {
            use wasm_bindgen::JsCast;
            if let Ok(input) = input.dyn_into::<web_sys::HtmlInputElement>() {
                let _ = input.focus();
                input.select();
            }
        }
    };
    view! {
        <div class=class role=role>
            <p class="banner__title">{title}</p>
            <p class="banner__text">{text}</p>
            <div class="banner__actions">
                <Show when=move || offers_raise>
                    <button type="button" class="btn btn--small btn--secondary" on:click=raise>
                        "Raise cap"
                    </button>
                </Show>
                <a class="link" href=purchase_href(&ws)>"Purchase Prepaid Credits"</a>
            </div>
        </div>
    }
}
