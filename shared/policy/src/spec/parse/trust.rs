//! The `Trust` property: who may assume the role (vendor principals, or one
//! AWS service with its confused-deputy conditions), or nobody yet: a
//! vendor trust whose principals are all empty is pending
//! ([`Trust::Pending`]).

use crate::spec::{SourceKey, SpecError, Trust, TrustedService, VendorPrincipal};

use super::object::Object;
use super::values::{account_id, is_account_id, one_of, parse_arn};
use serde_json::Value;

pub(super) fn trust(value: &Value, path: &str) -> Result<Trust, SpecError> {
    let obj = Object::new(
        value,
        path,
        "an object with Principals, or with Service",
        &["Principals", "Service", "SourceAccount", "SourceArn"],
    )?;
    match (obj.get("Principals"), obj.string("Service")?) {
        (Some(_), Some(_)) => Err(SpecError::Conflict {
            field: obj.field("Service"),
            other: obj.field("Principals"),
        }),
        (Some(_), None) => {
            for key in ["SourceAccount", "SourceArn"] {
                if obj.get(key).is_some() {
                    return Err(SpecError::Conflict {
                        field: obj.field(key),
                        other: format!(
                            "{} (aws:{key} applies to AWS service principals only)",
                            obj.field("Principals")
                        ),
                    });
                }
            }
            let list = obj.string_list("Principals")?;
            if list.is_empty() {
                return Err(SpecError::Empty {
                    field: obj.field("Principals"),
                    rule: "a vendor trust needs at least one principal",
                });
            }
            // CloudFormation passes a parameter left at its default "" as
            // "": every principal empty is a trust the vendor has not
            // issued yet (`Trust::Pending`), so a stack can be created
            // before the vendor's values exist and updated with them.
            if list.iter().all(|(_, v)| v.is_empty()) {
                return Ok(Trust::Pending);
            }
            if let Some((field, _)) = list.iter().find(|(_, v)| v.is_empty()) {
                return Err(SpecError::Empty {
                    field: field.clone(),
                    rule: "an empty principal marks a pending vendor trust: leave every principal empty until the vendor issues them, or name them all",
                });
            }
            let principals = list
                .into_iter()
                .map(|(field, v)| vendor_principal(v, field))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Trust::Vendor { principals })
        }
        (None, Some(service)) => {
            let choices: Vec<(&str, TrustedService)> =
                TrustedService::ALL.iter().map(|s| (s.name(), *s)).collect();
            let service = one_of(service, &obj.field("Service"), &choices)?;
            let source_account = obj
                .string("SourceAccount")?
                .map(|v| account_id(v, &obj.field("SourceAccount")))
                .transpose()?;
            let source_arn = obj
                .string("SourceArn")?
                .map(|v| parse_arn(v, &obj.field("SourceArn")))
                .transpose()?;
            for (key, given) in [
                (SourceKey::SourceAccount, source_account.is_some()),
                (SourceKey::SourceArn, source_arn.is_some()),
            ] {
                if given && !service.sends(key) {
                    return Err(SpecError::SourceKeyNotSent {
                        field: obj.field(key.property()),
                        service: service.principal(),
                        key: key.context_key(),
                        doc: service.trust_documentation(),
                    });
                }
            }
            Ok(Trust::Service {
                service,
                source_account,
                source_arn,
            })
        }
        (None, None) => Err(SpecError::MissingProperty {
            field: obj.field("Principals"),
        }),
    }
}

fn vendor_principal(value: &str, field: String) -> Result<VendorPrincipal, SpecError> {
    if is_account_id(value) {
        return Ok(VendorPrincipal::Account(value.to_owned()));
    }
    let invalid = || SpecError::InvalidPrincipal {
        field: field.clone(),
        value: value.to_owned(),
    };
    if value == "*" || !value.starts_with("arn:") {
        return Err(invalid());
    }
    let arn = parse_arn(value, &field)?;
    if arn.service() != "iam" || arn.account().is_empty() || arn.account() == "aws" {
        return Err(invalid());
    }
    match arn.resource_type() {
        Some("role") => Ok(VendorPrincipal::Role(arn)),
        Some("user") => Ok(VendorPrincipal::User(arn)),
        // `arn:aws:iam::123456789012:root` is how IAM spells a whole account.
        None if arn.resource() == "root" => Ok(VendorPrincipal::Account(arn.account().to_owned())),
        _ => Err(invalid()),
    }
}
