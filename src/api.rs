//! The typed HTTP client of the billing API: one function per call, answering
//! domain types or an [`ApiError`] the page can show.

use crate::json;
use billing_domain::{
    ActivityPage, AlertThresholds, BillingState, ChangeRequest, DeliveryLog, ErrorBody, FlexChange,
    FlexSettings, SessionInfo, SetCapRequest, StatementPage, ThresholdsRequest, WebhookInfo,
    WebhookRequest,
};
use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

/// The code of a change refused because the settings changed since it was made.
pub const VERSION_CONFLICT: &str = "version_conflict";

/// Why a call failed, in the terms the page shows.
#[derive(Clone, Debug)]
pub enum ApiError {
    /// No session (401): the page asks the person to sign in.
    SignedOut,
    /// The server answered with an error.
    Failed { code: String, message: String },
    /// The change was made against settings that someone changed since
    /// (409 `version_conflict`): nothing was changed, and `now` is the state in force.
    Stale {
        /// The settings the change was made against.
        against: FlexSettings,
        /// The billing state now in force.
        now: Box<BillingState>,
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
            ApiError::Stale { against, now } => format!(
                "Someone changed Flex Billing while you were editing: {}.",
                against.what_changed(&now.flex)
            ),
            ApiError::Unreachable => {
                "Can't reach the billing service. Check your connection and try again.".into()
            }
        }
    }
}

/// Loads the billing state of workspace `ws`.
pub async fn billing(ws: &str) -> Result<BillingState, ApiError> {
    if let Some(resp) = first_read("billing", Some(ws)).await {
        return answer(Ok(resp), None).await;
    }
    let sent = Request::get(&url(ws, "billing"))
        .header("Accept", "application/json")
        .send()
        .await;
    answer(sent, None).await
}

/// Up to `limit` changes to Flex Billing in workspace `ws`, newest first;
/// `before` (a page's `next_before`) continues with older ones.
pub async fn activity(ws: &str, before: Option<i64>, limit: u32) -> Result<ActivityPage, ApiError> {
    let sent = Request::get(&url(ws, &activity_path(before, limit)))
        .header("Accept", "application/json")
        .send()
        .await;
    answer(sent, None).await
}

/// The workspace's latest `limit` statements, newest first.
pub async fn statements(ws: &str, limit: u32) -> Result<StatementPage, ApiError> {
    let sent = Request::get(&url(ws, &format!("statements?limit={limit}")))
        .header("Accept", "application/json")
        .send()
        .await;
    answer(sent, None).await
}

/// Where the CSV of the cycle that started on `cycle_start` downloads from.
pub fn usage_csv_href(ws: &str, cycle_start: chrono::NaiveDate) -> String {
    url(ws, &format!("usage.csv?cycle={cycle_start}"))
}

/// Path and query, under the workspace, of a page of the activity.
fn activity_path(before: Option<i64>, limit: u32) -> String {
    match before {
        Some(before) => format!("billing/activity?before={before}&limit={limit}"),
        None => format!("billing/activity?limit={limit}"),
    }
}

/// Who is signed in, and the workspaces they belong to.
pub async fn session() -> Result<SessionInfo, ApiError> {
    if let Some(resp) = first_read("session", None).await {
        return answer(Ok(resp), None).await;
    }
    let sent = Request::get("/api/session")
        .header("Accept", "application/json")
        .send()
        .await;
    answer(sent, None).await
}

/// Ends the session; the server clears its cookie. Already signed out (401)
/// counts as done. Answers where to go to sign out at the platform's
/// OpenID provider too, when the server says so.
pub async fn sign_out() -> Result<Option<String>, ApiError> {
    let request = Request::post("/api/session/logout")
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body("{}")
        .map_err(|_| ApiError::Unreachable)?;
    let resp = request.send().await.map_err(|_| ApiError::Unreachable)?;
    let status = resp.status();
    if status == 200 {
        #[derive(serde::Deserialize)]
        struct SignedOut {
            redirect: Option<String>,
        }
        return Ok(json::read::<SignedOut>(&resp)
            .await
            .and_then(|s| s.redirect));
    }
    if resp.ok() || status == 401 {
        return Ok(None);
    }
    Err(refusal(status, json::read::<ErrorBody>(&resp).await, None))
}

/// Applies `change`, made against the settings `against` (the page sends their
/// version, so a change made on a stale page is refused); answers the new state.
pub async fn change(
    ws: &str,
    change: FlexChange,
    against: FlexSettings,
) -> Result<BillingState, ApiError> {
    let (verb, path, body) = change_call(change, against.version);
    let url = url(ws, path);
    let request = match verb {
        Verb::Post => Request::post(&url),
        Verb::Put => Request::put(&url),
        Verb::Delete => Request::delete(&url),
    };
    let request = request
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(body);
    match request {
        Ok(request) => answer(request.send().await, Some(against)).await,
        Err(_) => Err(ApiError::Unreachable),
    }
}

