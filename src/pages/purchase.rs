//! `/workspaces/{ws}/credits/purchase`: where "Purchase Prepaid Credits" leads.

use crate::routes::billing_href;
use leptos::prelude::*;

/// The prepaid credits page. Checkout happens in the platform's store; this
/// page names the offer and leads back.
#[component]
pub fn PurchasePage(ws: String) -> impl IntoView {
    document().set_title("Purchase Prepaid Credits");
    let back = billing_href(&ws);
    view! {
        <main class="page">
            <header class="page__header">
                <h1 class="page__title">"Purchase Prepaid Credits"</h1>
            </header>
            <section class="card" aria-labelledby="purchase-title">
                <h2 class="card__title" id="purchase-title">"Prepaid credits cost less than Flex Usage"</h2>
                <p>
                    "Prepaid credits are drawn after your plan's included credits and before Flex Usage, "
                    "at a lower per-credit rate. Contact your account team to buy a credit pack."
                </p>
                <a class="link" href=back>"Back to Plan & Billing"</a>
            </section>
        </main>
    }
}
