//! The Lambda handler: trigger → integrations → validations → one outcome
//! event each. Bad input is rejected with a reason, never retried; a
//! registration not bound to its sender is rejected before anything is
//! stored or assumed, logged at error with a stable code and named in its
//! outcome (`FailedCheck`, `Code`); a command that did not come through
//! the command bus is ignored and logged at warn. Both log lines carry a
//! `security_alarm` field, which the template's alarm counts.
//!
//! With the registry (`ROLEGATE_REGISTRY_TABLE`, issue 19) the schedule
//! validates nothing itself: it enqueues one message per due integration
//! on SQS, and the queue's batches come back here, each message validated,
//! written to the registry and emitted as soon as it completes, with
//! partial-batch failure reporting. Every decision about a record or a
//! message is `rolegate_policy::registry`'s; this file reads, writes, sends.
//! Without the registry the validator keeps its SSM store (`store`), which
//! the migration (`{"RolegateMigration": "ssm-to-registry"}`) copies over.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_config::SdkConfig;
use lambda_runtime::{Error, LambdaEvent};
use rolegate_aws::AwsError;
use rolegate_aws::metrics::Metrics;
use rolegate_aws::registry::{Decision, Queue, Registry, StoreError};
use rolegate_policy::events::{
    REJECTED_DETAIL_TYPE, VALIDATED_DETAIL_TYPE, VALIDATOR_SOURCE, ValidationOutcome,
};
use rolegate_policy::redact::Secrets;
use rolegate_policy::registry::{
    self as core, Disposition, Key, QueueMessage, Record, Recorded, Registration,
};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::checks::{Check, Status, Verdict};
use crate::config::ValidatorConfig;
use crate::integration::{self, Integration, Refusal, SenderMismatch};
use crate::metrics;
use crate::store::{self, Key as StoreKey};
use crate::sts::{self, Sts, Validation};
use crate::trigger::{self, Queued, Trigger, TriggerError};

pub use crate::store::STORE_PREFIX;

/// The `security_alarm` log field of each attempt to steer the validator
/// (the guard's convention): the template's metric filter counts every
/// line that has one, and an alarm fires on it. `code` says which.
pub const COMMAND_REFUSED_ALARM: &str = "COMMAND_REFUSED";
pub const REGISTRATION_REFUSED_ALARM: &str = "REGISTRATION_REFUSED";
pub const STORED_INTEGRATION_UNTRUSTED_ALARM: &str = "STORED_INTEGRATION_UNTRUSTED";
/// A registry record under a key its content disagrees with: only a write
/// around the validator makes one.
pub const REGISTRY_RECORD_UNTRUSTED_ALARM: &str = "REGISTRY_RECORD_UNTRUSTED";

pub const EVENT_SOURCE: &str = VALIDATOR_SOURCE;
pub const VALIDATED: &str = VALIDATED_DETAIL_TYPE;
pub const REJECTED: &str = REJECTED_DETAIL_TYPE;
/// Stored integrations validated at once by the schedule.
const SCHEDULE_CONCURRENCY: usize = 8;

pub struct Validator {
    pub sts: Sts,
    pub ssm: aws_sdk_ssm::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub config: ValidatorConfig,
    /// Where each invocation's metric lines go (stdout on Lambda).
    pub metrics: Metrics,
    /// The registry and the validation queue, when configured.
    pub registry: Option<Registry>,
    pub queue: Option<Queue>,
}

