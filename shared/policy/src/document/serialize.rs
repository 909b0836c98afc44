//! Writing a policy document as JSON, keeping the shape its author chose.

use std::fmt;

use serde_json::Value;

use super::{ConditionValue, OneOrMany, PolicyDocument, Principal, Statement};

impl PolicyDocument {
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Compact JSON, the form IAM stores and quotas count.
    pub fn to_json(&self) -> String {
        // Serialising plain strings, booleans and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
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

impl Statement {
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}
