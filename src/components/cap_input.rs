//! The flex cap field: type a dollar amount, save by Enter, blur or Save.

use crate::api::ApiError;
use crate::components::Preset;
use crate::hooks::{use_billing, use_changed_elsewhere};
use billing_domain::{cap_field_text, decide_cap_save, CapSave, FlexChange, Money, MIN_CAP_CENTS};
use leptos::prelude::*;

/// The id of the page's cap field, so "Raise cap" can move focus to it.
/// It is the id the Flex Billing card gives its field by default.
pub const CAP_INPUT_ID: &str = "flex-cap-input";

/// The cap field with its Save button, for the [`Billing`](crate::hooks::Billing) in context.
///
/// Keeps what the person typed (a draft) apart from the saved cap, so a
/// background refresh never overwrites typing and a failed save loses nothing.
/// Escape restores the saved value. Validation is the domain's
/// [`decide_cap_save`]; an invalid value is explained beside the field and
/// nothing is sent. A save made against settings someone changed meanwhile
/// says what changed and keeps the draft, so saving again applies it to the
/// settings now in force. A change made elsewhere while a cap is typed is
/// told in the help text at once, before anything is saved over it.
#[component]
pub fn CapInput(
    /// Label text before "(per month)"; must name the cap.
    #[prop(into, default = "Flex cap".into())]
    label: Signal<&'static str>,
    /// Element id of the field (unique on the page).
    #[prop(into)]
    id: String,
) -> impl IntoView {
    let billing = use_billing();
    let state = billing.state();
    let saved = Memo::new(move |_| state.with(|s| s.flex.cap));
    let per = Memo::new(move |_| state.with(|s| s.plan.interval.per()));
    let draft = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    // Someone changed the settings before this field's save arrived: what
    // changed. Not a fault of the entry, so the field is not marked invalid.
    let changed = RwSignal::new(None::<String>);
    // The cap this field last saved, for "Cap saved: …". It is only shown while
    // it is still the cap in force, so a change made elsewhere (Remove cap,
    // another tab) takes the message away.
    let last_saved = RwSignal::new(None::<Money>);
    let save = billing.request();
    let saving = save.pending();
    // A change made elsewhere while a new cap is typed: the help text says
    // what it was, before anything is saved over it.
    let typing = Signal::derive(move || draft.with(Option::is_some));
    let elsewhere = use_changed_elsewhere(billing, typing, save);
    let under_draft = Signal::derive(move || {
        elsewhere
            .changed()
            .get()
            .map(|c| c.before.changed_under_draft(&c.after, c.who.as_deref()))
    });

    Effect::new(move |_| {
        let Some(answer) = save.answer().get() else {
            return;
        };
        match answer {
            Ok(new_state) => {
                last_saved.set(new_state.flex.cap);
                draft.set(None);
                error.set(None);
            }
            Err(stale @ ApiError::Stale { .. }) => {
                changed.set(Some(format!(
                    "{} Your entry is kept: save it again to apply it.",
                    stale.message()
                )));
                last_saved.set(None);
            }
            Err(e) => {
                let why = match e {
                    ApiError::Failed { code, message } if code.starts_with("cap_") => message,
                    e => format!("The cap wasn't saved: {} Your entry is kept.", e.message()),
                };
                error.set(Some(why));
                last_saved.set(None);
            }
        }
    });

    let try_save = move || {
        if saving.get_untracked() {
            return;
        }
        let decision =
            draft.with_untracked(|d| decide_cap_save(d.as_deref(), saved.get_untracked()));
        changed.set(None);
        match decision {
            CapSave::Unchanged => {
                draft.set(None);
                error.set(None);
            }
            CapSave::Invalid(e) => {
                error.set(Some(e.to_string()));
                last_saved.set(None);
            }
            CapSave::Send(cap) => {
                error.set(None);
                last_saved.set(None);
                save.send(FlexChange::SetCap(cap));
            }
        }
    };
    if let Preset::Submitted(text) = Preset::current() {
        draft.set(Some(text));
        try_save();
    }

    let shown = move || draft.get().unwrap_or_else(|| cap_field_text(saved.get()));
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let changed_id = format!("{id}-changed");
    let described_by = {
        let (hint_id, error_id, changed_id) =
            (hint_id.clone(), error_id.clone(), changed_id.clone());
        move || {
            let mut ids = Vec::new();
            if error.with(Option::is_some) {
                ids.push(error_id.as_str());
            }
            if changed.with(Option::is_some) {
                ids.push(changed_id.as_str());
            }
            ids.push(hint_id.as_str());
            ids.join(" ")
        }
    };
    let minimum = Money::from_cents(MIN_CAP_CENTS);

    view! {
        <div class="cap-input" class:cap-input--invalid=move || error.with(Option::is_some)>
            <label class="cap-input__label" for=id.clone()>
                {label} " (" {per} ")"
            </label>
            <div class="cap-input__row">
                <span class="cap-input__field" class:cap-input__field--busy=move || saving.get()>
                    <span class="cap-input__prefix" aria-hidden="true">"$"</span>
                    <input
                        id=id
                        type="text"
                        inputmode="decimal"
                        autocomplete="off"
                        placeholder="No cap"
                        prop:value=shown
                        readonly=move || saving.get()
                        aria-invalid=move || error.with(Option::is_some).to_string()
                        aria-describedby=described_by
                        aria-busy=move || saving.get().to_string()
                        on:input=move |ev| draft.set(Some(event_target_value(&ev)))
                        on:keydown=move |ev| match ev.key().as_str() {
                            "Enter" => {
                                ev.prevent_default();
                                try_save();
                            }
                            "Escape" => {
                                draft.set(None);
                                error.set(None);
                                changed.set(None);
                            }
                            _ => {}
                        }
                        on:blur=move |_| try_save()
                    />
                </span>
                <button
                    type="button"
                    class="btn btn--primary"
                    aria-disabled=move || saving.get().to_string()
                    on:click=move |_| try_save()
                >
                    <Show when=move || saving.get()>
                        <span class="spinner" aria-hidden="true"></span>
                    </Show>
                    "Save"
                </button>
            </div>
            <p
                class="cap-input__hint"
                class:cap-input__hint--changed=move || under_draft.with(Option::is_some)
                id=hint_id
                aria-live="polite"
            >
                {move || {
                    under_draft
                        .get()
                        .unwrap_or_else(|| {
                            format!("Minimum {minimum}. The most Flex Usage can cost this workspace {}.", per.get())
                        })
                }}
            </p>
            <p class="cap-input__error" id=error_id role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
            <p class="cap-input__changed" id=changed_id role="alert" hidden=move || changed.with(Option::is_none)>
                {move || changed.get().unwrap_or_default()}
            </p>
            <p class="cap-input__status" role="status" aria-live="polite">
                {move || match (saving.get(), last_saved.get(), saved.get()) {
                    (true, _, _) => "Saving…".to_string(),
                    (false, Some(done), Some(now)) if done == now => format!("Cap saved: {done} {}", per.get()),
                    _ => String::new(),
                }}
            </p>
        </div>
    }
}
