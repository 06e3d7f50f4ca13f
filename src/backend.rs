//! Where the page's reads and changes go: the [`Backend`] the billing hook
//! holds, and [`Live`], the billing API of one workspace. The preview plugs
//! in its own server here, and nowhere else.

use crate::api::{self, ApiError};
use billing_domain::{
    ActivityPage, AlertThresholds, BillingState, DeliveryLog, FlexChange, StatementPage,
    WebhookInfo,
};
use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;

/// Applies Flex Billing changes and answers the new state; reads the history
/// and the delivery log; registers and removes the webhook.
pub trait Backend: 'static {
    /// Applies `change` to the workspace now shown as `current`. The change is
    /// made against `current.flex`: if the settings have changed since (a newer
    /// version), it is refused with [`ApiError::Stale`] and the state in force.
    fn apply(
        &self,
        change: FlexChange,
        current: &BillingState,
    ) -> impl Future<Output = Result<BillingState, ApiError>> + use<Self>;

    /// Up to `limit` changes from the audit trail, newest first; `before` (a
    /// page's `next_before`) continues with older ones.
    fn activity(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = Result<ActivityPage, ApiError>> + use<Self>;

    /// Where alerts go and what became of the latest (owners).
    fn deliveries(&self) -> impl Future<Output = Result<DeliveryLog, ApiError>> + use<Self>;

    /// The notification thresholds (owners).
    fn thresholds(&self) -> impl Future<Output = Result<AlertThresholds, ApiError>> + use<Self>;

    /// Sets the notification thresholds (owners); answers those in force.
    fn set_thresholds(
        &self,
        thresholds: Vec<u8>,
    ) -> impl Future<Output = Result<AlertThresholds, ApiError>> + use<Self>;

    /// The latest `limit` statements of ended cycles, newest first.
    fn statements(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<StatementPage, ApiError>> + use<Self>;

    /// Registers `url` as the webhook endpoint; the answer holds its signing
    /// secret, this once.
    fn set_webhook(
        &self,
        url: String,
    ) -> impl Future<Output = Result<WebhookInfo, ApiError>> + use<Self>;

    /// Removes the webhook endpoint.
    fn delete_webhook(&self) -> impl Future<Output = Result<(), ApiError>> + use<Self>;

    /// The moment relative times ("2 minutes ago") are counted from: the
    /// browser's clock.
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
    }
}

/// What a [`DynBackend`] answers.
pub type AnswerFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

/// Any [`Backend`], as the billing hook holds it and hands it to the card
/// ([`Billing::backend`](crate::hooks::Billing::backend)): what the card
/// needs to be usable (changes, the newest history entry for "changed
/// elsewhere", the clock).
pub trait DynBackend {
    fn apply(&self, change: FlexChange, current: &BillingState) -> AnswerFuture<BillingState>;
    fn activity(&self, before: Option<i64>, limit: u32) -> AnswerFuture<ActivityPage>;
    fn now(&self) -> DateTime<Utc>;
}

/// The rest of any [`Backend`]: what only the card's later half reads and
/// changes (statements, the delivery log, thresholds, the webhook), handed
/// out by [`Billing::details`](crate::hooks::Billing::details). Kept apart
/// from [`DynBackend`] so that, on the page, its code is reached only from
/// the later half and travels in the second module.
pub trait DynDetails {
    fn deliveries(&self) -> AnswerFuture<DeliveryLog>;
    fn statements(&self, limit: u32) -> AnswerFuture<StatementPage>;
    fn thresholds(&self) -> AnswerFuture<AlertThresholds>;
    fn set_thresholds(&self, thresholds: Vec<u8>) -> AnswerFuture<AlertThresholds>;
    fn set_webhook(&self, url: String) -> AnswerFuture<WebhookInfo>;
    fn delete_webhook(&self) -> AnswerFuture<()>;
}

impl<B: Backend> DynBackend for B {
    fn apply(&self, change: FlexChange, current: &BillingState) -> AnswerFuture<BillingState> {
        Box::pin(Backend::apply(self, change, current))
    }
    fn activity(&self, before: Option<i64>, limit: u32) -> AnswerFuture<ActivityPage> {
        Box::pin(Backend::activity(self, before, limit))
    }
    fn now(&self) -> DateTime<Utc> {
        Backend::now(self)
    }
}

impl<B: Backend> DynDetails for B {
    fn deliveries(&self) -> AnswerFuture<DeliveryLog> {
        Box::pin(Backend::deliveries(self))
    }
    fn statements(&self, limit: u32) -> AnswerFuture<StatementPage> {
        Box::pin(Backend::statements(self, limit))
    }
    fn thresholds(&self) -> AnswerFuture<AlertThresholds> {
        Box::pin(Backend::thresholds(self))
    }
    fn set_thresholds(&self, thresholds: Vec<u8>) -> AnswerFuture<AlertThresholds> {
        Box::pin(Backend::set_thresholds(self, thresholds))
    }
    fn set_webhook(&self, url: String) -> AnswerFuture<WebhookInfo> {
        Box::pin(Backend::set_webhook(self, url))
    }
    fn delete_webhook(&self) -> AnswerFuture<()> {
        Box::pin(Backend::delete_webhook(self))
    }
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

    fn activity(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = Result<ActivityPage, ApiError>> + use<> {
        let ws = self.ws.clone();
        async move { api::activity(&ws, before, limit).await }
    }

    fn deliveries(&self) -> impl Future<Output = Result<DeliveryLog, ApiError>> + use<> {
        let ws = self.ws.clone();
        async move { api::deliveries(&ws).await }
    }

    fn statements(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<StatementPage, ApiError>> + use<> {
        let ws = self.ws.clone();
        async move { api::statements(&ws, limit).await }
    }

    fn thresholds(&self) -> impl Future<Output = Result<AlertThresholds, ApiError>> + use<> {
        let ws = self.ws.clone();
        async move { api::thresholds(&ws).await }
    }

    fn set_thresholds(
        &self,
        thresholds: Vec<u8>,
    ) -> impl Future<Output = Result<AlertThresholds, ApiError>> + use<> {
        let ws = self.ws.clone();
        async move { api::set_thresholds(&ws, thresholds).await }
    }

    fn set_webhook(
        &self,
        url: String,
    ) -> impl Future<Output = Result<WebhookInfo, ApiError>> + use<> {
        let ws = self.ws.clone();
        async move { api::set_webhook(&ws, &url).await }
    }

    fn delete_webhook(&self) -> impl Future<Output = Result<(), ApiError>> + use<> {
        let ws = self.ws.clone();
        async move { api::delete_webhook(&ws).await }
    }
}
