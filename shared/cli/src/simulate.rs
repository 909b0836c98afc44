//! `rolegate simulate`: one request, evaluated and explained.

use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, Decision, PolicySet, Request, explain};
use serde_json::{Map, Value, json};

use crate::args::{RequestInput, SimulateArgs, SimulateInput, SimulateParts};
use crate::{Outcome, read_input};

pub fn run(args: &SimulateArgs) -> Result<Outcome, String> {
    let (set, request) = match &args.input {
        SimulateInput::Case(path) => {
            let case = read_json(path)?;
            let request = case
                .get("request")
                .ok_or(format!("{path}: a case needs \"request\""))?;
            let policies = case
                .get("policies")
                .ok_or(format!("{path}: a case needs \"policies\""))?;
            (
                PolicySet::from_value(policies).map_err(|e| format!("{path}: {e}"))?,
                Request::from_value(request).map_err(|e| format!("{path}: {e}"))?,
            )
        }
        SimulateInput::Parts(parts) => {
            let SimulateParts {
                identity,
                boundary,
                session,
                resource_policy,
                scps,
                rcps,
                request,
            } = parts.as_ref();
            let many = |paths: &[String]| {
                paths
                    .iter()
                    .map(|p| compile(p))
                    .collect::<Result<Vec<_>, _>>()
            };
            let one = |path: &Option<String>| path.as_deref().map(compile).transpose();
            let set = PolicySet {
                identity: many(identity)?,
                boundary: one(boundary)?,
                session: one(session)?,
                resource: one(resource_policy)?,
                scps: many(scps)?,
                rcps: many(rcps)?,
            };
            (set, read_request(request)?)
        }
    };
    let explanation = explain(&set, &request);
    if args.json {
        let out = explanation.to_json();
        println!(
            "{}",
            serde_json::to_string_pretty(&out).unwrap_or_else(|_| out.to_string())
        );
    } else {
        print!("{explanation}");
    }
    Ok(match explanation.evaluation.decision {
        Decision::Allowed => Outcome::Clean,
        Decision::ExplicitlyDenied | Decision::ImplicitlyDenied => Outcome::Denied,
    })
}

fn read_json(path: &str) -> Result<Value, String> {
    serde_json::from_str(&read_input(path)?).map_err(|e| format!("{path}: not JSON: {e}"))
}

/// Compiles a policy file, labelled by its path so explanations name it.
fn compile(path: &str) -> Result<CompiledPolicy, String> {
    let doc = PolicyDocument::parse(&read_input(path)?)
        .map_err(|e| format!("{path}: {e} [{}]", e.code()))?;
    Ok(CompiledPolicy::compile(&doc, path))
}

fn read_request(input: &RequestInput) -> Result<Request, String> {
    let value = match input {
        RequestInput::File(path) => read_json(path)?,
        RequestInput::Flags {
            principal,
            action,
            resource,
            resource_account,
            context,
            tags,
        } => {
            // Flags become the case-file request shape, so both paths share one reader.
            let mut keys: Map<String, Value> = Map::new();
            for (k, v) in context {
                match keys.get_mut(k) {
                    Some(Value::Array(values)) => values.push(v.as_str().into()),
                    Some(single) => *single = json!([single.clone(), v]),
                    None => {
                        keys.insert(k.clone(), v.as_str().into());
                    }
                }
            }
            let principal = if principal.ends_with(".amazonaws.com") && !principal.contains(':') {
                json!({ "service": principal })
            } else {
                json!(principal)
            };
            let mut req = json!({
                "principal": principal,
                "action": action,
                "resource": resource,
                "context": keys,
                "principal_tags": tags.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect::<Map<_, _>>(),
            });
            if let Some(a) = resource_account {
                req["resource_account"] = a.as_str().into();
            }
            req
        }
    };
    Request::from_value(&value).map_err(|e| format!("request: {e}"))
}
