//! Least-privilege builders: integration spec → the role IAM should hold.
//!
//! Every access level maps to an explicit, reviewed action list scoped to the
//! exact resource ARNs; nothing here emits a service wildcard. The output,
//! [`DesiredRole`], is what the provisioner creates and the guard restores.

pub(crate) mod actions;
mod grants;
pub mod managed;
mod trust;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::arn::Partition;
use crate::canonical::sha256_hex;
use crate::document::{ConditionValue, PolicyDocument, Statement};
use crate::limits::{self, Quotas, Violation};
use crate::spec::{Guardrails, IntegrationSpec, RoleNaming, Trust, TrustedService};
use crate::tags;
use crate::time::Timestamp;

/// Every inline policy Rolegate writes is named with this prefix.
pub const POLICY_NAME_PREFIX: &str = "rolegate-";

/// Facts about the target account that the spec does not repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildContext {
    pub partition: Partition,
    pub account_id: String,
    pub region: String,
}

impl BuildContext {
    pub fn new(account_id: &str, region: &str) -> Self {
        BuildContext {
            partition: Partition::of_region(region),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
        }
    }
}

/// The complete IAM state of one integration role, as Rolegate wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRole {
    pub naming: RoleNaming,
    pub path: String,
    pub description: Option<String>,
    pub trust_policy: PolicyDocument,
    pub max_session_duration: u32,
    pub permissions_boundary_arn: Option<String>,
    /// Inline policies by name. Names derive from the grant's service and
    /// resource, so reordering grants never renames a policy.
    pub inline_policies: BTreeMap<String, PolicyDocument>,
    /// Customer managed policies the role owns, by suffix (`rolegate-1`,
    /// ...): what did not fit IAM's inline quota ([`managed`]). Each is
    /// named `<role name>-<suffix>` and lives at the role's path.
    pub managed_policies: BTreeMap<String, PolicyDocument>,
    /// `arn:<partition>:iam::<account>:policy`: with the path and a managed
    /// policy's name, that policy's ARN ([`DesiredRole::managed_policy_arn`]).
    /// The account is the role's, so it is not in the digest.
    pub policy_arn_prefix: String,
    pub tags: BTreeMap<String, String>,
    /// For a role EC2 assumes (`Trust::Service` with `ec2`): an instance
    /// profile of the role's own name and path holds the role, tagged as
    /// Rolegate's ([`crate::reconcile::instance_profile_tags`]). Without one
    /// no instance can carry the role. Not in [`DesiredRole::digest`]: it
    /// follows from the trust, which the digest covers.
    pub instance_profile: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildError {
    #[error(
        "ExternalId: a vendor trust needs an external ID; set ExternalId or let the provisioner generate one"
    )]
    MissingExternalId,
    #[error("{what}: {source}")]
    Quota {
        what: &'static str,
        #[source]
        source: Violation,
    },
}

impl BuildError {
    pub fn code(&self) -> &'static str {
        match self {
            BuildError::MissingExternalId => "EXTERNAL_ID_REQUIRED",
            BuildError::Quota { source, .. } => source.code(),
        }
    }
}

/// Builds the desired role for `spec` in the account described by `ctx`.
pub fn build(spec: &IntegrationSpec, ctx: &BuildContext) -> Result<DesiredRole, BuildError> {
    build_with_quotas(spec, ctx, &Quotas::default())
}

