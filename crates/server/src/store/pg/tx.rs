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

use crate::store::mapping::{self, Columns};
use crate::store::SignIn;
use crate::store::{
    e4, roles_sql, AfterAttempt, At, Attempt, AuditLine, CycleTotals, DueDelivery, Grant,
    MeteringReads, NewDelivery, NewStatement, NewUsage, NewWorkspace, StoreError, StoreResult,
    StoredWebhook, Tx, UsageLine, UsageSums, UserRow, WorkspaceRow,
};
use billing_domain::{
    ActivityEntry, Credits, DaySpend, Delivery, EventType, FeatureUsage, FlexSettings,
    FlexSnapshot, Money, Plan, Role, WorkspaceLink,
};
use chrono::NaiveDate;
use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};
use std::collections::HashMap;
use std::sync::LazyLock;

/// A workspace's deliveries of one type that wait: not delivered or given up,
/// and not being attempted (leased until after `$3`).
macro_rules! waiting_pg {
    () => {
        "SELECT id FROM outbox
          WHERE workspace_id = $1 AND event_type = $2 AND next_attempt_at IS NOT NULL
            AND (lease_token IS NULL OR next_attempt_at <= $3)"
    };
}

/// The deliveries due at `$1`, at most `$2`: each workspace's oldest, none
/// from a workspace with one being attempted, oldest first. Locked, skipping
/// what another server is taking.
const TAKE_DUE: &str = "
    SELECT o.id, o.event_id, o.channel, o.target, o.payload, o.created_at, o.to_platform, w.secret,
           (SELECT COUNT(*) FROM delivery_attempts a WHERE a.outbox_id = o.id) AS attempts
      FROM outbox o LEFT JOIN webhooks w ON w.workspace_id = o.workspace_id
     WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= $1
       AND o.id = (SELECT f.id FROM outbox f
                    WHERE f.workspace_id = o.workspace_id
                      AND f.next_attempt_at IS NOT NULL AND f.next_attempt_at <= $1
                    ORDER BY f.next_attempt_at, f.id LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM outbox b
                        WHERE b.workspace_id = o.workspace_id
                          AND b.lease_token IS NOT NULL AND b.next_attempt_at > $1)
     ORDER BY o.next_attempt_at, o.id LIMIT $2
       FOR UPDATE OF o SKIP LOCKED";

/// An open transaction and its connection's prepared statements.
pub(super) struct PgTx<'c> {
    pub(super) tx: Transaction<'c>,
    pub(super) statements: &'c mut HashMap<&'static str, Statement>,
    /// A write: workspace reads lock the row.
    pub(super) write: bool,
}

/// The columns every workspace read takes, for [`mapping::workspace`].
macro_rules! workspace_select {
    ($($rest:literal),*) => {
        concat!(
            "SELECT w.id, w.slug, w.name, w.plan_name, w.plan_interval, w.plan_anchor, w.included_e4,
                    w.flex_rate_cents, w.prepaid_rate_cents, w.prepaid_e4, w.flex_enabled,
                    w.flex_cap_cents, w.flex_version, w.open_cycle_start, w.open_cycle_end,
                    w.alert_thresholds",
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

/// The people e-mailed a workspace's alerts: those who may manage its billing.
static BILLING_MANAGERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.workspace_id = $1 AND m.role IN {} ORDER BY u.id",
        roles_sql(Role::can_manage_billing)
    )
});

