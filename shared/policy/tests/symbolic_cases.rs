//! The symbolic comparison on hand-written cases: each operator family,
//! each construct it declines, the golden fixtures against themselves, and
//! the bounds of the issue's "Bad input".

#![allow(clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use rolegate_policy::eval::{Decision, PolicySet, evaluate};
use rolegate_policy::symbolic::{
    Limits, Options, Permissions, Unknown, Verdict, check_no_public, check_not_granted, compare,
    compare_with,
};
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};
use serde_json::{Value, json};

fn doc(v: Value) -> PolicyDocument {
    PolicyDocument::from_value(&v).expect("policy")
}

fn policy(statements: Value) -> PolicyDocument {
    doc(json!({"Version": "2012-10-17", "Statement": statements}))
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn verdict(base: &PolicyDocument, cand: &PolicyDocument) -> Verdict {
    let (b, c) = ([base], [cand]);
    compare(
        &Permissions {
            identity: &b,
            boundary: None,
        },
        &Permissions {
            identity: &c,
            boundary: None,
        },
    )
}

/// The counterexample, checked once more here against the evaluator.
fn new_access(
    base: &PolicyDocument,
    cand: &PolicyDocument,
) -> rolegate_policy::symbolic::Counterexample {
    match verdict(base, cand) {
        Verdict::NewAccess(cx) => {
            let req = cx.request();
            let set = |d: &PolicyDocument| PolicySet {
                identity: vec![rolegate_policy::eval::CompiledPolicy::compile(d, "p")],
                ..PolicySet::default()
            };
            assert_eq!(
                evaluate(&set(cand), &req).decision,
                Decision::Allowed,
                "{cx}"
            );
            assert_ne!(
                evaluate(&set(base), &req).decision,
                Decision::Allowed,
                "{cx}"
            );
            *cx
        }
        other => panic!("expected new access, got {other:?}"),
    }
}

fn no_new_access(base: &PolicyDocument, cand: &PolicyDocument) {
    let v = verdict(base, cand);
    assert_eq!(v, Verdict::NoNewAccess, "{v:?}");
}

#[test]
fn the_issues_tagging_widening_is_found_with_a_real_action() {
    let base = policy(json!([allow("s3:GetObject", "arn:aws:s3:::mine/*")]));
    let cand = policy(json!([
        allow("s3:GetObject", "arn:aws:s3:::mine/*"),
        allow("s3:Get*Tagging", "arn:aws:s3:::other-*"),
    ]));
    let cx = new_access(&base, &cand);
    assert!(cx.resource.starts_with("arn:aws:s3:::other-"), "{cx}");
    assert!(
        rolegate_policy::actiondb::ActionDb::global()
            .action(&cx.action)
            .is_some(),
        "a real action: {cx}"
    );
    assert!(cx.action.to_ascii_lowercase().ends_with("tagging"), "{cx}");
}

#[test]
fn narrowing_is_no_new_access() {
    let base = policy(json!([allow("s3:Get*", "arn:aws:s3:::mine*")]));
    let cand = policy(json!([allow("s3:GetObject", "arn:aws:s3:::mine/*")]));
    no_new_access(&base, &cand);
    // Actions compare ignoring case, resources do not.
    let upper = policy(json!([allow("S3:GETOBJECT", "arn:aws:s3:::mine/a")]));
    no_new_access(&base, &upper);
    let other_case = policy(json!([allow("s3:GetObject", "arn:aws:s3:::MINE/a")]));
    new_access(&base, &other_case);
}

#[test]
fn not_action_and_not_resource_are_complements() {
    let base = policy(json!([
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    ]));
    let cand = policy(json!([allow("iam:PassRole", "*")]));
    let cx = new_access(&base, &cand);
    assert!(cx.action.to_ascii_lowercase().starts_with("iam:"));
    let cand2 = policy(
        json!([{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}]),
    );
    let base2 = policy(json!([allow("*", "*")]));
    no_new_access(&base2, &cand2);
    let cx = new_access(&cand2, &base2);
    assert!(
        cx.resource.starts_with("arn:aws:s3:::secret/") || !cx.action.starts_with("s3"),
        "{cx}"
    );
}

#[test]
fn a_deny_in_the_candidate_closes_what_its_allow_opens() {
    let base = policy(json!([allow("s3:GetObject", "*")]));
    let cand = policy(json!([
        allow("s3:*", "*"),
        {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}
    ]));
    no_new_access(&base, &cand);
}

#[test]
fn a_boundary_caps_the_candidate_and_the_baseline() {
    let wide = policy(json!([allow("s3:*", "*")]));
    let narrow = policy(json!([allow("s3:GetObject", "*")]));
    let boundary = policy(json!([allow("s3:GetObject", "*")]));
    let (w, n) = ([&wide], [&narrow]);
    let capped = Permissions {
        identity: &w,
        boundary: Some(&boundary),
    };
    let base = Permissions {
        identity: &n,
        boundary: None,
    };
    assert_eq!(compare(&base, &capped), Verdict::NoNewAccess);
    // The baseline's own boundary makes it deny what the wide role allows.
    let base_capped = Permissions {
        identity: &w,
        boundary: Some(&boundary),
    };
    let uncapped = Permissions {
        identity: &w,
        boundary: None,
    };
    assert!(matches!(
        compare(&base_capped, &uncapped),
        Verdict::NewAccess(_)
    ));
}

#[test]
fn string_conditions_prefix_and_secure_transport() {
    let base = policy(json!([{
        "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
        "Condition": {"StringLike": {"s3:prefix": "exports/*"}, "Bool": {"aws:SecureTransport": "true"}}
    }]));
    let unconditioned = policy(json!([allow("s3:ListBucket", "arn:aws:s3:::b")]));
    let cx = new_access(&base, &unconditioned);
    // The simplest request the baseline refuses: no prefix, no transport key.
    assert!(cx.context.is_empty(), "{cx}");
    no_new_access(&unconditioned, &base);
    let wider_prefix = policy(json!([{
        "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
        "Condition": {"StringLike": {"s3:prefix": "exp*"}, "Bool": {"aws:SecureTransport": "true"}}
    }]));
    let cx = new_access(&base, &wider_prefix);
    let prefix = cx
        .context
        .iter()
        .find(|(k, _)| k == "s3:prefix")
        .map(|(_, v)| v.values().to_vec());
    assert!(prefix.is_some(), "{cx}");
}

#[test]
fn numeric_date_and_address_conditions() {
    let cond = |op: &str, key: &str, v: Value| {
        policy(json!([{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {op: {key: v}}
        }]))
    };
    let small = cond("NumericLessThan", "s3:max-keys", json!(10));
    let larger = cond("NumericLessThanEquals", "s3:max-keys", json!(10));
    let cx = new_access(&small, &larger);
    assert!(cx.context.iter().any(|(_, v)| v.values() == ["10"]), "{cx}");
    no_new_access(&larger, &small);

    let early = cond(
        "DateLessThan",
        "aws:CurrentTime",
        json!("2027-01-01T00:00:00Z"),
    );
    let late = cond(
        "DateLessThan",
        "aws:CurrentTime",
        json!("2027-06-30T00:00:00Z"),
    );
    new_access(&early, &late);
    no_new_access(&late, &early);

    let office = cond("IpAddress", "aws:SourceIp", json!("203.0.113.0/24"));
    let net = cond(
        "IpAddress",
        "aws:SourceIp",
        json!(["203.0.113.0/25", "203.0.113.128/25"]),
    );
    no_new_access(&office, &net);
    no_new_access(&net, &office);
    let wider = cond("IpAddress", "aws:SourceIp", json!("203.0.0.0/16"));
    new_access(&office, &wider);
}

#[test]
fn null_if_exists_and_set_operators() {
    let cond = |c: Value| {
        policy(json!([{
            "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": c
        }]))
    };
    let tagged = cond(json!({"StringEquals": {"aws:RequestTag/team": "blue"}}));
    let if_exists = cond(json!({"StringEqualsIfExists": {"aws:RequestTag/team": "blue"}}));
    let cx = new_access(&tagged, &if_exists);
    assert!(cx.context.is_empty(), "the tag absent: {cx}");
    let keys_all = cond(json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}));
    let keys_all_present = cond(json!({
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
        "Null": {"aws:TagKeys": "false"}
    }));
    let cx = new_access(&keys_all_present, &keys_all);
    assert!(
        cx.context.is_empty(),
        "ForAllValues holds on an absent key: {cx}"
    );
    no_new_access(&keys_all, &keys_all_present);
    let any = cond(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}));
    new_access(&any, &keys_all);
}

