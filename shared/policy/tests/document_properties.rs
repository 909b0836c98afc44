//! Property tests of the policy model: exact JSON round trip and a canonical
//! form that is idempotent and insensitive to statement order.

mod common;

use common::Vocabulary;
use proptest::prelude::*;
use rolegate_policy::{OneOrMany, PolicyDocument};

fn document() -> BoxedStrategy<PolicyDocument> {
    common::document(&Vocabulary::wide(), None)
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
    fn structural_size_equals_the_serialised_size(doc in document(), text in "[ -~\\t\\n\u{0}-\u{1f}\u{e9}\u{2028}\u{1f600}]{0,12}") {
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
