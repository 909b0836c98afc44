//! `rolegate simulate` checks its input: an unknown action, a malformed ARN
//! or an unknown condition key is a warning printed with the decision, and
//! an error (exit 2) with `--strict`.

#![allow(clippy::expect_used)]

mod common;

use common::*;

const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/atmosphere-s3/studio";
const OBJECT: &str = "arn:aws:s3:::atmospheresamplebucket/runs/1.json";

fn simulate(
    action: &str,
    resource: &str,
    context: &[&str],
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "simulate",
        "--identity",
        "examples/simulate/atmosphere-s3-policy.json",
        "--principal",
        SESSION,
        "--action",
        action,
        "--resource",
        resource,
    ];
    for c in context {
        args.extend_from_slice(&["--context", c]);
    }
    args.extend_from_slice(extra);
    rolegate(&args)
}

#[test]
fn an_unknown_action_is_a_warning_printed_with_the_decision() {
    let out = simulate("s3:GetObjct", OBJECT, &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("ImplicitlyDenied: s3:GetObjct"), "{text}");
    assert!(
        text.contains(
            "warning UNKNOWN_ACTION at --action: s3 has no action GetObjct (did you mean s3:GetObject?)"
        ),
        "{text}"
    );
}

#[test]
fn an_unknown_service_is_a_warning() {
    let out = simulate("s4:GetObject", OBJECT, &[], &[]);
    let text = stdout(&out);
    assert!(
        text.contains("warning UNKNOWN_SERVICE at --action: no AWS service has the prefix s4"),
        "{text}"
    );
}

#[test]
fn a_malformed_arn_is_a_warning() {
    let out = simulate("s3:GetObject", "arn:aws:s3::bucket/key", &[], &[]);
    let text = stdout(&out);
    assert!(
        text.contains(
            "warning INVALID_ARN at --resource: \"arn:aws:s3::bucket/key\" is not an ARN"
        ),
        "{text}"
    );
}

#[test]
fn an_unknown_condition_key_is_a_warning_with_the_nearest_name() {
    let out = simulate("s3:PutObject", OBJECT, &["aws:SecureTransprot=true"], &[]);
    let text = stdout(&out);
    assert!(
        text.contains("warning UNKNOWN_CONDITION_KEY at --context aws:SecureTransprot:")
            && text.contains("(did you mean aws:SecureTransport?)"),
        "{text}"
    );
}

#[test]
fn global_service_and_tag_keys_are_known() {
    let out = simulate(
        "s3:ListBucket",
        "arn:aws:s3:::atmospheresamplebucket",
        &[
            "aws:SecureTransport=true",
            "s3:prefix=runs/",
            "aws:PrincipalTag/team=studio",
            "sts:ExternalId=x",
            "aws:SourceArn=arn:aws:sns:us-east-1:111122223333:topic",
        ],
        &["--strict"],
    );
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stdout(&out).contains("warning"), "{}", stdout(&out));
}

#[test]
fn an_arn_typed_context_key_must_hold_an_arn() {
    let out = rolegate(&[
        "simulate",
        "shared/policy/tests/eval_cases/cond-arn-like-not-an-arn.json",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains(
            "warning INVALID_ARN at request.context.aws:SourceArn: \"topic\" is not an ARN"
        ),
        "{text}"
    );
}

#[test]
fn strict_makes_each_warning_an_error_and_exits_2() {
    let out = simulate(
        "s3:GetObjct",
        OBJECT,
        &["aws:SecureTransprot=true"],
        &["--strict"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--action: s3 has no action GetObjct")
            && err.contains("[UNKNOWN_ACTION] (--strict)")
            && err.contains("--context aws:SecureTransprot: ")
            && err.contains("[UNKNOWN_CONDITION_KEY] (--strict)"),
        "{err}"
    );
}

#[test]
fn json_output_lists_the_warnings() {
    let out = simulate("s3:GetObjct", OBJECT, &[], &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["decision"], "ImplicitlyDenied");
    assert_eq!(v["warnings"][0]["code"], "UNKNOWN_ACTION");
    assert_eq!(v["warnings"][0]["field"], "--action");
}

#[test]
fn batch_lines_carry_their_warnings_and_strict_makes_them_errors() {
    let mut case: serde_json::Value =
        serde_json::from_str(&corpus_line("action-star.json")).expect("JSON");
    case["request"]["action"] = "dynamodb:GetItme".into();
    let file = temp_dir("batch-warnings").join("cases.jsonl");
    std::fs::write(
        &file,
        format!("{}\n{case}\n", corpus_line("action-star.json")),
    )
    .expect("write");
    let file = file.to_string_lossy().into_owned();

    let out = rolegate(&["simulate", "--batch", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = json_lines(&out);
    assert!(rows[0].get("warnings").is_none(), "{}", rows[0]);
    assert_eq!(rows[1]["decision"], "Allowed");
    assert_eq!(
        rows[1]["warnings"][0]["code"], "UNKNOWN_ACTION",
        "{}",
        rows[1]
    );
    assert_eq!(rows[1]["warnings"][0]["field"], "request.action");

    let out = rolegate(&["simulate", "--batch", &file, "--strict"]);
    assert_eq!(out.status.code(), Some(2));
    let rows = json_lines(&out);
    assert_eq!(rows[0]["decision"], "Allowed");
    assert!(rows[1].get("decision").is_none(), "{}", rows[1]);
    assert_eq!(rows[1]["error"]["code"], "UNKNOWN_ACTION", "{}", rows[1]);
    assert_eq!(rows[1]["error"]["field"], "request.action");
    assert!(
        stderr(&out).contains(&format!(
            "{file}:2: request.action: dynamodb has no action GetItme"
        )),
        "{}",
        stderr(&out)
    );
}