#[test]
fn arn_conditions_on_source_arn() {
    let cond = |v: &str| {
        policy(json!([{
            "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
            "Condition": {"ArnLike": {"aws:SourceArn": v}}
        }]))
    };
    let topic = cond("arn:aws:sns:us-east-1:111122223333:alerts");
    let any_topic = cond("arn:aws:sns:*:111122223333:*");
    no_new_access(&any_topic, &topic);
    let cx = new_access(&topic, &any_topic);
    assert!(cx.context.iter().any(|(k, _)| k == "aws:SourceArn"), "{cx}");
}

#[test]
fn outside_the_fragment_is_unknown_naming_the_construct() {
    let base = policy(json!([allow("s3:GetObject", "*")]));
    let principal = policy(json!([{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"
    }]));
    let operator = policy(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringMatches": {"s3:prefix": "a"}}
    }]));
    let mixed = policy(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"s3:max-keys": "1"}, "NumericLessThan": {"s3:max-keys": 5}}
    }]));
    let not_principal = policy(json!([{
        "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject", "Resource": "*"
    }]));
    let non_ascii = policy(json!([allow("s3:GetÖbject", "*")]));
    let ignore_case = policy(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEqualsIgnoreCase": {"aws:RequestTag/team": "Straße"}}
    }]));
    for (cand, words) in [
        (&principal, "Principal in an identity"),
        (&not_principal, "NotPrincipal"),
        (&operator, "StringMatches"),
        (&mixed, "two kinds of value"),
        (&non_ascii, "non-ASCII action"),
        (&ignore_case, "non-ASCII text under StringEqualsIgnoreCase"),
    ] {
        match verdict(&base, cand) {
            Verdict::Unknown(u) => {
                assert_eq!(u.code(), "SYMBOLIC_UNSUPPORTED");
                assert!(u.to_string().contains(words), "{u}");
            }
            other => panic!("expected unknown naming {words}, got {other:?}"),
        }
    }
}

