//! The Lambda handler: parse the event, run the lifecycle within the
//! deadline, and always answer the stack.

use std::time::{Duration, Instant};

use lambda_runtime::{Context, Error, LambdaEvent};
use rolegate_aws::Clients;
use rolegate_aws::metrics::Metrics;
use serde_json::{Value, json};

use crate::config::ProvisionerConfig;
use crate::event::{self, Malformed, ResponseTarget};
use crate::lifecycle;
use crate::metrics;
use crate::physical_id;
use crate::policy_lifecycle;
use crate::response::Outcome;
use crate::response::body;
use crate::response::delivery::Responder;

/// What the handler needs, built once per cold start.
#[derive(Clone)]
pub struct Provisioner {
    pub aws: Clients,
    pub responder: Responder,
    /// Time kept back from the Lambda deadline to deliver a FAILED response
    /// (at most a third of the remaining time).
    pub deadline_margin: Duration,
    /// The budget when the context carries no deadline (local runs).
    pub default_budget: Duration,
    /// The deployment's boundary and path (none unless configured).
    pub config: ProvisionerConfig,
    /// Where each answered request's metric line goes (stdout on Lambda).
    pub metrics: Metrics,
}

impl Provisioner {
    pub const DEFAULT_MARGIN: Duration = Duration::from_secs(10);
    pub const DEFAULT_BUDGET: Duration = Duration::from_secs(300);
    const RETURN_MARGIN: Duration = Duration::from_millis(200);

    pub fn new(aws: Clients, responder: Responder) -> Self {
        Provisioner {
            aws,
            responder,
            deadline_margin: Self::DEFAULT_MARGIN,
            default_budget: Self::DEFAULT_BUDGET,
            config: ProvisionerConfig::default(),
            metrics: Metrics::stdout(metrics::FUNCTION),
        }
    }

    /// Handles one CloudFormation event. Returns an error only when no
    /// response could be delivered, so that Lambda's own retry (a duplicate
    /// delivery, which yields the same outcome) gets another chance.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let started = Instant::now();
        let (payload, context) = event.into_parts();
        let request = match event::parse(payload) {
            Ok(request) => request,
            Err(Malformed {
                target: Some(target),
                physical_id,
                reason,
            }) => {
                tracing::error!(%reason, request_id = %target.request_id, "malformed event");
                let physical_id = physical_id.unwrap_or_else(|| {
                    physical_id::failed_create_id(&target.logical_id, &target.request_id)
                });
                let outcome = Outcome::failed(physical_id, reason);
                return self
                    .respond(&context, &target, &outcome, "malformed", started)
                    .await;
            }
            Err(Malformed {
                target: None,
                reason,
                ..
            }) => {
                tracing::error!(%reason, "malformed event without a ResponseURL; nobody to answer");
                return Err(format!("malformed event: {reason}").into());
            }
        };
        // A request that cannot be answered is not acted on either: a
        // forged event must not get IAM work done for an arbitrary URL.
        if let Err(e) = self.responder.check(&request.target.response_url) {
            tracing::error!(error = %e, request_id = %request.target.request_id, "request refused");
            return Err(e.into());
        }
        let target = &request.target;
        tracing::info!(
            action = request.action.name(),
            stack_id = %target.stack_id,
            logical_id = %target.logical_id,
            request_id = %target.request_id,
            "request received"
        );
        let budget = self.budget(&context);
        let is_policy = policy_lifecycle::handles(&request);
        let work = async {
            if is_policy {
                policy_lifecycle::run(&self.aws, &self.config, &request).await
            } else {
                lifecycle::run(&self.aws, &self.config.rules, &request).await
            }
        };
        let outcome = match tokio::time::timeout(budget, work).await {
            Ok(outcome) => outcome,
            Err(_) => {
                tracing::error!(
                    budget_ms = budget.as_millis() as u64,
                    "deadline reached; answering FAILED"
                );
                let within = self.cleanup_budget(&context);
                if is_policy {
                    policy_lifecycle::interrupted(&self.aws, &self.config, &request, budget, within)
                        .await
                } else {
                    lifecycle::interrupted(&self.aws, &self.config.rules, &request, budget, within)
                        .await
                }
            }
        };
        self.respond(&context, target, &outcome, request.action.name(), started)
            .await
    }

    async fn respond(
        &self,
        context: &Context,
        target: &ResponseTarget,
        outcome: &Outcome,
        action: &str,
        started: Instant,
    ) -> Result<Value, Error> {
        let body = body::render(target, outcome);
        let status = if outcome.success { "SUCCESS" } else { "FAILED" };
        // Delivery may use what is left of the invocation, all but a moment
        // to log the failure and return it.
        let within =
            rolegate_aws::budget(context.deadline, Self::RETURN_MARGIN, self.default_budget);
        let delivered = self
            .responder
            .send(&target.response_url, body, within)
            .await;
        self.metrics.emit(&[metrics::provisioned(
            action,
            outcome.success,
            started.elapsed(),
            &target.logical_id,
            &target.request_id,
        )]);
        match delivered {
            Ok(()) => {
                tracing::info!(action, status, reason = %outcome.reason, "response delivered");
                Ok(json!({
                    "Status": status,
                    "Reason": outcome.reason,
                    "PhysicalResourceId": outcome.physical_id,
                }))
            }
            Err(e) => {
                tracing::error!(action, status, error = %e, "response not delivered");
                Err(e.into())
            }
        }
    }

    fn budget(&self, context: &Context) -> Duration {
        rolegate_aws::budget(context.deadline, self.deadline_margin, self.default_budget)
    }

    /// Once the budget is spent, the time a cut-short Create may take to
    /// remove what it made: half of what is left before the deadline (at
    /// most the margin), so the other half still delivers the answer.
    fn cleanup_budget(&self, context: &Context) -> Duration {
        let left = rolegate_aws::budget(context.deadline, Self::RETURN_MARGIN, self.default_budget);
        (left / 2).min(self.deadline_margin)
    }
}
