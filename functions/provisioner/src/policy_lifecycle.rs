//! Create, Update and Delete of one `Custom::IntegrationPolicy`: one
//! Rolegate-owned inline policy on a role the customer already has. The
//! decisions are `rolegate_policy::reconcile`'s (`spec_to_policy`,
//! `check_target`, `check_existing_role`, `policy_plan`); this reads the
//! role (GetRole), the policy (GetRolePolicy) and the records, and writes
//! the policy through the executor and its sealed record. Nothing else of
//! the role is ever written: no trust, no tags, no other policy.
//!
//! The physical id is `<role ARN>#<policy name>`: a new role or a new
//! name is a new id, so CloudFormation's cleanup Delete removes the old
//! policy from the old role.

use std::collections::BTreeMap;
use std::time::Duration;

use rolegate_aws::{AwsError, Clients};
use rolegate_policy::BuildContext;
use rolegate_policy::reconcile::{
    DesiredPolicy, IntegrationPolicyError, LivePolicy, PolicyRecord, check_existing_role,
    check_target, context_of_stack, parse_policy_physical_id, policy_delete_plan,
    policy_physical_id, policy_plan, spec_to_policy, untrusted_policy_record,
};
use rolegate_policy::spec::IntegrationPolicySpec;
use thiserror::Error;

use crate::config::ProvisionerConfig;
use crate::event::{Action, Request, ResponseTarget};
use crate::physical_id::{failed_create_id, is_failed_create_id};
use crate::response::Outcome;

/// The resource type this module serves.
pub const RESOURCE_TYPE: &str = "Custom::IntegrationPolicy";

/// Whether `request` is for a `Custom::IntegrationPolicy`.
pub fn handles(request: &Request) -> bool {
    request.resource_type == RESOURCE_TYPE
}

#[derive(Debug, Error)]
enum PolicyFailure {
    #[error(transparent)]
    Refused(#[from] IntegrationPolicyError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "PhysicalResourceId: {0:?} is not an integration policy's id (<role ARN>#<policy name>)"
    )]
    NotAPolicyId(String),
}

/// Runs the request to its outcome. `config` carries the roles this
/// deployment lists (`integration_policy_roles`); any other is refused
/// before any I/O.
pub async fn run(aws: &Clients, config: &ProvisionerConfig, request: &Request) -> Outcome {
    let allowed = &config.integration_policy_roles;
    match &request.action {
        Action::Create => create(aws, allowed, request).await,
        Action::Update { physical_id } => update(aws, allowed, request, physical_id).await,
        Action::Delete { physical_id } => delete(aws, allowed, request, physical_id).await,
    }
}

/// The answer to a request the deadline cut short. A Create or a
/// replacement may have written the policy: it is removed within
/// `within` if this resource's record says it is ours; if that does not
/// finish, a Create answers the policy's id so that a Delete finds it.
pub async fn interrupted(
    aws: &Clients,
    config: &ProvisionerConfig,
    request: &Request,
    budget: Duration,
    within: Duration,
) -> Outcome {
    let t = &request.target;
    let why = crate::lifecycle::timed_out(request, budget);
    let old_id = match &request.action {
        Action::Update { physical_id } | Action::Delete { physical_id } => {
            Some(physical_id.clone())
        }
        Action::Create => None,
    };
    let being_made = match &request.action {
        Action::Delete { .. } => None,
        _ => prepare(&config.integration_policy_roles, request)
            .ok()
            .map(|(_, desired)| desired)
            .filter(|d| {
                old_id.as_deref() != Some(policy_physical_id(&d.role_arn, &d.policy_name).as_str())
            }),
    };
    let failed_id = old_id.unwrap_or_else(|| failed_create_id(&t.logical_id, &t.request_id));
    let Some(desired) = being_made else {
        return Outcome::failed(failed_id, why);
    };
    let removed = tokio::time::timeout(
        within,
        remove_own(aws, t, &desired.role_name, &desired.policy_name),
    )
    .await;
    match removed {
        Ok(Ok(_)) => Outcome::failed(
            failed_id,
            format!("{why}; the policy it was writing was removed"),
        ),
        _ if matches!(request.action, Action::Create) => Outcome::failed(
            policy_physical_id(&desired.role_arn, &desired.policy_name),
            format!(
                "{why}; removing the policy it was writing did not finish: a Delete of this resource removes it"
            ),
        ),
        _ => Outcome::failed(
            failed_id,
            format!(
                "{why}; removing policy {} it was writing on role {} did not finish",
                desired.policy_name, desired.role_name
            ),
        ),
    }
}

