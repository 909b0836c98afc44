//! The provisioner's settings, from its environment (the SAM template sets
//! them): the deployment's rules (`rolegate_policy::spec::DeploymentRules`:
//! the boundary every role gets, the path roles live under), applied to
//! each CloudFormation request before the pipeline parses its spec.

use rolegate_aws::setting;
use rolegate_policy::spec::{DeploymentRules, RuleError};

use crate::event::{Action, Request};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionerConfig {
    /// `ROLEGATE_PERMISSIONS_BOUNDARY_ARN` (the boundary every role gets)
    /// and `ROLEGATE_ROLE_PATH` (the path roles must live under). Unset or
    /// blank: no rule.
    pub rules: DeploymentRules,
}

impl ProvisionerConfig {
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads each variable through `lookup`; unset or blank means no rule.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        ProvisionerConfig {
            rules: DeploymentRules {
                boundary_arn: setting(&lookup, "ROLEGATE_PERMISSIONS_BOUNDARY_ARN"),
                role_path: setting(&lookup, "ROLEGATE_ROLE_PATH"),
            },
        }
    }

    /// The request with the deployment's rules applied (the boundary filled
    /// in, the path checked). Deletes pass untouched.
    pub fn apply(&self, mut request: Request) -> Result<Request, RuleError> {
        if matches!(request.action, Action::Delete { .. }) {
            return Ok(request);
        }
        if let Some(properties) = request.properties.as_object_mut() {
            self.rules.apply(properties)?;
        }
        // A spec that is not an object is left for the parser, which names it.
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ResponseTarget;
    use serde_json::{Value, json};

    const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolegate-boundary";

    fn config() -> ProvisionerConfig {
        ProvisionerConfig {
            rules: DeploymentRules {
                boundary_arn: Some(BOUNDARY.into()),
                role_path: Some("/integrations/".into()),
            },
        }
    }

    fn request(properties: Value) -> Request {
        Request {
            action: Action::Create,
            target: ResponseTarget {
                response_url: String::new(),
                stack_id: String::new(),
                request_id: String::new(),
                logical_id: String::new(),
            },
            properties,
        }
    }

    #[test]
    fn the_environment_gives_the_rules_and_blank_means_none() {
        let vars = [
            ("ROLEGATE_PERMISSIONS_BOUNDARY_ARN", BOUNDARY),
            ("ROLEGATE_ROLE_PATH", "/integrations/"),
        ];
        let from = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            ProvisionerConfig::from_lookup(move |name| {
                vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            })
        };
        assert_eq!(from(&vars), config());
        assert_eq!(
            from(&[("ROLEGATE_PERMISSIONS_BOUNDARY_ARN", "  ")]),
            ProvisionerConfig::default()
        );
    }

    #[test]
    fn a_create_gets_the_deployments_rules() {
        let e = config()
            .apply(request(json!({"Path": "/admin/"})))
            .unwrap_err();
        assert_eq!(e.code(), "OUTSIDE_PATH");
    }

    #[test]
    fn deletes_and_unconfigured_deployments_pass_untouched() {
        let mut delete = request(json!({"Path": "/admin/"}));
        delete.action = Action::Delete {
            physical_id: "x".into(),
        };
        assert_eq!(config().apply(delete.clone()), Ok(delete));
        let plain = request(json!({"Path": "/admin/"}));
        assert_eq!(ProvisionerConfig::default().apply(plain.clone()), Ok(plain));
    }
}
