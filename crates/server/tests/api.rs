//! The API against a real server on a loopback port with a real SQLite file.

mod common;

use billing_server::demo;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn billing_state_has_everything_the_card_needs() {
    let s = start().await;
    let c = s.signed_in(OWNER).await;
    let (status, b) = send(c.get(s.url("/api/workspaces/acme/billing"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        b["workspace"],
        json!({"slug": "acme", "name": "Acme Robotics"})
    );
    assert_eq!(b["plan"]["interval"], "month");
    assert_eq!(b["plan"], json!({"name": "Growth", "interval": "month"}));
    assert_eq!(b["usage"]["flex_rate"], "4.00");
    assert_eq!(b["usage"]["prepaid_rate"], "3.00");
    assert_eq!(b["flex"]["enabled"], false);
    assert_eq!(b["flex"]["cap"], Value::Null);
    assert_eq!(b["flex"]["default_cap"], "100.00");
    assert_eq!(b["usage"]["included_total"], "30");
    assert_eq!(b["usage"]["prepaid_balance"], "10");
    assert_eq!(b["usage"]["flex_spend"], "0.00");
    assert_eq!(
        b["viewer"],
        json!({"email": OWNER, "role": "owner", "can_manage": true})
    );
    assert!(b["cycle"]["start"].as_str().unwrap() < b["cycle"]["end"].as_str().unwrap());

    let (_, g) = send(c.get(s.url("/api/workspaces/globex/billing"))).await;
    assert_eq!(g["plan"]["interval"], "year");
    assert_eq!(g["flex"]["enabled"], true);
    assert_eq!(g["flex"]["cap"], "1200.00");
    assert_eq!(g["flex"]["default_cap"], "1200.00");
}

#[tokio::test]
async fn signed_out_is_401_and_strangers_get_404() {
    let s = start().await;
    let anon = Client::new();
    for (method, path) in [
        ("GET", "/api/workspaces/acme/billing"),
        ("POST", "/api/workspaces/acme/flex/enable"),
        ("POST", "/api/workspaces/acme/flex/disable"),
        ("PUT", "/api/workspaces/acme/flex/cap"),
        ("DELETE", "/api/workspaces/acme/flex/cap"),
        ("GET", "/api/session"),
    ] {
        let (status, body) = send(
            anon.request(method.parse().unwrap(), s.url(path))
                .json(&json!({"cap": "5"})),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let bogus = Client::builder().default_headers({
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("cookie", "billing_session=forged".parse().unwrap());
        h
    });
    let (status, _) = send(
        bogus
            .build()
            .unwrap()
            .get(s.url("/api/workspaces/acme/billing")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let c = s.signed_in(OWNER).await;
    for ws in ["initech", "nope"] {
        let (status, body) = send(c.get(s.url(&format!("/api/workspaces/{ws}/billing")))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "workspace_not_found");
        let (status, _) = send(
            c.post(s.url(&format!("/api/workspaces/{ws}/flex/enable")))
                .json(&json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn members_read_but_every_change_is_403() {
    let s = start().await;
    let m = s.signed_in(MEMBER).await;
    let (status, b) = send(m.get(s.url("/api/workspaces/globex/billing"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b["viewer"]["can_manage"], false);
    for req in [
        m.post(s.url("/api/workspaces/acme/flex/enable"))
            .json(&json!({})),
        m.post(s.url("/api/workspaces/globex/flex/disable"))
            .json(&json!({})),
        m.put(s.url("/api/workspaces/globex/flex/cap"))
            .json(&json!({"cap": "250"})),
        m.delete(s.url("/api/workspaces/globex/flex/cap"))
            .json(&json!({})),
    ] {
        let (status, body) = send(req).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let o = s.signed_in(OWNER).await;
    let (_, g) = send(o.get(s.url("/api/workspaces/globex/billing"))).await;
    assert_eq!(
        (g["flex"]["cap"].as_str(), g["flex"]["version"].as_u64()),
        (Some("1200.00"), Some(1))
    );
}

#[tokio::test]
async fn enable_sets_the_default_cap_for_the_interval_and_admins_may_change() {
    let s = start().await;
    let a = s.signed_in(ADMIN).await;
    let (status, b) = send(
        a.post(s.url("/api/workspaces/acme/flex/enable"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (b["flex"]["enabled"].as_bool(), b["flex"]["cap"].as_str()),
        (Some(true), Some("100.00"))
    );
    assert_eq!(b["flex"]["version"], 2);

    let (_, b) = send(
        a.post(s.url("/api/workspaces/globex/flex/disable"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (b["flex"]["enabled"].as_bool(), &b["flex"]["cap"]),
        (Some(false), &Value::Null)
    );
    let (_, b) = send(
        a.post(s.url("/api/workspaces/globex/flex/enable"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(b["flex"]["cap"], "1200.00");

    // Enabling again changes nothing (the cap someone set is kept).
    let (_, b) = send(
        a.put(s.url("/api/workspaces/globex/flex/cap"))
            .json(&json!({"cap": "$2,500"})),
    )
    .await;
    assert_eq!(b["flex"]["cap"], "2500.00");
    let (_, b) = send(
        a.post(s.url("/api/workspaces/globex/flex/enable"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(b["flex"]["cap"], "2500.00");
}

#[tokio::test]
async fn cap_is_set_validated_and_removed() {
    let s = start().await;
    let o = s.signed_in(OWNER).await;
    let cap_url = s.url("/api/workspaces/acme/flex/cap");
    let (status, body) = send(o.put(&cap_url).json(&json!({"cap": "250"}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("flex_disabled"))
    );

    send(
        o.post(s.url("/api/workspaces/acme/flex/enable"))
            .json(&json!({})),
    )
    .await;
    let (status, b) = send(o.put(&cap_url).json(&json!({"cap": "250.5"}))).await;
    assert_eq!(
        (status, b["flex"]["cap"].as_str()),
        (StatusCode::OK, Some("250.50"))
    );
    let version = b["flex"]["version"].as_u64().unwrap();

    for (input, code) in [
        ("0.99", "cap_below_minimum"),
        ("abc", "cap_not_a_number"),
        ("-5", "cap_negative"),
        ("10.005", "cap_too_many_decimals"),
        ("1e3", "cap_exponent"),
        ("", "cap_empty"),
        ("2000000", "cap_too_large"),
    ] {
        let (status, body) = send(o.put(&cap_url).json(&json!({"cap": input}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{input:?}");
        assert_eq!(body["error"]["code"], code, "{input:?}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, body) = send(o.put(&cap_url).json(&json!({"cap": 250}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    let (_, b) = send(o.get(s.url("/api/workspaces/acme/billing"))).await;
    assert_eq!(
        (b["flex"]["cap"].as_str(), b["flex"]["version"].as_u64()),
        (Some("250.50"), Some(version))
    );

    // A stale version is refused; the current one applies.
    let (status, body) = send(
        o.put(&cap_url)
            .json(&json!({"cap": "300", "version": version - 1})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_conflict"))
    );
    assert_eq!(
        (
            body["state"]["flex"]["cap"].as_str(),
            body["state"]["flex"]["version"].as_u64()
        ),
        (Some("250.50"), Some(version)),
        "a stale change answers the state in force"
    );
    let (status, _) = send(
        o.put(&cap_url)
            .json(&json!({"cap": "300", "version": version})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, b) = send(o.delete(&cap_url).json(&json!({}))).await;
    assert_eq!(
        (status, &b["flex"]["cap"], b["flex"]["enabled"].as_bool()),
        (StatusCode::OK, &Value::Null, Some(true))
    );
    let audit = s.db.number("SELECT COUNT(*) FROM audit_log").await.unwrap();
    assert_eq!(audit, 4, "enable, two cap changes, remove");
}

#[tokio::test]
async fn usage_draws_included_then_prepaid_then_flex_then_blocks_at_the_cap() {
    let s = start().await;
    // Acme: 30 included, 10 prepaid, Flex off, $4.00 a flex credit.
    let (status, r) = s.meter("acme", "25", "k1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        r["draw"],
        json!({"included": "25", "prepaid": "0", "flex": "0", "flex_cost": "0.00"})
    );
    let (_, r) = s.meter("acme", "10", "k2").await;
    assert_eq!(
        r["draw"],
        json!({"included": "5", "prepaid": "5", "flex": "0", "flex_cost": "0.00"})
    );
    assert_eq!(r["usage"]["prepaid_balance"], "5");

    let (status, body) = s.meter("acme", "6", "k3").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYMENT_REQUIRED, Some("no_credits"))
    );

    let o = s.signed_in(OWNER).await;
    let (_, b) = send(o.get(s.url("/api/workspaces/acme/billing"))).await;
    assert_eq!(
        b["usage"]["blocked"], false,
        "only refusals at the flex cap count"
    );
    send(
        o.post(s.url("/api/workspaces/acme/flex/enable"))
            .json(&json!({})),
    )
    .await;
    let (status, r) = s.meter("acme", "6", "k3").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused key was not recorded, so it can be used again"
    );
    assert_eq!(
        r["draw"],
        json!({"included": "0", "prepaid": "5", "flex": "1", "flex_cost": "4.00"})
    );
    let (_, r) = s.meter("acme", "24", "k4").await;
    assert_eq!(r["usage"]["flex_spend"], "100.00");
    assert_eq!(r["usage"]["flex_credits"], "25");
    let (_, b) = send(o.get(s.url("/api/workspaces/acme/billing"))).await;
    assert_eq!(
        b["flex_by_day"],
        json!([{"day": b["today"], "spend": "100.00"}]),
        "today's flex spend, for the forecast"
    );
    assert_eq!(
        b["usage"]["prepaid_balance"], "0",
        "prepaid drawn to nothing"
    );

    let (status, body) = s.meter("acme", "0.25", "k5").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYMENT_REQUIRED, Some("flex_cap_reached"))
    );
    let (_, b) = send(o.get(s.url("/api/workspaces/acme/billing"))).await;
    assert_eq!(b["usage"]["flex_spend"], "100.00");
    assert_eq!(b["usage"]["included_used"], "30");
    assert_eq!(b["usage"]["blocked"], true);

    // Raising the cap lets usage through again, and nothing is blocked any more.
    let (_, b) = send(
        o.put(s.url("/api/workspaces/acme/flex/cap"))
            .json(&json!({"cap": "110"})),
    )
    .await;
    assert_eq!(b["usage"]["blocked"], false);
    let (status, r) = s.meter("acme", "0.25", "k5").await;
    assert_eq!(
        (status, r["draw"]["flex_cost"].as_str()),
        (StatusCode::OK, Some("1.00"))
    );

    // Below the cap, a job that would pass it is refused whole and marks the cycle blocked.
    let (status, body) = s.meter("acme", "2.5", "k6").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYMENT_REQUIRED, Some("flex_cap_reached"))
    );
    let (_, b) = send(o.get(s.url("/api/workspaces/acme/billing"))).await;
    assert_eq!(
        (b["usage"]["flex_spend"].as_str(), &b["usage"]["blocked"]),
        (Some("101.00"), &json!(true))
    );
    let (status, _) = s.meter("acme", "2.5", "k6").await;
    assert_eq!(
        status,
        StatusCode::PAYMENT_REQUIRED,
        "a retried refusal is refused again"
    );
    let kept =
        s.db.number("SELECT COUNT(*) FROM blocked_usage")
            .await
            .unwrap();
    assert_eq!(kept, 2, "one refusal kept per version of the settings");
}

#[tokio::test]
async fn usage_is_idempotent_and_needs_the_metering_token() {
    let s = start().await;
    let (_, first) = s.meter("globex", "2.5", "job-42").await;
    let (status, again) = s.meter("globex", "2.5", "job-42").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (first["replayed"].as_bool(), again["replayed"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(again["draw"], first["draw"]);
    assert_eq!(again["usage"]["included_used"], "2.5");
    let (status, body) = s.meter("globex", "3", "job-42").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_conflict"))
    );

    for (credits, code) in [
        ("0", "invalid_credits"),
        ("-1", "invalid_credits"),
        ("0.00001", "invalid_credits"),
        ("1000000.0001", "invalid_credits"),
        ("99999999999999999999999999", "invalid_credits"),
    ] {
        let (status, body) = s.meter("globex", credits, "x").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{credits}"
        );
    }
    let (status, body) = s.meter("globex", "1_0", "x").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "plain decimals only"
    );
    let url = s.url("/api/workspaces/globex/usage");
    let body = json!({"credits": "1", "idempotency_key": "y"});
    for token in [None, Some("wrong"), Some("demo-metering-token-x")] {
        let mut req = Client::new().post(&url).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let (status, body) = send(req).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_metering_token"))
        );
    }
    let (status, _) = send(
        Client::new()
            .post(&url)
            .bearer_auth(demo::DEMO_METERING_TOKEN)
            .json(&body),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "demo mode also accepts the demo token"
    );
    let (status, _) = s.meter("nope", "1", "z").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_in_root_and_page_routes() {
    let s = start().await;
    let no_redirects = || {
        Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap()
    };
    let c = no_redirects();
    let r = c.get(s.url("/")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/api/dev/login?next=/");
    let r = c
        .get(s.url("/signin?next=/workspaces/globex/billing"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/api/dev/login?next=/workspaces/globex/billing"
    );
    let r = c
        .get(s.url("/signin?next=//evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/api/dev/login?next=/");
    for sneaky in [
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%5Cevil.example",
        "https://evil.example",
    ] {
        let url = s.url(&format!(
            "/api/dev/login?email=owner%40acme.test&next={sneaky}"
        ));
        let r = c.get(url).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/", "{sneaky}");
    }
    let (status, body) = send(c.get(s.url("/api/workspaces/acme/flex/enable"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    let page = c
        .get(s.url("/api/dev/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in as member@acme.test"));

    let r = c
        .get(s.url("/api/dev/login?email=owner%40acme.test&next=//evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let r = c.get(s.url("/")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/workspaces/acme/billing");

    let r = c
        .get(s.url("/api/dev/login?email=nobody%40acme.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = c
        .get(s.url("/workspaces/acme/billing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<title>page</title>"));
    let (status, body) = send(c.get(s.url("/api/nope"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    let r = c
        .post(s.url("/api/session/logout"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, _) = send(c.get(s.url("/api/session"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_demo_there_is_no_demo_sign_in_or_token() {
    let s = start_with(false).await;
    let c = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/", "/signin?next=/workspaces/acme/billing"] {
        let r = c.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Sign in through the platform"));
    }
    let (status, body) = send(c.get(s.url("/api/dev/login?email=owner%40acme.test"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = send(
        c.post(s.url("/api/workspaces/acme/usage"))
            .bearer_auth(demo::DEMO_METERING_TOKEN)
            .json(&json!({"credits": "1", "idempotency_key": "a"})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the demo token is only accepted with --demo"
    );
    let (status, _) = s.meter("acme", "1", "b").await;
    assert_eq!(status, StatusCode::OK, "the configured token is");
}

#[tokio::test]
async fn concurrent_metering_at_the_cap_takes_exactly_the_room_left() {
    let s = std::sync::Arc::new(start().await);
    // Globex: 360 included credits, then flex at $4.00 within the $1,200.00 cap (300 credits).
    let (status, _) = s.meter("globex", "360", "included").await;
    assert_eq!(status, StatusCode::OK);
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.meter("globex", "7", &format!("job-{i}")).await })
        })
        .collect();
    let (mut accepted, mut refused) = (0, 0);
    for c in clients {
        let (status, body) = c.await.unwrap();
        match status {
            StatusCode::OK => accepted += 1,
            StatusCode::PAYMENT_REQUIRED => {
                assert_eq!(body["error"]["code"], "flex_cap_reached");
                refused += 1
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    // 300 / 7 = 42 whole jobs fit ($1,176.00); the 43rd would pass the cap.
    assert_eq!((accepted, refused), (42, 22));
    let c = s.signed_in(OWNER).await;
    let (_, b) = send(c.get(s.url("/api/workspaces/globex/billing"))).await;
    assert_eq!(b["usage"]["flex_spend"], "1176.00");
    assert_eq!(b["usage"]["flex_credits"], "294");
    let recorded_cents = s
        .db
        .number("SELECT SUM(flex_cost_cents) FROM usage_events WHERE idempotency_key LIKE 'job-%'")
        .await
        .unwrap();
    assert_eq!(
        recorded_cents, 117_600,
        "the records add up to the running total"
    );
    figure("concurrent metering clients at the cap", 64);
    figure("cents over the cap", (recorded_cents - 120_000).max(0));
    figure(
        "requests accepted at the cap (exactly the room: 42)",
        accepted,
    );
}

#[tokio::test]
async fn concurrent_retries_of_one_key_record_once() {
    let s = std::sync::Arc::new(start().await);
    let retries: Vec<_> = (0..32)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.meter("globex", "1.5", "retried-job").await })
        })
        .collect();
    let mut fresh = 0;
    for r in retries {
        let (status, body) = r.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["replayed"] == false {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "one answer records, the rest replay");
    let rows =
        s.db.number("SELECT COUNT(*) FROM usage_events WHERE idempotency_key = 'retried-job'")
            .await
            .unwrap();
    assert_eq!(rows, 1);
    figure("concurrent retries of one idempotency key", 32);
    figure("duplicate records", rows - 1);
    let c = s.signed_in(OWNER).await;
    let (_, b) = send(c.get(s.url("/api/workspaces/globex/billing"))).await;
    assert_eq!(b["usage"]["included_used"], "1.5");
}

#[tokio::test]
async fn assets_are_sent_precompressed_and_cached_for_good_html_revalidated() {
    let s = start().await;
    let dir = s.static_dir();
    std::fs::write(dir.join("app-1f2e3d.js"), "console.log('plain')").unwrap();
    std::fs::write(dir.join("app-1f2e3d.js.br"), b"brotli bytes").unwrap();
    let r = Client::new()
        .get(s.url("/app-1f2e3d.js"))
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"brotli bytes");
    let plain = Client::new()
        .get(s.url("/app-1f2e3d.js"))
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    for page in ["/workspaces/acme/billing", "/index.html"] {
        let r = Client::new().get(s.url(page)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["cache-control"], "no-cache", "{page}");
    }
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_405_with_allow_whatever_the_headers() {
    let s = start().await;
    let o = s.signed_in(OWNER).await;
    // Not JSON, and from another origin: still 405, since no handler runs.
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/session", "GET,HEAD"),
        (reqwest::Method::PUT, "/api/workspaces/acme/usage", "POST"),
        (
            reqwest::Method::POST,
            "/api/workspaces/acme/flex/cap",
            "PUT,DELETE",
        ),
    ] {
        let r = o
            .request(method.clone(), s.url(path))
            .header("content-type", "text/plain")
            .header("sec-fetch-site", "cross-site")
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
    // An unknown route under /api is 404, also for a change.
    let (status, body) = send(o.post(s.url("/api/nope")).body("x")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn a_demo_server_tells_time_by_its_clock_file_read_on_every_use() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("now");
    std::fs::write(&clock, "2026-12-15T12:00:00Z").unwrap();
    let s = common::start_config(billing_server::Config {
        demo: true,
        clock_file: Some(clock.clone()),
        ..Default::default()
    })
    .await;
    let cycle = |b: &Value| {
        (
            b["cycle"]["start"].as_str().unwrap().to_string(),
            b["cycle"]["end"].as_str().unwrap().to_string(),
        )
    };
    let c = s.signed_in(OWNER).await;
    let (status, b) = send(c.get(s.url("/api/workspaces/acme/billing"))).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(cycle(&b), ("2026-12-01".into(), "2027-01-01".into()));
    assert_eq!(s.meter("acme", "3", "in-december").await.0, StatusCode::OK);

    // The file rewritten: the next request is in January's cycle, where
    // nothing is used yet. Weeks passed, so the session lapsed (idle).
    std::fs::write(&clock, "2027-01-02T08:00:00Z").unwrap();
    assert_eq!(
        send(c.get(s.url("/api/workspaces/acme/billing"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let c = s.signed_in(OWNER).await;
    let (_, b) = send(c.get(s.url("/api/workspaces/acme/billing"))).await;
    assert_eq!(cycle(&b), ("2027-01-01".into(), "2027-02-01".into()));
    assert_eq!(b["usage"]["included_used"], "0", "{b}");
}

#[tokio::test]
async fn usage_is_kept_by_feature_and_the_state_says_what_used_the_flex_credits() {
    let s = start().await;
    // Globex: included credits first, then flex at $4.00.
    for (feature, credits, key) in [
        ("training", "150", "t-1"),
        ("inference", "40", "i-1"),
        ("training", "25.5", "t-2"),
    ] {
        let (status, body) = s.meter_for("globex", feature, credits, key).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["usage"].get("by_feature").is_none(), "{body}");
    }
    assert_eq!(
        s.meter("globex", "10", "no-feature").await.0,
        StatusCode::OK
    );

    let b = state_of(&s, "globex").await;
    let by_feature = b["usage"]["by_feature"].as_array().unwrap().clone();
    let names: Vec<_> = by_feature
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["training", "inference", "other"],
        "largest flex spend first: {b}"
    );
    let total_credits: rust_decimal::Decimal = by_feature
        .iter()
        .map(|f| {
            f["credits"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(total_credits.to_string(), "225.5");
    let flex_spend: rust_decimal::Decimal = by_feature
        .iter()
        .map(|f| {
            f["flex_spend"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(
        flex_spend.to_string(),
        b["usage"]["flex_spend"].as_str().unwrap(),
        "the features add up to the cycle's flex spend: {b}"
    );
    assert_eq!(by_feature[0]["credits"], "175.5");

    // The same key with another feature is another record: refused.
    let (status, body) = s.meter_for("globex", "inference", "150", "t-1").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_conflict");
    // The same key, feature and credits: a replay.
    let (status, body) = s.meter_for("globex", "training", "150", "t-1").await;
    assert_eq!(
        (status, body["replayed"].as_bool()),
        (StatusCode::OK, Some(true))
    );

    // A feature that is not a short lowercase word.
    for bad in ["GPU", "", "two words", &"x".repeat(41)] {
        let (status, body) = s.meter_for("globex", bad, "1", "bad-feature").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_feature");
    }
}
