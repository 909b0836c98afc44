//! The integration spec: the properties of a `Custom::IntegrationRole`.
//!
//! Property names are PascalCase, as CloudFormation passes them. Because
//! CloudFormation turns every scalar into a string, numbers and booleans are
//! accepted either way (`3600` or `"3600"`). Unknown properties are errors, so
//! a misspelt guardrail never silently disappears.

mod deployment;
mod error;
pub mod integration_policy;
mod parse;

pub use deployment::{DeploymentRules, RuleError};
pub use error::SpecError;
pub use integration_policy::IntegrationPolicySpec;
pub use parse::check_vendor_tenant_id;

use std::collections::BTreeSet;

use crate::arn::Arn;
use crate::time::Timestamp;

/// Path every integration role lives under unless the spec says otherwise.
pub const DEFAULT_PATH: &str = "/integrations/";
/// Name prefix used when the spec gives neither `RoleName` nor `RoleNamePrefix`.
pub const DEFAULT_NAME_PREFIX: &str = "rolegate-integration";
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3600;
/// The longest `VendorTenantId`, in characters.
pub const VENDOR_TENANT_ID_MAX: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationSpec {
    pub role_name: RoleNaming,
    pub path: String,
    pub description: Option<String>,
    pub trust: Trust,
    /// `None` until the provisioner generates one for a vendor trust.
    pub external_id: Option<String>,
    pub max_session_duration: u32,
    pub permissions_boundary_arn: Option<Arn>,
    pub grants: Vec<Grant>,
    /// The services whose listing actions (IAM accepts them only on
    /// `Resource: "*"`) a grant opts into with `Discovery: true`; each
    /// offers a reviewed list (`build::actions::DISCOVERY`).
    pub discovery: BTreeSet<&'static str>,
    pub guardrails: Guardrails,
    pub tags: Vec<Tag>,
    pub expires_at: Option<Timestamp>,
    pub outbound_assume_role_arns: Vec<Arn>,
    /// How the guard reacts to drift on this role; `None` defers to its default.
    pub remediation: Option<RemediationMode>,
    /// Vendor's EventBridge bus that hears `Integration Role Ready`.
    pub notify_event_bus_arn: Option<Arn>,
    /// The vendor's own reference for the customer (its tenant), carried
    /// into `Integration Role Ready` so the vendor binds tenant, account,
    /// role and ExternalId together. 1 to [`VENDOR_TENANT_ID_MAX`]
    /// characters, no whitespace or control characters.
    pub vendor_tenant_id: Option<String>,
}

impl IntegrationSpec {
    /// Parses the `ResourceProperties` object of a CloudFormation request.
    /// `ServiceToken`, which CloudFormation always adds, is accepted and ignored.
    pub fn from_properties(value: &serde_json::Value) -> Result<Self, SpecError> {
        parse::spec(value)
    }

    pub fn from_json(json: &str) -> Result<Self, SpecError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| SpecError::NotJson {
                reason: e.to_string(),
            })?;
        Self::from_properties(&value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleNaming {
    /// An exact name; changing it replaces the role.
    Name(String),
    /// A prefix the provisioner completes with a random suffix.
    Prefix(String),
}

/// Who may assume the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// A third party (the vendor), which must present the ExternalId.
    Vendor { principals: Vec<VendorPrincipal> },
    /// An AWS service acting for this account, pinned against the confused
    /// deputy by the keys it documents sending
    /// (`TrustedService::documented_source_keys`): `aws:SourceAccount`
    /// (defaulting to the role's own account) and optionally `aws:SourceArn`.
    Service {
        service: TrustedService,
        source_account: Option<String>,
        source_arn: Option<Arn>,
    },
    /// A vendor trust the vendor has not issued yet: `Trust.Principals`
    /// empty (`""`) and `ExternalId` empty or absent. The vendor-first
    /// order (IEX Apperate, seed 001): the customer creates the role and
    /// hands over its ARN, the vendor then issues its principal and
    /// ExternalId, and a stack Update fills both in, in place. Until then
    /// nobody may assume the role, and no ExternalId is generated.
    Pending,
}

