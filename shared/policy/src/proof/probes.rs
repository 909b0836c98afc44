//! The proof's probe requests: which resources it tries (in and out of each
//! grant's scope), which actions on each, and in which request contexts (one
//! that meets every guardrail, one per guardrail that breaks it alone).
//!
//! Nothing here judges: `intent` says what the spec means for a probe,
//! `permissions` and `trust` ask the evaluator what the role does.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{PROBE, STRANGER_ACCOUNTS};
use crate::actiondb::ActionDb;
use crate::arn::{Arn, Partition};
use crate::build::BuildContext;
use crate::build::actions::*;
use crate::eval::{ContextValue, Request, in_cidr, parse_cidr};
use crate::spec::{Grant, IndexScope, IntegrationSpec};
use crate::time::Timestamp;

/// Actions that would let the role escalate; no spec ever grants them.
const ESCALATION: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "organizations:LeaveOrganization",
    "account:EnableRegion",
    "sts:AssumeRole",
];

/// A concrete resource plus the context keys that come with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub(super) resource: String,
    keys: Vec<(&'static str, ContextValue)>,
}

impl Target {
    pub(super) fn plain(resource: impl Into<String>) -> Target {
        Target {
            resource: resource.into(),
            keys: Vec::new(),
        }
    }

    fn with(resource: impl Into<String>, key: &'static str, value: ContextValue) -> Target {
        Target {
            resource: resource.into(),
            keys: vec![(key, value)],
        }
    }

