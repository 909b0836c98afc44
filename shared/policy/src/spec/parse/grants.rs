//! The `Grants` property: one reader per Grant service, chosen by the
//! service name before the grant's own properties are checked (the allowed
//! properties depend on the service).
//!
//! Adding a service here means one entry in [`SERVICES`] and one reader.
//!
//! `Discovery` is read here for every service, before its reader: whether
//! a service offers it is the reviewed list in `build::actions`
//! (`DISCOVERY`), the vocabulary the builder and the proof share.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::object::{Object, wrong_type};
use super::values::{check_literal, is_bucket_name, one_of, parse_arn, service_arn};
use crate::build::actions::{discovery_actions, discovery_services};
use crate::spec::{Grant, IndexScope, KinesisAccess, ReadWrite, SpecError, SqsAccess};

/// The grants, and the services whose listing actions a grant opts into
/// with `Discovery: true`.
pub(super) fn grants(value: &Value) -> Result<(Vec<Grant>, BTreeSet<&'static str>), SpecError> {
    let Value::Array(items) = value else {
        return Err(wrong_type("Grants", "a list of grant objects", value));
    };
    let mut discovery = BTreeSet::new();
    let mut grants = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let (g, discovers) = grant(v, &format!("Grants[{i}]"))?;
        if discovers {
            discovery.insert(g.service());
        }
        grants.push(g);
    }
    // Two grants on one resource would fight over one inline policy name.
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, g) in grants.iter().enumerate() {
        if let Some(first) = seen.insert((g.service().to_owned(), g.resource()), i) {
            return Err(SpecError::Duplicate {
                field: format!("Grants[{i}]"),
                first: format!(
                    "Grants[{first}] ({} on {}): merge them into one grant with a wider Access",
                    g.service(),
                    g.resource()
                ),
            });
        }
    }
    Ok((grants, discovery))
}

/// A Grant service's reader: the grant object (its service already
/// checked) and its path, `Grants[i]`.
type Reader = fn(&Value, &str) -> Result<Grant, SpecError>;

/// Every Grant service, in the order error messages list them, with its
/// reader.
const SERVICES: &[(&str, Reader)] = &[
    ("s3", s3),
    ("dynamodb", dynamodb),
    ("firehose", firehose),
    ("kinesis", kinesis),
    ("lambda", lambda),
    ("sqs", sqs),
    ("sns", sns),
    ("glue", glue),
];

const READ_WRITE: [(&str, ReadWrite); 3] = [
    ("read", ReadWrite::Read),
    ("write", ReadWrite::Write),
    ("read-write", ReadWrite::ReadWrite),
];

/// One grant, and whether it says `Discovery: true`.
fn grant(value: &Value, path: &str) -> Result<(Grant, bool), SpecError> {
    // Check the service first so that the allowed properties can depend on it.
    let service_obj = value
        .as_object()
        .ok_or_else(|| wrong_type(path, "a grant object", value))?;
    let service_field = format!("{path}.Service");
    let service = match service_obj.get("Service") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return Err(wrong_type(&service_field, "a string", other)),
        None => {
            return Err(SpecError::MissingProperty {
                field: service_field,
            });
        }
    };
    let (name, read) = SERVICES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(service))
        .ok_or_else(|| SpecError::UnknownValue {
            field: service_field,
            value: service.to_owned(),
            expected: SERVICES
                .iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let grant = read(value, path)?;
    Ok((grant, discovery(value, path, name)?))
}

/// `Discovery`: a boolean (CloudFormation sends `"true"`), and `true` only
/// for a service with reviewed listing actions. The grant's reader has
/// already checked its properties.
fn discovery(value: &Value, path: &str, service: &'static str) -> Result<bool, SpecError> {
    let present: Vec<&str> = value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let obj = Object::new(value, path, "a grant object", &present)?;
    let on = obj.boolean("Discovery")?.unwrap_or(false);
    if on && discovery_actions(service).is_empty() {
        return Err(SpecError::DiscoveryNotOffered {
            field: obj.field("Discovery"),
            service,
            offered: discovery_services().collect::<Vec<_>>().join(", "),
        });
    }
    Ok(on)
}

/// The grant object with `Service`, `Access`, `Discovery` and `fields` allowed.
fn grant_object<'v>(
    value: &'v Value,
    path: &str,
    fields: &[&str],
) -> Result<Object<'v>, SpecError> {
    let known: Vec<&str> = ["Service", "Access", "Discovery"]
        .into_iter()
        .chain(fields.iter().copied())
        .collect();
    Object::new(value, path, "a grant object", &known)
}

/// `Access`, one of `choices`.
fn access<T: Copy>(obj: &Object<'_>, choices: &[(&str, T)]) -> Result<T, SpecError> {
    one_of(
        obj.required_string("Access")?,
        &obj.field("Access"),
        choices,
    )
}

fn s3(value: &Value, path: &str) -> Result<Grant, SpecError> {
    let obj = grant_object(
        value,
        path,
        &["Bucket", "Prefix", "IncludeVersions", "KmsKeyArn"],
    )?;
    let access = access(&obj, &READ_WRITE)?;
    let bucket = obj.required_string("Bucket")?;
    if !is_bucket_name(bucket) {
        return Err(SpecError::InvalidBucketName {
            field: obj.field("Bucket"),
            value: bucket.to_owned(),
        });
    }
    let prefix = obj.string("Prefix")?.filter(|p| !p.is_empty());
    if let Some(p) = prefix {
        check_literal(p, &obj.field("Prefix"))?;
        if p.starts_with('/') {
            return Err(SpecError::InvalidPattern {
                field: obj.field("Prefix"),
                value: p.to_owned(),
                reason: "must not start with '/': S3 keys have no leading slash",
            });
        }
    }
    let kms_key_arn = obj
        .string("KmsKeyArn")?
        .map(|v| {
            let arn = parse_arn(v, &obj.field("KmsKeyArn"))?;
            if arn.service() != "kms" || arn.resource_type() != Some("key") {
                return Err(SpecError::WrongArnKind {
                    field: obj.field("KmsKeyArn"),
                    value: v.to_owned(),
                    expected: "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)",
                });
            }
            Ok(arn)
        })
        .transpose()?;
    Ok(Grant::S3 {
        access,
        bucket: bucket.to_owned(),
        prefix: prefix.map(str::to_owned),
        include_versions: obj.boolean("IncludeVersions")?.unwrap_or(false),
        kms_key_arn,
    })
}

