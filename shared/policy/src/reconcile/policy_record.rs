//! The sealed record of a `Custom::IntegrationPolicy`, one SSM parameter
//! per (role, policy) under [`POLICY_RECORD_PREFIX`]: what the guard
//! restores the policy from, and what tells it the policy is Rolegate's.
//!
//! Sealed like a role record ([`super::seal`]): stored as a
//! [`SealedRecord`] whose MAC covers [`policy_mac_message`], which has its
//! own context string and names the policy as well as the role, so a role
//! record's seal never passes for a policy record's (nor one policy's for
//! another's). The customer's role carries no Rolegate tag, so there is no
//! digest tag to compare: the seal, the role ARN and the policy name
//! decide ([`trust_policy_record`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::integration_policy::{DesiredPolicy, IntegrationPolicyError, spec_to_policy};
use super::record::escaped_parameter_name;
use super::seal::{SealedRecord, StoredValue, Untrusted};
use crate::canonical::sha256_hex;
use crate::spec::IntegrationPolicySpec;

/// Prefix of every integration policy record's SSM parameter name.
pub const POLICY_RECORD_PREFIX: &str = "/rolegate/policies/";
/// Domain separation from role records ([`super::seal::MAC_CONTEXT`]).
pub const POLICY_MAC_CONTEXT: &str = "rolegate-policy-record-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PolicyRecord {
    pub stack_id: String,
    pub logical_resource_id: String,
    pub role_arn: String,
    pub role_name: String,
    pub policy_name: String,
    /// [`super::policy_digest`] of the policy written.
    pub policy_digest: String,
    /// The `Custom::IntegrationPolicy` properties as CloudFormation sent them.
    pub properties: Value,
}

impl PolicyRecord {
    /// Re-runs the provisioner's pipeline ([`spec_to_policy`]) on the
    /// stored properties: the policy the guard restores.
    pub fn desired_policy(&self) -> Result<DesiredPolicy, IntegrationPolicyError> {
        let ctx = super::context_of_stack(&self.stack_id)?;
        let spec = IntegrationPolicySpec::from_properties(&self.properties)?;
        spec_to_policy(&spec, &ctx, &self.logical_resource_id)
    }

    /// The body to seal.
    pub fn body(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// `/rolegate/policies/<role name>/<policy name>`, escaped as one SSM
/// name component (so `/` between them is `_2F`, and no two pairs meet).
pub fn policy_record_parameter_name(role_name: &str, policy_name: &str) -> String {
    escaped_parameter_name(POLICY_RECORD_PREFIX, &format!("{role_name}/{policy_name}"))
}

/// `POLICY_MAC_CONTEXT \n role ARN \n policy name \n sha256(body)`.
pub fn policy_mac_message(role_arn: &str, policy_name: &str, body: &str) -> Vec<u8> {
    format!(
        "{POLICY_MAC_CONTEXT}\n{role_arn}\n{policy_name}\n{}",
        sha256_hex(body.as_bytes())
    )
    .into_bytes()
}

/// The record inside a sealed value, believed or not.
pub fn sealed_policy_record(sealed: &SealedRecord) -> Result<PolicyRecord, Untrusted> {
    serde_json::from_str(&sealed.body).map_err(|e| Untrusted::Unreadable {
        reason: format!("Body: {e}"),
    })
}

/// What the MAC of a sealed policy record covers.
pub fn sealed_policy_message(sealed: &SealedRecord) -> Result<Vec<u8>, Untrusted> {
    let record = sealed_policy_record(sealed)?;
    Ok(policy_mac_message(
        &record.role_arn,
        &record.policy_name,
        &sealed.body,
    ))
}

/// The record the guard may act on: sealed, verified by KMS
/// (`seal_verified`), for exactly this role and this policy name.
pub fn trust_policy_record(
    stored: &StoredValue,
    seal_verified: bool,
    live_arn: &str,
    policy_name: &str,
) -> Result<PolicyRecord, Untrusted> {
    let sealed = match stored {
        StoredValue::Sealed(sealed) => sealed,
        StoredValue::Unsealed(_) => return Err(Untrusted::Unsealed),
        StoredValue::Unreadable(reason) => {
            return Err(Untrusted::Unreadable {
                reason: reason.clone(),
            });
        }
    };
    let record = sealed_policy_record(sealed)?;
    if !seal_verified {
        return Err(Untrusted::BadSeal);
    }
    if record.role_arn != live_arn || record.policy_name != policy_name {
        return Err(Untrusted::WrongRole {
            record_arn: format!("{}#{}", record.role_arn, record.policy_name),
            live_arn: format!("{live_arn}#{policy_name}"),
        });
    }
    Ok(record)
}

/// The untrusted record in a stored value, for bookkeeping only (a
/// Delete finding whose record it is; a create seeing its own earlier
/// delivery), never for what a policy allows.
pub fn untrusted_policy_record(stored: &StoredValue) -> Option<PolicyRecord> {
    match stored {
        StoredValue::Sealed(sealed) => sealed_policy_record(sealed).ok(),
        _ => None,
    }
}
