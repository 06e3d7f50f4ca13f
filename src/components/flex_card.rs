//! The Flex Billing card: enable, cap, remove the cap, disable.

use crate::api::{ApiError, Backend, Change};
use crate::components::{CapInput, ConfirmDialog, UsageMeter};
use billing_domain::api::BillingState;
use leptos::prelude::*;

/// One confirmed change: the action that sends it and the dialog's open state.
#[derive(Clone, Copy)]
struct Confirmed {
    open: RwSignal<bool>,
    action: Action<Change, Result<BillingState, ApiError>>,
}

impl Confirmed {
    fn new(
        state: Signal<BillingState>,
        backend: Backend,
        on_change: Callback<BillingState>,
    ) -> Confirmed {
        let open = RwSignal::new(false);
        let action = Action::new_local(move |change: &Change| {
            let change = *change;
            let current = state.get_untracked();
            async move { backend.apply(change, current).await }
        });
        Effect::new(move |_| match action.value().get() {
            Some(Ok(new_state)) => {
                on_change.run(new_state);
                open.set(false);
            }
            // A failure shows in the dialog; if the dialog was closed meanwhile
            // (Escape while waiting), it opens again so the failure is seen.
            Some(Err(_)) if !open.get_untracked() => open.set(true),
            _ => {}
        });
        Confirmed { open, action }
    }

    fn error(self) -> Signal<Option<String>> {
        let value = self.action.value();
        Signal::derive(move || {
            value.with(|v| {
                v.as_ref()
                    .and_then(|r| r.as_ref().err())
                    .map(ApiError::message)
            })
        })
    }

    fn show(self) {
        self.action.value().set(None);
        self.open.set(true);
    }
}

