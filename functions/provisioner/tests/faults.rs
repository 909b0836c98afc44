//! Fault injection: whole provisioning lifecycles (Create, Update, Delete)
//! with every AWS call and every CloudFormation response going through a
//! proxy that fails a share of them: 5xx, Throttling, a connection reset
//! before or after the service did the work, or added latency.
//!
//! CloudFormation and Lambda are modelled as they behave: Lambda invokes
//! a custom resource asynchronously and retries twice when the function
//! errs (ours errs only when no response could be delivered); a failed
//! Update is rolled back with a second Update to the old properties; a
//! failed Create is followed by a Delete; a failed Delete is retried by the
//! operator, twice at once and, if the faults outlast that, once more
//! after they end (at the 20% rate that has never been needed).
//!
//! `ROLEGATE_FAULT_LIFECYCLES` (10 here; `make faults` runs 100),
//! `ROLEGATE_FAULT_RATE` (0.2) and `ROLEGATE_FAULT_SEED` (1) tune the run.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Context, LambdaEvent};
use rolegate_aws::Clients;
use rolegate_provisioner::Provisioner;
use rolegate_provisioner::response::delivery::{Responder, Retry};
use rolegate_test_harness as support;
use serde_json::{Value, json};
use support::faults::FaultProxy;
use support::{Moto, RECORD_KEY, env_setting, request_to};
use tokio::sync::Semaphore;

/// The provisioner's Lambda timeout in template.yaml.
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(300);
/// Lambda's attempts at an asynchronous invocation that errs.
const LAMBDA_ATTEMPTS: u32 = 3;
/// An operator's attempts at deleting a stack whose Delete failed.
const DELETE_ATTEMPTS: u32 = 3;
/// Lifecycles in flight at once.
const CONCURRENCY: usize = 4;
/// A role Rolegate does not manage; it must come through untouched.
const CUSTOMER_ROLE: &str = "customer-admin";

/// The properties of lifecycle `i` before and after its Update. Even
/// lifecycles let Rolegate generate the ExternalId; odd ones give it, and
/// also notify an event bus.
fn properties(i: usize) -> (Value, Value) {
    let mut before = json!({
        "RoleName": format!("fault-{i}"),
        "Description": format!("lifecycle {i}"),
        "Trust": { "Principals": ["966208727603"] },
        "Grants": [
            { "Service": "s3", "Access": "read", "Bucket": format!("exports-{i}") }
        ]
    });
    if i % 2 == 1 {
        before["ExternalId"] = json!(format!("fault-external-id-{i:04}"));
        before["NotifyEventBusArn"] =
            json!("arn:aws:events:us-east-1:123456789012:event-bus/default");
    }
    let mut after = before.clone();
    after["Description"] = json!(format!("lifecycle {i}, updated"));
    after["Grants"].as_array_mut().unwrap().push(json!(
        { "Service": "sqs", "Access": "send", "QueueArn": format!("arn:aws:sqs:us-east-1:123456789012:jobs-{i}") }
    ));
    (before, after)
}

/// What one request came to, as CloudFormation saw it.
#[derive(Debug, Clone)]
struct Answer {
    request_id: String,
    status: String,
    physical_id: String,
    reason: String,
    /// Lambda invocations it took (more than one when delivery failed).
    invocations: u32,
    /// The longest single invocation.
    longest: Duration,
}

impl Answer {
    fn succeeded(&self) -> bool {
        self.status == "SUCCESS"
    }
}

/// What one lifecycle came to.
#[derive(Debug, Default)]
struct Lifecycle {
    answers: Vec<Answer>,
    create_failed: bool,
    update_failed: bool,
    rollback_failed: bool,
    delete_attempts: u32,
    /// The Delete to send once the faults end: physical id, properties and
    /// request number, when every attempt under faults failed.
    outstanding_delete: Option<(String, Value, usize)>,
}

/// CloudFormation and Lambda around the provisioner.
struct Stack {
    provisioner: Provisioner,
    proxy: Arc<FaultProxy>,
    urls: Vec<String>,
}

impl Stack {
    /// Sends request number `n` of lifecycle `i` as Lambda would.
    async fn send(
        &self,
        i: usize,
        n: usize,
        request_type: &str,
        properties: &Value,
        physical_id: Option<&str>,
        old: Option<&Value>,
    ) -> Answer {
        let request_id = request_key(i, n);
        let url = self.proxy.via(&self.urls[i * REQUESTS_PER_LIFECYCLE + n]);
        let mut event = request_to(
            &url,
            request_type,
            &request_id,
            properties.clone(),
            physical_id,
            old.cloned(),
        );
        event["LogicalResourceId"] = json!(format!("Role{i}"));
        let mut longest = Duration::ZERO;
        for invocation in 1..=LAMBDA_ATTEMPTS {
            let mut context = Context::default();
            context.deadline = epoch_ms() + LAMBDA_TIMEOUT.as_millis() as u64;
            let started = Instant::now();
            let handled = self
                .provisioner
                .handle(LambdaEvent::new(event.clone(), context))
                .await;
            longest = longest.max(started.elapsed());
            if let Err(e) = &handled {
                eprintln!("DEBUG {request_id}: {e}");
            }
            if let Ok(answer) = handled {
                return Answer {
                    request_id,
                    status: answer["Status"].as_str().unwrap().to_owned(),
                    physical_id: answer["PhysicalResourceId"].as_str().unwrap().to_owned(),
                    reason: answer["Reason"].as_str().unwrap_or_default().to_owned(),
                    invocations: invocation,
                    longest,
                };
            }
        }
        panic!("{request_id}: no response delivered in {LAMBDA_ATTEMPTS} invocations");
    }
}

