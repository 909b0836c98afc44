//! The CloudFormation protocol against moto: the deadline guard, the
//! response size cap, the ResponseURL host check, and a table of bad events
//! that must each come back FAILED with a Reason naming what is wrong.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use rolegate_test_harness as support;

use std::net::TcpListener;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use support::{Moto, invoke_event, provisioner, request, sdk_config};

fn spec() -> Value {
    json!({
        "RoleName": "onemata-glue",
        "Trust": { "Principals": ["arn:aws:iam::210987654321:role/onemata-ingest"] },
        "ExternalId": "onemata-5d1c7d3e",
        "Grants": [ { "Service": "glue", "Access": "read", "Database": "analytics" } ]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_past_its_budget_still_answers_failed_before_the_deadline() {
    let moto = Moto::start();
    // IAM and SSM accept connections and never answer.
    let blackhole = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", blackhole.local_addr().unwrap());
    let (mut provisioner, _) = provisioner(&sdk_config(&endpoint).await);
    provisioner.deadline_margin = Duration::from_millis(2500);

    let event = request(&moto, "Create", "c1", spec(), None, None);
    let started = Instant::now();
    provisioner
        .handle(LambdaEvent::new(event, context_with_deadline_in(4000)))
        .await
        .unwrap();
    let answered = started.elapsed();

    assert!(
        answered < Duration::from_millis(4000),
        "answered after {answered:?}"
    );
    let (response, _) = moto.response("c1").expect("FAILED was delivered");
    assert_eq!(response["Status"], "FAILED");
    assert!(
        response["Reason"]
            .as_str()
            .unwrap()
            .starts_with("timed out"),
        "{response}"
    );
    // IAM never answers the cleanup either: it gives up within the time
    // kept back, says so, and answers the would-be role ARN, so a Delete
    // still finds anything made.
    let reason = response["Reason"].as_str().unwrap();
    assert!(
        reason.contains("; removing what this create made failed (it did not finish within the ")
            && reason.ends_with("a Delete of this resource removes it"),
        "{response}"
    );
    assert_eq!(
        response["PhysicalResourceId"],
        "arn:aws:iam::123456789012:role/integrations/onemata-glue"
    );
    drop(blackhole);
}

fn context_with_deadline_in(ms: u64) -> Context {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let mut context = Context::default();
    context.deadline = u64::try_from(now_ms).unwrap() + ms;
    context
}

/// A request that needs no AWS call: it is answered FAILED at once.
fn unknown_request_to(url: &str) -> Value {
    let mut event = support::request_to(url, "Create", "u1", spec(), None, None);
    event["RequestType"] = json!("Upsert");
    event
}

/// The handler's error for a request answered at `url` 1.5 s before the
/// Lambda deadline.
async fn refused_with_little_time_left(
    provisioner: &rolegate_provisioner::Provisioner,
    url: &str,
) -> String {
    provisioner
        .handle(LambdaEvent::new(
            unknown_request_to(url),
            context_with_deadline_in(1500),
        ))
        .await
        .unwrap_err()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_url_that_never_answers_is_given_up_before_the_deadline_saying_so() {
    // Accepts connections and never answers: each attempt may wait 5 s,
    // longer than the whole invocation has left.
    let blackhole = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/bucket/u1", blackhole.local_addr().unwrap());
    let (provisioner, _) = provisioner(&sdk_config("http://127.0.0.1:9").await);

    let err = refused_with_little_time_left(&provisioner, &url).await;

    assert!(
        err.starts_with("the response could not be sent before the Lambda deadline, after 1 attempt(s): no answer within"),
        "{err}"
    );
    drop(blackhole);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_response_url_is_retried_only_while_the_invocation_has_time() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Answers every PUT with 503, as S3 does when it sheds load.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/bucket/u1", listener.local_addr().unwrap());
    let puts = Arc::new(AtomicUsize::new(0));
    let counted = puts.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                while support::http::read_request(&mut stream).await.is_some() {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let busy = support::http::response(503, "application/xml", "<Error/>");
                    if stream.write_all(&busy).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let (mut provisioner, _) = provisioner(&sdk_config("http://127.0.0.1:9").await);
    provisioner.responder = rolegate_provisioner::response::delivery::Responder::new(
        Some("127.0.0.1".into()),
        rolegate_provisioner::response::delivery::Retry {
            attempts: 100,
            first_backoff: Duration::from_millis(100),
            attempt_timeout: Duration::from_secs(5),
        },
    )
    .unwrap();

    let err = refused_with_little_time_left(&provisioner, &url).await;

    // Backoff 100, 200, 400 ms fits in 1.5 s; the next 800 ms does not.
    let sent = puts.load(Ordering::SeqCst);
    assert!((2..=5).contains(&sent), "{sent} PUTs");
    assert_eq!(
        err,
        format!(
            "the response could not be sent before the Lambda deadline, after {sent} attempt(s): HTTP 503"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_response_is_cut_to_4096_bytes_by_truncating_the_reason() {
    let moto = Moto::start();
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let mut props = spec();
    props[format!("Misspelt{}", "x".repeat(6000))] = json!("1");
    provisioner
        .handle(invoke_event(request(
            &moto, "Create", "c1", props, None, None,
        )))
        .await
        .unwrap();
    let (response, size) = moto.response("c1").unwrap();
    assert!(size <= 4096, "{size} bytes");
    assert_eq!(response["Status"], "FAILED");
    let reason = response["Reason"].as_str().unwrap();
    assert!(reason.starts_with("Misspeltxxx"), "{reason:.80}");
    assert!(reason.ends_with("[truncated]"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_url_outside_s3_is_refused_and_never_contacted() {
    let moto = Moto::start();
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for url in [
        // Loopback by another name than the one allowed host.
        format!("http://localhost:{port}/bucket/key"),
        "https://169.254.169.254/latest/meta-data/iam/".to_owned(),
        "https://attacker.example.com/cfn-response".to_owned(),
    ] {
        let mut event = request(
            &moto,
            "Delete",
            "d1",
            spec(),
            Some("rolegate-failed-create:x:y"),
            None,
        );
        event["ResponseURL"] = json!(url);
        let err = provisioner.handle(invoke_event(event)).await.unwrap_err();
        assert!(err.to_string().starts_with("ResponseURL:"), "{err}");
        assert!(
            !err.to_string().contains("/bucket/key"),
            "the URL itself is not repeated"
        );
    }
    assert!(listener.accept().is_err(), "nothing connected");
    assert_eq!(log.take(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_production_provisioner_refuses_a_local_engines_response_url_and_answers_nothing_there() {
    let moto = Moto::start();
    // Configured as template.yaml deploys it by default: AllowedResponseHost
    // empty, so ROLEGATE_ALLOW_RESPONSE_HOST is "" and only S3 is answered.
    let (mut provisioner, log) = provisioner(&moto.sdk_config().await);
    provisioner.responder = rolegate_provisioner::response::delivery::Responder::new(
        Some(String::new()),
        rolegate_provisioner::response::delivery::Retry::default(),
    )
    .unwrap();
    // Where MiniStack, a local CloudFormation engine, waits for the answer.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/_ministack/cfn-response/3f2a9c1e");
    for request_type in ["Create", "Delete"] {
        let physical_id = (request_type == "Delete").then_some("rolegate-failed-create:x:y");
        let event = support::request_to(&url, request_type, "r1", spec(), physical_id, None);
        let err = provisioner.handle(invoke_event(event)).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "ResponseURL: must use https",
            "{request_type}"
        );
    }
    assert!(
        listener.accept().is_err(),
        "nothing connected to the engine"
    );
    assert_eq!(log.take(), Vec::<String>::new(), "no IAM call was made");
    let records = moto.python(
        "print(len(ssm.get_parameters_by_path(Path='/rolegate/', Recursive=True)['Parameters']))",
    );
    assert_eq!(records, "0", "no record or tombstone was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_without_a_response_url_is_an_error_not_a_panic() {
    let moto = Moto::start();
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    for event in [json!(null), json!([]), json!({"RequestType": "Create"})] {
        let err = provisioner.handle(invoke_event(event)).await.unwrap_err();
        assert!(err.to_string().starts_with("malformed event"), "{err}");
    }
}

/// A case name, its change to a valid Create event, and how the Reason must start.
type BadEvent = (&'static str, fn(&mut Value), &'static str);

fn bad_events() -> Vec<BadEvent> {
    vec![
        (
            "no RequestType",
            |e| {
                e.as_object_mut().unwrap().remove("RequestType");
            },
            "RequestType: required",
        ),
        (
            "unknown RequestType",
            |e| e["RequestType"] = json!("Upsert"),
            "RequestType: \"Upsert\" is not one of",
        ),
        (
            "numeric RequestType",
            |e| e["RequestType"] = json!(1),
            "RequestType: must be a string",
        ),
        (
            "properties not an object",
            |e| e["ResourceProperties"] = json!(["RoleName"]),
            "ResourceProperties: must be an object",
        ),
        (
            "update without PhysicalResourceId",
            |e| e["RequestType"] = json!("Update"),
            "not a CloudFormation custom resource request",
        ),
        (
            "StackId not an ARN",
            |e| e["StackId"] = json!("my-stack"),
            "StackId: \"my-stack\" is not a CloudFormation stack ARN",
        ),
        (
            "misspelt property",
            |e| e["ResourceProperties"]["RoleNmae"] = json!("x"),
            "RoleNmae: unknown property",
        ),
        (
            "no Trust",
            |e| {
                e["ResourceProperties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("Trust");
            },
            "Trust: required property is missing",
        ),
        (
            "bad principal",
            |e| e["ResourceProperties"]["Trust"]["Principals"] = json!(["vendor"]),
            "Trust.Principals[0]:",
        ),
        (
            "session too long",
            |e| e["ResourceProperties"]["MaxSessionDuration"] = json!("99999"),
            "MaxSessionDuration:",
        ),
        (
            "session not a number",
            |e| e["ResourceProperties"]["MaxSessionDuration"] = json!("an hour"),
            "MaxSessionDuration:",
        ),
        (
            "short ExternalId",
            |e| e["ResourceProperties"]["ExternalId"] = json!("a"),
            "ExternalId:",
        ),
        (
            "ExternalId bad character",
            |e| e["ResourceProperties"]["ExternalId"] = json!("id with spaces"),
            "ExternalId:",
        ),
        (
            "path without slashes",
            |e| e["ResourceProperties"]["Path"] = json!("integrations"),
            "Path:",
        ),
        (
            "role name too long",
            |e| e["ResourceProperties"]["RoleName"] = json!("r".repeat(65)),
            "RoleName:",
        ),
        (
            "name and prefix",
            |e| e["ResourceProperties"]["RoleNamePrefix"] = json!("x"),
            "RoleNamePrefix: cannot be combined with RoleName",
        ),
        (
            "unknown service",
            |e| e["ResourceProperties"]["Grants"][0]["Service"] = json!("ec3"),
            "Grants[0].Service:",
        ),
        (
            "no grants",
            |e| e["ResourceProperties"]["Grants"] = json!([]),
            "Grants:",
        ),
        (
            "bad CIDR",
            |e| e["ResourceProperties"]["Conditions"] = json!({"SourceIps": ["10.0.0.0/33"]}),
            "Conditions.SourceIps[0]:",
        ),
        (
            "bad region",
            |e| e["ResourceProperties"]["Conditions"] = json!({"AllowedRegions": ["mars-1"]}),
            "Conditions.AllowedRegions[0]:",
        ),
        (
            "bad ExpiresAt",
            |e| e["ResourceProperties"]["ExpiresAt"] = json!("next tuesday"),
            "ExpiresAt:",
        ),
        (
            "reserved tag",
            |e| {
                e["ResourceProperties"]["Tags"] =
                    json!([{"Key": "rolegate:managed", "Value": "no"}])
            },
            "Tags[0]: tag key",
        ),
        (
            "boundary not an ARN",
            |e| e["ResourceProperties"]["PermissionsBoundaryArn"] = json!("boundary"),
            "PermissionsBoundaryArn:",
        ),
        (
            "bus not an event bus",
            |e| {
                e["ResourceProperties"]["NotifyEventBusArn"] =
                    json!("arn:aws:sqs:us-east-1:123456789012:q")
            },
            "NotifyEventBusArn:",
        ),
        (
            "description too long",
            |e| e["ResourceProperties"]["Description"] = json!("d".repeat(1001)),
            "Description:",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_event_is_answered_failed_with_a_reason_naming_the_problem() {
    let moto = Moto::start();
    let (provisioner, log) = provisioner(&moto.sdk_config().await);
    let cases = bad_events();
    assert!(cases.len() >= 20);
    let mut wrong = Vec::new();
    for (i, (case, change, expected)) in cases.into_iter().enumerate() {
        let key = format!("bad-{i}");
        let mut event = request(&moto, "Create", &key, spec(), None, None);
        change(&mut event);
        provisioner.handle(invoke_event(event)).await.unwrap();
        let (response, _) = moto.response(&key).unwrap();
        let reason = response["Reason"].as_str().unwrap_or_default().to_owned();
        if response["Status"] != "FAILED" || !reason.starts_with(expected) {
            wrong.push(format!("{case}: {} {reason:?}", response["Status"]));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(
        log.take_writes(),
        Vec::<String>::new(),
        "bad input never reaches IAM"
    );
    let records = moto.python(
        "print(len(ssm.get_parameters_by_path(Path='/rolegate/roles/', Recursive=True)['Parameters']))",
    );
    assert_eq!(records, "0", "nor writes a record");
}
