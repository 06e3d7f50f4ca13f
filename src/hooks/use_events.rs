//! The live billing stream: an `EventSource` on the workspace's
//! `…/billing/events`, made again after a drop with a growing pause.

use billing_domain::BillingState;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

/// The first pause before the stream is opened again after a drop; it
/// doubles with each failure, up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

type Handler = Closure<dyn FnMut(web_sys::Event)>;

/// One followed stream.
struct Follow {
    url: String,
    on_state: Box<dyn Fn(BillingState)>,
    open: RwSignal<Option<bool>>,
    source: RefCell<Option<(EventSource, [Handler; 3])>>,
    /// The handlers of the stream closed last: one of them may be the one
    /// running when it was closed, so they are dropped a stream later.
    retired: RefCell<Option<(EventSource, [Handler; 3])>>,
    pause: Cell<Duration>,
    stopped: Cell<bool>,
}

/// Follows the billing stream at `url`: each state it sends goes to
/// `on_state`; `open` becomes `Some(true)` when the stream is up and
/// `Some(false)` when it drops. Stops when the calling
/// component is cleaned up.
pub fn follow_events(
    url: String,
    open: RwSignal<Option<bool>>,
    on_state: impl Fn(BillingState) + 'static,
) {
    let follow = Rc::new(Follow {
        url,
        on_state: Box::new(on_state),
        open,
        source: RefCell::new(None),
        retired: RefCell::new(None),
        pause: Cell::new(FIRST_PAUSE),
        stopped: Cell::new(false),
    });
    connect(&follow);
    let follow = StoredValue::new_local(follow);
    on_cleanup(move || {
        follow.try_with_value(|follow| {
            follow.stopped.set(true);
            close(follow);
            // Not running now: both sets of handlers (and their references to `follow`) can go.
            follow.retired.borrow_mut().take();
        });
    });
}

fn connect(follow: &Rc<Follow>) {
    if follow.stopped.get() {
        return;
    }
    let Ok(source) = EventSource::new(&follow.url) else {
        return again(follow);
    };
    let opened = {
        let f = follow.clone();
        Handler::new(move |_: web_sys::Event| {
            f.pause.set(FIRST_PAUSE);
            let _ = f.open.try_set(Some(true));
        })
    };
    let message = {
        let f = follow.clone();
        Handler::new(move |e: web_sys::Event| {
            let text = e
                .dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string());
            if let Some(state) = text.and_then(|t| crate::json::from_str(&t)) {
                (f.on_state)(state);
            }
        })
    };
    let failed = {
        let f = follow.clone();
        Handler::new(move |_: web_sys::Event| {
            close(&f);
            let _ = f.open.try_set(Some(false));
            again(&f);
        })
    };
    source.set_onopen(Some(opened.as_ref().unchecked_ref()));
    source.set_onmessage(Some(message.as_ref().unchecked_ref()));
    source.set_onerror(Some(failed.as_ref().unchecked_ref()));
    *follow.source.borrow_mut() = Some((source, [opened, message, failed]));
}

fn close(follow: &Follow) {
    let Some((source, handlers)) = follow.source.borrow_mut().take() else {
        return;
    };
    source.set_onopen(None);
    source.set_onmessage(None);
    source.set_onerror(None);
    source.close();
    *follow.retired.borrow_mut() = Some((source, handlers));
}

/// Opens the stream again after the current pause, and doubles the pause.
fn again(follow: &Rc<Follow>) {
    let pause = follow.pause.get();
    follow.pause.set((pause * 2).min(LONGEST_PAUSE));
    let f = follow.clone();
    set_timeout(move || connect(&f), pause);
}
