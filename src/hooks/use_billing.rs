//! The billing hook: one [`Billing`] per page owns the state shown, its fetch
//! and refresh, the version rule, the one action that applies changes and the
//! backend the card reads through.

use super::use_events::follow_events;
use super::use_interval::use_interval;
use crate::api::{self, ApiError};
use crate::backend::{Backend, DynBackend, DynDetails, Live};
use billing_domain::{BillingState, FlexChange};
use leptos::prelude::*;
use std::rc::Rc;

/// How often the state is re-fetched while the page is visible and the live
/// stream is down, so alerts still appear without a reload.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// What a change answered: the new state, or why it failed.
type Answer = Result<BillingState, ApiError>;

/// The page's billing state and the way to change it, shared through context
/// (see [`provide_billing`] and [`use_billing`]).
#[derive(Clone, Copy)]
pub struct Billing {
    state: RwSignal<Option<BillingState>>,
    load_error: RwSignal<Option<ApiError>>,
    fetching: RwSignal<bool>,
    live: RwSignal<Option<bool>>,
    refetch: Option<Callback<()>>,
    change: Action<Change, ()>,
    backend: StoredValue<Rc<dyn DynBackend>, LocalStorage>,
    /// The rest of the backend (see [`Billing::details`]); `None` on the page.
    details: StoredValue<Option<Rc<dyn DynDetails>>, LocalStorage>,
}

/// A change to send: against which state (the one its caller showed; none:
/// the state shown now), and where its answer goes.
type Change = (FlexChange, Option<BillingState>, Reply);

/// Where the answer to one caller's change goes.
#[derive(Clone, Copy)]
struct Reply {
    pending: RwSignal<bool>,
    answer: RwSignal<Option<Answer>>,
}

/// Fetches the billing state of workspace `ws`, keeps it fresh (live from the
/// server's event stream; while that is down, every 10 s while the page is
/// visible; on focus; when the tab is shown again) and provides it to the
/// components below.
pub fn provide_billing(ws: String) -> Billing {
    let mut billing = Billing::new(None, Rc::new(Live::new(ws.clone())), None);
    let Billing {
        load_error,
        fetching,
        live,
        ..
    } = billing;
    fetching.set(true);
    follow_events(api::events_url(&ws), live, move |s| {
        billing.accept(s);
        load_error.set(None);
    });
    let resource = LocalResource::new(move || {
        let ws = ws.clone();
        async move { api::billing(&ws).await }
    });
    Effect::new(move |_| {
        let Some(result) = resource.get() else { return };
        fetching.set(false);
        match result {
            Ok(s) => {
                billing.accept(s);
                load_error.set(None);
            }
            Err(e) => load_error.set(Some(e)),
        }
    });
    let refetch = move || {
        fetching.set(true);
        resource.refetch();
    };
    let on_focus = window_event_listener(leptos::ev::focus, move |_| refetch());
    let on_visible = window_event_listener_untyped("visibilitychange", move |_| {
        if !document().hidden() {
            refetch();
        }
    });
    // A hidden tab skips the timer; it catches up when it is shown again.
    // While the stream is up, it brings every change: no need to ask.
    use_interval(REFRESH_EVERY, move || {
        if !document().hidden() && live.get_untracked() != Some(true) {
            refetch();
        }
    });
    on_cleanup(move || {
        on_focus.remove();
        on_visible.remove();
    });
    billing.refetch = Some(Callback::new(move |_| refetch()));
    provide_context(billing);
    billing
}

/// The [`Billing`] provided above the calling component.
pub fn use_billing() -> Billing {
    expect_context::<Billing>()
}

impl Billing {
    /// A billing that shows `state` from the start and never fetches; reads
    /// and changes go to `backend`. Provide it with `<Provider>` (the
    /// designers' preview does).
    pub fn with_state(state: BillingState, backend: impl Backend) -> Billing {
        let backend = Rc::new(backend);
        Billing::new(Some(state), backend.clone(), Some(backend))
    }

    fn new(
        state: Option<BillingState>,
        backend: Rc<dyn DynBackend>,
        details: Option<Rc<dyn DynDetails>>,
    ) -> Billing {
        let state = RwSignal::new(state);
        let load_error = RwSignal::new(None::<ApiError>);
        let stored = StoredValue::new_local(backend.clone());
        let change = Action::new_local(move |(change, against, reply): &Change| {
            let (change, reply) = (*change, *reply);
            // The version sent is the one its caller showed: a dialog's is
            // the state it opened with (or acknowledged since).
            let sent = match against {
                Some(shown) => Some(backend.apply(change, shown)),
                None => state.with_untracked(|s| s.as_ref().map(|s| backend.apply(change, s))),
            };
            async move {
                // No state is shown yet, so there is nothing to change.
                let Some(sent) = sent else {
                    let _ = reply.pending.try_set(false);
                    return;
                };
                let answer = sent.await;
                // Taken here rather than by the caller, so the state is
                // updated even if the caller is gone by the time it arrives.
                // A stale change brings the state in force; it is taken too
                // (through the version rule), so trying again uses its version.
                match &answer {
                    Ok(s) => accept(state, s.clone()),
                    Err(ApiError::Stale { now, .. }) => accept(state, (**now).clone()),
                    Err(_) => return finish(reply, answer),
                }
                load_error.set(None);
                finish(reply, answer);
            }
        });
        Billing {
            state,
            load_error,
            fetching: RwSignal::new(false),
            live: RwSignal::new(None),
            refetch: None,
            change,
            backend: stored,
            details: StoredValue::new_local(details),
        }
    }

