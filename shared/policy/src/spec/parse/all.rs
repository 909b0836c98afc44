//! Every error of a spec in one read, each with its path, for a reviewer
//! fixing five typos at once ([`IntegrationSpec::from_properties_all`]).
//!
//! The reader stops at the first error, which stays the provisioner's one
//! answer to CloudFormation. To find the rest, the spec is read again
//! without the part that failed (a mistyped key, a bad value) until it
//! parses, or until what is left cannot be read on (a required property
//! missing: nothing to take out). An error at or above a part already taken
//! out is taken for a consequence of that removal and not reported.

use serde_json::Value;

use crate::spec::{IntegrationSpec, SpecError};

/// Re-reads are bounded; a spec has far fewer properties than this.
const MAX_ERRORS: usize = 64;

impl IntegrationSpec {
    /// Like [`IntegrationSpec::from_properties`], but with every error
    /// found, the first being the one `from_properties` returns.
    pub fn from_properties_all(value: &Value) -> Result<Self, Vec<SpecError>> {
        let mut value = value.clone();
        let mut errors: Vec<SpecError> = Vec::new();
        while errors.len() < MAX_ERRORS {
            let error = match super::spec(&value) {
                Ok(spec) if errors.is_empty() => return Ok(spec),
                Ok(_) => break,
                Err(e) => e,
            };
            let path = error.field().to_owned();
            if errors.iter().any(|e| within(e.field(), &path)) {
                break;
            }
            let removed = remove(&mut value, &path);
            errors.push(error);
            if !removed {
                break;
            }
        }
        Err(errors)
    }
}

/// `inner` is `outer` or below it (`Grants[0].Access` is within `Grants`).
fn within(inner: &str, outer: &str) -> bool {
    inner == outer
        || outer.is_empty()
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// Takes the node at `path` (`Trust.Principals[1]`) out of `value`; `false`
/// when there is none. A key may hold dots (a tag or condition key), so the
/// longest key the path goes on with is the one meant.
fn remove(value: &mut Value, path: &str) -> bool {
    let path = path.strip_prefix('.').unwrap_or(path);
    if path.is_empty() {
        return false;
    }
    if let Some(rest) = path.strip_prefix('[') {
        let Some((index, rest)) = rest.split_once(']') else {
            return false;
        };
        let (Ok(i), Value::Array(items)) = (index.parse::<usize>(), value) else {
            return false;
        };
        if rest.is_empty() {
            return if i < items.len() {
                items.remove(i);
                true
            } else {
                false
            };
        }
        return items.get_mut(i).is_some_and(|item| remove(item, rest));
    }
    let Value::Object(map) = value else {
        return false;
    };
    let key = map
        .keys()
        .filter(|k| {
            path.strip_prefix(k.as_str()).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
            })
        })
        .max_by_key(|k| k.len())
        .cloned();
    let Some(key) = key else { return false };
    let rest = &path[key.len()..];
    if rest.is_empty() {
        return map.remove(&key).is_some();
    }
    map.get_mut(&key).is_some_and(|child| remove(child, rest))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(value: Value) -> Vec<String> {
        match IntegrationSpec::from_properties_all(&value) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(|e| e.field().to_owned()).collect(),
        }
    }

    #[test]
    fn five_typos_are_reported_in_one_read_each_with_its_path() {
        let spec = json!({
            "RoleNme": "x",
            "Descripton": "y",
            "Trust": {"Principals": ["999988887777"], "Extra": 1},
            "ExternalId": "abcdefgh-1234",
            "MaxSessionDuration": 99999999,
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "ok-bucket", "Buckt": "x"}],
        });
        let got = fields(spec);
        assert_eq!(got.len(), 5, "{got:?}");
        for want in [
            "RoleNme",
            "Descripton",
            "Trust.Extra",
            "MaxSessionDuration",
            "Grants[0].Buckt",
        ] {
            assert!(got.iter().any(|f| f == want), "{want} missing from {got:?}");
        }
    }

    #[test]
    fn the_first_error_is_the_one_from_properties_returns() {
        let spec = json!({"Trust": {"Principals": ["nope"]}, "Grantz": []});
        let first = IntegrationSpec::from_properties(&spec).err();
        let all = IntegrationSpec::from_properties_all(&spec).err();
        assert_eq!(all.and_then(|e| e.into_iter().next()), first);
    }

    #[test]
    fn a_missing_required_property_ends_the_list() {
        assert_eq!(fields(json!({"Grants": []})), vec!["Trust".to_owned()]);
    }

    #[test]
    fn a_valid_spec_parses_as_from_properties_parses_it() {
        let spec = json!({"Trust": {"Principals": ["999988887777"]}, "ExternalId": "abcdefgh-1234",
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "ok-bucket"}]});
        assert_eq!(
            IntegrationSpec::from_properties_all(&spec).ok(),
            IntegrationSpec::from_properties(&spec).ok()
        );
    }

    #[test]
    fn a_key_with_dots_is_removed_whole() {
        let mut v = json!({"Tags": {"team.name": "a", "team": "b"}});
        assert!(remove(&mut v, "Tags.team.name"));
        assert_eq!(v, json!({"Tags": {"team": "b"}}));
    }

    #[test]
    fn an_error_caused_by_a_removal_is_not_reported() {
        // Taking out the one bad principal empties the list: that is not
        // the author's error, so it is not listed.
        let got = fields(
            json!({"Trust": {"Principals": ["nope"]}, "ExternalId": "abcdefgh-1234",
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "ok-bucket"}]}),
        );
        assert_eq!(got, vec!["Trust.Principals[0]".to_owned()]);
    }
}
