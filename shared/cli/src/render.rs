//! `rolegate render`: what the provisioner would do with a spec, before
//! anyone deploys it.
//!
//! It runs the provisioner's own pipeline, not a copy of it: the parse,
//! then [`rolegate_policy::reconcile::spec_to_role`], the function the
//! provisioner calls, with the deployment's boundary rule (as the
//! provisioner applies `ROLEGATE_PERMISSIONS_BOUNDARY_ARN`): it fills the
//! boundary and the ExternalId (a placeholder where the provisioner draws
//! a random one), builds the role, proves it least privilege and tags it
//! for its stack. A spec the
//! provisioner would refuse exits 1 with the reason it would give
//! CloudFormation; otherwise the role it would create is printed.

use rolegate_policy::arn::Partition;
use rolegate_policy::lint::Finding;
use rolegate_policy::reconcile::{
    DesiredError, Owner, PipelineError, PipelineOutput, spec_to_role,
};
use rolegate_policy::spec::{DeploymentRules, RoleNaming, RuleError, SpecError};
use rolegate_policy::{BuildContext, DesiredRole, IntegrationSpec};
use serde_json::{Value, json};
use thiserror::Error;

use crate::cli::{RenderFormat, RenderOptions, TemplateValues};
use crate::format;
use crate::spec_errors::parse_all;
use crate::template::{self, TemplateError};
use crate::{Outcome, outln, read_input};

/// Stands in for the ExternalId the provisioner generates at deploy time.
const EXTERNAL_ID_PLACEHOLDER: &str = "GENERATED-AT-PROVISIONING";
/// The variable the provisioner reads its deployment's boundary from
/// (template.yaml sets it to the `IntegrationBoundary` policy's ARN).
pub const BOUNDARY_VARIABLE: &str = "ROLEGATE_PERMISSIONS_BOUNDARY_ARN";
/// Names in the placeholders for what only a deployment knows.
const ASSIGNED: &str = "ASSIGNED-AT-DEPLOYMENT";

/// Where the boundary the role gets comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundarySource {
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

/// What the provisioner would do with one spec.
pub enum Verdict {
    Create {
        role: Box<DesiredRole>,
        digest: String,
        source: BoundarySource,
        findings: Vec<Finding>,
    },
    Refuse {
        code: &'static str,
        reason: String,
    },
    /// The spec does not parse: every error, the provisioner's first.
    Invalid(Vec<SpecError>),
}

/// One spec of the input: a template's resource (with its logical id) or the file itself.
pub struct Rendered {
    pub logical_id: Option<String>,
    pub verdict: Verdict,
}

/// The specs in a file: one, or each `Custom::IntegrationRole` of a
/// template, resolved with the template flags. Resources a condition
/// leaves out are noted on standard error.
pub fn specs(
    path: &str,
    text: &str,
    account: &str,
    region: &str,
    template: &TemplateValues,
) -> Result<Vec<(Option<String>, Value)>, String> {
    let failed = |e: TemplateError| format!("{path}: {e} [{}]", e.code());
    let value = template::read(text).map_err(failed)?;
    if !template::is_template(&value) {
        let props = match value.get("Properties") {
            Some(p) if value.get("Type").is_some() => p.clone(),
            _ => value,
        };
        return Ok(vec![(None, props)]);
    }
    let expanded = template::integration_resources(
        &value,
        &template::Values {
            params: &template.params,
            account,
            region,
            stack_name: &template.stack_name,
        },
    )
    .map_err(failed)?;
    for (id, condition) in &expanded.skipped {
        eprintln!(
            "note: {path}: {id} is left out: its Condition {condition} is false with these parameters"
        );
    }
    Ok(expanded
        .resources
        .into_iter()
        .map(|r| (Some(r.logical_id), r.properties))
        .collect())
}

