//! The reviewed action list behind every `Service`/`Access` pair.
//!
//! Each list is the smallest set that lets the vendor's integration work, as
//! the seed guides describe it, minus actions that need `Resource: "*"`
//! (`s3:ListAllMyBuckets`, `dynamodb:ListTables`, `lambda:ListFunctions`,
//! `firehose:ListDeliveryStreams`): they reveal the account's inventory and
//! the integrations work without them. Changing a list changes what every
//! customer grants: review it like a security patch.

pub(crate) const S3_LIST: &[&str] = &["s3:ListBucket"];
pub(crate) const S3_LIST_VERSIONS: &[&str] = &["s3:ListBucketVersions"];
pub(crate) const S3_LOCATION: &[&str] = &["s3:GetBucketLocation"];
pub(crate) const S3_READ_OBJECTS: &[&str] = &["s3:GetObject"];
pub(crate) const S3_READ_VERSIONS: &[&str] = &["s3:GetObjectVersion"];
pub(crate) const S3_WRITE_OBJECTS: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
];
pub(crate) const S3_WRITE_VERSIONS: &[&str] = &["s3:DeleteObjectVersion"];
pub(crate) const KMS_DECRYPT: &[&str] = &["kms:Decrypt"];
// Multipart uploads to SSE-KMS buckets need Decrypt as well as GenerateDataKey.
pub(crate) const KMS_ENCRYPT: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];

pub(crate) const DYNAMODB_READ: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
];
// Scan cannot be limited by dynamodb:LeadingKeys, so it is left out when they are set.
pub(crate) const DYNAMODB_SCAN: &[&str] = &["dynamodb:Scan"];
pub(crate) const DYNAMODB_WRITE: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];
pub(crate) const DYNAMODB_INDEX_READ: &[&str] = &["dynamodb:Query"];

pub(crate) const FIREHOSE_PUT: &[&str] = &[
    "firehose:DescribeDeliveryStream",
    "firehose:PutRecord",
    "firehose:PutRecordBatch",
];
pub(crate) const KINESIS_READ: &[&str] = &[
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
];
pub(crate) const KINESIS_PUT: &[&str] = &[
    "kinesis:DescribeStreamSummary",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
];
pub(crate) const LAMBDA_INVOKE: &[&str] = &["lambda:InvokeFunction"];
pub(crate) const SQS_SEND: &[&str] = &[
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:SendMessage",
];
pub(crate) const SQS_RECEIVE: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
];
pub(crate) const SNS_PUBLISH: &[&str] = &["sns:Publish"];
pub(crate) const GLUE_READ: &[&str] = &[
    "glue:BatchGetPartition",
    "glue:GetDatabase",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
];
pub(crate) const GLUE_WRITE: &[&str] = &[
    "glue:BatchCreatePartition",
    "glue:CreatePartition",
    "glue:CreateTable",
    "glue:UpdatePartition",
    "glue:UpdateTable",
];
// Glue jobs and crawlers write their logs under /aws-glue/.
pub(crate) const GLUE_LOGS: &[&str] = &[
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];
