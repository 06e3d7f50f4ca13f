//! Headers on every answer: a Content-Security-Policy that lets the page run
//! only its own script and wasm, no framing, no MIME sniffing, no referrer
//! outside the origin; and `no-store` on every API answer.

use axum::http::{HeaderName, HeaderValue};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The policy. The pages' inline scripts (Trunk's loader, and the page's
/// first reads) are allowed by their hashes, read from the built pages at
/// start, so no `'unsafe-inline'`.
/// `'wasm-unsafe-eval'` lets the page compile its own wasm.
pub fn content_security_policy(static_dir: Option<&Path>) -> HeaderValue {
    let hashes: String = static_dir
        .into_iter()
        .flat_map(|dir| {
            [
                dir.join("index.html"),
                dir.join("preview").join("index.html"),
            ]
        })
        .filter_map(|page| std::fs::read_to_string(page).ok())
        .flat_map(|html| {
            inline_scripts(&html)
                .into_iter()
                .map(hash_source)
                .collect::<Vec<_>>()
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'self'"))
}

/// A CSP source allowing exactly this script text.
fn hash_source(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    format!(
        " 'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The text of every `<script>` without a `src`, exactly as the browser hashes it.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            found.push(&body[..close]);
        }
        rest = &body[close..];
    }
    found
}

/// Headers every answer carries, with their values.
pub fn everywhere(csp: HeaderValue) -> [(HeaderName, HeaderValue); 3] {
    [
        (axum::http::header::CONTENT_SECURITY_POLICY, csp),
        (
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            axum::http::header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_is_allowed_by_its_hash_and_nothing_inline_else() {
        let dir = tempfile::tempdir().unwrap();
        let loader = "import init from '/app.js';\nawait init();\n";
        std::fs::write(
            dir.path().join("index.html"),
            format!("<html><head><script type=\"module\">{loader}</script><script src=\"/x.js\"></script></head></html>"),
        )
        .unwrap();
        let csp = content_security_policy(Some(dir.path()));
        let csp = csp.to_str().unwrap();
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(loader));
        assert!(
            csp.contains(&format!(
                "script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}';"
            )),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
