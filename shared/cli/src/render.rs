//! `rolegate render`: what the provisioner would do with a spec, before
//! anyone deploys it.
//!
//! It runs the provisioner's own pipeline, not a copy of it: the
//! deployment's boundary rule (as the provisioner applies
//! `ROLEGATE_PERMISSIONS_BOUNDARY_ARN`), the parse, the ExternalId fill
//! ([`rolegate_policy::reconcile::Filled`], with a placeholder where the
//! provisioner draws a random one), then
//! [`rolegate_policy::reconcile::desired_role`], which builds the role,
//! proves it least privilege and tags it for its stack. A spec the
//! provisioner would refuse exits 1 with the reason it would give
//! CloudFormation; otherwise the role it would create is printed.

use rolegate_policy::arn::Partition;
use rolegate_policy::reconcile::{DesiredError, Filled, Owner, desired_role};
use rolegate_policy::spec::{DeploymentRules, RoleNaming, RuleError};
use rolegate_policy::{BuildContext, DesiredRole, IntegrationSpec};
use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::args::RenderOptions;
use crate::{Outcome, read_input};

/// Stands in for the ExternalId the provisioner generates at deploy time.
const EXTERNAL_ID_PLACEHOLDER: &str = "GENERATED-AT-PROVISIONING";
/// The variable the provisioner reads its deployment's boundary from
/// (template.yaml sets it to the `IntegrationBoundary` policy's ARN).
pub const BOUNDARY_VARIABLE: &str = "ROLEGATE_PERMISSIONS_BOUNDARY_ARN";
/// Names in the placeholders for what only a deployment knows.
const ASSIGNED: &str = "ASSIGNED-AT-DEPLOYMENT";

/// Where the boundary the role gets comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoundarySource {
    /// `--boundary ARN`.
    Flag,
    /// `ROLEGATE_PERMISSIONS_BOUNDARY_ARN` in the environment, as the provisioner reads it.
    Environment,
    /// Neither: the deployment's `IntegrationBoundary`, whose ARN
    /// CloudFormation assigns when template.yaml is deployed.
    Unknown,
    /// The spec's own `PermissionsBoundaryArn`, kept while the
    /// deployment's is unknown.
    Spec,
}

impl BoundarySource {
    fn as_str(self) -> &'static str {
        match self {
            BoundarySource::Flag => "--boundary",
            BoundarySource::Environment => BOUNDARY_VARIABLE,
            BoundarySource::Unknown => "placeholder",
            BoundarySource::Spec => "the spec",
        }
    }
}

/// Why the provisioner would not create the role.
#[derive(Debug, Error)]
enum Refusal {
    /// The deployment's rules, as the provisioner applies them.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The least-privilege proof found the role wider than its spec.
    #[error(transparent)]
    Proof(DesiredError),
}

impl Refusal {
    fn code(&self) -> &'static str {
        match self {
            Refusal::Rule(e) => e.code(),
            Refusal::Proof(_) => "PROOF_WIDENS_ACCESS",
        }
    }
}

pub fn run(opts: &RenderOptions) -> Result<Outcome, String> {
    let text = read_input(&opts.spec_path)?;
    let mut properties = properties_of(&text).map_err(|e| format!("{}: {e}", opts.spec_path))?;
    let ctx = BuildContext::new(&opts.account, &opts.region);

    let (boundary, source) = deployment_boundary(opts, &ctx);
    let source = match apply_boundary(&mut properties, &boundary, source) {
        Ok(source) => source,
        Err(refusal) => return refuse(opts, &refusal),
    };
    if source == BoundarySource::Unknown {
        eprintln!(
            "note: the provisioner attaches this deployment's IntegrationBoundary (template.yaml), whose ARN CloudFormation assigns at deploy time (stack output IntegrationBoundaryArn). Shown as {boundary}; pass --boundary ARN or set {BOUNDARY_VARIABLE}."
        );
    }

    let properties = Value::Object(properties);
    let spec = IntegrationSpec::from_properties(&properties)
        .map_err(|e| format!("{}: {e} [{}]", opts.spec_path, e.code()))?;
    // `--external-id` stands for the one an existing role hands on.
    let placeholder = || {
        eprintln!(
            "note: the spec has no ExternalId; the provisioner generates a random one. Shown as {EXTERNAL_ID_PLACEHOLDER}."
        );
        Ok::<_, std::convert::Infallible>(EXTERNAL_ID_PLACEHOLDER.to_owned())
    };
    let Ok(Filled { spec, .. }) =
        Filled::new(&properties, spec, opts.external_id.clone(), placeholder);

    let owner = placeholder_owner(&ctx);
    let (role, digest) = match desired_role(&spec, &ctx, &owner) {
        Ok(built) => built,
        Err(e @ DesiredError::WidensAccess { .. }) => return refuse(opts, &Refusal::Proof(e)),
        Err(e) => return Err(format!("{}: {e}", opts.spec_path)),
    };
    let findings = rolegate_policy::lint::lint_role(
        &role,
        &rolegate_policy::lint::LintOptions {
            own_account: Some(opts.account.clone()),
            ..Default::default()
        },
    );
    for f in &findings {
        eprintln!("lint: {f}");
    }
    if opts.json {
        #[derive(serde::Serialize)]
        struct Rendered<'a> {
            #[serde(flatten)]
            role: &'a DesiredRole,
            #[serde(rename = "PolicyDigest")]
            digest: &'a str,
            #[serde(rename = "Provisioner")]
            provisioner: Value,
        }
        let rendered = Rendered {
            role: &role,
            digest: &digest,
            provisioner: json!({
                "Verdict": "create",
                "Proof": "holds",
                "PermissionsBoundary": {
                    "Arn": role.permissions_boundary_arn,
                    "Source": source.as_str(),
                },
            }),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&rendered).unwrap_or_default()
        );
    } else {
        print_text(&role, &digest, source);
    }
    Ok(crate::lint::outcome(&findings))
}

