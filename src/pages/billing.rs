//! `/workspaces/{ws}/billing`: fetches the billing state, keeps it fresh, and
//! renders the header, credits, alerts and the Flex Billing card from it.

use crate::api::{ApiError, Backend};
use crate::components::{
    AlertBanner, CreditsSummary, ErrorNotice, FlexCard, SignInPrompt, Skeleton,
};
use billing_domain::api::BillingState;
use billing_domain::human_date;
use leptos::prelude::*;

/// How often usage is re-fetched while the page is visible, so alerts appear
/// without a reload. A GET of a few hundred bytes; fresher alerts are worth it.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The Plan & Billing page of workspace `ws`.
#[component]
pub fn BillingPage(ws: String) -> impl IntoView {
    let backend = Backend::Live(StoredValue::new(ws.clone()));
    let state = RwSignal::new(None::<BillingState>);
    let load_error = RwSignal::new(None::<ApiError>);
    let resource = LocalResource::new(move || backend.billing());
    let fetching = RwSignal::new(true);

    // A state (fetched, or answered by a change) replaces what is shown unless
    // what is shown is newer: a slow answer must not undo a later change. An
    // identical state changes nothing, so a refresh does not touch the page.
    let accept = move |new_state: BillingState| {
        let replace = state.with_untracked(|s| match s {
            None => true,
            Some(s) => new_state.flex.version >= s.flex.version && *s != new_state,
        });
        if replace {
            state.set(Some(new_state));
        }
    };
    Effect::new(move |_| {
        let Some(result) = resource.get() else { return };
        fetching.set(false);
        match result {
            Ok(s) => {
                accept(s);
                load_error.set(None);
            }
            Err(e) => load_error.set(Some(e)),
        }
    });
    let refetch = move || {
        fetching.set(true);
        resource.refetch();
    };
    let on_focus = window_event_listener(leptos::ev::focus, move |_| refetch());
    let on_visible = window_event_listener_untyped("visibilitychange", move |_| {
        if !document().hidden() {
            refetch();
        }
    });
    // A hidden tab skips the timer; it catches up when it is shown again.
    let interval = set_interval_with_handle(
        move || {
            if !document().hidden() {
                refetch();
            }
        },
        REFRESH_EVERY,
    )
    .ok();
    on_cleanup(move || {
        on_focus.remove();
        on_visible.remove();
        if let Some(h) = interval {
            h.clear();
        }
    });
    let on_change = Callback::new(move |s: BillingState| {
        accept(s);
        load_error.set(None);
    });

    Effect::new(move |_| {
        let title = state.with(|s| match s {
            Some(s) => format!("Plan & Billing · {}", s.workspace.name),
            None => "Plan & Billing".into(),
        });
        document().set_title(&title);
    });

    // Only a change of mode re-renders the page; within a mode every part
    // follows `state` on its own, so a refresh never resets what someone typed.
    let mode = Memo::new(move |_| {
        match (
            load_error.with(|e| matches!(e, Some(ApiError::SignedOut))),
            state.with(Option::is_some),
            load_error.with(Option::is_some),
        ) {
            (true, _, _) => Mode::SignedOut,
            (false, true, _) => Mode::Loaded,
            (false, false, true) => Mode::Failed,
            (false, false, false) => Mode::Loading,
        }
    });
    let on_retry = Callback::new(move |_| refetch());

    view! {
        <main class="page" id="main">
            {move || match mode.get() {
                Mode::SignedOut => view! { <SignInPrompt /> }.into_any(),
                Mode::Loading => view! { <Skeleton /> }.into_any(),
                Mode::Failed => view! {
                    <h1 class="page__title">"Plan & Billing"</h1>
                    <ErrorNotice error=load_error fetching=fetching on_retry=on_retry />
                }
                .into_any(),
                Mode::Loaded => {
                    // Loaded means a state is there; it is never taken away again.
                    let Some(first) = state.get_untracked() else { return view! { <Skeleton /> }.into_any() };
                    let shown = Signal::derive(move || state.get().unwrap_or_else(|| first.clone()));
                    view! {
                        <Loaded state=shown backend=backend on_change=on_change>
                            <ErrorNotice error=load_error fetching=fetching on_retry=on_retry />
                        </Loaded>
                    }
                    .into_any()
                }
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
    state: Signal<BillingState>,
    backend: Backend,
    on_change: Callback<BillingState>,
    /// Shown under the header: the refresh error, if any.
    children: Children,
) -> impl IntoView {
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
            <FlexCard state=state backend=backend on_change=on_change />
            <CreditsSummary state=state />
        </div>
    }
}
