//! Physical resource ids: the role's ARN once a Create made it, and the
//! failed-create id a Create answers when it wrote nothing to IAM.

use rolegate_policy::{Arn, BuildContext};

/// Physical ids of creates that failed before any IAM write start with
/// this, so their Delete needs no IAM call. It can never be a role ARN.
pub const FAILED_CREATE_PREFIX: &str = "rolegate-failed-create:";

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
    use rolegate_policy::reconcile::context_of_stack;

    use super::*;

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
