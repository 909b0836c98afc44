//! The `Custom::IntegrationPolicy` spec: one Rolegate-owned inline policy
//! on a role the customer already has (issue 17, item 2).
//!
//! Its access is written in the grant grammar of `Custom::IntegrationRole`
//! (`Grants`, `OutboundAssumeRoleArns`, `Conditions`), read by the same
//! readers (`parse/policy.rs` hands those properties to
//! [`IntegrationSpec::from_properties`] as a *carrier* spec whose name and
//! trust are placeholders), so the two resource types can never read a
//! grant differently. The pipeline that turns it into one proven document
//! is `reconcile::spec_to_policy`.

use serde_json::Value;

use super::{IntegrationSpec, RemediationMode, SpecError, parse};
use crate::arn::Arn;
use crate::build::POLICY_NAME_PREFIX;

/// Every integration policy's name starts with this: the customer's own
/// inline policies cannot collide with one unless they use the prefix
/// Rolegate reserves.
pub const INTEGRATION_POLICY_NAME_PREFIX: &str = POLICY_NAME_PREFIX;
/// IAM's longest inline policy name.
pub const POLICY_NAME_MAX: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationPolicySpec {
    /// The existing role that receives the policy.
    pub role_arn: Arn,
    /// `PolicyName`; `None` derives one from the logical id
    /// ([`IntegrationPolicySpec::policy_name`]).
    pub policy_name: Option<String>,
    /// `restore` or `report`; `None` is restore. A quarantine revokes a
    /// Rolegate role's access, and Rolegate owns nothing else of this role.
    pub remediation: Option<RemediationMode>,
    /// The access, read by `Custom::IntegrationRole`'s readers: its
    /// grants, guardrails and outbound roles are the policy's; its name
    /// and trust are placeholders nobody writes.
    pub access: IntegrationSpec,
}

impl IntegrationPolicySpec {
    /// Parses the `ResourceProperties` of a `Custom::IntegrationPolicy`.
    pub fn from_properties(value: &Value) -> Result<Self, SpecError> {
        parse::policy::integration_policy(value)
    }

    /// The role's name, from [`Self::role_arn`].
    pub fn role_name(&self) -> &str {
        self.role_arn
            .iam_role_path_and_name()
            .map(|(_, name)| name)
            .unwrap_or_default()
    }

    /// `PolicyName`, or `rolegate-<logical id>` cut to IAM's 128
    /// characters (a logical id is ASCII letters and digits).
    pub fn policy_name(&self, logical_id: &str) -> String {
        match &self.policy_name {
            Some(name) => name.clone(),
            None => {
                let mut name = format!("{INTEGRATION_POLICY_NAME_PREFIX}{logical_id}");
                name.truncate(POLICY_NAME_MAX);
                name
            }
        }
    }
}

/// Whether `name` is one an integration policy may have: IAM's policy name
/// characters (`[A-Za-z0-9+=,.@_-]`, 1 to 128) and the reserved prefix.
pub fn check_policy_name(name: &str, field: &str) -> Result<(), SpecError> {
    let refuse = |reason: &'static str| SpecError::InvalidPattern {
        field: field.to_owned(),
        value: name.chars().take(POLICY_NAME_MAX + 8).collect(),
        reason,
    };
    if name.is_empty() {
        return Err(SpecError::Empty {
            field: field.to_owned(),
            rule: "an inline policy name has 1 to 128 characters",
        });
    }
    if name.chars().count() > POLICY_NAME_MAX {
        return Err(refuse(
            "is longer than IAM's 128 characters for a policy name",
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    {
        return Err(refuse(
            "holds a character IAM refuses in a policy name (letters, digits and +=,.@_- only)",
        ));
    }
    if !name.starts_with(INTEGRATION_POLICY_NAME_PREFIX) {
        return Err(refuse(
            "must start with rolegate-, the prefix Rolegate reserves, so it can never be one of the customer's own policies",
        ));
    }
    Ok(())
}
