//! The conventions a CLI user expects (issue 20): help, version, typo
//! suggestions, completions, exit codes, a closed pipe; and the inputs
//! `render` and `lint` take: YAML, templates, and bad input named.

#![allow(clippy::expect_used)]

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::*;

const SPEC: &str = "tests/fixtures/atmosphere-s3/spec.json";

#[test]
fn subcommand_help_and_short_help_exit_0_describing_the_options() {
    for flag in ["--help", "-h"] {
        let out = rolegate(&["render", flag]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("--boundary") && text.contains("--param"),
            "{text}"
        );
        assert!(text.contains("111122223333"), "defaults shown: {text}");
    }
    let out = rolegate(&["help", "simulate"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("--batch"));
}

#[test]
fn version_prints_the_workspace_version() {
    let out = rolegate(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        format!("rolegate {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_mistyped_flag_or_command_gets_a_suggestion_and_exit_2() {
    let out = rolegate(&["render", "--bondary", "x", SPEC]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--boundary"), "{}", stderr(&out));
    let out = rolegate(&["rendr", SPEC]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("render"), "{}", stderr(&out));
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let out = rolegate(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = stdout(&out);
        assert!(
            text.contains("rolegate") && text.contains("simulate"),
            "{shell}: {text}"
        );
    }
    assert_eq!(rolegate(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn exit_codes_are_0_clean_1_findings_2_bad_input() {
    assert_eq!(rolegate(&["render", SPEC]).status.code(), Some(0));
    let wide = rolegate(&["lint", "tests/fixtures/policies/administrator-access.json"]);
    assert_eq!(wide.status.code(), Some(1));
    assert_eq!(
        rolegate(&["render", "no/such/file.json"]).status.code(),
        Some(2)
    );
    assert_eq!(rolegate(&[]).status.code(), Some(2));
}

#[test]
fn a_reader_closing_the_pipe_early_ends_render_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolegate"))
        .args(["render", SPEC])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rolegate starts");
    // Like `| head -c1`: read one byte, then close the pipe.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    let _ = stdout.read(&mut first);
    drop(stdout);
    let out = child.wait_with_output().expect("rolegate ends");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn render_reads_a_spec_in_yaml_as_it_reads_json() {
    let dir = temp_dir("yaml-spec");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(SPEC)).expect("spec"))
            .expect("JSON");
    let yaml = dir.join("spec.yaml");
    // JSON is YAML; written in block style it reads the same.
    std::fs::write(&yaml, to_yaml(&json, 0)).expect("write");
    let from_json = rolegate(&["render", "--json", SPEC]);
    let from_yaml = rolegate(&["render", "--json", yaml.to_str().expect("utf-8")]);
    assert_eq!(from_yaml.status.code(), Some(0), "{}", stderr(&from_yaml));
    let role = |o: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_str(&stdout(o)).expect("JSON");
        v["roles"][0]["role"].clone()
    };
    assert_eq!(role(&from_yaml), role(&from_json));
}

/// Block-style YAML of a JSON value, strings quoted.
fn to_yaml(v: &serde_json::Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match v {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                    format!("{pad}{k}:\n{}", to_yaml(v, indent + 2))
                }
                other => format!("{pad}{k}: {other}\n"),
            })
            .collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| match v {
                serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                    format!("{pad}-\n{}", to_yaml(v, indent + 2))
                }
                other => format!("{pad}- {other}\n"),
            })
            .collect(),
        other => format!("{pad}{other}\n"),
    }
}

#[test]
fn render_of_a_template_renders_each_integration_role_by_logical_id() {
    let out = rolegate(&[
        "render",
        "--json",
        "examples/stacks/aspera.yaml",
        "--param",
        "Side=s3-account",
        "--param",
        "S3AccountId=111122223333",
        "--param",
        "ClusterManagerAccountId=444455556666",
        "--param",
        "AsperaExternalId=aspera-external-1234",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let roles = v["roles"].as_array().expect("roles");
    assert_eq!(roles.len(), 1, "{v}");
    assert_eq!(roles[0]["logicalId"], "AccessKeysRole");
    assert_eq!(roles[0]["role"]["RoleName"], "atc-s3-access-keys");
    let trust = roles[0]["role"]["AssumeRolePolicyDocument"].to_string();
    assert!(
        trust.contains("arn:aws:iam::444455556666:role/integrations/atc-node"),
        "{trust}"
    );
    assert!(
        stderr(&out).contains("AtcNodeRole is left out"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_example_stack_renders_with_its_parameters_or_names_the_missing_one() {
    for entry in std::fs::read_dir(repo().join("examples/stacks")).expect("stacks") {
        let path = entry.expect("entry").path();
        let out = rolegate(&["render", path.to_str().expect("utf-8")]);
        let code = out.status.code();
        assert!(
            code == Some(0) || (code == Some(2) && stderr(&out).contains("pass --param")),
            "{}: {code:?} {}",
            path.display(),
            stderr(&out)
        );
    }
}

#[test]
fn lint_of_a_template_lints_each_role_it_would_create() {
    let out = rolegate(&["lint", "--json", "examples/stacks/atmosphere.yaml"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["kind"], "role");
    assert!(v["summary"]["errors"].is_number(), "{v}");
}

#[test]
fn an_unresolved_ref_names_the_parameter_and_the_property_path_exit_2() {
    // apperate.yaml's vendor parameters default to "" (a pending trust);
    // aspera.yaml's ExternalId has no default.
    let out = rolegate(&[
        "render",
        "examples/stacks/aspera.yaml",
        "--param",
        "Side=s3-account",
        "--param",
        "S3AccountId=111122223333",
        "--param",
        "ClusterManagerAccountId=444455556666",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("Resources.AccessKeysRole.Properties.ExternalId: !Ref AsperaExternalId has no value: pass --param AsperaExternalId=VALUE"),
        "{err}"
    );
}

#[test]
fn a_yaml_file_neither_template_nor_spec_is_refused_exit_2() {
    let dir = temp_dir("not-a-spec");
    let file = dir.join("compose.yaml");
    std::fs::write(&file, "services:\n  web:\n    image: nginx\n").expect("write");
    let out = rolegate(&["render", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("neither a CloudFormation template"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("NOT_TEMPLATE_OR_SPEC"));
}

#[test]
fn a_template_without_integration_roles_is_refused_exit_2() {
    let dir = temp_dir("no-roles");
    let file = dir.join("bucket.yaml");
    std::fs::write(&file, "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n").expect("write");
    let out = rolegate(&["render", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no Custom::IntegrationRole") && err.contains("Data (AWS::S3::Bucket)"),
        "{err}"
    );
}

#[test]
fn render_reports_five_typos_in_one_run_each_with_its_path() {
    let dir = temp_dir("five-typos");
    let file = dir.join("spec.yaml");
    std::fs::write(
        &file,
        "RoleNme: x\nDescripton: y\nTrust:\n  Principals: ['999988887777']\n  Extra: 1\nExternalId: abcdefgh-1234\nMaxSessionDuration: 99999999\nGrants:\n  - {Service: s3, Access: read, Bucket: ok-bucket, Buckt: x}\n",
    )
    .expect("write");
    let out = rolegate(&["render", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for path in [
        "RoleNme",
        "Descripton",
        "Trust.Extra",
        "MaxSessionDuration",
        "Grants[0].Buckt",
    ] {
        assert!(
            err.contains(&format!(": {path}: ")),
            "{path} missing: {err}"
        );
    }
    assert_eq!(
        err.lines().filter(|l| l.starts_with("rolegate: ")).count(),
        5,
        "{err}"
    );
}
