//! `rolegate lint --kind boundary`: a permissions boundary is linted as a
//! cap, and detected when its shape says so.

#![allow(clippy::expect_used)]

use std::process::{Command, Output};

fn rolegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolegate"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("rolegate runs")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn example_boundary_lints_clean_as_a_boundary_and_exits_0() {
    let out = rolegate(&[
        "lint",
        "--json",
        "--kind",
        "boundary",
        "examples/simulate/boundary.json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["kind"], "boundary");
    assert_eq!(v["summary"]["errors"], 0, "{v:#}");
    assert_eq!(v["summary"]["warnings"], 0, "{v:#}");
}

#[test]
fn example_boundary_is_detected_as_a_boundary() {
    let out = rolegate(&["lint", "--json", "examples/simulate/boundary.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["kind"], "boundary");
}

#[test]
fn example_boundary_as_a_managed_grant_has_errors_but_no_pass_role_error() {
    let out = rolegate(&[
        "lint",
        "--json",
        "--kind",
        "managed",
        "examples/simulate/boundary.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let codes = codes(&json(&out));
    assert!(!codes.iter().any(|c| c == "PASSROLE_WILDCARD"), "{codes:?}");
    assert!(codes.iter().any(|c| c == "BOUNDARY_SHAPED"), "{codes:?}");
}

#[test]
fn unknown_kind_names_the_value_and_the_choices() {
    let out = rolegate(&["lint", "--kind", "bogus", "x.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'bogus'") && err.contains("boundary"), "{err}");
}