/// One integration's outcome, as emitted and as answered. No Debug: it
/// holds the ExternalId.
#[derive(Default)]
pub struct Outcome {
    pub role_arn: Option<String>,
    pub validation: Option<Validation>,
    /// Why the input could not be validated at all.
    pub reason: Option<String>,
    /// The check a refusal before any STS call failed, and its stable code.
    pub refused: Option<(Check, &'static str)>,
    /// The account that registered the integration (a Ready event's
    /// envelope account), when known.
    pub sender_account: Option<String>,
    /// The spec's `VendorTenantId`, when known.
    pub vendor_tenant_id: Option<String>,
    /// Kept only to scrub it from the event.
    pub external_id: Option<String>,
}

impl Validator {
    pub fn new(sdk: &SdkConfig, config: ValidatorConfig) -> Validator {
        Validator {
            sts: Sts::new(sdk),
            ssm: aws_sdk_ssm::Client::new(sdk),
            events: aws_sdk_eventbridge::Client::new(sdk),
            registry: config
                .registry_table
                .as_ref()
                .map(|t| Registry::new(sdk, t)),
            queue: config.queue_url.as_ref().map(|u| Queue::new(sdk, u)),
            config,
            metrics: Metrics::stdout(metrics::FUNCTION),
        }
    }

    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let trigger = match trigger::parse(event.payload, &self.config) {
            Ok(t) => t,
            Err(TriggerError::NotFromCommandBus(refused)) => {
                tracing::warn!(
                    security_alarm = COMMAND_REFUSED_ALARM,
                    code = refused.code(),
                    reason = %refused,
                    "command ignored: not delivered by the command bus"
                );
                return Ok(json!({ "Refused": refused.to_string(), "Code": refused.code() }));
            }
            Err(TriggerError::Malformed(reason)) => {
                let outcome = Outcome::rejected(None, reason);
                return self.finish("malformed event", vec![outcome]).await;
            }
        };
        let outcomes = match &trigger {
            Trigger::Ready { sender, detail } => {
                vec![self.register(sender.as_deref(), detail).await?]
            }
            Trigger::Removed { sender, detail } => {
                return self.remove(sender.as_deref(), detail).await;
            }
            Trigger::Command(detail) => vec![self.command(detail).await?],
            Trigger::Schedule => match &self.registry {
                Some(registry) => return self.cycle(registry).await,
                None => self.stored().await?,
            },
            Trigger::Batch(messages) => return self.consume(messages).await,
            Trigger::Migrate => return self.migrate().await,
        };
        self.finish(trigger.name(), outcomes).await
    }

    /// A Ready event: binds it to its sender, stores it under the sender's
    /// key (so the schedule re-validates it from then on) and validates it.
    /// A registration not bound to its sender stores and assumes nothing.
    async fn register(&self, sender: Option<&str>, detail: &Value) -> Result<Outcome, Error> {
        let role_arn = detail
            .get("RoleArn")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let integration = match integration::from_ready(sender, detail) {
            Ok(i) => i,
            Err(Refusal::Invalid(reason)) => {
                return Ok(Outcome {
                    sender_account: sender.map(str::to_owned),
                    ..Outcome::rejected(role_arn, reason)
                });
            }
            Err(Refusal::Sender(mismatch)) => {
                tracing::error!(
                    security_alarm = REGISTRATION_REFUSED_ALARM,
                    code = mismatch.code(),
                    sender = sender.unwrap_or_default(),
                    role = role_arn.as_deref().unwrap_or_default(),
                    reason = %mismatch,
                    "registration refused: not sent by the role's account"
                );
                return Ok(Outcome::refused(role_arn, sender, &mismatch));
            }
        };
        let target = match integration.target() {
            Ok(t) => t,
            Err(reason) => return Ok(Outcome::rejected(role_arn, reason)),
        };
        let Some(sender) = integration.sender_account.as_deref() else {
            return Ok(Outcome::rejected(
                role_arn,
                SenderMismatch::Unknown.to_string(),
            ));
        };
        if let Some(registry) = &self.registry {
            return self.register_in(registry, integration).await;
        }
        let name = store::bound_name(sender, &target.account, &target.name);
        // Serializing a struct of strings cannot fail.
        let value = json!(integration).to_string();
        let description = format!("Rolegate integration {} from account {sender}", target.arn);
        rolegate_aws::put_secure(&self.ssm, &name, &description, &value).await?;
        let wait = self.config.assume_timeout;
        Ok(validate(&self.sts, integration, wait).await)
    }

