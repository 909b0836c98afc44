//! The guard's CloudWatch metrics (embedded metric format, written by
//! `rolegate_aws::metrics`), from what one invocation did to its roles: the
//! drift it found by finding code, and what it did about it.

use std::collections::BTreeMap;

use rolegate_aws::metrics::MetricLine;

use crate::enforce::RoleOutcome;

/// The function's name off Lambda (on Lambda, its deployed name).
pub const FUNCTION: &str = "guard";

/// Findings reported, by `Kind` (the finding's code: `DRIFT_CHANGED`, a
/// lint or proof code, `ROLE_EXPIRED`, ...) and rolled up by function alone.
pub const DRIFT_DETECTED: &str = "DriftDetected";
/// Roles put back as their record says.
pub const RESTORES: &str = "Restores";
/// Roles quarantined by judgement.
pub const QUARANTINES: &str = "Quarantines";
/// Roles revoked by command.
pub const REVOKES: &str = "Revokes";
/// Roles whose access a Restore command gave back.
pub const ACCESS_RESTORES: &str = "AccessRestores";
/// Managed roles whose record was not trusted (missing, unsealed, or not
/// verifying); the guard did not restore from it.
pub const UNTRUSTED_RECORDS: &str = "UntrustedRecords";

/// The lines for the roles one invocation handled: one per finding code met
/// (its count), then one with the actions taken and the roles concerned (a
/// property: role names are never a dimension). Nothing when nothing
/// happened.
pub fn lines(outcomes: &[RoleOutcome]) -> Vec<MetricLine> {
    let mut by_code: BTreeMap<&'static str, u64> = BTreeMap::new();
    for code in outcomes.iter().flat_map(|o| o.finding_codes.iter()) {
        *by_code.entry(code).or_default() += 1;
    }
    let mut lines: Vec<MetricLine> = by_code
        .into_iter()
        .map(|(code, n)| {
            MetricLine::new()
                .dimension("Kind", code)
                .rollup(&[])
                .count(DRIFT_DETECTED, n)
        })
        .collect();
    let count = |status: &str| outcomes.iter().filter(|o| o.status == status).count() as u64;
    let counts = [
        (RESTORES, count("restored")),
        (QUARANTINES, count("quarantined")),
        (REVOKES, count("revoked")),
        (ACCESS_RESTORES, count("access-restored")),
        (
            UNTRUSTED_RECORDS,
            outcomes.iter().filter(|o| o.untrusted_record).count() as u64,
        ),
    ];
    let mut actions = MetricLine::new();
    for (name, n) in counts.into_iter().filter(|(_, n)| *n > 0) {
        actions = actions.count(name, n);
    }
    if !actions.metrics.is_empty() {
        let roles: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.status != "clean" && o.status != "gone")
            .map(|o| o.role.as_str())
            .collect();
        lines.push(actions.property("Roles", roles));
    }
    lines
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use rolegate_aws::metrics::emf_json;
    use serde_json::{Value, json};

    fn outcome(role: &str, status: &'static str, codes: &[&'static str]) -> RoleOutcome {
        RoleOutcome {
            role: role.to_owned(),
            status,
            findings: Vec::new(),
            write_calls: 0,
            finding_codes: codes.to_vec(),
            untrusted_record: false,
        }
    }

    fn json_of(line: &MetricLine) -> Value {
        serde_json::from_str(&emf_json(line, "rolegate-Guard", 1_767_225_600_000)).unwrap()
    }

    #[test]
    fn drift_is_counted_by_finding_code_and_rolled_up_and_actions_name_their_roles() {
        let mut untrusted = outcome("c", "reported", &["RECORD_SEAL_INVALID"]);
        untrusted.untrusted_record = true;
        let outcomes = [
            outcome("a", "restored", &["DRIFT_CHANGED", "DRIFT_CHANGED"]),
            outcome("b", "quarantined", &["DRIFT_CHANGED"]),
            untrusted,
            outcome("d", "clean", &[]),
        ];
        let lines: Vec<Value> = lines(&outcomes).iter().map(json_of).collect();
        assert_eq!(
            lines,
            [
                json!({
                    "_aws": {
                        "Timestamp": 1_767_225_600_000_u64,
                        "CloudWatchMetrics": [{
                            "Namespace": "Rolegate",
                            "Dimensions": [["FunctionName", "Kind"], ["FunctionName"]],
                            "Metrics": [{"Name": "DriftDetected", "Unit": "Count"}]
                        }]
                    },
                    "FunctionName": "rolegate-Guard",
                    "Kind": "DRIFT_CHANGED",
                    "DriftDetected": 3
                }),
                json!({
                    "_aws": {
                        "Timestamp": 1_767_225_600_000_u64,
                        "CloudWatchMetrics": [{
                            "Namespace": "Rolegate",
                            "Dimensions": [["FunctionName", "Kind"], ["FunctionName"]],
                            "Metrics": [{"Name": "DriftDetected", "Unit": "Count"}]
                        }]
                    },
                    "FunctionName": "rolegate-Guard",
                    "Kind": "RECORD_SEAL_INVALID",
                    "DriftDetected": 1
                }),
                json!({
                    "_aws": {
                        "Timestamp": 1_767_225_600_000_u64,
                        "CloudWatchMetrics": [{
                            "Namespace": "Rolegate",
                            "Dimensions": [["FunctionName"]],
                            "Metrics": [
                                {"Name": "Restores", "Unit": "Count"},
                                {"Name": "Quarantines", "Unit": "Count"},
                                {"Name": "UntrustedRecords", "Unit": "Count"}
                            ]
                        }]
                    },
                    "FunctionName": "rolegate-Guard",
                    "Restores": 1,
                    "Quarantines": 1,
                    "UntrustedRecords": 1,
                    "Roles": ["a", "b", "c"]
                }),
            ]
        );
    }

    #[test]
    fn commands_count_revokes_and_restores_and_a_clean_check_writes_nothing() {
        let commands = lines(&[
            outcome("a", "revoked", &[]),
            outcome("b", "access-restored", &[]),
        ]);
        assert_eq!(commands.len(), 1);
        let line = json_of(&commands[0]);
        assert_eq!(line["Revokes"], 1);
        assert_eq!(line["AccessRestores"], 1);
        assert_eq!(line["Roles"], json!(["a", "b"]));
        assert!(lines(&[outcome("a", "clean", &[]), outcome("b", "gone", &[])]).is_empty());
    }
}
