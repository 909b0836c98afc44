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

// ------------------------------------------- trust and key policies must allow

const ROLE: &str = "arn:aws:iam::111122223333:role/integrations/vendor";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// A principal a resource policy may name that is neither the caller nor its account.
fn stranger() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"AWS": "444455556666"})),
        Just(json!({"AWS": "arn:aws:iam::444455556666:root"})),
        Just(json!({"AWS": "arn:aws:iam::111122223333:role/other"})),
        Just(json!({"AWS": "arn:aws:iam::111122223333:user/bob"})),
        Just(json!({"Service": "glue.amazonaws.com"})),
        Just(json!({"Federated": "cognito-identity.amazonaws.com"})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// "IAM role trust policies and KMS key policies are exceptions ...
    /// because they must explicitly allow access for principals": when the
    /// trust or key policy names neither the caller nor its account, no
    /// identity policy, however broad, allows the request, even in the
    /// role's or key's own account.
    #[test]
    fn an_identity_policy_alone_never_passes_a_trust_or_key_policy(
        caller in prop_oneof![
            Just("arn:aws:iam::111122223333:user/alice"),
            Just("arn:aws:iam::111122223333:role/app"),
            Just("arn:aws:sts::111122223333:assumed-role/app/s1"),
            Just("arn:aws:iam::111122223333:root"),
        ],
        (action, resource) in prop_oneof![
            Just(("sts:AssumeRole", ROLE)),
            Just(("sts:AssumeRoleWithSAML", ROLE)),
            Just(("sts:AssumeRoleWithWebIdentity", ROLE)),
            Just(("sts:TagSession", ROLE)),
            Just(("kms:Decrypt", KEY)),
            Just(("kms:GenerateDataKey", KEY)),
        ],
        identity_action in prop_oneof![Just("*"), Just("sts:*"), Just("kms:*"), Just("sts:AssumeRole*")],
        named in prop::collection::vec(stranger(), 1..4),
        also_in_account in any::<bool>(),
    ) {
        let mut req = Request::new(caller, action, resource);
        if also_in_account {
            req = req.in_account(ACCOUNT);
        }
        let set = PolicySet {
            identity: vec![compile(
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": identity_action, "Resource": "*"}
                ]}),
                "identity",
            )],
            resource: Some(compile(
                json!({"Version": "2012-10-17", "Statement": named.iter().map(|p| json!({
                    "Effect": "Allow", "Principal": p, "Action": ["sts:*", "kms:*"], "Resource": "*"
                })).collect::<Vec<_>>()}),
                "resource",
            )),
            ..PolicySet::default()
        };
        prop_assert_ne!(evaluate(&set, &req).decision, Decision::Allowed);
    }

    /// A service or federated principal has no account and no identity
    /// policies: a resource-based policy naming it allows it whichever
    /// account the request names, and identity policies never do.
    #[test]
    fn a_caller_without_an_account_is_judged_by_the_resource_policy_alone(
        (kind, name, action) in prop_oneof![
            Just(("service", "glue.amazonaws.com", "sts:AssumeRole")),
            Just(("service", "events.amazonaws.com", "sns:Publish")),
            Just(("federated", "cognito-identity.amazonaws.com", "sts:AssumeRoleWithWebIdentity")),
            Just(("federated", "arn:aws:iam::444455556666:saml-provider/ADFS", "sts:AssumeRoleWithSAML")),
        ],
        resource_account in prop_oneof![Just(None), Just(Some(ACCOUNT)), Just(Some("444455556666"))],
        named in any::<bool>(),
        with_identity in any::<bool>(),
    ) {
        let mut request = json!({"principal": {kind: name}, "action": action, "resource": ROLE});
        if let Some(a) = resource_account {
            request["resource_account"] = json!(a);
        }
        let req = Request::from_value(&request).expect("a request");
        let principal_type = if kind == "service" { "Service" } else { "Federated" };
        let trusted = if named { name } else { "lambda.amazonaws.com" };
        let set = PolicySet {
            identity: if with_identity {
                vec![compile(
                    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                    "identity",
                )]
            } else {
                Vec::new()
            },
            resource: Some(compile(
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {principal_type: trusted}, "Action": action}
                ]}),
                "resource",
            )),
            ..PolicySet::default()
        };
        let want = if named { Decision::Allowed } else { Decision::ImplicitlyDenied };
        prop_assert_eq!(evaluate(&set, &req).decision, want);
    }
}

