//! Lint rules that are general, held on random policies drawn from a small
//! vocabulary (so that NotAction, Deny and wildcards actually interact):
//! a boundary is never reported for granting, a NotAction exclusion and an
//! outright Deny are honoured by every grant rule, and nothing panics.

use proptest::prelude::*;
use rolegate_policy::PolicyDocument;
use rolegate_policy::lint::{self, Finding, LintOptions, PolicyKind};
use serde_json::{Value, json};

/// The rules about what a policy grants; none applies to a cap.
const GRANT_RULES: &[&str] = &[
    "WILDCARD_ACTION",
    "ACTION_PATTERN",
    "WILDCARD_RESOURCE",
    "PRIVILEGE_ESCALATION",
    "PASSROLE_WILDCARD",
    "ASSUME_ANY_ROLE",
    "ASSUME_ROLE_BY_TAG",
    "ALLOW_WITH_NOT_ACTION",
    "ALLOW_WITH_NOT_RESOURCE",
];

/// Rules that say an action is granted; an exclusion or a Deny of the
/// action must silence them.
const IAM_GRANT_RULES: &[&str] = &["PRIVILEGE_ESCALATION", "PASSROLE_WILDCARD"];

fn action() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "*",
        "s3:*",
        "s3:GetObject",
        "s3:ListBucket",
        "iam:*",
        "iam:PassRole",
        "iam:Pass*",
        "iam:PutRolePolicy",
        "sts:AssumeRole",
        "sts:*",
        "ec2:Start*",
    ])
}

fn resource() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "*",
        "arn:aws:s3:::b",
        "arn:aws:s3:::b/*",
        "arn:aws:iam::111122223333:role/*",
        "arn:aws:iam::111122223333:role/x",
    ])
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop::sample::select(vec![
        None,
        Some(json!({"StringEquals": {"iam:ResourceTag/Project": "a"}})),
        Some(json!({"Bool": {"aws:SecureTransport": "true"}})),
        Some(json!({"StringLike": {"s3:prefix": "home/*"}})),
    ])
}

fn statement() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action(), 1..4),
        any::<bool>(),
        prop::collection::vec(resource(), 1..3),
        condition(),
    )
        .prop_map(
            |(allow, not_action, actions, not_resource, resources, condition)| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                s.insert(
                    (if not_action { "NotAction" } else { "Action" }).into(),
                    json!(actions),
                );
                s.insert(
                    (if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    })
                    .into(),
                    json!(resources),
                );
                if let Some(c) = condition {
                    s.insert("Condition".into(), c);
                }
                Value::Object(s)
            },
        )
}

fn document() -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(), 1..5)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}))
}

fn lint_as(doc: &Value, kind: PolicyKind) -> Vec<Finding> {
    match PolicyDocument::from_value(doc) {
        Ok(d) => lint::lint_policy(&d, kind, &LintOptions::default()),
        Err(e) => panic!("generated document does not parse: {e}"),
    }
}

/// Statement index of a finding's path, `Statement[3].Action` → 3.
fn statement_of(f: &Finding) -> Option<usize> {
    f.path
        .strip_prefix("Statement[")?
        .split(']')
        .next()?
        .parse()
        .ok()
}

proptest! {
    #[test]
    fn a_boundary_is_never_reported_for_granting(doc in document()) {
        for f in lint_as(&doc, PolicyKind::Boundary) {
            prop_assert!(!GRANT_RULES.contains(&f.code), "{f}");
        }
    }

    #[test]
    fn a_not_action_excluding_iam_is_never_reported_for_iam_grants(doc in document()) {
        for f in lint_as(&doc, PolicyKind::Identity) {
            if !IAM_GRANT_RULES.contains(&f.code) {
                continue;
            }
            let Some(i) = statement_of(&f) else { continue };
            let s = &doc["Statement"][i];
            let excluded = s["NotAction"]
                .as_array()
                .is_some_and(|l| l.iter().any(|a| a == "iam:*" || a == "*"));
            prop_assert!(!excluded, "{f} for {s}");
        }
    }

    #[test]
    fn an_outright_deny_of_everything_silences_every_grant_of_an_action(doc in document()) {
        let mut denied = doc.clone();
        if let Some(list) = denied["Statement"].as_array_mut() {
            list.push(json!({"Effect": "Deny", "Action": "*", "Resource": "*"}));
        }
        for f in lint_as(&denied, PolicyKind::Identity) {
            prop_assert!(
                !["PRIVILEGE_ESCALATION", "PASSROLE_WILDCARD", "ASSUME_ANY_ROLE", "ASSUME_ROLE_BY_TAG"]
                    .contains(&f.code),
                "{f}"
            );
        }
    }

    #[test]
    fn every_finding_has_a_code_a_fix_and_a_json_path(doc in document()) {
        for kind in [
            PolicyKind::Identity,
            PolicyKind::Managed,
            PolicyKind::Boundary,
            PolicyKind::Trust,
            PolicyKind::Resource,
        ] {
            for f in lint_as(&doc, kind) {
                prop_assert!(!f.code.is_empty() && !f.fix.is_empty() && !f.message.is_empty());
                prop_assert!(
                    f.path.is_empty() || f.path.starts_with("Statement") || f.path == "Version",
                    "{f}"
                );
            }
        }
    }
}
