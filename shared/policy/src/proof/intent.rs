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

use super::probes::{Target, s3_via};
use crate::arn::Arn;
use crate::build::BuildContext;
use crate::build::actions::*;
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
        || spec
            .grants
            .iter()
            .any(|g| grant_intends(g, ctx, action, target))
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
