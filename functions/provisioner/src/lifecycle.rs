//! Create, Update and Delete of one `Custom::IntegrationRole`: decisions
//! from `rolegate-policy`, IAM through `rolegate-aws`, one [`Outcome`] each.

use std::collections::BTreeMap;
use std::time::Duration;

use rolegate_aws::{AwsError, Clients};
use rolegate_policy::reconcile::{
    Carried, DesiredError, InstanceProfileTaken, LiveRole, Owner, PipelineError, PipelineOutput,
    RoleRecord, StoredValue, Untrusted, check_instance_profile, context_of_stack, diff,
    escaped_parameter_name, plan_create, plan_delete, spec_to_role, with_quarantine,
};
use rolegate_policy::spec::DeploymentRules;
use rolegate_policy::{BuildContext, IntegrationSpec, SpecError, Timestamp};
use serde_json::{Value, json};
use thiserror::Error;

use crate::event::{Action, Request, ResponseTarget};
use crate::external_id::{RandomnessError, generate_external_id};
use crate::physical_id::{
    failed_create_id, is_failed_create_id, request_of_failed_create_id, role_arn,
    role_of_physical_id,
};
use crate::response::Outcome;
use crate::role_name::{UpdateKind, role_name, update_kind};

/// Cancelled creates' tombstones (see [`withdraw_if_cancelled`]).
pub const TOMBSTONE_PREFIX: &str = "/rolegate/tombstones/";

/// Why a request failed. Messages name the property or the role at fault.
#[derive(Debug, Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// Building or proving the role failed; the message names the property.
    #[error(transparent)]
    Desired(#[from] DesiredError),
    #[error(
        "RoleName: role {role} already exists and is not managed by this stack's {logical_id}; Rolegate never adopts a role it did not create"
    )]
    RoleTaken { role: String, logical_id: String },
    /// A role EC2 assumes gets the instance profile of its own name.
    #[error(transparent)]
    InstanceProfileTaken(#[from] InstanceProfileTaken),
    #[error(
        "role {role} is not managed by this stack's {logical_id} (ownership tags differ); refusing to change it"
    )]
    NotOwned { role: String, logical_id: String },
    #[error(
        "Path: changing Path replaces the role, but RoleName {role} stays the same and IAM role names are unique; change RoleName as well"
    )]
    SameNameReplacement { role: String },
    #[error("PhysicalResourceId: {0:?} is not an IAM role ARN")]
    NotARole(String),
    /// The vendor learns the role's ARN and a generated ExternalId only
    /// from this event, so a request it cannot see fails (README: "The
    /// vendor notification").
    #[error(
        "NotifyEventBusArn: {source}; the vendor learns role {role} and its ExternalId only from this Integration Role Ready event (check that the bus exists and that its policy lets this account put events)"
    )]
    NotNotified { role: String, source: AwsError },
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Random(#[from] RandomnessError),
}

impl From<PipelineError<RandomnessError>> for ProvisionError {
    fn from(e: PipelineError<RandomnessError>) -> Self {
        match e {
            PipelineError::Fill(e) => ProvisionError::Random(e),
            PipelineError::Desired(e) => ProvisionError::Desired(e),
        }
    }
}

/// Runs the request to its outcome under the deployment's `rules` (which
/// a Create or Update's spec must meet). Never panics on any input.
pub async fn run(aws: &Clients, rules: &DeploymentRules, request: &Request) -> Outcome {
    match &request.action {
        Action::Create => create(aws, rules, request).await,
        Action::Update { physical_id } => update(aws, rules, request, physical_id).await,
        Action::Delete { physical_id } => delete(aws, request, physical_id).await,
    }
}

/// The start of the reason a request the deadline cut short answers with,
/// the same for a role and for an integration policy.
pub(crate) fn timed_out(request: &Request, budget: Duration) -> String {
    format!(
        "timed out: the {} did not finish within {} ms, before the Lambda deadline",
        request.action.name(),
        budget.as_millis()
    )
}

