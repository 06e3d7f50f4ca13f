//! Request and response bodies of the billing API, shared by server and page.

use crate::{Credits, Draw, Role, UsageSummary};
use serde::{Deserialize, Serialize};

/// `PUT /api/workspaces/{ws}/flex/cap`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetCapRequest {
    /// The cap as typed or as a plain decimal string; read with [`crate::parse_cap`].
    pub cap: String,
    /// If given, the change applies only while the settings are at this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// Optional body of enable, disable and remove-cap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// If given, the change applies only while the settings are at this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// `POST /api/workspaces/{ws}/usage` (metering).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRequest {
    /// Credits consumed; more than zero, at most four decimal places.
    pub credits: Credits,
    /// Recording the same key twice records once.
    pub idempotency_key: String,
}

/// The answer to a usage record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageResponse {
    /// How the credits were paid for.
    pub draw: Draw,
    /// True when this key had already been recorded (nothing new was drawn).
    pub replayed: bool,
    /// Usage after this record.
    pub usage: UsageSummary,
}

/// Every error the API answers: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One API error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `cap_below_minimum`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

/// `GET /api/session`: who is signed in and where they belong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The person's email.
    pub email: String,
    /// Their workspaces, first joined first.
    pub workspaces: Vec<WorkspaceLink>,
}

/// One workspace of the signed-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceLink {
    /// URL identifier.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Their role in it.
    pub role: Role,
}
