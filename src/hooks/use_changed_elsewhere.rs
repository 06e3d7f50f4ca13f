//! Notices a change made elsewhere (another person, another tab) while
//! someone is deciding: a dialog is open, or a cap is being typed. The
//! settings seen when they began are kept, so what they confirm is what they
//! were shown, and what changed meanwhile can be told, with who did it.

use super::use_billing::{Billing, Request};
use crate::api::ApiError;
use billing_domain::{BillingState, FlexSettings, FlexSnapshot};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// A change made elsewhere: the settings before and after, and who made
/// them (their email), if the audit trail says.
#[derive(Clone, Debug, PartialEq)]
pub struct Changed {
    pub before: FlexSettings,
    pub after: FlexSettings,
    pub who: Option<String>,
}

/// What [`use_changed_elsewhere`] keeps.
#[derive(Clone, Copy)]
pub struct ChangedElsewhere {
    seen: RwSignal<Option<BillingState>>,
    changed: RwSignal<Option<Changed>>,
    news: RwSignal<u32>,
}

impl ChangedElsewhere {
    /// The state the person is deciding on: the one shown when they began,
    /// or the newest one told to them since.
    pub fn seen(self) -> Option<BillingState> {
        self.seen.get_untracked()
    }

    /// The latest change made elsewhere since they began, once its author
    /// is known (or known to be unknown).
    pub fn changed(self) -> ReadSignal<Option<Changed>> {
        self.changed.read_only()
    }

    /// How many changes made elsewhere arrived this round: it counts up the
    /// moment one arrives, before who made it is known.
    pub fn news(self) -> ReadSignal<u32> {
        self.news.read_only()
    }
}

/// While `deciding`, follows the shown state from the one seen when it
/// began; a newer version that is not the answer to `own` (the caller's own
/// change) is a change made elsewhere: it becomes the state seen, and
/// [`ChangedElsewhere::changed`] says what it was.
pub fn use_changed_elsewhere(
    billing: Billing,
    deciding: Signal<bool>,
    own: Request,
) -> ChangedElsewhere {
    let state = billing.state();
    let seen = RwSignal::new(None::<BillingState>);
    let changed = RwSignal::new(None::<Changed>);
    let news = RwSignal::new(0u32);
    // Each time deciding begins is a new round: a late answer about who made
    // a change belongs to the round it was asked in.
    let round = StoredValue::new(0u32);
    Effect::new(move |_| {
        let now = state.get();
        if !deciding.get() {
            seen.set(None);
            changed.set(None);
            return;
        }
        let Some(was) = seen.get_untracked() else {
            round.update_value(|r| *r += 1);
            seen.set(Some(now));
            changed.set(None);
            news.set(0);
            return;
        };
        if was.flex.version == now.flex.version {
            return;
        }
        seen.set(Some(now.clone()));
        // The caller's own change, or its refusal (which says what changed
        // in its own words), is not news.
        let answered = own.pending().get_untracked()
            || own.answer().with_untracked(|a| match a {
                Some(Ok(s)) => s.flex.version == now.flex.version,
                Some(Err(ApiError::Stale { now: n, .. })) => n.flex.version == now.flex.version,
                _ => false,
            });
        if answered {
            return;
        }
        news.update(|n| *n += 1);
        let this_round = round.get_value();
        let (before, after) = (was.flex, now.flex);
        spawn_local(async move {
            let who = changed_by(billing, &after).await;
            if round.try_get_value() == Some(this_round)
                && seen.try_get_untracked().flatten().is_some()
            {
                let _ = changed.try_set(Some(Changed { before, after, who }));
            }
        });
    });
    ChangedElsewhere {
        seen,
        changed,
        news,
    }
}

/// Who made the settings `now`: the newest line of the audit trail, if it
/// ends in them.
async fn changed_by(billing: Billing, now: &FlexSettings) -> Option<String> {
    let page = billing.backend().activity(None, 1).await.ok()?;
    let newest = page.entries.into_iter().next()?;
    (newest.new == Some(FlexSnapshot::from(now)))
        .then_some(newest.actor)
        .flatten()
}