/// The answer to a request the deadline cut short after `budget`. A
/// request that may have made a role (a Create, a replacement, an Update
/// of a failed Create) removes it first, within `within` (the part of the
/// time kept back that delivering the answer can spare): CloudFormation
/// may send no Delete after a FAILED Create. If that does not finish, a
/// Create answers the role's ARN, so a Delete finds the role.
///
/// The cut-short work may still have a call in flight that lands after the
/// cleanup looked; even then a Delete finds the role, under the ARN or
/// under the name the failed-create id leads to.
pub async fn interrupted(
    aws: &Clients,
    rules: &DeploymentRules,
    request: &Request,
    budget: Duration,
    within: Duration,
) -> Outcome {
    let t = &request.target;
    let why = timed_out(request, budget);
    let failed_id = failed_create_id(&t.logical_id, &t.request_id);
    let Some((name, arn)) = role_being_made(rules, request) else {
        let id = match &request.action {
            Action::Update { physical_id } | Action::Delete { physical_id } => physical_id.clone(),
            Action::Create => failed_id,
        };
        return Outcome::failed(id, why);
    };
    let removed =
        match tokio::time::timeout(within, remove_owned(aws, &owner(t), &name, Some(&arn))).await {
            Ok(removed) => removed.map_err(CleanupError::from),
            Err(_) => Err(CleanupError::TimedOut {
                within_ms: within.as_millis(),
            }),
        };
    match &request.action {
        Action::Update { physical_id } | Action::Delete { physical_id } => {
            let reason = match removed {
                Ok(removal) => format!("{why}; {}", removal.after_failed_create(&name)),
                Err(e) => {
                    tracing::error!(role = %name, error = %e, "could not remove the role the cut-short update was making");
                    format!("{why}; removing role {name} that it was making failed ({e})")
                }
            };
            Outcome::failed(physical_id.clone(), reason)
        }
        Action::Create => answer_failed_create(removed, &name, arn, failed_id, &why),
    }
}

/// Why removing what a failed Create made did not finish.
#[derive(Debug, Error)]
enum CleanupError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("it did not finish within the {within_ms} ms the deadline left")]
    TimedOut { within_ms: u128 },
}

/// The FAILED answer of a Create that tried to remove what it made. Once
/// that is done, the failed-create id (a Delete of it still looks under
/// the role's name, reads only unless a role turns up); if it is not, the
/// role's ARN, so that a Delete (AWS CloudFormation sends one on
/// rollback, an operator can) finds the role and its record.
fn answer_failed_create(
    removed: Result<Removal, CleanupError>,
    name: &str,
    arn: String,
    failed_id: String,
    why: &str,
) -> Outcome {
    match removed {
        Ok(removal) => Outcome::failed(
            failed_id,
            format!("{why}; {}", removal.after_failed_create(name)),
        ),
        Err(e) => {
            tracing::error!(role = %name, error = %e, "could not remove what the failed create made");
            Outcome::failed(
                arn,
                format!(
                    "{why}; removing what this create made failed ({e}); a Delete of this resource removes it"
                ),
            )
        }
    }
}

/// The name and ARN of the role `request` makes, if it makes one: a
/// Create, an Update of a failed Create, and a replacement.
fn role_being_made(rules: &DeploymentRules, request: &Request) -> Option<(String, String)> {
    let creates = match &request.action {
        Action::Create => true,
        Action::Delete { .. } => false,
        Action::Update { physical_id } => {
            is_failed_create_id(physical_id) || {
                let (_, spec) = prepare(rules, request).ok()?;
                let (current_name, current_path) = role_of_physical_id(physical_id)?;
                update_kind(&spec.role_name, &spec.path, &current_name, &current_path)
                    == UpdateKind::Replace
            }
        }
    };
    if !creates {
        return None;
    }
    let t = &request.target;
    let (ctx, spec) = prepare(rules, request).ok()?;
    let name = role_name(&spec.role_name, &t.stack_id, &t.logical_id, &t.request_id);
    let arn = role_arn(&ctx, &spec.path, &name);
    Some((name, arn))
}

pub fn owner(target: &ResponseTarget) -> Owner {
    Owner {
        stack_id: target.stack_id.clone(),
        logical_id: target.logical_id.clone(),
    }
}

/// A failure, and whether IAM or SSM may already hold something this
/// request wrote (part of the role, or its record).
struct Failure {
    error: ProvisionError,
    wrote: bool,
}

impl<E: Into<ProvisionError>> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure {
            error: error.into(),
            wrote: false,
        }
    }
}

