//! Concurrent deliveries against moto: CloudFormation may deliver one
//! request twice at once, and sends a Delete after "Resource creation
//! cancelled" while the Create may still be running.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use rolegate_test_harness as support;

use serde_json::{Value, json};
use support::{Moto, invoke_event, provisioner, request};

fn spec() -> Value {
    json!({
        "RoleName": "atmosphere-s3",
        "Trust": { "Principals": ["966208727603"] },
        "Grants": [
            { "Service": "s3", "Access": "read", "Bucket": "atmosphere-exports" },
            { "Service": "sqs", "Access": "send", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:jobs" }
        ]
    })
}

fn roles(moto: &Moto) -> Vec<String> {
    let out = moto.python("print(json.dumps([r['RoleName'] for r in iam.list_roles()['Roles']]))");
    serde_json::from_str(&out).unwrap()
}

fn records(moto: &Moto) -> usize {
    moto.python("print(len(ssm.get_parameters_by_path(Path='/rolegate/roles/', Recursive=True)['Parameters']))")
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_deliveries_of_one_create_end_with_exactly_one_role() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let (first, _) = provisioner(&config);
    let (second, _) = provisioner(&config);
    let event = request(&moto, "Create", "create-1", spec(), None, None);
    let (a, b) = tokio::join!(
        first.handle(invoke_event(event.clone())),
        second.handle(invoke_event(event))
    );
    a.unwrap();
    b.unwrap();
    let (response, _) = moto.response("create-1").unwrap();
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert_eq!(roles(&moto), ["atmosphere-s3"]);
    assert_eq!(records(&moto), 1);
    let policies =
        moto.python("print(len(iam.list_role_policies(RoleName='atmosphere-s3')['PolicyNames']))");
    assert_eq!(policies, "2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_racing_an_unanswered_create_leaves_nothing_behind() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    // The Delete lands before, during and after the Create's IAM calls.
    for (i, delay_ms) in [0u64, 20, 60, 150, 400].into_iter().enumerate() {
        let (creator, _) = provisioner(&config);
        let (deleter, _) = provisioner(&config);
        let mut properties = spec();
        properties["RoleName"] = json!(format!("race-{i}"));
        let mut create = request(
            &moto,
            "Create",
            &format!("create-{i}"),
            properties.clone(),
            None,
            None,
        );
        create["LogicalResourceId"] = json!(format!("Race{i}"));
        // CloudFormation never heard back, so the Delete names no role.
        let mut delete = request(
            &moto,
            "Delete",
            &format!("delete-{i}"),
            properties,
            Some(&format!("Race{i}-never-answered")),
            None,
        );
        delete["LogicalResourceId"] = json!(format!("Race{i}"));
        let racing_delete = async {
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
            deleter.handle(invoke_event(delete)).await
        };
        let (created, deleted) = tokio::join!(creator.handle(invoke_event(create)), racing_delete);
        created.unwrap();
        deleted.unwrap();
        let (response, _) = moto.response(&format!("delete-{i}")).unwrap();
        assert_eq!(
            response["Status"], "SUCCESS",
            "delay {delay_ms} ms: {response}"
        );
        assert!(
            moto.response(&format!("create-{i}")).is_some(),
            "the create still answers"
        );
        assert_eq!(roles(&moto), Vec::<String>::new(), "delay {delay_ms} ms");
        assert_eq!(records(&moto), 0, "delay {delay_ms} ms");
    }
}
