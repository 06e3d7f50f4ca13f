//! Every SQL statement of the SQLite store. Amounts are integers here (money in
//! cents, credits in ten-thousandths), so SQL sums stay exact; they cross this
//! boundary as domain types.

use crate::demo::DEMO_USERS;
use crate::store::{
    at_text, At, AuditLine, CycleTotals, StoreError, StoreResult, StoredUsage, Tx, User,
    WorkspaceRow,
};
use billing_domain::{
    ActivityEntry, Credits, DaySpend, Draw, FlexSettings, FlexSnapshot, Money, PlanInterval, Role,
    WorkspaceLink,
};
use chrono::NaiveDate;
use rusqlite::{named_params, params, Connection, OptionalExtension, Row};
use rust_decimal::Decimal;

/// A connection inside an open transaction (begun and ended by the caller).
pub(super) struct SqliteTx<'c>(pub(super) &'c Connection);

/// Credits are stored in ten-thousandths of a credit.
const E4: i64 = 10_000;

fn e4(c: Credits) -> StoreResult<i64> {
    c.amount()
        .checked_mul(Decimal::from(E4))
        .filter(|scaled| scaled.fract().is_zero())
        .and_then(|scaled| i64::try_from(scaled).ok())
        .ok_or_else(|| {
            StoreError(format!(
                "{c} credits do not fit the store's ten-thousandths"
            ))
        })
}

fn credits(e4: i64) -> Credits {
    Credits::new(Decimal::new(e4, 4))
}

fn conversion(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        what.to_string().into(),
    )
}

/// The columns every workspace read takes, for [`workspace_from_row`].
macro_rules! workspace_columns {
    () => {
        "w.id, w.slug, w.name, w.plan_name, w.plan_interval, w.plan_anchor, w.included_e4,
         w.flex_rate_cents, w.prepaid_rate_cents, w.prepaid_e4, w.flex_enabled, w.flex_cap_cents,
         w.flex_version"
    };
}

fn workspace_from_row(r: &Row<'_>) -> rusqlite::Result<WorkspaceRow> {
    let interval: String = r.get("plan_interval")?;
    let interval = PlanInterval::parse(&interval).ok_or_else(|| conversion("plan interval"))?;
    let anchor: String = r.get("plan_anchor")?;
    Ok(WorkspaceRow {
        id: r.get("id")?,
        slug: r.get("slug")?,
        name: r.get("name")?,
        plan_name: r.get("plan_name")?,
        interval,
        anchor: anchor.parse().map_err(|_| conversion("plan anchor date"))?,
        included: credits(r.get("included_e4")?),
        flex_rate: Money::from_cents(r.get("flex_rate_cents")?),
        prepaid_rate: Money::from_cents(r.get("prepaid_rate_cents")?),
        prepaid_balance: credits(r.get("prepaid_e4")?),
        flex: FlexSettings {
            enabled: r.get("flex_enabled")?,
            cap: r
                .get::<_, Option<i64>>("flex_cap_cents")?
                .map(Money::from_cents),
            default_cap: interval.default_cap(),
            version: r.get::<_, i64>("flex_version")? as u64,
        },
    })
}

fn now_text() -> String {
    at_text(chrono::Utc::now())
}

// Moments are stored as fixed-width RFC 3339 in UTC ([`at_text`]), so text
// order is time order.

