//! The preview's backend: applies a change to a card's fixture as the server
//! would (through the domain's transition and its version rule), fails, or
//! never answers; pages its history, keeps its delivery log and its webhook,
//! and tells a fixed "now", so the preview always words the times the same.

use crate::fixtures;
use billing_domain::{
    webhook_url, ActivityEntry, ActivityPage, AlertThresholds, BillingState, DeliveryLog,
    FlexChange, StatementPage, WebhookInfo,
};
use billing_page::api::ApiError;
use billing_page::backend::Backend;
use chrono::{DateTime, Utc};
use std::cell::RefCell;
use std::future::{ready, Future};
use std::rc::Rc;

/// What a preview card's backend does when asked for a change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behaviour {
    /// Applies the change to the fixture.
    #[default]
    Succeed,
    /// Answers a server error.
    Fail,
    /// Never answers, to show the in-progress state.
    Hang,
    /// Someone else made this change just before the card's first: that one
    /// is refused as stale (with the state in force), and one made again applies.
    ChangedElsewhere(FlexChange),
}

/// One preview card's server: its own copy of the state in force, so a change
/// made against an older version is refused as the server refuses it; the
/// audit trail (newest first) and the delivery log it answers.
pub struct PreviewServer {
    behaviour: Behaviour,
    in_force: Rc<RefCell<Option<BillingState>>>,
    history: Vec<ActivityEntry>,
    log: RefCell<DeliveryLog>,
    thresholds: RefCell<Vec<u8>>,
}

impl PreviewServer {
    /// A server that answers changes as `behaviour` says, with the trail
    /// `history` (newest first) and the delivery log `log`.
    pub fn new(
        behaviour: Behaviour,
        history: Vec<ActivityEntry>,
        log: DeliveryLog,
    ) -> PreviewServer {
        PreviewServer {
            behaviour,
            in_force: Rc::default(),
            history,
            log: RefCell::new(log),
            thresholds: RefCell::new(billing_domain::DEFAULT_THRESHOLDS.to_vec()),
        }
    }

    /// Up to `limit` entries older than `before`, paged as the API pages them.
    fn page(&self, before: Option<i64>, limit: u32) -> ActivityPage {
        let mut older = self
            .history
            .iter()
            .filter(|e| before.is_none_or(|b| e.id < b))
            .cloned();
        let entries: Vec<ActivityEntry> = older.by_ref().take(limit as usize).collect();
        let next_before = match older.next() {
            Some(_) => entries.last().map(|e| e.id),
            None => None,
        };
        ActivityPage {
            entries,
            next_before,
        }
    }

    /// `url` registered as the server registers it: checked by the domain,
    /// kept in the log without its secret, answered with it.
    fn register(&self, url: &str) -> Result<WebhookInfo, ApiError> {
        let url = webhook_url(url, false).map_err(|e| ApiError::Failed {
            code: e.code().into(),
            message: e.message(),
        })?;
        let info = WebhookInfo {
            url,
            created_at: fixtures::now().into(),
            secret: None,
        };
        self.log.borrow_mut().webhook = Some(info.clone());
        Ok(WebhookInfo {
            secret: Some(fixtures::SECRET.into()),
            ..info
        })
    }

    /// `change`, made against `current`, applied to the state in force (which
    /// starts as the first change finds it, or as someone else left it).
    fn answer(&self, change: FlexChange, current: &BillingState) -> Result<BillingState, ApiError> {
        let mut in_force = self.in_force.borrow_mut();
        let in_force = in_force.get_or_insert_with(|| match self.behaviour {
            Behaviour::ChangedElsewhere(theirs) => {
                applied(theirs, current.clone()).unwrap_or_else(|_| current.clone())
            }
            _ => current.clone(),
        });
        if !in_force.flex.accepts(Some(current.flex.version)) {
            return Err(ApiError::Stale {
                against: current.flex.clone(),
                now: Box::new(in_force.clone()),
            });
        }
        let after = applied(change, in_force.clone())?;
        *in_force = after.clone();
        Ok(after)
    }
}

