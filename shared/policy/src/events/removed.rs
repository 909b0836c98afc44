//! `Integration Role Removed`: the provisioner puts one on the vendor's bus
//! (`NotifyEventBusArn`) after a Delete removed a role that `Integration
//! Role Ready` announced, so the vendor is not left validating, and listing
//! as failing, a role that no longer exists (issue 19; the dead record of
//! DataDog/datadog-cloudformation-resources#348). The detail is
//! [`IntegrationRoleRemoved`], written by serializing it and read with
//! [`IntegrationRoleRemoved::from_detail`], whose errors name the field.
//!
//! It carries Ready's binding fields (the role, its name, account, region
//! and the vendor's tenant) and nothing secret: no ExternalId. As with
//! Ready, who sent it is the envelope's `account`; the validator removes a
//! record only for the account that sent the event and owns the role.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::arn::Arn;
use crate::spec::{IntegrationSpec, check_vendor_tenant_id};

use super::ready::ReadyError;

/// The detail-type of `Integration Role Removed`; its source is the
/// provisioner's, [`super::READY_SOURCE`].
pub const REMOVED_DETAIL_TYPE: &str = "Integration Role Removed";

/// The bus `Integration Role Removed` goes to when `spec`'s role is
/// deleted: the one its Ready went to ([`super::ready::ready_bus`]). None
/// while the vendor trust is pending: such a role was never announced.
/// A replacement's old role is announced removed too, when CloudFormation
/// cleans it up: the vendor's registry keys each integration by its role
/// ARN, and the new role's Ready registered a new ARN beside the old one,
/// which would otherwise stay, failing every cycle.
pub fn removed_bus(spec: &IntegrationSpec) -> Option<&Arn> {
    super::ready::ready_bus(spec)
}

/// The detail of `Integration Role Removed`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IntegrationRoleRemoved {
    pub role_arn: String,
    pub role_name: String,
    /// The role's account, as the sender states it.
    pub account: String,
    pub region: String,
    /// Left out of the JSON when the spec has none, as in Ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_tenant_id: Option<String>,
}

impl fmt::Debug for IntegrationRoleRemoved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntegrationRoleRemoved")
            .field("role_arn", &self.role_arn)
            .field("role_name", &self.role_name)
            .field("account", &self.account)
            .field("region", &self.region)
            .field("vendor_tenant_id", &self.vendor_tenant_id)
            .finish()
    }
}

/// The fields every detail must hold, each a non-empty string.
const REQUIRED: [&str; 4] = ["RoleArn", "RoleName", "Account", "Region"];

impl IntegrationRoleRemoved {
    /// The detail as the provisioner puts it on the bus.
    pub fn to_detail(&self) -> Value {
        // Serializing a struct of strings cannot fail.
        json!(self)
    }

    /// Reads a detail, naming the first field that is missing or of the
    /// wrong type (Ready's errors and codes). Unknown fields are ignored.
    pub fn from_detail(detail: &Value) -> Result<Self, ReadyError> {
        let Some(object) = detail.as_object() else {
            return Err(ReadyError::NotAnObject);
        };
        let text = |field: &str, value: &Value| match value {
            Value::String(s) if !s.trim().is_empty() => Ok(()),
            _ => Err(ReadyError::WrongType {
                field: field.to_owned(),
                expected: "a non-empty string",
            }),
        };
        for field in REQUIRED {
            match object.get(field).filter(|v| !v.is_null()) {
                None => {
                    return Err(ReadyError::Missing {
                        field: field.to_owned(),
                    });
                }
                Some(v) => text(field, v)?,
            }
        }
        match object.get("VendorTenantId").filter(|v| !v.is_null()) {
            None => {}
            Some(Value::String(tenant)) if !tenant.is_empty() => {
                check_vendor_tenant_id(tenant, "detail.VendorTenantId")
                    .map_err(ReadyError::Rule)?;
            }
            Some(v) => text("VendorTenantId", v)?,
        }
        serde_json::from_value(detail.clone()).map_err(|e| ReadyError::Malformed {
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IntegrationRoleRemoved {
        IntegrationRoleRemoved {
            role_arn: "arn:aws:iam::123456789012:role/integrations/atmosphere-s3".into(),
            role_name: "atmosphere-s3".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            vendor_tenant_id: Some("tenant-42".into()),
        }
    }

    #[test]
    fn what_the_writer_writes_the_reader_reads_with_or_without_a_tenant() {
        let removed = sample();
        assert_eq!(
            IntegrationRoleRemoved::from_detail(&removed.to_detail()),
            Ok(removed.clone())
        );
        let without = IntegrationRoleRemoved {
            vendor_tenant_id: None,
            ..removed
        };
        let detail = without.to_detail();
        assert!(detail.get("VendorTenantId").is_none(), "{detail}");
        assert_eq!(IntegrationRoleRemoved::from_detail(&detail), Ok(without));
    }

    #[test]
    fn a_bad_detail_is_refused_naming_the_field() {
        let with = |key: &str, value: Value| {
            let mut d = sample().to_detail();
            if let Some(o) = d.as_object_mut() {
                o.insert(key.to_owned(), value);
            }
            d
        };
        let cases = [
            (json!("x"), "detail: must be an object"),
            (with("RoleArn", Value::Null), "detail.RoleArn: is required"),
            (
                with("Account", json!(12)),
                "detail.Account: must be a non-empty string",
            ),
            (
                with("VendorTenantId", json!("")),
                "detail.VendorTenantId: must be a non-empty string",
            ),
            (
                with("VendorTenantId", json!("acme corp")),
                "detail.VendorTenantId: \"acme corp\" must not contain whitespace",
            ),
        ];
        for (detail, expected) in cases {
            let got = IntegrationRoleRemoved::from_detail(&detail).map_err(|e| e.to_string());
            assert!(
                got.as_ref().is_err_and(|e| e.starts_with(expected)),
                "{detail}: {got:?}"
            );
        }
    }

    #[test]
    fn no_external_id_is_ever_written() {
        let detail = sample().to_detail();
        assert!(detail.get("ExternalId").is_none(), "{detail}");
    }
}
