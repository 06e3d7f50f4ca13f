//! Every SQL statement of the server. Amounts cross this boundary as domain types.

use billing_domain::{Credits, Draw, Money, PlanInterval, Role};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

/// Credits are stored in ten-thousandths of a credit.
const E4: i64 = 10_000;

pub fn credits_to_e4(c: Credits) -> Option<i64> {
    let scaled = c.amount().checked_mul(Decimal::from(E4))?;
    if scaled.fract().is_zero() {
        i64::try_from(scaled).ok()
    } else {
        None
    }
}

pub fn credits_from_e4(e4: i64) -> Credits {
    Credits::new(Decimal::new(e4, 4))
}

fn money_from_cents(cents: Option<i64>) -> Option<Money> {
    cents.map(Money::from_cents)
}

/// A workspace's billing row.
#[derive(Debug, Clone)]
pub struct WorkspaceRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub plan_name: String,
    pub interval: PlanInterval,
    pub anchor: NaiveDate,
    pub included: Credits,
    pub flex_rate: Money,
    pub prepaid_rate: Money,
    pub prepaid_balance: Credits,
    pub flex_enabled: bool,
    pub flex_cap: Option<Money>,
    pub flex_version: u64,
}

/// The workspace `slug` if `user_id` belongs to it, with their role.
pub fn workspace_for_member(
    conn: &Connection,
    slug: &str,
    user_id: i64,
) -> rusqlite::Result<Option<(WorkspaceRow, Role)>> {
    conn.query_row(
        "SELECT w.id, w.slug, w.name, w.plan_name, w.plan_interval, w.plan_anchor, w.included_e4,
                w.flex_rate_cents, w.prepaid_rate_cents, w.prepaid_e4, w.flex_enabled,
                w.flex_cap_cents, w.flex_version, m.role
           FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
          WHERE w.slug = ?1 AND m.user_id = ?2",
        params![slug, user_id],
        |r| Ok((workspace_from_row(r)?, r.get::<_, String>(13)?)),
    )
    .optional()
    .map(|found| found.and_then(|(w, role)| Role::parse(&role).map(|role| (w, role))))
}

/// The workspace `slug`, for metering (no member involved).
pub fn workspace_by_slug(conn: &Connection, slug: &str) -> rusqlite::Result<Option<WorkspaceRow>> {
    conn.query_row(
        "SELECT id, slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled,
                flex_cap_cents, flex_version
           FROM workspaces WHERE slug = ?1",
        params![slug],
        workspace_from_row,
    )
    .optional()
}

fn workspace_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WorkspaceRow> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            what.to_string().into(),
        )
    };
    let interval: String = r.get(4)?;
    let anchor: String = r.get(5)?;
    Ok(WorkspaceRow {
        id: r.get(0)?,
        slug: r.get(1)?,
        name: r.get(2)?,
        plan_name: r.get(3)?,
        interval: PlanInterval::parse(&interval).ok_or_else(|| bad(4, "plan interval"))?,
        anchor: anchor.parse().map_err(|_| bad(5, "plan anchor date"))?,
        included: credits_from_e4(r.get(6)?),
        flex_rate: Money::from_cents(r.get(7)?),
        prepaid_rate: Money::from_cents(r.get(8)?),
        prepaid_balance: credits_from_e4(r.get(9)?),
        flex_enabled: r.get(10)?,
        flex_cap: money_from_cents(r.get(11)?),
        flex_version: r.get::<_, i64>(12)? as u64,
    })
}

/// What has been drawn in the cycle that started on `cycle_start`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CycleTotals {
    pub included: Credits,
    pub flex: Credits,
    pub flex_cost: Money,
}

pub fn cycle_totals(
    conn: &Connection,
    workspace_id: i64,
    cycle_start: NaiveDate,
) -> rusqlite::Result<CycleTotals> {
    conn.query_row(
        "SELECT COALESCE(SUM(included_e4), 0), COALESCE(SUM(flex_e4), 0), COALESCE(SUM(flex_cost_cents), 0)
           FROM usage_events WHERE workspace_id = ?1 AND cycle_start = ?2",
        params![workspace_id, cycle_start.to_string()],
        |r| {
            Ok(CycleTotals {
                included: credits_from_e4(r.get(0)?),
                flex: credits_from_e4(r.get(1)?),
                flex_cost: Money::from_cents(r.get(2)?),
            })
        },
    )
}

/// Sets the Flex Billing settings and bumps their version.
pub fn update_flex(
    conn: &Connection,
    workspace_id: i64,
    enabled: bool,
    cap: Option<Money>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE workspaces SET flex_enabled = ?2, flex_cap_cents = ?3, flex_version = flex_version + 1 WHERE id = ?1",
        params![workspace_id, enabled, cap.map(Money::cents)],
    )?;
    Ok(())
}

