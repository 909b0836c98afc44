//! `rolegate simulate`: one request, evaluated and explained, or a batch
//! of them ([`crate::batch`]).

use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, Decision, PolicySet, Request, explain};
use serde_json::{Map, Value, json};

use crate::case::{self, PolicyCache};
use crate::check::{Checker, Naming, Warning};
use crate::cli::{RequestInput, SimulateArgs, SimulateInput, SimulateParts};
use crate::{Outcome, outln, outs, read_input};

pub fn run(args: &SimulateArgs, out: &mut String) -> Result<Outcome, String> {
    let mut cache = PolicyCache::default();
    let (set, request, naming) = match &args.input {
        SimulateInput::Batch(batch) => return crate::batch::run(batch, args.strict),
        SimulateInput::Case(path) => {
            let text = read_input(path)?;
            let (set, request) = case::read(&text, &mut cache).map_err(|e| {
                let at = e.column().map(|c| format!(":{c}")).unwrap_or_default();
                format!("{path}{at}: {e} [{}]", e.code())
            })?;
            (set.clone(), request, Naming::Case)
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
            let naming = match request {
                RequestInput::File(_) => Naming::Case,
                RequestInput::Flags { .. } => Naming::Flags,
            };
            (set, read_request(request)?, naming)
        }
    };
    let warnings = Checker::new().check(&request, naming);
    if args.strict && !warnings.is_empty() {
        let lines: Vec<String> = warnings
            .iter()
            .map(|w| format!("{}: {} [{}] (--strict)", w.field, w.message, w.code))
            .collect();
        return Err(lines.join("\nrolegate: "));
    }
    let explanation = explain(&set, &request);
    if args.json {
        let mut value = explanation.to_json();
        if let Some(obj) = value.as_object_mut() {
            // One JSON style across the CLI (docs/CLI-JSON.md): camelCase.
            if let Some(layer) = obj.remove("decided_by") {
                obj.insert("decidedBy".into(), layer);
            }
            obj.insert("warnings".into(), json!(warnings));
        }
        outln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
        );
    } else {
        outs!(out, "{explanation}");
        print_warnings(out, &warnings);
    }
    Ok(match explanation.evaluation.decision {
        Decision::Allowed => Outcome::Clean,
        Decision::ExplicitlyDenied | Decision::ImplicitlyDenied => Outcome::Denied,
    })
}

/// After the explanation, so the decision stays the first line.
fn print_warnings(out: &mut String, warnings: &[Warning]) {
    for w in warnings {
        outln!(out, "warning {w}");
    }
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
