//! The page's hooks: state and behaviour shared through context.

pub mod use_billing;

pub use use_billing::{provide_billing, use_billing, Billing, Request};
