//! The fill step of the pipeline from spec to role (parse, fill, build,
//! prove, tag): the deployment's boundary and path
//! ([`crate::spec::DeploymentRules`], applied to the parsed spec by
//! [`super::spec_to_role`]) and the ExternalId a vendor trust needs and
//! the spec leaves out. The provisioner and `rolegate render` both fill
//! through here, so what `render` shows is what the provisioner creates;
//! the guard starts from a record whose properties are already filled.
//!
//! Deciding is pure: the caller supplies the randomness (`fresh`), and the
//! properties the record keeps come out of [`Filled`], not out of an edit
//! in the shell.

use serde_json::Value;

use crate::build::needs_external_id;
use crate::spec::IntegrationSpec;

/// The property the filled ExternalId is stored under.
const EXTERNAL_ID_PROPERTY: &str = "ExternalId";
/// The property the deployment's boundary is stored under.
const BOUNDARY_PROPERTY: &str = "PermissionsBoundaryArn";

/// The ExternalId to fill into `spec`, if it needs one: `None` when the
/// spec sets its own or trusts no vendor. Otherwise the one `carried` from
/// an existing role (the vendor already holds it), and only for a new role
/// a `fresh` one.
pub fn fill_external_id<E>(
    spec: &IntegrationSpec,
    carried: Option<String>,
    fresh: impl FnOnce() -> Result<String, E>,
) -> Result<Option<String>, E> {
    if !needs_external_id(spec) || spec.external_id.is_some() {
        return Ok(None);
    }
    match carried {
        Some(id) => Ok(Some(id)),
        None => fresh().map(Some),
    }
}

/// A spec with everything it leaves out filled in, and the properties its
/// role record keeps (from which the guard re-runs the pipeline).
#[derive(Debug, Clone, PartialEq)]
pub struct Filled {
    pub spec: IntegrationSpec,
    /// The request's properties with the filled boundary and ExternalId
    /// added.
    pub properties: Value,
}

impl Filled {
    /// `spec`, parsed from `properties` (with the deployment's rules
    /// applied), with its ExternalId filled in ([`fill_external_id`]).
    pub fn new<E>(
        properties: &Value,
        mut spec: IntegrationSpec,
        carried: Option<String>,
        fresh: impl FnOnce() -> Result<String, E>,
    ) -> Result<Filled, E> {
        let filled = fill_external_id(&spec, carried, fresh)?;
        let properties = stored_properties(properties, &spec, filled.as_deref());
        if filled.is_some() {
            spec.external_id = filled;
        }
        Ok(Filled { spec, properties })
    }
}

/// The properties a role record keeps: the request's, with the boundary
/// the deployment's rules gave `spec` (when the request names none) and
/// the ExternalId the pipeline filled in (if it filled one), so that a
/// restore builds the same role. The same bytes as when the rules edited
/// the request's JSON before parsing: records sealed then still compare.
pub fn stored_properties(
    properties: &Value,
    spec: &IntegrationSpec,
    filled_external_id: Option<&str>,
) -> Value {
    let mut stored = properties.clone();
    if let Some(object) = stored.as_object_mut() {
        if let Some(boundary) = &spec.permissions_boundary_arn
            && !object.contains_key(BOUNDARY_PROPERTY)
        {
            object.insert(
                BOUNDARY_PROPERTY.into(),
                Value::String(boundary.as_str().to_owned()),
            );
        }
        if let Some(id) = filled_external_id {
            object.insert(EXTERNAL_ID_PROPERTY.into(), Value::String(id.to_owned()));
        }
    }
    stored
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use serde_json::json;

    use super::*;

    fn vendor(external_id: Option<&str>) -> (Value, IntegrationSpec) {
        let mut properties = json!({
            "RoleName": "vendor",
            "Trust": {"Principals": ["966208727603"]},
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "vendor-bucket"}],
        });
        if let (Some(id), Some(object)) = (external_id, properties.as_object_mut()) {
            object.insert("ExternalId".into(), json!(id));
        }
        let spec = IntegrationSpec::from_properties(&properties).expect("a valid spec");
        (properties, spec)
    }

    fn never() -> Result<String, Infallible> {
        panic!("no fresh ExternalId may be drawn here")
    }

    #[test]
    fn a_vendor_spec_without_an_external_id_gets_a_fresh_one_and_its_record_keeps_it() {
        let (properties, spec) = vendor(None);
        let filled = Filled::new(&properties, spec, None, || {
            Ok::<_, Infallible>("fresh-id".to_owned())
        })
        .expect("infallible");
        assert_eq!(filled.spec.external_id.as_deref(), Some("fresh-id"));
        assert_eq!(filled.properties["ExternalId"], "fresh-id");
        assert_eq!(filled.properties["RoleName"], "vendor");
    }

    #[test]
    fn an_existing_roles_external_id_is_kept_and_no_fresh_one_is_drawn() {
        let (properties, spec) = vendor(None);
        let filled = Filled::new(&properties, spec, Some("kept".into()), never).expect("kept");
        assert_eq!(filled.spec.external_id.as_deref(), Some("kept"));
        assert_eq!(filled.properties["ExternalId"], "kept");
    }

    #[test]
    fn a_spec_that_sets_its_external_id_is_stored_unchanged() {
        let (properties, spec) = vendor(Some("own-id"));
        let filled = Filled::new(&properties, spec, Some("carried".into()), never).expect("own");
        assert_eq!(filled.spec.external_id.as_deref(), Some("own-id"));
        assert_eq!(filled.properties, properties);
    }

    #[test]
    fn a_spec_trusting_no_vendor_gets_no_external_id() {
        let properties = json!({
            "RoleName": "svc",
            "Trust": {"Service": "ec2"},
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "vendor-bucket"}],
        });
        let spec = IntegrationSpec::from_properties(&properties).expect("a valid spec");
        assert_eq!(fill_external_id(&spec, None, never), Ok(None));
    }

    #[test]
    fn the_deployments_boundary_on_the_spec_goes_into_the_record_as_it_did_into_the_request() {
        let (properties, mut spec) = vendor(Some("own-id"));
        let boundary = "arn:aws:iam::123456789012:policy/rolegate-boundary";
        let rules = crate::spec::DeploymentRules {
            boundary_arn: Some(boundary.into()),
            role_path: None,
        };
        rules.apply(&mut spec).expect("no boundary named");
        let filled = Filled::new(&properties, spec, None, never).expect("own");
        // What the rules' edit of the request's JSON used to store.
        let mut edited = properties.clone();
        edited["PermissionsBoundaryArn"] = json!(boundary);
        assert_eq!(
            serde_json::to_string(&filled.properties).expect("serializes"),
            serde_json::to_string(&edited).expect("serializes")
        );
    }

    #[test]
    fn randomness_failing_fails_the_fill() {
        let (properties, spec) = vendor(None);
        let got = Filled::new(&properties, spec, None, || Err("no entropy"));
        assert_eq!(got.map(|f| f.spec.external_id), Err("no entropy"));
    }
}
