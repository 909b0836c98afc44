//! Plans: IAM operations in stages. Operations within a stage are
//! independent and may run concurrently; stages run in order.

use std::collections::BTreeMap;
use std::fmt;

use super::LiveRole;
use super::instance_profile::{profile_create, profile_removals};
use super::managed_policies::{policy_create, policy_removals};
use crate::build::DesiredRole;
use crate::document::PolicyDocument;

/// One IAM write call on the plan's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// CreateRole with trust, path, boundary, session length, description
    /// and tags in one call.
    CreateRole(Box<DesiredRole>),
    PutRolePolicy {
        name: String,
        document: PolicyDocument,
    },
    DeleteRolePolicy {
        name: String,
    },
    UpdateAssumeRolePolicy {
        document: PolicyDocument,
    },
    /// Sets description and maximum session length together, as IAM's
    /// UpdateRole does; an empty description clears it.
    UpdateRole {
        description: String,
        max_session_duration: u32,
    },
    PutRolePermissionsBoundary {
        arn: String,
    },
    DeleteRolePermissionsBoundary,
    TagRole {
        tags: BTreeMap<String, String>,
    },
    UntagRole {
        keys: Vec<String>,
    },
    DetachRolePolicy {
        arn: String,
    },
    RemoveRoleFromInstanceProfile {
        instance_profile: String,
    },
    /// The role's own instance profile, tagged as Rolegate's: only for a
    /// role EC2 assumes ([`super::instance_profile`]).
    CreateInstanceProfile {
        name: String,
        path: String,
        tags: BTreeMap<String, String>,
    },
    AddRoleToInstanceProfile {
        instance_profile: String,
    },
    /// Only Rolegate's own profile, emptied in an earlier stage.
    DeleteInstanceProfile {
        instance_profile: String,
    },
    /// One of the role's own managed policies (what overflowed the inline
    /// quota), tagged as Rolegate's, at `path` ([`super::managed_policies`]).
    /// `arn` is where IAM will put it, for the attach that follows.
    /// (The document boxed: the variant stays the size of the others.)
    CreatePolicy {
        name: String,
        path: String,
        arn: String,
        document: Box<PolicyDocument>,
        tags: BTreeMap<String, String>,
    },
    /// A new default version of one of the role's own managed policies.
    CreatePolicyVersion {
        arn: String,
        document: PolicyDocument,
    },
    /// A non-default version: room for a new one (IAM keeps five), or
    /// emptying a policy before DeletePolicy.
    DeletePolicyVersion {
        arn: String,
        version_id: String,
    },
    /// Only one of the role's own managed policies.
    AttachRolePolicy {
        arn: String,
    },
    /// Only one of the role's own, detached and emptied in an earlier stage.
    DeletePolicy {
        arn: String,
    },
    DeleteRole,
}

impl Operation {
    /// The IAM API action this operation calls.
    pub fn api_name(&self) -> &'static str {
        match self {
            Operation::CreateRole(_) => "CreateRole",
            Operation::PutRolePolicy { .. } => "PutRolePolicy",
            Operation::DeleteRolePolicy { .. } => "DeleteRolePolicy",
            Operation::UpdateAssumeRolePolicy { .. } => "UpdateAssumeRolePolicy",
            Operation::UpdateRole { .. } => "UpdateRole",
            Operation::PutRolePermissionsBoundary { .. } => "PutRolePermissionsBoundary",
            Operation::DeleteRolePermissionsBoundary => "DeleteRolePermissionsBoundary",
            Operation::TagRole { .. } => "TagRole",
            Operation::UntagRole { .. } => "UntagRole",
            Operation::DetachRolePolicy { .. } => "DetachRolePolicy",
            Operation::RemoveRoleFromInstanceProfile { .. } => "RemoveRoleFromInstanceProfile",
            Operation::CreateInstanceProfile { .. } => "CreateInstanceProfile",
            Operation::AddRoleToInstanceProfile { .. } => "AddRoleToInstanceProfile",
            Operation::DeleteInstanceProfile { .. } => "DeleteInstanceProfile",
            Operation::CreatePolicy { .. } => "CreatePolicy",
            Operation::CreatePolicyVersion { .. } => "CreatePolicyVersion",
            Operation::DeletePolicyVersion { .. } => "DeletePolicyVersion",
            Operation::AttachRolePolicy { .. } => "AttachRolePolicy",
            Operation::DeletePolicy { .. } => "DeletePolicy",
            Operation::DeleteRole => "DeleteRole",
        }
    }
}