pub fn run(opts: &RenderOptions, out: &mut String) -> Result<Outcome, String> {
    let text = read_input(&opts.spec_path)?;
    let specs = specs(
        &opts.spec_path,
        &text,
        &opts.account,
        &opts.region,
        &opts.template,
    )?;
    let mut rendered = Vec::with_capacity(specs.len());
    for (i, (logical_id, properties)) in specs.into_iter().enumerate() {
        let label = label(&opts.spec_path, logical_id.as_deref());
        // The notes say the same of every role: once is enough.
        let verdict = verdict(opts, &label, properties, i == 0)?;
        rendered.push(Rendered {
            logical_id,
            verdict,
        });
    }
    let label_of = |r: &Rendered| label(&opts.spec_path, r.logical_id.as_deref());
    for r in &rendered {
        match &r.verdict {
            Verdict::Create { findings, .. } => {
                let prefix = r
                    .logical_id
                    .as_deref()
                    .map(|id| format!("{id}: "))
                    .unwrap_or_default();
                for f in findings {
                    eprintln!("lint: {prefix}{f}");
                }
            }
            Verdict::Invalid(errors) => {
                for e in errors {
                    eprintln!("rolegate: {}: {e} [{}]", label_of(r), e.code());
                }
            }
            Verdict::Refuse { .. } => {}
        }
    }
    if opts.json {
        let value = json!({
            "file": opts.spec_path,
            "roles": rendered.iter().map(rendered_json).collect::<Vec<_>>(),
        });
        outln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
        );
    } else if matches!(opts.format, RenderFormat::Markdown | RenderFormat::Text) {
        summaries(opts, &rendered, out);
    } else {
        let many = rendered.len() > 1 || rendered.iter().any(|r| r.logical_id.is_some());
        for (i, r) in rendered.iter().enumerate() {
            if many {
                if i > 0 {
                    outln!(out);
                }
                outln!(
                    out,
                    "== {} ==",
                    r.logical_id.as_deref().unwrap_or(&opts.spec_path)
                );
            }
            match &r.verdict {
                Verdict::Create {
                    role,
                    digest,
                    source,
                    ..
                } => print_text(out, role, digest, *source),
                Verdict::Refuse { code, reason } => outln!(
                    out,
                    "{}: the provisioner would refuse this spec and create nothing [{code}]\n  Reason: {reason}",
                    label_of(r)
                ),
                Verdict::Invalid(errors) => outln!(
                    out,
                    "{}: the spec is not valid ({} error(s), on standard error)",
                    label_of(r),
                    errors.len()
                ),
            }
        }
    }
    Ok(outcome(&rendered))
}

/// `--format markdown|text`: the reviewer's summary of the roles the
/// provisioner would create ([`crate::format`]); a spec it would refuse is
/// said on standard error (an invalid one already is).
fn summaries(opts: &RenderOptions, rendered: &[Rendered], out: &mut String) {
    let partition = Partition::of_region(&opts.region);
    let mut roles = Vec::with_capacity(rendered.len());
    for r in rendered {
        match &r.verdict {
            Verdict::Create {
                role,
                digest,
                source,
                ..
            } => roles.push(format::RenderedRole {
                role,
                logical_id: r.logical_id.as_deref(),
                partition,
                account: &opts.account,
                digest,
                boundary_source: source.as_str(),
            }),
            Verdict::Refuse { code, reason } => eprintln!(
                "rolegate: {}: the provisioner would refuse this spec and create nothing: {reason} [{code}]",
                label(&opts.spec_path, r.logical_id.as_deref())
            ),
            Verdict::Invalid(_) => {}
        }
    }
    match opts.format {
        RenderFormat::Markdown => out.push_str(&format::markdown::markdown(&roles)),
        _ => out.push_str(&format::text::render_text(
            &roles,
            format::text::Style::detect(),
        )),
    }
}