    /// An `Integration Role Removed`: bound to its sender as a Ready event
    /// is (a refused one is logged as a security alarm and removes
    /// nothing), then the record is deleted at the version read, as
    /// `registry::remove` decides; a record changed meanwhile is re-read
    /// and decided again, up to five times. Nothing is validated or emitted:
    /// the role is gone. Without the registry there is nothing to remove
    /// (the SSM store is read-only to the validator).
    async fn remove(&self, sender: Option<&str>, detail: &Value) -> Result<Value, Error> {
        let role_arn = detail.get("RoleArn").and_then(Value::as_str);
        let (role_arn, sender) = match integration::from_removed(sender, detail) {
            Ok(bound) => bound,
            Err(Refusal::Invalid(reason)) => {
                tracing::warn!(role = role_arn.unwrap_or_default(), %reason, "removal ignored: the detail is not readable");
                return Ok(json!({ "Removed": false, "Reason": reason }));
            }
            Err(Refusal::Sender(mismatch)) => {
                tracing::error!(
                    security_alarm = REGISTRATION_REFUSED_ALARM,
                    code = mismatch.code(),
                    sender = sender.unwrap_or_default(),
                    role = role_arn.unwrap_or_default(),
                    reason = %mismatch,
                    "removal refused: not sent by the role's account"
                );
                return Ok(
                    json!({ "Removed": false, "Reason": mismatch.to_string(), "Code": mismatch.code() }),
                );
            }
        };
        let Some(registry) = &self.registry else {
            return Ok(json!({ "Removed": false, "Reason": "no registry is configured" }));
        };
        let key = match Key::of_role_arn(&role_arn) {
            Ok(key) => key,
            Err(rule) => {
                return Ok(
                    json!({ "Removed": false, "Reason": format!("detail.RoleArn: {rule}") }),
                );
            }
        };
        for _ in 0..5 {
            let existing = match registry.get(&key).await? {
                None => None,
                Some(Ok(record)) => Some(record),
                Some(Err(e)) => {
                    let reason = unreadable(&key, &e);
                    return Ok(json!({ "Removed": false, "Reason": reason }));
                }
            };
            let (key, version) = match core::remove(existing.as_ref(), &sender) {
                core::Removal::Absent => {
                    tracing::info!(role = %role_arn, "removal: no record (never registered, or removed already)");
                    return Ok(json!({ "Removed": false, "Reason": "no record" }));
                }
                core::Removal::OtherSender { registered_by } => {
                    tracing::error!(
                        security_alarm = REGISTRATION_REFUSED_ALARM,
                        code = "REMOVAL_OF_ANOTHER_SENDERS_RECORD",
                        sender = %sender,
                        registered_by = %registered_by,
                        role = %role_arn,
                        "removal refused: the record was registered by another account"
                    );
                    return Ok(
                        json!({ "Removed": false, "Reason": format!("registered by account {registered_by}") }),
                    );
                }
                core::Removal::Delete {
                    key,
                    expected_version,
                } => (key, expected_version),
            };
            if registry.delete(&key, version).await? {
                tracing::info!(role = %role_arn, sender = %sender, "integration removed from the registry");
                return Ok(json!({ "Removed": true, "RoleArn": role_arn }));
            }
        }
        Err(StoreError::Contended {
            key: format!("{} / {}", key.pk(), key.sk()),
            tries: 5,
        }
        .into())
    }

    /// A bound registration with the registry: upserts its record, then
    /// validates with the full wait (the role may be seconds old) and
    /// records the outcome.
    async fn register_in(
        &self,
        registry: &Registry,
        integration: Integration,
    ) -> Result<Outcome, Error> {
        let key = match Key::of_role_arn(&integration.role_arn) {
            Ok(key) => key,
            Err(rule) => {
                let reason = format!("detail.RoleArn: {rule}");
                return Ok(Outcome::rejected(Some(integration.role_arn), reason));
            }
        };
        let now = rolegate_aws::now();
        let registration = registration_of(&integration);
        let upserted = registry
            .update(&key, |existing| {
                core::register(existing, registration.clone(), &now).map(|w| Decision::Write(w, ()))
            })
            .await?;
        if let Err(e) = upserted {
            let reason = unreadable(&key, &e);
            return Ok(Outcome::rejected(Some(integration.role_arn), reason));
        }
        let outcome = validate(&self.sts, integration, self.config.assume_timeout).await;
        write_outcome(registry, &key, &outcome).await?;
        Ok(outcome)
    }

    /// A command: validates the role it names, with the stored ExternalId
    /// when the command leaves it out (the bound entry first, then the
    /// entry from before sender binding).
    async fn command(&self, detail: &Value) -> Result<Outcome, Error> {
        let role_arn = detail
            .get("RoleArn")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut stored = None;
        let key = role_arn.as_deref().and_then(|a| Key::of_role_arn(a).ok());
        let mut registered = false;
        if let (Some(registry), Some(key)) = (&self.registry, &key) {
            match registry.get(key).await? {
                Some(Ok(record)) => {
                    stored = Some(integration_of(&record));
                    registered = true;
                }
                Some(Err(e)) => {
                    unreadable(key, &e);
                }
                None => {}
            }
        }
        if stored.is_none()
            && let Some(Ok(target)) = role_arn
                .as_deref()
                .map(|a| integration::role_target(a, "RoleArn"))
        {
            for name in [
                store::bound_name(&target.account, &target.account, &target.name),
                store::legacy_name(&target.account, &target.name),
            ] {
                stored = rolegate_aws::get_secure(&self.ssm, &name)
                    .await?
                    .and_then(|v| serde_json::from_str::<Integration>(&v).ok())
                    .filter(|i| store::check_entry(&name, i).is_ok());
                if stored.is_some() {
                    break;
                }
            }
        }
        match integration::from_command(detail, stored.as_ref()) {
            Ok(integration) => {
                let outcome = validate(&self.sts, integration, self.config.assume_timeout).await;
                if let (Some(registry), Some(key), true) = (&self.registry, &key, registered) {
                    write_outcome(registry, key, &outcome).await?;
                }
                Ok(outcome)
            }
            Err(reason) => Ok(Outcome::rejected(role_arn, reason)),
        }
    }