    fn accept(self, new_state: BillingState) {
        accept(self.state, new_state);
    }

    /// What is shown: `None` until the first state arrives, then always a state.
    pub fn shown(self) -> ReadSignal<Option<BillingState>> {
        self.state.read_only()
    }

    /// The state, for the parts of the page that exist once one is shown.
    #[track_caller]
    pub fn state(self) -> Signal<BillingState> {
        let state = self.state;
        // A shown state is never taken away again; `first` only satisfies the types.
        let first = state
            .get_untracked()
            .expect("Billing::state is used once a state is shown");
        Signal::derive(move || state.get().unwrap_or_else(|| first.clone()))
    }

    /// Why the latest fetch failed; cleared by a fetch or change that succeeds.
    pub fn load_error(self) -> ReadSignal<Option<ApiError>> {
        self.load_error.read_only()
    }

    /// Whether the state follows the server live: `Some(true)` while the
    /// event stream is up, `Some(false)` while it is down (the periodic
    /// refresh stands in), `None` before it first opens or where nothing is
    /// followed (the preview).
    pub fn live(self) -> ReadSignal<Option<bool>> {
        self.live.read_only()
    }

    /// Shows `live` as the stream's condition (the preview's specimens).
    pub fn showing_live(self, live: Option<bool>) -> Billing {
        self.live.set(live);
        self
    }

    /// Where the card's reads and changes go: the API on the page, the
    /// preview's server in the preview. The history and the alert delivery
    /// read through it, as the change action does.
    pub fn backend(self) -> Rc<dyn DynBackend> {
        self.backend.get_value()
    }

    /// Where the card's later half reads and changes the statements, the
    /// delivery log, the thresholds and the webhook: the preview's server in
    /// the preview; on the page, the API of the workspace shown, made here on
    /// first use, so that its code is reached only from the later half and
    /// travels in the second module (see `flex_card/later.rs`).
    pub fn details(self) -> Rc<dyn DynDetails> {
        if let Some(details) = self.details.get_value() {
            return details;
        }
        let ws = self
            .state
            .with_untracked(|s| s.as_ref().map(|s| s.workspace.slug.clone()))
            .unwrap_or_default();
        let details: Rc<dyn DynDetails> = Rc::new(Live::new(ws));
        self.details.set_value(Some(details.clone()));
        details
    }

    /// True while a fetch is out.
    pub fn fetching(self) -> ReadSignal<bool> {
        self.fetching.read_only()
    }

    /// Fetches the state again now (Retry).
    pub fn refetch(self) {
        if let Some(refetch) = self.refetch {
            refetch.run(());
        }
    }

    /// A caller's own channel to the change action: the cap field and each
    /// dialog see whether *their* change is in flight and what it answered.
    pub fn request(self) -> Request {
        Request {
            change: self.change,
            reply: Reply {
                pending: RwSignal::new(false),
                answer: RwSignal::new(None),
            },
        }
    }
}

/// Hands `answer` to the caller that sent the change, if it is still there
/// (its part of the card may have re-rendered meanwhile).
fn finish(reply: Reply, answer: Answer) {
    let _ = reply.answer.try_set(Some(answer));
    let _ = reply.pending.try_set(false);
}

/// The version rule: a state replaces the shown one only if it is not older
/// ([`BillingState::may_replace`]) and differs, so a slow answer never undoes
/// a later change and a refresh that changes nothing touches nothing.
fn accept(state: RwSignal<Option<BillingState>>, new_state: BillingState) {
    let replace = state.with_untracked(|shown| match shown {
        None => true,
        Some(shown) => new_state.may_replace(shown) && *shown != new_state,
    });
    if replace {
        state.set(Some(new_state));
    }
}

/// One caller's changes through the page's change action (see [`Billing::request`]).
#[derive(Clone, Copy)]
pub struct Request {
    change: Action<Change, ()>,
    reply: Reply,
}

impl Request {
    /// Sends `change` against the state shown now, unless this caller's
    /// previous change is still in flight.
    pub fn send(self, change: FlexChange) {
        self.dispatch(change, None);
    }

    /// Sends `change` against `shown`, the state the caller showed when the
    /// person decided (a dialog's): a change made since is refused by the
    /// server rather than overwritten.
    pub fn send_against(self, change: FlexChange, shown: BillingState) {
        self.dispatch(change, Some(shown));
    }

    fn dispatch(self, change: FlexChange, against: Option<BillingState>) {
        if self.reply.pending.get_untracked() {
            return;
        }
        self.reply.pending.set(true);
        self.change.dispatch((change, against, self.reply));
    }

    /// True while this caller's change is in flight.
    pub fn pending(self) -> ReadSignal<bool> {
        self.reply.pending.read_only()
    }

    /// The answer to this caller's latest change, until [`Request::forget`].
    pub fn answer(self) -> ReadSignal<Option<Answer>> {
        self.reply.answer.read_only()
    }

    /// Why this caller's latest change failed, in words for people.
    pub fn error(self) -> Signal<Option<String>> {
        let answer = self.reply.answer;
        Signal::derive(move || {
            answer.with(|a| {
                a.as_ref()
                    .and_then(|r| r.as_ref().err())
                    .map(ApiError::message)
            })
        })
    }

    /// Forgets the latest answer (a dialog opened afresh shows no old error).
    pub fn forget(self) {
        self.reply.answer.set(None);
    }
}
