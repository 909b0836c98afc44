//! Reads `ResourceProperties` into an [`IntegrationSpec`], naming the exact
//! property path in every error.
//!
//! This file reads the top level (each property into its field, and the
//! rules that tie properties together); `trust` reads `Trust`, `grants`
//! one reader per Grant service, `object` is the object reader (known
//! properties, typed getters), `values` the scalar value rules, and `all`
//! every error of a spec in one read (`IntegrationSpec::from_properties_all`).

mod all;
mod grants;
mod object;
pub(super) mod policy;
mod trust;
mod values;

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;
use crate::json::scalar_string;
use crate::limits;
use crate::tags::RESERVED_TAGS;
use object::{Object, wrong_type};
use values::{
    first_duplicate, is_cidr, is_region, managed_policy_arn, one_of, parse_arn, role_arn, rule,
};

pub use values::check_vendor_tenant_id;

/// CloudFormation's own custom-resource properties, accepted and ignored.
pub(super) const CLOUDFORMATION_PROPERTIES: &[&str] = &["ServiceToken", "ServiceTimeout"];

const TOP_LEVEL: &[&str] = &[
    "ServiceToken",
    "ServiceTimeout",
    "RoleName",
    "RoleNamePrefix",
    "Path",
    "Description",
    "Trust",
    "ExternalId",
    "MaxSessionDuration",
    "PermissionsBoundaryArn",
    "Grants",
    "Conditions",
    "Tags",
    "ExpiresAt",
    "OutboundAssumeRoleArns",
    "RemediationMode",
    "NotifyEventBusArn",
    "VendorTenantId",
];

pub(super) fn spec(value: &Value) -> Result<IntegrationSpec, SpecError> {
    let props = Object::new(value, "", "the integration spec", TOP_LEVEL)?;

    let role_name = match (props.string("RoleName")?, props.string("RoleNamePrefix")?) {
        (Some(_), Some(_)) => {
            return Err(SpecError::Conflict {
                field: "RoleNamePrefix".into(),
                other: "RoleName".into(),
            });
        }
        (Some(name), None) => {
            limits::check_role_name(name, limits::ROLE_NAME_MAX).map_err(rule("RoleName"))?;
            RoleNaming::Name(name.to_owned())
        }
        (None, Some(prefix)) => {
            limits::check_role_name(prefix, limits::ROLE_NAME_PREFIX_MAX)
                .map_err(rule("RoleNamePrefix"))?;
            RoleNaming::Prefix(prefix.to_owned())
        }
        (None, None) => RoleNaming::Prefix(DEFAULT_NAME_PREFIX.to_owned()),
    };

    let path = props.string("Path")?.unwrap_or(DEFAULT_PATH).to_owned();
    limits::check_path(&path).map_err(rule("Path"))?;

    let description = props.string("Description")?.map(str::to_owned);
    if let Some(d) = &description {
        limits::check_description(d).map_err(rule("Description"))?;
    }

    let trust = trust::trust(props.required("Trust")?, "Trust")?;

    let external_id = pending_external_id(&trust, props.string("ExternalId")?)?;
    if let Some(id) = &external_id {
        limits::check_external_id(id).map_err(rule("ExternalId"))?;
        if matches!(trust, Trust::Service { .. }) {
            return Err(SpecError::Conflict {
                field: "ExternalId".into(),
                other: "Trust.Service (AWS services do not present an external ID)".into(),
            });
        }
    }

    let max_session_duration = match props.integer("MaxSessionDuration")? {
        Some(v) => {
            limits::check_session_duration(v).map_err(rule("MaxSessionDuration"))?;
            u32::try_from(v).unwrap_or(DEFAULT_MAX_SESSION_DURATION)
        }
        None => DEFAULT_MAX_SESSION_DURATION,
    };

    let permissions_boundary_arn = props
        .string("PermissionsBoundaryArn")?
        .map(|v| managed_policy_arn(v, "PermissionsBoundaryArn"))
        .transpose()?;

    let (grants, discovery) = match props.get("Grants") {
        Some(v) => grants::grants(v)?,
        None => Default::default(),
    };
    let guardrails = props
        .get("Conditions")
        .map(|v| guardrails(v, "Conditions"))
        .transpose()?
        .unwrap_or_default();
    let tags = props.get("Tags").map(tags).transpose()?.unwrap_or_default();

    let expires_at = props
        .string("ExpiresAt")?
        .map(|v| {
            Timestamp::parse(v).ok_or_else(|| SpecError::InvalidTimestamp {
                field: "ExpiresAt".into(),
                value: v.to_owned(),
            })
        })
        .transpose()?;

    let outbound_assume_role_arns = props
        .string_list("OutboundAssumeRoleArns")?
        .into_iter()
        .map(|(field, v)| role_arn(v, &field))
        .collect::<Result<Vec<_>, _>>()?;
    first_duplicate(
        outbound_assume_role_arns.iter().map(ToString::to_string),
        "OutboundAssumeRoleArns",
    )?;

    if grants.is_empty() && outbound_assume_role_arns.is_empty() {
        return Err(SpecError::Empty {
            field: "Grants".into(),
            rule: "an integration role must grant at least one permission (Grants or OutboundAssumeRoleArns)",
        });
    }

    let remediation = props
        .string("RemediationMode")?
        .map(|v| {
            one_of(
                v,
                "RemediationMode",
                &[
                    ("restore", RemediationMode::Restore),
                    ("quarantine", RemediationMode::Quarantine),
                    ("report", RemediationMode::Report),
                ],
            )
        })
        .transpose()?;

    let notify_event_bus_arn = props
        .string("NotifyEventBusArn")?
        .map(|v| {
            let arn = parse_arn(v, "NotifyEventBusArn")?;
            if arn.service() != "events" || arn.resource_type() != Some("event-bus") {
                return Err(SpecError::WrongArnKind {
                    field: "NotifyEventBusArn".into(),
                    value: v.to_owned(),
                    expected: "an EventBridge event bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)",
                });
            }
            Ok(arn)
        })
        .transpose()?;

    let vendor_tenant_id = props
        .string("VendorTenantId")?
        .map(|v| check_vendor_tenant_id(v, "VendorTenantId").map(|()| v.to_owned()))
        .transpose()?;

    Ok(IntegrationSpec {
        role_name,
        path,
        description,
        trust,
        external_id,
        max_session_duration,
        permissions_boundary_arn,
        grants,
        discovery,
        guardrails,
        tags,
        expires_at,
        outbound_assume_role_arns,
        remediation,
        notify_event_bus_arn,
        vendor_tenant_id,
    })
}

