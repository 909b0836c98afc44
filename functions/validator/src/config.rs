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
}

impl Default for ValidatorConfig {
    fn default() -> Self {
        ValidatorConfig {
            assume_timeout: Duration::from_secs(60),
            event_bus: "default".into(),
            command_source: "rolegate.validator.commands".into(),
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
}
