//! Does a statement's condition pin a key to fixed values? Asked by the rules
//! that forgive a broad statement when a condition narrows it: a public
//! resource policy limited to an organization, an AssumeRole on `*` limited
//! to roles with a tag.

use crate::document::{ConditionValue, Statement};

/// Operators under which a fixed value limits the request to that value.
/// Negated operators admit everything else; `…IfExists` and `ForAllValues:`
/// are true when the key is absent from the request.
const PINNING_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
    "IpAddress",
];

/// The first `Operator key` whose key `accept`s (given lower-case) and whose
/// every value pins something, or `None`.
pub(super) fn pinned_key(s: &Statement, accept: impl Fn(&str) -> bool) -> Option<String> {
    let block = s.condition.as_ref()?;
    block.iter().find_map(|(op, keys)| {
        let base = op.strip_prefix("ForAnyValue:").unwrap_or(op);
        if !PINNING_OPERATORS.contains(&base) {
            return None;
        }
        keys.iter().find_map(|(key, values)| {
            (accept(&key.to_ascii_lowercase())
                && !values.is_empty()
                && values.iter().all(|v| pins(base, v)))
            .then(|| format!("{op} {key}"))
        })
    })
}

/// A value that leaves something out: not a bare wildcard, not the whole
/// address space.
fn pins(operator: &str, value: &ConditionValue) -> bool {
    let v = value.as_iam_string();
    let v = v.trim();
    if v.is_empty() || v.bytes().all(|b| b == b'*' || b == b'?') {
        return false;
    }
    if operator == "IpAddress" {
        // 0.0.0.0/0 and ::/0 admit every address.
        return v.rsplit_once('/').is_none_or(|(_, len)| len != "0");
    }
    true
}
