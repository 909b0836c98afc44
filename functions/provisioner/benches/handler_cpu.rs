//! The provisioner's own CPU time per event, AWS calls excluded: everything
//! the handler computes for a Create (parse the event and the spec, build,
//! prove, tag, plan, render the response) and for a no-op Update (the same,
//! plus the diff against a live role). Goal: ≤ 1 ms per event.

#![allow(clippy::expect_used)]

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_policy::IntegrationSpec;
use rolegate_policy::reconcile::context_of_stack;
use rolegate_policy::reconcile::{LiveRole, PipelineOutput, diff, plan_create, spec_to_role};
use rolegate_policy::spec::DeploymentRules;
use rolegate_provisioner::event;
use rolegate_provisioner::lifecycle::owner;
use rolegate_provisioner::physical_id::role_arn;
use rolegate_provisioner::response::{Outcome, body};
use rolegate_provisioner::role_name::role_name;
use serde_json::Value;

fn sample(name: &str) -> Value {
    let path = format!(
        "{}/../../events/provisioner/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample event")).expect("JSON")
}

/// The provisioner's pipeline (`spec_to_role`) on a request's properties,
/// under no deployment rules, with a fixed ExternalId standing in for the
/// generated or stored one.
fn pipeline(
    properties: &Value,
    ctx: &rolegate_policy::build::BuildContext,
    t: &event::ResponseTarget,
) -> PipelineOutput {
    let spec = IntegrationSpec::from_properties(properties).expect("valid spec");
    spec_to_role(
        properties,
        spec,
        &DeploymentRules::default(),
        ctx,
        &owner(t),
        Some("E".repeat(40)),
        || Ok::<_, std::convert::Infallible>("E".repeat(40)),
    )
    .expect("least privilege")
}

/// The handler's pure path for one event; returns the response body.
fn handle_pure(event: Value, live: Option<&LiveRole>) -> String {
    let request = event::parse(event).expect("a valid event");
    let t = &request.target;
    let ctx = context_of_stack(&t.stack_id).expect("stack ARN");
    let PipelineOutput {
        spec,
        role: desired,
        digest,
        ..
    } = pipeline(&request.properties, &ctx, t);
    let name = role_name(&spec.role_name, &t.stack_id, &t.logical_id, &t.request_id);
    let writes = match live {
        Some(live) => diff(live, &desired).into_plan(&name).write_calls(),
        None => plan_create(&name, &desired).write_calls(),
    };
    let arn = role_arn(&ctx, &spec.path, &name);
    let data = BTreeMap::from([
        ("Arn".to_owned(), arn.clone()),
        ("PolicyDigest".to_owned(), digest),
    ]);
    body::render(t, &Outcome::success(arn, format!("{writes} writes"), data))
}

fn live_role_for(event: &Value) -> LiveRole {
    let request = event::parse(event.clone()).expect("a valid event");
    let t = &request.target;
    let ctx = context_of_stack(&t.stack_id).expect("stack ARN");
    let PipelineOutput {
        spec,
        role: desired,
        ..
    } = pipeline(&request.properties, &ctx, t);
    LiveRole::as_created(
        "atmosphere-s3",
        &role_arn(&ctx, &spec.path, "atmosphere-s3"),
        &desired,
    )
}

fn handler_cpu(c: &mut Criterion) {
    let create = sample("create");
    let update = sample("update");
    let live = live_role_for(&update);
    c.bench_function("provisioner_create_cpu", |b| {
        b.iter(|| handle_pure(create.clone(), None))
    });
    c.bench_function("provisioner_noop_update_cpu", |b| {
        b.iter(|| handle_pure(update.clone(), Some(&live)))
    });
}

criterion_group!(benches, handler_cpu);
criterion_main!(benches);
