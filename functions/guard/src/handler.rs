//! The Lambda handler: parse, de-duplicate, dispatch, answer.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_runtime::LambdaEvent;
use rolegate_aws::metrics::Metrics;
use rolegate_aws::{AwsError, Clients};
use serde_json::{Value, json};
use thiserror::Error;

use crate::config::GuardConfig;
use crate::enforce::{self, EnforceError};
use crate::event::{self, Command, EventError, GuardEvent, Parsed, Target};
use crate::metrics;
use crate::policy_enforce;
use crate::sweep;

/// The `security_alarm` log field of a refused command; the template's
/// metric filter counts it and an alarm fires on it.
pub const COMMAND_REFUSED_ALARM: &str = "COMMAND_REFUSED";

/// Event ids remembered per warm instance for de-duplication.
const REMEMBERED_EVENTS: usize = 4096;

#[derive(Debug, Error)]
pub enum GuardError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Enforce(#[from] EnforceError),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Lambda reports the failure with a type that says which kind it was.
impl From<GuardError> for lambda_runtime::Diagnostic {
    fn from(e: GuardError) -> Self {
        let error_type = match &e {
            GuardError::Event(_) => "MalformedEvent",
            GuardError::Enforce(EnforceError::NotManaged { .. }) => "RoleNotManaged",
            GuardError::Enforce(EnforceError::NoSuchRole { .. }) => "NoSuchRole",
            GuardError::Enforce(EnforceError::NoDesiredState { .. }) => "DesiredStateUnknown",
            GuardError::Enforce(EnforceError::Aws(_)) | GuardError::Aws(_) => "AwsCallFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// What the guard needs, built once per cold start.
pub struct Guard {
    pub aws: Clients,
    pub config: Arc<GuardConfig>,
    /// Time kept back from the Lambda deadline when sweeping.
    pub deadline_margin: Duration,
    /// The sweep's budget when the context carries no deadline (local runs).
    pub default_budget: Duration,
    /// Where each invocation's metric lines go (stdout on Lambda).
    pub metrics: Metrics,
    seen: Mutex<RecentIds>,
}

impl Guard {
    pub const DEFAULT_MARGIN: Duration = Duration::from_secs(10);
    pub const DEFAULT_BUDGET: Duration = Duration::from_secs(240);

    pub fn new(aws: Clients, config: GuardConfig) -> Guard {
        Guard {
            aws,
            config: Arc::new(config),
            deadline_margin: Self::DEFAULT_MARGIN,
            default_budget: Self::DEFAULT_BUDGET,
            metrics: Metrics::stdout(metrics::FUNCTION),
            seen: Mutex::new(RecentIds::default()),
        }
    }

    /// Handles one event. An error (a malformed event, an AWS failure)
    /// fails the invocation, so Lambda retries it and then hands it to the
    /// function's on-failure destination.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, GuardError> {
        let (payload, context) = event.into_parts();
        let parsed = event::parse(payload, &self.config).inspect_err(|e| {
            tracing::error!(error = %e, "event refused");
        })?;
        let (id, event) = match parsed {
            Parsed::Ignore { why } => {
                tracing::info!(%why, "event ignored");
                return Ok(json!({ "Ignored": why }));
            }
            Parsed::Refused { why } => {
                tracing::warn!(
                    security_alarm = COMMAND_REFUSED_ALARM,
                    code = why.code(),
                    reason = %why,
                    "command refused: not delivered by the command bus"
                );
                return Ok(json!({ "Refused": why.to_string(), "Code": why.code() }));
            }
            Parsed::Act { id, event } => (id, event),
        };
        if let Some(id) = &id
            && self.already_handled(id)
        {
            tracing::info!(event_id = %id, "duplicate event ignored");
            return Ok(json!({ "Ignored": format!("duplicate of event {id}, already handled") }));
        }
        let answer = match event {
            GuardEvent::IamChange { event_name, target } => {
                let trigger = format!("CloudTrail {event_name}");
                let roles = match target {
                    Target::Role(role) => vec![role],
                    Target::Policy(arn) => {
                        rolegate_aws::roles_with_policy(&self.aws.iam, &arn).await?
                    }
                    Target::InlinePolicy { role, policy } => {
                        let checked = policy_enforce::check(
                            &self.aws,
                            &self.config,
                            &role,
                            &policy,
                            &trigger,
                        )
                        .await?;
                        match checked {
                            Some(outcome) => {
                                self.metrics
                                    .emit(&metrics::lines(std::slice::from_ref(&outcome)));
                                if let Some(id) = id {
                                    self.remember(id);
                                }
                                return Ok(json!({ "Handled": trigger, "Roles": [outcome] }));
                            }
                            // No integration policy record: a role's policy.
                            None => vec![role],
                        }
                    }
                };
                let mut outcomes = Vec::new();
                for role in roles {
                    outcomes.push(
                        enforce::check(&self.aws, &self.config, &role, &trigger, None).await?,
                    );
                }
                self.metrics.emit(&metrics::lines(&outcomes));
                json!({ "Handled": trigger, "Roles": outcomes })
            }
            GuardEvent::Sweep => {
                let budget = rolegate_aws::budget(
                    context.deadline,
                    self.deadline_margin,
                    self.default_budget,
                );
                let report = sweep::sweep(&self.aws, &self.config, budget).await?;
                self.metrics.emit(&metrics::lines(&report.roles));
                json!({ "Handled": "sweep", "Sweep": report })
            }
            GuardEvent::Command(command) => {
                let outcome = match &command {
                    Command::Revoke { role, reason } => {
                        enforce::revoke(&self.aws, &self.config, role, reason, event::REVOKE)
                            .await?
                    }
                    Command::Restore { role } => {
                        enforce::restore(&self.aws, &self.config, role, event::RESTORE).await?
                    }
                    Command::Validate { role } => {
                        enforce::check(
                            &self.aws,
                            &self.config,
                            role,
                            event::VALIDATE,
                            self.config.unused_after_days,
                        )
                        .await?
                    }
                };
                self.metrics
                    .emit(&metrics::lines(std::slice::from_ref(&outcome)));
                json!({ "Handled": "command", "Roles": [outcome] })
            }
        };
        if let Some(id) = id {
            self.remember(id);
        }
        Ok(answer)
    }

    fn already_handled(&self, id: &str) -> bool {
        self.seen.lock().is_ok_and(|seen| seen.contains(id))
    }

    /// Only handled events are remembered: a failed one must be retried.
    fn remember(&self, id: String) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(id);
        }
    }
}

/// A bounded set: the oldest id is forgotten first.
#[derive(Debug, Default)]
struct RecentIds {
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl RecentIds {
    fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    fn insert(&mut self, id: String) {
        if self.ids.insert(id.clone()) {
            self.order.push_back(id);
            if self.order.len() > REMEMBERED_EVENTS
                && let Some(oldest) = self.order.pop_front()
            {
                self.ids.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_ids_forget_the_oldest_beyond_the_bound() {
        let mut ids = RecentIds::default();
        for i in 0..=REMEMBERED_EVENTS {
            ids.insert(i.to_string());
        }
        assert!(!ids.contains("0"));
        assert!(ids.contains("1"));
        assert!(ids.contains(&REMEMBERED_EVENTS.to_string()));
        assert_eq!(ids.order.len(), REMEMBERED_EVENTS);
    }
}
