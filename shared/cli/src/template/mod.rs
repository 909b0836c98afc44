//! Reading what `render` and `lint` are given: JSON or YAML text, and, when
//! it is a CloudFormation template, its `Custom::IntegrationRole`
//! resources with their intrinsic functions resolved ([`intrinsics`]).
//! Pure: text and flags in, values or a [`TemplateError`] out.

pub mod err;
pub mod intrinsics;
pub mod yaml;

use std::collections::BTreeMap;

use serde_json::Value;

pub use err::TemplateError;
use intrinsics::Scope;

/// The resource type Rolegate's provisioner serves.
pub const INTEGRATION_ROLE: &str = "Custom::IntegrationRole";
/// CloudFormation's routing to the provisioner, which no spec rule reads:
/// left out rather than resolved, so a template's `!ImportValue` of the
/// provisioner's ARN needs no `--param`.
const SERVICE_TOKEN: &str = "ServiceToken";

/// What a template's intrinsic functions resolve from.
#[derive(Debug, Clone)]
pub struct Values<'a> {
    /// `--param KEY=VALUE`, in the order given (a later one wins).
    pub params: &'a [(String, String)],
    pub account: &'a str,
    pub region: &'a str,
    pub stack_name: &'a str,
}

/// One `Custom::IntegrationRole` of a template, its properties resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationResource {
    pub logical_id: String,
    pub properties: Value,
}

/// A template's integration roles, and those its conditions leave out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expanded {
    pub resources: Vec<IntegrationResource>,
    /// `(logical id, condition)` of each resource whose condition is false.
    pub skipped: Vec<(String, String)>,
}

/// JSON or YAML text as a value. Text that opens like JSON is read as
/// JSON; if it is not JSON but is YAML in flow style (`{a: 1}`), the YAML
/// is taken, else JSON's own error is the one reported. Anything else is
/// read as YAML.
pub fn read(text: &str) -> Result<Value, TemplateError> {
    let opening = text.trim_start().as_bytes().first();
    if matches!(opening, Some(b'{' | b'[')) {
        serde_json::from_str(text)
            .or_else(|e| yaml::parse(text).map_err(|_| TemplateError::NotJson(e.to_string())))
    } else {
        yaml::parse(text)
    }
}

/// A CloudFormation template is an object with a `Resources` object.
pub fn is_template(value: &Value) -> bool {
    value.get("Resources").is_some_and(Value::is_object)
}

/// A resource `{"Type": ..., "Properties": {...}}` of type `Custom::IntegrationRole`.
pub fn integration_properties(value: &Value) -> Option<&Value> {
    (value.get("Type").and_then(Value::as_str) == Some(INTEGRATION_ROLE))
        .then(|| value.get("Properties"))
        .flatten()
}

/// Every `Custom::IntegrationRole` of `template`, resolved with `values`.
pub fn integration_resources(template: &Value, values: &Values) -> Result<Expanded, TemplateError> {
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let scope = scope(template, values);
    let mut expanded = Expanded::default();
    for (id, resource) in &resources {
        if resource.get("Type").and_then(Value::as_str) != Some(INTEGRATION_ROLE) {
            continue;
        }
        let path = format!("Resources.{id}");
        if let Some(Value::String(condition)) = resource.get("Condition")
            && !scope.condition(condition, &format!("{path}.Condition"), 0)?
        {
            expanded.skipped.push((id.clone(), condition.clone()));
            continue;
        }
        let mut properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
        if let Some(map) = properties.as_object_mut() {
            map.remove(SERVICE_TOKEN);
        }
        let properties = scope
            .resolve(&properties, &format!("{path}.Properties"))?
            .unwrap_or(Value::Null);
        expanded.resources.push(IntegrationResource {
            logical_id: id.clone(),
            properties,
        });
    }
    if expanded.resources.is_empty() && expanded.skipped.is_empty() {
        let listed: Vec<String> = resources
            .iter()
            .map(|(id, r)| {
                format!(
                    "{id} ({})",
                    r.get("Type").and_then(Value::as_str).unwrap_or("no Type")
                )
            })
            .collect();
        return Err(TemplateError::NoIntegrationResources {
            resources: if listed.is_empty() {
                "none".to_owned()
            } else {
                listed.join(", ")
            },
        });
    }
    Ok(expanded)
}