/// The account and region (from the stack) and the parsed spec, with the
/// deployment's rules applied: a spec they refuse fails here, before any
/// I/O, with the physical id the request had. The pipeline applies them
/// again ([`spec_to_role`]), which changes nothing.
fn prepare(
    rules: &DeploymentRules,
    request: &Request,
) -> Result<(BuildContext, IntegrationSpec), ProvisionError> {
    let ctx = context_of_stack(&request.target.stack_id)?;
    let mut spec = IntegrationSpec::from_properties(&request.properties)?;
    rules.apply(&mut spec).map_err(DesiredError::from)?;
    Ok((ctx, spec))
}

async fn create(aws: &Clients, rules: &DeploymentRules, request: &Request) -> Outcome {
    create_carrying(aws, rules, request, Carried::default()).await
}

async fn create_carrying(
    aws: &Clients,
    rules: &DeploymentRules,
    request: &Request,
    carried: Carried,
) -> Outcome {
    let t = &request.target;
    let failed_id = failed_create_id(&t.logical_id, &t.request_id);
    let (ctx, spec) = match prepare(rules, request) {
        Ok(p) => p,
        Err(e) => return Outcome::failed(failed_id, e.to_string()),
    };
    let name = role_name(&spec.role_name, &t.stack_id, &t.logical_id, &t.request_id);
    let arn = role_arn(&ctx, &spec.path, &name);
    let started = rolegate_aws::now();
    let outcome = match provision(
        aws,
        t,
        &ctx,
        &request.properties,
        spec,
        rules,
        &name,
        None,
        carried,
    )
    .await
    {
        Ok(done) => done.into_outcome(arn, "created"),
        Err(f) if !f.wrote => Outcome::failed(failed_id, f.error.to_string()),
        // CloudFormation may send no Delete after a FAILED Create (MiniStack
        // sends none), so the Create removes what it wrote before answering.
        Err(f) => {
            let removed = remove_owned(aws, &owner(t), &name, Some(&arn))
                .await
                .map_err(CleanupError::from);
            answer_failed_create(removed, &name, arn, failed_id, &f.error.to_string())
        }
    };
    if matches!(request.action, Action::Create) {
        return withdraw_if_cancelled(aws, t, &name, &started, outcome).await;
    }
    outcome
}

/// CloudFormation sends a Delete when it gives up on a Create ("Resource
/// creation cancelled") while the Create may still be running. That Delete
/// leaves a tombstone before it looks for roles; a Create that finds one
/// written since it started removes what it made. Either the Delete finds
/// the role, or the Create finds the tombstone: nothing is left behind.
async fn withdraw_if_cancelled(
    aws: &Clients,
    target: &ResponseTarget,
    name: &str,
    started: &Timestamp,
    outcome: Outcome,
) -> Outcome {
    let tombstone = rolegate_aws::get_marker(&aws.ssm, &tombstone_name(target)).await;
    let cancelled_at = match tombstone {
        Ok(Some(at)) => Timestamp::parse(&at).filter(|at| at >= started),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "could not read the cancellation tombstone");
            None
        }
    };
    let Some(at) = cancelled_at else {
        return outcome;
    };
    let removed = remove_owned(aws, &owner(target), name, None).await;
    let reason = match removed {
        Ok(_) => format!("creation was cancelled at {at}; the role made meanwhile was removed"),
        Err(e) => {
            format!("creation was cancelled at {at}; removing the role made meanwhile failed: {e}")
        }
    };
    Outcome::failed(outcome.physical_id, reason)
}

/// Where a Delete for a resource whose Create never answered records when
/// it came: `/rolegate/tombstones/<stack>/<logical id>`.
fn tombstone_name(target: &ResponseTarget) -> String {
    escaped_parameter_name(
        TOMBSTONE_PREFIX,
        &format!("{}/{}", target.stack_id, target.logical_id),
    )
}

/// Deletes role `name` if this stack resource owns it (and, given `arn`,
/// if it is that role), and the record under its name if that is this
/// resource's. A role that is not ours is never touched, but a record of
/// ours beside it is removed: a Create that found the name taken may have
/// written one before CreateRole was refused.
async fn remove_owned(
    aws: &Clients,
    owner: &Owner,
    name: &str,
    arn: Option<&str>,
) -> Result<Removal, AwsError> {
    let removal = delete_owned_role(aws, owner, name, arn).await?;
    delete_owned_record(aws, owner, name, removal != Removal::NotOwned).await?;
    Ok(removal)
}

