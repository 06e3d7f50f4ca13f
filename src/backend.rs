//! Where the page's changes go: the [`Backend`] the billing hook sends them
//! to, and [`Live`], the billing API of one workspace.

use crate::api::{self, ApiError};
use billing_domain::{BillingState, FlexChange};
use std::future::Future;

/// Applies Flex Billing changes and answers the new state.
pub trait Backend: 'static {
    /// Applies `change` to the workspace now shown as `current`. The change is
    /// made against `current.flex`: if the settings have changed since (a newer
    /// version), it is refused with [`ApiError::Stale`] and the state in force.
    fn apply(
        &self,
        change: FlexChange,
        current: &BillingState,
    ) -> impl Future<Output = Result<BillingState, ApiError>> + use<Self>;
}

/// The billing API of workspace `ws`.
pub struct Live {
    ws: String,
}

impl Live {
    /// The API of workspace `ws`.
    pub fn new(ws: String) -> Live {
        Live { ws }
    }
}

impl Backend for Live {
    fn apply(
        &self,
        change: FlexChange,
        current: &BillingState,
    ) -> impl Future<Output = Result<BillingState, ApiError>> + use<> {
        let (ws, against) = (self.ws.clone(), current.flex.clone());
        async move { api::change(&ws, change, against).await }
    }
}
