//! The reviewed action list behind every `Service`/`Access` pair.
//!
//! Each list is the smallest set that lets the vendor's integration work, as
//! the seed guides describe it (`docs/SEEDS.md` says, guide by guide, what
//! is granted as asked, dropped or added, and why). Actions that IAM
//! accepts only on `Resource: "*"` (`s3:ListAllMyBuckets`,
//! `dynamodb:ListTables`, `firehose:ListDeliveryStreams`) reveal the
//! account's inventory, and the integrations work without them, so no
//! access level has them: a grant adds its service's [`DISCOVERY`] list
//! only when it says `Discovery: true`. Changing a list changes what every
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

/// The listing actions a grant's `Discovery: true` adds, per service, with
/// what they disclose: the actions IAM accepts only on `Resource: "*"`
/// (the action database lists no resource type for them) that a vendor's
/// UI calls to let a user pick the resource, reviewed one by one, not
/// every such action. The builder puts them in one statement of their own
/// on `"*"` (the `rolegate-discovery` policy); the proof's `intent` reads
/// them from here; lint's `DISCOVERY_LISTING` names what they disclose.
///
/// Services left out, so `Discovery` on them is refused
/// (`DISCOVERY_NOT_OFFERED`): `lambda`, because `lambda:ListFunctions`
/// returns every function's configuration, its environment variables
/// included, which often hold secrets
/// (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html);
/// `glue`, whose catalog listings take catalog and database ARNs, not
/// `"*"`, and whose grant already names its database.
pub(crate) const DISCOVERY: &[(&str, &[&str], &str)] = &[
    (
        "s3",
        &["s3:ListAllMyBuckets"],
        "the name and creation date of every bucket in the account",
    ),
    (
        "dynamodb",
        &["dynamodb:ListTables"],
        "the name of every table in the account and region",
    ),
    (
        "firehose",
        &["firehose:ListDeliveryStreams"],
        "the name of every delivery stream in the account and region",
    ),
    (
        "kinesis",
        &["kinesis:ListStreams"],
        "the name, ARN and status of every data stream in the account and region",
    ),
    (
        "sqs",
        &["sqs:ListQueues"],
        "the URL, hence the name, of every queue in the account and region",
    ),
    (
        "sns",
        &["sns:ListTopics"],
        "the ARN, hence the name, of every topic in the account and region",
    ),
];

/// The listing actions `Discovery: true` adds for `service`; empty when the
/// service offers none.
pub(crate) fn discovery_actions(service: &str) -> &'static [&'static str] {
    DISCOVERY
        .iter()
        .find(|(s, _, _)| *s == service)
        .map_or(&[], |(_, actions, _)| actions)
}

/// What listing `action` with `Resource: "*"` discloses, when it is one of
/// the [`DISCOVERY`] actions.
pub(crate) fn discovery_disclosure(action: &str) -> Option<&'static str> {
    DISCOVERY
        .iter()
        .find(|(_, actions, _)| actions.iter().any(|a| a.eq_ignore_ascii_case(action)))
        .map(|(_, _, discloses)| *discloses)
}

/// The services [`DISCOVERY`] offers, for error messages.
pub(crate) fn discovery_services() -> impl Iterator<Item = &'static str> {
    DISCOVERY.iter().map(|(s, _, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actiondb::ActionDb;

    #[test]
    fn every_discovery_action_is_its_services_and_accepts_only_the_wildcard_resource() {
        let db = ActionDb::global();
        for (service, actions, _) in DISCOVERY {
            assert!(
                !actions.is_empty(),
                "{service}: an empty list offers nothing"
            );
            for action in *actions {
                assert_eq!(action.split(':').next(), Some(*service), "{action}");
                let info = db.action(action);
                assert!(info.is_some(), "{action} is not in the action database");
                assert!(
                    info.is_some_and(|a| a.requires_wildcard_resource()),
                    "{action} takes a resource type: scope it instead of listing on \"*\""
                );
            }
        }
    }

    #[test]
    fn lambda_and_glue_offer_no_discovery() {
        assert!(discovery_actions("lambda").is_empty());
        assert!(discovery_actions("glue").is_empty());
        assert_eq!(discovery_actions("dynamodb"), &["dynamodb:ListTables"]);
        assert!(discovery_disclosure("S3:listallmybuckets").is_some());
        assert_eq!(discovery_disclosure("s3:ListBucket"), None);
    }
}
