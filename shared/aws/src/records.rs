//! The durable role record, one SSM SecureString parameter per role.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use rolegate_policy::reconcile::{RECORD_PREFIX, RoleRecord, record_parameter_name};

use crate::error::{AwsError, describe};

/// Standard-tier parameters hold 4 KB; larger records need the advanced tier.
const STANDARD_TIER_MAX: usize = 4096;

pub async fn put_record(client: &Client, record: &RoleRecord) -> Result<(), AwsError> {
    let parameter = record_parameter_name(&record.role_name);
    let value = serde_json::to_string(record).map_err(|e| AwsError::CorruptRecord {
        parameter: parameter.clone(),
        reason: e.to_string(),
    })?;
    let description = format!("Rolegate spec of IAM role {}", record.role_name);
    put_secure(client, &parameter, &description, &value).await
}

/// The record of `role_name`, or `None` when there is none.
pub async fn get_record(client: &Client, role_name: &str) -> Result<Option<RoleRecord>, AwsError> {
    let parameter = record_parameter_name(role_name);
    let Some(value) = get_secure(client, &parameter).await? else {
        return Ok(None);
    };
    serde_json::from_str(&value)
        .map(Some)
        .map_err(|e| AwsError::CorruptRecord {
            parameter,
            reason: e.to_string(),
        })
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

/// One stored record found by [`list_records`]; an unreadable one is kept
/// with its reason, so a sweep can report it instead of skipping it.
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
            record: serde_json::from_str(&value).map_err(|e| e.to_string()),
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
