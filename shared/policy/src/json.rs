//! Small readers of `serde_json::Value` shared by every hand-written parser
//! in the crate (the policy document, the integration spec, the request of
//! the evaluator): what kind of value it is, for error messages, and the
//! scalar reading CloudFormation and IAM both rely on.
//!
//! CloudFormation turns every scalar property into a string and IAM compares
//! condition values as strings, so a string, a boolean and a number are all
//! "scalars" with one text form (`true`, `3600`); arrays, objects and null
//! are not.

use std::borrow::Cow;

use serde_json::{Number, Value};

/// A JSON scalar as written: its kind survives, so that a parser that must
/// round-trip it (a policy's condition value) can, while a parser that wants
/// text takes [`Scalar::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar<'v> {
    String(&'v str),
    Bool(bool),
    Number(&'v Number),
}

impl<'v> Scalar<'v> {
    /// The text form: the string itself, `true`/`false`, or the number as
    /// serde_json writes it.
    pub fn text(self) -> Cow<'v, str> {
        match self {
            Scalar::String(s) => Cow::Borrowed(s),
            Scalar::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Scalar::Number(n) => Cow::Owned(n.to_string()),
        }
    }
}

/// `value` as a scalar; `None` for null, arrays and objects.
pub fn scalar(value: &Value) -> Option<Scalar<'_>> {
    match value {
        Value::String(s) => Some(Scalar::String(s)),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Number(n) => Some(Scalar::Number(n)),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The text form of a scalar (`"x"`, `true`, `3600`); `None` for anything else.
pub fn scalar_string(value: &Value) -> Option<String> {
    scalar(value).map(|s| s.text().into_owned())
}

/// The JSON type name used in error messages ("found a number").
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_booleans_and_numbers_are_scalars_with_one_text_form() {
        assert_eq!(scalar_string(&json!("x")).as_deref(), Some("x"));
        assert_eq!(scalar_string(&json!(true)).as_deref(), Some("true"));
        assert_eq!(scalar_string(&json!(false)).as_deref(), Some("false"));
        assert_eq!(scalar_string(&json!(3600)).as_deref(), Some("3600"));
        assert_eq!(scalar_string(&json!(-1.5)).as_deref(), Some("-1.5"));
    }

    #[test]
    fn null_arrays_and_objects_are_not_scalars() {
        for v in [json!(null), json!(["x"]), json!({"a": 1})] {
            assert_eq!(scalar(&v), None, "{v}");
        }
    }

    #[test]
    fn every_json_type_has_a_name_for_messages() {
        let names: Vec<&str> = [
            json!(null),
            json!(true),
            json!(1),
            json!("s"),
            json!([]),
            json!({}),
        ]
        .iter()
        .map(json_type)
        .collect();
        assert_eq!(
            names,
            [
                "null",
                "a boolean",
                "a number",
                "a string",
                "an array",
                "an object"
            ]
        );
    }
}
