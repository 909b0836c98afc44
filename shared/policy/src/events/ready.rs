//! `Integration Role Ready`: the provisioner puts one on the vendor's bus
//! (`NotifyEventBusArn`) after each successful Create and Update, except
//! while the vendor trust is pending ([`ready_bus`]). The
//! detail is [`IntegrationRoleReady`], written by serializing it
//! ([`IntegrationRoleReady::to_detail`]) and read with
//! [`IntegrationRoleReady::from_detail`], whose errors name the field.
//!
//! What the detail says is the sender's claim. Who sent it is the
//! envelope's `account`, which EventBridge sets and no sender can forge;
//! the validator binds every registration to it.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use thiserror::Error;

use crate::arn::Arn;
use crate::spec::{IntegrationSpec, SpecError, check_vendor_tenant_id};

/// The event source of `Integration Role Ready`.
pub const READY_SOURCE: &str = "rolegate.provisioner";
/// The detail-type of `Integration Role Ready`.
pub const READY_DETAIL_TYPE: &str = "Integration Role Ready";

/// The bus `Integration Role Ready` goes to once `spec`'s role is in
/// place: its `NotifyEventBusArn`, but none while its vendor trust is
/// pending (`Trust::Pending`). Ready says the vendor can assume the role
/// now, with the ExternalId it carries; a pending role admits nobody and
/// has no ExternalId, so the event would be false, and a validator would
/// judge a role nobody may assume. The customer hands the role ARN over by
/// hand (the vendor-first order asks for it before issuing anything), and
/// the Update that fills the trust in sends Ready.
pub fn ready_bus(spec: &IntegrationSpec) -> Option<&Arn> {
    spec.notify_event_bus_arn
        .as_ref()
        .filter(|_| !spec.trust.is_pending())
}

/// The detail of `Integration Role Ready`. Debug hides the ExternalId: it
/// is a shared secret and must never reach a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IntegrationRoleReady {
    pub role_arn: String,
    pub role_name: String,
    /// `None` for a role that trusts an AWS service (no ExternalId).
    pub external_id: Option<String>,
    /// The role's account, as the sender states it.
    pub account: String,
    pub region: String,
    /// The digest of the role's desired state.
    pub policy_digest: String,
    pub grants: Vec<ReadyGrant>,
    /// The spec's `VendorTenantId`, the vendor's reference for this
    /// customer. Left out of the JSON when the spec has none, so older
    /// readers see the detail they always saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_tenant_id: Option<String>,
}

/// One grant of the role, summarised: its service and what it is scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReadyGrant {
    pub service: String,
    pub resource: String,
}

impl fmt::Debug for IntegrationRoleReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntegrationRoleReady")
            .field("role_arn", &self.role_arn)
            .field("role_name", &self.role_name)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "[redacted]"),
            )
            .field("account", &self.account)
            .field("region", &self.region)
            .field("policy_digest", &self.policy_digest)
            .field("grants", &self.grants)
            .field("vendor_tenant_id", &self.vendor_tenant_id)
            .finish()
    }
}

/// Why an event detail is not an `Integration Role Ready` detail. Each
/// message names the field (`detail.RoleArn`) and the rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadyError {
    #[error(
        "detail: must be an object with RoleArn, RoleName, Account, Region, PolicyDigest and Grants"
    )]
    NotAnObject,
    #[error("detail.{field}: is required")]
    Missing { field: String },
    #[error("detail.{field}: must be {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    /// `VendorTenantId` breaks the spec's rule for it.
    #[error(transparent)]
    Rule(SpecError),
    /// The shape checks passed but the typed reading did not (a field the
    /// checks do not know of); kept so no input can panic the reader.
    #[error("detail: {reason}")]
    Malformed { reason: String },
}

impl ReadyError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            ReadyError::NotAnObject => "READY_DETAIL_NOT_AN_OBJECT",
            ReadyError::Missing { .. } => "READY_FIELD_MISSING",
            ReadyError::WrongType { .. } => "READY_FIELD_WRONG_TYPE",
            ReadyError::Rule(e) => e.code(),
            ReadyError::Malformed { .. } => "READY_DETAIL_MALFORMED",
        }
    }
}

/// What each field of the detail must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    OptionalText,
    Grants,
}

/// Every field of [`IntegrationRoleReady`], as serde names it (a test
/// holds the two together).
const FIELDS: [(&str, Shape); 8] = [
    ("RoleArn", Shape::Text),
    ("RoleName", Shape::Text),
    ("ExternalId", Shape::OptionalText),
    ("Account", Shape::Text),
    ("Region", Shape::Text),
    ("PolicyDigest", Shape::Text),
    ("Grants", Shape::Grants),
    ("VendorTenantId", Shape::OptionalText),
];

const NON_EMPTY: &str = "a non-empty string";

impl IntegrationRoleReady {
    /// The detail as the provisioner puts it on the bus.
    pub fn to_detail(&self) -> Value {
        // Serializing a struct of strings cannot fail.
        json!(self)
    }

