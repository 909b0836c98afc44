//! Measures the guard's scheduled sweep against moto: wall time and IAM
//! calls per role, at growing numbers of managed roles, so that a cost
//! that does not grow linearly shows. Goal: 1,000 roles in under 60 s.
//!
//! Not a criterion bench: one sweep of 1,000 roles takes tens of seconds
//! and provisioning them longer, so each size is measured once and
//! printed. `make bench-sweep` runs it (moto comes from the project's
//! virtualenv); `SWEEP_SIZES` (default `250,500,1000`) and
//! `SWEEP_CONCURRENCY` (roles checked at once; default the guard's, 4; a
//! list sweeps each size at each) change the run.
//!
//! Every 100th role is tampered with (a wildcard inline policy) before
//! each sweep, so the figures include restores, not only clean reads.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Context, LambdaEvent};
use rolegate_guard::{Guard, GuardConfig};
use rolegate_test_harness::{CallLog, Moto, invoke_event, logged_clients, provisioner, request};
use serde_json::{Value, json};
use tokio::task::JoinSet;

const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolegate-integration-boundary";
/// The guard's Lambda timeout in `template.yaml`.
const GUARD_TIMEOUT: Duration = Duration::from_secs(300);
/// Creates in flight while provisioning (setup, not measured).
const PROVISION_CONCURRENCY: usize = 8;
const TAMPER_EVERY: usize = 100;

fn role(k: usize) -> String {
    format!("swept-{k:04}")
}

fn spec(k: usize) -> Value {
    json!({
        "RoleName": role(k),
        "Description": "Atmosphere reads exports",
        "Trust": { "Principals": ["966208727603"] },
        "PermissionsBoundaryArn": BOUNDARY,
        "Grants": [
            { "Service": "s3", "Access": "read", "Bucket": format!("exports-{k}") },
            { "Service": "dynamodb", "Access": "read", "TableArn": format!("arn:aws:dynamodb:us-east-1:123456789012:table/orders-{k}") }
        ]
    })
}

/// Provisions roles `from..to` through the provisioner's handler.
async fn provision(moto: &Arc<Moto>, from: usize, to: usize) {
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let provisioner = Arc::new(provisioner);
    let mut creates = JoinSet::new();
    for k in from..to {
        if creates.len() >= PROVISION_CONCURRENCY {
            creates.join_next().await.unwrap().unwrap();
        }
        let (moto, provisioner) = (Arc::clone(moto), Arc::clone(&provisioner));
        creates.spawn(async move {
            let mut create = request(&moto, "Create", &format!("create-{k}"), spec(k), None, None);
            create["LogicalResourceId"] = json!(format!("Swept{k}"));
            provisioner.handle(invoke_event(create)).await.unwrap();
        });
    }
    while let Some(done) = creates.join_next().await {
        done.unwrap();
    }
    let keys: Vec<String> = (from..to).map(|k| format!("create-{k}")).collect();
    for response in moto.responses(&keys) {
        let response = response.expect("every Create answered");
        assert_eq!(response["Status"], "SUCCESS", "{response}");
    }
}

fn tamper(moto: &Moto, roles: usize) -> usize {
    let mut python = String::new();
    let mut tampered = 0;
    for k in (0..roles).step_by(TAMPER_EVERY) {
        python.push_str(&format!(
            "iam.put_role_policy(RoleName={:?}, PolicyName='debug', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}]}}))\n",
            role(k)
        ));
        tampered += 1;
    }
    moto.python(&python);
    tampered
}

