//! What a statement covers, read the way IAM reads it: `Action` lists what it
//! applies to, `NotAction` everything else. Every lint rule that asks "does
//! this statement allow X?" asks here, so that a `NotAction` exclusion is
//! honoured by all of them (a boundary that allows everything but `iam:*`
//! does not allow `iam:PassRole`).

use crate::document::{Effect, Polarity, PolicyDocument, Principal, Statement};

/// Does the IAM wildcard pattern `pattern` (`*` any run, `?` one character)
/// match every string `text` stands for? `text` may itself hold wildcards:
/// they are matched only by a `*` of the pattern, so a `true` is sound for
/// pattern-against-pattern questions ("does `s3:*` cover `s3:Get*`?").
/// `fold` compares ASCII letters case-insensitively, as IAM does for actions.
fn covers_glob(pattern: &[u8], text: &[u8], fold: bool) -> bool {
    let same = |p: u8, t: u8| {
        if fold {
            p.eq_ignore_ascii_case(&t)
        } else {
            p == t
        }
    };
    let is_wild = |c: u8| c == b'*' || c == b'?';
    // Iterative glob with single-star backtracking: linear in practice, and
    // never recursive, so a hostile pattern cannot exhaust the stack.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(b'?') if !is_wild(text[t]) => {
                p += 1;
                t += 1;
            }
            Some(&c) if !is_wild(c) && !is_wild(text[t]) && same(c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Does the action pattern `pattern` cover the action (or action pattern) `action`?
pub(crate) fn action_covers(pattern: &str, action: &str) -> bool {
    covers_glob(pattern.as_bytes(), action.as_bytes(), true)
}

/// Could the action patterns `a` and `b` match a common action? Used for a
/// `NotAction` exclusion: an action pattern is outside it only if they cannot.
fn actions_overlap(a: &str, b: &str) -> bool {
    action_covers(a, b) || action_covers(b, a)
}

/// Does the resource pattern `pattern` cover the resource (or pattern) `resource`?
/// Case-sensitive, as ARNs are.
pub(crate) fn resource_covers(pattern: &str, resource: &str) -> bool {
    covers_glob(pattern.as_bytes(), resource.as_bytes(), false)
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

/// Does the statement apply to every resource `resource` stands for? A
/// statement with no `Resource` (a trust policy's) applies to its one resource.
pub(crate) fn statement_covers_resource(s: &Statement, resource: &str) -> bool {
    match &s.resource {
        None => true,
        Some(Polarity::Is(list)) => list.iter().any(|p| resource_covers(p, resource)),
        Some(Polarity::Not(list)) => !list
            .iter()
            .any(|p| resource_covers(p, resource) || resource_covers(resource, p)),
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
    fn resource_patterns_are_case_sensitive() {
        assert!(resource_covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/x*"));
        assert!(!resource_covers("arn:aws:s3:::B/*", "arn:aws:s3:::b/x"));
        assert!(!resource_covers("arn:aws:s3:::b", "arn:aws:s3:::b/*"));
    }

    #[test]
    fn a_hostile_pattern_is_decided_without_recursion() {
        let pattern = "*a".repeat(300);
        let text = "a".repeat(1_000) + "b";
        assert!(!action_covers(&pattern, &text));
    }
}
