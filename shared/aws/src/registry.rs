//! The vendor's registry of integrations in DynamoDB, and the validation
//! queue in SQS (issue 19): the shell around `rolegate_policy::registry`,
//! which decides every record and every message. Here: reading and writing
//! items, the conditional write that keeps a stale outcome from overwriting
//! a newer one, the conditional delete of a removed role's record, and
//! sending messages ten at a time.
//!
//! The table: on-demand, SSE, partition key `pk` (`account#<id>`), sort key
//! `sk` (`role#<role ARN>`), both strings (the template's `Registry`).

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use rolegate_policy::registry::item::{PK, SK, VERSION};
use rolegate_policy::registry::{Attr, Item, Key, Record, RegistryError, Write};
use thiserror::Error;

use crate::error::describe;

/// A failed DynamoDB or SQS call, or a record that would not settle.
#[derive(Debug, Clone, Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} on table {table} failed: {message}")]
    DynamoDb {
        operation: &'static str,
        table: String,
        code: Option<String>,
        message: String,
    },
    #[error(
        "DynamoDB: the registry record {key} changed under every one of {tries} writes; it was not updated"
    )]
    Contended { key: String, tries: usize },
    #[error("SQS {operation} on queue {queue} failed: {message}")]
    Sqs {
        operation: &'static str,
        queue: String,
        code: Option<String>,
        message: String,
    },
}

/// How often [`Registry::update`] re-reads a record another writer changed.
const UPDATE_TRIES: usize = 5;

/// What [`Registry::update`]'s decision says to do.
// Made and consumed once per write: boxing the record would gain nothing.
#[allow(clippy::large_enum_variant)]
pub enum Decision<T> {
    Write(Write, T),
    /// Write nothing (a stale outcome, a migrated entry already there).
    Keep(T),
}

/// The registry table.
#[derive(Debug, Clone)]
pub struct Registry {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn to_attr(value: &AttributeValue) -> Attr {
    match value {
        AttributeValue::S(s) => Attr::S(s.clone()),
        AttributeValue::N(n) => Attr::N(n.clone()),
        AttributeValue::Bool(_) => Attr::Other("a boolean"),
        AttributeValue::Null(_) => Attr::Other("null"),
        AttributeValue::L(_) => Attr::Other("a list"),
        AttributeValue::M(_) => Attr::Other("a map"),
        AttributeValue::B(_) => Attr::Other("binary"),
        _ => Attr::Other("a set or another type"),
    }
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Item {
    item.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect()
}

fn to_item(item: Item) -> HashMap<String, AttributeValue> {
    item.into_iter()
        .map(|(k, v)| {
            let v = match v {
                Attr::S(s) => AttributeValue::S(s),
                Attr::N(n) => AttributeValue::N(n),
                // The policy crate never builds one.
                Attr::Other(_) => AttributeValue::Null(true),
            };
            (k, v)
        })
        .collect()
}

/// An unreadable item's key as text, for the error it is reported with.
fn key_text(item: &HashMap<String, AttributeValue>) -> String {
    let part = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => "?".to_owned(),
    };
    format!("{} / {}", part(PK), part(SK))
}

impl Registry {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Registry {
        Registry {
            client: aws_sdk_dynamodb::Client::new(sdk),
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn dynamodb<E>(&self, operation: &'static str, err: &E) -> StoreError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error,
    {
        let (code, message) = describe(err);
        StoreError::DynamoDb {
            operation,
            table: self.table.clone(),
            code,
            message,
        }
    }

    /// The record at `key`: `None` when there is none, an error naming the
    /// field when the stored item is unreadable. A strongly consistent
    /// read: the version it returns is the one a conditional write checks.
    pub async fn get(
        &self,
        key: &Key,
    ) -> Result<Option<Result<Record, RegistryError>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(key.pk()))
            .key(SK, AttributeValue::S(key.sk()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.dynamodb("GetItem", &e))?;
        Ok(out.item().map(|item| Record::from_item(&from_item(item))))
    }

    /// Writes `write` if the record is still the version it was decided on
    /// (or, for a new record, if there is still none). `Ok(false)`: another
    /// writer got there first; re-read and decide again.
    pub async fn put(&self, write: &Write) -> Result<bool, StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(write.record.to_item())));
        // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
        // A condition that is false fails the write with
        // ConditionalCheckFailedException and changes nothing.
        let request = match write.expected_version {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(v) => request
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", VERSION)
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.dynamodb("PutItem", &e)),
        }
    }

    /// Deletes the record at `key` if it is still version `expected` (a
    /// record changed since it was read is left for the caller to re-read
    /// and decide again). `Ok(false)`: it changed, or is already gone.
    pub async fn delete(&self, key: &Key, expected: u64) -> Result<bool, StoreError> {
        // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html
        // A false ConditionExpression fails with
        // ConditionalCheckFailedException and deletes nothing.
        let request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(key.pk()))
            .key(SK, AttributeValue::S(key.sk()))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", VERSION)
            .expression_attribute_values(":v", AttributeValue::N(expected.to_string()));
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.dynamodb("DeleteItem", &e)),
        }
    }

    /// Read, decide, write conditionally; again on a conflict, up to five
    /// times. An unreadable record is the decision's business: it gets
    /// `Err` and is never overwritten here.
    pub async fn update<T>(
        &self,
        key: &Key,
        mut decide: impl FnMut(Option<&Record>) -> Result<Decision<T>, RegistryError>,
    ) -> Result<Result<T, RegistryError>, StoreError> {
        for _ in 0..UPDATE_TRIES {
            let record = match self.get(key).await? {
                None => None,
                Some(Ok(record)) => Some(record),
                Some(Err(e)) => return Ok(Err(e)),
            };
            match decide(record.as_ref()) {
                Err(e) => return Ok(Err(e)),
                Ok(Decision::Keep(t)) => return Ok(Ok(t)),
                Ok(Decision::Write(write, t)) => {
                    if self.put(&write).await? {
                        return Ok(Ok(t));
                    }
                }
            }
        }
        Err(StoreError::Contended {
            key: format!("{} / {}", key.pk(), key.sk()),
            tries: UPDATE_TRIES,
        })
    }

    /// Every record, page by page: each readable one, and each unreadable
    /// one as its key and the error naming the field.
    pub async fn scan(&self) -> Result<Vec<Result<Record, (String, RegistryError)>>, StoreError> {
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| self.dynamodb("Scan", &e))?;
            for item in out.items() {
                records.push(Record::from_item(&from_item(item)).map_err(|e| (key_text(item), e)));
            }
            match out.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return Ok(records),
            }
        }
    }
}