pub fn build_with_quotas(
    spec: &IntegrationSpec,
    ctx: &BuildContext,
    quotas: &Quotas,
) -> Result<DesiredRole, BuildError> {
    let trust_policy = trust::trust_policy(spec, ctx)?;
    limits::check_trust_policy_size(&trust_policy.to_json(), quotas).map_err(|source| {
        BuildError::Quota {
            what: "Trust",
            source,
        }
    })?;

    let guard = |s: Statement| guardrails(s, &spec.guardrails, spec.expires_at.as_ref());
    let mut policies = Vec::new();
    for grant in &spec.grants {
        let statements = grants::statements(grant, ctx)
            .into_iter()
            .map(guard)
            .collect();
        policies.push(managed::Built {
            name: grants::policy_name(grant),
            property: "Grants",
            document: PolicyDocument::new(statements),
        });
    }
    if !spec.outbound_assume_role_arns.is_empty() {
        let roles = spec
            .outbound_assume_role_arns
            .iter()
            .map(ToString::to_string)
            .collect();
        let statement =
            Statement::allow(vec!["sts:AssumeRole".into()], roles).with_sid("AssumeVendorRole");
        policies.push(managed::Built {
            name: format!("{POLICY_NAME_PREFIX}outbound-assume-role"),
            property: "OutboundAssumeRoleArns",
            document: PolicyDocument::new(vec![guard(statement)]),
        });
    }
    if let Some(statement) = grants::discovery_statement(&spec.discovery) {
        policies.push(managed::Built {
            name: grants::DISCOVERY_POLICY.to_owned(),
            property: "Grants",
            document: PolicyDocument::new(vec![guard(statement)]),
        });
    }
    // Each quota error names the property whose policy broke it.
    let placed = managed::place(policies, quotas)?;

    let mut tags: BTreeMap<String, String> = spec
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    tags.insert(tags::MANAGED.into(), "true".into());
    if let Some(at) = &spec.expires_at {
        tags.insert(tags::EXPIRES_AT.into(), at.to_string());
    }

    Ok(DesiredRole {
        naming: spec.role_name.clone(),
        path: spec.path.clone(),
        description: spec.description.clone(),
        trust_policy,
        max_session_duration: spec.max_session_duration,
        permissions_boundary_arn: spec
            .permissions_boundary_arn
            .as_ref()
            .map(ToString::to_string),
        inline_policies: placed.inline,
        managed_policies: placed.managed,
        policy_arn_prefix: format!("arn:{}:iam::{}:policy", ctx.partition, ctx.account_id),
        tags,
        instance_profile: needs_instance_profile(spec),
    })
}

/// The spec's guardrails and expiry, added to one granted statement. Expiry
/// is enforced by IAM itself (`aws:CurrentTime`), not only by the guard.
fn guardrails(mut s: Statement, g: &Guardrails, expires_at: Option<&Timestamp>) -> Statement {
    let strings = |v: &[String]| v.iter().map(|s| ConditionValue::from(s.as_str())).collect();
    if !g.allowed_regions.is_empty() {
        s = s.with_condition(
            "StringEquals",
            "aws:RequestedRegion",
            strings(&g.allowed_regions),
        );
    }
    if g.require_secure_transport {
        s = s.with_condition("Bool", "aws:SecureTransport", vec!["true".into()]);
    }
    if !g.source_ips.is_empty() {
        s = s.with_condition("IpAddress", "aws:SourceIp", strings(&g.source_ips));
    }
    if let Some(at) = expires_at {
        s = s.with_condition("DateLessThan", "aws:CurrentTime", vec![at.as_str().into()]);
    }
    s
}

impl DesiredRole {
    /// SHA-256 over everything IAM stores for the role, policies in canonical
    /// form: equal digests mean nothing needs to change.
    pub fn digest(&self) -> String {
        let mut policies = Map::new();
        for (name, doc) in &self.inline_policies {
            policies.insert(name.clone(), doc.canonical().to_value());
        }
        let mut state = json!({
            "Naming": naming_json(&self.naming),
            "Path": self.path,
            "Description": self.description,
            "Trust": self.trust_policy.canonical().to_value(),
            "MaxSessionDuration": self.max_session_duration,
            "PermissionsBoundaryArn": self.permissions_boundary_arn,
            "Policies": policies,
            "Tags": self.tags,
        });
        // Only when there are any, so a role without overflow keeps the
        // digest it had before managed policies existed.
        if !self.managed_policies.is_empty() {
            let managed: Map<String, Value> = self
                .managed_policies
                .iter()
                .map(|(suffix, doc)| (suffix.clone(), doc.canonical().to_value()))
                .collect();
            state["ManagedPolicies"] = Value::Object(managed);
        }
        sha256_hex(state.to_string().as_bytes())
    }

