//! The store a server runs on, chosen by `--db`.

use super::{PgStore, SqliteStore, Store, StoreError, StoreResult, Tx};
use std::future::Future;

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
    /// `write_batch` is the most writes one SQLite commit carries (a
    /// metering group is one write); PostgreSQL commits each transaction on
    /// its own, and metering groups its records before (`service/usage.rs`).
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
            Db::Postgres(pg) if pg.encrypted() => "PostgreSQL (TLS)",
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
            .map_err(|e| StoreError::new(format!("store task failed: {e}")))?
    }

    /// The slug of every workspace in the database.
    pub async fn workspace_slugs(&self) -> StoreResult<Vec<String>> {
        self.blocking(|db| match db {
            Db::Sqlite(s) => s.workspace_slugs(),
            Db::Postgres(p) => p.workspace_slugs(),
        })
        .await
    }

    /// Seeds the demo workspaces and people into an empty database (see
    /// [`crate::demo::seed_if_empty`]). Answers whether it did.
    pub async fn seed_demo_if_empty(&self) -> StoreResult<bool> {
        crate::demo::seed_if_empty(self).await
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
            .ok_or_else(|| StoreError::new(format!("no row from {sql}")))?;
        first
            .parse()
            .map_err(|_| StoreError::new(format!("{first:?} from {sql} is not a whole number")))
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

    fn meter<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        async move {
            match db {
                Db::Sqlite(s) => s.write(f).await,
                Db::Postgres(p) => p.meter(f).await,
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
