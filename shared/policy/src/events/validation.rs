//! The validator's outcomes, on its `ROLEGATE_EVENT_BUS` from
//! `rolegate.validator`: one event per integration validated (or refused
//! before validation), `Integration Validated` when every STS check passed,
//! `Integration Rejected` otherwise. Both carry a [`ValidationOutcome`].
//!
//! The checks are named here, not in the validator, because their names
//! and statuses are part of the wire format (`Checks`, `FailedCheck`); what
//! each STS answer means stays in the validator.
//!
//! An outcome never carries the ExternalId: the validator scrubs each one
//! of the integration's ExternalId before sending it (`crate::redact`).

use serde::{Deserialize, Serialize};

/// The event source of both outcomes.
pub const VALIDATOR_SOURCE: &str = "rolegate.validator";
/// Every STS check passed.
pub const VALIDATED_DETAIL_TYPE: &str = "Integration Validated";
/// A check failed, or the input could not be validated at all.
pub const REJECTED_DETAIL_TYPE: &str = "Integration Rejected";

/// A check, as an outcome names it (`"AssumeWithExternalId"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Check {
    /// `sts:AssumeRole` with the ExternalId succeeds (retried while IAM
    /// catches up with a new role).
    AssumeWithExternalId,
    /// The session is exactly that role in exactly that account.
    CallerIdentity,
    /// AssumeRole without any ExternalId is denied.
    DeniedWithoutExternalId,
    /// AssumeRole with a wrong ExternalId is denied.
    DeniedWithWrongExternalId,
    /// A registration's sender (its Ready event's envelope `account`) is
    /// the role's account and the account the detail claims. Judged before
    /// any STS call, on Ready events only, so it is not one of the four STS
    /// checks: an outcome names it (`FailedCheck`) only when it fails.
    SenderAccount,
}

/// How a check ended (`"Passed"`, `"Failed"`, `"Skipped"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Passed,
    Failed,
    /// Not run, because an earlier check failed.
    Skipped,
}

/// One check's result, as `Checks` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckResult {
    pub check: Check,
    pub status: Status,
    /// What STS answered, in words.
    pub reason: String,
}

impl CheckResult {
    pub fn passed(check: Check, reason: impl Into<String>) -> Self {
        CheckResult {
            check,
            status: Status::Passed,
            reason: reason.into(),
        }
    }

    pub fn failed(check: Check, reason: impl Into<String>) -> Self {
        CheckResult {
            check,
            status: Status::Failed,
            reason: reason.into(),
        }
    }

    pub fn skipped(check: Check) -> Self {
        CheckResult {
            check,
            status: Status::Skipped,
            reason: "not run: an earlier check failed".into(),
        }
    }
}

/// The detail of `Integration Validated` and `Integration Rejected`. Every
/// field is always present; the optional ones are `null` when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidationOutcome {
    /// The role validated; `null` when the input named none readable.
    pub role_arn: Option<String>,
    /// The role's account, from `RoleArn`.
    pub account: Option<String>,
    /// The account that registered the integration (its Ready event's
    /// envelope `account`), when known.
    pub sender_account: Option<String>,
    /// The spec's `VendorTenantId`, when known.
    pub vendor_tenant_id: Option<String>,
    /// What woke the validator: `Integration Role Ready`, `schedule`,
    /// `Validate Integration Role` or `malformed event`.
    pub trigger: String,
    /// Why the integration was rejected; `null` when validated.
    pub reason: Option<String>,
    /// The check that failed: a refusal's (`SenderAccount`) or the first
    /// failed STS check.
    pub failed_check: Option<Check>,
    /// The refusal's stable code (`REGISTRATION_*`); `null` otherwise.
    pub code: Option<String>,
    /// Every STS check in order; `null` when none ran.
    pub checks: Option<Vec<CheckResult>>,
    /// STS calls made.
    pub sts_calls: usize,
}
