//! Every SQL statement of the SQLite store. Amounts are integers here (money in
//! cents, credits in ten-thousandths), so SQL sums stay exact; they cross this
//! boundary as domain types. Rows become them in [`crate::store::mapping`].
//!
//! Moments are stored as fixed-width RFC 3339 in UTC ([`at_text`]), so text
//! order is time order.

use crate::store::mapping::{self, Columns};
use crate::store::SignIn;
use crate::store::{
    at_text, e4, roles_sql, AfterAttempt, At, Attempt, AuditLine, CycleTotals, DueDelivery, Grant,
    MeteringReads, NewDelivery, NewStatement, NewUsage, NewWorkspace, StoreError, StoreResult,
    StoredWebhook, Tx, UsageLine, UsageSums, UserRow, WorkspaceRow,
};
use billing_domain::{
    ActivityEntry, Credits, DaySpend, Delivery, EventType, FeatureUsage, FlexSettings,
    FlexSnapshot, Money, Plan, Role, WorkspaceLink,
};
use chrono::NaiveDate;
use rusqlite::{named_params, params, Connection, Params};
use std::collections::HashMap;
use std::sync::LazyLock;

/// A connection inside an open transaction (begun and ended by the caller).
pub(super) struct SqliteTx<'c>(pub(super) &'c Connection);

/// The columns every workspace read takes, for [`mapping::workspace`].
macro_rules! workspace_columns {
    () => {
        "w.id, w.slug, w.name, w.plan_name, w.plan_interval, w.plan_anchor, w.included_e4,
         w.flex_rate_cents, w.prepaid_rate_cents, w.prepaid_e4, w.flex_enabled, w.flex_cap_cents,
         w.flex_version, w.open_cycle_start, w.open_cycle_end, w.alert_thresholds"
    };
}

/// The people e-mailed a workspace's alerts: those who may manage its billing.
static BILLING_MANAGERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.workspace_id = ?1 AND m.role IN {} ORDER BY u.id",
        roles_sql(Role::can_manage_billing)
    )
});

/// A workspace's deliveries of one type that wait: not delivered or given up,
/// and not being attempted (leased until after `?3`).
macro_rules! waiting_sqlite {
    () => {
        "SELECT id FROM outbox
          WHERE workspace_id = ?1 AND event_type = ?2 AND next_attempt_at IS NOT NULL
            AND (lease_token IS NULL OR next_attempt_at <= ?3)"
    };
}

/// The deliveries due at `?1`, at most `?2`: each workspace's oldest, none
/// from a workspace with one being attempted, oldest first.
const TAKE_DUE: &str = "
    SELECT o.id, o.event_id, o.channel, o.target, o.payload, o.created_at, o.to_platform, w.secret,
           (SELECT COUNT(*) FROM delivery_attempts a WHERE a.outbox_id = o.id) AS attempts
      FROM outbox o LEFT JOIN webhooks w ON w.workspace_id = o.workspace_id
     WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= ?1
       AND o.id = (SELECT f.id FROM outbox f
                    WHERE f.workspace_id = o.workspace_id
                      AND f.next_attempt_at IS NOT NULL AND f.next_attempt_at <= ?1
                    ORDER BY f.next_attempt_at, f.id LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM outbox b
                        WHERE b.workspace_id = o.workspace_id
                          AND b.lease_token IS NOT NULL AND b.next_attempt_at > ?1)
     ORDER BY o.next_attempt_at, o.id LIMIT ?2";

fn now_text() -> String {
    at_text(chrono::Utc::now())
}

impl SqliteTx<'_> {
    /// Every row `sql` answers, each read by `map`.
    fn all<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(map(r)?);
        }
        Ok(out)
    }

    /// The first row `sql` answers, if any, read by `map`.
    fn first<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        rows.next()?.map(|r| map(r)).transpose()
    }

    /// Runs `sql`; answers how many rows it changed.
    fn execute(&self, sql: &str, params: impl Params) -> StoreResult<usize> {
        Ok(self.0.prepare_cached(sql)?.execute(params)?)
    }
}

