//! The app's pages, one module per route (the preview lives in `crate::preview`).

pub mod billing;
pub mod purchase;
