//! The Plan & Billing page: mounts the page the URL path names (see
//! [`routes`]). `/preview` is a separate entry (`preview/main.rs`).

use billing_page::{pages, routes};
use leptos::prelude::*;
use routes::Route;

#[component]
fn App() -> impl IntoView {
    let path = window().location().pathname().unwrap_or_default();
    match routes::route(&path) {
        Route::Billing(ws) => view! { <pages::billing::BillingPage ws=ws /> }.into_any(),
        Route::Purchase(ws) => view! { <pages::purchase::PurchasePage ws=ws /> }.into_any(),
        Route::Preview | Route::NotFound => view! {
            <main class="page">
                <h1 class="page__title">"Page not found"</h1>
                <p><a class="link" href=routes::HOME>"Go to Plan & Billing"</a></p>
            </main>
        }
        .into_any(),
    }
}

fn main() {
    // Panic messages in the console while developing; a release build leaves
    // the hook, and the formatting it pulls in, out of the page.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    mount_to_body(App);
}