fn dynamodb(value: &Value, path: &str) -> Result<Grant, SpecError> {
    let obj = grant_object(value, path, &["TableArn", "Indexes", "LeadingKeys"])?;
    let access = access(&obj, &READ_WRITE)?;
    let table_arn = service_arn(
        &obj,
        "TableArn",
        "dynamodb",
        "table",
        "a DynamoDB table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)",
    )?;
    if table_arn.resource_id().contains('/') {
        return Err(SpecError::WrongArnKind {
            field: obj.field("TableArn"),
            value: table_arn.to_string(),
            expected: "a table ARN without an /index/ or /stream/ suffix; use Indexes for indexes",
        });
    }
    let index_list = obj.string_list("Indexes")?;
    let indexes = if index_list.iter().any(|(_, v)| *v == "*") {
        if index_list.len() > 1 {
            return Err(SpecError::Conflict {
                field: obj.field("Indexes"),
                other: "\"*\" already covers every index".into(),
            });
        }
        IndexScope::All
    } else if index_list.is_empty() {
        IndexScope::None
    } else {
        for (field, name) in &index_list {
            check_literal(name, field)?;
        }
        IndexScope::Named(index_list.iter().map(|(_, v)| (*v).to_owned()).collect())
    };
    let leading_keys: Vec<String> = obj
        .string_list("LeadingKeys")?
        .into_iter()
        .map(|(_, v)| v.to_owned())
        .collect();
    if leading_keys.iter().any(String::is_empty) {
        return Err(SpecError::Empty {
            field: obj.field("LeadingKeys"),
            rule: "a partition key value cannot be empty",
        });
    }
    Ok(Grant::DynamoDb {
        access,
        table_arn,
        indexes,
        leading_keys,
    })
}

fn firehose(value: &Value, path: &str) -> Result<Grant, SpecError> {
    let obj = grant_object(value, path, &["DeliveryStreamArn"])?;
    access(&obj, &[("put", ())])?;
    Ok(Grant::Firehose {
        delivery_stream_arn: service_arn(
            &obj,
            "DeliveryStreamArn",
            "firehose",
            "deliverystream",
            "a Firehose delivery stream ARN (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME)",
        )?,
    })
}

fn kinesis(value: &Value, path: &str) -> Result<Grant, SpecError> {
    let obj = grant_object(value, path, &["StreamArn"])?;
    let access = access(
        &obj,
        &[("read", KinesisAccess::Read), ("put", KinesisAccess::Put)],
    )?;
    Ok(Grant::Kinesis {
        access,
        stream_arn: service_arn(
            &obj,
            "StreamArn",
            "kinesis",
            "stream",
            "a Kinesis data stream ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)",
        )?,
    })
}

fn lambda(value: &Value, path: &str) -> Result<Grant, SpecError> {
    let obj = grant_object(value, path, &["FunctionArn"])?;
    access(&obj, &[("invoke", ())])?;
    let function_arn = service_arn(
        &obj,
        "FunctionArn",
        "lambda",
        "function",
        "a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)",
    )?;
    if function_arn.resource_id().contains(':') {
        return Err(SpecError::WrongArnKind {
            field: obj.field("FunctionArn"),
            value: function_arn.to_string(),
            expected: "an unqualified function ARN: the grant covers its versions and aliases",
        });
    }
    Ok(Grant::Lambda { function_arn })
}

fn sqs(value: &Value, path: &str) -> Result<Grant, SpecError> {
    let obj = grant_object(value, path, &["QueueArn"])?;
    let access = access(
        &obj,
        &[
            ("send", SqsAccess::Send),
            ("receive", SqsAccess::Receive),
            ("send-receive", SqsAccess::SendReceive),
        ],
    )?;
    Ok(Grant::Sqs {
        access,
        queue_arn: service_arn(
            &obj,
            "QueueArn",
            "sqs",
            "",
            "an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)",
        )?,
    })
}

fn sns(value: &Value, path: &str) -> Result<Grant, SpecError> {
    let obj = grant_object(value, path, &["TopicArn"])?;
    access(&obj, &[("publish", ())])?;
    Ok(Grant::Sns {
        topic_arn: service_arn(
            &obj,
            "TopicArn",
            "sns",
            "",
            "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
        )?,
    })
}

fn glue(value: &Value, path: &str) -> Result<Grant, SpecError> {
    let obj = grant_object(value, path, &["Database"])?;
    let access = access(&obj, &READ_WRITE)?;
    let database = obj.required_string("Database")?;
    check_literal(database, &obj.field("Database"))?;
    if database.contains('/') || database.len() > 255 {
        return Err(SpecError::InvalidPattern {
            field: obj.field("Database"),
            value: database.to_owned(),
            reason: "is not a Glue database name (at most 255 characters, no '/')",
        });
    }
    Ok(Grant::Glue {
        access,
        database: database.to_owned(),
    })
}
