//! The Plan & Billing web app (Leptos, client-side rendered), as a library of
//! pages and components. Two entries use it: the billing page (`main.rs`) and
//! the designers' preview (`preview/main.rs`), built apart so that the page
//! never downloads the preview and its fixtures.

pub mod api;
pub mod backend;
pub mod components;
pub mod hooks;
pub mod json;
pub mod pages;
pub mod routes;
