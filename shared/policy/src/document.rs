//! Typed model of an IAM policy document.
//!
//! Parsing goes through `serde_json::Value` by hand rather than derived serde
//! so that every error names the JSON path of the offending element
//! (`Statement[2].Action[0]`), and so that the shape the author chose (a single
//! value or an array) survives a round trip: `parse(serialize(p)) == p`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};
use thiserror::Error;

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
        match self {
            ConditionValue::String(s) => std::borrow::Cow::Borrowed(s),
            ConditionValue::Bool(b) => {
                std::borrow::Cow::Borrowed(if *b { "true" } else { "false" })
            }
            ConditionValue::Number(n) => std::borrow::Cow::Owned(n.to_string()),
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

    pub fn parse(json: &str) -> Result<Self, PolicyParseError> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| PolicyParseError::Json(e.to_string()))?;
        Self::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Self, PolicyParseError> {
        let obj = as_object(value, "")?;
        let mut version = None;
        let mut id = None;
        let mut statement = None;
        for (key, v) in obj {
            match key.as_str() {
                "Version" => version = Some(as_string(v, "Version")?),
                "Id" => id = Some(as_string(v, "Id")?),
                "Statement" => {
                    statement = Some(one_or_many(v, "Statement", |v, p| {
                        Statement::from_value(v, &p)
                    })?)
                }
                other => {
                    return Err(PolicyParseError::UnknownElement {
                        path: String::new(),
                        element: other.to_owned(),
                    });
                }
            }
        }
        let statement = statement.ok_or(PolicyParseError::Missing {
            path: String::new(),
            element: "Statement",
        })?;
        Ok(PolicyDocument {
            version,
            id,
            statement,
        })
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Compact JSON, the form IAM stores and quotas count.
    pub fn to_json(&self) -> String {
        // Serialising plain strings, booleans and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Characters IAM counts toward its policy size quotas: the compact JSON
    /// less whitespace. Counted while serialising, without building a string.
    /// Computed from the structure, without serialising: the provisioner and
    /// lint measure every policy on every event. A property test holds it
    /// equal to `limits::policy_size(&self.to_json())`.
    pub fn size(&self) -> usize {
        let mut fields = Vec::with_capacity(3);
        if let Some(v) = &self.version {
            fields.push(size::entry("Version", size::string(v)));
        }
        if let Some(id) = &self.id {
            fields.push(size::entry("Id", size::string(id)));
        }
        fields.push(size::entry(
            "Statement",
            size::one_or_many(&self.statement, Statement::size),
        ));
        size::object(fields.into_iter())
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl fmt::Display for PolicyDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl std::str::FromStr for PolicyDocument {
    type Err = PolicyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

// Serialised directly rather than through `Value`: the provisioner and lint
// measure policy sizes on every event, and the detour dominated their cost.
impl serde::Serialize for PolicyDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        if let Some(v) = &self.version {
            map.serialize_entry("Version", v)?;
        }
        if let Some(id) = &self.id {
            map.serialize_entry("Id", id)?;
        }
        map.serialize_entry("Statement", &self.statement)?;
        map.end()
    }
}

impl<T: serde::Serialize> serde::Serialize for OneOrMany<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(v) => v.serialize(serializer),
            OneOrMany::Many(vs) => vs.serialize(serializer),
        }
    }
}

impl serde::Serialize for Statement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        if let Some(sid) = &self.sid {
            map.serialize_entry("Sid", sid)?;
        }
        map.serialize_entry("Effect", self.effect.as_str())?;
        if let Some(p) = &self.principal {
            let key = if p.is_negated() {
                "NotPrincipal"
            } else {
                "Principal"
            };
            map.serialize_entry(key, p.value())?;
        }
        let key = if self.action.is_negated() {
            "NotAction"
        } else {
            "Action"
        };
        map.serialize_entry(key, self.action.value())?;
        if let Some(r) = &self.resource {
            let key = if r.is_negated() {
                "NotResource"
            } else {
                "Resource"
            };
            map.serialize_entry(key, r.value())?;
        }
        if let Some(c) = &self.condition {
            map.serialize_entry("Condition", c)?;
        }
        map.end()
    }
}

impl serde::Serialize for Principal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Principal::Any => serializer.serialize_str("*"),
            Principal::Typed(types) => {
                let mut map = serializer.serialize_map(Some(types.len()))?;
                for (t, vs) in types {
                    map.serialize_entry(t.as_str(), vs)?;
                }
                map.end()
            }
        }
    }
}

impl serde::Serialize for ConditionValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ConditionValue::String(s) => serializer.serialize_str(s),
            ConditionValue::Bool(b) => serializer.serialize_bool(*b),
            ConditionValue::Number(n) => n.serialize(serializer),
        }
    }
}

