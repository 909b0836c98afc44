//! Reading a [`PolicySet`] from JSON: the `policies` object of a case file,
//! which `rolegate simulate` and the evaluator's corpus both use.

use serde_json::Value;

use super::{CompiledPolicy, PolicySet};
use crate::document::PolicyDocument;

impl PolicySet {
    /// `{"identity": [P, ...], "boundary": P, "session": P, "resource": P,
    ///   "scps": [P, ...], "rcps": [P, ...]}`, every layer optional. Errors
    /// name the layer (and index) of the policy at fault.
    pub fn from_value(v: &Value) -> Result<PolicySet, String> {
        let obj = v.as_object().ok_or("policies must be an object")?;
        let mut set = PolicySet::default();
        for (layer, v) in obj {
            match layer.as_str() {
                "identity" => set.identity = list(v, "identity")?,
                "boundary" => set.boundary = Some(one(v, "boundary")?),
                "session" => set.session = Some(one(v, "session")?),
                "resource" => set.resource = Some(one(v, "resource")?),
                "scps" => set.scps = list(v, "scps")?,
                "rcps" => set.rcps = list(v, "rcps")?,
                other => {
                    return Err(format!(
                        "policies: unknown layer {other:?} (expected identity, boundary, session, resource, scps or rcps)"
                    ));
                }
            }
        }
        Ok(set)
    }
}

fn one(v: &Value, label: &str) -> Result<CompiledPolicy, String> {
    let doc = PolicyDocument::from_value(v).map_err(|e| format!("policies.{label}: {e}"))?;
    Ok(CompiledPolicy::compile(&doc, label))
}

fn list(v: &Value, layer: &str) -> Result<Vec<CompiledPolicy>, String> {
    v.as_array()
        .ok_or(format!("policies.{layer} must be a list of policies"))?
        .iter()
        .enumerate()
        .map(|(i, p)| one(p, &format!("{layer}[{i}]")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_layer_and_index_of_the_bad_policy() {
        let v =
            serde_json::json!({"scps": [{"Statement": []}, {"Statement": [{"Effect": "Maybe"}]}]});
        let err = PolicySet::from_value(&v).err().unwrap_or_default();
        assert!(err.starts_with("policies.scps[1]: "), "{err}");
        let err = PolicySet::from_value(&serde_json::json!({"identities": []}))
            .err()
            .unwrap_or_default();
        assert!(err.contains("unknown layer \"identities\""), "{err}");
    }

    #[test]
    fn every_layer_is_read() {
        let p = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let v = serde_json::json!({"identity": [p, p], "boundary": p, "session": p, "resource": p, "scps": [p], "rcps": [p]});
        let set = PolicySet::from_value(&v).unwrap_or_default();
        assert_eq!(set.identity.len(), 2);
        assert!(set.boundary.is_some() && set.session.is_some() && set.resource.is_some());
        assert_eq!((set.scps.len(), set.rcps.len()), (1, 1));
    }
}
