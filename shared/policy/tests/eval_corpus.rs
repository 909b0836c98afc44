//! The evaluator's case corpus: one JSON file per documented behaviour,
//! each naming the IAM User Guide section it encodes.

#![allow(clippy::expect_used)]

use std::path::Path;

use rolegate_policy::eval::{PolicySet, Request, evaluate, explain};
use serde_json::Value;

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
            let set = PolicySet::from_value(&case["policies"])?;
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
