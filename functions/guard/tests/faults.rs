//! The guard under injected faults: managed roles and the customer's own
//! roles are tampered with, and the guard hears of every change through
//! CloudTrail events while a share of its AWS calls fail (5xx, throttling,
//! resets, latency). EventBridge invokes it asynchronously, so an event it
//! fails on is delivered twice more; what is still wrong after that is the
//! scheduled sweep's, which runs until every managed role is as recorded.
//!
//! It must never touch a role that is not Rolegate's, and every managed
//! role must end exactly as its record says.
//!
//! `ROLEGATE_FAULT_ROLES` (10 here; `make faults` runs 50),
//! `ROLEGATE_FAULT_RATE` (0.2) and `ROLEGATE_FAULT_SEED` (1) tune the run.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{BOUNDARY, GUARD_ROLE_ARN, sample, snapshot};
use rolegate_aws::Clients;
use rolegate_guard::{Guard, GuardConfig};
use rolegate_policy::spec::RemediationMode;
use rolegate_test_harness::faults::FaultProxy;
use rolegate_test_harness::{
    Moto, RECORD_KEY, env_setting, invoke_event, provisioner, request, role_as_recorded,
};
use serde_json::{Value, json};

/// EventBridge's attempts at an asynchronous Lambda invocation that errs.
const LAMBDA_ATTEMPTS: u32 = 3;
/// Sweeps allowed before the guard must have converged.
const MAX_SWEEPS: usize = 20;
/// The customer's own roles, each tampered with like a managed one.
const CUSTOMER_ROLES: usize = 3;

/// A tamper: the CloudTrail sample it produces, and the Python that does it
/// to role `{role}`.
const TAMPERS: [(&str, &str); 5] = [
    (
        "put-role-policy-wildcard.json",
        "iam.put_role_policy(RoleName='{role}', PolicyName='debug', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))",
    ),
    (
        "attach-role-policy.json",
        "iam.attach_role_policy(RoleName='{role}', PolicyArn='arn:aws:iam::123456789012:policy/broad-access')",
    ),
    (
        "update-assume-role-policy-no-external-id.json",
        "iam.update_assume_role_policy(RoleName='{role}', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::966208727603:root'}, 'Action': 'sts:AssumeRole'}]}))",
    ),
    (
        "delete-role-permissions-boundary.json",
        "iam.delete_role_permissions_boundary(RoleName='{role}')",
    ),
    (
        "update-role-max-session.json",
        "iam.update_role(RoleName='{role}', MaxSessionDuration=43200)",
    ),
];

fn managed(k: usize) -> String {
    format!("guarded-{k}")
}

fn customer(k: usize) -> String {
    format!("customer-{k}")
}

/// The CloudTrail event of tamper `t` on `role`.
fn event_for(t: usize, role: &str, n: usize) -> Value {
    let text = sample(&format!("cloudtrail/{}", TAMPERS[t].0))
        .to_string()
        .replace("atmosphere-s3", role);
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["id"] = json!(format!("fault-event-{n}"));
    event["detail"]["eventID"] = json!(format!("fault-cloudtrail-{n}"));
    event
}

/// Invokes the guard as EventBridge does: the answer of the first attempt
/// that succeeded, counting the re-invocations in `retried`.
async fn deliver(guard: &Guard, event: &Value, retried: &mut usize) -> Option<Value> {
    for attempt in 1..=LAMBDA_ATTEMPTS {
        if let Ok(answer) = guard.handle(invoke_event(event.clone())).await {
            return Some(answer);
        }
        if attempt < LAMBDA_ATTEMPTS {
            *retried += 1;
        }
    }
    None
}

/// Whether every managed role is exactly as its record says (read
/// without faults).
async fn converged(direct: &Clients, roles: usize) -> bool {
    for k in 0..roles {
        if role_as_recorded(direct, &managed(k)).await.is_err() {
            return false;
        }
    }
    true
}

