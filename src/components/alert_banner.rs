//! Flex Usage alerts: 80% of the cap, the cap reached, flex credits in use.

use crate::components::cap_input::CAP_INPUT_ID;
use crate::routes::purchase_href;
use billing_domain::{human_date, Alert, PlanInterval};
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
    let noun = interval.noun();
    let (class, role, title, text) = match alert {
        Alert::Warning { percent, cap, .. } => (
            "banner banner--warning",
            "alert",
            "Approaching your flex cap",
            format!("You've used {percent}% of your {cap} flex cap this {noun}. Raise the cap or purchase Prepaid Credits to keep usage running."),
        ),
        Alert::CapReached { cap, spend, resets_on } => {
            let reached = if spend >= cap {
                format!("You've reached your {cap} flex cap.")
            } else {
                format!("Usage that would pass your {cap} flex cap was refused ({spend} used this {noun}).")
            };
            (
                "banner banner--danger",
                "alert",
                "Flex cap reached",
                format!(
                    "{reached} Usage that requires additional credits is blocked until the cap is raised or the billing cycle resets on {}.",
                    human_date(resets_on)
                ),
            )
        }
        Alert::FlexActive { flex_rate, prepaid_rate } => (
            "banner banner--info",
            "status",
            "Flex credits in use",
            format!(
                "Your workspace is using flex credits at {flex_rate} per credit. Purchase Prepaid Credits for a lower per-credit rate ({prepaid_rate})."
            ),
        ),
    };
    let offers_raise = can_manage && !matches!(alert, Alert::FlexActive { .. });
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
