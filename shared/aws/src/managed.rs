//! Managed policies: what an attached policy allows, which roles hold one,
//! and the role's own (what overflowed IAM's inline quota, named
//! `<role>-rolegate-<n>` at the role's path). The guard must judge a policy
//! somebody else attached by what it says; the role's own are read with
//! their versions and tags, so the reconcile engine can tell them apart and
//! restore them.

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{EntityType, PolicyScopeType};
use rolegate_policy::PolicyDocument;
use rolegate_policy::build::managed::suffix_of;
use rolegate_policy::reconcile::LiveManagedPolicy;
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

/// The customer managed policies named as role `role`'s own, at its `path`
/// (attached or not: a detached one is still the role's), by suffix, each
/// with its default document, versions and tags. One ListPolicies over the
/// path, then three reads per policy found.
pub(crate) async fn own_managed_policies(
    client: &Client,
    role: &str,
    path: &str,
) -> Result<BTreeMap<String, LiveManagedPolicy>, AwsError> {
    let listed: Vec<_> = client
        .list_policies()
        .scope(PolicyScopeType::Local)
        .path_prefix(path)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| iam("ListPolicies", role, &e))?;
    let mut reads = JoinSet::new();
    for policy in listed {
        let (Some(name), Some(arn)) = (policy.policy_name(), policy.arn()) else {
            continue;
        };
        let Some(suffix) = suffix_of(role, name) else {
            continue;
        };
        if policy.path() != Some(path) {
            continue;
        }
        let (client, role) = (client.clone(), role.to_owned());
        let (suffix, name, arn) = (suffix.to_owned(), name.to_owned(), arn.to_owned());
        let default_version = policy.default_version_id().unwrap_or("v1").to_owned();
        reads.spawn(async move {
            let (versions, document, tags) = tokio::try_join!(
                async {
                    client
                        .list_policy_versions()
                        .policy_arn(&arn)
                        .send()
                        .await
                        .map_err(|e| iam("ListPolicyVersions", &role, &e))
                },
                async {
                    client
                        .get_policy_version()
                        .policy_arn(&arn)
                        .version_id(&default_version)
                        .send()
                        .await
                        .map_err(|e| iam("GetPolicyVersion", &role, &e))
                },
                async {
                    client
                        .list_policy_tags()
                        .policy_arn(&arn)
                        .send()
                        .await
                        .map_err(|e| iam("ListPolicyTags", &role, &e))
                },
            )?;
            let live = LiveManagedPolicy {
                name,
                arn,
                document: document
                    .policy_version()
                    .and_then(|v| v.document())
                    .and_then(parse_document),
                default_version,
                versions: versions
                    .versions()
                    .iter()
                    .filter_map(|v| v.version_id().map(str::to_owned))
                    .collect(),
                tags: tags
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
            };
            Ok::<_, AwsError>((suffix, live))
        });
    }
    let mut policies = BTreeMap::new();
    while let Some(joined) = reads.join_next().await {
        let (suffix, policy) = joined.map_err(|e| AwsError::Iam {
            operation: "GetPolicyVersion",
            role: role.to_owned(),
            code: None,
            message: e.to_string(),
        })??;
        policies.insert(suffix, policy);
    }
    Ok(policies)
}
