//! The evaluator's case corpus: one JSON file per documented behaviour,
//! each naming the IAM User Guide section it encodes.

#![allow(clippy::expect_used)]

use std::path::Path;

use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, PolicySet, Request, evaluate, explain};
use serde_json::Value;

fn policy(v: &Value, label: &str) -> Result<CompiledPolicy, String> {
    let doc = PolicyDocument::from_value(v).map_err(|e| format!("{label}: {e}"))?;
    Ok(CompiledPolicy::compile(&doc, label))
}

fn policy_set(v: &Value) -> Result<PolicySet, String> {
    let obj = v.as_object().ok_or("policies must be an object")?;
    let mut set = PolicySet::default();
    for (k, v) in obj {
        match k.as_str() {
            "identity" => {
                for (i, p) in v
                    .as_array()
                    .ok_or("identity must be a list")?
                    .iter()
                    .enumerate()
                {
                    set.identity.push(policy(p, &format!("identity[{i}]"))?);
                }
            }
            "boundary" => set.boundary = Some(policy(v, "boundary")?),
            "session" => set.session = Some(policy(v, "session")?),
            "resource" => set.resource = Some(policy(v, "resource")?),
            "scps" => {
                for (i, p) in v
                    .as_array()
                    .ok_or("scps must be a list")?
                    .iter()
                    .enumerate()
                {
                    set.scps.push(policy(p, &format!("scp[{i}]"))?);
                }
            }
            "rcps" => {
                for (i, p) in v
                    .as_array()
                    .ok_or("rcps must be a list")?
                    .iter()
                    .enumerate()
                {
                    set.rcps.push(policy(p, &format!("rcp[{i}]"))?);
                }
            }
            other => return Err(format!("unknown policy layer {other:?}")),
        }
    }
    Ok(set)
}

#[test]
fn every_case_in_the_corpus_gets_its_documented_decision() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval_cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("eval_cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 200,
        "the corpus holds {} cases, fewer than 200",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).expect("readable"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            case["doc"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}: every case names the documentation section it encodes"
        );
        let outcome = (|| -> Result<(), String> {
            let req = Request::from_value(&case["request"])?;
            let set = policy_set(&case["policies"])?;
            let got = evaluate(&set, &req);
            let want = case["expect"].as_str().ok_or("expect must be a string")?;
            if got.decision.as_str() != want {
                return Err(format!(
                    "want {want}, got {}\n{}",
                    got.decision.as_str(),
                    explain(&set, &req)
                ));
            }
            if let Some(layer) = case["decided_by"].as_str()
                && got.decided_by.as_str() != layer
            {
                return Err(format!(
                    "want decided_by {layer}, got {}",
                    got.decided_by.as_str()
                ));
            }
            Ok(())
        })();
        if let Err(e) = outcome {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