/// Create, Update, rollback Update, Delete, two operator retries of it
/// and one after the faults end: at most seven requests per lifecycle.
const REQUESTS_PER_LIFECYCLE: usize = 7;

fn request_key(i: usize, n: usize) -> String {
    format!("lifecycle-{i}-request-{n}")
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The role IAM holds for `name` is exactly what its stored record asks
/// for, under the ARN CloudFormation was told, for these properties.
async fn assert_role_matches(direct: &Clients, name: &str, arn: &str, properties: &Value) {
    let (live, record) = support::role_as_recorded(direct, name)
        .await
        .unwrap_or_else(|e| panic!("answered SUCCESS, but {e}"));
    assert_eq!(live.arn, arn, "{name}: ARN");
    let mut stored = record.properties.clone();
    if properties.get("ExternalId").is_none() {
        stored.as_object_mut().unwrap().remove("ExternalId");
    }
    assert_eq!(&stored, properties, "{name}: record properties");
}

/// Nothing of role `name` is left: no role, no record.
async fn assert_gone(direct: &Clients, name: &str, run: &Lifecycle) {
    assert!(
        rolegate_aws::read_role(&direct.iam, name)
            .await
            .unwrap()
            .is_none(),
        "{name}: role left behind: {run:#?}"
    );
    assert!(
        rolegate_aws::get_stored_record(&direct.ssm, name)
            .await
            .unwrap()
            .is_none(),
        "{name}: record left behind: {run:#?}"
    );
}

async fn lifecycle(stack: Arc<Stack>, direct: Arc<Clients>, i: usize) -> Lifecycle {
    let (before, after) = properties(i);
    let name = format!("fault-{i}");
    let mut run = Lifecycle::default();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n - 1
    };

    let created = stack.send(i, next(), "Create", &before, None, None).await;
    run.answers.push(created.clone());
    let current = created.physical_id.clone();
    let mut properties_now = before.clone();
    if created.succeeded() {
        assert_role_matches(&direct, &name, &current, &before).await;
        let updated = stack
            .send(i, next(), "Update", &after, Some(&current), Some(&before))
            .await;
        run.answers.push(updated.clone());
        if updated.succeeded() {
            assert_eq!(
                updated.physical_id, current,
                "an in-place update keeps the ARN"
            );
            assert_role_matches(&direct, &name, &current, &after).await;
            properties_now = after.clone();
        } else {
            run.update_failed = true;
            let rolled_back = stack
                .send(i, next(), "Update", &before, Some(&current), Some(&after))
                .await;
            run.answers.push(rolled_back.clone());
            if rolled_back.succeeded() {
                assert_role_matches(&direct, &name, &current, &before).await;
            } else {
                run.rollback_failed = true;
            }
        }
    } else {
        run.create_failed = true;
    }

    for attempt in 1..=DELETE_ATTEMPTS {
        let deleted = stack
            .send(i, next(), "Delete", &properties_now, Some(&current), None)
            .await;
        run.answers.push(deleted.clone());
        run.delete_attempts = attempt;
        if deleted.succeeded() {
            assert_gone(&direct, &name, &run).await;
            return run;
        }
    }
    run.outstanding_delete = Some((current, properties_now, next()));
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_lifecycles_under_injected_faults_answer_every_request_and_leave_nothing_behind()
 {
    let count: usize = env_setting("ROLEGATE_FAULT_LIFECYCLES", 10);
    let rate: f64 = env_setting("ROLEGATE_FAULT_RATE", 0.2);
    let seed: u64 = env_setting("ROLEGATE_FAULT_SEED", 1);

    let moto = Moto::start();
    moto.python(&format!(
        "iam.create_role(RoleName={CUSTOMER_ROLE:?}, AssumeRolePolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'AWS': 'arn:aws:iam::123456789012:root'}}, 'Action': 'sts:AssumeRole'}}]}}))\n\
         iam.put_role_policy(RoleName={CUSTOMER_ROLE:?}, PolicyName='admin', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}]}}))"
    ));
    let keys: Vec<String> = (0..count)
        .flat_map(|i| (0..REQUESTS_PER_LIFECYCLE).map(move |n| request_key(i, n)))
        .collect();
    let urls = moto.response_urls(&keys);
    let direct =
        Arc::new(Clients::new(&moto.sdk_config().await).with_record_key(Some(RECORD_KEY.into())));

    let proxy = Arc::new(FaultProxy::start(&moto.endpoint, rate, seed).await);
    let retry = Retry {
        first_backoff: Duration::from_millis(20),
        ..Retry::default()
    };
    let responder = Responder::new(Some("127.0.0.1".into()), retry).unwrap();
    let provisioner = Provisioner::new(
        Clients::new(&proxy.sdk_config().await).with_record_key(Some(RECORD_KEY.into())),
        responder,
    );
    let stack = Arc::new(Stack {
        provisioner,
        proxy: Arc::clone(&proxy),
        urls,
    });

    let started = Instant::now();
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let mut running = tokio::task::JoinSet::new();
    for i in 0..count {
        let (stack, direct, slots) = (Arc::clone(&stack), Arc::clone(&direct), Arc::clone(&slots));
        running.spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            (i, lifecycle(stack, direct, i).await)
        });
    }
    let mut runs = Vec::new();
    while let Some(joined) = running.join_next().await {
        runs.push(joined.unwrap());
    }
    runs.sort_by_key(|(i, _)| *i);
    let elapsed = started.elapsed();

    // The outage ends; the operator retries the stack deletions that failed.
    proxy.set_rate(0.0);
    let mut deleted_after_faults = 0;
    for (i, run) in &mut runs {
        if let Some((physical_id, properties, n)) = run.outstanding_delete.take() {
            let deleted = stack
                .send(*i, n, "Delete", &properties, Some(&physical_id), None)
                .await;
            assert!(
                deleted.succeeded(),
                "lifecycle {i}: Delete without faults: {deleted:?}"
            );
            assert_gone(&direct, &format!("fault-{i}"), run).await;
            run.answers.push(deleted);
            deleted_after_faults += 1;
        }
    }

    // Every request was answered, in S3, as the handler said, in time.
    let answers: Vec<&Answer> = runs.iter().flat_map(|(_, r)| &r.answers).collect();
    let delivered = moto.responses(
        &answers
            .iter()
            .map(|a| a.request_id.clone())
            .collect::<Vec<_>>(),
    );
    for (answer, document) in answers.iter().zip(&delivered) {
        let document = document
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no response in S3", answer.request_id));
        assert_eq!(
            document["Status"],
            answer.status.as_str(),
            "{}",
            answer.request_id
        );
        assert_eq!(
            document["PhysicalResourceId"],
            answer.physical_id.as_str(),
            "{}",
            answer.request_id
        );
        assert!(
            answer.longest < LAMBDA_TIMEOUT,
            "{}: an invocation ran {:?}",
            answer.request_id,
            answer.longest
        );
    }

    // No IAM role, policy or record of Rolegate's is left; the customer's
    // own role is as it was.
    let left = moto.python(
        "print(json.dumps({'roles': sorted(r['RoleName'] for r in iam.list_roles()['Roles']),\n\
         'policies': [p['PolicyName'] for p in iam.list_policies(Scope='Local')['Policies']],\n\
         'records': [p['Name'] for p in ssm.get_parameters_by_path(Path='/rolegate/roles/', Recursive=True)['Parameters']],\n\
         'customer': iam.list_role_policies(RoleName='customer-admin')['PolicyNames']}))",
    );
    let left: Value = serde_json::from_str(&left).unwrap();
    assert_eq!(left["roles"], json!([CUSTOMER_ROLE]), "{left}");
    assert_eq!(left["policies"], json!([]), "{left}");
    assert_eq!(left["records"], json!([]), "{left}");
    assert_eq!(left["customer"], json!(["admin"]), "{left}");

    let count_of = |f: &dyn Fn(&Lifecycle) -> bool| runs.iter().filter(|(_, r)| f(r)).count();
    let redelivered = answers.iter().filter(|a| a.invocations > 1).count();
    let longest = answers.iter().map(|a| a.longest).max().unwrap_or_default();
    let failures: Vec<String> = answers
        .iter()
        .filter(|a| !a.succeeded())
        .map(|a| format!("{}: {}", a.request_id, a.reason))
        .collect();
    eprintln!(
        "{count} lifecycles at fault rate {rate} (seed {seed}) in {:.1} s: {} requests answered; \
         Create FAILED {}, Update FAILED {} (rollback FAILED {}), Delete needing a retry {} \
         (after the faults ended {deleted_after_faults}); {redelivered} requests re-invoked by Lambda; longest invocation {} ms; proxy: {}",
        elapsed.as_secs_f64(),
        answers.len(),
        count_of(&|r| r.create_failed),
        count_of(&|r| r.update_failed),
        count_of(&|r| r.rollback_failed),
        count_of(&|r| r.delete_attempts > 1),
        longest.as_millis(),
        proxy.counts.summary(),
    );
    for failure in failures.iter().take(5) {
        eprintln!("  FAILED {failure}");
    }
    assert!(
        proxy.counts.injected() > 0,
        "the proxy injected no fault: {}",
        proxy.counts.summary()
    );
}
