//! live role × desired role → the operations that close the gap.
//!
//! Documents are compared in canonical form, so IAM's own rewriting of a
//! stored policy is not a difference and an unchanged spec yields no calls.

use std::collections::BTreeMap;

use super::LiveRole;
use super::instance_profile::profile_changes;
use super::managed_policies::{policy_changes, waits_in_plan};
use super::plan::{Operation, Plan};
use crate::build::DesiredRole;
use crate::document::PolicyDocument;

/// Tags under this prefix belong to AWS and cannot be changed.
const AWS_TAG_PREFIX: &str = "aws:";

/// Everything that differs between a live role and its desired state. Every
/// operation here is independent of the others, but for filling an instance
/// profile this diff creates ([`RoleDiff::into_plan`] orders the two).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleDiff {
    pub operations: Vec<Operation>,
}

impl RoleDiff {
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// One concurrent stage, or no stage at all when nothing differs. The
    /// one exception: the role goes into an instance profile made in the
    /// same plan only in a second stage, once the profile exists.
    pub fn into_plan(self, role_name: &str) -> Plan {
        let created: Vec<String> = self
            .operations
            .iter()
            .filter_map(|op| match op {
                Operation::CreateInstanceProfile { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        // So do a managed policy's attach, new version and deletion after
        // what the same plan does to it first (`waits_in_plan`).
        let mut policy_waits: Vec<bool> = self
            .operations
            .iter()
            .map(|op| waits_in_plan(op, &self.operations))
            .collect();
        policy_waits.reverse();
        let (later, first): (Vec<Operation>, Vec<Operation>) =
            self.operations.into_iter().partition(|op| {
                policy_waits.pop().unwrap_or(false)
                    || matches!(op, Operation::AddRoleToInstanceProfile { instance_profile }
                    if created.contains(instance_profile))
            });
        let stages = [first, later]
            .into_iter()
            .filter(|stage| !stage.is_empty())
            .collect();
        Plan {
            role_name: role_name.to_owned(),
            stages,
        }
    }
}

/// What must change on `live` to match `desired`. Name and path are not
/// compared: they cannot change in place, which the caller decides.
pub fn diff(live: &LiveRole, desired: &DesiredRole) -> RoleDiff {
    let mut ops = Vec::new();

    if !same_document(live.trust_policy.as_ref(), &desired.trust_policy) {
        ops.push(Operation::UpdateAssumeRolePolicy {
            document: desired.trust_policy.clone(),
        });
    }

    let live_description = live.description.as_deref().unwrap_or("");
    let desired_description = desired.description.as_deref().unwrap_or("");
    if live_description != desired_description
        || live.max_session_duration != desired.max_session_duration
    {
        ops.push(Operation::UpdateRole {
            description: desired_description.to_owned(),
            max_session_duration: desired.max_session_duration,
        });
    }

    match (
        &live.permissions_boundary_arn,
        &desired.permissions_boundary_arn,
    ) {
        (live_arn, Some(arn)) if live_arn.as_ref() != Some(arn) => {
            ops.push(Operation::PutRolePermissionsBoundary { arn: arn.clone() });
        }
        (Some(_), None) => ops.push(Operation::DeleteRolePermissionsBoundary),
        _ => {}
    }

    for (name, document) in &desired.inline_policies {
        let live_doc = live.inline_policies.get(name).and_then(Option::as_ref);
        if live_doc.is_none() || !same_document(live_doc, document) {
            ops.push(Operation::PutRolePolicy {
                name: name.clone(),
                document: document.clone(),
            });
        }
    }
    for name in live.inline_policies.keys() {
        if !desired.inline_policies.contains_key(name) {
            ops.push(Operation::DeleteRolePolicy { name: name.clone() });
        }
    }
    // A managed policy on an integration role is drift, but for the
    // role's own (what overflowed the inline quota), which is restored.
    ops.extend(policy_changes(live, desired));
    // So is any instance profile but the role's own (for a role EC2
    // assumes), which is put back if missing.
    ops.extend(profile_changes(live, desired));

    ops.extend(tag_changes(&live.tags, &desired.tags));
    RoleDiff { operations: ops }
}

fn same_document(live: Option<&PolicyDocument>, desired: &PolicyDocument) -> bool {
    live.is_some_and(|doc| doc.equivalent(desired))
}

fn tag_changes(
    live: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Vec<Operation> {
    let mut ops = Vec::new();
    let set: BTreeMap<String, String> = desired
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !set.is_empty() {
        ops.push(Operation::TagRole { tags: set });
    }
    let unset: Vec<String> = live
        .keys()
        .filter(|k| !desired.contains_key(*k) && !k.starts_with(AWS_TAG_PREFIX))
        .cloned()
        .collect();
    if !unset.is_empty() {
        ops.push(Operation::UntagRole { keys: unset });
    }
    ops
}
