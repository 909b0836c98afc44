//! YAML text to a JSON value, keeping CloudFormation's short-form tags:
//! `!Ref X` becomes `{"Ref": "X"}`, `!Sub ...` `{"Fn::Sub": ...}`,
//! `!GetAtt A.B` `{"Fn::GetAtt": ["A", "B"]}`, and so on, which is what
//! the long form would have said. Built on saphyr-parser's event stream,
//! which reports every tag as written (serde-based YAML readers drop or
//! reject them).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Value};

use super::err::TemplateError;

/// The short forms CloudFormation defines, and the long name each stands for.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Sub", "Fn::Sub"),
    ("GetAtt", "Fn::GetAtt"),
    ("ImportValue", "Fn::ImportValue"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("FindInMap", "Fn::FindInMap"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("GetAZs", "Fn::GetAZs"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("Transform", "Fn::Transform"),
];

/// A node being built: a sequence, or a mapping with the key awaiting its value.
enum Open {
    Seq(Vec<Value>, Option<String>, usize),
    Map(Map<String, Value>, Option<String>, Option<String>, usize),
}

/// Reads the first document of `text`.
pub fn parse(text: &str) -> Result<Value, TemplateError> {
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, _span) = event.map_err(|e| TemplateError::NotYaml {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_owned(),
        })?;
        let done = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = tagged(scalar(&text, style, tag.as_deref()), tag.as_deref());
                if anchor > 0 {
                    anchors.insert(anchor, value.clone());
                }
                push(&mut stack, value)
            }
            Event::Alias(id) => {
                let value = anchors.get(&id).cloned().unwrap_or(Value::Null);
                push(&mut stack, value)
            }
            Event::SequenceStart(anchor, tag) => {
                stack.push(Open::Seq(Vec::new(), short_form(tag.as_deref()), anchor));
                None
            }
            Event::MappingStart(anchor, tag) => {
                stack.push(Open::Map(
                    Map::new(),
                    None,
                    short_form(tag.as_deref()),
                    anchor,
                ));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, tag, anchor) = match stack.pop() {
                    Some(Open::Seq(items, tag, anchor)) => (Value::Array(items), tag, anchor),
                    Some(Open::Map(map, _, tag, anchor)) => (Value::Object(map), tag, anchor),
                    None => continue,
                };
                let value = wrap(value, tag);
                if anchor > 0 {
                    anchors.insert(anchor, value.clone());
                }
                push(&mut stack, value)
            }
            Event::DocumentEnd | Event::StreamEnd => Some(Value::Null),
            _ => None,
        };
        if let Some(value) = done {
            return Ok(value);
        }
    }
    Ok(Value::Null)
}

/// Adds a finished node to its parent; returns it when it is the document.
fn push(stack: &mut [Open], value: Value) -> Option<Value> {
    match stack.last_mut() {
        None => Some(value),
        Some(Open::Seq(items, ..)) => {
            items.push(value);
            None
        }
        Some(Open::Map(map, key, ..)) => {
            match key.take() {
                Some(k) => {
                    map.insert(k, value);
                }
                None => *key = Some(key_text(value)),
            }
            None
        }
    }
}

/// A mapping key as JSON's string key.
fn key_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// The long name of a CloudFormation short-form tag (`!Ref`, `!Sub`, ...).
fn short_form(tag: Option<&Tag>) -> Option<String> {
    let tag = tag?;
    if tag.handle != "!" {
        return None;
    }
    SHORT_FORMS
        .iter()
        .find(|(short, _)| *short == tag.suffix)
        .map(|(_, long)| (*long).to_owned())
}

/// `{"Fn::X": value}` for a short-form tag; `!GetAtt A.B.C` is `["A", "B.C"]`.
fn wrap(value: Value, long: Option<String>) -> Value {
    let Some(long) = long else { return value };
    let value = match (long.as_str(), value) {
        ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
            Some((resource, attribute)) => Value::Array(vec![resource.into(), attribute.into()]),
            None => Value::String(s),
        },
        (_, value) => value,
    };
    Value::Object(Map::from_iter([(long, value)]))
}

fn tagged(value: Value, tag: Option<&Tag>) -> Value {
    wrap(value, short_form(tag))
}

/// A scalar as YAML 1.2's core schema reads it: plain `true`, `null`, `12`
/// and `1.5` are typed, anything quoted or tagged `!!str` is text.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let text_only = style != ScalarStyle::Plain
        || tag.is_some_and(|t| !(t.handle == "tag:yaml.org,2002:" && t.suffix != "str"));
    if text_only {
        return Value::String(text.to_owned());
    }
    match text {
        "~" | "null" | "Null" | "NULL" | "" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    if text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn short_form_tags_become_the_long_form() {
        let text = "A: !Ref Bucket\nB: !Sub 'arn:${AWS::Partition}:x'\nC: !GetAtt Role.Arn\nD: !Join [',', [a, !Ref B]]\nE: !If [Cond, 1, !Ref AWS::NoValue]\n";
        let v = parse(text);
        assert_eq!(
            v,
            Ok(json!({
                "A": {"Ref": "Bucket"},
                "B": {"Fn::Sub": "arn:${AWS::Partition}:x"},
                "C": {"Fn::GetAtt": ["Role", "Arn"]},
                "D": {"Fn::Join": [",", ["a", {"Ref": "B"}]]},
                "E": {"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]},
            }))
        );
    }

    #[test]
    fn plain_scalars_are_typed_and_quoted_ones_are_text() {
        let v = parse("a: 300\nb: \"300\"\nc: true\nd: 2010-09-09\ne: ~\nf: 1.5\n");
        assert_eq!(
            v,
            Ok(json!({"a": 300, "b": "300", "c": true, "d": "2010-09-09", "e": null, "f": 1.5}))
        );
    }

    #[test]
    fn anchors_and_aliases_are_followed() {
        let v = parse("a: &x {k: v}\nb: *x\n");
        assert_eq!(v, Ok(json!({"a": {"k": "v"}, "b": {"k": "v"}})));
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err = parse("a: [1, 2\nb: c\n").err();
        assert!(
            matches!(err, Some(TemplateError::NotYaml { line, .. }) if line >= 1),
            "{err:?}"
        );
    }
}