/// The Flex Billing card in every state: off, on with a cap, on without a cap,
/// and read-only for people who may not manage billing.
#[component]
pub fn FlexCard(
    /// The billing state to show.
    #[prop(into)]
    state: Signal<BillingState>,
    /// Where changes go.
    backend: Backend,
    /// Receives the new state after every change.
    on_change: Callback<BillingState>,
    /// Preview only: text typed and submitted into the cap field.
    #[prop(default = None)]
    submitted_draft: Option<String>,
    /// Preview only: which dialog starts open ("enable", "remove", "disable"),
    /// shown in place rather than as a modal.
    #[prop(default = None)]
    open_dialog: Option<&'static str>,
    /// Preview only: the open dialog's confirm button was pressed.
    #[prop(optional)]
    confirmed: bool,
    /// Prefix of every element id in the card; the page's card uses the default.
    #[prop(default = "flex")]
    id: &'static str,
) -> impl IntoView {
    let title_id = format!("{id}-card-title");
    // Off and on are two faces; with or without a cap is a detail of "on", so
    // the cap field (and what it announces) lives on when a cap is set or removed.
    let enabled = Memo::new(move |_| state.with(|s| s.flex.enabled));
    let capped = Memo::new(move |_| state.with(|s| s.flex.cap.is_some()));
    let can_manage = Memo::new(move |_| state.with(|s| s.viewer.can_manage));
    let interval = Memo::new(move |_| state.with(|s| s.plan.interval));
    let spend = Signal::derive(move || state.with(|s| s.usage.flex_spend));
    let cap = Signal::derive(move || state.with(|s| s.flex.cap));
    let resets_on = Signal::derive(move || state.with(|s| s.cycle.end));

    let enable = Confirmed::new(state, backend, on_change);
    let remove = Confirmed::new(state, backend, on_change);
    let disable = Confirmed::new(state, backend, on_change);
    let preset = match open_dialog {
        Some("enable") => Some((enable, Change::Enable)),
        Some("remove") => Some((remove, Change::RemoveCap)),
        Some("disable") => Some((disable, Change::Disable)),
        _ => None,
    };
    if let Some((dialog, change)) = preset {
        dialog.show();
        if confirmed {
            dialog.action.dispatch(change);
        }
    }
    let inline = open_dialog.is_some();
    let default_cap_text = move || {
        state.with(|s| {
            format!(
                "{} {}",
                s.flex.default_cap.to_string().trim_end_matches(".00"),
                s.plan.interval.per()
            )
        })
    };
    let submitted_draft = StoredValue::new(submitted_draft);

    let body = move || {
        let managing = can_manage.get();
        if !enabled.get() {
            view! {
                <p class="flex-card__lead">
                    "Keep training and deployments running when included and prepaid credits run out. "
                    "Flex Usage is billed to your payment method on file, up to a spending cap you choose."
                </p>
                <Show when=move || managing fallback=|| ()>
                    <div class="flex-card__actions">
                        <button type="button" class="btn btn--primary" id=format!("{id}-enable") on:click=move |_| enable.show()>
                            "Enable"
                        </button>
                    </div>
                </Show>
            }
            .into_any()
        } else {
            view! {
                    <p class="flex-card__lead">
                        "Your payment method on file is charged automatically for Flex Usage."
                    </p>
                    <Show when=move || !capped.get()>
                        <p class="flex-card__unlimited">
                            <strong>"No cap: Flex Usage is unlimited."</strong>
                            " There is no limit on how much this workspace can spend on Flex Usage per billing cycle."
                        </p>
                    </Show>
                    <UsageMeter spend=spend cap=cap interval=interval resets_on=resets_on id=format!("{id}-usage") />
                    {move || {
                        if managing {
                            view! {
                                <CapInput
                                    id=format!("{id}-cap-input")
                                    state=state
                                    backend=backend
                                    on_change=on_change
                                    label=Signal::derive(move || if capped.get() { "Flex cap" } else { "Set a flex cap" })
                                    submitted_draft=submitted_draft.get_value()
                                />
                                <div class="flex-card__actions">
                                    <Show when=move || capped.get()>
                                        <button type="button" class="btn btn--danger-outline" on:click=move |_| remove.show()>
                                            "Remove cap"
                                        </button>
                                    </Show>
                                    <button type="button" class="btn btn--danger-outline" on:click=move |_| disable.show()>
                                        "Disable"
                                    </button>
                                </div>
                            }
                            .into_any()
                        } else {
                            view! {
                                <p class="flex-card__cap-readonly">
                                    {move || match cap.get() {
                                        Some(c) => format!("Flex cap: {c} {}", interval.get().per()),
                                        None => "Flex cap: none".to_string(),
                                    }}
                                </p>
                            }
                            .into_any()
                        }
                    }}
                }
                .into_any()
        }
    };

    // Each dialog's `fallback_focus` is what takes the place of the button that
    // opened it once the change is made: the cap field after Enable and Remove
    // cap, the Enable button after Disable.
    view! {
        <section class="card flex-card" aria-labelledby=title_id.clone()>
            <div class="flex-card__head">
                <h2 class="card__title" id=title_id.clone() tabindex="-1">"Flex Billing"</h2>
                <span class="badge" class:badge--on=move || enabled.get()>
                    {move || if enabled.get() { "On" } else { "Off" }}
                </span>
            </div>
            {body}
            <Show when=move || !can_manage.get()>
                <p class="flex-card__note">
                    "Only workspace owners and admins can change Flex Billing. Ask one of them to make changes."
                </p>
            </Show>
            <ConfirmDialog
                id=format!("{id}-enable-dialog")
                title="Enable Flex Billing?"
                confirm_label="Enable Flex Billing"
                open=enable.open
                inline=inline
                pending=enable.action.pending()
                error=enable.error()
                on_confirm=Callback::new(move |_| {
                    enable.action.dispatch(Change::Enable);
                })
                fallback_focus=format!("{id}-cap-input")
            >
                <p>
                    <strong>"Your payment method on file will be automatically charged for any Flex Usage."</strong>
                </p>
                <p>{move || format!("Flex Billing starts with a default cap of {}. You can change or remove the cap at any time.", default_cap_text())}</p>
            </ConfirmDialog>
            <ConfirmDialog
                id=format!("{id}-remove-cap-dialog")
                title="Remove the flex cap?"
                confirm_label="Remove cap"
                danger=true
                open=remove.open
                inline=inline
                pending=remove.action.pending()
                error=remove.error()
                on_confirm=Callback::new(move |_| {
                    remove.action.dispatch(Change::RemoveCap);
                })
                fallback_focus=format!("{id}-cap-input")
            >
                <p>
                    <strong>"There will be no limit on how much your workspace can spend on Flex Usage per billing cycle."</strong>
                </p>
                <p>"Your payment method on file is charged for all Flex Usage until you set a cap again."</p>
            </ConfirmDialog>
            <ConfirmDialog
                id=format!("{id}-disable-dialog")
                title="Disable Flex Billing?"
                confirm_label="Disable Flex Billing"
                danger=true
                open=disable.open
                inline=inline
                pending=disable.action.pending()
                error=disable.error()
                on_confirm=Callback::new(move |_| {
                    disable.action.dispatch(Change::Disable);
                })
                fallback_focus=format!("{id}-enable")
            >
                <p>
                    <strong>"In-flight training jobs and deployments will stop once your included and prepaid credits run out."</strong>
                </p>
                <p>"Workspace features that require credits stop working until you enable Flex Billing again or add credits."</p>
            </ConfirmDialog>
        </section>
    }
}
