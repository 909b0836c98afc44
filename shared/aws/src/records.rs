//! The durable role record, one SSM SecureString parameter per role,
//! sealed with the KMS HMAC key (see `rolegate_policy::reconcile::seal`,
//! which decides whether a record is believed; this module only calls
//! SSM and KMS).

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::MacAlgorithmSpec;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use rolegate_policy::reconcile::seal::to_hex;
use rolegate_policy::reconcile::{
    LiveRole, RECORD_PREFIX, RoleRecord, SealedRecord, StoredValue, Untrusted, mac_message,
    record_parameter_name, trust,
};

use crate::clients::Clients;
use crate::error::{AwsError, describe};

/// Standard-tier parameters hold 4 KB; larger records need the advanced tier.
const STANDARD_TIER_MAX: usize = 4096;
/// The record key is `HMAC_256`.
const MAC_ALGORITHM: MacAlgorithmSpec = MacAlgorithmSpec::HmacSha256;

/// Seals `record` with the record key and stores it under its role's name.
pub async fn put_record(aws: &Clients, record: &RoleRecord) -> Result<(), AwsError> {
    let key = aws.record_key.as_deref().ok_or(AwsError::NoRecordKey)?;
    let parameter = record_parameter_name(&record.role_name);
    let corrupt = |e: serde_json::Error| AwsError::CorruptRecord {
        parameter: parameter.clone(),
        reason: e.to_string(),
    };
    let body = SealedRecord::body_of(record).map_err(corrupt)?;
    let mac = generate_mac(&aws.kms, key, mac_message(&record.role_arn, &body)).await?;
    let sealed = SealedRecord {
        body,
        key_id: key.to_owned(),
        mac: to_hex(&mac),
    };
    let value = serde_json::to_string(&sealed).map_err(corrupt)?;
    let description = format!("Rolegate spec of IAM role {} (sealed)", record.role_name);
    put_secure(&aws.ssm, &parameter, &description, &value).await
}

/// What is stored for `role_name`, believed or not; `None` when nothing is.
pub async fn get_stored_record(
    client: &Client,
    role_name: &str,
) -> Result<Option<StoredValue>, AwsError> {
    let parameter = record_parameter_name(role_name);
    Ok(get_secure(client, &parameter)
        .await?
        .map(|value| StoredValue::parse(&value)))
}

/// The record of `live`, if it may be believed: stored, sealed by the
/// record key, for this role, with the digest the role is tagged with.
/// `Err` of the outer result is an AWS failure; of the inner, why not.
pub async fn trusted_record(
    aws: &Clients,
    live: &LiveRole,
) -> Result<Result<RoleRecord, Untrusted>, AwsError> {
    let stored = get_stored_record(&aws.ssm, &live.name).await?;
    trust_stored(aws, stored, live).await
}

/// [`trusted_record`] for a value already read with [`get_stored_record`].
pub async fn trust_stored(
    aws: &Clients,
    stored: Option<StoredValue>,
    live: &LiveRole,
) -> Result<Result<RoleRecord, Untrusted>, AwsError> {
    let Some(stored) = stored else {
        return Ok(Err(Untrusted::Missing {
            parameter: record_parameter_name(&live.name),
        }));
    };
    let verified = match (&stored, aws.record_key.as_deref()) {
        (StoredValue::Sealed(sealed), Some(key)) => verify_seal(&aws.kms, key, sealed).await?,
        (StoredValue::Sealed(_), None) => {
            tracing::error!("ROLEGATE_RECORD_KEY_ID is not set: no record can be verified");
            false
        }
        _ => false,
    };
    Ok(trust(&stored, verified, &live.arn, &live.tags))
}

pub(crate) async fn generate_mac(
    kms: &aws_sdk_kms::Client,
    key: &str,
    message: Vec<u8>,
) -> Result<Vec<u8>, AwsError> {
    let out = kms
        .generate_mac()
        .key_id(key)
        .mac_algorithm(MAC_ALGORITHM)
        .message(Blob::new(message))
        .send()
        .await
        .map_err(|e| kms_error("GenerateMac", key, &e))?;
    Ok(out.mac().map(|m| m.as_ref().to_vec()).unwrap_or_default())
}

/// True when KMS says `sealed`'s MAC is the record key's MAC of its message.
async fn verify_seal(
    kms: &aws_sdk_kms::Client,
    key: &str,
    sealed: &SealedRecord,
) -> Result<bool, AwsError> {
    let (Ok(message), Some(mac)) = (sealed.message(), sealed.mac_bytes()) else {
        return Ok(false);
    };
    verify_message(kms, key, message, mac).await
}

