//! Reads what IAM holds for one role into a [`LiveRole`], and one instance
//! profile into a [`LiveInstanceProfile`].

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::InstanceProfile;
use rolegate_policy::reconcile::{LiveInstanceProfile, LiveRole};
use rolegate_policy::{PolicyDocument, Timestamp};
use tokio::task::JoinSet;

use crate::error::{AwsError, iam};

/// Reads of a role that changes underneath (a policy listed, then removed
/// before it is fetched, by a racing Delete or Create) start over.
const READ_ATTEMPTS: usize = 3;

/// The role's live state, or `None` when IAM has no role of that name.
pub async fn read_role(client: &Client, name: &str) -> Result<Option<LiveRole>, AwsError> {
    crate::again_on("NoSuchEntity", READ_ATTEMPTS, name, || {
        read_role_once(client, name)
    })
    .await
}

async fn read_role_once(client: &Client, name: &str) -> Result<Option<LiveRole>, AwsError> {
    let got = match client.get_role().role_name(name).send().await {
        Ok(got) => got,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(iam("GetRole", name, &e)),
    };
    let role = got.role().ok_or_else(|| AwsError::IncompleteResponse {
        role: name.to_owned(),
        field: "Role",
    })?;

    let (policy_names, attached, profiles, own_profile, managed_policies) = tokio::try_join!(
        async {
            client
                .list_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| iam("ListRolePolicies", name, &e))
        },
        async {
            client
                .list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| iam("ListAttachedRolePolicies", name, &e))
        },
        async {
            client
                .list_instance_profiles_for_role()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| iam("ListInstanceProfilesForRole", name, &e))
        },
        // The profile of the role's name, even when it no longer holds the
        // role: for a role EC2 assumes, Rolegate's own.
        read_instance_profile(client, name, name),
        // Its own managed policies, attached or not (a detached one is
        // restored, not forgotten).
        crate::managed::own_managed_policies(client, name, role.path()),
    )?;

    let mut reads = JoinSet::new();
    for policy in policy_names {
        let client = client.clone();
        let role = name.to_owned();
        reads.spawn(async move {
            let got = client
                .get_role_policy()
                .role_name(&role)
                .policy_name(&policy)
                .send()
                .await
                .map_err(|e| iam("GetRolePolicy", &role, &e))?;
            Ok::<_, AwsError>((policy, parse_document(got.policy_document())))
        });
    }
    let mut inline_policies = BTreeMap::new();
    while let Some(joined) = reads.join_next().await {
        let (policy, document) = joined.map_err(|e| AwsError::Iam {
            operation: "GetRolePolicy",
            role: name.to_owned(),
            code: None,
            message: e.to_string(),
        })??;
        inline_policies.insert(policy, document);
    }

    Ok(Some(LiveRole {
        name: role.role_name().to_owned(),
        arn: role.arn().to_owned(),
        path: role.path().to_owned(),
        description: role.description().map(str::to_owned),
        trust_policy: role.assume_role_policy_document().and_then(parse_document),
        max_session_duration: role
            .max_session_duration()
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(3600),
        permissions_boundary_arn: role
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned),
        inline_policies,
        attached_policy_arns: attached
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect(),
        managed_policies,
        instance_profiles: instance_profiles(&profiles, own_profile, name),
        tags: role
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
        created: Some(timestamp(role.create_date())),
        last_used: role
            .role_last_used()
            .and_then(|u| u.last_used_date())
            .map(timestamp),
    }))
}

/// The instance profile `profile` as IAM holds it, with its tags, or `None`
/// when IAM has none of that name; `role` says which role it may hold.
pub async fn read_instance_profile(
    client: &Client,
    profile: &str,
    role: &str,
) -> Result<Option<LiveInstanceProfile>, AwsError> {
    match client
        .get_instance_profile()
        .instance_profile_name(profile)
        .send()
        .await
    {
        Ok(got) => Ok(got.instance_profile().map(|p| live_profile(p, role))),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(iam("GetInstanceProfile", role, &e)),
    }
}

fn live_profile(p: &InstanceProfile, role: &str) -> LiveInstanceProfile {
    LiveInstanceProfile {
        name: p.instance_profile_name().to_owned(),
        path: p.path().to_owned(),
        tags: p
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
        holds_role: p.roles().iter().any(|r| r.role_name() == role),
    }
}

/// The profiles holding role `name`, with the one of its name read on its
/// own (tags and all) in place of its listed entry or added if it does not
/// hold the role.
fn instance_profiles(
    listed: &[InstanceProfile],
    own: Option<LiveInstanceProfile>,
    name: &str,
) -> Vec<LiveInstanceProfile> {
    let mut profiles: Vec<LiveInstanceProfile> = listed
        .iter()
        .filter(|p| p.instance_profile_name() != name)
        .map(|p| LiveInstanceProfile {
            holds_role: true,
            ..live_profile(p, name)
        })
        .collect();
    if let Some(mut own) = own {
        // Listed as holding the role though the read says not: a race
        // with a tamper; either way the restore converges.
        own.holds_role |= listed.iter().any(|p| p.instance_profile_name() == name);
        profiles.push(own);
    }
    profiles
}

fn timestamp(t: &aws_sdk_iam::primitives::DateTime) -> Timestamp {
    Timestamp::from_epoch_seconds(t.secs())
}

/// IAM returns stored policy documents URL-encoded (RFC 3986); a document
/// that already starts as JSON is taken as it is, so a literal `%` survives.
pub(crate) fn parse_document(raw: &str) -> Option<PolicyDocument> {
    if raw.trim_start().starts_with('{') {
        return PolicyDocument::parse(raw).ok();
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    PolicyDocument::parse(&decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_document;

    #[test]
    fn url_encoded_and_plain_documents_both_parse() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        let encoded: String =
            percent_encoding::utf8_percent_encode(plain, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert_eq!(parse_document(plain), parse_document(&encoded));
        assert!(parse_document(plain).is_some());
    }
}