impl<'de> serde::Deserialize<'de> for PolicyDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        PolicyDocument::from_value(&value).map_err(serde::de::Error::custom)
    }
}

impl Statement {
    fn from_value(value: &Value, path: &str) -> Result<Self, PolicyParseError> {
        let obj = as_object(value, path)?;
        let mut sid = None;
        let mut effect = None;
        let mut principal = None;
        let mut action = None;
        let mut resource = None;
        let mut condition = None;
        for (key, v) in obj {
            let here = format!("{path}.{key}");
            match key.as_str() {
                "Sid" => sid = Some(as_string(v, &here)?),
                "Effect" => {
                    effect = Some(match as_str(v, &here)? {
                        "Allow" => Effect::Allow,
                        "Deny" => Effect::Deny,
                        other => {
                            return Err(PolicyParseError::Invalid {
                                path: here,
                                reason: format!("must be \"Allow\" or \"Deny\", found {other:?}"),
                            });
                        }
                    })
                }
                "Principal" | "NotPrincipal" => {
                    let p = Principal::from_value(v, &here)?;
                    let p = if key == "Principal" {
                        Polarity::Is(p)
                    } else {
                        Polarity::Not(p)
                    };
                    set_once(&mut principal, p, path, "Principal", "NotPrincipal")?;
                }
                "Action" | "NotAction" => {
                    let a = one_or_many(v, &here, |v, p| as_string(v, &p))?;
                    let a = if key == "Action" {
                        Polarity::Is(a)
                    } else {
                        Polarity::Not(a)
                    };
                    set_once(&mut action, a, path, "Action", "NotAction")?;
                }
                "Resource" | "NotResource" => {
                    let r = one_or_many(v, &here, |v, p| as_string(v, &p))?;
                    let r = if key == "Resource" {
                        Polarity::Is(r)
                    } else {
                        Polarity::Not(r)
                    };
                    set_once(&mut resource, r, path, "Resource", "NotResource")?;
                }
                "Condition" => condition = Some(parse_condition(v, &here)?),
                other => {
                    return Err(PolicyParseError::UnknownElement {
                        path: path.to_owned(),
                        element: other.to_owned(),
                    });
                }
            }
        }
        Ok(Statement {
            sid,
            effect: effect.ok_or(PolicyParseError::Missing {
                path: path.to_owned(),
                element: "Effect",
            })?,
            principal,
            action: action.ok_or(PolicyParseError::Missing {
                path: path.to_owned(),
                element: "Action",
            })?,
            resource,
            condition,
        })
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Statement {
    fn size(&self) -> usize {
        let mut fields = [0usize; 6];
        if let Some(sid) = &self.sid {
            fields[0] = size::entry("Sid", size::string(sid));
        }
        fields[1] = size::entry("Effect", size::string(self.effect.as_str()));
        if let Some(p) = &self.principal {
            let key = if p.is_negated() {
                "NotPrincipal"
            } else {
                "Principal"
            };
            fields[2] = size::entry(key, p.value().size());
        }
        let key = if self.action.is_negated() {
            "NotAction"
        } else {
            "Action"
        };
        fields[3] = size::entry(key, size::strings(self.action.value()));
        if let Some(r) = &self.resource {
            let key = if r.is_negated() {
                "NotResource"
            } else {
                "Resource"
            };
            fields[4] = size::entry(key, size::strings(r.value()));
        }
        if let Some(c) = &self.condition {
            let ops = c.iter().map(|(op, keys)| {
                let keys = keys
                    .iter()
                    .map(|(k, vs)| size::entry(k, size::one_or_many(vs, ConditionValue::size)));
                size::entry(op, size::object(keys))
            });
            fields[5] = size::entry("Condition", size::object(ops));
        }
        size::object(fields.into_iter().filter(|f| *f > 0))
    }
}

impl ConditionValue {
    fn size(&self) -> usize {
        match self {
            ConditionValue::String(s) => size::string(s),
            ConditionValue::Bool(true) => 4,
            ConditionValue::Bool(false) => 5,
            ConditionValue::Number(n) => n.to_string().len(),
        }
    }
}

impl Principal {
    fn size(&self) -> usize {
        match self {
            Principal::Any => 3,
            Principal::Typed(types) => size::object(
                types
                    .iter()
                    .map(|(t, vs)| size::entry(t.as_str(), size::strings(vs))),
            ),
        }
    }

    fn from_value(value: &Value, path: &str) -> Result<Self, PolicyParseError> {
        match value {
            Value::String(s) if s == "*" => Ok(Principal::Any),
            Value::Object(obj) => {
                let mut map = BTreeMap::new();
                for (key, v) in obj {
                    let here = format!("{path}.{key}");
                    let t = PrincipalType::parse(key).ok_or_else(|| {
                        PolicyParseError::UnknownElement {
                            path: path.to_owned(),
                            element: key.clone(),
                        }
                    })?;
                    map.insert(t, one_or_many(v, &here, |v, p| as_string(v, &p))?);
                }
                Ok(Principal::Typed(map))
            }
            _ => Err(PolicyParseError::Invalid {
                path: path.to_owned(),
                reason:
                    "must be \"*\" or an object keyed by AWS, Service, Federated or CanonicalUser"
                        .into(),
            }),
        }
    }
}

fn parse_condition(value: &Value, path: &str) -> Result<ConditionBlock, PolicyParseError> {
    let ops = as_object(value, path)?;
    let mut block = BTreeMap::new();
    for (op, keys) in ops {
        let op_path = format!("{path}.{op}");
        let keys = as_object(keys, &op_path)?;
        let mut key_map = BTreeMap::new();
        for (key, values) in keys {
            let key_path = format!("{op_path}.{key}");
            let values = one_or_many(values, &key_path, |v, p| match v {
                Value::String(s) => Ok(ConditionValue::String(s.clone())),
                Value::Bool(b) => Ok(ConditionValue::Bool(*b)),
                Value::Number(n) => Ok(ConditionValue::Number(n.clone())),
                _ => Err(PolicyParseError::Invalid {
                    path: p,
                    reason: "a condition value must be a string, boolean or number".into(),
                }),
            })?;
            key_map.insert(key.clone(), values);
        }
        block.insert(op.clone(), key_map);
    }
    Ok(block)
}

fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    path: &str,
    positive: &'static str,
    negative: &'static str,
) -> Result<(), PolicyParseError> {
    if slot.is_some() {
        return Err(PolicyParseError::Conflict {
            path: path.to_owned(),
            first: positive,
            second: negative,
        });
    }
    *slot = Some(value);
    Ok(())
}

fn one_or_many<T>(
    value: &Value,
    path: &str,
    mut item: impl FnMut(&Value, String) -> Result<T, PolicyParseError>,
) -> Result<OneOrMany<T>, PolicyParseError> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| item(v, format!("{path}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(OneOrMany::Many),
        other => item(other, path.to_owned()).map(OneOrMany::One),
    }
}

fn as_object<'v>(value: &'v Value, path: &str) -> Result<&'v Map<String, Value>, PolicyParseError> {
    value.as_object().ok_or_else(|| PolicyParseError::Invalid {
        path: path.to_owned(),
        reason: format!("must be a JSON object, found {}", json_type(value)),
    })
}

