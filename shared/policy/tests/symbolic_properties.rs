//! Properties of the symbolic comparison over random policy pairs:
//! (i) every counterexample is allowed by the candidate and not by the
//! baseline, per `eval::evaluate`; (ii) every "no new access" answer holds
//! on random requests sampled around both sides' patterns and condition
//! values.
//!
//! `cargo test` runs `ROLEGATE_SYMBOLIC_CASES` pairs (default 64) with
//! `ROLEGATE_SYMBOLIC_SAMPLES` requests each (default 10,000); set them
//! higher for a longer fuzzing run.

#![allow(clippy::expect_used)]

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, ContextValue, Decision, PolicySet, Request, evaluate};
use rolegate_policy::symbolic::{Options, Permissions, Verdict, compare_with};
use serde_json::{Value, json};

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:Get*",
    "s3:Get*Tagging",
    "s3:GetObjectTagging",
    "s3:PutObject",
    "s3:*",
    "s3:List?ucket",
    "s3:ListBucket",
    "S3:GETOBJECT",
    "iam:PassRole",
    "*",
];

const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b*",
    "arn:aws:s3:::b/k?",
    "arn:aws:s3:::b/k1",
    "arn:aws:s3:::b",
    "arn:aws:s3:::other-*",
    "arn:aws:s3:::*/k?",
    "arn:aws:sqs:*:111122223333:q",
    "arn:aws:sqs:*",
    "arn:aws:s3:::b/${aws:username}/*",
    "*",
];

/// (operator, key, values as JSON)
fn conditions() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("StringLike", "s3:prefix", json!("a*")),
        ("StringEquals", "s3:prefix", json!("ab")),
        ("StringNotLike", "s3:prefix", json!("a?")),
        ("StringEqualsIgnoreCase", "s3:prefix", json!("AB")),
        ("Bool", "aws:SecureTransport", json!("true")),
        ("Bool", "aws:SecureTransport", json!(false)),
        ("BoolIfExists", "aws:SecureTransport", json!("true")),
        ("NumericLessThan", "s3:max-keys", json!(10)),
        ("NumericGreaterThanEquals", "s3:max-keys", json!("5")),
        ("NumericNotEquals", "s3:max-keys", json!(7)),
        (
            "DateLessThan",
            "aws:CurrentTime",
            json!("2027-01-01T00:00:00Z"),
        ),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            json!("2026-06-01T00:00:00Z"),
        ),
        ("IpAddress", "aws:SourceIp", json!("10.0.0.0/8")),
        ("NotIpAddress", "aws:SourceIp", json!("10.1.0.0/16")),
        ("Null", "aws:RequestTag/team", json!("true")),
        ("Null", "aws:RequestTag/team", json!("false")),
        ("StringEqualsIfExists", "aws:RequestTag/team", json!("blue")),
        (
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            json!(["team", "env"]),
        ),
        ("ForAnyValue:StringLike", "aws:TagKeys", json!("t*")),
        ("ForAnyValue:StringNotEquals", "aws:TagKeys", json!("team")),
        (
            "ArnLike",
            "aws:SourceArn",
            json!("arn:aws:sns:*:111122223333:*"),
        ),
        (
            "ArnNotLike",
            "aws:SourceArn",
            json!("arn:aws:sns:us-east-1:*:t*"),
        ),
        (
            "StringEquals",
            "aws:PrincipalAccount",
            json!("111122223333"),
        ),
    ]
}

/// Values each key takes in sampled requests: the operands and their
/// neighbours.
fn key_values(key: &str) -> &'static [&'static str] {
    match key {
        "s3:prefix" => &["a", "ab", "AB", "abc", "b", "", "a/"],
        "aws:SecureTransport" => &["true", "false", "TRUE", "x"],
        "s3:max-keys" => &["4", "5", "7", "9.5", "10", "11", "x"],
        "aws:CurrentTime" => &[
            "2026-05-31T00:00:00Z",
            "2026-06-01T00:00:00Z",
            "2026-06-01T00:00:01Z",
            "2026-12-31T23:59:59Z",
            "2027-01-01T00:00:00Z",
            "1798761600",
        ],
        "aws:SourceIp" => &["10.0.0.1", "10.1.2.3", "11.0.0.1", "::1"],
        "aws:RequestTag/team" => &["blue", "red"],
        "aws:TagKeys" => &["team", "env", "tx", "other"],
        "aws:SourceArn" => &[
            "arn:aws:sns:us-east-1:111122223333:t",
            "arn:aws:sns:us-east-1:111122223333:x",
            "arn:aws:sns:us-east-1:999988887777:t",
            "arn:aws:sns::111122223333:",
            "x",
        ],
        "aws:PrincipalAccount" => &["111122223333", "999988887777"],
        "aws:username" => &["alice", "k1", "a:b"],
        _ => &["x"],
    }
}

