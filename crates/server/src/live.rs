//! Live billing: who is watching which workspace, told when its billing
//! changes. Every committed write that changes a workspace's billing (usage
//! recorded or refused at the cap, a settings change) calls [`Live::changed`];
//! each open event stream (`GET …/billing/events`) waits on its workspace's
//! channel and pushes the new state. On PostgreSQL the same call also reaches
//! the other servers, through `NOTIFY` (see `store::pg::listen`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The most event streams one person may hold open on one server: a page
/// open in a few tabs and windows, not a flood.
pub const MAX_STREAMS_PER_PERSON: usize = 8;

type Workspaces = Arc<Mutex<HashMap<String, watch::Sender<u64>>>>;

/// The hub of one server.
#[derive(Clone)]
pub struct Live {
    workspaces: Workspaces,
    /// Open event streams, by person.
    streams: Arc<Mutex<HashMap<i64, usize>>>,
    closing: watch::Sender<bool>,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            workspaces: Arc::default(),
            streams: Arc::default(),
            closing: watch::channel(false).0,
        }
    }
}

/// A subscription to one workspace's changes ([`Live::watch`]). When the
/// last one of a workspace ends, the workspace is forgotten.
pub struct Watch {
    rx: watch::Receiver<u64>,
    slug: String,
    workspaces: Workspaces,
}

impl std::ops::Deref for Watch {
    type Target = watch::Receiver<u64>;
    fn deref(&self) -> &watch::Receiver<u64> {
        &self.rx
    }
}

impl std::ops::DerefMut for Watch {
    fn deref_mut(&mut self) -> &mut watch::Receiver<u64> {
        &mut self.rx
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut workspaces = self.workspaces.lock().unwrap_or_else(|p| p.into_inner());
        // This subscription is the last one if only it is left.
        if workspaces
            .get(&self.slug)
            .is_some_and(|tx| tx.receiver_count() <= 1)
        {
            workspaces.remove(&self.slug);
        }
    }
}

/// One person's place among their open streams ([`Live::open_stream`]);
/// given back when the stream ends.
pub struct StreamSlot {
    user_id: i64,
    streams: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = streams.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                streams.remove(&self.user_id);
            }
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

    /// A channel that changes whenever `slug`'s billing does. Subscribe only
    /// after checking that the person is a member: each workspace watched
    /// takes memory until its last subscription ends.
    pub fn watch(&self, slug: &str) -> Watch {
        let mut workspaces = self.workspaces.lock().unwrap_or_else(|p| p.into_inner());
        let rx = workspaces
            .entry(slug.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Watch {
            rx,
            slug: slug.to_string(),
            workspaces: self.workspaces.clone(),
        }
    }

    /// A place for one more event stream of person `user_id`; none if they
    /// hold [`MAX_STREAMS_PER_PERSON`] already.
    pub fn open_stream(&self, user_id: i64) -> Option<StreamSlot> {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        let open = streams.entry(user_id).or_insert(0);
        if *open >= MAX_STREAMS_PER_PERSON {
            return None;
        }
        *open += 1;
        Some(StreamSlot {
            user_id,
            streams: self.streams.clone(),
        })
    }

    /// How many event streams are open on this server.
    pub fn open_streams(&self) -> usize {
        self.streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }

    /// How many workspaces are watched now.
    pub fn watched(&self) -> usize {
        self.workspaces
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
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

    #[test]
    fn a_workspace_is_forgotten_when_its_last_watcher_goes() {
        let live = Live::default();
        let a = live.watch("acme");
        let b = live.watch("acme");
        assert_eq!(live.watched(), 1);
        drop(a);
        assert_eq!(live.watched(), 1, "one watcher is left");
        drop(b);
        assert_eq!(live.watched(), 0);
    }

    #[test]
    fn a_person_holds_at_most_eight_streams() {
        let live = Live::default();
        let mut slots: Vec<StreamSlot> = (0..MAX_STREAMS_PER_PERSON)
            .map(|_| live.open_stream(1).expect("a place"))
            .collect();
        assert!(live.open_stream(1).is_none(), "the ninth is refused");
        assert!(
            live.open_stream(2).is_some(),
            "someone else's are their own"
        );
        slots.pop();
        assert!(
            live.open_stream(1).is_some(),
            "one ended: one more may open"
        );
        drop(slots);
        assert!(
            live.streams.lock().unwrap().get(&1).is_none(),
            "all ended: forgotten"
        );
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
