//! Live billing: who is watching which workspace, told when its billing
//! changes. Every committed write that changes a workspace's billing (usage
//! recorded or refused at the cap, a settings change) calls [`Live::changed`];
//! each open event stream (`GET …/billing/events`) waits on its workspace's
//! channel and pushes the new state. On PostgreSQL the same call also reaches
//! the other servers, through `NOTIFY` (see `store::pg::listen`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The hub of one server.
#[derive(Clone)]
pub struct Live {
    workspaces: Arc<Mutex<HashMap<String, watch::Sender<u64>>>>,
    closing: watch::Sender<bool>,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            workspaces: Arc::default(),
            closing: watch::channel(false).0,
        }
    }
}

impl Live {
    /// Tells every stream watching `slug` that its billing changed.
    pub fn changed(&self, slug: &str) {
        let mut workspaces = self.workspaces.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = workspaces.get(slug) {
            if tx.receiver_count() == 0 {
                workspaces.remove(slug);
            } else {
                tx.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// Tells every stream that billing may have changed (changes announced by
    /// other servers may have been missed).
    pub fn changed_all(&self) {
        let workspaces = self.workspaces.lock().unwrap_or_else(|p| p.into_inner());
        for tx in workspaces.values() {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// A channel that changes whenever `slug`'s billing does.
    pub fn watch(&self, slug: &str) -> watch::Receiver<u64> {
        let mut workspaces = self.workspaces.lock().unwrap_or_else(|p| p.into_inner());
        workspaces
            .entry(slug.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Ends every stream (the server is shutting down: open streams would
    /// otherwise keep it waiting for them forever).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Live::close`] was called.
    pub async fn closed(&self) {
        let mut rx = self.closing.subscribe();
        let _ = rx.wait_for(|closing| *closing).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_reaches_the_watchers_of_its_workspace_only() {
        let live = Live::default();
        let mut acme = live.watch("acme");
        let globex = live.watch("globex");
        live.changed("acme");
        assert!(acme.has_changed().unwrap());
        assert!(!globex.has_changed().unwrap());
        acme.borrow_and_update();
        live.changed("nobody-watches");
        drop(globex);
        live.changed("globex");
        assert!(!live.workspaces.lock().unwrap().contains_key("globex"));
    }

    #[tokio::test]
    async fn closing_ends_the_wait() {
        let live = Live::default();
        let waiting = tokio::spawn({
            let live = live.clone();
            async move { live.closed().await }
        });
        live.close();
        waiting.await.unwrap();
    }
}
