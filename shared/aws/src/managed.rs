//! Managed policies: what an attached policy allows, and which roles hold one.
//! Rolegate never attaches a managed policy, but the guard must judge one
//! that somebody else attached by what it says.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::EntityType;
use rolegate_policy::PolicyDocument;
use tokio::task::JoinSet;

use crate::error::{AwsError, iam};
use crate::live::parse_document;

/// The default version's document of each policy in `arns`; `None` for a
/// policy IAM would not show or whose document does not parse.
pub async fn managed_policy_documents(
    client: &Client,
    role: &str,
    arns: &[String],
) -> Result<Vec<(String, Option<PolicyDocument>)>, AwsError> {
    let mut reads = JoinSet::new();
    for (i, arn) in arns.iter().enumerate() {
        let client = client.clone();
        let arn = arn.clone();
        let role = role.to_owned();
        reads.spawn(async move {
            let policy = client
                .get_policy()
                .policy_arn(&arn)
                .send()
                .await
                .map_err(|e| iam("GetPolicy", &role, &e))?;
            let Some(version) = policy.policy().and_then(|p| p.default_version_id()) else {
                return Ok((i, arn, None));
            };
            let got = client
                .get_policy_version()
                .policy_arn(&arn)
                .version_id(version)
                .send()
                .await
                .map_err(|e| iam("GetPolicyVersion", &role, &e))?;
            let document = got
                .policy_version()
                .and_then(|v| v.document())
                .and_then(parse_document);
            Ok::<_, AwsError>((i, arn, document))
        });
    }
    let mut documents = Vec::with_capacity(arns.len());
    while let Some(joined) = reads.join_next().await {
        let read = joined.map_err(|e| AwsError::Iam {
            operation: "GetPolicyVersion",
            role: role.to_owned(),
            code: None,
            message: e.to_string(),
        })??;
        documents.push(read);
    }
    documents.sort_by_key(|(i, _, _)| *i);
    Ok(documents
        .into_iter()
        .map(|(_, arn, doc)| (arn, doc))
        .collect())
}

/// Names of the roles `policy_arn` is attached to.
pub async fn roles_with_policy(client: &Client, policy_arn: &str) -> Result<Vec<String>, AwsError> {
    let pages: Vec<_> = client
        .list_entities_for_policy()
        .policy_arn(policy_arn)
        .entity_filter(EntityType::Role)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam("ListEntitiesForPolicy", policy_arn, &e))?;
    Ok(pages
        .iter()
        .flat_map(|page| page.policy_roles())
        .filter_map(|r| r.role_name().map(str::to_owned))
        .collect())
}
