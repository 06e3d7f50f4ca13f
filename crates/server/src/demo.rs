//! Demo data for `--demo`: two workspaces, three people, a metering token.
//! Every demo value is written here, and seeded through the store's generic
//! [`Tx`] methods, so both stores seed the same demo.

use crate::store::{Db, NewWorkspace, Store, StoreResult, Tx};
use billing_domain::{Credits, FlexSnapshot, Money, PlanInterval, Role};
use chrono::NaiveDate;

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

/// The demo workspaces, in [`DEMO_WORKSPACES`]' order. Acme: monthly, 30
/// included credits, 10 prepaid, Flex off. Globex: annual, 360 included
/// credits, Flex on with a $1,200.00 cap (the annual default). Rates: $4.00 a
/// flex credit, $3.00 a prepaid credit.
fn demo_workspaces() -> [NewWorkspace; 2] {
    let [acme, globex] = DEMO_WORKSPACES;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a real day");
    [
        NewWorkspace {
            slug: acme.into(),
            name: "Acme Robotics".into(),
            plan_name: "Growth".into(),
            interval: PlanInterval::Month,
            anchor: day(2025, 1, 1),
            included: Credits::whole(30),
            flex_rate: Money::from_cents(400),
            prepaid_rate: Money::from_cents(300),
            prepaid_balance: Credits::whole(10),
            flex: FlexSnapshot {
                enabled: false,
                cap: None,
            },
        },
        NewWorkspace {
            slug: globex.into(),
            name: "Globex".into(),
            plan_name: "Enterprise".into(),
            interval: PlanInterval::Year,
            anchor: day(2025, 3, 1),
            included: Credits::whole(360),
            flex_rate: Money::from_cents(400),
            prepaid_rate: Money::from_cents(300),
            prepaid_balance: Credits::ZERO,
            flex: FlexSnapshot {
                enabled: true,
                cap: Some(Money::from_cents(120_000)),
            },
        },
    ]
}

/// Seeds the demo workspaces and people, each person in every workspace,
/// if the database has no workspace yet. Answers whether it did.
///
/// One write transaction counts and creates, so two servers seeding at once
/// seed once: the second counts the first's workspaces ([`Tx::workspace_count`]).
pub async fn seed_if_empty(db: &Db) -> StoreResult<bool> {
    db.write(|tx: &mut dyn Tx| {
        if tx.workspace_count()? > 0 {
            return Ok(false);
        }
        let workspaces = demo_workspaces()
            .iter()
            .map(|w| tx.insert_workspace(w))
            .collect::<StoreResult<Vec<_>>>()?;
        for (email, role) in DEMO_USERS {
            let user = tx.insert_user(email)?;
            for &workspace in &workspaces {
                tx.add_member(workspace, user, role)?;
            }
        }
        Ok(true)
    })
    .await
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

/// `s` safe inside HTML text and double-quoted attributes.
pub(crate) fn html_escape(s: &str) -> String {
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

    #[tokio::test]
    async fn the_demo_is_seeded_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.sqlite3");
        let db = Db::open(path.to_str().unwrap(), 1).await.unwrap();
        assert!(db.seed_demo_if_empty().await.unwrap());
        assert!(!db.seed_demo_if_empty().await.unwrap());
        let count = |sql: &'static str| db.number(sql);
        assert_eq!(count("SELECT COUNT(*) FROM memberships").await.unwrap(), 6);
        assert_eq!(count("SELECT COUNT(*) FROM users").await.unwrap(), 3);
        let (acme, globex) = db
            .read(|tx: &mut dyn Tx| {
                Ok::<_, crate::store::StoreError>((
                    tx.workspace_by_slug("acme")?.unwrap(),
                    tx.workspace_by_slug("globex")?.unwrap(),
                ))
            })
            .await
            .unwrap();
        assert_eq!(
            (acme.interval, acme.flex.enabled, acme.flex.cap),
            (PlanInterval::Month, false, None)
        );
        assert_eq!(acme.prepaid_balance.to_string(), "10");
        assert_eq!(acme.flex.version, 1);
        assert_eq!(
            globex.flex.cap.map(|c| c.to_string()).as_deref(),
            Some("$1,200.00")
        );
        assert!(globex.flex.enabled);
        assert_eq!(globex.anchor.to_string(), "2025-03-01");
    }

    #[test]
    fn sign_in_links_are_escaped() {
        let page = sign_in_page(&["a+b@x.test".into()], "/workspaces/acme/billing");
        assert!(page.contains("email=a%2Bb%40x.test&amp;next=/workspaces/acme/billing"));
    }
}