    pub(super) fn key(&self, name: &str) -> Option<&[String]> {
        self.keys
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.values())
    }

    pub(super) fn describe(&self) -> String {
        self.keys
            .iter()
            .map(|(k, v)| format!("{k}={}", v.values().join("|")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The request contexts every probe is tried in: one that meets every
/// guardrail, and one per guardrail that breaks it alone.
pub(super) struct Contexts {
    compliant: Vec<(&'static str, ContextValue)>,
    violations: Vec<(&'static str, Vec<(&'static str, ContextValue)>)>,
}

impl Contexts {
    pub(super) fn for_spec(spec: &IntegrationSpec, ctx: &BuildContext) -> Contexts {
        let g = &spec.guardrails;
        let one = |s: String| ContextValue::Single(s);
        let region = g
            .allowed_regions
            .first()
            .cloned()
            .unwrap_or_else(|| ctx.region.clone());
        let ip = g
            .source_ips
            .first()
            .and_then(|s| parse_cidr(s))
            .map_or_else(|| "203.0.113.10".to_owned(), |(ip, _)| ip.to_string());
        let now = match &spec.expires_at {
            Some(at) => Timestamp::from_epoch_seconds(at.epoch_seconds() - 3600),
            None => Timestamp::from_epoch_seconds(1_795_392_000), // 2026-11-23
        };
        let compliant = vec![
            ("aws:RequestedRegion", one(region)),
            ("aws:SecureTransport", one("true".into())),
            ("aws:SourceIp", one(ip)),
            ("aws:CurrentTime", one(now.as_str().to_owned())),
        ];
        let breaking = |key: &'static str, value: String| {
            compliant
                .iter()
                .map(|(k, v)| {
                    if *k == key {
                        (*k, ContextValue::Single(value.clone()))
                    } else {
                        (*k, v.clone())
                    }
                })
                .collect::<Vec<_>>()
        };
        let mut violations = Vec::new();
        if !g.allowed_regions.is_empty() {
            let outside = ["ap-southeast-2", "sa-east-1", "eu-north-1", "us-west-1"]
                .into_iter()
                .find(|r| !g.allowed_regions.iter().any(|a| a == r))
                .unwrap_or("me-central-1");
            violations.push((
                "AllowedRegions",
                breaking("aws:RequestedRegion", outside.into()),
            ));
        }
        if g.require_secure_transport {
            violations.push((
                "RequireSecureTransport",
                breaking("aws:SecureTransport", "false".into()),
            ));
        }
        if !g.source_ips.is_empty() {
            let nets: Vec<(IpAddr, u8)> =
                g.source_ips.iter().filter_map(|s| parse_cidr(s)).collect();
            let outside = [
                "192.0.2.77",
                "198.51.100.77",
                "100.64.0.77",
                "2001:db8::77",
                "fd00::77",
            ]
            .into_iter()
            .filter_map(|s| s.parse::<IpAddr>().ok())
            .find(|ip| !nets.iter().any(|(net, len)| in_cidr(*ip, *net, *len)));
            if let Some(ip) = outside {
                violations.push(("SourceIps", breaking("aws:SourceIp", ip.to_string())));
            }
        }
        if let Some(at) = &spec.expires_at {
            let after = Timestamp::from_epoch_seconds(at.epoch_seconds() + 1);
            violations.push((
                "ExpiresAt",
                breaking("aws:CurrentTime", after.as_str().to_owned()),
            ));
        }
        Contexts {
            compliant,
            violations,
        }
    }

    /// `aws:CurrentTime` while the role is valid.
    pub(super) fn now(&self) -> Option<ContextValue> {
        self.compliant
            .iter()
            .find(|(k, _)| *k == "aws:CurrentTime")
            .map(|(_, v)| v.clone())
    }

    /// `aws:CurrentTime` just after `ExpiresAt`; `None` when the spec sets
    /// no expiry.
    pub(super) fn expired(&self) -> Option<ContextValue> {
        self.violations
            .iter()
            .find(|(g, _)| *g == "ExpiresAt")
            .and_then(|(_, keys)| keys.iter().find(|(k, _)| *k == "aws:CurrentTime"))
            .map(|(_, v)| v.clone())
    }
}

/// One target's requests, one per context, built once and re-aimed at each
/// action: building a request per probe was a third of the proof's time.
pub(super) struct TargetRequests {
    pub(super) compliant: Request,
    pub(super) violations: Vec<(&'static str, Request)>,
}

impl TargetRequests {
    pub(super) fn new(session: &str, target: &Target, contexts: &Contexts) -> TargetRequests {
        let request = |keys: &[(&'static str, ContextValue)]| {
            let mut req = Request::new(session, "", &target.resource);
            for (k, v) in target.keys.iter().chain(keys) {
                req = req.with_context(k, v.clone());
            }
            req
        };
        TargetRequests {
            compliant: request(&contexts.compliant),
            violations: contexts
                .violations
                .iter()
                .map(|(guardrail, keys)| (*guardrail, request(keys)))
                .collect(),
        }
    }
}

/// `request` re-aimed at `action`, reusing its buffer.
pub(super) fn aimed_at<'r>(request: &'r mut Request, action: &str) -> &'r Request {
    request.action.clear();
    request.action.push_str(action);
    request
}

/// The actions tried on `target`: those the database lists for its resource
/// (or, on `*`, those of each granted service that need `*`), the reviewed
/// lists of its service, and the escalation actions on `*` and IAM.
pub(super) fn actions_for(
    db: &ActionDb,
    target: &Target,
    services: &BTreeSet<&'static str>,
) -> BTreeSet<String> {
    let mut actions: BTreeSet<String> = BTreeSet::new();
    let service = target.resource.split(':').nth(2).unwrap_or("");
    if target.resource == "*" {
        for svc in services {
            if let Some(info) = db.service(svc) {
                actions.extend(
                    info.actions()
                        .filter(|a| a.requires_wildcard_resource())
                        .map(|a| format!("{}:{}", a.service(), a.name())),
                );
            }
        }
    } else if let Some(info) = db.service(service) {
        actions.extend(
            info.actions()
                .filter(|a| a.applies_to(&target.resource))
                .map(|a| format!("{}:{}", a.service(), a.name())),
        );
    }
    // The reviewed lists, in case the database names a resource type differently.
    actions.extend(
        reviewed_actions()
            .filter(|a| a.split(':').next() == Some(service))
            .map(str::to_owned),
    );
    if target.resource == "*" || target.resource.contains(":iam::") {
        actions.extend(ESCALATION.iter().map(|a| (*a).to_owned()));
    }
    actions
}

/// The services whose `*`-only actions are probed: each grant's, plus KMS
/// for an encrypted bucket, Logs for Glue and STS for outbound roles.
pub(super) fn granted_services(spec: &IntegrationSpec) -> BTreeSet<&'static str> {
    let mut services = BTreeSet::new();
    for grant in &spec.grants {
        services.insert(grant.service());
        match grant {
            Grant::S3 {
                kms_key_arn: Some(_),
                ..
            } => {
                services.insert("kms");
            }
            Grant::Glue { .. } => {
                services.insert("logs");
            }
            _ => {}
        }
    }
    if !spec.outbound_assume_role_arns.is_empty() {
        services.insert("sts");
    }
    services
}

fn reviewed_actions() -> impl Iterator<Item = &'static str> {
    [
        S3_LIST,
        S3_LIST_VERSIONS,
        S3_LOCATION,
        S3_READ_OBJECTS,
        S3_READ_VERSIONS,
        S3_WRITE_OBJECTS,
        S3_WRITE_VERSIONS,
        KMS_ENCRYPT,
        DYNAMODB_READ,
        DYNAMODB_SCAN,
        DYNAMODB_WRITE,
        FIREHOSE_PUT,
        KINESIS_READ,
        KINESIS_PUT,
        LAMBDA_INVOKE,
        SQS_SEND,
        SQS_RECEIVE,
        SNS_PUBLISH,
        GLUE_READ,
        GLUE_WRITE,
        GLUE_LOGS,
    ]
    .into_iter()
    .chain(DISCOVERY.iter().map(|(_, actions, _)| *actions))
    .flatten()
    .copied()
}

