//! The customer managed policies a role owns (what overflowed IAM's inline
//! quota, [`crate::build::managed`]) in the reconcile engine: the policies as
//! IAM holds them ([`LiveManagedPolicy`]), whether each is Rolegate's, and
//! the operations that make, update, attach, detach and delete them
//! ([`super::diff`], [`super::plan_create`], [`super::plan_delete`]).
//!
//! The rule. A managed policy named `<role>-rolegate-<n>`, at the role's
//! path, tagged with the role's ownership tags ([`managed_policy_tags`]),
//! is Rolegate's: desired state while the spec overflows into it, made and
//! attached with the role, put back by the guard (attached again when
//! detached, its default version replaced when edited), deleted with the
//! role. One the spec no longer needs is only detached, and used again if
//! the spec grows back: so the guard, which runs the same diff, never
//! deletes a policy and needs no iam:DeletePolicy. Any other managed policy
//! attached to an integration role is drift, detached and left where it is,
//! as before. A policy of that name without those tags is never adopted:
//! CreatePolicy fails on its name, loudly, and it is never attached.
//!
//! IAM keeps at most five versions of a managed policy; updating one that
//! has five deletes the oldest non-default version first, in an earlier
//! stage: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html

use std::collections::{BTreeMap, BTreeSet};

use super::LiveRole;
use super::plan::Operation;
use crate::build::DesiredRole;
use crate::build::managed::policy_name;
use crate::document::PolicyDocument;
use crate::tags;

/// IAM's limit on the versions one managed policy keeps.
pub const MAX_POLICY_VERSIONS: usize = 5;

/// The role's tags that its managed policies carry too: who owns them.
const POLICY_TAG_KEYS: [&str; 3] = [tags::MANAGED, tags::STACK_ID, tags::LOGICAL_ID];

/// A customer managed policy named as one of the role's own, at the role's
/// path, attached or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveManagedPolicy {
    pub name: String,
    pub arn: String,
    /// The default version's document; `None` when it does not parse,
    /// which always differs from the desired one.
    pub document: Option<PolicyDocument>,
    pub default_version: String,
    /// Every version IAM keeps (`v1`, `v2`, ...), the default among them.
    pub versions: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// The tags of a role's managed policies: the role's ownership tags
/// (`rolegate:managed`, stack id, logical id), taken from `role_tags`.
pub fn managed_policy_tags(role_tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    POLICY_TAG_KEYS
        .iter()
        .filter_map(|key| Some(((*key).to_owned(), role_tags.get(*key)?.clone())))
        .collect()
}

/// True when `policy` carries the ownership tags in `role_tags` (the role's
/// own, or the desired role's): Rolegate made it for this stack resource.
pub fn is_rolegates_policy(
    policy: &LiveManagedPolicy,
    role_tags: &BTreeMap<String, String>,
) -> bool {
    let want = managed_policy_tags(role_tags);
    want.get(tags::MANAGED).map(String::as_str) == Some("true")
        && want.iter().all(|(k, v)| policy.tags.get(k) == Some(v))
}

/// The oldest version IAM may delete: not the default, lowest number.
fn oldest_deletable(policy: &LiveManagedPolicy) -> Option<&str> {
    policy
        .versions
        .iter()
        .filter(|v| **v != policy.default_version)
        .min_by_key(|v| {
            (
                v.trim_start_matches('v').parse::<u64>().unwrap_or(u64::MAX),
                (*v).clone(),
            )
        })
        .map(String::as_str)
}

/// Deleting one of Rolegate's own policies (detached with every attached
/// policy by [`super::plan_delete`]): its non-default versions, which IAM
/// refuses DeletePolicy while any remain, then DeletePolicy.
fn removal(policy: &LiveManagedPolicy) -> Vec<Operation> {
    let mut ops: Vec<Operation> = Vec::new();
    ops.extend(
        policy
            .versions
            .iter()
            .filter(|v| **v != policy.default_version)
            .map(|v| Operation::DeletePolicyVersion {
                arn: policy.arn.clone(),
                version_id: v.clone(),
            }),
    );
    ops.push(Operation::DeletePolicy {
        arn: policy.arn.clone(),
    });
    ops
}

