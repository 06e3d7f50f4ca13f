//! Hostile input: every one gets a 4xx with the `{"error": {"code", "message"}}`
//! body, the server keeps running, and the billing state is unchanged.

mod common;

use common::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// One hostile request: where, how, with what body.
struct Case {
    what: &'static str,
    method: Method,
    path: String,
    body: Vec<u8>,
    /// Metering (bearer token) rather than the owner's session.
    metering: bool,
}

fn cap(body: impl Into<Vec<u8>>, what: &'static str) -> Case {
    Case {
        what,
        method: Method::PUT,
        path: "/api/workspaces/globex/flex/cap".into(),
        body: body.into(),
        metering: false,
    }
}

fn usage(body: impl Into<Vec<u8>>, what: &'static str) -> Case {
    Case {
        what,
        method: Method::POST,
        path: "/api/workspaces/globex/usage".into(),
        body: body.into(),
        metering: true,
    }
}

fn get(path: &str, what: &'static str) -> Case {
    Case {
        what,
        method: Method::GET,
        path: path.into(),
        body: Vec::new(),
        metering: false,
    }
}

fn cases() -> Vec<Case> {
    let nines = format!("0.{}", "9".repeat(29));
    let mut out = vec![
        cap(&b"{\"cap\": "[..], "malformed JSON"),
        cap(&b"{\"cap\": 100}"[..], "a number for the cap"),
        cap(&b"{\"cap\": true}"[..], "a boolean"),
        cap(&b"{\"cap\": [\"100\"]}"[..], "an array"),
        cap(&b"{\"cap\": {\"amount\": \"100\"}}"[..], "an object"),
        cap(&b"{\"cap\": null}"[..], "null"),
        cap(&b""[..], "an empty body"),
        cap(&b"\"100\""[..], "a JSON string instead of an object"),
        cap(&b"[\"250.00\"]"[..], "an array instead of an object"),
        cap(&b"{\"cap\": \"100\", \"cap\": \"5\"}"[..], "duplicate keys"),
        cap(&b"{\"cap\": \"1e3\"}"[..], "an exponent"),
        cap(
            &b"{\"cap\": \"123456789012345678901234567890\"}"[..],
            "30 digits",
        ),
        cap(
            format!("{{\"cap\": \"{nines}\"}}"),
            "29 nines after the point",
        ),
        cap("{\"cap\": \"١٠٠\"}", "Arabic-Indic digits"),
        cap("{\"cap\": \"１００\"}", "full-width digits"),
        cap(&b"{\"cap\": \"-0\"}"[..], "-0"),
        cap(&b"{\"cap\": \"+100\"}"[..], "+100"),
        cap(&b"{\"cap\": \"0x10\"}"[..], "0x10"),
        cap(&b"{\"cap\": \"1_000\"}"[..], "1_000"),
        cap(&b"{\"cap\": \"10\\u00000\"}"[..], "a NUL byte"),
        cap(vec![b' '; 4 * 1024 * 1024], "a 4 MiB body"),
        usage(
            &b"{\"credits\": 5, \"idempotency_key\": \"n\"}"[..],
            "a number for credits",
        ),
        usage(
            format!("{{\"credits\": \"{nines}\", \"idempotency_key\": \"n\"}}"),
            "29 nines of credits",
        ),
        usage(
            &b"{\"credits\": \"1e2\", \"idempotency_key\": \"n\"}"[..],
            "credits with an exponent",
        ),
        usage(
            &b"{\"credits\": \"-0\", \"idempotency_key\": \"n\"}"[..],
            "-0 credits",
        ),
        usage(
            &b"{\"credits\": \"+1\", \"idempotency_key\": \"n\"}"[..],
            "+1 credits",
        ),
        usage(
            format!(
                "{{\"credits\": \"1\", \"idempotency_key\": \"{}\"}}",
                "k".repeat(10_000)
            ),
            "a 10,000-character key",
        ),
        usage(
            "{\"credits\": \"1\", \"idempotency_key\": \"clé\"}",
            "a non-ASCII key",
        ),
        usage(&b"{\"credits\": \"1\"}"[..], "no key"),
        usage(
            &b"[\"1\", \"an-array\"]"[..],
            "an array of the fields instead of an object",
        ),
        get("/api/workspaces/nope/billing", "an unknown workspace"),
        get("/api/workspaces/%C3%A9t%C3%A9/billing", "a non-ASCII slug"),
        get("/api/workspaces/ACME/billing", "an uppercase slug"),
        get(
            &format!("/api/workspaces/{}/billing", "a".repeat(64)),
            "a 64-character slug",
        ),
        get("/api/workspaces/%ZZ/billing", "invalid percent-encoding"),
        get(
            "/api/workspaces/acme%2F..%2Fglobex/billing",
            "an encoded slash in the slug",
        ),
        get(
            "/api/dev/login?email=a%40b.test&email=c%40d.test",
            "duplicate query parameters",
        ),
        get(
            "/api/workspaces/acme/billing/activity?limit=x",
            "a query of the wrong type",
        ),
    ];
    for c in &mut out {
        if c.what == "a 4 MiB body" {
            c.body[0] = b'{';
        }
    }
    out
}

#[tokio::test]
async fn hostile_input_is_refused_cleanly_and_changes_nothing() {
    let s = start().await;
    let owner = s.signed_in(OWNER).await;
    let before = (state_of(&s, "globex").await, state_of(&s, "acme").await);
    let records = || async {
        s.db.number("SELECT COUNT(*) FROM usage_events")
            .await
            .unwrap()
    };
    let records_before = records().await;
    let cases = cases();
    for case in &cases {
        let client = if case.metering {
            Client::new()
        } else {
            owner.clone()
        };
        let mut req = client
            .request(case.method.clone(), s.url(&case.path))
            .header("content-type", "application/json")
            .body(case.body.clone());
        if case.metering {
            req = req.bearer_auth("secret-token");
        }
        let r = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: the connection failed: {e}", case.what));
        let status = r.status();
        let body: Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: not JSON ({status}): {e}", case.what));
        assert!(status.is_client_error(), "{}: {status} {body}", case.what);
        assert!(
            body["error"]["code"]
                .as_str()
                .is_some_and(|c| !c.is_empty())
                && body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
            "{}: {body}",
            case.what
        );
        if case.what == "a 4 MiB body" {
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        }
    }
    assert_eq!(
        (state_of(&s, "globex").await, state_of(&s, "acme").await),
        before,
        "nothing changed"
    );
    assert_eq!(records().await, records_before, "no usage recorded");
    figure("hostile inputs refused cleanly", cases.len());
}

#[tokio::test]
async fn path_traversal_never_reaches_outside_the_page() {
    let s = start().await;
    for path in [
        "/../../../../etc/passwd",
        "/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%5c..%5cetc%5cpasswd",
        "/index.html/../../billing.sqlite3",
        "/billing.sqlite3",
    ] {
        let r = Client::new().get(s.url(path)).send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(!text.contains("root:"), "{path} leaked a system file");
        assert!(
            !text.starts_with("SQLite format"),
            "{path} leaked the database"
        );
        assert!(
            status.is_success() || status.is_client_error(),
            "{path}: {status}"
        );
    }
    figure("path traversal attempts", 6);
}
