//! The IAM User Guide's general rules, checked on random requests: each
//! property is one documented sentence, and the corpus in `eval_cases/`
//! holds one example of it.

#![allow(clippy::expect_used)]

use proptest::prelude::*;
use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, Decision, PolicySet, Request, evaluate, explain};
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";

fn compile(policy: Value, label: &str) -> CompiledPolicy {
    let doc = PolicyDocument::from_value(&policy).expect("a valid policy");
    CompiledPolicy::compile(&doc, label)
}

/// An identity policy allowing `action` on `resource` for alice.
fn alice_allowed(action: &str, resource_pattern: &str, resource: &str) -> Decision {
    let set = PolicySet {
        identity: vec![compile(
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": action, "Resource": resource_pattern}
            ]}),
            "identity",
        )],
        ..PolicySet::default()
    };
    let req = Request::new(
        &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        action,
        resource,
    );
    evaluate(&set, &req).decision
}

// ---------------------------------------------------------------- ARN segments

/// An ARN whose first five segments hold no colon and whose resource segment
/// holds none either, so that every colon is a delimiter.
fn arn() -> impl Strategy<Value = Vec<String>> {
    (
        prop_oneof![Just("aws"), Just("aws-cn"), Just("aws-us-gov")],
        "[a-z][a-z0-9]{1,7}",
        prop_oneof![Just(""), Just("us-east-1"), Just("eu-west-2")],
        prop_oneof![Just(String::new()), "[0-9]{12}"],
        "[a-zA-Z0-9/_.-]{1,16}",
    )
        .prop_map(|(partition, service, region, account, resource)| {
            vec![
                "arn".to_owned(),
                partition.to_owned(),
                service,
                region.to_owned(),
                account,
                resource,
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// "You can use wildcard characters (* and ?) within any ARN segment":
    /// a `*` in place of any segment, or a `?` per character, matches.
    #[test]
    fn a_wildcard_within_one_segment_matches(parts in arn(), which in 1usize..6, star in any::<bool>()) {
        let resource = parts.join(":");
        let mut pattern = parts.clone();
        pattern[which] = if star { "*".to_owned() } else { "?".repeat(pattern[which].chars().count()) };
        prop_assert_eq!(alice_allowed("sqs:SendMessage", &pattern.join(":"), &resource), Decision::Allowed);
    }

    /// A `?` never matches one of the five delimiter colons.
    #[test]
    fn a_question_mark_never_matches_a_delimiter(parts in arn(), colon in 0usize..5) {
        let resource = parts.join(":");
        let pattern = format!("{}?{}", parts[..=colon].join(":"), parts[colon + 1..].join(":"));
        prop_assert_ne!(alice_allowed("sqs:SendMessage", &pattern, &resource), Decision::Allowed);
    }

    /// A `*` followed by more of the pattern never spans a delimiter: a star
    /// standing for two adjacent segments matches nothing.
    #[test]
    fn a_star_inside_the_pattern_never_spans_two_segments(parts in arn(), first in 1usize..4) {
        let resource = parts.join(":");
        let mut pattern: Vec<String> = parts[..first].to_vec();
        pattern.push("*".to_owned());
        pattern.extend(parts[first + 2..].iter().cloned());
        prop_assert_ne!(alice_allowed("sqs:SendMessage", &pattern.join(":"), &resource), Decision::Allowed);
    }

    /// "If the * wildcard is the last character of a resource ARN segment,
    /// it can expand to match beyond the colon boundaries": a pattern cut
    /// after any segment and ending in `*` matches the rest.
    #[test]
    fn a_trailing_star_expands_beyond_the_delimiters(parts in arn(), keep in 1usize..6) {
        let resource = parts.join(":");
        let pattern = format!("{}:*", parts[..keep].join(":"));
        prop_assert_eq!(alice_allowed("sqs:SendMessage", &pattern, &resource), Decision::Allowed);
    }
}

// ------------------------------------------------------- unresolvable variables

/// Every condition operator IAM documents, each with a value of its type.
const OPERATORS: [(&str, &str, &str); 24] = [
    ("StringEquals", "aws:RequestedRegion", "us-east-1"),
    ("StringNotEquals", "aws:RequestedRegion", "us-east-1"),
    ("StringEqualsIgnoreCase", "aws:RequestedRegion", "us-east-1"),
    (
        "StringNotEqualsIgnoreCase",
        "aws:RequestedRegion",
        "us-east-1",
    ),
    ("StringLike", "aws:RequestedRegion", "us-east-1"),
    ("StringNotLike", "aws:RequestedRegion", "us-east-1"),
    ("NumericEquals", "s3:max-keys", "10"),
    ("NumericNotEquals", "s3:max-keys", "10"),
    ("NumericLessThan", "s3:max-keys", "10"),
    ("NumericGreaterThanEquals", "s3:max-keys", "10"),
    ("DateEquals", "aws:CurrentTime", "2026-11-23T00:00:00Z"),
    ("DateNotEquals", "aws:CurrentTime", "2026-11-23T00:00:00Z"),
    ("DateLessThan", "aws:CurrentTime", "2026-11-23T00:00:00Z"),
    ("DateGreaterThan", "aws:CurrentTime", "2026-11-23T00:00:00Z"),
    ("IpAddress", "aws:SourceIp", "203.0.113.9"),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.9"),
    (
        "ArnEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:t",
    ),
    (
        "ArnNotEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:t",
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:t",
    ),
    (
        "ArnNotLike",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:111122223333:t",
    ),
    ("BinaryEquals", "aws:RequestedRegion", "dXMtZWFzdC0x"),
    (
        "StringNotEqualsIfExists",
        "aws:RequestedRegion",
        "us-east-1",
    ),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", "env"),
    ("ForAnyValue:StringNotLike", "aws:TagKeys", "env"),
];

/// A value mixing the operator's own value with a variable no request sets.
fn unresolvable(value: &str, prefix: bool) -> String {
    if prefix {
        format!("${{aws:PrincipalTag/absent}}{value}")
    } else {
        "${aws:PrincipalTag/absent}".to_owned()
    }
}

fn with_condition(effect: &str, operator: &str, key: &str, value: &str) -> PolicySet {
    let mut statements = vec![json!({
        "Effect": effect, "Action": "s3:GetObject", "Resource": "*",
        "Condition": {operator: {key: value}}
    })];
    if effect == "Deny" {
        statements.push(json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}));
    }
    PolicySet {
        identity: vec![compile(
            json!({"Version": "2012-10-17", "Statement": statements}),
            "identity",
        )],
        ..PolicySet::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// "Any attempt to match it fails and causes the statement to be
    /// invalid": under every operator, negated ones included, a statement
    /// whose condition value holds an unresolvable variable never applies,
    /// whether or not the request sets the key (an `...IfExists` with the key
    /// absent compares nothing and is left out).
    #[test]
    fn an_unresolvable_variable_never_lets_a_statement_apply(
        which in 0usize..OPERATORS.len(),
        prefix in any::<bool>(),
        key_present in any::<bool>(),
        request_value in prop_oneof![Just(None), "[a-z0-9:.-]{0,12}".prop_map(Some)],
    ) {
        let (operator, key, value) = OPERATORS[which];
        prop_assume!(key_present || !operator.ends_with("IfExists"));
        let policy_value = unresolvable(value, prefix);
        let mut req = Request::new(&format!("arn:aws:iam::{ACCOUNT}:user/alice"), "s3:GetObject", "arn:aws:s3:::b/k");
        if key_present {
            let v = request_value.unwrap_or_else(|| value.to_owned());
            let v = if key == "aws:TagKeys" {
                rolegate_policy::eval::ContextValue::Multi(vec![v])
            } else {
                rolegate_policy::eval::ContextValue::Single(v)
            };
            req = req.with_context(key, v);
        }
        let allow = evaluate(&with_condition("Allow", operator, key, &policy_value), &req).decision;
        prop_assert_eq!(allow, Decision::ImplicitlyDenied, "{} {}", operator, policy_value);
        let deny = evaluate(&with_condition("Deny", operator, key, &policy_value), &req).decision;
        prop_assert_eq!(deny, Decision::Allowed, "{} {}", operator, policy_value);
    }
}

#[test]
fn the_explanation_names_the_unresolvable_variable() {
    let set = with_condition(
        "Allow",
        "StringNotEquals",
        "aws:RequestedRegion",
        "${aws:PrincipalTag/region}",
    );
    let req = Request::new(
        &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    )
    .with_context(
        "aws:RequestedRegion",
        rolegate_policy::eval::ContextValue::Single("us-east-1".into()),
    );
    let text = explain(&set, &req).to_string();
    assert!(
        text.contains("${aws:PrincipalTag/region}") && text.contains("no default"),
        "{text}"
    );
}
