//! Reading a policy document from JSON, by hand so that every error names
//! the JSON path of the offending element.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{
    ConditionBlock, ConditionValue, Effect, OneOrMany, Polarity, PolicyDocument, PolicyParseError,
    Principal, PrincipalType, Statement,
};
use crate::json::{Scalar, json_type, scalar};

impl PolicyDocument {
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
}

impl std::str::FromStr for PolicyDocument {
    type Err = PolicyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
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
}

impl Principal {
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
            let values = one_or_many(values, &key_path, |v, p| match scalar(v) {
                Some(Scalar::String(s)) => Ok(ConditionValue::String(s.to_owned())),
                Some(Scalar::Bool(b)) => Ok(ConditionValue::Bool(b)),
                Some(Scalar::Number(n)) => Ok(ConditionValue::Number(n.clone())),
                None => Err(PolicyParseError::Invalid {
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

/// A policy the test knows to be valid; panics naming the error otherwise.
#[cfg(test)]
pub(crate) fn parsed(json: &str) -> PolicyDocument {
    match PolicyDocument::parse(json) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::document::parsed as parse;

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
