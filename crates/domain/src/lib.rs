//! Flex Billing rules and the types that cross the wire.
//!
//! Shared by the page (compiled to `wasm32-unknown-unknown`) and the API server
//! (native). Nothing here does I/O: every rule is a pure function of its inputs,
//! so the browser and the server can never disagree about it.
//!
//! ```
//! use billing_domain::{parse_cap, PlanInterval};
//!
//! let cap = parse_cap(" $1,200.00 ").unwrap();
//! assert_eq!(cap, PlanInterval::Year.default_cap());
//! assert_eq!(cap.to_string(), "$1,200.00");
//! ```

#![warn(missing_docs)]

mod alerts;
mod cap;
mod cap_edit;
mod credits;
mod cycle;
mod date_serde;
mod decimal_serde;
mod delivery;
mod feature;
mod flex;
mod forecast;
mod history;
mod moment;
mod money;
mod names;
mod notify;
mod plan;
mod platform;
mod state;
mod statement;
mod usage;
mod webhook_address;
mod wire;

pub use alerts::{alerts, cap_percent, Alert, WARNING_PERCENT};
pub use cap::{parse_cap, CapError, MAX_CAP_CENTS, MIN_CAP_CENTS};
pub use cap_edit::{cap_field_text, decide_cap_save, CapSave};
pub use credits::{draw, Balances, Credits, Draw, DrawError};
pub use cycle::{human_date, BillingCycle};
pub use delivery::{describe_delivery, next_attempt, Channel, DeliveryState};
pub use feature::{
    breakdown_heading, breakdown_lines, by_flex_spend, Feature, FeatureUsage, MAX_FEATURE_LEN,
};
pub use flex::{cap_below_spend, FlexChange, FlexError};
pub use forecast::{forecast, spend_line, DaySpend, Forecast};
pub use history::{activity_summary, describe_activity, time_ago, AuditAction, RELATIVE_DAYS};
pub use moment::{parse_utc, Moment};
pub use money::Money;
pub use notify::{
    alert_delivery_sentence, parse_thresholds, thresholds_crossed, thresholds_text,
    validate_thresholds, EventType, Threshold, ThresholdsError, DEFAULT_THRESHOLDS, MAX_THRESHOLDS,
};
pub use plan::{PlanInterval, Role};
pub use platform::{
    member_email, MemberInfo, MemberSpec, Plan, PlanSpec, PlatformError, PlatformPlan,
    PlatformWorkspace, PrepaidGrant, ValidGrant, ValidWorkspace, WorkspaceSpec,
};
pub use state::{BillingState, FlexSettings, PlanInfo, UsageSummary, Viewer, WorkspaceInfo};
pub use statement::{no_statements_yet, periods_to_close, Statement, StatementPage};
pub use usage::{
    is_slug, validate_batch, validate_usage, BatchError, UsageError, ValidUsage, MAX_BATCH_RECORDS,
    MAX_CREDITS_PER_RECORD, MAX_KEY_LEN,
};
pub use webhook_address::{
    refused_address, webhook_url, RefusedAddress, WebhookUrlError, MAX_WEBHOOK_URL,
};
pub use wire::{
    ActivityEntry, ActivityPage, AlertThresholds, BatchRecord, BatchResult, ChangeRequest,
    Delivery, DeliveryAttempt, DeliveryLog, ErrorBody, ErrorDetail, FlexSnapshot, SessionInfo,
    SetCapRequest, ThresholdsRequest, UsageBatchRequest, UsageBatchResponse, UsageRequest,
    UsageResponse, WebhookInfo, WebhookRequest, WorkspaceLink,
};
