//! The card's "Recent changes": the last three changes from the audit trail,
//! in the domain's words, and the full history, 20 at a time, in a modal.

use crate::api::{self, ApiError};
use crate::hooks::use_billing;
use billing_domain::{describe_activity, ActivityEntry, ActivityPage};
use chrono::{DateTime, Utc};
use leptos::html::{Button, Dialog};
use leptos::prelude::*;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// How many changes the card shows.
const RECENT: u32 = 3;
/// How many changes the history dialog loads at a time.
const PAGE: u32 = 20;
/// How often relative times ("2 minutes ago") are worded again.
const TICK: std::time::Duration = std::time::Duration::from_secs(30);

/// Preview-only: the card's history from fixed entries (newest first) at a
/// fixed "now", instead of the API. Provided through context, like
/// [`Preset`](crate::components::Preset).
#[derive(Clone, Debug)]
pub struct HistoryFixture {
    /// The whole trail, newest first.
    pub entries: Arc<Vec<ActivityEntry>>,
    /// The moment the times are counted from.
    pub now: DateTime<Utc>,
}

impl HistoryFixture {
    /// Up to `limit` entries older than `before`, paged as the API pages them.
    pub fn page(&self, before: Option<i64>, limit: u32) -> ActivityPage {
        let mut older = self
            .entries
            .iter()
            .filter(|e| before.is_none_or(|b| e.id < b))
            .cloned();
        let entries: Vec<ActivityEntry> = older.by_ref().take(limit as usize).collect();
        let next_before = match older.next() {
            Some(_) => entries.last().map(|e| e.id),
            None => None,
        };
        ActivityPage {
            entries,
            next_before,
        }
    }
}

/// Where the history comes from.
#[derive(Clone)]
enum Source {
    Live(String),
    Fixed(HistoryFixture),
}

impl Source {
    async fn load(self, before: Option<i64>, limit: u32) -> Result<ActivityPage, ApiError> {
        match self {
            Source::Live(ws) => api::activity(&ws, before, limit).await,
            Source::Fixed(f) => Ok(f.page(before, limit)),
        }
    }
}

/// The moment now, from the browser's clock.
fn clock_now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

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

/// "Recent changes" at the bottom of the card, with "Show all" and its dialog.
/// Read-only for everyone; a failure to load shows a sentence, never breaks the card.
#[component]
pub fn History(
    /// Prefix of the element ids.
    id: &'static str,
) -> impl IntoView {
    let state = use_billing().state();
    let fixture = use_context::<HistoryFixture>();
    let source = match &fixture {
        Some(f) => Source::Fixed(f.clone()),
        None => Source::Live(state.with_untracked(|s| s.workspace.slug.clone())),
    };

    // "Now" ticks, so "just now" becomes "1 minute ago" without a refetch.
    let now = RwSignal::new(fixture.as_ref().map_or_else(clock_now, |f| f.now));
    if fixture.is_none() {
        let tick = set_interval_with_handle(move || now.set(clock_now()), TICK).ok();
        on_cleanup(move || {
            if let Some(h) = tick {
                h.clear();
            }
        });
    }
    let now = Signal::from(now);

    // Fetched again whenever the settings' version moves, so a change made
    // here (or seen by a refresh) shows at once.
    let version = Memo::new(move |_| state.with(|s| s.flex.version));
    let recent = LocalResource::new({
        let source = source.clone();
        move || {
            version.track();
            source.clone().load(None, RECENT)
        }
    });
    // The last answer stays shown while the next loads.
    let shown = RwSignal::new(None::<Result<Vec<ActivityEntry>, String>>);
    Effect::new(move |_| {
        if let Some(answer) = recent.get() {
            shown.set(Some(answer.map(|p| p.entries).map_err(|_| {
                "Recent changes can't be loaded right now.".to_string()
            })));
        }
    });
    let recent_entries = Signal::derive(move || {
        shown.with(|s| {
            s.as_ref()
                .and_then(|r| r.as_ref().ok())
                .cloned()
                .unwrap_or_default()
        })
    });

    let open = RwSignal::new(false);
    let title_id = format!("{id}-history-title");
    let show_all_id = format!("{id}-history-show-all");

    view! {
        <section class="history" aria-labelledby=title_id.clone()>
            <h3 class="history__title" id=title_id.clone()>"Recent changes"</h3>
            {move || match shown.get() {
                None => view! { <p class="history__empty">"Loading…"</p> }.into_any(),
                Some(Err(message)) => view! { <p class="history__error">{message}</p> }.into_any(),
                Some(Ok(_)) => view! { <Entries entries=recent_entries now=now /> }.into_any(),
            }}
            <div>
                <button
                    type="button"
                    class="btn btn--secondary btn--small"
                    id=show_all_id.clone()
                    aria-haspopup="dialog"
                    on:click=move |_| open.set(true)
                >
                    "Show all"
                </button>
            </div>
            <HistoryDialog id=id open=open source=source now=now opener_id=show_all_id />
        </section>
    }
}

