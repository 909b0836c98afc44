//! The deployment's rules (`rolegate_policy::spec::DeploymentRules`: the
//! boundary every role gets, the path roles live under) read from the
//! function's environment, which the SAM template sets, and applied to
//! each CloudFormation request.

use rolegate_policy::spec::{DeploymentRules, RuleError};

use crate::event::{Action, Request};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules(pub DeploymentRules);

impl Rules {
    /// `ROLEGATE_PERMISSIONS_BOUNDARY_ARN` and `ROLEGATE_ROLE_PATH`.
    pub fn from_env() -> Rules {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Rules(DeploymentRules {
            boundary_arn: var("ROLEGATE_PERMISSIONS_BOUNDARY_ARN"),
            role_path: var("ROLEGATE_ROLE_PATH"),
        })
    }

    /// The request with the boundary filled in. Deletes pass untouched.
    pub fn apply(&self, mut request: Request) -> Result<Request, RuleError> {
        if matches!(request.action, Action::Delete { .. }) {
            return Ok(request);
        }
        if let Some(properties) = request.properties.as_object_mut() {
            self.0.apply(properties)?;
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

    fn rules() -> Rules {
        Rules(DeploymentRules {
            boundary_arn: Some("arn:aws:iam::123456789012:policy/rolegate-boundary".into()),
            role_path: Some("/integrations/".into()),
        })
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
    fn a_create_gets_the_deployments_rules() {
        let e = rules()
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
        assert_eq!(rules().apply(delete.clone()), Ok(delete));
        let plain = request(json!({"Path": "/admin/"}));
        assert_eq!(Rules::default().apply(plain.clone()), Ok(plain));
    }
}
