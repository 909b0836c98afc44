//! The validation cycle's queue message: one per due integration, naming
//! the record (never the ExternalId: the consumer reads it from the
//! registry) and when the cycle enqueued it. And what a delivered message
//! means, decided against the record it names: SQS delivers at least once,
//! and a schedule retried by Lambda enqueues again, so a message may come
//! twice; the second finds a validation newer than its enqueue time and is
//! a duplicate, validated once.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::Timestamp;

use super::err::RegistryError;
use super::{Key, Record};

/// `{"RoleArn": ..., "Account": ..., "EnqueuedAt": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueMessage {
    pub role_arn: String,
    pub account: String,
    pub enqueued_at: String,
}

impl QueueMessage {
    /// The message for `record`, enqueued at `now`.
    pub fn of(record: &Record, now: &Timestamp) -> QueueMessage {
        QueueMessage {
            role_arn: record.key.role_arn.clone(),
            account: record.key.account.clone(),
            enqueued_at: now.to_string(),
        }
    }

    /// The body sent.
    pub fn body(&self) -> String {
        // A struct of three strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a delivered body: its key and enqueue time, or the first field
    /// that is wrong.
    pub fn parse(body: &str) -> Result<(Key, Timestamp), RegistryError> {
        let bad = |field: &'static str, rule: &str| RegistryError::MalformedMessage {
            field,
            rule: rule.to_owned(),
        };
        let value: Value = serde_json::from_str(body).map_err(|_| {
            bad(
                "body",
                "is not JSON (a validation message is a JSON object)",
            )
        })?;
        let object = value
            .as_object()
            .ok_or_else(|| bad("body", "must be a JSON object"))?;
        let text = |field: &'static str| -> Result<&str, RegistryError> {
            object
                .get(field)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad(field, "must be a non-empty string"))
        };
        let key = Key::of_role_arn(text("RoleArn")?).map_err(|rule| bad("RoleArn", &rule))?;
        if text("Account")? != key.account {
            return Err(bad("Account", "is not the account of RoleArn"));
        }
        let enqueued_at = Timestamp::parse(text("EnqueuedAt")?)
            .ok_or_else(|| bad("EnqueuedAt", "must be an RFC 3339 timestamp"))?;
        Ok((key, enqueued_at))
    }
}

/// What to do with a delivered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Validate,
    /// Validated at `validated_at`, after the message was enqueued: by this
    /// message's first delivery, or by a Ready event or a command since.
    Duplicate {
        validated_at: Timestamp,
    },
    /// No record: never registered, or removed since the cycle enqueued it.
    Unknown,
}

/// `record` is the registry's record for the message's key, if any.
pub fn disposition(record: Option<&Record>, enqueued_at: &Timestamp) -> Disposition {
    match record {
        None => Disposition::Unknown,
        Some(r) => match &r.last_validated {
            Some(at) if at.epoch_seconds() >= enqueued_at.epoch_seconds() => {
                Disposition::Duplicate {
                    validated_at: at.clone(),
                }
            }
            _ => Disposition::Validate,
        },
    }
}

/// For each body of one batch, whether an earlier body names the same
/// integration: the two would run at once and both validate it, so the
/// later one is a duplicate. An unreadable body is never a repeat (it is
/// judged, and dropped, on its own).
pub fn repeated_in_batch(bodies: &[&str]) -> Vec<bool> {
    let mut seen = std::collections::BTreeSet::new();
    bodies
        .iter()
        .map(|body| match QueueMessage::parse(body) {
            Ok((key, _)) => !seen.insert(key),
            Err(_) => false,
        })
        .collect()
}
