//! The OpenAPI document at `/api/openapi.json`: OpenAPI 3.1, every route the
//! router has (read from `src/http/mod.rs` itself) and nothing else, every
//! error answered as `ErrorBody`, and every code the server names.
//! `scripts/schemathesis.sh` then tests the running server against it.

mod common;

use common::*;
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// Every `(method, path)` routed in `api()` of `src/http/mod.rs`, with `/api` before it.
fn routes_of_the_api() -> Vec<(String, String)> {
    let src = include_str!("../src/http/mod.rs");
    let api = &src[src.find("pub fn api()").expect("api() in http/mod.rs")..];
    let api = &api[..api.find("\n}\n").expect("the end of api()")];
    let mut routes = Vec::new();
    for call in api.split(".route(").skip(1) {
        let path = call.split('"').nth(1).expect("a route's path");
        let call = &call[..call.find("\n        .").unwrap_or(call.len())];
        for method in ["get", "post", "put", "delete", "patch"] {
            let token = format!("{method}(");
            let named = call.match_indices(&token).any(|(at, _)| {
                at == 0
                    || !call.as_bytes()[at - 1].is_ascii_alphanumeric()
                        && call.as_bytes()[at - 1] != b'_'
            });
            if named {
                routes.push((method.to_string(), format!("/api{path}")));
            }
        }
    }
    routes
}

/// Every code `src/http/error.rs` names beside its status.
fn codes_of_the_server() -> Vec<String> {
    let src = include_str!("../src/http/error.rs");
    src.split("StatusCode::")
        .skip(1)
        .filter_map(|rest| {
            let after = rest.split_once(',')?.1.trim_start();
            let code = after.strip_prefix('"')?.split('"').next()?;
            Some(code.to_string())
        })
        .collect()
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_route() {
    let s = start().await;
    // No session, no token: the document is public.
    let (status, doc) = send(Client::new().get(s.url("/api/openapi.json"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "OpenAPI 3.1: {}",
        doc["openapi"]
    );

    let routes = routes_of_the_api();
    assert!(routes.len() >= 11, "read the routes of api(): {routes:?}");
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in &routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.contains_key("500"),
            "{method} {path}: 500 internal is not documented"
        );
        for (status, response) in responses {
            let json = &response["content"]["application/json"]["schema"]["$ref"];
            // Sign-in's answers to a browser's navigation are pages in words.
            let page = response["content"].get("text/html").is_some();
            if (status.starts_with('4') || status.starts_with('5')) && !page {
                assert_eq!(
                    json, "#/components/schemas/ErrorBody",
                    "{method} {path} {status}: errors answer ErrorBody"
                );
            }
        }
        if path.contains("{ws}") {
            let ws = op["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == "ws"))
                .unwrap_or_else(|| panic!("{method} {path}: the ws parameter"));
            assert_eq!(ws["in"], "path");
            assert_eq!(ws["schema"]["pattern"], "^[a-z0-9-]{1,63}$");
        }
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        routes.len(),
        "the document has only the routes of the router"
    );

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["billing_session"]["type"], "apiKey");
    assert_eq!(schemes["billing_session"]["in"], "cookie");
    assert_eq!(schemes["billing_session"]["name"], "billing_session");
    assert_eq!(schemes["metering_token"]["type"], "http");
    assert_eq!(schemes["metering_token"]["scheme"], "bearer");
    assert_eq!(
        doc["paths"]["/api/workspaces/{ws}/usage"]["post"]["security"][0]["metering_token"],
        Value::Array(vec![])
    );

    let schemas = &doc["components"]["schemas"];
    for body in ["ChangeRequest", "SetCapRequest", "UsageRequest"] {
        assert_eq!(
            schemas[body]["additionalProperties"], false,
            "{body} refuses unknown fields"
        );
    }
    assert_eq!(schemas["Money"]["type"], "string");
    assert_eq!(schemas["Money"]["pattern"], "^-?[0-9]+\\.[0-9]{2}$");
    assert_eq!(schemas["Credits"]["type"], "string");
    assert_eq!(
        schemas["BillingCycle"]["properties"]["start"]["format"],
        "date"
    );
    assert_eq!(
        schemas["Role"]["enum"],
        serde_json::json!(["owner", "admin", "member"])
    );

    let text = doc.to_string();
    let codes = codes_of_the_server();
    assert!(codes.len() >= 12, "read the codes of error.rs: {codes:?}");
    for code in &codes {
        assert!(
            text.contains(&format!("`{code}`")),
            "{code} is not documented"
        );
    }
    figure("API operations in the OpenAPI document", routes.len());
}

#[tokio::test]
async fn over_https_the_document_names_the_host_prefixed_cookie() {
    let s = start_config(billing_server::Config {
        demo: true,
        public_url: Some("https://billing.example.com".into()),
        ..Default::default()
    })
    .await;
    let (_, doc) = send(Client::new().get(s.url("/api/openapi.json"))).await;
    assert_eq!(
        doc["components"]["securitySchemes"]["billing_session"]["name"],
        "__Host-billing_session"
    );
}
