//! The guard's EventBridge reports. Every detection and every action emits
//! one event; secrets never leave: each detail is scrubbed of every
//! ExternalId the role's record or trust policy holds before it is sent.
//!
//! The details are the typed events of `rolegate_policy::events::drift`
//! (documented in `docs/EVENTS.md`): this module builds their parts from
//! what the guard read and decided, and sends them.

use rolegate_aws::{AwsError, Clients};
use rolegate_policy::drift::{DriftFinding, RoleSummary};
use rolegate_policy::events::drift::{
    ACCESS_RESTORED_DETAIL_TYPE, ACCESS_REVOKED_DETAIL_TYPE, DRIFT_DETECTED_DETAIL_TYPE,
    GUARD_SOURCE, Judgement, NewAccess, RECORD_UNTRUSTED_DETAIL_TYPE, ReportedFinding, RoleReport,
};
use rolegate_policy::reconcile::LiveRole;
use rolegate_policy::redact::Secrets;
use rolegate_policy::spec::RemediationMode;
use serde::Serialize;
use serde_json::Value;

use crate::config::GuardConfig;

pub const EVENT_SOURCE: &str = GUARD_SOURCE;
pub const DRIFT_DETECTED: &str = DRIFT_DETECTED_DETAIL_TYPE;
pub const ACCESS_REVOKED: &str = ACCESS_REVOKED_DETAIL_TYPE;
pub const ACCESS_RESTORED: &str = ACCESS_RESTORED_DETAIL_TYPE;
/// A managed role's record is missing, unsealed or does not verify: someone
/// other than the provisioner may have written it. The guard did not act
/// on it; a security team should look.
pub const RECORD_UNTRUSTED: &str = RECORD_UNTRUSTED_DETAIL_TYPE;

/// Findings of each code shown in a report before the rest are counted.
pub const FINDINGS_PER_CODE: usize = 5;

/// What a check judged and did, as its reports say it.
pub fn judgement(mode: RemediationMode, action: &str, findings: &[DriftFinding]) -> Judgement {
    Judgement {
        remediation: mode.name().to_owned(),
        action: action.to_owned(),
        findings: ReportedFinding::condensed(findings, FINDINGS_PER_CODE),
        new_access: NewAccess::from_findings(findings),
    }
}

/// The part of every report that describes the role: `live` as the guard
/// read it before acting, and the role after (re-read only when something
/// was written).
pub async fn role_report(
    aws: &Clients,
    live: &LiveRole,
    trigger: &str,
    write_calls: usize,
) -> Result<RoleReport, AwsError> {
    let before = RoleSummary::of(live);
    let after = if write_calls == 0 {
        before.clone()
    } else {
        match rolegate_aws::read_role(&aws.iam, &live.name).await? {
            Some(after) => RoleSummary::of(&after),
            None => before.clone(),
        }
    };
    Ok(RoleReport {
        role: live.name.clone(),
        role_arn: live.arn.clone(),
        trigger: trigger.to_owned(),
        write_calls,
        before,
        after,
    })
}

/// The detail as it is sent: serialized, then every string scrubbed of
/// `secrets`.
pub fn wire(detail: &impl Serialize, secrets: &Secrets) -> Value {
    // The report types hold strings, numbers and lists: serializing them
    // cannot fail, and `Null` would only send an empty report.
    let value = serde_json::to_value(detail).unwrap_or(Value::Null);
    secrets.scrub_value(&value)
}

/// Sends one report, scrubbed.
pub async fn emit(
    aws: &Clients,
    config: &GuardConfig,
    detail_type: &str,
    detail: &impl Serialize,
    secrets: &Secrets,
) -> Result<(), AwsError> {
    let detail = wire(detail, secrets);
    let bus = config.event_bus.as_str();
    rolegate_aws::put_event(&aws.events, bus, EVENT_SOURCE, detail_type, &detail).await?;
    tracing::info!(detail_type, role = %detail["Role"], "report emitted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_policy::events::drift::{DriftDetected, RecordUntrusted};

    const SECRET: &str = "7Qm2xV9pLk3Rt8Wz";

    fn summary() -> RoleSummary {
        RoleSummary {
            role_arn: "arn:aws:iam::123456789012:role/integrations/x".into(),
            trusted_principals: vec!["arn:aws:iam::966208727603:root".into()],
            external_id_required: true,
            max_session_duration: 3600,
            permissions_boundary: None,
            inline_policies: vec!["s3-0".into()],
            managed_policies: Vec::new(),
            instance_profiles: Vec::new(),
            quarantined: false,
        }
    }

    fn drift(message: &str) -> DriftDetected {
        DriftDetected {
            role: RoleReport {
                role: "x".into(),
                role_arn: "arn:aws:iam::123456789012:role/integrations/x".into(),
                trigger: "CloudTrail UpdateAssumeRolePolicy".into(),
                write_calls: 0,
                before: summary(),
                after: summary(),
            },
            judgement: Judgement {
                remediation: "report".into(),
                action: "reported".into(),
                findings: vec![ReportedFinding {
                    code: "DRIFT_TRUST_CHANGED".into(),
                    message: message.into(),
                }],
                new_access: None,
            },
        }
    }

    #[test]
    fn a_typed_report_is_scrubbed_of_the_external_id_before_it_is_sent() {
        let secrets = Secrets::new([SECRET.to_owned()]);
        let quoted = format!("trust condition sts:ExternalId = {SECRET}");
        let untrusted = RecordUntrusted {
            drift: drift(&quoted),
            code: "RECORD_SEAL_INVALID".into(),
            reason: format!("the record names {SECRET}"),
        };
        for sent in [wire(&drift(&quoted), &secrets), wire(&untrusted, &secrets)] {
            let text = sent.to_string();
            assert!(!text.contains(SECRET), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
    }

    #[test]
    fn what_is_sent_reads_back_as_the_report_when_there_is_no_secret() {
        let report = drift("inline policy backdoor was added");
        let sent = wire(&report, &Secrets::new([SECRET.to_owned()]));
        assert_eq!(sent["Role"], "x");
        assert_eq!(sent["Findings"][0]["Code"], "DRIFT_TRUST_CHANGED");
        let read = serde_json::from_value::<DriftDetected>(sent).map_err(|e| e.to_string());
        assert_eq!(read, Ok(report));
    }

    #[test]
    fn a_judgement_condenses_findings_and_names_the_mode() {
        let findings: Vec<DriftFinding> = (0..7)
            .map(|i| DriftFinding::Expired {
                at: format!("2026-01-0{i}T00:00:00Z"),
            })
            .collect();
        let judged = judgement(RemediationMode::Quarantine, "quarantined", &findings);
        assert_eq!(judged.remediation, RemediationMode::Quarantine.name());
        assert_eq!(judged.action, "quarantined");
        assert_eq!(judged.findings.len(), FINDINGS_PER_CODE + 1);
        assert!(
            judged.findings[FINDINGS_PER_CODE]
                .message
                .ends_with("and 2 more like these")
        );
    }
}