/// Provisions the managed roles, creates the customer's, and tampers with
/// every one of them.
async fn tampered(moto: &Moto, roles: usize) {
    moto.python(
        "iam.create_policy(PolicyName='rolegate-integration-boundary', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))\n\
         iam.create_policy(PolicyName='broad-access', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))",
    );
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    for k in 0..roles {
        let mut spec = common::spec();
        spec["RoleName"] = json!(managed(k));
        let mut create = request(moto, "Create", &format!("create-{k}"), spec, None, None);
        create["LogicalResourceId"] = json!(format!("Guarded{k}"));
        provisioner.handle(invoke_event(create)).await.unwrap();
    }
    let mut python = String::new();
    for k in 0..CUSTOMER_ROLES {
        python.push_str(&format!(
            "iam.create_role(RoleName={name:?}, Path='/integrations/', PermissionsBoundary={BOUNDARY:?}, AssumeRolePolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'AWS': 'arn:aws:iam::966208727603:root'}}, 'Action': 'sts:AssumeRole'}}]}}))\n",
            name = customer(k)
        ));
    }
    for k in 0..roles {
        python.push_str(&TAMPERS[k % TAMPERS.len()].1.replace("{role}", &managed(k)));
        python.push('\n');
    }
    for k in 0..CUSTOMER_ROLES {
        python.push_str(&TAMPERS[k % TAMPERS.len()].1.replace("{role}", &customer(k)));
        python.push('\n');
    }
    moto.python(&python);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_under_injected_faults_never_touches_an_unmanaged_role_and_converges() {
    let roles: usize = env_setting("ROLEGATE_FAULT_ROLES", 10);
    let rate: f64 = env_setting("ROLEGATE_FAULT_RATE", 0.2);
    let seed: u64 = env_setting("ROLEGATE_FAULT_SEED", 1);

    let moto = Moto::start();
    tampered(&moto, roles).await;
    let customers_before: Vec<Value> = (0..CUSTOMER_ROLES)
        .map(|k| snapshot(&moto, &customer(k)))
        .collect();
    let direct = Clients::new(&moto.sdk_config().await).with_record_key(Some(RECORD_KEY.into()));
    for k in 0..roles {
        assert!(
            role_as_recorded(&direct, &managed(k)).await.is_err(),
            "the tamper changed {}",
            managed(k)
        );
    }

    let proxy = FaultProxy::start(&moto.endpoint, rate, seed).await;
    let config = GuardConfig {
        default_remediation: RemediationMode::Restore,
        own_role_arns: vec![GUARD_ROLE_ARN.to_owned()],
        ..GuardConfig::default()
    };
    let guard = Guard::new(
        Clients::new(&proxy.sdk_config().await).with_record_key(Some(RECORD_KEY.into())),
        config,
    );

    // Every change, as CloudTrail reports it: the managed roles' and the
    // customer's, interleaved.
    let mut events = Vec::new();
    for k in 0..roles.max(CUSTOMER_ROLES) {
        if k < roles {
            events.push((
                managed(k),
                event_for(k % TAMPERS.len(), &managed(k), events.len()),
            ));
        }
        if k < CUSTOMER_ROLES {
            events.push((
                customer(k),
                event_for(k % TAMPERS.len(), &customer(k), events.len()),
            ));
        }
    }
    let (mut retried, mut left_to_sweep, mut restored_by_events) = (0, 0, 0);
    for (role, event) in &events {
        match deliver(&guard, event, &mut retried).await {
            Some(answer) => {
                let status = answer["Roles"][0]["Status"].as_str().unwrap_or_default();
                if role.starts_with("customer-") {
                    assert_eq!(status, "unmanaged", "{role}: {answer}");
                } else {
                    assert!(["restored", "clean"].contains(&status), "{role}: {answer}");
                    restored_by_events += 1;
                }
            }
            None => left_to_sweep += 1,
        }
    }

    // The schedule: at least one sweep under the same faults, and more
    // until every managed role is as recorded.
    let mut sweeps = 0;
    let mut restored_by_sweeps = 0;
    while sweeps == 0 || !converged(&direct, roles).await {
        assert!(
            sweeps < MAX_SWEEPS,
            "not converged after {MAX_SWEEPS} sweeps"
        );
        let mut event = sample("sweep.json");
        event["id"] = json!(format!("fault-sweep-{sweeps}"));
        sweeps += 1;
        let Some(answer) = deliver(&guard, &event, &mut retried).await else {
            continue;
        };
        for role in answer["Sweep"]["Roles"].as_array().unwrap() {
            assert!(
                role["Role"].as_str().unwrap().starts_with("guarded-"),
                "the sweep reached {role}"
            );
            assert_eq!(role["Status"], "restored", "{role}");
            restored_by_sweeps += 1;
        }
    }

    for (k, before) in customers_before.iter().enumerate() {
        assert_eq!(
            &snapshot(&moto, &customer(k)),
            before,
            "{} was touched",
            customer(k)
        );
    }
    eprintln!(
        "{roles} managed and {CUSTOMER_ROLES} customer roles tampered with, at fault rate {rate} (seed {seed}): \
         {} events; {restored_by_events} managed roles set right by their event, {left_to_sweep} events failed \
         all {LAMBDA_ATTEMPTS} attempts, {retried} invocations retried; {restored_by_sweeps} roles restored by \
         {sweeps} sweeps until every role was as recorded; customer roles untouched; proxy: {}",
        events.len(),
        proxy.counts.summary()
    );
    assert!(proxy.counts.injected() > 0, "{}", proxy.counts.summary());
}
