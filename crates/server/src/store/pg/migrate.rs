//! The shared schema steps ([`MIGRATIONS`]), applied in PostgreSQL's dialect.

use super::OpenResult;
use crate::store::migrations::MIGRATIONS;
use crate::store::StoreError;
use postgres::Client;

/// Taken while the schema is brought up to date, so that servers starting at
/// the same moment apply each step once (any 64-bit number of our own).
const MIGRATION_LOCK: i64 = 0x6269_6c6c_696e_6721; // "billing!"

/// Brings the schema up to date under an advisory lock: a second server
/// starting at the same moment waits, then finds every step applied.
pub(super) fn migrate(client: &mut Client) -> OpenResult<()> {
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
