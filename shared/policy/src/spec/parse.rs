//! Reads `ResourceProperties` into an [`IntegrationSpec`], naming the exact
//! property path in every error.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Map, Value};

use super::*;
use crate::document::json_type;
use crate::limits;

/// CloudFormation's own custom-resource properties, accepted and ignored.
const CLOUDFORMATION_PROPERTIES: &[&str] = &["ServiceToken", "ServiceTimeout"];

const TOP_LEVEL: &[&str] = &[
    "ServiceToken",
    "ServiceTimeout",
    "RoleName",
    "RoleNamePrefix",
    "Path",
    "Description",
    "Trust",
    "ExternalId",
    "MaxSessionDuration",
    "PermissionsBoundaryArn",
    "Grants",
    "Conditions",
    "Tags",
    "ExpiresAt",
    "OutboundAssumeRoleArns",
    "RemediationMode",
    "NotifyEventBusArn",
    "VendorTenantId",
];

pub(super) fn spec(value: &Value) -> Result<IntegrationSpec, SpecError> {
    let props = Object::new(value, "", "the integration spec", TOP_LEVEL)?;

    let role_name = match (props.string("RoleName")?, props.string("RoleNamePrefix")?) {
        (Some(_), Some(_)) => {
            return Err(SpecError::Conflict {
                field: "RoleNamePrefix".into(),
                other: "RoleName".into(),
            });
        }
        (Some(name), None) => {
            limits::check_role_name(name, limits::ROLE_NAME_MAX).map_err(rule("RoleName"))?;
            RoleNaming::Name(name.to_owned())
        }
        (None, Some(prefix)) => {
            limits::check_role_name(prefix, limits::ROLE_NAME_PREFIX_MAX)
                .map_err(rule("RoleNamePrefix"))?;
            RoleNaming::Prefix(prefix.to_owned())
        }
        (None, None) => RoleNaming::Prefix(DEFAULT_NAME_PREFIX.to_owned()),
    };

    let path = props.string("Path")?.unwrap_or(DEFAULT_PATH).to_owned();
    limits::check_path(&path).map_err(rule("Path"))?;

    let description = props.string("Description")?.map(str::to_owned);
    if let Some(d) = &description {
        limits::check_description(d).map_err(rule("Description"))?;
    }

    let trust = trust(props.required("Trust")?, "Trust")?;

    let external_id = props.string("ExternalId")?.map(str::to_owned);
    if let Some(id) = &external_id {
        limits::check_external_id(id).map_err(rule("ExternalId"))?;
        if matches!(trust, Trust::Service { .. }) {
            return Err(SpecError::Conflict {
                field: "ExternalId".into(),
                other: "Trust.Service (AWS services do not present an external ID)".into(),
            });
        }
    }

    let max_session_duration = match props.integer("MaxSessionDuration")? {
        Some(v) => {
            limits::check_session_duration(v).map_err(rule("MaxSessionDuration"))?;
            u32::try_from(v).unwrap_or(DEFAULT_MAX_SESSION_DURATION)
        }
        None => DEFAULT_MAX_SESSION_DURATION,
    };

    let permissions_boundary_arn = props
        .string("PermissionsBoundaryArn")?
        .map(|v| managed_policy_arn(v, "PermissionsBoundaryArn"))
        .transpose()?;

    let grants = match props.get("Grants") {
        Some(v) => grants(v)?,
        None => Vec::new(),
    };
    let guardrails = props
        .get("Conditions")
        .map(|v| guardrails(v, "Conditions"))
        .transpose()?
        .unwrap_or_default();
    let tags = props.get("Tags").map(tags).transpose()?.unwrap_or_default();

    let expires_at = props
        .string("ExpiresAt")?
        .map(|v| {
            Timestamp::parse(v).ok_or_else(|| SpecError::InvalidTimestamp {
                field: "ExpiresAt".into(),
                value: v.to_owned(),
            })
        })
        .transpose()?;

    let outbound_assume_role_arns = props
        .string_list("OutboundAssumeRoleArns")?
        .into_iter()
        .map(|(field, v)| role_arn(v, &field))
        .collect::<Result<Vec<_>, _>>()?;
    first_duplicate(
        outbound_assume_role_arns.iter().map(ToString::to_string),
        "OutboundAssumeRoleArns",
    )?;

    if grants.is_empty() && outbound_assume_role_arns.is_empty() {
        return Err(SpecError::Empty {
            field: "Grants".into(),
            rule: "an integration role must grant at least one permission (Grants or OutboundAssumeRoleArns)",
        });
    }

    let remediation = props
        .string("RemediationMode")?
        .map(|v| {
            one_of(
                v,
                "RemediationMode",
                &[
                    ("restore", Remediation::Restore),
                    ("quarantine", Remediation::Quarantine),
                    ("report", Remediation::Report),
                ],
            )
        })
        .transpose()?;

    let notify_event_bus_arn = props
        .string("NotifyEventBusArn")?
        .map(|v| {
            let arn = parse_arn(v, "NotifyEventBusArn")?;
            if arn.service() != "events" || arn.resource_type() != Some("event-bus") {
                return Err(SpecError::WrongArnKind {
                    field: "NotifyEventBusArn".into(),
                    value: v.to_owned(),
                    expected: "an EventBridge event bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)",
                });
            }
            Ok(arn)
        })
        .transpose()?;

    let vendor_tenant_id = props
        .string("VendorTenantId")?
        .map(|v| check_vendor_tenant_id(v, "VendorTenantId").map(|()| v.to_owned()))
        .transpose()?;

    Ok(IntegrationSpec {
        role_name,
        path,
        description,
        trust,
        external_id,
        max_session_duration,
        permissions_boundary_arn,
        grants,
        guardrails,
        tags,
        expires_at,
        outbound_assume_role_arns,
        remediation,
        notify_event_bus_arn,
        vendor_tenant_id,
    })
}