    /// Every stored integration, a few at a time. An entry from before
    /// sender binding is skipped when its role also has a bound entry.
    async fn stored(&self) -> Result<Vec<Outcome>, AwsError> {
        let (due, mut outcomes) = self.stored_entries().await?;
        let mut due = due.into_iter().peekable();
        while due.peek().is_some() {
            let mut runs = JoinSet::new();
            for integration in due.by_ref().take(SCHEDULE_CONCURRENCY) {
                let (sts, wait) = (self.sts.clone(), self.config.assume_timeout);
                runs.spawn(async move { validate(&sts, integration, wait).await });
            }
            while let Some(joined) = runs.join_next().await {
                match joined {
                    Ok(outcome) => outcomes.push(outcome),
                    Err(e) => outcomes.push(Outcome::rejected(
                        None,
                        format!("a validation stopped: {e}"),
                    )),
                }
            }
        }
        Ok(outcomes)
    }

    /// The SSM store's integrations to validate (or migrate), and an
    /// outcome for each entry that cannot be read or trusted. An entry from
    /// before sender binding is left out when its role has a bound entry.
    async fn stored_entries(&self) -> Result<(Vec<Integration>, Vec<Outcome>), AwsError> {
        let listed = rolegate_aws::list_secure(&self.ssm, STORE_PREFIX).await?;
        let mut outcomes = Vec::new();
        let mut entries = Vec::with_capacity(listed.len());
        for (parameter, value) in listed {
            let integration = match serde_json::from_str::<Integration>(&value) {
                Ok(i) => i,
                Err(e) => {
                    let reason = format!("{parameter}: the stored integration is unreadable ({e})");
                    outcomes.push(Outcome::rejected(None, reason));
                    continue;
                }
            };
            match store::check_entry(&parameter, &integration) {
                Ok(key) => entries.push((key, integration)),
                Err(reason) => {
                    // Only a write around the validator makes one.
                    tracing::error!(
                        security_alarm = STORED_INTEGRATION_UNTRUSTED_ALARM,
                        %parameter,
                        %reason,
                        "stored integration disagrees with its key; not validated"
                    );
                    outcomes.push(Outcome::rejected(Some(integration.role_arn), reason));
                }
            }
        }
        let bound: BTreeSet<String> = entries
            .iter()
            .filter(|(key, _)| matches!(key, StoreKey::Bound { .. }))
            .map(|(_, i)| i.role_arn.clone())
            .collect();
        let due: Vec<Integration> = entries
            .into_iter()
            .filter(|(key, i)| {
                matches!(key, StoreKey::Bound { .. }) || !bound.contains(&i.role_arn)
            })
            .map(|(_, i)| i)
            .collect();
        Ok((due, outcomes))
    }

    /// The schedule with the registry: one queue message per due record.
    /// An unreadable record is rejected naming its field, once a cycle,
    /// and never validated.
    async fn cycle(&self, registry: &Registry) -> Result<Value, Error> {
        let queue = self
            .queue
            .as_ref()
            .ok_or("ROLEGATE_VALIDATION_QUEUE_URL: not set; the schedule enqueues on it")?;
        let now = rolegate_aws::now();
        let mut bodies = Vec::new();
        let mut outcomes = Vec::new();
        let scanned = registry.scan().await?;
        let registered = scanned.len();
        for record in scanned {
            match record {
                Ok(record) => {
                    if core::is_due(&record, &now, self.config.fresh_for) {
                        bodies.push(QueueMessage::of(&record, &now).body());
                    }
                }
                Err((key, e)) => {
                    log_unreadable(&key, &e);
                    outcomes.push(Outcome::rejected(
                        None,
                        format!("registry record {key}: {e}"),
                    ));
                }
            }
        }
        let enqueued = queue.send(&bodies).await?;
        tracing::info!(registered, enqueued, "validation cycle enqueued");
        let mut answer = self.finish("schedule", outcomes).await?;
        answer["Registered"] = json!(registered);
        answer["Enqueued"] = json!(enqueued);
        Ok(answer)
    }