    /// The ARN of the managed policy `suffix` of this role, once named
    /// `role_name`: at the role's path, in the role's account.
    pub fn managed_policy_arn(&self, role_name: &str, suffix: &str) -> String {
        format!(
            "{}{}{}",
            self.policy_arn_prefix,
            self.path,
            managed::policy_name(role_name, suffix)
        )
    }

    /// The role's permission policies: inline, then its managed ones. The
    /// role's effective permissions are their union, within the boundary.
    pub fn permission_policies(&self) -> impl Iterator<Item = &PolicyDocument> {
        self.inline_policies
            .values()
            .chain(self.managed_policies.values())
    }

    /// The role in the shape of an `AWS::IAM::Role` resource, for reviewers.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Serialised in the shape of an `AWS::IAM::Role` resource's properties.
impl serde::Serialize for DesiredRole {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;

        struct Policies<'a>(&'a BTreeMap<String, PolicyDocument>);
        impl serde::Serialize for Policies<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|(name, doc)| {
                    BTreeMap::from([
                        ("PolicyDocument", PolicyOrName::Doc(doc)),
                        ("PolicyName", PolicyOrName::Name(name)),
                    ])
                }))
            }
        }
        #[derive(serde::Serialize)]
        #[serde(untagged)]
        enum PolicyOrName<'a> {
            Doc(&'a PolicyDocument),
            Name(&'a str),
        }
        struct Tags<'a>(&'a BTreeMap<String, String>);
        impl serde::Serialize for Tags<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(
                    self.0
                        .iter()
                        .map(|(k, v)| BTreeMap::from([("Key", k), ("Value", v)])),
                )
            }
        }

        let mut map = serializer.serialize_map(None)?;
        match &self.naming {
            RoleNaming::Name(n) => map.serialize_entry("RoleName", n)?,
            RoleNaming::Prefix(p) => map.serialize_entry("RoleNamePrefix", p)?,
        }
        map.serialize_entry("Path", &self.path)?;
        if let Some(d) = &self.description {
            map.serialize_entry("Description", d)?;
        }
        map.serialize_entry("MaxSessionDuration", &self.max_session_duration)?;
        if let Some(b) = &self.permissions_boundary_arn {
            map.serialize_entry("PermissionsBoundary", b)?;
        }
        map.serialize_entry("AssumeRolePolicyDocument", &self.trust_policy)?;
        map.serialize_entry("Policies", &Policies(&self.inline_policies))?;
        if !self.managed_policies.is_empty() {
            // Not an `AWS::IAM::Role` property: the role's own managed
            // policies by suffix, for reviewers (the role holds their ARNs).
            map.serialize_entry("RolegateManagedPolicies", &Policies(&self.managed_policies))?;
        }
        map.serialize_entry("Tags", &Tags(&self.tags))?;
        map.end()
    }
}

fn naming_json(n: &RoleNaming) -> Value {
    match n {
        RoleNaming::Name(n) => json!({"Name": n}),
        RoleNaming::Prefix(p) => json!({"Prefix": p}),
    }
}

/// True when EC2 assumes the role: it reaches an instance only through an
/// instance profile, so Rolegate makes one with the role.
pub fn needs_instance_profile(spec: &IntegrationSpec) -> bool {
    matches!(
        &spec.trust,
        Trust::Service {
            service: TrustedService::Ec2,
            ..
        }
    )
}

/// True when the spec trusts a third party, which must present an ExternalId.
pub fn needs_external_id(spec: &IntegrationSpec) -> bool {
    matches!(spec.trust, Trust::Vendor { .. })
}
