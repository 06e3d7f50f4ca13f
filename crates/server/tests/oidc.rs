//! Sign-in through a real OpenID provider (panva's oidc-provider, OpenID
//! Certified) on `localhost`, another site than the server at 127.0.0.1:
//! the code flow with PKCE, and every way it must refuse.

mod common;

use billing_server::oidc::OidcConfig;
use billing_server::Config;
use common::oidc::{browser, log_in_at, through_the_provider, Provider, CLIENT_ID, CLIENT_SECRET};
use common::{send, start_on, Server};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A server that signs people in through a provider of its own (no demo sign-in).
async fn server() -> (Server, Provider) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public_url = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider::start(&public_url).await;
    let s = start_on(
        listener,
        Config {
            demo: false,
            public_url: Some(public_url),
            oidc: Some(OidcConfig {
                issuer: provider.issuer.clone(),
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
            }),
            ..Config::default()
        },
    )
    .await;
    (s, provider)
}

fn onward_to(page: &str) -> String {
    let at = page.find("url=").expect("a page that moves on") + 4;
    page[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_person_signs_in_through_the_provider_and_lands_where_they_were_going() {
    let (s, _provider) = server().await;
    // Signed out, the page's sign-in leads to the provider.
    let b = browser();
    let r = b
        .get(s.url("/signin?next=/workspaces/acme/billing"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(
        r.headers()["location"],
        "/api/auth/login?next=/workspaces/acme/billing"
    );
    let r = b
        .get(s.url("/api/auth/login?next=/workspaces/acme/billing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("http://localhost:"), "{to}");
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "scope=openid+email",
        "response_type=code",
    ] {
        assert!(to.contains(part), "{part} in {to}");
    }
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let callback = log_in_at(&b, &to, "Owner@Acme.test").await;
    let r = b.get(&callback).send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let page = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{page}");
    let session = headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("billing_session=") && !c.starts_with("billing_session=;"))
        .expect("a session cookie")
        .to_string();
    assert!(
        session.contains("SameSite=Strict") && session.contains("HttpOnly"),
        "{session}"
    );
    assert_eq!(
        onward_to(&page),
        "/workspaces/acme/billing",
        "a page of ours that moves on"
    );
    let (status, me) = send(b.get(s.url("/api/session"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me["email"], "owner@acme.test",
        "the e-mail, without regard to case"
    );

    // The same answer again (a replayed code): refused, no second session.
    let again = browser();
    let r = again.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("not started in this browser"));

    // Sign-out ends our session and leads to the provider's.
    let r = b
        .post(s.url("/api/session/logout"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let redirect = body["redirect"].as_str().unwrap();
    assert!(
        redirect.starts_with("http://localhost:") && redirect.contains("/session/end"),
        "{redirect}"
    );
    assert!(
        redirect.contains("id_token_hint=") && redirect.contains("post_logout_redirect_uri="),
        "{redirect}"
    );
    assert_eq!(
        send(b.get(s.url("/api/session"))).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_callback_that_does_not_belong_to_this_browsers_sign_in_is_refused() {
    let (s, _provider) = server().await;
    // Another browser's answer (login CSRF): the state is not this browser's.
    let victim = browser();
    let attacker = browser();
    let r = victim
        .get(s.url("/api/auth/login?next=/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let theirs = through_the_provider(&attacker, &s.base, "/", "owner@acme.test").await;
    let r = victim.get(&theirs).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("set-cookie").is_none_or(|c| !c
        .to_str()
        .unwrap()
        .starts_with("billing_session=")
        || c.to_str().unwrap().starts_with("billing_session=;")));
    assert_eq!(
        send(victim.get(s.url("/api/session"))).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A state changed on the way, or missing.
    for change in ["state=forged", ""] {
        let b = browser();
        let callback = through_the_provider(&b, &s.base, "/", "owner@acme.test").await;
        let (head, query) = callback.split_once('?').unwrap();
        let query: Vec<&str> = query
            .split('&')
            .filter(|p| !p.starts_with("state="))
            .collect();
        let mut query = query.join("&");
        if !change.is_empty() {
            query.push('&');
            query.push_str(change);
        }
        let r = b.get(format!("{head}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{change:?}");
        assert!(r.text().await.unwrap().contains("does not belong"));
        assert_eq!(
            send(b.get(s.url("/api/session"))).await.0,
            StatusCode::UNAUTHORIZED
        );
    }

    // A nonce the provider was given that is not the one this sign-in keeps.
    let b = browser();
    let r = b.get(s.url("/api/auth/login?next=/")).send().await.unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let forged: String = to
        .split('&')
        .map(|p| {
            if p.starts_with("nonce=") {
                "nonce=someone-elses".to_string()
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let callback = log_in_at(&b, &forged, "owner@acme.test").await;
    let r = b.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("did not check out"));
    assert_eq!(
        send(b.get(s.url("/api/session"))).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unverified_strangers_and_open_redirects_get_no_further() {
    let (s, _provider) = server().await;
    // An e-mail the provider has not verified.
    let b = browser();
    let callback = through_the_provider(&b, &s.base, "/", "unverified@acme.test").await;
    let r = b.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("has not verified your e-mail"));
    assert_eq!(
        send(b.get(s.url("/api/session"))).await.0,
        StatusCode::UNAUTHORIZED
    );

    // An ID token the provider issued for another application (its
    // audience is not this server's client id): refused, no session.
    let b = browser();
    let callback = through_the_provider(&b, &s.base, "/", "another-audience@acme.test").await;
    let r = b.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("did not check out") && page.to_lowercase().contains("audience"),
        "{page}"
    );
    assert_eq!(
        send(b.get(s.url("/api/session"))).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Verified, but in no workspace: a page that says so, no loop back to sign-in.
    let b = browser();
    let callback = through_the_provider(&b, &s.base, "/", "stranger@example.com").await;
    let r = b.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("not a member of any workspace") && !page.contains("url="),
        "{page}"
    );
    assert_eq!(
        send(b.get(s.url("/api/session"))).await.0,
        StatusCode::UNAUTHORIZED
    );

    // `next` elsewhere goes home instead.
    for next in ["https://evil.example/", "//evil.example", "/\\evil.example"] {
        let b = browser();
        let callback = through_the_provider(&b, &s.base, next, "admin@acme.test").await;
        let page = b.get(&callback).send().await.unwrap().text().await.unwrap();
        assert_eq!(onward_to(&page), "/", "{next}");
    }

    // Without --demo there is no demo sign-in.
    assert_eq!(
        send(Client::new().get(s.url("/api/dev/login?email=owner%40acme.test")))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}