#[test]
fn the_explanation_says_a_trust_policy_must_allow_and_a_service_has_no_identity_policies() {
    let trust = compile(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/vendor"}, "Action": "sts:AssumeRole"}
        ]}),
        "trust",
    );
    let set = PolicySet {
        identity: vec![compile(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}),
            "identity",
        )],
        resource: Some(trust),
        ..PolicySet::default()
    };
    let alice = Request::new(
        "arn:aws:iam::111122223333:user/alice",
        "sts:AssumeRole",
        ROLE,
    );
    let text = explain(&set, &alice).to_string();
    assert!(
        text.contains("identity-based policies alone never allow"),
        "{text}"
    );
    let glue = Request::from_value(&json!({
        "principal": {"service": "glue.amazonaws.com"}, "action": "sts:AssumeRole", "resource": ROLE
    }))
    .expect("a request");
    let text = explain(&set, &glue).to_string();
    assert!(
        text.contains("the service principal glue.amazonaws.com has no identity-based policies"),
        "{text}"
    );
}

// -------------------------------------------------------- NotPrincipal with Deny

const OBJECT: &str = "arn:aws:s3:::doc-example-bucket/report.csv";

/// Who calls, and the principals AWS may check for it, most general first.
fn caller_and_chain() -> impl Strategy<Value = (&'static str, Vec<&'static str>)> {
    prop_oneof![
        Just((
            "arn:aws:iam::111122223333:user/alice",
            vec![
                "arn:aws:iam::111122223333:root",
                "arn:aws:iam::111122223333:user/alice"
            ],
        )),
        Just((
            "arn:aws:sts::111122223333:assumed-role/app/s1",
            vec![
                "111122223333",
                "arn:aws:iam::111122223333:role/app",
                "arn:aws:sts::111122223333:assumed-role/app/s1",
            ],
        )),
        Just((
            "arn:aws:sts::111122223333:federated-user/carol",
            vec![
                "arn:aws:iam::111122223333:root",
                "arn:aws:sts::111122223333:federated-user/carol",
            ],
        )),
    ]
}

/// A Deny on the bucket for everyone but `not_principal`, beside an
/// identity allow; `boundary` attaches one that allows everything.
fn not_principal_case(caller: &str, not_principal: &[&str], boundary: bool) -> Decision {
    let set = PolicySet {
        identity: vec![compile(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECT}]}),
            "identity",
        )],
        boundary: boundary.then(|| {
            compile(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                "boundary",
            )
        }),
        resource: Some(compile(
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny", "NotPrincipal": {"AWS": not_principal}, "Action": "s3:*",
                "Resource": ["arn:aws:s3:::doc-example-bucket", "arn:aws:s3:::doc-example-bucket/*"]
            }]}),
            "bucket policy",
        )),
        ..PolicySet::default()
    };
    evaluate(&set, &Request::new(caller, "s3:GetObject", OBJECT)).decision
}

const NOISE: [&str; 3] = [
    "arn:aws:iam::111122223333:user/bob",
    "arn:aws:iam::444455556666:root",
    "arn:aws:sts::111122223333:assumed-role/app/s2",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// "The NotPrincipal element with a Deny effect will always deny any IAM
    /// principal that has a permissions boundary policy attached, regardless
    /// of the values specified in the NotPrincipal element."
    #[test]
    fn a_not_principal_deny_always_denies_a_principal_with_a_boundary(
        (caller, chain) in caller_and_chain(),
        keep in prop::collection::vec(any::<bool>(), 3),
        noise in prop::collection::vec(any::<bool>(), 3),
    ) {
        prop_assume!(!caller.contains("federated-user"));
        let mut listed: Vec<&str> = chain.iter().zip(&keep).filter(|(_, k)| **k).map(|(c, _)| *c).collect();
        listed.extend(NOISE.iter().zip(&noise).filter(|(_, k)| **k).map(|(n, _)| *n));
        prop_assume!(!listed.is_empty());
        prop_assert_eq!(not_principal_case(caller, &listed, true), Decision::ExplicitlyDenied);
    }

    /// Without a boundary a caller is spared exactly when NotPrincipal names
    /// every principal of its chain (account, role, session), whatever else
    /// it lists.
    #[test]
    fn a_not_principal_deny_spares_only_a_fully_named_caller(
        (caller, chain) in caller_and_chain(),
        keep in prop::collection::vec(any::<bool>(), 3),
        noise in prop::collection::vec(any::<bool>(), 3),
    ) {
        let mut listed: Vec<&str> = chain.iter().zip(&keep).filter(|(_, k)| **k).map(|(c, _)| *c).collect();
        let complete = listed.len() == chain.len();
        listed.extend(NOISE.iter().zip(&noise).filter(|(_, k)| **k).map(|(n, _)| *n));
        prop_assume!(!listed.is_empty());
        let want = if complete { Decision::Allowed } else { Decision::ExplicitlyDenied };
        prop_assert_eq!(not_principal_case(caller, &listed, false), want, "{:?}", listed);
    }
}
