//! Reading a function's settings from its environment: one error type that
//! names the variable and the rule, shared by every function.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{variable}: {value:?} {rule}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub rule: &'static str,
}

/// `name` through `lookup`, trimmed; unset or blank is `None` (the default).
pub fn setting(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A whole number from `min` to `max`, or an error naming the variable.
pub fn number_setting(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    min: u64,
    max: u64,
    rule: &'static str,
) -> Result<Option<u64>, ConfigError> {
    let Some(value) = setting(lookup, variable) else {
        return Ok(None);
    };
    value
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .map(Some)
        .ok_or(ConfigError {
            variable,
            value,
            rule,
        })
}
