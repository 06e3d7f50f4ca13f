//! The billing store: every read and write the server makes, behind one trait,
//! on SQLite (embedded, one server) or PostgreSQL (several servers on one
//! database). Nothing outside this folder speaks SQL.

mod migrations;
mod pg;
mod sqlite;

pub use pg::{PgStore, POOL_SIZE};
pub use sqlite::{SqliteStore, DEFAULT_MAX_BATCH};

use billing_domain::{
    ActivityEntry, Credits, DaySpend, Delivery, Draw, FlexSettings, FlexSnapshot, Money,
    PlanInterval, Role, WorkspaceLink,
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

/// A workspace's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWebhook {
    pub url: String,
    /// `whsec_…`: the signing secret.
    pub secret: String,
    pub created_at: At,
}

/// An alert to deliver, as it goes into the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// `msg_…`: the `webhook-id`, the same for every attempt.
    pub event_id: String,
    /// `webhook` or `email`.
    pub channel: &'static str,
    pub event_type: String,
    /// The webhook URL or the email address.
    pub target: String,
    /// The webhook body, or the email as JSON (`subject`, `body`).
    pub payload: String,
}

/// A delivery due now, taken by one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    pub id: i64,
    pub event_id: String,
    pub channel: String,
    pub target: String,
    pub payload: String,
    pub created_at: At,
    /// The workspace's signing secret now (none: the endpoint was removed).
    pub secret: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    RetryAt(At),
    GiveUp,
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
    /// Stores a usage record, adds it to the cycle's running totals and to
    /// `today`'s flex spend, and takes its prepaid credits off the balance.
    fn insert_usage(
        &mut self,
        workspace_id: i64,
        key: &str,
        cycle_start: NaiveDate,
        today: NaiveDate,
        credits: Credits,
        draw: &Draw,
    ) -> StoreResult<()>;
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
    /// The workspace's webhook endpoint, if one is registered.
    fn webhook(&mut self, workspace_id: i64) -> StoreResult<Option<StoredWebhook>>;
    /// Registers (or replaces) the workspace's webhook endpoint.
    fn set_webhook(&mut self, workspace_id: i64, hook: &StoredWebhook) -> StoreResult<()>;
    /// Removes the workspace's webhook endpoint.
    fn delete_webhook(&mut self, workspace_id: i64) -> StoreResult<()>;
    /// Notes that `event_type` was raised in the cycle starting on
    /// `cycle_start`; answers false if it already was (each alert once a cycle).
    fn raise_once(
        &mut self,
        workspace_id: i64,
        cycle_start: NaiveDate,
        event_type: &str,
    ) -> StoreResult<bool>;
    /// The email addresses of the workspace's owners and admins.
    fn billing_managers(&mut self, workspace_id: i64) -> StoreResult<Vec<String>>;
    /// Puts one delivery in the outbox, due at `now`.
    fn enqueue(&mut self, workspace_id: i64, delivery: &NewDelivery, now: At) -> StoreResult<()>;
    /// Takes up to `limit` deliveries due at `now`, oldest first; none of them
    /// is due again before `lease_until`, so no other server takes them meanwhile.
    fn take_due(&mut self, now: At, lease_until: At, limit: u32) -> StoreResult<Vec<DueDelivery>>;
    /// Records an attempt at delivery `id` and what follows it.
    fn record_attempt(
        &mut self,
        id: i64,
        at: At,
        status: Option<u16>,
        error: Option<&str>,
        next: AfterAttempt,
    ) -> StoreResult<()>;
    /// The workspace's latest `limit` deliveries, newest first, each with its attempts.
    fn deliveries(&mut self, workspace_id: i64, limit: u32) -> StoreResult<Vec<Delivery>>;
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

    /// Tells the other servers on this database that `slug`'s billing
    /// changed, once the change has committed. Nothing to tell by default.
    fn announce(&self, _slug: &str) {}
}

/// Credits are stored in ten-thousandths of a credit, as whole numbers, in both stores.
const E4: i64 = 10_000;

/// `c` in ten-thousandths, or why it does not fit.
pub(crate) fn e4(c: Credits) -> StoreResult<i64> {
    c.amount()
        .checked_mul(rust_decimal::Decimal::from(E4))
        .filter(|scaled| scaled.fract().is_zero())
        .and_then(|scaled| i64::try_from(scaled).ok())
        .ok_or_else(|| {
            StoreError(format!(
                "{c} credits do not fit the store's ten-thousandths"
            ))
        })
}

/// Credits from ten-thousandths.
pub(crate) fn credits(e4: i64) -> Credits {
    Credits::new(rust_decimal::Decimal::new(e4, 4))
}

