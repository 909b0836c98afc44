//! The reconcile engine's pure half: live role + desired role → a plan of
//! IAM operations.
//!
//! The provisioner (create, update, delete) and the guard (restore) both use
//! it, so the IAM choreography exists once. It also holds the one pipeline
//! from spec to role, [`spec_to_role`]: parse ([`crate::spec`]), fill (the
//! deployment's rules, then [`Filled`]), then [`desired_role`] (build,
//! prove, tag for the owner). Reading live state and applying a plan are
//! I/O and live in `rolegate-aws`; every decision is here.

mod carried;
mod desired;
mod diff;
mod fill;
mod instance_profile;
mod integration_policy;
mod managed_policies;
mod ownership;
mod pipeline;
mod plan;
mod policy_record;
pub mod quarantine;
mod record;
pub mod seal;

pub use carried::Carried;
pub use desired::{DesiredError, context_of_stack, desired_role, summarize};
pub use diff::{RoleDiff, diff};
pub use fill::{Filled, fill_external_id, stored_properties};
pub use instance_profile::{
    InstanceProfileTaken, LiveInstanceProfile, check_instance_profile, instance_profile_tags,
    is_rolegates_profile,
};
pub use integration_policy::{
    DesiredPolicy, IntegrationPolicyError, LivePolicy, PolicyDrift, check_existing_role,
    check_target, parse_policy_physical_id, policy_delete_plan, policy_digest, policy_physical_id,
    policy_plan, policy_remediation, spec_to_policy,
};
pub use managed_policies::{
    LiveManagedPolicy, MAX_POLICY_VERSIONS, is_rolegates_policy, managed_policy_tags,
};
pub use ownership::{Owner, is_managed, with_ownership};
pub use pipeline::{DesiredState, PipelineError, PipelineOutput, spec_to_role};
pub use plan::{Operation, Plan, plan_create, plan_delete};
pub use policy_record::{
    POLICY_MAC_CONTEXT, POLICY_RECORD_PREFIX, PolicyRecord, policy_mac_message,
    policy_record_parameter_name, sealed_policy_message, sealed_policy_record, trust_policy_record,
    untrusted_policy_record,
};
pub use quarantine::{Quarantine, effective_quarantine, quarantine_plan, with_quarantine};
pub use record::{RECORD_PREFIX, RoleRecord, escaped_parameter_name, record_parameter_name};
pub use seal::{SealedRecord, StoredValue, Untrusted, mac_message, trust};

use std::collections::BTreeMap;

use crate::build::DesiredRole;
use crate::document::{ConditionValue, PolicyDocument};
use crate::time::Timestamp;

/// A role as IAM holds it now, as far as Rolegate manages it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRole {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub description: Option<String>,
    /// `None` when IAM holds a document this crate cannot parse; that always
    /// differs from the desired one, so the restore overwrites it.
    pub trust_policy: Option<PolicyDocument>,
    pub max_session_duration: u32,
    pub permissions_boundary_arn: Option<String>,
    /// Inline policies by name; `None` values as for `trust_policy`.
    pub inline_policies: BTreeMap<String, Option<PolicyDocument>>,
    /// ARNs of attached managed policies. Rolegate never attaches any.
    pub attached_policy_arns: Vec<String>,
    /// Customer managed policies named as the role's own
    /// (`<role>-rolegate-<n>`, at its path), attached or not, by suffix:
    /// Rolegate's when tagged so, desired state while the spec overflows
    /// IAM's inline quota ([`managed_policies`]).
    pub managed_policies: BTreeMap<String, LiveManagedPolicy>,
    /// The instance profiles holding the role, and the one bearing its
    /// name whether or not it holds it: for a role EC2 assumes, Rolegate's
    /// own is desired state; any other is drift ([`instance_profile`]).
    pub instance_profiles: Vec<LiveInstanceProfile>,
    pub tags: BTreeMap<String, String>,
    pub created: Option<Timestamp>,
    /// IAM's `RoleLastUsed`: the last time anyone assumed the role, if IAM
    /// has seen it (IAM tracks about the last 400 days).
    pub last_used: Option<Timestamp>,
}

impl LiveRole {
    /// The role exactly as IAM holds it right after `desired` was created:
    /// what a diff against `desired` finds nothing in.
    pub fn as_created(name: &str, arn: &str, desired: &DesiredRole) -> LiveRole {
        LiveRole {
            name: name.to_owned(),
            arn: arn.to_owned(),
            path: desired.path.clone(),
            description: desired.description.clone(),
            trust_policy: Some(desired.trust_policy.clone()),
            max_session_duration: desired.max_session_duration,
            permissions_boundary_arn: desired.permissions_boundary_arn.clone(),
            inline_policies: desired
                .inline_policies
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect(),
            attached_policy_arns: desired
                .managed_policies
                .keys()
                .map(|suffix| desired.managed_policy_arn(name, suffix))
                .collect(),
            managed_policies: desired
                .managed_policies
                .iter()
                .map(|(suffix, doc)| {
                    let policy = LiveManagedPolicy {
                        name: crate::build::managed::policy_name(name, suffix),
                        arn: desired.managed_policy_arn(name, suffix),
                        document: Some(doc.clone()),
                        default_version: "v1".to_owned(),
                        versions: vec!["v1".to_owned()],
                        tags: managed_policy_tags(&desired.tags),
                    };
                    (suffix.clone(), policy)
                })
                .collect(),
            instance_profiles: desired
                .instance_profile
                .then(|| LiveInstanceProfile {
                    name: name.to_owned(),
                    path: desired.path.clone(),
                    tags: instance_profile_tags(&desired.tags),
                    holds_role: true,
                })
                .into_iter()
                .collect(),
            tags: desired.tags.clone(),
            created: None,
            last_used: None,
        }
    }

    /// The names of the instance profiles that hold the role.
    pub fn instance_profile_names(&self) -> Vec<String> {
        self.instance_profiles
            .iter()
            .filter(|p| p.holds_role)
            .map(|p| p.name.clone())
            .collect()
    }
}

/// The `sts:ExternalId` a trust policy demands, if any: how an update keeps
/// a generated ExternalId when its stored record is gone.
pub fn external_id_of(trust: &PolicyDocument) -> Option<String> {
    trust.statements().iter().find_map(|s| {
        let block = s.condition.as_ref()?;
        let keys = block.get("StringEquals")?;
        let (_, values) = keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("sts:ExternalId"))?;
        match values.iter().next()? {
            ConditionValue::String(v) => Some(v.clone()),
            _ => None,
        }
    })
}
