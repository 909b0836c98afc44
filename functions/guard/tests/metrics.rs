//! The guard's metric lines, through its handler against moto: a tamper
//! restored writes its drift by finding code and a restore; the revoke and
//! restore commands count themselves; a clean check writes nothing.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{ROLE, guard, handle, provisioned, sample};
use rolegate_aws::metrics::Metrics;
use rolegate_policy::spec::RemediationMode;
use serde_json::{Value, json};

const WILDCARD: &str = "iam.put_role_policy(RoleName='atmosphere-s3', PolicyName='debug', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))";

/// The lines written so far whose `_aws` directive holds `metric`.
fn with_metric<'a>(lines: &'a [Value], metric: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l.get(metric).is_some()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_handler_writes_drift_by_code_and_each_action_it_takes() {
    let (moto, _) = provisioned().await;
    let (mut guard, _) = guard(&moto, RemediationMode::Restore).await;
    guard.metrics = Metrics::captured("rolegate-Guard");

    moto.python(WILDCARD);
    let answer = handle(&guard, sample("cloudtrail/put-role-policy-wildcard.json")).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    let lines = guard.metrics.lines();
    let drift = with_metric(&lines, "DriftDetected");
    assert!(!drift.is_empty(), "{lines:?}");
    for line in &drift {
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["FunctionName", "Kind"], ["FunctionName"]])
        );
        assert_eq!(line["FunctionName"], "rolegate-Guard");
        assert!(
            line["Kind"].as_str().is_some_and(|k| !k.is_empty()),
            "{line}"
        );
    }
    let kinds: Vec<&str> = drift.iter().map(|l| l["Kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"DRIFT_CHANGED"), "{kinds:?}");
    let actions = with_metric(&lines, "Restores");
    assert_eq!(actions.len(), 1, "{lines:?}");
    assert_eq!(actions[0]["Restores"], 1);
    assert_eq!(actions[0]["Roles"], json!([ROLE]));
    assert_eq!(
        actions[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["FunctionName"]])
    );

    // The restored role is clean: nothing more is written.
    handle(&guard, sample("cloudtrail/put-role-policy-wildcard.json")).await;
    assert_eq!(guard.metrics.lines().len(), lines.len());

    handle(&guard, sample("commands/revoke.json")).await;
    handle(&guard, sample("commands/restore.json")).await;
    let lines = guard.metrics.lines();
    let revokes = with_metric(&lines, "Revokes");
    let restores = with_metric(&lines, "AccessRestores");
    assert_eq!((revokes.len(), restores.len()), (1, 1), "{lines:?}");
    assert_eq!(revokes[0]["Revokes"], 1);
    assert_eq!(restores[0]["AccessRestores"], 1);
}
