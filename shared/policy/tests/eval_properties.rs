//! Properties every correct IAM evaluator has, checked on random policies and
//! requests drawn from a small vocabulary so that they actually interact.

mod common;

use common::Vocabulary;
use proptest::prelude::*;
use rolegate_policy::eval::{CompiledPolicy, ContextValue, Decision, PolicySet, Request, evaluate};
use rolegate_policy::{ConditionValue, Effect, OneOrMany, Polarity, PolicyDocument, Statement};

const ACCOUNT: &str = "111122223333";

fn vocabulary() -> Vocabulary {
    Vocabulary {
        actions: prop_oneof![
            Just("s3:GetObject".to_owned()),
            Just("s3:PutObject".to_owned()),
            Just("s3:Get*".to_owned()),
            Just("S3:*".to_owned()),
            Just("*".to_owned()),
        ]
        .boxed(),
        resources: prop_oneof![
            Just("*".to_owned()),
            Just("arn:aws:s3:::b/*".to_owned()),
            Just("arn:aws:s3:::b/a".to_owned()),
            Just("arn:aws:s3:::b/${aws:username}".to_owned()),
            Just("arn:aws:s3:::c/*".to_owned()),
        ]
        .boxed(),
        operators: prop_oneof![
            Just("StringEquals".to_owned()),
            Just("StringNotEquals".to_owned()),
            Just("StringLike".to_owned()),
            Just("ForAllValues:StringEquals".to_owned()),
            Just("ForAnyValue:StringLike".to_owned()),
            Just("StringEqualsIfExists".to_owned()),
            Just("Bool".to_owned()),
            Just("Null".to_owned()),
            Just("NumericLessThan".to_owned()),
        ]
        .boxed(),
        keys: prop_oneof![
            Just("aws:RequestedRegion".to_owned()),
            Just("AWS:requestedregion".to_owned()),
            Just("aws:SecureTransport".to_owned()),
            Just("aws:TagKeys".to_owned()),
            Just("s3:max-keys".to_owned()),
        ]
        .boxed(),
        values: prop_oneof![
            Just(ConditionValue::from("eu-west-1")),
            Just(ConditionValue::from("us-*")),
            Just(ConditionValue::Bool(true)),
            Just(ConditionValue::from("false")),
            Just(ConditionValue::from("env")),
            Just(ConditionValue::Number(10.into())),
        ]
        .boxed(),
        principal_values: prop_oneof![
            Just("*".to_owned()),
            Just(ACCOUNT.to_owned()),
            Just(format!("arn:aws:iam::{ACCOUNT}:user/alice")),
            Just("arn:aws:iam::444455556666:root".to_owned()),
        ]
        .boxed(),
    }
}

#[derive(Debug, Clone)]
struct Case {
    identity: Vec<PolicyDocument>,
    boundary: Option<PolicyDocument>,
    resource: Option<PolicyDocument>,
    request: Request,
}

fn request() -> BoxedStrategy<Request> {
    (
        prop_oneof![
            Just(format!("arn:aws:iam::{ACCOUNT}:user/alice")),
            Just("arn:aws:iam::444455556666:user/bob".to_owned()),
            Just(format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/s")),
        ],
        prop_oneof![
            Just("s3:GetObject"),
            Just("s3:PutObject"),
            Just("s3:DeleteObject")
        ],
        prop_oneof![
            Just("arn:aws:s3:::b/a"),
            Just("arn:aws:s3:::b/alice"),
            Just("arn:aws:s3:::c/x")
        ],
        prop::option::of(prop_oneof![Just("eu-west-1"), Just("us-east-1")]),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::collection::vec(
            prop_oneof![Just("env"), Just("team")],
            0..3,
        )),
    )
        .prop_map(|(principal, action, resource, region, tls, tags)| {
            let mut r = Request::new(&principal, action, resource).in_account(ACCOUNT);
            if let Some(region) = region {
                r = r.with_context("aws:RequestedRegion", ContextValue::Single(region.into()));
            }
            if let Some(tls) = tls {
                r = r.with_context("aws:SecureTransport", ContextValue::Single(tls.to_string()));
            }
            if let Some(tags) = tags {
                r = r.with_context(
                    "aws:TagKeys",
                    ContextValue::Multi(tags.into_iter().map(str::to_owned).collect()),
                );
            }
            r
        })
        .boxed()
}