const KEYS: &[&str] = &[
    "s3:prefix",
    "aws:SecureTransport",
    "s3:max-keys",
    "aws:CurrentTime",
    "aws:SourceIp",
    "aws:RequestTag/team",
    "aws:TagKeys",
    "aws:SourceArn",
    "aws:PrincipalAccount",
    "aws:username",
];

fn statement() -> impl Strategy<Value = Value> {
    let conds = conditions();
    (
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(ACTIONS), 1..3),
        prop::bool::weighted(0.15),
        prop::collection::vec(prop::sample::select(RESOURCES), 1..3),
        prop::collection::vec(prop::sample::select(conds), 0..3),
    )
        .prop_map(
            |(deny, not_action, actions, not_resource, resources, conds)| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
                let a = if not_action { "NotAction" } else { "Action" };
                s.insert(a.into(), json!(actions));
                let r = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                s.insert(r.into(), json!(resources));
                if !conds.is_empty() {
                    let mut block = serde_json::Map::new();
                    for (op, key, v) in conds {
                        let entry = block.entry(op).or_insert_with(|| json!({}));
                        entry[key] = v;
                    }
                    s.insert("Condition".into(), Value::Object(block));
                }
                Value::Object(s)
            },
        )
}

fn document() -> impl Strategy<Value = PolicyDocument> {
    prop::collection::vec(statement(), 1..4).prop_map(|statements| {
        PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": statements}))
            .expect("generated policy")
    })
}

#[derive(Debug, Clone)]
struct Side {
    identity: Vec<PolicyDocument>,
    boundary: Option<PolicyDocument>,
}

fn side() -> impl Strategy<Value = Side> {
    (
        prop::collection::vec(document(), 1..3),
        prop::option::weighted(0.25, document()),
    )
        .prop_map(|(identity, boundary)| Side { identity, boundary })
}

fn set(s: &Side) -> PolicySet {
    PolicySet {
        identity: s
            .identity
            .iter()
            .enumerate()
            .map(|(i, d)| CompiledPolicy::compile(d, &format!("identity[{i}]")))
            .collect(),
        boundary: s
            .boundary
            .as_ref()
            .map(|b| CompiledPolicy::compile(b, "boundary")),
        ..PolicySet::default()
    }
}

fn verdict(base: &Side, cand: &Side) -> Verdict {
    let b: Vec<&PolicyDocument> = base.identity.iter().collect();
    let c: Vec<&PolicyDocument> = cand.identity.iter().collect();
    compare_with(
        &Permissions {
            identity: &b,
            boundary: base.boundary.as_ref(),
        },
        &Permissions {
            identity: &c,
            boundary: cand.boundary.as_ref(),
        },
        &Options::default(),
    )
}

/// xorshift64*: the sampler's own generator, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A string the pattern matches, or nearly: each wildcard filled with a
/// few characters from the patterns' alphabet, and now and then a
/// character changed.
fn around(pattern: &str, username: &str, rng: &mut Rng) -> String {
    const FILL: &[char] = &['a', 'b', 'k', '1', '/', ':', '-', 'x', 'T', 'o'];
    // A policy variable's place holds the request's value, mostly.
    let pattern = pattern.replace("${aws:username}", username);
    let mut out = String::new();
    for c in pattern.chars() {
        match c {
            '*' => {
                for _ in 0..rng.below(4) {
                    out.push(FILL[rng.below(FILL.len())]);
                }
            }
            '?' => out.push(FILL[rng.below(FILL.len())]),
            _ if rng.below(40) == 0 => out.push(FILL[rng.below(FILL.len())]),
            c => out.push(c),
        }
    }
    if rng.below(10) == 0 {
        out = out.to_ascii_lowercase();
    }
    out
}

