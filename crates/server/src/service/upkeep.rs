//! Upkeep: whether the store takes writes (`GET /readyz`), and the
//! housekeeping that keeps it from growing without end.

use super::sessions::SESSION_IDLE;
use super::{ago, Result, Service, ServiceError};
use crate::store::Store;
use std::time::Duration;

/// How long delivered and given-up alerts are kept when `--retention-days`
/// is not given.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// What one round of housekeeping removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Sessions that had ended (past their lifetime or idle too long).
    pub sessions: usize,
    /// Delivered or given-up alerts older than the retention, with their attempts.
    pub deliveries: usize,
}

impl<S: Store> Service<S> {
    /// Whether the store takes a write: one row written and committed.
    pub async fn ready(&self) -> Result<()> {
        let now = chrono::Utc::now();
        self.store.write(move |tx| Ok(tx.mark_ready(now)?)).await
    }

    /// How many alerts wait to be delivered, and how long the oldest has.
    pub async fn outbox_stats(&self) -> Result<(i64, Duration)> {
        let (pending, oldest) = self
            .store
            .read(|tx| Ok::<_, ServiceError>(tx.outbox_stats()?))
            .await?;
        let age = oldest
            .map(|at| (chrono::Utc::now() - at).to_std().unwrap_or_default())
            .unwrap_or_default();
        Ok((pending, age))
    }

    /// Removes ended sessions, and delivered or given-up alerts (with their
    /// attempts) created more than `retention` ago.
    pub async fn purge(&self, retention: Duration) -> Result<Purged> {
        let now = self.clock.now();
        self.store
            .write(move |tx| {
                Ok(Purged {
                    sessions: tx.purge_sessions(now, ago(now, SESSION_IDLE))?,
                    deliveries: tx.purge_deliveries(ago(now, retention))?,
                })
            })
            .await
    }
}
