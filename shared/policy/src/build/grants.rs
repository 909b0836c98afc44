//! Grant → statements: each grant becomes statements over its exact resource
//! ARNs, with the action lists from [`super::actions`].

use std::collections::BTreeSet;

use super::{BuildContext, POLICY_NAME_PREFIX};
use crate::arn::Arn;
use crate::canonical::sha256_hex;
use crate::document::{ConditionValue, Statement};
use crate::spec::{Grant, IndexScope, KinesisAccess, SqsAccess};

use super::actions::*;

/// `rolegate-<service>-<8 hex>`: derived from the service and resource only,
/// so it is stable across grant reordering and unique per resource.
pub(super) fn policy_name(grant: &Grant) -> String {
    let hash = sha256_hex(format!("{}\n{}", grant.service(), grant.resource()).as_bytes());
    format!("{POLICY_NAME_PREFIX}{}-{}", grant.service(), &hash[..8])
}

pub(super) fn statements(grant: &Grant, ctx: &BuildContext) -> Vec<Statement> {
    match grant {
        Grant::S3 {
            access,
            bucket,
            prefix,
            include_versions,
            kms_key_arn,
        } => {
            let p = ctx.partition;
            let bucket_arn = format!("arn:{p}:s3:::{bucket}");
            let prefix = prefix.as_deref().unwrap_or("");
            let objects_arn = format!("arn:{p}:s3:::{bucket}/{prefix}*");
            let mut out = Vec::new();
            if access.reads() {
                let mut list = S3_LIST.to_vec();
                if *include_versions {
                    list.extend_from_slice(S3_LIST_VERSIONS);
                }
                let mut s = allow(&list, &[&bucket_arn], "ListBucket");
                if !prefix.is_empty() {
                    s = s.with_condition(
                        "StringLike",
                        "s3:prefix",
                        vec![format!("{prefix}*").into()],
                    );
                }
                out.push(s);
            }
            out.push(allow(S3_LOCATION, &[&bucket_arn], "BucketLocation"));
            if access.reads() {
                let mut read = S3_READ_OBJECTS.to_vec();
                if *include_versions {
                    read.extend_from_slice(S3_READ_VERSIONS);
                }
                out.push(allow(&read, &[&objects_arn], "ReadObjects"));
            }
            if access.writes() {
                let mut write = S3_WRITE_OBJECTS.to_vec();
                if *include_versions {
                    write.extend_from_slice(S3_WRITE_VERSIONS);
                }
                out.push(allow(&write, &[&objects_arn], "WriteObjects"));
            }
            if let Some(key) = kms_key_arn {
                let actions = if access.writes() {
                    KMS_ENCRYPT
                } else {
                    KMS_DECRYPT
                };
                let via = format!("s3.{}.{}", key.region(), dns_suffix(key));
                out.push(
                    allow(actions, &[&key.to_string()], "KmsForS3").with_condition(
                        "StringEquals",
                        "kms:ViaService",
                        vec![via.into()],
                    ),
                );
            }
            out
        }
        Grant::DynamoDb {
            access,
            table_arn,
            indexes,
            leading_keys,
        } => {
            let table = table_arn.to_string();
            let mut actions: Vec<&str> = Vec::new();
            if access.reads() {
                actions.extend_from_slice(DYNAMODB_READ);
                if leading_keys.is_empty() {
                    actions.extend_from_slice(DYNAMODB_SCAN);
                }
            }
            if access.writes() {
                actions.extend_from_slice(DYNAMODB_WRITE);
            }
            actions.sort_unstable();
            let mut out = vec![allow(&actions, &[&table], "TableItems")];
            if access.reads() {
                let index_arns: Vec<String> = match indexes {
                    IndexScope::None => Vec::new(),
                    IndexScope::All => vec![format!("{table}/index/*")],
                    IndexScope::Named(names) => {
                        names.iter().map(|n| format!("{table}/index/{n}")).collect()
                    }
                };
                if !index_arns.is_empty() {
                    let mut index_actions = DYNAMODB_INDEX_READ.to_vec();
                    if leading_keys.is_empty() {
                        index_actions.extend_from_slice(DYNAMODB_SCAN);
                    }
                    let refs: Vec<&str> = index_arns.iter().map(String::as_str).collect();
                    out.push(allow(&index_actions, &refs, "IndexQueries"));
                }
            }
            if !leading_keys.is_empty() {
                // ForAllValues: every partition key in the request must match.
                let operator = if leading_keys.iter().any(|k| k.contains(['*', '?'])) {
                    "ForAllValues:StringLike"
                } else {
                    "ForAllValues:StringEquals"
                };
                let values: Vec<ConditionValue> =
                    leading_keys.iter().map(|k| k.as_str().into()).collect();
                out = out
                    .into_iter()
                    .map(|s| s.with_condition(operator, "dynamodb:LeadingKeys", values.clone()))
                    .collect();
            }
            out
        }
        Grant::Firehose {
            delivery_stream_arn,
        } => vec![allow(
            FIREHOSE_PUT,
            &[&delivery_stream_arn.to_string()],
            "PutRecords",
        )],
        Grant::Kinesis { access, stream_arn } => {
            let (actions, sid) = match access {
                KinesisAccess::Read => (KINESIS_READ, "ReadStream"),
                KinesisAccess::Put => (KINESIS_PUT, "PutRecords"),
            };
            vec![allow(actions, &[&stream_arn.to_string()], sid)]
        }
        Grant::Lambda { function_arn } => {
            // The `:*` form covers invocations of versions and aliases.
            let f = function_arn.to_string();
            vec![allow(LAMBDA_INVOKE, &[&f, &format!("{f}:*")], "Invoke")]
        }
        Grant::Sqs { access, queue_arn } => {
            let mut actions: Vec<&str> = match access {
                SqsAccess::Send => SQS_SEND.to_vec(),
                SqsAccess::Receive => SQS_RECEIVE.to_vec(),
                SqsAccess::SendReceive => [SQS_SEND, SQS_RECEIVE].concat(),
            };
            actions.sort_unstable();
            actions.dedup();
            vec![allow(&actions, &[&queue_arn.to_string()], "Queue")]
        }
        Grant::Sns { topic_arn } => vec![allow(SNS_PUBLISH, &[&topic_arn.to_string()], "Publish")],
        Grant::Glue { access, database } => {
            let (p, r, a) = (ctx.partition, &ctx.region, &ctx.account_id);
            let catalog = [
                format!("arn:{p}:glue:{r}:{a}:catalog"),
                format!("arn:{p}:glue:{r}:{a}:database/{database}"),
                format!("arn:{p}:glue:{r}:{a}:table/{database}/*"),
            ];
            let refs: Vec<&str> = catalog.iter().map(String::as_str).collect();
            let mut actions: Vec<&str> = GLUE_READ.to_vec();
            if access.writes() {
                actions.extend_from_slice(GLUE_WRITE);
            }
            actions.sort_unstable();
            let logs = format!("arn:{p}:logs:{r}:{a}:log-group:/aws-glue/*");
            vec![
                allow(&actions, &refs, "Catalog"),
                allow(GLUE_LOGS, &[&logs], "GlueLogs"),
            ]
        }
    }
}

/// The inline policy holding the listing actions of every grant that says
/// `Discovery: true`.
pub(super) const DISCOVERY_POLICY: &str = "rolegate-discovery";

/// One statement on `"*"` with the reviewed listing actions of each
/// service in `services` (a spec's `discovery`); `None` when no grant opts
/// in. IAM accepts these actions only on `"*"`, so they stay apart from
/// the grants' statements, which name exact ARNs.
pub(super) fn discovery_statement(services: &BTreeSet<&'static str>) -> Option<Statement> {
    let mut actions: Vec<&str> = services
        .iter()
        .flat_map(|s| discovery_actions(s).iter().copied())
        .collect();
    actions.sort_unstable();
    actions.dedup();
    (!actions.is_empty()).then(|| allow(&actions, &["*"], "Discovery"))
}

fn allow(actions: &[&str], resources: &[&str], sid: &str) -> Statement {
    Statement::allow(
        actions.iter().map(|a| (*a).to_owned()).collect(),
        resources.iter().map(|r| (*r).to_owned()).collect(),
    )
    .with_sid(sid)
}

fn dns_suffix(arn: &Arn) -> &'static str {
    arn.partition()
        .unwrap_or(crate::arn::Partition::Aws)
        .dns_suffix()
}
