//! The guard's settings, from its environment (the SAM template sets them).

use rolegate_aws::{ConfigError, number_setting, setting};
use rolegate_policy::events::GUARD_COMMAND_SOURCE;
use rolegate_policy::spec::RemediationMode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// `ROLEGATE_REMEDIATION`: what drift on a role whose spec has no
    /// `RemediationMode` gets. Default `restore`.
    pub default_remediation: RemediationMode,
    /// `ROLEGATE_COMMAND_SOURCE`: the EventBridge `source` of commands.
    /// Default `rolegate.commands` (`events::GUARD_COMMAND_SOURCE`, the one
    /// name the command structs and docs/EVENTS.md use).
    pub command_source: String,
    /// `ROLEGATE_COMMAND_BUS`: the bus commands must come through, whose
    /// policy admits only the deploy-time list of principals. Default
    /// `rolegate-commands`.
    pub command_bus: String,
    /// `ROLEGATE_OWN_ROLE_ARNS`: comma-separated execution roles of
    /// Rolegate's functions. CloudTrail events they caused are ignored, so a
    /// remediation never triggers another.
    pub own_role_arns: Vec<String>,
    /// `ROLEGATE_EVENT_BUS`: where reports go. Default `default`.
    pub event_bus: String,
    /// `ROLEGATE_UNUSED_AFTER_DAYS`: the sweep reports roles unused for
    /// longer; `0` turns it off. Default 90.
    pub unused_after_days: Option<u32>,
    /// `ROLEGATE_SWEEP_CONCURRENCY`: roles the sweep checks at once. Default 4.
    pub sweep_concurrency: usize,
    /// `ROLEGATE_INTEGRATION_POLICY_ROLE_ARNS`: the roles that may hold a
    /// `Custom::IntegrationPolicy` (the template's list, which is also
    /// where its IAM policy lets the guard restore one). Empty: none.
    pub integration_policy_roles: Vec<String>,
}

pub const DEFAULT_COMMAND_BUS: &str = "rolegate-commands";
pub const DEFAULT_UNUSED_AFTER_DAYS: u32 = 90;
pub const DEFAULT_SWEEP_CONCURRENCY: usize = 4;
/// IAM's default API rate is about 20 requests per second per account;
/// more parallel role checks than this only buy throttling.
const MAX_SWEEP_CONCURRENCY: usize = 16;

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            default_remediation: RemediationMode::Restore,
            command_source: GUARD_COMMAND_SOURCE.to_owned(),
            command_bus: DEFAULT_COMMAND_BUS.to_owned(),
            own_role_arns: Vec::new(),
            event_bus: "default".to_owned(),
            unused_after_days: Some(DEFAULT_UNUSED_AFTER_DAYS),
            integration_policy_roles: Vec::new(),
            sweep_concurrency: DEFAULT_SWEEP_CONCURRENCY,
        }
    }
}

impl GuardConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads each variable through `lookup`; unset or empty means default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = GuardConfig::default();
        if let Some(v) = setting(&lookup, "ROLEGATE_REMEDIATION") {
            config.default_remediation = match v.as_str() {
                "restore" => RemediationMode::Restore,
                "quarantine" => RemediationMode::Quarantine,
                "report" => RemediationMode::Report,
                _ => {
                    return Err(ConfigError {
                        variable: "ROLEGATE_REMEDIATION",
                        value: v,
                        rule: "must be restore, quarantine or report",
                    });
                }
            };
        }
        if let Some(v) = setting(&lookup, "ROLEGATE_COMMAND_SOURCE") {
            config.command_source = v;
        }
        if let Some(v) = setting(&lookup, "ROLEGATE_COMMAND_BUS") {
            config.command_bus = v;
        }
        if let Some(v) = setting(&lookup, "ROLEGATE_OWN_ROLE_ARNS") {
            config.own_role_arns = v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(bad) = config
                .own_role_arns
                .iter()
                .find(|a| !a.starts_with("arn:") || !a.contains(":role/"))
            {
                return Err(ConfigError {
                    variable: "ROLEGATE_OWN_ROLE_ARNS",
                    value: bad.clone(),
                    rule: "must be a comma-separated list of IAM role ARNs",
                });
            }
        }
        if let Some(v) = setting(&lookup, "ROLEGATE_INTEGRATION_POLICY_ROLE_ARNS") {
            config.integration_policy_roles = v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = setting(&lookup, "ROLEGATE_EVENT_BUS") {
            config.event_bus = v;
        }
        let days = number_setting(
            &lookup,
            "ROLEGATE_UNUSED_AFTER_DAYS",
            0,
            u64::from(u32::MAX),
            "must be a whole number of days (0 turns the check off)",
        )?;
        if let Some(days) = days {
            config.unused_after_days = u32::try_from(days).ok().filter(|d| *d > 0);
        }
        let concurrency = number_setting(
            &lookup,
            "ROLEGATE_SWEEP_CONCURRENCY",
            1,
            MAX_SWEEP_CONCURRENCY as u64,
            "must be a whole number from 1 to 16",
        )?;
        if let Some(n) = concurrency {
            config.sweep_concurrency = usize::try_from(n).unwrap_or(DEFAULT_SWEEP_CONCURRENCY);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<GuardConfig, ConfigError> {
        GuardConfig::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn an_empty_environment_gives_the_documented_defaults() {
        assert_eq!(from(&[]), Ok(GuardConfig::default()));
    }

    #[test]
    fn every_setting_is_read() {
        let config = from(&[
            ("ROLEGATE_REMEDIATION", "quarantine"),
            ("ROLEGATE_COMMAND_SOURCE", "acme.rolegate"),
            ("ROLEGATE_COMMAND_BUS", "acme-commands"),
            (
                "ROLEGATE_OWN_ROLE_ARNS",
                "arn:aws:iam::1:role/a, arn:aws:iam::1:role/b",
            ),
            ("ROLEGATE_EVENT_BUS", "rolegate"),
            ("ROLEGATE_UNUSED_AFTER_DAYS", "0"),
            ("ROLEGATE_SWEEP_CONCURRENCY", "8"),
        ])
        .unwrap();
        assert_eq!(config.default_remediation, RemediationMode::Quarantine);
        assert_eq!(config.command_source, "acme.rolegate");
        assert_eq!(config.command_bus, "acme-commands");
        assert_eq!(config.own_role_arns.len(), 2);
        assert_eq!(config.event_bus, "rolegate");
        assert_eq!(config.unused_after_days, None);
        assert_eq!(config.sweep_concurrency, 8);
    }

    #[test]
    fn bad_values_name_the_variable_and_the_rule() {
        let e = from(&[("ROLEGATE_REMEDIATION", "fix")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"ROLEGATE_REMEDIATION: "fix" must be restore, quarantine or report"#
        );
        let e = from(&[("ROLEGATE_SWEEP_CONCURRENCY", "100")]).unwrap_err();
        assert_eq!(e.variable, "ROLEGATE_SWEEP_CONCURRENCY");
        let e = from(&[("ROLEGATE_OWN_ROLE_ARNS", "guard")]).unwrap_err();
        assert_eq!(e.variable, "ROLEGATE_OWN_ROLE_ARNS");
        let e = from(&[("ROLEGATE_UNUSED_AFTER_DAYS", "-1")]).unwrap_err();
        assert_eq!(e.variable, "ROLEGATE_UNUSED_AFTER_DAYS");
    }
}
