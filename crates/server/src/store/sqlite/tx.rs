//! Every SQL statement of the SQLite store. Amounts are integers here (money in
//! cents, credits in ten-thousandths), so SQL sums stay exact; they cross this
//! boundary as domain types.

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
use rusqlite::{named_params, params, Connection, OptionalExtension, Row};

/// A connection inside an open transaction (begun and ended by the caller).
pub(super) struct SqliteTx<'c>(pub(super) &'c Connection);

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

/// A moment stored by [`at_text`].
fn at_of(text: &str) -> rusqlite::Result<At> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| conversion("moment"))
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
                let seen = at_of(&r.get::<_, String>("last_seen_at")?)?;
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

    fn webhook(&mut self, workspace_id: i64) -> StoreResult<Option<StoredWebhook>> {
        let found = self
            .0
            .prepare_cached("SELECT url, secret, created_at FROM webhooks WHERE workspace_id = ?1")?
            .query_row(params![workspace_id], |r| {
                Ok(StoredWebhook {
                    url: r.get("url")?,
                    secret: r.get("secret")?,
                    created_at: at_of(&r.get::<_, String>("created_at")?)?,
                })
            })
            .optional()?;
        Ok(found)
    }

    fn set_webhook(&mut self, workspace_id: i64, hook: &StoredWebhook) -> StoreResult<()> {
        self.0.execute(
            "INSERT INTO webhooks (workspace_id, url, secret, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (workspace_id) DO UPDATE SET url = excluded.url, secret = excluded.secret,
                                                      created_at = excluded.created_at",
            params![
                workspace_id,
                hook.url,
                hook.secret,
                at_text(hook.created_at)
            ],
        )?;
        Ok(())
    }

    fn delete_webhook(&mut self, workspace_id: i64) -> StoreResult<()> {
        self.0.execute(
            "DELETE FROM webhooks WHERE workspace_id = ?1",
            params![workspace_id],
        )?;
        Ok(())
    }

    fn raise_once(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        event_type: &str,
    ) -> StoreResult<bool> {
        let added = self.0.execute(
            "INSERT OR IGNORE INTO alerts_raised (workspace_id, cycle_start, event_type) VALUES (?1, ?2, ?3)",
            params![workspace_id, cycle_start.to_string(), event_type],
        )?;
        Ok(added == 1)
    }

    fn billing_managers(&mut self, workspace_id: i64) -> StoreResult<Vec<String>> {
        let mut stmt = self.0.prepare(
            "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
              WHERE m.workspace_id = ?1 AND m.role IN ('owner', 'admin') ORDER BY u.id",
        )?;
        let rows = stmt.query_map(params![workspace_id], |r| r.get("email"))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn enqueue(&mut self, workspace_id: i64, d: &NewDelivery, now: At) -> StoreResult<()> {
        self.0.execute(
            "INSERT INTO outbox (workspace_id, event_id, channel, event_type, target, payload, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![workspace_id, d.event_id, d.channel, d.event_type, d.target, d.payload, at_text(now)],
        )?;
        Ok(())
    }

    fn take_due(&mut self, now: At, lease_until: At, limit: u32) -> StoreResult<Vec<DueDelivery>> {
        let due = {
            let mut stmt = self.0.prepare_cached(
                "SELECT o.id, o.event_id, o.channel, o.target, o.payload, o.created_at, w.secret,
                        (SELECT COUNT(*) FROM delivery_attempts a WHERE a.outbox_id = o.id) AS attempts
                   FROM outbox o LEFT JOIN webhooks w ON w.workspace_id = o.workspace_id
                  WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= ?1
                  ORDER BY o.next_attempt_at, o.id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![at_text(now), limit], |r| {
                Ok(DueDelivery {
                    id: r.get("id")?,
                    event_id: r.get("event_id")?,
                    channel: r.get("channel")?,
                    target: r.get("target")?,
                    payload: r.get("payload")?,
                    created_at: at_of(&r.get::<_, String>("created_at")?)?,
                    secret: r.get("secret")?,
                    attempts: r.get("attempts")?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        for d in &due {
            self.0
                .prepare_cached("UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1")?
                .execute(params![d.id, at_text(lease_until)])?;
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
        self.0.execute(
            "INSERT INTO delivery_attempts (outbox_id, at, status_code, error) VALUES (?1, ?2, ?3, ?4)",
            params![id, at_text(at), status, error],
        )?;
        let (next_at, delivered, gave_up) = match next {
            AfterAttempt::Delivered => (None, Some(at_text(at)), None),
            AfterAttempt::RetryAt(when) => (Some(at_text(when)), None, None),
            AfterAttempt::GiveUp => (None, None, Some(at_text(at))),
        };
        self.0.execute(
            "UPDATE outbox SET next_attempt_at = ?2, delivered_at = ?3, gave_up_at = ?4 WHERE id = ?1",
            params![id, next_at, delivered, gave_up],
        )?;
        Ok(())
    }

    fn deliveries(&mut self, workspace_id: i64, limit: u32) -> StoreResult<Vec<Delivery>> {
        let mut out: Vec<(i64, Delivery, bool, bool)> = {
            let mut stmt = self.0.prepare_cached(
                "SELECT id, event_id, channel, event_type, target, created_at, next_attempt_at,
                        delivered_at, gave_up_at
                   FROM outbox WHERE workspace_id = ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![workspace_id, limit], |r| {
                let delivered: Option<String> = r.get("delivered_at")?;
                let gave_up: Option<String> = r.get("gave_up_at")?;
                let next: Option<String> = r.get("next_attempt_at")?;
                Ok((
                    r.get::<_, i64>("id")?,
                    Delivery {
                        id: r.get("event_id")?,
                        event_type: r.get("event_type")?,
                        channel: r.get("channel")?,
                        target: r.get("target")?,
                        created_at: r.get("created_at")?,
                        state: String::new(),
                        next_attempt_at: if delivered.is_none() && gave_up.is_none() {
                            next
                        } else {
                            None
                        },
                        attempts: Vec::new(),
                    },
                    delivered.is_some(),
                    gave_up.is_some(),
                ))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut stmt = self.0.prepare_cached(
            "SELECT at, status_code, error FROM delivery_attempts WHERE outbox_id = ?1 ORDER BY id",
        )?;
        for (id, d, delivered, gave_up) in &mut out {
            let rows = stmt.query_map(params![*id], |r| {
                Ok(DeliveryAttempt {
                    at: r.get("at")?,
                    status: r.get("status_code")?,
                    error: r.get("error")?,
                })
            })?;
            d.attempts = rows.collect::<rusqlite::Result<_>>()?;
            d.state =
                crate::store::delivery_state(*delivered, *gave_up, !d.attempts.is_empty()).into();
        }
        Ok(out.into_iter().map(|(_, d, _, _)| d).collect())
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
