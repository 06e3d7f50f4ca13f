//! The PostgreSQL store, for several API servers on one shared database.
//!
//! Every request is one transaction on a pooled connection. Reads run
//! `REPEATABLE READ, READ ONLY` (one snapshot for the whole answer); writes
//! run `READ COMMITTED` and lock the workspace's row first (see [`tx`]), so
//! the cap and the idempotency key hold across servers exactly as they hold
//! on one. Commits are durable: every connection runs with
//! `synchronous_commit = on`, and a server with `fsync` off is refused.
//!
//! Here: the pool and its transactions. `tx.rs` holds every statement,
//! `columns.rs` how a row's columns are read, `notify.rs` the announcements
//! between servers (`NOTIFY` / `LISTEN`), `migrate.rs` the schema steps.

mod columns;
mod migrate;
mod notify;
mod tls;
mod tx;

use super::{Store, StoreError, StoreResult, Tx};
use postgres::{Client, Statement};
use std::collections::HashMap;
use std::time::Duration;

/// Connections each server keeps: enough to keep both cores busy while others
/// wait on the disk, few enough that several servers fit the default
/// `max_connections` (100).
pub const POOL_SIZE: u32 = 16;
/// Connections kept for metering alone ([`Store::meter`]): usage records
/// never wait behind reads, event streams or settings changes.
pub const METERING_POOL_SIZE: u32 = 8;

/// How long a request waits for a pooled connection before it is answered
/// 503 `store_unavailable`: while the database is down or restarting, no
/// answer hangs.
const CHECKOUT_TIMEOUT: Duration = Duration::from_millis(1500);

/// After a wait for a connection timed out, requests are answered 503 at
/// once for this long rather than each waiting out [`CHECKOUT_TIMEOUT`].
const DOWN_FOR: Duration = Duration::from_secs(1);

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        // The server's own message (with its SQLSTATE) says more than the wrapper.
        match e.as_db_error() {
            // Class 53 (insufficient resources: a full disk, out of memory or
            // connections), 57P (the server shutting down or starting), 08
            // (connection): for now, not for good.
            Some(db) => {
                let code = db.code().code();
                let message = format!("postgres {code}: {}", db.message());
                if code.starts_with("53") || code.starts_with("57P") || code.starts_with("08") {
                    StoreError::unavailable(message)
                } else {
                    StoreError::new(message)
                }
            }
            None if e.is_closed() => StoreError::unavailable(e.to_string()),
            None => StoreError::new(e.to_string()),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> StoreError {
        StoreError::unavailable(format!("no database connection: {e}"))
    }
}

/// A pooled connection and the statements it has prepared.
pub(super) struct PgConn {
    client: Closing,
    statements: HashMap<&'static str, Statement>,
}

/// A client that closes itself on a thread of its own: `postgres::Client`
/// blocks when dropped, which panics on an async thread (as when the pool is
/// dropped at shutdown).
struct Closing(Option<Client>);

impl std::ops::Deref for Closing {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.0.as_ref().expect("a live client")
    }
}

impl std::ops::DerefMut for Closing {
    fn deref_mut(&mut self) -> &mut Client {
        self.0.as_mut().expect("a live client")
    }
}

impl Drop for Closing {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                std::thread::spawn(move || drop(client));
            }
        }
    }
}