/// What [`delete_owned_role`] found.
#[derive(Debug, PartialEq, Eq)]
enum Removal {
    Deleted,
    Gone,
    NotOwned,
}

impl Removal {
    /// What is left after a failed Create removed what it made.
    fn after_failed_create(&self, name: &str) -> String {
        match self {
            Removal::Deleted => format!("the role {name} it made and its record were removed"),
            Removal::Gone => "no role was made, and any record it wrote was removed".to_owned(),
            Removal::NotOwned => format!(
                "role {name} is not this stack's and was left untouched; any record this create wrote was removed"
            ),
        }
    }
}

/// Rounds of read-then-delete before a DeleteConflict is final.
const DELETE_ROUNDS: usize = 4;

/// Deletes role `name` if `owner` owns it (and, given `arn`, if it is that
/// role). A Create still running can add a policy between our read and
/// DeleteRole, which IAM refuses with DeleteConflict: read again, repeat.
async fn delete_owned_role(
    aws: &Clients,
    owner: &Owner,
    name: &str,
    arn: Option<&str>,
) -> Result<Removal, AwsError> {
    rolegate_aws::again_on("DeleteConflict", DELETE_ROUNDS, name, || async {
        let Some(live) = rolegate_aws::read_role(&aws.iam, name).await? else {
            return Ok(Removal::Gone);
        };
        if arn.is_some_and(|arn| live.arn != arn) || !owner.owns(&live.tags) {
            return Ok(Removal::NotOwned);
        }
        rolegate_aws::apply(&aws.iam, &plan_delete(&live)).await?;
        Ok(Removal::Deleted)
    })
    .await
}

/// A Delete whose PhysicalResourceId is not a role: the Create never
/// answered. Leave the tombstone first, then remove every role this stack
/// resource owns.
async fn delete_unanswered_create(aws: &Clients, request: &Request) -> Result<usize, AwsError> {
    let now = rolegate_aws::now();
    rolegate_aws::put_marker(&aws.ssm, &tombstone_name(&request.target), now.as_str()).await?;
    remove_every_owned(aws, request, None).await
}

/// Removes every role this stack resource owns and returns how many. With
/// the Create's role name known, that name is all there is to look at;
/// otherwise the roles are found through the records and the RoleName
/// property.
async fn remove_every_owned(
    aws: &Clients,
    request: &Request,
    known_name: Option<String>,
) -> Result<usize, AwsError> {
    let owner = owner(&request.target);
    let names = match known_name {
        Some(name) => vec![name],
        None => {
            let mut names: Vec<String> = rolegate_aws::list_records(&aws.ssm)
                .await?
                .into_iter()
                .filter_map(|stored| stored.record.ok())
                .filter(|r| owner.owns_record(r))
                .map(|r| r.role_name)
                .collect();
            if let Some(name) = request.properties.get("RoleName").and_then(Value::as_str) {
                names.push(name.to_owned());
            }
            names.sort();
            names.dedup();
            names
        }
    };
    let mut removed = 0;
    for name in names {
        if remove_owned(aws, &owner, &name, None).await? == Removal::Deleted {
            removed += 1;
        }
    }
    Ok(removed)
}

/// The name the Create that answered `failed_id` would have given its role.
fn name_of_failed_create(request: &Request, failed_id: &str) -> Option<String> {
    let create_request = request_of_failed_create_id(failed_id)?;
    let spec = IntegrationSpec::from_properties(&request.properties).ok()?;
    let t = &request.target;
    Some(role_name(
        &spec.role_name,
        &t.stack_id,
        &t.logical_id,
        create_request,
    ))
}

