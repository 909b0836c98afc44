//! `rolegate render`: what a spec will create, before anyone deploys it.

use rolegate_policy::spec::RoleNaming;
use rolegate_policy::{BuildContext, DesiredRole, IntegrationSpec, build};
use serde_json::Value;

use crate::args::RenderOptions;
use crate::{Outcome, read_input};

/// Stands in for the ExternalId the provisioner generates at deploy time.
const EXTERNAL_ID_PLACEHOLDER: &str = "GENERATED-AT-PROVISIONING";

pub fn run(opts: &RenderOptions) -> Result<Outcome, String> {
    let text = read_input(&opts.spec_path)?;
    let mut spec = parse_spec(&text).map_err(|e| format!("{}: {e}", opts.spec_path))?;
    if rolegate_policy::build::needs_external_id(&spec) && spec.external_id.is_none() {
        let id = opts
            .external_id
            .clone()
            .unwrap_or_else(|| EXTERNAL_ID_PLACEHOLDER.to_owned());
        if opts.external_id.is_none() {
            eprintln!(
                "note: the spec has no ExternalId; the provisioner generates a random one. Shown as {EXTERNAL_ID_PLACEHOLDER}."
            );
        }
        spec.external_id = Some(id);
    }
    let ctx = BuildContext::new(&opts.account, &opts.region);
    let role = build(&spec, &ctx).map_err(|e| format!("{}: {e}", opts.spec_path))?;
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
            digest: String,
        }
        let rendered = Rendered {
            role: &role,
            digest: role.digest(),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&rendered).unwrap_or_default()
        );
    } else {
        print_text(&role);
    }
    Ok(crate::lint::outcome(&findings))
}

/// Accepts the bare properties or a whole `Custom::IntegrationRole` resource.
pub fn parse_spec(text: &str) -> Result<IntegrationSpec, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let props = match value.get("Properties") {
        Some(p) if value.get("Type").is_some() => p,
        _ => &value,
    };
    IntegrationSpec::from_properties(props).map_err(|e| format!("{e} [{}]", e.code()))
}

fn print_text(role: &DesiredRole) {
    match &role.naming {
        RoleNaming::Name(n) => println!("Role {n} at path {}", role.path),
        RoleNaming::Prefix(p) => println!("Role {p}-<random> at path {}", role.path),
    }
    if let Some(d) = &role.description {
        println!("Description: {d}");
    }
    println!("MaxSessionDuration: {} s", role.max_session_duration);
    match &role.permissions_boundary_arn {
        Some(b) => println!("Permissions boundary: {b}"),
        None => println!("Permissions boundary: none"),
    }
    println!("\nTrust policy:\n{}", role.trust_policy.to_json_pretty());
    for (name, doc) in &role.inline_policies {
        println!("\nInline policy {name}:\n{}", doc.to_json_pretty());
    }
    println!("\nTags:");
    for (k, v) in &role.tags {
        println!("  {k} = {v}");
    }
    println!("\nPolicy digest: {}", role.digest());
}
