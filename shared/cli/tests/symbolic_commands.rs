//! `rolegate compare`, `check-not-granted` and `check-no-public` as a
//! reviewer runs them: exit codes, output, and counterexamples that
//! `rolegate simulate` confirms.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rolegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolegate"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("rolegate runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A file of this test's own under the temporary directory.
fn file(name: &str, v: &Value) -> String {
    let dir = std::env::temp_dir().join(format!("rolegate-symbolic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, v.to_string()).expect("write");
    path.to_string_lossy().into_owned()
}

fn policy(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn baseline() -> Value {
    policy(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mine/*"}]),
    )
}

fn tampered() -> Value {
    policy(json!([
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mine/*"},
        {"Effect": "Allow", "Action": "s3:Get*Tagging", "Resource": "arn:aws:s3:::other-*"}
    ]))
}

#[test]
fn compare_finds_the_tamper_and_simulate_confirms_its_counterexample() {
    let (base, cand) = (
        file("base.json", &baseline()),
        file("cand.json", &tampered()),
    );
    let out = rolegate(&["compare", &base, &cand]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.starts_with("new access:"), "{text}");
    assert!(text.contains("arn:aws:s3:::other-"), "{text}");

    let out = rolegate(&["compare", "--json", &base, &cand]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["verdict"], "new_access");
    let request = v["counterexample"]["request"].clone();
    // The counterexample as a simulate case: allowed under NEW, denied under BASELINE.
    for (policy, code) in [(tampered(), 0), (baseline(), 1)] {
        let case = file(
            &format!("case-{code}.json"),
            &json!({"request": request, "policies": {"identity": [policy]}}),
        );
        let sim = rolegate(&["simulate", &case]);
        assert_eq!(sim.status.code(), Some(code), "{}", stdout(&sim));
    }
}

#[test]
fn compare_of_a_policy_with_itself_or_narrower_is_no_new_access() {
    let (base, cand) = (
        file("self-a.json", &tampered()),
        file("self-b.json", &baseline()),
    );
    let out = rolegate(&["compare", &base, &base]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).trim(), "no new access");
    let out = rolegate(&["compare", &base, &cand]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn compare_applies_a_boundary_to_both_sides() {
    let wide = file(
        "wide.json",
        &policy(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])),
    );
    let narrow = file("narrow.json", &baseline());
    let boundary = file("boundary.json", &baseline());
    assert_eq!(
        rolegate(&["compare", &narrow, &wide]).status.code(),
        Some(1)
    );
    let out = rolegate(&["compare", &narrow, &wide, "--boundary", &boundary]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn outside_the_fragment_is_exit_3_naming_the_construct() {
    let odd = file(
        "odd.json",
        &policy(
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringMatches": {"s3:prefix": "a"}}}]),
        ),
    );
    let base = file("base3.json", &baseline());
    let out = rolegate(&["compare", &base, &odd]);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(
        text.contains("StringMatches") && text.contains("SYMBOLIC_UNSUPPORTED"),
        "{text}"
    );
}

#[test]
fn bad_input_is_exit_2() {
    let base = file("base2.json", &baseline());
    let broken = file("broken.json", &json!({"Statement": [{"Effect": "Maybe"}]}));
    assert_eq!(
        rolegate(&["compare", &base, &broken]).status.code(),
        Some(2)
    );
    assert_eq!(rolegate(&["compare", &base]).status.code(), Some(2));
    assert_eq!(
        rolegate(&["compare", &base, "/nonexistent/rolegate.json"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rolegate(&["check-not-granted", &base]).status.code(),
        Some(2)
    );
}

#[test]
fn check_not_granted_passes_an_absent_action_and_fails_a_granted_one() {
    let p = file("granted.json", &tampered());
    let out = rolegate(&["check-not-granted", &p, "--action", "s3:PutObject"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out).trim(), "not granted");
    let out = rolegate(&[
        "check-not-granted",
        &p,
        "--action",
        "s3:GetObjectTagging",
        "--resource",
        "arn:aws:s3:::other-*",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("s3:GetObjectTagging"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_no_public_tells_an_open_trust_policy_from_a_vendor_one() {
    let open = file(
        "open-trust.json",
        &policy(
            json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]),
        ),
    );
    let out = rolegate(&["check-no-public", &open]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("public access:"));
    let vendor = "tests/fixtures/policies/trust-foreign-account-no-external-id.json";
    let out = rolegate(&["check-no-public", vendor]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = rolegate(&["check-no-public", "--json", vendor]);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["verdict"], "no_new_access");
    assert_eq!(v["answer"], "no public access");
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SYMBOLIC: [&str; 3] = ["compare", "check-not-granted", "check-no-public"];

#[test]
fn the_three_commands_are_listed_in_help_and_each_has_its_own() {
    let out = rolegate(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for name in SYMBOLIC {
        assert!(text.contains(name), "{name} missing from --help: {text}");
    }
    assert!(text.contains("3 unknown"), "exit codes in --help: {text}");
    for (name, flag) in [
        ("compare", "--boundary"),
        ("check-not-granted", "--action"),
        ("check-no-public", "--json"),
    ] {
        let out = rolegate(&["help", name]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert!(stdout(&out).contains(flag), "{name}: {}", stdout(&out));
        assert_eq!(rolegate(&[name, "-h"]).status.code(), Some(0), "{name} -h");
    }
}

#[test]
fn the_three_commands_complete_in_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let out = rolegate(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = stdout(&out);
        for name in SYMBOLIC {
            assert!(text.contains(name), "{shell}: {name} not completed");
        }
    }
}

#[test]
fn a_mistyped_symbolic_command_or_flag_gets_a_suggestion_and_exit_2() {
    let out = rolegate(&["compar", "a.json", "b.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("compare"), "{}", stderr(&out));
    let out = rolegate(&["check-not-granted", "p.json", "--acton", "s3:GetObject"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--action"), "{}", stderr(&out));
}
