//! `rolegate lint`: findings for a policy document.

use rolegate_policy::PolicyDocument;
use rolegate_policy::lint::{self, Finding, LintOptions, PolicyKind, Severity};
use serde_json::json;

use crate::args::LintArgs;
use crate::{Outcome, read_input};

pub fn run(opts: &LintArgs) -> Result<Outcome, String> {
    let text = read_input(&opts.policy_path)?;
    let doc = PolicyDocument::parse(&text)
        .map_err(|e| format!("{}: {e} [{}]", opts.policy_path, e.code()))?;
    let kind = opts.kind.unwrap_or_else(|| PolicyKind::detect(&doc));
    let lint_opts = LintOptions {
        own_account: opts.account.clone(),
        ..LintOptions::default()
    };
    let findings = lint::lint_policy(&doc, kind, &lint_opts);
    if opts.json {
        let out = json!({
            "file": opts.policy_path,
            "kind": kind_name(kind),
            "findings": findings.iter().map(Finding::to_value).collect::<Vec<_>>(),
            "summary": summary_json(&findings),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).unwrap_or_else(|_| out.to_string())
        );
    } else {
        print_findings(&opts.policy_path, kind, &findings);
    }
    Ok(outcome(&findings))
}

pub fn outcome(findings: &[Finding]) -> Outcome {
    if lint::has_errors(findings) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

pub fn print_findings(what: &str, kind: PolicyKind, findings: &[Finding]) {
    for f in findings {
        println!("{what}: {f}");
    }
    let (e, w, s) = counts(findings);
    println!(
        "{what} ({} policy): {e} error(s), {w} warning(s), {s} suggestion(s)",
        kind_name(kind)
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

fn summary_json(findings: &[Finding]) -> serde_json::Value {
    let (e, w, s) = counts(findings);
    json!({"errors": e, "warnings": w, "suggestions": s})
}
