//! Metering: recording usage against the included, prepaid and flex credits.
//!
//! Records are metered in groups. Each server has one group writer
//! ([`Service::with_write_batch`]): it takes every record waiting (single
//! records and batches alike, up to `--write-batch`) and meters them in one
//! store transaction that locks each workspace they touch once, in id order
//! (two servers never wait on each other in a circle), reads each
//! workspace's running totals once, decides every record in the order it
//! came against the totals as the records before it left them, and writes
//! what was drawn in one go. A record is all or nothing: what it draws is
//! decided in memory and written only with the group, and a record that is
//! refused writes only its refusal. Nothing is answered before the group
//! has committed.

use super::statements::close_ended;
use super::{summary, Result, Service, ServiceError};
use crate::alerts::Alerts;
use crate::store::{At, CycleTotals, NewUsage, Store, StoredUsage, Tx, WorkspaceRow};
use billing_domain::{
    draw, thresholds_crossed, Balances, BillingCycle, DrawError, Threshold, UsageResponse,
    ValidUsage,
};
use chrono::NaiveDate;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// One record to meter: the slug of the workspace it is for, and the usage.
pub type Record = (String, ValidUsage);

/// What became of one record: recorded (or replayed), or why not.
pub type Recorded = std::result::Result<UsageResponse, ServiceError>;

/// Requests (single records or batches) that may wait for the group writer
/// at once; more wait to be queued.
const QUEUE: usize = 4096;

/// Records and where their results go.
struct Job {
    records: Vec<Record>,
    answer: oneshot::Sender<Result<Vec<Recorded>>>,
}

/// Where records are queued for this server's group writer.
#[derive(Clone)]
pub(super) struct GroupWriter(mpsc::Sender<Job>);