pub fn audit(
    conn: &Connection,
    workspace_id: i64,
    user_id: Option<i64>,
    action: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (workspace_id, user_id, action, detail, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![workspace_id, user_id, action, detail, now_text()],
    )?;
    Ok(())
}

/// A usage record already stored under an idempotency key.
pub struct StoredUsage {
    pub credits: Credits,
    pub draw: Draw,
}

pub fn usage_by_key(
    conn: &Connection,
    workspace_id: i64,
    key: &str,
) -> rusqlite::Result<Option<StoredUsage>> {
    conn.query_row(
        "SELECT credits_e4, included_e4, prepaid_e4, flex_e4, flex_cost_cents
           FROM usage_events WHERE workspace_id = ?1 AND idempotency_key = ?2",
        params![workspace_id, key],
        |r| {
            Ok(StoredUsage {
                credits: credits_from_e4(r.get(0)?),
                draw: Draw {
                    included: credits_from_e4(r.get(1)?),
                    prepaid: credits_from_e4(r.get(2)?),
                    flex: credits_from_e4(r.get(3)?),
                    flex_cost: Money::from_cents(r.get(4)?),
                },
            })
        },
    )
    .optional()
}

/// Stores a usage record and takes its prepaid credits off the balance.
pub fn insert_usage(
    conn: &Connection,
    workspace_id: i64,
    key: &str,
    cycle_start: NaiveDate,
    credits: Credits,
    draw: &Draw,
) -> rusqlite::Result<()> {
    let e4 = |c: Credits| credits_to_e4(c).unwrap_or(0);
    conn.execute(
        "INSERT INTO usage_events (workspace_id, idempotency_key, cycle_start, credits_e4, included_e4,
                                   prepaid_e4, flex_e4, flex_cost_cents, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            workspace_id,
            key,
            cycle_start.to_string(),
            e4(credits),
            e4(draw.included),
            e4(draw.prepaid),
            e4(draw.flex),
            draw.flex_cost.cents(),
            now_text()
        ],
    )?;
    conn.execute(
        "UPDATE workspaces SET prepaid_e4 = prepaid_e4 - ?2 WHERE id = ?1",
        params![workspace_id, e4(draw.prepaid)],
    )?;
    Ok(())
}

/// Keeps a refusal at the flex cap (nothing is drawn for it).
pub fn insert_blocked(
    conn: &Connection,
    workspace_id: i64,
    cycle_start: NaiveDate,
    flex_version: u64,
    credits: Credits,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO blocked_usage (workspace_id, cycle_start, flex_version, credits_e4, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            workspace_id,
            cycle_start.to_string(),
            flex_version as i64,
            credits_to_e4(credits).unwrap_or(0),
            now_text()
        ],
    )?;
    Ok(())
}

/// Whether usage was refused at the cap in this cycle under these settings.
pub fn blocked_since(
    conn: &Connection,
    workspace_id: i64,
    cycle_start: NaiveDate,
    flex_version: u64,
) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM blocked_usage WHERE workspace_id = ?1 AND cycle_start = ?2 AND flex_version = ?3)",
        params![workspace_id, cycle_start.to_string(), flex_version as i64],
        |r| r.get(0),
    )
}

// ---- people and sessions ----

pub fn user_by_email(conn: &Connection, email: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT id FROM users WHERE email = ?1",
        params![email],
        |r| r.get(0),
    )
    .optional()
}

pub fn users(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT email FROM users ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// Workspaces of a user, first joined first: (slug, name, role).
pub fn workspaces_of(
    conn: &Connection,
    user_id: i64,
) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT w.slug, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
          WHERE m.user_id = ?1 ORDER BY w.id",
    )?;
    let rows = stmt.query_map(params![user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

pub fn create_session(
    conn: &Connection,
    token: &str,
    user_id: i64,
    days: i64,
) -> rusqlite::Result<()> {
    let now = chrono::Utc::now();
    conn.execute(
        "INSERT INTO sessions (token, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            token,
            user_id,
            now.to_rfc3339(),
            (now + chrono::Duration::days(days)).to_rfc3339()
        ],
    )?;
    Ok(())
}

/// The user of a live session: (id, email).
pub fn session_user(conn: &Connection, token: &str) -> rusqlite::Result<Option<(i64, String)>> {
    conn.query_row(
        "SELECT u.id, u.email FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token = ?1 AND s.expires_at > ?2",
        params![token, chrono::Utc::now().to_rfc3339()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

pub fn delete_session(conn: &Connection, token: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM sessions WHERE token = ?1", params![token])?;
    Ok(())
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339()
}
