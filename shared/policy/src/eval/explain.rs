//! Decisions in words a reviewer understands.
//!
//! `sts:ExternalId` values are masked everywhere in an explanation, so one
//! can be logged or shown without leaking the secret.

use std::fmt;

use serde_json::{Value, json};

use super::condition::{CompiledCondition, Failure, Operand};
use super::request::{PrincipalKind, Request};
use super::{CompiledPolicy, Decision, Evaluation, Layer, PolicySet, evaluate};
use crate::document::Effect;

#[derive(Debug, Clone)]
pub struct Explanation {
    pub evaluation: Evaluation,
    /// The decision, then one line per reason.
    pub lines: Vec<String>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.lines.iter().enumerate() {
            if i == 0 {
                writeln!(f, "{line}")?;
            } else {
                writeln!(f, "  - {line}")?;
            }
        }
        Ok(())
    }
}

impl Explanation {
    pub fn to_json(&self) -> Value {
        let e = &self.evaluation;
        json!({
            "decision": e.decision.as_str(),
            "decided_by": e.decided_by.as_str(),
            "matched": e.matched.iter().map(|m| json!({
                "layer": m.layer.as_str(),
                "policy": &*m.policy,
                "statement": m.index,
                "sid": m.sid.as_deref(),
                "effect": m.effect.as_str(),
            })).collect::<Vec<_>>(),
            "explanation": self.lines,
        })
    }
}

pub(super) fn explain(policies: &PolicySet, req: &Request) -> Explanation {
    let evaluation = evaluate(policies, req);
    let mut lines = vec![format!(
        "{}: {} on {} by {}",
        evaluation.decision.as_str(),
        req.action,
        req.resource,
        caller(req)
    )];
    let statement_name = |layer: Layer, policy: &str, index: usize, sid: Option<&str>| {
        let sid = sid.map(|s| format!(" ({s})")).unwrap_or_default();
        format!(
            "Statement[{index}]{sid} of {} {policy:?}",
            layer.description()
        )
    };
    match evaluation.decision {
        Decision::ExplicitlyDenied => {
            if let Some(m) = evaluation.matched.iter().find(|m| m.effect == Effect::Deny) {
                lines.push(format!(
                    "explicitly denied by {}; an explicit deny overrides every allow",
                    statement_name(m.layer, &m.policy, m.index, m.sid.as_deref())
                ));
            }
        }
        Decision::Allowed => {
            for m in evaluation
                .matched
                .iter()
                .filter(|m| m.effect == Effect::Allow)
            {
                lines.push(format!(
                    "allowed by {}",
                    statement_name(m.layer, &m.policy, m.index, m.sid.as_deref())
                ));
            }
            if req.is_cross_account() {
                lines.push(format!(
                    "cross-account request (principal in {}, resource in {}): both the identity side and the resource policy allow it",
                    req.principal_account,
                    req.resource_account()
                ));
            }
        }
        Decision::ImplicitlyDenied => {
            let layer = evaluation.decided_by;
            lines.push(match layer {
                Layer::ResourcePolicy if !req.has_account() => format!(
                    "{} has no identity-based policies: only a resource-based policy can allow it, and none allows {} on {}",
                    caller(req),
                    req.action,
                    req.resource
                ),
                Layer::ResourcePolicy if super::resource_policy_must_allow(policies, req) => format!(
                    "a role trust policy or KMS key policy must itself allow {} (by name, or by naming its account); identity-based policies alone never allow {}",
                    caller(req),
                    req.action
                ),
                Layer::ResourcePolicy if req.is_cross_account() => format!(
                    "cross-account request (principal in {}, resource in {}): no resource-based policy statement allows it",
                    req.principal_account,
                    req.resource_account()
                ),
                Layer::Scp | Layer::Rcp => format!(
                    "a {} does not allow {}; every level of the organization must allow it",
                    layer.description(),
                    req.action
                ),
                _ => format!(
                    "no statement in the {} allows {} on {} (implicit deny)",
                    layer.description(),
                    req.action,
                    req.resource
                ),
            });
            for (l, policy) in policies.layers().filter(|(l, _)| *l == layer) {
                near_misses(l, policy, req, &mut lines);
            }
        }
    }
    Explanation { evaluation, lines }
}

