//! Property tests of the policy model: exact JSON round trip and a canonical
//! form that is idempotent and insensitive to statement order.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rolegate_policy::{
    ConditionValue, Effect, OneOrMany, Polarity, PolicyDocument, Principal, PrincipalType,
    Statement,
};

fn one_or_many<T: std::fmt::Debug + Clone + 'static>(
    item: BoxedStrategy<T>,
) -> BoxedStrategy<OneOrMany<T>> {
    prop_oneof![
        item.clone().prop_map(OneOrMany::One),
        prop::collection::vec(item, 0..4).prop_map(OneOrMany::Many),
    ]
    .boxed()
}

fn action() -> BoxedStrategy<String> {
    prop_oneof![
        Just("*".to_owned()),
        "(s3|S3|iam|dynamodb|sts):(Get|Put|List|Assume)[A-Za-z]{0,6}\\*?",
    ]
    .boxed()
}

fn resource() -> BoxedStrategy<String> {
    prop_oneof![
        Just("*".to_owned()),
        "arn:aws:s3:::[a-z]{1,5}(/[a-z*]{0,4})?",
        "arn:aws:dynamodb:us-east-1:[0-9]{12}:table/[A-Za-z]{1,6}",
    ]
    .boxed()
}

fn condition_value() -> BoxedStrategy<ConditionValue> {
    prop_oneof![
        "[a-zA-Z0-9*/:.-]{0,8}".prop_map(ConditionValue::String),
        any::<bool>().prop_map(ConditionValue::Bool),
        any::<i64>().prop_map(|n| ConditionValue::Number(n.into())),
        (-1.0e9f64..1.0e9).prop_map(|f| {
            ConditionValue::Number(serde_json::Number::from_f64(f).unwrap_or(0.into()))
        }),
    ]
    .boxed()
}

fn condition() -> BoxedStrategy<BTreeMap<String, BTreeMap<String, OneOrMany<ConditionValue>>>> {
    let op = prop_oneof![
        Just("StringEquals".to_owned()),
        Just("StringLike".to_owned()),
        Just("Bool".to_owned()),
        Just("ForAnyValue:StringEquals".to_owned()),
        Just("NumericLessThanIfExists".to_owned()),
    ];
    let key = prop_oneof![
        Just("aws:SourceIp".to_owned()),
        Just("sts:ExternalId".to_owned()),
        Just("aws:PrincipalTag/team".to_owned()),
        Just("s3:prefix".to_owned()),
    ];
    prop::collection::btree_map(
        op,
        prop::collection::btree_map(key, one_or_many(condition_value()), 0..3),
        0..3,
    )
    .boxed()
}

fn principal() -> BoxedStrategy<Principal> {
    let t = prop_oneof![
        Just(PrincipalType::Aws),
        Just(PrincipalType::Service),
        Just(PrincipalType::Federated),
        Just(PrincipalType::CanonicalUser),
    ];
    let v = prop_oneof![
        Just("*".to_owned()),
        "[0-9]{12}",
        "arn:aws:iam::[0-9]{12}:role/[a-z]{1,6}",
        "[a-z]{2,8}\\.amazonaws\\.com",
    ];
    prop_oneof![
        Just(Principal::Any),
        prop::collection::btree_map(t, one_or_many(v.boxed()), 1..3).prop_map(Principal::Typed),
    ]
    .boxed()
}

fn polarity<T: std::fmt::Debug + Clone + 'static>(
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

fn statement() -> BoxedStrategy<Statement> {
    (
        prop::option::of("[A-Za-z0-9]{1,8}"),
        prop_oneof![Just(Effect::Allow), Just(Effect::Deny)],
        prop::option::of(polarity(principal())),
        polarity(one_or_many(action())),
        prop::option::of(polarity(one_or_many(resource()))),
        prop::option::of(condition()),
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

fn document() -> BoxedStrategy<PolicyDocument> {
    (
        prop::option::of(prop_oneof![
            Just("2012-10-17".to_owned()),
            Just("2008-10-17".to_owned())
        ]),
        prop::option::of("[a-z0-9-]{1,10}"),
        one_or_many(statement()),
    )
        .prop_map(|(version, id, statement)| PolicyDocument {
            version,
            id,
            statement,
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_of_serialize_is_identity(doc in document()) {
        let json = doc.to_json();
        prop_assert_eq!(PolicyDocument::parse(&json), Ok(doc.clone()));
        let pretty = doc.to_json_pretty();
        prop_assert_eq!(PolicyDocument::parse(&pretty), Ok(doc));
    }

    #[test]
    fn canonical_form_is_idempotent(doc in document()) {
        let once = doc.canonical();
        prop_assert_eq!(once.canonical(), once.clone());
        prop_assert_eq!(once.digest(), doc.digest());
    }

    #[test]
    fn statement_order_does_not_change_the_digest(doc in document(), seed in any::<u64>()) {
        let mut statements = doc.statements().to_vec();
        let n = statements.len();
        if n > 1 {
            statements.rotate_left((seed as usize) % n);
        }
        let shuffled = PolicyDocument { statement: OneOrMany::Many(statements), ..doc.clone() };
        prop_assert_eq!(shuffled.digest(), doc.digest());
    }

    #[test]
    fn structural_size_equals_the_serialised_size(doc in document(), text in "[ -~\\t\\n\u{0}-\u{1f}\u{e9}\u{2028}]{0,12}") {
        let mut doc = doc;
        doc.id = Some(text);
        prop_assert_eq!(doc.size(), rolegate_policy::limits::policy_size(&doc.to_json()));
    }

    #[test]
    fn canonical_form_survives_a_json_round_trip(doc in document()) {
        let c = doc.canonical();
        prop_assert_eq!(PolicyDocument::parse(&c.to_json()), Ok(c));
    }
}