impl Backend for PreviewServer {
    fn apply(
        &self,
        change: FlexChange,
        current: &BillingState,
    ) -> impl Future<Output = Result<BillingState, ApiError>> + use<> {
        let answer = match self.behaviour {
            Behaviour::Succeed | Behaviour::ChangedElsewhere(_) => {
                Some(self.answer(change, current))
            }
            Behaviour::Fail => Some(Err(ApiError::Failed {
                code: "internal".into(),
                message: "Something went wrong on our side. Try again.".into(),
            })),
            Behaviour::Hang => None,
        };
        async move {
            match answer {
                Some(answer) => answer,
                None => std::future::pending().await,
            }
        }
    }

    fn activity(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = Result<ActivityPage, ApiError>> + use<> {
        ready(Ok(self.page(before, limit)))
    }

    fn deliveries(&self) -> impl Future<Output = Result<DeliveryLog, ApiError>> + use<> {
        ready(Ok(self.log.borrow().clone()))
    }

    fn statements(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<StatementPage, ApiError>> + use<> {
        let mut statements = fixtures::statements();
        statements.truncate(limit as usize);
        ready(Ok(StatementPage {
            statements,
            next: None,
        }))
    }

    fn thresholds(&self) -> impl Future<Output = Result<AlertThresholds, ApiError>> + use<> {
        ready(Ok(AlertThresholds {
            thresholds: self.thresholds.borrow().clone(),
        }))
    }

    fn set_thresholds(
        &self,
        thresholds: Vec<u8>,
    ) -> impl Future<Output = Result<AlertThresholds, ApiError>> + use<> {
        *self.thresholds.borrow_mut() = thresholds.clone();
        ready(Ok(AlertThresholds { thresholds }))
    }

    fn set_webhook(
        &self,
        url: String,
    ) -> impl Future<Output = Result<WebhookInfo, ApiError>> + use<> {
        ready(self.register(&url))
    }

    fn delete_webhook(&self) -> impl Future<Output = Result<(), ApiError>> + use<> {
        self.log.borrow_mut().webhook = None;
        ready(Ok(()))
    }

    fn now(&self) -> DateTime<Utc> {
        fixtures::now()
    }
}

/// `change` applied to `current` by [`FlexSettings::apply`](billing_domain::FlexSettings::apply),
/// refused as the server refuses it.
fn applied(change: FlexChange, mut current: BillingState) -> Result<BillingState, ApiError> {
    match current.flex.apply(change, current.plan.interval) {
        Ok(Some(flex)) => {
            current.flex = flex;
            Ok(current)
        }
        Ok(None) => Ok(current),
        Err(e) => Err(ApiError::Failed {
            code: e.code().into(),
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{alerts_none, annual, history, monthly_off, on_with_cap, on_without_cap};
    use billing_domain::{FlexError, Money};

    fn server(behaviour: Behaviour) -> PreviewServer {
        PreviewServer::new(behaviour, history(), alerts_none())
    }

    fn apply(change: FlexChange, state: BillingState) -> Result<BillingState, ApiError> {
        block_on(server(Behaviour::Succeed).apply(change, &state))
    }

    /// The preview's successful answers are ready at once; poll one to completion.
    fn block_on<F: Future>(fut: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut fut = std::pin::pin!(fut);
        loop {
            if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn the_preview_backend_changes_state_as_the_server_does() {
        let apply = |change, state| apply(change, state).expect("applied");
        assert_eq!(
            apply(FlexChange::Enable, monthly_off()).flex.cap,
            Some(Money::from_cents(10_000))
        );
        assert_eq!(
            apply(FlexChange::Enable, annual(monthly_off())).flex.cap,
            Some(Money::from_cents(120_000))
        );
        let off = apply(FlexChange::Disable, on_with_cap());
        assert!(!off.flex.enabled && off.flex.cap.is_none());
        assert_eq!(apply(FlexChange::RemoveCap, on_with_cap()).flex.cap, None);
        let capped = apply(
            FlexChange::SetCap(Money::from_cents(25_000)),
            on_without_cap(),
        );
        assert_eq!(
            (capped.flex.cap, capped.flex.version),
            (Some(Money::from_cents(25_000)), 3)
        );
    }

    #[test]
    fn the_preview_backend_refuses_a_cap_while_off_and_keeps_the_version_on_a_no_op() {
        match apply(FlexChange::SetCap(Money::from_cents(25_000)), monthly_off()) {
            Err(ApiError::Failed { code, message }) => {
                assert_eq!(code, FlexError::FlexDisabled.code());
                assert_eq!(message, FlexError::FlexDisabled.to_string());
            }
            other => panic!("a cap set while off must be refused: {other:?}"),
        }
        let on = on_with_cap();
        for no_op in [FlexChange::Enable, FlexChange::SetCap(on.flex.cap.unwrap())] {
            assert_eq!(apply(no_op, on.clone()).expect("applied"), on, "{no_op:?}");
        }
        let off = monthly_off();
        assert_eq!(
            apply(FlexChange::Disable, off.clone()).expect("applied"),
            off
        );
    }

    #[test]
    fn a_change_made_against_an_older_version_is_refused_with_the_state_in_force() {
        let server = server(Behaviour::ChangedElsewhere(FlexChange::SetCap(
            Money::from_cents(5_000),
        )));
        let shown = on_with_cap();
        match block_on(server.apply(FlexChange::RemoveCap, &shown)) {
            Err(stale @ ApiError::Stale { .. }) => {
                let ApiError::Stale { now, .. } = &stale else {
                    unreachable!()
                };
                assert_eq!(
                    (now.flex.cap, now.flex.version),
                    (Some(Money::from_cents(5_000)), shown.flex.version + 1)
                );
                assert_eq!(
                    stale.message(),
                    "Someone changed Flex Billing while you were editing: the cap is now $50.00."
                );
                // Made again on the state in force, it applies.
                let again = block_on(server.apply(FlexChange::RemoveCap, now)).expect("applied");
                assert_eq!(
                    (again.flex.cap, again.flex.version),
                    (None, shown.flex.version + 2)
                );
            }
            other => panic!("a change on the older version must be stale: {other:?}"),
        }
        // And one still made on the old version stays refused.
        assert!(matches!(
            block_on(server.apply(FlexChange::Disable, &shown)),
            Err(ApiError::Stale { .. })
        ));
    }

    #[test]
    fn the_history_is_paged_as_the_api_pages_it() {
        let server = server(Behaviour::Succeed);
        let first = block_on(server.activity(None, 3)).expect("a page");
        let ids = |p: &ActivityPage| p.entries.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!((ids(&first), first.next_before), (vec![5, 4, 3], Some(3)));
        let rest = block_on(server.activity(first.next_before, 20)).expect("a page");
        assert_eq!((ids(&rest), rest.next_before), (vec![2, 1], None));
    }

    #[test]
    fn a_webhook_is_checked_kept_without_its_secret_and_removed() {
        let server = server(Behaviour::Succeed);
        match block_on(server.set_webhook("http://hooks.example.com".into())) {
            Err(ApiError::Failed { code, .. }) => assert_eq!(code, "invalid_webhook_url"),
            other => panic!("plain http elsewhere must be refused: {other:?}"),
        }
        let info = block_on(server.set_webhook(" https://hooks.example.com/billing ".into()))
            .expect("registered");
        assert_eq!(info.secret.as_deref(), Some(fixtures::SECRET));
        let log = block_on(server.deliveries()).expect("the log");
        let kept = log.webhook.expect("kept");
        assert_eq!(
            (kept.url.as_str(), kept.secret),
            ("https://hooks.example.com/billing", None)
        );
        block_on(server.delete_webhook()).expect("removed");
        assert_eq!(
            block_on(server.deliveries()).expect("the log").webhook,
            None
        );
    }
}
