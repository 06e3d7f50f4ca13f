//! Request and response bodies of the billing API, shared by server and page.

use crate::{
    AuditAction, BillingState, Channel, Credits, DeliveryState, Draw, EventType, FlexSettings,
    Moment, Money, Role, UsageSummary,
};
use serde::{Deserialize, Serialize};

/// `PUT /api/workspaces/{ws}/flex/cap`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetCapRequest {
    /// The cap as typed or as a plain decimal string; read with [`crate::parse_cap`].
    #[cfg_attr(feature = "openapi", schema(example = "250.00"))]
    pub cap: String,
    /// If given, the change applies only while the settings are at this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// Body of enable, disable and remove-cap: `{"version": n}` (or `{}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    /// If given, the change applies only while the settings are at this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// `PUT /api/workspaces/{ws}/alerts`: the notification thresholds owners choose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ThresholdsRequest {
    /// Up to five different whole percents of the cap, 1 to 99, such as
    /// `[50, 75, 90]`; `[]`: no notifications before the cap.
    #[cfg_attr(feature = "openapi", schema(max_items = 5, example = json!([50, 90])))]
    pub thresholds: Vec<i64>,
}

/// The notification thresholds in force: the webhook and e-mail are sent as
/// spend reaches each of them, once per cap and cycle (and at the cap).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertThresholds {
    /// Whole percents of the cap, lowest first (`[80]` until owners choose).
    pub thresholds: Vec<u8>,
}

/// `POST /api/workspaces/{ws}/usage` (metering).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UsageRequest {
    /// Credits consumed; more than zero, at most four decimal places.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, pattern = r"^[0-9]{1,7}(\.[0-9]{1,4})?$", example = "2.5")
    )]
    pub credits: Credits,
    /// Recording the same key twice records once.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = "^[!-~]+$",
            example = "job-42"
        )
    )]
    pub idempotency_key: String,
    /// What used the credits (`training`, `deployment`, …): 1 to 40
    /// characters of `[a-z0-9_-]`; none: `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 40,
            pattern = "^[a-z0-9_-]{1,40}$",
            example = "training"
        )
    )]
    pub feature: Option<String>,
}

/// `POST /api/usage/batch` (metering): up to 1,000 records, for any workspaces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UsageBatchRequest {
    /// Recorded in this order, each on its own (all or nothing).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 1000))]
    pub records: Vec<BatchRecord>,
}

/// One record of a batch: a usage record and the workspace it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchRecord {
    /// The workspace (its slug).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[a-z0-9-]{1,63}$", example = "acme")
    )]
    pub workspace: String,
    /// Credits consumed; more than zero, at most four decimal places.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, pattern = r"^[0-9]{1,7}(\.[0-9]{1,4})?$", example = "2.5")
    )]
    pub credits: Credits,
    /// Recording the same key twice (in a workspace) records once.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = "^[!-~]+$",
            example = "job-1"
        )
    )]
    pub idempotency_key: String,
    /// What used the credits: 1 to 40 characters of `[a-z0-9_-]`; none: `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 40,
            pattern = "^[a-z0-9_-]{1,40}$",
            example = "training"
        )
    )]
    pub feature: Option<String>,
}

/// The answer to a batch: one result a record, in the order given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageBatchResponse {
    /// One a record, in the order the batch gave them.
    pub results: Vec<BatchResult>,
}

/// What became of one record of a batch: the status a single record would
/// have had (200: recorded or replayed), and for a refusal its error code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResult {
    /// 200, 402 (`no_credits`, `flex_cap_reached`), 404 (`workspace_not_found`) or 409 (`idempotency_conflict`).
    #[cfg_attr(feature = "openapi", schema(example = 200))]
    pub status: u16,
    /// Why it was refused (absent for 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "flex_cap_reached"))]
    pub code: Option<String>,
}

/// The answer to a usage record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageResponse {
    /// How the credits were paid for.
    pub draw: Draw,
    /// True when this key had already been recorded (nothing new was drawn).
    pub replayed: bool,
    /// Usage after this record.
    pub usage: UsageSummary,
}

/// Every error the API answers: `{"error": {"code", "message"}}`. A change
/// refused as stale (`409 version_conflict`) also carries the current `state`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
    /// The billing state now in force, when the change was made against an older one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Box<BillingState>>,
}

/// One API error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `cap_below_minimum`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// `GET /api/session`: who is signed in and where they belong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The person's email.
    pub email: String,
    /// Their workspaces, first joined first.
    pub workspaces: Vec<WorkspaceLink>,
}

/// One workspace of the signed-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceLink {
    /// URL identifier.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Their role in it.
    pub role: Role,
}

/// Flex Billing settings as one audit line records them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlexSnapshot {
    /// Whether Flex Billing was on.
    pub enabled: bool,
    /// The cap; `None` is no cap (or off).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub cap: Option<Money>,
}

