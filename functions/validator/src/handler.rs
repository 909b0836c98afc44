//! The Lambda handler: trigger → integrations → validations → one outcome
//! event each. Bad input is rejected with a reason, never retried; a
//! registration not bound to its sender is rejected before anything is
//! stored or assumed, logged at error with a stable code and named in its
//! outcome (`FailedCheck`, `Code`); a command that did not come through
//! the command bus is ignored and logged at warn. Both log lines carry a
//! `security_alarm` field, which the template's alarm counts.

use std::collections::BTreeSet;

use aws_config::SdkConfig;
use lambda_runtime::{Error, LambdaEvent};
use rolegate_aws::AwsError;
use rolegate_aws::metrics::Metrics;
use rolegate_policy::events::{
    REJECTED_DETAIL_TYPE, VALIDATED_DETAIL_TYPE, VALIDATOR_SOURCE, ValidationOutcome,
};
use rolegate_policy::redact::Secrets;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::checks::{Check, Status, Verdict};
use crate::config::ValidatorConfig;
use crate::integration::{self, Integration, Refusal, SenderMismatch};
use crate::metrics;
use crate::store::{self, Key};
use crate::sts::{self, Sts, Validation};
use crate::trigger::{self, Trigger, TriggerError};

pub use crate::store::STORE_PREFIX;

/// The `security_alarm` log field of each attempt to steer the validator
/// (the guard's convention): the template's metric filter counts every
/// line that has one, and an alarm fires on it. `code` says which.
pub const COMMAND_REFUSED_ALARM: &str = "COMMAND_REFUSED";
pub const REGISTRATION_REFUSED_ALARM: &str = "REGISTRATION_REFUSED";
pub const STORED_INTEGRATION_UNTRUSTED_ALARM: &str = "STORED_INTEGRATION_UNTRUSTED";

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
            Trigger::Command(detail) => vec![self.command(detail).await?],
            Trigger::Schedule => self.stored().await?,
        };
        self.finish(trigger.name(), outcomes).await
    }

    /// A Ready event: binds it to its sender, stores it under the sender's
    /// key (so the schedule re-validates it from then on) and validates it.
    /// A registration not bound to its sender stores and assumes nothing.
    async fn register(&self, sender: Option<&str>, detail: &Value) -> Result<Outcome, AwsError> {
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
        let name = store::bound_name(sender, &target.account, &target.name);
        // Serializing a struct of strings cannot fail.
        let value = json!(integration).to_string();
        let description = format!("Rolegate integration {} from account {sender}", target.arn);
        rolegate_aws::put_secure(&self.ssm, &name, &description, &value).await?;
        Ok(validate(&self.sts, integration, &self.config).await)
    }

    /// A command: validates the role it names, with the stored ExternalId
    /// when the command leaves it out (the bound entry first, then the
    /// entry from before sender binding).
    async fn command(&self, detail: &Value) -> Result<Outcome, AwsError> {
        let role_arn = detail
            .get("RoleArn")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut stored = None;
        if let Some(Ok(target)) = role_arn
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
            Ok(integration) => Ok(validate(&self.sts, integration, &self.config).await),
            Err(reason) => Ok(Outcome::rejected(role_arn, reason)),
        }
    }

    /// Every stored integration, a few at a time. An entry from before
    /// sender binding is skipped when its role also has a bound entry.
    async fn stored(&self) -> Result<Vec<Outcome>, AwsError> {
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
            .filter(|(key, _)| matches!(key, Key::Bound { .. }))
            .map(|(_, i)| i.role_arn.clone())
            .collect();
        let due: Vec<Integration> = entries
            .into_iter()
            .filter(|(key, i)| matches!(key, Key::Bound { .. }) || !bound.contains(&i.role_arn))
            .map(|(_, i)| i)
            .collect();
        let mut due = due.into_iter().peekable();
        while due.peek().is_some() {
            let mut runs = JoinSet::new();
            for integration in due.by_ref().take(SCHEDULE_CONCURRENCY) {
                let (sts, config) = (self.sts.clone(), self.config.clone());
                runs.spawn(async move { validate(&sts, integration, &config).await });
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

    /// Emits one event per outcome and answers with all of them.
    async fn finish(&self, trigger: &str, outcomes: Vec<Outcome>) -> Result<Value, Error> {
        let mut answered = Vec::with_capacity(outcomes.len());
        let mut counted = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            let (detail_type, detail) = outcome.event(trigger);
            rolegate_aws::put_event(
                &self.events,
                &self.config.event_bus,
                EVENT_SOURCE,
                detail_type,
                &detail,
            )
            .await?;
            tracing::info!(detail_type, role = %detail["RoleArn"], reason = %detail["Reason"], "validation outcome");
            answered.push(json!({"DetailType": detail_type, "Detail": detail}));
            counted.push((detail_type, outcome.failed_check()));
        }
        self.metrics.emit(&metrics::lines(&counted, trigger));
        Ok(json!({ "Trigger": trigger, "Outcomes": answered }))
    }
}

/// Runs the checks on one integration.
async fn validate(sts: &Sts, integration: Integration, config: &ValidatorConfig) -> Outcome {
    let validation = sts::validate(sts, &integration, config.assume_timeout).await;
    Outcome::validated(integration, validation)
}

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
            },
        );
        let (kind, detail) = outcome.detail("schedule");
        assert_eq!(kind, VALIDATED);
        assert_eq!(detail.vendor_tenant_id.as_deref(), Some("tenant-42"));
        assert_eq!(detail.sender_account.as_deref(), Some("123456789012"));
        assert!(detail.failed_check.is_none() && detail.code.is_none());
    }
}