fn as_str<'v>(value: &'v Value, path: &str) -> Result<&'v str, PolicyParseError> {
    value.as_str().ok_or_else(|| PolicyParseError::Invalid {
        path: path.to_owned(),
        reason: format!("must be a string, found {}", json_type(value)),
    })
}

fn as_string(value: &Value, path: &str) -> Result<String, PolicyParseError> {
    as_str(value, path).map(str::to_owned)
}

/// Sizes of compact JSON as IAM counts them: characters other than whitespace.
mod size {
    use super::OneOrMany;

    /// A JSON string: quotes plus each character as serde_json escapes it.
    pub fn string(s: &str) -> usize {
        2 + s
            .chars()
            .map(|c| match c {
                ' ' => 0,
                '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
                c if u32::from(c) < 0x20 => 6,
                _ => 1,
            })
            .sum::<usize>()
    }

    pub fn strings(v: &OneOrMany<String>) -> usize {
        one_or_many(v, |s| string(s))
    }

    pub fn one_or_many<T>(v: &OneOrMany<T>, f: impl Fn(&T) -> usize) -> usize {
        match v {
            OneOrMany::One(x) => f(x),
            OneOrMany::Many(xs) => 2 + xs.iter().map(f).sum::<usize>() + xs.len().saturating_sub(1),
        }
    }

    /// `"key":` followed by a value of `value` characters.
    pub fn entry(key: &str, value: usize) -> usize {
        string(key) + 1 + value
    }

    /// Braces, entries and the commas between them.
    pub fn object(entries: impl Iterator<Item = usize>) -> usize {
        let (sum, n) = entries.fold((0usize, 0usize), |(s, n), e| (s + e, n + 1));
        2 + sum + n.saturating_sub(1)
    }
}

