//! The SQLite store: one database file, WAL, migrations applied at start.

mod tx;

use super::{Store, StoreError, Tx};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use rusqlite_migration::{Migrations, M};
use std::path::Path;
use std::sync::{Arc, Mutex};

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/001_init.sql")),
        M::up(include_str!("migrations/002_blocked_usage.sql")),
    ])
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

/// The embedded store. SQLite serialises writers anyway; one connection
/// behind a mutex keeps every transaction simple.
#[derive(Clone)]
pub struct SqliteStore(Arc<Mutex<Connection>>);

type OpenResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> OpenResult<SqliteStore> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        SqliteStore::prepare(&mut conn)?;
        Ok(SqliteStore(Arc::new(Mutex::new(conn))))
    }

    /// An in-memory database, for unit tests.
    pub fn open_in_memory() -> OpenResult<SqliteStore> {
        let mut conn = Connection::open_in_memory()?;
        SqliteStore::prepare(&mut conn)?;
        Ok(SqliteStore(Arc::new(Mutex::new(conn))))
    }

    fn prepare(conn: &mut Connection) -> OpenResult<()> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(conn)?;
        Ok(())
    }

    /// Runs `f` with the connection on the current thread (set-up and tests).
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Seeds the demo workspaces and people into an empty database. Answers whether it did.
    pub fn seed_demo_if_empty(&self) -> Result<bool, StoreError> {
        self.with(tx::seed_demo_if_empty)
    }

    async fn run<T, E, F>(&self, behavior: TransactionBehavior, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let conn = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let tx = Transaction::new(&mut conn, behavior).map_err(StoreError::from)?;
            let mut tx = tx::SqliteTx(tx);
            let out = f(&mut tx)?;
            tx.0.commit().map_err(StoreError::from)?;
            Ok(out)
        })
        .await
        .map_err(|e| StoreError(format!("store task failed: {e}")))?
    }
}

impl Store for SqliteStore {
    fn read<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        self.run(TransactionBehavior::Deferred, f)
    }

    fn write<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        self.run(TransactionBehavior::Immediate, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    #[test]
    fn the_demo_is_seeded_once() {
        let db = SqliteStore::open_in_memory().unwrap();
        assert!(db.seed_demo_if_empty().unwrap());
        assert!(!db.seed_demo_if_empty().unwrap());
        let members: i64 = db
            .with(|c| c.query_row("SELECT COUNT(*) FROM memberships", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(members, 6);
    }
}