fn sample(rng: &mut Rng, actions: &[&str], resources: &[&str]) -> Request {
    let mut req = Request::new("arn:aws:sts::111122223333:assumed-role/r/s", "", "");
    for key in KEYS {
        let values = key_values(key);
        match rng.below(10) {
            0..=3 => {}
            4..=7 => req.context.push((
                (*key).to_owned(),
                ContextValue::Single(rng.pick(values).to_owned()),
            )),
            _ => {
                let n = rng.below(3);
                let list = (0..n).map(|_| rng.pick(values).to_owned()).collect();
                req.context
                    .push(((*key).to_owned(), ContextValue::Multi(list)));
            }
        }
    }
    let username = match req.context.iter().find(|(k, _)| k == "aws:username") {
        Some((_, ContextValue::Single(v))) if rng.below(4) != 0 => v.clone(),
        _ => rng.pick(key_values("aws:username")).to_owned(),
    };
    req.action = around(rng.pick(actions), &username, rng);
    req.resource = around(rng.pick(resources), &username, rng);
    req
}

fn env(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn patterns(sides: [&Side; 2], resource: bool) -> Vec<String> {
    let mut out = Vec::new();
    for s in sides {
        for d in s.identity.iter().chain(s.boundary.iter()) {
            for st in d.statements() {
                if resource {
                    out.extend(st.resource.iter().flat_map(|r| r.value().iter().cloned()));
                } else {
                    out.extend(st.action.value().iter().cloned());
                }
            }
        }
    }
    out
}

#[test]
fn counterexamples_are_confirmed_and_no_new_access_survives_sampling() {
    let cases = env("ROLEGATE_SYMBOLIC_CASES", 64);
    let samples = env("ROLEGATE_SYMBOLIC_SAMPLES", 10_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let counts = std::cell::Cell::new((0u32, 0u32));
    let pairs = (side(), side(), any::<u64>(), 0..3u8).prop_map(|(base, other, seed, shape)| {
        // A third of the pairs share statements verbatim, as a policy and
        // its tampered copy do: the baseline plus another policy, or the
        // baseline under another boundary.
        let cand = match shape {
            1 => Side {
                identity: base
                    .identity
                    .iter()
                    .chain(&other.identity)
                    .cloned()
                    .collect(),
                boundary: base.boundary.clone(),
            },
            2 => Side {
                identity: base.identity.clone(),
                boundary: other.boundary.clone(),
            },
            _ => other,
        };
        (base, cand, seed)
    });
    let result = runner.run(&pairs, |(base, cand, seed)| {
        let (b, c) = (set(&base), set(&cand));
        match verdict(&base, &cand) {
            Verdict::NewAccess(cx) => {
                let req = cx.request();
                prop_assert_eq!(evaluate(&c, &req).decision, Decision::Allowed, "{}", cx);
                prop_assert_ne!(evaluate(&b, &req).decision, Decision::Allowed, "{}", cx);
                let (n, a) = counts.get();
                counts.set((n, a + 1));
            }
            Verdict::NoNewAccess => {
                let mut actions = patterns([&base, &cand], false);
                actions.extend(["s3:GetObjectTagging", "s3:ListBucket"].map(String::from));
                let mut resources = patterns([&base, &cand], true);
                resources.push("arn:aws:s3:::b/k1".into());
                let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
                let resources: Vec<&str> = resources.iter().map(String::as_str).collect();
                let mut rng = Rng(seed | 1);
                for _ in 0..samples {
                    let req = sample(&mut rng, &actions, &resources);
                    let widened = evaluate(&c, &req).decision == Decision::Allowed
                        && evaluate(&b, &req).decision != Decision::Allowed;
                    prop_assert!(!widened, "no new access, yet {:?} is", req);
                }
                let (n, a) = counts.get();
                counts.set((n + 1, a));
            }
            Verdict::Unknown(u) => {
                // The generator stays inside the fragment and the budget;
                // only a policy variable's approximation may leave a
                // counterexample the evaluator does not confirm.
                let variables = format!("{base:?}{cand:?}").contains("${");
                prop_assert!(
                    variables && u.code() == "SYMBOLIC_UNCONFIRMED",
                    "unknown: {}",
                    u
                );
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (none, new) = counts.get();
    let unknown = cases.saturating_sub(none + new);
    println!(
        "{cases} pairs: {none} no new access, {new} new access, {unknown} unknown (policy variables)"
    );
    // Both answers occur, so neither property holds vacuously.
    if cases >= 32 {
        assert!(
            none > 0 && new > 0,
            "no new access {none}, new access {new}"
        );
    }
}