/// The JSON type name used in error messages.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Why a policy document could not be read. Each variant names the JSON path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyParseError {
    #[error("policy is not valid JSON: {0}")]
    Json(String),
    #[error("{}: unknown element {element:?}", display_path(path))]
    UnknownElement { path: String, element: String },
    #[error("{}: required element {element} is missing", display_path(path))]
    Missing { path: String, element: &'static str },
    #[error("{}: {first} and {second} cannot both be present", display_path(path))]
    Conflict {
        path: String,
        first: &'static str,
        second: &'static str,
    },
    #[error("{}: {reason}", display_path(path))]
    Invalid { path: String, reason: String },
}

impl PolicyParseError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyParseError::Json(_) => "POLICY_NOT_JSON",
            PolicyParseError::UnknownElement { .. } => "POLICY_UNKNOWN_ELEMENT",
            PolicyParseError::Missing { .. } => "POLICY_MISSING_ELEMENT",
            PolicyParseError::Conflict { .. } => "POLICY_CONFLICTING_ELEMENTS",
            PolicyParseError::Invalid { .. } => "POLICY_INVALID_ELEMENT",
        }
    }
}

fn display_path(path: &str) -> &str {
    let p = path.strip_prefix('.').unwrap_or(path);
    if p.is_empty() { "policy" } else { p }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> PolicyDocument {
        match PolicyDocument::parse(json) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn single_statement_object_and_scalar_values_keep_their_shape() {
        let json = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#;
        let doc = parse(json);
        assert!(matches!(doc.statement, OneOrMany::One(_)));
        assert_eq!(doc.to_json(), json);
    }

    #[test]
    fn principals_of_every_type_parse_as_string_or_array() {
        let doc = parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/r"],"Service":"glue.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"sts:AssumeRole"}]}"#,
        );
        let p = doc.statements()[0].principal.as_ref().map(|p| p.value());
        let Some(Principal::Typed(map)) = p else {
            panic!("expected typed principal")
        };
        assert_eq!(map.len(), 4);
        assert_eq!(map[&PrincipalType::Aws].len(), 2);
    }

    #[test]
    fn star_principal_is_anyone_and_aws_star_is_too() {
        let a = parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
        );
        let b = parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#,
        );
        for doc in [a, b] {
            let p = doc.statements()[0]
                .principal
                .as_ref()
                .map(|p| p.value().is_anyone());
            assert_eq!(p, Some(true));
        }
    }

    #[test]
    fn condition_values_may_be_string_bool_number_or_array() {
        let json = r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":10},"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}]}"#;
        let doc = parse(json);
        let c = doc.statements()[0].condition.as_ref().map(|c| c.len());
        assert_eq!(c, Some(3));
        assert_eq!(PolicyDocument::parse(&doc.to_json()), Ok(doc));
    }

    #[test]
    fn not_elements_parse_as_negated() {
        let doc = parse(
            r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"NotAction":"iam:*","NotResource":["arn:aws:s3:::b"]}]}"#,
        );
        let s = &doc.statements()[0];
        assert!(s.action.is_negated());
        assert!(s.resource.as_ref().is_some_and(Polarity::is_negated));
        assert!(s.principal.as_ref().is_some_and(Polarity::is_negated));
    }

    #[test]
    fn action_and_not_action_together_is_a_conflict_naming_the_statement() {
        let err = PolicyDocument::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}]}"#,
        )
        .err();
        let err = err.map(|e| (e.code(), e.to_string()));
        assert_eq!(
            err,
            Some((
                "POLICY_CONFLICTING_ELEMENTS",
                "Statement[0]: Action and NotAction cannot both be present".to_owned()
            ))
        );
    }

    #[test]
    fn unknown_statement_element_is_named() {
        let err = PolicyDocument::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resources":"*"}]}"#,
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Statement[0]: unknown element \"Resources\"")
        );
    }

    #[test]
    fn bad_effect_and_non_string_action_name_their_paths() {
        let e1 = PolicyDocument::parse(r#"{"Statement":[{"Effect":"allow","Action":"a:b"}]}"#)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e1.as_deref(),
            Some("Statement[0].Effect: must be \"Allow\" or \"Deny\", found \"allow\"")
        );
        let e2 = PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow","Action":["a:b",3]}]}"#)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e2.as_deref(),
            Some("Statement[0].Action[1]: must be a string, found a number")
        );
    }

    #[test]
    fn missing_statement_and_missing_effect_are_reported() {
        let e = PolicyDocument::parse(r#"{"Version":"2012-10-17"}"#)
            .err()
            .map(|e| e.code());
        assert_eq!(e, Some("POLICY_MISSING_ELEMENT"));
        let e = PolicyDocument::parse(r#"{"Statement":[{"Action":"a:b"}]}"#)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("Statement[0]: required element Effect is missing")
        );
    }
}
