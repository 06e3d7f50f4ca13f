//! The card's confirmation dialogs (Enable, Remove cap, Disable), each with
//! its own request through the page's change action.

use crate::components::{CardDialog, ConfirmDialog};
use crate::hooks::{Billing, Request};
use billing_domain::FlexChange;
use leptos::prelude::*;

/// One confirmed change: its dialog's open state and its request.
#[derive(Clone, Copy)]
pub(super) struct Confirmation {
    change: FlexChange,
    open: RwSignal<bool>,
    request: Request,
}

impl Confirmation {
    fn new(billing: Billing, change: FlexChange) -> Confirmation {
        let open = RwSignal::new(false);
        let request = billing.request();
        Effect::new(move |_| match request.answer().get() {
            Some(Ok(_)) => open.set(false),
            // A failure shows in the dialog; if the dialog was closed meanwhile
            // (Escape while waiting), it opens again so the failure is seen.
            Some(Err(_)) if !open.get_untracked() => open.set(true),
            _ => {}
        });
        Confirmation {
            change,
            open,
            request,
        }
    }

    /// Opens the dialog afresh, without the last failure.
    pub(super) fn show(self) {
        self.request.forget();
        self.open.set(true);
    }

    /// Sends the change (the confirm button).
    pub(super) fn confirm(self) {
        self.request.send(self.change);
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
