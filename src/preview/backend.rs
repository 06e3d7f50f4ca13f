//! The preview's backend: applies a change to a card's fixture as the server
//! would (through the domain's transition), fails, or never answers.

use billing_domain::{BillingState, FlexChange};
use billing_page::api::ApiError;
use billing_page::backend::Backend;
use std::future::Future;

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
}

impl Backend for Behaviour {
    fn apply(
        &self,
        change: FlexChange,
        current: &BillingState,
    ) -> impl Future<Output = Result<BillingState, ApiError>> + use<> {
        let (behaviour, current) = (*self, current.clone());
        async move {
            match behaviour {
                Behaviour::Succeed => applied(change, current),
                Behaviour::Fail => Err(ApiError::Failed {
                    code: "internal".into(),
                    message: "Something went wrong on our side. Try again.".into(),
                }),
                Behaviour::Hang => std::future::pending().await,
            }
        }
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
    use crate::fixtures::{annual, monthly_off, on_with_cap, on_without_cap};
    use billing_domain::{FlexError, Money};

    fn apply(change: FlexChange, state: BillingState) -> Result<BillingState, ApiError> {
        block_on(Behaviour::Succeed.apply(change, &state))
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
}
