//! One simulation case in the corpus format of
//! `shared/policy/tests/eval_cases/`: `{"request": {...}, "policies": {...}}`,
//! any other member (`doc`, `description`, `expect`) ignored.
//!
//! `simulate CASE.json` and every line of `simulate --batch` are read here,
//! and the two halves go through the readers the corpus runner uses
//! ([`Request::from_value`], [`PolicySet::from_value`]), so a case means the
//! same thing to the corpus, to one simulation and to a batch.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rolegate_policy::eval::{PolicySet, Request};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use thiserror::Error;

/// Distinct policy sets kept compiled at once. A batch usually repeats a few
/// sets over many requests; one whose every line differs would otherwise
/// grow the cache without bound, so it is emptied when full.
const MAX_CACHED_SETS: usize = 4096;

/// Why a case cannot be simulated. Each names the field at fault (when
/// there is one) and a stable code for the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CaseError {
    #[error("not JSON at column {column}: {message}")]
    NotJson { column: usize, message: String },
    #[error("not a case: {0}; a case is an object with \"request\" and \"policies\"")]
    NotACase(String),
    #[error("{field}: missing; a case holds \"request\" and \"policies\"")]
    Missing { field: &'static str },
    /// The request's reader rejected it; `detail` names the member.
    #[error("{detail}")]
    Request { field: String, detail: String },
    /// The policy set's reader rejected it; `detail` names the layer.
    #[error("{detail}")]
    Policies { field: String, detail: String },
}

impl CaseError {
    pub fn code(&self) -> &'static str {
        match self {
            CaseError::NotJson { .. } => "NOT_JSON",
            CaseError::NotACase(_) => "NOT_A_CASE",
            CaseError::Missing { .. } => "MISSING_FIELD",
            CaseError::Request { .. } => "INVALID_REQUEST",
            CaseError::Policies { .. } => "INVALID_POLICIES",
        }
    }

    /// The case's member at fault, as a JSON path (`policies.identity[0]`);
    /// `None` when the whole text is.
    pub fn field(&self) -> Option<&str> {
        match self {
            CaseError::NotJson { .. } | CaseError::NotACase(_) => None,
            CaseError::Missing { field } => Some(field),
            CaseError::Request { field, .. } | CaseError::Policies { field, .. } => Some(field),
        }
    }

    /// Where in the text the JSON broke (1-based), for `FILE:LINE:COLUMN`.
    pub fn column(&self) -> Option<usize> {
        match self {
            CaseError::NotJson { column, .. } => Some(*column),
            _ => None,
        }
    }
}

/// The two halves of a case. The request is read in the same pass; the
/// policies are kept as text, so that a policy set seen before is looked up
/// by its text instead of being built again.
#[derive(Deserialize)]
struct Envelope<'a> {
    request: Option<Value>,
    #[serde(borrow)]
    policies: Option<&'a RawValue>,
}

/// Compiled policy sets by the text they came from. Identical text compiles
/// to an identical set, so a batch that repeats a set pays for it once.
#[derive(Default)]
pub struct PolicyCache {
    /// By a hash of the text; the text is kept to rule out collisions.
    sets: HashMap<u64, (Box<str>, PolicySet)>,
}

impl PolicyCache {
    fn get(&mut self, text: &str) -> Result<&PolicySet, CaseError> {
        if self.sets.len() >= MAX_CACHED_SETS {
            self.sets.clear();
        }
        match self.sets.entry(text_hash(text.as_bytes())) {
            Entry::Occupied(e) if &*e.get().0 == text => Ok(&e.into_mut().1),
            // A hash collision: the newer text takes the slot.
            Entry::Occupied(mut e) => {
                e.insert((text.into(), compile(text)?));
                Ok(&e.into_mut().1)
            }
            Entry::Vacant(e) => Ok(&e.insert((text.into(), compile(text)?)).1),
        }
    }
}

/// Reads one case. The policy set comes from `cache` when its text was seen before.
pub fn read<'c>(
    text: &str,
    cache: &'c mut PolicyCache,
) -> Result<(&'c PolicySet, Request), CaseError> {
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => CaseError::NotACase(strip_position(&e)),
        _ => CaseError::NotJson {
            column: e.column(),
            message: strip_position(&e),
        },
    })?;
    let request = envelope
        .request
        .ok_or(CaseError::Missing { field: "request" })?;
    let policies = envelope
        .policies
        .ok_or(CaseError::Missing { field: "policies" })?;
    // The request first: it is cheap, and its error is as useful as any.
    let request = Request::from_value(&request).map_err(|detail| CaseError::Request {
        field: leading_path(&detail, "request"),
        detail,
    })?;
    Ok((cache.get(policies.get())?, request))
}

fn compile(text: &str) -> Result<PolicySet, CaseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| CaseError::NotJson {
        column: e.column(),
        message: strip_position(&e),
    })?;
    PolicySet::from_value(&value).map_err(|detail| CaseError::Policies {
        field: leading_path(&detail, "policies"),
        detail,
    })
}

/// The JSON path an error message of the policy crate starts with
/// (`policies.identity[0]: ...`, `request.action must be ...`): its readers
/// return plain strings, and every one of them leads with the path.
fn leading_path(detail: &str, root: &str) -> String {
    match detail.split([':', ' ']).next() {
        Some(path) if path.starts_with(root) => path.to_owned(),
        _ => root.to_owned(),
    }
}

/// serde_json's message without its " at line L column C" tail: a batch
/// line is always line 1 of its own text, so the tail would mislead.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// FxHash-style: one multiply per eight bytes, so hashing a policy set is
/// cheap next to compiling it. It is not collision-resistant, and need not
/// be: the input is the caller's own, and the cache compares texts.
fn text_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    let mut h = bytes.len() as u64;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(word));
    }
    for &b in chunks.remainder() {
        h = mix(h, u64::from(b));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASE: &str = r#"{"doc": "x", "request": {"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:GetObject", "resource": "*"}, "policies": {"identity": [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]}, "expect": "Allowed"}"#;

    #[test]
    fn a_repeated_policy_set_is_compiled_once() {
        let mut cache = PolicyCache::default();
        for _ in 0..3 {
            assert!(read(CASE, &mut cache).is_ok());
        }
        assert_eq!(cache.sets.len(), 1);
    }

    #[test]
    fn errors_name_the_field_and_the_rule() {
        let mut cache = PolicyCache::default();
        let bad = CASE.replace(r#""action": "s3:GetObject""#, r#""action": 7"#);
        let e = read(&bad, &mut cache).err();
        assert_eq!(e.as_ref().map(CaseError::code), Some("INVALID_REQUEST"));
        assert_eq!(
            e.as_ref().and_then(CaseError::field),
            Some("request.action")
        );
        let bad = CASE.replace(r#""identity": ["#, r#""identity": [7, "#);
        let e = read(&bad, &mut cache).err();
        assert_eq!(
            e.as_ref().and_then(CaseError::field),
            Some("policies.identity[0]")
        );
        let e = read("[1]", &mut cache).err();
        assert_eq!(e.as_ref().map(CaseError::code), Some("NOT_A_CASE"));
        let e = read("{\"request\": ", &mut cache).err();
        assert_eq!(e.as_ref().map(CaseError::code), Some("NOT_JSON"));
    }
}
