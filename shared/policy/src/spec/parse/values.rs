//! Scalar value readers and rules: one-of choices, ARNs of a given kind,
//! account ids, literal names, regions and CIDRs. Each takes the field path
//! it reports in its error.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::object::Object;
use crate::arn::Arn;
use crate::limits;
use crate::spec::{SpecError, VENDOR_TENANT_ID_MAX};

/// The `VendorTenantId` rule, for the spec and for every reader of the
/// value it travels as (`field` names where it was read): 1 to
/// [`VENDOR_TENANT_ID_MAX`] characters, none of them whitespace or a
/// control character, so the reference is one unambiguous token in a
/// vendor's lookup and in a log line.
pub fn check_vendor_tenant_id(value: &str, field: &str) -> Result<(), SpecError> {
    if value.is_empty() {
        return Err(SpecError::Empty {
            field: field.to_owned(),
            rule: "a vendor tenant reference is 1 to 256 characters",
        });
    }
    let refuse = |value: String, reason| {
        Err(SpecError::InvalidPattern {
            field: field.to_owned(),
            value,
            reason,
        })
    };
    if value.chars().count() > VENDOR_TENANT_ID_MAX {
        // The message quotes the start only: the whole value may be huge.
        let start: String = value.chars().take(32).collect();
        return refuse(
            format!("{start}..."),
            "is longer than 256 characters, the most a vendor tenant reference may have",
        );
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse(
            value.to_owned(),
            "must not contain whitespace or control characters (a vendor tenant reference is one token)",
        );
    }
    Ok(())
}

pub(super) fn rule(field: &str) -> impl Fn(limits::Violation) -> SpecError + '_ {
    move |source| SpecError::Rule {
        field: field.to_owned(),
        source,
    }
}

pub(super) fn one_of<T: Copy>(
    value: &str,
    field: &str,
    choices: &[(&str, T)],
) -> Result<T, SpecError> {
    choices
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| SpecError::UnknownValue {
            field: field.to_owned(),
            value: value.to_owned(),
            expected: choices
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

pub(super) fn parse_arn(value: &str, field: &str) -> Result<Arn, SpecError> {
    Arn::parse(value).map_err(|source| SpecError::InvalidArn {
        field: field.to_owned(),
        value: value.to_owned(),
        source,
    })
}

/// An ARN of `service` whose resource starts with `resource_type` (empty:
/// a bare name such as an SQS queue).
pub(super) fn service_arn(
    obj: &Object<'_>,
    key: &str,
    service: &str,
    resource_type: &str,
    expected: &'static str,
) -> Result<Arn, SpecError> {
    let field = obj.field(key);
    let value = obj.required_string(key)?;
    let arn = parse_arn(value, &field)?;
    let type_ok = if resource_type.is_empty() {
        arn.resource_type().is_none()
    } else {
        arn.resource_type() == Some(resource_type) && !arn.resource_id().is_empty()
    };
    if arn.service() != service || !type_ok || arn.region().is_empty() || arn.account().len() != 12
    {
        return Err(SpecError::WrongArnKind {
            field,
            value: value.to_owned(),
            expected,
        });
    }
    Ok(arn)
}

pub(super) fn role_arn(value: &str, field: &str) -> Result<Arn, SpecError> {
    let arn = parse_arn(value, field)?;
    if arn.service() != "iam" || arn.iam_role_path_and_name().is_none() || arn.account().len() != 12
    {
        return Err(SpecError::WrongArnKind {
            field: field.to_owned(),
            value: value.to_owned(),
            expected: "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
        });
    }
    Ok(arn)
}

pub(super) fn managed_policy_arn(value: &str, field: &str) -> Result<Arn, SpecError> {
    let arn = parse_arn(value, field)?;
    if arn.service() != "iam" || arn.resource_type() != Some("policy") {
        return Err(SpecError::WrongArnKind {
            field: field.to_owned(),
            value: value.to_owned(),
            expected: "an IAM managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)",
        });
    }
    Ok(arn)
}

pub(super) fn account_id(value: &str, field: &str) -> Result<String, SpecError> {
    if is_account_id(value) {
        Ok(value.to_owned())
    } else {
        Err(SpecError::InvalidAccountId {
            field: field.to_owned(),
            value: value.to_owned(),
        })
    }
}

pub(super) fn first_duplicate(
    values: impl Iterator<Item = String>,
    field: &str,
) -> Result<(), SpecError> {
    let mut seen = BTreeMap::new();
    for (i, v) in values.enumerate() {
        if let Some(first) = seen.insert(v, i) {
            return Err(SpecError::Duplicate {
                field: format!("{field}[{i}]"),
                first: format!("{field}[{first}]"),
            });
        }
    }
    Ok(())
}

/// A name that goes into a resource ARN: wildcards would silently widen
/// the grant, and whitespace or control characters make an ARN IAM refuses.
pub(super) fn check_literal(value: &str, field: &str) -> Result<(), SpecError> {
    let refuse = |reason| {
        Err(SpecError::InvalidPattern {
            field: field.to_owned(),
            value: value.to_owned(),
            reason,
        })
    };
    if value.contains(['*', '?']) || value.contains("${") {
        return refuse("must be literal: wildcards and policy variables would widen the grant");
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("must not contain whitespace or control characters, which no ARN may hold");
    }
    Ok(())
}

pub(crate) use crate::arn::is_account_id;

pub(super) fn is_bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && s.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
        && !s.contains("..")
}

/// `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-2`.
pub(super) fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn is_cidr(s: &str) -> bool {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match len {
        None => true,
        Some(l) => l.parse::<u8>().is_ok_and(|l| l <= max) && !l.starts_with('+'),
    }
}
