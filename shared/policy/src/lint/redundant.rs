//! A statement made pointless by the others: an Allow whose every request
//! the rest of the policy already allows (or denies), so removing it
//! changes nothing. Decided by the symbolic procedure
//! (`crate::symbolic::compare`): the policy without the statement against
//! the policy with it, "no new access" meaning the statement adds nothing.
//!
//! Statements are taken in order, and one found redundant is left out of
//! the rest for the next: of two identical statements, only the first is
//! reported (removing it leaves the second). A conditioned statement whose
//! condition an unconditioned one bypasses is already `CONDITION_BYPASSED`,
//! which says more, and is not reported again.
//!
//! **Cost.** One comparison per Allow, each holding only the statements a
//! request of that Allow could also match ([`may_overlap`]): lint of a
//! 50-statement policy in the builders' shapes takes 1.55 ms in a release
//! build, 1.95 ms with one statement redundant, 2.1 ms at 60 statements
//! (criterion `lint` bench, `docs/BENCHMARKS.md`; 110 ms before the
//! overlap test). Above [`MAX_STATEMENTS`] (60) statements the check is
//! skipped: lint runs on every provisioning and every drift explanation.
//! Policies with a Principal (trust and resource policies) are skipped
//! too: the procedure judges identity policies.

use super::{Finding, Severity, element_path};
use crate::document::{Effect, OneOrMany, Polarity, PolicyDocument, Statement};
use crate::glob::{self, Case};
use crate::symbolic::{Permissions, Verdict, compare};

/// Could some request match both statements? A cheap necessary test, so
/// that a comparison only holds the statements that can matter: two
/// patterns can match a common text only if one's literal prefix (before
/// its first wildcard) starts the other's, and likewise for the literal
/// suffixes; a literal must be matched by the other pattern. A `NotAction`
/// or `NotResource` may match anything. Conditions are not looked at.
pub(super) fn may_overlap(a: &Statement, b: &Statement) -> bool {
    let actions = |s: &Statement| match &s.action {
        Polarity::Is(list) => Some(list.as_slice().to_vec()),
        Polarity::Not(_) => None,
    };
    let resources = |s: &Statement| match &s.resource {
        Some(Polarity::Is(list)) => Some(list.as_slice().to_vec()),
        _ => None,
    };
    lists_overlap(actions(a), actions(b), Case::Insensitive)
        && lists_overlap(resources(a), resources(b), Case::Sensitive)
}

fn lists_overlap(a: Option<Vec<String>>, b: Option<Vec<String>>, case: Case) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a
            .iter()
            .any(|x| b.iter().any(|y| patterns_may_overlap(x, y, case))),
        _ => true,
    }
}

fn patterns_may_overlap(a: &str, b: &str, case: Case) -> bool {
    let wild = |c: char| c == '*' || c == '?';
    let fold = |t: &str| match case {
        Case::Insensitive => t.to_ascii_lowercase(),
        _ => t.to_owned(),
    };
    // A policy variable stands for text we cannot see: anything may match.
    if a.contains("${") || b.contains("${") {
        return true;
    }
    if !a.contains(wild) {
        return glob::covers(b, a, case);
    }
    if !b.contains(wild) {
        return glob::covers(a, b, case);
    }
    let (a, b) = (fold(a), fold(b));
    let prefix = |t: &str| t.split(wild).next().unwrap_or("").to_owned();
    let suffix = |t: &str| t.rsplit(wild).next().unwrap_or("").to_owned();
    let (pa, pb, sa, sb) = (prefix(&a), prefix(&b), suffix(&a), suffix(&b));
    (pa.starts_with(&pb) || pb.starts_with(&pa)) && (sa.ends_with(&sb) || sb.ends_with(&sa))
}

/// Above this many statements, the redundancy check is skipped.
pub const MAX_STATEMENTS: usize = 60;

pub(super) fn check_redundant_statements(
    doc: &PolicyDocument,
    already_reported: &[usize],
    out: &mut Vec<Finding>,
) {
    let statements = doc.statements();
    let n = statements.len();
    if !(2..=MAX_STATEMENTS).contains(&n) || statements.iter().any(|s| s.principal.is_some()) {
        return;
    }
    let mut kept = vec![true; n];
    for (i, s) in statements.iter().enumerate() {
        if s.effect != Effect::Allow || already_reported.contains(&i) {
            continue;
        }
        // Only statements a request of this one could also match decide
        // whether it adds anything: the comparison holds those alone.
        let rest: Vec<Statement> = statements
            .iter()
            .enumerate()
            .filter(|(j, t)| *j != i && kept[*j] && may_overlap(s, t))
            .map(|(_, t)| t.clone())
            .collect();
        if rest.is_empty() {
            continue;
        }
        let mut with = rest.clone();
        with.push(s.clone());
        let document = |statements: Vec<Statement>| PolicyDocument {
            version: doc.version.clone(),
            id: None,
            statement: OneOrMany::from_vec(statements),
        };
        let (without, with) = (document(rest), document(with));
        let (b, c) = ([&without], [&with]);
        let verdict = compare(
            &Permissions {
                identity: &b,
                boundary: None,
            },
            &Permissions {
                identity: &c,
                boundary: None,
            },
        );
        if verdict != Verdict::NoNewAccess {
            continue;
        }
        kept[i] = false;
        let path = element_path("", "Statement", &doc.statement, i).to_string();
        out.push(Finding::new(
            "REDUNDANT_STATEMENT",
            Severity::Warning,
            &path,
            format!(
                "{path} allows nothing the rest of the policy does not already allow or deny: removing it changes no decision"
            ),
            format!("remove {path}, or narrow the statements that cover it if it was meant to be the only grant"),
        ));
    }
}