    /// A batch of the validation queue: every message at once, each
    /// written and emitted as soon as it completes. The answer names only
    /// the messages that must come again (a store or bus failure):
    /// `batchItemFailures`, with `ReportBatchItemFailures` on the event
    /// source mapping; a malformed message, an unknown integration and a
    /// duplicate each end here, once.
    /// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
    async fn consume(&self, messages: &[Queued]) -> Result<Value, Error> {
        let registry = self.registry.as_ref().ok_or(
            "ROLEGATE_REGISTRY_TABLE: not set; the validator consumes its queue only with the registry",
        )?;
        let mut runs = Vec::with_capacity(messages.len());
        let bodies: Vec<&str> = messages.iter().map(|m| m.body.as_str()).collect();
        let repeated = core::message::repeated_in_batch(&bodies);
        for (message, repeated) in messages.iter().zip(repeated) {
            if repeated {
                // The same integration twice in one batch: the first
                // validates it, this one is done.
                tracing::info!(message_id = %message.message_id, "duplicate message in the batch; not validated again");
                continue;
            }
            let consumer = Consumer {
                sts: self.sts.clone(),
                registry: registry.clone(),
                events: self.events.clone(),
                config: self.config.clone(),
            };
            let body = message.body.clone();
            if message.receive_count > 1 {
                // An earlier delivery recorded nothing (a failure it
                // reported, a crash, a timeout): this one validates again,
                // and says so. One whose outcome was recorded is a
                // duplicate and validates nothing (`registry::disposition`).
                tracing::warn!(
                    message_id = %message.message_id,
                    receive_count = message.receive_count,
                    "message delivered again; validated again unless its outcome was recorded"
                );
            }
            let run = tokio::spawn(async move { consumer.consume(&body).await });
            runs.push((message.message_id.clone(), run));
        }
        let mut failures = Vec::new();
        let mut counted = Vec::new();
        for (message_id, run) in runs {
            match run.await {
                Ok(Ok(Some(counted_as))) => counted.push(counted_as),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(message_id, error = %e, "message not consumed; it comes again");
                    failures.push(json!({ "itemIdentifier": message_id }));
                }
                Err(e) => {
                    tracing::error!(message_id, error = %e, "a validation stopped; the message comes again");
                    failures.push(json!({ "itemIdentifier": message_id }));
                }
            }
        }
        self.metrics.emit(&metrics::lines(&counted, trigger::QUEUE));
        Ok(json!({ "batchItemFailures": failures }))
    }

    /// Copies the SSM store into the registry, once: an entry is written
    /// only where the registry has no record, so a second run, or a run
    /// after the role's Ready event, changes nothing.
    async fn migrate(&self) -> Result<Value, Error> {
        let registry = self
            .registry
            .as_ref()
            .ok_or("ROLEGATE_REGISTRY_TABLE: not set; there is no registry to migrate into")?;
        let (entries, refused) = self.stored_entries().await?;
        let now = rolegate_aws::now();
        let (mut migrated, mut already) = (0, 0);
        let mut unreadable_entries: Vec<String> =
            refused.into_iter().filter_map(|o| o.reason).collect();
        for integration in entries {
            let Ok(key) = Key::of_role_arn(&integration.role_arn) else {
                continue;
            };
            let registration = registration_of(&integration);
            let written = registry
                .update(&key, |existing| {
                    core::migrate(existing, registration.clone(), &now).map(|w| match w {
                        Some(w) => Decision::Write(w, true),
                        None => Decision::Keep(false),
                    })
                })
                .await?;
            match written {
                Ok(true) => migrated += 1,
                Ok(false) => already += 1,
                Err(e) => unreadable_entries.push(unreadable(&key, &e)),
            }
        }
        tracing::info!(
            migrated,
            already,
            "SSM integrations migrated into the registry"
        );
        Ok(json!({
            "Trigger": trigger::MIGRATION,
            "Migrated": migrated,
            "AlreadyRegistered": already,
            "Unreadable": unreadable_entries,
        }))
    }

    /// Emits one event per outcome and answers with all of them.
    async fn finish(&self, trigger: &str, outcomes: Vec<Outcome>) -> Result<Value, Error> {
        let mut answered = Vec::with_capacity(outcomes.len());
        let mut counted = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            let (detail_type, detail) =
                emit(&self.events, &self.config.event_bus, trigger, &outcome).await?;
            answered.push(json!({"DetailType": detail_type, "Detail": detail}));
            counted.push((detail_type, outcome.failed_check()));
        }
        self.metrics.emit(&metrics::lines(&counted, trigger));
        Ok(json!({ "Trigger": trigger, "Outcomes": answered }))
    }
}

