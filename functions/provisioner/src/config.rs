//! The provisioner's settings, from its environment (the SAM template sets
//! them): the deployment's rules (`rolegate_policy::spec::DeploymentRules`:
//! the boundary every role gets, the path roles live under), which the
//! lifecycle passes to the pipeline with each Create and Update's parsed
//! spec (`reconcile::spec_to_role`).

use rolegate_aws::setting;
use rolegate_policy::spec::DeploymentRules;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisionerConfig {
    /// `ROLEGATE_PERMISSIONS_BOUNDARY_ARN` (the boundary every role gets)
    /// and `ROLEGATE_ROLE_PATH` (the path roles must live under). Unset or
    /// blank: no rule.
    pub rules: DeploymentRules,
    /// `ROLEGATE_INTEGRATION_POLICY_ROLE_ARNS`: the roles a
    /// `Custom::IntegrationPolicy` may put its policy on, comma-separated
    /// (the template's `IntegrationPolicyRoleArns`, which also makes them
    /// the only roles the provisioner's IAM policy lets it do so on).
    /// Empty: the feature is off.
    pub integration_policy_roles: Vec<String>,
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
            integration_policy_roles: setting(&lookup, "ROLEGATE_INTEGRATION_POLICY_ROLE_ARNS")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|arn| !arn.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolegate-boundary";

    fn config() -> ProvisionerConfig {
        ProvisionerConfig {
            rules: DeploymentRules {
                boundary_arn: Some(BOUNDARY.into()),
                role_path: Some("/integrations/".into()),
            },
            integration_policy_roles: Vec::new(),
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
        let listed = from(&[(
            "ROLEGATE_INTEGRATION_POLICY_ROLE_ARNS",
            " arn:aws:iam::123456789012:role/atc-node, ,arn:aws:iam::123456789012:role/x ",
        )]);
        assert_eq!(
            listed.integration_policy_roles,
            [
                "arn:aws:iam::123456789012:role/atc-node",
                "arn:aws:iam::123456789012:role/x"
            ]
        );
    }
}
