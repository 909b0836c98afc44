//! `template.yaml` as data: decoded by cfn-lint's own CloudFormation YAML
//! reader (from the test virtualenv) and with intrinsic functions resolved
//! to the values one concrete deployment would have, so tests can hand its
//! IAM policies to Rolegate's evaluator.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Map, Value};

use crate::venv_bin;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const STACK: &str = "rolegate";

/// cfn-lint's CloudFormation YAML reader: short-form tags become their
/// `Fn::` / `Ref` / `Condition` objects.
const DECODE: &str = "import json, sys\nfrom cfnlint.decode import decode\nt, m = decode(sys.argv[1])\nassert not m, m\nt = json.loads(json.dumps(t, default=str))\n";

const TRANSFORM: &str = "from samtranslator.translator.transform import transform\nt['Globals']['Function']['CodeUri'] = 's3://rolegate-code/function.zip'\nclass NoManagedPolicies:\n    def load(self):\n        return {}\nt = transform(t, {}, NoManagedPolicies())\n";

pub struct Template {
    json: Value,
    /// Parameter values that replace their defaults.
    parameters: Vec<(String, String)>,
}

impl Template {
    /// The template as deployed with `name = value` instead of the default.
    pub fn with_parameter(mut self, name: &str, value: &str) -> Template {
        self.parameters.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn load() -> Template {
        Template::decoded(DECODE)
    }

    /// The template after the SAM transform (`AWS::Serverless-2016-10-31`,
    /// run by the virtualenv's aws-sam-translator as CloudFormation runs
    /// it), with every resource it generates: a function's event rules,
    /// permissions, event source mapping and invoke config carry the
    /// function's `Condition`. `CodeUri` is set to an S3 URI first (the
    /// transform refuses a local path, which `sam build` would replace).
    pub fn load_transformed() -> Template {
        Template::decoded(&format!("{DECODE}{TRANSFORM}"))
    }

    fn decoded(script: &str) -> Template {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
        let out = Command::new(venv_bin("python"))
            .args(["-c", &format!("{script}print(json.dumps(t, default=str))")])
            .arg(path.display().to_string())
            .env("AWS_DEFAULT_REGION", REGION)
            .output()
            .expect("the virtualenv's python runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Template {
            json: serde_json::from_slice(&out.stdout).expect("the decoded template is JSON"),
            parameters: Vec::new(),
        }
    }

    /// A resource's `Properties`, resolved.
    pub fn properties(&self, logical_id: &str) -> Value {
        self.resolve(&self.resource(logical_id)["Properties"])
    }

    fn parameter(&self, name: &str) -> Option<Value> {
        let declared = self.json["Parameters"].get(name)?;
        let text = match self.parameters.iter().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => match &declared["Default"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        };
        Some(if declared["Type"] == "CommaDelimitedList" {
            Value::Array(
                text.split(',')
                    .map(|v| Value::String(v.trim().to_owned()))
                    .collect(),
            )
        } else {
            Value::String(text)
        })
    }

    /// A condition of the `Conditions` section, evaluated.
    pub fn condition(&self, name: &str) -> bool {
        self.truth(&self.json["Conditions"][name])
    }

    fn truth(&self, value: &Value) -> bool {
        let Some((key, arg)) = value.as_object().and_then(|m| m.iter().next()) else {
            return false;
        };
        match key.as_str() {
            "Fn::Equals" => self.resolve(&arg[0]) == self.resolve(&arg[1]),
            "Fn::Not" => !self.truth(&arg[0]),
            "Fn::And" => arg
                .as_array()
                .is_some_and(|a| a.iter().all(|c| self.truth(c))),
            "Fn::Or" => arg
                .as_array()
                .is_some_and(|a| a.iter().any(|c| self.truth(c))),
            "Condition" => self.condition(arg.as_str().unwrap_or_default()),
            _ => false,
        }
    }

    fn resource(&self, logical_id: &str) -> &Value {
        &self.json["Resources"][logical_id]
    }

    /// Whether a resource or output is deployed with these parameters: it
    /// names no `Condition`, or its condition holds.
    fn deployed(&self, entry: &Value) -> bool {
        entry["Condition"]
            .as_str()
            .is_none_or(|condition| self.condition(condition))
    }

    /// The logical ids of every entry of a section (`Resources`,
    /// `Outputs`) this deployment holds, sorted by id.
    pub fn deployed_ids(&self, section: &str) -> Vec<String> {
        self.json[section]
            .as_object()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|(_, e)| self.deployed(e))
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The logical ids of every resource of a type this deployment holds
    /// (its `Condition`, if any, holds), sorted by id.
    pub fn resources_of_type(&self, resource_type: &str) -> Vec<String> {
        self.deployed_ids("Resources")
            .into_iter()
            .filter(|id| self.resource(id)["Type"] == resource_type)
            .collect()
    }

    /// A resource's `Properties` as written, intrinsics unresolved (to see
    /// which resource a `Ref` names).
    pub fn raw_properties(&self, logical_id: &str) -> &Value {
        &self.resource(logical_id)["Properties"]
    }

    /// A top-level section as written (`Globals`, `Metadata`, ...).
    pub fn section(&self, name: &str) -> &Value {
        &self.json[name]
    }

    /// Every inline policy document of an `AWS::IAM::Role`, resolved.
    pub fn role_policies(&self, logical_id: &str) -> Vec<Value> {
        self.resource(logical_id)["Properties"]["Policies"]
            .as_array()
            .map(|policies| {
                policies
                    .iter()
                    .map(|p| self.resolve(&p["PolicyDocument"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An `AWS::IAM::ManagedPolicy`'s document, resolved.
    pub fn managed_policy(&self, logical_id: &str) -> Value {
        self.resolve(&self.resource(logical_id)["Properties"]["PolicyDocument"])
    }

    /// What `Ref` / `Fn::GetAtt Arn` give for a resource in this deployment.
    pub fn arn_of(&self, logical_id: &str) -> String {
        let resource = self.resource(logical_id);
        let path = resource["Properties"]["Path"].as_str().unwrap_or("/");
        match resource["Type"].as_str().unwrap_or_default() {
            "AWS::IAM::Role" => format!("arn:aws:iam::{ACCOUNT}:role{path}{STACK}-{logical_id}"),
            "AWS::IAM::ManagedPolicy" => {
                format!("arn:aws:iam::{ACCOUNT}:policy/{STACK}-{logical_id}")
            }
            "AWS::SQS::Queue" => format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-{logical_id}"),
            "AWS::Events::EventBus" => format!(
                "arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{}",
                self.resolve(&resource["Properties"]["Name"])
                    .as_str()
                    .unwrap_or(logical_id)
            ),
            "AWS::KMS::Key" => {
                format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{STACK}-{logical_id}")
            }
            "AWS::Logs::LogGroup" => format!(
                "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{}:*",
                self.resolve(&resource["Properties"]["LogGroupName"])
                    .as_str()
                    .unwrap_or_default()
            ),
            other => format!("arn:aws:unknown:{REGION}:{ACCOUNT}:{other}/{logical_id}"),
        }
    }

    fn reference(&self, name: &str) -> String {
        match name {
            "AWS::Partition" => "aws".into(),
            "AWS::AccountId" => ACCOUNT.into(),
            "AWS::Region" => REGION.into(),
            "AWS::StackName" => STACK.into(),
            _ => match self.parameter(name) {
                Some(Value::String(s)) => s,
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Some(other) => other.to_string(),
                None => self.arn_of(name.split('.').next().unwrap_or(name)),
            },
        }
    }

    /// The value with `Ref`, `Fn::Sub` and `Fn::GetAtt ... Arn` replaced.
    pub fn resolve(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map
                    .iter()
                    .next()
                    .map(|(k, v)| (k.as_str(), v))
                    .unwrap_or(("", value));
                match key {
                    "Ref" => match arg.as_str().unwrap_or_default() {
                        "AWS::NoValue" => Value::Null,
                        name => match self.parameter(name) {
                            Some(list @ Value::Array(_)) => list,
                            _ => Value::String(self.reference(name)),
                        },
                    },
                    "Fn::If" => {
                        let branch = if self.condition(arg[0].as_str().unwrap_or_default()) {
                            &arg[1]
                        } else {
                            &arg[2]
                        };
                        self.resolve(branch)
                    }
                    "Fn::Join" => Value::String(
                        self.resolve(&arg[1])
                            .as_array()
                            .map(|items| {
                                items
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(arg[0].as_str().unwrap_or_default())
                            })
                            .unwrap_or_default(),
                    ),
                    "Fn::GetAtt" => {
                        let target = match arg {
                            Value::Array(parts) => parts[0].as_str().unwrap_or_default().to_owned(),
                            Value::String(s) => s.split('.').next().unwrap_or_default().to_owned(),
                            _ => String::new(),
                        };
                        Value::String(self.arn_of(&target))
                    }
                    "Fn::Sub" => Value::String(self.substitute(arg.as_str().unwrap_or_default())),
                    _ => Value::Object(self.resolve_map(map)),
                }
            }
            Value::Object(map) => Value::Object(self.resolve_map(map)),
            // `Ref AWS::NoValue` removes the element it stands for.
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.resolve(v))
                    .filter(|v| !v.is_null())
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn resolve_map(&self, map: &Map<String, Value>) -> Map<String, Value> {
        map.iter()
            .map(|(k, v)| (k.clone(), self.resolve(v)))
            .filter(|(_, v)| !v.is_null())
            .collect()
    }

    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find('}') else {
                break;
            };
            out.push_str(&self.reference(&rest[start + 2..start + end]));
            rest = &rest[start + end + 1..];
        }
        out.push_str(rest);
        out
    }
}