/// The scheduled event; each run of the schedule has its own id.
fn sweep_event(n: usize) -> Value {
    let path = format!(
        "{}/../../events/guard/sweep.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["id"] = json!(format!("sweep-{n}"));
    event
}

/// A context whose deadline is the guard's timeout from now, as Lambda's.
fn lambda_context() -> Context {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let mut context = Context::default();
    context.deadline = u64::try_from((now + GUARD_TIMEOUT).as_millis()).unwrap();
    context
}

struct Measured {
    roles: usize,
    concurrency: usize,
    invocations: usize,
    wall: Duration,
    restored: usize,
    iam_calls: BTreeMap<String, usize>,
}

/// Sweeps until a run completes, as the schedule would.
async fn sweep(
    guard: &Guard,
    log: &CallLog,
    roles: usize,
    concurrency: usize,
    runs: &mut usize,
) -> Measured {
    log.take();
    let started = Instant::now();
    let (mut invocations, mut restored) = (0, 0);
    loop {
        invocations += 1;
        *runs += 1;
        let answer = guard
            .handle(LambdaEvent::new(sweep_event(*runs), lambda_context()))
            .await
            .unwrap();
        let report = &answer["Sweep"];
        let errors = report["Errors"].as_array().unwrap();
        assert!(errors.is_empty(), "the sweep failed on roles: {errors:?}");
        restored += report["Roles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["Status"] == "restored")
            .count();
        if report["Complete"] == json!(true) {
            break;
        }
    }
    let wall = started.elapsed();
    let mut iam_calls = BTreeMap::new();
    for action in log.take() {
        *iam_calls.entry(action).or_insert(0) += 1;
    }
    Measured {
        roles,
        concurrency,
        invocations,
        wall,
        restored,
        iam_calls,
    }
}

fn numbers(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.into())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}: {n:?} is not a number"))
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sizes = numbers("SWEEP_SIZES", "250,500,1000");
    let concurrencies = numbers(
        "SWEEP_CONCURRENCY",
        &rolegate_guard::config::DEFAULT_SWEEP_CONCURRENCY.to_string(),
    );

    let moto = Arc::new(Moto::start());
    moto.python(&format!(
        "iam.create_policy(PolicyName='rolegate-integration-boundary', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}]}}))\nassert {BOUNDARY:?}"
    ));
    let (clients, log) = logged_clients(&moto.sdk_config().await);
    let guards: Vec<Guard> = concurrencies
        .iter()
        .map(|&sweep_concurrency| {
            let config = GuardConfig {
                sweep_concurrency,
                ..GuardConfig::default()
            };
            Guard::new(clients.clone(), config)
        })
        .collect();

    println!("guard timeout {GUARD_TIMEOUT:?}");
    let (mut provisioned, mut runs) = (0, 0);
    let mut results = Vec::new();
    for &size in &sizes {
        let setup = Instant::now();
        provision(&moto, provisioned, size).await;
        provisioned = provisioned.max(size);
        println!(
            "{size} roles provisioned ({:.1} s of setup)",
            setup.elapsed().as_secs_f64()
        );
        for (guard, &concurrency) in guards.iter().zip(&concurrencies) {
            let tampered = tamper(&moto, size);
            let measured = sweep(guard, &log, size, concurrency, &mut runs).await;
            assert_eq!(measured.restored, tampered, "every tampered role restored");
            let calls: usize = measured.iam_calls.values().sum();
            println!(
                "  {tampered} tampered, swept {concurrency} at a time in {:.1} s over {} invocation(s): {:.1} ms and {:.2} IAM calls per role ({calls} calls: {:?})",
                measured.wall.as_secs_f64(),
                measured.invocations,
                measured.wall.as_secs_f64() * 1000.0 / size as f64,
                calls as f64 / size as f64,
                measured.iam_calls
            );
            results.push(measured);
        }
    }

    println!(
        "\n| roles | checked at once | sweep wall time | per role | IAM calls per role | invocations | restored |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for m in &results {
        let calls: usize = m.iam_calls.values().sum();
        println!(
            "| {} | {} | {:.1} s | {:.1} ms | {:.2} | {} | {} |",
            m.roles,
            m.concurrency,
            m.wall.as_secs_f64(),
            m.wall.as_secs_f64() * 1000.0 / m.roles as f64,
            calls as f64 / m.roles as f64,
            m.invocations,
            m.restored
        );
    }
}