impl Tx for SqliteTx<'_> {
    fn workspace_for_member(
        &mut self,
        slug: &str,
        user_id: i64,
    ) -> StoreResult<Option<(WorkspaceRow, Role)>> {
        let found = self
            .0
            .prepare_cached(concat!(
                "SELECT ",
                workspace_columns!(),
                ", m.role FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
                  WHERE w.slug = ?1 AND m.user_id = ?2"
            ))?
            .query_row(params![slug, user_id], |r| {
                let role: String = r.get("role")?;
                let role = Role::parse(&role).ok_or_else(|| conversion("role"))?;
                Ok((workspace_from_row(r)?, role))
            })
            .optional()?;
        Ok(found)
    }

    fn workspace_by_slug(&mut self, slug: &str) -> StoreResult<Option<WorkspaceRow>> {
        let found = self
            .0
            .prepare_cached(concat!(
                "SELECT ",
                workspace_columns!(),
                " FROM workspaces w WHERE w.slug = ?1"
            ))?
            .query_row(params![slug], workspace_from_row)
            .optional()?;
        Ok(found)
    }

    fn update_flex(&mut self, workspace_id: i64, flex: &FlexSettings) -> StoreResult<()> {
        self.0.execute(
            "UPDATE workspaces SET flex_enabled = :enabled, flex_cap_cents = :cap, flex_version = :version
              WHERE id = :id",
            named_params! {
                ":id": workspace_id,
                ":enabled": flex.enabled,
                ":cap": flex.cap.map(Money::cents),
                ":version": flex.version as i64,
            },
        )?;
        Ok(())
    }

    fn audit(
        &mut self,
        workspace_id: i64,
        user_id: Option<i64>,
        line: &AuditLine,
    ) -> StoreResult<()> {
        let json =
            |v: &FlexSnapshot| serde_json::to_string(v).map_err(|e| StoreError(e.to_string()));
        self.0.execute(
            "INSERT INTO audit_log (workspace_id, user_id, action, detail, at, old_value, new_value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![workspace_id, user_id, line.action, line.detail, now_text(), json(&line.old)?, json(&line.new)?],
        )?;
        Ok(())
    }

    fn activity(
        &mut self,
        workspace_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ActivityEntry>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT a.id, a.at, u.email, a.action, a.old_value, a.new_value
               FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
              WHERE a.workspace_id = ?1 AND a.id < ?2
              ORDER BY a.id DESC LIMIT ?3",
        )?;
        let snapshot =
            |text: Option<String>| text.and_then(|t| serde_json::from_str::<FlexSnapshot>(&t).ok());
        let rows = stmt.query_map(
            params![workspace_id, before.unwrap_or(i64::MAX), limit],
            |r| {
                Ok(ActivityEntry {
                    id: r.get("id")?,
                    at: r.get("at")?,
                    actor: r.get("email")?,
                    action: r.get("action")?,
                    old: snapshot(r.get("old_value")?),
                    new: snapshot(r.get("new_value")?),
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn cycle_totals(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
    ) -> StoreResult<CycleTotals> {
        let totals = self
            .0
            .prepare_cached(
                "SELECT included_e4, prepaid_e4, flex_e4, flex_cost_cents, blocked_version
                   FROM cycle_totals WHERE workspace_id = ?1 AND cycle_start = ?2",
            )?
            .query_row(params![workspace_id, cycle_start.to_string()], |r| {
                Ok(CycleTotals {
                    included: credits(r.get("included_e4")?),
                    prepaid: credits(r.get("prepaid_e4")?),
                    flex: credits(r.get("flex_e4")?),
                    flex_cost: Money::from_cents(r.get("flex_cost_cents")?),
                    blocked_version: r
                        .get::<_, Option<i64>>("blocked_version")?
                        .map(|v| v as u64),
                })
            })
            .optional()?
            .unwrap_or_default();
        Ok(totals)
    }

    fn usage_by_key(&mut self, workspace_id: i64, key: &str) -> StoreResult<Option<StoredUsage>> {
        let found = self
            .0
            .prepare_cached(
                "SELECT credits_e4, included_e4, prepaid_e4, flex_e4, flex_cost_cents
                   FROM usage_events WHERE workspace_id = ?1 AND idempotency_key = ?2",
            )?
            .query_row(params![workspace_id, key], |r| {
                Ok(StoredUsage {
                    credits: credits(r.get("credits_e4")?),
                    draw: Draw {
                        included: credits(r.get("included_e4")?),
                        prepaid: credits(r.get("prepaid_e4")?),
                        flex: credits(r.get("flex_e4")?),
                        flex_cost: Money::from_cents(r.get("flex_cost_cents")?),
                    },
                })
            })
            .optional()?;
        Ok(found)
    }

    fn insert_usage(
        &mut self,
        workspace_id: i64,
        key: &str,
        cycle_start: NaiveDate,
        today: NaiveDate,
        amount: Credits,
        draw: &Draw,
    ) -> StoreResult<()> {
        let cycle = cycle_start.to_string();
        let (included, prepaid, flex) = (e4(draw.included)?, e4(draw.prepaid)?, e4(draw.flex)?);
        self.0
            .prepare_cached(
                "INSERT INTO usage_events (workspace_id, idempotency_key, cycle_start, credits_e4, included_e4,
                                           prepaid_e4, flex_e4, flex_cost_cents, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                workspace_id,
                key,
                cycle,
                e4(amount)?,
                included,
                prepaid,
                flex,
                draw.flex_cost.cents(),
                now_text()
            ])?;
        self.0
            .prepare_cached(
                "INSERT INTO cycle_totals (workspace_id, cycle_start, included_e4, prepaid_e4, flex_e4, flex_cost_cents)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET
                    included_e4 = included_e4 + excluded.included_e4,
                    prepaid_e4 = prepaid_e4 + excluded.prepaid_e4,
                    flex_e4 = flex_e4 + excluded.flex_e4,
                    flex_cost_cents = flex_cost_cents + excluded.flex_cost_cents",
            )?
            .execute(params![workspace_id, cycle, included, prepaid, flex, draw.flex_cost.cents()])?;
        if prepaid != 0 {
            self.0
                .prepare_cached("UPDATE workspaces SET prepaid_e4 = prepaid_e4 - ?2 WHERE id = ?1")?
                .execute(params![workspace_id, prepaid])?;
        }
        if draw.flex_cost > Money::ZERO {
            self.0
                .prepare_cached(
                    "INSERT INTO daily_flex (workspace_id, day, flex_cost_cents) VALUES (?1, ?2, ?3)
                     ON CONFLICT (workspace_id, day) DO UPDATE SET
                        flex_cost_cents = flex_cost_cents + excluded.flex_cost_cents",
                )?
                .execute(params![workspace_id, today.to_string(), draw.flex_cost.cents()])?;
        }
        Ok(())
    }

    fn flex_by_day(&mut self, workspace_id: i64, from: NaiveDate) -> StoreResult<Vec<DaySpend>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT day, flex_cost_cents FROM daily_flex
              WHERE workspace_id = ?1 AND day >= ?2 AND flex_cost_cents > 0 ORDER BY day",
        )?;
        let rows = stmt.query_map(params![workspace_id, from.to_string()], |r| {
            let day: String = r.get("day")?;
            Ok(DaySpend {
                day: day.parse().map_err(|_| conversion("day"))?,
                spend: Money::from_cents(r.get("flex_cost_cents")?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_blocked(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        flex_version: u64,
        amount: Credits,
    ) -> StoreResult<()> {
        self.0.execute(
            "INSERT OR IGNORE INTO blocked_usage (workspace_id, cycle_start, flex_version, credits_e4, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                workspace_id,
                cycle_start.to_string(),
                flex_version as i64,
                e4(amount)?,
                now_text()
            ],
        )?;
        self.0.execute(
            "INSERT INTO cycle_totals (workspace_id, cycle_start, blocked_version) VALUES (?1, ?2, ?3)
             ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET blocked_version = excluded.blocked_version",
            params![workspace_id, cycle_start.to_string(), flex_version as i64],
        )?;
        Ok(())
    }

    fn users(&mut self) -> StoreResult<Vec<String>> {
        let mut stmt = self.0.prepare("SELECT email FROM users ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get("email"))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn user_by_email(&mut self, email: &str) -> StoreResult<Option<User>> {
        let found = self
            .0
            .query_row(
                "SELECT id, email FROM users WHERE email = ?1",
                params![email],
                |r| {
                    Ok(User {
                        id: r.get("id")?,
                        email: r.get("email")?,
                    })
                },
            )
            .optional()?;
        Ok(found)
    }

    fn workspaces_of(&mut self, user_id: i64) -> StoreResult<Vec<WorkspaceLink>> {
        let mut stmt = self.0.prepare(
            "SELECT w.slug, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
              WHERE m.user_id = ?1 ORDER BY w.id",
        )?;
        let rows = stmt.query_map(params![user_id], |r| {
            let role: String = r.get("role")?;
            Ok(WorkspaceLink {
                slug: r.get("slug")?,
                name: r.get("name")?,
                role: Role::parse(&role).ok_or_else(|| conversion("role"))?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn create_session(
        &mut self,
        token_hash: &str,
        user_id: i64,
        now: At,
        expires_at: At,
    ) -> StoreResult<()> {
        self.0.execute(
            "INSERT INTO sessions (token, user_id, created_at, expires_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?3)",
            params![token_hash, user_id, at_text(now), at_text(expires_at)],
        )?;
        Ok(())
    }

    fn session_user(
        &mut self,
        token_hash: &str,
        now: At,
        idle_since: At,
    ) -> StoreResult<Option<(User, At)>> {
        let found = self
            .0
            .prepare_cached(
                "SELECT u.id, u.email, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
                  WHERE s.token = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3",
            )?
            .query_row(params![token_hash, at_text(now), at_text(idle_since)], |r| {
                let seen: String = r.get("last_seen_at")?;
                let seen = chrono::DateTime::parse_from_rfc3339(&seen)
                    .map_err(|_| conversion("last seen"))?
                    .with_timezone(&chrono::Utc);
                Ok((
                    User {
                        id: r.get("id")?,
                        email: r.get("email")?,
                    },
                    seen,
                ))
            })
            .optional()?;
        Ok(found)
    }

    fn touch_session(&mut self, token_hash: &str, now: At) -> StoreResult<()> {
        self.0.execute(
            "UPDATE sessions SET last_seen_at = ?2 WHERE token = ?1",
            params![token_hash, at_text(now)],
        )?;
        Ok(())
    }

    fn delete_session(&mut self, token_hash: &str) -> StoreResult<()> {
        self.0
            .execute("DELETE FROM sessions WHERE token = ?1", params![token_hash])?;
        Ok(())
    }

    fn announce(&mut self, _slug: &str) -> StoreResult<()> {
        Ok(())
    }

    fn purge_sessions(&mut self, now: At, idle_since: At) -> StoreResult<usize> {
        Ok(self.0.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
            params![at_text(now), at_text(idle_since)],
        )?)
    }
}

/// Seeds the demo if the database has no workspace yet. Answers whether it did.
/// Acme: monthly, 30 included credits, 10 prepaid, Flex off. Globex: annual,
/// 360 included credits, Flex on with the $1,200 default cap. Rates: $4.00 a
/// flex credit, $3.00 a prepaid credit.
/// IMMEDIATE: two servers seeding at once, the second waits and finds the first's.
pub(super) fn seed_demo_if_empty(conn: &mut Connection) -> StoreResult<bool> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let count: i64 = tx.query_row("SELECT COUNT(*) FROM workspaces", [], |r| r.get(0))?;
    if count > 0 {
        return Ok(false);
    }
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
            params![user_id, role.as_str()],
        )?;
    }
    tx.commit()?;
    Ok(true)
}