#[test]
fn policy_variables_never_give_a_false_no_new_access() {
    let own = policy(json!([allow(
        "s3:GetObject",
        "arn:aws:s3:::home/${aws:username}/*"
    )]));
    let all = policy(json!([allow("s3:GetObject", "arn:aws:s3:::home/*")]));
    // Narrower than the baseline even with the variable: no new access.
    no_new_access(&all, &own);
    // The same policy against itself: the variable is approximated, so the
    // answer is unknown rather than a guess.
    match verdict(&own, &own) {
        Verdict::NoNewAccess | Verdict::Unknown(Unknown::Unconfirmed { .. }) => {}
        other => panic!("{other:?}"),
    }
    // Wider than the baseline: the approximation's counterexample is kept
    // only if the evaluator confirms it.
    match verdict(&own, &all) {
        Verdict::NewAccess(_) | Verdict::Unknown(_) => {}
        Verdict::NoNewAccess => panic!("a false no new access"),
    }
}

#[test]
fn check_not_granted_finds_a_granted_action_and_passes_an_absent_one() {
    let p = policy(json!([allow("s3:Get*", "arn:aws:s3:::b/*")]));
    let (ps, opts) = ([&p], Options::default());
    let perms = Permissions {
        identity: &ps,
        boundary: None,
    };
    let v = check_not_granted(&perms, &["s3:PutObject".into()], &[], &opts);
    assert_eq!(v, Verdict::NoNewAccess);
    let v = check_not_granted(
        &perms,
        &["s3:GetObject".into()],
        &["arn:aws:s3:::b/secret/*".into()],
        &opts,
    );
    let Verdict::NewAccess(cx) = v else {
        panic!("{v:?}")
    };
    assert!(cx.resource.starts_with("arn:aws:s3:::b/secret/"));
}

#[test]
fn check_no_public_flags_star_without_a_narrowing_condition() {
    let opts = Options::default();
    let open = doc(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "x"}}
    }]}));
    assert!(matches!(
        check_no_public(&open, &opts),
        Verdict::NewAccess(_)
    ));
    let narrowed = doc(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}
    }]}));
    assert_eq!(check_no_public(&narrowed, &opts), Verdict::NoNewAccess);
    let arn = doc(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/reader"}}
    }]}));
    assert!(matches!(
        check_no_public(&arn, &opts),
        Verdict::NewAccess(_)
    ));
    let vendor = doc(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": "sts:AssumeRole"
    }]}));
    assert_eq!(check_no_public(&vendor, &opts), Verdict::NoNewAccess);
    let confused = doc(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*",
        "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}
    }]}));
    assert!(matches!(
        check_no_public(&confused, &opts),
        Verdict::NewAccess(_)
    ));
}