/// Puts one outcome's event on the bus; the detail-type and detail sent.
async fn emit(
    events: &aws_sdk_eventbridge::Client,
    bus: &str,
    trigger: &str,
    outcome: &Outcome,
) -> Result<(&'static str, Value), AwsError> {
    let (detail_type, detail) = outcome.event(trigger);
    rolegate_aws::put_event(events, bus, EVENT_SOURCE, detail_type, &detail).await?;
    tracing::info!(detail_type, role = %detail["RoleArn"], reason = %detail["Reason"], "validation outcome");
    Ok((detail_type, detail))
}

/// Runs the checks on one integration, waiting up to `wait` for the role
/// to become assumable.
async fn validate(sts: &Sts, integration: Integration, wait: Duration) -> Outcome {
    let validation = sts::validate(sts, &integration, wait).await;
    Outcome::validated(integration, validation)
}

/// Records `outcome` on the record at `key`: `Some(changed)` when written,
/// `None` when the record is gone, unreadable, or already holds a later
/// outcome.
async fn write_outcome(
    registry: &Registry,
    key: &Key,
    outcome: &Outcome,
) -> Result<Option<bool>, StoreError> {
    let kept = outcome.kept();
    let at = rolegate_aws::now();
    let recorded = registry
        .update(key, |record| {
            Ok(match record {
                None => Decision::Keep(None),
                Some(record) => match core::record_outcome(record, kept.clone(), &at) {
                    Recorded::Write { write, changed } => Decision::Write(write, Some(changed)),
                    Recorded::Superseded { newer } => {
                        tracing::info!(role = %key.role_arn, %newer, "a later outcome is already recorded; this one is not");
                        Decision::Keep(None)
                    }
                },
            })
        })
        .await?;
    Ok(match recorded {
        Ok(changed) => changed,
        Err(e) => {
            unreadable(key, &e);
            None
        }
    })
}

/// What the registry is told of a bound registration or an SSM entry.
fn registration_of(integration: &Integration) -> Registration {
    Registration {
        role_arn: integration.role_arn.clone(),
        external_id: integration.external_id.clone(),
        sender_account: integration.sender_account.clone(),
        vendor_tenant_id: integration.vendor_tenant_id.clone(),
    }
}

/// The integration a registry record holds.
fn integration_of(record: &Record) -> Integration {
    Integration {
        role_arn: record.key.role_arn.clone(),
        external_id: record.external_id.clone(),
        sender_account: record.sender_account.clone(),
        vendor_tenant_id: record.vendor_tenant_id.clone(),
    }
}

/// Logs an unreadable registry record and says why, naming the field.
fn unreadable(key: &Key, e: &core::RegistryError) -> String {
    let key = format!("{} / {}", key.pk(), key.sk());
    log_unreadable(&key, e);
    format!("registry record {key}: {e}")
}

fn log_unreadable(key: &str, e: &core::RegistryError) {
    if matches!(e, core::RegistryError::KeyMismatch { .. }) {
        tracing::error!(security_alarm = REGISTRY_RECORD_UNTRUSTED_ALARM, code = e.code(), key, reason = %e, "registry record disagrees with its key; not validated");
    } else {
        tracing::error!(code = e.code(), key, reason = %e, "registry record unreadable; not validated");
    }
}

/// What one queue message needs, owned, so each runs as its own task.
struct Consumer {
    sts: Sts,
    registry: Registry,
    events: aws_sdk_eventbridge::Client,
    config: ValidatorConfig,
}

