//! The least-privilege proof: does a role allow exactly what its spec asks?
//!
//! The spec's meaning is restated here on its own terms: for one concrete
//! resource and request context, [`intended`] says whether the spec grants an
//! action. The proof then probes the role's policies with requests built from
//! the action database (every action of every granted service, on resources
//! in and out of scope, with each guardrail met and broken) and reports every
//! disagreement. It never looks at the builder's statements, so a builder bug
//! or a drifted live role shows up as a finding.
//!
//! Probes are concrete requests, so a condition on a value no probe tries (an
//! attacker's own IP address, say) is not explored. The guard's reconcile diff
//! catches any such textual change; the proof judges meaning.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use super::condition::{in_cidr, parse_cidr};
use super::pattern::Pattern;
use super::{CompiledPolicy, ContextValue, Decision, PolicySet, PrincipalKind, Request, evaluate};
use crate::actiondb::ActionDb;
use crate::arn::{Arn, Partition};
use crate::build::actions::*;
use crate::build::{BuildContext, DesiredRole};
use crate::document::PolicyDocument;
use crate::spec::{
    Grant, IndexScope, IntegrationSpec, KinesisAccess, RoleNaming, SqsAccess, Trust,
    TrustedService, VendorPrincipal,
};
use crate::time::Timestamp;

/// Marks every name the proof invents, so a finding is easy to read.
const PROBE: &str = "rolegate-probe";
/// An account that is nobody's in the proof: not the customer's, not the vendor's.
const STRANGER_ACCOUNTS: [&str; 2] = ["999988887777", "444455556666"];
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

/// The role as IAM holds it (or will): what the proof examines.
#[derive(Debug, Clone, Copy)]
pub struct RolePolicies<'a> {
    pub role_name: &'a str,
    pub path: &'a str,
    pub trust: &'a PolicyDocument,
    /// Every permissions policy of the role: inline and attached.
    pub permissions: &'a [&'a PolicyDocument],
}

/// Why the role and its spec disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofFinding {
    /// The role allows a request the spec does not ask for.
    Excess {
        action: String,
        resource: String,
        /// Context keys that describe the probe beyond the resource.
        context: String,
        statements: Vec<String>,
    },
    /// The role allows a request although a guardrail or the expiry forbids it.
    GuardrailBypassed {
        guardrail: &'static str,
        action: String,
        resource: String,
        statements: Vec<String>,
    },
    /// The role denies a request the spec asks for.
    Missing {
        action: String,
        resource: String,
        context: String,
    },
    /// The trust policy admits a caller it must refuse.
    TrustTooOpen { caller: String, how: &'static str },
    /// The trust policy refuses the caller the spec names.
    TrustTooClosed { caller: String },
}

impl ProofFinding {
    pub fn code(&self) -> &'static str {
        match self {
            ProofFinding::Excess { .. } => "PROOF_EXCESS",
            ProofFinding::GuardrailBypassed { .. } => "PROOF_GUARDRAIL_BYPASSED",
            ProofFinding::Missing { .. } => "PROOF_MISSING",
            ProofFinding::TrustTooOpen { .. } => "PROOF_TRUST_TOO_OPEN",
            ProofFinding::TrustTooClosed { .. } => "PROOF_TRUST_TOO_CLOSED",
        }
    }

    /// Findings that widen access; `Missing` and `TrustTooClosed` only break
    /// the integration.
    pub fn widens_access(&self) -> bool {
        matches!(
            self,
            ProofFinding::Excess { .. }
                | ProofFinding::GuardrailBypassed { .. }
                | ProofFinding::TrustTooOpen { .. }
        )
    }
}

impl fmt::Display for ProofFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with = |context: &str| {
            if context.is_empty() {
                String::new()
            } else {
                format!(" with {context}")
            }
        };
        match self {
            ProofFinding::Excess {
                action,
                resource,
                context,
                statements,
            } => write!(
                f,
                "{}: {action} on {resource}{} is allowed (by {}) but the spec does not grant it",
                self.code(),
                with(context),
                statements.join(", ")
            ),
            ProofFinding::GuardrailBypassed {
                guardrail,
                action,
                resource,
                statements,
            } => write!(
                f,
                "{}: {action} on {resource} is allowed (by {}) even when {guardrail} forbids it",
                self.code(),
                statements.join(", ")
            ),
            ProofFinding::Missing {
                action,
                resource,
                context,
            } => write!(
                f,
                "{}: {action} on {resource}{} is denied but the spec grants it",
                self.code(),
                with(context)
            ),
            ProofFinding::TrustTooOpen { caller, how } => {
                write!(f, "{}: the trust policy {how} ({caller})", self.code())
            }
            ProofFinding::TrustTooClosed { caller } => write!(
                f,
                "{}: the trust policy refuses {caller}, whom the spec trusts",
                self.code()
            ),
        }
    }
}