async fn update(
    aws: &Clients,
    rules: &DeploymentRules,
    request: &Request,
    physical_id: &str,
) -> Outcome {
    let t = &request.target;
    if is_failed_create_id(physical_id) {
        return create(aws, rules, request).await;
    }
    let failed = |e: ProvisionError| Outcome::failed(physical_id.to_owned(), e.to_string());
    let Some((current_name, current_path)) = role_of_physical_id(physical_id) else {
        return failed(ProvisionError::NotARole(physical_id.to_owned()));
    };
    let (ctx, spec) = match prepare(rules, request) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };

    match update_kind(&spec.role_name, &spec.path, &current_name, &current_path) {
        UpdateKind::InPlace => {}
        UpdateKind::Replace => return replace_role(aws, rules, request, physical_id).await,
        UpdateKind::SameNameReplace => {
            return failed(ProvisionError::SameNameReplacement { role: current_name });
        }
    }

    let live = match rolegate_aws::read_role(&aws.iam, &current_name).await {
        Ok(live) => live,
        Err(e) => return failed(e.into()),
    };
    if let Some(live) = &live
        && (live.arn != physical_id || !owner(t).owns(&live.tags))
    {
        return failed(ProvisionError::NotOwned {
            role: current_name,
            logical_id: t.logical_id.clone(),
        });
    }
    // A role deleted behind the stack's back is recreated under its name.
    let arn = role_arn(&ctx, &spec.path, &current_name);
    let carried = Carried::default();
    match provision(
        aws,
        t,
        &ctx,
        &request.properties,
        spec,
        rules,
        &current_name,
        live,
        carried,
    )
    .await
    {
        Ok(done) => done.into_outcome(arn, "updated"),
        Err(f) => failed(f.error),
    }
}

/// A new role under the new name or path. CloudFormation deletes the old
/// one once it sees the new physical id. If the new role cannot be made,
/// whatever was made of it is removed, and the stack keeps the old one.
async fn replace_role(
    aws: &Clients,
    rules: &DeploymentRules,
    request: &Request,
    old_physical_id: &str,
) -> Outcome {
    let carried = match carried_from(aws, request, old_physical_id).await {
        Ok(carried) => carried,
        Err(e) => {
            return Outcome::failed(
                old_physical_id.to_owned(),
                ProvisionError::Aws(e).to_string(),
            );
        }
    };
    let created = create_carrying(aws, rules, request, carried).await;
    if created.success {
        return created;
    }
    // The failed create removed what it made unless it answered the new
    // role's ARN; the stack keeps the old id, so no Delete will ever name
    // the new role: try once more.
    if let Some((name, _)) = role_of_physical_id(&created.physical_id)
        && let Err(e) = remove_owned(
            aws,
            &owner(&request.target),
            &name,
            Some(&created.physical_id),
        )
        .await
    {
        tracing::error!(role = %name, error = %e, "could not remove the half-made replacement role");
    }
    Outcome::failed(old_physical_id.to_owned(), created.reason)
}

/// What the role being replaced hands on, if this stack resource owns it.
async fn carried_from(
    aws: &Clients,
    request: &Request,
    old_physical_id: &str,
) -> Result<Carried, AwsError> {
    let Some((old_name, _)) = role_of_physical_id(old_physical_id) else {
        return Ok(Carried::default());
    };
    let Some(live) = rolegate_aws::read_role(&aws.iam, &old_name).await? else {
        return Ok(Carried::default());
    };
    if live.arn != old_physical_id || !owner(&request.target).owns(&live.tags) {
        return Ok(Carried::default());
    }
    let record = trusted_own_record(aws, &live, &owner(&request.target)).await?;
    Ok(Carried::of(&live, record.as_ref(), &rolegate_aws::now()))
}

/// The role's record if it is trusted and this stack resource's. An
/// untrusted record is never read for anything that shapes the role.
async fn trusted_own_record(
    aws: &Clients,
    live: &LiveRole,
    owner: &Owner,
) -> Result<Option<RoleRecord>, AwsError> {
    let stored = rolegate_aws::get_stored_record(&aws.ssm, &live.name).await?;
    own_record(aws, stored, live, owner).await
}

/// [`trusted_own_record`] for a value already read.
async fn own_record(
    aws: &Clients,
    stored: Option<StoredValue>,
    live: &LiveRole,
    owner: &Owner,
) -> Result<Option<RoleRecord>, AwsError> {
    Ok(match rolegate_aws::trust_stored(aws, stored, live).await? {
        Ok(r) if owner.owns_record(&r) => Some(r),
        Ok(_) => None,
        Err(why) => {
            if !matches!(why, Untrusted::Missing { .. }) {
                tracing::warn!(role = %live.name, code = why.code(), reason = %why, "the stored record is not trusted; it is replaced by a sealed one");
            }
            None
        }
    })
}