/// Bad input anywhere is exit 2; else a refusal or a lint error is 1.
fn outcome(rendered: &[Rendered]) -> Outcome {
    let mut outcome = Outcome::Clean;
    for r in rendered {
        match &r.verdict {
            Verdict::Invalid(_) => return Outcome::BadInput,
            Verdict::Refuse { .. } => outcome = Outcome::Findings,
            Verdict::Create { findings, .. } => {
                if matches!(crate::lint::outcome(findings), Outcome::Findings) {
                    outcome = Outcome::Findings;
                }
            }
        }
    }
    outcome
}

/// `file` or `file: LogicalId`, how messages name a spec.
pub fn label(path: &str, logical_id: Option<&str>) -> String {
    match logical_id {
        Some(id) => format!("{path}: {id}"),
        None => path.to_owned(),
    }
}

/// One role in `render --json`'s camelCase envelope; `role` keeps the
/// `AWS::IAM::Role` properties under IAM's own names, since it is one.
fn rendered_json(r: &Rendered) -> Value {
    let mut v = match &r.verdict {
        Verdict::Create {
            role,
            digest,
            source,
            findings,
        } => json!({
            "verdict": "create",
            "proof": "holds",
            "permissionsBoundary": {
                "arn": role.permissions_boundary_arn,
                "source": source.as_str(),
            },
            "policyDigest": digest,
            "findings": findings.iter().map(Finding::to_value).collect::<Vec<_>>(),
            "role": role.to_value(),
        }),
        Verdict::Refuse { code, reason } => json!({
            "verdict": "refuse",
            "code": code,
            "reason": reason,
        }),
        Verdict::Invalid(errors) => json!({
            "verdict": "invalid",
            "errors": errors.iter().map(|e| json!({
                "code": e.code(),
                "path": e.field(),
                "message": e.to_string(),
            })).collect::<Vec<_>>(),
        }),
    };
    if let Some(obj) = v.as_object_mut() {
        obj.insert("logicalId".into(), json!(r.logical_id));
    }
    v
}

