//! Alerts that reach people: the webhook endpoint, signed deliveries from the
//! outbox (once per threshold and cycle), retries, a crash between commit and
//! delivery, email through SMTP, and the delivery log.

mod common;

use common::process::{free_port, spawn};
use common::receiver::{verify, Receiver, SmtpSink};
use common::{figure, fresh_db, open, send, start, start_config, Server, ADMIN, OWNER};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const SOON: Duration = Duration::from_secs(5);

/// Registers `url` as Globex's webhook as its owner; answers the secret.
async fn register(s: &Server, url: &str) -> String {
    let owner = s.signed_in(OWNER).await;
    let (status, body) = send(
        owner
            .put(s.url("/api/workspaces/globex/webhook"))
            .json(&json!({ "url": url })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["url"], url);
    body["secret"].as_str().unwrap().to_string()
}

async fn log(s: &Server) -> Value {
    let owner = s.signed_in(OWNER).await;
    let (status, body) = send(owner.get(s.url("/api/workspaces/globex/deliveries"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn each_threshold_arrives_once_signed_and_a_settings_change_too() {
    let s = start().await;
    let receiver = Receiver::start(0).await;
    let secret = register(&s, &receiver.url).await;
    assert!(secret.starts_with("whsec_"));
    let shown = log(&s).await;
    assert_eq!(shown["webhook"]["url"], receiver.url.as_str());
    assert!(
        shown["webhook"].get("secret").is_none(),
        "the secret is shown once"
    );

    // Globex: 360 included credits, then $4.00 a flex credit against the $1,200.00 cap.
    assert_eq!(s.meter("globex", "600", "to-80").await.0, StatusCode::OK); // $960: 80%
    let hooks = receiver.wait_for(1, SOON).await;
    let event = verify(&hooks[0], &secret);
    assert_eq!(event["type"], "flex.threshold_reached");
    assert_eq!(event["data"]["workspace"], "globex");
    assert_eq!(event["data"]["flex_spend"], "960.00");
    assert_eq!(event["data"]["cap"], "1200.00");
    assert_eq!(event["data"]["percent"], 80);

    // More spend above 80%: no second warning this cycle; the cap: one cap_reached.
    assert_eq!(s.meter("globex", "10", "above-80").await.0, StatusCode::OK);
    assert_eq!(s.meter("globex", "50", "to-cap").await.0, StatusCode::OK); // $1,200
    let hooks = receiver.wait_for(2, SOON).await;
    assert_eq!(verify(&hooks[1], &secret)["type"], "flex.cap_reached");
    assert_eq!(
        s.meter("globex", "1", "over").await.0,
        StatusCode::PAYMENT_REQUIRED
    );

    // A settings change is sent too.
    let owner = s.signed_in(OWNER).await;
    let (status, _) = send(
        owner
            .put(s.url("/api/workspaces/globex/flex/cap"))
            .json(&json!({"cap": "2000"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let hooks = receiver.wait_for(3, SOON).await;
    let changed = verify(&hooks[2], &secret);
    assert_eq!(changed["type"], "flex.settings_changed");
    assert_eq!(changed["data"]["actor"], OWNER);
    assert_eq!(changed["data"]["new"]["cap"], "2000.00");
    // A new cap re-arms the alerts: spend passes 80% of the $2,000.00 cap,
    // and a warning for it arrives (once per cap and cycle).
    assert_eq!(s.meter("globex", "100", "to-1600").await.0, StatusCode::OK);
    let hooks = receiver.wait_for(4, SOON).await;
    let rearmed = verify(&hooks[3], &secret);
    assert_eq!(rearmed["type"], "flex.threshold_reached");
    assert_eq!(rearmed["data"]["cap"], "2000.00");
    assert_eq!(rearmed["data"]["flex_spend"], "1600.00");
    assert_eq!(rearmed["data"]["percent"], 80);
    assert_eq!(s.meter("globex", "5", "above-1600").await.0, StatusCode::OK);
    let ids: Vec<_> = hooks
        .iter()
        .map(|h| h.headers["webhook-id"].clone())
        .collect();
    assert_eq!(ids.len(), 4);

    // The log, newest first: each delivered at the first attempt with 200.
    let log = log(&s).await;
    let deliveries = log["deliveries"].as_array().unwrap();
    let types: Vec<_> = deliveries
        .iter()
        .map(|d| d["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "flex.threshold_reached",
            "flex.settings_changed",
            "flex.cap_reached",
            "flex.threshold_reached"
        ]
    );
    for d in deliveries {
        assert_eq!(d["state"], "delivered", "{d}");
        assert_eq!(d["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(d["attempts"][0]["status"], 200);
    }
    assert_eq!(receiver.hooks().len(), 4, "nothing was sent twice");
    figure("webhook events delivered once each", 4);
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_alert_on_the_third_try() {
    let s = start().await;
    let receiver = Receiver::start(2).await;
    let secret = register(&s, &receiver.url).await;
    assert_eq!(s.meter("globex", "600", "to-80").await.0, StatusCode::OK);
    // Tries after 0 s, 2 s and 4 s more.
    let hooks = receiver.wait_for(3, Duration::from_secs(15)).await;
    let ids: Vec<_> = hooks
        .iter()
        .map(|h| h.headers["webhook-id"].clone())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one event, tried three times"
    );
    for h in &hooks {
        verify(h, &secret);
    }
    let deadline = tokio::time::Instant::now() + SOON;
    let d = loop {
        let d = log(&s).await["deliveries"][0].clone();
        if d["state"] == "delivered" || tokio::time::Instant::now() > deadline {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(d["state"], "delivered", "{d}");
    let statuses: Vec<_> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 500, 200]);
    figure(
        "webhook attempts until a failing receiver took the alert",
        3,
    );
}

#[tokio::test]
async fn only_owners_manage_alerts_and_only_https_or_this_machine() {
    let s = start().await;
    let admin = s.signed_in(ADMIN).await;
    let (status, body) = send(
        admin
            .put(s.url("/api/workspaces/globex/webhook"))
            .json(&json!({"url": "https://hooks.example.com"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert_eq!(
        send(admin.get(s.url("/api/workspaces/globex/deliveries")))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let owner = s.signed_in(OWNER).await;
    for url in [
        "http://hooks.example.com",
        "ftp://x",
        "",
        "http://127.0.0.1.evil.com/",
    ] {
        let (status, body) = send(
            owner
                .put(s.url("/api/workspaces/globex/webhook"))
                .json(&json!({ "url": url })),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("invalid_webhook_url")
            ),
            "{url}"
        );
    }
    register(&s, "https://hooks.example.com/billing").await;
    let (status, _) = send(
        owner
            .delete(s.url("/api/workspaces/globex/webhook"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(log(&s).await["webhook"], Value::Null);
}

#[tokio::test]
async fn an_alert_committed_before_a_crash_is_delivered_once_after_the_restart() {
    const SIGKILL: i32 = 9;
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(dir.path()).await;
    let port = free_port();
    let server = spawn(&db, port).await;
    // The receiver's port is chosen, but nothing listens on it yet.
    let hook_port = free_port();
    let hook_url = format!("http://127.0.0.1:{hook_port}/hook");
    let owner = Client::builder().cookie_store(true).build().unwrap();
    owner
        .get(format!(
            "{}/api/dev/login?email=owner%40acme.test",
            server.base
        ))
        .send()
        .await
        .unwrap();
    let (status, body) = send(
        owner
            .put(format!("{}/api/workspaces/globex/webhook", server.base))
            .json(&json!({ "url": hook_url })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    let (status, _) = send(
        Client::new()
            .post(format!("{}/api/workspaces/globex/usage", server.base))
            .bearer_auth(billing_server::demo::DEMO_METERING_TOKEN)
            .json(&json!({"credits": "600", "idempotency_key": "to-80"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Committed; its first attempt found nobody listening. Killed before any delivery.
    let store = open(&db).await;
    let deadline = tokio::time::Instant::now() + SOON;
    while store
        .number("SELECT COUNT(*) FROM delivery_attempts")
        .await
        .unwrap()
        == 0
    {
        assert!(tokio::time::Instant::now() < deadline, "a first attempt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SAFETY: sends a signal to our own child process.
    assert_eq!(unsafe { kill(server.child.id() as i32, SIGKILL) }, 0);
    drop(server);

    let receiver = Receiver::on(
        tokio::net::TcpListener::bind(("127.0.0.1", hook_port))
            .await
            .unwrap(),
        0,
    );
    let _server = spawn(&db, port).await;
    let hooks = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(verify(&hooks[0], &secret)["type"], "flex.threshold_reached");
    // Given time for a duplicate to show up, none does.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.hooks().len(), 1, "delivered once");
    assert_eq!(
        store
            .number("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL")
            .await
            .unwrap(),
        1
    );
    figure(
        "alerts delivered after a crash between commit and delivery",
        1,
    );
}

#[tokio::test]
async fn owners_and_admins_are_emailed_at_each_threshold() {
    let sink = SmtpSink::start().await;
    let s = start_config(billing_server::Config {
        demo: true,
        smtp_url: Some(sink.url.clone()),
        allow_http_webhooks: true,
        ..Default::default()
    })
    .await;
    assert_eq!(log(&s).await["email"], true);
    assert_eq!(s.meter("globex", "600", "to-80").await.0, StatusCode::OK);
    let mail = sink.wait_for(2, SOON).await;
    let mut to: Vec<_> = mail.iter().map(|(to, _)| to.as_str()).collect();
    to.sort();
    assert_eq!(to, [ADMIN, OWNER], "owners and admins, not members");
    for (_, data) in &mail {
        assert!(
            data.contains("Globex: 80% of the $1,200.00 flex cap used"),
            "{data}"
        );
    }
    let log = log(&s).await;
    let emails: Vec<_> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"] == "email")
        .collect();
    assert_eq!(emails.len(), 2);
    for d in emails {
        assert_eq!(d["state"], "delivered", "{d}");
        assert_eq!(d["attempts"][0]["status"], 250);
    }

    // A new cap re-arms the e-mail too: 80% of $2,000.00 is mailed again.
    let owner = s.signed_in(OWNER).await;
    let (status, _) = send(
        owner
            .put(s.url("/api/workspaces/globex/flex/cap"))
            .json(&json!({"cap": "2000"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.meter("globex", "160", "to-1600").await.0, StatusCode::OK); // $1,600: 80%
    let mail = sink.wait_for(4, SOON).await;
    let rearmed: Vec<_> = mail[2..].iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(rearmed.len(), 2, "{rearmed:?}");
    for (_, data) in &mail[2..] {
        assert!(
            data.contains("Globex: 80% of the $2,000.00 flex cap used"),
            "{data}"
        );
    }
}

/// `--smtp-url` for the test SMTP server's user, percent-encoded.
fn smtp_url(scheme: &str, port: u16) -> String {
    let user = common::smtp::USER.replace('@', "%40");
    let password = common::smtp::PASSWORD
        .replace('@', "%40")
        .replace(' ', "%20")
        .replace(':', "%3A");
    format!("{scheme}://{user}:{password}@localhost:{port}")
}

/// A demo server emailing alerts through `url`, trusting `ca`.
async fn mailing_through(url: String, ca: Option<std::path::PathBuf>) -> Server {
    start_config(billing_server::Config {
        demo: true,
        smtp_url: Some(url),
        smtp_ca_file: ca,
        allow_http_webhooks: true,
        ..Default::default()
    })
    .await
}

/// Waits until Globex's first email has an attempt; answers its error.
async fn first_email_error(s: &Server) -> String {
    let deadline = std::time::Instant::now() + SOON;
    loop {
        let log = log(s).await;
        let tried = log["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["channel"] == "email" && !d["attempts"].as_array().unwrap().is_empty());
        if let Some(d) = tried {
            assert_ne!(d["state"], "delivered", "{d}");
            return d["attempts"][0]["error"].as_str().unwrap().to_string();
        }
        assert!(std::time::Instant::now() < deadline, "an email was tried");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn alert_email_goes_over_starttls_signed_in_and_never_in_clear() {
    use common::smtp::{Mode, TlsSmtp, USER};
    let smtp = TlsSmtp::start(Mode::StartTls).await;

    // STARTTLS against the private CA, then AUTH: both alerts arrive.
    let s = mailing_through(smtp_url("smtp", smtp.port), Some(smtp.ca.clone())).await;
    assert_eq!(s.meter("globex", "600", "to-80").await.0, StatusCode::OK);
    let mail = smtp.wait_for(2, SOON).await;
    let mut to: Vec<_> = mail.iter().map(|m| m["to"][0].as_str().unwrap()).collect();
    to.sort();
    assert_eq!(to, [ADMIN, OWNER]);
    for m in &mail {
        assert_eq!(
            (m["tls"].as_bool(), m["user"].as_str()),
            (Some(true), Some(USER))
        );
        assert!(m["data"]
            .as_str()
            .unwrap()
            .contains("Globex: 80% of the $1,200.00 flex cap used"));
    }
    let log = log(&s).await;
    for d in log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"] == "email")
    {
        assert_eq!(
            (d["state"].as_str(), &d["attempts"][0]["status"]),
            (Some("delivered"), &json!(250))
        );
    }

    // A client without TLS is refused by this server before any mail.
    let plain = mailing_through(format!("smtp://localhost:{}", smtp.port), None).await;
    assert_eq!(
        plain.meter("globex", "600", "to-80").await.0,
        StatusCode::OK
    );
    let error = first_email_error(&plain).await;
    assert!(error.contains("STARTTLS"), "{error}");

    // A certificate no trusted CA signed: no TLS, so no password and no mail.
    let untrusting = mailing_through(smtp_url("smtp", smtp.port), None).await;
    assert_eq!(
        untrusting.meter("globex", "600", "to-80").await.0,
        StatusCode::OK
    );
    let error = first_email_error(&untrusting).await;
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert_eq!(smtp.received().len(), 2, "nothing more arrived");
}

#[tokio::test]
async fn alert_email_goes_over_smtps() {
    use common::smtp::{Mode, TlsSmtp, USER};
    let smtp = TlsSmtp::start(Mode::Tls).await;
    let s = mailing_through(smtp_url("smtps", smtp.port), Some(smtp.ca.clone())).await;
    assert_eq!(s.meter("globex", "600", "to-80").await.0, StatusCode::OK);
    let mail = smtp.wait_for(2, SOON).await;
    for m in &mail {
        assert_eq!(
            (m["tls"].as_bool(), m["user"].as_str()),
            (Some(true), Some(USER))
        );
    }
}

#[tokio::test]
async fn owners_choose_the_thresholds_and_each_fires_once_with_its_percent() {
    let s = start().await;
    let receiver = Receiver::start(0).await;
    let secret = register(&s, &receiver.url).await;
    let owner = s.signed_in(OWNER).await;
    let url = s.url("/api/workspaces/globex/alerts");
    let (status, body) = send(owner.get(&url)).await;
    assert_eq!(
        (status, &body),
        (StatusCode::OK, &json!({"thresholds": [80]})),
        "the default"
    );

    // Refused in words, nothing changed.
    for bad in [
        json!([0]),
        json!([100]),
        json!([50, 50]),
        json!([10, 20, 30, 40, 50, 60]),
    ] {
        let (status, body) = send(owner.put(&url).json(&json!({ "thresholds": bad }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_thresholds");
        assert!(
            body["error"]["message"].as_str().unwrap().ends_with('.'),
            "{body}"
        );
    }
    let (status, body) = send(owner.put(&url).json(&json!({"thresholds": [90, 50]}))).await;
    assert_eq!(
        (status, &body),
        (StatusCode::OK, &json!({"thresholds": [50, 90]}))
    );
    // Admins and members do not choose them.
    for who in [ADMIN, common::MEMBER] {
        let c = s.signed_in(who).await;
        assert_eq!(send(c.get(&url)).await.0, StatusCode::FORBIDDEN, "{who}");
        let (status, _) = send(c.put(&url).json(&json!({"thresholds": [10]}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }

    // Globex: 360 included, then $4.00 a flex credit, cap $1,200.00.
    // $640 is 53%: the 50% notification; $1,000 is 83%: none (80 is no
    // longer chosen); $1,100 is 91%: the 90% one.
    for (credits, key) in [("520", "to-53"), ("90", "to-83"), ("25", "to-91")] {
        assert_eq!(s.meter("globex", credits, key).await.0, StatusCode::OK);
    }
    let hooks = receiver.wait_for(2, SOON).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // time for a duplicate to show up
    let reached: Vec<i64> = receiver
        .hooks()
        .iter()
        .map(|h| verify(h, &secret))
        .filter(|b| b["type"] == "flex.threshold_reached")
        .map(|b| b["data"]["percent"].as_i64().unwrap())
        .collect();
    assert_eq!(reached, [50, 90], "{hooks:?}");
    // The page's banner still warns at 80%, as the spec says.
    let b = common::state_of(&s, "globex").await;
    assert_eq!(b["usage"]["flex_spend"], "1100.00");
}
