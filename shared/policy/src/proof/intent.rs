//! The spec's meaning, read on its own terms: does it grant an action on one
//! concrete probe?
//!
//! This is the proof's independent reading of the spec. It never calls the
//! builder nor looks at the statements it wrote (see the module doc of
//! `proof`): each grant's scope (bucket and prefix, table, indexes and
//! leading keys, function versions, Glue catalog and logs) is restated
//! here, so a builder that scopes a grant wrongly disagrees with it. It
//! shares with the builder only the reviewed action lists of
//! `build::actions`, the vocabulary of what an access level means.
//! Guardrails are not judged here; the proof breaks them separately.
//!
//! A grant's `Discovery: true` means its service's reviewed listing actions
//! (`build::actions::DISCOVERY`) on any resource: IAM accepts them only on
//! `"*"`, so no resource narrows them. Without it, they are not intended,
//! and a role that allows them exceeds its spec.

use super::probes::{Target, s3_via};
use crate::arn::Arn;
use crate::build::BuildContext;
use crate::build::actions::*;
use crate::document::{ConditionValue, PolicyDocument, Statement};
use crate::eval::{Pattern, Request};
use crate::spec::{Grant, IndexScope, IntegrationSpec, KinesisAccess, ReadWrite, SqsAccess};

/// Does `spec` grant `action` on `target`?
pub(super) fn intended(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    action: &str,
    target: &Target,
) -> bool {
    let outbound = action.eq_ignore_ascii_case("sts:AssumeRole")
        && spec
            .outbound_assume_role_arns
            .iter()
            .any(|a| a.as_str() == target.resource);
    outbound
        || discovery_intends(spec, action)
        || spec
            .grants
            .iter()
            .any(|g| grant_intends(g, ctx, action, target))
}

/// A listing action of a service the spec opts into with `Discovery`, on
/// whatever resource: these actions take none but `"*"`.
fn discovery_intends(spec: &IntegrationSpec, action: &str) -> bool {
    spec.discovery
        .iter()
        .any(|service| has(discovery_actions(service), action))
}

fn grant_intends(grant: &Grant, ctx: &BuildContext, action: &str, target: &Target) -> bool {
    let resource = target.resource.as_str();
    match grant {
        Grant::S3 {
            access,
            bucket,
            prefix,
            include_versions,
            kms_key_arn,
        } => {
            let bucket_arn = format!("arn:{}:s3:::{bucket}", ctx.partition);
            let pre = prefix.as_deref().unwrap_or("");
            let objects = S3Objects {
                access: *access,
                bucket_arn: &bucket_arn,
                prefix: pre,
                versions: *include_versions,
            };
            match objects.intends(action, target) {
                Some(in_bucket) => in_bucket,
                None => kms_key_arn
                    .as_ref()
                    .is_some_and(|key| s3_key_intends(*access, key, action, target)),
            }
        }
        Grant::DynamoDb {
            access,
            table_arn,
            indexes,
            leading_keys,
        } => dynamodb_intends(*access, table_arn, indexes, leading_keys, action, target),
        Grant::Firehose {
            delivery_stream_arn,
        } => resource == delivery_stream_arn.as_str() && has(FIREHOSE_PUT, action),
        Grant::Kinesis { access, stream_arn } => {
            let list = match access {
                KinesisAccess::Read => KINESIS_READ,
                KinesisAccess::Put => KINESIS_PUT,
            };
            resource == stream_arn.as_str() && has(list, action)
        }
        Grant::Lambda { function_arn } => {
            // The function itself or any of its versions and aliases.
            let f = function_arn.as_str();
            let qualified = resource
                .strip_prefix(f)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'));
            qualified && has(LAMBDA_INVOKE, action)
        }
        Grant::Sqs { access, queue_arn } => {
            let send = matches!(access, SqsAccess::Send | SqsAccess::SendReceive);
            let receive = matches!(access, SqsAccess::Receive | SqsAccess::SendReceive);
            resource == queue_arn.as_str()
                && (send && has(SQS_SEND, action) || receive && has(SQS_RECEIVE, action))
        }
        Grant::Sns { topic_arn } => resource == topic_arn.as_str() && has(SNS_PUBLISH, action),
        Grant::Glue { access, database } => glue_intends(*access, database, ctx, action, target),
    }
}

