//! `rolegate lint`: findings for a policy document, or for the roles a
//! template's `Custom::IntegrationRole` resources (or one such resource)
//! would create, built by `render`'s pipeline.

use rolegate_policy::PolicyDocument;
use rolegate_policy::lint::{self, Finding, LintOptions, PolicyKind, Severity};
use serde_json::{Value, json};

use crate::cli::{LintArgs, LintFormat, RenderFormat, RenderOptions};
use crate::format::sarif::{self, Linted, LintedFile, ParseFailure};
use crate::render::{self, Verdict};
use crate::template;
use crate::{Outcome, outln, read_input};

/// The account `render` assumes when none is given.
const EXAMPLE_ACCOUNT: &str = "111122223333";

pub fn run(opts: &LintArgs, out: &mut String) -> Result<Outcome, String> {
    let text = read_input(&opts.policy_path)?;
    // A policy in JSON keeps JSON's parser and its messages; YAML, a
    // template or a resource goes through the template reader.
    let value = template::read(&text).ok();
    let is_role = value
        .as_ref()
        .is_some_and(|v| template::is_template(v) || template::integration_properties(v).is_some());
    if is_role {
        return lint_roles(opts, &text, out);
    }
    let doc = match value {
        Some(v) if !text.trim_start().starts_with('{') => PolicyDocument::from_value(&v),
        _ => PolicyDocument::parse(&text),
    };
    let doc = match doc {
        Ok(doc) => doc,
        // Code scanning gets a result saying why, and the exit code stays 2.
        Err(e) if opts.format == LintFormat::Sarif => {
            eprintln!("rolegate: {}: {e} [{}]", opts.policy_path, e.code());
            let failure = ParseFailure::of_policy(&text, &e);
            print_sarif(out, opts, &text, Linted::Unparsed(failure));
            return Ok(Outcome::BadInput);
        }
        Err(e) => return Err(format!("{}: {e} [{}]", opts.policy_path, e.code())),
    };
    let kind = opts.kind.unwrap_or_else(|| PolicyKind::detect(&doc));
    let lint_opts = LintOptions {
        own_account: opts.account.clone(),
        ..LintOptions::default()
    };
    let findings = lint::lint_policy(&doc, kind, &lint_opts);
    if opts.format == LintFormat::Sarif {
        let linted = Linted::Findings {
            kind: Some(kind),
            findings: findings.clone(),
        };
        print_sarif(out, opts, &text, linted);
    } else if opts.json {
        let value = json!({
            "file": opts.policy_path,
            "kind": kind_name(kind),
            "findings": findings.iter().map(Finding::to_value).collect::<Vec<_>>(),
            "summary": summary_json(&findings),
        });
        print_json(out, &value);
    } else {
        print_findings(out, &opts.policy_path, kind_name(kind), &findings);
    }
    Ok(outcome(&findings))
}

/// Each integration role the file describes, built as the provisioner
/// would and linted as a role; a spec that does not parse is bad input.
fn lint_roles(opts: &LintArgs, text: &str, out: &mut String) -> Result<Outcome, String> {
    let account = opts.account.as_deref().unwrap_or(EXAMPLE_ACCOUNT);
    let render_opts = RenderOptions {
        spec_path: opts.policy_path.clone(),
        account: account.to_owned(),
        region: opts.region.clone(),
        external_id: None,
        boundary: None,
        template: opts.template.clone(),
        json: opts.json,
        format: RenderFormat::Full,
    };
    let specs = render::specs(
        &opts.policy_path,
        text,
        account,
        &opts.region,
        &opts.template,
    )?;
    let mut all: Vec<(Option<String>, Finding)> = Vec::new();
    let mut bad_input = false;
    for (logical_id, properties) in specs {
        let label = render::label(&opts.policy_path, logical_id.as_deref());
        match render::verdict(&render_opts, &label, properties, false)? {
            Verdict::Create { findings, .. } => {
                all.extend(findings.into_iter().map(|f| (logical_id.clone(), f)));
            }
            Verdict::Refuse { code, reason } => {
                eprintln!(
                    "rolegate: {label}: the provisioner would refuse this spec: {reason} [{code}]"
                );
                bad_input = true;
            }
            Verdict::Invalid(errors) => {
                for e in errors {
                    eprintln!("rolegate: {label}: {e} [{}]", e.code());
                }
                bad_input = true;
            }
        }
    }
    let findings: Vec<Finding> = all.iter().map(|(_, f)| f.clone()).collect();
    if opts.format == LintFormat::Sarif {
        // A role's findings name paths in the role built, not in the file:
        // the message names the resource.
        let findings = all
            .iter()
            .map(|(id, f)| match id {
                Some(id) => Finding {
                    message: format!("{id}: {}", f.message),
                    ..f.clone()
                },
                None => f.clone(),
            })
            .collect();
        let linted = Linted::Findings {
            kind: None,
            findings,
        };
        print_sarif(out, opts, text, linted);
    } else if opts.json {
        let value = json!({
            "file": opts.policy_path,
            "kind": "role",
            "findings": all.iter().map(|(id, f)| {
                let mut v = f.to_value();
                if let (Some(obj), Some(id)) = (v.as_object_mut(), id) {
                    obj.insert("logicalId".into(), Value::from(id.as_str()));
                }
                v
            }).collect::<Vec<_>>(),
            "summary": summary_json(&findings),
        });
        print_json(out, &value);
    } else {
        for (id, f) in &all {
            let what = render::label(&opts.policy_path, id.as_deref());
            outln!(out, "{what}: {f}");
        }
        let (e, w, s) = counts(&findings);
        outln!(
            out,
            "{} (role): {e} error(s), {w} warning(s), {s} suggestion(s)",
            opts.policy_path
        );
    }
    if bad_input {
        return Ok(Outcome::BadInput);
    }
    Ok(outcome(&findings))
}

/// The SARIF log of this one file, URIs relative to the directory lint runs in.
fn print_sarif(out: &mut String, opts: &LintArgs, text: &str, outcome: Linted) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let file = LintedFile {
        path: &opts.policy_path,
        text,
        outcome,
    };
    print_json(out, &sarif::sarif(&[file], &cwd));
}

fn print_json(out: &mut String, value: &Value) {
    outln!(
        out,
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

pub fn outcome(findings: &[Finding]) -> Outcome {
    if lint::has_errors(findings) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

pub fn print_findings(out: &mut String, what: &str, kind: &str, findings: &[Finding]) {
    for f in findings {
        outln!(out, "{what}: {f}");
    }
    let (e, w, s) = counts(findings);
    outln!(
        out,
        "{what} ({kind} policy): {e} error(s), {w} warning(s), {s} suggestion(s)"
    );
}

pub fn kind_name(kind: PolicyKind) -> &'static str {
    kind.as_str()
}

fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    (
        n(Severity::Error),
        n(Severity::Warning),
        n(Severity::Suggestion),
    )
}

fn summary_json(findings: &[Finding]) -> Value {
    let (e, w, s) = counts(findings);
    json!({"errors": e, "warnings": w, "suggestions": s})
}
