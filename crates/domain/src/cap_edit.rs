//! What saving the cap field should do, decided without touching the DOM.

use crate::{parse_cap, CapError, Money};

/// The outcome of an attempt to save the cap field (Enter, blur or Save).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapSave {
    /// Nothing to send: the field was not edited, or holds the saved cap.
    Unchanged,
    /// The text is not a valid cap: show this error beside the field, send nothing.
    Invalid(CapError),
    /// Send this cap to the server.
    Send(Money),
}

/// Decides what saving does. `draft` is the edited text (`None` when the field
/// still shows the saved value); `saved` is the cap in force.
///
/// ```
/// use billing_domain::{decide_cap_save, CapSave, CapError, Money};
/// let saved = Some(Money::from_cents(10_000));
/// assert_eq!(decide_cap_save(Some("100.00"), saved), CapSave::Unchanged);
/// assert_eq!(decide_cap_save(Some("$250"), saved), CapSave::Send(Money::from_cents(25_000)));
/// assert_eq!(decide_cap_save(Some("0.5"), saved), CapSave::Invalid(CapError::BelowMinimum));
/// ```
pub fn decide_cap_save(draft: Option<&str>, saved: Option<Money>) -> CapSave {
    let Some(text) = draft else {
        return CapSave::Unchanged;
    };
    if saved.is_none() && text.trim().is_empty() {
        // An empty field on an uncapped card is the uncapped state, not an edit.
        return CapSave::Unchanged;
    }
    match parse_cap(text) {
        Ok(cap) if Some(cap) == saved => CapSave::Unchanged,
        Ok(cap) => CapSave::Send(cap),
        Err(e) => CapSave::Invalid(e),
    }
}

/// The text the cap field shows for a saved cap: `1,200.00`, or empty for no cap.
pub fn cap_field_text(saved: Option<Money>) -> String {
    saved.map(Money::grouped).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untouched_field_sends_nothing() {
        assert_eq!(
            decide_cap_save(None, Some(Money::from_cents(100))),
            CapSave::Unchanged
        );
        assert_eq!(decide_cap_save(None, None), CapSave::Unchanged);
    }

    #[test]
    fn same_amount_written_differently_sends_nothing() {
        let saved = Some(Money::from_cents(120_000));
        for text in ["1200", "1,200.00", "$1,200", " 1200.0 "] {
            assert_eq!(
                decide_cap_save(Some(text), saved),
                CapSave::Unchanged,
                "{text}"
            );
        }
    }

    #[test]
    fn invalid_text_is_reported_not_sent() {
        let saved = Some(Money::from_cents(10_000));
        assert_eq!(
            decide_cap_save(Some("abc"), saved),
            CapSave::Invalid(CapError::NotANumber)
        );
        assert_eq!(
            decide_cap_save(Some("-1"), saved),
            CapSave::Invalid(CapError::Negative)
        );
        assert_eq!(
            decide_cap_save(Some(""), saved),
            CapSave::Invalid(CapError::Empty)
        );
    }

    #[test]
    fn a_first_cap_on_an_uncapped_card_is_sent() {
        assert_eq!(
            decide_cap_save(Some("75"), None),
            CapSave::Send(Money::from_cents(7_500))
        );
        assert_eq!(decide_cap_save(Some("  "), None), CapSave::Unchanged);
    }

    #[test]
    fn field_text_is_grouped() {
        assert_eq!(cap_field_text(Some(Money::from_cents(120_000))), "1,200.00");
        assert_eq!(cap_field_text(None), "");
    }
}