/// An S3 grant's bucket and the objects under its prefix.
struct S3Objects<'a> {
    access: ReadWrite,
    bucket_arn: &'a str,
    prefix: &'a str,
    /// `IncludeVersions`: the versioned list, read and write actions too.
    versions: bool,
}

impl S3Objects<'_> {
    /// `None` when `target` is neither the bucket nor one of its objects.
    /// On the bucket: its location always, listing within the prefix by
    /// access level; on an object: under the prefix, by access level.
    fn intends(&self, action: &str, target: &Target) -> Option<bool> {
        let (access, pre, versions) = (self.access, self.prefix, self.versions);
        let resource = target.resource.as_str();
        if resource == self.bucket_arn {
            let listing_in_scope = match target.key("s3:prefix") {
                Some(values) => values.iter().all(|v| v.starts_with(pre)),
                None => pre.is_empty(),
            };
            return Some(
                has(S3_LOCATION, action)
                    || access.reads()
                        && listing_in_scope
                        && (has(S3_LIST, action) || versions && has(S3_LIST_VERSIONS, action)),
            );
        }
        let key = resource
            .strip_prefix(self.bucket_arn)
            .and_then(|rest| rest.strip_prefix('/'))?;
        Some(
            key.starts_with(pre)
                && (access.reads()
                    && (has(S3_READ_OBJECTS, action) || versions && has(S3_READ_VERSIONS, action))
                    || access.writes()
                        && (has(S3_WRITE_OBJECTS, action)
                            || versions && has(S3_WRITE_VERSIONS, action))),
        )
    }
}

/// An S3 grant's KMS key: only through S3 in the key's region, to decrypt,
/// and to encrypt when the grant writes.
fn s3_key_intends(access: ReadWrite, key: &Arn, action: &str, target: &Target) -> bool {
    key.as_str() == target.resource
        && target.key("kms:ViaService") == Some(std::slice::from_ref(&s3_via(key)))
        && (has(KMS_DECRYPT, action) || access.writes() && has(KMS_ENCRYPT, action))
}

/// A DynamoDB grant: the table and the indexes in scope, only for items
/// whose leading keys the spec names; `Scan` only without leading keys.
fn dynamodb_intends(
    access: ReadWrite,
    table_arn: &Arn,
    indexes: &IndexScope,
    leading_keys: &[String],
    action: &str,
    target: &Target,
) -> bool {
    let resource = target.resource.as_str();
    // AWS sends dynamodb:LeadingKeys with every item operation; when
    // it is absent, ForAllValues is vacuously true, as IAM documents.
    let keys_in_scope = leading_keys.is_empty()
        || target.key("dynamodb:LeadingKeys").is_none_or(|values| {
            values.iter().all(|v| {
                leading_keys.iter().any(|k| {
                    Pattern::compile(k, true, false)
                        .matches(v, false, &Request::default())
                        .unwrap_or(false)
                })
            })
        });
    let scan = leading_keys.is_empty() && has(DYNAMODB_SCAN, action);
    let table = table_arn.as_str();
    if !keys_in_scope {
        return false;
    }
    if resource == table {
        return access.reads() && (has(DYNAMODB_READ, action) || scan)
            || access.writes() && has(DYNAMODB_WRITE, action);
    }
    let index = resource
        .strip_prefix(table)
        .and_then(|r| r.strip_prefix("/index/"));
    let index_in_scope = match (index, indexes) {
        (None, _) | (_, IndexScope::None) => false,
        (Some(_), IndexScope::All) => true,
        (Some(i), IndexScope::Named(names)) => names.iter().any(|n| n == i),
    };
    index_in_scope && access.reads() && (has(DYNAMODB_INDEX_READ, action) || scan)
}

/// A Glue grant: the catalog, the database and its tables in the
/// customer's account and region, and Glue's own log groups.
fn glue_intends(
    access: ReadWrite,
    database: &str,
    ctx: &BuildContext,
    action: &str,
    target: &Target,
) -> bool {
    let resource = target.resource.as_str();
    let (p, r, a) = (ctx.partition, &ctx.region, &ctx.account_id);
    let g = format!("arn:{p}:glue:{r}:{a}");
    let catalog = resource == format!("{g}:catalog")
        || resource == format!("{g}:database/{database}")
        || resource.starts_with(&format!("{g}:table/{database}/"));
    let logs = resource.starts_with(&format!("arn:{p}:logs:{r}:{a}:log-group:/aws-glue/"));
    catalog && (has(GLUE_READ, action) || access.writes() && has(GLUE_WRITE, action))
        || logs && has(GLUE_LOGS, action)
}

