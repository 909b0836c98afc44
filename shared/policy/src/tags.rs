//! Every tag key Rolegate writes on a role, in one place.
//!
//! The builder adds [`MANAGED`] and [`EXPIRES_AT`], the ownership step of
//! the pipeline ([`crate::reconcile::with_ownership`]) the stack, logical
//! id and digest, and a quarantine its two ([`crate::reconcile::quarantine`]).
//! A spec may not use the prefix, and leaves IAM's tag quota room for all
//! of them ([`RESERVED_TAGS`]).

/// Tag keys under this prefix belong to Rolegate.
pub const PREFIX: &str = "rolegate:";
/// Marks a role as Rolegate's; the guard touches nothing without it.
pub const MANAGED: &str = "rolegate:managed";
/// Mirrors `ExpiresAt` so the guard's sweep can find expired roles cheaply.
pub const EXPIRES_AT: &str = "rolegate:expires-at";
/// CloudFormation stack that owns the role.
pub const STACK_ID: &str = "rolegate:stack-id";
/// The `Custom::IntegrationRole` resource's logical id in that stack.
pub const LOGICAL_ID: &str = "rolegate:logical-id";
/// [`crate::DesiredRole::digest`] of the role before ownership tags were added.
pub const SPEC_DIGEST: &str = "rolegate:spec-digest";
/// A quarantine's state: `<since>`, or `<since> lifted <lifted>`.
pub const QUARANTINE: &str = "rolegate:quarantine";
/// Why the quarantine, in the characters an IAM tag value may hold.
pub const QUARANTINE_REASON: &str = "rolegate:quarantine-reason";

/// Every key Rolegate may put on one role.
pub const ALL: [&str; 7] = [
    MANAGED,
    EXPIRES_AT,
    STACK_ID,
    LOGICAL_ID,
    SPEC_DIGEST,
    QUARANTINE,
    QUARANTINE_REASON,
];

/// How many of IAM's tags per role Rolegate keeps for itself: a spec may
/// use the rest.
pub const RESERVED_TAGS: usize = ALL.len();

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::reconcile::{Owner, Quarantine, desired_role, with_quarantine};
    use crate::spec::IntegrationSpec;
    use crate::{BuildContext, Timestamp};

    #[test]
    fn every_key_is_under_the_prefix_and_distinct() {
        assert!(ALL.iter().all(|k| k.starts_with(PREFIX)), "{ALL:?}");
        assert_eq!(ALL.iter().collect::<BTreeSet<_>>().len(), ALL.len());
    }

    /// The reserve is exactly what the pipeline and a quarantine put on a
    /// role that uses every feature: no more (the spec would lose tags for
    /// nothing), no fewer (IAM would refuse the role).
    #[test]
    fn the_reserve_counts_what_a_built_and_quarantined_role_carries() {
        let spec = IntegrationSpec::from_properties(&json!({
            "RoleName": "vendor",
            "Trust": {"Principals": ["966208727603"]},
            "ExternalId": "vendor-external-id",
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "vendor-bucket"}],
            "ExpiresAt": "2030-01-01T00:00:00Z",
            "Tags": [{"Key": "team", "Value": "x"}],
        }))
        .expect("a valid spec");
        let ctx = BuildContext::new("123456789012", "us-east-1");
        let owner = Owner {
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
            logical_id: "Role".into(),
        };
        let (role, _) = desired_role(&spec, &ctx, &owner).expect("the role builds and proves");
        let now = Timestamp::from_epoch_seconds(0);
        let role = with_quarantine(role, Some(&Quarantine::new(&now, "test")), &now);
        let ours: BTreeSet<&str> = role
            .tags
            .keys()
            .map(String::as_str)
            .filter(|k| k.starts_with(PREFIX))
            .collect();
        assert_eq!(ours, ALL.into_iter().collect::<BTreeSet<_>>());
        assert_eq!(ours.len(), RESERVED_TAGS);
        assert!(role.tags.contains_key("team"));
    }
}