impl Trust {
    /// True while the vendor's principal and ExternalId are not known.
    pub fn is_pending(&self) -> bool {
        matches!(self, Trust::Pending)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendorPrincipal {
    Account(String),
    Role(Arn),
    User(Arn),
}

impl VendorPrincipal {
    pub fn account(&self) -> &str {
        match self {
            VendorPrincipal::Account(a) => a,
            VendorPrincipal::Role(arn) | VendorPrincipal::User(arn) => arn.account(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustedService {
    Redshift,
    Glue,
    Ec2,
}

impl TrustedService {
    pub const ALL: [TrustedService; 3] = [
        TrustedService::Redshift,
        TrustedService::Glue,
        TrustedService::Ec2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TrustedService::Redshift => "redshift",
            TrustedService::Glue => "glue",
            TrustedService::Ec2 => "ec2",
        }
    }

    pub fn principal(self) -> &'static str {
        match self {
            TrustedService::Redshift => "redshift.amazonaws.com",
            TrustedService::Glue => "glue.amazonaws.com",
            TrustedService::Ec2 => "ec2.amazonaws.com",
        }
    }

    /// The confused-deputy keys the service documents putting in the
    /// request context when it assumes a role; a trust may require only
    /// these. IAM reads a condition on a key the request lacks as false
    /// ("the key is not available in every request context",
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
    /// so requiring a key the service does not send makes the role one
    /// it can never assume. None of the three documents either key; the
    /// page each one's role setup is documented on is `trust_documentation`.
    pub fn documented_source_keys(self) -> &'static [SourceKey] {
        match self {
            // Glue's role setup names glue.amazonaws.com with no condition
            // and documents no source key for the role it assumes:
            // https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html
            TrustedService::Glue => &[],
            // Redshift documents pinning its role with sts:ExternalId set to
            // database-user ARNs, not aws:SourceAccount / aws:SourceArn:
            // https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-redshift-service-database-users.html
            TrustedService::Redshift => &[],
            // EC2 sends neither for an instance role:
            // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html
            TrustedService::Ec2 => &[],
        }
    }

    /// Whether the service documents sending `key` when it assumes a role.
    pub fn sends(self, key: SourceKey) -> bool {
        self.documented_source_keys().contains(&key)
    }

    /// The AWS page that documents how the service assumes its role (cited
    /// in `SOURCE_KEY_NOT_SENT` and lint's `TRUST_SOURCE_KEY_NOT_SENT`).
    pub fn trust_documentation(self) -> &'static str {
        match self {
            TrustedService::Glue => {
                "https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html"
            }
            TrustedService::Redshift => {
                "https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-redshift-service-database-users.html"
            }
            TrustedService::Ec2 => {
                "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html"
            }
        }
    }

    /// The name prefix the service's managed policies and console expect of
    /// a service role at `SERVICE_ROLE_PATH`, where `DeploymentRules` let
    /// such a role live outside the deployment's `RolePath`. Glue's managed
    /// policy for console users passes only `role/AWSGlueServiceRole*` and
    /// `role/service-role/AWSGlueServiceRole*`
    /// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSGlueConsoleFullAccess.html;
    /// "AWS Glue provided policies expect IAM service roles to begin with
    /// AWSGlueServiceRole", seed 002 and
    /// https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html).
    /// Redshift documents no naming convention (the seed names the role
    /// `onemata-redshift`), nor EC2.
    pub fn service_role_name_prefix(self) -> Option<&'static str> {
        match self {
            TrustedService::Glue => Some("AWSGlueServiceRole"),
            TrustedService::Redshift | TrustedService::Ec2 => None,
        }
    }
}

/// Path of AWS service roles, as the IAM console creates them; the second
/// confinement a deployment allows (`DeploymentRules`), only for a service
/// with a `service_role_name_prefix` and a name starting with it.
pub const SERVICE_ROLE_PATH: &str = "/service-role/";

/// A global condition key a service may send, on whose behalf it acts,
/// when it assumes a role (the cross-service confused deputy:
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKey {
    SourceAccount,
    SourceArn,
}

impl SourceKey {
    /// The condition key, as IAM spells it.
    pub fn context_key(self) -> &'static str {
        match self {
            SourceKey::SourceAccount => "aws:SourceAccount",
            SourceKey::SourceArn => "aws:SourceArn",
        }
    }

    /// The spec's property under `Trust` that sets it.
    pub fn property(self) -> &'static str {
        match self {
            SourceKey::SourceAccount => "SourceAccount",
            SourceKey::SourceArn => "SourceArn",
        }
    }
}

