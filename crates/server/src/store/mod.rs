//! The billing store: every read and write the server makes, behind one trait
//! so that another database can take SQLite's place. Nothing outside this
//! folder speaks SQL.

mod sqlite;

pub use sqlite::{SqliteStore, DEFAULT_MAX_BATCH};

use billing_domain::{
    ActivityEntry, Credits, Draw, FlexSettings, FlexSnapshot, Money, PlanInterval, Role,
    WorkspaceLink,
};
use chrono::NaiveDate;
use std::fmt;
use std::future::Future;

/// A failure of the database itself (not a refusal): answered as an internal error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// What every store call answers.
pub type StoreResult<T> = Result<T, StoreError>;

/// A moment, in UTC.
pub type At = chrono::DateTime<chrono::Utc>;

/// One line of the audit trail: what a change did, and the settings before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    /// `enabled`, `disabled`, `cap_set`, `cap_removed`.
    pub action: &'static str,
    /// In words: "cap set to 250.00".
    pub detail: String,
    pub old: FlexSnapshot,
    pub new: FlexSnapshot,
}

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Their id in the store.
    pub id: i64,
    /// Their email.
    pub email: String,
}

/// A workspace and its billing settings.
#[derive(Debug, Clone)]
pub struct WorkspaceRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub plan_name: String,
    pub interval: PlanInterval,
    /// First day of the first billing cycle.
    pub anchor: NaiveDate,
    pub included: Credits,
    pub flex_rate: Money,
    pub prepaid_rate: Money,
    pub prepaid_balance: Credits,
    pub flex: FlexSettings,
}

/// The running totals of one billing cycle: what has been drawn, and the
/// latest settings version under which usage was refused at the cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleTotals {
    pub included: Credits,
    pub prepaid: Credits,
    pub flex: Credits,
    pub flex_cost: Money,
    pub blocked_version: Option<u64>,
}

impl CycleTotals {
    /// The totals after `draw`.
    pub fn with(self, draw: &Draw) -> CycleTotals {
        CycleTotals {
            included: self.included + draw.included,
            prepaid: self.prepaid + draw.prepaid,
            flex: self.flex + draw.flex,
            flex_cost: self.flex_cost + draw.flex_cost,
            ..self
        }
    }
}

/// A usage record already stored under an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredUsage {
    pub credits: Credits,
    pub draw: Draw,
}

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
    /// The record stored under `key`, if any.
    fn usage_by_key(&mut self, workspace_id: i64, key: &str) -> StoreResult<Option<StoredUsage>>;
    /// Stores a usage record, adds it to the cycle's running totals and takes
    /// its prepaid credits off the balance.
    fn insert_usage(
        &mut self,
        workspace_id: i64,
        key: &str,
        cycle_start: NaiveDate,
        credits: Credits,
        draw: &Draw,
    ) -> StoreResult<()>;
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
    fn user_by_email(&mut self, email: &str) -> StoreResult<Option<User>>;
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
    ) -> StoreResult<Option<(User, At)>>;
    /// Marks a session seen at `now`.
    fn touch_session(&mut self, token_hash: &str, now: At) -> StoreResult<()>;
    /// Ends a session.
    fn delete_session(&mut self, token_hash: &str) -> StoreResult<()>;
    /// Removes every session expired at `now` or idle since before `idle_since`.
    fn purge_sessions(&mut self, now: At, idle_since: At) -> StoreResult<usize>;
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
}