/// The spec's properties: the bare object, or a whole `Custom::IntegrationRole` resource's.
fn properties_of(text: &str) -> Result<Map<String, Value>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let props = match value.get("Properties") {
        Some(p) if value.get("Type").is_some() => p,
        _ => &value,
    };
    match props {
        Value::Object(map) => Ok(map.clone()),
        other => Err(format!(
            "the integration spec must be an object, got {} [WRONG_TYPE]",
            rolegate_policy::document::json_type(other)
        )),
    }
}

/// `--boundary`, else the provisioner's variable, else a placeholder ARN
/// in the account (the boundary policy lives where the roles do).
fn deployment_boundary(opts: &RenderOptions, ctx: &BuildContext) -> (String, BoundarySource) {
    if let Some(arn) = &opts.boundary {
        return (arn.clone(), BoundarySource::Flag);
    }
    if let Some(arn) = std::env::var(BOUNDARY_VARIABLE)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return (arn, BoundarySource::Environment);
    }
    (
        format!(
            "arn:{}:iam::{}:policy/rolegate-IntegrationBoundary-{ASSIGNED}",
            ctx.partition, ctx.account_id
        ),
        BoundarySource::Unknown,
    )
}

/// The provisioner's boundary rule (`DeploymentRules`, the one the
/// provisioner applies): a spec naming no boundary gets the deployment's;
/// one naming the deployment's keeps it; one naming another is refused.
/// With the deployment's ARN unknown, a spec's own boundary is kept and a
/// note says what the provisioner will check. Returns where the role's
/// boundary comes from.
fn apply_boundary(
    properties: &mut Map<String, Value>,
    boundary: &str,
    source: BoundarySource,
) -> Result<BoundarySource, Refusal> {
    if source == BoundarySource::Unknown
        && let Some(Value::String(given)) = properties.get("PermissionsBoundaryArn")
    {
        eprintln!(
            "note: the spec names the boundary {given}; the provisioner refuses it unless it is this deployment's IntegrationBoundary (pass --boundary ARN to check)."
        );
        return Ok(BoundarySource::Spec);
    }
    let rules = DeploymentRules {
        boundary_arn: Some(boundary.to_owned()),
        role_path: None,
    };
    rules.apply(properties)?;
    Ok(source)
}

/// The stack the role would belong to, unknown before deployment; the
/// ownership tags show where its values go.
fn placeholder_owner(ctx: &BuildContext) -> Owner {
    let partition: Partition = ctx.partition;
    Owner {
        stack_id: format!(
            "arn:{partition}:cloudformation:{}:{}:stack/YOUR-STACK/{ASSIGNED}",
            ctx.region, ctx.account_id
        ),
        logical_id: "YOUR-LOGICAL-ID".to_owned(),
    }
}

/// What the provisioner would answer CloudFormation, and exit 1.
fn refuse(opts: &RenderOptions, refusal: &Refusal) -> Result<Outcome, String> {
    if opts.json {
        let out = json!({
            "Provisioner": {
                "Verdict": "refuse",
                "Code": refusal.code(),
                "Reason": refusal.to_string(),
            }
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).unwrap_or_else(|_| out.to_string())
        );
    } else {
        println!(
            "{}: the provisioner would refuse this spec and create nothing [{}]\n  Reason: {refusal}",
            opts.spec_path,
            refusal.code()
        );
    }
    Ok(Outcome::Findings)
}

fn print_text(role: &DesiredRole, digest: &str, source: BoundarySource) {
    match &role.naming {
        RoleNaming::Name(n) => println!("Role {n} at path {}", role.path),
        RoleNaming::Prefix(p) => println!("Role {p}-<random> at path {}", role.path),
    }
    if let Some(d) = &role.description {
        println!("Description: {d}");
    }
    println!("MaxSessionDuration: {} s", role.max_session_duration);
    match &role.permissions_boundary_arn {
        Some(b) => println!("Permissions boundary: {b} (from {})", source.as_str()),
        None => println!("Permissions boundary: none"),
    }
    println!(
        "Least-privilege proof: holds (the role allows nothing the spec does not ask for); the provisioner would create it"
    );
    println!("\nTrust policy:\n{}", role.trust_policy.to_json_pretty());
    for (name, doc) in &role.inline_policies {
        println!("\nInline policy {name}:\n{}", doc.to_json_pretty());
    }
    println!("\nTags:");
    for (k, v) in &role.tags {
        println!("  {k} = {v}");
    }
    println!("\nPolicy digest: {digest}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No spec reaches this today: the builder and the proof agree on every
    /// fixture. The refusal is the provisioner's own error, passed on whole.
    #[test]
    fn a_role_the_proof_finds_too_wide_is_refused_with_its_findings() {
        let findings = "PROOF_EXCESS: s3:DeleteBucket on arn:aws:s3:::b is allowed (by x) but the spec does not grant it".to_owned();
        let refusal = Refusal::Proof(DesiredError::WidensAccess {
            findings: findings.clone(),
        });
        assert_eq!(refusal.code(), "PROOF_WIDENS_ACCESS");
        let text = refusal.to_string();
        assert!(
            text.starts_with("Grants: the least-privilege proof"),
            "{text}"
        );
        assert!(text.contains(&findings), "{text}");
    }
}
