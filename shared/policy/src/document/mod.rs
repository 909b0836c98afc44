//! Typed model of an IAM policy document.
//!
//! Parsing goes through `serde_json::Value` by hand rather than derived serde
//! so that every error names the JSON path of the offending element
//! (`Statement[2].Action[0]`), and so that the shape the author chose (a single
//! value or an array) survives a round trip: `parse(serialize(p)) == p`.
//!
//! This file holds the types; `parse` reads them (with `error`, the
//! errors it names paths in), `serialize` writes them, and `size` measures
//! them as IAM's quotas count.

mod error;
mod parse;
mod serialize;
mod size;

use std::collections::BTreeMap;

use crate::json::Scalar;

/// Kept here too: callers outside the crate name it `document::json_type`.
pub use crate::json::json_type;
pub use error::PolicyParseError;
#[cfg(test)]
pub(crate) use parse::parsed;

/// The only policy language version that supports policy variables.
pub const POLICY_VERSION: &str = "2012-10-17";

/// A JSON element that IAM accepts either as one value or as an array.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// `Many` for several values, `One` for exactly one: the shape builders emit.
    pub fn from_vec(mut values: Vec<T>) -> Self {
        if values.len() == 1
            && let Some(v) = values.pop()
        {
            return OneOrMany::One(v);
        }
        OneOrMany::Many(values)
    }
}

impl<T> From<T> for OneOrMany<T> {
    fn from(value: T) -> Self {
        OneOrMany::One(value)
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// The kinds of principal IAM knows, in the order IAM documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalType {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "AWS" => Some(PrincipalType::Aws),
            "Service" => Some(PrincipalType::Service),
            "Federated" => Some(PrincipalType::Federated),
            "CanonicalUser" => Some(PrincipalType::CanonicalUser),
            _ => None,
        }
    }
}

/// `Principal` / `NotPrincipal` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    /// The bare string `"*"`: everyone, including anonymous callers.
    Any,
    /// `{"AWS": ..., "Service": ...}`, keyed by type.
    Typed(BTreeMap<PrincipalType, OneOrMany<String>>),
}

impl Principal {
    /// Every (type, value) pair; `Any` yields nothing.
    pub fn entries(&self) -> impl Iterator<Item = (PrincipalType, &str)> {
        let map = match self {
            Principal::Any => None,
            Principal::Typed(m) => Some(m),
        };
        map.into_iter()
            .flat_map(|m| m.iter())
            .flat_map(|(t, vs)| vs.iter().map(move |v| (*t, v.as_str())))
    }

    /// True for `"*"` and for `{"AWS": "*"}`, which IAM treats alike.
    pub fn is_anyone(&self) -> bool {
        match self {
            Principal::Any => true,
            Principal::Typed(_) => self
                .entries()
                .any(|(t, v)| t == PrincipalType::Aws && v == "*"),
        }
    }
}

/// A statement element that IAM offers in a positive and a negated form
/// (`Action`/`NotAction`, `Resource`/`NotResource`, `Principal`/`NotPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Polarity<T> {
    Is(T),
    Not(T),
}

impl<T> Polarity<T> {
    pub fn value(&self) -> &T {
        match self {
            Polarity::Is(v) | Polarity::Not(v) => v,
        }
    }

    pub fn is_negated(&self) -> bool {
        matches!(self, Polarity::Not(_))
    }
}

/// A condition value as written: IAM compares them as strings, but authors
/// write `true` and `3600` too, and the exact form must round-trip.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConditionValue {
    String(String),
    Bool(bool),
    Number(serde_json::Number),
}

impl ConditionValue {
    /// The string IAM compares against.
    pub fn as_iam_string(&self) -> std::borrow::Cow<'_, str> {
        self.as_scalar().text()
    }

    /// The value as the JSON scalar it was written as.
    pub fn as_scalar(&self) -> Scalar<'_> {
        match self {
            ConditionValue::String(s) => Scalar::String(s),
            ConditionValue::Bool(b) => Scalar::Bool(*b),
            ConditionValue::Number(n) => Scalar::Number(n),
        }
    }
}

impl From<&str> for ConditionValue {
    fn from(s: &str) -> Self {
        ConditionValue::String(s.to_owned())
    }
}

impl From<String> for ConditionValue {
    fn from(s: String) -> Self {
        ConditionValue::String(s)
    }
}

/// `Condition`: operator → condition key → values.
pub type ConditionBlock = BTreeMap<String, BTreeMap<String, OneOrMany<ConditionValue>>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Polarity<Principal>>,
    pub action: Polarity<OneOrMany<String>>,
    pub resource: Option<Polarity<OneOrMany<String>>>,
    pub condition: Option<ConditionBlock>,
}

impl Statement {
    /// An `Allow` of `actions` on `resources`, the shape the builders emit.
    pub fn allow(actions: Vec<String>, resources: Vec<String>) -> Self {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            action: Polarity::Is(OneOrMany::from_vec(actions)),
            resource: Some(Polarity::Is(OneOrMany::from_vec(resources))),
            condition: None,
        }
    }

    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Adds `operator: {key: values}`, merging into an existing block.
    pub fn with_condition(
        mut self,
        operator: &str,
        key: &str,
        values: Vec<ConditionValue>,
    ) -> Self {
        self.condition
            .get_or_insert_with(BTreeMap::new)
            .entry(operator.to_owned())
            .or_default()
            .insert(key.to_owned(), OneOrMany::from_vec(values));
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statement: OneOrMany<Statement>,
}

impl PolicyDocument {
    /// A `2012-10-17` document holding `statements`.
    pub fn new(statements: Vec<Statement>) -> Self {
        PolicyDocument {
            version: Some(POLICY_VERSION.to_owned()),
            id: None,
            statement: OneOrMany::Many(statements),
        }
    }

    pub fn statements(&self) -> &[Statement] {
        self.statement.as_slice()
    }
}
