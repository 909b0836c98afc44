//! The reviewed action list behind every `Service`/`Access` pair.
//!
//! Each list is the smallest set that lets the vendor's integration work, as
//! the seed guides describe it, minus actions that need `Resource: "*"`
//! (`s3:ListAllMyBuckets`, `dynamodb:ListTables`, `lambda:ListFunctions`,
//! `firehose:ListDeliveryStreams`): they reveal the account's inventory and
//! the integrations work without them. Changing a list changes what every
//! customer grants: review it like a security patch.

use super::{BuildContext, POLICY_NAME_PREFIX};
use crate::arn::Arn;
use crate::canonical::sha256_hex;
use crate::document::{ConditionValue, Statement};
use crate::spec::{Grant, IndexScope, KinesisAccess, SqsAccess};

const S3_LIST: &[&str] = &["s3:ListBucket"];
const S3_LIST_VERSIONS: &[&str] = &["s3:ListBucketVersions"];
const S3_LOCATION: &[&str] = &["s3:GetBucketLocation"];
const S3_READ_OBJECTS: &[&str] = &["s3:GetObject"];
const S3_READ_VERSIONS: &[&str] = &["s3:GetObjectVersion"];
const S3_WRITE_OBJECTS: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
];
const S3_WRITE_VERSIONS: &[&str] = &["s3:DeleteObjectVersion"];
const KMS_DECRYPT: &[&str] = &["kms:Decrypt"];
// Multipart uploads to SSE-KMS buckets need Decrypt as well as GenerateDataKey.
const KMS_ENCRYPT: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];

const DYNAMODB_READ: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
];
// Scan cannot be limited by dynamodb:LeadingKeys, so it is left out when they are set.
const DYNAMODB_SCAN: &[&str] = &["dynamodb:Scan"];
const DYNAMODB_WRITE: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];
const DYNAMODB_INDEX_READ: &[&str] = &["dynamodb:Query"];

const FIREHOSE_PUT: &[&str] = &[
    "firehose:DescribeDeliveryStream",
    "firehose:PutRecord",
    "firehose:PutRecordBatch",
];
const KINESIS_READ: &[&str] = &[
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
];
const KINESIS_PUT: &[&str] = &[
    "kinesis:DescribeStreamSummary",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
];
const LAMBDA_INVOKE: &[&str] = &["lambda:InvokeFunction"];
const SQS_SEND: &[&str] = &[
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:SendMessage",
];
const SQS_RECEIVE: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
];
const SNS_PUBLISH: &[&str] = &["sns:Publish"];
const GLUE_READ: &[&str] = &[
    "glue:BatchGetPartition",
    "glue:GetDatabase",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
];
const GLUE_WRITE: &[&str] = &[
    "glue:BatchCreatePartition",
    "glue:CreatePartition",
    "glue:CreateTable",
    "glue:UpdatePartition",
    "glue:UpdateTable",
];
// Glue jobs and crawlers write their logs under /aws-glue/.
const GLUE_LOGS: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

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
