//! The Plan & Billing web app (Leptos, client-side rendered).
//!
//! Routes are few and fixed, so the path is matched here instead of pulling in
//! a router: `/workspaces/{ws}/billing`, `/workspaces/{ws}/credits/purchase`,
//! and the designers' `/preview`.

mod api;
mod components;
mod fixtures;
mod pages;

use leptos::prelude::*;

/// A page of the app, read from the URL path.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Billing(String),
    Purchase(String),
    Preview,
    NotFound,
}

fn route(path: &str) -> Route {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["workspaces", ws, "billing"] if !ws.is_empty() => Route::Billing(ws.to_string()),
        ["workspaces", ws, "credits", "purchase"] if !ws.is_empty() => {
            Route::Purchase(ws.to_string())
        }
        ["preview"] => Route::Preview,
        _ => Route::NotFound,
    }
}

#[component]
fn App() -> impl IntoView {
    let path = window().location().pathname().unwrap_or_default();
    match route(&path) {
        Route::Billing(ws) => view! { <pages::billing::BillingPage ws=ws /> }.into_any(),
        Route::Purchase(ws) => view! { <pages::purchase::PurchasePage ws=ws /> }.into_any(),
        Route::Preview => view! { <pages::preview::PreviewPage /> }.into_any(),
        Route::NotFound => view! {
            <main class="page">
                <h1 class="page__title">"Page not found"</h1>
                <p><a class="link" href="/">"Go to Plan & Billing"</a></p>
            </main>
        }
        .into_any(),
    }
}

fn main() {
    console_error_panic_hook::set_once();
    mount_to_body(App);
}
