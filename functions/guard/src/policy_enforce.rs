//! The guard on a `Custom::IntegrationPolicy`: Rolegate's one inline
//! policy on a role the customer owns. Woken by PutRolePolicy or
//! DeleteRolePolicy of a policy named with the reserved prefix, it acts
//! only when a sealed integration policy record names that role and that
//! policy, and the deployment lists the role. It reads the role's ARN
//! (GetRole) and that one policy (GetRolePolicy), and restores it with
//! one PutRolePolicy through the executor: nothing else of the role is
//! read or written. Decisions are `rolegate_policy::reconcile`'s
//! (`trust_policy_record`, `PolicyRecord::desired_policy`, `PolicyDrift`,
//! `policy_plan`, `policy_remediation`).

use rolegate_aws::Clients;
use rolegate_policy::Arn;
use rolegate_policy::events::policy::{POLICY_DRIFT_DETECTED_DETAIL_TYPE, PolicyDriftDetected};
use rolegate_policy::reconcile::{PolicyDrift, policy_plan, policy_remediation};
use rolegate_policy::redact::Secrets;
use rolegate_policy::spec::{IntegrationPolicySpec, RemediationMode};

use crate::config::GuardConfig;
use crate::enforce::{EnforceError, RoleOutcome, UNTRUSTED_RECORD_ALARM};
use crate::report;

fn outcome(
    role: &str,
    status: &'static str,
    finding: Option<(&'static str, String)>,
    write_calls: usize,
) -> RoleOutcome {
    let (codes, findings) = match finding {
        Some((code, message)) => (vec![code], vec![message]),
        None => (Vec::new(), Vec::new()),
    };
    RoleOutcome {
        role: role.to_owned(),
        status,
        findings,
        write_calls,
        finding_codes: codes,
        untrusted_record: false,
    }
}

/// Checks integration policy `policy` on role `role`. `None`: no record
/// of such a policy is stored, so it is not one (the caller checks the
/// role as a role: a Rolegate integration role's own policies carry the
/// same prefix).
pub async fn check(
    aws: &Clients,
    config: &GuardConfig,
    role: &str,
    policy: &str,
    trigger: &str,
) -> Result<Option<RoleOutcome>, EnforceError> {
    let Some(stored) = rolegate_aws::get_stored_policy_record(aws, role, policy).await? else {
        return Ok(None);
    };
    // A role the deployment does not list is beyond the guard's IAM reach
    // (the template grants it nothing there): say so without a call IAM
    // would refuse.
    if !config.integration_policy_roles.iter().any(|arn| {
        Arn::parse(arn)
            .ok()
            .and_then(|a| a.iam_role_path_and_name().map(|(_, n)| n == role))
            .unwrap_or(false)
    }) {
        tracing::warn!(
            role,
            policy,
            "an integration policy record names a role the deployment does not list; left alone"
        );
        return Ok(Some(outcome(role, "unmanaged", None, 0)));
    }
    let Some(identity) = rolegate_aws::read_role_identity(&aws.iam, role).await? else {
        return Ok(Some(outcome(role, "gone", None, 0)));
    };
    let record =
        match rolegate_aws::trusted_policy_record(aws, Some(stored), role, &identity.arn, policy)
            .await?
        {
            Ok(record) => record,
            Err(why) => {
                tracing::error!(
                    role,
                    policy,
                    security_alarm = UNTRUSTED_RECORD_ALARM,
                    code = why.code(),
                    reason = %why,
                    "integration policy record not trusted; the guard will not restore from it"
                );
                let mut out = outcome(role, "reported", Some((why.code(), why.to_string())), 0);
                out.untrusted_record = true;
                return Ok(Some(out));
            }
        };
    if !config.integration_policy_roles.contains(&record.role_arn) {
        tracing::warn!(
            role,
            policy,
            "the deployment no longer lists this role; its integration policy is left alone"
        );
        return Ok(Some(outcome(role, "unmanaged", None, 0)));
    }
    let desired = record
        .desired_policy()
        .map_err(|e| EnforceError::NoDesiredState {
            role: role.to_owned(),
            reason: e.to_string(),
        })?;
    let live = rolegate_aws::read_inline_policy(&aws.iam, role, policy).await?;
    let Some(drift) = PolicyDrift::of(&desired, &live) else {
        return Ok(Some(outcome(role, "clean", None, 0)));
    };
    let spec_mode = IntegrationPolicySpec::from_properties(&record.properties)
        .ok()
        .and_then(|s| s.remediation);
    let mode = policy_remediation(spec_mode, config.default_remediation);
    let (status, write_calls) = match mode {
        RemediationMode::Report => ("reported", 0),
        _ => {
            let applied = rolegate_aws::apply(&aws.iam, &policy_plan(&desired, &live)).await?;
            ("restored", applied.write_calls)
        }
    };
    let message = drift.message(&desired);
    tracing::info!(
        role,
        policy,
        trigger,
        code = drift.code(),
        status,
        "integration policy checked"
    );
    let detail = PolicyDriftDetected {
        role_arn: record.role_arn.clone(),
        policy_name: record.policy_name.clone(),
        stack_id: record.stack_id.clone(),
        logical_resource_id: record.logical_resource_id.clone(),
        trigger: trigger.to_owned(),
        remediation: mode.name().to_owned(),
        action: status.to_owned(),
        code: drift.code().to_owned(),
        message: message.clone(),
        write_calls,
    };
    // An integration policy holds no ExternalId: nothing to scrub.
    report::emit(
        aws,
        config,
        POLICY_DRIFT_DETECTED_DETAIL_TYPE,
        &detail,
        &Secrets::new(Vec::<String>::new()),
    )
    .await?;
    Ok(Some(outcome(
        role,
        status,
        Some((drift.code(), message)),
        write_calls,
    )))
}
