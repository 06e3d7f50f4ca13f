//! Metering: recording usage against the included, prepaid and flex credits.

use super::statements::close_ended;
use super::{summary, Result, Service, ServiceError};
use crate::store::{Store, WorkspaceRow};
use billing_domain::{
    draw, thresholds_crossed, Balances, BillingCycle, DrawError, Threshold, UsageResponse,
    ValidUsage,
};
use chrono::NaiveDate;

impl<S: Store> Service<S> {
    /// Records metered usage for `slug`: included, then prepaid, then flex
    /// credits within the cap, all or nothing. The same key records once. A
    /// refusal at the cap is kept, so the page can say that work is blocked.
    pub async fn record_usage(
        &self,
        slug: String,
        usage: ValidUsage,
        today: NaiveDate,
    ) -> Result<UsageResponse> {
        let changed = slug.clone();
        let alerts = self.alerts.clone();
        let now = self.clock.now();
        let (outcome, queued) = self
            .store
            .meter(move |tx| {
                let ws = tx
                    .workspace_by_slug(&slug)?
                    .ok_or(ServiceError::WorkspaceNotFound)?;
                let cycle = BillingCycle::containing(ws.anchor, ws.interval, today);
                // The first write after a cycle's end closes it, if the closer has not.
                let closed = close_ended(tx, &ws, today, now, &alerts)?;
                if let Some(stored) = tx.usage_by_key(ws.id, &usage.idempotency_key)? {
                    if stored.credits != usage.credits || stored.feature != usage.feature {
                        return Err(ServiceError::IdempotencyConflict);
                    }
                    return Ok((
                        Ok(UsageResponse {
                            draw: stored.draw,
                            replayed: true,
                            usage: summary(&ws, tx.cycle_totals(ws.id, cycle.start)?),
                        }),
                        closed,
                    ));
                }
                let totals = tx.cycle_totals(ws.id, cycle.start)?;
                let balances = Balances {
                    included_total: ws.included,
                    included_used: totals.included,
                    prepaid_balance: ws.prepaid_balance,
                    flex_enabled: ws.flex.enabled,
                    flex_cap: ws.flex.cap,
                    flex_used: totals.flex,
                    flex_billed: totals.flex_cost,
                    flex_rate: ws.flex_rate,
                };
                let drawn = match draw(&balances, usage.credits) {
                    Ok(drawn) => drawn,
                    Err(refused) => {
                        // Nothing is drawn; a refusal at the cap is kept (and
                        // committed) until the settings change.
                        let mut queued = closed;
                        if matches!(refused, DrawError::FlexCapReached { .. }) {
                            tx.insert_blocked(ws.id, cycle.start, ws.flex.version, usage.credits)?;
                            // Work is blocked: the cap is reached for people, if not in cents.
                            queued = alerts.threshold(
                                tx,
                                &ws,
                                cycle,
                                Threshold::CapReached,
                                totals.flex_cost,
                                now,
                            )?;
                        }
                        return Ok((Err(refused), queued));
                    }
                };
                tx.insert_usage(ws.id, &usage, cycle.start, today, now, &drawn)?;
                // Thresholds crossed by this record: rare, so the usual record reads nothing more.
                let spend = totals.flex_cost + drawn.flex_cost;
                let mut queued = closed;
                for crossed in
                    thresholds_crossed(totals.flex_cost, spend, ws.flex.cap, &ws.alert_thresholds)
                {
                    queued |= alerts.threshold(tx, &ws, cycle, crossed, spend, now)?;
                }
                // The answer is what the next read will show, worked out rather than read back.
                let after = WorkspaceRow {
                    prepaid_balance: ws.prepaid_balance - drawn.prepaid,
                    ..ws
                };
                Ok((
                    Ok(UsageResponse {
                        draw: drawn,
                        replayed: false,
                        usage: summary(&after, totals.with(&drawn)),
                    }),
                    queued,
                ))
            })
            .await?;
        if queued {
            self.alerts.queued();
        }
        let result = match &outcome {
            Ok(recorded) if recorded.replayed => "replayed",
            Ok(_) => "accepted",
            Err(refused) => refused.code(),
        };
        metrics::counter!("usage_records_total", "result" => result).increment(1);
        match &outcome {
            Ok(recorded) if !recorded.replayed => self.changed(&changed),
            Err(DrawError::FlexCapReached { .. }) => self.changed(&changed),
            _ => {}
        }
        outcome.map_err(ServiceError::Draw)
    }
}
