//! `/workspaces/{ws}/billing`: the page's modes (loading, failed, signed out,
//! loaded) and, once loaded, the header, alerts, Flex Billing card and credits.

use crate::api::{self, ApiError};
use crate::components::{
    AlertBanner, CreditsSummary, ErrorNotice, FlexCard, SignInPrompt, Skeleton,
};
use crate::hooks::{provide_billing, use_billing};
use crate::routes::{billing_href, sign_in_href, HOME};
use billing_domain::{human_date, BillingState, SessionInfo};
use leptos::prelude::*;

/// The Plan & Billing page of workspace `ws`.
#[component]
pub fn BillingPage(ws: String) -> impl IntoView {
    // Who is signed in: fetched on its own, beside the billing state, so it
    // neither delays nor re-renders the card.
    let session = LocalResource::new(api::session);
    let current = ws.clone();
    let billing = provide_billing(ws);
    let shown = billing.shown();
    let load_error = billing.load_error();

    Effect::new(move |_| {
        let title = shown.with(|s| match s {
            Some(s) => format!("Plan & Billing · {}", s.workspace.name),
            None => "Plan & Billing".into(),
        });
        document().set_title(&title);
    });

    // Only a change of mode re-renders the page; within a mode every part
    // follows the state on its own, so a refresh never resets what someone typed.
    // The loaded page waits for the session too (both are fetched at once),
    // so the header's session bar never arrives late and pushes the page down.
    let mode = Memo::new(move |_| {
        match (
            load_error.with(|e| matches!(e, Some(ApiError::SignedOut))),
            shown.with(Option::is_some) && session.with(Option::is_some),
            load_error.with(Option::is_some),
        ) {
            (true, _, _) => Mode::SignedOut,
            (false, true, _) => Mode::Loaded,
            (false, false, true) => Mode::Failed,
            (false, false, false) => Mode::Loading,
        }
    });
    let on_retry = Callback::new(move |_| billing.refetch());
    let notice = move || {
        view! { <ErrorNotice error=load_error fetching=billing.fetching() on_retry=on_retry /> }
    };

    view! {
        <main class="page" id="main">
            {move || match mode.get() {
                Mode::SignedOut => view! { <SignInPrompt /> }.into_any(),
                Mode::Loading => view! { <Skeleton /> }.into_any(),
                Mode::Failed => view! {
                    <h1 class="page__title">"Plan & Billing"</h1>
                    {notice()}
                }
                .into_any(),
                Mode::Loaded => view! {
                    <Loaded session=session ws=current.clone()>{notice()}</Loaded>
                }
                .into_any(),
            }}
        </main>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Loading,
    Failed,
    SignedOut,
    Loaded,
}

#[component]
fn Loaded(
    /// The signed-in person, shown in the header once it arrives.
    session: LocalResource<Result<SessionInfo, ApiError>>,
    /// The workspace this page shows.
    ws: String,
    /// Shown under the header: the refresh error, if any.
    children: Children,
) -> impl IntoView {
    let state = use_billing().state();
    let alerts = Memo::new(move |_| state.with(BillingState::alerts));
    let heading = move || state.with(|s| s.workspace.name.clone());
    let plan = move || {
        state.with(|s| {
            format!(
                "{} plan · {} billing",
                s.plan.name,
                s.plan.interval.adjective().to_lowercase()
            )
        })
    };
    let cycle = move || {
        state.with(|s| {
            format!(
                "Current billing cycle: {} – {}",
                human_date(s.cycle.start),
                human_date(s.cycle.last_day())
            )
        })
    };
    view! {
        <header class="page__header">
            // The page shows once the session is answered; nothing here if that failed.
            {move || {
                session
                    .get()
                    .and_then(Result::ok)
                    .map(|info| view! { <SessionBar info=info ws=ws.clone() /> })
            }}
            <p class="page__eyebrow">{heading}</p>
            <h1 class="page__title">"Plan & Billing"</h1>
            <p class="page__meta">
                <span>{plan}</span>
                <span>{cycle}</span>
            </p>
        </header>
        {children()}
        <div class="page__alerts">
            // Keyed by the alert itself: a banner is only replaced when what it
            // says changes, so it is not re-announced (or robbed of focus) by a refresh.
            <For
                each=move || alerts.get()
                key=|alert| alert.clone()
                children=move |alert| {
                    let (interval, ws, can_manage) = state
                        .with_untracked(|s| (s.plan.interval, s.workspace.slug.clone(), s.viewer.can_manage));
                    view! { <AlertBanner alert=alert interval=interval ws=ws can_manage=can_manage /> }
                }
            />
        </div>
        <div class="page__grid">
            <FlexCard />
            <CreditsSummary state=state />
        </div>
    }
}

/// The signed-in person in the header: their workspaces (when more than one),
/// their email and "Sign out".
#[component]
fn SessionBar(info: SessionInfo, ws: String) -> impl IntoView {
    let switcher = (info.workspaces.len() > 1).then(|| {
        let links = info
            .workspaces
            .into_iter()
            .map(|link| {
                let current = (link.slug == ws).then_some("page");
                view! {
                    <li>
                        <a class="session__workspace" href=billing_href(&link.slug) aria-current=current>
                            {link.name}
                        </a>
                    </li>
                }
            })
            .collect_view();
        view! {
            <nav class="session__nav" aria-labelledby="session-workspaces">
                <span class="session__label" id="session-workspaces">"Workspace"</span>
                <ul class="session__workspaces">{links}</ul>
            </nav>
        }
    });
    let pending = RwSignal::new(false);
    let failed = RwSignal::new(false);
    let sign_out = Action::new_local(move |_: &()| async move {
        let result = api::sign_out().await;
        match result {
            Ok(at_provider) => {
                let here = window()
                    .location()
                    .pathname()
                    .unwrap_or_else(|_| HOME.into());
                // Keep the button busy while the browser leaves the page: for
                // the provider's sign-out, or the way to sign in again.
                let to = at_provider.unwrap_or_else(|| sign_in_href(&here));
                let _ = window().location().set_href(&to);
            }
            Err(_) => {
                pending.set(false);
                failed.set(true);
            }
        }
    });
    let on_sign_out = move |_| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        failed.set(false);
        sign_out.dispatch(());
    };
    view! {
        <div class="session">
            {switcher}
            <div class="session__who">
                <p class="session__email">
                    <span class="visually-hidden">"Signed in as "</span>
                    {info.email}
                </p>
                <button
                    type="button"
                    class="btn btn--small btn--secondary"
                    aria-disabled=move || pending.get().then_some("true")
                    on:click=on_sign_out
                >
                    "Sign out"
                </button>
            </div>
            <Show when=move || failed.get()>
                <p class="session__error" role="alert">"Couldn't sign out. Try again."</p>
            </Show>
        </div>
    }
}
