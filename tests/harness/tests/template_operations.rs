//! `template.yaml`'s operations, read from the template itself: every alarm
//! reaches the `AlarmTopicArn` topic when one is given, every function has
//! Errors and Throttles alarms, the metric filters match the fields the
//! functions really log, tracing and JSON logging are on with the roles
//! allowed to write traces, and the Serverless Application Repository
//! metadata agrees with the workspace (version, licence, repository).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, Decision, PolicySet, Request, evaluate};
use rolegate_test_harness::template::{ACCOUNT, Template};
use serde_json::json;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:rolegate-alarms";

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears() {
    let t = Template::load().with_parameter("AlarmTopicArn", TOPIC);
    let alarms = t.resources_of_type("AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 9, "{alarms:?}");
    for alarm in alarms {
        let p = t.properties(&alarm);
        assert_eq!(p["AlarmActions"], json!([TOPIC]), "{alarm}");
        assert_eq!(p["OKActions"], json!([TOPIC]), "{alarm}");
    }
}

#[test]
fn without_an_alarm_topic_no_alarm_has_actions() {
    let t = Template::load();
    assert!(!t.condition("HasAlarmTopic"));
    for alarm in t.resources_of_type("AWS::CloudWatch::Alarm") {
        let p = t.properties(&alarm);
        assert!(p.get("AlarmActions").is_none(), "{alarm}: {p}");
        assert!(p.get("OKActions").is_none(), "{alarm}: {p}");
    }
}

/// The alarms on a Lambda metric of one function, by the `Ref` they name.
fn lambda_alarms_of(t: &Template, function: &str, metric: &str) -> Vec<String> {
    t.resources_of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|a| {
            let p = t.raw_properties(a);
            p["Namespace"] == "AWS/Lambda"
                && p["MetricName"] == metric
                && p["Dimensions"] == json!([{"Name": "FunctionName", "Value": {"Ref": function}}])
        })
        .collect()
}

#[test]
fn every_function_has_an_errors_and_a_throttles_alarm_that_fires_on_the_first() {
    let t = Template::load();
    let functions = t.resources_of_type("AWS::Serverless::Function");
    assert_eq!(functions.len(), 3, "{functions:?}");
    for function in &functions {
        for metric in ["Errors", "Throttles"] {
            let alarms = lambda_alarms_of(&t, function, metric);
            assert_eq!(alarms.len(), 1, "{function} {metric}: {alarms:?}");
            let p = t.raw_properties(&alarms[0]);
            assert_eq!(p["Statistic"], "Sum");
            assert_eq!(p["Threshold"], json!(0));
            assert_eq!(p["ComparisonOperator"], "GreaterThanThreshold");
            assert_eq!(p["TreatMissingData"], "notBreaching");
        }
    }
}

