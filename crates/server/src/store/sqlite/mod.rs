//! The SQLite store: one database file in WAL mode, migrations applied at start.
//!
//! Writes go to one writer thread that commits them in groups (see
//! [`writer`]); reads use a small pool of read connections, which WAL lets
//! run beside the writer, so polling pages never queue behind metering.

mod columns;
mod tx;
mod writer;

pub use writer::DEFAULT_MAX_BATCH;

use super::migrations::MIGRATIONS;
use super::{Store, StoreError, Tx};
use rusqlite::{Connection, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Applies the shared steps not applied yet, in SQLite's dialect;
/// `user_version` counts those applied. `BEGIN IMMEDIATE` takes the write
/// lock before the count is read, so a second server starting at the same
/// moment waits (the busy timeout), then finds every step applied.
fn migrate(conn: &mut Connection) -> OpenResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied: usize = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if applied > MIGRATIONS.len() {
        return Err(format!(
            "the database has {applied} schema steps and this server knows {}: run the newer server",
            MIGRATIONS.len()
        )
        .into());
    }
    for m in &MIGRATIONS[applied..] {
        tx.execute_batch(m.sqlite)
            .map_err(|e| format!("schema step {}: {e}", m.name))?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len())?;
    tx.commit()?;
    Ok(())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode::{
            CannotOpen, DatabaseBusy, DatabaseLocked, DiskFull, SystemIoFailure,
        };
        match e.sqlite_error_code() {
            Some(DiskFull | SystemIoFailure | CannotOpen | DatabaseBusy | DatabaseLocked) => {
                StoreError::unavailable(e.to_string())
            }
            _ => StoreError::new(e.to_string()),
        }
    }
}

/// Read connections: enough for both cores and a little waiting on I/O.
const READERS: usize = 4;

/// The embedded store.
#[derive(Clone)]
pub struct SqliteStore(Arc<Inner>);

struct Inner {
    path: PathBuf,
    writer: writer::Writer,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

type OpenResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Opens a connection with the settings every connection of the store has.
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Switches the file to WAL. The switch answers "database is locked" at once,
/// without waiting (SQLite's busy timeout does not cover it), while another
/// server is opening the same new file: it is tried again for a few seconds.
fn wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            done => return done,
        }
    }
}

/// The writer's connection: WAL, `synchronous=FULL`, schema up to date.
fn writer_connection(path: &Path) -> OpenResult<Connection> {
    let mut conn = connect(path)?;
    wal(&conn)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    migrate(&mut conn)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    ///
    /// `synchronous=FULL`: a write is answered only after it is on disk, so an
    /// acknowledged usage record or settings change survives a power cut.
    pub fn open(path: &Path) -> OpenResult<SqliteStore> {
        SqliteStore::open_with_batch(path, writer::DEFAULT_MAX_BATCH)
    }

    /// [`SqliteStore::open`], committing at most `max_batch` writes at a time
    /// (1: one transaction and one fsync per request, the baseline the
    /// benchmark compares group commit with).
    pub fn open_with_batch(path: &Path, max_batch: usize) -> OpenResult<SqliteStore> {
        let conn = writer_connection(path)?;
        let readers = (0..READERS)
            .map(|_| connect(path).map(Mutex::new))
            .collect::<rusqlite::Result<_>>()?;
        Ok(SqliteStore(Arc::new(Inner {
            path: path.to_path_buf(),
            writer: writer::Writer::start(conn, max_batch)?,
            readers,
            next_reader: AtomicUsize::new(0),
        })))
    }

    /// Runs `f` on a connection of its own, on the current thread (set-up and tests).
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = connect(&self.0.path).expect("open the database file");
        f(&mut conn)
    }

    /// The slug of every workspace in the database.
    pub fn workspace_slugs(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT slug FROM workspaces ORDER BY id")?;
            let slugs = stmt.query_map([], |r| r.get(0))?;
            Ok(slugs.collect::<rusqlite::Result<_>>()?)
        })
    }
}

impl Store for SqliteStore {
    fn read<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let inner = self.0.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                // The next reader in turn, or any that is free; else wait for the one in turn.
                let n = inner.readers.len();
                let start = inner.next_reader.fetch_add(1, Ordering::Relaxed);
                let conn = (0..n)
                    .find_map(|i| inner.readers[(start + i) % n].try_lock().ok())
                    .unwrap_or_else(|| {
                        inner.readers[start % n]
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                    });
                conn.execute_batch("BEGIN").map_err(StoreError::from)?;
                let out = f(&mut tx::SqliteTx(&conn));
                // A read-only transaction: ending it releases the snapshot.
                conn.execute_batch("COMMIT").map_err(StoreError::from)?;
                out
            })
            .await
            .map_err(|e| StoreError::new(format!("read task failed: {e}")))?
        }
    }

    fn write<T, E, F>(&self, f: F) -> impl std::future::Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        self.0.writer.submit(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_applies_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.sqlite3");
        let mut conn = writer_connection(&path).unwrap();
        let steps: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(steps, MIGRATIONS.len());
        migrate(&mut conn).expect("a second start finds every step applied");
    }

    #[test]
    fn writes_are_durable_to_a_power_cut() {
        let dir = tempfile::tempdir().unwrap();
        let conn = writer_connection(&dir.path().join("b.sqlite3")).unwrap();
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