/// Held by a write transaction that counts workspaces until it ends, so that
/// two servers seeding an empty database at once seed it once (any 64-bit
/// number of our own).
const WORKSPACE_COUNT_LOCK: i64 = 0x6269_6c6c_7365_6564; // "billseed"

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

    /// Every row `sql` answers, each read by `map`.
    fn all<T>(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        map: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.query(sql, params)?.iter().map(|r| map(r)).collect()
    }

    /// The row `sql` answers, if any, read by `map`.
    fn first<T>(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        map: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let s = self.statement(sql)?;
        self.tx
            .query_opt(&s, params)?
            .as_ref()
            .map(|r| map(r))
            .transpose()
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
        self.first(sql, &[&slug, &user_id], |r| {
            Ok((mapping::workspace(r)?, mapping::role(r)?))
        })
    }

    fn workspace_by_slug(&mut self, slug: &str) -> StoreResult<Option<WorkspaceRow>> {
        let sql = if self.write {
            WORKSPACE_LOCKED
        } else {
            WORKSPACE
        };
        self.first(sql, &[&slug], mapping::workspace)
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
            |v: &FlexSnapshot| serde_json::to_value(v).map_err(|e| StoreError::new(e.to_string()));
        self.execute(
            "INSERT INTO audit_log (workspace_id, user_id, action, at, old_value, new_value, credits_e4)
             VALUES ($1, $2, $3, now(), $4, $5, $6)",
            &[
                &workspace_id,
                &user_id,
                &line.action.as_str(),
                &json(&line.old)?,
                &json(&line.new)?,
                &line.credits.map(e4).transpose()?,
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
        self.all(
            "SELECT a.id, a.at, u.email, a.action, a.old_value, a.new_value, a.credits_e4
               FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
              WHERE a.workspace_id = $1 AND a.id < $2
              ORDER BY a.id DESC LIMIT $3",
            &[
                &workspace_id,
                &before.unwrap_or(i64::MAX),
                &i64::from(limit),
            ],
            mapping::activity_entry,
        )
    }

    fn cycle_totals(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
    ) -> StoreResult<CycleTotals> {
        let totals = self.first(
            "SELECT included_e4, prepaid_e4, flex_e4, flex_cost_cents, blocked_version
               FROM cycle_totals WHERE workspace_id = $1 AND cycle_start = $2",
            &[&workspace_id, &cycle_start],
            mapping::cycle_totals,
        )?;
        Ok(totals.unwrap_or_default())
    }

    fn metering_reads(
        &mut self,
        cycles: &[(i64, NaiveDate)],
        keys: &[(i64, &str)],
    ) -> StoreResult<MeteringReads> {
        let ids: Vec<i64> = cycles.iter().map(|c| c.0).collect();
        let starts: Vec<NaiveDate> = cycles.iter().map(|c| c.1).collect();
        let key_ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let names: Vec<&str> = keys.iter().map(|k| k.1).collect();
        // One round trip while the locks are held: the totals (part 0) and the
        // records under the keys (part 1), each by an index lookup (LATERAL,
        // with LIMIT so that it is not pulled up into a join that would hash
        // the whole table instead).
        let rows = self.query(
            "SELECT 0 AS part, t.workspace_id, t.cycle_start, NULL::text AS idempotency_key,
                    t.included_e4, t.prepaid_e4, t.flex_e4, t.flex_cost_cents, t.blocked_version,
                    NULL::bigint AS credits_e4, NULL::text AS feature
               FROM unnest($1::bigint[], $2::date[]) AS u(w, cs)
               CROSS JOIN LATERAL (
                   SELECT * FROM cycle_totals x WHERE x.workspace_id = u.w AND x.cycle_start = u.cs
                   LIMIT 1
               ) t
             UNION ALL
             SELECT 1, e.workspace_id, NULL, e.idempotency_key,
                    e.included_e4, e.prepaid_e4, e.flex_e4, e.flex_cost_cents, NULL,
                    e.credits_e4, e.feature
               FROM unnest($3::bigint[], $4::text[]) AS u(w, k)
               CROSS JOIN LATERAL (
                   SELECT * FROM usage_events x WHERE x.workspace_id = u.w AND x.idempotency_key = u.k
                   LIMIT 1
               ) e",
            &[&ids, &starts, &key_ids, &names],
        )?;
        let mut totals = HashMap::new();
        let mut stored = HashMap::new();
        for r in &rows {
            let workspace_id: i64 = r.try_get("workspace_id")?;
            if r.try_get::<_, i32>("part")? == 0 {
                let start: NaiveDate = r.try_get("cycle_start")?;
                totals.insert((workspace_id, start), mapping::cycle_totals(r)?);
            } else {
                let key: String = r.try_get("idempotency_key")?;
                stored.insert((workspace_id, key), mapping::stored_usage(r)?);
            }
        }
        Ok(MeteringReads {
            totals: cycles
                .iter()
                .map(|c| totals.get(c).copied().unwrap_or_default())
                .collect(),
            stored,
        })
    }

    fn lock_workspaces(&mut self, slugs: &[&str]) -> StoreResult<Vec<WorkspaceRow>> {
        // Locked as the rows come out of the sort: in id order, on every server.
        let sql = if self.write {
            workspace_select!(" FROM workspaces w WHERE w.slug = ANY($1) ORDER BY w.id FOR UPDATE")
        } else {
            workspace_select!(" FROM workspaces w WHERE w.slug = ANY($1) ORDER BY w.id")
        };
        self.all(sql, &[&slugs], mapping::workspace)
    }

    fn insert_usages(&mut self, today: NaiveDate, at: At, records: &[NewUsage]) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let ints = |f: &dyn Fn(&NewUsage) -> StoreResult<i64>| -> StoreResult<Vec<i64>> {
            records.iter().map(f).collect()
        };
        let ids = ints(&|r| Ok(r.workspace_id))?;
        let keys: Vec<&str> = records
            .iter()
            .map(|r| r.usage.idempotency_key.as_str())
            .collect();
        let starts: Vec<NaiveDate> = records.iter().map(|r| r.cycle_start).collect();
        let credits = ints(&|r| e4(r.usage.credits))?;
        let included = ints(&|r| e4(r.draw.included))?;
        let prepaid = ints(&|r| e4(r.draw.prepaid))?;
        let flex = ints(&|r| e4(r.draw.flex))?;
        let costs = ints(&|r| Ok(r.draw.flex_cost.cents()))?;
        let features: Vec<&str> = records.iter().map(|r| r.usage.feature.as_str()).collect();
        let sums = UsageSums::of(records);
        let f_ids: Vec<i64> = sums.features.iter().map(|f| f.0).collect();
        let f_starts: Vec<NaiveDate> = sums.features.iter().map(|f| f.1).collect();
        let f_names: Vec<&str> = sums.features.iter().map(|f| f.2.feature.as_str()).collect();
        let f_credits = sums
            .features
            .iter()
            .map(|f| e4(f.2.credits))
            .collect::<StoreResult<Vec<_>>>()?;
        let f_flex = sums
            .features
            .iter()
            .map(|f| e4(f.2.flex))
            .collect::<StoreResult<Vec<_>>>()?;
        let f_costs: Vec<i64> = sums
            .features
            .iter()
            .map(|f| f.2.flex_cost.cents())
            .collect();
        let c_ids: Vec<i64> = sums.cycles.iter().map(|c| c.0).collect();
        let c_starts: Vec<NaiveDate> = sums.cycles.iter().map(|c| c.1).collect();
        let c_included = sums
            .cycles
            .iter()
            .map(|c| e4(c.2.included))
            .collect::<StoreResult<Vec<_>>>()?;
        let c_prepaid = sums
            .cycles
            .iter()
            .map(|c| e4(c.2.prepaid))
            .collect::<StoreResult<Vec<_>>>()?;
        let c_flex = sums
            .cycles
            .iter()
            .map(|c| e4(c.2.flex))
            .collect::<StoreResult<Vec<_>>>()?;
        let c_costs: Vec<i64> = sums.cycles.iter().map(|c| c.2.flex_cost.cents()).collect();
        // One statement, one round trip for the whole group, while its
        // workspaces' rows are locked: the records, the cycles' running
        // totals and their features', the prepaid balances and the day's
        // flex spend (one cycle a workspace in a group).
        self.execute(
            "WITH record AS (
                 INSERT INTO usage_events (workspace_id, idempotency_key, cycle_start, credits_e4, included_e4,
                                           prepaid_e4, flex_e4, flex_cost_cents, recorded_at, feature)
                 SELECT w, k, cs, c, i, p, f, m, $1, ft
                   FROM unnest($2::bigint[], $3::text[], $4::date[], $5::bigint[], $6::bigint[],
                               $7::bigint[], $8::bigint[], $9::bigint[], $10::text[])
                        AS u(w, k, cs, c, i, p, f, m, ft)
             ), by_feature AS (
                 INSERT INTO feature_totals AS t (workspace_id, cycle_start, feature, credits_e4, flex_e4, flex_cost_cents)
                 SELECT w, cs, ft, c, fl, m
                   FROM unnest($11::bigint[], $12::date[], $13::text[], $14::bigint[], $15::bigint[],
                               $16::bigint[]) AS u(w, cs, ft, c, fl, m)
                 ON CONFLICT (workspace_id, cycle_start, feature) DO UPDATE SET
                    credits_e4 = t.credits_e4 + excluded.credits_e4,
                    flex_e4 = t.flex_e4 + excluded.flex_e4,
                    flex_cost_cents = t.flex_cost_cents + excluded.flex_cost_cents
             ), totals AS (
                 INSERT INTO cycle_totals AS t (workspace_id, cycle_start, included_e4, prepaid_e4, flex_e4, flex_cost_cents)
                 SELECT w, cs, i, p, f, m
                   FROM unnest($17::bigint[], $18::date[], $19::bigint[], $20::bigint[], $21::bigint[],
                               $22::bigint[]) AS u(w, cs, i, p, f, m)
                 ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET
                    included_e4 = t.included_e4 + excluded.included_e4,
                    prepaid_e4 = t.prepaid_e4 + excluded.prepaid_e4,
                    flex_e4 = t.flex_e4 + excluded.flex_e4,
                    flex_cost_cents = t.flex_cost_cents + excluded.flex_cost_cents
             ), balance AS (
                 UPDATE workspaces ws SET prepaid_e4 = ws.prepaid_e4 - u.p
                   FROM unnest($17::bigint[], $20::bigint[]) AS u(w, p)
                  WHERE ws.id = u.w AND u.p <> 0
             ), day AS (
                 INSERT INTO daily_flex AS d (workspace_id, day, flex_cost_cents)
                 SELECT w, $23, m FROM unnest($17::bigint[], $22::bigint[]) AS u(w, m) WHERE m > 0
                 ON CONFLICT (workspace_id, day) DO UPDATE SET
                    flex_cost_cents = d.flex_cost_cents + excluded.flex_cost_cents
             )
             SELECT 1",
            &[
                &at,
                &ids,
                &keys,
                &starts,
                &credits,
                &included,
                &prepaid,
                &flex,
                &costs,
                &features,
                &f_ids,
                &f_starts,
                &f_names,
                &f_credits,
                &f_flex,
                &f_costs,
                &c_ids,
                &c_starts,
                &c_included,
                &c_prepaid,
                &c_flex,
                &c_costs,
                &today,
            ],
        )?;
        Ok(())
    }

    fn feature_totals(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
    ) -> StoreResult<Vec<FeatureUsage>> {
        self.all(
            "SELECT feature, credits_e4, flex_e4, flex_cost_cents FROM feature_totals
              WHERE workspace_id = $1 AND cycle_start = $2",
            &[&workspace_id, &cycle_start],
            mapping::feature_usage,
        )
    }

    fn flex_by_day(&mut self, workspace_id: i64, from: NaiveDate) -> StoreResult<Vec<DaySpend>> {
        self.all(
            "SELECT day, flex_cost_cents FROM daily_flex
              WHERE workspace_id = $1 AND day >= $2 AND flex_cost_cents > 0 ORDER BY day",
            &[&workspace_id, &from],
            mapping::day_spend,
        )
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
        self.all("SELECT email FROM users ORDER BY id", &[], mapping::email)
    }

    fn user_by_email(&mut self, email: &str) -> StoreResult<Option<UserRow>> {
        self.first(
            "SELECT id, email FROM users WHERE email = $1",
            &[&email],
            mapping::user,
        )
    }

    fn workspaces_of(&mut self, user_id: i64) -> StoreResult<Vec<WorkspaceLink>> {
        self.all(
            "SELECT w.slug, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
              WHERE m.user_id = $1 ORDER BY w.id",
            &[&user_id],
            mapping::workspace_link,
        )
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
    ) -> StoreResult<Option<(UserRow, At)>> {
        self.first(
            "SELECT u.id, u.email, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
            &[&token_hash, &now, &idle_since],
            |r| Ok((mapping::user(r)?, r.moment("last_seen_at")?)),
        )
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

    fn set_session_id_token(&mut self, token_hash: &str, id_token: &str) -> StoreResult<()> {
        self.execute(
            "UPDATE sessions SET id_token = $2 WHERE token = $1",
            &[&token_hash, &id_token],
        )?;
        Ok(())
    }

    fn session_id_token(&mut self, token_hash: &str) -> StoreResult<Option<String>> {
        Ok(self
            .first(
                "SELECT id_token FROM sessions WHERE token = $1",
                &[&token_hash],
                |r| r.opt_text("id_token"),
            )?
            .flatten())
    }

    fn insert_sign_in(&mut self, s: &SignIn) -> StoreResult<()> {
        self.execute("DELETE FROM sign_ins WHERE expires_at <= now()", &[])?;
        self.execute(
            "INSERT INTO sign_ins (id, state, nonce, verifier, next, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&s.id_hash, &s.state, &s.nonce, &s.verifier, &s.next, &s.expires_at],
        )?;
        Ok(())
    }

    fn take_sign_in(&mut self, id_hash: &str, now: At) -> StoreResult<Option<SignIn>> {
        let found = self.first(
            "DELETE FROM sign_ins WHERE id = $1 RETURNING id, state, nonce, verifier, next, expires_at",
            &[&id_hash],
            mapping::sign_in,
        )?;
        Ok(found.filter(|s| s.expires_at > now))
    }

    fn purge_sessions(&mut self, now: At, idle_since: At) -> StoreResult<usize> {
        let n = self.execute(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
            &[&now, &idle_since],
        )?;
        Ok(n as usize)
    }

    fn webhook(&mut self, workspace_id: i64) -> StoreResult<Option<StoredWebhook>> {
        self.first(
            "SELECT url, secret, created_at FROM webhooks WHERE workspace_id = $1",
            &[&workspace_id],
            mapping::webhook,
        )
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
        key: &str,
        cap: Money,
    ) -> StoreResult<bool> {
        let added = self.execute(
            "INSERT INTO alerts_raised (workspace_id, cycle_start, event_type, cap_cents)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&workspace_id, &cycle_start, &key, &cap.cents()],
        )?;
        Ok(added == 1)
    }

    fn billing_managers(&mut self, workspace_id: i64) -> StoreResult<Vec<String>> {
        let sql: &'static str = &BILLING_MANAGERS;
        self.all(sql, &[&workspace_id], mapping::email)
    }

    fn enqueue(&mut self, workspace_id: i64, d: &NewDelivery, now: At) -> StoreResult<()> {
        self.execute(
            "INSERT INTO outbox (workspace_id, event_id, channel, event_type, target, payload, created_at,
                                 next_attempt_at, to_platform)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
            &[
                &workspace_id,
                &d.event_id,
                &d.channel.as_str(),
                &d.event_type.as_str(),
                &d.target,
                &d.payload,
                &now,
                &d.to_platform,
            ],
        )?;
        Ok(())
    }

    fn member_role(&mut self, workspace_id: i64, user_id: i64) -> StoreResult<Option<Role>> {
        self.first(
            "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2",
            &[&workspace_id, &user_id],
            mapping::role,
        )
    }

    fn set_role(&mut self, workspace_id: i64, user_id: i64, role: Role) -> StoreResult<()> {
        self.execute(
            "UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2",
            &[&workspace_id, &user_id, &role.as_str()],
        )?;
        Ok(())
    }

    fn remove_member(&mut self, workspace_id: i64, user_id: i64) -> StoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2",
            &[&workspace_id, &user_id],
        )?;
        Ok(removed > 0)
    }

    fn update_workspace(&mut self, workspace_id: i64, name: &str, plan: &Plan) -> StoreResult<()> {
        self.execute(
            "UPDATE workspaces SET name = $2, plan_name = $3, plan_interval = $4, plan_anchor = $5,
                    included_e4 = $6, flex_rate_cents = $7, prepaid_rate_cents = $8
              WHERE id = $1",
            &[
                &workspace_id,
                &name,
                &plan.name,
                &plan.interval.noun(),
                &plan.anchor,
                &e4(plan.included)?,
                &plan.flex_rate.cents(),
                &plan.prepaid_rate.cents(),
            ],
        )?;
        Ok(())
    }

    fn grant_prepaid(
        &mut self,
        workspace_id: i64,
        key: &str,
        credits: Credits,
        at: At,
    ) -> StoreResult<Grant> {
        let amount = e4(credits)?;
        let before = self.first(
            "SELECT credits_e4 FROM prepaid_grants WHERE workspace_id = $1 AND idempotency_key = $2",
            &[&workspace_id, &key],
            |r| r.int("credits_e4"),
        )?;
        match before {
            Some(n) if n == amount => return Ok(Grant::Replayed),
            Some(_) => return Ok(Grant::Conflict),
            None => {}
        }
        self.execute(
            "INSERT INTO prepaid_grants (workspace_id, idempotency_key, credits_e4, at) VALUES ($1, $2, $3, $4)",
            &[&workspace_id, &key, &amount, &at],
        )?;
        self.execute(
            "UPDATE workspaces SET prepaid_e4 = prepaid_e4 + $2 WHERE id = $1",
            &[&workspace_id, &amount],
        )?;
        Ok(Grant::Added)
    }

    fn supersede_pending(
        &mut self,
        workspace_id: i64,
        event_type: EventType,
        now: At,
    ) -> StoreResult<usize> {
        let args: [&(dyn ToSql + Sync); 3] = [&workspace_id, &event_type.as_str(), &now];
        self.execute(
            concat!(
                "DELETE FROM delivery_attempts WHERE outbox_id IN (",
                waiting_pg!(),
                ")"
            ),
            &args,
        )?;
        self.execute(
            concat!("DELETE FROM outbox WHERE id IN (", waiting_pg!(), ")"),
            &args,
        )
        .map(|n| n as usize)
    }

    fn take_due(
        &mut self,
        now: At,
        lease_until: At,
        token: &str,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        // SKIP LOCKED: another server taking deliveries at the same moment
        // takes others (and none of a workspace whose oldest it is taking).
        let due = self.all(TAKE_DUE, &[&now, &i64::from(limit)], mapping::due_delivery)?;
        for d in &due {
            self.execute(
                "UPDATE outbox SET next_attempt_at = $2, lease_token = $3 WHERE id = $1",
                &[&d.id, &lease_until, &token],
            )?;
        }
        Ok(due)
    }

    fn record_attempt(
        &mut self,
        id: i64,
        token: &str,
        attempt: &Attempt,
        next: AfterAttempt,
    ) -> StoreResult<bool> {
        let at = attempt.at;
        let (next_at, delivered, gave_up) = match next {
            AfterAttempt::Delivered => (None, Some(at), None),
            AfterAttempt::RetryAt(when) => (Some(when), None, None),
            AfterAttempt::GiveUp => (None, None, Some(at)),
        };
        let ours = self.execute(
            "UPDATE outbox SET next_attempt_at = $3, delivered_at = $4, gave_up_at = $5, lease_token = NULL
              WHERE id = $1 AND lease_token = $2",
            &[&id, &token, &next_at, &delivered, &gave_up],
        )?;
        if ours == 0 {
            return Ok(false);
        }
        let status = attempt.status.map(i32::from);
        self.execute(
            "INSERT INTO delivery_attempts (outbox_id, at, status_code, error) VALUES ($1, $2, $3, $4)",
            &[&id, &at, &status, &attempt.error],
        )?;
        Ok(true)
    }

    fn outbox_stats(&mut self) -> StoreResult<(i64, Option<At>)> {
        Ok(self
            .first(
                "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE next_attempt_at IS NOT NULL",
                &[],
                |r| Ok((r.int("n")?, r.opt_moment("oldest")?)),
            )?
            .unwrap_or((0, None)))
    }

    fn mark_ready(&mut self, now: At) -> StoreResult<()> {
        let now = now.to_rfc3339();
        self.execute("UPDATE readiness SET checked_at = $1 WHERE id = 1", &[&now])?;
        Ok(())
    }

    fn purge_deliveries(&mut self, before: At) -> StoreResult<usize> {
        self.execute(
            "DELETE FROM delivery_attempts WHERE outbox_id IN
               (SELECT id FROM outbox WHERE next_attempt_at IS NULL AND created_at < $1)",
            &[&before],
        )?;
        self.execute(
            "DELETE FROM outbox WHERE next_attempt_at IS NULL AND created_at < $1",
            &[&before],
        )
        .map(|n| n as usize)
    }

    fn deliveries(&mut self, workspace_id: i64, limit: u32) -> StoreResult<Vec<Delivery>> {
        let outbox = self.all(
            "SELECT id, event_id, channel, event_type, target, created_at, next_attempt_at,
                    delivered_at, gave_up_at
               FROM outbox WHERE workspace_id = $1 AND NOT to_platform ORDER BY id DESC LIMIT $2",
            &[&workspace_id, &i64::from(limit)],
            mapping::outbox_row,
        )?;
        outbox
            .into_iter()
            .map(|row| {
                let attempts = self.all(
                    "SELECT at, status_code, error FROM delivery_attempts WHERE outbox_id = $1 ORDER BY id",
                    &[&row.id],
                    mapping::delivery_attempt,
                )?;
                Ok(row.with_attempts(attempts))
            })
            .collect()
    }

    fn workspace_count(&mut self) -> StoreResult<i64> {
        if self.write {
            // Its own statement, before the count: under READ COMMITTED the
            // count's snapshot is taken once the lock is ours, so it sees what
            // a writer who held it before committed.
            self.execute("SELECT pg_advisory_xact_lock($1)", &[&WORKSPACE_COUNT_LOCK])?;
        }
        self.first("SELECT COUNT(*) AS n FROM workspaces", &[], |r| r.int("n"))
            .map(|n| n.unwrap_or(0))
    }

    fn insert_workspace(&mut self, w: &NewWorkspace) -> StoreResult<i64> {
        self.first(
            "INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                                     flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled, flex_cap_cents)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            &[
                &w.slug,
                &w.name,
                &w.plan_name,
                &w.interval.noun(),
                &w.anchor,
                &e4(w.included)?,
                &w.flex_rate.cents(),
                &w.prepaid_rate.cents(),
                &e4(w.prepaid_balance)?,
                &w.flex.enabled,
                &w.flex.cap.map(Money::cents),
            ],
            |r| r.int("id"),
        )?
        .ok_or_else(|| StoreError::new("the new workspace has no id"))
    }

    fn insert_user(&mut self, email: &str) -> StoreResult<i64> {
        self.first(
            "INSERT INTO users (email) VALUES ($1) RETURNING id",
            &[&email],
            |r| r.int("id"),
        )?
        .ok_or_else(|| StoreError::new("the new person has no id"))
    }

    fn add_member(&mut self, workspace_id: i64, user_id: i64, role: Role) -> StoreResult<()> {
        self.execute(
            "INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3)",
            &[&workspace_id, &user_id, &role.as_str()],
        )?;
        Ok(())
    }

    fn set_alert_thresholds(&mut self, workspace_id: i64, thresholds: &[u8]) -> StoreResult<()> {
        self.execute(
            "UPDATE workspaces SET alert_thresholds = $2 WHERE id = $1",
            &[&workspace_id, &mapping::thresholds_json(thresholds)],
        )?;
        Ok(())
    }

    fn set_open_cycle(
        &mut self,
        workspace_id: i64,
        cycle: billing_domain::BillingCycle,
    ) -> StoreResult<()> {
        self.execute(
            "UPDATE workspaces SET open_cycle_start = $2, open_cycle_end = $3 WHERE id = $1",
            &[&workspace_id, &cycle.start, &cycle.end],
        )?;
        Ok(())
    }

    fn cycles_to_close(&mut self, today: NaiveDate, limit: u32) -> StoreResult<Vec<String>> {
        self.all(
            "SELECT slug FROM workspaces WHERE open_cycle_end IS NULL OR open_cycle_end <= $1
              ORDER BY id LIMIT $2",
            &[&today, &i64::from(limit)],
            |r| r.text("slug"),
        )
    }

    fn insert_statement(
        &mut self,
        workspace_id: i64,
        s: &NewStatement,
    ) -> StoreResult<Option<i64>> {
        // One closing at a time, so a cursor reading by id never passes a
        // statement that commits later with a smaller id.
        self.execute("LOCK TABLE statements IN SHARE ROW EXCLUSIVE MODE", &[])?;
        let by_feature =
            serde_json::to_string(&s.by_feature).map_err(|e| StoreError::new(e.to_string()))?;
        self.first(
            "INSERT INTO statements (workspace_id, cycle_start, cycle_end, included_e4, prepaid_e4,
                                     flex_e4, flex_cost_cents, cap_cents, by_feature, closed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (workspace_id, cycle_start) DO NOTHING RETURNING id",
            &[
                &workspace_id,
                &s.cycle.start,
                &s.cycle.end,
                &e4(s.included)?,
                &e4(s.prepaid)?,
                &e4(s.flex)?,
                &s.flex_cost.cents(),
                &s.cap.map(Money::cents),
                &by_feature,
                &s.closed_at,
            ],
            |r| r.int("id"),
        )
    }

    fn statements(
        &mut self,
        workspace_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<billing_domain::Statement>> {
        self.all(
            "SELECT s.*, w.slug FROM statements s JOIN workspaces w ON w.id = s.workspace_id
              WHERE s.workspace_id = $1 AND s.id < $2 ORDER BY s.id DESC LIMIT $3",
            &[
                &workspace_id,
                &before.unwrap_or(i64::MAX),
                &i64::from(limit),
            ],
            mapping::statement,
        )
    }

    fn usage_lines(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<UsageLine>> {
        self.all(
            "SELECT id, recorded_at, idempotency_key, feature, credits_e4, included_e4, prepaid_e4,
                    flex_e4, flex_cost_cents
               FROM usage_events WHERE workspace_id = $1 AND cycle_start = $2 AND id > $3
              ORDER BY id LIMIT $4",
            &[&workspace_id, &cycle_start, &after, &i64::from(limit)],
            mapping::usage_line,
        )
    }

    fn statements_after(
        &mut self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<billing_domain::Statement>> {
        self.all(
            "SELECT s.*, w.slug FROM statements s JOIN workspaces w ON w.id = s.workspace_id
              WHERE s.id > $1 ORDER BY s.id LIMIT $2",
            &[&after, &i64::from(limit)],
            mapping::statement,
        )
    }
}
