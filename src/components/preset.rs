//! How the card, the cap field and the webhook field start in the designers'
//! preview. Only the preview provides a [`Preset`] (through context), so no
//! component has a prop for it.

/// A starting state to show; the page never provides one ([`Preset::Live`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Preset {
    /// As on the page: nothing typed, no dialog open.
    #[default]
    Live,
    /// This text typed into the cap field and submitted.
    Submitted(String),
    /// One of the card's dialogs open, shown in place rather than as a modal.
    Open(CardDialog),
    /// That dialog open and its confirm button pressed.
    Confirmed(CardDialog),
    /// This address typed into the webhook field and saved: the secret shown once.
    Registered(String),
}

/// One of the Flex Billing card's confirmation dialogs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardDialog {
    /// "Enable Flex Billing?"
    Enable,
    /// "Remove the flex cap?"
    RemoveCap,
    /// "Disable Flex Billing?"
    Disable,
}

impl Preset {
    /// The preset provided above the calling component, if any.
    pub fn current() -> Preset {
        leptos::prelude::use_context::<Preset>().unwrap_or_default()
    }
}
