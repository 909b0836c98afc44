//! The provisioner's metric lines, through its handler against moto: each
//! answered request writes one EMF line (`Provisioned`, `ProvisioningLatency`)
//! by its action and status, through the writer the handler holds.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use rolegate_test_harness as support;

use rolegate_aws::metrics::Metrics;
use serde_json::{Value, json};
use support::{Moto, invoke_event, provisioner, request};

fn spec() -> Value {
    json!({
        "RoleName": "atmosphere-metrics",
        "Trust": { "Principals": ["966208727603"] },
        "Grants": [
            { "Service": "s3", "Access": "read", "Bucket": "atmosphere-exports" }
        ]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn each_answered_request_writes_one_line_counting_its_action_and_status_and_timing_it() {
    let moto = Moto::start();
    let (mut provisioner, _) = provisioner(&moto.sdk_config().await);
    provisioner.metrics = Metrics::captured("rolegate-Provisioner");

    let create = request(&moto, "Create", "m-create", spec(), None, None);
    provisioner.handle(invoke_event(create)).await.unwrap();
    let (response, _) = moto.response("m-create").unwrap();
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    let arn = response["PhysicalResourceId"].as_str().unwrap().to_owned();
    // A spec that does not parse: answered FAILED.
    let bad = json!({"RoleName": "atmosphere-metrics", "Grants": "none"});
    let update = request(&moto, "Update", "m-update", bad, Some(&arn), Some(spec()));
    provisioner.handle(invoke_event(update)).await.unwrap();
    assert_eq!(moto.response("m-update").unwrap().0["Status"], "FAILED");

    let lines = provisioner.metrics.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let answered: Vec<(&Value, &Value, &Value, &Value)> = lines
        .iter()
        .map(|l| {
            (
                &l["Action"],
                &l["Status"],
                &l["Provisioned"],
                &l["RequestId"],
            )
        })
        .collect();
    assert_eq!(
        answered,
        [
            (
                &json!("Create"),
                &json!("SUCCESS"),
                &json!(1),
                &json!("m-create")
            ),
            (
                &json!("Update"),
                &json!("FAILED"),
                &json!(1),
                &json!("m-update")
            ),
        ]
    );
    for line in &lines {
        assert_eq!(line["FunctionName"], "rolegate-Provisioner");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"],
            json!([{
                "Namespace": "Rolegate",
                "Dimensions": [["FunctionName", "Action", "Status"]],
                "Metrics": [
                    {"Name": "Provisioned", "Unit": "Count"},
                    {"Name": "ProvisioningLatency", "Unit": "Milliseconds"}
                ]
            }])
        );
        assert!(line["ProvisioningLatency"].is_u64(), "{line}");
    }
}
