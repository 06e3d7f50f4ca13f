//! `/preview`, the designers' entry: every component in every state, from
//! fixtures. Built as its own bundle (`preview.html`), so the billing page
//! does not download it.

mod backend;
mod fixtures;
mod page;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(page::PreviewPage);
}