/// The proof's verdict: how many requests it tried and what disagreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub probes: usize,
    pub findings: Vec<ProofFinding>,
}

impl Proof {
    /// The role grants exactly what the spec asks.
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }

    /// Does the role allow anything the spec does not?
    pub fn widens_access(&self) -> bool {
        self.findings.iter().any(ProofFinding::widens_access)
    }
}

/// Proves `role` against the policies the builder made for `spec`.
pub fn prove_desired(spec: &IntegrationSpec, ctx: &BuildContext, role: &DesiredRole) -> Proof {
    let name = match &role.naming {
        RoleNaming::Name(n) => n.clone(),
        RoleNaming::Prefix(p) => format!("{p}-{PROBE}"),
    };
    let permissions: Vec<&PolicyDocument> = role.inline_policies.values().collect();
    prove(
        spec,
        ctx,
        &RolePolicies {
            role_name: &name,
            path: &role.path,
            trust: &role.trust_policy,
            permissions: &permissions,
        },
    )
}

/// Probes `role` and reports every request where it and `spec` disagree.
pub fn prove(spec: &IntegrationSpec, ctx: &BuildContext, role: &RolePolicies<'_>) -> Proof {
    let mut proof = Proof {
        probes: 0,
        findings: Vec::new(),
    };
    let contexts = Contexts::for_spec(spec, ctx);
    prove_permissions(spec, ctx, role, &contexts, &mut proof);
    prove_trust(spec, ctx, role, &contexts, &mut proof);
    proof
}

