//! PostgreSQL over TLS: the test cluster runs with `ssl=on` and a certificate
//! for localhost and 127.0.0.1 signed by a CA of the test's own
//! (scripts/postgres.sh, `BILLING_TEST_POSTGRES_CA`). On the SQLite run
//! there is no PostgreSQL to reach, and these tests end at once.

mod common;

use billing_server::Config;
use common::{fresh_db, send, start_db, OWNER};
use reqwest::StatusCode;
use serde_json::json;

/// The test database's URL with `params`, and the test cluster's CA.
async fn tls_db(host: &str, params: &str) -> Option<(String, String)> {
    let ca = std::env::var("BILLING_TEST_POSTGRES_CA").ok()?;
    let dir = tempfile::tempdir().unwrap();
    let plain = fresh_db(dir.path()).await;
    let url = plain.replace("@127.0.0.1:", &format!("@{host}:"));
    Some((format!("{url}?{params}"), ca))
}

#[tokio::test]
async fn the_api_runs_on_postgres_over_tls_checked_with_verify_full() {
    let Some((url, ca)) = tls_db("localhost", "sslmode=verify-full&sslrootcert=").await else {
        return;
    };
    let url = format!("{url}{ca}");
    let s = start_db(
        &url,
        Config {
            demo: true,
            ..Config::default()
        },
    )
    .await;
    assert_eq!(s.db.kind(), "PostgreSQL (TLS)");
    // The server's own view: this session is encrypted.
    let ssl = s
        .db
        .number("SELECT COUNT(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl AND version = 'TLSv1.3'")
        .await
        .unwrap();
    assert_eq!(ssl, 1, "the connection is TLS 1.3");

    // The API works over it: a cap saved, usage metered against it.
    let owner = s.signed_in(OWNER).await;
    let (status, body) = send(
        owner
            .put(s.url("/api/workspaces/globex/flex/cap"))
            .json(&json!({"cap": "250"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(s.meter("globex", "5", "tls-1").await.0, StatusCode::OK);
    let (status, body) = send(owner.get(s.url("/api/workspaces/globex/billing"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["flex"]["cap"], "250.00", "{body}");
}

#[tokio::test]
async fn a_certificate_for_another_name_or_from_another_ca_is_refused() {
    // Reached at 127.0.0.1, but asked for as db.example.com: the chain is
    // good, the name is not.
    let Some((named, ca)) = tls_db("db.example.com", "hostaddr=127.0.0.1").await else {
        return;
    };
    let refused =
        billing_server::Db::open(&format!("{named}&sslmode=verify-full&sslrootcert={ca}"), 1)
            .await
            .err()
            .expect("verify-full refuses a certificate for another name");
    assert!(
        refused
            .to_string()
            .contains("certificate not valid for name \"db.example.com\""),
        "{refused}"
    );
    // verify-ca checks the chain only, as libpq does.
    let db = billing_server::Db::open(&format!("{named}&sslmode=verify-ca&sslrootcert={ca}"), 1)
        .await
        .expect("verify-ca accepts the test CA's certificate");
    assert_eq!(db.kind(), "PostgreSQL (TLS)");

    // A CA that did not sign the server's certificate.
    let other = tempfile::tempdir().unwrap();
    common::smtp::certificates(other.path());
    let (url, _) = tls_db("localhost", "sslmode=verify-full&sslrootcert=")
        .await
        .unwrap();
    let refused = billing_server::Db::open(
        &format!("{url}{}", other.path().join("ca.crt").display()),
        1,
    )
    .await
    .err()
    .expect("verify-full refuses a certificate from an untrusted CA");
    assert!(
        refused.to_string().contains("invalid peer certificate"),
        "{refused}"
    );
}
