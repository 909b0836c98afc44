//! Lint: findings about a policy or a whole role, each with a stable code.
//!
//! The builders never emit a policy that fails lint at error level (the
//! property tests hold them to that), so lint is mostly for what arrives from
//! elsewhere: a live role the guard reads back, or a policy a reviewer pastes
//! into `rolegate lint`.

mod boundary;
mod condition;
mod content;
mod overlap;
mod pattern;
mod redundant;
mod resource;
mod trust;

use std::fmt;
use std::str::FromStr;

/// Above this many statements a policy is not checked for
/// `REDUNDANT_STATEMENT` (one symbolic comparison per Allow).
pub use redundant::MAX_STATEMENTS as MAX_REDUNDANCY_STATEMENTS;

use serde_json::{Value, json};

use crate::build::DesiredRole;
use crate::document::{OneOrMany, PolicyDocument};
use crate::limits::{self, Quotas, Violation};
use crate::spec::RoleNaming;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Suggestion,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

/// One problem, located by a JSON path such as `Statement[2].Action[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub path: String,
    pub message: String,
    pub fix: String,
}

impl Finding {
    pub fn new(
        code: &'static str,
        severity: Severity,
        path: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            severity,
            path: path.into(),
            message: message.into(),
            fix: fix.into(),
        }
    }

    fn from_violation(v: &Violation, path: impl Into<String>) -> Self {
        Finding::new(v.code(), Severity::Error, path, v.to_string(), v.fix_hint())
    }

    pub fn to_value(&self) -> Value {
        json!({
            "code": self.code,
            "severity": self.severity.as_str(),
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
        })
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} at {}: {} (fix: {})",
            self.severity.as_str(),
            self.code,
            if self.path.is_empty() {
                "policy"
            } else {
                &self.path
            },
            self.message,
            self.fix
        )
    }
}

/// What a policy document is used as; it decides which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// An inline identity policy.
    Identity,
    /// A customer managed policy attached to grant permissions.
    Managed,
    /// A managed policy attached as a permissions boundary. It caps what
    /// the role's own policies can grant and grants nothing itself, so the
    /// grant rules (wildcards, escalation) do not apply to its Allow
    /// statements; what it leaves open does.
    Boundary,
    /// A role trust policy (`AssumeRolePolicyDocument`).
    Trust,
    /// Another resource-based policy (bucket, queue, topic).
    Resource,
}

/// A policy kind name that is none of [`PolicyKind::as_str`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy kind {0:?}: expected identity, managed, boundary, trust or resource")]
pub struct UnknownPolicyKind(pub String);

impl PolicyKind {
    /// The name the CLI and JSON output use.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Managed => "managed",
            PolicyKind::Boundary => "boundary",
            PolicyKind::Trust => "trust",
            PolicyKind::Resource => "resource",
        }
    }

    /// Guesses the kind: statements with a principal make a resource policy,
    /// and one that allows `sts:AssumeRole*` makes a trust policy. Without a
    /// principal, a document that allows everything except what it carves
    /// out (Deny statements, NotAction) is a permissions boundary; any other
    /// is an identity policy. The guess errs towards the grant kinds, whose
    /// rules are stricter: administrator access (nothing carved out) stays
    /// an identity policy.
    pub fn detect(doc: &PolicyDocument) -> PolicyKind {
        let with_principal = doc.statements().iter().any(|s| s.principal.is_some());
        if !with_principal {
            return if boundary::looks_like_boundary(doc) {
                PolicyKind::Boundary
            } else {
                PolicyKind::Identity
            };
        }
        let assumes = doc.statements().iter().any(|s| {
            s.action
                .value()
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("sts:assumerole"))
        });
        if assumes {
            PolicyKind::Trust
        } else {
            PolicyKind::Resource
        }
    }
}

