//! The provisioner's CloudWatch metrics (embedded metric format, written by
//! `rolegate_aws::metrics`): one line per answered request, counting its
//! outcome and timing it.

use std::time::Duration;

use rolegate_aws::metrics::MetricLine;

/// The function's name off Lambda (on Lambda, its deployed name).
pub const FUNCTION: &str = "provisioner";

/// Requests answered, by `Action` (Create, Update, Delete; `malformed` for
/// an event whose request could not be read) and `Status` (SUCCESS or
/// FAILED, as answered).
pub const PROVISIONED: &str = "Provisioned";
/// From the event's arrival to its answer's delivery, same dimensions.
pub const LATENCY: &str = "ProvisioningLatency";

/// The line of one answered request. The stack and the resource are
/// properties, not dimensions: there is one of each per stack.
pub fn provisioned(
    action: &str,
    success: bool,
    took: Duration,
    logical_id: &str,
    request_id: &str,
) -> MetricLine {
    let status = if success { "SUCCESS" } else { "FAILED" };
    MetricLine::new()
        .dimension("Action", action)
        .dimension("Status", status)
        .count(PROVISIONED, 1)
        .milliseconds(LATENCY, u64::try_from(took.as_millis()).unwrap_or(u64::MAX))
        .property("LogicalResourceId", logical_id)
        .property("RequestId", request_id)
}

/// `Integration Role Removed` events a Delete could not send (the Delete
/// still succeeds): the vendor's registry keeps a record of a role that is
/// gone until someone removes it. Alarm on any.
pub const REMOVED_NOT_SENT: &str = "RemovedNotSent";

/// The line of one Removed event not sent.
pub fn removed_not_sent(logical_id: &str) -> MetricLine {
    MetricLine::new()
        .count(REMOVED_NOT_SENT, 1)
        .property("LogicalResourceId", logical_id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use rolegate_aws::metrics::emf_json;
    use serde_json::{Value, json};

    #[test]
    fn an_answered_request_counts_its_action_and_status_and_times_it_in_milliseconds() {
        let line = provisioned(
            "Update",
            false,
            Duration::from_micros(1_234_567),
            "VendorRole",
            "r-9",
        );
        let value: Value =
            serde_json::from_str(&emf_json(&line, "rolegate-Provisioner", 1_767_225_600_000))
                .unwrap();
        assert_eq!(
            value,
            json!({
                "_aws": {
                    "Timestamp": 1_767_225_600_000_u64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Rolegate",
                        "Dimensions": [["FunctionName", "Action", "Status"]],
                        "Metrics": [
                            {"Name": "Provisioned", "Unit": "Count"},
                            {"Name": "ProvisioningLatency", "Unit": "Milliseconds"}
                        ]
                    }]
                },
                "FunctionName": "rolegate-Provisioner",
                "Action": "Update",
                "Status": "FAILED",
                "Provisioned": 1,
                "ProvisioningLatency": 1234,
                "LogicalResourceId": "VendorRole",
                "RequestId": "r-9"
            })
        );
    }
}
