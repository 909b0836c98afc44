//! Reads a `Custom::IntegrationPolicy`'s properties: `RoleArn`,
//! `PolicyName` and `RemediationMode` here, and its access (`Grants`,
//! `Conditions`, `OutboundAssumeRoleArns`) by handing exactly those
//! properties to the integration role's reader ([`super::spec`]) inside a
//! carrier spec, so every grant, guardrail and outbound role is read by
//! the one reader each has, with the same property paths in its errors.

use serde_json::{Map, Value, json};

use super::object::Object;
use super::values::{one_of, role_arn};
use crate::spec::integration_policy::{IntegrationPolicySpec, check_policy_name};
use crate::spec::{RemediationMode, SpecError};

const TOP_LEVEL: &[&str] = &[
    "ServiceToken",
    "ServiceTimeout",
    "RoleArn",
    "PolicyName",
    "Grants",
    "Conditions",
    "OutboundAssumeRoleArns",
    "RemediationMode",
];

/// The properties the carrier spec reads, as the user wrote them.
const ACCESS: &[&str] = &["Grants", "Conditions", "OutboundAssumeRoleArns"];

/// The carrier's placeholder trust: any valid one would do, nothing of it
/// is written; an AWS service trust needs no ExternalId.
const CARRIER_TRUST: &str = "ec2";

pub(in crate::spec) fn integration_policy(
    value: &Value,
) -> Result<IntegrationPolicySpec, SpecError> {
    let props = Object::new(value, "", "the integration policy spec", TOP_LEVEL)?;
    let role_arn = role_arn(props.required_string("RoleArn")?, "RoleArn")?;
    let policy_name = props
        .string("PolicyName")?
        .map(|name| check_policy_name(name, "PolicyName").map(|()| name.to_owned()))
        .transpose()?;
    let remediation = props
        .string("RemediationMode")?
        .map(|v| {
            one_of(
                v,
                "RemediationMode",
                &[
                    ("restore", RemediationMode::Restore),
                    ("report", RemediationMode::Report),
                ],
            )
        })
        .transpose()?;

    let name = role_arn
        .iam_role_path_and_name()
        .map(|(_, name)| name.to_owned())
        .unwrap_or_default();
    let mut carrier = Map::new();
    carrier.insert("RoleName".into(), json!(name));
    carrier.insert("Trust".into(), json!({ "Service": CARRIER_TRUST }));
    for key in ACCESS {
        if let Some(v) = props.get(key) {
            carrier.insert((*key).to_owned(), v.clone());
        }
    }
    let access = super::spec(&Value::Object(carrier))?;
    Ok(IntegrationPolicySpec {
        role_arn,
        policy_name,
        remediation,
        access,
    })
}
