//! The platform's provisioning API: workspaces and plans, members, prepaid
//! credits, with its own token; every bad value refused with its own code.

mod common;

use billing_server::Config;
use common::{send, start_config, state_of, Events, Server, OWNER};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const TOKEN: &str = "platform-token-for-tests-0123456789abcdef";

async fn server() -> Server {
    start_config(Config {
        demo: true,
        allow_http_webhooks: true,
        platform_token: Some(TOKEN.into()),
        ..Config::default()
    })
    .await
}

fn spec(name: &str, interval: &str, anchor: &str, flex_rate: &str) -> Value {
    json!({
        "name": name,
        "plan": {"name": "Growth", "interval": interval, "anchor": anchor,
                 "included_credits": "30", "flex_rate": flex_rate, "prepaid_rate": "3.00"}
    })
}

async fn platform(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Client::new()
        .request(method, s.url(&format!("/api/platform{path}")))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        req = req.json(&body);
    }
    send(req).await
}

#[tokio::test]
async fn workspaces_are_created_updated_and_read_with_the_platform_token_only() {
    let s = server().await;
    let body = spec("Umbrella", "month", "2026-11-01", "4.00");
    let url = s.url("/api/platform/workspaces/umbrella");
    for auth in [None, Some("wrong"), Some("demo-metering-token")] {
        let mut req = Client::new().put(&url).json(&body);
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        let (status, answer) = send(req).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_platform_token")),
            "{auth:?}"
        );
    }
    let (status, created) = platform(
        &s,
        reqwest::Method::PUT,
        "/workspaces/umbrella",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["workspace"],
        json!({"slug": "umbrella", "name": "Umbrella"})
    );
    assert_eq!(created["plan"]["interval"], "month");
    assert_eq!(created["plan"]["flex_rate"], "4.00");
    assert_eq!(
        created["flex"]["enabled"], false,
        "a new workspace starts with Flex Billing off"
    );
    assert_eq!(created["usage"]["included_total"], "30");
    let (status, again) =
        platform(&s, reqwest::Method::PUT, "/workspaces/umbrella", Some(body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, created, "idempotent");
    let (status, read) = platform(&s, reqwest::Method::GET, "/workspaces/umbrella", None).await;
    assert_eq!((status, &read), (StatusCode::OK, &created));
    let renamed = spec("Umbrella Corp", "month", "2026-11-01", "4.00");
    let (status, answer) = platform(
        &s,
        reqwest::Method::PUT,
        "/workspaces/umbrella",
        Some(renamed),
    )
    .await;
    assert_eq!(
        (status, answer["workspace"]["name"].as_str()),
        (StatusCode::OK, Some("Umbrella Corp"))
    );

    let (status, answer) = platform(&s, reqwest::Method::GET, "/workspaces/nobody", None).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("workspace_not_found"))
    );
    let mut codes = Vec::new();
    for (path, body) in [
        (
            "/workspaces/Bad_Slug",
            spec("X", "month", "2026-11-01", "4.00"),
        ),
        ("/workspaces/x", spec("", "month", "2026-11-01", "4.00")),
        ("/workspaces/x", spec("X", "week", "2026-11-01", "4.00")),
        ("/workspaces/x", spec("X", "month", "2026-02-30", "4.00")),
        ("/workspaces/x", spec("X", "month", "2026-11-01", "0")),
        ("/workspaces/x", spec("X", "month", "2026-11-01", "4.001")),
        (
            "/workspaces/x",
            json!({"name": "X", "plan": {}, "extra": 1}),
        ),
    ] {
        let (status, answer) = platform(&s, reqwest::Method::PUT, path, Some(body)).await;
        assert!(status.is_client_error(), "{path}: {status} {answer}");
        codes.push(answer["error"]["code"].as_str().unwrap().to_string());
    }
    assert_eq!(
        codes,
        [
            "invalid_slug",
            "invalid_name",
            "invalid_plan",
            "invalid_anchor",
            "invalid_rate",
            "invalid_rate",
            "unknown_field"
        ]
    );
    let (status, _) = platform(&s, reqwest::Method::GET, "/workspaces/x", None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "nothing was made of the refused ones"
    );
}