impl From<&FlexSettings> for FlexSnapshot {
    fn from(s: &FlexSettings) -> FlexSnapshot {
        FlexSnapshot {
            enabled: s.enabled,
            cap: s.cap,
        }
    }
}

/// One change to Flex Billing, from the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEntry {
    /// Its place in the trail; later changes have higher ids.
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: Moment,
    /// Who made it (their email), if a person did.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub actor: Option<String>,
    /// What it did.
    pub action: AuditAction,
    /// The settings before.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub old: Option<FlexSnapshot>,
    /// The settings after.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub new: Option<FlexSnapshot>,
    /// The credits it is about (`prepaid_added`: the credits added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "100"))]
    pub credits: Option<crate::Credits>,
}

/// `GET /api/workspaces/{ws}/billing/activity?before=…&limit=…`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityPage {
    /// Up to `limit` changes, newest first.
    pub entries: Vec<ActivityEntry>,
    /// Pass as `before` for the next (older) page; `None` at the end.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub next_before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_cap, validate_usage};
    use proptest::prelude::*;

    proptest! {
        /// Any body at all: refused, or read exactly; never a panic.
        #[test]
        fn any_body_is_refused_or_read_exactly(body in "\\PC{0,80}") {
            if let Ok(req) = serde_json::from_str::<SetCapRequest>(&body) {
                let _ = parse_cap(&req.cap);
            }
            if let Ok(req) = serde_json::from_str::<UsageRequest>(&body) {
                let _ = validate_usage(&req);
            }
            let _ = serde_json::from_str::<ChangeRequest>(&body);
        }

        /// Bodies shaped like ours, with any value in their fields.
        #[test]
        fn our_shapes_with_any_values(value in "\\PC{0,40}", version in any::<Option<u64>>()) {
            let cap = serde_json::json!({"cap": value, "version": version});
            if let Ok(req) = serde_json::from_value::<SetCapRequest>(cap) {
                if let Ok(m) = parse_cap(&req.cap) {
                    prop_assert!(m.cents() >= crate::MIN_CAP_CENTS && m.cents() <= crate::MAX_CAP_CENTS);
                }
            }
            let usage = serde_json::json!({"credits": value, "idempotency_key": value});
            if let Ok(req) = serde_json::from_value::<UsageRequest>(usage) {
                if let Ok(v) = validate_usage(&req) {
                    let exact: rust_decimal::Decimal = value.parse().unwrap();
                    prop_assert_eq!(v.credits.amount(), exact.normalize());
                }
            }
        }
    }

    #[test]
    fn request_bodies_refuse_unknown_fields() {
        assert!(serde_json::from_str::<SetCapRequest>(r#"{"cap": "250", "versoin": 3}"#).is_err());
        assert!(serde_json::from_str::<ChangeRequest>(r#"{"version": 3}"#).is_ok());
        assert!(serde_json::from_str::<ChangeRequest>(r#"{"verison": 3}"#).is_err());
    }
}

/// `PUT /api/workspaces/{ws}/webhook`: where the workspace's alerts are sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// An `https://` address (`http://` only to 127.0.0.1, localhost or [::1]).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "https://hooks.example.com/billing")
    )]
    pub url: String,
}

/// The workspace's webhook endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookInfo {
    /// Where events are sent.
    pub url: String,
    /// When it was registered (RFC 3339, UTC).
    pub created_at: Moment,
    /// The signing secret (`whsec_…`, Standard Webhooks): only in the answer
    /// that registers the endpoint, never again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// One attempt to deliver an alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    /// When (RFC 3339, UTC).
    pub at: Moment,
    /// The receiver's HTTP status, if it answered (SMTP: 250 when accepted).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub status: Option<u16>,
    /// Why it failed, if it did.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub error: Option<String>,
}

/// One alert on its way to one receiver, and every attempt so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// The event's id (`webhook-id`), the same for every attempt.
    pub id: String,
    /// The event sent.
    pub event_type: EventType,
    /// How it is sent.
    pub channel: Channel,
    /// The webhook address or the email address.
    pub target: String,
    /// When the alert was raised (RFC 3339, UTC).
    pub created_at: Moment,
    /// Where it stands (`failed`: given up after a day).
    pub state: DeliveryState,
    /// When it is tried again, while `retrying`.
    #[cfg_attr(feature = "openapi", schema(required))]
    pub next_attempt_at: Option<Moment>,
    /// Every attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

/// `GET /api/workspaces/{ws}/deliveries`: owners only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryLog {
    /// The registered webhook endpoint, if any (without its secret).
    #[cfg_attr(feature = "openapi", schema(required))]
    pub webhook: Option<WebhookInfo>,
    /// Whether alerts are also emailed to the workspace's owners and admins (the server has SMTP).
    pub email: bool,
    /// The latest deliveries, newest first.
    pub deliveries: Vec<Delivery>,
}