/// The HTTP method of a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    Post,
    Put,
    Delete,
}

/// Method, path under the workspace and JSON body of `change` made against `version`.
fn change_call(change: FlexChange, version: u64) -> (Verb, &'static str, String) {
    let version = Some(version);
    let plain = ChangeRequest { version };
    let (verb, path, body) = match change {
        FlexChange::Enable => (Verb::Post, "flex/enable", json::to_string(&plain)),
        FlexChange::Disable => (Verb::Post, "flex/disable", json::to_string(&plain)),
        FlexChange::RemoveCap => (Verb::Delete, "flex/cap", json::to_string(&plain)),
        FlexChange::SetCap(cap) => {
            let body = SetCapRequest {
                cap: cap.plain(),
                version,
            };
            (Verb::Put, "flex/cap", json::to_string(&body))
        }
    };
    (verb, path, body)
}

/// Where alerts of `ws` go and what became of the latest (owners).
pub async fn deliveries(ws: &str) -> Result<DeliveryLog, ApiError> {
    let sent = Request::get(&url(ws, "deliveries"))
        .header("Accept", "application/json")
        .send()
        .await;
    answer(sent, None).await
}

/// The notification thresholds of `ws` (owners).
pub async fn thresholds(ws: &str) -> Result<AlertThresholds, ApiError> {
    let sent = Request::get(&url(ws, "alerts"))
        .header("Accept", "application/json")
        .send()
        .await;
    answer(sent, None).await
}

