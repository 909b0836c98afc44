//! `Integration Policy Drift Detected`: the guard's report on a
//! `Custom::IntegrationPolicy` (Rolegate's one inline policy on a role the
//! customer owns). It describes that policy only: the guard reads nothing
//! else of the role (GetRole and GetRolePolicy of that name), so the role
//! summary an `Integration Role Drift Detected` carries has no place here.

use serde::{Deserialize, Serialize};

pub use super::drift::GUARD_SOURCE;

pub const POLICY_DRIFT_DETECTED_DETAIL_TYPE: &str = "Integration Policy Drift Detected";

/// `Integration Policy Drift Detected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDriftDetected {
    pub role_arn: String,
    pub policy_name: String,
    /// The stack resource the policy belongs to (from its sealed record).
    pub stack_id: String,
    pub logical_resource_id: String,
    /// What caused the check, e.g. `CloudTrail DeleteRolePolicy`.
    pub trigger: String,
    /// `restore` or `report`.
    pub remediation: String,
    /// `restored`, `reported`, or `untrusted` (the record is not believed:
    /// nothing was done).
    pub action: String,
    /// `POLICY_MISSING`, `POLICY_CHANGED`, `POLICY_UNREADABLE`, or the
    /// record's code (`RECORD_BAD_SEAL`, ...) when `action` is `untrusted`.
    pub code: String,
    pub message: String,
    pub write_calls: usize,
}
