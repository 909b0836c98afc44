//! The least-privilege proof on the largest golden fixture (by probe count).
//! Goal: under 50 ms per proof.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_policy::proof::prove_desired;
use rolegate_policy::{BuildContext, IntegrationSpec, build};

const SPEC: &str = include_str!("../../../tests/fixtures/least-privilege-post/spec.json");

fn bench(c: &mut Criterion) {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let spec = match IntegrationSpec::from_json(SPEC) {
        Ok(s) => s,
        Err(e) => panic!("fixture: {e}"),
    };
    let role = match build(&spec, &ctx) {
        Ok(r) => r,
        Err(e) => panic!("fixture: {e}"),
    };
    let proof = prove_desired(&spec, &ctx, &role);
    assert!(proof.holds(), "{:?}", proof.findings);
    println!("probes per proof: {}", proof.probes);
    c.bench_function("prove_least_privilege_post", |b| {
        b.iter(|| prove_desired(black_box(&spec), black_box(&ctx), black_box(&role)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