#[tokio::test]
async fn a_member_joins_changes_role_and_leaves_at_once() {
    let s = server().await;
    let (status, _) = platform(
        &s,
        reqwest::Method::PUT,
        "/workspaces/umbrella",
        Some(spec("Umbrella", "month", "2026-11-01", "4.00")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // A demo person (so the demo sign-in admits them) joins as a member.
    let path = "/workspaces/umbrella/members/Member@Acme.test";
    let (status, answer) = platform(
        &s,
        reqwest::Method::PUT,
        path,
        Some(json!({"role": "member"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(
        answer,
        json!({"email": "member@acme.test", "role": "member"})
    );
    let them = s.signed_in("member@acme.test").await;
    let billing = s.url("/api/workspaces/umbrella/billing");
    let (status, state) = send(them.get(&billing)).await;
    assert_eq!(
        (status, state["viewer"]["can_manage"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let mut events = Events::open(&them, &s.url("/api/workspaces/umbrella/billing/events")).await;
    events.next(Duration::from_secs(5)).await.unwrap().unwrap();

    // Made an admin: their open page hears of it.
    let (status, _) = platform(
        &s,
        reqwest::Method::PUT,
        path,
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let event = events.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(event.data["viewer"]["role"], "admin");
    for (body, code) in [
        (json!({"role": "root"}), "invalid_role"),
        (json!({"role": 1}), "invalid_request"),
    ] {
        let (status, answer) = platform(&s, reqwest::Method::PUT, path, Some(body)).await;
        assert_eq!(answer["error"]["code"], code, "{status}");
    }
    let (status, answer) = platform(
        &s,
        reqwest::Method::PUT,
        "/workspaces/umbrella/members/not-an-address",
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_email"))
    );

    // Removed: the stream ends, and the next call answers 404.
    let (status, _) = platform(&s, reqwest::Method::DELETE, path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        matches!(events.next(Duration::from_secs(5)).await, Ok(None)),
        "the stream ended"
    );
    let (status, answer) = send(them.get(&billing)).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("workspace_not_found"))
    );
    let (status, _) = platform(&s, reqwest::Method::DELETE, path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "idempotent");
}

#[tokio::test]
async fn prepaid_credits_are_added_once_per_order_and_written_to_the_trail() {
    let s = server().await;
    let grant = |credits: &str, key: &str| json!({"credits": credits, "idempotency_key": key});
    let (status, answer) = platform(
        &s,
        reqwest::Method::POST,
        "/workspaces/acme/prepaid",
        Some(grant("100", "order-1")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // Acme had 10 prepaid credits.
    assert_eq!(answer["usage"]["prepaid_balance"], "110");
    let (_, again) = platform(
        &s,
        reqwest::Method::POST,
        "/workspaces/acme/prepaid",
        Some(grant("100", "order-1")),
    )
    .await;
    assert_eq!(again["usage"]["prepaid_balance"], "110", "once per key");
    let (status, answer) = platform(
        &s,
        reqwest::Method::POST,
        "/workspaces/acme/prepaid",
        Some(grant("50", "order-1")),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_conflict"))
    );
    for (body, code) in [
        (grant("0", "order-2"), "invalid_credits"),
        (grant("-5", "order-2"), "invalid_credits"),
        (grant("1.00001", "order-2"), "invalid_credits"),
        (grant("5", "order 2"), "invalid_idempotency_key"),
    ] {
        let (status, answer) = platform(
            &s,
            reqwest::Method::POST,
            "/workspaces/acme/prepaid",
            Some(body),
        )
        .await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code))
        );
    }
    let (status, _) = platform(
        &s,
        reqwest::Method::POST,
        "/workspaces/nobody/prepaid",
        Some(grant("1", "k")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let owner = s.signed_in(OWNER).await;
    let (_, trail) = send(owner.get(s.url("/api/workspaces/acme/billing/activity"))).await;
    let newest = &trail["entries"][0];
    assert_eq!(newest["action"], "prepaid_added");
    assert_eq!(newest["credits"], "100");
    assert_eq!(newest["actor"], Value::Null);
    assert_eq!(
        trail["entries"].as_array().unwrap().len(),
        1,
        "one line for the one addition"
    );
    assert_eq!(
        state_of(&s, "acme").await["usage"]["prepaid_balance"],
        "110"
    );
}

#[tokio::test]
async fn new_rates_apply_forward_and_a_new_interval_moves_the_cycle() {
    let s = server().await;
    // Globex: annual from 2025-03-01, 360 included, $4.00 a flex credit.
    assert_eq!(s.meter("globex", "370", "before").await.0, StatusCode::OK);
    assert_eq!(state_of(&s, "globex").await["usage"]["flex_spend"], "40.00");
    let anchor = "2025-03-01";
    let (status, answer) = platform(
        &s,
        reqwest::Method::PUT,
        "/workspaces/globex",
        Some(json!({
            "name": "Globex",
            "plan": {"name": "Enterprise", "interval": "year", "anchor": anchor,
                     "included_credits": "360", "flex_rate": "5.00", "prepaid_rate": "3.00"}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["usage"]["flex_spend"], "40.00",
        "what was billed stays billed"
    );
    assert_eq!(answer["flex"]["cap"], "1200.00", "the settings are kept");
    assert_eq!(s.meter("globex", "1", "after").await.0, StatusCode::OK);
    assert_eq!(
        state_of(&s, "globex").await["usage"]["flex_spend"],
        "45.00",
        "the new rate from now on"
    );

    // Monthly from the first of this month: this month is the cycle now.
    let today = chrono::Utc::now().date_naive();
    let first = today.format("%Y-%m-01").to_string();
    let (status, answer) = platform(
        &s,
        reqwest::Method::PUT,
        "/workspaces/globex",
        Some(json!({
            "name": "Globex",
            "plan": {"name": "Growth", "interval": "month", "anchor": first,
                     "included_credits": "30", "flex_rate": "5.00", "prepaid_rate": "3.00"}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let state = state_of(&s, "globex").await;
    assert_eq!(state["cycle"]["start"], first.as_str());
    assert_eq!(state["plan"]["interval"], "month");
    assert_eq!(
        state["usage"]["flex_spend"], "0.00",
        "the old cycle's spend stays with it"
    );
    assert_eq!(
        state["flex"]["default_cap"], "100.00",
        "the default cap of a monthly plan"
    );
}