/// The caller in words: its ARN, or what kind of caller it is.
fn caller(req: &Request) -> String {
    match &req.principal_kind {
        PrincipalKind::Service(name) => format!("the service principal {name}"),
        PrincipalKind::Federated(provider) => format!("a federated user of {provider}"),
        _ if req.principal_arn.is_empty() => "an anonymous caller".to_owned(),
        _ => req.principal_arn.clone(),
    }
}

/// Statements that would have applied but for one element: the reasons a
/// reviewer wants to read.
fn near_misses(layer: Layer, policy: &CompiledPolicy, req: &Request, lines: &mut Vec<String>) {
    for s in &policy.statements {
        if s.effect != Effect::Allow || !s.action_matches(req) {
            continue;
        }
        let name = format!(
            "Statement[{}]{} of {} {:?}",
            s.index,
            s.sid
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            layer.description(),
            &*policy.label
        );
        if let Some((negated, patterns)) = &s.principal {
            let named = patterns.iter().any(|p| p.matches(req).is_some());
            if named == *negated {
                lines.push(format!(
                    "{name} does not name principal {}",
                    req.principal_arn
                ));
                continue;
            }
        }
        if !s.resource_matches(req) {
            let allowed: Vec<&str> = s
                .resources
                .iter()
                .flat_map(|(_, ps)| ps.iter().map(|p| p.source()))
                .collect();
            let unresolved = s
                .resources
                .iter()
                .flat_map(|(_, ps)| ps.iter())
                .any(|p| p.unresolved(req));
            lines.push(if unresolved {
                format!(
                    "{name} is invalid for this request: a policy variable in {allowed:?} has no value in the request and no default"
                )
            } else {
                format!("{name} covers the action but only on {allowed:?}")
            });
            continue;
        }
        for c in &s.conditions {
            if let Err(failure) = c.holds(req) {
                lines.push(format!("{name}: {}", condition_failure(c, &failure, req)));
            }
        }
    }
}

fn condition_failure(c: &CompiledCondition, failure: &Failure, req: &Request) -> String {
    let secret = c.key.eq_ignore_ascii_case("sts:ExternalId");
    let show = |v: &str| if secret { mask(v) } else { format!("{v:?}") };
    let policy_values: Vec<String> = c
        .values
        .iter()
        .map(|v| match v {
            Operand::Text(p) => show(p.source()),
            Operand::Number(n) => n.to_string(),
            Operand::Date(d) => format!("{d} (epoch seconds)"),
            Operand::Cidr(ip, len) => format!("{ip}/{len}"),
            Operand::Bool(b) => b.to_string(),
            Operand::Invalid(s) => format!("{} (not valid for this operator)", show(s)),
        })
        .collect();
    let policy_values = policy_values.join(", ");
    match failure {
        Failure::UnknownOperator => format!(
            "unknown condition operator {:?}, so the statement never applies",
            c.operator_name
        ),
        Failure::UnresolvedVariable => format!(
            "condition {} {} failed: a policy variable in [{policy_values}] has no value in the request and no default, so the condition cannot match",
            c.operator_name, c.key
        ),
        Failure::MissingKey => format!(
            "condition {} {} failed: {} is missing from the request",
            c.operator_name, c.key, c.key
        ),
        Failure::NoMatch => {
            let request_values: Vec<String> = req
                .key(&c.key)
                .map(|v| v.iter().map(show).collect())
                .unwrap_or_default();
            format!(
                "condition {} {} failed: request value {} does not satisfy [{policy_values}]",
                c.operator_name,
                c.key,
                if request_values.is_empty() {
                    "(none)".to_owned()
                } else {
                    request_values.join(", ")
                }
            )
        }
    }
}

/// `"ab…"`: enough to tell two values apart in a review, not enough to use.
pub(crate) fn mask(value: &str) -> String {
    let head: String = value.chars().take(2).collect();
    format!("\"{head}…\" (masked)")
}
