//! The card's confirmation dialogs (Enable, Remove cap, Disable), each with
//! its own request through the page's change action.
//!
//! A dialog sends the version it showed: the state it opened with. When a
//! change made elsewhere arrives while it is open, the dialog says what
//! changed and who changed it, and its button then takes two presses, the
//! first to acknowledge, the second to apply the change to the new state.

use crate::components::{CardDialog, ConfirmDialog};
use crate::hooks::{use_changed_elsewhere, Billing, ChangedElsewhere, Request};
use billing_domain::FlexChange;
use leptos::prelude::*;

/// One confirmed change: its dialog's open state and its request.
#[derive(Clone, Copy)]
pub(super) struct Confirmation {
    change: FlexChange,
    open: RwSignal<bool>,
    request: Request,
    elsewhere: ChangedElsewhere,
    /// Presses of the confirm button still to come before the change is
    /// sent: one, or two after a change made elsewhere.
    presses: RwSignal<u8>,
}

impl Confirmation {
    fn new(billing: Billing, change: FlexChange) -> Confirmation {
        let open = RwSignal::new(false);
        let request = billing.request();
        let elsewhere = use_changed_elsewhere(billing, open.into(), request);
        let presses = RwSignal::new(1u8);
        Effect::new(move |_| match request.answer().get() {
            Some(Ok(_)) => open.set(false),
            // A failure shows in the dialog; if the dialog was closed meanwhile
            // (Escape while waiting), it opens again so the failure is seen.
            Some(Err(_)) if !open.get_untracked() => open.set(true),
            _ => {}
        });
        Effect::new(move |_| {
            if elsewhere.news().get() > 0 {
                presses.set(2);
                // The old failure is about the settings before the change.
                request.forget();
            }
        });
        Confirmation {
            change,
            open,
            request,
            elsewhere,
            presses,
        }
    }

    /// Opens the dialog afresh, without the last failure.
    pub(super) fn show(self) {
        self.request.forget();
        self.presses.set(1);
        self.open.set(true);
    }

    /// The confirm button: sends the change against the state shown, or,
    /// after a change made elsewhere, first takes the press that
    /// acknowledges it.
    pub(super) fn confirm(self) {
        if self.presses.get_untracked() > 1 {
            self.presses.update(|n| *n -= 1);
            return;
        }
        match self.elsewhere.seen() {
            Some(shown) => self.request.send_against(self.change, shown),
            None => self.request.send(self.change),
        }
    }

    /// What changed while the dialog was open, and what the button does
    /// now (`label`: the button's text).
    fn notice(self, label: &'static str) -> Signal<Option<String>> {
        let (changed, presses) = (self.elsewhere.changed(), self.presses);
        Signal::derive(move || {
            let c = changed.get()?;
            let what = c.before.changed_while_open(&c.after, c.who.as_deref());
            Some(match presses.get() {
                n if n > 1 => {
                    format!("{what} Check the new settings, then press {label} twice to go ahead.")
                }
                _ => format!("{what} Press {label} again to go ahead."),
            })
        })
    }
}

/// The card's three confirmations.
#[derive(Clone, Copy)]
pub(super) struct Confirmations {
    enable: Confirmation,
    remove_cap: Confirmation,
    disable: Confirmation,
}

impl Confirmations {
    pub(super) fn new(billing: Billing) -> Confirmations {
        Confirmations {
            enable: Confirmation::new(billing, FlexChange::Enable),
            remove_cap: Confirmation::new(billing, FlexChange::RemoveCap),
            disable: Confirmation::new(billing, FlexChange::Disable),
        }
    }

    pub(super) fn get(self, dialog: CardDialog) -> Confirmation {
        match dialog {
            CardDialog::Enable => self.enable,
            CardDialog::RemoveCap => self.remove_cap,
            CardDialog::Disable => self.disable,
        }
    }
}

/// The three dialogs, always mounted. Each `fallback_focus` is what takes the
/// place of the button that opened it once the change is made: the cap field
/// after Enable and Remove cap, the Enable button after Disable.
#[component]
pub(super) fn CardDialogs(
    /// The card's id prefix.
    id: &'static str,
    /// What the dialogs open and send.
    confirmations: Confirmations,
    /// Shown in place rather than as modals (the preview).
    inline: bool,
) -> impl IntoView {
    let state = crate::hooks::use_billing().state();
    let default_cap =
        move || state.with(|s| format!("{} {}", s.flex.default_cap.brief(), s.plan.interval.per()));
    let Confirmations {
        enable,
        remove_cap,
        disable,
    } = confirmations;
    view! {
        <ConfirmDialog
            id=format!("{id}-enable-dialog")
            title="Enable Flex Billing?"
            confirm_label="Enable Flex Billing"
            open=enable.open
            inline=inline
            pending=enable.request.pending()
            error=enable.request.error()
            notice=enable.notice("Enable Flex Billing")
            on_confirm=Callback::new(move |_| enable.confirm())
            fallback_focus=format!("{id}-cap-input")
        >
            <p>
                <strong>"Your payment method on file will be automatically charged for any Flex Usage."</strong>
            </p>
            <p>{move || format!("Flex Billing starts with a default cap of {}. You can change or remove the cap at any time.", default_cap())}</p>
        </ConfirmDialog>
        <ConfirmDialog
            id=format!("{id}-remove-cap-dialog")
            title="Remove the flex cap?"
            confirm_label="Remove cap"
            danger=true
            open=remove_cap.open
            inline=inline
            pending=remove_cap.request.pending()
            error=remove_cap.request.error()
            notice=remove_cap.notice("Remove cap")
            on_confirm=Callback::new(move |_| remove_cap.confirm())
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
            pending=disable.request.pending()
            error=disable.request.error()
            notice=disable.notice("Disable Flex Billing")
            on_confirm=Callback::new(move |_| disable.confirm())
            fallback_focus=format!("{id}-enable")
        >
            <p>
                <strong>"In-flight training jobs and deployments will stop once your included and prepaid credits run out."</strong>
            </p>
            <p>"Workspace features that require credits stop working until you enable Flex Billing again or add credits."</p>
        </ConfirmDialog>
    }
}