/// Mostly plain allows, so that random requests are often allowed and the
/// properties have denials to protect and allows to lose.
fn statement(with_principal: bool) -> BoxedStrategy<Statement> {
    let v = vocabulary();
    let principal = if with_principal {
        common::polarity(common::principal(&v))
            .prop_map(Some)
            .boxed()
    } else {
        Just(None).boxed()
    };
    (
        prop_oneof![4 => Just(Effect::Allow), 1 => Just(Effect::Deny)],
        principal,
        prop_oneof![4 => common::one_or_many(v.actions.clone()).prop_map(Polarity::Is), 1 => common::one_or_many(v.actions.clone()).prop_map(Polarity::Not)],
        prop_oneof![4 => common::one_or_many(v.resources.clone()).prop_map(|r| Some(Polarity::Is(r))), 1 => Just(None)],
        prop_oneof![2 => Just(None), 1 => common::condition(&v).prop_map(Some)],
    )
        .prop_map(|(effect, principal, action, resource, condition)| Statement {
            sid: None,
            effect,
            principal,
            action,
            resource,
            condition,
        })
        .boxed()
}

fn document(with_principal: bool) -> BoxedStrategy<PolicyDocument> {
    prop::collection::vec(statement(with_principal), 1..4)
        .prop_map(PolicyDocument::new)
        .boxed()
}

fn case() -> BoxedStrategy<Case> {
    (
        prop::collection::vec(document(false), 1..3),
        prop::option::of(document(false)),
        prop::option::of(document(true)),
        request(),
    )
        .prop_map(|(identity, boundary, resource, request)| Case {
            identity,
            boundary,
            resource,
            request,
        })
        .boxed()
}

fn decide(c: &Case) -> Decision {
    let set = PolicySet {
        identity: c
            .identity
            .iter()
            .map(|d| CompiledPolicy::compile(d, "identity"))
            .collect(),
        boundary: c
            .boundary
            .as_ref()
            .map(|d| CompiledPolicy::compile(d, "boundary")),
        resource: c
            .resource
            .as_ref()
            .map(|d| CompiledPolicy::compile(d, "resource")),
        ..PolicySet::default()
    };
    evaluate(&set, &c.request).decision
}

fn with_statements(doc: &PolicyDocument, f: impl FnOnce(&mut Vec<Statement>)) -> PolicyDocument {
    let mut statements = doc.statements().to_vec();
    f(&mut statements);
    PolicyDocument {
        statement: OneOrMany::Many(statements),
        ..doc.clone()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn adding_a_deny_never_allows_a_denied_request(
        c in case(),
        deny in statement(false),
        which in any::<prop::sample::Index>(),
    ) {
        prop_assume!(decide(&c) != Decision::Allowed);
        let mut deny = deny;
        deny.effect = Effect::Deny;
        let mut more = c.clone();
        let i = which.index(more.identity.len());
        more.identity[i] = with_statements(&more.identity[i], |s| s.push(deny));
        prop_assert_ne!(decide(&more), Decision::Allowed);
    }

    #[test]
    fn removing_an_allow_never_allows_a_denied_request(c in case(), which in any::<prop::sample::Index>()) {
        prop_assume!(decide(&c) != Decision::Allowed);
        let mut fewer = c.clone();
        let i = which.index(fewer.identity.len());
        let doc = &fewer.identity[i];
        let allows: Vec<usize> = doc.statements().iter().enumerate()
            .filter(|(_, s)| s.effect == Effect::Allow).map(|(j, _)| j).collect();
        prop_assume!(!allows.is_empty());
        let drop = allows[which.index(allows.len())];
        fewer.identity[i] = with_statements(doc, |s| { s.remove(drop); });
        prop_assert_ne!(decide(&fewer), Decision::Allowed);
    }

    #[test]
    fn canonicalising_a_policy_never_changes_a_decision(c in case()) {
        let canonical = Case {
            identity: c.identity.iter().map(PolicyDocument::canonical).collect(),
            boundary: c.boundary.as_ref().map(PolicyDocument::canonical),
            resource: c.resource.as_ref().map(PolicyDocument::canonical),
            request: c.request.clone(),
        };
        prop_assert_eq!(decide(&canonical), decide(&c));
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn some_random_requests_are_allowed(cs in prop::collection::vec(case(), 64)) {
        // Guards the properties above against a vocabulary that never allows.
        prop_assert!(cs.iter().any(|c| decide(c) == Decision::Allowed));
    }
}
