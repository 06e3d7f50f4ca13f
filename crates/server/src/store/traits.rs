//! What a store does: [`Store`] runs transactions, [`Tx`] is one of them.

use super::SignIn;
use super::{
    AfterAttempt, At, Attempt, AuditLine, CycleTotals, DueDelivery, Grant, MeteringReads,
    NewDelivery, NewStatement, NewUsage, NewWorkspace, StoreError, StoreResult, StoredWebhook,
    UsageLine, UserRow, WorkspaceRow,
};
use billing_domain::{
    ActivityEntry, BillingCycle, Credits, DaySpend, Delivery, EventType, FeatureUsage,
    FlexSettings, Money, Plan, Role, Statement, WorkspaceLink,
};
use chrono::NaiveDate;
use std::future::Future;

/// One transaction. Every method reads or writes inside it; it commits when
/// the closure given to [`Store::read`] or [`Store::write`] succeeds.
pub trait Tx {
    /// The workspace `slug` with `user_id`'s role in it, if they belong to it.
    fn workspace_for_member(
        &mut self,
        slug: &str,
        user_id: i64,
    ) -> StoreResult<Option<(WorkspaceRow, Role)>>;
    /// The workspace `slug` (for metering: no person involved).
    fn workspace_by_slug(&mut self, slug: &str) -> StoreResult<Option<WorkspaceRow>>;
    /// Stores new Flex Billing settings (their version included).
    fn update_flex(&mut self, workspace_id: i64, flex: &FlexSettings) -> StoreResult<()>;
    /// Writes one line of the audit trail.
    fn audit(
        &mut self,
        workspace_id: i64,
        user_id: Option<i64>,
        line: &AuditLine,
    ) -> StoreResult<()>;
    /// The audit trail of a workspace, newest first: up to `limit` lines with
    /// ids below `before` (all, without it).
    fn activity(
        &mut self,
        workspace_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<ActivityEntry>>;

    /// The running totals of the cycle that started on `cycle_start` (one row, never a scan).
    fn cycle_totals(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
    ) -> StoreResult<CycleTotals>;
    /// What metering a group reads once its workspaces are locked, in one go
    /// where the store can: the running totals of each of `cycles`
    /// (workspace, cycle start), in that order, and the records stored under
    /// any of `keys` (workspace, idempotency key).
    fn metering_reads(
        &mut self,
        cycles: &[(i64, NaiveDate)],
        keys: &[(i64, &str)],
    ) -> StoreResult<MeteringReads>;
    /// The workspaces named by `slugs` (those that exist), in id order. In a
    /// write, each is locked, in that order: two transactions that lock
    /// several workspaces never wait on each other in a circle.
    fn lock_workspaces(&mut self, slugs: &[&str]) -> StoreResult<Vec<WorkspaceRow>>;
    /// Stores usage records (recorded `at`), in one go: adds them to their
    /// cycles' running totals, their features' and `today`'s flex spend, and
    /// takes their prepaid credits off the balances. A group holds one cycle
    /// a workspace.
    fn insert_usages(&mut self, today: NaiveDate, at: At, records: &[NewUsage]) -> StoreResult<()>;
    /// The cycle's usage by feature, one row a feature (never a scan of records), in no order.
    fn feature_totals(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
    ) -> StoreResult<Vec<FeatureUsage>>;
    /// Flex spend by day from `from` on, oldest first (days without any left out).
    fn flex_by_day(&mut self, workspace_id: i64, from: NaiveDate) -> StoreResult<Vec<DaySpend>>;
    /// Keeps a refusal at the flex cap (nothing is drawn for it) and marks the
    /// cycle blocked under `flex_version`.
    fn insert_blocked(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        flex_version: u64,
        credits: Credits,
    ) -> StoreResult<()>;
    /// Every person's email, first created first.
    fn users(&mut self) -> StoreResult<Vec<String>>;
    /// The person with this email.
    fn user_by_email(&mut self, email: &str) -> StoreResult<Option<UserRow>>;
    /// A person's workspaces, first joined first.
    fn workspaces_of(&mut self, user_id: i64) -> StoreResult<Vec<WorkspaceLink>>;
    /// Starts a session, kept under the hash of its token, until `expires_at`.
    fn create_session(
        &mut self,
        token_hash: &str,
        user_id: i64,
        now: At,
        expires_at: At,
    ) -> StoreResult<()>;
    /// The person of a session that has not expired at `now` and was seen
    /// after `idle_since`, with when it was last seen.
    fn session_user(
        &mut self,
        token_hash: &str,
        now: At,
        idle_since: At,
    ) -> StoreResult<Option<(UserRow, At)>>;
    /// Marks a session seen at `now`.
    fn touch_session(&mut self, token_hash: &str, now: At) -> StoreResult<()>;
    /// Ends a session.
    fn delete_session(&mut self, token_hash: &str) -> StoreResult<()>;
    /// Keeps the ID token a session was opened with.
    fn set_session_id_token(&mut self, token_hash: &str, id_token: &str) -> StoreResult<()>;
    /// The ID token a session was opened with, if any.
    fn session_id_token(&mut self, token_hash: &str) -> StoreResult<Option<String>>;
    /// Keeps a sign-in started; removes those expired at its start.
    fn insert_sign_in(&mut self, sign_in: &SignIn) -> StoreResult<()>;
    /// Takes (and removes) the sign-in whose cookie hashes to `id_hash`, if
    /// it has not expired at `now`: each is finished at most once.
    fn take_sign_in(&mut self, id_hash: &str, now: At) -> StoreResult<Option<SignIn>>;
    /// Removes every session expired at `now` or idle since before `idle_since`.
    fn purge_sessions(&mut self, now: At, idle_since: At) -> StoreResult<usize>;
    /// The workspace's webhook endpoint, if one is registered.
    fn webhook(&mut self, workspace_id: i64) -> StoreResult<Option<StoredWebhook>>;
    /// Registers (or replaces) the workspace's webhook endpoint.
    fn set_webhook(&mut self, workspace_id: i64, hook: &StoredWebhook) -> StoreResult<()>;
    /// Removes the workspace's webhook endpoint.
    fn delete_webhook(&mut self, workspace_id: i64) -> StoreResult<()>;
    /// Notes that the alert `key` ([`billing_domain::Threshold::raise_key`])
    /// was raised at `cap` in the cycle starting on `cycle_start`; answers
    /// false if it already was (each alert once per cap and cycle: a new cap
    /// re-arms it).
    fn raise_once(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        key: &str,
        cap: Money,
    ) -> StoreResult<bool>;
    /// The email addresses of the workspace's owners and admins.
    fn billing_managers(&mut self, workspace_id: i64) -> StoreResult<Vec<String>>;
    /// Puts one delivery in the outbox, due at `now`.
    fn enqueue(&mut self, workspace_id: i64, delivery: &NewDelivery, now: At) -> StoreResult<()>;
    /// Drops the workspace's deliveries of `event_type` that are waiting
    /// (not yet delivered or given up, and not being attempted at `now`), with
    /// their attempts: a newer event of that type says all they would.
    fn supersede_pending(
        &mut self,
        workspace_id: i64,
        event_type: EventType,
        now: At,
    ) -> StoreResult<usize>;
    /// Takes up to `limit` deliveries due at `now` under the lease `token`:
    /// at most one per workspace (its oldest), none from a workspace with a
    /// delivery being attempted, oldest first across workspaces. None of them
    /// is due again before `lease_until`, so no other server takes them meanwhile.
    fn take_due(
        &mut self,
        now: At,
        lease_until: At,
        token: &str,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>>;
    /// Records an attempt at delivery `id` and what follows it, if the lease
    /// `token` is still the delivery's (a fencing token): answers false, and
    /// records nothing, if the lease ran out and another server took it.
    fn record_attempt(
        &mut self,
        id: i64,
        token: &str,
        attempt: &Attempt,
        next: AfterAttempt,
    ) -> StoreResult<bool>;
    /// How many alerts wait to be delivered, and when the oldest was created.
    fn outbox_stats(&mut self) -> StoreResult<(i64, Option<At>)>;
    /// Writes the readiness row: the store takes writes.
    fn mark_ready(&mut self, now: At) -> StoreResult<()>;
    /// Removes deliveries delivered or given up that were created before
    /// `before`, with their attempts; answers how many.
    fn purge_deliveries(&mut self, before: At) -> StoreResult<usize>;
    /// The workspace's latest `limit` deliveries, newest first, each with its attempts.
    fn deliveries(&mut self, workspace_id: i64, limit: u32) -> StoreResult<Vec<Delivery>>;

    /// How many workspaces there are. In a write transaction, two writers
    /// that count and then create workspaces run one after the other (SQLite:
    /// one writer at a time; PostgreSQL: a lock held until the transaction
    /// ends), so the second counts what the first created.
    fn workspace_count(&mut self) -> StoreResult<i64>;
    /// Creates a workspace; answers its id.
    fn insert_workspace(&mut self, workspace: &NewWorkspace) -> StoreResult<i64>;
    /// Creates a person; answers their id.
    fn insert_user(&mut self, email: &str) -> StoreResult<i64>;
    /// Makes a person a member of a workspace, with `role`.
    fn add_member(&mut self, workspace_id: i64, user_id: i64, role: Role) -> StoreResult<()>;
    /// The person's role in the workspace, if they are a member.
    fn member_role(&mut self, workspace_id: i64, user_id: i64) -> StoreResult<Option<Role>>;
    /// Gives a member another role.
    fn set_role(&mut self, workspace_id: i64, user_id: i64, role: Role) -> StoreResult<()>;
    /// Ends a person's membership; answers whether they were a member.
    fn remove_member(&mut self, workspace_id: i64, user_id: i64) -> StoreResult<bool>;
    /// Renames the workspace and sets its plan.
    fn update_workspace(&mut self, workspace_id: i64, name: &str, plan: &Plan) -> StoreResult<()>;
    /// Adds `credits` to the workspace's prepaid balance once per `key`.
    fn grant_prepaid(
        &mut self,
        workspace_id: i64,
        key: &str,
        credits: Credits,
        at: At,
    ) -> StoreResult<Grant>;

    /// Keeps `thresholds` as the workspace's notification thresholds.
    fn set_alert_thresholds(&mut self, workspace_id: i64, thresholds: &[u8]) -> StoreResult<()>;
    /// Keeps `cycle` as the one `workspace_id` has open.
    fn set_open_cycle(&mut self, workspace_id: i64, cycle: BillingCycle) -> StoreResult<()>;
    /// Up to `limit` workspaces whose open cycle ended by `today` (or is not
    /// known yet), by slug.
    fn cycles_to_close(&mut self, today: NaiveDate, limit: u32) -> StoreResult<Vec<String>>;
    /// Writes the statement of `workspace_id`'s cycle, once: answers its id,
    /// or `None` when that cycle has one already. Statements are written one
    /// transaction at a time, so their ids follow the order of their commits.
    fn insert_statement(
        &mut self,
        workspace_id: i64,
        statement: &NewStatement,
    ) -> StoreResult<Option<i64>>;
    /// `workspace_id`'s statements, newest first, older than `before`.
    fn statements(
        &mut self,
        workspace_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Statement>>;
    /// Up to `limit` of `workspace_id`'s usage records in the cycle that
    /// started on `cycle_start`, in the order they came, after the record `after`.
    fn usage_lines(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<UsageLine>>;
    /// Every workspace's statements after `after`, in the order they were closed.
    fn statements_after(&mut self, after: i64, limit: u32) -> StoreResult<Vec<Statement>>;
}

/// A database the service runs its transactions on.
///
/// The closures run off the async threads. `write` commits when its closure
/// answers `Ok`, whatever the value inside (a refusal that must still be
/// recorded is an `Ok` carrying the refusal); an `Err` rolls back.
pub trait Store: Clone + Send + Sync + 'static {
    /// Runs `f` in a read-only transaction.
    fn read<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static;

    /// Runs `f` in a write transaction, committed if it answers `Ok`.
    fn write<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static;

    /// Runs `f` in a write transaction for metering (usage records), on
    /// connections of its own where the store has a pool, so a flood of reads
    /// or event streams cannot starve them. As [`Store::write`] by default.
    fn meter<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        self.write(f)
    }

    /// Tells the other servers on this database that `slug`'s billing
    /// changed, once the change has committed. Nothing to tell by default.
    fn announce(&self, _slug: &str) {}
}