impl FromStr for PolicyKind {
    type Err = UnknownPolicyKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            PolicyKind::Identity,
            PolicyKind::Managed,
            PolicyKind::Boundary,
            PolicyKind::Trust,
            PolicyKind::Resource,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| UnknownPolicyKind(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LintOptions {
    pub quotas: Quotas,
    /// The account that owns the role; principals elsewhere are third parties.
    pub own_account: Option<String>,
}

/// Findings for one policy document used as `kind`, most severe first.
pub fn lint_policy(doc: &PolicyDocument, kind: PolicyKind, opts: &LintOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    content::check_document(doc, kind, &mut out);
    let bypassed = overlap::check_bypassed_conditions(doc, &mut out);
    if matches!(
        kind,
        PolicyKind::Identity | PolicyKind::Managed | PolicyKind::Boundary
    ) {
        redundant::check_redundant_statements(doc, &bypassed, &mut out);
    }
    match kind {
        PolicyKind::Trust => {
            trust::check_trust(doc, opts, &mut out);
            if let Err(v) = limits::check_trust_policy_size(&doc.to_json(), &opts.quotas) {
                out.push(Finding::from_violation(&v, ""));
            }
        }
        PolicyKind::Managed | PolicyKind::Boundary => {
            if kind == PolicyKind::Boundary {
                boundary::check_boundary(doc, &mut out);
            } else if boundary::looks_like_boundary(doc) {
                out.push(Finding::new(
                    "BOUNDARY_SHAPED",
                    Severity::Suggestion,
                    "",
                    "the policy allows every action on every resource except what it carves out, the shape of a permissions boundary; a boundary caps a role and grants nothing",
                    "if it is attached as a permissions boundary, lint it as one (rolegate lint --kind boundary)",
                ));
            }
            if let Err(v) = limits::check_managed_policy_size(doc.size(), &opts.quotas) {
                out.push(Finding::from_violation(&v, ""));
            }
        }
        PolicyKind::Resource => resource::check_public(doc, &mut out),
        PolicyKind::Identity => {}
    }
    sort(&mut out);
    out
}

/// Findings for a whole role: names, quotas, tags, the trust policy and every
/// inline policy (paths prefixed with `AssumeRolePolicyDocument.` or
/// `Policies.<name>.`).
pub fn lint_role(role: &DesiredRole, opts: &LintOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut check = |result: Result<(), Violation>, path: &str| {
        if let Err(v) = result {
            out.push(Finding::from_violation(&v, path));
        }
    };
    match &role.naming {
        RoleNaming::Name(n) => check(
            limits::check_role_name(n, limits::ROLE_NAME_MAX),
            "RoleName",
        ),
        RoleNaming::Prefix(p) => check(
            limits::check_role_name(p, limits::ROLE_NAME_PREFIX_MAX),
            "RoleNamePrefix",
        ),
    }
    check(limits::check_path(&role.path), "Path");
    if let Some(d) = &role.description {
        check(limits::check_description(d), "Description");
    }
    check(
        limits::check_session_duration(u64::from(role.max_session_duration)),
        "MaxSessionDuration",
    );
    check(
        limits::check_tag_count(role.tags.len(), limits::TAGS_MAX),
        "Tags",
    );
    for (k, v) in &role.tags {
        check(limits::check_tag(k, v), &format!("Tags.{k}"));
    }
    check(
        limits::check_inline_policies_size(
            role.inline_policies.values().map(PolicyDocument::size),
            &opts.quotas,
        ),
        "Policies",
    );

    for f in lint_policy(&role.trust_policy, PolicyKind::Trust, opts) {
        out.push(prefixed(f, "AssumeRolePolicyDocument"));
    }
    for (name, doc) in &role.inline_policies {
        let found = lint_policy(doc, PolicyKind::Identity, opts);
        if !found.is_empty() {
            let prefix = format!("Policies.{name}");
            out.extend(found.into_iter().map(|f| prefixed(f, &prefix)));
        }
    }
    sort(&mut out);
    out
}

/// True when any finding is at error level.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

fn prefixed(mut f: Finding, prefix: &str) -> Finding {
    f.path = if f.path.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}.{}", f.path)
    };
    f
}

fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| f.severity);
}

/// `Statement[2]` for an array, `Statement` for a single object. Built as a
/// string only when a finding needs it: lint runs on every provisioning.
pub(crate) struct ElementPath<'a> {
    parent: &'a str,
    name: &'a str,
    index: Option<usize>,
}

pub(crate) fn element_path<'a, T>(
    parent: &'a str,
    name: &'a str,
    shape: &OneOrMany<T>,
    i: usize,
) -> ElementPath<'a> {
    let index = match shape {
        OneOrMany::One(_) => None,
        OneOrMany::Many(_) => Some(i),
    };
    ElementPath {
        parent,
        name,
        index,
    }
}

impl fmt::Display for ElementPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.parent.is_empty() {
            write!(f, "{}.", self.parent)?;
        }
        f.write_str(self.name)?;
        match self.index {
            Some(i) => write!(f, "[{i}]"),
            None => Ok(()),
        }
    }
}

impl From<&ElementPath<'_>> for String {
    fn from(p: &ElementPath<'_>) -> String {
        p.to_string()
    }
}