/// Context, spec, the deployment's list, and the pipeline: every refusal
/// that needs no I/O.
fn prepare(
    allowed: &[String],
    request: &Request,
) -> Result<(IntegrationPolicySpec, DesiredPolicy), IntegrationPolicyError> {
    let ctx: BuildContext = context_of_stack(&request.target.stack_id)?;
    let spec = IntegrationPolicySpec::from_properties(&request.properties)?;
    check_target(&spec, &ctx, allowed)?;
    let desired = spec_to_policy(&spec, &ctx, &request.target.logical_id)?;
    Ok((spec, desired))
}

fn is_own(record: &PolicyRecord, target: &ResponseTarget) -> bool {
    record.stack_id == target.stack_id && record.logical_resource_id == target.logical_id
}

async fn create(aws: &Clients, allowed: &[String], request: &Request) -> Outcome {
    let t = &request.target;
    let failed_id = failed_create_id(&t.logical_id, &t.request_id);
    let (spec, desired) = match prepare(allowed, request) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(failed_id, e.to_string()),
    };
    match put(aws, request, &spec, &desired).await {
        Ok(outcome) => outcome,
        Err((e, false)) => Outcome::failed(failed_id, e.to_string()),
        Err((e, true)) => {
            // CloudFormation may send no Delete after a FAILED Create:
            // take back what this one wrote before answering.
            match remove_own(aws, t, &desired.role_name, &desired.policy_name).await {
                Ok(_) => Outcome::failed(
                    failed_id,
                    format!("{e}; what this create wrote was removed"),
                ),
                Err(cleanup) => Outcome::failed(
                    policy_physical_id(&desired.role_arn, &desired.policy_name),
                    format!(
                        "{e}; removing what this create wrote failed ({cleanup}): a Delete of this resource removes it"
                    ),
                ),
            }
        }
    }
}

async fn update(
    aws: &Clients,
    allowed: &[String],
    request: &Request,
    physical_id: &str,
) -> Outcome {
    if is_failed_create_id(physical_id) {
        return create(aws, allowed, request).await;
    }
    let failed = |e: PolicyFailure| Outcome::failed(physical_id.to_owned(), e.to_string());
    if parse_policy_physical_id(physical_id).is_none() {
        return failed(PolicyFailure::NotAPolicyId(physical_id.to_owned()));
    }
    let (spec, desired) = match prepare(allowed, request) {
        Ok(p) => p,
        Err(e) => return failed(e.into()),
    };
    let new_id = policy_physical_id(&desired.role_arn, &desired.policy_name);
    match put(aws, request, &spec, &desired).await {
        Ok(outcome) => outcome,
        Err((e, wrote)) => {
            // A replacement that wrote part of itself takes it back: the
            // stack keeps the old id, so no Delete will name the new one.
            if wrote
                && new_id != physical_id
                && let Err(cleanup) = remove_own(
                    aws,
                    &request.target,
                    &desired.role_name,
                    &desired.policy_name,
                )
                .await
            {
                tracing::error!(error = %cleanup, "could not remove the half-made replacement policy");
            }
            failed(e)
        }
    }
}