fn prove_permissions(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    role: &RolePolicies<'_>,
    contexts: &Contexts,
    proof: &mut Proof,
) {
    let set = PolicySet {
        identity: role
            .permissions
            .iter()
            .enumerate()
            .map(|(i, doc)| CompiledPolicy::compile(doc, &format!("permissions policy {}", i + 1)))
            .collect(),
        ..PolicySet::default()
    };
    let p = ctx.partition;
    let session = format!(
        "arn:{p}:sts::{}:assumed-role/{}/{PROBE}",
        ctx.account_id, role.role_name
    );
    let role_arn = format!(
        "arn:{p}:iam::{}:role{}{}",
        ctx.account_id, role.path, role.role_name
    );
    let db = ActionDb::global();
    let services = granted_services(spec);

    let mut targets = targets(spec, ctx);
    targets.push(Target::plain(role_arn));
    for target in &targets {
        let mut actions: BTreeSet<String> = BTreeSet::new();
        let service = target.resource.split(':').nth(2).unwrap_or("");
        if target.resource == "*" {
            for svc in &services {
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
        let mut requests = TargetRequests::new(&session, target, contexts);
        for action in &actions {
            probe(spec, ctx, &set, action, target, &mut requests, proof);
        }
    }
}

/// One target's requests, one per context, built once and re-aimed at each
/// action: building a request per probe was a third of the proof's time.
struct TargetRequests {
    compliant: Request,
    violations: Vec<(&'static str, Request)>,
}

impl TargetRequests {
    fn new(session: &str, target: &Target, contexts: &Contexts) -> TargetRequests {
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

fn aimed_at<'r>(request: &'r mut Request, action: &str) -> &'r Request {
    request.action.clear();
    request.action.push_str(action);
    request
}

fn probe(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    set: &PolicySet,
    action: &str,
    target: &Target,
    requests: &mut TargetRequests,
    proof: &mut Proof,
) {
    let statements = |e: &super::Evaluation| -> Vec<String> {
        e.matched
            .iter()
            .map(|m| match &m.sid {
                Some(sid) => format!("{} statement {sid}", m.policy),
                None => format!("{} statement #{}", m.policy, m.index + 1),
            })
            .collect()
    };
    let wanted = intended(spec, ctx, action, target);
    proof.probes += 1;
    let e = evaluate(set, aimed_at(&mut requests.compliant, action));
    let allowed = e.decision == Decision::Allowed;
    match (wanted, allowed) {
        (true, false) => proof.findings.push(ProofFinding::Missing {
            action: action.to_owned(),
            resource: target.resource.clone(),
            context: target.describe(),
        }),
        (false, true) => {
            proof.findings.push(ProofFinding::Excess {
                action: action.to_owned(),
                resource: target.resource.clone(),
                context: target.describe(),
                statements: statements(&e),
            });
            return;
        }
        _ => {}
    }
    for (guardrail, request) in &mut requests.violations {
        proof.probes += 1;
        let e = evaluate(set, aimed_at(request, action));
        if e.decision == Decision::Allowed {
            proof.findings.push(ProofFinding::GuardrailBypassed {
                guardrail,
                action: action.to_owned(),
                resource: target.resource.clone(),
                statements: statements(&e),
            });
        }
    }
}

/// A concrete resource plus the context keys that come with it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    resource: String,
    keys: Vec<(&'static str, ContextValue)>,
}

impl Target {
    fn plain(resource: impl Into<String>) -> Target {
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

    fn key(&self, name: &str) -> Option<&[String]> {
        self.keys
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.values())
    }

    fn describe(&self) -> String {
        self.keys
            .iter()
            .map(|(k, v)| format!("{k}={}", v.values().join("|")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The request contexts every probe is tried in: one that meets every
/// guardrail, and one per guardrail that breaks it alone.
struct Contexts {
    compliant: Vec<(&'static str, ContextValue)>,
    violations: Vec<(&'static str, Vec<(&'static str, ContextValue)>)>,
}

impl Contexts {
    fn for_spec(spec: &IntegrationSpec, ctx: &BuildContext) -> Contexts {
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
}

fn granted_services(spec: &IntegrationSpec) -> BTreeSet<&'static str> {
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
    .flatten()
    .copied()
}

/// Resources in and out of each grant's scope, made concrete.
fn targets(spec: &IntegrationSpec, ctx: &BuildContext) -> Vec<Target> {
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
fn swap_part(arn: &str, index: usize, value: &str) -> String {
    arn.splitn(6, ':')
        .enumerate()
        .map(|(i, part)| if i == index { value } else { part })
        .collect::<Vec<_>>()
        .join(":")
}

/// The `kms:ViaService` value S3 sends when it uses `key` for the caller.
fn s3_via(key: &Arn) -> String {
    let suffix = key.partition().unwrap_or(Partition::Aws).dns_suffix();
    format!("s3.{}.{suffix}", key.region())
}

fn has(list: &[&str], action: &str) -> bool {
    list.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// The spec's meaning: does it grant `action` on `target`? Guardrails are
/// not judged here; the proof breaks them separately.
fn intended(spec: &IntegrationSpec, ctx: &BuildContext, action: &str, target: &Target) -> bool {
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
            if resource == bucket_arn {
                let listing_in_scope = match target.key("s3:prefix") {
                    Some(values) => values.iter().all(|v| v.starts_with(pre)),
                    None => pre.is_empty(),
                };
                return has(S3_LOCATION, action)
                    || access.reads()
                        && listing_in_scope
                        && (has(S3_LIST, action)
                            || *include_versions && has(S3_LIST_VERSIONS, action));
            }
            if let Some(key) = resource
                .strip_prefix(bucket_arn.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
            {
                return key.starts_with(pre)
                    && (access.reads()
                        && (has(S3_READ_OBJECTS, action)
                            || *include_versions && has(S3_READ_VERSIONS, action))
                        || access.writes()
                            && (has(S3_WRITE_OBJECTS, action)
                                || *include_versions && has(S3_WRITE_VERSIONS, action)));
            }
            match kms_key_arn {
                Some(key) if key.as_str() == resource => {
                    let via = s3_via(key);
                    target.key("kms:ViaService") == Some(std::slice::from_ref(&via))
                        && (has(KMS_DECRYPT, action) || access.writes() && has(KMS_ENCRYPT, action))
                }
                _ => false,
            }
        }
        Grant::DynamoDb {
            access,
            table_arn,
            indexes,
            leading_keys,
        } => {
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
        Grant::Glue { access, database } => {
            let (p, r, a) = (ctx.partition, &ctx.region, &ctx.account_id);
            let g = format!("arn:{p}:glue:{r}:{a}");
            let catalog = resource == format!("{g}:catalog")
                || resource == format!("{g}:database/{database}")
                || resource.starts_with(&format!("{g}:table/{database}/"));
            let logs = resource.starts_with(&format!("arn:{p}:logs:{r}:{a}:log-group:/aws-glue/"));
            catalog && (has(GLUE_READ, action) || access.writes() && has(GLUE_WRITE, action))
                || logs && has(GLUE_LOGS, action)
        }
    }
}

/// A caller for each `AWS` principal a trust policy names: the principal
/// itself for a role or user ARN, a probe role for an account.
fn named_callers(trust: &PolicyDocument, p: Partition) -> BTreeSet<String> {
    trust
        .statements()
        .iter()
        .filter_map(|s| s.principal.as_ref())
        .flat_map(|principal| principal.value().entries())
        .filter(|(kind, _)| *kind == crate::document::PrincipalType::Aws)
        .filter_map(|(_, value)| {
            if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                return Some(format!("arn:{p}:iam::{value}:role/{PROBE}"));
            }
            let arn = Arn::parse(value).ok()?;
            if arn.resource() == "root" {
                Some(format!("arn:{p}:iam::{}:role/{PROBE}", arn.account()))
            } else {
                Some(value.to_owned())
            }
        })
        .collect()
}

fn caller_account(caller: &str) -> Option<&str> {
    caller.split(':').nth(4)
}

fn prove_trust(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    role: &RolePolicies<'_>,
    contexts: &Contexts,
    proof: &mut Proof,
) {
    let p = ctx.partition;
    let account = ctx.account_id.as_str();
    let role_arn = format!("arn:{p}:iam::{account}:role{}{}", role.path, role.role_name);
    // The caller's own account lets it call AssumeRole; the trust policy decides.
    let caller_identity = PolicyDocument::new(vec![crate::document::Statement::allow(
        vec!["sts:AssumeRole".into()],
        vec!["*".into()],
    )]);
    let trust = CompiledPolicy::compile(role.trust, "trust policy");
    let account_caller = PolicySet {
        identity: vec![CompiledPolicy::compile(&caller_identity, "caller identity")],
        resource: Some(trust.clone()),
        ..PolicySet::default()
    };
    // A service principal has no identity policies of its own.
    let service_caller = PolicySet {
        resource: Some(trust),
        ..PolicySet::default()
    };
    let now = contexts
        .compliant
        .iter()
        .find(|(k, _)| *k == "aws:CurrentTime")
        .map(|(_, v)| v.clone());
    let expired = contexts
        .violations
        .iter()
        .find(|(g, _)| *g == "ExpiresAt")
        .and_then(|(_, keys)| keys.iter().find(|(k, _)| *k == "aws:CurrentTime"))
        .map(|(_, v)| v.clone());

    let mut check = |req: Request, admit: bool, how: &'static str| {
        proof.probes += 1;
        let set = match req.principal_kind {
            PrincipalKind::Service(_) => &service_caller,
            _ => &account_caller,
        };
        let allowed = evaluate(set, &req).decision == Decision::Allowed;
        let caller = req.principal_arn.clone();
        if admit && !allowed {
            proof.findings.push(ProofFinding::TrustTooClosed { caller });
        } else if !admit && allowed {
            proof
                .findings
                .push(ProofFinding::TrustTooOpen { caller, how });
        }
    };
    let assume = |caller: &str, time: &Option<ContextValue>| {
        let mut req = Request::new(caller, "sts:AssumeRole", &role_arn).in_account(account);
        if let Some(t) = time {
            req = req.with_context("aws:CurrentTime", t.clone());
        }
        req
    };
    let external = |req: Request, id: &str| {
        req.with_context("sts:ExternalId", ContextValue::Single(id.to_owned()))
    };

    match &spec.trust {
        Trust::Vendor { principals } => {
            let id = spec.external_id.as_deref();
            let stranger = STRANGER_ACCOUNTS
                .into_iter()
                .find(|s| principals.iter().all(|v| v.account() != *s))
                .unwrap_or(STRANGER_ACCOUNTS[0]);
            let trusted_accounts: Vec<&str> = principals
                .iter()
                .filter_map(|v| match v {
                    VendorPrincipal::Account(a) => Some(a.as_str()),
                    _ => None,
                })
                .collect();
            for principal in principals {
                let caller = match principal {
                    VendorPrincipal::Account(a) => format!("arn:{p}:iam::{a}:role/{PROBE}"),
                    VendorPrincipal::Role(arn) | VendorPrincipal::User(arn) => arn.to_string(),
                };
                if let Some(id) = id {
                    check(external(assume(&caller, &now), id), true, "");
                    if expired.is_some() {
                        check(
                            external(assume(&caller, &expired), id),
                            false,
                            "admits the vendor after ExpiresAt",
                        );
                    }
                    // Anyone else in a vendor account named by role or user ARN.
                    if !matches!(principal, VendorPrincipal::Account(_))
                        && !trusted_accounts.contains(&principal.account())
                    {
                        let sibling =
                            format!("arn:{p}:iam::{}:role/{PROBE}-other", principal.account());
                        check(
                            external(assume(&sibling, &now), id),
                            false,
                            "admits another principal of the vendor's account",
                        );
                    }
                }
                let wrong = format!("{}-{PROBE}", id.unwrap_or("wrong"));
                check(
                    external(assume(&caller, &now), &wrong),
                    false,
                    "accepts a wrong sts:ExternalId",
                );
                check(
                    assume(&caller, &now),
                    false,
                    "accepts a request without sts:ExternalId",
                );
            }
            let outsider = format!("arn:{p}:iam::{stranger}:role/{PROBE}");
            check(
                external(assume(&outsider, &now), id.unwrap_or(PROBE)),
                false,
                "admits an account the spec does not name",
            );
            // Every other principal the trust policy itself names is probed
            // too: a drifted policy may admit exactly one extra account,
            // which no fixed stranger would hit.
            for caller in named_callers(role.trust, p) {
                let spec_names = principals.iter().any(|v| match v {
                    VendorPrincipal::Account(a) => caller_account(&caller) == Some(a.as_str()),
                    VendorPrincipal::Role(arn) | VendorPrincipal::User(arn) => {
                        arn.to_string() == caller
                    }
                });
                if !spec_names {
                    check(
                        external(assume(&caller, &now), id.unwrap_or(PROBE)),
                        false,
                        "admits a principal the spec does not name",
                    );
                }
            }
            check(
                service_assume(&role_arn, "ec2.amazonaws.com", None, None, &now),
                false,
                "admits an AWS service",
            );
        }
        Trust::Service {
            service,
            source_account,
            source_arn,
        } => {
            let expected_account = match (service, source_account) {
                (_, Some(a)) => Some(a.as_str()),
                (TrustedService::Ec2, None) => None,
                (_, None) => Some(account),
            };
            let arn = source_arn
                .as_ref()
                .map(|a| a.as_str().replace(['*', '?'], "x"));
            let principal = service.principal();
            check(
                service_assume(&role_arn, principal, expected_account, arn.as_deref(), &now),
                true,
                "",
            );
            if expected_account.is_some() {
                check(
                    service_assume(
                        &role_arn,
                        principal,
                        Some(STRANGER_ACCOUNTS[0]),
                        arn.as_deref(),
                        &now,
                    ),
                    false,
                    "admits the service acting for another account (confused deputy)",
                );
            }
            if let Some(arn) = &arn {
                let other = swap_part(arn, 4, STRANGER_ACCOUNTS[1]);
                check(
                    service_assume(&role_arn, principal, expected_account, Some(&other), &now),
                    false,
                    "admits the service acting for another resource (confused deputy)",
                );
            }
            if expired.is_some() {
                check(
                    service_assume(
                        &role_arn,
                        principal,
                        expected_account,
                        arn.as_deref(),
                        &expired,
                    ),
                    false,
                    "admits the service after ExpiresAt",
                );
            }
            let other_service = if *service == TrustedService::Glue {
                "lambda.amazonaws.com"
            } else {
                "glue.amazonaws.com"
            };
            check(
                service_assume(
                    &role_arn,
                    other_service,
                    expected_account,
                    arn.as_deref(),
                    &now,
                ),
                false,
                "admits an AWS service the spec does not name",
            );
            check(
                Request::new(
                    &format!("arn:{p}:iam::{}:role/{PROBE}", STRANGER_ACCOUNTS[0]),
                    "sts:AssumeRole",
                    &role_arn,
                )
                .in_account(account),
                false,
                "admits another account",
            );
        }
    }
}

fn service_assume(
    role_arn: &str,
    service: &str,
    source_account: Option<&str>,
    source_arn: Option<&str>,
    time: &Option<ContextValue>,
) -> Request {
    let mut req = Request {
        principal_arn: service.to_owned(),
        principal_kind: PrincipalKind::Service(service.to_owned()),
        action: "sts:AssumeRole".into(),
        resource: role_arn.to_owned(),
        ..Request::default()
    };
    if let Some(a) = source_account {
        req = req.with_context("aws:SourceAccount", ContextValue::Single(a.to_owned()));
    }
    if let Some(a) = source_arn {
        req = req.with_context("aws:SourceArn", ContextValue::Single(a.to_owned()));
    }
    if let Some(t) = time {
        req = req.with_context("aws:CurrentTime", t.clone());
    }
    req
}
