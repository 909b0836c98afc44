//! Names and identifiers the provisioner chooses: role names, physical
//! resource ids and generated ExternalIds.

use rolegate_policy::canonical::sha256_hex;
pub use rolegate_policy::reconcile::context_of_stack;
use rolegate_policy::spec::RoleNaming;
use rolegate_policy::{Arn, BuildContext};
use thiserror::Error;

/// Physical ids of creates that failed before any IAM write start with
/// this, so their Delete needs no IAM call. It can never be a role ARN.
pub const FAILED_CREATE_PREFIX: &str = "rolegate-failed-create:";

/// Generated ExternalIds are this long, from [A-Za-z0-9]: about 238 bits.
pub const EXTERNAL_ID_LENGTH: usize = 40;

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomnessError(getrandom::Error);

/// A fresh ExternalId from the OS CSPRNG. Rejection sampling keeps every
/// character equally likely.
pub fn generate_external_id() -> Result<String, RandomnessError> {
    // 248 is the largest multiple of 62 that fits a byte.
    const LIMIT: u8 = 248;
    let mut id = String::with_capacity(EXTERNAL_ID_LENGTH);
    let mut buf = [0u8; 64];
    while id.len() < EXTERNAL_ID_LENGTH {
        getrandom::getrandom(&mut buf).map_err(RandomnessError)?;
        for b in buf.iter().filter(|b| **b < LIMIT) {
            if id.len() == EXTERNAL_ID_LENGTH {
                break;
            }
            id.push(char::from(ALPHANUMERIC[usize::from(b % 62)]));
        }
    }
    Ok(id)
}

pub fn failed_create_id(logical_id: &str, request_id: &str) -> String {
    format!("{FAILED_CREATE_PREFIX}{logical_id}:{request_id}")
}

pub fn is_failed_create_id(physical_id: &str) -> bool {
    physical_id.starts_with(FAILED_CREATE_PREFIX)
}

/// The RequestId of the Create that answered with this failed-create id.
/// Logical ids are alphanumeric, so the first `:` ends the logical id.
pub fn request_of_failed_create_id(physical_id: &str) -> Option<&str> {
    let (_, request_id) = physical_id
        .strip_prefix(FAILED_CREATE_PREFIX)?
        .split_once(':')?;
    Some(request_id)
}

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

/// Compares the spec's naming and path with the current role's.
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

/// The ARN IAM gives a role, known before it exists.
pub fn role_arn(ctx: &BuildContext, path: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:role{path}{name}",
        ctx.partition.as_str(),
        ctx.account_id
    )
}

/// Name and path of the role a physical id (a role ARN) designates.
pub fn role_of_physical_id(physical_id: &str) -> Option<(String, String)> {
    let arn = Arn::parse(physical_id).ok()?;
    let (path, name) = arn.iam_role_path_and_name()?;
    Some((name.to_owned(), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_external_ids_are_long_alphanumeric_and_distinct() {
        let a = generate_external_id().unwrap();
        let b = generate_external_id().unwrap();
        assert_eq!(a.len(), EXTERNAL_ID_LENGTH);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(rolegate_policy::limits::check_external_id(&a).is_ok());
        assert_ne!(a, b);
    }

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
    fn failed_create_ids_are_recognised_and_never_role_arns() {
        let id = failed_create_id("Role", "req-1");
        assert!(is_failed_create_id(&id));
        assert_eq!(request_of_failed_create_id(&id), Some("req-1"));
        assert_eq!(request_of_failed_create_id("arn:aws:iam::1:role/x"), None);
        assert!(role_of_physical_id(&id).is_none());
        assert!(!is_failed_create_id("arn:aws:iam::111122223333:role/x"));
    }

    #[test]
    fn role_arns_round_trip_through_physical_ids() {
        let ctx = BuildContext::new("111122223333", "cn-north-1");
        let arn = role_arn(&ctx, "/integrations/", "vendor");
        assert_eq!(arn, "arn:aws-cn:iam::111122223333:role/integrations/vendor");
        assert_eq!(
            role_of_physical_id(&arn),
            Some(("vendor".into(), "/integrations/".into()))
        );
    }

    #[test]
    fn the_stack_arn_gives_account_and_region() {
        let ctx =
            context_of_stack("arn:aws:cloudformation:eu-west-1:111122223333:stack/s/6c2d6590-0000")
                .unwrap();
        assert_eq!(
            (ctx.account_id.as_str(), ctx.region.as_str()),
            ("111122223333", "eu-west-1")
        );
        assert!(context_of_stack("stack-name").is_err());
    }
}
