//! The Lambda handler: trigger → integrations → validations → one outcome
//! event each. Bad input is rejected with a reason, never retried.

use aws_config::SdkConfig;
use lambda_runtime::{Error, LambdaEvent};
use rolegate_aws::AwsError;
use rolegate_policy::reconcile::escaped_parameter_name;
use rolegate_policy::redact::Secrets;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::checks::Verdict;
use crate::config::ValidatorConfig;
use crate::integration::{self, Integration};
use crate::probe::{self, Sts, Validation};
use crate::trigger::{self, Trigger};

pub const EVENT_SOURCE: &str = "rolegate.validator";
pub const VALIDATED: &str = "Integration Validated";
pub const REJECTED: &str = "Integration Rejected";
/// Where the vendor keeps the integrations it has heard of, one
/// SecureString each: `<prefix><account>/<role name>`.
pub const STORE_PREFIX: &str = "/rolegate/integrations/";
/// Stored integrations validated at once by the schedule.
const SCHEDULE_CONCURRENCY: usize = 8;

pub struct Validator {
    pub sts: Sts,
    pub ssm: aws_sdk_ssm::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub config: ValidatorConfig,
}

/// One integration's outcome, as emitted and as answered.
pub struct Outcome {
    pub role_arn: Option<String>,
    pub validation: Option<Validation>,
    /// Why the input could not be validated at all.
    pub reason: Option<String>,
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
        }
    }

    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let trigger = match trigger::parse(event.payload, &self.config) {
            Ok(t) => t,
            Err(reason) => {
                let outcome = Outcome::rejected(None, reason);
                return self.finish("malformed event", vec![outcome]).await;
            }
        };
        let outcomes = match &trigger {
            Trigger::Ready(detail) => vec![self.validate_detail(detail, true).await?],
            Trigger::Command(detail) => vec![self.validate_detail(detail, false).await?],
            Trigger::Schedule => self.stored().await?,
        };
        self.finish(trigger.name(), outcomes).await
    }

    /// Validates the integration a detail names. A Ready event's integration
    /// is stored first, so the schedule re-validates it from then on.
    async fn validate_detail(&self, detail: &Value, store: bool) -> Result<Outcome, AwsError> {
        let role_arn = detail
            .get("RoleArn")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let stored = match role_arn
            .as_deref()
            .map(|a| integration::role_target(a, "RoleArn"))
        {
            Some(Ok(target)) if !store => {
                rolegate_aws::get_secure(&self.ssm, &store_name(&target.account, &target.name))
                    .await?
                    .and_then(|v| serde_json::from_str::<Integration>(&v).ok())
                    .map(|i| i.external_id)
            }
            _ => None,
        };
        let integration = match integration::from_detail(detail, stored.as_deref()) {
            Ok(i) => i,
            Err(reason) => return Ok(Outcome::rejected(role_arn, reason)),
        };
        if store && let Ok(target) = integration.target() {
            let value = serde_json::to_string(&integration).unwrap_or_default();
            let name = store_name(&target.account, &target.name);
            let description = format!("Rolegate integration {}", target.arn);
            rolegate_aws::put_secure(&self.ssm, &name, &description, &value).await?;
        }
        Ok(self.validate(integration).await)
    }

    async fn validate(&self, integration: Integration) -> Outcome {
        let validation = probe::validate(&self.sts, &integration, self.config.assume_timeout).await;
        Outcome {
            role_arn: Some(integration.role_arn.clone()),
            validation: Some(validation),
            reason: None,
            external_id: Some(integration.external_id),
        }
    }

    /// Every stored integration, a few at a time.
    async fn stored(&self) -> Result<Vec<Outcome>, AwsError> {
        let stored = rolegate_aws::list_secure(&self.ssm, STORE_PREFIX).await?;
        let mut outcomes = Vec::with_capacity(stored.len());
        for chunk in stored.chunks(SCHEDULE_CONCURRENCY) {
            let mut runs = JoinSet::new();
            for (parameter, value) in chunk {
                match serde_json::from_str::<Integration>(value) {
                    Ok(integration) => {
                        let (sts, timeout) = (self.sts.clone(), self.config.assume_timeout);
                        runs.spawn(async move {
                            let validation = probe::validate(&sts, &integration, timeout).await;
                            Outcome {
                                role_arn: Some(integration.role_arn.clone()),
                                validation: Some(validation),
                                reason: None,
                                external_id: Some(integration.external_id),
                            }
                        });
                    }
                    Err(e) => outcomes.push(Outcome::rejected(
                        None,
                        format!("{parameter}: the stored integration is unreadable ({e})"),
                    )),
                }
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
        for outcome in outcomes {
            let (detail_type, detail) = outcome.detail(trigger);
            let secrets = Secrets::new(outcome.external_id.clone());
            let detail = secrets.scrub_value(&detail);
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
        }
        Ok(json!({ "Trigger": trigger, "Outcomes": answered }))
    }
}

impl Outcome {
    pub fn rejected(role_arn: Option<String>, reason: String) -> Outcome {
        Outcome {
            role_arn,
            validation: None,
            reason: Some(reason),
            external_id: None,
        }
    }

    /// The event's detail-type and detail, before scrubbing.
    pub fn detail(&self, trigger: &str) -> (&'static str, Value) {
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
        let detail = json!({
            "RoleArn": self.role_arn,
            "Account": account,
            "Trigger": trigger,
            "Reason": reason,
            "Checks": self.validation.as_ref().map(|v| &v.results),
            "StsCalls": self.validation.as_ref().map_or(0, |v| v.sts_calls),
        });
        (detail_type, detail)
    }
}

/// The store's parameter for a role.
pub fn store_name(account: &str, role_name: &str) -> String {
    escaped_parameter_name(&format!("{STORE_PREFIX}{account}/"), role_name)
}
