//! The card's "Recent changes": the last three changes from the audit trail,
//! in the domain's words, and the full history, 20 at a time, in place.

use crate::api::{self, ApiError};
use crate::hooks::use_billing;
use billing_domain::{describe_activity, ActivityEntry, ActivityPage};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use std::sync::Arc;

/// How many changes the card shows.
const RECENT: u32 = 3;
/// How many changes "Show all" and "Show more" load at a time.
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
pub(super) fn clock_now() -> DateTime<Utc> {
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

/// "Recent changes" at the bottom of the card: the last three, and "Show all"
/// to read the whole history in place, 20 more at a time. Read-only for
/// everyone; a failure to load shows a sentence, never breaks the card.
#[component]
pub fn History(
    /// Prefix of the element ids.
    id: &'static str,
) -> impl IntoView {
    let state = use_billing().state();
    let fixture = use_context::<HistoryFixture>();
    let source = StoredValue::new(match &fixture {
        Some(f) => Source::Fixed(f.clone()),
        None => Source::Live(state.with_untracked(|s| s.workspace.slug.clone())),
    });

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
        let source = source.get_value();
        async move { source.load(None, limit).await }
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
        let source = source.get_value();
        leptos::task::spawn_local(async move {
            let answer = source.load(Some(before), PAGE).await;
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
