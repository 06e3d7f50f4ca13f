//! Demo data for `--demo`: two workspaces, three people, a metering token.

use billing_domain::Role;

/// The metering token the demo accepts.
pub const DEMO_METERING_TOKEN: &str = "demo-metering-token";

/// The workspaces the demo seeds; `--demo` refuses a database with others.
pub const DEMO_WORKSPACES: [&str; 2] = ["acme", "globex"];

/// The demo people, each in both workspaces with this role.
pub const DEMO_USERS: [(&str, Role); 3] = [
    ("owner@acme.test", Role::Owner),
    ("admin@acme.test", Role::Admin),
    ("member@acme.test", Role::Member),
];

/// The demo sign-in page: one link a person.
pub fn sign_in_page(users: &[String], next: &str) -> String {
    let next = urlencode(next);
    let items: String = users
        .iter()
        .map(|email| {
            format!(
                r#"<li><a href="/api/dev/login?email={}&amp;next={next}">Sign in as {}</a></li>"#,
                urlencode(email),
                html_escape(email)
            )
        })
        .collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (demo)</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2937}}a{{color:#4338ca}}li{{margin:.5rem 0}}</style></head>
<body><main><h1>Sign in (demo)</h1><p>This server runs with demo data. Choose who to be:</p><ul>{items}</ul>
<p>Owners and admins can change Flex Billing; members can only read it.</p></main></body></html>"#
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Percent-encodes `s` for a query string (keeps `/`).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_links_are_escaped() {
        let page = sign_in_page(&["a+b@x.test".into()], "/workspaces/acme/billing");
        assert!(page.contains("email=a%2Bb%40x.test&amp;next=/workspaces/acme/billing"));
    }
}