async fn delete(aws: &Clients, request: &Request, physical_id: &str) -> Outcome {
    let target = &request.target;
    let done = |reason: String| Outcome::success(physical_id.to_owned(), reason, BTreeMap::new());
    if is_failed_create_id(physical_id) {
        // The Create answers with a role ARN whenever it may have written
        // to IAM. Its role must not outlive the stack even if that call was
        // wrong, so look anyway: reads only, unless a role turns up.
        let created_name = name_of_failed_create(request, physical_id);
        return match remove_every_owned(aws, request, created_name).await {
            Ok(0) => done("the create failed before any role was made; nothing to delete".into()),
            Ok(removed) => done(format!(
                "the create failed; {removed} role(s) it made removed"
            )),
            Err(e) => Outcome::failed(physical_id.to_owned(), ProvisionError::Aws(e).to_string()),
        };
    }
    let Some((name, _)) = role_of_physical_id(physical_id) else {
        return match delete_unanswered_create(aws, request).await {
            Ok(removed) => done(format!(
                "{physical_id:?} is not a role ARN (the create never answered); {removed} role(s) it made removed"
            )),
            Err(e) => Outcome::failed(physical_id.to_owned(), ProvisionError::Aws(e).to_string()),
        };
    };
    let owner = owner(target);
    let reason = match remove_owned(aws, &owner, &name, Some(physical_id)).await {
        Ok(Removal::NotOwned) => {
            return done(format!(
                "role {name} is not managed by this stack's {}; left in place",
                owner.logical_id
            ));
        }
        Ok(Removal::Gone) => format!("role {name} no longer exists"),
        Ok(Removal::Deleted) => format!("role {name} deleted"),
        Err(e) => {
            return Outcome::failed(physical_id.to_owned(), ProvisionError::Aws(e).to_string());
        }
    };
    match announce_removed(aws, request, &name, physical_id).await {
        Ok(()) => done(reason),
        Err(why) => done(format!("{reason}; {why}")),
    }
}

/// Sends `Integration Role Removed` for role `name`, now gone, to the bus
/// its Ready went to (`removed_bus`): not while its trust was pending. A
/// replacement's old role, which CloudFormation deletes after the new one's
/// Ready went out, is announced too: the vendor's registry holds it under
/// its own ARN. A failure is logged and counted, and returned to be said in the answer's
/// reason, but never fails the Delete: the role is gone either way, and
/// a FAILED Delete would leave the stack stuck over a notification.
async fn announce_removed(
    aws: &Clients,
    request: &Request,
    name: &str,
    arn: &str,
) -> Result<(), String> {
    use rolegate_policy::events::IntegrationRoleRemoved;
    use rolegate_policy::events::removed::removed_bus;
    // A spec this Delete cannot read was never provisioned under it, so
    // never announced: nothing to take back.
    let Ok(spec) = IntegrationSpec::from_properties(&request.properties) else {
        return Ok(());
    };
    let Some(bus) = removed_bus(&spec) else {
        return Ok(());
    };
    let not_sent = |why: String| {
        tracing::error!(role = name, code = "REMOVED_NOT_SENT", reason = %why, "removed_not_sent");
        rolegate_aws::metrics::Metrics::stdout(crate::metrics::FUNCTION)
            .emit(&[crate::metrics::removed_not_sent(&request.target.logical_id)]);
        format!("Integration Role Removed was not sent ({why})")
    };
    let ctx = context_of_stack(&request.target.stack_id).map_err(|e| not_sent(e.to_string()))?;
    let removed = IntegrationRoleRemoved {
        role_arn: arn.to_owned(),
        role_name: name.to_owned(),
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        vendor_tenant_id: spec.vendor_tenant_id.clone(),
    };
    rolegate_aws::put_event(
        &aws.events,
        bus.as_str(),
        rolegate_policy::events::READY_SOURCE,
        rolegate_policy::events::REMOVED_DETAIL_TYPE,
        &removed.to_detail(),
    )
    .await
    .map_err(|e| not_sent(e.to_string()))
}

