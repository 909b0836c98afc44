//! Applies a reconcile [`Plan`]: stage after stage, each stage's operations
//! concurrently.

use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::Tag;
use rolegate_policy::reconcile::{Operation, Plan};
use tokio::task::JoinSet;

use crate::error::{AwsError, iam};

/// Backoff before each retry of an operation that IAM's eventual consistency
/// refused. Throttling is the SDK's retry config's business, not this.
const CONSISTENCY_BACKOFF: [Duration; 4] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// What a plan did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// Successful IAM write calls.
    pub write_calls: usize,
    /// Stages that made at least one call.
    pub depth: usize,
}

/// Runs `plan` against IAM. Stops at the first stage with a failed
/// operation, after letting that stage's other operations finish.
pub async fn apply(client: &Client, plan: &Plan) -> Result<Applied, AwsError> {
    let creates = plan.operations().any(|op| {
        matches!(
            op,
            Operation::CreateRole(_)
                | Operation::CreateInstanceProfile { .. }
                | Operation::CreatePolicy { .. }
        )
    });
    let mut applied = Applied::default();
    for stage in plan.stages.iter().filter(|s| !s.is_empty()) {
        let mut calls = JoinSet::new();
        for op in stage {
            let client = client.clone();
            let role = plan.role_name.clone();
            let op = op.clone();
            calls.spawn(async move { call_consistently(&client, &role, &op, creates).await });
        }
        let mut first_error = None;
        while let Some(joined) = calls.join_next().await {
            match joined {
                Ok(Ok(())) => applied.write_calls += 1,
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(AwsError::Iam {
                        operation: "apply",
                        role: plan.role_name.clone(),
                        code: None,
                        message: e.to_string(),
                    });
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        applied.depth += 1;
    }
    Ok(applied)
}

async fn call_consistently(
    client: &Client,
    role: &str,
    op: &Operation,
    role_just_created: bool,
) -> Result<(), AwsError> {
    let mut backoff = CONSISTENCY_BACKOFF.iter();
    loop {
        match call(client, role, op).await {
            Err(e) if not_yet_consistent(op, &e, role_just_created) => match backoff.next() {
                Some(wait) => {
                    tracing::info!(
                        operation = op.api_name(),
                        role,
                        "IAM not yet consistent; retrying"
                    );
                    tokio::time::sleep(*wait).await;
                }
                None => return Err(e),
            },
            other => return other,
        }
    }
}

/// IAM is eventually consistent: a role, instance profile or managed
/// policy created a moment ago may not be visible to the next call yet, and a trust policy
/// naming a principal created a moment ago is refused as invalid until IAM
/// has caught up.
fn not_yet_consistent(op: &Operation, e: &AwsError, role_just_created: bool) -> bool {
    let invalid_principal =
        e.is_code("MalformedPolicyDocument") && e.to_string().contains("Invalid principal");
    match op {
        Operation::CreateRole(_) | Operation::UpdateAssumeRolePolicy { .. } => invalid_principal,
        Operation::DeleteRole => false,
        _ => role_just_created && e.is_code("NoSuchEntity"),
    }
}

async fn call(client: &Client, role: &str, op: &Operation) -> Result<(), AwsError> {
    let tags = |tags: &std::collections::BTreeMap<String, String>| {
        tags.iter()
            .map(|(k, v)| tag(role, k, v))
            .collect::<Result<Vec<_>, _>>()
    };
    match op {
        Operation::CreateRole(desired) => {
            let tags = tags(&desired.tags)?;
            let sent = client
                .create_role()
                .role_name(role)
                .path(&desired.path)
                .assume_role_policy_document(desired.trust_policy.to_json())
                .set_description(desired.description.clone())
                .max_session_duration(session_seconds(desired.max_session_duration))
                .set_permissions_boundary(desired.permissions_boundary_arn.clone())
                .set_tags(Some(tags))
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::PutRolePolicy { name, document } => {
            let sent = client
                .put_role_policy()
                .role_name(role)
                .policy_name(name)
                .policy_document(document.to_json())
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::DeleteRolePolicy { name } => {
            let sent = client
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::UpdateAssumeRolePolicy { document } => {
            let sent = client
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(document.to_json())
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::UpdateRole {
            description,
            max_session_duration,
        } => {
            let sent = client
                .update_role()
                .role_name(role)
                .description(description)
                .max_session_duration(session_seconds(*max_session_duration))
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::PutRolePermissionsBoundary { arn } => {
            let sent = client
                .put_role_permissions_boundary()
                .role_name(role)
                .permissions_boundary(arn)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::DeleteRolePermissionsBoundary => {
            let sent = client
                .delete_role_permissions_boundary()
                .role_name(role)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::TagRole { tags: set } => {
            let set = tags(set)?;
            let sent = client
                .tag_role()
                .role_name(role)
                .set_tags(Some(set))
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::UntagRole { keys } => {
            let sent = client
                .untag_role()
                .role_name(role)
                .set_tag_keys(Some(keys.clone()))
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::DetachRolePolicy { arn } => {
            let sent = client
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::RemoveRoleFromInstanceProfile { instance_profile } => {
            let sent = client
                .remove_role_from_instance_profile()
                .role_name(role)
                .instance_profile_name(instance_profile)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::CreateInstanceProfile {
            name,
            path,
            tags: set,
        } => {
            let set = tags(set)?;
            let sent = client
                .create_instance_profile()
                .instance_profile_name(name)
                .path(path)
                .set_tags(Some(set))
                .send()
                .await;
            outcome(op, role, sent)
        }
        // IAM asks the caller for iam:PassRole on the role as well
        // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html);
        // template.yaml grants it for this call only.
        Operation::AddRoleToInstanceProfile { instance_profile } => {
            let sent = client
                .add_role_to_instance_profile()
                .role_name(role)
                .instance_profile_name(instance_profile)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::DeleteInstanceProfile { instance_profile } => {
            let sent = client
                .delete_instance_profile()
                .instance_profile_name(instance_profile)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::CreatePolicy {
            name,
            path,
            document,
            tags: set,
            ..
        } => {
            let set = tags(set)?;
            let sent = client
                .create_policy()
                .policy_name(name)
                .path(path)
                .policy_document(document.to_json())
                .set_tags(Some(set))
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::CreatePolicyVersion { arn, document } => {
            let sent = client
                .create_policy_version()
                .policy_arn(arn)
                .policy_document(document.to_json())
                .set_as_default(true)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::DeletePolicyVersion { arn, version_id } => {
            let sent = client
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(version_id)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::AttachRolePolicy { arn } => {
            let sent = client
                .attach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await;
            outcome(op, role, sent)
        }
        Operation::DeletePolicy { arn } => {
            let sent = client.delete_policy().policy_arn(arn).send().await;
            outcome(op, role, sent)
        }
        Operation::DeleteRole => {
            let sent = client.delete_role().role_name(role).send().await;
            outcome(op, role, sent)
        }
    }
}

/// One IAM call's result as the plan sees it. Removing something already
/// gone is success: it makes deletes and duplicate deliveries idempotent.
fn outcome<T, E>(op: &Operation, role: &str, sent: Result<T, E>) -> Result<(), AwsError>
where
    E: ProvideErrorMetadata + std::error::Error,
{
    let Err(e) = sent else { return Ok(()) };
    let e = iam(op.api_name(), role, &e);
    let removes = matches!(
        op,
        Operation::DeleteRolePolicy { .. }
            | Operation::DeleteRolePermissionsBoundary
            | Operation::DetachRolePolicy { .. }
            | Operation::RemoveRoleFromInstanceProfile { .. }
            | Operation::DeleteInstanceProfile { .. }
            | Operation::DeletePolicyVersion { .. }
            | Operation::DeletePolicy { .. }
            | Operation::DeleteRole
    );
    if removes && e.is_code("NoSuchEntity") {
        Ok(())
    } else {
        Err(e)
    }
}

fn tag(role: &str, key: &str, value: &str) -> Result<Tag, AwsError> {
    Tag::builder()
        .key(key)
        .value(value)
        .build()
        .map_err(|e| AwsError::Iam {
            operation: "TagRole",
            role: role.to_owned(),
            code: None,
            message: e.to_string(),
        })
}

/// The spec bounds the session to 3600..=43200 seconds, well inside i32.
fn session_seconds(seconds: u32) -> i32 {
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str, message: &str) -> AwsError {
        AwsError::Iam {
            operation: "x",
            role: "r".into(),
            code: Some(code.into()),
            message: message.into(),
        }
    }

    #[test]
    fn a_missing_role_right_after_create_is_retried_but_not_otherwise() {
        let op = Operation::PutRolePolicy {
            name: "p".into(),
            document: rolegate_policy::PolicyDocument::new(vec![]),
        };
        let missing = error("NoSuchEntity", "NoSuchEntity: role r");
        assert!(not_yet_consistent(&op, &missing, true));
        assert!(!not_yet_consistent(&op, &missing, false));
        assert!(!not_yet_consistent(&Operation::DeleteRole, &missing, true));
    }

    #[test]
    fn an_invalid_principal_in_a_trust_policy_is_retried() {
        let op = Operation::UpdateAssumeRolePolicy {
            document: rolegate_policy::PolicyDocument::new(vec![]),
        };
        let invalid = error(
            "MalformedPolicyDocument",
            "MalformedPolicyDocument: Invalid principal in policy",
        );
        assert!(not_yet_consistent(&op, &invalid, false));
        let other = error("MalformedPolicyDocument", "MalformedPolicyDocument: bad");
        assert!(!not_yet_consistent(&op, &other, false));
    }
}
