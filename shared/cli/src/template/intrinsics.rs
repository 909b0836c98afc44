//! CloudFormation's intrinsic functions, resolved as far as a reviewer's
//! machine can before deployment: `Ref` and `Fn::Sub` (both forms) from
//! parameters (`--param`, else their Default) and the pseudo-parameters,
//! `Fn::GetAtt` and `Fn::ImportValue` from `--param` (they are known only
//! once a stack exists), `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If`
//! with conditions of `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and
//! `Condition`. Anything else is an error naming the function and path.
//! Pure: no file, no environment, no AWS.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::err::TemplateError;

/// How deep conditions may refer to conditions (a cycle stops here).
const MAX_CONDITION_DEPTH: usize = 32;

/// What names resolve to.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Parameters (given or defaulted), `Resource.Attribute` for `GetAtt`
    /// and export names for `ImportValue`, all from `--param` but defaults.
    pub values: BTreeMap<String, Value>,
    /// `AWS::AccountId`, `AWS::Region`, ...
    pub pseudo: BTreeMap<&'static str, Value>,
    /// The template's `Conditions`, unevaluated.
    pub conditions: Map<String, Value>,
}

/// `AWS::Partition` for a region name.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

impl Scope {
    /// The pseudo-parameters of a stack named `stack` in `account` and `region`.
    pub fn pseudo_parameters(
        account: &str,
        region: &str,
        stack: &str,
    ) -> BTreeMap<&'static str, Value> {
        let partition = partition(region);
        let suffix = if partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        BTreeMap::from([
            ("AWS::AccountId", Value::from(account)),
            ("AWS::Region", Value::from(region)),
            ("AWS::Partition", Value::from(partition)),
            ("AWS::StackName", Value::from(stack)),
            (
                "AWS::StackId",
                Value::from(format!(
                    "arn:{partition}:cloudformation:{region}:{account}:stack/{stack}/ASSIGNED-AT-DEPLOYMENT"
                )),
            ),
            ("AWS::URLSuffix", Value::from(suffix)),
            ("AWS::NotificationARNs", Value::Array(Vec::new())),
        ])
    }

    /// `value` with every intrinsic function replaced by its value; `None`
    /// when it is `AWS::NoValue` (its key or item is then left out).
    pub fn resolve(&self, value: &Value, path: &str) -> Result<Option<Value>, TemplateError> {
        match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(v) = self.resolve(item, &format!("{path}[{i}]"))? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Value::Object(map) => {
                if map.len() == 1
                    && let Some((name, arg)) = map.iter().next()
                    && (name == "Ref" || name.starts_with("Fn::"))
                {
                    return self.function(name, arg, path);
                }
                let mut out = Map::new();
                for (k, v) in map {
                    if let Some(v) = self.resolve(v, &join(path, k))? {
                        out.insert(k.clone(), v);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// Like [`Scope::resolve`], where a value is required.
    fn required(&self, value: &Value, path: &str, function: &str) -> Result<Value, TemplateError> {
        self.resolve(value, path)?
            .ok_or_else(|| bad(path, function, "cannot take AWS::NoValue"))
    }

    fn function(
        &self,
        name: &str,
        arg: &Value,
        path: &str,
    ) -> Result<Option<Value>, TemplateError> {
        let at = join(path, name);
        match name {
            "Ref" => {
                let Value::String(target) = arg else {
                    return Err(bad(path, "Ref", "takes a parameter or resource name"));
                };
                if target == "AWS::NoValue" {
                    return Ok(None);
                }
                self.reference(target, path).map(Some)
            }
            "Fn::GetAtt" => {
                let (resource, attribute) = match arg {
                    Value::Array(parts) if parts.len() == 2 => {
                        let attribute = self.required(&parts[1], &at, name)?;
                        match (&parts[0], attribute) {
                            (Value::String(r), Value::String(a)) => (r.clone(), a),
                            _ => return Err(bad(path, name, "takes [Resource, Attribute]")),
                        }
                    }
                    Value::String(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_owned(), a.to_owned()),
                        None => return Err(bad(path, name, "takes Resource.Attribute")),
                    },
                    _ => return Err(bad(path, name, "takes [Resource, Attribute]")),
                };
                self.values
                    .get(&format!("{resource}.{attribute}"))
                    .cloned()
                    .map(Some)
                    .ok_or(TemplateError::UnresolvedGetAtt {
                        resource,
                        attribute,
                        path: path.to_owned(),
                    })
            }
            "Fn::ImportValue" => {
                let export = text(&self.required(arg, &at, name)?, path, name)?;
                self.values
                    .get(&export)
                    .cloned()
                    .map(Some)
                    .ok_or(TemplateError::UnresolvedImport {
                        name: export,
                        path: path.to_owned(),
                    })
            }
            "Fn::Sub" => {
                let (template, vars) = match arg {
                    Value::String(s) => (s.clone(), Map::new()),
                    Value::Array(parts) if parts.len() == 2 => {
                        let Value::String(s) = &parts[0] else {
                            return Err(bad(
                                path,
                                name,
                                "takes a string, or [string, {variables}]",
                            ));
                        };
                        match self.required(&parts[1], &format!("{at}[1]"), name)? {
                            Value::Object(vars) => (s.clone(), vars),
                            _ => {
                                return Err(bad(
                                    path,
                                    name,
                                    "takes a string, or [string, {variables}]",
                                ));
                            }
                        }
                    }
                    _ => return Err(bad(path, name, "takes a string, or [string, {variables}]")),
                };
                self.substitute(&template, &vars, path)
                    .map(|s| Some(Value::String(s)))
            }
            "Fn::Join" => {
                let Value::Array(parts) = arg else {
                    return Err(bad(path, name, "takes [delimiter, [values]]"));
                };
                let [delimiter, list] = parts.as_slice() else {
                    return Err(bad(path, name, "takes [delimiter, [values]]"));
                };
                let delimiter = text(delimiter, path, name)?;
                let Value::Array(items) = self.required(list, &format!("{at}[1]"), name)? else {
                    return Err(bad(path, name, "takes [delimiter, [values]]"));
                };
                let items = items
                    .iter()
                    .map(|v| text(v, path, name))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Value::String(items.join(&delimiter))))
            }
            "Fn::Select" => {
                let Value::Array(parts) = arg else {
                    return Err(bad(path, name, "takes [index, [values]]"));
                };
                let [index, list] = parts.as_slice() else {
                    return Err(bad(path, name, "takes [index, [values]]"));
                };
                let index = text(&self.required(index, &at, name)?, path, name)?;
                let list = self.required(list, &format!("{at}[1]"), name)?;
                let item = index
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| list.as_array().and_then(|l| l.get(i)).cloned());
                item.map(Some)
                    .ok_or_else(|| bad(path, name, "index is not in the list"))
            }
            "Fn::Split" => {
                let Value::Array(parts) = arg else {
                    return Err(bad(path, name, "takes [delimiter, string]"));
                };
                let [delimiter, source] = parts.as_slice() else {
                    return Err(bad(path, name, "takes [delimiter, string]"));
                };
                let delimiter = text(delimiter, path, name)?;
                let source = text(
                    &self.required(source, &format!("{at}[1]"), name)?,
                    path,
                    name,
                )?;
                Ok(Some(Value::Array(
                    source.split(delimiter.as_str()).map(Value::from).collect(),
                )))
            }
            "Fn::If" => {
                let Value::Array(parts) = arg else {
                    return Err(bad(
                        path,
                        name,
                        "takes [condition, value if true, value if false]",
                    ));
                };
                let [Value::String(condition), then, otherwise] = parts.as_slice() else {
                    return Err(bad(
                        path,
                        name,
                        "takes [condition, value if true, value if false]",
                    ));
                };
                let chosen = if self.condition(condition, path, 0)? {
                    then
                } else {
                    otherwise
                };
                self.resolve(chosen, path)
            }
            other => Err(bad(
                path,
                other,
                "is not resolved by rolegate (supported: Ref, Fn::Sub, Fn::GetAtt, Fn::ImportValue, Fn::Join, Fn::Select, Fn::Split, Fn::If)",
            )),
        }
    }

    /// What `Ref name` stands for.
    fn reference(&self, name: &str, path: &str) -> Result<Value, TemplateError> {
        self.pseudo
            .get(name)
            .or_else(|| self.values.get(name))
            .cloned()
            .ok_or_else(|| TemplateError::UnresolvedRef {
                name: name.to_owned(),
                path: path.to_owned(),
            })
    }

    /// `Fn::Sub`'s text: `${Name}` from `vars`, else a parameter, a
    /// pseudo-parameter or `Resource.Attribute`; `${!Literal}` is `${Literal}`.
    fn substitute(
        &self,
        template: &str,
        vars: &Map<String, Value>,
        path: &str,
    ) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(bad(path, "Fn::Sub", "has a ${ without its }"));
            };
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = match vars.get(name) {
                    Some(v) => v.clone(),
                    None if name.contains('.') && !name.starts_with("AWS::") => {
                        let (resource, attribute) = name.split_once('.').unwrap_or((name, ""));
                        let getatt = Value::Array(vec![resource.into(), attribute.into()]);
                        self.required(
                            &Value::Object(Map::from_iter([("Fn::GetAtt".to_owned(), getatt)])),
                            path,
                            "Fn::Sub",
                        )?
                    }
                    None => self.reference(name, path)?,
                };
                out.push_str(&text(&value, path, "Fn::Sub")?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Evaluates the template's condition `name`.
    pub fn condition(&self, name: &str, path: &str, depth: usize) -> Result<bool, TemplateError> {
        let Some(definition) = self.conditions.get(name) else {
            return Err(TemplateError::UnknownCondition {
                name: name.to_owned(),
                path: path.to_owned(),
            });
        };
        self.truth(definition, &format!("Conditions.{name}"), depth + 1)
    }

    fn truth(&self, value: &Value, path: &str, depth: usize) -> Result<bool, TemplateError> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(bad(
                path,
                "Condition",
                "refers to itself (a cycle of conditions)",
            ));
        }
        let Some((function, arg)) = value
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next())
        else {
            return match value {
                Value::Bool(b) => Ok(*b),
                Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
                _ => Err(bad(
                    path,
                    "a condition",
                    "must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition",
                )),
            };
        };
        let at = join(path, function);
        let operands = |min: usize| -> Result<&Vec<Value>, TemplateError> {
            match arg {
                Value::Array(items) if items.len() >= min => Ok(items),
                _ => Err(bad(path, function, "takes a list of conditions")),
            }
        };
        match function.as_str() {
            "Condition" => match arg {
                Value::String(name) => self.condition(name, path, depth),
                _ => Err(bad(path, "Condition", "takes a condition name")),
            },
            "Fn::Equals" => match arg {
                Value::Array(items) if items.len() == 2 => {
                    let a = self.required(&items[0], &at, function)?;
                    let b = self.required(&items[1], &at, function)?;
                    Ok(text(&a, path, function)
                        .ok()
                        .zip(text(&b, path, function).ok())
                        .map_or(a == b, |(a, b)| a == b))
                }
                _ => Err(bad(path, function, "takes [value, value]")),
            },
            "Fn::Not" => {
                let items = operands(1)?;
                Ok(!self.truth(&items[0], &at, depth + 1)?)
            }
            "Fn::And" => {
                for item in operands(2)? {
                    if !self.truth(item, &at, depth + 1)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            "Fn::Or" => {
                for item in operands(2)? {
                    if self.truth(item, &at, depth + 1)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            other => Err(bad(
                path,
                other,
                "is not a condition function (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition)",
            )),
        }
    }
}

/// `parent.child`, or `child` at the top.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn bad(path: &str, function: &str, rule: &str) -> TemplateError {
    TemplateError::BadIntrinsic {
        path: path.to_owned(),
        function: function.to_owned(),
        rule: rule.to_owned(),
    }
}

/// A value as the text `Fn::Sub` and `Fn::Join` put in a string.
fn text(value: &Value, path: &str, function: &str) -> Result<String, TemplateError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(bad(path, function, "needs a string here")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scope() -> Scope {
        Scope {
            values: BTreeMap::from([
                ("Bucket".to_owned(), json!("my-bucket")),
                ("Side".to_owned(), json!("s3-account")),
                ("Role.Arn".to_owned(), json!("arn:aws:iam::1:role/r")),
                ("ProvisionerArn".to_owned(), json!("arn:aws:lambda:x")),
            ]),
            pseudo: Scope::pseudo_parameters("123456789012", "eu-west-1", "demo"),
            conditions: json!({
                "InS3": {"Fn::Equals": [{"Ref": "Side"}, "s3-account"]},
                "NotInS3": {"Fn::Not": [{"Condition": "InS3"}]},
                "Loop": {"Condition": "Loop"},
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        }
    }

    fn resolved(v: Value) -> Result<Option<Value>, TemplateError> {
        scope().resolve(&v, "Resources.R.Properties")
    }

    #[test]
    fn ref_reads_parameters_and_pseudo_parameters() {
        assert_eq!(
            resolved(
                json!([{"Ref": "Bucket"}, {"Ref": "AWS::AccountId"}, {"Ref": "AWS::Partition"}])
            ),
            Ok(Some(json!(["my-bucket", "123456789012", "aws"])))
        );
    }

    #[test]
    fn sub_in_both_forms_fills_names_attributes_and_keeps_escapes() {
        assert_eq!(
            resolved(json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}"})),
            Ok(Some(json!("arn:aws:s3:::my-bucket/${Literal}")))
        );
        assert_eq!(
            resolved(json!({"Fn::Sub": ["${A}-${Role.Arn}", {"A": {"Ref": "AWS::Region"}}]})),
            Ok(Some(json!("eu-west-1-arn:aws:iam::1:role/r")))
        );
    }

    #[test]
    fn an_unresolved_ref_names_the_parameter_and_the_path() {
        let err = resolved(json!({"Trust": {"Principals": [{"Ref": "VendorAccount"}]}})).err();
        assert_eq!(
            err.as_ref().map(ToString::to_string).as_deref(),
            Some(
                "Resources.R.Properties.Trust.Principals[0]: !Ref VendorAccount has no value: pass --param VendorAccount=VALUE"
            )
        );
        assert_eq!(err.map(|e| e.code()), Some("UNRESOLVED_REF"));
    }

    #[test]
    fn getatt_and_importvalue_come_from_params_or_name_what_is_missing() {
        assert_eq!(
            resolved(
                json!([{"Fn::GetAtt": ["Role", "Arn"]}, {"Fn::ImportValue": "ProvisionerArn"}])
            ),
            Ok(Some(json!(["arn:aws:iam::1:role/r", "arn:aws:lambda:x"])))
        );
        let err = resolved(json!({"Fn::GetAtt": ["Topic", "Arn"]}))
            .err()
            .map(|e| e.code());
        assert_eq!(err, Some("UNRESOLVED_GETATT"));
        let err = resolved(json!({"Fn::ImportValue": "Nope"}))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("Resources.R.Properties: !ImportValue Nope has no value: pass --param Nope=VALUE")
        );
    }

    #[test]
    fn join_select_split_and_if_compute_their_values() {
        assert_eq!(
            resolved(json!({
                "J": {"Fn::Join": ["-", ["a", {"Ref": "Bucket"}]]},
                "S": {"Fn::Select": ["1", {"Fn::Split": [",", "x,y,z"]}]},
                "I": {"Fn::If": ["NotInS3", "no", "yes"]},
                "N": {"Fn::If": ["InS3", {"Ref": "AWS::NoValue"}, "kept"]},
            })),
            Ok(Some(json!({"J": "a-my-bucket", "S": "y", "I": "yes"})))
        );
    }

    #[test]
    fn a_condition_cycle_or_unknown_condition_is_an_error() {
        assert_eq!(
            scope().condition("Loop", "x", 0).err().map(|e| e.code()),
            Some("BAD_INTRINSIC")
        );
        assert_eq!(
            scope().condition("Nope", "x", 0).err().map(|e| e.code()),
            Some("UNKNOWN_CONDITION")
        );
    }

    #[test]
    fn an_unsupported_function_is_named() {
        let err = resolved(json!({"Fn::GetAZs": ""}))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("Fn::GetAZs is not resolved by rolegate")));
    }
}