/// Short, secret-free description for logs and drift reports.
impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::PutRolePolicy { name, .. } | Operation::DeleteRolePolicy { name } => {
                write!(f, "{} {name}", self.api_name())
            }
            Operation::PutRolePermissionsBoundary { arn }
            | Operation::DetachRolePolicy { arn }
            | Operation::AttachRolePolicy { arn }
            | Operation::CreatePolicy { arn, .. }
            | Operation::CreatePolicyVersion { arn, .. }
            | Operation::DeletePolicy { arn } => write!(f, "{} {arn}", self.api_name()),
            Operation::DeletePolicyVersion { arn, version_id } => {
                write!(f, "DeletePolicyVersion {arn} {version_id}")
            }
            Operation::TagRole { tags } => {
                let keys: Vec<&str> = tags.keys().map(String::as_str).collect();
                write!(f, "TagRole {}", keys.join(","))
            }
            Operation::UntagRole { keys } => write!(f, "UntagRole {}", keys.join(",")),
            Operation::RemoveRoleFromInstanceProfile { instance_profile }
            | Operation::AddRoleToInstanceProfile { instance_profile }
            | Operation::DeleteInstanceProfile { instance_profile }
            | Operation::CreateInstanceProfile {
                name: instance_profile,
                ..
            } => write!(f, "{} {instance_profile}", self.api_name()),
            _ => f.write_str(self.api_name()),
        }
    }
}

/// The operations that take one role from its live state to the desired one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub role_name: String,
    pub stages: Vec<Vec<Operation>>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.stages.iter().all(Vec::is_empty)
    }

    /// IAM write calls the plan makes.
    pub fn write_calls(&self) -> usize {
        self.stages.iter().map(Vec::len).sum()
    }

    /// Sequential depth: how many rounds of calls, given that each stage's
    /// operations run concurrently.
    pub fn depth(&self) -> usize {
        self.stages.iter().filter(|s| !s.is_empty()).count()
    }

    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.stages.iter().flatten()
    }
}

/// Creating a role: CreateRole carries everything but the inline policies,
/// which follow in one concurrent stage. Depth 2; 3 for a role EC2 assumes,
/// whose instance profile is made beside the policies and given the role
/// after ([`super::instance_profile`]); 3 too for a role whose policies
/// overflow into managed ones, made beside the inline policies and
/// attached after ([`super::managed_policies`]).
pub fn plan_create(role_name: &str, desired: &DesiredRole) -> Plan {
    let mut policies: Vec<Operation> = desired
        .inline_policies
        .iter()
        .map(|(name, document)| Operation::PutRolePolicy {
            name: name.clone(),
            document: document.clone(),
        })
        .collect();
    let mut stages = vec![vec![Operation::CreateRole(Box::new(desired.clone()))]];
    let (creates, mut last) = policy_create(role_name, desired);
    policies.extend(creates);
    if let Some([create, add]) = profile_create(role_name, desired) {
        policies.push(create);
        last.push(add);
    }
    stages.push(policies);
    if !last.is_empty() {
        stages.push(last);
    }
    Plan {
        role_name: role_name.to_owned(),
        stages,
    }
}

/// Deleting a role: IAM refuses DeleteRole while the role has inline or
/// attached policies or sits in an instance profile, so those go first;
/// Rolegate's own (emptied) instance profile and managed policies are
/// deleted beside DeleteRole.
pub fn plan_delete(live: &LiveRole) -> Plan {
    let mut detach: Vec<Operation> = live
        .inline_policies
        .keys()
        .map(|name| Operation::DeleteRolePolicy { name: name.clone() })
        .collect();
    detach.extend(
        live.attached_policy_arns
            .iter()
            .map(|arn| Operation::DetachRolePolicy { arn: arn.clone() }),
    );
    let (empty, mut delete) = profile_removals(live);
    detach.extend(empty);
    // Rolegate's own managed policies: emptied of old versions beside the
    // detaches, deleted beside DeleteRole.
    let (versions, policies) = policy_removals(live);
    detach.extend(versions);
    delete.extend(policies);
    delete.push(Operation::DeleteRole);
    Plan {
        role_name: live.name.clone(),
        stages: vec![detach, delete],
    }
}
