//! The PostgreSQL store, for several API servers on one shared database.
//!
//! Every request is one transaction on a pooled connection. Reads run
//! `REPEATABLE READ, READ ONLY` (one snapshot for the whole answer); writes
//! run `READ COMMITTED` and lock the workspace's row first (see [`tx`]), so
//! the cap and the idempotency key hold across servers exactly as they hold
//! on one. Commits are durable: every connection runs with
//! `synchronous_commit = on`, and a server with `fsync` off is refused.

mod tx;

use super::migrations::MIGRATIONS;
use super::{Store, StoreError, Tx};
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;
use std::time::Duration;

/// Connections each server keeps: enough to keep both cores busy while others
/// wait on the disk, few enough that several servers fit the default
/// `max_connections` (100).
pub const POOL_SIZE: u32 = 16;

/// Taken while the schema is brought up to date, so that servers starting at
/// the same moment apply each step once (any 64-bit number of our own).
const MIGRATION_LOCK: i64 = 0x6269_6c6c_696e_6721; // "billing!"

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        // The server's own message (with its SQLSTATE) says more than the wrapper.
        match e.as_db_error() {
            Some(db) => StoreError(format!("postgres {}: {}", db.code().code(), db.message())),
            None => StoreError(e.to_string()),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> StoreError {
        StoreError(format!("no database connection: {e}"))
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
struct Manager(postgres::Config);

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let mut client = self.0.connect(NoTls)?;
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
    config: std::sync::Arc<postgres::Config>,
    announcements: std::sync::mpsc::Sender<String>,
}

/// How long announcements are gathered before one `NOTIFY` transaction sends
/// them all: `NOTIFY` serializes the commits of the transactions that send it,
/// so it is kept out of the usage path and batched.
const GATHER: Duration = Duration::from_millis(20);

/// The channel billing changes are announced on.
const CHANGES: &str = "billing_changed";

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), checks that commits
    /// are durable and brings the schema up to date. Blocks: call it off the
    /// async threads (see [`crate::store::Db::open`]).
    pub fn open(url: &str) -> OpenResult<PgStore> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| format!("--db {}: {e}", redact(url)))?;
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(2))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager(config.clone()))
            .map_err(|e| format!("cannot connect to {}: {e}", redact(url)))?;
        let (announcements, gathered) = std::sync::mpsc::channel();
        let store = PgStore {
            pool: pool.clone(),
            config: std::sync::Arc::new(config),
            announcements,
        };
        std::thread::Builder::new()
            .name("pg-announce".into())
            .spawn(move || announce_batches(pool, gathered))?;
        let mut conn = store.pool.get()?;
        let fsync: String = conn.client.query_one("SHOW fsync", &[])?.get(0);
        if fsync != "on" {
            return Err(
                "the PostgreSQL server runs with fsync = off: an acknowledged usage record could \
                 be lost in a crash. Turn fsync on."
                    .into(),
            );
        }
        migrate(&mut conn.client)?;
        Ok(store)
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

    /// Seeds the demo workspaces and people into an empty database. Answers whether it did.
    pub fn seed_demo_if_empty(&self) -> StoreResult<bool> {
        let mut conn = self.pool.get()?;
        tx::seed_demo_if_empty(&mut conn.client)
    }

    /// Announces that `slug`'s billing changed to every server on this
    /// database (this one included), within [`GATHER`].
    pub fn announce(&self, slug: &str) {
        let _ = self.announcements.send(slug.to_string());
    }

    /// Listens for changes announced by any server on this database, on a
    /// connection and thread of its own, for as long as the process runs.
    /// A lost connection is made again (after 1 s, doubling up to 30 s); then
    /// `changed(None)`, as announcements may have been missed meanwhile.
    pub fn listen(&self, changed: impl Fn(Option<&str>) + Send + 'static) {
        let config = self.config.clone();
        let spawned = std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || {
                let mut wait = Duration::from_secs(1);
                let mut first = true;
                loop {
                    let listening = config.connect(NoTls).and_then(|mut client| {
                        client.batch_execute(&format!("LISTEN {CHANGES}"))?;
                        Ok(client)
                    });
                    match listening {
                        Ok(mut client) => {
                            wait = Duration::from_secs(1);
                            if !first {
                                changed(None);
                            }
                            first = false;
                            use postgres::fallible_iterator::FallibleIterator;
                            let mut notifications = client.notifications();
                            let mut incoming = notifications.blocking_iter();
                            loop {
                                match incoming.next() {
                                    Ok(Some(n)) => changed(Some(n.payload())),
                                    Ok(None) => break,
                                    Err(e) => {
                                        tracing::warn!("listening for billing changes: {e}");
                                        break;
                                    }
                                }
                            }
                        }
                        Err(e) => tracing::warn!("cannot listen for billing changes: {e}"),
                    }
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(30));
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start listening for billing changes: {e}");
        }
    }

    /// Runs `f` in a transaction on a pooled connection: read-only on one
    /// snapshot, or a write that locks what it changes.
    fn run<T, E, F>(&self, write: bool, f: F) -> Result<T, E>
    where
        E: From<StoreError>,
        F: FnOnce(&mut dyn Tx) -> Result<T, E>,
    {
        let mut conn = self.pool.get().map_err(StoreError::from)?;
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

use super::StoreResult;

/// Sends what was announced, gathered for [`GATHER`] and each slug once, in
/// one `NOTIFY` transaction; until every sender is gone.
fn announce_batches(pool: r2d2::Pool<Manager>, gathered: std::sync::mpsc::Receiver<String>) {
    while let Ok(first) = gathered.recv() {
        let mut slugs = std::collections::BTreeSet::from([first]);
        let until = std::time::Instant::now() + GATHER;
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            match gathered.recv_timeout(left) {
                Ok(slug) => {
                    slugs.insert(slug);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let slugs: Vec<String> = slugs.into_iter().collect();
        let sent = pool.get().map_err(StoreError::from).and_then(|mut conn| {
            conn.client
                .execute(
                    &format!("SELECT pg_notify('{CHANGES}', s) FROM unnest($1::text[]) AS s"),
                    &[&slugs],
                )
                .map_err(StoreError::from)
        });
        if let Err(e) = sent {
            tracing::warn!("announcing billing changes: {e}");
        }
    }
}

/// Brings the schema up to date under an advisory lock: a second server
/// starting at the same moment waits, then finds every step applied.
fn migrate(client: &mut Client) -> OpenResult<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let applied: i64 = tx
        .query_one("SELECT COUNT(*) FROM schema_migrations", &[])?
        .get(0);
    let applied = applied as usize;
    if applied > MIGRATIONS.len() {
        return Err(format!(
            "the database has {applied} schema steps and this server knows {}: run the newer server",
            MIGRATIONS.len()
        )
        .into());
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.batch_execute(m.postgres)
            .map_err(|e| format!("schema step {}: {}", m.name, StoreError::from(e)))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&(i as i32 + 1), &m.name],
        )?;
    }
    tx.commit()?;
    Ok(())
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

impl Store for PgStore {
    fn read<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let store = self.clone();
        async move {
            tokio::task::spawn_blocking(move || store.run(false, f))
                .await
                .map_err(|e| StoreError(format!("read task failed: {e}")))?
        }
    }

    fn write<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let store = self.clone();
        async move {
            tokio::task::spawn_blocking(move || store.run(true, f))
                .await
                .map_err(|e| StoreError(format!("write task failed: {e}")))?
        }
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
