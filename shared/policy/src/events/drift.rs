//! The guard's reports, on `ROLEGATE_EVENT_BUS` from `rolegate.guard`: one
//! per detection and per action. Every report opens with a [`RoleReport`]
//! (the role, what triggered the check, the writes made, the role's summary
//! before and after); each detail-type adds its own fields, flattened into
//! the same JSON object.
//!
//! None of these types holds an ExternalId: a summary says only whether
//! the trust demands one. The guard still scrubs every string of a report
//! of every ExternalId it knows before sending it (`crate::redact`), in
//! case a finding's message quotes one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::drift::{DriftFinding, RoleSummary, condensed};
use crate::eval::ContextValue;

/// The event source of every guard report.
pub const GUARD_SOURCE: &str = "rolegate.guard";
/// A check found something (drift, expiry, disuse, lint, an untrusted
/// record), whatever the guard then did about it.
pub const DRIFT_DETECTED_DETAIL_TYPE: &str = "Integration Role Drift Detected";
/// A managed role's record is missing, unsealed or does not verify:
/// someone other than the provisioner may have written it. The guard did
/// not act on it; a security team should look.
pub const RECORD_UNTRUSTED_DETAIL_TYPE: &str = "Integration Role Record Untrusted";
/// The role was quarantined, by command or by the guard's judgement.
pub const ACCESS_REVOKED_DETAIL_TYPE: &str = "Integration Access Revoked";
/// A quarantine was lifted by `Restore Integration Access`.
pub const ACCESS_RESTORED_DETAIL_TYPE: &str = "Integration Access Restored";

/// What every guard report says of its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleReport {
    /// The role's name.
    pub role: String,
    pub role_arn: String,
    /// What caused the check: a CloudTrail event name, `sweep`, or a
    /// command's detail-type.
    pub trigger: String,
    /// IAM write calls the guard made on the role for this report.
    pub write_calls: usize,
    /// The role before the guard acted.
    pub before: RoleSummary,
    /// The role after (re-read only when something was written).
    pub after: RoleSummary,
}

/// One finding as a report shows it: its stable code and its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportedFinding {
    pub code: String,
    pub message: String,
}

impl ReportedFinding {
    /// `findings` as a report lists them: at most `per_code` of each code,
    /// then one line per code counting the rest (`drift::condensed`).
    pub fn condensed(findings: &[DriftFinding], per_code: usize) -> Vec<ReportedFinding> {
        condensed(findings, per_code)
            .into_iter()
            .map(|(code, message)| ReportedFinding {
                code: code.to_owned(),
                message,
            })
            .collect()
    }
}

/// What the guard judged and did on a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Judgement {
    /// The role's remediation mode (`report`, `restore`, `quarantine`).
    pub remediation: String,
    /// What the guard did: `reported`, `restored` or `quarantined`.
    pub action: String,
    /// The findings, condensed ([`ReportedFinding::condensed`]).
    pub findings: Vec<ReportedFinding>,
    /// One request the live role allows and its desired state does not
    /// (`DRIFT_NEW_ACCESS`); absent when there is none or the check did
    /// not compare. Optional, so older consumers read the report unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_access: Option<NewAccess>,
}

/// The counterexample of a `DRIFT_NEW_ACCESS` finding: a request the tamper
/// opened, as `rolegate simulate` can replay it against the live role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewAccess {
    pub action: String,
    pub resource: String,
    /// The request's context keys, each with its values.
    pub context: BTreeMap<String, Vec<String>>,
    /// The live statements that allow it (`identity[0] Statement[1] (Sid)`).
    pub allowed_by: Vec<String>,
}

impl NewAccess {
    /// The first `DRIFT_NEW_ACCESS` finding's request, if any.
    pub fn from_findings(findings: &[DriftFinding]) -> Option<NewAccess> {
        findings.iter().find_map(|f| match f {
            DriftFinding::NewAccess(cx) => Some(NewAccess {
                action: cx.action.clone(),
                resource: cx.resource.clone(),
                context: cx
                    .context
                    .iter()
                    .map(|(k, v)| {
                        let values = match v {
                            ContextValue::Single(s) => vec![s.clone()],
                            ContextValue::Multi(m) => m.clone(),
                        };
                        (k.clone(), values)
                    })
                    .collect(),
                allowed_by: cx.allowed_by.clone(),
            }),
            _ => None,
        })
    }
}

/// `Integration Role Drift Detected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftDetected {
    #[serde(flatten)]
    pub role: RoleReport,
    #[serde(flatten)]
    pub judgement: Judgement,
}

/// `Integration Role Record Untrusted`: the Drift Detected report of the
/// same check, with why the record is not believed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordUntrusted {
    #[serde(flatten)]
    pub drift: DriftDetected,
    /// The `reconcile::Untrusted` code (`RECORD_*`).
    pub code: String,
    /// Its message.
    pub reason: String,
}

/// `Integration Access Revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessRevoked {
    #[serde(flatten)]
    pub role: RoleReport,
    /// The command's reason, or the guard's (drift, expiry, disuse).
    pub reason: String,
    #[serde(flatten)]
    pub by: RevokedBy,
}

/// Who revoked access, and what the report adds for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RevokedBy {
    /// The guard's judgement on a check (quarantine mode, expiry, disuse):
    /// the fields of that check's Drift Detected report.
    Judgement(Judgement),
    /// `Revoke Integration Access`.
    Command(RevokedSessions),
}

/// When sessions stop being honoured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RevokedSessions {
    /// Sessions issued before this time (ISO 8601, UTC) are refused.
    pub revoked_sessions_issued_before: String,
}

/// `Integration Access Restored`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessRestored {
    #[serde(flatten)]
    pub role: RoleReport,
    /// When the lifted quarantine began: sessions issued before it stay
    /// revoked until they expire. `null` when the role had no quarantine.
    pub revoked_sessions_issued_before: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_condensed_as_drift_condenses_them() {
        let findings: Vec<DriftFinding> = (0..3)
            .map(|i| DriftFinding::Expired {
                at: format!("2026-01-0{i}T00:00:00Z"),
            })
            .collect();
        let reported = ReportedFinding::condensed(&findings, 2);
        let expected: Vec<(String, String)> = condensed(&findings, 2)
            .into_iter()
            .map(|(c, m)| (c.to_owned(), m))
            .collect();
        let got: Vec<(String, String)> =
            reported.into_iter().map(|f| (f.code, f.message)).collect();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 3, "two shown, one counted");
    }
}
