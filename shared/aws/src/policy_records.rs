//! I/O of a `Custom::IntegrationPolicy` (the decisions are
//! `rolegate_policy::reconcile::{spec_to_policy, trust_policy_record, ...}`):
//! the two IAM reads it may make on the customer's role (GetRole for the
//! role's ARN and tags, GetRolePolicy for its one policy; never a list of
//! the role's other policies, which the template does not grant), and its
//! sealed record in SSM under `/rolegate/policies/`. Writes to IAM go
//! through the executor ([`crate::apply`]) like every other.

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use rolegate_policy::reconcile::seal::to_hex;
use rolegate_policy::reconcile::{
    LivePolicy, PolicyRecord, SealedRecord, StoredValue, Untrusted, policy_mac_message,
    policy_record_parameter_name, sealed_policy_message, trust_policy_record,
};

use crate::clients::Clients;
use crate::error::{AwsError, iam};
use crate::live::parse_document;
use crate::records::{delete_marker, generate_mac, get_secure, put_secure, verify_message};

/// A role as GetRole shows it: its ARN and tags. `None`: no such role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleIdentity {
    pub arn: String,
    pub tags: BTreeMap<String, String>,
}

/// GetRole, and nothing else of the role.
pub async fn read_role_identity(
    client: &Client,
    name: &str,
) -> Result<Option<RoleIdentity>, AwsError> {
    match client.get_role().role_name(name).send().await {
        Ok(got) => {
            let role = got.role().ok_or_else(|| AwsError::IncompleteResponse {
                role: name.to_owned(),
                field: "Role",
            })?;
            Ok(Some(RoleIdentity {
                arn: role.arn().to_owned(),
                tags: role
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
            }))
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(iam("GetRole", name, &e)),
    }
}

/// GetRolePolicy of one inline policy. IAM answers NoSuchEntity both for a
/// missing policy and a missing role: either way there is no policy.
pub async fn read_inline_policy(
    client: &Client,
    role: &str,
    policy: &str,
) -> Result<LivePolicy, AwsError> {
    match client
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
    {
        Ok(got) => Ok(match parse_document(got.policy_document()) {
            Some(doc) => LivePolicy::Document(Box::new(doc)),
            None => LivePolicy::Unreadable,
        }),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            Ok(LivePolicy::Absent)
        }
        Err(e) => Err(iam("GetRolePolicy", role, &e)),
    }
}

/// Seals `record` with the record key and stores it.
pub async fn put_policy_record(aws: &Clients, record: &PolicyRecord) -> Result<(), AwsError> {
    let key = aws.record_key.as_deref().ok_or(AwsError::NoRecordKey)?;
    let parameter = policy_record_parameter_name(&record.role_name, &record.policy_name);
    let body = record.body().map_err(|e| AwsError::CorruptRecord {
        parameter: parameter.clone(),
        reason: e.to_string(),
    })?;
    let message = policy_mac_message(&record.role_arn, &record.policy_name, &body);
    let mac = generate_mac(&aws.kms, key, message).await?;
    let sealed = SealedRecord {
        body,
        key_id: key.to_owned(),
        mac: to_hex(&mac),
    };
    let value = serde_json::to_string(&sealed).map_err(|e| AwsError::CorruptRecord {
        parameter: parameter.clone(),
        reason: e.to_string(),
    })?;
    let description = format!(
        "Rolegate integration policy {} on IAM role {} (sealed)",
        record.policy_name, record.role_name
    );
    put_secure(&aws.ssm, &parameter, &description, &value).await
}

/// What is stored for the policy, believed or not; `None` when nothing is.
pub async fn get_stored_policy_record(
    aws: &Clients,
    role_name: &str,
    policy_name: &str,
) -> Result<Option<StoredValue>, AwsError> {
    let parameter = policy_record_parameter_name(role_name, policy_name);
    Ok(get_secure(&aws.ssm, &parameter)
        .await?
        .map(|value| StoredValue::parse(&value)))
}

/// The record of policy `policy_name` on the role `role_arn` (named
/// `role_name`), if it may be believed (`rolegate_policy`'s
/// `trust_policy_record` decides; this only asks KMS about the seal).
pub async fn trusted_policy_record(
    aws: &Clients,
    stored: Option<StoredValue>,
    role_name: &str,
    role_arn: &str,
    policy_name: &str,
) -> Result<Result<PolicyRecord, Untrusted>, AwsError> {
    let Some(stored) = stored else {
        return Ok(Err(Untrusted::Missing {
            parameter: policy_record_parameter_name(role_name, policy_name),
        }));
    };
    let verified = match (&stored, aws.record_key.as_deref()) {
        (StoredValue::Sealed(sealed), Some(key)) => {
            match (sealed_policy_message(sealed), sealed.mac_bytes()) {
                (Ok(message), Some(mac)) => verify_message(&aws.kms, key, message, mac).await?,
                _ => false,
            }
        }
        _ => false,
    };
    Ok(trust_policy_record(
        &stored,
        verified,
        role_arn,
        policy_name,
    ))
}

/// Deletes the policy's record; one already gone is success.
pub async fn delete_policy_record(
    aws: &Clients,
    role_name: &str,
    policy_name: &str,
) -> Result<(), AwsError> {
    delete_marker(
        &aws.ssm,
        &policy_record_parameter_name(role_name, policy_name),
    )
    .await
}