/// Each metric filter's pattern, by its log group's `Ref`.
fn metric_filters(t: &Template) -> Vec<(String, String, String)> {
    t.resources_of_type("AWS::Logs::MetricFilter")
        .into_iter()
        .map(|f| {
            let p = t.raw_properties(&f);
            (
                p["LogGroupName"]["Ref"].as_str().unwrap().to_owned(),
                p["FilterPattern"].as_str().unwrap().to_owned(),
                p["MetricTransformations"][0]["MetricName"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn security_alarm_filters_match_the_top_level_field_the_functions_log() {
    let t = Template::load();
    let mut groups: Vec<String> = metric_filters(&t)
        .into_iter()
        .filter(|(_, _, metric)| metric == "SecurityAlarms")
        .map(|(group, pattern, _)| {
            // rolegate_aws::init_tracing writes event fields at top level
            // (its tests hold the exact line).
            assert_eq!(pattern, r#"{ $.security_alarm = "*" }"#, "{group}");
            group
        })
        .collect();
    groups.sort();
    assert_eq!(groups, ["GuardLogGroup", "ValidatorLogGroup"]);
    let alarm = t.raw_properties("SecurityAlarm");
    assert_eq!(alarm["Namespace"], "Rolegate");
    assert_eq!(alarm["MetricName"], "SecurityAlarms");
}

#[test]
fn the_drift_alarm_watches_the_guards_drift_metric_rolled_up_by_its_function_name() {
    let t = Template::load();
    let alarm = t.raw_properties("DriftAlarm");
    assert_eq!(alarm["Namespace"], rolegate_aws::metrics::NAMESPACE);
    assert_eq!(alarm["MetricName"], rolegate_guard::metrics::DRIFT_DETECTED);
    // The dimension set the guard rolls every Kind up into: its function
    // name alone, the name Lambda gives it in AWS_LAMBDA_FUNCTION_NAME.
    assert_eq!(
        alarm["Dimensions"],
        json!([{"Name": rolegate_aws::metrics::FUNCTION_DIMENSION, "Value": {"Ref": "GuardFunction"}}])
    );
    assert_eq!(alarm["Statistic"], "Sum");
    assert_eq!(alarm["Threshold"], json!(0));
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    let outcome = rolegate_guard::enforce::RoleOutcome {
        role: "x".into(),
        status: "reported",
        findings: Vec::new(),
        write_calls: 0,
        finding_codes: vec!["DRIFT_CHANGED"],
        untrusted_record: false,
    };
    let line = rolegate_guard::metrics::lines(&[outcome]).remove(0);
    assert!(line.dimension_sets.contains(&Vec::new()), "{line:?}");
    // EMF is a log line: no metric filter counts drift any more, and no
    // function needs cloudwatch:PutMetricData.
    assert!(
        metric_filters(&t)
            .iter()
            .all(|(_, _, metric)| metric == "SecurityAlarms"),
        "{:?}",
        metric_filters(&t)
    );
}

#[test]
fn functions_are_traced_and_log_json_at_the_log_level_parameter() {
    let t = Template::load();
    let globals = &t.section("Globals")["Function"];
    assert_eq!(globals["Tracing"], "Active");
    assert_eq!(
        globals["LoggingConfig"],
        json!({"LogFormat": "JSON", "ApplicationLogLevel": {"Ref": "LogLevel"}, "SystemLogLevel": "WARN"})
    );
    let level = &t.section("Parameters")["LogLevel"];
    assert_eq!(level["Default"], "INFO");
    assert_eq!(
        level["AllowedValues"],
        json!(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"])
    );
    for function in t.resources_of_type("AWS::Serverless::Function") {
        let p = t.raw_properties(&function);
        let group = p["LoggingConfig"]["LogGroup"]["Ref"].as_str().unwrap();
        assert_eq!(
            t.raw_properties(group)["LogGroupName"],
            json!({"Fn::Sub": format!("/aws/lambda/${{AWS::StackName}}-{}", function.trim_end_matches("Function").to_lowercase())}),
            "{function}"
        );
    }
}

#[test]
fn every_function_role_may_write_traces_and_nothing_else_of_x_ray() {
    let t = Template::load();
    for function in t.resources_of_type("AWS::Serverless::Function") {
        let role = t.raw_properties(&function)["Role"]["Fn::GetAtt"][0]
            .as_str()
            .unwrap()
            .to_owned();
        let set = PolicySet {
            identity: t
                .role_policies(&role)
                .iter()
                .map(|doc| {
                    CompiledPolicy::compile(&PolicyDocument::from_value(doc).unwrap(), &role)
                })
                .collect(),
            ..PolicySet::default()
        };
        let me = t.arn_of(&role);
        let decide = |action: &str| {
            evaluate(&set, &Request::new(&me, action, "*").in_account(ACCOUNT)).decision
        };
        for action in ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] {
            assert_eq!(decide(action), Decision::Allowed, "{role} {action}");
        }
        for action in [
            "xray:GetTraceSummaries",
            "xray:BatchGetTraces",
            "xray:PutEncryptionConfig",
        ] {
            assert_ne!(decide(action), Decision::Allowed, "{role} {action}");
        }
    }
}

#[test]
fn the_serverless_repo_metadata_agrees_with_the_workspace() {
    let t = Template::load();
    let app = &t.section("Metadata")["AWS::ServerlessRepo::Application"];
    assert_eq!(app["SemanticVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(app["SpdxLicenseId"], env!("CARGO_PKG_LICENSE"));
    assert_eq!(app["SourceCodeUrl"], env!("CARGO_PKG_REPOSITORY"));
    assert_eq!(app["Name"], "rolegate");
    for file in ["LicenseUrl", "ReadmeUrl"] {
        let path = app[file].as_str().unwrap();
        assert!(repository_root().join(path).is_file(), "{file}: {path}");
    }
    let labels = app["Labels"].as_array().unwrap();
    assert!(
        !labels.is_empty() && labels.len() <= 10,
        "SAR takes 1-10 labels"
    );
    for key in ["Description", "Author", "HomePageUrl"] {
        assert!(app[key].as_str().is_some_and(|v| !v.is_empty()), "{key}");
    }
}
