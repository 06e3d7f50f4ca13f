//! The SQLite connection: opened with WAL and migrations, used off the async threads.

use crate::error::ApiError;
use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};
use std::path::Path;
use std::sync::{Arc, Mutex};

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/001_init.sql")),
        M::up(include_str!("../migrations/002_blocked_usage.sql")),
    ])
}

/// A shared connection. SQLite serialises writers anyway; one connection
/// behind a mutex keeps every transaction simple and the app small.
#[derive(Clone)]
pub struct Db(Arc<Mutex<Connection>>);

impl Db {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Db, Box<dyn std::error::Error + Send + Sync>> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Db::prepare(&mut conn)?;
        Ok(Db(Arc::new(Mutex::new(conn))))
    }

    /// An in-memory database, for unit tests.
    pub fn open_in_memory() -> Result<Db, Box<dyn std::error::Error + Send + Sync>> {
        let mut conn = Connection::open_in_memory()?;
        Db::prepare(&mut conn)?;
        Ok(Db(Arc::new(Mutex::new(conn))))
    }

    fn prepare(conn: &mut Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(conn)?;
        Ok(())
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn call<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Runs `f` with the connection on the current thread (set-up and tests).
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }
}
