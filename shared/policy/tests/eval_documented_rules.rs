//! The IAM User Guide's general rules, checked on random requests: each
//! property is one documented sentence, and the corpus in `eval_cases/`
//! holds one example of it.

#![allow(clippy::expect_used)]

use proptest::prelude::*;
use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, Decision, PolicySet, Request, evaluate};
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