fn has(list: &[&str], action: &str) -> bool {
    list.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// The spec's intended access as one policy: exactly the actions on
/// exactly the resources `intended` grants, under the spec's guardrails
/// and expiry. The symbolic step of the proof asks whether the role allows
/// any request this policy does not (`symbolic::compare`).
///
/// It restates each grant's scope as patterns, from the same reading as
/// [`intended`] (a prefix is "the key starts with it", hence `prefix*`; a
/// function's versions and aliases are "`:` then anything", hence `f:*`),
/// never from the builder's statements: a builder that scopes a grant
/// wrongly then allows something this policy does not.
pub(super) fn intended_policy(spec: &IntegrationSpec, ctx: &BuildContext) -> PolicyDocument {
    let mut statements: Vec<Statement> = spec
        .grants
        .iter()
        .flat_map(|g| grant_statements(g, ctx))
        .collect();
    let listing: Vec<&str> = spec
        .discovery
        .iter()
        .flat_map(|service| discovery_actions(service).iter().copied())
        .collect();
    if !listing.is_empty() {
        statements.push(allow(&listing, vec!["*".to_owned()]));
    }
    if !spec.outbound_assume_role_arns.is_empty() {
        statements.push(allow(
            &["sts:AssumeRole"],
            spec.outbound_assume_role_arns
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
        ));
    }
    let g = &spec.guardrails;
    let strings = |v: &[String]| v.iter().map(|s| ConditionValue::from(s.as_str())).collect();
    let statements = statements
        .into_iter()
        .map(|mut s| {
            if !g.allowed_regions.is_empty() {
                s = s.with_condition(
                    "StringEquals",
                    "aws:RequestedRegion",
                    strings(&g.allowed_regions),
                );
            }
            if g.require_secure_transport {
                s = s.with_condition("Bool", "aws:SecureTransport", vec!["true".into()]);
            }
            if !g.source_ips.is_empty() {
                s = s.with_condition("IpAddress", "aws:SourceIp", strings(&g.source_ips));
            }
            if let Some(at) = &spec.expires_at {
                s = s.with_condition("DateLessThan", "aws:CurrentTime", vec![at.as_str().into()]);
            }
            s
        })
        .collect();
    PolicyDocument::new(statements)
}

fn grant_statements(grant: &Grant, ctx: &BuildContext) -> Vec<Statement> {
    let one = |r: &str| vec![r.to_owned()];
    match grant {
        Grant::S3 {
            access,
            bucket,
            prefix,
            include_versions,
            kms_key_arn,
        } => {
            let bucket_arn = format!("arn:{}:s3:::{bucket}", ctx.partition);
            let pre = prefix.as_deref().unwrap_or("");
            let versions = *include_versions;
            let mut out = vec![allow(S3_LOCATION, one(&bucket_arn))];
            if access.reads() {
                let mut actions = S3_LIST.to_vec();
                if versions {
                    actions.extend_from_slice(S3_LIST_VERSIONS);
                }
                let mut list = allow(&actions, one(&bucket_arn));
                // Listing within the prefix: every listed prefix starts
                // with it, and a listing without one is out of scope.
                // s3:prefix is single-valued in IAM.
                if !pre.is_empty() {
                    list = list.with_condition(
                        "StringLike",
                        "s3:prefix",
                        vec![format!("{pre}*").into()],
                    );
                }
                out.push(list);
            }
            let objects = format!("{bucket_arn}/{pre}*");
            let mut object_actions: Vec<&str> = Vec::new();
            if access.reads() {
                object_actions.extend_from_slice(S3_READ_OBJECTS);
                if versions {
                    object_actions.extend_from_slice(S3_READ_VERSIONS);
                }
            }
            if access.writes() {
                object_actions.extend_from_slice(S3_WRITE_OBJECTS);
                if versions {
                    object_actions.extend_from_slice(S3_WRITE_VERSIONS);
                }
            }
            out.push(allow(&object_actions, one(&objects)));
            if let Some(key) = kms_key_arn {
                let mut actions = KMS_DECRYPT.to_vec();
                if access.writes() {
                    actions.extend_from_slice(KMS_ENCRYPT);
                }
                out.push(allow(&actions, one(key.as_str())).with_condition(
                    "StringEquals",
                    "kms:ViaService",
                    vec![s3_via(key).into()],
                ));
            }
            out
        }
        Grant::DynamoDb {
            access,
            table_arn,
            indexes,
            leading_keys,
        } => {
            let table = table_arn.as_str();
            let scan: &[&str] = if leading_keys.is_empty() {
                DYNAMODB_SCAN
            } else {
                &[]
            };
            let mut table_actions: Vec<&str> = Vec::new();
            if access.reads() {
                table_actions.extend_from_slice(DYNAMODB_READ);
                table_actions.extend_from_slice(scan);
            }
            if access.writes() {
                table_actions.extend_from_slice(DYNAMODB_WRITE);
            }
            let mut out = vec![allow(&table_actions, one(table))];
            let index_resources: Vec<String> = match indexes {
                IndexScope::None => Vec::new(),
                IndexScope::All => vec![format!("{table}/index/*")],
                IndexScope::Named(names) => {
                    names.iter().map(|n| format!("{table}/index/{n}")).collect()
                }
            };
            if access.reads() && !index_resources.is_empty() {
                let mut actions = DYNAMODB_INDEX_READ.to_vec();
                actions.extend_from_slice(scan);
                out.push(allow(&actions, index_resources));
            }
            if leading_keys.is_empty() {
                return out;
            }
            // Every partition key the request names matches one the spec
            // names; a request naming none is in scope (ForAllValues).
            let keys: Vec<ConditionValue> =
                leading_keys.iter().map(|k| k.as_str().into()).collect();
            out.into_iter()
                .map(|s| {
                    s.with_condition(
                        "ForAllValues:StringLike",
                        "dynamodb:LeadingKeys",
                        keys.clone(),
                    )
                })
                .collect()
        }
        Grant::Firehose {
            delivery_stream_arn,
        } => vec![allow(FIREHOSE_PUT, one(delivery_stream_arn.as_str()))],
        Grant::Kinesis { access, stream_arn } => {
            let list = match access {
                KinesisAccess::Read => KINESIS_READ,
                KinesisAccess::Put => KINESIS_PUT,
            };
            vec![allow(list, one(stream_arn.as_str()))]
        }
        Grant::Lambda { function_arn } => {
            let f = function_arn.as_str();
            vec![allow(LAMBDA_INVOKE, vec![f.to_owned(), format!("{f}:*")])]
        }
        Grant::Sqs { access, queue_arn } => {
            let mut actions: Vec<&str> = Vec::new();
            if matches!(access, SqsAccess::Send | SqsAccess::SendReceive) {
                actions.extend_from_slice(SQS_SEND);
            }
            if matches!(access, SqsAccess::Receive | SqsAccess::SendReceive) {
                actions.extend_from_slice(SQS_RECEIVE);
            }
            vec![allow(&actions, one(queue_arn.as_str()))]
        }
        Grant::Sns { topic_arn } => vec![allow(SNS_PUBLISH, one(topic_arn.as_str()))],
        Grant::Glue { access, database } => {
            let (p, r, a) = (ctx.partition, &ctx.region, &ctx.account_id);
            let g = format!("arn:{p}:glue:{r}:{a}");
            let mut actions = GLUE_READ.to_vec();
            if access.writes() {
                actions.extend_from_slice(GLUE_WRITE);
            }
            vec![
                allow(
                    &actions,
                    vec![
                        format!("{g}:catalog"),
                        format!("{g}:database/{database}"),
                        format!("{g}:table/{database}/*"),
                    ],
                ),
                allow(
                    GLUE_LOGS,
                    one(&format!("arn:{p}:logs:{r}:{a}:log-group:/aws-glue/*")),
                ),
            ]
        }
    }
}

fn allow(actions: &[&str], resources: Vec<String>) -> Statement {
    Statement::allow(actions.iter().map(|a| (*a).to_owned()).collect(), resources)
}
