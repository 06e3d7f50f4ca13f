//! What the page shows instead of, or above, the billing state: loading,
//! a failed fetch, and the sign-in prompt.

use crate::api::ApiError;
use crate::routes::{sign_in_href, HOME};
use leptos::prelude::*;

/// The page while the first fetch is out: the layout's shape, not a jump.
#[component]
pub fn Skeleton() -> impl IntoView {
    view! {
        <div class="skeleton" aria-busy="true">
            <p class="visually-hidden" role="status">"Loading Plan & Billing…"</p>
            <div class="skeleton__line skeleton__line--short"></div>
            <div class="skeleton__line skeleton__line--title"></div>
            <div class="skeleton__line"></div>
            <div class="page__grid">
                <div class="card skeleton__card"></div>
                <div class="card skeleton__card"></div>
            </div>
        </div>
    }
}

/// Shown when a fetch fails: what happened and a Retry button.
#[component]
pub fn ErrorNotice(
    /// The failure to show; nothing shows while it is `None`.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
    /// True while a fetch is out (Retry shows progress).
    #[prop(into)]
    fetching: Signal<bool>,
    /// Runs on Retry.
    on_retry: Callback<()>,
) -> impl IntoView {
    view! {
        <Show when=move || error.with(Option::is_some)>
            <div class="banner banner--danger" role="alert">
                <p class="banner__title">"Couldn't load Plan & Billing"</p>
                <p class="banner__text">{move || error.get().map(|e| e.message()).unwrap_or_default()}</p>
                <div class="banner__actions">
                    <button
                        type="button"
                        class="btn btn--small btn--secondary"
                        aria-busy=move || fetching.get().to_string()
                        on:click=move |_| on_retry.run(())
                    >
                        "Retry"
                    </button>
                </div>
            </div>
        </Show>
    }
}

/// Shown on 401.
#[component]
pub fn SignInPrompt() -> impl IntoView {
    let here = window()
        .location()
        .pathname()
        .unwrap_or_else(|_| HOME.into());
    let href = sign_in_href(&here);
    view! {
        <section class="card signin" aria-labelledby="signin-title">
            <h1 class="card__title" id="signin-title">"Sign in to see Plan & Billing"</h1>
            <p>"You need to be signed in as a member of this workspace to see its plan and billing."</p>
            <a class="btn btn--primary" href=href>"Sign in"</a>
        </section>
    }
}
