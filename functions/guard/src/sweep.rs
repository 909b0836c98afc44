//! The scheduled sweep: every role with a record, checked for drift,
//! expiry, disuse and lint, a few at a time. When the Lambda deadline comes
//! near it stops, and the next run resumes after the last role it finished.
//! A complete run then checks every integration policy record
//! (`Custom::IntegrationPolicy`) when the deployment lists roles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rolegate_aws::{AwsError, Clients};
use rolegate_policy::reconcile::{POLICY_RECORD_PREFIX, StoredValue, untrusted_policy_record};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::config::GuardConfig;
use crate::enforce::{self, RoleOutcome};
use crate::policy_enforce;

/// Where an unfinished sweep leaves the last record parameter it finished.
/// Outside the records' path, so listing records never returns it.
pub const CURSOR_PARAMETER: &str = "/rolegate/guard/sweep-cursor";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SweepReport {
    /// The record this run started after, when it resumed an earlier run.
    pub resumed_after: Option<String>,
    pub checked: usize,
    /// False when the deadline stopped it; the next run goes on from here.
    pub complete: bool,
    /// Roles with something to report; clean ones are only counted.
    pub roles: Vec<RoleOutcome>,
    /// Roles that could not be checked, and why.
    pub errors: Vec<String>,
}

pub async fn sweep(
    aws: &Clients,
    config: &Arc<GuardConfig>,
    budget: Duration,
) -> Result<SweepReport, AwsError> {
    let started = Instant::now();
    let resumed_after = rolegate_aws::get_marker(&aws.ssm, CURSOR_PARAMETER).await?;
    let records = rolegate_aws::list_records(&aws.ssm).await?;
    let pending: Vec<_> = records
        .into_iter()
        .filter(|r| resumed_after.as_ref().is_none_or(|c| r.parameter > *c))
        .collect();

    let mut report = SweepReport {
        resumed_after,
        checked: 0,
        complete: true,
        roles: Vec::new(),
        errors: Vec::new(),
    };
    let mut slowest = Duration::ZERO;
    for (i, chunk) in pending.chunks(config.sweep_concurrency.max(1)).enumerate() {
        // The first chunk always runs, so every run makes progress; the
        // deadline margin held back by the handler covers it.
        if i > 0 && started.elapsed() + slowest > budget {
            report.complete = false;
            break;
        }
        let chunk_started = Instant::now();
        let mut checks = JoinSet::new();
        for stored in chunk {
            match &stored.record {
                Ok(record) => {
                    let (aws, config) = (aws.clone(), Arc::clone(config));
                    let role = record.role_name.clone();
                    checks.spawn(async move {
                        let checked =
                            enforce::check(&aws, &config, &role, "sweep", config.unused_after_days)
                                .await;
                        (role, checked)
                    });
                }
                Err(reason) => report.errors.push(format!(
                    "{}: unreadable role record: {reason}",
                    stored.parameter
                )),
            }
        }
        while let Some(joined) = checks.join_next().await {
            report.checked += 1;
            match joined {
                Ok((_, Ok(outcome))) if matches!(outcome.status, "clean" | "gone") => {}
                Ok((_, Ok(outcome))) => report.roles.push(outcome),
                Ok((role, Err(e))) => report.errors.push(format!("{role}: {e}")),
                Err(e) => report.errors.push(format!("a check stopped: {e}")),
            }
        }
        slowest = slowest.max(chunk_started.elapsed());
        if let Some(last) = chunk.last() {
            rolegate_aws::put_marker(&aws.ssm, CURSOR_PARAMETER, &last.parameter).await?;
        }
    }
    if report.complete {
        rolegate_aws::delete_marker(&aws.ssm, CURSOR_PARAMETER).await?;
        if !config.integration_policy_roles.is_empty() && started.elapsed() < budget {
            sweep_integration_policies(aws, config, &mut report).await?;
        }
    }
    tracing::info!(
        checked = report.checked,
        reported = report.roles.len(),
        errors = report.errors.len(),
        complete = report.complete,
        "sweep finished"
    );
    Ok(report)
}

/// After the roles, every integration policy record (a few, one per
/// listed role and stack resource), each checked as a CloudTrail call on
/// it would be (`policy_enforce::check`): what CloudTrail did not deliver
/// is found here. Only when the deployment lists roles; no cursor, they
/// are few.
async fn sweep_integration_policies(
    aws: &Clients,
    config: &GuardConfig,
    report: &mut SweepReport,
) -> Result<(), AwsError> {
    let records = rolegate_aws::list_secure(&aws.ssm, POLICY_RECORD_PREFIX).await?;
    for (parameter, value) in records {
        let Some(record) = untrusted_policy_record(&StoredValue::parse(&value)) else {
            report
                .errors
                .push(format!("{parameter}: unreadable integration policy record"));
            continue;
        };
        let (role, policy) = (&record.role_name, &record.policy_name);
        report.checked += 1;
        match policy_enforce::check(aws, config, role, policy, "sweep").await {
            Ok(Some(outcome)) if matches!(outcome.status, "clean" | "gone") => {}
            Ok(Some(outcome)) => report.roles.push(outcome),
            Ok(None) => {}
            Err(e) => report.errors.push(format!("{role} {policy}: {e}")),
        }
    }
    Ok(())
}
