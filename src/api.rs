//! The typed HTTP client of the billing API: one function per call, answering
//! domain types or an [`ApiError`] the page can show.

use billing_domain::{BillingState, ErrorBody, FlexChange, SetCapRequest};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;

/// Why a call failed, in the terms the page shows.
#[derive(Clone, Debug)]
pub enum ApiError {
    /// No session (401): the page asks the person to sign in.
    SignedOut,
    /// The server answered with an error.
    Failed { code: String, message: String },
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

/// Loads the billing state of workspace `ws`.
pub async fn billing(ws: &str) -> Result<BillingState, ApiError> {
    send(Request::get(&url(ws, "billing"))).await
}

/// Applies `change` to workspace `ws`; answers the new state.
pub async fn change(ws: &str, change: FlexChange) -> Result<BillingState, ApiError> {
    let request = match change {
        FlexChange::Enable => Request::post(&url(ws, "flex/enable")),
        FlexChange::Disable => Request::post(&url(ws, "flex/disable")),
        FlexChange::RemoveCap => Request::delete(&url(ws, "flex/cap")),
        FlexChange::SetCap(cap) => {
            let body = SetCapRequest {
                cap: cap.plain(),
                version: None,
            };
            let request = Request::put(&url(ws, "flex/cap"))
                .header("Accept", "application/json")
                .json(&body);
            return match request {
                Ok(request) => answer(request.send().await).await,
                Err(_) => Err(ApiError::Unreachable),
            };
        }
    };
    send(request).await
}

fn url(ws: &str, rest: &str) -> String {
    format!("/api/workspaces/{ws}/{rest}")
}

async fn send<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, ApiError> {
    answer(request.header("Accept", "application/json").send().await).await
}

async fn answer<T: DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let resp = sent.map_err(|_| ApiError::Unreachable)?;
    let status = resp.status();
    if resp.ok() {
        return resp.json::<T>().await.map_err(|_| ApiError::Failed {
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
            code: body.error.code,
            message: body.error.message,
        },
        Err(_) => ApiError::Failed {
            code: "http_error".into(),
            message: format!("The billing service answered with an error ({status}). Try again."),
        },
    })
}