impl Consumer {
    /// One message: `Ok(Some(..))` an outcome to count, `Ok(None)` nothing
    /// done (a duplicate, a superseded outcome), `Err` a store or bus
    /// failure, so the message comes again.
    async fn consume(&self, body: &str) -> Result<Option<(&'static str, Option<Check>)>, Error> {
        let bus = &self.config.event_bus;
        let (key, enqueued_at) = match QueueMessage::parse(body) {
            Ok(parsed) => parsed,
            Err(e) => {
                tracing::warn!(code = e.code(), reason = %e, "malformed validation message; dropped");
                let outcome = Outcome::rejected(None, e.to_string());
                let (detail_type, _) = emit(&self.events, bus, trigger::QUEUE, &outcome).await?;
                return Ok(Some((detail_type, None)));
            }
        };
        let record = match self.registry.get(&key).await? {
            Some(Ok(record)) => Some(record),
            Some(Err(e)) => {
                let outcome = Outcome::rejected(Some(key.role_arn.clone()), unreadable(&key, &e));
                let (detail_type, _) = emit(&self.events, bus, trigger::QUEUE, &outcome).await?;
                return Ok(Some((detail_type, None)));
            }
            None => None,
        };
        let record = match (core::disposition(record.as_ref(), &enqueued_at), record) {
            (Disposition::Validate, Some(record)) => record,
            (Disposition::Duplicate { validated_at }, _) => {
                tracing::info!(role = %key.role_arn, %enqueued_at, %validated_at, "duplicate message: validated since it was enqueued; not validated again");
                return Ok(None);
            }
            (Disposition::Unknown | Disposition::Validate, _) => {
                let reason = format!(
                    "RoleArn: {} is not in the registry (never registered, or removed since the cycle enqueued it); not validated",
                    key.role_arn
                );
                tracing::warn!(role = %key.role_arn, "validation message for an unknown integration; dropped");
                let outcome = Outcome::rejected(Some(key.role_arn.clone()), reason);
                let (detail_type, _) = emit(&self.events, bus, trigger::QUEUE, &outcome).await?;
                return Ok(Some((detail_type, None)));
            }
        };
        let wait = core::assume_wait(&record, self.config.assume_timeout);
        let outcome = validate(&self.sts, integration_of(&record), wait).await;
        if outcome
            .validation
            .as_ref()
            .is_some_and(|v| v.throttled && v.verdict != Verdict::Validated)
        {
            // STS throttled past the SDK's retries: that rejection says
            // nothing about the role. The message comes again after its
            // visibility timeout, so throttling slows the cycle and never
            // turns into a rejection (issue 19).
            return Err(format!(
                "{}: STS throttled the validation; not recorded, the message comes again",
                key.role_arn
            )
            .into());
        }
        let counted = (outcome.detail_type(), outcome.failed_check());
        // The event goes out before the record is written: a crash or a
        // failed write in between leaves the message to come again and be
        // validated again (an event twice), never an outcome recorded but
        // not emitted (an event lost).
        let kept = outcome.kept();
        let at = rolegate_aws::now();
        let mut emitted = false;
        for _ in 0..RECORD_TRIES {
            let current = match self.registry.get(&key).await? {
                Some(Ok(current)) => current,
                Some(Err(e)) => {
                    unreadable(&key, &e);
                    return Ok(None);
                }
                // Removed while it was validated: nothing to record.
                None => return Ok(None),
            };
            if core::disposition(Some(&current), &enqueued_at) != Disposition::Validate {
                // Another consumer of the same message recorded it first.
                return Ok(None);
            }
            let (write, changed) = match core::record_outcome(&current, kept.clone(), &at) {
                Recorded::Write { write, changed } => (write, changed),
                Recorded::Superseded { .. } => return Ok(None),
            };
            if !emitted {
                if core::emits(&kept, changed, false) {
                    emit(&self.events, bus, trigger::QUEUE, &outcome).await?;
                } else {
                    tracing::info!(role = %key.role_arn, failed_check = ?outcome.failed_check(), "still rejected for the same check; no event");
                }
                emitted = true;
            }
            if self.registry.put(&write).await? {
                return Ok(Some(counted));
            }
        }
        Err(StoreError::Contended {
            key: format!("{} / {}", key.pk(), key.sk()),
            tries: RECORD_TRIES,
        }
        .into())
    }
}

/// How often a queue outcome is re-decided when another writer changed
/// its record meanwhile.
const RECORD_TRIES: usize = 5;

impl Outcome {
    pub fn rejected(role_arn: Option<String>, reason: String) -> Outcome {
        Outcome {
            role_arn,
            reason: Some(reason),
            ..Outcome::default()
        }
    }

    /// A registration refused because its sender is not the role's account.
    pub fn refused(
        role_arn: Option<String>,
        sender: Option<&str>,
        mismatch: &SenderMismatch,
    ) -> Outcome {
        Outcome {
            role_arn,
            reason: Some(mismatch.to_string()),
            refused: Some((mismatch.check(), mismatch.code())),
            sender_account: sender.map(str::to_owned),
            ..Outcome::default()
        }
    }

    pub fn validated(integration: Integration, validation: Validation) -> Outcome {
        Outcome {
            role_arn: Some(integration.role_arn),
            validation: Some(validation),
            sender_account: integration.sender_account,
            vendor_tenant_id: integration.vendor_tenant_id,
            external_id: Some(integration.external_id),
            ..Outcome::default()
        }
    }

