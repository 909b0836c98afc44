//! A secret-free summary of a live role, for before/after in guard events.
//! It names principals and policies but never holds a document: trust
//! policies carry the ExternalId.

use serde::{Deserialize, Serialize};

use crate::reconcile::{LiveRole, external_id_of, quarantine};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleSummary {
    pub role_arn: String,
    /// `AWS` / `Service` principals the trust policy names.
    pub trusted_principals: Vec<String>,
    /// Whether the trust policy demands an `sts:ExternalId` (never its value).
    pub external_id_required: bool,
    pub max_session_duration: u32,
    pub permissions_boundary: Option<String>,
    pub inline_policies: Vec<String>,
    pub managed_policies: Vec<String>,
    pub instance_profiles: Vec<String>,
    pub quarantined: bool,
}

impl RoleSummary {
    pub fn of(live: &LiveRole) -> RoleSummary {
        let trust = live.trust_policy.as_ref();
        let mut principals: Vec<String> = trust
            .into_iter()
            .flat_map(|t| t.statements())
            .filter_map(|s| s.principal.as_ref())
            .flat_map(|p| p.value().entries().map(|(_, v)| v.to_owned()))
            .collect();
        principals.sort();
        principals.dedup();
        RoleSummary {
            role_arn: live.arn.clone(),
            trusted_principals: principals,
            external_id_required: trust.and_then(external_id_of).is_some(),
            max_session_duration: live.max_session_duration,
            permissions_boundary: live.permissions_boundary_arn.clone(),
            inline_policies: live.inline_policies.keys().cloned().collect(),
            managed_policies: live.attached_policy_arns.clone(),
            instance_profiles: live.instance_profile_names(),
            quarantined: live
                .inline_policies
                .contains_key(quarantine::DENY_ALL_POLICY),
        }
    }
}