/// True when KMS says `mac` is the record key's MAC of `message` (a role
/// record's or an integration policy record's, `crate::policy_records`).
pub(crate) async fn verify_message(
    kms: &aws_sdk_kms::Client,
    key: &str,
    message: Vec<u8>,
    mac: Vec<u8>,
) -> Result<bool, AwsError> {
    match kms
        .verify_mac()
        .key_id(key)
        .mac_algorithm(MAC_ALGORITHM)
        .message(Blob::new(message))
        .mac(Blob::new(mac))
        .send()
        .await
    {
        Ok(out) => Ok(out.mac_valid()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_kms_invalid_mac_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(kms_error("VerifyMac", key, &e)),
    }
}

fn kms_error<E>(operation: &'static str, key: &str, err: &E) -> AwsError
where
    E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error,
{
    let (code, message) = describe(err);
    AwsError::Kms {
        operation,
        key: key.to_owned(),
        code,
        message,
    }
}

/// Writes a SecureString parameter (KMS-encrypted with the account's SSM
/// key), in the advanced tier when the value is too big for the standard.
pub async fn put_secure(
    client: &Client,
    parameter: &str,
    description: &str,
    value: &str,
) -> Result<(), AwsError> {
    let tier = if value.len() > STANDARD_TIER_MAX {
        ParameterTier::Advanced
    } else {
        ParameterTier::Standard
    };
    client
        .put_parameter()
        .name(parameter)
        .description(description)
        .value(value)
        .r#type(ParameterType::SecureString)
        .tier(tier)
        .overwrite(true)
        .send()
        .await
        .map(drop)
        .map_err(|e| ssm("PutParameter", parameter, &e))
}

/// A parameter's decrypted value, or `None` when there is none.
pub async fn get_secure(client: &Client, parameter: &str) -> Result<Option<String>, AwsError> {
    match client
        .get_parameter()
        .name(parameter)
        .with_decryption(true)
        .send()
        .await
    {
        Ok(got) => Ok(Some(
            got.parameter()
                .and_then(|p| p.value())
                .unwrap_or_default()
                .to_owned(),
        )),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_parameter_not_found()) =>
        {
            Ok(None)
        }
        Err(e) => Err(ssm("GetParameter", parameter, &e)),
    }
}

/// Every parameter under `path` as (name, decrypted value), sorted by name.
pub async fn list_secure(client: &Client, path: &str) -> Result<Vec<(String, String)>, AwsError> {
    let pages: Vec<_> = client
        .get_parameters_by_path()
        .path(path)
        .recursive(true)
        .with_decryption(true)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| ssm("GetParametersByPath", path, &e))?;
    let mut found: Vec<(String, String)> = pages
        .iter()
        .flat_map(|page| page.parameters())
        .map(|p| {
            (
                p.name().unwrap_or_default().to_owned(),
                p.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Deletes the record; a record already gone is success.
pub async fn delete_record(client: &Client, role_name: &str) -> Result<(), AwsError> {
    delete_marker(client, &record_parameter_name(role_name)).await
}

fn ssm<E>(operation: &'static str, parameter: &str, err: &E) -> AwsError
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error,
{
    let (code, message) = describe(err);
    AwsError::Ssm {
        operation,
        parameter: parameter.to_owned(),
        code,
        message,
    }
}

/// One stored record found by [`list_records`], not verified: the sweep
/// uses it to find roles (each is then checked with [`trusted_record`]), a
/// Delete to find the roles a resource owns (their tags then decide). An
/// unreadable one is kept with its reason, so a sweep can report it.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub parameter: String,
    pub record: Result<RoleRecord, String>,
}

/// Every role record, sorted by parameter name (the sweep's resume order).
pub async fn list_records(client: &Client) -> Result<Vec<StoredRecord>, AwsError> {
    Ok(list_secure(client, RECORD_PREFIX)
        .await?
        .into_iter()
        .map(|(parameter, value)| StoredRecord {
            parameter,
            record: match StoredValue::parse(&value) {
                StoredValue::Unreadable(reason) => Err(reason),
                stored => stored
                    .untrusted_record()
                    .ok_or_else(|| "the sealed body is unreadable".to_owned()),
            },
        })
        .collect())
}

/// A plain String parameter Rolegate keeps for itself (the sweep cursor).
pub async fn get_marker(client: &Client, parameter: &str) -> Result<Option<String>, AwsError> {
    match client.get_parameter().name(parameter).send().await {
        Ok(got) => Ok(got.parameter().and_then(|p| p.value()).map(str::to_owned)),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_parameter_not_found()) =>
        {
            Ok(None)
        }
        Err(e) => Err(ssm("GetParameter", parameter, &e)),
    }
}

pub async fn put_marker(client: &Client, parameter: &str, value: &str) -> Result<(), AwsError> {
    client
        .put_parameter()
        .name(parameter)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .map(drop)
        .map_err(|e| ssm("PutParameter", parameter, &e))
}

pub async fn delete_marker(client: &Client, parameter: &str) -> Result<(), AwsError> {
    match client.delete_parameter().name(parameter).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_parameter_not_found()) =>
        {
            Ok(())
        }
        Err(e) => Err(ssm("DeleteParameter", parameter, &e)),
    }
}