/// Conditions added to every statement Rolegate grants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Guardrails {
    /// `aws:RequestedRegion`.
    pub allowed_regions: Vec<String>,
    /// `aws:SecureTransport`.
    pub require_secure_transport: bool,
    /// `aws:SourceIp`, IPv4 or IPv6 addresses or CIDR blocks.
    pub source_ips: Vec<String>,
}

impl Guardrails {
    pub fn is_empty(&self) -> bool {
        self.allowed_regions.is_empty()
            && !self.require_secure_transport
            && self.source_ips.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// The spec's `RemediationMode` (or the guard's default): how the guard
/// answers drift. The action it picks for one role is `drift::Remedy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemediationMode {
    Restore,
    Quarantine,
    Report,
}

impl RemediationMode {
    pub fn name(self) -> &'static str {
        match self {
            RemediationMode::Restore => "restore",
            RemediationMode::Quarantine => "quarantine",
            RemediationMode::Report => "report",
        }
    }
}

/// One service permission the vendor needs, scoped to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    S3 {
        access: ReadWrite,
        bucket: String,
        /// Key prefix; `None` means the whole bucket.
        prefix: Option<String>,
        include_versions: bool,
        kms_key_arn: Option<Arn>,
    },
    DynamoDb {
        access: ReadWrite,
        table_arn: Arn,
        indexes: IndexScope,
        /// `dynamodb:LeadingKeys` values (partition keys) the role may touch.
        leading_keys: Vec<String>,
    },
    Firehose {
        delivery_stream_arn: Arn,
    },
    Kinesis {
        access: KinesisAccess,
        stream_arn: Arn,
    },
    Lambda {
        function_arn: Arn,
    },
    Sqs {
        access: SqsAccess,
        queue_arn: Arn,
    },
    Sns {
        topic_arn: Arn,
    },
    Glue {
        access: ReadWrite,
        database: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadWrite {
    Read,
    Write,
    ReadWrite,
}

impl ReadWrite {
    pub fn reads(self) -> bool {
        matches!(self, ReadWrite::Read | ReadWrite::ReadWrite)
    }

    pub fn writes(self) -> bool {
        matches!(self, ReadWrite::Write | ReadWrite::ReadWrite)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexScope {
    None,
    All,
    Named(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KinesisAccess {
    Read,
    Put,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqsAccess {
    Send,
    Receive,
    SendReceive,
}

impl Grant {
    /// The `Service` property value.
    pub fn service(&self) -> &'static str {
        match self {
            Grant::S3 { .. } => "s3",
            Grant::DynamoDb { .. } => "dynamodb",
            Grant::Firehose { .. } => "firehose",
            Grant::Kinesis { .. } => "kinesis",
            Grant::Lambda { .. } => "lambda",
            Grant::Sqs { .. } => "sqs",
            Grant::Sns { .. } => "sns",
            Grant::Glue { .. } => "glue",
        }
    }

    /// The `Access` property value, normalised.
    pub fn access(&self) -> &'static str {
        let rw = |a: &ReadWrite| match a {
            ReadWrite::Read => "read",
            ReadWrite::Write => "write",
            ReadWrite::ReadWrite => "read-write",
        };
        match self {
            Grant::S3 { access, .. }
            | Grant::DynamoDb { access, .. }
            | Grant::Glue { access, .. } => rw(access),
            Grant::Firehose { .. } => "put",
            Grant::Kinesis { access, .. } => match access {
                KinesisAccess::Read => "read",
                KinesisAccess::Put => "put",
            },
            Grant::Lambda { .. } => "invoke",
            Grant::Sqs { access, .. } => match access {
                SqsAccess::Send => "send",
                SqsAccess::Receive => "receive",
                SqsAccess::SendReceive => "send-receive",
            },
            Grant::Sns { .. } => "publish",
        }
    }

    /// What the grant is scoped to, for summaries and stable policy names.
    pub fn resource(&self) -> String {
        match self {
            Grant::S3 { bucket, prefix, .. } => match prefix {
                Some(p) => format!("s3://{bucket}/{p}"),
                None => format!("s3://{bucket}"),
            },
            Grant::DynamoDb { table_arn: a, .. }
            | Grant::Firehose {
                delivery_stream_arn: a,
            }
            | Grant::Kinesis { stream_arn: a, .. }
            | Grant::Lambda { function_arn: a }
            | Grant::Sqs { queue_arn: a, .. }
            | Grant::Sns { topic_arn: a } => a.to_string(),
            Grant::Glue { database, .. } => format!("glue database {database}"),
        }
    }
}