impl<S: Store> Service<S> {
    /// The same service, metering through a group writer that commits up to
    /// `max` records at a time; 1 meters each request in a transaction of
    /// its own, side by side (the benchmark's baseline). Needs a Tokio runtime.
    pub fn with_write_batch(self, max: usize) -> Service<S> {
        if max <= 1 {
            return Service {
                group: None,
                ..self
            };
        }
        let (queue, inbox) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(
            Service {
                group: None,
                ..self.clone()
            },
            inbox,
            max,
        ));
        Service {
            group: Some(GroupWriter(queue)),
            ..self
        }
    }

    /// Records metered usage for `slug`: included, then prepaid, then flex
    /// credits within the cap, all or nothing. The same key records once. A
    /// refusal at the cap is kept, so the page can say that work is blocked.
    pub async fn record_usage(&self, slug: String, usage: ValidUsage) -> Result<UsageResponse> {
        let mut results = self.meter(vec![(slug, usage)]).await?;
        results
            .pop()
            .unwrap_or_else(|| Err(ServiceError::Internal("a record went unanswered".into())))
    }

    /// Records each of `records` as [`Service::record_usage`] would, in
    /// their order; answers what became of each, in the same order.
    pub async fn record_usage_batch(&self, records: Vec<Record>) -> Result<Vec<Recorded>> {
        self.meter(records).await
    }

    async fn meter(&self, records: Vec<Record>) -> Result<Vec<Recorded>> {
        let Some(GroupWriter(queue)) = &self.group else {
            return self.meter_group(records).await;
        };
        let (answer, answered) = oneshot::channel();
        let stopped = || ServiceError::Unavailable("the metering writer has stopped".into());
        queue
            .send(Job { records, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    /// Meters `records` in one transaction, then tells who needs to know.
    async fn meter_group(&self, records: Vec<Record>) -> Result<Vec<Recorded>> {
        let today = self.clock.today();
        let now = self.clock.now();
        let alerts = self.alerts.clone();
        let metered = self
            .store
            .meter(move |tx| meter_in(tx, &records, today, now, &alerts))
            .await?;
        if metered.queued {
            self.alerts.queued();
        }
        let mut counts: HashMap<&'static str, u64> = HashMap::new();
        for recorded in &metered.results {
            let result = match recorded {
                Ok(r) if r.replayed => "replayed",
                Ok(_) => "accepted",
                Err(ServiceError::Draw(refused)) => refused.code(),
                Err(_) => continue,
            };
            *counts.entry(result).or_default() += 1;
        }
        for (result, n) in counts {
            metrics::counter!("usage_records_total", "result" => result).increment(n);
        }
        for slug in &metered.changed {
            self.changed(slug);
        }
        Ok(metered.results)
    }
}

/// The group writer: takes what is queued, up to `max` records (a batch is
/// never split), meters it as one group, answers each request its part.
async fn write_groups<S: Store>(service: Service<S>, mut inbox: mpsc::Receiver<Job>, max: usize) {
    while let Some(first) = inbox.recv().await {
        let mut count = first.records.len();
        let mut jobs = vec![first];
        while count < max {
            match inbox.try_recv() {
                Ok(job) => {
                    count += job.records.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        metrics::histogram!("metering_group_records").record(count as f64);
        let mut records = Vec::with_capacity(count);
        let mut parts = Vec::with_capacity(jobs.len());
        for job in jobs {
            parts.push((job.records.len(), job.answer));
            records.extend(job.records);
        }
        match service.meter_group(records).await {
            Ok(results) => {
                let mut results = results.into_iter();
                for (n, answer) in parts {
                    let _ = answer.send(Ok(results.by_ref().take(n).collect()));
                }
            }
            Err(failed) => {
                // Nothing of the group was committed: every request hears why.
                for (_, answer) in parts {
                    let _ = answer.send(Err(failed.clone()));
                }
            }
        }
    }
}

/// What metering a group came to.
struct Metered {
    /// One a record, in order.
    results: Vec<Recorded>,
    /// Whether an alert was queued for delivery.
    queued: bool,
    /// The workspaces whose billing changed.
    changed: Vec<String>,
}

/// A workspace's books while a group is metered: read once under its lock,
/// kept up to date record by record.
struct Book {
    ws: WorkspaceRow,
    cycle: BillingCycle,
    totals: CycleTotals,
    /// Records under this group's keys: stored before, or recorded in this group.
    stored: HashMap<String, StoredUsage>,
    changed: bool,
}

/// Meters `records` inside `tx`; a failure of the store fails the whole group.
/// However many records and workspaces, the store is asked the same few
/// things: lock the workspaces, their totals, the keys, write the records.
fn meter_in(
    tx: &mut dyn Tx,
    records: &[Record],
    today: NaiveDate,
    now: At,
    alerts: &Alerts,
) -> Result<Metered> {
    let mut slugs: Vec<&str> = records.iter().map(|(slug, _)| slug.as_str()).collect();
    slugs.sort_unstable();
    slugs.dedup();
    let mut queued = false;
    let mut books: Vec<Book> = Vec::with_capacity(slugs.len());
    for ws in tx.lock_workspaces(&slugs)? {
        // The first write after a cycle's end closes it, if the closer has not.
        queued |= close_ended(tx, &ws, today, now, alerts)?;
        books.push(Book {
            cycle: BillingCycle::containing(ws.anchor, ws.interval, today),
            ws,
            totals: CycleTotals::default(),
            stored: HashMap::new(),
            changed: false,
        });
    }
    // Each record's book, by its slug, and each book by its workspace's id.
    let index: HashMap<&str, usize> = books
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let slug = slugs[slugs.binary_search(&b.ws.slug.as_str()).ok()?];
            Some((slug, i))
        })
        .collect();
    let by_id: HashMap<i64, usize> = books
        .iter()
        .enumerate()
        .map(|(i, b)| (b.ws.id, i))
        .collect();
    let cycles: Vec<(i64, NaiveDate)> = books.iter().map(|b| (b.ws.id, b.cycle.start)).collect();
    let keys: Vec<(i64, &str)> = records
        .iter()
        .filter_map(|(slug, usage)| {
            let book = &books[*index.get(slug.as_str())?];
            Some((book.ws.id, usage.idempotency_key.as_str()))
        })
        .collect();
    let read = tx.metering_reads(&cycles, &keys)?;
    for (book, totals) in books.iter_mut().zip(read.totals) {
        book.totals = totals;
    }
    for ((workspace_id, key), stored) in read.stored {
        if let Some(&i) = by_id.get(&workspace_id) {
            books[i].stored.insert(key, stored);
        }
    }
    let mut results = Vec::with_capacity(records.len());
    let mut new = Vec::with_capacity(records.len());
    for (slug, usage) in records {
        let Some(&i) = index.get(slug.as_str()) else {
            results.push(Err(ServiceError::WorkspaceNotFound));
            continue;
        };
        let book = &mut books[i];
        let recorded = book.record(tx, usage, now, alerts, &mut queued)?;
        if let Ok(r) = &recorded {
            if !r.replayed {
                new.push(NewUsage {
                    workspace_id: book.ws.id,
                    cycle_start: book.cycle.start,
                    usage,
                    draw: r.draw,
                });
            }
        }
        results.push(recorded);
    }
    tx.insert_usages(today, now, &new)?;
    Ok(Metered {
        results,
        queued,
        changed: books
            .into_iter()
            .filter(|b| b.changed)
            .map(|b| b.ws.slug)
            .collect(),
    })
}

impl Book {
    /// Decides one record against the books as the records before it left them.
    fn record(
        &mut self,
        tx: &mut dyn Tx,
        usage: &ValidUsage,
        now: At,
        alerts: &Alerts,
        queued: &mut bool,
    ) -> Result<Recorded> {
        if let Some(stored) = self.stored.get(&usage.idempotency_key) {
            if stored.credits != usage.credits || stored.feature != usage.feature {
                return Ok(Err(ServiceError::IdempotencyConflict));
            }
            return Ok(Ok(UsageResponse {
                draw: stored.draw,
                replayed: true,
                usage: summary(&self.ws, self.totals),
            }));
        }
        let ws = &self.ws;
        let balances = Balances {
            included_total: ws.included,
            included_used: self.totals.included,
            prepaid_balance: ws.prepaid_balance,
            flex_enabled: ws.flex.enabled,
            flex_cap: ws.flex.cap,
            flex_used: self.totals.flex,
            flex_billed: self.totals.flex_cost,
            flex_rate: ws.flex_rate,
        };
        let drawn = match draw(&balances, usage.credits) {
            Ok(drawn) => drawn,
            Err(refused) => {
                // Nothing is drawn; the first refusal at the cap under these
                // settings is kept (and committed) until they change.
                let version = ws.flex.version;
                if matches!(refused, DrawError::FlexCapReached { .. })
                    && self.totals.blocked_version != Some(version)
                {
                    tx.insert_blocked(ws.id, self.cycle.start, version, usage.credits)?;
                    self.totals.blocked_version = Some(version);
                    // Work is blocked: the cap is reached for people, if not in cents.
                    *queued |= alerts.threshold(
                        tx,
                        ws,
                        self.cycle,
                        Threshold::CapReached,
                        self.totals.flex_cost,
                        now,
                    )?;
                    self.changed = true;
                }
                return Ok(Err(ServiceError::Draw(refused)));
            }
        };
        // Thresholds crossed by this record: rare, so the usual record reads nothing more.
        let spend = self.totals.flex_cost + drawn.flex_cost;
        for crossed in thresholds_crossed(
            self.totals.flex_cost,
            spend,
            ws.flex.cap,
            &ws.alert_thresholds,
        ) {
            *queued |= alerts.threshold(tx, ws, self.cycle, crossed, spend, now)?;
        }
        self.totals = self.totals.with(&drawn);
        self.ws.prepaid_balance = self.ws.prepaid_balance - drawn.prepaid;
        self.stored.insert(
            usage.idempotency_key.clone(),
            StoredUsage {
                credits: usage.credits,
                feature: usage.feature.clone(),
                draw: drawn,
            },
        );
        self.changed = true;
        // The answer is what the next read will show, worked out rather than read back.
        Ok(Ok(UsageResponse {
            draw: drawn,
            replayed: false,
            usage: summary(&self.ws, self.totals),
        }))
    }
}
