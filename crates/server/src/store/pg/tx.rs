//! Every SQL statement of the PostgreSQL store. Amounts are `BIGINT`s (money
//! in cents, credits in ten-thousandths), as in SQLite, so sums stay exact.
//!
//! How the cap stays exact across servers: a write transaction reads its
//! workspace with `SELECT … FOR UPDATE`, so every write to one workspace —
//! usage records, refusals at the cap, settings changes — runs one at a time,
//! on whichever server, and reads the running totals only after the previous
//! one committed. The workspace row is locked rather than the cycle's totals
//! row because the first record of a cycle has no totals row yet to lock, and
//! the draw also depends on the workspace's own prepaid balance and settings.
//! Serializable transactions would also be exact, but would make every
//! conflicting record fail and be retried from the top instead of waiting a
//! moment for the lock. The idempotency key is decided the same way (the
//! second of two retries finds the first's record once the lock is its), and
//! the unique key `(workspace_id, idempotency_key)` stands behind it.

use crate::demo::DEMO_USERS;
use crate::store::{
    at_text, credits, e4, AfterAttempt, At, AuditLine, CycleTotals, DueDelivery, NewDelivery,
    StoreError, StoreResult, StoredUsage, StoredWebhook, Tx, User, WorkspaceRow,
};
use billing_domain::{
    ActivityEntry, Credits, DaySpend, Delivery, DeliveryAttempt, Draw, FlexSettings, FlexSnapshot,
    Money, PlanInterval, Role, WorkspaceLink,
};
use chrono::NaiveDate;
use postgres::types::ToSql;
use postgres::{Client, Row, Statement, Transaction};
use std::collections::HashMap;

/// An open transaction and its connection's prepared statements.
pub(super) struct PgTx<'c> {
    pub(super) tx: Transaction<'c>,
    pub(super) statements: &'c mut HashMap<&'static str, Statement>,
    /// A write: workspace reads lock the row.
    pub(super) write: bool,
}

/// The columns every workspace read takes, for [`workspace_from_row`].
macro_rules! workspace_select {
    ($($rest:literal),*) => {
        concat!(
            "SELECT w.id, w.slug, w.name, w.plan_name, w.plan_interval, w.plan_anchor, w.included_e4,
                    w.flex_rate_cents, w.prepaid_rate_cents, w.prepaid_e4, w.flex_enabled,
                    w.flex_cap_cents, w.flex_version",
            $($rest),*
        )
    };
}

const MEMBER_WORKSPACE: &str = workspace_select!(
    ", m.role FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
      WHERE w.slug = $1 AND m.user_id = $2"
);
const MEMBER_WORKSPACE_LOCKED: &str = workspace_select!(
    ", m.role FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
      WHERE w.slug = $1 AND m.user_id = $2 FOR UPDATE OF w"
);
const WORKSPACE: &str = workspace_select!(" FROM workspaces w WHERE w.slug = $1");
const WORKSPACE_LOCKED: &str = workspace_select!(" FROM workspaces w WHERE w.slug = $1 FOR UPDATE");

fn workspace_from_row(r: &Row) -> StoreResult<WorkspaceRow> {
    let interval: String = r.try_get("plan_interval")?;
    let interval = PlanInterval::parse(&interval)
        .ok_or_else(|| StoreError(format!("unknown plan interval {interval:?}")))?;
    Ok(WorkspaceRow {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        plan_name: r.try_get("plan_name")?,
        interval,
        anchor: r.try_get("plan_anchor")?,
        included: credits(r.try_get("included_e4")?),
        flex_rate: Money::from_cents(r.try_get("flex_rate_cents")?),
        prepaid_rate: Money::from_cents(r.try_get("prepaid_rate_cents")?),
        prepaid_balance: credits(r.try_get("prepaid_e4")?),
        flex: FlexSettings {
            enabled: r.try_get("flex_enabled")?,
            cap: r
                .try_get::<_, Option<i64>>("flex_cap_cents")?
                .map(Money::from_cents),
            default_cap: interval.default_cap(),
            version: r.try_get::<_, i64>("flex_version")? as u64,
        },
    })
}

fn role(text: &str) -> StoreResult<Role> {
    Role::parse(text).ok_or_else(|| StoreError(format!("unknown role {text:?}")))
}

