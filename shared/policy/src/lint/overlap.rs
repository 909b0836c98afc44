//! A statement that makes another statement's condition pointless.
//!
//! IAM allows a request when any Allow statement matches it. A condition on
//! one Allow therefore limits nothing if another Allow grants the same
//! actions, on the same resources, to the same principals, with no condition
//! at all. Apperate's published policy (seed 001) does exactly that: its
//! `s3:ListBucket` limited by `s3:prefix` sits beside an unconditioned
//! `s3:ListBucket` on the same bucket. The author meant the condition to
//! matter; the finding says it does not.
//!
//! Whether the unconditioned Allow covers the conditioned one is decided by
//! the symbolic procedure (`crate::symbolic::compare`): the conditioned
//! statement, its condition dropped, adds nothing to the unconditioned one
//! (for each of its actions: the finding names those covered). Principals
//! are compared by pattern first (`principal_covers`) and then left out, as
//! the procedure judges identity policies. An answer of unknown reports
//! nothing.

use super::pattern::principal_covers;
use super::{Finding, Severity, element_path};
use crate::document::{Effect, OneOrMany, Polarity, PolicyDocument, Statement};
use crate::symbolic::{Permissions, Verdict, compare};

/// Reports each conditioned Allow whose condition an unconditioned Allow
/// makes pointless; returns the indices of those conditioned statements.
pub(super) fn check_bypassed_conditions(
    doc: &PolicyDocument,
    out: &mut Vec<Finding>,
) -> Vec<usize> {
    let mut bypassed = Vec::new();
    let statements = doc.statements();
    // The unconditioned Allows, found once: most policies the builders emit
    // have none beside a conditioned one, and lint runs on every provisioning.
    let open_allows: Vec<(usize, &Statement)> = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.effect == Effect::Allow && unconditioned(s))
        .collect();
    if open_allows.is_empty() {
        return bypassed;
    }
    let path = |i: usize| element_path("", "Statement", &doc.statement, i).to_string();
    for (i, limited) in statements.iter().enumerate() {
        if limited.effect != Effect::Allow || unconditioned(limited) {
            continue;
        }
        for &(j, open) in &open_allows {
            if !principal_covers(open, limited) || !super::redundant::may_overlap(open, limited) {
                continue;
            }
            let Some(actions) = covered_actions(doc, open, limited) else {
                continue;
            };
            bypassed.push(i);
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
    bypassed
}

fn unconditioned(s: &Statement) -> bool {
    s.condition.as_ref().is_none_or(|c| c.is_empty())
}

/// `s` without its Sid, Principal and (when `bare`) Condition, alone in a
/// document of `doc`'s version (which decides whether policy variables
/// are read).
fn alone(doc: &PolicyDocument, s: &Statement, bare: bool) -> PolicyDocument {
    let mut s = s.clone();
    s.sid = None;
    s.principal = None;
    if bare {
        s.condition = None;
    }
    PolicyDocument {
        version: doc.version.clone(),
        id: None,
        statement: OneOrMany::from_vec(vec![s]),
    }
}

/// Does `candidate` allow nothing `baseline` does not? Unknown is no.
fn adds_nothing(baseline: &PolicyDocument, candidate: &PolicyDocument) -> bool {
    let (b, c) = ([baseline], [candidate]);
    let side = |identity| Permissions {
        identity,
        boundary: None,
    };
    compare(&side(&b), &side(&c)) == Verdict::NoNewAccess
}

/// The actions of `limited` whose every request, its condition dropped,
/// `open` also allows, for the message; `None` when there are none.
fn covered_actions(doc: &PolicyDocument, open: &Statement, limited: &Statement) -> Option<String> {
    let baseline = alone(doc, open, false);
    match &limited.action {
        Polarity::Is(list) => {
            let covered: Vec<&str> = list
                .iter()
                .filter(|a| {
                    let mut one = limited.clone();
                    one.action = Polarity::Is(OneOrMany::from_vec(vec![(*a).clone()]));
                    adds_nothing(&baseline, &alone(doc, &one, true))
                })
                .map(String::as_str)
                .collect();
            (!covered.is_empty()).then(|| covered.join(", "))
        }
        Polarity::Not(list) => adds_nothing(&baseline, &alone(doc, limited, true))
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
