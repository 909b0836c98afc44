//! The object reader: a JSON object of known properties (any other is an
//! error), with typed getters for required and optional fields that name
//! the property's full path in every error.

use serde_json::{Map, Value};

use super::CLOUDFORMATION_PROPERTIES;
use crate::json::json_type;
use crate::spec::SpecError;

/// An object of known properties, rejecting any other.
pub(super) struct Object<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

impl<'v> Object<'v> {
    pub(super) fn new(
        value: &'v Value,
        path: &str,
        expected: &'static str,
        known: &[&str],
    ) -> Result<Self, SpecError> {
        let field = if path.is_empty() { "properties" } else { path };
        let map = value
            .as_object()
            .ok_or_else(|| wrong_type(field, expected, value))?;
        let obj = Object {
            map,
            path: path.to_owned(),
        };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(SpecError::UnknownProperty {
                field: obj.field(unknown),
                expected: known
                    .iter()
                    .filter(|k| !CLOUDFORMATION_PROPERTIES.contains(k))
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(obj)
    }

    pub(super) fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn required(&self, key: &str) -> Result<&'v Value, SpecError> {
        self.get(key).ok_or_else(|| SpecError::MissingProperty {
            field: self.field(key),
        })
    }

    pub(super) fn string(&self, key: &str) -> Result<Option<&'v str>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(wrong_type(&self.field(key), "a string", other)),
        }
    }

    pub(super) fn required_string(&self, key: &str) -> Result<&'v str, SpecError> {
        self.string(key)?.ok_or_else(|| SpecError::MissingProperty {
            field: self.field(key),
        })
    }

    /// A string or a list of strings, each with its own field path.
    pub(super) fn string_list(&self, key: &str) -> Result<Vec<(String, &'v str)>, SpecError> {
        let field = self.field(key);
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![(field, s.as_str())]),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let f = format!("{field}[{i}]");
                    match v {
                        Value::String(s) => Ok((f, s.as_str())),
                        other => Err(wrong_type(&f, "a string", other)),
                    }
                })
                .collect(),
            Some(other) => Err(wrong_type(&field, "a string or a list of strings", other)),
        }
    }

    /// CloudFormation sends booleans as `"true"`/`"false"`.
    pub(super) fn boolean(&self, key: &str) -> Result<Option<bool>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(wrong_type(&self.field(key), "true or false", other)),
        }
    }

    /// CloudFormation sends numbers as strings: `"3600"`.
    pub(super) fn integer(&self, key: &str) -> Result<Option<u64>, SpecError> {
        let bad = |v: &Value| wrong_type(&self.field(key), "a whole number", v);
        match self.get(key) {
            None => Ok(None),
            Some(v @ Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| bad(v)),
            Some(v @ Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| bad(v)),
            Some(other) => Err(bad(other)),
        }
    }
}

pub(super) fn wrong_type(field: &str, expected: &'static str, found: &Value) -> SpecError {
    let found = match found {
        Value::String(s) => format!("the string {s:?}"),
        other => json_type(other).to_owned(),
    };
    SpecError::WrongType {
        field: field.to_owned(),
        expected,
        found,
    }
}
