//! `GET /api/workspaces/{ws}/billing/events`: the billing state, live, as
//! Server-Sent Events.

use super::error::ApiError;
use super::extract::{SessionCookie, Ws, WsPath};
use super::today;
use crate::live::{StreamSlot, Watch};
use crate::service::{Service, User};
use crate::store::Db;
use crate::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use billing_domain::{BillingState, ErrorBody};
use futures_util::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::time::Instant;

/// A comment line this often keeps proxies and the browser from closing a quiet stream.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// The least time between two events of one stream: a burst of usage
/// records becomes a few events a second, each with the state after them all.
pub const COALESCE: Duration = Duration::from_millis(250);

/// A stream reads the state again this often even when it hears of no
/// change, and sends it if it differs: an announcement lost with a crashed
/// server (between its commit and its `NOTIFY`) is made up for.
pub const RESYNC: Duration = Duration::from_secs(30);

/// How soon the browser tries again after the stream drops (the page adds its own backoff).
const RETRY: Duration = Duration::from_secs(1);

/// `GET /api/workspaces/{ws}/billing/events`
#[utoipa::path(
    get,
    path = "/api/workspaces/{ws}/billing/events",
    tag = "billing",
    summary = "The billing state, live (Server-Sent Events)",
    description = "A `text/event-stream` for members of the workspace. The first event is the \
        billing state now, at once (also after a reconnect with `Last-Event-ID`); then a new \
        state whenever usage is recorded or refused at the cap or the settings change, on any \
        server, at most four a second. Each event's `data` is the `BillingState` as JSON and its \
        `id` the number of changes this server has seen in the workspace. A comment line every \
        15 s keeps a quiet stream open. The stream ends when the session does or the person \
        leaves the workspace.",
    params(WsPath),
    responses(
        (status = 200, description = "The stream; each event's data is a `BillingState`.", content_type = "text/event-stream", body = String),
        (status = 400, description = "`invalid_request`: the address is not valid (a path segment that is not UTF-8).", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 404, description = "`workspace_not_found`: no such workspace, or the person is not a member.", body = ErrorBody),
        (status = 429, description = "`too_many_streams`: the person holds 8 event streams on this server already; close one.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn events(
    State(s): State<AppState>,
    SessionCookie(token): SessionCookie,
    user: User,
    Ws(ws): Ws,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let live = s.service.live();
    let user_id = user.id;
    // The first read checks the membership; only then does the stream take
    // one of the person's places, and only then is the workspace watched.
    let first = s.service.billing_state(ws.clone(), user, today(&s)).await?;
    let slot = live
        .open_stream(user_id)
        .ok_or_else(ApiError::too_many_streams)?;
    let mut changes = live.watch(&ws);
    // A change between the read and the subscription is read at once.
    changes.mark_changed();
    let follow = Follow {
        service: s.service.clone(),
        token: token.unwrap_or_default(),
        slug: ws,
        changes,
        last: None,
        first: Some(first),
        catching_up: true,
        sent: Instant::now(),
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(follow, |mut f| async move {
        let first = f.first.is_some();
        let state = f.next().await?;
        let seen = *f.changes.borrow();
        Some((Ok(event(&state, seen, first)), f))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

/// One stream: whose, of which workspace, and what it last sent.
struct Follow {
    service: Service<Db>,
    token: String,
    slug: String,
    changes: Watch,
    first: Option<BillingState>,
    /// What was sent last.
    last: Option<BillingState>,
    /// The read after the first event, for a change made before the
    /// subscription: sent only if the state differs.
    catching_up: bool,
    sent: Instant,
    /// Its place among the person's streams, given back when it ends.
    _slot: StreamSlot,
}

impl Follow {
    /// The next state to send; `None` ends the stream.
    async fn next(&mut self) -> Option<BillingState> {
        if let Some(first) = self.first.take() {
            self.last = Some(first.clone());
            return Some(first);
        }
        let live = self.service.live().clone();
        loop {
            let mut resync = false;
            tokio::select! {
                changed = self.changes.changed() => changed.ok()?,
                _ = tokio::time::sleep(RESYNC) => resync = true,
                _ = live.closed() => return None,
            }
            tokio::select! {
                _ = tokio::time::sleep_until(self.sent + COALESCE) => {}
                _ = live.closed() => return None,
            }
            // What changed meanwhile is in the state read now.
            self.changes.borrow_and_update();
            // The session and the membership are checked again for every event.
            let user = self
                .service
                .session_user(self.token.clone())
                .await
                .ok()
                .flatten()?;
            let state = self
                .service
                .billing_state(self.slug.clone(), user, self.service.clock().today())
                .await
                .ok()?;
            // A resync (or the catch-up) that finds nothing new sends nothing.
            let quiet = resync || std::mem::replace(&mut self.catching_up, false);
            if quiet && self.last.as_ref() == Some(&state) {
                continue;
            }
            self.sent = Instant::now();
            self.last = Some(state.clone());
            return Some(state);
        }
    }
}

fn event(state: &BillingState, seen: u64, first: bool) -> Event {
    let event = Event::default()
        .id(seen.to_string())
        .json_data(state)
        .unwrap_or_else(|_| Event::default().comment("unserializable state"));
    // The first event of a stream also tells the browser how soon to come back.
    if first {
        event.retry(RETRY)
    } else {
        event
    }
}
