//! `use_interval`: something done every so often while a component is mounted.

use leptos::prelude::*;
use std::time::Duration;

/// Calls `tick` every `period`, from now until the calling component is
/// cleaned up, when the timer stops. The first call comes after one `period`.
///
/// ```no_run
/// use billing_page::hooks::use_interval;
/// use leptos::prelude::*;
/// use std::time::Duration;
///
/// #[component]
/// fn Uptime() -> impl IntoView {
///     let (seconds, set_seconds) = signal(0u32);
///     use_interval(Duration::from_secs(1), move || set_seconds.update(|s| *s += 1));
///     view! { <p>"Open for " {seconds} " s"</p> }
/// }
/// ```
pub fn use_interval(period: Duration, tick: impl Fn() + 'static) {
    if let Ok(timer) = set_interval_with_handle(tick, period) {
        on_cleanup(move || timer.clear());
    }
}
