//! Ownership tags: how Rolegate recognises the roles it may change or delete.

use std::collections::BTreeMap;

use super::record::RoleRecord;
use crate::build::DesiredRole;
use crate::tags;

/// The stack resource a role belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub stack_id: String,
    pub logical_id: String,
}

impl Owner {
    /// True only when the tags say Rolegate manages the role for exactly
    /// this stack and logical id; any other role is someone else's.
    pub fn owns(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(tags::MANAGED).map(String::as_str) == Some("true")
            && tags.get(tags::STACK_ID) == Some(&self.stack_id)
            && tags.get(tags::LOGICAL_ID) == Some(&self.logical_id)
    }

    /// True when `record` was written for this stack resource. Whether the
    /// record may be believed is a separate question ([`super::seal`]).
    pub fn owns_record(&self, record: &RoleRecord) -> bool {
        record.stack_id == self.stack_id && record.logical_resource_id == self.logical_id
    }
}

/// True when a role's tags say Rolegate manages it for some stack
/// resource: the guard looks at nothing else without a trusted record.
pub fn is_managed(tags: &BTreeMap<String, String>) -> bool {
    tags.get(tags::MANAGED).map(String::as_str) == Some("true")
        && tags.contains_key(tags::STACK_ID)
        && tags.contains_key(tags::LOGICAL_ID)
}

/// `role` with the ownership tags added. The digest tag covers everything
/// else, so a role whose digest tag matches needs no change.
pub fn with_ownership(mut role: DesiredRole, owner: &Owner) -> DesiredRole {
    let digest = role.digest();
    role.tags
        .insert(tags::STACK_ID.to_owned(), owner.stack_id.clone());
    role.tags
        .insert(tags::LOGICAL_ID.to_owned(), owner.logical_id.clone());
    role.tags.insert(tags::SPEC_DIGEST.to_owned(), digest);
    role
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn owner() -> Owner {
        Owner {
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
            logical_id: "Role".into(),
        }
    }

    fn owned_tags(owner: &Owner) -> BTreeMap<String, String> {
        BTreeMap::from([
            (tags::MANAGED.to_owned(), "true".to_owned()),
            (tags::STACK_ID.to_owned(), owner.stack_id.clone()),
            (tags::LOGICAL_ID.to_owned(), owner.logical_id.clone()),
        ])
    }

    #[test]
    fn an_owner_owns_only_roles_tagged_managed_for_its_stack_and_logical_id() {
        let mine = owned_tags(&owner());
        assert!(owner().owns(&mine));
        let other = Owner {
            logical_id: "Other".into(),
            ..owner()
        };
        assert!(!other.owns(&mine));
        let mut unmanaged = mine.clone();
        unmanaged.insert(tags::MANAGED.to_owned(), "false".to_owned());
        assert!(!owner().owns(&unmanaged));
    }

    #[test]
    fn an_owner_owns_only_records_written_for_its_stack_resource() {
        let record = RoleRecord {
            stack_id: owner().stack_id,
            logical_resource_id: "Role".into(),
            role_arn: "arn:aws:iam::123456789012:role/integrations/r".into(),
            role_name: "r".into(),
            policy_digest: "d".into(),
            properties: json!({}),
            quarantine: None,
        };
        assert!(owner().owns_record(&record));
        let other_stack = Owner {
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/t/2".into(),
            ..owner()
        };
        assert!(!other_stack.owns_record(&record));
    }

    #[test]
    fn a_role_is_managed_only_with_the_managed_tag_and_both_owner_tags() {
        let tags = owned_tags(&owner());
        assert!(is_managed(&tags));
        for key in [tags::MANAGED, tags::STACK_ID, tags::LOGICAL_ID] {
            let mut less = tags.clone();
            less.remove(key);
            assert!(!is_managed(&less), "without {key}");
        }
        let mut not_true = tags;
        not_true.insert(tags::MANAGED.to_owned(), "yes".to_owned());
        assert!(!is_managed(&not_true));
    }
}
