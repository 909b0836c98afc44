//! The validator's CloudWatch metrics (embedded metric format, written by
//! `rolegate_aws::metrics`): the validations of one invocation, accepted and
//! rejected, the rejected ones by the check that failed.

use std::collections::BTreeMap;

use rolegate_aws::metrics::MetricLine;

use crate::checks::Check;
use crate::handler::{REJECTED, VALIDATED};

/// The function's name off Lambda (on Lambda, its deployed name).
pub const FUNCTION: &str = "validator";

/// Validations, by `Outcome` (`Validated` or `Rejected`); a rejection also
/// by `FailedCheck` (a check's name, or `InvalidInput` when the input was
/// refused before any check).
pub const VALIDATIONS: &str = "Validations";

/// What a rejection without a failed check is counted under.
pub const INVALID_INPUT: &str = "InvalidInput";

/// The lines of one invocation's outcomes, each `(detail-type, failed
/// check)` as its event says: one per distinct outcome and failed check,
/// with its count. The trigger is a property.
pub fn lines(outcomes: &[(&str, Option<Check>)], trigger: &str) -> Vec<MetricLine> {
    let mut counts: BTreeMap<(&str, Option<String>), u64> = BTreeMap::new();
    for (detail_type, failed) in outcomes {
        let (outcome, check) = if *detail_type == VALIDATED {
            ("Validated", None)
        } else {
            let check = failed.map_or_else(|| INVALID_INPUT.to_owned(), check_name);
            ("Rejected", Some(check))
        };
        debug_assert!(outcome == "Validated" || *detail_type == REJECTED);
        *counts.entry((outcome, check)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((outcome, check), n)| {
            let line = MetricLine::new().dimension("Outcome", outcome);
            let line = match check {
                Some(check) => line.dimension("FailedCheck", check).rollup(&["Outcome"]),
                None => line,
            };
            line.count(VALIDATIONS, n).property("Trigger", trigger)
        })
        .collect()
}

/// A check's name as the outcome event's `FailedCheck` spells it.
fn check_name(check: Check) -> String {
    match serde_json::to_value(check) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{check:?}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use rolegate_aws::metrics::emf_json;
    use serde_json::{Value, json};

    #[test]
    fn validations_are_counted_by_outcome_and_rejections_by_the_check_that_failed() {
        let outcomes = [
            (VALIDATED, None),
            (REJECTED, Some(Check::DeniedWithoutExternalId)),
            (VALIDATED, None),
            (REJECTED, None),
        ];
        let lines: Vec<Value> = lines(&outcomes, "schedule")
            .iter()
            .map(|l| serde_json::from_str(&emf_json(l, "rolegate-Validator", 7)).unwrap())
            .collect();
        let directive = |dimensions: Value| {
            json!({
                "Timestamp": 7,
                "CloudWatchMetrics": [{
                    "Namespace": "Rolegate",
                    "Dimensions": dimensions,
                    "Metrics": [{"Name": "Validations", "Unit": "Count"}]
                }]
            })
        };
        let rejected = json!([
            ["FunctionName", "Outcome", "FailedCheck"],
            ["FunctionName", "Outcome"]
        ]);
        assert_eq!(
            lines,
            [
                json!({
                    "_aws": directive(rejected.clone()),
                    "FunctionName": "rolegate-Validator",
                    "Outcome": "Rejected",
                    "FailedCheck": "DeniedWithoutExternalId",
                    "Validations": 1,
                    "Trigger": "schedule"
                }),
                json!({
                    "_aws": directive(rejected),
                    "FunctionName": "rolegate-Validator",
                    "Outcome": "Rejected",
                    "FailedCheck": "InvalidInput",
                    "Validations": 1,
                    "Trigger": "schedule"
                }),
                json!({
                    "_aws": directive(json!([["FunctionName", "Outcome"]])),
                    "FunctionName": "rolegate-Validator",
                    "Outcome": "Validated",
                    "Validations": 2,
                    "Trigger": "schedule"
                }),
            ]
        );
    }
}