/// The whole history, newest first, 20 at a time, in a native modal.
#[component]
fn HistoryDialog(
    id: &'static str,
    open: RwSignal<bool>,
    source: Source,
    now: Signal<DateTime<Utc>>,
    opener_id: String,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let close = NodeRef::<Button>::new();
    let entries = RwSignal::new(Vec::<ActivityEntry>::new());
    let next_before = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Each opening counts; an answer for an earlier opening is dropped.
    let opening = StoredValue::new(0u64);

    let source = StoredValue::new(source);
    let load = move |before: Option<i64>| {
        let this = opening.get_value();
        let source = source.get_value();
        loading.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let answer = source.load(before, PAGE).await;
            if opening.try_get_value() != Some(this) {
                return;
            }
            let _ = loading.try_set(false);
            match answer {
                Ok(page) => {
                    let _ = entries.try_update(|e| e.extend(page.entries));
                    let _ = next_before.try_set(page.next_before);
                    // "Load more" is gone at the end: focus stays in the dialog.
                    if page.next_before.is_none() && before.is_some() {
                        if let Some(c) = close.get_untracked() {
                            let _ = c.focus();
                        }
                    }
                }
                Err(_) => {
                    let _ = error.try_set(Some(
                        "The history can't be loaded right now. Try again.".into(),
                    ));
                }
            }
        });
    };

    Effect::new(move |_| {
        let want_open = open.get();
        let (Some(d), Some(close)) = (dialog.get(), close.get()) else {
            return;
        };
        if want_open && !d.open() {
            opening.update_value(|n| *n += 1);
            entries.set(Vec::new());
            next_before.set(None);
            load(None);
            if d.show_modal().is_ok() {
                let _ = close.focus();
            }
        } else if !want_open && d.open() {
            d.close();
        }
    });

    // Escape closes the dialog natively; either way focus returns to "Show all".
    let on_close = move |_| {
        if dialog.get_untracked().is_some_and(|d| d.open()) {
            return;
        }
        open.set(false);
        opening.update_value(|n| *n += 1);
        if let Some(el) = document()
            .get_element_by_id(&opener_id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    };

    let title_id = format!("{id}-history-dialog-title");
    view! {
        <dialog node_ref=dialog class="dialog history-dialog" aria-labelledby=title_id.clone() on:close=on_close>
            <h2 class="dialog__title" id=title_id.clone()>"Flex Billing history"</h2>
            <div class="dialog__body history-dialog__body">
                <Show
                    when=move || !(loading.get() && entries.with(Vec::is_empty))
                    fallback=|| view! { <p class="history__empty">"Loading…"</p> }
                >
                    <Show when=move || error.with(Option::is_none) || entries.with(|e| !e.is_empty())>
                        <Entries entries=entries now=now />
                    </Show>
                </Show>
            </div>
            <Show when=move || error.with(Option::is_some)>
                <p class="dialog__error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <div class="dialog__actions">
                <Show when=move || next_before.with(Option::is_some)>
                    <button
                        type="button"
                        class="btn btn--secondary"
                        aria-busy=move || loading.get().to_string()
                        aria-disabled=move || loading.get().to_string()
                        on:click=move |_| {
                            if !loading.get_untracked() {
                                load(next_before.get_untracked())
                            }
                        }
                    >
                        "Load more"
                    </button>
                </Show>
                <button
                    type="button"
                    class="btn btn--primary"
                    node_ref=close
                    on:click=move |_| open.set(false)
                >
                    "Close"
                </button>
            </div>
        </dialog>
    }
}
