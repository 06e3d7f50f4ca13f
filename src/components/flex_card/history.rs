//! The card's "Recent changes": the last three changes from the audit trail,
//! in the domain's words, and the full history, 20 at a time, in place.

use crate::hooks::use_billing;
use billing_domain::{describe_activity, ActivityEntry};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// How many changes the card shows.
const RECENT: u32 = 3;
/// How many changes "Show all" and "Show more" load at a time.
const PAGE: u32 = 20;

/// A list of changes in words, or the empty state.
#[component]
fn Entries(
    #[prop(into)] entries: Signal<Vec<ActivityEntry>>,
    now: Signal<DateTime<Utc>>,
) -> impl IntoView {
    view! {
        <Show
            when=move || entries.with(|e| !e.is_empty())
            fallback=|| view! { <p class="history__empty">"No changes yet."</p> }
        >
            <ul class="history__list">
                <For each=move || entries.get() key=|e| e.id let:entry>
                    <li class="history__item">{move || describe_activity(&entry, now.get())}</li>
                </For>
            </ul>
        </Show>
    }
}

/// "Recent changes" at the bottom of the card: the last three, and "Show all"
/// to read the whole history in place, 20 more at a time. Read-only for
/// everyone; a failure to load shows a sentence, never breaks the card.
#[component]
pub fn History(
    /// Prefix of the element ids.
    id: &'static str,
    /// The moment the times are counted from; it moves on as time passes,
    /// so "just now" becomes "1 minute ago" without a refetch.
    now: Signal<DateTime<Utc>>,
) -> impl IntoView {
    let billing = use_billing();
    let state = billing.state();

    let entries = RwSignal::new(Vec::<ActivityEntry>::new());
    let next_before = RwSignal::new(None::<i64>);
    let all = RwSignal::new(false);
    let answered = RwSignal::new(false);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<&'static str>);
    const FAILED: &str = "The history can't be loaded right now.";
    // The first page: loaded again whenever the settings' version moves (a
    // change made here, or arriving live), and when "Show all" asks for 20.
    let version = Memo::new(move |_| state.with(|s| s.flex.version));
    let first = LocalResource::new(move || {
        version.track();
        let limit = if all.get() { PAGE } else { RECENT };
        billing.backend().activity(None, limit)
    });
    Effect::new(move |_| {
        let Some(answer) = first.get() else { return };
        answered.set(true);
        match answer {
            Ok(page) => {
                entries.set(page.entries);
                next_before.set(page.next_before);
                error.set(None);
            }
            Err(_) => error.set(Some(FAILED)),
        }
    });
    // "Show more": the next 20 after those shown.
    let more = move || {
        let Some(before) = next_before.get_untracked() else {
            return;
        };
        loading.set(true);
        let sent = billing.backend().activity(Some(before), PAGE);
        leptos::task::spawn_local(async move {
            let answer = sent.await;
            let _ = loading.try_set(false);
            match answer {
                Ok(page) => {
                    let _ = entries.try_update(|e| e.extend(page.entries));
                    let _ = next_before.try_set(page.next_before);
                }
                Err(_) => {
                    let _ = error.try_set(Some(FAILED));
                }
            }
        });
    };

    let title_id = format!("{id}-history-title");
    view! {
        <section class="history" aria-labelledby=title_id.clone()>
            <h3 class="history__title" id=title_id.clone()>"Recent changes"</h3>
            <Show
                when=move || answered.get()
                fallback=|| view! { <p class="history__empty">"Loading…"</p> }
            >
                <Entries entries=entries now=now />
            </Show>
            <Show when=move || error.with(Option::is_some)>
                <p class="history__error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || !all.get() || next_before.with(Option::is_some)>
                <div>
                    <button
                        type="button"
                        class="btn btn--secondary btn--small"
                        aria-busy=move || loading.get().to_string()
                        on:click=move |_| {
                            if loading.get_untracked() {
                                return;
                            }
                            if all.get_untracked() {
                                more();
                            } else {
                                all.set(true);
                            }
                        }
                    >
                        {move || if all.get() { "Show more" } else { "Show all" }}
                    </button>
                </div>
            </Show>
        </section>
    }
}
