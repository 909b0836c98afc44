//! What a statement covers, read the way IAM reads it: `Action` lists what it
//! applies to, `NotAction` everything else. Every lint rule that asks "does
//! this statement allow X?" asks here, so that a `NotAction` exclusion is
//! honoured by all of them (a boundary that allows everything but `iam:*`
//! does not allow `iam:PassRole`).

use crate::document::{Effect, Polarity, PolicyDocument, Principal, Statement};
use crate::glob::{self, Case};

/// Does the action pattern `pattern` cover the action (or action pattern)
/// `action`? Case-insensitive, as IAM compares actions; a wildcard of
/// `action` is covered only by a `*` (`glob::covers`), so the answer is
/// sound for pattern-against-pattern questions.
pub(crate) fn action_covers(pattern: &str, action: &str) -> bool {
    glob::covers(pattern, action, Case::Insensitive)
}

/// Could the action patterns `a` and `b` match a common action? Used for a
/// `NotAction` exclusion: an action pattern is outside it only if they cannot.
fn actions_overlap(a: &str, b: &str) -> bool {
    action_covers(a, b) || action_covers(b, a)
}

/// Does the statement apply to every action `action` stands for?
/// With `Action`, some listed pattern must cover it; with `NotAction`, no
/// listed exclusion may touch it.
pub(crate) fn statement_covers_action(s: &Statement, action: &str) -> bool {
    match &s.action {
        Polarity::Is(list) => list.iter().any(|p| action_covers(p, action)),
        Polarity::Not(list) => !list.iter().any(|p| actions_overlap(p, action)),
    }
}

/// Does `outer`'s principal include everyone `inner`'s names? Both absent
/// (identity policies) counts as the same principal; `NotPrincipal` on either
/// side is never treated as covering.
pub(crate) fn principal_covers(outer: &Statement, inner: &Statement) -> bool {
    match (&outer.principal, &inner.principal) {
        (None, None) => true,
        (Some(Polarity::Is(o)), Some(Polarity::Is(i))) => {
            o.is_anyone()
                || match (o, i) {
                    (Principal::Typed(_), Principal::Typed(_)) => {
                        i.entries().all(|e| o.entries().any(|x| x == e))
                    }
                    _ => false,
                }
        }
        _ => false,
    }
}

/// The Deny statements of one document that hold for every request: no
/// condition, every resource, and no principal narrower than everyone. An
/// action they cover is out of every Allow of the same document, whatever
/// that Allow says; a conditioned or narrower Deny takes it out only
/// sometimes, so it is not counted.
pub(crate) struct Denials<'a>(Vec<&'a Statement>);

impl<'a> Denials<'a> {
    pub(crate) fn of(doc: &'a PolicyDocument) -> Self {
        Denials(
            doc.statements()
                .iter()
                .filter(|s| {
                    s.effect == Effect::Deny
                        && s.condition.as_ref().is_none_or(|c| c.is_empty())
                        && match &s.resource {
                            None => true,
                            Some(Polarity::Is(list)) => list.iter().any(|r| r == "*"),
                            Some(Polarity::Not(_)) => false,
                        }
                        && match &s.principal {
                            None => true,
                            Some(Polarity::Is(p)) => p.is_anyone(),
                            Some(Polarity::Not(_)) => false,
                        }
                })
                .collect(),
        )
    }

    /// Is every action `action` stands for denied outright?
    pub(crate) fn deny(&self, action: &str) -> bool {
        self.0.iter().any(|d| statement_covers_action(d, action))
    }

    /// Is `action` covered by `s` and not denied outright?
    pub(crate) fn allows(&self, s: &Statement, action: &str) -> bool {
        statement_covers_action(s, action) && !self.deny(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_patterns_cover_case_insensitively() {
        assert!(action_covers("*", "iam:PassRole"));
        assert!(action_covers("iam:*", "IAM:passrole"));
        assert!(action_covers("iam:Pass*", "iam:PassRole"));
        assert!(action_covers("s3:*", "s3:Get*"));
        assert!(action_covers("s3:Get*", "s3:GetObject*"));
        assert!(!action_covers("s3:GetObject", "s3:Get*"));
        assert!(!action_covers("s3:Get?bject", "s3:Get*"));
        assert!(action_covers("s3:Get?bject", "s3:GetObject"));
        assert!(!action_covers("iam:*", "sts:AssumeRole"));
        assert!(!action_covers("", "s3:GetObject"));
        assert!(action_covers("**", ""));
    }

    #[test]
    fn a_hostile_pattern_is_decided_without_recursion() {
        let pattern = "*a".repeat(300);
        let text = "a".repeat(1_000) + "b";
        assert!(!action_covers(&pattern, &text));
    }
}