fn fixtures() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("spec.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_golden_fixture_has_no_new_access_over_itself_and_new_access_over_nothing() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let empty = policy(json!([]));
    for dir in fixtures() {
        let text = std::fs::read_to_string(dir.join("spec.json")).expect("spec");
        let spec = IntegrationSpec::from_json(&text).expect("spec parses");
        let role = build(&spec, &ctx).expect("builds");
        let docs: Vec<&PolicyDocument> = role.inline_policies.values().collect();
        let perms = Permissions {
            identity: &docs,
            boundary: None,
        };
        assert_eq!(
            compare(&perms, &perms),
            Verdict::NoNewAccess,
            "{}",
            dir.display()
        );
        let none = [&empty];
        let nothing = Permissions {
            identity: &none,
            boundary: None,
        };
        assert!(
            matches!(compare(&nothing, &perms), Verdict::NewAccess(_)),
            "{}",
            dir.display()
        );
    }
}

fn bounded(cand: &PolicyDocument, base: &PolicyDocument) -> (Verdict, Duration) {
    let (c, b) = ([cand], [base]);
    let start = Instant::now();
    let v = compare_with(
        &Permissions {
            identity: &b,
            boundary: None,
        },
        &Permissions {
            identity: &c,
            boundary: None,
        },
        &Options::default(),
    );
    (v, start.elapsed())
}

#[test]
fn ten_thousand_statements_answer_or_stop_at_the_budget() {
    let statements = |widen: bool| -> Vec<Value> {
        (0..10_000)
            .map(|i| {
                let resource = if widen && i == 9_999 {
                    "arn:aws:s3:::bucket-*".to_owned()
                } else {
                    format!("arn:aws:s3:::bucket-{i}/*")
                };
                allow(&format!("s3:GetObject{i}*"), &resource)
            })
            .collect()
    };
    let big = policy(Value::Array(statements(false)));
    let (v, took) = bounded(&big, &big);
    // A policy against itself is decided, not given up on.
    assert_eq!(v, Verdict::NoNewAccess, "{v:?}");
    assert!(took < Duration::from_secs(60), "{took:?}");
    println!("bound: {:?} in {took:?}", v.as_str());
    let widened = policy(Value::Array(statements(true)));
    let (v, took) = bounded(&widened, &big);
    assert!(
        matches!(
            v,
            Verdict::NewAccess(_) | Verdict::Unknown(Unknown::Budget { .. })
        ),
        "{v:?}"
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
    println!("bound (one widened): {:?} in {took:?}", v.as_str());
}

#[test]
fn ten_thousand_character_patterns_answer_or_stop_at_the_budget() {
    let long = format!("arn:aws:s3:::{}", "ab*".repeat(3_330));
    let other = format!("arn:aws:s3:::{}", "ab?".repeat(3_330));
    let a = policy(json!([allow("s3:GetObject", &long)]));
    let b = policy(json!([allow("s3:GetObject", &other)]));
    let (v, took) = bounded(&a, &b);
    assert!(
        matches!(
            v,
            Verdict::NewAccess(_) | Verdict::Unknown(Unknown::Budget { .. })
        ),
        "{v:?}"
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
    println!("bound: {:?} in {took:?}", v.as_str());
}

#[test]
fn a_thousand_stars_answer_or_stop_at_the_budget() {
    let stars = format!("s3:{}", "*a".repeat(1_000));
    let fewer = format!("s3:{}", "*a".repeat(999));
    let a = policy(json!([allow(&fewer, "*")]));
    let b = policy(json!([allow(&stars, "*")]));
    let (v, took) = bounded(&a, &b);
    assert!(
        matches!(
            v,
            Verdict::NewAccess(_) | Verdict::Unknown(Unknown::Budget { .. })
        ),
        "{v:?}"
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
    println!("bound: {:?} in {took:?}", v.as_str());
    // A tight budget stops sooner, and says so.
    let (c, d) = ([&a], [&b]);
    let tight = Options {
        limits: Limits {
            max_steps: 10_000,
            ..Limits::default()
        },
        ..Options::default()
    };
    let v = compare_with(
        &Permissions {
            identity: &d,
            boundary: None,
        },
        &Permissions {
            identity: &c,
            boundary: None,
        },
        &tight,
    );
    match v {
        Verdict::Unknown(u) => assert_eq!(u.code(), "SYMBOLIC_BUDGET"),
        Verdict::NewAccess(_) => {}
        Verdict::NoNewAccess => panic!("a false no new access"),
    }
}
