//! `rolegate lint --format sarif` as code scanning runs it: a SARIF 2.1.0
//! log valid by the official schema (vendored in `tests/schemas/`), with
//! repository-relative URIs, and a malformed policy reported as a result.

#![allow(clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

/// The errors the SARIF 2.1.0 schema finds in `log`.
fn schema_errors(log: &Value) -> Vec<String> {
    let path = repo().join("shared/cli/tests/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(path).expect("schema readable");
    // The `language` pattern's stray `]` is a literal in ECMA-262, the
    // schema's dialect, and an error to Rust's regex engines: escape it.
    let text = text.replace(
        r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"#,
        r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$"#,
    );
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator.iter_errors(log).map(|e| e.to_string()).collect()
}

fn log(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out)).expect("lint --format sarif prints JSON")
}

#[test]
fn lint_findings_as_sarif_are_valid_by_the_schema_and_located_in_the_file() {
    let out = rolegate(&[
        "lint",
        "--format",
        "sarif",
        "tests/fixtures/policies/administrator-access.json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = log(&out);
    let errors = schema_errors(&log);
    assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "rolegate");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty(), "{log:#}");
    for r in results {
        let artifact = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(
            artifact["uri"], "tests/fixtures/policies/administrator-access.json",
            "{r}"
        );
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
        assert!(
            r["ruleId"].is_string() && r["partialFingerprints"].is_object(),
            "{r}"
        );
    }
    assert!(
        results.iter().any(
            |r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() > Some(1)
        ),
        "no finding located past line 1: {log:#}"
    );
}

#[test]
fn a_malformed_policy_is_a_sarif_result_not_a_crash() {
    let out = rolegate_with_stdin(
        &["lint", "--format", "sarif", "-"],
        b"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n}\n",
    );
    // Bad input keeps its exit code; the log still says why.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let log = log(&out);
    let errors = schema_errors(&log);
    assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "POLICY_NOT_JSON", "{log:#}");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
}
