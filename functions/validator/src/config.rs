//! The validator's settings, from its environment.

use std::time::Duration;

use rolegate_aws::{ConfigError, number_setting, setting};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorConfig {
    /// `ROLEGATE_ASSUME_TIMEOUT_SECONDS`: how long a new role may take to
    /// become assumable. Default 60.
    pub assume_timeout: Duration,
    /// `ROLEGATE_EVENT_BUS`: where outcomes go. Default `default`.
    pub event_bus: String,
    /// `ROLEGATE_COMMAND_SOURCE`: source of `Validate Integration Role`
    /// commands. Default `rolegate.validator.commands`.
    pub command_source: String,
    /// `ROLEGATE_COMMAND_BUS`: the name (not the ARN) of the vendor's
    /// command bus, the only way a `Validate Integration Role` command is
    /// accepted: its rule wraps each command with the rule's ARN
    /// (`rolegate_policy::delivery`). Default `rolegate-validator-commands`.
    pub command_bus: String,
    /// `ROLEGATE_REGISTRY_TABLE`: the registry of integrations (DynamoDB).
    /// Unset: the validator keeps integrations in SSM as before the
    /// registry (`store`), and an SQS batch is refused.
    pub registry_table: Option<String>,
    /// `ROLEGATE_VALIDATION_QUEUE_URL`: where the schedule enqueues one
    /// message per due integration. Needed with the registry.
    pub queue_url: Option<String>,
    /// `ROLEGATE_FRESH_FOR_SECONDS`: the schedule does not enqueue a record
    /// validated less than this ago (`registry::is_due`). Default 900.
    pub fresh_for: Duration,
}

impl Default for ValidatorConfig {
    fn default() -> Self {
        ValidatorConfig {
            assume_timeout: Duration::from_secs(60),
            event_bus: "default".into(),
            command_source: rolegate_policy::events::VALIDATOR_COMMAND_SOURCE.into(),
            command_bus: "rolegate-validator-commands".into(),
            registry_table: None,
            queue_url: None,
            fresh_for: rolegate_policy::registry::FRESH_FOR,
        }
    }
}

/// Lambda's longest timeout; a longer wait could never finish.
const MAX_ASSUME_TIMEOUT_SECONDS: u64 = 840;

impl ValidatorConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = ValidatorConfig::default();
        let timeout = number_setting(
            &lookup,
            "ROLEGATE_ASSUME_TIMEOUT_SECONDS",
            1,
            MAX_ASSUME_TIMEOUT_SECONDS,
            "must be a whole number of seconds from 1 to 840",
        )?;
        if let Some(seconds) = timeout {
            config.assume_timeout = Duration::from_secs(seconds);
        }
        if let Some(v) = setting(&lookup, "ROLEGATE_EVENT_BUS") {
            config.event_bus = v;
        }
        if let Some(v) = setting(&lookup, "ROLEGATE_COMMAND_SOURCE") {
            config.command_source = v;
        }
        if let Some(v) = setting(&lookup, "ROLEGATE_COMMAND_BUS") {
            // A rule ARN names its bus by name; an ARN here would match none.
            if v.contains([':', '/']) {
                return Err(ConfigError {
                    variable: "ROLEGATE_COMMAND_BUS",
                    value: v,
                    rule: "must be the command bus's name (what !Ref gives), not its ARN",
                });
            }
            config.command_bus = v;
        }
        config.registry_table = setting(&lookup, "ROLEGATE_REGISTRY_TABLE");
        config.queue_url = setting(&lookup, "ROLEGATE_VALIDATION_QUEUE_URL");
        if config.registry_table.is_some() && config.queue_url.is_none() {
            return Err(ConfigError {
                variable: "ROLEGATE_VALIDATION_QUEUE_URL",
                value: String::new(),
                rule: "must be set with ROLEGATE_REGISTRY_TABLE: the schedule enqueues each due integration on it",
            });
        }
        let fresh_for = number_setting(
            &lookup,
            "ROLEGATE_FRESH_FOR_SECONDS",
            0,
            86_400,
            "must be a whole number of seconds from 0 to 86400",
        )?;
        if let Some(seconds) = fresh_for {
            config.fresh_for = Duration::from_secs(seconds);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_a_bad_timeout_named() {
        assert_eq!(
            ValidatorConfig::from_lookup(|_| None),
            Ok(ValidatorConfig::default())
        );
        let e = ValidatorConfig::from_lookup(|n| {
            (n == "ROLEGATE_ASSUME_TIMEOUT_SECONDS").then(|| "0".to_owned())
        })
        .unwrap_err();
        assert_eq!(e.variable, "ROLEGATE_ASSUME_TIMEOUT_SECONDS");
    }

    #[test]
    fn the_command_bus_is_a_name_and_defaults_to_the_vendor_command_bus() {
        assert_eq!(
            ValidatorConfig::default().command_bus,
            "rolegate-validator-commands"
        );
        let named = ValidatorConfig::from_lookup(|n| {
            (n == "ROLEGATE_COMMAND_BUS").then(|| "vendor-commands".to_owned())
        });
        assert_eq!(
            named.map(|c| c.command_bus),
            Ok("vendor-commands".to_owned())
        );
        let arn = ValidatorConfig::from_lookup(|n| {
            (n == "ROLEGATE_COMMAND_BUS")
                .then(|| "arn:aws:events:us-east-1:966208727603:event-bus/x".to_owned())
        });
        assert_eq!(arn.map_err(|e| e.variable), Err("ROLEGATE_COMMAND_BUS"));
    }
}
