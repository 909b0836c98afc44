//! A statement that makes another statement's condition pointless.
//!
//! IAM allows a request when any Allow statement matches it. A condition on
//! one Allow therefore limits nothing if another Allow grants the same
//! actions, on the same resources, to the same principals, with no condition
//! at all. Apperate's published policy (seed 001) does exactly that: its
//! `s3:ListBucket` limited by `s3:prefix` sits beside an unconditioned
//! `s3:ListBucket` on the same bucket. The author meant the condition to
//! matter; the finding says it does not.

use super::pattern::{principal_covers, statement_covers_action, statement_covers_resource};
use super::{Finding, Severity, element_path};
use crate::document::{Effect, Polarity, PolicyDocument, Statement};

pub(super) fn check_bypassed_conditions(doc: &PolicyDocument, out: &mut Vec<Finding>) {
    let statements = doc.statements();
    // The unconditioned Allows, found once: most policies the builders emit
    // have none beside a conditioned one, and lint runs on every provisioning.
    let open_allows: Vec<(usize, &Statement)> = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.effect == Effect::Allow && unconditioned(s))
        .collect();
    if open_allows.is_empty() {
        return;
    }
    let path = |i: usize| element_path("", "Statement", &doc.statement, i).to_string();
    for (i, limited) in statements.iter().enumerate() {
        if limited.effect != Effect::Allow || unconditioned(limited) {
            continue;
        }
        for &(j, open) in &open_allows {
            if !principal_covers(open, limited) || !covers_resources(open, limited) {
                continue;
            }
            let Some(actions) = covered_actions(open, limited) else {
                continue;
            };
            let (lpath, opath) = (path(i), path(j));
            out.push(Finding::new(
                "CONDITION_BYPASSED",
                Severity::Warning,
                &opath,
                format!(
                    "{opath} allows {actions} on {} with no condition, so the condition of {lpath} ({}) never limits it",
                    resources(limited),
                    conditions(limited)
                ),
                format!(
                    "remove {actions} from {opath}, or give {opath} the condition of {lpath}"
                ),
            ));
        }
    }
}

fn unconditioned(s: &Statement) -> bool {
    s.condition.as_ref().is_none_or(|c| c.is_empty())
}

/// Does `open` apply to every resource `limited` does?
fn covers_resources(open: &Statement, limited: &Statement) -> bool {
    match &limited.resource {
        Some(Polarity::Is(list)) => list.iter().all(|r| statement_covers_resource(open, r)),
        // No Resource (a trust policy) or NotResource: only "*" covers it.
        None | Some(Polarity::Not(_)) => statement_covers_resource(open, "*"),
    }
}

/// The actions of `limited` that `open` also allows, for the message; `None`
/// when there are none.
fn covered_actions(open: &Statement, limited: &Statement) -> Option<String> {
    match &limited.action {
        Polarity::Is(list) => {
            let covered: Vec<&str> = list
                .iter()
                .filter(|a| statement_covers_action(open, a))
                .map(String::as_str)
                .collect();
            (!covered.is_empty()).then(|| covered.join(", "))
        }
        Polarity::Not(list) => statement_covers_action(open, "*")
            .then(|| format!("every action except {}", list.as_slice().join(", "))),
    }
}

fn resources(s: &Statement) -> String {
    match &s.resource {
        Some(Polarity::Is(list)) => list.as_slice().join(", "),
        Some(Polarity::Not(list)) => format!("everything except {}", list.as_slice().join(", ")),
        None => "the role".to_owned(),
    }
}

/// `StringLike s3:prefix, Bool aws:SecureTransport`.
fn conditions(s: &Statement) -> String {
    s.condition
        .iter()
        .flat_map(|block| {
            block
                .iter()
                .flat_map(|(op, keys)| keys.keys().map(move |k| format!("{op} {k}")))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