impl PgTx<'_> {
    /// `sql`, prepared once per connection.
    fn statement(&mut self, sql: &'static str) -> StoreResult<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        let s = self.statement(sql)?;
        Ok(self.tx.query(&s, params)?)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Option<Row>> {
        let s = self.statement(sql)?;
        Ok(self.tx.query_opt(&s, params)?)
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<u64> {
        let s = self.statement(sql)?;
        Ok(self.tx.execute(&s, params)?)
    }
}

impl Tx for PgTx<'_> {
    fn workspace_for_member(
        &mut self,
        slug: &str,
        user_id: i64,
    ) -> StoreResult<Option<(WorkspaceRow, Role)>> {
        let sql = if self.write {
            MEMBER_WORKSPACE_LOCKED
        } else {
            MEMBER_WORKSPACE
        };
        match self.query_opt(sql, &[&slug, &user_id])? {
            Some(r) => Ok(Some((workspace_from_row(&r)?, role(r.try_get("role")?)?))),
            None => Ok(None),
        }
    }

    fn workspace_by_slug(&mut self, slug: &str) -> StoreResult<Option<WorkspaceRow>> {
        let sql = if self.write {
            WORKSPACE_LOCKED
        } else {
            WORKSPACE
        };
        self.query_opt(sql, &[&slug])?
            .map(|r| workspace_from_row(&r))
            .transpose()
    }

    fn update_flex(&mut self, workspace_id: i64, flex: &FlexSettings) -> StoreResult<()> {
        self.execute(
            "UPDATE workspaces SET flex_enabled = $2, flex_cap_cents = $3, flex_version = $4 WHERE id = $1",
            &[
                &workspace_id,
                &flex.enabled,
                &flex.cap.map(Money::cents),
                &(flex.version as i64),
            ],
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
            |v: &FlexSnapshot| serde_json::to_value(v).map_err(|e| StoreError(e.to_string()));
        self.execute(
            "INSERT INTO audit_log (workspace_id, user_id, action, detail, at, old_value, new_value)
             VALUES ($1, $2, $3, $4, now(), $5, $6)",
            &[
                &workspace_id,
                &user_id,
                &line.action,
                &line.detail,
                &json(&line.old)?,
                &json(&line.new)?,
            ],
        )?;
        Ok(())
    }

    fn activity(
        &mut self,
        workspace_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ActivityEntry>> {
        let rows = self.query(
            "SELECT a.id, a.at, u.email, a.action, a.old_value, a.new_value
               FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
              WHERE a.workspace_id = $1 AND a.id < $2
              ORDER BY a.id DESC LIMIT $3",
            &[
                &workspace_id,
                &before.unwrap_or(i64::MAX),
                &i64::from(limit),
            ],
        )?;
        let snapshot = |v: Option<serde_json::Value>| {
            v.and_then(|v| serde_json::from_value::<FlexSnapshot>(v).ok())
        };
        rows.iter()
            .map(|r| {
                Ok(ActivityEntry {
                    id: r.try_get("id")?,
                    at: at_text(r.try_get("at")?),
                    actor: r.try_get("email")?,
                    action: r.try_get("action")?,
                    old: snapshot(r.try_get("old_value")?),
                    new: snapshot(r.try_get("new_value")?),
                })
            })
            .collect()
    }

    fn cycle_totals(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
    ) -> StoreResult<CycleTotals> {
        let Some(r) = self.query_opt(
            "SELECT included_e4, prepaid_e4, flex_e4, flex_cost_cents, blocked_version
               FROM cycle_totals WHERE workspace_id = $1 AND cycle_start = $2",
            &[&workspace_id, &cycle_start],
        )?
        else {
            return Ok(CycleTotals::default());
        };
        Ok(CycleTotals {
            included: credits(r.try_get("included_e4")?),
            prepaid: credits(r.try_get("prepaid_e4")?),
            flex: credits(r.try_get("flex_e4")?),
            flex_cost: Money::from_cents(r.try_get("flex_cost_cents")?),
            blocked_version: r
                .try_get::<_, Option<i64>>("blocked_version")?
                .map(|v| v as u64),
        })
    }

    fn usage_by_key(&mut self, workspace_id: i64, key: &str) -> StoreResult<Option<StoredUsage>> {
        let Some(r) = self.query_opt(
            "SELECT credits_e4, included_e4, prepaid_e4, flex_e4, flex_cost_cents
               FROM usage_events WHERE workspace_id = $1 AND idempotency_key = $2",
            &[&workspace_id, &key],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(StoredUsage {
            credits: credits(r.try_get("credits_e4")?),
            draw: Draw {
                included: credits(r.try_get("included_e4")?),
                prepaid: credits(r.try_get("prepaid_e4")?),
                flex: credits(r.try_get("flex_e4")?),
                flex_cost: Money::from_cents(r.try_get("flex_cost_cents")?),
            },
        }))
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
        let (included, prepaid, flex) = (e4(draw.included)?, e4(draw.prepaid)?, e4(draw.flex)?);
        let cost = draw.flex_cost.cents();
        // One statement, one round trip, while the workspace's row is locked:
        // the record, the cycle's running totals, the prepaid balance and the
        // day's flex spend (each part writes only when it has something to add).
        self.execute(
            "WITH record AS (
                 INSERT INTO usage_events (workspace_id, idempotency_key, cycle_start, credits_e4, included_e4,
                                           prepaid_e4, flex_e4, flex_cost_cents, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
             ), totals AS (
                 INSERT INTO cycle_totals AS t (workspace_id, cycle_start, included_e4, prepaid_e4, flex_e4, flex_cost_cents)
                 VALUES ($1, $3, $5, $6, $7, $8)
                 ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET
                    included_e4 = t.included_e4 + excluded.included_e4,
                    prepaid_e4 = t.prepaid_e4 + excluded.prepaid_e4,
                    flex_e4 = t.flex_e4 + excluded.flex_e4,
                    flex_cost_cents = t.flex_cost_cents + excluded.flex_cost_cents
             ), balance AS (
                 UPDATE workspaces SET prepaid_e4 = prepaid_e4 - $6 WHERE id = $1 AND $6 <> 0
             ), day AS (
                 INSERT INTO daily_flex AS d (workspace_id, day, flex_cost_cents)
                 SELECT $1, $9, $8 WHERE $8 > 0
                 ON CONFLICT (workspace_id, day) DO UPDATE SET
                    flex_cost_cents = d.flex_cost_cents + excluded.flex_cost_cents
             )
             SELECT 1",
            &[
                &workspace_id,
                &key,
                &cycle_start,
                &e4(amount)?,
                &included,
                &prepaid,
                &flex,
                &cost,
                &today,
            ],
        )?;
        Ok(())
    }

    fn flex_by_day(&mut self, workspace_id: i64, from: NaiveDate) -> StoreResult<Vec<DaySpend>> {
        let rows = self.query(
            "SELECT day, flex_cost_cents FROM daily_flex
              WHERE workspace_id = $1 AND day >= $2 AND flex_cost_cents > 0 ORDER BY day",
            &[&workspace_id, &from],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DaySpend {
                    day: r.try_get("day")?,
                    spend: Money::from_cents(r.try_get("flex_cost_cents")?),
                })
            })
            .collect()
    }

    fn insert_blocked(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        flex_version: u64,
        amount: Credits,
    ) -> StoreResult<()> {
        let version = flex_version as i64;
        self.execute(
            "INSERT INTO blocked_usage (workspace_id, cycle_start, flex_version, credits_e4, at)
             VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING",
            &[&workspace_id, &cycle_start, &version, &e4(amount)?],
        )?;
        self.execute(
            "INSERT INTO cycle_totals (workspace_id, cycle_start, blocked_version) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET blocked_version = excluded.blocked_version",
            &[&workspace_id, &cycle_start, &version],
        )?;
        Ok(())
    }

    fn users(&mut self) -> StoreResult<Vec<String>> {
        let rows = self.query("SELECT email FROM users ORDER BY id", &[])?;
        rows.iter().map(|r| Ok(r.try_get("email")?)).collect()
    }

    fn user_by_email(&mut self, email: &str) -> StoreResult<Option<User>> {
        let Some(r) = self.query_opt("SELECT id, email FROM users WHERE email = $1", &[&email])?
        else {
            return Ok(None);
        };
        Ok(Some(User {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
        }))
    }

    fn workspaces_of(&mut self, user_id: i64) -> StoreResult<Vec<WorkspaceLink>> {
        let rows = self.query(
            "SELECT w.slug, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
              WHERE m.user_id = $1 ORDER BY w.id",
            &[&user_id],
        )?;
        rows.iter()
            .map(|r| {
                Ok(WorkspaceLink {
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                    role: role(r.try_get("role")?)?,
                })
            })
            .collect()
    }

    fn create_session(
        &mut self,
        token_hash: &str,
        user_id: i64,
        now: At,
        expires_at: At,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO sessions (token, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)",
            &[&token_hash, &user_id, &now, &expires_at],
        )?;
        Ok(())
    }

    fn session_user(
        &mut self,
        token_hash: &str,
        now: At,
        idle_since: At,
    ) -> StoreResult<Option<(User, At)>> {
        let Some(r) = self.query_opt(
            "SELECT u.id, u.email, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
            &[&token_hash, &now, &idle_since],
        )?
        else {
            return Ok(None);
        };
        Ok(Some((
            User {
                id: r.try_get("id")?,
                email: r.try_get("email")?,
            },
            r.try_get("last_seen_at")?,
        )))
    }

    fn touch_session(&mut self, token_hash: &str, now: At) -> StoreResult<()> {
        self.execute(
            "UPDATE sessions SET last_seen_at = $2 WHERE token = $1",
            &[&token_hash, &now],
        )?;
        Ok(())
    }

    fn delete_session(&mut self, token_hash: &str) -> StoreResult<()> {
        self.execute("DELETE FROM sessions WHERE token = $1", &[&token_hash])?;
        Ok(())
    }

    fn webhook(&mut self, workspace_id: i64) -> StoreResult<Option<StoredWebhook>> {
        let Some(r) = self.query_opt(
            "SELECT url, secret, created_at FROM webhooks WHERE workspace_id = $1",
            &[&workspace_id],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(StoredWebhook {
            url: r.try_get("url")?,
            secret: r.try_get("secret")?,
            created_at: r.try_get("created_at")?,
        }))
    }

    fn set_webhook(&mut self, workspace_id: i64, hook: &StoredWebhook) -> StoreResult<()> {
        self.execute(
            "INSERT INTO webhooks (workspace_id, url, secret, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id) DO UPDATE SET url = excluded.url, secret = excluded.secret,
                                                      created_at = excluded.created_at",
            &[&workspace_id, &hook.url, &hook.secret, &hook.created_at],
        )?;
        Ok(())
    }

    fn delete_webhook(&mut self, workspace_id: i64) -> StoreResult<()> {
        self.execute(
            "DELETE FROM webhooks WHERE workspace_id = $1",
            &[&workspace_id],
        )?;
        Ok(())
    }

    fn raise_once(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        event_type: &str,
    ) -> StoreResult<bool> {
        let added = self.execute(
            "INSERT INTO alerts_raised (workspace_id, cycle_start, event_type) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&workspace_id, &cycle_start, &event_type],
        )?;
        Ok(added == 1)
    }

    fn billing_managers(&mut self, workspace_id: i64) -> StoreResult<Vec<String>> {
        let rows = self.query(
            "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
              WHERE m.workspace_id = $1 AND m.role IN ('owner', 'admin') ORDER BY u.id",
            &[&workspace_id],
        )?;
        rows.iter().map(|r| Ok(r.try_get("email")?)).collect()
    }

    fn enqueue(&mut self, workspace_id: i64, d: &NewDelivery, now: At) -> StoreResult<()> {
        self.execute(
            "INSERT INTO outbox (workspace_id, event_id, channel, event_type, target, payload, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            &[&workspace_id, &d.event_id, &d.channel, &d.event_type, &d.target, &d.payload, &now],
        )?;
        Ok(())
    }

    fn take_due(&mut self, now: At, lease_until: At, limit: u32) -> StoreResult<Vec<DueDelivery>> {
        // SKIP LOCKED: another server taking deliveries at the same moment takes others.
        let rows = self.query(
            "SELECT o.id, o.event_id, o.channel, o.target, o.payload, o.created_at, w.secret,
                    (SELECT COUNT(*) FROM delivery_attempts a WHERE a.outbox_id = o.id) AS attempts
               FROM outbox o LEFT JOIN webhooks w ON w.workspace_id = o.workspace_id
              WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= $1
              ORDER BY o.next_attempt_at, o.id LIMIT $2
                FOR UPDATE OF o SKIP LOCKED",
            &[&now, &i64::from(limit)],
        )?;
        let due = rows
            .iter()
            .map(|r| {
                Ok(DueDelivery {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_id")?,
                    channel: r.try_get("channel")?,
                    target: r.try_get("target")?,
                    payload: r.try_get("payload")?,
                    created_at: r.try_get("created_at")?,
                    secret: r.try_get("secret")?,
                    attempts: r.try_get::<_, i64>("attempts")? as u32,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        for d in &due {
            self.execute(
                "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1",
                &[&d.id, &lease_until],
            )?;
        }
        Ok(due)
    }

    fn record_attempt(
        &mut self,
        id: i64,
        at: At,
        status: Option<u16>,
        error: Option<&str>,
        next: AfterAttempt,
    ) -> StoreResult<()> {
        let status = status.map(i32::from);
        self.execute(
            "INSERT INTO delivery_attempts (outbox_id, at, status_code, error) VALUES ($1, $2, $3, $4)",
            &[&id, &at, &status, &error],
        )?;
        let (next_at, delivered, gave_up) = match next {
            AfterAttempt::Delivered => (None, Some(at), None),
            AfterAttempt::RetryAt(when) => (Some(when), None, None),
            AfterAttempt::GiveUp => (None, None, Some(at)),
        };
        self.execute(
            "UPDATE outbox SET next_attempt_at = $2, delivered_at = $3, gave_up_at = $4 WHERE id = $1",
            &[&id, &next_at, &delivered, &gave_up],
        )?;
        Ok(())
    }

    fn deliveries(&mut self, workspace_id: i64, limit: u32) -> StoreResult<Vec<Delivery>> {
        let rows = self.query(
            "SELECT id, event_id, channel, event_type, target, created_at, next_attempt_at,
                    delivered_at, gave_up_at
               FROM outbox WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2",
            &[&workspace_id, &i64::from(limit)],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let delivered: Option<At> = r.try_get("delivered_at")?;
            let gave_up: Option<At> = r.try_get("gave_up_at")?;
            let next: Option<At> = r.try_get("next_attempt_at")?;
            let attempts = self
                .query(
                    "SELECT at, status_code, error FROM delivery_attempts WHERE outbox_id = $1 ORDER BY id",
                    &[&id],
                )?
                .iter()
                .map(|a| {
                    Ok(DeliveryAttempt {
                        at: at_text(a.try_get("at")?),
                        status: a.try_get::<_, Option<i32>>("status_code")?.map(|s| s as u16),
                        error: a.try_get("error")?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let state = crate::store::delivery_state(
                delivered.is_some(),
                gave_up.is_some(),
                !attempts.is_empty(),
            );
            out.push(Delivery {
                id: r.try_get("event_id")?,
                event_type: r.try_get("event_type")?,
                channel: r.try_get("channel")?,
                target: r.try_get("target")?,
                created_at: at_text(r.try_get("created_at")?),
                state: state.into(),
                next_attempt_at: if delivered.is_none() && gave_up.is_none() {
                    next.map(at_text)
                } else {
                    None
                },
                attempts,
            });
        }
        Ok(out)
    }

    fn purge_sessions(&mut self, now: At, idle_since: At) -> StoreResult<usize> {
        let n = self.execute(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
            &[&now, &idle_since],
        )?;
        Ok(n as usize)
    }
}

/// Seeds the demo if the database has no workspace yet. Answers whether it
/// did. The same demo as the SQLite store's (see its `seed_demo_if_empty`).
/// Two servers seeding at once: the table lock makes the second find the first's.
pub(super) fn seed_demo_if_empty(client: &mut Client) -> StoreResult<bool> {
    let mut tx = client.transaction()?;
    tx.batch_execute("LOCK TABLE workspaces IN SHARE ROW EXCLUSIVE MODE")?;
    let count: i64 = tx.query_one("SELECT COUNT(*) FROM workspaces", &[])?.get(0);
    if count > 0 {
        return Ok(false);
    }
    tx.batch_execute(
        "INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                                 flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled, flex_cap_cents)
         VALUES ('acme', 'Acme Robotics', 'Growth', 'month', '2025-01-01', 300000, 400, 300, 100000, false, NULL),
                ('globex', 'Globex', 'Enterprise', 'year', '2025-03-01', 3600000, 400, 300, 0, true, 120000)",
    )?;
    for (email, role) in DEMO_USERS {
        let user_id: i64 = tx
            .query_one(
                "INSERT INTO users (email) VALUES ($1) RETURNING id",
                &[&email],
            )?
            .get(0);
        tx.execute(
            "INSERT INTO memberships (workspace_id, user_id, role) SELECT id, $1, $2 FROM workspaces",
            &[&user_id, &role.as_str()],
        )?;
    }
    tx.commit()?;
    Ok(true)
}
