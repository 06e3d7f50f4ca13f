//! The typed client of the billing API: one function per endpoint, answering
//! domain types. The preview backend answers from fixtures instead.

use billing_domain::api::{BillingState, ErrorBody, SetCapRequest};
use billing_domain::Money;
use gloo_net::http::{Request, RequestBuilder, Response};
use leptos::prelude::*;
use serde::de::DeserializeOwned;

/// Why a call failed, in the terms the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// No session (401): the page asks the person to sign in.
    SignedOut,
    /// The server answered with an error.
    Failed {
        status: u16,
        code: String,
        message: String,
    },
    /// The server could not be reached.
    Unreachable,
}

impl ApiError {
    /// A sentence for people.
    pub fn message(&self) -> String {
        match self {
            ApiError::SignedOut => "Your session has ended. Sign in again to continue.".into(),
            ApiError::Failed { message, .. } => message.clone(),
            ApiError::Unreachable => {
                "Can't reach the billing service. Check your connection and try again.".into()
            }
        }
    }
}

async fn answer<T: DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let resp = sent.map_err(|_| ApiError::Unreachable)?;
    let status = resp.status();
    if resp.ok() {
        return resp.json::<T>().await.map_err(|_| ApiError::Failed {
            status,
            code: "bad_response".into(),
            message: "The billing service sent an answer this page can't read. Reload the page."
                .into(),
        });
    }
    if status == 401 {
        return Err(ApiError::SignedOut);
    }
    Err(match resp.json::<ErrorBody>().await {
        Ok(body) => ApiError::Failed {
            status,
            code: body.error.code,
            message: body.error.message,
        },
        Err(_) => ApiError::Failed {
            status,
            code: "http_error".into(),
            message: format!("The billing service answered with an error ({status}). Try again."),
        },
    })
}

async fn send<T: DeserializeOwned>(req: RequestBuilder) -> Result<T, ApiError> {
    answer(req.header("Accept", "application/json").send().await).await
}

fn url(ws: &str, rest: &str) -> String {
    format!("/api/workspaces/{ws}/{rest}")
}

/// Where the card's changes go: the live API, or fixtures in `/preview`.
#[derive(Clone, Copy)]
pub enum Backend {
    /// The real API for this workspace.
    Live(StoredValue<String>),
    /// Fixture behaviour for the designers' preview.
    Preview(crate::fixtures::PreviewBehaviour),
}

/// A change to Flex Billing the card can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Enable,
    Disable,
    SetCap(Money),
    RemoveCap,
}

impl Backend {
    /// Loads the billing state.
    pub async fn billing(self) -> Result<BillingState, ApiError> {
        match self {
            Backend::Live(ws) => send(Request::get(&url(&ws.get_value(), "billing"))).await,
            Backend::Preview(b) => b.billing().await,
        }
    }

    /// Applies a change and answers the new state.
    pub async fn apply(
        self,
        change: Change,
        current: BillingState,
    ) -> Result<BillingState, ApiError> {
        let ws = match self {
            Backend::Live(ws) => ws.get_value(),
            Backend::Preview(b) => return b.apply(change, current).await,
        };
        match change {
            Change::Enable => send(Request::post(&url(&ws, "flex/enable"))).await,
            Change::Disable => send(Request::post(&url(&ws, "flex/disable"))).await,
            Change::RemoveCap => send(Request::delete(&url(&ws, "flex/cap"))).await,
            Change::SetCap(cap) => {
                let body = SetCapRequest {
                    cap: cap.plain(),
                    version: None,
                };
                let req = Request::put(&url(&ws, "flex/cap"))
                    .header("Accept", "application/json")
                    .json(&body);
                match req {
                    Ok(req) => answer(req.send().await).await,
                    Err(_) => Err(ApiError::Unreachable),
                }
            }
        }
    }
}