/// Deletes the record under role `name` if it names this stack resource.
/// Deleting needs no trust: a forged record naming us is no loss. An
/// unreadable one is deleted only when `role_ours` (it sits beside a role
/// this resource owns); beside anyone else's it is left to its owner.
async fn delete_owned_record(
    aws: &Clients,
    owner: &Owner,
    name: &str,
    role_ours: bool,
) -> Result<(), AwsError> {
    let Some(stored) = rolegate_aws::get_stored_record(&aws.ssm, name).await? else {
        return Ok(());
    };
    let ours = match stored.untrusted_record() {
        Some(r) => owner.owns_record(&r),
        None => role_ours,
    };
    if ours {
        rolegate_aws::delete_record(&aws.ssm, name).await
    } else {
        Ok(())
    }
}

/// A role that now matches its spec.
struct Provisioned {
    name: String,
    /// The vendor trust is pending: nobody may assume the role yet.
    pending: bool,
    external_id: Option<String>,
    digest: String,
    write_calls: usize,
}

impl Provisioned {
    fn into_outcome(self, arn: String, verb: &str) -> Outcome {
        let mut data = BTreeMap::from([
            ("Arn".to_owned(), arn.clone()),
            ("RoleName".to_owned(), self.name.clone()),
            ("PolicyDigest".to_owned(), self.digest),
        ]);
        if let Some(id) = self.external_id {
            data.insert("ExternalId".to_owned(), id);
        }
        let pending = if self.pending {
            "; trust pending: nobody may assume it until the stack is updated with the vendor's principal and ExternalId"
        } else {
            ""
        };
        let reason = format!(
            "role {} {verb} ({} IAM write calls{pending})",
            self.name, self.write_calls
        );
        Outcome::success(arn, reason, data)
    }
}