impl Tx for SqliteTx<'_> {
    fn workspace_for_member(
        &mut self,
        slug: &str,
        user_id: i64,
    ) -> StoreResult<Option<(WorkspaceRow, Role)>> {
        self.first(
            concat!(
                "SELECT ",
                workspace_columns!(),
                ", m.role FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
                  WHERE w.slug = ?1 AND m.user_id = ?2"
            ),
            params![slug, user_id],
            |r| Ok((mapping::workspace(r)?, mapping::role(r)?)),
        )
    }

    fn workspace_by_slug(&mut self, slug: &str) -> StoreResult<Option<WorkspaceRow>> {
        self.first(
            concat!(
                "SELECT ",
                workspace_columns!(),
                " FROM workspaces w WHERE w.slug = ?1"
            ),
            params![slug],
            mapping::workspace,
        )
    }

    fn update_flex(&mut self, workspace_id: i64, flex: &FlexSettings) -> StoreResult<()> {
        self.execute(
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
            |v: &FlexSnapshot| serde_json::to_string(v).map_err(|e| StoreError::new(e.to_string()));
        self.execute(
            "INSERT INTO audit_log (workspace_id, user_id, action, at, old_value, new_value, credits_e4)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                workspace_id,
                user_id,
                line.action.as_str(),
                now_text(),
                json(&line.old)?,
                json(&line.new)?,
                line.credits.map(e4).transpose()?
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
              WHERE a.workspace_id = ?1 AND a.id < ?2
              ORDER BY a.id DESC LIMIT ?3",
            params![workspace_id, before.unwrap_or(i64::MAX), limit],
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
               FROM cycle_totals WHERE workspace_id = ?1 AND cycle_start = ?2",
            params![workspace_id, cycle_start.to_string()],
            mapping::cycle_totals,
        )?;
        Ok(totals.unwrap_or_default())
    }

    fn metering_reads(
        &mut self,
        cycles: &[(i64, NaiveDate)],
        keys: &[(i64, &str)],
    ) -> StoreResult<MeteringReads> {
        let totals = cycles
            .iter()
            .map(|&(workspace_id, start)| self.cycle_totals(workspace_id, start))
            .collect::<StoreResult<_>>()?;
        let mut stored = HashMap::new();
        let mut select = self.0.prepare_cached(
            "SELECT credits_e4, feature, included_e4, prepaid_e4, flex_e4, flex_cost_cents
               FROM usage_events WHERE workspace_id = ?1 AND idempotency_key = ?2",
        )?;
        for &(workspace_id, key) in keys {
            let mut rows = select.query(params![workspace_id, key])?;
            if let Some(row) = rows.next()? {
                stored.insert((workspace_id, key.to_string()), mapping::stored_usage(row)?);
            }
        }
        Ok(MeteringReads { totals, stored })
    }

    fn lock_workspaces(&mut self, slugs: &[&str]) -> StoreResult<Vec<WorkspaceRow>> {
        // The writer's transaction holds the whole database: nothing more to lock.
        let mut found = Vec::with_capacity(slugs.len());
        for slug in slugs {
            found.extend(self.workspace_by_slug(slug)?);
        }
        found.sort_by_key(|ws| ws.id);
        Ok(found)
    }

    fn insert_usages(&mut self, today: NaiveDate, at: At, records: &[NewUsage]) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let recorded_at = at_text(at);
        {
            let mut insert = self.0.prepare_cached(
                "INSERT INTO usage_events (workspace_id, idempotency_key, cycle_start, credits_e4, included_e4,
                                           prepaid_e4, flex_e4, flex_cost_cents, recorded_at, feature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for r in records {
                insert.execute(params![
                    r.workspace_id,
                    r.usage.idempotency_key,
                    r.cycle_start.to_string(),
                    e4(r.usage.credits)?,
                    e4(r.draw.included)?,
                    e4(r.draw.prepaid)?,
                    e4(r.draw.flex)?,
                    r.draw.flex_cost.cents(),
                    recorded_at,
                    r.usage.feature.as_str()
                ])?;
            }
        }
        // The running totals, once for the whole group.
        let sums = UsageSums::of(records);
        for (workspace_id, start, f) in &sums.features {
            self.execute(
                "INSERT INTO feature_totals (workspace_id, cycle_start, feature, credits_e4, flex_e4, flex_cost_cents)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (workspace_id, cycle_start, feature) DO UPDATE SET
                    credits_e4 = credits_e4 + excluded.credits_e4,
                    flex_e4 = flex_e4 + excluded.flex_e4,
                    flex_cost_cents = flex_cost_cents + excluded.flex_cost_cents",
                params![
                    workspace_id,
                    start.to_string(),
                    f.feature.as_str(),
                    e4(f.credits)?,
                    e4(f.flex)?,
                    f.flex_cost.cents()
                ],
            )?;
        }
        for (workspace_id, start, drawn) in &sums.cycles {
            let (included, prepaid, flex) =
                (e4(drawn.included)?, e4(drawn.prepaid)?, e4(drawn.flex)?);
            self.execute(
                "INSERT INTO cycle_totals (workspace_id, cycle_start, included_e4, prepaid_e4, flex_e4, flex_cost_cents)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET
                    included_e4 = included_e4 + excluded.included_e4,
                    prepaid_e4 = prepaid_e4 + excluded.prepaid_e4,
                    flex_e4 = flex_e4 + excluded.flex_e4,
                    flex_cost_cents = flex_cost_cents + excluded.flex_cost_cents",
                params![
                    workspace_id,
                    start.to_string(),
                    included,
                    prepaid,
                    flex,
                    drawn.flex_cost.cents()
                ],
            )?;
            if prepaid != 0 {
                self.execute(
                    "UPDATE workspaces SET prepaid_e4 = prepaid_e4 - ?2 WHERE id = ?1",
                    params![workspace_id, prepaid],
                )?;
            }
            if drawn.flex_cost > Money::ZERO {
                self.execute(
                    "INSERT INTO daily_flex (workspace_id, day, flex_cost_cents) VALUES (?1, ?2, ?3)
                     ON CONFLICT (workspace_id, day) DO UPDATE SET
                        flex_cost_cents = flex_cost_cents + excluded.flex_cost_cents",
                    params![workspace_id, today.to_string(), drawn.flex_cost.cents()],
                )?;
            }
        }
        Ok(())
    }

    fn feature_totals(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
    ) -> StoreResult<Vec<FeatureUsage>> {
        self.all(
            "SELECT feature, credits_e4, flex_e4, flex_cost_cents FROM feature_totals
              WHERE workspace_id = ?1 AND cycle_start = ?2",
            params![workspace_id, cycle_start.to_string()],
            mapping::feature_usage,
        )
    }

    fn flex_by_day(&mut self, workspace_id: i64, from: NaiveDate) -> StoreResult<Vec<DaySpend>> {
        self.all(
            "SELECT day, flex_cost_cents FROM daily_flex
              WHERE workspace_id = ?1 AND day >= ?2 AND flex_cost_cents > 0 ORDER BY day",
            params![workspace_id, from.to_string()],
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
        self.execute(
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
        self.execute(
            "INSERT INTO cycle_totals (workspace_id, cycle_start, blocked_version) VALUES (?1, ?2, ?3)
             ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET blocked_version = excluded.blocked_version",
            params![workspace_id, cycle_start.to_string(), flex_version as i64],
        )?;
        Ok(())
    }

    fn users(&mut self) -> StoreResult<Vec<String>> {
        self.all("SELECT email FROM users ORDER BY id", [], mapping::email)
    }

    fn user_by_email(&mut self, email: &str) -> StoreResult<Option<UserRow>> {
        self.first(
            "SELECT id, email FROM users WHERE email = ?1",
            params![email],
            mapping::user,
        )
    }

    fn workspaces_of(&mut self, user_id: i64) -> StoreResult<Vec<WorkspaceLink>> {
        self.all(
            "SELECT w.slug, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
              WHERE m.user_id = ?1 ORDER BY w.id",
            params![user_id],
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
    ) -> StoreResult<Option<(UserRow, At)>> {
        self.first(
            "SELECT u.id, u.email, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3",
            params![token_hash, at_text(now), at_text(idle_since)],
            |r| Ok((mapping::user(r)?, r.moment("last_seen_at")?)),
        )
    }

    fn touch_session(&mut self, token_hash: &str, now: At) -> StoreResult<()> {
        self.execute(
            "UPDATE sessions SET last_seen_at = ?2 WHERE token = ?1",
            params![token_hash, at_text(now)],
        )?;
        Ok(())
    }

    fn delete_session(&mut self, token_hash: &str) -> StoreResult<()> {
        self.execute("DELETE FROM sessions WHERE token = ?1", params![token_hash])?;
        Ok(())
    }

    fn set_session_id_token(&mut self, token_hash: &str, id_token: &str) -> StoreResult<()> {
        self.execute(
            "UPDATE sessions SET id_token = ?2 WHERE token = ?1",
            params![token_hash, id_token],
        )?;
        Ok(())
    }

    fn session_id_token(&mut self, token_hash: &str) -> StoreResult<Option<String>> {
        Ok(self
            .first(
                "SELECT id_token FROM sessions WHERE token = ?1",
                params![token_hash],
                |r| r.opt_text("id_token"),
            )?
            .flatten())
    }

    fn insert_sign_in(&mut self, s: &SignIn) -> StoreResult<()> {
        self.execute(
            "DELETE FROM sign_ins WHERE expires_at <= ?1",
            params![now_text()],
        )?;
        self.execute(
            "INSERT INTO sign_ins (id, state, nonce, verifier, next, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![s.id_hash, s.state, s.nonce, s.verifier, s.next, at_text(s.expires_at)],
        )?;
        Ok(())
    }

    fn take_sign_in(&mut self, id_hash: &str, now: At) -> StoreResult<Option<SignIn>> {
        let found = self.first(
            "SELECT id, state, nonce, verifier, next, expires_at FROM sign_ins WHERE id = ?1",
            params![id_hash],
            mapping::sign_in,
        )?;
        self.execute("DELETE FROM sign_ins WHERE id = ?1", params![id_hash])?;
        Ok(found.filter(|s| s.expires_at > now))
    }

    fn purge_sessions(&mut self, now: At, idle_since: At) -> StoreResult<usize> {
        self.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
            params![at_text(now), at_text(idle_since)],
        )
    }

    fn webhook(&mut self, workspace_id: i64) -> StoreResult<Option<StoredWebhook>> {
        self.first(
            "SELECT url, secret, created_at FROM webhooks WHERE workspace_id = ?1",
            params![workspace_id],
            mapping::webhook,
        )
    }

    fn set_webhook(&mut self, workspace_id: i64, hook: &StoredWebhook) -> StoreResult<()> {
        self.execute(
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
        self.execute(
            "DELETE FROM webhooks WHERE workspace_id = ?1",
            params![workspace_id],
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
            "INSERT OR IGNORE INTO alerts_raised (workspace_id, cycle_start, event_type, cap_cents)
             VALUES (?1, ?2, ?3, ?4)",
            params![workspace_id, cycle_start.to_string(), key, cap.cents()],
        )?;
        Ok(added == 1)
    }

    fn billing_managers(&mut self, workspace_id: i64) -> StoreResult<Vec<String>> {
        self.all(&BILLING_MANAGERS, params![workspace_id], mapping::email)
    }

    fn enqueue(&mut self, workspace_id: i64, d: &NewDelivery, now: At) -> StoreResult<()> {
        self.execute(
            "INSERT INTO outbox (workspace_id, event_id, channel, event_type, target, payload, created_at,
                                 next_attempt_at, to_platform)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
            params![
                workspace_id,
                d.event_id,
                d.channel.as_str(),
                d.event_type.as_str(),
                d.target,
                d.payload,
                at_text(now),
                d.to_platform
            ],
        )?;
        Ok(())
    }

    fn member_role(&mut self, workspace_id: i64, user_id: i64) -> StoreResult<Option<Role>> {
        self.first(
            "SELECT role FROM memberships WHERE workspace_id = ?1 AND user_id = ?2",
            params![workspace_id, user_id],
            mapping::role,
        )
    }

    fn set_role(&mut self, workspace_id: i64, user_id: i64, role: Role) -> StoreResult<()> {
        self.execute(
            "UPDATE memberships SET role = ?3 WHERE workspace_id = ?1 AND user_id = ?2",
            params![workspace_id, user_id, role.as_str()],
        )?;
        Ok(())
    }

    fn remove_member(&mut self, workspace_id: i64, user_id: i64) -> StoreResult<bool> {
        let removed = self.execute(
            "DELETE FROM memberships WHERE workspace_id = ?1 AND user_id = ?2",
            params![workspace_id, user_id],
        )?;
        Ok(removed > 0)
    }

    fn update_workspace(&mut self, workspace_id: i64, name: &str, plan: &Plan) -> StoreResult<()> {
        self.execute(
            "UPDATE workspaces SET name = ?2, plan_name = ?3, plan_interval = ?4, plan_anchor = ?5,
                    included_e4 = ?6, flex_rate_cents = ?7, prepaid_rate_cents = ?8
              WHERE id = ?1",
            params![
                workspace_id,
                name,
                plan.name,
                plan.interval.noun(),
                plan.anchor.to_string(),
                e4(plan.included)?,
                plan.flex_rate.cents(),
                plan.prepaid_rate.cents()
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
            "SELECT credits_e4 FROM prepaid_grants WHERE workspace_id = ?1 AND idempotency_key = ?2",
            params![workspace_id, key],
            |r| r.int("credits_e4"),
        )?;
        match before {
            Some(n) if n == amount => return Ok(Grant::Replayed),
            Some(_) => return Ok(Grant::Conflict),
            None => {}
        }
        self.execute(
            "INSERT INTO prepaid_grants (workspace_id, idempotency_key, credits_e4, at) VALUES (?1, ?2, ?3, ?4)",
            params![workspace_id, key, amount, at_text(at)],
        )?;
        self.execute(
            "UPDATE workspaces SET prepaid_e4 = prepaid_e4 + ?2 WHERE id = ?1",
            params![workspace_id, amount],
        )?;
        Ok(Grant::Added)
    }

    fn supersede_pending(
        &mut self,
        workspace_id: i64,
        event_type: EventType,
        now: At,
    ) -> StoreResult<usize> {
        let now = at_text(now);
        let args = params![workspace_id, event_type.as_str(), now];
        self.execute(
            concat!(
                "DELETE FROM delivery_attempts WHERE outbox_id IN (",
                waiting_sqlite!(),
                ")"
            ),
            args,
        )?;
        self.execute(
            concat!("DELETE FROM outbox WHERE id IN (", waiting_sqlite!(), ")"),
            args,
        )
    }

    fn take_due(
        &mut self,
        now: At,
        lease_until: At,
        token: &str,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        let due = self.all(
            TAKE_DUE,
            params![at_text(now), limit],
            mapping::due_delivery,
        )?;
        for d in &due {
            self.execute(
                "UPDATE outbox SET next_attempt_at = ?2, lease_token = ?3 WHERE id = ?1",
                params![d.id, at_text(lease_until), token],
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
        let at = at_text(attempt.at);
        let (next_at, delivered, gave_up) = match next {
            AfterAttempt::Delivered => (None, Some(at.clone()), None),
            AfterAttempt::RetryAt(when) => (Some(at_text(when)), None, None),
            AfterAttempt::GiveUp => (None, None, Some(at.clone())),
        };
        let ours = self.execute(
            "UPDATE outbox SET next_attempt_at = ?3, delivered_at = ?4, gave_up_at = ?5, lease_token = NULL
              WHERE id = ?1 AND lease_token = ?2",
            params![id, token, next_at, delivered, gave_up],
        )?;
        if ours == 0 {
            return Ok(false);
        }
        self.execute(
            "INSERT INTO delivery_attempts (outbox_id, at, status_code, error) VALUES (?1, ?2, ?3, ?4)",
            params![id, at, attempt.status, attempt.error],
        )?;
        Ok(true)
    }

    fn outbox_stats(&mut self) -> StoreResult<(i64, Option<At>)> {
        Ok(self
            .first(
                "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE next_attempt_at IS NOT NULL",
                [],
                |r| Ok((r.int("n")?, r.opt_moment("oldest")?)),
            )?
            .unwrap_or((0, None)))
    }

    fn mark_ready(&mut self, now: At) -> StoreResult<()> {
        self.execute(
            "UPDATE readiness SET checked_at = ?1 WHERE id = 1",
            params![at_text(now)],
        )?;
        Ok(())
    }

    fn purge_deliveries(&mut self, before: At) -> StoreResult<usize> {
        let before = at_text(before);
        self.execute(
            "DELETE FROM delivery_attempts WHERE outbox_id IN
               (SELECT id FROM outbox WHERE next_attempt_at IS NULL AND created_at < ?1)",
            params![before],
        )?;
        self.execute(
            "DELETE FROM outbox WHERE next_attempt_at IS NULL AND created_at < ?1",
            params![before],
        )
    }

    fn deliveries(&mut self, workspace_id: i64, limit: u32) -> StoreResult<Vec<Delivery>> {
        let outbox = self.all(
            "SELECT id, event_id, channel, event_type, target, created_at, next_attempt_at,
                    delivered_at, gave_up_at
               FROM outbox WHERE workspace_id = ?1 AND NOT to_platform ORDER BY id DESC LIMIT ?2",
            params![workspace_id, limit],
            mapping::outbox_row,
        )?;
        outbox
            .into_iter()
            .map(|row| {
                let attempts = self.all(
                    "SELECT at, status_code, error FROM delivery_attempts WHERE outbox_id = ?1 ORDER BY id",
                    params![row.id],
                    mapping::delivery_attempt,
                )?;
                Ok(row.with_attempts(attempts))
            })
            .collect()
    }

    fn workspace_count(&mut self) -> StoreResult<i64> {
        // A write transaction here already holds the one write lock (`BEGIN IMMEDIATE`).
        Ok(self
            .first("SELECT COUNT(*) AS n FROM workspaces", [], |r| r.int("n"))?
            .unwrap_or(0))
    }

    fn insert_workspace(&mut self, w: &NewWorkspace) -> StoreResult<i64> {
        self.execute(
            "INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                                     flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled, flex_cap_cents)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                w.slug,
                w.name,
                w.plan_name,
                w.interval.noun(),
                w.anchor.to_string(),
                e4(w.included)?,
                w.flex_rate.cents(),
                w.prepaid_rate.cents(),
                e4(w.prepaid_balance)?,
                w.flex.enabled,
                w.flex.cap.map(Money::cents)
            ],
        )?;
        Ok(self.0.last_insert_rowid())
    }

    fn insert_user(&mut self, email: &str) -> StoreResult<i64> {
        self.execute("INSERT INTO users (email) VALUES (?1)", params![email])?;
        Ok(self.0.last_insert_rowid())
    }

    fn add_member(&mut self, workspace_id: i64, user_id: i64, role: Role) -> StoreResult<()> {
        self.execute(
            "INSERT INTO memberships (workspace_id, user_id, role) VALUES (?1, ?2, ?3)",
            params![workspace_id, user_id, role.as_str()],
        )?;
        Ok(())
    }

    fn set_alert_thresholds(&mut self, workspace_id: i64, thresholds: &[u8]) -> StoreResult<()> {
        self.execute(
            "UPDATE workspaces SET alert_thresholds = ?2 WHERE id = ?1",
            params![workspace_id, mapping::thresholds_json(thresholds)],
        )?;
        Ok(())
    }

    fn set_open_cycle(
        &mut self,
        workspace_id: i64,
        cycle: billing_domain::BillingCycle,
    ) -> StoreResult<()> {
        self.execute(
            "UPDATE workspaces SET open_cycle_start = ?2, open_cycle_end = ?3 WHERE id = ?1",
            params![workspace_id, cycle.start.to_string(), cycle.end.to_string()],
        )?;
        Ok(())
    }

    fn cycles_to_close(&mut self, today: NaiveDate, limit: u32) -> StoreResult<Vec<String>> {
        self.all(
            "SELECT slug FROM workspaces WHERE open_cycle_end IS NULL OR open_cycle_end <= ?1
              ORDER BY id LIMIT ?2",
            params![today.to_string(), limit],
            |r| r.text("slug"),
        )
    }

    fn insert_statement(
        &mut self,
        workspace_id: i64,
        s: &NewStatement,
    ) -> StoreResult<Option<i64>> {
        // One writer: ids follow the commits already.
        self.first(
            "INSERT INTO statements (workspace_id, cycle_start, cycle_end, included_e4, prepaid_e4,
                                     flex_e4, flex_cost_cents, cap_cents, by_feature, closed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (workspace_id, cycle_start) DO NOTHING RETURNING id",
            params![
                workspace_id,
                s.cycle.start.to_string(),
                s.cycle.end.to_string(),
                e4(s.included)?,
                e4(s.prepaid)?,
                e4(s.flex)?,
                s.flex_cost.cents(),
                s.cap.map(Money::cents),
                serde_json::to_string(&s.by_feature).map_err(|e| StoreError::new(e.to_string()))?,
                at_text(s.closed_at)
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
              WHERE s.workspace_id = ?1 AND s.id < ?2 ORDER BY s.id DESC LIMIT ?3",
            params![workspace_id, before.unwrap_or(i64::MAX), limit],
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
               FROM usage_events WHERE workspace_id = ?1 AND cycle_start = ?2 AND id > ?3
              ORDER BY id LIMIT ?4",
            params![workspace_id, cycle_start.to_string(), after, limit],
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
              WHERE s.id > ?1 ORDER BY s.id LIMIT ?2",
            params![after, limit],
            mapping::statement,
        )
    }
}
