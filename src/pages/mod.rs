//! One module per route.

pub mod billing;
pub mod preview;
pub mod purchase;