/// Parameters (`--param`, else Default; a list type splits on commas),
/// the other `--param`s (`Resource.Attribute`, export names), the
/// pseudo-parameters and the conditions.
fn scope(template: &Value, values: &Values) -> Scope {
    let declared = template
        .get("Parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let given: BTreeMap<&str, &str> = values
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut scoped: BTreeMap<String, Value> = given
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    for (name, declaration) in &declared {
        let is_list = declaration
            .get("Type")
            .and_then(Value::as_str)
            .is_some_and(|t| t == "CommaDelimitedList" || t.starts_with("List<"));
        let text = match given.get(name.as_str()) {
            Some(v) => Some((*v).to_owned()),
            None => match declaration.get("Default") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            },
        };
        if let Some(text) = text {
            let value = if is_list {
                Value::Array(text.split(',').map(|s| Value::from(s.trim())).collect())
            } else {
                Value::String(text)
            };
            scoped.insert(name.clone(), value);
        }
    }
    Scope {
        values: scoped,
        pseudo: Scope::pseudo_parameters(values.account, values.region, values.stack_name),
        conditions: template
            .get("Conditions")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TEMPLATE: &str = "\
Parameters:
  Side: {Type: String, AllowedValues: [a, b]}
  Bucket: {Type: String, Default: data}
  Vendor: {Type: String}
Conditions:
  InA: !Equals [!Ref Side, a]
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Reader:
    Type: Custom::IntegrationRole
    Condition: InA
    Properties:
      ServiceToken: !ImportValue RolegateProvisionerArn
      Trust:
        Principals: [!Ref Vendor]
      Grants:
        - {Service: s3, Access: read, Bucket: !Ref Bucket}
  Other:
    Type: Custom::IntegrationRole
    Properties:
      RoleName: !Sub '${AWS::StackName}-other'
";

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn expand(pairs: &[(&str, &str)]) -> Result<Expanded, TemplateError> {
        let template = read(TEMPLATE)?;
        let params = params(pairs);
        integration_resources(
            &template,
            &Values {
                params: &params,
                account: "123456789012",
                region: "us-east-1",
                stack_name: "demo",
            },
        )
    }

    #[test]
    fn every_integration_role_is_resolved_and_labelled_by_logical_id() {
        let expanded = expand(&[("Side", "a"), ("Vendor", "999988887777")]);
        assert_eq!(
            expanded,
            Ok(Expanded {
                resources: vec![
                    IntegrationResource {
                        logical_id: "Other".into(),
                        properties: json!({"RoleName": "demo-other"}),
                    },
                    IntegrationResource {
                        logical_id: "Reader".into(),
                        properties: json!({
                            "Trust": {"Principals": ["999988887777"]},
                            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "data"}],
                        }),
                    },
                ],
                skipped: vec![],
            })
        );
    }

    #[test]
    fn a_resource_whose_condition_is_false_is_skipped() {
        let expanded = expand(&[("Side", "b")]).map(|e| e.skipped);
        assert_eq!(expanded, Ok(vec![("Reader".to_owned(), "InA".to_owned())]));
    }

    #[test]
    fn a_missing_parameter_is_named_with_its_resource_and_property() {
        let err = expand(&[("Side", "a")]).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "Resources.Reader.Properties.Trust.Principals[0]: !Ref Vendor has no value: pass --param Vendor=VALUE"
            )
        );
    }

    #[test]
    fn a_template_without_integration_roles_lists_what_it_has() {
        let template = json!({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}});
        let err = integration_resources(
            &template,
            &Values {
                params: &[],
                account: "1",
                region: "us-east-1",
                stack_name: "s",
            },
        )
        .err();
        assert_eq!(
            err.as_ref().map(TemplateError::code),
            Some("NO_INTEGRATION_RESOURCES")
        );
        assert!(err.is_some_and(|e| e.to_string().contains("Queue (AWS::SQS::Queue)")));
    }

    #[test]
    fn json_text_is_read_as_json_and_other_text_as_yaml() {
        assert_eq!(read("{\"a\": 1}"), Ok(json!({"a": 1})));
        assert_eq!(read("a: 1\n"), Ok(json!({"a": 1})));
        assert_eq!(read("{a: !Ref B}"), Ok(json!({"a": {"Ref": "B"}})));
        assert_eq!(read("{\"a\": ").err().map(|e| e.code()), Some("NOT_JSON"));
    }
}
