//! CSV downloads for owners and admins: a cycle's usage records (streamed a
//! page at a time, so a million rows take no more memory than a few
//! thousand) and the statements.

use super::error::ApiError;
use super::extract::{AppQuery, Ws, WsPath};
use crate::service::{statement_row, usage_row, User, CSV_PAGE, STATEMENT_COLUMNS, USAGE_COLUMNS};
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use billing_domain::ErrorBody;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

/// Rows written into one CSV chunk: the header, or one page of records.
fn csv_chunk<R: IntoIterator<Item = S>, S: AsRef<[u8]>>(
    rows: impl IntoIterator<Item = R>,
) -> Result<Bytes, std::io::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(row)?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// A CSV answer named `file`, its body `body`.
fn attachment(file: &str, body: Body) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The usage download's query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageCsvQuery {
    /// The first day of the cycle to list (YYYY-MM-DD); none: the current cycle.
    #[param(nullable = false, value_type = String, format = Date)]
    cycle: Option<NaiveDate>,
}

/// `GET /api/workspaces/{ws}/usage.csv?cycle=YYYY-MM-DD`
#[utoipa::path(
    get,
    path = "/api/workspaces/{ws}/usage.csv",
    tag = "billing",
    summary = "Every usage record of a cycle, as CSV (owners and admins)",
    params(WsPath, UsageCsvQuery),
    responses(
        (status = 200, description = "`recorded_at, credits, feature, idempotency_key, included, prepaid, flex_credits, flex_cost`, one row a record, in the order they came; a download (`Content-Disposition: attachment`).", content_type = "text/csv", body = String),
        (status = 400, description = "`invalid_request`: the query is not valid (a cycle that is not a date, an unknown parameter), or the address is not valid.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 403, description = "`forbidden`: only owners and admins download usage.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn usage_csv(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
    AppQuery(q): AppQuery<UsageCsvQuery>,
) -> Result<Response, ApiError> {
    let (id, start) = s.service.usage_export(ws.clone(), user, q.cycle).await?;
    // At most a few pages wait between the store and the network.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let service = s.service.clone();
    tokio::spawn(async move {
        if tx.send(csv_chunk([USAGE_COLUMNS])).await.is_err() {
            return;
        }
        let mut after = 0;
        loop {
            let page = match service.usage_page(id, start, after).await {
                Ok(page) => page,
                Err(e) => {
                    // The body ends short rather than looking complete.
                    let _ = tx.send(Err(std::io::Error::other(format!("{e:?}")))).await;
                    return;
                }
            };
            let Some(last) = page.last() else { return };
            after = last.id;
            let done = page.len() < CSV_PAGE as usize;
            if tx
                .send(csv_chunk(page.iter().map(usage_row)))
                .await
                .is_err()
                || done
            {
                return;
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    Ok(attachment(
        &format!("{ws}-usage-{start}.csv"),
        Body::from_stream(body),
    ))
}

/// `GET /api/workspaces/{ws}/statements.csv`
#[utoipa::path(
    get,
    path = "/api/workspaces/{ws}/statements.csv",
    tag = "billing",
    summary = "Every statement, newest first, as CSV (owners and admins)",
    params(WsPath),
    responses(
        (status = 200, description = "`id, cycle_start, cycle_end, included_used, prepaid_used, flex_credits, flex_amount, cap, closed_at`, newest first; a download (`Content-Disposition: attachment`).", content_type = "text/csv", body = String),
        (status = 400, description = "`invalid_request`: the address is not valid.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no live session.", body = ErrorBody),
        (status = 403, description = "`forbidden`: only owners and admins download statements.", body = ErrorBody),
    ),
    security(("billing_session" = [])),
)]
pub async fn statements_csv(
    State(s): State<AppState>,
    user: User,
    Ws(ws): Ws,
) -> Result<Response, ApiError> {
    let statements = s.service.statements_export(ws.clone(), user).await?;
    let rows = std::iter::once(STATEMENT_COLUMNS.map(String::from))
        .chain(statements.iter().map(statement_row));
    let body = csv_chunk(rows).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(attachment(
        &format!("{ws}-statements.csv"),
        Body::from(body),
    ))
}
