//! What every change must pass before anything else runs: the request comes
//! from the page's own origin, and it says it is JSON.
//!
//! The cross-origin check is the algorithm of Go's
//! `net/http.CrossOriginProtection`: `Sec-Fetch-Site`, when the browser sends
//! it, must be `same-origin` or `none`; without it, an `Origin`, when present,
//! must name the request's own host. Requests with neither (curl, the metering
//! service) go on. The session cookie's `SameSite=Strict` is a second layer.

use super::error::ApiError;
use axum::extract::Request;
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

/// Refuses a cross-origin change (403 `cross_origin_request`) and a change
/// that is not JSON (415 `unsupported_media_type`). Reads pass untouched.
pub async fn changes_only_from_our_origin_as_json(
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if is_change(req.method()) {
        if !same_origin(req.headers()) {
            return Err(ApiError::cross_origin_request());
        }
        // A DELETE that sends no body has no type to check.
        let bodiless_delete = req.method() == Method::DELETE && no_body(req.headers());
        if !is_json(req.headers()) && !bodiless_delete {
            return Err(ApiError::unsupported_media_type());
        }
    }
    Ok(next.run(req).await)
}

fn is_change(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

fn no_body(headers: &HeaderMap) -> bool {
    let length = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok());
    !headers.contains_key(axum::http::header::TRANSFER_ENCODING)
        && length.is_none_or(|l| l.trim() == "0")
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_origin_rule_of_go_cross_origin_protection() {
        let host = ("host", "127.0.0.1:8080");
        assert!(
            same_origin(&headers(&[host])),
            "neither header: curl, metering"
        );
        assert!(same_origin(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "none")])));
        for site in ["same-site", "cross-site"] {
            let h = [
                host,
                ("sec-fetch-site", site),
                ("origin", "http://127.0.0.1:8080"),
            ];
            assert!(!same_origin(&headers(&h)), "{site}: Sec-Fetch-Site decides");
        }
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:9999")
        ])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
    }

    #[test]
    fn json_with_or_without_parameters() {
        assert!(is_json(&headers(&[("content-type", "application/json")])));
        assert!(is_json(&headers(&[(
            "content-type",
            "Application/JSON; charset=utf-8"
        )])));
        for other in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/jsonx",
        ] {
            assert!(!is_json(&headers(&[("content-type", other)])), "{other}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}
