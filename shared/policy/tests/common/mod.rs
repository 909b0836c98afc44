//! Proptest strategies for policy documents, shared by the property tests.
//! Each test file picks its vocabulary: wide for the model's round trip,
//! narrow for the evaluator so that random requests hit random statements.

#![allow(dead_code)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use rolegate_policy::{
    ConditionValue, Effect, OneOrMany, Polarity, PolicyDocument, Principal, PrincipalType,
    Statement,
};

pub type Block = BTreeMap<String, BTreeMap<String, OneOrMany<ConditionValue>>>;

/// The words statements are made of.
#[derive(Clone)]
pub struct Vocabulary {
    pub actions: BoxedStrategy<String>,
    pub resources: BoxedStrategy<String>,
    pub operators: BoxedStrategy<String>,
    pub keys: BoxedStrategy<String>,
    pub values: BoxedStrategy<ConditionValue>,
    pub principal_values: BoxedStrategy<String>,
}

impl Vocabulary {
    /// Broad: exercises every shape the JSON model must round-trip.
    pub fn wide() -> Vocabulary {
        Vocabulary {
            actions: prop_oneof![
                Just("*".to_owned()),
                "(s3|S3|iam|dynamodb|sts):(Get|Put|List|Assume)[A-Za-z]{0,6}\\*?",
            ]
            .boxed(),
            resources: prop_oneof![
                Just("*".to_owned()),
                "arn:aws:s3:::[a-z]{1,5}(/[a-z*]{0,4})?",
                "arn:aws:dynamodb:us-east-1:[0-9]{12}:table/[A-Za-z]{1,6}",
            ]
            .boxed(),
            operators: prop_oneof![
                Just("StringEquals".to_owned()),
                Just("StringLike".to_owned()),
                Just("Bool".to_owned()),
                Just("ForAnyValue:StringEquals".to_owned()),
                Just("NumericLessThanIfExists".to_owned()),
            ]
            .boxed(),
            keys: prop_oneof![
                Just("aws:SourceIp".to_owned()),
                Just("sts:ExternalId".to_owned()),
                Just("aws:PrincipalTag/team".to_owned()),
                Just("s3:prefix".to_owned()),
            ]
            .boxed(),
            values: prop_oneof![
                "[a-zA-Z0-9*/:.-]{0,8}".prop_map(ConditionValue::String),
                any::<bool>().prop_map(ConditionValue::Bool),
                any::<i64>().prop_map(|n| ConditionValue::Number(n.into())),
                (-1.0e9f64..1.0e9).prop_map(|f| {
                    ConditionValue::Number(serde_json::Number::from_f64(f).unwrap_or(0.into()))
                }),
            ]
            .boxed(),
            principal_values: prop_oneof![
                Just("*".to_owned()),
                "[0-9]{12}",
                "arn:aws:iam::[0-9]{12}:role/[a-z]{1,6}",
                "[a-z]{2,8}\\.amazonaws\\.com",
            ]
            .boxed(),
        }
    }
}

pub fn one_or_many<T: std::fmt::Debug + Clone + 'static>(
    item: BoxedStrategy<T>,
) -> BoxedStrategy<OneOrMany<T>> {
    prop_oneof![
        item.clone().prop_map(OneOrMany::One),
        prop::collection::vec(item, 0..4).prop_map(OneOrMany::Many),
    ]
    .boxed()
}

pub fn condition(v: &Vocabulary) -> BoxedStrategy<Block> {
    prop::collection::btree_map(
        v.operators.clone(),
        prop::collection::btree_map(v.keys.clone(), one_or_many(v.values.clone()), 0..3),
        0..3,
    )
    .boxed()
}

pub fn principal(v: &Vocabulary) -> BoxedStrategy<Principal> {
    let t = prop_oneof![
        Just(PrincipalType::Aws),
        Just(PrincipalType::Service),
        Just(PrincipalType::Federated),
        Just(PrincipalType::CanonicalUser),
    ];
    prop_oneof![
        Just(Principal::Any),
        prop::collection::btree_map(t, one_or_many(v.principal_values.clone()), 1..3)
            .prop_map(Principal::Typed),
    ]
    .boxed()
}

pub fn polarity<T: std::fmt::Debug + Clone + 'static>(
    s: BoxedStrategy<T>,
) -> BoxedStrategy<Polarity<T>> {
    (any::<bool>(), s)
        .prop_map(|(neg, v)| {
            if neg {
                Polarity::Not(v)
            } else {
                Polarity::Is(v)
            }
        })
        .boxed()
}

/// A statement; `with_principal` for resource-based policies.
pub fn statement(v: &Vocabulary, with_principal: Option<bool>) -> BoxedStrategy<Statement> {
    let principal = match with_principal {
        None => prop::option::of(polarity(principal(v))).boxed(),
        Some(true) => polarity(principal(v)).prop_map(Some).boxed(),
        Some(false) => Just(None).boxed(),
    };
    (
        prop::option::of("[A-Za-z0-9]{1,8}"),
        prop_oneof![Just(Effect::Allow), Just(Effect::Deny)],
        principal,
        polarity(one_or_many(v.actions.clone())),
        prop::option::of(polarity(one_or_many(v.resources.clone()))),
        prop::option::of(condition(v)),
    )
        .prop_map(
            |(sid, effect, principal, action, resource, condition)| Statement {
                sid,
                effect,
                principal,
                action,
                resource,
                condition,
            },
        )
        .boxed()
}

pub fn document(v: &Vocabulary, with_principal: Option<bool>) -> BoxedStrategy<PolicyDocument> {
    (
        prop::option::of(prop_oneof![
            Just("2012-10-17".to_owned()),
            Just("2008-10-17".to_owned())
        ]),
        prop::option::of("[a-z0-9-]{1,10}"),
        one_or_many(statement(v, with_principal)),
    )
        .prop_map(|(version, id, statement)| PolicyDocument {
            version,
            id,
            statement,
        })
        .boxed()
}