/// Resources in and out of each grant's scope, made concrete.
pub(super) fn targets(spec: &IntegrationSpec, ctx: &BuildContext) -> Vec<Target> {
    let p = ctx.partition;
    let (region, account) = (ctx.region.as_str(), ctx.account_id.as_str());
    let mut out = vec![Target::plain("*")];
    let mut add = |t: Target| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for grant in &spec.grants {
        match grant {
            Grant::S3 {
                bucket,
                prefix,
                kms_key_arn,
                ..
            } => {
                let b = format!("arn:{p}:s3:::{bucket}");
                let pre = prefix.as_deref().unwrap_or("");
                let listing = |s: String| ContextValue::Single(s);
                add(Target::plain(&b));
                add(Target::with(
                    &b,
                    "s3:prefix",
                    listing(format!("{pre}{PROBE}")),
                ));
                add(Target::plain(format!("{b}/{pre}{PROBE}")));
                if !pre.is_empty() {
                    add(Target::with(&b, "s3:prefix", listing(format!("{PROBE}/"))));
                    add(Target::plain(format!("{b}/{PROBE}")));
                }
                let other = format!("arn:{p}:s3:::{bucket}-{PROBE}");
                add(Target::plain(&other));
                add(Target::plain(format!("{other}/{pre}{PROBE}")));
                if let Some(key) = kms_key_arn {
                    let via = ContextValue::Single(s3_via(key));
                    add(Target::with(key.as_str(), "kms:ViaService", via.clone()));
                    add(Target::plain(key.as_str()));
                    add(Target::with(
                        swap_part(key.as_str(), 4, STRANGER_ACCOUNTS[0]),
                        "kms:ViaService",
                        via,
                    ));
                }
            }
            Grant::DynamoDb {
                table_arn,
                indexes,
                leading_keys,
                ..
            } => {
                let t = table_arn.as_str();
                let mut resources = vec![
                    t.to_owned(),
                    format!("{t}/index/{PROBE}"),
                    format!("{t}-{PROBE}"),
                    format!("{t}-{PROBE}/index/{PROBE}"),
                    swap_part(t, 4, STRANGER_ACCOUNTS[0]),
                    swap_part(t, 3, other_region(region)),
                ];
                if let IndexScope::Named(names) = indexes {
                    resources.extend(names.iter().map(|n| format!("{t}/index/{n}")));
                }
                let keys: Vec<Option<ContextValue>> = match leading_keys.first() {
                    None => vec![None],
                    Some(first) => {
                        let inside = first.replace(['*', '?'], "x");
                        let outside = format!("{PROBE}-other");
                        vec![
                            Some(ContextValue::Multi(vec![inside.clone()])),
                            Some(ContextValue::Multi(vec![outside.clone()])),
                            Some(ContextValue::Multi(vec![inside, outside])),
                        ]
                    }
                };
                for r in resources {
                    for k in &keys {
                        add(match k {
                            None => Target::plain(&r),
                            Some(v) => Target::with(&r, "dynamodb:LeadingKeys", v.clone()),
                        });
                    }
                }
            }
            Grant::Firehose {
                delivery_stream_arn: a,
            }
            | Grant::Kinesis { stream_arn: a, .. }
            | Grant::Sqs { queue_arn: a, .. }
            | Grant::Sns { topic_arn: a } => {
                for r in out_of_scope_variants(a.as_str(), region) {
                    add(Target::plain(r));
                }
            }
            Grant::Lambda { function_arn } => {
                let f = function_arn.as_str();
                add(Target::plain(format!("{f}:live")));
                for r in out_of_scope_variants(f, region) {
                    add(Target::plain(r));
                }
            }
            Grant::Glue { database, .. } => {
                let g = format!("arn:{p}:glue:{region}:{account}");
                let logs = format!("arn:{p}:logs:{region}:{account}:log-group");
                for r in [
                    format!("{g}:catalog"),
                    format!("{g}:database/{database}"),
                    format!("{g}:table/{database}/{PROBE}"),
                    format!("{g}:database/{database}-{PROBE}"),
                    format!("{g}:table/{database}-{PROBE}/{PROBE}"),
                    swap_part(&format!("{g}:catalog"), 4, STRANGER_ACCOUNTS[0]),
                    format!("{logs}:/aws-glue/jobs/output"),
                    format!("{logs}:/aws-glue/jobs/output:log-stream:{PROBE}"),
                    format!("{logs}:/{PROBE}"),
                    format!("{logs}:/{PROBE}:log-stream:{PROBE}"),
                ] {
                    add(Target::plain(r));
                }
            }
        }
    }
    for arn in &spec.outbound_assume_role_arns {
        add(Target::plain(arn.as_str()));
        add(Target::plain(format!(
            "arn:{}:iam::{}:role/{PROBE}",
            arn.partition_str(),
            arn.account()
        )));
    }
    out
}

/// The resource itself, a sibling, the same name in another account, and in
/// another region.
fn out_of_scope_variants(arn: &str, region: &str) -> [String; 4] {
    [
        arn.to_owned(),
        format!("{arn}-{PROBE}"),
        swap_part(arn, 4, STRANGER_ACCOUNTS[0]),
        swap_part(arn, 3, other_region(region)),
    ]
}

fn other_region(region: &str) -> &'static str {
    if region == "eu-west-3" {
        "ap-southeast-2"
    } else {
        "eu-west-3"
    }
}

/// `arn` with its colon-separated part `index` (3 = region, 4 = account) replaced.
pub(super) fn swap_part(arn: &str, index: usize, value: &str) -> String {
    arn.splitn(6, ':')
        .enumerate()
        .map(|(i, part)| if i == index { value } else { part })
        .collect::<Vec<_>>()
        .join(":")
}

/// The `kms:ViaService` value S3 sends when it uses `key` for the caller.
pub(super) fn s3_via(key: &Arn) -> String {
    let suffix = key.partition().unwrap_or(Partition::Aws).dns_suffix();
    format!("s3.{}.{suffix}", key.region())
}
