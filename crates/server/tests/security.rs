//! Trust with money: forged requests, sessions, headers, stale changes, the
//! audit trail, and the cap under concurrency, against a real server and file.

mod common;

use billing_server::Config;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn changes_from_another_origin_or_not_json_change_nothing() {
    let s = start().await;
    let o = s.signed_in(OWNER).await;
    let before = state_of(&s, "acme").await;
    let enable = s.url("/api/workspaces/acme/flex/enable");
    let host = s.base.trim_start_matches("http://").to_string();
    let forged = [
        ("sec-fetch-site", "cross-site".to_string()),
        ("sec-fetch-site", "same-site".to_string()),
        ("origin", "http://127.0.0.1:1".to_string()),
        ("origin", "null".to_string()),
    ];
    for (name, value) in &forged {
        let (status, body) = send(o.post(&enable).header(*name, value).json(&json!({}))).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("cross_origin_request")),
            "{name}: {value}"
        );
    }
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let (status, body) = send(
            o.post(&enable)
                .header("content-type", content_type)
                .body("{}"),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("unsupported_media_type")
            ),
            "{content_type}"
        );
    }
    assert_eq!(state_of(&s, "acme").await, before, "nothing changed");
    figure("forged requests refused", forged.len() + 3);

    // The page's own requests pass: same origin by either header.
    let (status, _) = send(
        o.post(&enable)
            .header("sec-fetch-site", "same-origin")
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let disable = s.url("/api/workspaces/acme/flex/disable");
    let (status, _) = send(
        o.post(&disable)
            .header("origin", format!("http://{host}"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_fields_are_refused_not_skipped() {
    let s = start().await;
    let o = s.signed_in(OWNER).await;
    let cap = s.url("/api/workspaces/globex/flex/cap");
    let (status, body) = send(o.put(&cap).json(&json!({"cap": "250", "versoin": 3}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field"))
    );
    let (status, body) = send(
        Client::new()
            .post(s.url("/api/workspaces/globex/usage"))
            .bearer_auth("secret-token")
            .json(&json!({"credits": "1", "idempotency_key": "k", "workspace": "acme"})),
    )
    .await;
    assert_eq!(body["error"]["code"], "unknown_field", "{status}");
    assert_eq!(state_of(&s, "globex").await["flex"]["cap"], "1200.00");
}

#[tokio::test]
async fn the_session_cookie_is_strict_and_tokens_are_kept_hashed() {
    let s = start().await;
    let c = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .get(s.url("/api/dev/login?email=owner%40acme.test&next=/"))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=1209600"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let token = cookie
        .trim_start_matches("billing_session=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let stored = s.db.sql("SELECT token FROM sessions").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token, "the token itself is not stored");
    use sha2::Digest;
    assert_eq!(
        stored[0],
        format!("{:x}", sha2::Sha256::digest(token.as_bytes()))
    );

    let https = start_config(Config {
        demo: true,
        public_url: Some("https://billing.example.com".into()),
        ..Config::default()
    })
    .await;
    let r = c
        .get(https.url("/api/dev/login?email=owner%40acme.test&next=/"))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-billing_session="), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");

    // Signing out clears it as it was set: a browser ignores a `__Host-`
    // cookie that is not `Secure`, and would keep the session cookie.
    let session = cookie.split(';').next().unwrap().to_string();
    let r = Client::new()
        .post(https.url("/api/session/logout"))
        .header("cookie", session)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let cleared = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("__Host-billing_session=;"), "{cleared}");
    for attribute in [
        "Secure",
        "HttpOnly",
        "Path=/",
        "Max-Age=0",
        "SameSite=Strict",
    ] {
        assert!(cleared.contains(attribute), "{attribute} in {cleared}");
    }
}

#[tokio::test]
async fn sessions_end_when_idle_at_their_lifetime_and_at_sign_out() {
    let s = start().await;
    let me = s.url("/api/session");
    for (column, value) in [
        ("last_seen_at", "2000-01-01T00:00:00Z"),
        ("expires_at", "2000-01-01T00:00:00Z"),
    ] {
        let c = s.signed_in(OWNER).await;
        assert_eq!(send(c.get(&me)).await.0, StatusCode::OK);
        s.db.sql(&format!("UPDATE sessions SET {column} = '{value}'"))
            .await
            .unwrap();
        assert_eq!(
            send(c.get(&me)).await.0,
            StatusCode::UNAUTHORIZED,
            "{column} passed"
        );
    }
    // Signing in again removes the sessions that ended.
    let c = s.signed_in(OWNER).await;
    let rows = s.db.number("SELECT COUNT(*) FROM sessions").await.unwrap();
    assert_eq!(rows, 1, "ended sessions are purged");
    // Signing out revokes: the same cookie, replayed, signs nobody in.
    let cookie = {
        let r = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(s.url("/api/dev/login?email=admin%40acme.test&next=/"))
            .send()
            .await
            .unwrap();
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    };
    let replay = |client: &Client| client.get(&me).header("cookie", cookie.clone());
    let plain = Client::new();
    assert_eq!(send(replay(&plain)).await.0, StatusCode::OK);
    let (status, _) = send(
        plain
            .post(s.url("/api/session/logout"))
            .header("cookie", cookie.clone())
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(send(replay(&plain)).await.0, StatusCode::UNAUTHORIZED);
    drop(c);
}

#[tokio::test]
async fn the_demo_sign_in_admits_only_the_demo_people() {
    let s = start().await;
    s.db.sql("INSERT INTO users (email) VALUES ('intruder@example.com')")
        .await
        .unwrap();
    let (status, body) =
        send(Client::new().get(s.url("/api/dev/login?email=intruder%40example.com"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("user_not_found"))
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let s = start().await;
    let c = s.signed_in(OWNER).await;
    let page = c
        .get(s.url("/workspaces/acme/billing"))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    for part in [
        "script-src 'self' 'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    for path in ["/api/workspaces/acme/billing", "/api/session", "/api/nope"] {
        let r = c.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn the_metering_token_and_a_session_cannot_stand_in_for_each_other() {
    let s = start().await;
    let usage = s.url("/api/workspaces/globex/usage");
    let body = json!({"credits": "1", "idempotency_key": "case"});
    let (status, _) = send(
        Client::new()
            .post(&usage)
            .header("authorization", "bearer secret-token")
            .json(&body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the scheme is case-insensitive");
    let owner = s.signed_in(OWNER).await;
    let (status, b) = send(
        owner
            .post(&usage)
            .json(&json!({"credits": "1", "idempotency_key": "s"})),
    )
    .await;
    assert_eq!(
        (status, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_metering_token"))
    );
    let (status, b) = send(
        Client::new()
            .post(s.url("/api/workspaces/globex/flex/disable"))
            .bearer_auth("secret-token")
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, b["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    assert_eq!(state_of(&s, "globex").await["flex"]["enabled"], true);
}

#[tokio::test]
async fn two_owners_changing_the_cap_at_once_one_wins_the_other_is_told() {
    let s = std::sync::Arc::new(start().await);
    let version = state_of(&s, "globex").await["flex"]["version"]
        .as_u64()
        .unwrap();
    let owner = s.signed_in(OWNER).await;
    let admin = s.signed_in(ADMIN).await;
    let url = s.url("/api/workspaces/globex/flex/cap");
    let (a, b) = tokio::join!(
        send(
            owner
                .put(&url)
                .json(&json!({"cap": "300", "version": version}))
        ),
        send(
            admin
                .put(&url)
                .json(&json!({"cap": "400", "version": version}))
        ),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let (winner, loser) = if a.0 == StatusCode::OK {
        (a.1, b.1)
    } else {
        (b.1, a.1)
    };
    assert_eq!(loser["error"]["code"], "version_conflict");
    assert_eq!(
        loser["state"]["flex"], winner["flex"],
        "the loser is shown what won"
    );
    assert_eq!(state_of(&s, "globex").await["flex"], winner["flex"]);
}

#[tokio::test]
async fn a_cap_below_this_cycles_spend_blocks_at_once_and_raising_it_unblocks() {
    let s = start().await;
    let o = s.signed_in(OWNER).await;
    // Globex: 360 included, then $4.00 a flex credit: $200.00 of flex.
    assert_eq!(s.meter("globex", "410", "a").await.0, StatusCode::OK);
    let cap = s.url("/api/workspaces/globex/flex/cap");
    let (status, b) = send(o.put(&cap).json(&json!({"cap": "150"}))).await;
    assert_eq!(status, StatusCode::OK, "accepted below spend");
    assert_eq!(b["usage"]["flex_spend"], "200.00");
    assert!(
        b["notice"].as_str().is_some_and(
            |n| n.starts_with("The new cap is below this cycle's Flex spend ($200.00)")
        ),
        "the answer says so: {}",
        b["notice"]
    );
    let (status, body) = s.meter("globex", "0.0001", "b").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYMENT_REQUIRED, Some("flex_cap_reached"))
    );
    send(o.put(&cap).json(&json!({"cap": "250"}))).await;
    assert_eq!(
        s.meter("globex", "12.5", "c").await.0,
        StatusCode::OK,
        "$50.00 of room again"
    );
    assert_eq!(
        s.meter("globex", "0.0001", "d").await.0,
        StatusCode::PAYMENT_REQUIRED
    );
}

#[tokio::test]
async fn the_audit_trail_lists_every_change_newest_first_for_members() {
    let s = start().await;
    let o = s.signed_in(OWNER).await;
    let flex = |p: &str| s.url(&format!("/api/workspaces/acme/flex/{p}"));
    send(o.post(flex("enable")).json(&json!({}))).await;
    send(o.put(flex("cap")).json(&json!({"cap": "250"}))).await;
    send(o.put(flex("cap")).json(&json!({"cap": "250"}))).await; // no change: no line
    send(o.delete(flex("cap")).json(&json!({}))).await;
    send(o.post(flex("disable")).json(&json!({}))).await;
    let member = s.signed_in(MEMBER).await;
    let list = s.url("/api/workspaces/acme/billing/activity");
    let (status, page) = send(member.get(format!("{list}?limit=3"))).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["disabled", "cap_removed", "cap_set"]);
    let cap_set = &page["entries"][2];
    assert_eq!(cap_set["actor"], OWNER);
    assert_eq!(cap_set["old"], json!({"enabled": true, "cap": "100.00"}));
    assert_eq!(cap_set["new"], json!({"enabled": true, "cap": "250.00"}));
    let next = page["next_before"].as_i64().expect("an older page");
    let (_, older) = send(member.get(format!("{list}?limit=3&before={next}"))).await;
    let rest: Vec<&str> = older["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(rest, ["enabled"]);
    assert_eq!(older["next_before"], Value::Null);
    let (status, _) = send(member.get(s.url("/api/workspaces/initech/billing/activity"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
