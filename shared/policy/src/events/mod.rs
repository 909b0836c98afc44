//! Every event Rolegate emits or obeys, as one serde struct per detail,
//! each beside its detail-type and source: the contract between the
//! function that writes an event and the one (or the test) that reads it,
//! in one place so the two cannot drift apart. `docs/EVENTS.md` documents
//! each detail's JSON; the golden samples in `tests/events_schema.rs` hold
//! the structs to it.
//!
//! - [`ready`]: `Integration Role Ready`, provisioner to validator.
//! - [`removed`]: `Integration Role Removed`, provisioner to validator,
//!   after a Delete removed a role Ready announced.
//! - [`drift`]: the guard's reports (`Integration Role Drift Detected`,
//!   `Integration Role Record Untrusted`, `Integration Access Revoked`,
//!   `Integration Access Restored`).
//! - [`policy`]: `Integration Policy Drift Detected`, the guard's report
//!   on a `Custom::IntegrationPolicy`.
//! - [`validation`]: the validator's outcomes (`Integration Validated`,
//!   `Integration Rejected`) and the checks they list.
//! - [`command`]: the commands the guard and the validator obey (`Revoke
//!   Integration Access`, `Restore Integration Access`, `Validate
//!   Integration Role`), read with errors that name the field.
//!
//! The wire format is what the functions wrote before these types existed,
//! key for key: PascalCase keys, every optional field present as `null`
//! unless its doc says it is left out, and the commands' lower-case keys.

pub mod command;
pub mod drift;
pub mod policy;
pub mod ready;
pub mod removed;
pub mod validation;

pub use command::{
    CommandError, GUARD_COMMAND_SOURCE, RESTORE_DETAIL_TYPE, REVOKE_DETAIL_TYPE, RestoreAccess,
    RevokeAccess, VALIDATE_DETAIL_TYPE, VALIDATOR_COMMAND_SOURCE, ValidateIntegration,
    ValidateRole,
};
pub use drift::{
    ACCESS_RESTORED_DETAIL_TYPE, ACCESS_REVOKED_DETAIL_TYPE, AccessRestored, AccessRevoked,
    DRIFT_DETECTED_DETAIL_TYPE, DriftDetected, GUARD_SOURCE, Judgement,
    RECORD_UNTRUSTED_DETAIL_TYPE, RecordUntrusted, ReportedFinding, RevokedBy, RoleReport,
};
pub use ready::{IntegrationRoleReady, READY_DETAIL_TYPE, READY_SOURCE, ReadyError, ReadyGrant};
pub use removed::{IntegrationRoleRemoved, REMOVED_DETAIL_TYPE};
pub use validation::{
    Check, CheckResult, REJECTED_DETAIL_TYPE, Status, VALIDATED_DETAIL_TYPE, VALIDATOR_SOURCE,
    ValidationOutcome,
};
