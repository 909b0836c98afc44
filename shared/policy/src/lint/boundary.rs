//! Rules for a permissions boundary: a managed policy that caps what a role's
//! own policies can grant and never grants anything itself (IAM User Guide,
//! "Permissions boundaries for IAM entities").
//!
//! So the grant rules do not apply: `Allow *` on `*` is the usual first
//! statement of a boundary, and Deny statements narrowing it are what make it
//! a cap. What matters is what the cap leaves open: a boundary that denies
//! nothing caps nothing, and one that leaves IAM writes open lets a capped
//! role that is granted them write itself a larger policy, or delete the
//! boundary.

use super::content::ESCALATION;
use super::pattern::{Denials, statement_covers_action};
use super::{Finding, Severity, element_path};
use crate::document::{Effect, Polarity, PolicyDocument, Statement};

/// Is this the shape of a boundary rather than a grant? Every Allow applies,
/// unconditioned, to every resource and to every action or every action but
/// some (NotAction), and something is carved out of it: a Deny, or a
/// NotAction. No grant is written as "everything except"; administrator
/// access (`Allow *`, nothing denied) is a grant, and is linted as one.
pub(super) fn looks_like_boundary(doc: &PolicyDocument) -> bool {
    let statements = doc.statements();
    let mut allows = statements.iter().filter(|s| s.effect == Effect::Allow);
    let no_principal = statements.iter().all(|s| s.principal.is_none());
    let every_allow_is_everything = allows.clone().next().is_some()
        && allows.all(|s| {
            unconditioned(s)
                && on_every_resource(s)
                && match &s.action {
                    Polarity::Is(list) => list.iter().any(|a| a == "*"),
                    Polarity::Not(_) => true,
                }
        });
    let carved = statements
        .iter()
        .any(|s| s.effect == Effect::Deny || s.action.is_negated());
    no_principal && every_allow_is_everything && carved
}

pub(super) fn check_boundary(doc: &PolicyDocument, out: &mut Vec<Finding>) {
    let statements = doc.statements();
    let denies_something = statements.iter().any(|s| s.effect == Effect::Deny);
    // Only Denies that hold for every request close an action for certain:
    // a conditioned Deny closes it only while its condition holds.
    let denials = Denials::of(doc);
    for (i, s) in statements.iter().enumerate() {
        if s.effect != Effect::Allow {
            continue;
        }
        let path = element_path("", "Statement", &doc.statement, i).to_string();
        if !denies_something
            && unconditioned(s)
            && on_every_resource(s)
            && statement_covers_action(s, "*")
        {
            out.push(Finding::new(
                "BOUNDARY_CAPS_NOTHING",
                Severity::Warning,
                &path,
                format!(
                    "{path} allows every action on every resource and the boundary denies nothing, so the roles it caps keep every permission their own policies grant"
                ),
                "deny what no capped role may do (for example iam:*, organizations:*, account:*), or allow only the services the roles use",
            ));
            continue;
        }
        let open: Vec<&str> = ESCALATION
            .iter()
            .copied()
            .filter(|e| denials.allows(s, e))
            .collect();
        if !open.is_empty() {
            let key = if s.action.is_negated() {
                "NotAction"
            } else {
                "Action"
            };
            out.push(Finding::new(
                "BOUNDARY_ALLOWS_ESCALATION",
                Severity::Warning,
                format!("{path}.{key}"),
                format!(
                    "{path} leaves {} within the boundary, and no unconditioned Deny on \"*\" takes them out: a capped role granted them can raise its own permissions or remove the boundary",
                    open.join(", ")
                ),
                "add a Deny statement for these actions (or iam:*) on Resource \"*\"",
            ));
        }
    }
}

fn unconditioned(s: &Statement) -> bool {
    s.condition.as_ref().is_none_or(|c| c.is_empty())
}

/// `Resource` listing `*`. NotResource is every resource but some, so a
/// Deny with it does not close an action everywhere.
fn on_every_resource(s: &Statement) -> bool {
    matches!(&s.resource, Some(Polarity::Is(list)) if list.iter().any(|r| r == "*"))
}