/// The operations that bring the role's managed policies to `desired`:
/// each desired one made and attached, updated (a new default version)
/// when its document differs, attached again when detached; every other
/// attached policy detached: drift, or one of Rolegate's own the spec no
/// longer needs (left for reuse, deleted with the role).
pub(super) fn policy_changes(live: &LiveRole, desired: &DesiredRole) -> Vec<Operation> {
    let attached: BTreeSet<&str> = live
        .attached_policy_arns
        .iter()
        .map(String::as_str)
        .collect();
    let own = |p: &LiveManagedPolicy| is_rolegates_policy(p, &desired.tags);
    let mut ops = Vec::new();
    for (suffix, document) in &desired.managed_policies {
        match live.managed_policies.get(suffix) {
            Some(policy) if own(policy) => {
                let same = policy
                    .document
                    .as_ref()
                    .is_some_and(|doc| doc.equivalent(document));
                if !same {
                    if policy.versions.len() >= MAX_POLICY_VERSIONS
                        && let Some(oldest) = oldest_deletable(policy)
                    {
                        ops.push(Operation::DeletePolicyVersion {
                            arn: policy.arn.clone(),
                            version_id: oldest.to_owned(),
                        });
                    }
                    ops.push(Operation::CreatePolicyVersion {
                        arn: policy.arn.clone(),
                        document: document.clone(),
                    });
                }
                if !attached.contains(policy.arn.as_str()) {
                    ops.push(Operation::AttachRolePolicy {
                        arn: policy.arn.clone(),
                    });
                }
            }
            // Missing, or someone else's under the name: CreatePolicy
            // (which fails on a foreign one rather than adopting it).
            _ => {
                let arn = desired.managed_policy_arn(&live.name, suffix);
                ops.push(create(&live.name, suffix, document, desired));
                ops.push(Operation::AttachRolePolicy { arn });
            }
        }
    }
    let kept: BTreeSet<&str> = live
        .managed_policies
        .iter()
        .filter(|(suffix, p)| own(p) && desired.managed_policies.contains_key(*suffix))
        .map(|(_, p)| p.arn.as_str())
        .collect();
    for arn in &live.attached_policy_arns {
        if !kept.contains(arn.as_str()) {
            ops.push(Operation::DetachRolePolicy { arn: arn.clone() });
        }
    }
    ops
}

fn create(
    role_name: &str,
    suffix: &str,
    document: &PolicyDocument,
    desired: &DesiredRole,
) -> Operation {
    Operation::CreatePolicy {
        name: policy_name(role_name, suffix),
        path: desired.path.clone(),
        arn: desired.managed_policy_arn(role_name, suffix),
        document: Box::new(document.clone()),
        tags: managed_policy_tags(&desired.tags),
    }
}

/// Creating the role's managed policies: made beside its inline policies,
/// in the stage after CreateRole (a refused CreateRole leaves none behind),
/// and attached in the stage after that.
pub(super) fn policy_create(
    role_name: &str,
    desired: &DesiredRole,
) -> (Vec<Operation>, Vec<Operation>) {
    desired
        .managed_policies
        .iter()
        .map(|(suffix, document)| {
            (
                create(role_name, suffix, document, desired),
                Operation::AttachRolePolicy {
                    arn: desired.managed_policy_arn(role_name, suffix),
                },
            )
        })
        .unzip()
}

/// Deleting the role: its own policies' non-default versions go beside
/// the detaches (every attached policy, [`super::plan_delete`]), then each
/// of its own policies beside DeleteRole. Anyone else's is left, detached.
pub(super) fn policy_removals(live: &LiveRole) -> (Vec<Operation>, Vec<Operation>) {
    let (delete, first): (Vec<Operation>, Vec<Operation>) = live
        .managed_policies
        .values()
        .filter(|p| is_rolegates_policy(p, &live.tags))
        .flat_map(removal)
        .partition(|op| matches!(op, Operation::DeletePolicy { .. }));
    (first, delete)
}

/// Whether `op` must wait for another operation of the same plan: an
/// attach for the CreatePolicy that makes the policy, a new version for
/// the deletion that makes room for it. [`super::RoleDiff::into_plan`] puts
/// these in a later stage.
pub(super) fn waits_in_plan(op: &Operation, plan: &[Operation]) -> bool {
    match op {
        Operation::AttachRolePolicy { arn } => plan
            .iter()
            .any(|o| matches!(o, Operation::CreatePolicy { arn: a, .. } if a == arn)),
        Operation::CreatePolicyVersion { arn, .. } => plan
            .iter()
            .any(|o| matches!(o, Operation::DeletePolicyVersion { arn: a, .. } if a == arn)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(versions: &[&str], default: &str) -> LiveManagedPolicy {
        LiveManagedPolicy {
            name: "r-rolegate-1".into(),
            arn: "arn:aws:iam::111122223333:policy/integrations/r-rolegate-1".into(),
            document: None,
            default_version: default.into(),
            versions: versions.iter().map(|v| (*v).to_owned()).collect(),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn the_oldest_deletable_version_is_the_lowest_numbered_non_default() {
        assert_eq!(
            oldest_deletable(&policy(&["v10", "v9", "v11", "v12", "v13"], "v9")),
            Some("v10")
        );
        assert_eq!(oldest_deletable(&policy(&["v1"], "v1")), None);
    }

    #[test]
    fn a_policy_is_rolegates_only_with_every_ownership_tag_of_the_role() {
        let role_tags = BTreeMap::from([
            (tags::MANAGED.to_owned(), "true".to_owned()),
            (tags::STACK_ID.to_owned(), "stack".to_owned()),
            (tags::LOGICAL_ID.to_owned(), "Role".to_owned()),
            ("team".to_owned(), "x".to_owned()),
        ]);
        let mut p = policy(&["v1"], "v1");
        assert!(!is_rolegates_policy(&p, &role_tags));
        p.tags = managed_policy_tags(&role_tags);
        assert_eq!(p.tags.len(), 3, "only the ownership tags are carried");
        assert!(is_rolegates_policy(&p, &role_tags));
        p.tags
            .insert(tags::LOGICAL_ID.to_owned(), "Other".to_owned());
        assert!(!is_rolegates_policy(&p, &role_tags));
        assert!(!is_rolegates_policy(
            &policy(&["v1"], "v1"),
            &BTreeMap::new()
        ));
    }
}
