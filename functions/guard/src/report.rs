//! The guard's EventBridge reports. Every detection and every action emits
//! one event; secrets never leave: each detail is scrubbed of every
//! ExternalId the role's record or trust policy holds before it is sent.

use rolegate_aws::{AwsError, Clients};
use rolegate_policy::drift::{DriftFinding, RoleSummary, condensed};
use rolegate_policy::redact::Secrets;
use serde_json::{Value, json};

use crate::config::GuardConfig;

pub const EVENT_SOURCE: &str = "rolegate.guard";
pub const DRIFT_DETECTED: &str = "Integration Role Drift Detected";
pub const ACCESS_REVOKED: &str = "Integration Access Revoked";
pub const ACCESS_RESTORED: &str = "Integration Access Restored";
/// A managed role's record is missing, unsealed or does not verify: someone
/// other than the provisioner may have written it. The guard did not act
/// on it; a security team should look.
pub const RECORD_UNTRUSTED: &str = "Integration Role Record Untrusted";

/// Findings of each code shown in a report before the rest are counted.
pub const FINDINGS_PER_CODE: usize = 5;

pub fn findings_value(findings: &[DriftFinding]) -> Value {
    Value::Array(
        condensed(findings, FINDINGS_PER_CODE)
            .into_iter()
            .map(|(code, message)| json!({"Code": code, "Message": message}))
            .collect(),
    )
}

pub fn summary_value(summary: &RoleSummary) -> Value {
    serde_json::to_value(summary).unwrap_or(Value::Null)
}

/// Sends one report, scrubbed.
pub async fn emit(
    aws: &Clients,
    config: &GuardConfig,
    detail_type: &str,
    detail: &Value,
    secrets: &Secrets,
) -> Result<(), AwsError> {
    let detail = secrets.scrub_value(detail);
    let bus = config.event_bus.as_str();
    rolegate_aws::put_event(&aws.events, bus, EVENT_SOURCE, detail_type, &detail).await?;
    tracing::info!(detail_type, role = %detail["Role"], "report emitted");
    Ok(())
}
