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
//! **Cost.** One comparison per Allow, each over the whole policy: a
//! 50-statement policy takes about 1.3 ms in a release build (criterion
//! `lint` bench, `docs/BENCHMARKS.md`). Above [`MAX_STATEMENTS`] statements the
//! check is skipped: lint runs on every provisioning and every drift
//! explanation, and a policy that long is reported for its size anyway.
//! Policies with a Principal (trust and resource policies) are skipped
//! too: the procedure judges identity policies.

use super::{Finding, Severity, element_path};
use crate::document::{Effect, OneOrMany, PolicyDocument, Statement};
use crate::symbolic::{Permissions, Verdict, compare};

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
        let rest: Vec<Statement> = statements
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i && kept[*j])
            .map(|(_, t)| t.clone())
            .collect();
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
