//! Demo data for `--demo`: two workspaces, three people, a metering token.

use rusqlite::{params, Connection};

/// The metering token the demo accepts.
pub const DEMO_METERING_TOKEN: &str = "demo-metering-token";

/// The demo people, each in both workspaces with this role.
pub const DEMO_USERS: [(&str, &str); 3] = [
    ("owner@acme.test", "owner"),
    ("admin@acme.test", "admin"),
    ("member@acme.test", "member"),
];

/// Seeds the demo if the database has no workspace yet. Answers whether it did.
pub fn seed_if_empty(conn: &mut Connection) -> rusqlite::Result<bool> {
    let tx = conn.transaction()?;
    let count: i64 = tx.query_row("SELECT COUNT(*) FROM workspaces", [], |r| r.get(0))?;
    if count > 0 {
        return Ok(false);
    }
    // Acme: monthly, 30 included credits, 10 prepaid, Flex off.
    // Globex: annual, 360 included credits, Flex on with the $1,200 default cap.
    // Rates: $4.00 a flex credit, $3.00 a prepaid credit.
    tx.execute(
        "INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                                 flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled, flex_cap_cents)
         VALUES ('acme', 'Acme Robotics', 'Growth', 'month', '2025-01-01', 300000, 400, 300, 100000, 0, NULL),
                ('globex', 'Globex', 'Enterprise', 'year', '2025-03-01', 3600000, 400, 300, 0, 1, 120000)",
        [],
    )?;
    for (email, role) in DEMO_USERS {
        tx.execute("INSERT INTO users (email) VALUES (?1)", params![email])?;
        let user_id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO memberships (workspace_id, user_id, role) SELECT id, ?1, ?2 FROM workspaces",
            params![user_id, role],
        )?;
    }
    tx.commit()?;
    Ok(true)
}

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
    use crate::db::Db;

    #[test]
    fn seeds_once() {
        let db = Db::open_in_memory().unwrap();
        assert!(db.with(seed_if_empty).unwrap());
        assert!(!db.with(seed_if_empty).unwrap());
        let members: i64 = db
            .with(|c| c.query_row("SELECT COUNT(*) FROM memberships", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(members, 6);
    }

    #[test]
    fn sign_in_links_are_escaped() {
        let page = sign_in_page(&["a+b@x.test".into()], "/workspaces/acme/billing");
        assert!(page.contains("email=a%2Bb%40x.test&amp;next=/workspaces/acme/billing"));
    }
}
