//! Group commit: every write goes to one writer thread, which takes what has
//! queued up, runs each request in its own savepoint (a refusal undoes only
//! itself), commits the batch once (one fsync under `synchronous=FULL`), and
//! only then answers every request in it. Requests apply in arrival order, so
//! a rule such as the cap holds exactly for each, as if they ran one by one.

use super::tx::SqliteTx;
use crate::store::{StoreError, Tx};
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// The most requests one commit carries by default: enough to pay for an
/// fsync many times over, few enough that the first in a batch does not wait long.
pub const DEFAULT_MAX_BATCH: usize = 512;

/// One queued write, its types erased.
trait Job: Send {
    /// Runs the request inside the open transaction; answers whether it succeeded.
    fn run(&mut self, tx: &mut dyn Tx) -> bool;
    /// Answers the caller: the request's own result once committed, or why
    /// the batch could not be.
    fn finish(self: Box<Self>, failed: Option<StoreError>);
}

struct Request<T, E, F> {
    f: Option<F>,
    result: Option<Result<T, E>>,
    answer: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for Request<T, E, F>
where
    T: Send,
    E: From<StoreError> + Send,
    F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send,
{
    fn run(&mut self, tx: &mut dyn Tx) -> bool {
        let Some(f) = self.f.take() else { return false };
        let result = f(tx);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, failed: Option<StoreError>) {
        let answer = match (failed, self.result) {
            (None, Some(result)) => result,
            (Some(e), _) => Err(E::from(e)),
            (None, None) => Err(E::from(StoreError::new("the write did not run"))),
        };
        let _ = self.answer.send(answer);
    }
}

/// The handle to the writer thread; the thread ends when the last handle is dropped.
pub(super) struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread; each commit carries at most `max_batch` requests.
    pub(super) fn start(conn: Connection, max_batch: usize) -> std::io::Result<Writer> {
        let (queue, inbox) = mpsc::channel();
        let max_batch = max_batch.max(1);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, inbox, max_batch))?;
        Ok(Writer { queue })
    }

    /// Queues `f`; resolves once its batch is committed.
    pub(super) async fn submit<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job = Request {
            f: Some(f),
            result: None,
            answer,
        };
        if self.queue.send(Box::new(job)).is_err() {
            return Err(E::from(StoreError::unavailable("the writer has stopped")));
        }
        answered.await.unwrap_or_else(|_| {
            Err(E::from(StoreError::unavailable(
                "the writer dropped a write",
            )))
        })
    }
}

fn run(conn: Connection, inbox: mpsc::Receiver<Box<dyn Job>>, max_batch: usize) {
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match inbox.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&conn, batch);
    }
}

fn commit_batch(conn: &Connection, mut batch: Vec<Box<dyn Job>>) {
    if batch.is_empty() {
        return;
    }
    metrics::histogram!("sqlite_commit_batch_size").record(batch.len() as f64);
    let outcome = (|| -> rusqlite::Result<()> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for job in &mut batch {
            conn.execute_batch("SAVEPOINT request")?;
            let ok =
                catch_unwind(AssertUnwindSafe(|| job.run(&mut SqliteTx(conn)))).unwrap_or(false);
            if !ok {
                conn.execute_batch("ROLLBACK TO request")?;
            }
            conn.execute_batch("RELEASE request")?;
        }
        conn.execute_batch("COMMIT")
    })();
    let failed = outcome.err().map(|e| {
        // Nothing of the batch is kept; every request in it is answered with the failure.
        let _ = conn.execute_batch("ROLLBACK");
        StoreError::from(e)
    });
    for job in batch {
        job.finish(failed.clone());
    }
}