/// The validation queue.
#[derive(Debug, Clone)]
pub struct Queue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl Queue {
    pub fn new(sdk: &SdkConfig, url: impl Into<String>) -> Queue {
        Queue {
            client: aws_sdk_sqs::Client::new(sdk),
            url: url.into(),
        }
    }

    /// Sends `bodies`, ten per call ([`enqueue`]).
    pub async fn send(&self, bodies: &[String]) -> Result<usize, StoreError> {
        enqueue(&self.client, &self.url, bodies).await
    }
}

/// SendMessageBatch takes at most ten messages.
/// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
pub const SQS_BATCH: usize = 10;

/// Batches in flight at once: a cycle of 100,000 integrations is 10,000
/// calls, which one at a time would outlast the invocation.
const ENQUEUE_CONCURRENCY: usize = 16;

/// Sends `bodies` to `queue_url`, ten per call, sixteen calls at a time.
/// Entries SQS fails inside a successful call are sent once more; what
/// still fails is an error, so the invocation fails and is retried (a
/// message sent twice is validated once: `registry::disposition`).
pub async fn enqueue(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    bodies: &[String],
) -> Result<usize, StoreError> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut sent = 0;
    let mut first_error = None;
    let mut settle =
        |joined: Option<Result<Result<usize, StoreError>, tokio::task::JoinError>>| match joined {
            Some(Ok(Ok(n))) => sent += n,
            Some(Ok(Err(e))) => {
                first_error.get_or_insert(e);
            }
            Some(Err(e)) => {
                first_error.get_or_insert(StoreError::Sqs {
                    operation: "SendMessageBatch",
                    queue: queue_url.to_owned(),
                    code: None,
                    message: format!("a sending task stopped: {e}"),
                });
            }
            None => {}
        };
    for chunk in bodies.chunks(SQS_BATCH) {
        if tasks.len() >= ENQUEUE_CONCURRENCY {
            settle(tasks.join_next().await);
        }
        let (client, url, chunk) = (client.clone(), queue_url.to_owned(), chunk.to_vec());
        tasks.spawn(async move { send_chunk(&client, &url, &chunk).await });
    }
    while let Some(joined) = tasks.join_next().await {
        settle(Some(joined));
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(sent),
    }
}

async fn send_chunk(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    chunk: &[String],
) -> Result<usize, StoreError> {
    let sqs = |code: Option<String>, message: String| StoreError::Sqs {
        operation: "SendMessageBatch",
        queue: queue_url.to_owned(),
        code,
        message,
    };
    let mut sent = 0;
    let mut pending: Vec<(usize, &String)> = chunk.iter().enumerate().collect();
    for attempt in 0..2 {
        let entries = pending
            .iter()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body.as_str())
                    .build()
                    .map_err(|e| sqs(None, e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = client
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                let (code, message) = describe(&e);
                sqs(code, message)
            })?;
        sent += out.successful().len();
        let failed: Vec<String> = out.failed().iter().map(|f| f.id().to_owned()).collect();
        if let Some(first) = out.failed().first()
            && attempt == 1
        {
            return Err(sqs(
                Some(first.code().to_owned()),
                format!(
                    "{} of {} messages were not sent ({}: {})",
                    failed.len(),
                    chunk.len(),
                    first.code(),
                    first.message().unwrap_or_default()
                ),
            ));
        }
        if failed.is_empty() {
            break;
        }
        pending.retain(|(i, _)| failed.contains(&i.to_string()));
    }
    Ok(sent)
}