/// The `VendorTenantId` rule, for the spec and for every reader of the
/// value it travels as (`field` names where it was read): 1 to
/// [`VENDOR_TENANT_ID_MAX`] characters, none of them whitespace or a
/// control character, so the reference is one unambiguous token in a
/// vendor's lookup and in a log line.
pub fn check_vendor_tenant_id(value: &str, field: &str) -> Result<(), SpecError> {
    if value.is_empty() {
        return Err(SpecError::Empty {
            field: field.to_owned(),
            rule: "a vendor tenant reference is 1 to 256 characters",
        });
    }
    let refuse = |value: String, reason| {
        Err(SpecError::InvalidPattern {
            field: field.to_owned(),
            value,
            reason,
        })
    };
    if value.chars().count() > VENDOR_TENANT_ID_MAX {
        // The message quotes the start only: the whole value may be huge.
        let start: String = value.chars().take(32).collect();
        return refuse(
            format!("{start}..."),
            "is longer than 256 characters, the most a vendor tenant reference may have",
        );
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse(
            value.to_owned(),
            "must not contain whitespace or control characters (a vendor tenant reference is one token)",
        );
    }
    Ok(())
}

fn trust(value: &Value, path: &str) -> Result<Trust, SpecError> {
    let obj = Object::new(
        value,
        path,
        "an object with Principals, or with Service",
        &["Principals", "Service", "SourceAccount", "SourceArn"],
    )?;
    match (obj.get("Principals"), obj.string("Service")?) {
        (Some(_), Some(_)) => Err(SpecError::Conflict {
            field: obj.field("Service"),
            other: obj.field("Principals"),
        }),
        (Some(_), None) => {
            for key in ["SourceAccount", "SourceArn"] {
                if obj.get(key).is_some() {
                    return Err(SpecError::Conflict {
                        field: obj.field(key),
                        other: format!(
                            "{} (aws:{key} applies to AWS service principals only)",
                            obj.field("Principals")
                        ),
                    });
                }
            }
            let list = obj.string_list("Principals")?;
            if list.is_empty() {
                return Err(SpecError::Empty {
                    field: obj.field("Principals"),
                    rule: "a vendor trust needs at least one principal",
                });
            }
            let principals = list
                .into_iter()
                .map(|(field, v)| vendor_principal(v, field))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Trust::Vendor { principals })
        }
        (None, Some(service)) => {
            let choices: Vec<(&str, TrustedService)> =
                TrustedService::ALL.iter().map(|s| (s.name(), *s)).collect();
            let service = one_of(service, &obj.field("Service"), &choices)?;
            let source_account = obj
                .string("SourceAccount")?
                .map(|v| account_id(v, &obj.field("SourceAccount")))
                .transpose()?;
            let source_arn = obj
                .string("SourceArn")?
                .map(|v| parse_arn(v, &obj.field("SourceArn")))
                .transpose()?;
            Ok(Trust::Service {
                service,
                source_account,
                source_arn,
            })
        }
        (None, None) => Err(SpecError::MissingProperty {
            field: obj.field("Principals"),
        }),
    }
}