/// A delivery's state from its row and whether any attempt was made:
/// `pending` until the first attempt, `retrying` after a failed one.
pub(crate) fn delivery_state(delivered: bool, gave_up: bool, attempted: bool) -> &'static str {
    match (delivered, gave_up, attempted) {
        (true, _, _) => "delivered",
        (_, true, _) => "failed",
        (_, _, true) => "retrying",
        _ => "pending",
    }
}

/// Moments as the API shows them: RFC 3339 in UTC, to the second.
pub(crate) fn at_text(at: At) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

type OpenResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The store a server runs on, chosen by `--db`: a file path for SQLite, a
/// `postgres://` URL for PostgreSQL.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Db {
    /// Whether `spec` names a PostgreSQL database rather than a SQLite file.
    pub fn is_postgres(spec: &str) -> bool {
        spec.starts_with("postgres://") || spec.starts_with("postgresql://")
    }

    /// Opens the store `spec` names and brings its schema up to date.
    /// `write_batch` is SQLite's group-commit size; PostgreSQL commits each
    /// request on its own and batches the flushes itself.
    pub async fn open(spec: &str, write_batch: usize) -> OpenResult<Db> {
        let spec = spec.to_string();
        tokio::task::spawn_blocking(move || {
            if Db::is_postgres(&spec) {
                Ok(Db::Postgres(PgStore::open(&spec)?))
            } else {
                Ok(Db::Sqlite(SqliteStore::open_with_batch(
                    std::path::Path::new(&spec),
                    write_batch,
                )?))
            }
        })
        .await
        .map_err(|e| format!("opening the store failed: {e}"))?
    }

    /// "SQLite" or "PostgreSQL".
    pub fn kind(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    /// Runs `f` on a thread where blocking is allowed.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| StoreError(format!("store task failed: {e}")))?
    }

    /// The slug of every workspace in the database.
    pub async fn workspace_slugs(&self) -> StoreResult<Vec<String>> {
        self.blocking(|db| match db {
            Db::Sqlite(s) => s.workspace_slugs(),
            Db::Postgres(p) => p.workspace_slugs(),
        })
        .await
    }

    /// Seeds the demo workspaces and people into an empty database. Answers whether it did.
    pub async fn seed_demo_if_empty(&self) -> StoreResult<bool> {
        self.blocking(|db| match db {
            Db::Sqlite(s) => s.seed_demo_if_empty(),
            Db::Postgres(p) => p.seed_demo_if_empty(),
        })
        .await
    }

    /// Runs SQL written for both stores outside any request (set-up, tests,
    /// the benchmark); answers the first column of every row it returns, as text.
    pub async fn sql(&self, sql: &str) -> StoreResult<Vec<String>> {
        let sql = sql.to_string();
        self.blocking(move |db| match db {
            Db::Sqlite(s) => s.with(|c| {
                let mut stmt = c.prepare(&sql)?;
                let rows = stmt.query_map([], |r| {
                    Ok(match r.get_ref(0)? {
                        rusqlite::types::ValueRef::Null => String::new(),
                        rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                        rusqlite::types::ValueRef::Real(f) => f.to_string(),
                        v => v.as_str().unwrap_or_default().to_string(),
                    })
                })?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            }),
            Db::Postgres(p) => p.with(|c| {
                let rows = c.simple_query(&sql)?;
                Ok(rows
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => {
                            Some(r.get(0).unwrap_or_default().to_string())
                        }
                        _ => None,
                    })
                    .collect())
            })?,
        })
        .await
    }

    /// Calls `changed` with a workspace's slug whenever another server on this
    /// database announces a change to its billing ([`Store::announce`]), and
    /// with `None` when changes may have been missed (the listening connection
    /// was lost and is back). Nothing to listen to on SQLite.
    pub fn listen(&self, changed: impl Fn(Option<&str>) + Send + 'static) {
        if let Db::Postgres(p) = self {
            p.listen(changed);
        }
    }

    /// One whole number from SQL written for both stores (set-up and tests).
    pub async fn number(&self, sql: &str) -> StoreResult<i64> {
        let rows = self.sql(sql).await?;
        let first = rows
            .first()
            .ok_or_else(|| StoreError(format!("no row from {sql}")))?;
        first
            .parse()
            .map_err(|_| StoreError(format!("{first:?} from {sql} is not a whole number")))
    }
}

impl Store for Db {
    fn read<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        async move {
            match db {
                Db::Sqlite(s) => s.read(f).await,
                Db::Postgres(p) => p.read(f).await,
            }
        }
    }

    fn write<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        async move {
            match db {
                Db::Sqlite(s) => s.write(f).await,
                Db::Postgres(p) => p.write(f).await,
            }
        }
    }

    /// PostgreSQL: `NOTIFY`, batched. A SQLite file has one server, which
    /// tells its own streams itself.
    fn announce(&self, slug: &str) {
        if let Db::Postgres(p) = self {
            p.announce(slug);
        }
    }
}
