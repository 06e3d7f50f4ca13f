//! "Notify at": the percents of the cap at which the webhook and e-mail are
//! sent, chosen by owners. The field reads "50, 75, 90"; the domain checks it
//! before anything is sent, and the server again.

use crate::hooks::use_billing;
use billing_domain::{parse_thresholds, thresholds_text};
use leptos::prelude::*;

/// The thresholds field, its Save, and what was saved; `chosen` holds the
/// thresholds in force once loaded (the section's sentence follows it).
#[component]
pub fn ThresholdsForm(
    /// Prefix of the element ids.
    id: &'static str,
    /// The thresholds in force, once loaded.
    chosen: RwSignal<Option<Vec<u8>>>,
) -> impl IntoView {
    let billing = use_billing();
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let loaded = LocalResource::new(move || billing.details().thresholds());
    Effect::new(move |_| match loaded.get() {
        Some(Ok(answer)) => {
            typed.set(thresholds_text(&answer.thresholds));
            chosen.set(Some(answer.thresholds));
        }
        Some(Err(e)) => error.set(Some(e.message())),
        None => {}
    });
    let save = move || {
        if busy.get_untracked() {
            return;
        }
        saved.set(None);
        let thresholds = match parse_thresholds(&typed.get_untracked()) {
            Ok(t) => t,
            Err(e) => {
                error.set(Some(e.to_string()));
                return;
            }
        };
        error.set(None);
        busy.set(true);
        let sent = billing.details().set_thresholds(thresholds);
        leptos::task::spawn_local(async move {
            let answer = sent.await;
            let _ = busy.try_set(false);
            match answer {
                Ok(answer) => {
                    let text = thresholds_text(&answer.thresholds);
                    let _ = saved.try_set(Some(if answer.thresholds.is_empty() {
                        "Saved: no notifications before the cap.".to_string()
                    } else {
                        format!(
                            "Saved: notify at {}% of the cap.",
                            text.replace(", ", "%, ")
                        )
                    }));
                    let _ = typed.try_set(text);
                    let _ = chosen.try_set(Some(answer.thresholds));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message()));
                }
            }
        });
    };
    let input_id = format!("{id}-thresholds");
    let hint_id = format!("{id}-thresholds-hint");
    let error_id = format!("{id}-thresholds-error");
    view! {
        <form
            class="alerts__form"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save();
            }
        >
            <label class="cap-input__label" for=input_id.clone()>"Notify at (% of the cap)"</label>
            <div class="alerts__row">
                <input
                    id=input_id.clone()
                    class="alerts__input"
                    type="text"
                    inputmode="numeric"
                    placeholder="50, 75, 90"
                    aria-describedby=format!("{hint_id} {error_id}")
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                />
                <button type="submit" class="btn btn--secondary" aria-busy=move || busy.get().to_string()>
                    "Save thresholds"
                </button>
            </div>
            <p class="cap-input__hint" id=hint_id>
                "Up to five whole percents, such as 50, 75, 90. The webhook and e-mail are sent as spend reaches each, once a cycle."
            </p>
            <p class="alerts__error" id=error_id role="alert">{move || error.get().unwrap_or_default()}</p>
            <p class="alerts__saved" role="status">{move || saved.get().unwrap_or_default()}</p>
        </form>
    }
}
