//! A confirmation modal: native `<dialog>` opened with `showModal()`.

use leptos::html::Dialog;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A titled, described modal with Cancel and a confirm button.
///
/// Initial focus is on Cancel; Escape cancels (not while the confirmation is
/// in flight); on close, focus returns to the button that opened it, or to
/// `fallback_focus` if that button is gone. An API error shows inside the
/// dialog without closing it.
#[component]
pub fn ConfirmDialog(
    /// Unique id prefix: the title is `{id}-title`, the description `{id}-desc`.
    #[prop(into)]
    id: String,
    /// The dialog's heading.
    title: &'static str,
    /// The confirm button's text (its accessible name).
    confirm_label: &'static str,
    /// Whether confirming is destructive (styles the button as danger).
    #[prop(optional)]
    danger: bool,
    /// Open in place, without the modal layer (the preview shows dialogs side by side).
    #[prop(optional)]
    inline: bool,
    /// Open state; set to true to open.
    open: RwSignal<bool>,
    /// True while the confirmed change is in flight.
    #[prop(into)]
    pending: Signal<bool>,
    /// Why the change failed, shown in the dialog.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Something the person must know before confirming (a change made
    /// elsewhere while the dialog was open), announced as it appears.
    #[prop(into, optional)]
    notice: Signal<Option<String>>,
    /// Runs when the person confirms.
    on_confirm: Callback<()>,
    /// Element id to focus when the opener no longer exists.
    #[prop(into)]
    fallback_focus: String,
    /// The warning text.
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let cancel = NodeRef::<leptos::html::Button>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);

    Effect::new(move |_| {
        let want_open = open.get();
        let (Some(d), Some(cancel)) = (dialog.get(), cancel.get()) else {
            return;
        };
        if want_open && !d.open() {
            if inline {
                d.set_open(true);
                return;
            }
            opener.set_value(document().active_element().and_then(|e| e.dyn_into().ok()));
            if d.show_modal().is_ok() {
                let _ = cancel.focus();
            }
        } else if !want_open && d.open() {
            d.close();
        }
    });

    // `close` is queued, not immediate: if the dialog was opened again before
    // it arrives (Escape, then Enter at once), it is stale and ignored.
    let on_close = move |_| {
        if dialog.get_untracked().is_some_and(|d| d.open()) {
            return;
        }
        open.set(false);
        let target = opener.get_value().filter(|e| e.is_connected()).or_else(|| {
            document()
                .get_element_by_id(&fallback_focus)
                .and_then(|e| e.dyn_into().ok())
        });
        if let Some(el) = target {
            let _ = el.focus();
            // A field that takes focus has its text selected, as Tab does, so typing replaces it.
            if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
                input.select();
            }
        }
    };
    // Escape fires `cancel`; while the change is in flight the dialog stays.
    let on_cancel = move |ev: web_sys::Event| {
        if pending.get_untracked() {
            ev.prevent_default();
        }
    };
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let (labelled_by, described_by) = (title_id.clone(), desc_id.clone());
    let confirm_class = if danger {
        "btn btn--danger"
    } else {
        "btn btn--primary"
    };
    let dialog_class = if inline {
        "dialog dialog--inline"
    } else {
        "dialog"
    };

    view! {
        <dialog
            node_ref=dialog
            class=dialog_class
            aria-labelledby=labelled_by
            aria-describedby=described_by
            on:close=on_close
            on:cancel=on_cancel
        >
            <h2 class="dialog__title" id=title_id>{title}</h2>
            <div class="dialog__body" id=desc_id>{children()}</div>
            <p class="dialog__notice" role="alert" hidden=move || notice.with(Option::is_none)>
                {move || notice.get().unwrap_or_default()}
            </p>
            <Show when=move || error.with(Option::is_some)>
                <p class="dialog__error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <div class="dialog__actions">
                <button
                    type="button"
                    class="btn btn--secondary"
                    node_ref=cancel
                    on:click=move |_| {
                        if !pending.get_untracked() {
                            open.set(false)
                        }
                    }
                >
                    "Cancel"
                </button>
                <button
                    type="button"
                    class=confirm_class
                    aria-busy=move || pending.get().to_string()
                    aria-disabled=move || pending.get().to_string()
                    on:click=move |_| {
                        if !pending.get_untracked() {
                            on_confirm.run(())
                        }
                    }
                >
                    <Show when=move || pending.get()>
                        <span class="spinner" aria-hidden="true"></span>
                    </Show>
                    {confirm_label}
                </button>
            </div>
            <p class="visually-hidden" role="status">{move || if pending.get() { "Working…" } else { "" }}</p>
        </dialog>
    }
}
