//! Role names: the name a Create gives its role, and whether an Update
//! keeps the role, replaces it, or cannot.

use rolegate_policy::canonical::sha256_hex;
use rolegate_policy::spec::RoleNaming;

use crate::external_id::ALPHANUMERIC;

/// The role name for a create. A prefix is completed with a suffix derived
/// from the request, so a duplicate delivery of the same Create picks the
/// same name and finds its own role instead of making a second one.
pub fn role_name(
    naming: &RoleNaming,
    stack_id: &str,
    logical_id: &str,
    request_id: &str,
) -> String {
    match naming {
        RoleNaming::Name(name) => name.clone(),
        RoleNaming::Prefix(prefix) => {
            let hash = sha256_hex(format!("{stack_id}\n{logical_id}\n{request_id}").as_bytes());
            let suffix: String = hash
                .bytes()
                .take(12)
                .map(|b| char::from(ALPHANUMERIC[usize::from(b) % 62]))
                .collect();
            format!("{prefix}-{suffix}")
        }
    }
}

/// True when `name` is what [`role_name`] makes of `prefix`.
fn generated_from(prefix: &str, name: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|suffix| {
            suffix.len() == 12 && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// How an Update gets from the role the stack has to the one the spec asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    InPlace,
    /// A new name or path: a new role and a new physical id.
    Replace,
    /// A new path under the same fixed name, which IAM cannot hold twice.
    SameNameReplace,
}

/// Compares the spec's naming and path with the current role's. Only they
/// decide: any other change, the trust among them (a pending vendor trust
/// filled in with the vendor's principal and ExternalId), is in place, so
/// the role keeps the ARN the vendor was given.
pub fn update_kind(
    naming: &RoleNaming,
    path: &str,
    current_name: &str,
    current_path: &str,
) -> UpdateKind {
    let same_name = match naming {
        RoleNaming::Name(n) => n == current_name,
        RoleNaming::Prefix(p) => generated_from(p, current_name),
    };
    match (same_name, path == current_path) {
        (true, true) => UpdateKind::InPlace,
        (true, false) if matches!(naming, RoleNaming::Name(_)) => UpdateKind::SameNameReplace,
        _ => UpdateKind::Replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_gets_the_same_suffix_for_the_same_request_only() {
        let naming = RoleNaming::Prefix("vendor".into());
        let a = role_name(&naming, "stack", "Role", "req-1");
        assert_eq!(a, role_name(&naming, "stack", "Role", "req-1"));
        assert_ne!(a, role_name(&naming, "stack", "Role", "req-2"));
        assert_eq!(a.len(), "vendor-".len() + 12);
        assert!(rolegate_policy::limits::check_role_name(&a, 64).is_ok());
    }

    #[test]
    fn updates_replace_only_on_a_new_name_prefix_or_path() {
        let name = |n: &str| RoleNaming::Name(n.into());
        let prefix = |p: &str| RoleNaming::Prefix(p.into());
        let p = "/integrations/";
        let generated = role_name(&prefix("vendor"), "stack", "Role", "req-1");
        assert_eq!(update_kind(&name("a"), p, "a", p), UpdateKind::InPlace);
        assert_eq!(
            update_kind(&prefix("vendor"), p, &generated, p),
            UpdateKind::InPlace
        );
        assert_eq!(update_kind(&name("b"), p, "a", p), UpdateKind::Replace);
        assert_eq!(
            update_kind(&prefix("vend"), p, &generated, p),
            UpdateKind::Replace
        );
        assert_eq!(
            update_kind(&prefix("vendor"), p, "vendor", p),
            UpdateKind::Replace
        );
        assert_eq!(
            update_kind(&name(&generated), p, &generated, p),
            UpdateKind::InPlace
        );
        assert_eq!(
            update_kind(&prefix("vendor"), "/x/", &generated, p),
            UpdateKind::Replace
        );
        assert_eq!(
            update_kind(&name("a"), "/x/", "a", p),
            UpdateKind::SameNameReplace
        );
    }

    #[test]
    fn filling_in_a_pending_trust_keeps_the_role() {
        let props = |user: &str, id: &str| {
            serde_json::json!({
                "RoleNamePrefix": "iex-apperate",
                "Trust": {"Principals": [user]},
                "ExternalId": id,
                "Grants": [{"Service": "s3", "Access": "read", "Bucket": "customer-market-data"}],
            })
        };
        let pending = rolegate_policy::IntegrationSpec::from_properties(&props("", ""));
        let filled = rolegate_policy::IntegrationSpec::from_properties(&props(
            "arn:aws:iam::444455556666:user/apperate-integration",
            "iex-5f0c2a9e-apperate",
        ));
        let (Ok(pending), Ok(filled)) = (pending, filled) else {
            panic!("both specs parse");
        };
        assert!(pending.trust.is_pending() && !filled.trust.is_pending());
        let current = role_name(&pending.role_name, "stack", "ApperateRole", "req-1");
        assert_eq!(
            update_kind(&filled.role_name, &filled.path, &current, &pending.path),
            UpdateKind::InPlace
        );
    }
}