/// Opens connections for the pool, each set up the same way.
struct Manager(std::sync::Arc<tls::Connector>);

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let mut client = self.0.connect()?;
        // Durable commits whatever the database's default, and times in UTC.
        client.batch_execute("SET synchronous_commit = on; SET TIME ZONE 'UTC'")?;
        Ok(PgConn {
            client: Closing(Some(client)),
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

type OpenResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The shared store.
#[derive(Clone)]
pub struct PgStore {
    pool: r2d2::Pool<Manager>,
    /// Metering's own connections.
    metering: r2d2::Pool<Manager>,
    /// For the listening connection ([`PgStore::listen`]).
    connector: std::sync::Arc<tls::Connector>,
    /// To the thread that sends announcements ([`PgStore::announce`]).
    announcements: std::sync::mpsc::Sender<String>,
    /// Until when the database is taken to be down (see [`DOWN_FOR`]).
    down_until: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), checks that commits
    /// are durable and brings the schema up to date. Blocks: call it off the
    /// async threads (see [`crate::store::Db::open`]).
    pub fn open(url: &str) -> OpenResult<PgStore> {
        let connector = std::sync::Arc::new(tls::Connector::new(url, &redact(url))?);
        // Metering checks a connection by using it: a broken one fails its
        // group (503, to be retried) and is dropped, rather than every group
        // paying a round trip to test it first.
        let pool_of = |size: u32, test: bool| {
            r2d2::Pool::builder()
                .max_size(size)
                .test_on_check_out(test)
                .min_idle(Some(2))
                .connection_timeout(CHECKOUT_TIMEOUT)
                .build(Manager(connector.clone()))
                .map_err(|e| {
                    // The pool says only that it timed out; one more try says why.
                    let why = match connector.connect() {
                        Err(direct) => causes(&direct),
                        Ok(_) => e.to_string(),
                    };
                    format!("cannot connect to {}: {why}", redact(url))
                })
        };
        let pool = pool_of(POOL_SIZE, true)?;
        let metering = pool_of(METERING_POOL_SIZE, false)?;
        let store = PgStore {
            announcements: notify::start_announcing(pool.clone())?,
            pool,
            metering,
            connector,
            down_until: Default::default(),
        };
        let mut conn = store.pool.get()?;
        let fsync: String = conn.client.query_one("SHOW fsync", &[])?.get(0);
        if fsync != "on" {
            return Err(
                "the PostgreSQL server runs with fsync = off: an acknowledged usage record could \
                 be lost in a crash. Turn fsync on."
                    .into(),
            );
        }
        migrate::migrate(&mut conn.client)?;
        Ok(store)
    }

    /// Whether connections are encrypted (the URL's `sslmode`).
    pub fn encrypted(&self) -> bool {
        self.connector.encrypted()
    }

    /// Runs `f` on a pooled connection on the current thread (set-up and tests).
    pub fn with<T>(&self, f: impl FnOnce(&mut Client) -> T) -> StoreResult<T> {
        let mut conn = self.pool.get()?;
        Ok(f(&mut conn.client))
    }

    /// The slug of every workspace in the database.
    pub fn workspace_slugs(&self) -> StoreResult<Vec<String>> {
        let mut conn = self.pool.get()?;
        let rows = conn
            .client
            .query("SELECT slug FROM workspaces ORDER BY id", &[])?;
        Ok(rows.iter().map(|r| r.get("slug")).collect())
    }

    /// Runs `f` in a transaction on a pooled connection: read-only on one
    /// snapshot, or a write that locks what it changes.
    fn run<T, E, F>(&self, pool: &r2d2::Pool<Manager>, write: bool, f: F) -> Result<T, E>
    where
        E: From<StoreError>,
        F: FnOnce(&mut dyn Tx) -> Result<T, E>,
    {
        let mut conn = self.checkout(pool)?;
        let PgConn { client, statements } = &mut *conn;
        let transaction = if write {
            client.transaction()
        } else {
            client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
        }
        .map_err(StoreError::from)?;
        let mut tx = tx::PgTx {
            tx: transaction,
            statements,
            write,
        };
        let out = f(&mut tx)?;
        // An `Err` above dropped the transaction, which rolls it back.
        tx.tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

impl PgStore {
    /// A connection of `pool`; none, at once, while the database is taken to be down.
    fn checkout(&self, pool: &r2d2::Pool<Manager>) -> StoreResult<r2d2::PooledConnection<Manager>> {
        let until = *self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        if until.is_some_and(|t| std::time::Instant::now() < t) {
            return Err(StoreError::unavailable(
                "the database could not be reached a moment ago",
            ));
        }
        pool.get().map_err(|e| {
            *self.down_until.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(std::time::Instant::now() + DOWN_FOR);
            StoreError::from(e)
        })
    }
}

/// An error and every cause under it (a TLS refusal says which check failed).
fn causes(e: &dyn std::error::Error) -> String {
    let mut said = e.to_string();
    let mut under = e.source();
    while let Some(cause) = under {
        let more = cause.to_string();
        if !said.contains(&more) {
            said = format!("{said}: {more}");
        }
        under = cause.source();
    }
    said
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

impl PgStore {
    /// Runs `f` in a transaction on a connection of `metering`'s pool or the
    /// shared one, off the async threads.
    fn spawn<T, E, F>(
        &self,
        metering: bool,
        write: bool,
        f: F,
    ) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let store = self.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let pool = if metering {
                    &store.metering
                } else {
                    &store.pool
                };
                store.run(pool, write, f)
            })
            .await
            .map_err(|e| {
                let what = match (metering, write) {
                    (true, _) => "metering",
                    (false, true) => "write",
                    (false, false) => "read",
                };
                StoreError::new(format!("{what} task failed: {e}"))
            })?
        }
    }
}

impl Store for PgStore {
    fn read<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        self.spawn(false, false, f)
    }

    fn write<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        self.spawn(false, true, f)
    }

    /// A write on metering's own connections.
    fn meter<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        self.spawn(true, true, f)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn messages_never_show_the_password() {
        assert_eq!(
            redact("postgres://billing:s3cret@db:5432/billing"),
            "postgres://billing@db:5432/billing"
        );
        assert_eq!(redact("postgres://db/billing"), "postgres://db/billing");
    }
}
