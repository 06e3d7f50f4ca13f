//! The page's hooks: state and behaviour shared through context.

pub mod use_billing;
pub mod use_changed_elsewhere;
pub mod use_events;
pub mod use_interval;

pub use use_billing::{provide_billing, use_billing, Billing, Request};
pub use use_changed_elsewhere::{use_changed_elsewhere, Changed, ChangedElsewhere};
pub use use_interval::use_interval;
