//! The card's "Statements": the last cycles with what their Flex Usage came
//! to and, for owners and admins, a download of each cycle's usage; and,
//! until it is dismissed, the notice that the last cycle was charged.

use crate::api::usage_csv_href;
use crate::hooks::use_billing;
use billing_domain::{no_statements_yet, Statement};
use leptos::prelude::*;

/// How many cycles the card lists.
const SHOWN: u32 = 3;

/// Where the dismissed notice is remembered: this browser, this workspace.
fn dismissed_key(ws: &str) -> String {
    format!("billing.charged-notice-dismissed.{ws}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The id of the statement whose notice was dismissed here, if any.
fn dismissed(ws: &str) -> Option<i64> {
    storage()?.get_item(&dismissed_key(ws)).ok()??.parse().ok()
}

/// "Last cycle: $412.00 of Flex Usage charged to your payment method", for
/// the newest statement with Flex Usage, until dismissed.
#[component]
fn ChargedNotice(
    /// The newest statement.
    statement: Statement,
    /// The workspace, for remembering the dismissal.
    ws: String,
) -> impl IntoView {
    let gone = RwSignal::new(dismissed(&ws) == Some(statement.id));
    let id = statement.id;
    let words = statement.charged_notice();
    let worded = words.is_some();
    view! {
        <Show when=move || worded && !gone.get()>
            <div class="charged-notice" role="status">
                <p class="charged-notice__text">{words.clone()}</p>
                <button
                    type="button"
                    class="btn btn--secondary btn--small"
                    on:click={
                        let ws = ws.clone();
                        move |_| {
                            if let Some(s) = storage() {
                                let _ = s.set_item(&dismissed_key(&ws), &id.to_string());
                            }
                            gone.set(true);
                        }
                    }
                >
                    "Dismiss"
                </button>
            </div>
        </Show>
    }
}

/// The last [`SHOWN`] statements, newest first, or why there are none.
#[component]
pub fn Statements(
    /// Prefix of the element ids.
    id: &'static str,
) -> impl IntoView {
    let billing = use_billing();
    let state = billing.state();
    // Loaded again when the cycle moves on: a statement was just written.
    let cycle = Memo::new(move |_| state.with(|s| s.cycle));
    let can_download = Memo::new(move |_| state.with(|s| s.viewer.can_manage));
    let ws = Memo::new(move |_| state.with(|s| s.workspace.slug.clone()));
    let loaded = LocalResource::new(move || {
        cycle.track();
        billing.details().statements(SHOWN)
    });
    let title_id = format!("{id}-statements-title");
    let list = move || {
        let answer = loaded.get()?;
        let Ok(page) = answer else {
            return Some(
                view! { <p class="history__error" role="alert">"The statements can't be loaded right now."</p> }
                    .into_any(),
            );
        };
        if page.statements.is_empty() {
            return Some(
                view! { <p class="history__empty">{move || cycle.with(no_statements_yet)}</p> }
                    .into_any(),
            );
        }
        let newest = page.statements[0].clone();
        let items = page
            .statements
            .into_iter()
            .map(|s| {
                let href = usage_csv_href(&ws.get_untracked(), s.cycle.start);
                view! {
                    <li class="statements__item">
                        <span>{s.line()}</span>
                        <Show when=move || can_download.get()>
                            <a class="link" href=href.clone() download="">"Download usage (CSV)"</a>
                        </Show>
                    </li>
                }
            })
            .collect_view();
        Some(
            view! {
                <ChargedNotice statement=newest ws=ws.get_untracked() />
                <ul class="history__list">{items}</ul>
            }
            .into_any(),
        )
    };
    view! {
        <section class="history statements" aria-labelledby=title_id.clone()>
            <h3 class="history__title" id=title_id.clone()>"Statements"</h3>
            {move || list().unwrap_or_else(|| view! { <p class="history__empty">"Loading…"</p> }.into_any())}
        </section>
    }
}
