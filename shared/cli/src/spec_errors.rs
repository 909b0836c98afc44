//! Every error of a spec in one run, for `render` and `lint`: the policy
//! crate's [`IntegrationSpec::from_properties_all`], the provisioner's own
//! first error leading.

use rolegate_policy::IntegrationSpec;
use rolegate_policy::spec::SpecError;
use serde_json::Value;

/// The spec, or every error found in it, first the one the provisioner reports.
pub fn parse_all(properties: &Value) -> Result<IntegrationSpec, Vec<SpecError>> {
    IntegrationSpec::from_properties_all(properties)
}