/// The `ExternalId` as the spec gives it, read against a pending trust:
/// while the vendor has issued nothing, the ExternalId is empty too (a
/// CloudFormation parameter left at its default `""`) or absent, and is
/// no ExternalId; one given without the principal is half of the vendor's
/// answer, refused so that the Update that fills the trust brings both.
/// With a named principal an empty ExternalId is refused: the vendor
/// issues it (Apperate does), so it is never generated in its place.
fn pending_external_id(trust: &Trust, given: Option<&str>) -> Result<Option<String>, SpecError> {
    match (trust, given) {
        (Trust::Pending, None | Some("")) => Ok(None),
        (Trust::Pending, Some(_)) => Err(SpecError::Conflict {
            field: "ExternalId".into(),
            other: "a pending Trust (Trust.Principals empty): give the vendor's principal with its ExternalId, or leave both empty".into(),
        }),
        (Trust::Vendor { .. }, Some("")) => Err(SpecError::Empty {
            field: "ExternalId".into(),
            rule: "Trust.Principals names the vendor, so give the ExternalId the vendor issued with it, or leave both empty while the trust is pending; omit ExternalId for Rolegate to generate one",
        }),
        (_, given) => Ok(given.map(str::to_owned)),
    }
}

fn guardrails(value: &Value, path: &str) -> Result<Guardrails, SpecError> {
    let obj = Object::new(
        value,
        path,
        "an object",
        &["AllowedRegions", "RequireSecureTransport", "SourceIps"],
    )?;
    let allowed_regions = obj
        .string_list("AllowedRegions")?
        .into_iter()
        .map(|(field, v)| {
            if is_region(v) {
                Ok(v.to_owned())
            } else {
                Err(SpecError::InvalidRegion {
                    field,
                    value: v.to_owned(),
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let source_ips = obj
        .string_list("SourceIps")?
        .into_iter()
        .map(|(field, v)| {
            if is_cidr(v) {
                Ok(v.to_owned())
            } else {
                Err(SpecError::InvalidCidr {
                    field,
                    value: v.to_owned(),
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Guardrails {
        allowed_regions,
        require_secure_transport: obj.boolean("RequireSecureTransport")?.unwrap_or(false),
        source_ips,
    })
}

/// Tags as CloudFormation writes them (`[{"Key":..,"Value":..}]`) or as a map.
fn tags(value: &Value) -> Result<Vec<Tag>, SpecError> {
    let pairs: Vec<(String, String, String)> = match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let obj = Object::new(
                    item,
                    &format!("Tags[{i}]"),
                    "a {Key, Value} object",
                    &["Key", "Value"],
                )?;
                let key = obj.required_string("Key")?.to_owned();
                let value = obj.required_string("Value")?.to_owned();
                Ok((format!("Tags[{i}]"), key, value))
            })
            .collect::<Result<_, SpecError>>()?,
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let field = format!("Tags.{k}");
                let v = scalar_string(v).ok_or_else(|| wrong_type(&field, "a string", v))?;
                Ok((field, k.clone(), v))
            })
            .collect::<Result<_, SpecError>>()?,
        other => return Err(wrong_type("Tags", "a list of {Key, Value} objects", other)),
    };
    limits::check_tag_count(pairs.len(), limits::TAGS_MAX - RESERVED_TAGS).map_err(rule("Tags"))?;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut tags = Vec::with_capacity(pairs.len());
    for (field, key, value) in pairs {
        limits::check_tag(&key, &value).map_err(rule(&field))?;
        limits::check_user_tag_key(&key).map_err(rule(&field))?;
        // IAM tag keys are case-insensitive: `Team` and `team` collide.
        if let Some(first) = seen.insert(key.to_lowercase(), field.clone()) {
            return Err(SpecError::Duplicate { field, first });
        }
        tags.push(Tag { key, value });
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_tenant(tenant: Value) -> Value {
        json!({
            "RoleName": "atmosphere-s3",
            "Trust": {"Principals": ["966208727603"]},
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "atmosphere-exports"}],
            "VendorTenantId": tenant,
        })
    }

    #[test]
    fn vendor_tenant_id_is_read_and_optional() {
        let spec = IntegrationSpec::from_properties(&with_tenant(json!("tenant-42:acme/eu")));
        assert_eq!(
            spec.map(|s| s.vendor_tenant_id),
            Ok(Some("tenant-42:acme/eu".to_owned()))
        );
        let spec = IntegrationSpec::from_properties(&with_tenant(Value::Null));
        assert_eq!(spec.map(|s| s.vendor_tenant_id), Ok(None));
        let longest = "t".repeat(VENDOR_TENANT_ID_MAX);
        assert!(IntegrationSpec::from_properties(&with_tenant(json!(longest))).is_ok());
        // Characters, not bytes: 256 non-ASCII letters are allowed.
        let wide = "é".repeat(VENDOR_TENANT_ID_MAX);
        assert!(IntegrationSpec::from_properties(&with_tenant(json!(wide))).is_ok());
    }

    #[test]
    fn a_bad_vendor_tenant_id_is_refused_naming_the_field_and_the_rule() {
        let cases = [
            (json!(""), "EMPTY_VALUE", "1 to 256 characters"),
            (
                json!("t".repeat(VENDOR_TENANT_ID_MAX + 1)),
                "INVALID_PATTERN",
                "longer than 256 characters",
            ),
            (
                json!("acme corp"),
                "INVALID_PATTERN",
                "whitespace or control",
            ),
            (
                json!("acme\u{7}"),
                "INVALID_PATTERN",
                "whitespace or control",
            ),
            (json!("acme\n"), "INVALID_PATTERN", "whitespace or control"),
            (
                json!("acme\u{a0}x"),
                "INVALID_PATTERN",
                "whitespace or control",
            ),
            (json!(42), "WRONG_TYPE", "must be a string"),
        ];
        for (value, code, rule) in cases {
            let Err(e) = IntegrationSpec::from_properties(&with_tenant(value.clone())) else {
                panic!("{value} was accepted");
            };
            assert_eq!(e.code(), code, "{value}: {e}");
            assert_eq!(e.field(), "VendorTenantId", "{value}: {e}");
            let message = e.to_string();
            assert!(message.starts_with("VendorTenantId: "), "{message}");
            assert!(message.contains(rule), "{value}: {message}");
        }
    }

    #[test]
    fn a_too_long_vendor_tenant_id_is_quoted_only_in_part() {
        let e = check_vendor_tenant_id(&"t".repeat(100_000), "VendorTenantId")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.len() < 200, "{e}");
    }
}