/// The provisioner's pipeline on one spec's properties; `notes` prints
/// what only a deployment knows (the boundary, the ExternalId) on standard
/// error. `Err` is input that is no spec at all.
pub fn verdict(
    opts: &RenderOptions,
    label: &str,
    properties: Value,
    notes: bool,
) -> Result<Verdict, String> {
    let properties = match properties {
        Value::Object(map) => map,
        other => {
            return Err(format!(
                "{label}: the integration spec must be an object, got {} [WRONG_TYPE]",
                rolegate_policy::document::json_type(&other)
            ));
        }
    };
    let ctx = BuildContext::new(&opts.account, &opts.region);
    let keys: Vec<String> = properties.keys().cloned().collect();
    let properties = Value::Object(properties);
    let spec = match parse_all(&properties) {
        Ok(spec) => spec,
        Err(errors) => {
            let unknown = |k: &String| {
                errors
                    .iter()
                    .any(|e| matches!(e, SpecError::UnknownProperty { field, .. } if field == k))
            };
            if !keys.is_empty() && keys.iter().all(unknown) {
                let e = TemplateError::NotTemplateOrSpec {
                    found: format!(" (its keys: {})", keys.join(", ")),
                };
                return Err(format!("{label}: {e} [{}]", e.code()));
            }
            return Ok(Verdict::Invalid(errors));
        }
    };
    let (boundary, source) = deployment_boundary(opts, &ctx);
    let (rules, source) = boundary_rules(&spec, boundary.clone(), source, notes);
    if source == BoundarySource::Unknown && notes {
        eprintln!(
            "note: the provisioner attaches this deployment's IntegrationBoundary (template.yaml), whose ARN CloudFormation assigns at deploy time (stack output IntegrationBoundaryArn). Shown as {boundary}; pass --boundary ARN or set {BOUNDARY_VARIABLE}."
        );
    }

    // `--external-id` stands for the one an existing role hands on.
    let placeholder = || {
        if notes {
            eprintln!(
                "note: the spec has no ExternalId; the provisioner generates a random one. Shown as {EXTERNAL_ID_PLACEHOLDER}."
            );
        }
        Ok::<_, std::convert::Infallible>(EXTERNAL_ID_PLACEHOLDER.to_owned())
    };
    let owner = placeholder_owner(&ctx);
    let made = spec_to_role(
        &properties,
        spec,
        &rules,
        &ctx,
        &owner,
        opts.external_id.clone(),
        placeholder,
    );
    let PipelineOutput { role, digest, .. } = match made {
        Ok(made) => made,
        Err(PipelineError::Fill(never)) => match never {},
        Err(PipelineError::Desired(e @ DesiredError::WidensAccess { .. })) => {
            return Ok(refuse(&Refusal::Proof(e)));
        }
        Err(PipelineError::Desired(DesiredError::Rule(e))) => {
            return Ok(refuse(&Refusal::Rule(e)));
        }
        Err(PipelineError::Desired(e)) => return Err(format!("{label}: {e}")),
    };
    let findings = rolegate_policy::lint::lint_role(
        &role,
        &rolegate_policy::lint::LintOptions {
            own_account: Some(opts.account.clone()),
            ..Default::default()
        },
    );
    Ok(Verdict::Create {
        role: Box::new(role),
        digest,
        source,
        findings,
    })
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
/// provisioner applies, run by `spec_to_role`): a spec naming no boundary
/// gets the deployment's; one naming the deployment's keeps it; one naming
/// another is refused. With the deployment's ARN unknown, a spec's own
/// boundary is kept (no rule) and a note says what the provisioner will
/// check. Returns the rules and where the role's boundary comes from.
fn boundary_rules(
    spec: &IntegrationSpec,
    boundary: String,
    source: BoundarySource,
    notes: bool,
) -> (DeploymentRules, BoundarySource) {
    if source == BoundarySource::Unknown
        && let Some(given) = &spec.permissions_boundary_arn
    {
        if notes {
            eprintln!(
                "note: the spec names the boundary {given}; the provisioner refuses it unless it is this deployment's IntegrationBoundary (pass --boundary ARN to check)."
            );
        }
        return (DeploymentRules::default(), BoundarySource::Spec);
    }
    let rules = DeploymentRules {
        boundary_arn: Some(boundary),
        role_path: None,
    };
    (rules, source)
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

/// What the provisioner would answer CloudFormation (exit 1).
fn refuse(refusal: &Refusal) -> Verdict {
    Verdict::Refuse {
        code: refusal.code(),
        reason: refusal.to_string(),
    }
}

fn print_text(out: &mut String, role: &DesiredRole, digest: &str, source: BoundarySource) {
    match &role.naming {
        RoleNaming::Name(n) => outln!(out, "Role {n} at path {}", role.path),
        RoleNaming::Prefix(p) => outln!(out, "Role {p}-<random> at path {}", role.path),
    }
    if let Some(d) = &role.description {
        outln!(out, "Description: {d}");
    }
    outln!(out, "MaxSessionDuration: {} s", role.max_session_duration);
    match &role.permissions_boundary_arn {
        Some(b) => outln!(out, "Permissions boundary: {b} (from {})", source.as_str()),
        None => outln!(out, "Permissions boundary: none"),
    }
    outln!(
        out,
        "Least-privilege proof: holds (the role allows nothing the spec does not ask for); the provisioner would create it"
    );
    outln!(
        out,
        "\nTrust policy:\n{}",
        role.trust_policy.to_json_pretty()
    );
    for (name, doc) in &role.inline_policies {
        outln!(out, "\nInline policy {name}:\n{}", doc.to_json_pretty());
    }
    outln!(out, "\nTags:");
    for (k, v) in &role.tags {
        outln!(out, "  {k} = {v}");
    }
    outln!(out, "\nPolicy digest: {digest}");
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
