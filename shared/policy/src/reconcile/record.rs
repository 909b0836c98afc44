//! The durable record of a provisioned role: what the guard restores from.
//!
//! It keeps the spec as CloudFormation passed it (with the ExternalId filled
//! in when the provisioner generated one), so restoring re-runs exactly the
//! pipeline that created the role.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::quarantine::Quarantine;

/// Prefix of every stored record's SSM parameter name.
pub const RECORD_PREFIX: &str = "/rolegate/roles/";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RoleRecord {
    pub stack_id: String,
    pub logical_resource_id: String,
    pub role_arn: String,
    pub role_name: String,
    /// [`crate::DesiredRole::digest`] of the role before ownership tags.
    pub policy_digest: String,
    /// The `Custom::IntegrationRole` properties, ExternalId included.
    pub properties: Value,
    /// Set while the guard holds the role's access revoked, and until the
    /// sessions issued before the revocation have expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<Quarantine>,
}

impl RoleRecord {
    /// The ExternalId the role was provisioned with, if it has one.
    pub fn external_id(&self) -> Option<&str> {
        self.properties.get("ExternalId").and_then(Value::as_str)
    }
}

/// The SSM parameter name for a role. IAM role names may hold `+=,@`, which
/// SSM names may not, so those (and `_`, the escape) become `_XX` hex.
pub fn record_parameter_name(role_name: &str) -> String {
    escaped_parameter_name(RECORD_PREFIX, role_name)
}

/// `prefix` + `name`, with every character SSM parameter names refuse
/// (and `_`, the escape) written as `_XX` hex.
pub fn escaped_parameter_name(prefix: &str, name_part: &str) -> String {
    let mut name = String::from(prefix);
    for c in name_part.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            name.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                name.push_str(&format!("_{b:02X}"));
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_escape_characters_ssm_refuses() {
        assert_eq!(
            record_parameter_name("vendor+x=y,z@w_v.1-2"),
            "/rolegate/roles/vendor_2Bx_3Dy_2Cz_40w_5Fv.1-2"
        );
    }

    #[test]
    fn distinct_role_names_get_distinct_parameter_names() {
        assert_ne!(record_parameter_name("a_2B"), record_parameter_name("a+"));
    }
}
