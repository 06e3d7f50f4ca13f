//! Telling every server on the database that a workspace's billing changed:
//! `NOTIFY billing_changed`, gathered and sent in batches of its own, and a
//! `LISTEN` on a connection of its own.

use super::{Manager, PgStore};
use crate::store::StoreError;
use std::sync::mpsc;
use std::time::Duration;

/// How long announcements are gathered before one `NOTIFY` transaction sends
/// them all: `NOTIFY` serializes the commits of the transactions that send it,
/// so it is kept out of the usage path and batched.
const GATHER: Duration = Duration::from_millis(20);

/// The channel billing changes are announced on.
const CHANGES: &str = "billing_changed";

/// Starts the thread that sends what is announced; answers where to announce.
pub(super) fn start_announcing(pool: r2d2::Pool<Manager>) -> std::io::Result<mpsc::Sender<String>> {
    let (announcements, gathered) = mpsc::channel();
    std::thread::Builder::new()
        .name("pg-announce".into())
        .spawn(move || announce_batches(pool, gathered))?;
    Ok(announcements)
}

impl PgStore {
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
        let connector = self.connector.clone();
        let spawned = std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || {
                let mut wait = Duration::from_secs(1);
                let mut first = true;
                loop {
                    let listening = connector.connect().and_then(|mut client| {
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
}

/// Sends what was announced, gathered for [`GATHER`] and each slug once, in
/// one `NOTIFY` transaction; until every sender is gone.
fn announce_batches(pool: r2d2::Pool<Manager>, gathered: mpsc::Receiver<String>) {
    while let Ok(first) = gathered.recv() {
        let mut slugs = std::collections::BTreeSet::from([first]);
        let until = std::time::Instant::now() + GATHER;
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            match gathered.recv_timeout(left) {
                Ok(slug) => {
                    slugs.insert(slug);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
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