/// Sets the notification thresholds of `ws` (owners).
pub async fn set_thresholds(ws: &str, thresholds: Vec<u8>) -> Result<AlertThresholds, ApiError> {
    let body = json::to_string(&ThresholdsRequest {
        thresholds: thresholds.into_iter().map(i64::from).collect(),
    });
    let request = Request::put(&url(ws, "alerts"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(body);
    match request {
        Ok(request) => answer(request.send().await, None).await,
        Err(_) => Err(ApiError::Unreachable),
    }
}

/// Registers `url` as the webhook endpoint of `ws`; the answer holds the
/// signing secret, this once.
pub async fn set_webhook(ws: &str, url_text: &str) -> Result<WebhookInfo, ApiError> {
    let body = json::to_string(&WebhookRequest {
        url: url_text.to_string(),
    });
    let request = Request::put(&url(ws, "webhook"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(body);
    match request {
        Ok(request) => answer(request.send().await, None).await,
        Err(_) => Err(ApiError::Unreachable),
    }
}

/// Removes the webhook endpoint of `ws`.
pub async fn delete_webhook(ws: &str) -> Result<(), ApiError> {
    let request = Request::delete(&url(ws, "webhook"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body("{}")
        .map_err(|_| ApiError::Unreachable)?;
    let resp = request.send().await.map_err(|_| ApiError::Unreachable)?;
    if resp.ok() {
        return Ok(());
    }
    let status = resp.status();
    Err(refusal(status, json::read::<ErrorBody>(&resp).await, None))
}

/// Where the billing state of `ws` streams live (Server-Sent Events).
pub fn events_url(ws: &str) -> String {
    url(ws, "billing/events")
}

/// The answer to a read `index.html` started with the page, before the wasm
/// had loaded (`window.firstReads[name]`), when it was made for workspace
/// `ws` (None: for any). Each is taken once; later reads go to the network.
/// None when there was no such read, or it did not reach the server: the
/// caller then asks itself.
#[cfg(target_arch = "wasm32")]
async fn first_read(name: &str, ws: Option<&str>) -> Option<Response> {
    use wasm_bindgen::{JsCast, JsValue};
    let reads = js_sys::Reflect::get(&leptos::prelude::window(), &"firstReads".into()).ok()?;
    if !reads.is_object() {
        return None;
    }
    let key = JsValue::from_str(name);
    let promise = js_sys::Reflect::get(&reads, &key).ok()?;
    let read_ws = js_sys::Reflect::get(&reads, &"ws".into()).ok()?.as_string();
    if ws.is_some() && read_ws.as_deref() != ws {
        return None;
    }
    js_sys::Reflect::set(&reads, &key, &JsValue::NULL).ok()?;
    let promise = promise.dyn_into::<js_sys::Promise>().ok()?;
    let resp = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    resp.dyn_into::<web_sys::Response>()
        .ok()
        .map(Response::from)
}

#[cfg(not(target_arch = "wasm32"))]
async fn first_read(_name: &str, _ws: Option<&str>) -> Option<Response> {
    None
}

fn url(ws: &str, rest: &str) -> String {
    format!("/api/workspaces/{ws}/{rest}")
}

async fn answer<T: DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
    against: Option<FlexSettings>,
) -> Result<T, ApiError> {
    let resp = sent.map_err(|_| ApiError::Unreachable)?;
    let status = resp.status();
    if resp.ok() {
        return json::read::<T>(&resp)
            .await
            .ok_or_else(|| ApiError::Failed {
                code: "bad_response".into(),
                message:
                    "The billing service sent an answer this page can't read. Reload the page."
                        .into(),
            });
    }
    Err(refusal(
        status,
        json::read::<ErrorBody>(&resp).await,
        against,
    ))
}

/// What an error answer means to the page. A stale change (409
/// `version_conflict` with the state now in force) is [`ApiError::Stale`] when
/// the settings it was made against are known.
fn refusal(status: u16, body: Option<ErrorBody>, against: Option<FlexSettings>) -> ApiError {
    if status == 401 {
        return ApiError::SignedOut;
    }
    match (body, against) {
        (
            Some(ErrorBody {
                error,
                state: Some(now),
            }),
            Some(against),
        ) if status == 409 && error.code == VERSION_CONFLICT => ApiError::Stale { against, now },
        (Some(body), _) => ApiError::Failed {
            code: body.error.code,
            message: body.error.message,
        },
        (None, _) => ApiError::Failed {
            code: "http_error".into(),
            message: format!("The billing service answered with an error ({status}). Try again."),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use billing_domain::{
        BillingCycle, ErrorDetail, Money, PlanInfo, PlanInterval, Role, UsageSummary, Viewer,
        WorkspaceInfo,
    };
    use chrono::NaiveDate;

    fn settings(cap: Option<i64>, version: u64) -> FlexSettings {
        FlexSettings {
            enabled: true,
            cap: cap.map(Money::from_cents),
            default_cap: Money::from_cents(10_000),
            version,
        }
    }

    fn state(flex: FlexSettings) -> BillingState {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        BillingState {
            workspace: WorkspaceInfo {
                slug: "globex".into(),
                name: "Globex".into(),
            },
            plan: PlanInfo {
                name: "Enterprise".into(),
                interval: PlanInterval::Year,
            },
            cycle: BillingCycle {
                start: day(3, 1),
                end: day(12, 1),
            },
            flex,
            usage: UsageSummary::default(),
            viewer: Viewer {
                email: "owner@acme.test".into(),
                role: Role::Owner,
                can_manage: true,
            },
            today: day(11, 24),
            notice: None,
            flex_by_day: Vec::new(),
        }
    }

    #[test]
    fn every_change_names_the_version_it_was_made_against_in_json() {
        let cases = [
            (
                FlexChange::Enable,
                Verb::Post,
                "flex/enable",
                r#"{"version":7}"#,
            ),
            (
                FlexChange::Disable,
                Verb::Post,
                "flex/disable",
                r#"{"version":7}"#,
            ),
            (
                FlexChange::RemoveCap,
                Verb::Delete,
                "flex/cap",
                r#"{"version":7}"#,
            ),
            (
                FlexChange::SetCap(Money::from_cents(25_000)),
                Verb::Put,
                "flex/cap",
                r#"{"cap":"250.00","version":7}"#,
            ),
        ];
        for (change, verb, path, body) in cases {
            assert_eq!(
                change_call(change, 7),
                (verb, path, body.to_string()),
                "{change:?}"
            );
        }
    }

    #[test]
    fn the_activity_is_paged_by_before_and_limit() {
        assert_eq!(activity_path(None, 3), "billing/activity?limit=3");
        assert_eq!(
            activity_path(Some(41), 20),
            "billing/activity?before=41&limit=20"
        );
    }

    #[test]
    fn a_stale_change_says_what_someone_else_changed() {
        let mine = settings(Some(120_000), 3);
        let now = state(settings(Some(5_000), 4));
        let body = ErrorBody {
            error: ErrorDetail {
                code: VERSION_CONFLICT.into(),
                message: "The settings changed.".into(),
            },
            state: Some(Box::new(now.clone())),
        };
        let refused = refusal(409, Some(body.clone()), Some(mine));
        let ApiError::Stale { now: in_force, .. } = &refused else {
            panic!("a 409 version_conflict is stale: {refused:?}");
        };
        assert_eq!(**in_force, now, "the state in force comes with it");
        assert_eq!(
            refused.message(),
            "Someone changed Flex Billing while you were editing: the cap is now $50.00."
        );
        // A fetch made against nothing, or another error, stays a plain failure.
        assert!(matches!(
            refusal(409, Some(body), None),
            ApiError::Failed { .. }
        ));
        assert!(matches!(refusal(401, None, None), ApiError::SignedOut));
    }
}
