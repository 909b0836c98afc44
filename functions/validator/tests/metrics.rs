//! The validator's metric lines, through its handler against moto: each
//! invocation writes its validations by outcome, a rejection by the check
//! that failed (here refused before any STS call).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use rolegate_aws::metrics::Metrics;
use rolegate_test_harness::{Moto, invoke_event};
use rolegate_validator::{Validator, ValidatorConfig};
use serde_json::{Value, json};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";
/// The role's account, and another that announces the role as its own.
const A: &str = "123456789012";
const B: &str = "999988887777";

fn ready_from(sender: &str, external_id: &str) -> Value {
    json!({"version": "0", "id": "r-1", "detail-type": "Integration Role Ready", "source": "rolegate.provisioner",
           "account": sender, "time": "2026-11-23T10:00:00Z", "region": "us-east-1", "resources": [],
           "detail": {"RoleArn": ROLE_ARN, "RoleName": "atmosphere-s3", "ExternalId": external_id,
                      "Account": A, "Region": "us-east-1", "PolicyDigest": "0f".repeat(32),
                      "Grants": [{"Service": "s3", "Resource": "s3://atmosphere-exports"}]}})
}

#[tokio::test(flavor = "multi_thread")]
async fn each_invocation_writes_its_rejections_by_the_check_that_failed() {
    let moto = Moto::start();
    let mut validator = Validator::new(&moto.sdk_config().await, ValidatorConfig::default());
    validator.metrics = Metrics::captured("rolegate-Validator");

    let hijack = ready_from(B, "chosen-by-account-b-0000");
    let answer = validator.handle(invoke_event(hijack)).await.unwrap();
    assert_eq!(
        answer["Outcomes"][0]["Detail"]["FailedCheck"],
        "SenderAccount"
    );
    let bad_input = ready_from(A, "bad id with spaces");
    let answer = validator.handle(invoke_event(bad_input)).await.unwrap();
    assert_eq!(answer["Outcomes"][0]["DetailType"], "Integration Rejected");

    let lines = validator.metrics.lines();
    let counted: Vec<(&Value, &Value, &Value, &Value)> = lines
        .iter()
        .map(|l| {
            (
                &l["Outcome"],
                &l["FailedCheck"],
                &l["Validations"],
                &l["Trigger"],
            )
        })
        .collect();
    let ready = json!("Integration Role Ready");
    assert_eq!(
        counted,
        [
            (
                &json!("Rejected"),
                &json!("SenderAccount"),
                &json!(1),
                &ready
            ),
            (
                &json!("Rejected"),
                &json!("InvalidInput"),
                &json!(1),
                &ready
            ),
        ],
        "{lines:?}"
    );
    for line in &lines {
        assert_eq!(line["FunctionName"], "rolegate-Validator");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([
                ["FunctionName", "Outcome", "FailedCheck"],
                ["FunctionName", "Outcome"]
            ])
        );
    }
}