    /// Reads a detail, naming the first field that is missing or of the
    /// wrong type. Fields it does not know are ignored (a newer writer).
    pub fn from_detail(detail: &Value) -> Result<Self, ReadyError> {
        let Some(object) = detail.as_object() else {
            return Err(ReadyError::NotAnObject);
        };
        for (field, shape) in FIELDS {
            let value = object.get(field).filter(|v| !v.is_null());
            match (shape, value) {
                (Shape::Text | Shape::Grants, None) => {
                    return Err(ReadyError::Missing {
                        field: field.to_owned(),
                    });
                }
                (Shape::OptionalText, None) => {}
                (Shape::Text | Shape::OptionalText, Some(v)) => text(v, field).map(drop)?,
                (Shape::Grants, Some(v)) => grants(v)?,
            }
        }
        if let Some(Value::String(tenant)) = object.get("VendorTenantId") {
            check_vendor_tenant_id(tenant, "detail.VendorTenantId").map_err(ReadyError::Rule)?;
        }
        serde_json::from_value(detail.clone()).map_err(|e| ReadyError::Malformed {
            reason: e.to_string(),
        })
    }
}

fn text<'v>(value: &'v Value, field: &str) -> Result<&'v str, ReadyError> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ReadyError::WrongType {
            field: field.to_owned(),
            expected: NON_EMPTY,
        }),
    }
}

fn grants(value: &Value) -> Result<(), ReadyError> {
    let Value::Array(items) = value else {
        return Err(ReadyError::WrongType {
            field: "Grants".to_owned(),
            expected: "a list of {Service, Resource} objects",
        });
    };
    for (i, item) in items.iter().enumerate() {
        let Some(grant) = item.as_object() else {
            return Err(ReadyError::WrongType {
                field: format!("Grants[{i}]"),
                expected: "a {Service, Resource} object",
            });
        };
        for key in ["Service", "Resource"] {
            let field = format!("Grants[{i}].{key}");
            match grant.get(key) {
                None | Some(Value::Null) => return Err(ReadyError::Missing { field }),
                Some(v) => text(v, &field).map(drop)?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IntegrationRoleReady {
        IntegrationRoleReady {
            role_arn: "arn:aws:iam::123456789012:role/integrations/atmosphere-s3".into(),
            role_name: "atmosphere-s3".into(),
            external_id: Some("SampleExternalId0000".into()),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            policy_digest: "0f".repeat(32),
            grants: vec![ReadyGrant {
                service: "s3".into(),
                resource: "s3://atmosphere-exports".into(),
            }],
            vendor_tenant_id: Some("tenant-42".into()),
        }
    }

    #[test]
    fn what_the_writer_writes_the_reader_reads() {
        let ready = sample();
        assert_eq!(
            IntegrationRoleReady::from_detail(&ready.to_detail()),
            Ok(ready.clone())
        );
        let without = IntegrationRoleReady {
            external_id: None,
            vendor_tenant_id: None,
            ..ready
        };
        let detail = without.to_detail();
        assert!(detail.get("VendorTenantId").is_none(), "{detail}");
        assert_eq!(IntegrationRoleReady::from_detail(&detail), Ok(without));
    }

    #[test]
    fn the_shape_checks_know_every_field_the_writer_writes() {
        let detail = sample().to_detail();
        let mut written: Vec<&str> = detail
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut checked: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
        written.sort_unstable();
        checked.sort_unstable();
        assert_eq!(written, checked);
    }

    #[test]
    fn the_detail_as_an_older_provisioner_wrote_it_is_read() {
        // ready_event before the typed struct: ExternalId always present
        // (null for a service trust), no VendorTenantId.
        let detail = json!({
            "RoleArn": "arn:aws:iam::123456789012:role/integrations/glue",
            "RoleName": "glue", "ExternalId": null, "Account": "123456789012",
            "Region": "us-east-1", "PolicyDigest": "ab", "Grants": []
        });
        let ready = IntegrationRoleReady::from_detail(&detail);
        assert_eq!(
            ready.map(|r| (r.external_id, r.vendor_tenant_id)),
            Ok((None, None))
        );
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
            (json!([1]), "detail: must be an object"),
            (with("RoleArn", Value::Null), "detail.RoleArn: is required"),
            (
                with("RoleArn", json!(7)),
                "detail.RoleArn: must be a non-empty string",
            ),
            (
                with("Account", json!(" ")),
                "detail.Account: must be a non-empty string",
            ),
            (
                with("ExternalId", json!(false)),
                "detail.ExternalId: must be a non-empty string",
            ),
            (with("Grants", json!({})), "detail.Grants: must be a list"),
            (
                with("Grants", json!([{"Service": "s3"}])),
                "detail.Grants[0].Resource: is required",
            ),
            (
                with("Grants", json!(["s3"])),
                "detail.Grants[0]: must be a {Service, Resource} object",
            ),
            (
                with("VendorTenantId", json!("acme corp")),
                "detail.VendorTenantId: \"acme corp\" must not contain whitespace",
            ),
            (
                with("VendorTenantId", json!("")),
                "detail.VendorTenantId: must be a non-empty string",
            ),
        ];
        for (detail, expected) in cases {
            let got = IntegrationRoleReady::from_detail(&detail).map_err(|e| e.to_string());
            assert!(
                got.as_ref().is_err_and(|e| e.starts_with(expected)),
                "{detail}: {got:?}"
            );
        }
    }

    #[test]
    fn debug_hides_the_external_id() {
        let shown = format!("{:?}", sample());
        assert!(!shown.contains("SampleExternalId0000"), "{shown}");
        assert!(shown.contains("tenant-42"), "{shown}");
    }
}