fn vendor_principal(value: &str, field: String) -> Result<VendorPrincipal, SpecError> {
    if is_account_id(value) {
        return Ok(VendorPrincipal::Account(value.to_owned()));
    }
    let invalid = || SpecError::InvalidPrincipal {
        field: field.clone(),
        value: value.to_owned(),
    };
    if value == "*" || !value.starts_with("arn:") {
        return Err(invalid());
    }
    let arn = parse_arn(value, &field)?;
    if arn.service() != "iam" || arn.account().is_empty() || arn.account() == "aws" {
        return Err(invalid());
    }
    match arn.resource_type() {
        Some("role") => Ok(VendorPrincipal::Role(arn)),
        Some("user") => Ok(VendorPrincipal::User(arn)),
        // `arn:aws:iam::123456789012:root` is how IAM spells a whole account.
        None if arn.resource() == "root" => Ok(VendorPrincipal::Account(arn.account().to_owned())),
        _ => Err(invalid()),
    }
}

fn grants(value: &Value) -> Result<Vec<Grant>, SpecError> {
    let Value::Array(items) = value else {
        return Err(wrong_type("Grants", "a list of grant objects", value));
    };
    let grants = items
        .iter()
        .enumerate()
        .map(|(i, v)| grant(v, &format!("Grants[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
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
    Ok(grants)
}

const SERVICES: &[&str] = &[
    "s3", "dynamodb", "firehose", "kinesis", "lambda", "sqs", "sns", "glue",
];

fn grant(value: &Value, path: &str) -> Result<Grant, SpecError> {
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
    let service = SERVICES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(service))
        .copied()
        .ok_or_else(|| SpecError::UnknownValue {
            field: service_field,
            value: service.to_owned(),
            expected: SERVICES.join(", "),
        })?;
    let rw = [
        ("read", ReadWrite::Read),
        ("write", ReadWrite::Write),
        ("read-write", ReadWrite::ReadWrite),
    ];
    match service {
        "s3" => {
            let obj = Object::new(
                value,
                path,
                "a grant object",
                &[
                    "Service",
                    "Access",
                    "Bucket",
                    "Prefix",
                    "IncludeVersions",
                    "KmsKeyArn",
                ],
            )?;
            let access = one_of(obj.required_string("Access")?, &obj.field("Access"), &rw)?;
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
        "dynamodb" => {
            let obj = Object::new(
                value,
                path,
                "a grant object",
                &["Service", "Access", "TableArn", "Indexes", "LeadingKeys"],
            )?;
            let access = one_of(obj.required_string("Access")?, &obj.field("Access"), &rw)?;
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
        "firehose" => {
            let obj = Object::new(
                value,
                path,
                "a grant object",
                &["Service", "Access", "DeliveryStreamArn"],
            )?;
            one_of(
                obj.required_string("Access")?,
                &obj.field("Access"),
                &[("put", ())],
            )?;
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
        "kinesis" => {
            let obj = Object::new(
                value,
                path,
                "a grant object",
                &["Service", "Access", "StreamArn"],
            )?;
            let access = one_of(
                obj.required_string("Access")?,
                &obj.field("Access"),
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
        "lambda" => {
            let obj = Object::new(
                value,
                path,
                "a grant object",
                &["Service", "Access", "FunctionArn"],
            )?;
            one_of(
                obj.required_string("Access")?,
                &obj.field("Access"),
                &[("invoke", ())],
            )?;
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
        "sqs" => {
            let obj = Object::new(
                value,
                path,
                "a grant object",
                &["Service", "Access", "QueueArn"],
            )?;
            let access = one_of(
                obj.required_string("Access")?,
                &obj.field("Access"),
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
        "sns" => {
            let obj = Object::new(
                value,
                path,
                "a grant object",
                &["Service", "Access", "TopicArn"],
            )?;
            one_of(
                obj.required_string("Access")?,
                &obj.field("Access"),
                &[("publish", ())],
            )?;
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
        _ => {
            let obj = Object::new(
                value,
                path,
                "a grant object",
                &["Service", "Access", "Database"],
            )?;
            let access = one_of(obj.required_string("Access")?, &obj.field("Access"), &rw)?;
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
    }
}

fn guardrails(value: &Value, path: &str) -> Result<Guardrails, SpecError> {
    let obj = Object::new(
        value,
        path,
        "an object",
        &["AllowedRegions", "RequireSecureTransport", "SourceIps"],
    )?;
    let allowed_regions = obj
        .string_list("AllowedRegions")?
        .into_iter()
        .map(|(field, v)| {
            if is_region(v) {
                Ok(v.to_owned())
            } else {
                Err(SpecError::InvalidRegion {
                    field,
                    value: v.to_owned(),
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let source_ips = obj
        .string_list("SourceIps")?
        .into_iter()
        .map(|(field, v)| {
            if is_cidr(v) {
                Ok(v.to_owned())
            } else {
                Err(SpecError::InvalidCidr {
                    field,
                    value: v.to_owned(),
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Guardrails {
        allowed_regions,
        require_secure_transport: obj.boolean("RequireSecureTransport")?.unwrap_or(false),
        source_ips,
    })
}

/// Tags as CloudFormation writes them (`[{"Key":..,"Value":..}]`) or as a map.
fn tags(value: &Value) -> Result<Vec<Tag>, SpecError> {
    let pairs: Vec<(String, String, String)> = match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let obj = Object::new(
                    item,
                    &format!("Tags[{i}]"),
                    "a {Key, Value} object",
                    &["Key", "Value"],
                )?;
                let key = obj.required_string("Key")?.to_owned();
                let value = obj.required_string("Value")?.to_owned();
                Ok((format!("Tags[{i}]"), key, value))
            })
            .collect::<Result<_, SpecError>>()?,
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let field = format!("Tags.{k}");
                let v = scalar_string(v).ok_or_else(|| wrong_type(&field, "a string", v))?;
                Ok((field, k.clone(), v))
            })
            .collect::<Result<_, SpecError>>()?,
        other => return Err(wrong_type("Tags", "a list of {Key, Value} objects", other)),
    };
    limits::check_tag_count(pairs.len(), limits::TAGS_MAX - RESERVED_TAGS).map_err(rule("Tags"))?;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut tags = Vec::with_capacity(pairs.len());
    for (field, key, value) in pairs {
        limits::check_tag(&key, &value).map_err(rule(&field))?;
        limits::check_user_tag_key(&key).map_err(rule(&field))?;
        // IAM tag keys are case-insensitive: `Team` and `team` collide.
        if let Some(first) = seen.insert(key.to_lowercase(), field.clone()) {
            return Err(SpecError::Duplicate { field, first });
        }
        tags.push(Tag { key, value });
    }
    Ok(tags)
}

/// An object of known properties, rejecting any other.
struct Object<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

impl<'v> Object<'v> {
    fn new(
        value: &'v Value,
        path: &str,
        expected: &'static str,
        known: &[&str],
    ) -> Result<Self, SpecError> {
        let field = if path.is_empty() { "properties" } else { path };
        let map = value
            .as_object()
            .ok_or_else(|| wrong_type(field, expected, value))?;
        let obj = Object {
            map,
            path: path.to_owned(),
        };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(SpecError::UnknownProperty {
                field: obj.field(unknown),
                expected: known
                    .iter()
                    .filter(|k| !CLOUDFORMATION_PROPERTIES.contains(k))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(obj)
    }

    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required(&self, key: &str) -> Result<&'v Value, SpecError> {
        self.get(key).ok_or_else(|| SpecError::MissingProperty {
            field: self.field(key),
        })
    }

    fn string(&self, key: &str) -> Result<Option<&'v str>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(wrong_type(&self.field(key), "a string", other)),
        }
    }

    fn required_string(&self, key: &str) -> Result<&'v str, SpecError> {
        self.string(key)?.ok_or_else(|| SpecError::MissingProperty {
            field: self.field(key),
        })
    }

    /// A string or a list of strings, each with its own field path.
    fn string_list(&self, key: &str) -> Result<Vec<(String, &'v str)>, SpecError> {
        let field = self.field(key);
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![(field, s.as_str())]),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let f = format!("{field}[{i}]");
                    match v {
                        Value::String(s) => Ok((f, s.as_str())),
                        other => Err(wrong_type(&f, "a string", other)),
                    }
                })
                .collect(),
            Some(other) => Err(wrong_type(&field, "a string or a list of strings", other)),
        }
    }

    /// CloudFormation sends booleans as `"true"`/`"false"`.
    fn boolean(&self, key: &str) -> Result<Option<bool>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(wrong_type(&self.field(key), "true or false", other)),
        }
    }

    /// CloudFormation sends numbers as strings: `"3600"`.
    fn integer(&self, key: &str) -> Result<Option<u64>, SpecError> {
        let bad = |v: &Value| wrong_type(&self.field(key), "a whole number", v);
        match self.get(key) {
            None => Ok(None),
            Some(v @ Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| bad(v)),
            Some(v @ Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| bad(v)),
            Some(other) => Err(bad(other)),
        }
    }
}

fn wrong_type(field: &str, expected: &'static str, found: &Value) -> SpecError {
    let found = match found {
        Value::String(s) => format!("the string {s:?}"),
        other => json_type(other).to_owned(),
    };
    SpecError::WrongType {
        field: field.to_owned(),
        expected,
        found,
    }
}

fn rule(field: &str) -> impl Fn(limits::Violation) -> SpecError + '_ {
    move |source| SpecError::Rule {
        field: field.to_owned(),
        source,
    }
}

fn one_of<T: Copy>(value: &str, field: &str, choices: &[(&str, T)]) -> Result<T, SpecError> {
    choices
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|(_, v)| *v)
        .ok_or_else(|| SpecError::UnknownValue {
            field: field.to_owned(),
            value: value.to_owned(),
            expected: choices
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn parse_arn(value: &str, field: &str) -> Result<Arn, SpecError> {
    Arn::parse(value).map_err(|source| SpecError::InvalidArn {
        field: field.to_owned(),
        value: value.to_owned(),
        source,
    })
}

/// An ARN of `service` whose resource starts with `resource_type` (empty:
/// a bare name such as an SQS queue).
fn service_arn(
    obj: &Object<'_>,
    key: &str,
    service: &str,
    resource_type: &str,
    expected: &'static str,
) -> Result<Arn, SpecError> {
    let field = obj.field(key);
    let value = obj.required_string(key)?;
    let arn = parse_arn(value, &field)?;
    let type_ok = if resource_type.is_empty() {
        arn.resource_type().is_none()
    } else {
        arn.resource_type() == Some(resource_type) && !arn.resource_id().is_empty()
    };
    if arn.service() != service || !type_ok || arn.region().is_empty() || arn.account().len() != 12
    {
        return Err(SpecError::WrongArnKind {
            field,
            value: value.to_owned(),
            expected,
        });
    }
    Ok(arn)
}

fn role_arn(value: &str, field: &str) -> Result<Arn, SpecError> {
    let arn = parse_arn(value, field)?;
    if arn.service() != "iam" || arn.iam_role_path_and_name().is_none() || arn.account().len() != 12
    {
        return Err(SpecError::WrongArnKind {
            field: field.to_owned(),
            value: value.to_owned(),
            expected: "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
        });
    }
    Ok(arn)
}

fn managed_policy_arn(value: &str, field: &str) -> Result<Arn, SpecError> {
    let arn = parse_arn(value, field)?;
    if arn.service() != "iam" || arn.resource_type() != Some("policy") {
        return Err(SpecError::WrongArnKind {
            field: field.to_owned(),
            value: value.to_owned(),
            expected: "an IAM managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)",
        });
    }
    Ok(arn)
}

fn account_id(value: &str, field: &str) -> Result<String, SpecError> {
    if is_account_id(value) {
        Ok(value.to_owned())
    } else {
        Err(SpecError::InvalidAccountId {
            field: field.to_owned(),
            value: value.to_owned(),
        })
    }
}

fn first_duplicate(values: impl Iterator<Item = String>, field: &str) -> Result<(), SpecError> {
    let mut seen = BTreeMap::new();
    for (i, v) in values.enumerate() {
        if let Some(first) = seen.insert(v, i) {
            return Err(SpecError::Duplicate {
                field: format!("{field}[{i}]"),
                first: format!("{field}[{first}]"),
            });
        }
    }
    Ok(())
}

/// A name that goes into a resource ARN: wildcards would silently widen
/// the grant, and whitespace or control characters make an ARN IAM refuses.
fn check_literal(value: &str, field: &str) -> Result<(), SpecError> {
    let refuse = |reason| {
        Err(SpecError::InvalidPattern {
            field: field.to_owned(),
            value: value.to_owned(),
            reason,
        })
    };
    if value.contains(['*', '?']) || value.contains("${") {
        return refuse("must be literal: wildcards and policy variables would widen the grant");
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("must not contain whitespace or control characters, which no ARN may hold");
    }
    Ok(())
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && s.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
        && !s.contains("..")
}

/// `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-2`.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_cidr(s: &str) -> bool {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match len {
        None => true,
        Some(l) => l.parse::<u8>().is_ok_and(|l| l <= max) && !l.starts_with('+'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_tenant(tenant: Value) -> Value {
        json!({
            "RoleName": "atmosphere-s3",
            "Trust": {"Principals": ["966208727603"]},
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "atmosphere-exports"}],
            "VendorTenantId": tenant,
        })
    }

    #[test]
    fn vendor_tenant_id_is_read_and_optional() {
        let spec = IntegrationSpec::from_properties(&with_tenant(json!("tenant-42:acme/eu")));
        assert_eq!(
            spec.map(|s| s.vendor_tenant_id),
            Ok(Some("tenant-42:acme/eu".to_owned()))
        );
        let spec = IntegrationSpec::from_properties(&with_tenant(Value::Null));
        assert_eq!(spec.map(|s| s.vendor_tenant_id), Ok(None));
        let longest = "t".repeat(VENDOR_TENANT_ID_MAX);
        assert!(IntegrationSpec::from_properties(&with_tenant(json!(longest))).is_ok());
        // Characters, not bytes: 256 non-ASCII letters are allowed.
        let wide = "é".repeat(VENDOR_TENANT_ID_MAX);
        assert!(IntegrationSpec::from_properties(&with_tenant(json!(wide))).is_ok());
    }

    #[test]
    fn a_bad_vendor_tenant_id_is_refused_naming_the_field_and_the_rule() {
        let cases = [
            (json!(""), "EMPTY_VALUE", "1 to 256 characters"),
            (
                json!("t".repeat(VENDOR_TENANT_ID_MAX + 1)),
                "INVALID_PATTERN",
                "longer than 256 characters",
            ),
            (
                json!("acme corp"),
                "INVALID_PATTERN",
                "whitespace or control",
            ),
            (
                json!("acme\u{7}"),
                "INVALID_PATTERN",
                "whitespace or control",
            ),
            (json!("acme\n"), "INVALID_PATTERN", "whitespace or control"),
            (
                json!("acme\u{a0}x"),
                "INVALID_PATTERN",
                "whitespace or control",
            ),
            (json!(42), "WRONG_TYPE", "must be a string"),
        ];
        for (value, code, rule) in cases {
            let Err(e) = IntegrationSpec::from_properties(&with_tenant(value.clone())) else {
                panic!("{value} was accepted");
            };
            assert_eq!(e.code(), code, "{value}: {e}");
            assert_eq!(e.field(), "VendorTenantId", "{value}: {e}");
            let message = e.to_string();
            assert!(message.starts_with("VendorTenantId: "), "{message}");
            assert!(message.contains(rule), "{value}: {message}");
        }
    }

    #[test]
    fn a_too_long_vendor_tenant_id_is_quoted_only_in_part() {
        let e = check_vendor_tenant_id(&"t".repeat(100_000), "VendorTenantId")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.len() < 200, "{e}");
    }
}