    /// The outcome as the registry keeps it; the reason as emitted,
    /// scrubbed of the ExternalId.
    pub fn kept(&self) -> core::Outcome {
        let (detail_type, detail) = self.event("");
        if detail_type == VALIDATED {
            return core::Outcome::Validated;
        }
        core::Outcome::Rejected {
            failed_check: self.failed_check(),
            reason: detail["Reason"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// `Integration Validated` or `Integration Rejected`.
    pub fn detail_type(&self) -> &'static str {
        self.detail("").0
    }

    /// The check that failed, if any: the refusal's, or the first failed
    /// STS check.
    pub fn failed_check(&self) -> Option<Check> {
        self.refused.map(|(check, _)| check).or_else(|| {
            self.validation.as_ref().and_then(|v| {
                v.results
                    .iter()
                    .find(|r| r.status == Status::Failed)
                    .map(|r| r.check)
            })
        })
    }

    /// The event's detail-type and detail as sent: serialized, then
    /// scrubbed of the integration's ExternalId.
    pub fn event(&self, trigger: &str) -> (&'static str, Value) {
        let (detail_type, detail) = self.detail(trigger);
        let secrets = Secrets::new(self.external_id.clone());
        // Serializing a struct of strings, numbers and enums cannot fail.
        (detail_type, secrets.scrub_value(&json!(detail)))
    }

    /// The event's detail-type and detail, before scrubbing.
    pub fn detail(&self, trigger: &str) -> (&'static str, ValidationOutcome) {
        let account = self
            .role_arn
            .as_deref()
            .and_then(|a| integration::role_target(a, "RoleArn").ok())
            .map(|t| t.account);
        let (detail_type, reason) = match (&self.validation, &self.reason) {
            (Some(v), _) => match &v.verdict {
                Verdict::Validated => (VALIDATED, None),
                Verdict::Rejected { reason } => (REJECTED, Some(reason.clone())),
            },
            (None, reason) => (REJECTED, reason.clone()),
        };
        let detail = ValidationOutcome {
            role_arn: self.role_arn.clone(),
            account,
            sender_account: self.sender_account.clone(),
            vendor_tenant_id: self.vendor_tenant_id.clone(),
            trigger: trigger.to_owned(),
            reason,
            failed_check: self.failed_check(),
            code: self.refused.map(|(_, code)| code.to_owned()),
            checks: self.validation.as_ref().map(|v| v.results.clone()),
            sts_calls: self.validation.as_ref().map_or(0, |v| v.sts_calls),
        };
        (detail_type, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{ALL_CHECKS, CheckResult, verdict};

    #[test]
    fn a_refused_registration_names_the_failed_check_and_its_code() {
        let mismatch = SenderMismatch::RoleOfAnotherAccount {
            sender: "999988887777".into(),
            role_account: "123456789012".into(),
        };
        let outcome = Outcome::refused(
            Some("arn:aws:iam::123456789012:role/integrations/x".into()),
            Some("999988887777"),
            &mismatch,
        );
        let (kind, detail) = outcome.detail(trigger::READY);
        assert_eq!(kind, REJECTED);
        assert_eq!(detail.failed_check, Some(Check::SenderAccount));
        assert_eq!(
            detail.code.as_deref(),
            Some("REGISTRATION_ACCOUNT_MISMATCH")
        );
        assert_eq!(detail.sender_account.as_deref(), Some("999988887777"));
        assert_eq!(detail.account.as_deref(), Some("123456789012"));
        assert_eq!(detail.sts_calls, 0);
    }

    #[test]
    fn a_validated_outcome_carries_the_sender_and_the_tenant() {
        let results: Vec<CheckResult> = ALL_CHECKS
            .iter()
            .map(|c| CheckResult::passed(*c, ""))
            .collect();
        let verdict = verdict(&results);
        let outcome = Outcome::validated(
            Integration {
                role_arn: "arn:aws:iam::123456789012:role/integrations/x".into(),
                external_id: "abcdef123456".into(),
                sender_account: Some("123456789012".into()),
                vendor_tenant_id: Some("tenant-42".into()),
            },
            Validation {
                results,
                sts_calls: 4,
                verdict,
                throttled: false,
            },
        );
        let (kind, detail) = outcome.detail("schedule");
        assert_eq!(kind, VALIDATED);
        assert_eq!(detail.vendor_tenant_id.as_deref(), Some("tenant-42"));
        assert_eq!(detail.sender_account.as_deref(), Some("123456789012"));
        assert!(detail.failed_check.is_none() && detail.code.is_none());
    }
}