/// Checks the role IAM holds, then writes the sealed record and the
/// policy. `Err((why, wrote))`: `wrote` when SSM or IAM may hold
/// something this request wrote.
async fn put(
    aws: &Clients,
    request: &Request,
    spec: &IntegrationPolicySpec,
    desired: &DesiredPolicy,
) -> Result<Outcome, (PolicyFailure, bool)> {
    let t = &request.target;
    let before = |e: PolicyFailure| (e, false);
    let role = &desired.role_name;
    let policy = &desired.policy_name;
    let (identity, role_record, stored) = tokio::join!(
        rolegate_aws::read_role_identity(&aws.iam, role),
        rolegate_aws::get_stored_record(&aws.ssm, role),
        rolegate_aws::get_stored_policy_record(aws, role, policy),
    );
    let identity = identity.map_err(|e| before(e.into()))?;
    let role_record = role_record.map_err(|e| before(e.into()))?;
    let stored = stored.map_err(|e| before(e.into()))?;
    check_existing_role(
        spec,
        identity.as_ref().map(|i| (i.arn.as_str(), &i.tags)),
        role_record.is_some(),
    )
    .map_err(|e| before(e.into()))?;
    // A policy of that name is ours only if this resource's record says
    // so; anyone else's (the customer's, another stack's) is never
    // overwritten.
    let ours = stored
        .as_ref()
        .and_then(untrusted_policy_record)
        .is_some_and(|r| is_own(&r, t));
    let live = rolegate_aws::read_inline_policy(&aws.iam, role, policy)
        .await
        .map_err(|e| before(e.into()))?;
    if !ours && (stored.is_some() || live != LivePolicy::Absent) {
        return Err(before(
            IntegrationPolicyError::PolicyTaken {
                role_name: role.clone(),
                policy_name: policy.clone(),
            }
            .into(),
        ));
    }
    let record = PolicyRecord {
        stack_id: t.stack_id.clone(),
        logical_resource_id: t.logical_id.clone(),
        role_arn: desired.role_arn.clone(),
        role_name: role.clone(),
        policy_name: policy.clone(),
        policy_digest: desired.digest.clone(),
        properties: request.properties.clone(),
    };
    // The record first: a policy is never on the role without the record
    // that lets a Delete (and the guard) know it is Rolegate's.
    rolegate_aws::put_policy_record(aws, &record)
        .await
        .map_err(|e| (e.into(), true))?;
    let plan = policy_plan(desired, &live);
    let applied = rolegate_aws::apply(&aws.iam, &plan)
        .await
        .map_err(|e| (e.into(), true))?;
    tracing::info!(
        role = %role,
        policy = %policy,
        write_calls = applied.write_calls,
        "integration policy reconciled"
    );
    let id = policy_physical_id(&desired.role_arn, policy);
    let data = BTreeMap::from([
        ("RoleArn".to_owned(), desired.role_arn.clone()),
        ("RoleName".to_owned(), role.clone()),
        ("PolicyName".to_owned(), policy.clone()),
        ("PolicyDigest".to_owned(), desired.digest.clone()),
    ]);
    Ok(Outcome::success(
        id,
        format!(
            "policy {policy} on role {role} written ({} IAM write calls)",
            applied.write_calls
        ),
        data,
    ))
}

/// What [`remove_own`] found.
#[derive(Debug, PartialEq, Eq)]
enum Removal {
    Deleted,
    NotOurs,
    Nothing,
}

/// Deletes policy `policy` from role `role` and its record, if the record
/// under that name is this stack resource's (seal or not: deleting what a
/// record names costs nothing a forger could want, and the name carries
/// the reserved prefix). Without such a record, nothing is touched.
async fn remove_own(
    aws: &Clients,
    target: &ResponseTarget,
    role: &str,
    policy: &str,
) -> Result<Removal, AwsError> {
    let Some(stored) = rolegate_aws::get_stored_policy_record(aws, role, policy).await? else {
        return Ok(Removal::Nothing);
    };
    if !untrusted_policy_record(&stored).is_some_and(|r| is_own(&r, target)) {
        return Ok(Removal::NotOurs);
    }
    rolegate_aws::apply(&aws.iam, &policy_delete_plan(role, policy)).await?;
    rolegate_aws::delete_policy_record(aws, role, policy).await?;
    Ok(Removal::Deleted)
}

async fn delete(
    aws: &Clients,
    allowed: &[String],
    request: &Request,
    physical_id: &str,
) -> Outcome {
    let done = |reason: String| Outcome::success(physical_id.to_owned(), reason, BTreeMap::new());
    let Some((role_arn, policy)) = parse_policy_physical_id(physical_id) else {
        return done(format!(
            "{physical_id:?} is not an integration policy's id (the create failed before writing one); nothing to delete"
        ));
    };
    if !allowed.contains(&role_arn) {
        // The deployment no longer lists the role, so its IAM policy no
        // longer lets the provisioner remove the policy: say so, rather
        // than let access outlive the stack unseen.
        return Outcome::failed(
            physical_id.to_owned(),
            format!(
                "RoleArn: {role_arn} is no longer in this Rolegate deployment's IntegrationPolicyRoleArns, so policy {policy} cannot be removed from it; list the role again, or delete the policy and retain this resource"
            ),
        );
    }
    let role = match rolegate_policy::Arn::parse(&role_arn)
        .ok()
        .and_then(|a| a.iam_role_path_and_name().map(|(_, n)| n.to_owned()))
    {
        Some(role) => role,
        None => return done(format!("{physical_id:?} names no role; nothing to delete")),
    };
    match remove_own(aws, &request.target, &role, &policy).await {
        Ok(Removal::Deleted) => done(format!("policy {policy} removed from role {role}")),
        Ok(Removal::NotOurs) => done(format!(
            "policy {policy} on role {role} is not this stack resource's; left in place"
        )),
        Ok(Removal::Nothing) => done(format!(
            "no record of policy {policy} on role {role}; nothing of this resource to delete"
        )),
        Err(e) => Outcome::failed(physical_id.to_owned(), e.to_string()),
    }
}