/// Brings role `name` to what `spec` asks: creates it when `live` is
/// `None`, otherwise applies the diff. Seals and stores the record, and
/// notifies. `carried` is what a replaced role hands on.
#[allow(clippy::too_many_arguments)]
async fn provision(
    aws: &Clients,
    target: &ResponseTarget,
    ctx: &BuildContext,
    properties: &Value,
    spec: IntegrationSpec,
    rules: &DeploymentRules,
    name: &str,
    live: Option<LiveRole>,
    carried: Carried,
) -> Result<Provisioned, Failure> {
    let owner = owner(target);
    let now = rolegate_aws::now();
    // A Create finds a record under its name when it is delivered again
    // (its first delivery made the role): then that role's record and
    // trust hand on the ExternalId the first answer gave out. A record
    // beside a role that is not ours is someone else's: refuse before
    // writing anything, so that it is not overwritten.
    // The record read to find the role is the one judged: no second read.
    let (found, found_record) = match &live {
        Some(_) => (None, None),
        None => match rolegate_aws::get_stored_record(&aws.ssm, name).await? {
            Some(record) => match rolegate_aws::read_role(&aws.iam, name).await? {
                Some(l) if owner.owns(&l.tags) => (Some(l), Some(record)),
                Some(_) => return Err(role_taken(name, &owner).into()),
                None => (None, None),
            },
            None => (None, None),
        },
    };
    let stored = match (&live, &found) {
        (Some(live), _) => trusted_own_record(aws, live, &owner).await?,
        (None, Some(found)) => own_record(aws, found_record, found, &owner).await?,
        (None, None) => None,
    };
    let existing = live.as_ref().or(found.as_ref());
    let carried = match existing {
        Some(existing) => Carried::of(existing, stored.as_ref(), &now),
        None => carried,
    };
    // Keep the ExternalId the vendor already holds (the trusted record's,
    // else the live or replaced role's trust policy's); a new role only
    // gets a fresh one.
    let PipelineOutput {
        spec,
        properties,
        role: desired,
        digest,
    } = spec_to_role(
        properties,
        spec,
        rules,
        ctx,
        &owner,
        carried.external_id,
        generate_external_id,
    )?;

    // A stack update never lifts a quarantine the guard imposed.
    let quarantine = carried.quarantine;
    let desired = with_quarantine(desired, quarantine.as_ref(), &now);
    let arn = role_arn(ctx, &spec.path, name);
    let record = RoleRecord {
        stack_id: owner.stack_id.clone(),
        logical_resource_id: owner.logical_id.clone(),
        role_arn: arn.clone(),
        role_name: name.to_owned(),
        policy_digest: digest.clone(),
        properties,
        quarantine,
    };

    // A role EC2 assumes gets the instance profile of its own name. A
    // profile of that name that is not this resource's (a customer's) is
    // refused here, before anything is written: Rolegate never adopts it.
    if desired.instance_profile {
        let profile = match existing {
            Some(existing) => existing
                .instance_profiles
                .iter()
                .find(|p| p.name == name)
                .cloned(),
            None => rolegate_aws::read_instance_profile(&aws.iam, name, name).await?,
        };
        check_instance_profile(name, &desired, profile.as_ref(), &owner)?;
    }

    let plan = match &live {
        Some(live) => diff(live, &desired).into_plan(name),
        None => plan_create(name, &desired),
    };
    let store = async {
        if stored.as_ref() == Some(&record) {
            Ok(())
        } else {
            rolegate_aws::put_record(aws, &record).await
        }
    };
    let (applied, stored_now) = tokio::join!(rolegate_aws::apply(&aws.iam, &plan), store);
    let write_calls = match applied {
        Ok(applied) => applied.write_calls,
        Err(e) if live.is_none() && e.is_code("EntityAlreadyExists") => {
            // A duplicate delivery of this Create, a retried CreateRole
            // whose first attempt succeeded, or a name already taken.
            let existing = rolegate_aws::read_role(&aws.iam, name)
                .await
                .map_err(|e| Failure {
                    error: e.into(),
                    wrote: true,
                })?;
            match existing {
                Some(existing) if existing.arn == arn && owner.owns(&existing.tags) => {
                    let plan = diff(&existing, &desired).into_plan(name);
                    rolegate_aws::apply(&aws.iam, &plan)
                        .await
                        .map_err(|e| Failure {
                            error: e.into(),
                            wrote: true,
                        })?
                        .write_calls
                }
                // The record went in beside CreateRole: take it back.
                _ => {
                    return Err(Failure {
                        error: role_taken(name, &owner),
                        wrote: true,
                    });
                }
            }
        }
        Err(e) => {
            return Err(Failure {
                error: e.into(),
                wrote: true,
            });
        }
    };
    stored_now.map_err(|e| Failure {
        error: e.into(),
        wrote: true,
    })?;

    // None while the vendor trust is pending: the role admits nobody yet.
    if let Some(bus) = rolegate_policy::events::ready::ready_bus(&spec) {
        let detail = ready_event(&spec, ctx, &arn, name, &digest);
        rolegate_aws::notify_ready(&aws.events, bus.as_str(), &detail)
            .await
            .map_err(|source| Failure {
                error: ProvisionError::NotNotified {
                    role: name.to_owned(),
                    source,
                },
                wrote: true,
            })?;
    }
    tracing::info!(
        role = name,
        write_calls,
        depth = plan.depth(),
        "role reconciled"
    );
    Ok(Provisioned {
        name: name.to_owned(),
        pending: spec.trust.is_pending(),
        external_id: spec.external_id.clone(),
        digest,
        write_calls,
    })
}

fn role_taken(name: &str, owner: &Owner) -> ProvisionError {
    ProvisionError::RoleTaken {
        role: name.to_owned(),
        logical_id: owner.logical_id.clone(),
    }
}

/// The `Integration Role Ready` event detail the vendor's validator reads,
/// typed by the contract both share (`rolegate_policy::events`).
fn ready_event(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    arn: &str,
    name: &str,
    digest: &str,
) -> Value {
    use rolegate_policy::events::{IntegrationRoleReady, ReadyGrant};
    let ready = IntegrationRoleReady {
        role_arn: arn.to_owned(),
        role_name: name.to_owned(),
        external_id: spec.external_id.clone(),
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        policy_digest: digest.to_owned(),
        grants: spec
            .grants
            .iter()
            .map(|g| ReadyGrant {
                service: g.service().to_owned(),
                resource: g.resource(),
            })
            .collect(),
        vendor_tenant_id: spec.vendor_tenant_id.clone(),
    };
    // Serializing a struct of strings cannot fail.
    json!(ready)
}
