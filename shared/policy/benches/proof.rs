//! The least-privilege proof on every golden fixture: the production proof
//! (probes and the symbolic step, `proof/FIXTURE`), the probes alone
//! (`probes/FIXTURE`) and the symbolic step alone (`symbolic/FIXTURE`).
//! Goal: under 50 ms per proof.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_policy::proof::{RolePolicies, prove, prove_by_probes, symbolic_verdict};
use rolegate_policy::symbolic::Verdict;
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(&root) {
        Ok(d) => d
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("spec.json").is_file())
            .collect(),
        Err(e) => panic!("{}: {e}", root.display()),
    };
    dirs.sort();
    dirs
}

fn bench(c: &mut Criterion) {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let mut group = c.benchmark_group("proof");
    group.sample_size(20);
    for dir in fixtures() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(dir.join("spec.json")).unwrap_or_default();
        let spec = match IntegrationSpec::from_json(&text) {
            Ok(s) => s,
            Err(e) => panic!("{name}: {e}"),
        };
        let role = match build(&spec, &ctx) {
            Ok(r) => r,
            Err(e) => panic!("{name}: {e}"),
        };
        let permissions: Vec<&PolicyDocument> = role.inline_policies.values().collect();
        let policies = RolePolicies {
            role_name: "rolegate-bench",
            path: &role.path,
            trust: &role.trust_policy,
            permissions: &permissions,
        };
        let proof = prove(&spec, &ctx, &policies);
        assert!(proof.holds(), "{name}: {:?}", proof.findings);
        assert_eq!(
            symbolic_verdict(&spec, &ctx, &policies),
            Verdict::NoNewAccess,
            "{name}"
        );
        println!("{name}: {} probes per proof", proof.probes);
        group.bench_function(format!("proof/{name}"), |b| {
            b.iter(|| prove(black_box(&spec), black_box(&ctx), black_box(&policies)))
        });
        group.bench_function(format!("probes/{name}"), |b| {
            b.iter(|| prove_by_probes(black_box(&spec), black_box(&ctx), black_box(&policies)))
        });
        group.bench_function(format!("symbolic/{name}"), |b| {
            b.iter(|| symbolic_verdict(black_box(&spec), black_box(&ctx), black_box(&policies)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
